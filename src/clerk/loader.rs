//! Loads clerk-js v6 from the frontend API the publishable key names.
//!
//! clerk-js v6 comes in two scripts: `@clerk/ui` (which defines
//! `window.__internal_ClerkUICtor`) and then `@clerk/clerk-js` (which reads
//! its publishable key from its own `data-clerk-publishable-key` attribute
//! and defines `window.Clerk`). After both, `Clerk.load(...)` fetches the
//! current session. Any step that fails, or the whole taking longer than the
//! time limit, ends in a [`ClerkError`] that says what to check.
//!
//! A page has one `window.Clerk`, so every provider on the page shares one
//! load: a second caller waits for the first load instead of starting
//! another. A failed load is forgotten, so a later call tries again.

use std::cell::RefCell;
use std::time::Duration;

use futures::future::{self, FutureExt as _, LocalBoxFuture, Shared};
use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::bridge::Clerk;
use super::error::{ClerkError, Result};
use super::key::PublishableKey;
use super::time_limit::within;

/// How long Clerk may take to load; Clerk's own loaders use 15 s.
pub const DEFAULT_LOAD_TIMEOUT: Duration = Duration::from_secs(15);

/// Path of the `@clerk/ui` browser bundle on the frontend API.
pub const UI_SCRIPT_PATH: &str = "/npm/@clerk/ui@1/dist/ui.browser.js";
/// Path of the clerk-js v6 browser bundle on the frontend API.
pub const CLERK_SCRIPT_PATH: &str = "/npm/@clerk/clerk-js@6/dist/clerk.browser.js";

type SharedLoad = Shared<LocalBoxFuture<'static, Result<Clerk>>>;

thread_local! {
    static LOAD_IN_FLIGHT: RefCell<Option<SharedLoad>> = const { RefCell::new(None) };
}

/// Loads Clerk for `key` (or joins the load already under way) and returns
/// the loaded `window.Clerk`.
pub(crate) async fn load_clerk(key: &PublishableKey, timeout: Duration) -> Result<Clerk> {
    if let Some(clerk) = Clerk::from_window().filter(Clerk::is_loaded) {
        return Ok(clerk);
    }
    let load = LOAD_IN_FLIGHT.with(|slot| {
        slot.borrow_mut()
            .get_or_insert_with(|| load_within(key.clone(), timeout).boxed_local().shared())
            .clone()
    });
    let result = load.clone().await;
    // Done either way: success is remembered by `window.Clerk` itself, and
    // a failure must not stop the next attempt.
    LOAD_IN_FLIGHT.with(|slot| {
        let mut slot = slot.borrow_mut();
        if slot.as_ref().is_some_and(|current| current.ptr_eq(&load)) {
            *slot = None;
        }
    });
    result
}

async fn load_within(key: PublishableKey, timeout: Duration) -> Result<Clerk> {
    within(timeout, load_steps(&key), |seconds| {
        ClerkError::LoadTimedOut {
            frontend_api: key.frontend_api_url(),
            seconds,
        }
    })
    .await
}

async fn load_steps(key: &PublishableKey) -> Result<Clerk> {
    let origin = key.frontend_api_url();
    let clerk_url = format!("{origin}{CLERK_SCRIPT_PATH}");
    if Clerk::from_window().is_none() {
        // Both fetched at once: one round trip to Clerk's host less before
        // a stored session can show. Ordered scripts still run UI first.
        let (ui, clerk) = future::join(
            inject_script(&format!("{origin}{UI_SCRIPT_PATH}"), None),
            inject_script(&clerk_url, Some(key.as_str())),
        )
        .await;
        ui?;
        clerk?;
    }
    let clerk = Clerk::from_window().ok_or(ClerkError::MissingGlobal { url: clerk_url })?;
    if !clerk.is_loaded() {
        clerk.load().await?;
    }
    // clerk-js is loaded once `load()` resolves. Something else in
    // `window.Clerk` may not be, and would never tell the page who is
    // signed in: it would say "Loading…" for good.
    if !clerk.is_loaded() {
        return Err(ClerkError::LoadFailed {
            message: "Clerk.load() finished, but Clerk.loaded is not true \
                      (is window.Clerk really clerk-js v6?)"
                .to_owned(),
        });
    }
    Ok(clerk)
}

/// Adds `<script src=url>` to the head and waits until it has run (after
/// the scripts added before it). A tag
/// left by an earlier, failed attempt is replaced so the browser fetches
/// the script again.
async fn inject_script(url: &str, publishable_key: Option<&str>) -> Result<()> {
    let failed = || ClerkError::ScriptFailed {
        url: url.to_owned(),
    };
    let document = web_sys::window()
        .and_then(|window| window.document())
        .ok_or(ClerkError::NoBrowser)?;
    let head = document.head().ok_or(ClerkError::NoBrowser)?;
    if let Ok(Some(stale)) = document.query_selector(&format!("script[src=\"{url}\"]")) {
        stale.remove();
    }
    let script: web_sys::HtmlScriptElement = document
        .create_element("script")
        .map_err(|_| failed())?
        .unchecked_into();
    script.set_src(url);
    // Not async: injected scripts then run in the order they were added.
    script.set_async(false);
    // As Clerk's own loader does: a CORS fetch, so the script also loads on
    // cross-origin-isolated pages (COEP `require-corp`).
    script.set_cross_origin(Some("anonymous"));
    if let Some(key) = publishable_key {
        script
            .set_attribute("data-clerk-publishable-key", key)
            .map_err(|_| failed())?;
    }
    let settled = Promise::new(&mut |resolve, reject| {
        script.set_onload(Some(&resolve));
        script.set_onerror(Some(&reject));
    });
    head.append_child(&script).map_err(|_| failed())?;
    let outcome = JsFuture::from(settled).await;
    script.set_onload(None);
    script.set_onerror(None);
    outcome.map(drop).map_err(|_: JsValue| failed())
}
