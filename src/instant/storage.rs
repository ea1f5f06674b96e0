//! The persisted session: one `localStorage` key per app id holding the
//! [`User`] JSON (with its refresh token), and the `storage` events through
//! which other tabs follow sign-in and sign-out. Beside it, per app id, the
//! refresh tokens whose revoke is to be sent again, and the one of the
//! session last found ended.
//!
//! Storage that is missing, blocked or corrupt never panics: the client then
//! treats the person as signed out, or keeps the session in memory only.

use super::User;

/// The key a session for `app_id` is kept under: `instant.<app_id>.user`.
pub(crate) fn storage_key(app_id: &str) -> String {
    format!("instant.{app_id}.user")
}

/// The key under which refresh tokens wait whose revoke could not reach
/// Instant (space-separated, at most [`MAX_UNREVOKED`]):
/// `instant.<app_id>.unrevoked`. [`init`](super::init) tries them again,
/// and so does a sign-in that Instant answers.
pub(crate) fn unrevoked_key(app_id: &str) -> String {
    format!("instant.{app_id}.unrevoked")
}

/// The key naming the session a tab found ended (its refresh token):
/// `instant.<app_id>.ended`. Other tabs that showed that session learn
/// from it why it went (see [`init`](super::init)).
pub(crate) fn ended_key(app_id: &str) -> String {
    format!("instant.{app_id}.ended")
}

/// The most refresh tokens kept for a revoke to be tried again: each is a
/// session still valid on the server, kept in this browser until then.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))] // only the browser build has storage
const MAX_UNREVOKED: usize = 10;

/// The session stored as `raw`, if it is a usable one for `app_id`.
///
/// Anything else (not JSON, not a user, an empty id or refresh token, a user
/// of another app) is no session: corrupt storage means signed out.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))] // only the browser build has storage
pub(crate) fn parse_stored_user(raw: &str, app_id: &str) -> Option<User> {
    let user = User::from_json_str(raw).ok()?;
    let usable = !user.id.trim().is_empty()
        && !user.refresh_token.trim().is_empty()
        && user.app_id.as_deref().is_none_or(|stored| stored == app_id);
    usable.then_some(user)
}

/// The refresh token in `raw`, a stored session of `app_id` that
/// [`parse_stored_user`] cannot use (a field of the wrong kind, say), if it
/// holds one that can be sent in a revoke: the session is still valid on
/// the server.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))] // only the browser build has storage
fn refresh_token_of_unusable(raw: &str, app_id: &str) -> Option<String> {
    use super::json::{as_object, field, parse};
    let stored = parse(raw)?;
    let stored = as_object(&stored)?;
    let stored_app_id = field(stored, "app_id").map(|id| id.as_string());
    if stored_app_id.is_some_and(|id| id.as_deref() != Some(app_id)) {
        return None; // another app's: not this app's to end
    }
    let token = field(stored, "refresh_token")?.as_string()?;
    // One word: the tokens waiting for a revoke are kept space-separated.
    let token = token.trim();
    (!token.is_empty() && !token.contains(char::is_whitespace)).then(|| token.to_owned())
}

/// The refresh tokens in `raw`, the value stored under [`unrevoked_key`]:
/// the last [`MAX_UNREVOKED`] of them, each once. A longer list (written by
/// hand, or by another program) would otherwise send a revoke per entry at
/// every start.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))] // only the browser build has storage
fn parse_unrevoked(raw: &str) -> Vec<String> {
    let mut tokens: Vec<String> = Vec::new();
    for token in raw.split_ascii_whitespace().rev() {
        if tokens.len() == MAX_UNREVOKED {
            break;
        }
        if !tokens.iter().any(|kept| kept == token) {
            tokens.push(token.to_owned());
        }
    }
    tokens.reverse();
    tokens
}

/// What another tab did to the stored session.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))] // only the browser build has other tabs
pub(crate) enum StoredChange {
    /// It stored this session.
    SignedIn(User),
    /// It removed the session (or cleared all of `localStorage`).
    SignedOut,
    /// It wrote this value, which is no session this client can read
    /// (see [`parse_stored_user`]).
    Unreadable(String),
}

#[cfg(target_arch = "wasm32")]
pub(crate) use browser::*;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) use memory_only::*;

/// Outside a browser (native unit tests, a server build) there is no
/// `localStorage`: sessions live in memory and no other tab exists.
#[cfg(not(target_arch = "wasm32"))]
mod memory_only {
    use super::{StoredChange, User};

    pub(crate) fn load(_key: &str, _app_id: &str) -> Option<User> {
        None
    }

    pub(crate) fn peek(_key: &str, _app_id: &str) -> Option<User> {
        None
    }

    pub(crate) fn save(_key: &str, _user: &User) {}

    pub(crate) fn clear(_key: &str) {}

    pub(crate) fn mark_ended(_key: &str, _refresh_token: &str) {}

    pub(crate) fn marked_ended(_key: &str) -> Option<String> {
        None
    }

    pub(crate) fn remember_unrevoked(_key: &str, _refresh_token: &str) {}

    pub(crate) fn forget_unrevoked(_key: &str, _refresh_token: &str) {}

    pub(crate) fn unrevoked(_key: &str) -> Vec<String> {
        Vec::new()
    }

    /// Nothing to listen to.
    pub(crate) struct WindowListener;

    pub(crate) fn listen(
        _key: String,
        _app_id: String,
        _on_change: impl Fn(StoredChange) + 'static,
    ) -> WindowListener {
        WindowListener
    }

    pub(crate) fn listen_online(_on_online: impl Fn() + 'static) -> WindowListener {
        WindowListener
    }
}

#[cfg(target_arch = "wasm32")]
mod browser {
    use leptos::prelude::{window_event_listener, WindowListenerHandle};
    use wasm_bindgen::JsValue;

    use super::{
        parse_stored_user, parse_unrevoked, refresh_token_of_unusable, unrevoked_key, StoredChange,
        User, MAX_UNREVOKED,
    };

    /// `localStorage`, if this page may use it: it is missing when the
    /// browser's privacy settings block it.
    fn local_storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    /// Reads the stored session. A corrupt entry is removed, so that it does not
    /// linger, and read as signed out; a refresh token in it waits for its
    /// revoke (see [`unrevoked_key`]), which the next
    /// [`init`](crate::instant::init) sends: removed, it would be a session
    /// nobody could end.
    pub(crate) fn load(key: &str, app_id: &str) -> Option<User> {
        let storage = local_storage()?;
        let raw = storage.get_item(key).ok().flatten()?;
        let user = parse_stored_user(&raw, app_id);
        if user.is_none() {
            leptos::logging::warn!("instant: ignoring an unreadable session stored under {key}");
            if let Some(refresh_token) = refresh_token_of_unusable(&raw, app_id) {
                remember_unrevoked(&unrevoked_key(app_id), &refresh_token);
            }
            let _ = storage.remove_item(key);
        }
        user
    }

    /// Reads the stored session as [`load`] does, but leaves an unreadable
    /// one where it is (to the next `load`).
    pub(crate) fn peek(key: &str, app_id: &str) -> Option<User> {
        let raw = local_storage()?.get_item(key).ok().flatten()?;
        parse_stored_user(&raw, app_id)
    }

    /// Stores the session. When the browser refuses (storage blocked or full),
    /// the session lives on in memory for this page only.
    pub(crate) fn save(key: &str, user: &User) {
        let stored = local_storage()
            .is_some_and(|storage| storage.set_item(key, &user.to_json_string()).is_ok());
        if !stored {
            leptos::logging::warn!(
                "instant: could not store the session (storage blocked or full); it lasts until the page closes"
            );
        }
    }

    /// Removes the stored session.
    pub(crate) fn clear(key: &str) {
        if let Some(storage) = local_storage() {
            let _ = storage.remove_item(key);
        }
    }

    /// Names the session whose refresh token is `refresh_token` as ended
    /// (under [`ended_key`](super::ended_key)). Storage that refuses loses
    /// only the reason other tabs would show.
    pub(crate) fn mark_ended(key: &str, refresh_token: &str) {
        if let Some(storage) = local_storage() {
            let _ = storage.set_item(key, refresh_token);
        }
    }

    /// The refresh token of the session last found ended, if any.
    pub(crate) fn marked_ended(key: &str) -> Option<String> {
        local_storage()?.get_item(key).ok().flatten()
    }

    /// The tokens under `key` whose revoke must be tried again.
    pub(crate) fn unrevoked(key: &str) -> Vec<String> {
        local_storage()
            .and_then(|storage| storage.get_item(key).ok().flatten())
            .map(|raw| parse_unrevoked(&raw))
            .unwrap_or_default()
    }

    /// Adds `refresh_token` to the tokens under `key` whose revoke must be
    /// tried again; the oldest go beyond [`MAX_UNREVOKED`]. Storage that
    /// refuses loses it: the session then lasts on the server until it
    /// expires, as it would have anyway.
    pub(crate) fn remember_unrevoked(key: &str, refresh_token: &str) {
        let mut tokens = unrevoked(key);
        if !tokens.iter().any(|token| token == refresh_token) {
            tokens.push(refresh_token.to_owned());
            let keep_from = tokens.len().saturating_sub(MAX_UNREVOKED);
            write_unrevoked(key, &tokens[keep_from..]);
        }
    }

    /// Takes `refresh_token` off the tokens under `key`: revoked, or
    /// refused for good.
    pub(crate) fn forget_unrevoked(key: &str, refresh_token: &str) {
        let tokens = unrevoked(key);
        if tokens.iter().any(|token| token == refresh_token) {
            let left: Vec<String> = tokens
                .into_iter()
                .filter(|token| token != refresh_token)
                .collect();
            write_unrevoked(key, &left);
        }
    }

    fn write_unrevoked(key: &str, tokens: &[String]) {
        if let Some(storage) = local_storage() {
            let _ = if tokens.is_empty() {
                storage.remove_item(key)
            } else {
                storage.set_item(key, &tokens.join(" "))
            };
        }
    }

    /// A listener on the window (see [`listen`], [`listen_online`]);
    /// removed on drop.
    pub(crate) struct WindowListener(Option<WindowListenerHandle>);

    impl Drop for WindowListener {
        fn drop(&mut self) {
            if let Some(handle) = self.0.take() {
                handle.remove();
            }
        }
    }

    /// Calls `on_change` whenever another tab writes or removes `key` (or
    /// clears all of `localStorage`).
    pub(crate) fn listen(
        key: String,
        app_id: String,
        on_change: impl Fn(StoredChange) + 'static,
    ) -> WindowListener {
        let handle = window_event_listener(leptos::ev::storage, move |event| {
            let from_local_storage = match (event.storage_area(), local_storage()) {
                (Some(area), Some(local)) => JsValue::from(area) == JsValue::from(local),
                _ => false,
            };
            if !from_local_storage {
                return;
            }
            match event.key() {
                // `localStorage.clear()` in another tab: no key, everything gone.
                None => on_change(StoredChange::SignedOut),
                Some(changed) if changed == key => match event.new_value() {
                    None => on_change(StoredChange::SignedOut),
                    Some(raw) => match parse_stored_user(&raw, &app_id) {
                        Some(user) => on_change(StoredChange::SignedIn(user)),
                        None => on_change(StoredChange::Unreadable(raw)),
                    },
                },
                Some(_) => {}
            }
        });
        WindowListener(Some(handle))
    }

    /// Calls `on_online` whenever the browser is back online.
    pub(crate) fn listen_online(on_online: impl Fn() + 'static) -> WindowListener {
        WindowListener(Some(window_event_listener(leptos::ev::online, move |_| {
            on_online()
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = "8d4a8e52-7f7b-4c43-9b39-3c1e2f0a5d61";

    #[test]
    fn one_key_per_app() {
        assert_eq!(storage_key(APP), format!("instant.{APP}.user"));
        assert_ne!(storage_key("a"), storage_key("b"));
    }

    #[test]
    fn revokes_to_try_again_are_the_last_few_each_once() {
        assert_eq!(parse_unrevoked(" a  b\ta "), ["b", "a"]);
        assert!(parse_unrevoked("").is_empty());
        // Thousands stored by hand: a start sends ten revokes, the newest.
        let many: Vec<String> = (0..5000).map(|n| format!("t{n}")).collect();
        let kept = parse_unrevoked(&many.join(" "));
        assert_eq!(kept, many[many.len() - MAX_UNREVOKED..]);
    }
}

/// Reading what is stored, in the browser: the JSON is the browser's.
#[cfg(all(test, target_arch = "wasm32"))]
mod json_tests {
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    const APP: &str = "8d4a8e52-7f7b-4c43-9b39-3c1e2f0a5d61";

    #[test]
    fn reads_a_stored_user() {
        let raw = format!(
            r#"{{"id":"u1","email":"ada@example.com","imageURL":null,"app_id":"{APP}",
                "created_at":"2025-01-02T03:04:05Z","isGuest":false,"refresh_token":"r1"}}"#
        );
        let user = parse_stored_user(&raw, APP).unwrap();
        assert_eq!(user.id, "u1");
        assert_eq!(user.refresh_token, "r1");
    }

    #[test]
    fn a_user_written_by_the_client_reads_back() {
        let user = User {
            id: "u1".into(),
            email: None,
            image_url: None,
            app_id: Some(APP.into()),
            created_at: Some("1700000000000".into()),
            is_guest: false,
            refresh_token: "r1".into(),
        };
        let raw = user.to_json_string();
        assert_eq!(parse_stored_user(&raw, APP), Some(user));
    }

    #[test]
    fn corrupt_storage_reads_as_signed_out() {
        for raw in [
            "",
            "not json",
            "{",
            "null",
            "42",
            "\"a string\"",
            "[]",
            "{}",
            r#"{"id":"u1"}"#,
            r#"{"id":"u1","refresh_token":""}"#,
            r#"{"id":"","refresh_token":"r1"}"#,
            r#"{"id":"u1","refresh_token":7}"#,
            r#"{"id":"u1","refresh_token":"r1","created_at":{"nested":true}}"#,
            "\u{0}\u{ffff}",
        ] {
            assert_eq!(parse_stored_user(raw, APP), None, "{raw:?}");
        }
    }

    #[test]
    fn an_unusable_session_gives_up_its_refresh_token_for_a_revoke() {
        let token = |raw: &str| refresh_token_of_unusable(raw, APP);
        assert_eq!(
            token(r#"{"id":"u1","refresh_token":" r1 ","isGuest":"no"}"#).as_deref(),
            Some("r1")
        );
        let ours = format!(r#"{{"id":7,"app_id":"{APP}","refresh_token":"r1"}}"#);
        assert_eq!(token(&ours).as_deref(), Some("r1"));
        for raw in [
            "not json",
            "[]",
            r#"{"id":"u1"}"#,
            r#"{"id":"u1","refresh_token":7}"#,
            r#"{"id":"u1","refresh_token":"  "}"#,
            // Would be two tokens in the space-separated list.
            r#"{"id":"u1","refresh_token":"r1 r2"}"#,
            // Another app's session is not this app's to end.
            r#"{"id":7,"app_id":"other-app","refresh_token":"r1"}"#,
            r#"{"id":7,"app_id":5,"refresh_token":"r1"}"#,
        ] {
            assert_eq!(token(raw), None, "{raw}");
        }
    }

    #[test]
    fn a_session_of_another_app_is_ignored() {
        let raw = r#"{"id":"u1","app_id":"other-app","refresh_token":"r1"}"#;
        assert_eq!(parse_stored_user(raw, APP), None);
        let without_app = r#"{"id":"u1","refresh_token":"r1"}"#;
        assert!(parse_stored_user(without_app, APP).is_some());
    }
}
