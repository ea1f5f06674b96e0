#![cfg(target_arch = "wasm32")]
//! The crate docs' guide page (`examples/guide_page.rs`) in headless
//! Chromium against the running emulator, as another app would use the two
//! modules: what the docs promise of it, checked as a person sees it.
//! Runs in both browser passes, with and without the example app.

mod app_support;
#[allow(dead_code)] // its `main` and `App` are for a build of its own
#[path = "../examples/guide_page.rs"]
mod guide_page;

use app_support::*;
use clerk_instant::clerk::ClerkProvider;
use clerk_instant::instant::{init, provide_instant, InstantConfig};
use leptos::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The guide page inside the providers, on the emulator's values: what the
/// example's `App` does with its own.
fn mount_guide_page() -> Mounted {
    assert_eq!(
        guide_page::CLIENT_NAME,
        client_name(),
        "the example's CLIENT_NAME is the emulator's Clerk client name"
    );
    mount(|| {
        provide_instant(init(InstantConfig::new(app_id()).with_api_uri(api_uri())));
        view! {
            <ClerkProvider publishable_key=publishable_key()>
                <guide_page::GuidePage />
            </ClerkProvider>
        }
    })
}

/// The guide's whole flow: Sign in, "Loading…" from the first moment (not
/// "Sign in to Instant"), signed in with one exchange; a reload keeps the
/// session without an exchange; Sign out ends both sessions.
#[wasm_bindgen_test]
async fn the_guide_page_signs_in_keeps_the_session_and_signs_out_of_both() {
    reset().await;
    let email = unique_email("guide-page");
    let page = mount_guide_page();
    wait_until("the Sign in button shows", || has_button(&page, "Sign in")).await;
    let exchanges = exchange_count().await;

    let texts = TextRecorder::start(&page);
    sign_in_to_clerk(&email).await;
    wait_for_text(&page, SIGNED_IN).await;
    let texts = texts.stop();
    assert!(
        texts.iter().any(|text| text.contains("Loading…")),
        "{texts:?}"
    );
    assert!(
        !texts.iter().any(|text| text.contains("Sign in to Instant")),
        "offered a sign-in that was already under way: {texts:?}"
    );
    assert_eq!(exchange_count().await, exchanges + 1);
    assert_eq!(stored_instant_user().unwrap()["email"], email.as_str());

    // A reload: the stored session shows, with no exchange.
    drop(page);
    let page = mount_guide_page();
    wait_for_text(&page, SIGNED_IN).await;
    let refresh_token = refresh_token_of_stored_session();
    let signouts = signout_count().await;

    click_button(&page, "Sign out").await;
    wait_until("the Sign in button shows", || has_button(&page, "Sign in")).await;
    assert_eq!(clerk_user_id(), None);
    assert_eq!(stored_instant_user(), None);
    wait_until_revoked(&refresh_token).await;
    assert_eq!(signout_count().await, signouts + 1);
    assert_eq!(exchange_count().await, exchanges + 1);
    drop(page);
}

/// Instant refusing the token shows its words with Retry, and Retry, once
/// the cause is fixed, signs in with a fresh token.
#[wasm_bindgen_test]
async fn the_guide_page_shows_instants_error_and_retries_with_a_fresh_token() {
    reset().await;
    set_email_claim(false).await;
    let page = mount_guide_page();
    sign_in_to_clerk(&unique_email("guide-page-error")).await;
    wait_for_text(&page, "Error signing in to Instant!").await;
    wait_for_text(&page, "The id_token had no email.").await;
    assert!(has_button(&page, "Retry"), "{}", page.text());

    set_email_claim(true).await;
    click_button(&page, "Retry").await;
    wait_for_text(&page, SIGNED_IN).await;
    sign_out_of_clerk().await;
    drop(page);
}

/// A Clerk sign-out made elsewhere (another tab, Clerk's own UI) ends the
/// Instant session too.
#[wasm_bindgen_test]
async fn the_guide_page_follows_a_clerk_sign_out_made_elsewhere() {
    reset().await;
    let page = mount_guide_page();
    sign_in_to_clerk(&unique_email("guide-page-elsewhere")).await;
    wait_for_text(&page, SIGNED_IN).await;
    let refresh_token = refresh_token_of_stored_session();

    sign_out_of_clerk().await;
    wait_until("the Sign in button shows", || has_button(&page, "Sign in")).await;
    wait_until("the Instant session is gone", || {
        stored_instant_user().is_none()
    })
    .await;
    wait_until_revoked(&refresh_token).await;
    drop(page);
}
