//! One exchange for all tabs: another tab's session, sign-in marker and
//! exchange lock, and the tab in view.

use super::*;

/// Signs in to both; then another tab signs out of Instant only (this one
/// offers to sign in), this tab's "Sign in to Instant" waits for a token
/// Clerk withholds (both times it asks, 300 ms apart), and once it has
/// asked the first time (an exchange that had not yet would find that
/// session and take it), the other tab signs in again. Returns the app,
/// with that exchange still under way, and the exchange count from before
/// it.
async fn another_tabs_session_during_a_tokenless_exchange(label: &str) -> (Mounted, u64) {
    let app = mount_signed_in(&unique_email(label)).await;
    let session = local_storage()
        .get_item(&instant_storage_key())
        .unwrap()
        .expect("the stored session");
    let owner_key = clerk_instant::app::owner_storage_key(app_id());
    let owner = local_storage()
        .get_item(&owner_key)
        .unwrap()
        .expect("its owner");

    forget_and_announce(&instant_storage_key());
    wait_for_text(&app, NOT_TO_INSTANT).await;
    let exchanges = exchange_count().await;
    clerk_withhold_tokens(2);
    click_button(&app, "Sign in to Instant").await;
    wait_until("the exchange asked Clerk", || clerk_tokens_withheld() == 1).await;
    store_and_announce(&owner_key, &owner);
    store_and_announce(&instant_storage_key(), &session);
    (app, exchanges)
}

#[wasm_bindgen_test]
async fn a_session_another_tab_made_outlasts_this_tabs_failed_token_fetch() {
    let (app, exchanges) = another_tabs_session_during_a_tokenless_exchange("other-tab-wins").await;
    // The page and the header show that session at once.
    wait_for_text(&app, SIGNED_IN).await;
    assert!(header_summary(&app).ends_with("Instant: signed in"));
    // This tab's try ends (Clerk asked twice): its failure must not hide
    // the session.
    wait_until("the exchange asked Clerk again", || {
        clerk_tokens_withheld() == 0
    })
    .await;
    gloo_timers::future::TimeoutFuture::new(100).await;
    let text = app.text();
    assert!(text.contains(SIGNED_IN), "{text}");
    assert!(!text.contains("Error"), "{text}");
    assert_eq!(exchange_count().await, exchanges, "no token, no exchange");
    assert!(stored_instant_user().is_some());
    drop(app);
    reset().await;
}

#[wasm_bindgen_test]
async fn a_sign_out_during_an_exchange_ends_the_exchange() {
    let (app, _) = another_tabs_session_during_a_tokenless_exchange("sign-out-mid-exchange").await;
    wait_for_text(&app, SIGNED_IN).await;

    // A Sign out whose Clerk half fails keeps Clerk signed in, so the
    // exchange's second ask reaches Clerk (and gets its null): overtaken,
    // the exchange must end there, neither reporting the missing token nor
    // offering to sign in on the way.
    let recorder = TextRecorder::start(&app);
    clerk_fail_next_sign_out("Network error: Failed to fetch");
    focus_and_click_button(&app, "Sign out").await;
    wait_for_text(&app, "You are signed out of Instant, but not of Clerk.").await;
    wait_until("the exchange asked Clerk again", || {
        clerk_tokens_withheld() == 0
    })
    .await;
    // The exchange's reaction to that answer ran in the same turn.
    leptos::task::tick().await;
    let text = app.text();
    assert!(text.contains("but not of Clerk"), "{text}");
    assert!(!text.contains("Error signing in to Instant!"), "{text}");
    let shown = recorder.stop();
    assert!(
        !shown.iter().any(|text| text.contains(NOT_TO_INSTANT)),
        "the prompt showed during the sign-out: {shown:?}"
    );
    assert_eq!(stored_instant_user(), None);

    focus_and_click_button(&app, "Sign out of Clerk").await;
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    drop(app);
    reset().await;
}

#[wasm_bindgen_test]
async fn this_tabs_exchange_over_another_tabs_marker_leaves_nothing_under_way() {
    reset().await;
    set_email_claim(false).await;
    let app = mount_app(config());
    sign_in_to_clerk(&unique_email("over-another-marker")).await;
    wait_for_text(&app, "The id_token had no email.").await;
    set_email_claim(true).await;
    // Another tab's exchange starts; this tab's Retry writes its own marker
    // over that one, and takes it away when done.
    another_tab_starts_an_exchange();
    let started = js_sys::Date::now();
    click_button(&app, "Retry").await;
    wait_for_text(&app, SIGNED_IN).await;
    // Nothing is under way any more: not "signing in…" until the other
    // tab's marker (gone from storage) would have run out 20 s on.
    wait_until("the header says signed in", || {
        header_summary(&app).contains("Instant: signed in")
    })
    .await;
    // Far from the 20 s the marker would have held it.
    let waited = js_sys::Date::now() - started;
    assert!(waited < 15_000.0, "signing in… for {waited} ms");
    assert_eq!(stored_sign_in_marker(), None);
    drop(app);
    reset().await;
}

/// Signs in to both (as `label`), then takes the Instant session and its
/// owner out of storage, as they were before the exchange: returns them,
/// for a test to store as another tab's exchange would.
async fn a_session_to_come_from_another_tab(label: &str) -> (String, String) {
    let app = mount_signed_in(&unique_email(label)).await;
    drop(app);
    let owner_key = clerk_instant::app::owner_storage_key(app_id());
    let session = local_storage().get_item(&instant_storage_key()).unwrap();
    let owner = local_storage().get_item(&owner_key).unwrap();
    local_storage().remove_item(&instant_storage_key()).unwrap();
    local_storage().remove_item(&owner_key).unwrap();
    (
        session.expect("the stored session"),
        owner.expect("its owner"),
    )
}

/// Sets the sign-in marker another tab sets as its exchange starts.
fn another_tab_starts_an_exchange() {
    let session = clerk_session_id().unwrap_or_default();
    store_and_announce(
        &sign_in_marker_key(),
        &format!("{} {session}", js_sys::Date::now() as u64),
    );
}

#[wasm_bindgen_test]
async fn another_tabs_exchange_is_waited_for_not_repeated() {
    let (session, owner) = a_session_to_come_from_another_tab("other-tab-exchanges").await;
    let exchanges = exchange_count().await;
    // Clerk is signed in; another tab has started its exchange.
    another_tab_starts_an_exchange();
    let app = mount_app(config());
    wait_for_text(&app, "Loading…").await;
    let text = text_a_moment_later(&app).await;
    assert!(text.contains("Loading…"), "{text}");
    assert!(!text.contains(NOT_TO_INSTANT), "{text}");
    assert!(header_summary(&app).contains("Instant: signing in…"));

    // Its session arrives, then its marker goes: no exchange here.
    store_and_announce(&clerk_instant::app::owner_storage_key(app_id()), &owner);
    store_and_announce(&instant_storage_key(), &session);
    forget_and_announce(&sign_in_marker_key());
    wait_for_text(&app, SIGNED_IN).await;
    assert_eq!(exchange_count().await, exchanges);
    drop(app);
    reset().await;
}

/// Two tabs in view hear of the same Clerk sign-in before either's
/// sign-in marker reaches the other: the one that comes second waits for
/// the first one's exchange and takes its session.
#[wasm_bindgen_test]
async fn an_exchange_waits_for_another_tabs_under_way_and_takes_its_session() {
    let (session, owner) = a_session_to_come_from_another_tab("exchange-lock").await;
    let exchanges = exchange_count().await;
    // Another tab's exchange is under way; its marker has not come.
    hold_exchange_lock().await;
    let app = mount_app(config());
    wait_for_text(&app, "Loading…").await;
    let text = text_a_moment_later(&app).await;
    assert!(text.contains("Loading…"), "{text}");
    assert_eq!(exchange_count().await, exchanges, "exchanged beside it");

    // It stores its session and lets go; its storage events come later.
    let owner_key = clerk_instant::app::owner_storage_key(app_id());
    local_storage()
        .set_item(&instant_storage_key(), &session)
        .unwrap();
    local_storage().set_item(&owner_key, &owner).unwrap();
    release_held_lock();
    wait_for_text(&app, SIGNED_IN).await;
    text_a_moment_later(&app).await;
    assert_eq!(exchange_count().await, exchanges, "exchanged after it");
    assert_eq!(stored_instant_user(), serde_json::from_str(&session).ok());
    drop(app);
    reset().await;
}

/// Clerk switches accounts while this tab's exchange waits for another
/// tab's: once its turn comes, the exchange is for the account signed in
/// then, whose token it exchanges, and it records that account as the
/// session's owner. Recorded as the account it began for, the session
/// would pass for that account's, and the sync effect would switch again:
/// a second exchange, and the first session revoked.
#[wasm_bindgen_test]
async fn an_account_switch_while_the_exchange_waits_its_turn_exchanges_once_for_the_new_account() {
    let app = mount_signed_out().await;
    let exchanges = exchange_count().await;
    // Another tab's exchange is under way; its marker has not come.
    hold_exchange_lock().await;
    sign_in_to_clerk(&unique_email("switch-while-waiting-from")).await;
    wait_for_text(&app, "Loading…").await;
    let second = unique_email("switch-while-waiting-to");
    sign_in_to_clerk(&second).await;
    text_a_moment_later(&app).await;
    assert_eq!(exchange_count().await, exchanges, "exchanged beside it");

    // It fails, or ends with no session: this tab's turn.
    release_held_lock();
    wait_for_text(&app, SIGNED_IN).await;
    text_a_moment_later(&app).await;
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
async fn another_tabs_exchange_that_fails_or_never_ends_is_followed_by_one_here() {
    let _ = a_session_to_come_from_another_tab("other-tab-exchange-fails").await;
    let exchanges = exchange_count().await;
    another_tab_starts_an_exchange();
    let app = mount_app(config());
    wait_for_text(&app, "Loading…").await;
    // Its marker goes with no session: this tab exchanges after all.
    forget_and_announce(&sign_in_marker_key());
    wait_for_text(&app, SIGNED_IN).await;
    assert_eq!(exchange_count().await, exchanges + 1);
    drop(app);

    // A marker left by a tab closed mid-exchange counts for 20 s from when
    // it was set: this one has 3 s left. The tab waits (its own exchange
    // would replace the marker), then exchanges.
    local_storage().remove_item(&instant_storage_key()).unwrap();
    let session = clerk_session_id().unwrap_or_default();
    let set_at = js_sys::Date::now() as u64 - 17_000;
    let left_behind = format!("{set_at} {session}");
    store_and_announce(&sign_in_marker_key(), &left_behind);
    let started = js_sys::Date::now();
    let app = mount_app(config());
    wait_for_text(&app, "Loading…").await;
    text_a_moment_later(&app).await;
    assert_eq!(
        stored_sign_in_marker(),
        Some(left_behind),
        "the tab exchanged at once"
    );
    wait_for_text(&app, SIGNED_IN).await;
    // Not the 20 s a marker whose age did not count would hold the page.
    let waited = js_sys::Date::now() - started;
    assert!(waited < 15_000.0, "signed in after {waited} ms, not 3000");
    assert_eq!(exchange_count().await, exchanges + 2);
    drop(app);
    reset().await;
}

#[wasm_bindgen_test]
async fn this_tabs_exchange_holds_the_marker_while_it_runs() {
    reset().await;
    let app = mount_app(config());
    // Clerk answers the first token request with null: the exchange waits.
    clerk_withhold_tokens(1);
    sign_in_to_clerk(&unique_email("own-marker")).await;
    wait_until("the marker is set", || {
        stored_sign_in_marker().is_some_and(|marker| marker.contains(&clerk_session_id().unwrap()))
    })
    .await;
    wait_for_text(&app, SIGNED_IN).await;
    assert_eq!(stored_sign_in_marker(), None);
    drop(app);
    reset().await;
}

#[wasm_bindgen_test]
async fn another_tabs_account_switch_shows_loading_not_the_prompt() {
    let (session, owner) = a_session_to_come_from_another_tab("other-tab-switch").await;
    let owner_key = clerk_instant::app::owner_storage_key(app_id());
    local_storage().set_item(&owner_key, &owner).unwrap();
    local_storage()
        .set_item(&instant_storage_key(), &session)
        .unwrap();
    let app = mount_app(config());
    wait_for_text(&app, SIGNED_IN).await;
    let exchanges = exchange_count().await;

    // The other tab's switch as this tab sees it: its marker, then the old
    // session's end, then (same person here, for the test) the new session.
    let recorder = TextRecorder::start(&app);
    another_tab_starts_an_exchange();
    forget_and_announce(&owner_key);
    forget_and_announce(&instant_storage_key());
    wait_for_text(&app, "Loading…").await;
    store_and_announce(&owner_key, &owner);
    store_and_announce(&instant_storage_key(), &session);
    forget_and_announce(&sign_in_marker_key());
    wait_for_text(&app, SIGNED_IN).await;
    let shown = recorder.stop();
    assert!(
        !shown.iter().any(|text| text.contains(NOT_TO_INSTANT)),
        "the prompt showed during the other tab's switch: {shown:?}"
    );
    assert_eq!(exchange_count().await, exchanges);
    drop(app);
    reset().await;
}

#[wasm_bindgen_test]
async fn a_tab_in_the_background_leaves_the_exchange_to_the_tab_in_view() {
    let app = mount_signed_out().await;
    let exchanges = exchange_count().await;

    // The person signs in in another tab; this one, in the background,
    // hears of it at once but does not exchange beside that tab.
    set_page_hidden(true);
    sign_in_to_clerk(&unique_email("background-tab")).await;
    wait_for_text(&app, "Loading…").await;
    gloo_timers::future::TimeoutFuture::new(500).await;
    assert_eq!(
        exchange_count().await,
        exchanges,
        "exchanged in the background"
    );

    // That tab's exchange: its session and owner reach this one.
    let token = clerk_token(&clerk_session_id().expect("a Clerk session")).await;
    let other_tab = clerk_instant::instant::init(
        clerk_instant::instant::InstantConfig::new(app_id()).with_api_uri(api_uri()),
    );
    other_tab
        .auth()
        .sign_in_with_id_token(client_name(), &token)
        .await
        .expect("the other tab's exchange");
    let session = local_storage()
        .get_item(&instant_storage_key())
        .unwrap()
        .expect("the other tab's session");
    store_and_announce(&instant_storage_key(), &session);
    let owner = format!("\"{}\"", clerk_user_id().expect("a Clerk user"));
    store_and_announce(&clerk_instant::app::owner_storage_key(app_id()), &owner);
    wait_for_text(&app, SIGNED_IN).await;

    // In view again, it keeps that session.
    set_page_hidden(false);
    gloo_timers::future::TimeoutFuture::new(500).await;
    assert!(app.text().contains(SIGNED_IN), "{}", app.text());
    assert_eq!(exchange_count().await, exchanges + 1);
    click_button(&app, "Sign out").await;
    wait_until("signed out", || has_button(&app, "Sign in")).await;

    // With no other tab to sign in, coming into view is when it exchanges,
    // and the wait in the background is not "taking longer".
    set_page_hidden(true);
    sign_in_to_clerk(&unique_email("background-tab-alone")).await;
    wait_for_text(&app, "Loading…").await;
    gloo_timers::future::TimeoutFuture::new(5_500).await;
    assert!(!app.text().contains(SLOW), "{}", app.text());
    assert_eq!(exchange_count().await, exchanges + 1);
    let sent = delay_next_fetch_to("/runtime/oauth/id_token", 1_000);
    set_page_hidden(false);
    wasm_bindgen_futures::JsFuture::from(sent).await.unwrap();
    let text = app.text();
    assert!(text.contains("Loading…") && !text.contains(SLOW), "{text}");
    wait_for_text(&app, SIGNED_IN).await;
    assert_eq!(exchange_count().await, exchanges + 2);

    // An account switch made in another tab waits for the view too.
    set_page_hidden(true);
    let next = unique_email("background-tab-switch");
    sign_in_to_clerk(&next).await;
    gloo_timers::future::TimeoutFuture::new(500).await;
    assert_eq!(
        exchange_count().await,
        exchanges + 2,
        "switched in the background"
    );
    set_page_hidden(false);
    wait_for_text(&app, &next).await;
    wait_for_text(&app, SIGNED_IN).await;
    assert_eq!(exchange_count().await, exchanges + 3);
    click_button(&app, "Sign out").await;
    wait_until("signed out", || has_button(&app, "Sign in")).await;
    drop(app);
}
