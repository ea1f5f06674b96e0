//! Clerk sign-in with InstantDB for a Leptos client-side app.
//!
//! - [`clerk`]: everything that touches `window.Clerk`.
//! - [`instant`]: the Instant auth client and its reactive state.
//! - [`app`]: the example's component tree, which uses only the public API
//!   of the two modules above.
//! - [`config`]: build-time settings (app id, API URI, publishable key,
//!   client name).

pub mod app;
pub mod clerk;
pub mod config;
pub mod instant;

// The library's own unit tests that need a browser (JSON, storage) run in
// headless Chromium with the browser layer.
#[cfg(all(test, target_arch = "wasm32"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
