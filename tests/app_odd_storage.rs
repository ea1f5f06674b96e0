#![cfg(target_arch = "wasm32")]
//! The app's own localStorage keys (the session's owner, the cross-tab
//! markers) changed by someone else at odd moments: another tab, a browser
//! extension, a person in the developer tools. What they write may be
//! garbage, empty or long, or a key may go while the page shows what it
//! stood for. The page never stays on "Loading…" because of it, and no
//! session is lost.

mod app_support;

use app_support::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn owner_key() -> String {
    clerk_instant::app::owner_storage_key(app_id())
}

/// Odd values of a marker, naming `session` where a marker names one: only
/// what is odd about them may keep them from counting (a marker of another
/// Clerk session would be left alone however it read).
fn odd_markers(session: &str) -> Vec<String> {
    vec![
        String::new(),
        " ".to_owned(),
        "garbage".to_owned(),
        session.to_owned(),
        format!("-5 {session}"),
        format!("12abc {session}"),
        // Written "later" than now (a clock set ahead): not fresh for ever.
        format!("{} {session}", u64::MAX),
        format!("0 {session}"),
        "x".repeat(1_000_000),
    ]
}

/// Stores each odd marker under both keys in turn, as another tab would,
/// and checks that the page a moment later still shows `shown`, neither
/// "Signing out…" nor "Loading…".
async fn odd_markers_leave_the_page_showing(app: &Mounted, shown: &str) {
    let session = clerk_session_id().expect("a Clerk session");
    for key in [sign_out_marker_key(), sign_in_marker_key()] {
        for value in odd_markers(&session) {
            store_and_announce(&key, &value);
            let text = text_a_moment_later(app).await;
            assert!(
                text.contains(shown)
                    && !text.contains("Signing out…")
                    && !text.contains("Loading…"),
                "{key} = {value:.40}: {text}"
            );
        }
        forget_and_announce(&key);
    }
}

#[wasm_bindgen_test]
async fn odd_markers_from_another_tab_do_not_hold_the_page_up() {
    let app = mount_signed_in(&unique_email("odd-markers")).await;
    odd_markers_leave_the_page_showing(&app, SIGNED_IN).await;
    drop(app);

    // An error gives way to another tab's sign-in under way (the signed-in
    // page above does not): odd sign-in markers must not pass for one.
    reset().await;
    set_email_claim(false).await;
    let app = mount_app(config());
    sign_in_to_clerk(&unique_email("odd-markers-error")).await;
    wait_for_text(&app, "The id_token had no email.").await;
    odd_markers_leave_the_page_showing(&app, "Retry").await;
    drop(app);
    reset().await;
}

/// The refresh token of the stored session.
fn stored_refresh_token() -> Option<String> {
    stored_instant_user()?["refresh_token"]
        .as_str()
        .map(str::to_owned)
}

#[wasm_bindgen_test]
async fn an_owner_taken_away_or_garbled_is_written_back_with_the_session_kept() {
    for odd in [None, Some("not json"), Some("42"), Some(r#""""#)] {
        reset().await;
        let app = mount_app(config());
        sign_in_to_clerk(&unique_email("odd-owner")).await;
        wait_for_text(&app, SIGNED_IN).await;
        let session = stored_refresh_token();
        let exchanges = exchange_count().await;

        match odd {
            None => forget_and_announce(&owner_key()),
            Some(value) => store_and_announce(&owner_key(), value),
        }
        // The owner comes back (not "Loading…" until Clerk next changes),
        // for the same session: no exchange, no revoke.
        wait_until("the owner is written back", || {
            stored_owner() == clerk_user_id()
        })
        .await;
        wait_for_text(&app, SIGNED_IN).await;
        assert_eq!(stored_refresh_token(), session, "owner {odd:?}");
        assert_eq!(exchange_count().await, exchanges, "owner {odd:?}");
        drop(app);
    }
    reset().await;
}

#[wasm_bindgen_test]
async fn an_owner_of_another_account_is_not_fought_over() {
    let app = mount_signed_in(&unique_email("owner-of-another")).await;
    let exchanges = exchange_count().await;
    let revokes = signout_count().await;

    // Another tab switched accounts (its Clerk heard of it first): this
    // tab follows once its own Clerk does, and meanwhile neither exchanges
    // nor ends the session that tab made.
    store_and_announce(&owner_key(), r#""user_someone_else""#);
    // Well past the time a taken-away owner is written back after (1 s),
    // on a busy machine too.
    gloo_timers::future::TimeoutFuture::new(3_000).await;
    assert_eq!(exchange_count().await, exchanges);
    assert_eq!(signout_count().await, revokes);
    assert_eq!(stored_owner().as_deref(), Some("user_someone_else"));
    drop(app);
    reset().await;
}
