#![cfg(target_arch = "wasm32")]
//! A SignInButton clicked before Clerk has loaded remembers the click and
//! opens the sign-in picker once Clerk is ready. Its own test binary, so
//! that Clerk is certainly not loaded yet when the button is clicked.

mod app_support;

use app_support::*;
use clerk_instant::clerk::{ClerkProvider, SignInButton};
use leptos::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn a_click_before_load_is_queued_and_opens_the_picker() {
    assert!(!clerk_loaded(), "this page must not have loaded Clerk yet");
    let app = mount(|| {
        view! {
            <ClerkProvider publishable_key=config().clerk_publishable_key>
                <SignInButton class="sign-in" />
            </ClerkProvider>
        }
    });
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
    clerk_close_sign_in();
    wait_until("the picker closed", || !sign_in_dialog_is_open()).await;
    drop(app);
}
