#![cfg(target_arch = "wasm32")]
//! The app in headless Chromium against the running emulator, one module
//! per concern: signing in and the stored session (`sign_in`), a session
//! ended elsewhere (`ended_session`), another Clerk account
//! (`account_switch`), Sign out here and in other tabs (`sign_out`), one
//! exchange for all tabs (`other_tabs`), and the pages and links
//! (`pages`). One test binary: they share one page and one `window.Clerk`
//! (see `app_support`).

#[path = "../app_support/mod.rs"]
mod app_support;
#[path = "../fetch_support/mod.rs"]
mod fetch_support;

mod account_switch;
mod ended_session;
mod other_tabs;
mod pages;
mod sign_in;
mod sign_out;

use app_support::*;
use fetch_support::{delay_next_fetch_to, fail_next_fetch_to};
use wasm_bindgen::JsCast as _;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// What "Loading…" adds once it has lasted 5 s.
const SLOW: &str = "Clerk or Instant is taking longer than usual to answer.";

const NOT_TO_INSTANT: &str = "You are signed in to Clerk but not to Instant.";

/// The sign-in marker in storage, if any.
fn stored_sign_in_marker() -> Option<String> {
    local_storage().get_item(&sign_in_marker_key()).unwrap()
}

/// Checks that `writes` (from [`StorageWrites`]) hold `first`, then `then`.
fn assert_written_in_order(writes: &[String], first: &str, then: &str) {
    let position = |write: &str| writes.iter().position(|seen| seen == write);
    let (first_at, then_at) = (position(first), position(then));
    assert!(
        first_at.is_some() && then_at.is_some() && first_at < then_at,
        "{first:?} not before {then:?}: {writes:?}"
    );
}
