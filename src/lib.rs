//! Clerk sign-in with InstantDB for a Leptos client-side app.
//!
//! - [`clerk`]: everything that touches `window.Clerk`.
//! - [`instant`]: the Instant auth client and its reactive state.
//! - `app`: the example's component tree, which uses only the public API
//!   of the two modules above (with the `app` feature, on by default).
//! - `config`: the example's build-time settings (app id, API URI,
//!   publishable key, client name; also with the `app` feature).
//!
//! # The two modules together
//!
//! The guide's page, joined by hand as another app would join them
//! (`default-features = false`; see the README): `examples/guide_page.rs`,
//! below, which a browser test mounts against the emulator. The example
//! app (`app::session`) adds what a page with several tabs needs (one
//! exchange for all of them), and keeps the Clerk user id beside the
//! session instead of comparing emails.
//!
#![doc = concat!("```no_run\n", include_str!("../examples/guide_page.rs"), "```")]
#![deny(missing_docs)]

#[cfg(feature = "app")]
pub mod app;
pub mod clerk;
#[cfg(feature = "app")]
pub mod config;
pub mod instant;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod dependency_direction;

// The library's own unit tests that need a browser (JSON, storage) run in
// headless Chromium with the browser layer.
#[cfg(all(test, target_arch = "wasm32"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
