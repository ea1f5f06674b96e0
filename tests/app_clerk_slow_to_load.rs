#![cfg(target_arch = "wasm32")]
//! Clerk that is slow to load: both pages say so after 5 s, as a slow
//! sign-in does, and offer no Sign out before Clerk has loaded (it could
//! end only the Instant session, and the exchange once Clerk had loaded
//! would bring it back). Its own test binary: `window.Clerk` here is one
//! whose `load()` never settles.

mod app_support;

use app_support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
export function install_clerk_that_never_loads() {
  // What the loader finds once Clerk's script has run: a Clerk still to load.
  window.Clerk = { loaded: false, load: () => new Promise(() => {}) };
}
"#)]
extern "C" {
    fn install_clerk_that_never_loads();
}

#[wasm_bindgen_test]
async fn a_clerk_slow_to_load_is_said_with_no_sign_out_offered() {
    install_clerk_that_never_loads();
    // One load for both pages (the app gives up on it after 15 s).
    for page in ["/account", "/"] {
        go_to(page);
        let app = mount_app(config());
        assert!(app.text().contains("Loading…"), "{page}: {}", app.text());
        wait_for_text(&app, "taking longer than usual").await;
        assert!(
            !has_button(&app, "Sign out"),
            "{page}: a Sign out before Clerk has loaded: {}",
            app.text()
        );
        drop(app);
    }
}
