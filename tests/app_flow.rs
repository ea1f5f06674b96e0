#![cfg(target_arch = "wasm32")]
//! The app in headless Chromium against the running emulator: sign-in,
//! the stored session after a remount, `/account`, sign-out, account
//! switch, sign-out elsewhere and in another tab, and a token without the
//! email claim.

mod app_support;
mod fetch_support;

use app_support::*;
use fetch_support::{delay_next_fetch_to, fail_next_fetch_to};
use wasm_bindgen::JsCast as _;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const SIGNED_IN: &str = "Signed in with Instant through Clerk!";
/// What "Loading…" adds once it has lasted 5 s.
const SLOW: &str = "Clerk or Instant is taking longer than usual to answer.";

fn refresh_token_of_stored_session() -> String {
    stored_instant_user().expect("a stored Instant session")["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_owned()
}

#[wasm_bindgen_test]
async fn first_sign_in_creates_the_instant_user_and_a_remount_reuses_it() {
    reset().await;
    let email = unique_email("first-sign-in");
    assert_eq!(admin_user_by_email(&email).await, None);

    let app = mount_app(config());
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    // What changes in the status area is read out by screen readers.
    let status_region = app.root.query_selector(".status-region").unwrap();
    assert_eq!(
        status_region.and_then(|region| region.get_attribute("aria-live")),
        Some("polite".to_owned())
    );
    let exchanges_before = exchange_count().await;
    sign_in_to_clerk(&email).await;
    wait_for_text(&app, SIGNED_IN).await;
    assert!(app.text().contains(&email), "{}", app.text());

    // Instant created the user, and the page holds its session.
    let created = admin_user_by_email(&email)
        .await
        .expect("Instant created the user");
    let stored = stored_instant_user().expect("the session is stored");
    assert_eq!(created["id"], stored["id"]);
    assert_eq!(exchange_count().await, exchanges_before + 1);
    assert_eq!(stored_owner(), clerk_user_id());

    // A reload: the same Clerk user, the stored session, no exchange.
    drop(app);
    let app = mount_app(config());
    wait_for_text(&app, SIGNED_IN).await;

    // The account page shows both ids. It shows only once nothing is in
    // flight, so an exchange started by the remount would be counted by now.
    click_link(&app, "Account").await;
    wait_for_text(&app, "Instant user id").await;
    assert_eq!(path(), "/account");
    assert_eq!(current_nav_link(&app).as_deref(), Some("Account"));
    assert_eq!(page_document().title(), "Account · Clerk → Instant");
    let text = app.text();
    assert!(text.contains(created["id"].as_str().unwrap()), "{text}");
    assert!(text.contains(&email), "{text}");
    assert!(text.contains(&clerk_user_id().unwrap()), "{text}");
    assert!(text.contains("Created"), "{text}");
    // When, in the person's own words and time zone: what the browser's
    // `toLocaleString()` says, not a UTC date.
    let time = app
        .root
        .query_selector(".instant-created time")
        .unwrap()
        .expect("the creation time");
    let raw = time.get_attribute("datetime").unwrap();
    let date = match raw.parse::<f64>() {
        Ok(millis) => js_sys::Date::new(&millis.into()),
        Err(_) => js_sys::Date::new(&raw.as_str().into()),
    };
    let to_locale_string: js_sys::Function = js_sys::Reflect::get(&date, &"toLocaleString".into())
        .unwrap()
        .into();
    assert_eq!(
        time.text_content(),
        to_locale_string.call0(&date).unwrap().as_string()
    );
    assert_eq!(
        exchange_count().await,
        exchanges_before + 1,
        "a remount with the same Clerk user must not exchange again"
    );
    assert_eq!(stored_instant_user().unwrap()["id"], created["id"]);

    // Sign out from the home page: both sessions end.
    click_link(&app, "Home").await;
    wait_for_text(&app, SIGNED_IN).await;
    assert_eq!(current_nav_link(&app).as_deref(), Some("Home"));
    let refresh_token = refresh_token_of_stored_session();
    assert!(refresh_token_verifies(&refresh_token).await);
    let signouts_before = signout_count().await;
    focus_and_click_button(&app, "Sign out").await;
    // Clerk's sign-out is a request away (the click's effects have run, no
    // answer can have come): meanwhile the page and the header say so.
    assert!(app.text().contains("Signing out…"), "{}", app.text());
    assert!(
        header_summary(&app).ends_with("Instant: signing out…"),
        "{}",
        header_summary(&app)
    );
    wait_until("Clerk is signed out", || clerk_user_id().is_none()).await;
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    assert_eq!(stored_instant_user(), None);
    assert_eq!(stored_owner(), None);
    wait_until_revoked(&refresh_token).await;
    assert_eq!(signout_count().await, signouts_before + 1);
    // The Sign out button is gone; a keyboard user carries on from the
    // status area, not from the top of the page.
    wait_until("focus is on the status area", || {
        focus_is_in_status_region(&app)
    })
    .await;
    drop(app);
}

#[wasm_bindgen_test]
async fn a_sign_in_that_did_not_come_through_this_page_leaves_focus_alone() {
    reset().await;
    let app = mount_app(config());
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    // Nothing focused yet, as on a page a person has only been reading.
    if let Some(active) = page_document().active_element() {
        let _ = active.unchecked_into::<web_sys::HtmlElement>().blur();
    }
    // Another tab's sign-in, as Clerk reports it here.
    sign_in_to_clerk(&unique_email("focus-left-alone")).await;
    wait_for_text(&app, SIGNED_IN).await;
    text_a_moment_later(&app).await;
    let body = page_document().body().expect("a body");
    assert_eq!(
        page_document().active_element(),
        Some(body.into()),
        "focus moved without a click here"
    );
    drop(app);
    reset().await;
}

/// Signs in to both, ends the Instant session on the server (as another
/// device's sign-out does; the Clerk session stays) and remounts the app:
/// returns the app, the ended refresh token and the exchange count before
/// the remount.
async fn remount_after_the_session_ended_elsewhere(label: &str) -> (Mounted, String, u64) {
    reset().await;
    let app = mount_app(config());
    sign_in_to_clerk(&unique_email(label)).await;
    wait_for_text(&app, SIGNED_IN).await;
    let ended = refresh_token_of_stored_session();
    drop(app);

    sign_out_elsewhere(&ended).await;
    let exchanges_before = exchange_count().await;
    let app = mount_app(config());
    wait_for_text(&app, "Your Instant session has ended").await;
    (app, ended, exchanges_before)
}

/// The account page, sent home because its session had ended (still
/// signed in to Clerk), comes back once the person has signed in again: the
/// page they were on, as after a sign-in it sent them home for.
#[wasm_bindgen_test]
async fn the_account_page_sent_home_by_an_ended_session_comes_back_after_sign_in_again() {
    reset().await;
    let app = mount_app(config());
    sign_in_to_clerk(&unique_email("account-ended")).await;
    wait_for_text(&app, SIGNED_IN).await;
    let ended = refresh_token_of_stored_session();
    drop(app);
    sign_out_elsewhere(&ended).await;

    go_to("/account");
    let app = mount_app(config());
    wait_for_text(&app, "Your Instant session has ended").await;
    assert_eq!(path(), "/");
    click_button(&app, "Sign in again").await;
    wait_for_text(&app, "Instant user id").await;
    assert_eq!(path(), "/account");

    click_link(&app, "Home").await;
    click_button(&app, "Sign out").await;
    wait_until("signed out", || has_button(&app, "Sign in")).await;
    drop(app);
}

#[wasm_bindgen_test]
async fn a_session_ended_elsewhere_says_so_and_signs_in_afresh_on_request() {
    let (app, ended, exchanges_before) =
        remount_after_the_session_ended_elsewhere("ended-elsewhere").await;
    let text = app.text();
    assert!(text.contains("Sign in again."), "{text}");
    assert!(text.contains("Signed out of Instant."), "{text}");
    // Nothing was being signed in to.
    assert!(!text.contains("Error signing in"), "{text}");
    assert!(!text.contains(SIGNED_IN), "{text}");
    assert_eq!(stored_instant_user(), None, "the ended session is cleared");
    assert_eq!(
        exchange_count().await,
        exchanges_before,
        "no exchange until the person asks"
    );

    click_button(&app, "Sign in again").await;
    wait_for_text(&app, SIGNED_IN).await;
    let fresh = refresh_token_of_stored_session();
    assert_ne!(fresh, ended);
    assert!(refresh_token_verifies(&fresh).await);
    assert_eq!(exchange_count().await, exchanges_before + 1);

    click_button(&app, "Sign out").await;
    wait_until("signed out", || has_button(&app, "Sign in")).await;
    drop(app);
}

#[wasm_bindgen_test]
async fn a_clerk_sign_out_after_an_ended_session_leaves_nothing_behind() {
    let (app, _, _) = remount_after_the_session_ended_elsewhere("ended-then-out").await;
    assert!(stored_owner().is_some());

    sign_out_of_clerk().await;
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    wait_until("whose session it was is forgotten", || {
        stored_owner().is_none()
    })
    .await;
    assert!(!app.text().contains("has ended"), "{}", app.text());
    drop(app);
}

#[wasm_bindgen_test]
async fn account_switch_ends_the_old_session_and_exchanges_afresh() {
    reset().await;
    let first = unique_email("switch-from");
    let second = unique_email("switch-to");
    let app = mount_app(config());
    sign_in_to_clerk(&first).await;
    wait_for_text(&app, SIGNED_IN).await;
    wait_for_text(&app, &first).await;
    let first_refresh_token = refresh_token_of_stored_session();
    let first_clerk_user = clerk_user_id().unwrap();

    sign_in_to_clerk(&second).await;
    wait_for_text(&app, &second).await;
    wait_for_text(&app, SIGNED_IN).await;

    let stored = stored_instant_user().unwrap();
    assert_eq!(stored["email"].as_str(), Some(second.as_str()));
    let second_clerk_user = clerk_user_id().unwrap();
    assert_ne!(first_clerk_user, second_clerk_user);
    assert_eq!(stored_owner(), Some(second_clerk_user));
    // The first account's Instant session ends on the switch.
    wait_until_revoked(&first_refresh_token).await;
    let second_user = admin_user_by_email(&second).await.unwrap();
    assert_eq!(stored["id"], second_user["id"]);

    click_button(&app, "Sign out").await;
    wait_until("signed out", || has_button(&app, "Sign in")).await;
    drop(app);
}

#[wasm_bindgen_test]
async fn a_switch_to_another_account_replaces_the_previous_accounts_error() {
    reset().await;
    set_email_claim(false).await;
    let app = mount_app(config());
    sign_in_to_clerk(&unique_email("refused-account")).await;
    wait_for_text(&app, "The id_token had no email.").await;
    set_email_claim(true).await;
    let exchanges = exchange_count().await;

    // Clerk goes straight to another account (the signed-in part stays):
    // its exchange starts without a Retry.
    let second = unique_email("next-account");
    sign_in_to_clerk(&second).await;
    wait_for_text(&app, SIGNED_IN).await;
    let text = app.text();
    assert!(text.contains(&second), "{text}");
    assert!(!text.contains("Error"), "{text}");
    assert_eq!(exchange_count().await, exchanges + 1);
    assert_eq!(stored_owner(), clerk_user_id());
    click_button(&app, "Sign out").await;
    wait_until("signed out", || has_button(&app, "Sign in")).await;
    drop(app);
}

#[wasm_bindgen_test]
async fn a_switch_to_another_account_after_a_half_finished_sign_out_signs_it_in() {
    reset().await;
    let app = mount_app(config());
    sign_in_to_clerk(&unique_email("half-signed-out")).await;
    wait_for_text(&app, SIGNED_IN).await;
    clerk_fail_next_sign_out("Network error: Failed to fetch");
    click_button(&app, "Sign out").await;
    wait_for_text(&app, "You are signed out of Instant, but not of Clerk.").await;

    let second = unique_email("after-half-sign-out");
    sign_in_to_clerk(&second).await;
    wait_for_text(&app, SIGNED_IN).await;
    let text = app.text();
    assert!(text.contains(&second), "{text}");
    assert!(!text.contains("but not of Clerk"), "{text}");
    assert_eq!(stored_owner(), clerk_user_id());
    click_button(&app, "Sign out").await;
    wait_until("signed out", || has_button(&app, "Sign in")).await;
    drop(app);
}

#[wasm_bindgen_test]
async fn an_account_switch_marks_its_exchange_before_it_ends_the_old_session() {
    reset().await;
    let app = mount_app(config());
    sign_in_to_clerk(&unique_email("switch-order-from")).await;
    wait_for_text(&app, SIGNED_IN).await;

    let writes = StorageWrites::start();
    let second = unique_email("switch-order-to");
    sign_in_to_clerk(&second).await;
    wait_for_text(&app, &second).await;
    wait_for_text(&app, SIGNED_IN).await;
    let writes = writes.stop();
    // Other tabs read the marker first, and wait, instead of answering the
    // old session's end with a "Sign in to Instant".
    assert_written_in_order(
        &writes,
        &format!("set {}", sign_in_marker_key()),
        &format!("remove {}", instant_storage_key()),
    );
    click_button(&app, "Sign out").await;
    wait_until("signed out", || has_button(&app, "Sign in")).await;
    drop(app);
}

#[wasm_bindgen_test]
async fn a_switch_back_after_a_failed_sign_in_is_not_taken_for_a_session_on_its_way() {
    reset().await;
    let first = unique_email("owner-left-behind");
    let app = mount_app(config());
    sign_in_to_clerk(&first).await;
    wait_for_text(&app, SIGNED_IN).await;
    // Instant's session goes (another tab, say), then Clerk's: the stored
    // owner is the only thing left of it.
    forget_and_announce(&instant_storage_key());
    wait_for_text(&app, NOT_TO_INSTANT).await;
    sign_out_of_clerk().await;
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;

    // Another account's sign-in fails, then Clerk goes straight back to
    // the first account: its exchange must start, not wait for a session
    // the old owner seemed to promise.
    set_email_claim(false).await;
    sign_in_to_clerk(&unique_email("owner-left-behind-other")).await;
    wait_for_text(&app, "The id_token had no email.").await;
    set_email_claim(true).await;
    sign_in_to_clerk(&first).await;
    wait_for_text(&app, SIGNED_IN).await;
    assert!(app.text().contains(&first), "{}", app.text());
    click_button(&app, "Sign out").await;
    wait_until("signed out", || has_button(&app, "Sign in")).await;
    drop(app);
}

#[wasm_bindgen_test]
async fn a_clerk_sign_out_elsewhere_ends_the_instant_session() {
    reset().await;
    let app = mount_app(config());
    sign_in_to_clerk(&unique_email("elsewhere")).await;
    wait_for_text(&app, SIGNED_IN).await;
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
    reset().await;
    let app = mount_app(config());
    sign_in_to_clerk(&unique_email("other-tab")).await;
    wait_for_text(&app, SIGNED_IN).await;

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
    reset().await;
    let app = mount_app(config());
    sign_in_to_clerk(&unique_email("ended-elsewhere")).await;
    wait_for_text(&app, SIGNED_IN).await;
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

const NOT_TO_INSTANT: &str = "You are signed in to Clerk but not to Instant.";

/// Fills this origin's localStorage until it refuses more, under keys
/// that start with [`STORAGE_FILLER`]; [`forget_storage_filler`] (and
/// `reset`, after a failed test) empties it again.
fn fill_storage() {
    let storage = local_storage();
    for size in [256 * 1024, 16 * 1024, 1024, 64, 1] {
        let piece = "x".repeat(size);
        for i in 0.. {
            if storage
                .set_item(&format!("{STORAGE_FILLER}{size}-{i}"), &piece)
                .is_err()
            {
                break;
            }
            assert!(i < 400, "localStorage took {i} pieces without refusing");
        }
    }
}

#[wasm_bindgen_test]
async fn with_storage_full_a_new_clerk_session_for_the_same_user_keeps_the_instant_one() {
    reset().await;
    let app = mount_app(config());
    let email = unique_email("storage-full");
    sign_in_to_clerk(&email).await;
    wait_for_text(&app, SIGNED_IN).await;
    // Another tab signed out of Instant (only), as its sync would.
    forget_and_announce(&clerk_instant::app::owner_storage_key(app_id()));
    forget_and_announce(&instant_storage_key());
    wait_for_text(&app, NOT_TO_INSTANT).await;

    // Storage refuses the session and its owner: both stay in this page.
    fill_storage();
    click_button(&app, "Sign in to Instant").await;
    wait_for_text(&app, SIGNED_IN).await;
    assert_eq!(stored_owner(), None, "storage was to refuse the owner");
    let exchanges = exchange_count().await;
    let instant_user = app.text();

    // Clerk, with room again, starts a new session for the same person:
    // still the same Instant session, with no new exchange.
    forget_storage_filler();
    let before = clerk_session_id();
    sign_in_to_clerk(&email).await;
    assert_ne!(clerk_session_id(), before, "a new Clerk session");
    let text = text_a_moment_later(&app).await;
    assert_eq!(text, instant_user);
    assert_eq!(
        exchange_count().await,
        exchanges,
        "no exchange for the same person"
    );
    drop(app);
    reset().await;
}

/// Signs in to both; then another tab signs out of Instant only (this one
/// offers to sign in), this tab's "Sign in to Instant" waits for a token
/// Clerk withholds (both times it asks, 300 ms apart), and once it has
/// asked the first time (an exchange that had not yet would find that
/// session and take it), the other tab signs in again. Returns the app,
/// with that exchange still under way, and the exchange count from before
/// it.
async fn another_tabs_session_during_a_tokenless_exchange(label: &str) -> (Mounted, u64) {
    reset().await;
    let app = mount_app(config());
    sign_in_to_clerk(&unique_email(label)).await;
    wait_for_text(&app, SIGNED_IN).await;
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
async fn a_sign_in_that_hangs_offers_a_sign_out() {
    reset().await;
    let app = mount_app(config());
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    let exchanges = exchange_count().await;
    // Clerk never answers the exchange's token request: without a way out
    // the page would say "Loading…" until Clerk's call times out.
    clerk_stall_next("getToken");
    sign_in_to_clerk(&unique_email("hanging-token")).await;
    wait_for_text(&app, "Loading…").await;
    assert!(!has_button(&app, "Sign out"), "{}", app.text());
    wait_for_text(&app, "taking longer than usual").await;
    assert!(app.text().contains("Loading…"), "{}", app.text());

    let writes = StorageWrites::start();
    focus_and_click_button(&app, "Sign out").await;
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    assert!(focus_is_in_status_region(&app));
    assert!(!app.text().contains("Error"), "{}", app.text());
    assert_eq!(clerk_user_id(), None);
    assert_eq!(stored_instant_user(), None);
    assert_eq!(exchange_count().await, exchanges);
    // The exchange it cut short no longer holds other tabs up, though
    // Clerk's token call has not returned; and a tab waiting for it saw the
    // Sign out begin before the exchange's end (else it would exchange).
    assert_eq!(stored_sign_in_marker(), None);
    let writes = writes.stop();
    assert_written_in_order(
        &writes,
        &format!("set {}", sign_out_marker_key()),
        &format!("remove {}", sign_in_marker_key()),
    );
    // Nor does its exchange lock: the next sign-in, here or in another
    // tab, does not wait for Clerk's time limit (15 s) on that call.
    let mut lock_held = true;
    for _ in 0..40 {
        lock_held = exchange_lock_is_held().await;
        if !lock_held {
            break;
        }
        gloo_timers::future::TimeoutFuture::new(25).await;
    }
    assert!(!lock_held, "the exchange cut short still holds the lock");
    let signed_in_again = js_sys::Date::now();
    sign_in_to_clerk(&unique_email("hanging-token-again")).await;
    wait_for_text(&app, SIGNED_IN).await;
    let waited = js_sys::Date::now() - signed_in_again;
    assert!(waited < 5_000.0, "signed in again after {waited} ms");
    assert_eq!(exchange_count().await, exchanges + 1);
    click_button(&app, "Sign out").await;
    wait_until("signed out", || has_button(&app, "Sign in")).await;
    drop(app);
}

#[wasm_bindgen_test]
async fn a_sign_out_that_hangs_in_clerk_says_so() {
    reset().await;
    let app = mount_app(config());
    sign_in_to_clerk(&unique_email("hanging-sign-out")).await;
    wait_for_text(&app, SIGNED_IN).await;
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
    reset().await;
    let app = mount_app(config());
    sign_in_to_clerk(&unique_email("sign-out-stands")).await;
    wait_for_text(&app, SIGNED_IN).await;
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
    // The account page, its redirect, and an exchange would have started
    // and ended by then.
    gloo_timers::future::TimeoutFuture::new(500).await;
    assert_eq!(path(), "/");
    let shown = recorder.stop();
    assert!(
        shown
            .iter()
            .any(|text| text.contains("going to the home page")),
        "the account page did not show: {shown:?}"
    );
    assert!(app.text().contains("but not of Clerk"), "{}", app.text());
    assert_eq!(exchange_count().await, exchanges);

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
    reset().await;
    let app = mount_app(config());
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    let exchanges = exchange_count().await;
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
    let start = js_sys::Date::now();
    sign_in_to_clerk(&second).await;
    // Not held up until the stalled call's time limit (15 s from its start,
    // which was at least 5 s ago).
    while !app.text().contains(SIGNED_IN) {
        assert!(
            js_sys::Date::now() - start < 5_000.0,
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

/// A page whose stored session was ended on another device, loaded with
/// its session check failing (offline, or Instant down): still signed in.
async fn session_ended_elsewhere_then_its_check_failed(name: &str) -> Mounted {
    reset().await;
    let app = mount_app(config());
    sign_in_to_clerk(&unique_email(name)).await;
    wait_for_text(&app, SIGNED_IN).await;
    let refresh_token = refresh_token_of_stored_session();
    drop(app);
    sign_out_elsewhere(&refresh_token).await;
    fail_next_fetch_to("/runtime/auth/verify_refresh_token");
    let app = mount_app(config());
    wait_for_text(&app, SIGNED_IN).await;
    gloo_timers::future::TimeoutFuture::new(300).await;
    assert!(app.text().contains(SIGNED_IN), "{}", app.text());
    app
}

#[wasm_bindgen_test]
async fn a_session_check_made_offline_is_made_again_once_back_online() {
    let app = session_ended_elsewhere_then_its_check_failed("checked-once-online").await;

    page_window()
        .dispatch_event(&web_sys::Event::new("online").unwrap())
        .unwrap();
    wait_for_text(&app, "Signed out of Instant.").await;
    assert_eq!(stored_instant_user(), None);
    drop(app);
    reset().await;
}

/// The browser's `online` event does not come when only Instant was down:
/// a check that could not get through is made again a while later (10 s).
#[wasm_bindgen_test]
async fn a_session_check_that_could_not_get_through_is_made_again_later() {
    let app = session_ended_elsewhere_then_its_check_failed("checked-again-later").await;

    wait_for_text(&app, "Signed out of Instant.").await;
    assert_eq!(stored_instant_user(), None);
    drop(app);
    reset().await;
}

#[wasm_bindgen_test]
async fn another_tabs_sign_out_while_the_exchange_is_on_its_way_ends_its_session() {
    reset().await;
    let app = mount_app(config());
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
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
    reset().await;
    let app = mount_app(config());
    sign_in_to_clerk(&unique_email("old-sign-out-failure")).await;
    wait_for_text(&app, SIGNED_IN).await;
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
    reset().await;
    let app = mount_app(config());
    sign_in_to_clerk(&unique_email("gone-mid-sign-out")).await;
    wait_for_text(&app, SIGNED_IN).await;
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
    let waited = js_sys::Date::now() - started;
    assert!(waited < 5_000.0, "signing in… for {waited} ms");
    assert_eq!(stored_sign_in_marker(), None);
    drop(app);
    reset().await;
}

/// The sign-in marker in storage, if any.
fn stored_sign_in_marker() -> Option<String> {
    local_storage().get_item(&sign_in_marker_key()).unwrap()
}

/// Checks that `writes` (from [`StorageWrites`]) hold `first`, then `then`.
fn assert_written_in_order(writes: &[String], first: &str, then: &str) {
    let position = |write: &str| writes.iter().position(|seen| seen == write);
    let (first_at, then_at) = (position(first), position(then));
    assert!(
        first_at.is_some() && then_at.is_some() && first_at < then_at,
        "{first:?} not before {then:?}: {writes:?}"
    );
}

/// Signs in to both (as `label`), then takes the Instant session and its
/// owner out of storage, as they were before the exchange: returns them,
/// for a test to store as another tab's exchange would.
async fn a_session_to_come_from_another_tab(label: &str) -> (String, String) {
    reset().await;
    let app = mount_app(config());
    sign_in_to_clerk(&unique_email(label)).await;
    wait_for_text(&app, SIGNED_IN).await;
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
    reset().await;
    let app = mount_app(config());
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
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
    assert!(waited < 8_000.0, "signed in after {waited} ms, not 3000");
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
    reset().await;
    let app = mount_app(config());
    sign_in_to_clerk(&unique_email("other-tab-signing-out")).await;
    wait_for_text(&app, SIGNED_IN).await;
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
    reset().await;
    let app = mount_app(config());
    sign_in_to_clerk(&unique_email("other-tab-clerk-stays")).await;
    wait_for_text(&app, SIGNED_IN).await;
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
    // It had 1 s left. The bound is far from both that and the 20 s a
    // marker whose age did not count would hold the page.
    let waited = js_sys::Date::now() - started;
    assert!(
        waited < 6_000.0,
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
    reset().await;
    let app = mount_app(config());
    sign_in_to_clerk(&unique_email("account-other-tab")).await;
    wait_for_text(&app, SIGNED_IN).await;
    click_link(&app, "Account").await;
    wait_for_text(&app, "Instant user id").await;

    another_tab_signs_out_of_instant(0);
    wait_for_text(&app, "Signing out…").await;
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

#[wasm_bindgen_test]
async fn a_token_without_the_email_claim_explains_how_to_add_it() {
    reset().await;
    set_email_claim(false).await;
    let app = mount_app(config());
    let email = unique_email("no-email-claim");
    sign_in_to_clerk(&email).await;
    // Instant refuses such a token, in its own words; the page says why
    // and where the claim is added.
    wait_for_text(&app, "Error signing in to Instant!").await;
    wait_for_text(&app, "The id_token had no email.").await;
    let text = app.text();
    assert!(text.contains("Customize session token"), "{text}");
    assert!(text.contains("Sessions"), "{text}");
    assert!(
        text.contains(r#"{"email": "{{user.primary_email_address}}"}"#),
        "{text}"
    );
    // And where the emulator's switch for it is.
    assert!(
        text.contains("has a button that turns the claim on"),
        "{text}"
    );
    assert_eq!(stored_instant_user(), None);
    assert_eq!(admin_user_by_email(&email).await, None, "no user was made");

    // Once the claim is added, Retry works at once: it asks Clerk for a
    // fresh token, not the one Clerk keeps for up to a minute.
    set_email_claim(true).await;
    click_button(&app, "Retry").await;
    wait_for_text(&app, SIGNED_IN).await;
    assert!(app.text().contains(&email), "{}", app.text());
    click_button(&app, "Sign out").await;
    wait_until("signed out", || has_button(&app, "Sign in")).await;
    drop(app);
}

/// The app's own stylesheet, which the test page does not load, while this
/// lives. (A failed test does not drop it: wasm does not unwind. The
/// tests after it then run with the stylesheet, which changes no text.)
struct AppStylesheet(web_sys::Element);

impl AppStylesheet {
    fn add() -> Self {
        let style = page_document().create_element("style").unwrap();
        style.set_text_content(Some(include_str!("../style/main.css")));
        page_document()
            .head()
            .unwrap()
            .append_child(&style)
            .unwrap();
        Self(style)
    }
}

impl Drop for AppStylesheet {
    fn drop(&mut self) {
        self.0.remove();
    }
}

#[wasm_bindgen_test]
async fn a_long_email_wraps_on_a_narrow_screen() {
    reset().await;
    let _style = AppStylesheet::add();
    let app = mount_app(config());
    app.root.set_attribute("style", "width: 360px").unwrap();
    let email = unique_email("a.very.long.email.address.for.the.header.to.wrap");
    sign_in_to_clerk(&email).await;
    wait_for_text(&app, SIGNED_IN).await;
    assert!(header_summary(&app).contains(&email));
    for part in [".site-header", ".site-main"] {
        let element = app.root.query_selector(part).unwrap().unwrap();
        assert!(
            element.scroll_width() <= element.client_width(),
            "{part} is {} px wide inside {} px: the page scrolls sideways",
            element.scroll_width(),
            element.client_width()
        );
    }
    click_button(&app, "Sign out").await;
    wait_until("signed out", || has_button(&app, "Sign in")).await;
    drop(app);
}

#[wasm_bindgen_test]
async fn an_error_with_a_long_url_wraps_on_a_narrow_screen() {
    reset().await;
    let _style = AppStylesheet::add();
    let app = mount_app(config());
    app.root.set_attribute("style", "width: 360px").unwrap();
    sign_in_to_clerk(&unique_email("long-url-error")).await;
    wait_for_text(&app, SIGNED_IN).await;
    // As clerk-js words a request that did not get through.
    clerk_fail_next_sign_out(
        "Network error at \"https://clerk.example.com/v1/client/sessions/\
         sess_2xVbN7q0ZyJcK4uWm9tR3eLp1Hd/end?__clerk_api_version=2025-11-10\
         &_clerk_js_version=6.1.0\"",
    );
    click_button(&app, "Sign out").await;
    wait_for_text(&app, "but not of Clerk").await;
    let main = app.root.query_selector(".site-main").unwrap().unwrap();
    assert!(
        main.scroll_width() <= main.client_width(),
        "the page is {} px wide inside {} px: it scrolls sideways",
        main.scroll_width(),
        main.client_width()
    );
    click_button(&app, "Sign out of Clerk").await;
    wait_until("signed out", || has_button(&app, "Sign in")).await;
    drop(app);
}

#[wasm_bindgen_test]
async fn a_link_that_leaves_with_its_page_hands_focus_to_the_new_pages_heading() {
    reset().await;
    let app = mount_app(config());
    sign_in_to_clerk(&unique_email("focus-on-navigation")).await;
    wait_for_text(&app, SIGNED_IN).await;
    // The signed-in panel's Account link (as Tab and Enter would use it),
    // which goes with the home page.
    let link = find(&app.root, ".panel a", "Account").expect("the panel's Account link");
    link.unchecked_ref::<web_sys::HtmlElement>()
        .focus()
        .unwrap();
    link.unchecked_ref::<web_sys::HtmlElement>().click();
    wait_for_text(&app, "Instant user id").await;
    let focused = || {
        page_document()
            .active_element()
            .map(|element| element.id())
            .unwrap_or_default()
    };
    wait_until("focus is on the account page's heading", || {
        focused() == "account-title"
    })
    .await;

    // A link that stays (the header's) keeps focus.
    let home = find(&app.root, "nav a", "Home").expect("the header's Home link");
    home.unchecked_ref::<web_sys::HtmlElement>()
        .focus()
        .unwrap();
    home.unchecked_ref::<web_sys::HtmlElement>().click();
    wait_for_text(&app, SIGNED_IN).await;
    gloo_timers::future::TimeoutFuture::new(50).await;
    assert_eq!(
        page_document().active_element().as_ref(),
        Some(home.unchecked_ref::<web_sys::Element>())
    );
    click_button(&app, "Sign out").await;
    wait_until("signed out", || has_button(&app, "Sign in")).await;
    drop(app);
}

#[wasm_bindgen_test]
async fn a_link_to_the_account_page_signed_in_to_clerk_alone_signs_in_there() {
    reset().await;
    let app = mount_app(config());
    sign_in_to_clerk(&unique_email("deep-link")).await;
    wait_for_text(&app, SIGNED_IN).await;
    drop(app);
    // Signed in to Clerk, with no Instant session in this browser (storage
    // cleared, say), the person opens a link to /account.
    local_storage().remove_item(&instant_storage_key()).unwrap();
    local_storage()
        .remove_item(&clerk_instant::app::owner_storage_key(app_id()))
        .unwrap();
    let exchanges = exchange_count().await;
    go_to("/account");
    let app = mount_app(config());
    wait_for_text(&app, "Instant user id").await;
    assert_eq!(path(), "/account");
    assert_eq!(exchange_count().await, exchanges + 1);
    click_link(&app, "Home").await;
    click_button(&app, "Sign out").await;
    wait_until("signed out", || has_button(&app, "Sign in")).await;
    drop(app);
}

#[wasm_bindgen_test]
async fn a_tab_in_the_background_leaves_the_exchange_to_the_tab_in_view() {
    reset().await;
    let app = mount_app(config());
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
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

#[wasm_bindgen_test]
async fn a_slow_loading_begun_in_view_keeps_saying_so_when_the_tab_comes_back() {
    reset().await;
    let app = mount_app(config());
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    clerk_stall_next("getToken");
    sign_in_to_clerk(&unique_email("slow-in-view")).await;
    wait_for_text(&app, SLOW).await;
    set_page_hidden(true);
    set_page_hidden(false);
    leptos::task::tick().await;
    assert!(app.text().contains(SLOW), "{}", app.text());
    click_button(&app, "Sign out").await;
    wait_until("signed out", || has_button(&app, "Sign in")).await;
    drop(app);
}

#[wasm_bindgen_test]
async fn account_redirects_home_when_signed_out() {
    reset().await;
    go_to("/account");
    let app = mount_app(config());
    wait_until("the app went to /", || path() == "/").await;
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    assert!(!app.text().contains("Instant user id"));
    // It says why the person is here, until they go on from here.
    assert!(
        app.text()
            .contains("Sign in with Clerk to see your account."),
        "{}",
        app.text()
    );
    // Signed in, the person is taken to the account page after all; back
    // home, a later sign-out is the usual one.
    sign_in_to_clerk(&unique_email("sent-home-signs-in")).await;
    wait_for_text(&app, "Instant user id").await;
    assert_eq!(path(), "/account");
    click_link(&app, "Home").await;
    wait_for_text(&app, SIGNED_IN).await;
    click_button(&app, "Sign out").await;
    wait_for_text(&app, "Sign in with Clerk to start an Instant session.").await;
    drop(app);
    // Sent home while signed in to Clerk (the error or prompt there says
    // why), the person is not asked to sign in.
    set_email_claim(false).await;
    sign_in_to_clerk(&unique_email("sent-home-signed-in")).await;
    go_to("/account");
    let app = mount_app(config());
    wait_for_text(&app, "The id_token had no email.").await;
    assert_eq!(path(), "/");
    set_email_claim(true).await;
    click_button(&app, "Sign out").await;
    wait_for_text(&app, "Sign in with Clerk to start an Instant session.").await;
    drop(app);
}

#[wasm_bindgen_test]
async fn an_unknown_path_says_so_and_links_home() {
    reset().await;
    go_to("/no-such-page");
    let app = mount_app(config());
    wait_for_text(&app, "Page not found").await;
    assert_eq!(page_document().title(), "Page not found · Clerk → Instant");
    assert!(!has_button(&app, "Sign in"), "{}", app.text());
    click_link(&app, "Go to the home page").await;
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    assert_eq!(path(), "/");
    assert_eq!(page_document().title(), "Clerk → Instant");
    assert!(!app.text().contains("Page not found"));
    assert_eq!(current_nav_link(&app).as_deref(), Some("Home"));
    drop(app);
}

#[wasm_bindgen_test]
async fn index_html_is_the_home_page() {
    reset().await;
    go_to("/index.html?from=host#top");
    let app = mount_app(config());
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    assert!(!app.text().contains("Page not found"));
    assert_eq!(path(), "/");
    let location = page_window().location();
    assert_eq!(location.search().unwrap(), "?from=host");
    assert_eq!(location.hash().unwrap(), "#top");
    assert_eq!(current_nav_link(&app).as_deref(), Some("Home"));
    drop(app);
}

/// `/account/` is the account page, and the header marks its link as the
/// page shown, as at `/account`.
#[wasm_bindgen_test]
async fn a_trailing_slash_marks_the_same_nav_link() {
    reset().await;
    let app = mount_app(config());
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    sign_in_to_clerk(&unique_email("trailing-slash")).await;
    wait_for_text(&app, SIGNED_IN).await;
    drop(app);
    go_to("/account/");
    let app = mount_app(config());
    wait_for_text(&app, "Instant user id").await;
    assert_eq!(current_nav_link(&app).as_deref(), Some("Account"));
    drop(app);
}

#[wasm_bindgen_test]
async fn a_trailing_slash_is_the_same_page() {
    reset().await;
    go_to("/account/");
    let app = mount_app(config());
    // The account page, which sends a signed-out person home.
    wait_until("the app went to /", || path() == "/").await;
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    assert!(!app.text().contains("Page not found"));
    drop(app);
}
