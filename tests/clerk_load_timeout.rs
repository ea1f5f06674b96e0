#![cfg(target_arch = "wasm32")]
//! Clerk that does not finish loading within the time limit is reported as
//! such (Clerk's own loaders give up after 15 s; here the limit is cut so
//! the test does not wait). Its own test binary: scripts injected before
//! the limit may still arrive and would be found by a later test.

mod app_support;

use std::time::Duration;

use app_support::*;
use clerk_instant::clerk::{ClerkFailed, ClerkLoading, ClerkProvider, SignedOut};
use leptos::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn loading_past_the_time_limit_is_an_error_not_a_blank_page() {
    assert!(!clerk_loaded(), "this page must not have loaded Clerk yet");
    let app = mount(|| {
        view! {
            <ClerkProvider
                publishable_key=publishable_key()
                load_timeout=Duration::from_millis(1)
            >
                <ClerkLoading><p>"still-loading"</p></ClerkLoading>
                <ClerkFailed let:error>
                    <p>{error.to_string()}</p>
                    <p>{error.is_setup_problem().then_some("setup-problem")}</p>
                </ClerkFailed>
                <SignedOut><p>"signed-out-content"</p></SignedOut>
            </ClerkProvider>
        }
    });
    assert!(app.text().contains("still-loading"), "{}", app.text());
    wait_for_text(&app, "did not finish loading").await;
    let text = app.text();
    assert!(
        text.contains(&format!("from {} within 1\u{a0}s", clerk_api())),
        "{text}"
    );
    assert!(text.contains("setup-problem"), "{text}");
    assert!(!text.contains("still-loading"), "{text}");
    assert!(!text.contains("signed-out-content"), "{text}");
    drop(app);
}
