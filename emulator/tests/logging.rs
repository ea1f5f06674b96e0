//! The emulator's log, as a program that captures it (`cargo xtask dev`)
//! sees it: plain text, and saying what actually happened.

mod support;

use serde_json::{json, Value};
use support::Emulator;

async fn post_settings(emulator: &Emulator, body: Value) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{}/__emulator/settings", emulator.clerk_url()))
        .bearer_auth(emulator::config::DEFAULT_SECRET_KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    response.json().await.unwrap()
}

#[tokio::test]
async fn settings_changes_are_logged_as_they_are_and_without_colour_codes() {
    let emulator = tokio::task::spawn_blocking(|| Emulator::start_logging(&["--in-memory"]))
        .await
        .unwrap();

    // The claim is on already: nothing changes, and the log says so.
    assert_eq!(
        post_settings(&emulator, json!({ "email_claim": true })).await,
        json!({ "email_claim": true })
    );
    let line = emulator.wait_for_log_line("session token template");
    assert!(
        line.contains("session token template unchanged") && line.contains("email_claim=true"),
        "{line}"
    );

    assert_eq!(
        post_settings(&emulator, json!({ "email_claim": false })).await,
        json!({ "email_claim": false })
    );
    let line = emulator.wait_for_log_line("session token template changed");
    assert!(line.contains("email_claim=false"), "{line}");

    // stderr is a pipe here, not a terminal: no ANSI escape codes.
    let log = emulator.log();
    assert!(!log.contains('\u{1b}'), "{log:?}");
    assert_eq!(
        log.matches("session token template").count(),
        2,
        "one line per POST: {log}"
    );
}
