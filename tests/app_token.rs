#![cfg(target_arch = "wasm32")]
//! Clerk answering `getToken()` with `null`, as clerk-js can just after a
//! sign-in: the app asks once more, and when there is still no token it
//! says so with a Retry that recovers.

mod app_support;

use app_support::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn a_token_missing_just_after_sign_in_is_asked_for_again() {
    let app = mount_signed_out().await;
    let exchanges = exchange_count().await;

    clerk_withhold_tokens(1);
    sign_in_to_clerk(&unique_email("late-token")).await;
    // Meanwhile (300 ms before Clerk is asked again) the header says what
    // is under way, not "signed out".
    let mut headers: Vec<String> = Vec::new();
    wait_until("the page shows the Instant session", || {
        let header = header_summary(&app);
        if headers.last() != Some(&header) {
            headers.push(header);
        }
        app.text().contains(SIGNED_IN)
    })
    .await;
    assert!(
        headers.iter().any(|h| h.ends_with("Instant: signing in…")),
        "{headers:?}"
    );
    assert!(
        !headers.iter().any(|h| h.ends_with("Instant: signed out")),
        "{headers:?}"
    );
    assert!(!app.text().contains("Error"), "{}", app.text());
    assert_eq!(exchange_count().await, exchanges + 1);
    assert!(stored_instant_user().is_some());

    drop(app);
    reset().await;
}

#[wasm_bindgen_test]
async fn no_token_even_when_asked_again_shows_why_and_retry_recovers() {
    let app = mount_signed_out().await;
    let exchanges = exchange_count().await;

    clerk_withhold_tokens(2);
    sign_in_to_clerk(&unique_email("no-token")).await;
    wait_for_text(&app, "Error signing in to Instant!").await;
    assert!(
        app.text()
            .contains("Clerk gave no session token for the signed-in account"),
        "{}",
        app.text()
    );
    assert_eq!(
        exchange_count().await,
        exchanges,
        "without a token there is nothing to exchange"
    );
    assert_eq!(stored_instant_user(), None);

    // Clerk has the token by now: Retry signs in to Instant.
    click_button(&app, "Retry").await;
    wait_for_text(&app, SIGNED_IN).await;
    assert_eq!(exchange_count().await, exchanges + 1);

    drop(app);
    reset().await;
}
