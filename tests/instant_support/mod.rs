//! Shared helpers for the Instant client's browser tests: signed-in
//! clients, storage as the client and other tabs see it, and a mount point;
//! what they need of the emulator is in [`emulator_support`].

#![allow(dead_code)] // each test file uses its own subset

#[path = "../emulator_support/mod.rs"]
mod emulator_support;

use clerk_instant::instant::{init, Instant, InstantConfig, User};

pub use emulator_support::*;

/// The configuration every test client uses, unless it needs another.
pub fn config() -> InstantConfig {
    InstantConfig::new(app_id()).with_api_uri(api_uri())
}

/// A fresh client with no stored session.
pub fn fresh_client() -> Instant {
    clear_storage();
    init(config())
}

/// Signs a new person (`label` in their email) in with a fresh client:
/// the client and the signed-in user.
pub async fn signed_in_client(label: &str) -> (Instant, User) {
    let token = clerk_token_for(&unique_email(label)).await;
    let db = fresh_client();
    let user = db
        .auth()
        .sign_in_with_id_token(client_name(), &token)
        .await
        .expect("sign-in with a fresh Clerk token");
    (db, user)
}

/// Signs a new person in with a fresh client and drops it, leaving the
/// session stored, as a page does before a reload.
pub async fn stored_sign_in(label: &str) -> User {
    signed_in_client(label).await.1
}

/// The storage key the client documents: `instant.<app_id>.user`.
pub fn storage_key() -> String {
    format!("instant.{}.user", app_id())
}

/// The key the client documents for the refresh token of a session found
/// ended: `instant.<app_id>.ended`.
pub fn ended_key() -> String {
    format!("instant.{}.ended", app_id())
}

fn local_storage() -> web_sys::Storage {
    web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .expect("localStorage")
}

/// The raw stored session, if any.
pub fn stored_session() -> Option<String> {
    local_storage().get_item(&storage_key()).unwrap()
}

/// The refresh token named under [`ended_key`], if any.
pub fn ended_session() -> Option<String> {
    local_storage().get_item(&ended_key()).unwrap()
}

/// Writes a raw value under the session key.
pub fn store_raw(value: &str) {
    local_storage().set_item(&storage_key(), value).unwrap();
}

/// Removes the stored session.
pub fn clear_storage() {
    local_storage().remove_item(&storage_key()).unwrap();
}

/// A fresh element in the page to mount a component into.
pub fn mount_point() -> web_sys::HtmlElement {
    use wasm_bindgen::JsCast as _;
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    root.unchecked_into()
}

/// A same-origin frame standing in for another tab: it shares this page's
/// `localStorage`, and its writes fire real `storage` events here.
pub struct OtherTab {
    frame: web_sys::HtmlIFrameElement,
}

impl OtherTab {
    /// Opens the frame.
    pub fn open() -> Self {
        use wasm_bindgen::JsCast as _;
        let document = web_sys::window().unwrap().document().unwrap();
        let frame: web_sys::HtmlIFrameElement =
            document.create_element("iframe").unwrap().unchecked_into();
        document.body().unwrap().append_child(&frame).unwrap();
        Self { frame }
    }

    fn storage(&self) -> web_sys::Storage {
        self.frame
            .content_window()
            .expect("frame window")
            .local_storage()
            .unwrap()
            .expect("frame localStorage")
    }

    /// Stores a session, as a tab that signed in does.
    pub fn store_session(&self, raw: &str) {
        self.storage().set_item(&storage_key(), raw).unwrap();
    }

    /// Removes the session, as a tab that signed out does.
    pub fn remove_session(&self) {
        self.storage().remove_item(&storage_key()).unwrap();
    }

    /// Names the session of `refresh_token` as ended, then removes it, as a
    /// tab whose check found it ended does.
    pub fn end_session(&self, refresh_token: &str) {
        self.storage()
            .set_item(&ended_key(), refresh_token)
            .unwrap();
        self.remove_session();
    }
}

impl Drop for OtherTab {
    fn drop(&mut self) {
        self.frame.remove();
    }
}
