//! What the session link keeps in localStorage: the Clerk user id the
//! stored Instant session belongs to, and the markers other tabs read
//! while a tab signs in or out. Storage that is missing, blocked or full
//! reads as empty and refuses writes quietly (the callers say what that
//! costs).

use leptos::prelude::*;
use leptos::task::spawn_local;

/// The longest another tab's sign-in or Sign out counts as under way: one
/// that never finishes (its tab was closed in the middle) must not hold
/// this tab up. Longer than Clerk's time limit for a call
/// ([`DEFAULT_CALL_TIMEOUT`](crate::clerk::DEFAULT_CALL_TIMEOUT)), so that
/// while a tab waits that long for Clerk's sign-out, the others still say
/// "Signing out…" with it.
const MARKER_MS: u64 = 20_000;
const _: () = assert!(MARKER_MS > crate::clerk::DEFAULT_CALL_TIMEOUT.as_millis() as u64);

/// The localStorage key holding the Clerk user id that the stored Instant
/// session of `app_id` belongs to.
pub fn owner_storage_key(app_id: &str) -> String {
    format!("clerk-instant.{app_id}.clerk-user-id")
}

/// The Clerk user id stored under `key`: a JSON string, so that ids
/// written by earlier builds of the app still read.
/// Missing, blocked or unreadable storage, and an empty id, read as none.
pub(super) fn read_owner(key: &str) -> Option<String> {
    let raw = local_storage()?.get_item(key).ok()??;
    let id = js_sys::JSON::parse(&raw).ok()?.as_string()?;
    (!id.is_empty()).then_some(id)
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
/// Clerk) starts (or `<Clerk user id>`, by a page that loaded after the
/// Clerk session ended and so never knew it). Other tabs see Instant's sign-out before Clerk's (clerk-js
/// tells them by a message, and they ask Clerk's servers before they show
/// it), and without the marker would offer to sign in to Instant again in
/// between. It stays after a successful sign-out: it counts (for at most
/// 20 s) only in a tab whose last Clerk session is the one it names, signed
/// in with it or just signed out of it, which a later sign-in never is (or
/// whose Clerk user it names; the next exchange takes that one away). A
/// failed sign-out takes it away; the next exchange tidies it up.
pub fn sign_out_marker_key(app_id: &str) -> String {
    format!("clerk-instant.{app_id}.signing-out")
}

/// The localStorage key of the sign-in marker: `<ms since the epoch>
/// <Clerk session id> <random>`, held by a tab while it exchanges a Clerk token for
/// an Instant session. Other tabs that see it wait for that session (for
/// at most 20 s) instead of exchanging a token of their own, or offering
/// to, in between. Any fresh one counts, whatever
/// session it names (a tab's Clerk may not have caught up with a sign-in
/// or switch yet): the id is there for people reading storage, and the
/// random part makes each marker its own, so that a tab takes away only
/// its own (unless another tab replaced it in between: one key, no lock).
pub fn sign_in_marker_key(app_id: &str) -> String {
    format!("clerk-instant.{app_id}.signing-in")
}

/// The localStorage key naming the Clerk session whose Sign out this
/// browser started last: `<ms since the epoch> <Clerk session id>`. Instant
/// is signed out for that session on purpose, so it is not signed in again
/// on its own (a page that mounts, another tab, a reload) if Clerk's half
/// failed, hung or was cut short: only when asked, by Sign in to Instant or
/// Retry. Unlike the markers, it does not run out; the next exchange takes
/// it away, and a new Clerk session is never the one it names.
pub fn signed_out_session_key(app_id: &str) -> String {
    format!("clerk-instant.{app_id}.signed-out-session")
}

/// When (ms since the epoch) the marker under `key` was written, and what
/// follows: the Clerk session id (with, for the sign-in marker, its random
/// part). Any marker, whatever its age.
pub(super) fn marked_session(key: &str) -> Option<(u64, String)> {
    let marker = local_storage()?.get_item(key).ok()??;
    let (written, clerk_session_id) = marker.split_once(' ')?;
    Some((written.parse().ok()?, clerk_session_id.to_owned()))
}

/// The Clerk session id the marker (either kind) under `key` names and the
/// ms left of it, if one is there and younger than [`MARKER_MS`].
pub(super) fn fresh_marker(key: &str) -> Option<(String, u64)> {
    let (written, clerk_session_id) = marked_session(key)?;
    let age = (js_sys::Date::now() as u64).checked_sub(written)?;
    let left = MARKER_MS.checked_sub(age).filter(|left| *left > 0)?;
    Some((clerk_session_id, left))
}

/// Writes a marker naming `clerk_session_id` under `key`, or takes it away
/// for `None`; returns what it wrote. Storage that refuses only costs
/// other tabs the wait in between.
pub(super) fn write_marker(key: &str, clerk_session_id: Option<&str>) -> Option<String> {
    let storage = local_storage()?;
    match clerk_session_id {
        Some(id) => {
            let marker = format!("{} {id}", js_sys::Date::now() as u64);
            storage.set_item(key, &marker).ok()?;
            Some(marker)
        }
        None => {
            let _ = storage.remove_item(key);
            None
        }
    }
}

/// Keeps `clerk_session_id` (what another tab's marker names) in step with
/// the marker under `key`, and looks again when a fresh marker runs out.
pub(super) fn follow_marker(key: String, clerk_session_id: RwSignal<Option<String>>) {
    let marker = fresh_marker(&key);
    let left = marker.as_ref().map(|(_, left)| *left);
    let id = marker.map(|(id, _)| id);
    // Set only on a change: everything that reads `busy` reruns on a set.
    let Some(seen) = clerk_session_id.try_get_untracked() else {
        return; // disposed
    };
    if seen != id {
        clerk_session_id.try_set(id);
    }
    if let Some(left) = left {
        spawn_local(async move {
            gloo_timers::future::TimeoutFuture::new(left as u32 + 1).await;
            follow_marker(key, clerk_session_id);
        });
    }
}

/// This tab's sign-in marker, while its exchange runs: written when made,
/// taken away when dropped (or when the page goes away first, which would
/// otherwise hold other tabs, and this page reloaded, up to 20 s), unless
/// another tab's marker has replaced it meanwhile.
pub(super) struct SignInMarker {
    key: String,
    marker: String,
    page_hidden: Option<WindowListenerHandle>,
}

impl SignInMarker {
    /// Marks an exchange for `clerk_session_id` under `key`; `None` when
    /// storage refused.
    pub(super) fn write(key: String, clerk_session_id: &str) -> Option<Self> {
        // Two tabs on one Clerk session could write in the same ms.
        let random = (js_sys::Math::random() * f64::from(u32::MAX)) as u32;
        let marker = write_marker(&key, Some(&format!("{clerk_session_id} {random:08x}")))?;
        let (page_key, page_marker) = (key.clone(), marker.clone());
        let page_hidden = window_event_listener(leptos::ev::pagehide, move |_| {
            remove_if_unchanged(&page_key, &page_marker);
        });
        Some(Self {
            key,
            marker,
            page_hidden: Some(page_hidden),
        })
    }
}

impl Drop for SignInMarker {
    fn drop(&mut self) {
        remove_if_unchanged(&self.key, &self.marker);
        if let Some(page_hidden) = self.page_hidden.take() {
            page_hidden.remove();
        }
    }
}

/// Takes away the marker under `key` if it is still `marker`.
pub(super) fn remove_if_unchanged(key: &str, marker: &str) {
    if let Some(storage) = local_storage() {
        if storage.get_item(key).ok().flatten().as_deref() == Some(marker) {
            let _ = storage.remove_item(key);
        }
    }
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}
