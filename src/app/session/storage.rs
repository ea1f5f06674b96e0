//! What the session link keeps in localStorage: the Clerk user id the
//! stored Instant session belongs to, and the Sign out marker other tabs
//! read. Storage that is missing, blocked or full reads as empty and
//! refuses writes quietly (the callers say what that costs).

use leptos::prelude::*;
use leptos::task::spawn_local;

/// The longest another tab's Sign out counts as under way: one that never
/// finishes (its tab was closed in the middle) must not hold this tab up.
const SIGN_OUT_MARKER_MS: u64 = 10_000;

/// The localStorage key holding the Clerk user id that the stored Instant
/// session of `app_id` belongs to.
pub fn owner_storage_key(app_id: &str) -> String {
    format!("clerk-instant.{app_id}.clerk-user-id")
}

/// The Clerk user id stored under `key`: a JSON string (the format
/// gloo-storage wrote, so an id stored by an earlier build still reads).
/// Missing, blocked or unreadable storage reads as none.
pub(super) fn read_owner(key: &str) -> Option<String> {
    let raw = local_storage()?.get_item(key).ok()??;
    js_sys::JSON::parse(&raw).ok()?.as_string()
}

/// Stores (or, for `None`, removes) the Clerk user id under `key`; false
/// when the browser refused.
pub(super) fn write_owner(key: &str, clerk_user_id: Option<&str>) -> bool {
    let Some(storage) = local_storage() else {
        return false;
    };
    match clerk_user_id {
        Some(id) => js_sys::JSON::stringify(&id.into())
            .ok()
            .and_then(|json| json.as_string())
            .is_some_and(|json| storage.set_item(key, &json).is_ok()),
        None => storage.remove_item(key).is_ok(),
    }
}

/// The localStorage key of the Sign out marker: `<ms since the epoch>
/// <Clerk session id>`, written by a tab as its Sign out (Instant, then
/// Clerk) starts. Other tabs see Instant's sign-out before Clerk's (clerk-js
/// tells them by a message, and they ask Clerk's servers before they show
/// it), and without the marker would offer to sign in to Instant again in
/// between. It stays after a successful sign-out: it counts (for at most
/// 10 s) only in a tab whose last Clerk session is the one it names, signed
/// in with it or just signed out of it, which a later sign-in never is. A
/// failed sign-out takes it away; the next exchange tidies it up.
pub fn sign_out_marker_key(app_id: &str) -> String {
    format!("clerk-instant.{app_id}.signing-out")
}

/// The Clerk session id in the Sign out marker under `key` and the ms left
/// of it, if one is there and younger than [`SIGN_OUT_MARKER_MS`].
pub(super) fn fresh_sign_out_marker(key: &str) -> Option<(String, u64)> {
    let marker = local_storage()?.get_item(key).ok()??;
    let (started, clerk_session_id) = marker.split_once(' ')?;
    let age = (js_sys::Date::now() as u64).checked_sub(started.parse().ok()?)?;
    let left = SIGN_OUT_MARKER_MS
        .checked_sub(age)
        .filter(|left| *left > 0)?;
    Some((clerk_session_id.to_owned(), left))
}

/// Writes the Sign out marker for `clerk_session_id` under `key`, or takes
/// it away for `None`. Storage that refuses only costs other tabs the
/// "Signing out…" in between.
pub(super) fn write_sign_out_marker(key: &str, clerk_session_id: Option<&str>) {
    let Some(storage) = local_storage() else {
        return;
    };
    let _ = match clerk_session_id {
        Some(id) => storage.set_item(key, &format!("{} {id}", js_sys::Date::now() as u64)),
        None => storage.remove_item(key),
    };
}

/// Keeps `ending` (the Clerk session another tab is signing out of) in step
/// with the Sign out marker under `key`, and looks again when a fresh
/// marker runs out.
pub(super) fn follow_sign_out_marker(key: String, ending: RwSignal<Option<String>>) {
    let marker = fresh_sign_out_marker(&key);
    let left = marker.as_ref().map(|(_, left)| *left);
    if ending.try_set(marker.map(|(id, _)| id)).is_some() {
        return; // disposed
    }
    if let Some(left) = left {
        spawn_local(async move {
            gloo_timers::future::TimeoutFuture::new(left as u32 + 1).await;
            follow_sign_out_marker(key, ending);
        });
    }
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}
