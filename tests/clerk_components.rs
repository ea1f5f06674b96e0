#![cfg(target_arch = "wasm32")]
//! The Clerk module's components and hook against the emulator's clerk-js
//! stand-in: loading, SignInButton (a click before load is queued),
//! SignedIn/SignedOut/Show, use_clerk_auth's token and sign-out.

mod app_support;

use app_support::*;
use std::time::Duration;

use clerk_instant::clerk::{
    use_clerk_auth, ClerkError, ClerkLoaded, ClerkLoading, ClerkProvider, Show, SignInButton,
    SignedIn, SignedOut, UseClerkAuthReturn,
};
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

#[wasm_bindgen(inline_js = r#"
export function sign_out_held_in_transition() {
  // A sign-out whose callback has not returned: clerk-js stays in its
  // transition (user and session undefined) until the returned function
  // lets it go on.
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  window.Clerk.signOut(() => held);
  return () => release();
}
export function clerk_in_transition() {
  return !!window.Clerk && window.Clerk.loaded && window.Clerk.user === undefined;
}
"#)]
extern "C" {
    fn sign_out_held_in_transition() -> js_sys::Function;
    fn clerk_in_transition() -> bool;
}

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn sign_in_button_opens_the_picker() {
    reset().await;
    let app = mount(|| {
        view! {
            <ClerkProvider publishable_key=publishable_key()>
                <SignInButton>"Log in here"</SignInButton>
            </ClerkProvider>
        }
    });
    wait_until("Clerk has loaded", clerk_loaded).await;
    let button = find(&app.root, "button", "Log in here").expect("a real <button>");
    assert!(!sign_in_dialog_is_open());
    button.click();
    leptos::task::tick().await;
    wait_until("the sign-in picker opened", sign_in_dialog_is_open).await;
    // The picker is titled by what it asks: an account to choose, or the
    // sign-in form when there is none yet.
    let title = page_document()
        .query_selector("[role=dialog] h1")
        .unwrap()
        .and_then(|heading| heading.text_content())
        .unwrap_or_default();
    assert!(
        ["Choose an account", "Sign in"].contains(&title.as_str()),
        "the picker's title: {title:?}"
    );
    clerk_close_sign_in();
    wait_until("the picker closed", || !sign_in_dialog_is_open()).await;
    drop(app);
}

#[wasm_bindgen_test]
async fn signed_in_and_signed_out_follow_clerk_and_the_hook_gives_tokens() {
    reset().await;
    let auth_slot: StoredValue<Option<UseClerkAuthReturn>, LocalStorage> =
        StoredValue::new_local(None);
    let app = mount(move || {
        view! {
            <ClerkProvider publishable_key=publishable_key()>
                {
                    auth_slot.set_value(Some(use_clerk_auth()));
                }
                <ClerkLoading><p>"clerk-loading"</p></ClerkLoading>
                <ClerkLoaded><p>"clerk-loaded"</p></ClerkLoaded>
                <SignedOut><p>"signed-out-content"</p></SignedOut>
                <SignedIn><p>"signed-in-content"</p></SignedIn>
                <Show when="signed-in" fallback=|| view! { <p>"show-fallback"</p> }>
                    <p>"show-signed-in"</p>
                </Show>
                <Show when="signed-out"><p>"show-signed-out"</p></Show>
                <Show when="someday"><p>"show-never"</p></Show>
            </ClerkProvider>
        }
    });
    let auth = auth_slot.get_value().expect("the hook ran");
    // What shows while Clerk loads: `clerk_sign_in_button.rs`, whose page
    // has not loaded Clerk yet.
    wait_for_text(&app, "signed-out-content").await;
    let text = app.text();
    assert!(text.contains("clerk-loaded") && !text.contains("clerk-loading"));
    assert!(text.contains("show-fallback") && text.contains("show-signed-out"));
    assert!(!text.contains("signed-in-content") && !text.contains("show-never"));
    assert!(auth.is_loaded.get_untracked());
    assert!(!auth.is_signed_in.get_untracked());
    assert_eq!(auth.get_token().await, Ok(None));

    let email = unique_email("components");
    sign_in_to_clerk(&email).await;
    wait_for_text(&app, "signed-in-content").await;
    let text = app.text();
    assert!(text.contains("show-signed-in") && !text.contains("show-fallback"));
    assert!(!text.contains("signed-out-content") && !text.contains("show-never"));
    assert!(auth.is_signed_in.get_untracked());
    assert_eq!(auth.email.get_untracked().as_deref(), Some(email.as_str()));
    assert_eq!(auth.user_id.get_untracked(), clerk_user_id());

    let token = auth
        .get_token()
        .await
        .expect("getToken works")
        .expect("a signed-in session has a token");
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");

    // Clerk (a development instance, single-session) will not open its
    // sign-in over a session: the hook says why.
    auth.open_sign_in();
    assert!(!sign_in_dialog_is_open());
    let refused = auth
        .sign_in_error()
        .get_untracked()
        .expect("why it did not open");
    assert!(
        refused.to_string().contains("already signed in"),
        "{refused}"
    );

    auth.sign_out().await.expect("Clerk signs out");
    wait_for_text(&app, "signed-out-content").await;
    assert!(!app.text().contains("signed-in-content"));
    assert_eq!(auth.user_id.get_untracked(), None);
    drop(app);
}

#[wasm_bindgen_test]
async fn calls_clerk_never_answers_fail_after_the_call_timeout() {
    reset().await;
    let auth_slot: StoredValue<Option<UseClerkAuthReturn>, LocalStorage> =
        StoredValue::new_local(None);
    let app = mount(move || {
        view! {
            <ClerkProvider
                publishable_key=publishable_key()
                call_timeout=Duration::from_secs(2)
            >
                {
                    auth_slot.set_value(Some(use_clerk_auth()));
                }
                <SignedIn><p>"signed-in-content"</p></SignedIn>
                <SignedOut><p>"signed-out-content"</p></SignedOut>
            </ClerkProvider>
        }
    });
    let auth = auth_slot.get_value().expect("the hook ran");
    sign_in_to_clerk(&unique_email("stalled-calls")).await;
    wait_for_text(&app, "signed-in-content").await;

    for operation in ["getToken", "signOut"] {
        clerk_stall_next(operation);
        let error = match operation {
            "getToken" => auth.get_token().await.map(drop),
            _ => auth.sign_out().await,
        }
        .unwrap_err();
        assert_eq!(
            error,
            ClerkError::CallTimedOut {
                operation,
                seconds: 2
            }
        );
        assert!(
            error.to_string().contains("did not finish within 2\u{a0}s"),
            "{error}"
        );
        assert!(auth.is_signed_in.get_untracked(), "{operation}");
    }

    // The next calls are answered as usual.
    assert!(auth.get_token().await.expect("a token").is_some());
    auth.sign_out().await.expect("Clerk signs out");
    wait_for_text(&app, "signed-out-content").await;
    drop(app);
}

/// A sign-out held in clerk-js's transition; dropping it lets it go on.
/// (A failed test does not drop it: on wasm a panic aborts. Clerk then
/// stays in transition, and the tests after it in this binary fail too.)
struct HeldSignOut(js_sys::Function);

impl HeldSignOut {
    async fn start() -> Self {
        let held = Self(sign_out_held_in_transition());
        wait_until("clerk-js is in its transition", clerk_in_transition).await;
        held
    }
}

impl Drop for HeldSignOut {
    fn drop(&mut self) {
        let _ = self.0.call0(&JsValue::NULL);
    }
}

async fn sleep_until(at_ms: f64) {
    let left = at_ms - js_sys::Date::now();
    if left > 0.0 {
        gloo_timers::future::TimeoutFuture::new(left as u32).await;
    }
    leptos::task::tick().await;
}

#[wasm_bindgen_test]
async fn a_transition_keeps_the_last_state_for_at_most_ten_seconds() {
    reset().await;
    let app = mount(|| {
        view! {
            <ClerkProvider publishable_key=publishable_key()>
                <ClerkLoading><p>"clerk-loading"</p></ClerkLoading>
                <SignedOut><p>"signed-out-content"</p></SignedOut>
                <SignedIn><p>"signed-in-content"</p></SignedIn>
                <SignInButton />
            </ClerkProvider>
        }
    });
    sign_in_to_clerk(&unique_email("transition")).await;
    wait_for_text(&app, "signed-in-content").await;

    // A transition that settles soon: its 10 s limit must not cut short a
    // later one.
    let first = HeldSignOut::start().await;
    let first_started = js_sys::Date::now();
    drop(first);
    wait_for_text(&app, "signed-out-content").await;
    sign_in_to_clerk(&unique_email("transition-again")).await;
    wait_for_text(&app, "signed-in-content").await;
    sleep_until(first_started + 9_000.0).await;

    // One that does not settle: the last state shows, past the first
    // one's limit, until its own runs out; then it shows as not known.
    let held = HeldSignOut::start().await;
    let started = js_sys::Date::now();
    sleep_until(first_started + 10_800.0).await;
    let meanwhile = app.text();
    assert!(
        meanwhile.contains("signed-in-content") && !meanwhile.contains("clerk-loading"),
        "a transition shows the last state: {meanwhile:?}"
    );
    wait_for_text(&app, "clerk-loading").await;
    let waited = js_sys::Date::now() - started;
    assert!(waited > 9_000.0, "after {waited} ms");

    // A Sign in clicked now waits for the transition, then opens.
    let button = find(&app.root, "button", "Sign in").expect("the Sign in button");
    button.click();
    leptos::task::tick().await;
    assert_eq!(button.get_attribute("aria-busy").as_deref(), Some("true"));
    drop(held);
    wait_for_text(&app, "signed-out-content").await;
    wait_until("the sign-in picker opened", sign_in_dialog_is_open).await;
    assert_eq!(button.get_attribute("aria-busy"), None);
    clerk_close_sign_in();
    wait_until("the picker closed", || !sign_in_dialog_is_open()).await;
    drop(app);
    reset().await;
}
