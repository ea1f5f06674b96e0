#![cfg(target_arch = "wasm32")]
//! While Clerk loads: neither signed-in nor signed-out content shows, and
//! a SignInButton clicked then remembers the click and opens the sign-in
//! picker once Clerk is ready. Its own test binary, so that Clerk is
//! certainly not loaded yet.

mod app_support;

use app_support::*;
use clerk_instant::clerk::{ClerkLoading, ClerkProvider, SignInButton, SignedIn, SignedOut};
use leptos::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn while_loading_nothing_signed_in_or_out_shows_and_a_click_is_queued() {
    assert!(!clerk_loaded(), "this page must not have loaded Clerk yet");
    let app = mount(|| {
        view! {
            <ClerkProvider publishable_key=publishable_key()>
                <SignInButton class="sign-in" />
                <ClerkLoading><p>"clerk-loading"</p></ClerkLoading>
                <SignedOut><p>"signed-out-content"</p></SignedOut>
                <SignedIn><p>"signed-in-content"</p></SignedIn>
            </ClerkProvider>
        }
    });
    let text = app.text();
    assert!(text.contains("clerk-loading"), "{text}");
    assert!(!text.contains("signed-out-content"), "{text}");
    assert!(!text.contains("signed-in-content"), "{text}");
    let button = find(&app.root, "button", "Sign in").expect("a real <button>");
    assert_eq!(button.get_attribute("type").as_deref(), Some("button"));
    assert_eq!(button.class_name(), "sign-in");
    assert!(!sign_in_dialog_is_open());

    button.click();
    leptos::task::tick().await;
    // Still loading: the click waits, and the button says so.
    assert!(!clerk_loaded());
    assert_eq!(button.get_attribute("aria-busy").as_deref(), Some("true"));

    wait_until("the sign-in picker opened", sign_in_dialog_is_open).await;
    assert_eq!(button.get_attribute("aria-busy"), None);
    let text = app.text();
    assert!(text.contains("signed-out-content"), "{text}");
    assert!(!text.contains("clerk-loading"), "{text}");
    clerk_close_sign_in();
    wait_until("the picker closed", || !sign_in_dialog_is_open()).await;
    drop(app);
}
