//! The app built with no settings (`src/config.rs`'s defaults) talks to an
//! emulator started with no flags: the same app id, Instant address,
//! publishable key and client name. Changing a default on one side only
//! would leave `cargo xtask dev` working (it passes the emulator's values
//! to the build) and a plain `trunk serve` beside a plain emulator not.
//! Likewise the secrets the test helpers send, which they cannot import.

use clap::Parser as _;
use emulator::cli::Cli;
use emulator::config::{
    DEFAULT_ADMIN_TOKEN, DEFAULT_APP_ID, DEFAULT_CLIENT_NAME, DEFAULT_SECRET_KEY,
};
use emulator::keys::publishable_key_for;

/// The value of `pub const NAME: &str = "value";` in `source` (`file`).
fn declared(file: &str, source: &str, name: &str) -> String {
    let declaration = format!("pub const {name}: &str = \"");
    let start = source
        .find(&declaration)
        .unwrap_or_else(|| panic!("{file} declares no {name}"))
        + declaration.len();
    let end = start + source[start..].find('"').unwrap();
    source[start..end].to_owned()
}

/// `pub const NAME: &str = "value";` in the app's config.
fn app_default(name: &str) -> String {
    declared("src/config.rs", include_str!("../../src/config.rs"), name)
}

#[test]
fn the_apps_defaults_are_the_emulators() {
    let defaults = Cli::parse_from(["emulator"]);
    assert_eq!(app_default("EMULATOR_APP_ID"), DEFAULT_APP_ID);
    assert_eq!(
        app_default("EMULATOR_API_URI"),
        format!("http://{}", defaults.instant_addr)
    );
    assert_eq!(
        app_default("EMULATOR_PUBLISHABLE_KEY"),
        publishable_key_for(&defaults.clerk_addr.to_string())
    );
    assert_eq!(app_default("EMULATOR_CLIENT_NAME"), DEFAULT_CLIENT_NAME);
}

#[test]
fn the_test_helpers_send_the_emulators_default_secrets() {
    assert_eq!(e2e::emulator::ADMIN_TOKEN, DEFAULT_ADMIN_TOKEN);
    assert_eq!(e2e::emulator::CLERK_SECRET_KEY, DEFAULT_SECRET_KEY);
    // The browser tests' helpers (wasm, beside the app) cannot import them.
    let file = "tests/emulator_support/mod.rs";
    let source = include_str!("../../tests/emulator_support/mod.rs");
    assert_eq!(declared(file, source, "ADMIN_TOKEN"), DEFAULT_ADMIN_TOKEN);
    assert_eq!(
        declared(file, source, "CLERK_SECRET_KEY"),
        DEFAULT_SECRET_KEY
    );
}
