//! Sign out: here, in another tab, and in Clerk alone; and the marker that
//! has other tabs say "Signing out…" meanwhile.

use super::*;

#[wasm_bindgen_test]
async fn a_clerk_sign_out_elsewhere_ends_the_instant_session() {
    let app = mount_signed_in(&unique_email("elsewhere")).await;
    let refresh_token = refresh_token_of_stored_session();

    // Not the app's button: Clerk itself signs out (its own UI, say).
    sign_out_of_clerk().await;
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    wait_until("the Instant session is gone", || {
        stored_instant_user().is_none()
    })
    .await;
    wait_until_revoked(&refresh_token).await;
    drop(app);
}

#[wasm_bindgen_test]
async fn a_sign_out_in_another_tab_signs_this_tab_out() {
    let app = mount_signed_in(&unique_email("other-tab")).await;

    // The other tab's sign-out, as this tab sees it: Instant's key goes,
    // then Clerk's session.
    forget_and_announce(&instant_storage_key());
    another_tab_signs_out_of_clerk().await;

    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    assert_eq!(clerk_user_id(), None);
    // Gone for good: this tab, which still held the session, did not
    // write it back.
    assert_eq!(stored_instant_user(), None);
    assert!(!app.text().contains(SIGNED_IN));
    drop(app);
    reset().await;
}

/// A Clerk session that ends without a Sign out in this tab (revoked on
/// the server, or in another tab) leaves a Sign out marker naming it as
/// this tab ends the Instant session: the other tabs still on that session
/// hear of Instant's sign-out before their Clerk hears of its own, and
/// read the marker as "Signing out…" instead of offering "Sign in to
/// Instant" meanwhile.
#[wasm_bindgen_test]
async fn a_clerk_session_ended_elsewhere_marks_the_sign_out_for_other_tabs() {
    let app = mount_signed_in(&unique_email("ended-elsewhere")).await;
    let session = clerk_session_id().expect("a Clerk session");
    another_tab_signs_out_of_clerk().await;
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    let marker = local_storage()
        .get_item(&sign_out_marker_key())
        .unwrap()
        .unwrap_or_default();
    assert!(marker.ends_with(&format!(" {session}")), "{marker:?}");
    drop(app);
    reset().await;
}

/// A page that loads after its Clerk session ended (revoked on the server,
/// say) ends the stored Instant session without ever knowing that Clerk
/// session: its marker names the Clerk user instead, and the other tabs
/// still signed in to Clerk as that person say "Signing out…" until their
/// Clerk hears of it, instead of offering "Sign in to Instant" meanwhile.
#[wasm_bindgen_test]
async fn a_page_loaded_after_the_clerk_session_ended_marks_the_sign_out_for_other_tabs() {
    let app = mount_signed_in(&unique_email("ended-before-load")).await;
    let user = clerk_user_id().expect("a Clerk user");
    drop(app);
    // Clerk alone signs out, with no page mounted: the stored Instant
    // session stays, as in a tab reloaded after a revoke on the server.
    sign_out_of_clerk().await;
    assert!(stored_instant_user().is_some());
    let app = mount_app(config());
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    wait_until("the Instant session is gone", || {
        stored_instant_user().is_none()
    })
    .await;
    let marker = local_storage()
        .get_item(&sign_out_marker_key())
        .unwrap()
        .unwrap_or_default();
    assert!(marker.ends_with(&format!(" {user}")), "{marker:?}");
    drop(app);
    reset().await;

    // Such a marker, as a tab still signed in as that person sees it.
    let app = mount_signed_in(&unique_email("ended-before-load-other")).await;
    store_sign_out_marker(&clerk_user_id().expect("a Clerk user"), 0);
    forget_and_announce(&instant_storage_key());
    wait_for_text(&app, "Signing out…").await;
    let meanwhile = text_a_moment_later(&app).await;
    assert!(!meanwhile.contains(NOT_TO_INSTANT), "{meanwhile:?}");
    another_tab_signs_out_of_clerk().await;
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    drop(app);
    reset().await;
}

#[wasm_bindgen_test]
async fn a_sign_out_that_hangs_in_clerk_says_so() {
    let app = mount_signed_in(&unique_email("hanging-sign-out")).await;
    // Clerk never answers the sign-out: without a word the page would say
    // "Signing out…" until Clerk's call times out.
    clerk_stall_next("signOut");
    click_button(&app, "Sign out").await;
    wait_for_text(&app, "Signing out…").await;
    assert!(!app.text().contains("longer than usual"), "{}", app.text());
    wait_for_text(&app, "Clerk is taking longer than usual to sign out").await;
    let text = app.text();
    assert!(text.contains("Signing out…"), "{text}");
    assert!(text.contains("You are signed out of Instant"), "{text}");
    // What it says is so.
    assert_eq!(stored_instant_user(), None);
    assert!(clerk_user_id().is_some());
    // At Clerk's time limit (15 s) the page says so, with a way to finish.
    wait_for_text(&app, "You are signed out of Instant, but not of Clerk.").await;
    click_button(&app, "Sign out of Clerk").await;
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    assert_eq!(clerk_user_id(), None);
    drop(app);
    reset().await;
}

#[wasm_bindgen_test]
async fn a_half_finished_sign_out_stands_when_the_page_mounts_again() {
    let app = mount_signed_in(&unique_email("sign-out-stands")).await;
    click_link(&app, "Account").await;
    wait_for_text(&app, "Instant user id").await;
    click_link(&app, "Home").await;
    wait_for_text(&app, SIGNED_IN).await;
    clerk_fail_next_sign_out("Network error: Failed to fetch");
    click_button(&app, "Sign out").await;
    wait_for_text(&app, "You are signed out of Instant, but not of Clerk.").await;
    let exchanges = exchange_count().await;

    // Back to the account page, which sends someone not signed in to both
    // home, where the signed-in part mounts anew: it must not sign in again
    // on its own.
    let recorder = TextRecorder::start(&app);
    page_window().history().unwrap().back().unwrap();
    wait_until("the account page to show, then send the page home", || {
        path() == "/"
            && app.text().contains("but not of Clerk")
            && recorder
                .seen()
                .iter()
                .any(|text| text.contains("going to the home page"))
    })
    .await;
    // An exchange would have started and ended by then.
    gloo_timers::future::TimeoutFuture::new(500).await;
    assert!(app.text().contains("but not of Clerk"), "{}", app.text());
    assert_eq!(exchange_count().await, exchanges);
    recorder.stop();

    // Nor does a reload, or another tab: it offers to sign in instead.
    drop(app);
    let app = mount_app(config());
    wait_for_text(&app, NOT_TO_INSTANT).await;
    gloo_timers::future::TimeoutFuture::new(500).await;
    assert!(app.text().contains(NOT_TO_INSTANT), "{}", app.text());
    assert_eq!(exchange_count().await, exchanges);
    assert_eq!(stored_instant_user(), None);

    // Asked, it signs in, and later mounts keep that session.
    click_button(&app, "Sign in to Instant").await;
    wait_for_text(&app, SIGNED_IN).await;
    assert_eq!(exchange_count().await, exchanges + 1);
    click_button(&app, "Sign out").await;
    wait_until("signed out", || has_button(&app, "Sign in")).await;
    drop(app);
}

#[wasm_bindgen_test]
async fn another_tabs_sign_out_while_the_token_is_on_its_way_ends_the_exchange() {
    reset().await;
    let exchanges = exchange_count().await;
    let app = mount_app(config());
    // Clerk's first answer is null: the exchange asks again 300 ms later.
    clerk_withhold_tokens(1);
    sign_in_to_clerk(&unique_email("sign-out-in-another-tab")).await;
    wait_until("Clerk answered null", || clerk_tokens_withheld() == 0).await;
    // Meanwhile another tab signs out of this Clerk session (Instant, then
    // Clerk, which fails there): what it leaves in storage.
    let session = clerk_session_id().expect("a Clerk session");
    store_and_announce(
        &clerk_instant::app::signed_out_session_key(app_id()),
        &format!("{} {session}", js_sys::Date::now() as u64),
    );
    wait_for_text(&app, NOT_TO_INSTANT).await;
    gloo_timers::future::TimeoutFuture::new(500).await;
    assert!(app.text().contains(NOT_TO_INSTANT), "{}", app.text());
    assert_eq!(exchange_count().await, exchanges);
    assert_eq!(stored_instant_user(), None);
    drop(app);
    reset().await;
}

/// Another tab signs out of the Clerk session whose token this tab's
/// exchange still waits for (Clerk not answering), and the person then
/// signs in here as someone else before that token call's time limit: the
/// exchange cut short ends then and there, without waiting for its call
/// (whose lock, marker and "Loading…" held the new account's sign-in up
/// until it ended), and its failure is not shown as the new account's
/// ("Error signing in to Instant!" under the new account's name: it had
/// checked for a Sign out of the Clerk session signed in by then, the new
/// account's, rather than of the one it was exchanging for).
#[wasm_bindgen_test]
async fn another_tabs_sign_out_of_a_hanging_sign_in_leaves_no_error_for_the_next_account() {
    let app = mount_signed_out().await;
    let exchanges = exchange_count().await;
    let stalled_at = js_sys::Date::now();
    clerk_stall_next("getToken");
    sign_in_to_clerk(&unique_email("hanging-then-signed-out-elsewhere")).await;
    // The token call is on its way (and hangs).
    wait_for_text(&app, SLOW).await;
    // Another tab's Sign out of this Clerk session: its mark in storage,
    // then Clerk's sign-out, which reaches this tab.
    let session = clerk_session_id().expect("a Clerk session");
    store_and_announce(
        &clerk_instant::app::signed_out_session_key(app_id()),
        &format!("{} {session}", js_sys::Date::now() as u64),
    );
    sign_out_of_clerk().await;
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;

    let recorder = TextRecorder::start(&app);
    let second = unique_email("next-account-after-a-sign-out-elsewhere");
    sign_in_to_clerk(&second).await;
    // Not held up until the stalled call's time limit (15 s from its
    // start): signed in with room to spare before it.
    while !app.text().contains(SIGNED_IN) {
        assert!(
            js_sys::Date::now() - stalled_at < 13_000.0,
            "not signed in: {}",
            app.text()
        );
        gloo_timers::future::TimeoutFuture::new(50).await;
    }
    text_a_moment_later(&app).await;
    let texts = recorder.stop();
    assert!(
        texts.iter().all(|text| !text.contains("Error")),
        "an error showed on the way: {texts:#?}"
    );
    assert_eq!(exchange_count().await, exchanges + 1);
    let stored = stored_instant_user().expect("a stored session");
    assert_eq!(stored["email"].as_str(), Some(second.as_str()));
    assert_eq!(stored_owner(), clerk_user_id());
    click_button(&app, "Sign out").await;
    wait_until("signed out", || has_button(&app, "Sign in")).await;
    drop(app);
    reset().await;
}

#[wasm_bindgen_test]
async fn another_tabs_sign_out_while_the_exchange_is_on_its_way_ends_its_session() {
    let app = mount_signed_out().await;
    let (exchanges, signouts) = (exchange_count().await, signout_count().await);
    let sent = delay_next_fetch_to("/runtime/oauth/id_token", 500);
    sign_in_to_clerk(&unique_email("sign-out-mid-request")).await;
    wasm_bindgen_futures::JsFuture::from(sent).await.unwrap();
    // While the exchange's request is on its way, another tab signs out of
    // this Clerk session (Clerk's half failing there): with no session here
    // yet, its Instant sign-out has nothing to end in this tab.
    let session = clerk_session_id().expect("a Clerk session");
    store_and_announce(
        &clerk_instant::app::signed_out_session_key(app_id()),
        &format!("{} {session}", js_sys::Date::now() as u64),
    );
    wait_for_text(&app, NOT_TO_INSTANT).await;
    assert_eq!(stored_instant_user(), None);
    assert_eq!(exchange_count().await, exchanges + 1);
    // The session the answer brought is ended on the server too.
    let start = js_sys::Date::now();
    while signout_count().await == signouts {
        assert!(
            js_sys::Date::now() - start < 10_000.0,
            "the session was not revoked"
        );
        gloo_timers::future::TimeoutFuture::new(50).await;
    }
    assert!(app.text().contains(NOT_TO_INSTANT), "{}", app.text());
    drop(app);
    reset().await;
}

#[wasm_bindgen_test]
async fn another_tabs_sign_in_makes_an_old_clerk_sign_out_failure_old_news() {
    let app = mount_signed_in(&unique_email("old-sign-out-failure")).await;
    let owner_key = clerk_instant::app::owner_storage_key(app_id());
    let session = local_storage()
        .get_item(&instant_storage_key())
        .unwrap()
        .unwrap();
    let owner = local_storage().get_item(&owner_key).unwrap().unwrap();
    clerk_fail_next_sign_out("Network error: first failure");
    click_button(&app, "Sign out").await;
    wait_for_text(&app, "You are signed out of Instant, but not of Clerk.").await;

    // Another tab signs in to Instant, then signs out there (and Clerk's
    // half fails there): this tab did not press Sign out this time.
    store_and_announce(&owner_key, &owner);
    store_and_announce(&instant_storage_key(), &session);
    wait_for_text(&app, SIGNED_IN).await;
    forget_and_announce(&instant_storage_key());
    forget_and_announce(&owner_key);
    wait_for_text(&app, NOT_TO_INSTANT).await;
    assert!(!app.text().contains("first failure"), "{}", app.text());
    drop(app);
    reset().await;
}

#[wasm_bindgen_test]
async fn a_page_that_goes_away_mid_sign_out_takes_its_marker_along() {
    let app = mount_signed_in(&unique_email("gone-mid-sign-out")).await;
    clerk_stall_next("signOut");
    click_button(&app, "Sign out").await;
    wait_for_text(&app, "Signing out…").await;
    assert!(local_storage()
        .get_item(&sign_out_marker_key())
        .unwrap()
        .is_some());
    page_window()
        .dispatch_event(&web_sys::Event::new("pagehide").unwrap())
        .unwrap();
    assert_eq!(
        local_storage().get_item(&sign_out_marker_key()).unwrap(),
        None
    );

    // The page reloaded on the same Clerk session: no "Signing out…" of a
    // sign-out nobody runs, and no sign-in the person did not ask for.
    drop(app);
    let exchanges = exchange_count().await;
    let app = mount_app(config());
    wait_for_text(&app, NOT_TO_INSTANT).await;
    assert_eq!(exchange_count().await, exchanges);
    drop(app);
    reset().await;
}

/// Sets the Sign out marker another tab would have set `ago_ms` ago for
/// `clerk_session_id`, with the `storage` event that tab would cause.
fn store_sign_out_marker(clerk_session_id: &str, ago_ms: u64) {
    let started = js_sys::Date::now() as u64 - ago_ms;
    store_and_announce(
        &sign_out_marker_key(),
        &format!("{started} {clerk_session_id}"),
    );
}

/// The start of another tab's Sign out of this Clerk session as this tab
/// sees it: its marker (set `ago_ms` ago), then Instant's key goes. Clerk's
/// sign-out follows later (see [`another_tab_signs_out_of_clerk`]).
fn another_tab_signs_out_of_instant(ago_ms: u64) {
    store_sign_out_marker(&clerk_session_id().expect("a Clerk session"), ago_ms);
    forget_and_announce(&instant_storage_key());
}

/// Stops `recorder` and checks that the page reached `then` without
/// saying "Signing out…" on the way: `what` did not count as another tab's
/// sign-out under way.
fn never_signing_out_before(recorder: TextRecorder, then: &str, what: &str) {
    let shown = recorder.stop();
    assert!(
        shown.iter().any(|text| text.contains(then)),
        "the recording missed {then:?}: {shown:?}"
    );
    assert!(
        !shown.iter().any(|text| text.contains("Signing out…")),
        "{what} counted as a sign-out under way: {shown:?}"
    );
}

#[wasm_bindgen_test]
async fn another_tabs_sign_out_shows_signing_out_until_its_clerk_sign_out_arrives() {
    let app = mount_signed_in(&unique_email("other-tab-signing-out")).await;
    let exchanges = exchange_count().await;

    another_tab_signs_out_of_instant(0);
    wait_for_text(&app, "Signing out…").await;
    let meanwhile = text_a_moment_later(&app).await;
    assert!(meanwhile.contains("Signing out…"), "{meanwhile:?}");
    assert!(!meanwhile.contains(NOT_TO_INSTANT), "{meanwhile:?}");
    assert!(
        header_summary(&app).ends_with("Instant: signing out…"),
        "{}",
        header_summary(&app)
    );

    another_tab_signs_out_of_clerk().await;
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    // Signed out, though the other tab's marker still counts for a while.
    assert_eq!(
        header_summary(&app),
        "Clerk: signed out Instant: signed out"
    );
    assert_eq!(clerk_user_id(), None);
    assert_eq!(
        exchange_count().await,
        exchanges,
        "this tab exchanged again while the other one signed out"
    );
    drop(app);
    reset().await;
}

#[wasm_bindgen_test]
async fn another_tabs_sign_out_that_left_clerk_signed_in_or_never_ended_shows_the_prompt() {
    let app = mount_signed_in(&unique_email("other-tab-clerk-stays")).await;
    let exchanges = exchange_count().await;

    // Its Clerk sign-out failed: the marker goes, Clerk stays signed in.
    another_tab_signs_out_of_instant(0);
    wait_for_text(&app, "Signing out…").await;
    forget_and_announce(&sign_out_marker_key());
    wait_for_text(&app, NOT_TO_INSTANT).await;

    // A marker left by a tab closed in the middle of its Sign out counts
    // for 20 s from when it was set, then the prompt shows again.
    click_button(&app, "Sign in to Instant").await;
    wait_for_text(&app, SIGNED_IN).await;
    let started = js_sys::Date::now();
    another_tab_signs_out_of_instant(19_000);
    wait_for_text(&app, "Signing out…").await;
    wait_for_text(&app, NOT_TO_INSTANT).await;
    // It had 1 s left. The bound is far from the 20 s a marker whose age
    // did not count would hold the page.
    let waited = js_sys::Date::now() - started;
    assert!(
        waited < 15_000.0,
        "the prompt showed after {waited} ms, not 1000"
    );
    // One already older than that is no sign-out under way: the prompt
    // shows with no "Signing out…" before it.
    click_button(&app, "Sign in to Instant").await;
    wait_for_text(&app, SIGNED_IN).await;
    let recorder = TextRecorder::start(&app);
    another_tab_signs_out_of_instant(20_500);
    wait_for_text(&app, NOT_TO_INSTANT).await;
    never_signing_out_before(recorder, NOT_TO_INSTANT, "a marker 20.5 s old");
    // Nor is a marker that is not one (written by something else).
    let session = clerk_session_id().expect("a Clerk session");
    let now = js_sys::Date::now() as u64;
    for garbage in [
        String::new(),
        format!("soon {session}"),
        format!("{now}"),
        format!("{now}{session}"),
        format!("-5 {session}"),
        format!("99999999999999999999 {session}"),
        format!("{} {session}", now + 5_000),
    ] {
        click_button(&app, "Sign in to Instant").await;
        wait_for_text(&app, SIGNED_IN).await;
        let recorder = TextRecorder::start(&app);
        store_and_announce(&sign_out_marker_key(), &garbage);
        forget_and_announce(&instant_storage_key());
        wait_for_text(&app, NOT_TO_INSTANT).await;
        never_signing_out_before(recorder, NOT_TO_INSTANT, &format!("the marker {garbage:?}"));
    }
    // Only the Sign in to Instant clicks exchanged.
    assert_eq!(exchange_count().await, exchanges + 9);

    // The prompt's Sign out finishes what the other tab could not.
    focus_and_click_button(&app, "Sign out").await;
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    assert!(focus_is_in_status_region(&app));
    assert_eq!(clerk_user_id(), None);
    assert_eq!(exchange_count().await, exchanges + 9);
    drop(app);
    reset().await;
}

#[wasm_bindgen_test]
async fn the_account_page_says_signing_out_during_another_tabs_sign_out() {
    let app = mount_signed_in(&unique_email("account-other-tab")).await;
    click_link(&app, "Account").await;
    wait_for_text(&app, "Instant user id").await;

    let recorder = TextRecorder::start(&app);
    another_tab_signs_out_of_instant(0);
    wait_for_text(&app, "Signing out…").await;
    // On the account page itself, which stays until Clerk signs out too
    // (a redirect would have come by then), not home after a redirect.
    gloo_timers::future::TimeoutFuture::new(500).await;
    assert_eq!(path(), "/account");
    assert!(app.text().contains("Signing out…"), "{}", app.text());
    let shown = recorder.stop();
    assert!(
        !shown
            .iter()
            .any(|text| text.contains("going to the home page")),
        "the account page sent the page home before Clerk signed out: {shown:?}"
    );
    another_tab_signs_out_of_clerk().await;
    wait_until("back home, signed out", || {
        path() == "/" && has_button(&app, "Sign in")
    })
    .await;
    drop(app);
    reset().await;
}

#[wasm_bindgen_test]
async fn a_sign_out_marker_left_behind_does_not_hold_up_the_next_sign_in() {
    reset().await;
    // A Sign out that has just finished leaves its marker (with most of
    // its 20 s left): it was for a Clerk session that a new sign-in does
    // not have.
    store_sign_out_marker("sess_ended_just_now", 0);
    let app = mount_app(config());
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    let recorder = TextRecorder::start(&app);
    sign_in_to_clerk(&unique_email("marker-left-behind")).await;
    wait_for_text(&app, SIGNED_IN).await;
    never_signing_out_before(recorder, SIGNED_IN, "a marker for an ended Clerk session");
    // The sign-in tidied it up.
    assert_eq!(
        local_storage().get_item(&sign_out_marker_key()).unwrap(),
        None
    );
    drop(app);
    reset().await;
}
