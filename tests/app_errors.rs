#![cfg(target_arch = "wasm32")]
//! A failed exchange shows its real reason with a Retry button and a way to
//! sign out: an unknown Clerk client name (Instant's own message), an
//! unreachable API (the network error in plain words) and an API URI that
//! is not one (a settings error). Sign out works with Instant unreachable.
//! A Clerk sign-out that fails says so, and so does a Sign in that cannot
//! open Clerk's.

mod app_support;
mod fetch_support;

use app_support::*;
use clerk_instant::config::AppConfig;
use fetch_support::fail_next_fetch_to;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const FAILED: &str = "Error signing in to Instant!";

/// The app's settings with a client name Instant does not know: every
/// exchange fails.
fn with_an_unknown_client_name() -> AppConfig {
    AppConfig {
        clerk_client_name: "no-such-client".to_owned(),
        ..config()
    }
}

#[wasm_bindgen_test]
async fn an_error_waits_while_another_tab_signs_in() {
    reset().await;
    let app = mount_app(with_an_unknown_client_name());
    sign_in_to_clerk(&unique_email("error-beside-a-retry")).await;
    wait_for_text(&app, FAILED).await;

    // Another tab retries: this tab waits for it rather than offer a
    // second exchange beside it.
    let marker = format!(
        "{} {} 0000beef",
        js_sys::Date::now() as u64,
        clerk_session_id().expect("a Clerk session")
    );
    store_and_announce(&sign_in_marker_key(), &marker);
    wait_for_text(&app, "Loading…").await;
    assert!(!has_button(&app, "Retry"), "{}", app.text());
    assert!(header_summary(&app).ends_with("Instant: signing in…"));
    // That one failed too (its marker goes): this tab's error is back.
    forget_and_announce(&sign_in_marker_key());
    wait_for_text(&app, FAILED).await;
    assert!(has_button(&app, "Retry"));
    drop(app);
    reset().await;
}

#[wasm_bindgen_test]
async fn an_unknown_client_name_shows_instants_message_and_retry_tries_again() {
    reset().await;
    let app = mount_app(with_an_unknown_client_name());
    sign_in_to_clerk(&unique_email("unknown-client")).await;
    wait_for_text(&app, FAILED).await;
    let text = app.text();
    assert!(
        text.contains("No Clerk client named \"no-such-client\""),
        "Instant's message must show, not just a status: {text}"
    );
    assert!(!text.contains("API Error"), "{text}");
    // Real Instant's words name no setting: the app says which one it is.
    assert!(
        text.contains("add a Clerk client of that name to your Instant app"),
        "{text}"
    );
    assert_eq!(stored_instant_user(), None);

    let exchanges = exchange_count().await;
    click_button(&app, "Retry").await;
    // The retry really asks Instant again, and fails the same way.
    let start = js_sys::Date::now();
    while exchange_count().await == exchanges {
        assert!(
            js_sys::Date::now() - start < DEADLINE.as_millis() as f64,
            "Retry made no new exchange"
        );
        leptos::task::tick().await;
    }
    wait_for_text(&app, "No Clerk client named").await;
    assert!(has_button(&app, "Retry"));

    // Retry cannot fix the app's settings: Sign out leaves both services.
    focus_and_click_button(&app, "Sign out").await;
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    assert!(clerk_user_id().is_none(), "Clerk is signed out too");
    assert!(!app.text().contains(FAILED), "{}", app.text());
    drop(app);
    reset().await;
}

/// The `selector` element showing `text` is in exactly one live region,
/// which screen readers announce it from: none (not announced) or two, one
/// inside the other (heard twice by some), fail.
fn assert_announced_once(app: &Mounted, selector: &str, text: &str) {
    const LIVE: &str = "[aria-live], [role=alert], [role=status], [role=log]";
    let shown = find(&app.root, selector, text)
        .unwrap_or_else(|| panic!("no {selector} says {text:?}: {}", app.text()));
    let mut live_regions = 0;
    let mut element: Option<web_sys::Element> = Some(shown.into());
    while let Some(current) = element {
        if current.matches(LIVE).unwrap() {
            live_regions += 1;
        }
        element = current.parent_element();
    }
    assert_eq!(live_regions, 1, "{}", app.root.inner_html());
}

#[wasm_bindgen_test]
async fn a_sign_in_that_cannot_open_says_why_until_one_does() {
    let app = mount_signed_out().await;
    clerk_fail_next_open_sign_in("Clerk UI components are not ready");
    focus_and_click_button(&app, "Sign in").await;
    wait_for_text(&app, "Clerk's sign-in did not open.").await;
    // The button is still there: focus stays on it, so that Enter tries again.
    wait_until("focus is back on Sign in", || {
        page_document()
            .active_element()
            .and_then(|element| element.text_content())
            .as_deref()
            == Some("Sign in")
    })
    .await;
    let text = app.text();
    assert!(text.contains("Clerk UI components are not ready"), "{text}");
    assert!(text.contains("Press Sign in to try again."), "{text}");
    assert_announced_once(&app, "strong", "Clerk's sign-in did not open.");

    // The next click opens it, and the error goes.
    click_button(&app, "Sign in").await;
    wait_until("the sign-in picker opened", sign_in_dialog_is_open).await;
    assert!(!app.text().contains("did not open"), "{}", app.text());
    clerk_close_sign_in();
    wait_until("the picker closed", || !sign_in_dialog_is_open()).await;
    drop(app);
}

#[wasm_bindgen_test]
async fn an_unreachable_api_shows_the_network_error_in_plain_words() {
    reset().await;
    let config = AppConfig {
        // Nothing listens on the discard port of this machine.
        instant_api_uri: "http://127.0.0.1:9".to_owned(),
        ..config()
    };
    let app = mount_app(config);
    sign_in_to_clerk(&unique_email("unreachable")).await;
    wait_for_text(&app, FAILED).await;
    wait_for_text(&app, "Could not reach Instant at http://127.0.0.1:9").await;
    assert!(
        app.text().contains("Check your connection"),
        "{}",
        app.text()
    );
    // On this computer, the likelier cause is a stopped emulator.
    assert!(
        app.text().contains("start the local emulator"),
        "{}",
        app.text()
    );
    assert!(has_button(&app, "Retry"));
    assert_eq!(stored_instant_user(), None);
    drop(app);
    reset().await;
}

#[wasm_bindgen_test]
async fn an_api_uri_without_a_scheme_says_the_settings_are_wrong() {
    reset().await;
    let config = AppConfig {
        instant_api_uri: "127.0.0.1:8788".to_owned(),
        ..config()
    };
    let app = mount_app(config);
    sign_in_to_clerk(&unique_email("no-scheme")).await;
    wait_for_text(&app, FAILED).await;
    let text = app.text();
    assert!(
        text.contains("This app's Instant settings are wrong"),
        "{text}"
    );
    assert!(text.contains("http://"), "says what to write: {text}");
    assert!(!text.contains("Check your connection"), "{text}");
    // Where the setting comes from, and no Retry, which cannot fix it.
    assert!(text.contains("INSTANT_API_URI"), "{text}");
    assert!(text.contains("build the app again"), "{text}");
    assert!(!has_button(&app, "Retry"), "{text}");
    click_button(&app, "Sign out").await;
    wait_until("signed out", || has_button(&app, "Sign in")).await;
    drop(app);
    reset().await;
}

#[wasm_bindgen_test]
async fn sign_out_with_instant_unreachable_still_signs_out_of_both() {
    let app = mount_signed_in(&unique_email("sign-out-offline")).await;
    let refresh_token = refresh_token_of_stored_session();
    drop(app);

    // The same stored session on a page that cannot reach Instant.
    let app = mount_app(AppConfig {
        instant_api_uri: "http://127.0.0.1:9".to_owned(),
        ..config()
    });
    wait_for_text(&app, SIGNED_IN).await;
    focus_and_click_button(&app, "Sign out").await;
    wait_until("Clerk is signed out", || clerk_user_id().is_none()).await;
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    assert_eq!(stored_instant_user(), None);
    assert!(!app.text().contains(FAILED), "{}", app.text());
    drop(app);

    // The server never heard of the sign-out: the token waits in storage,
    // and the next start tells the server, then lets it go.
    let unrevoked = || local_storage().get_item(&unrevoked_storage_key()).unwrap();
    wait_until("the revoke waits in storage", || {
        unrevoked().as_deref() == Some(refresh_token.as_str())
    })
    .await;
    assert!(refresh_token_verifies(&refresh_token).await);
    let app = mount_app(config());
    wait_until_revoked(&refresh_token).await;
    wait_until("nothing waits any more", || unrevoked().is_none()).await;
    drop(app);
}

#[wasm_bindgen_test]
async fn a_failed_clerk_sign_out_says_so_and_can_be_finished() {
    let app = mount_signed_in(&unique_email("clerk-sign-out-fails")).await;
    let refresh_token = refresh_token_of_stored_session();

    // Clerk cannot be reached: its sign-out request fails as offline.
    let _ = fail_next_fetch_to("/__emulator/client/sign-out");
    focus_and_click_button(&app, "Sign out").await;
    wait_for_text(&app, "You are signed out of Instant, but not of Clerk.").await;
    let text = app.text();
    assert!(text.contains("Failed to fetch"), "Clerk's reason: {text}");
    assert!(clerk_user_id().is_some(), "Clerk is still signed in");
    assert_eq!(stored_instant_user(), None);
    wait_until_revoked(&refresh_token).await;
    wait_until("focus is on the status area", || {
        focus_is_in_status_region(&app)
    })
    .await;

    focus_and_click_button(&app, "Sign out of Clerk").await;
    wait_until("Clerk is signed out", || clerk_user_id().is_none()).await;
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    assert!(!app.text().contains("not of Clerk"), "{}", app.text());
    wait_until("focus is on the status area", || {
        focus_is_in_status_region(&app)
    })
    .await;
    drop(app);
}
