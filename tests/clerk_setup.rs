#![cfg(target_arch = "wasm32")]
//! When Clerk cannot start — no key, a malformed key, a frontend API that
//! does not answer — the Clerk module reports why (the app's setup screen
//! built on it: `app_setup_screen.rs`). Its own test binary: a page where
//! Clerk loaded successfully would not try to load it again.

mod app_support;

use app_support::*;
use clerk_instant::clerk::{
    use_clerk_auth, ClerkError, ClerkFailed, ClerkProvider, SignInButton, SignedOut,
};
use leptos::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// `pk_test_` + base64 of `127.0.0.1:9$`: a frontend API where nothing runs.
const UNREACHABLE_KEY: &str = "pk_test_MTI3LjAuMC4xOjkk";

fn mount_clerk(key: &'static str) -> Mounted {
    mount(move || {
        view! {
            <ClerkProvider publishable_key=key>
                <ClerkFailed let:error>
                    <p class="failure">{error.to_string()}</p>
                    <p>{if error.is_setup_problem() { "setup-problem" } else { "other" }}</p>
                </ClerkFailed>
                <SignedOut><p>"signed-out-content"</p></SignedOut>
            </ClerkProvider>
        }
    })
}

#[wasm_bindgen_test]
async fn a_missing_key_says_where_to_find_one() {
    let app = mount_clerk("");
    wait_for_text(&app, "No Clerk publishable key").await;
    assert!(app
        .text()
        .contains(&ClerkError::MissingPublishableKey.to_string()));
    assert!(app.text().contains("setup-problem"));
}

#[wasm_bindgen_test]
async fn calls_into_a_clerk_that_could_not_start_say_why() {
    let hook = StoredValue::new_local(None);
    let app = mount(move || {
        view! {
            <ClerkProvider publishable_key="">
                {
                    hook.set_value(Some(use_clerk_auth()));
                }
            </ClerkProvider>
        }
    });
    let auth = hook.get_value().expect("the hook ran");
    wait_until("Clerk has failed", || auth.error.get_untracked().is_some()).await;
    // Not "has not finished loading yet": it never will.
    assert_eq!(
        auth.get_token().await,
        Err(ClerkError::MissingPublishableKey)
    );
    assert_eq!(
        auth.sign_out().await,
        Err(ClerkError::MissingPublishableKey)
    );
    drop(app);
}

#[wasm_bindgen_test]
async fn a_malformed_key_says_what_is_wrong() {
    let app = mount_clerk("sk_test_emulator");
    wait_for_text(&app, "malformed").await;
    assert!(app.text().contains("secret key"), "{}", app.text());
    assert!(!app.text().contains("signed-out-content"));
}

/// What `sign_in_error()` says, for the tests to read.
#[component]
fn SignInErrorText() -> impl IntoView {
    let sign_in_error = use_clerk_auth().sign_in_error();
    move || {
        sign_in_error
            .get()
            .map(|error| format!("sign-in-error: {error}"))
    }
}

#[wasm_bindgen_test]
async fn a_sign_in_click_says_why_clerk_cannot_open_instead_of_waiting() {
    // Clicked once Clerk failed, and clicked while it was still loading.
    for (key, failure) in [
        ("sk_test_emulator", "malformed"),
        (UNREACHABLE_KEY, "Could not load Clerk's script"),
    ] {
        let app = mount(move || {
            view! {
                <ClerkProvider publishable_key=key>
                    <SignInButton />
                    <SignInErrorText />
                </ClerkProvider>
            }
        });
        let button = find(&app.root, "button", "Sign in").expect("the Sign in button");
        button.click();
        wait_for_text(&app, "sign-in-error: ").await;
        assert!(app.text().contains(failure), "{}", app.text());
        assert_eq!(button.get_attribute("aria-busy"), None, "not left waiting");
        drop(app);
    }
}

#[wasm_bindgen_test]
async fn an_unreachable_frontend_api_fails_instead_of_hanging() {
    let app = mount_clerk(UNREACHABLE_KEY);
    wait_for_text(&app, "Could not load Clerk's script").await;
    assert!(
        app.text()
            .contains("http://127.0.0.1:9/npm/@clerk/ui@1/dist/ui.browser.js"),
        "{}",
        app.text()
    );
    assert!(!app.text().contains("signed-out-content"));
}
