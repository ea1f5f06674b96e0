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

const SIGNED_IN: &str = "Signed in with Instant through Clerk!";

fn owner_key() -> String {
    clerk_instant::app::owner_storage_key(app_id())
}

/// The page's text once it has had a moment to react.
async fn text_a_moment_later(app: &Mounted) -> String {
    gloo_timers::future::TimeoutFuture::new(300).await;
    leptos::task::tick().await;
    app.text()
}

#[wasm_bindgen_test]
async fn odd_markers_from_another_tab_do_not_hold_the_page_up() {
    reset().await;
    let app = mount_app(config());
    sign_in_to_clerk(&unique_email("odd-markers")).await;
    wait_for_text(&app, SIGNED_IN).await;
    let long = "x".repeat(1_000_000);
    let far_future = format!("{} sess_x", u64::MAX);
    for key in [sign_out_marker_key(), sign_in_marker_key()] {
        for value in [
            "",
            " ",
            "garbage",
            "-5 sess_x",
            "12abc sess_x",
            far_future.as_str(),
            "0 sess_x",
            long.as_str(),
        ] {
            store_and_announce(&key, value);
            let text = text_a_moment_later(&app).await;
            assert!(text.contains(SIGNED_IN), "{key} = {:.40}: {text}", value);
        }
        forget_and_announce(&key);
    }
    drop(app);
    reset().await;
}

#[wasm_bindgen_test]
async fn an_owner_removed_garbled_or_of_another_account_does_not_leave_the_page_loading() {
    let someone_else = r#""user_someone_else""#;
    for odd in [
        None,
        Some("not json"),
        Some("42"),
        Some(r#""""#),
        Some(someone_else),
    ] {
        reset().await;
        let app = mount_app(config());
        sign_in_to_clerk(&unique_email("odd-owner")).await;
        wait_for_text(&app, SIGNED_IN).await;

        match odd {
            None => forget_and_announce(&owner_key()),
            Some(value) => store_and_announce(&owner_key(), value),
        }
        // Signed in again (with a session whose owner is known), not
        // "Loading…" until Clerk next changes.
        gloo_timers::future::TimeoutFuture::new(200).await;
        wait_for_text(&app, SIGNED_IN).await;
        assert_eq!(stored_owner(), clerk_user_id(), "owner {odd:?}");
        assert!(stored_instant_user().is_some(), "owner {odd:?}");
        drop(app);
    }
    reset().await;
}
