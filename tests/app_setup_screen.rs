#![cfg(target_arch = "wasm32")]
//! When Clerk cannot start — no key, a malformed key, a frontend API that
//! does not answer — the app shows its setup screen instead of a blank
//! page. Its own test binary: a page where Clerk loaded successfully would
//! not try to load it again.

mod app_support;

use app_support::*;
use clerk_instant::config::AppConfig;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// `pk_test_` + base64 of `127.0.0.1:9$`: a frontend API where nothing runs.
const UNREACHABLE_KEY: &str = "pk_test_MTI3LjAuMC4xOjkk";

#[wasm_bindgen_test]
async fn the_app_shows_the_setup_screen_with_instants_three_steps() {
    for key in ["", "pk_test_bm90LWEtaG9zdA", UNREACHABLE_KEY] {
        let app = mount_app(AppConfig {
            clerk_publishable_key: key.to_owned(),
            ..config()
        });
        // A key problem needs a new build; a load failure may be the
        // network, so the screen leads with trying again.
        let heading = if key == UNREACHABLE_KEY {
            "Clerk did not load"
        } else {
            "Finish setting up Clerk"
        };
        wait_for_text(&app, heading).await;
        assert_eq!(
            page_document().title(),
            format!("{heading} · Clerk → Instant")
        );
        let text = app.text();
        for step in [
            "Configure Clerk.",
            "Get your Clerk publishable key.",
            "Register your Clerk publishable key with your Instant app.",
        ] {
            assert!(text.contains(step), "{key:?}: {text}");
        }
        // Every setting a build for the real services needs.
        for setting in [
            "CLERK_PUBLISHABLE_KEY",
            "CLERK_CLIENT_NAME",
            "INSTANT_APP_ID",
            "INSTANT_API_URI",
        ] {
            assert!(text.contains(setting), "{setting}: {text}");
        }
        assert!(!has_button(&app, "Sign in"), "{text}");
        // A load failure may pass; a key problem needs a new build. After
        // a load failure the setup steps are there, but folded away.
        assert_eq!(
            has_button(&app, "Try again"),
            key == UNREACHABLE_KEY,
            "{key:?}"
        );
        let folded = app
            .root
            .query_selector("details:not([open]) .setup-steps")
            .unwrap()
            .is_some();
        assert_eq!(folded, key == UNREACHABLE_KEY, "{key:?}");
    }
}

/// The setup screen speaks of this app's settings. Someone who built it
/// with `CLERK_PUBLISHABLE_KEY` empty reads which setting to fix, not the
/// clerk module's advice to a developer who calls `ClerkProvider`; someone
/// whose build names a Clerk on this computer (a local emulator that is not
/// running: `trunk serve` alone, say) is told to start it, not to check
/// their connection.
#[wasm_bindgen_test]
async fn the_setup_screen_names_this_apps_setting_and_the_local_emulator() {
    let app = mount_app(AppConfig {
        clerk_publishable_key: String::new(),
        ..config()
    });
    wait_for_text(&app, "Finish setting up Clerk").await;
    let problem = app
        .root
        .query_selector(".problem")
        .unwrap()
        .expect("the problem")
        .text_content()
        .unwrap_or_default();
    assert!(
        problem.contains("CLERK_PUBLISHABLE_KEY was empty when it was built"),
        "{problem}"
    );
    assert!(!problem.contains("ClerkProvider"), "{problem}");
    drop(app);

    let app = mount_app(AppConfig {
        clerk_publishable_key: UNREACHABLE_KEY.to_owned(),
        ..config()
    });
    wait_for_text(&app, "Clerk did not load").await;
    let text = app.text();
    assert!(
        text.contains(
            "This build's Clerk is at http://127.0.0.1:9, on this computer: start the local \
             emulator (cargo xtask dev), or restart it if it is running, then try again."
        ),
        "{text}"
    );
    assert!(!text.contains("Check your connection"), "{text}");
    assert!(has_button(&app, "Try again"), "{text}");
}
