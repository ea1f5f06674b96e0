//! Shared helpers for the Instant client's browser tests: the emulator's
//! values (given at build time), real Clerk tokens from the emulator's
//! Backend API, the Instant admin and stats endpoints, storage, and polling.

#![allow(dead_code)] // each test file uses its own subset

use std::future::Future;

use clerk_instant::instant::{init, Instant, InstantConfig, User};
use gloo_net::http::{Request, RequestBuilder};
use serde_json::{json, Value};

/// The emulator's Clerk secret key (Backend API).
pub const CLERK_SECRET_KEY: &str = "sk_test_emulator";
/// The emulator's Instant admin token.
pub const ADMIN_TOKEN: &str = "emulator-admin-token";
/// How long any awaited outcome may take.
const DEADLINE_MS: f64 = 10_000.0;

/// A build-time value from `cargo xtask test browser`.
fn build_env(name: &str, value: Option<&'static str>) -> &'static str {
    value.unwrap_or_else(|| {
        panic!(
            "{name} was not set when these tests were built: run them with \
             `cargo xtask test browser`, or start an emulator and pass its values"
        )
    })
}

/// The Instant role's base URI.
pub fn api_uri() -> &'static str {
    build_env("INSTANT_API_URI", option_env!("INSTANT_API_URI"))
}

/// The emulator app's id.
pub fn app_id() -> &'static str {
    build_env("INSTANT_APP_ID", option_env!("INSTANT_APP_ID"))
}

/// The Clerk client registered on the app.
pub fn client_name() -> &'static str {
    option_env!("CLERK_CLIENT_NAME").unwrap_or("clerk")
}

/// The Clerk role's base URI (frontend and Backend API).
pub fn clerk_api() -> &'static str {
    build_env("CLERK_FRONTEND_API", option_env!("CLERK_FRONTEND_API")).trim_end_matches('/')
}

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

/// An address nobody new: unique per call, so tests never share users.
pub fn unique_email(label: &str) -> String {
    let nonce = (js_sys::Math::random() * 1e12) as u64;
    format!("{label}-{}-{nonce}@example.com", js_sys::Date::now() as u64)
}

async fn send(request: RequestBuilder, body: Option<Value>) -> (u16, Value) {
    let request = match body {
        Some(body) => request
            .header("content-type", "application/json")
            .body(body.to_string())
            .unwrap(),
        None => request.build().unwrap(),
    };
    let response = request.send().await.expect("the emulator should answer");
    let status = response.status();
    let text = response.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

async fn clerk_backend(path: &str, body: Value) -> Value {
    let url = format!("{}{path}", clerk_api());
    let (status, answer) = send(
        Request::post(&url).header("authorization", &format!("Bearer {CLERK_SECRET_KEY}")),
        Some(body),
    )
    .await;
    assert!(
        (200..300).contains(&status),
        "Clerk Backend API {path}: {status} {answer}"
    );
    answer
}

/// A Clerk user with `email`, signed in: returns its session id.
pub async fn clerk_session(email: &str) -> String {
    let user = clerk_backend("/v1/users", json!({ "email_address": [email] })).await;
    let user_id = user["id"].as_str().expect("Clerk user id").to_owned();
    let session = clerk_backend("/v1/sessions", json!({ "user_id": user_id })).await;
    session["id"].as_str().expect("Clerk session id").to_owned()
}

/// A fresh session token of a Clerk session.
pub async fn clerk_token(session_id: &str) -> String {
    let token = clerk_backend(&format!("/v1/sessions/{session_id}/tokens"), json!({})).await;
    token["jwt"]
        .as_str()
        .expect("Clerk session token")
        .to_owned()
}

/// A session token for a new Clerk user with `email`.
pub async fn clerk_token_for(email: &str) -> String {
    clerk_token(&clerk_session(email).await).await
}

/// The Instant user with `email`, as the admin API sees it (`None` if none).
pub async fn admin_user_by_email(email: &str) -> Option<Value> {
    let url = format!("{}/admin/users", api_uri());
    let (status, answer) = send(
        Request::get(&url)
            .query([("app_id", app_id()), ("email", email)])
            .header("authorization", &format!("Bearer {ADMIN_TOKEN}"))
            .header("app-id", app_id()),
        None,
    )
    .await;
    assert_eq!(status, 200, "admin users: {answer}");
    Some(answer["user"].clone()).filter(|user| !user.is_null())
}

/// Whether Instant still accepts `refresh_token`.
pub async fn refresh_token_verifies(refresh_token: &str) -> bool {
    let url = format!("{}/runtime/auth/verify_refresh_token", api_uri());
    let (status, _) = send(
        Request::post(&url),
        Some(json!({ "app-id": app_id(), "refresh-token": refresh_token })),
    )
    .await;
    status == 200
}

/// The emulator's raw answer to an ID-token exchange, to compare the
/// client's decoding with.
pub async fn raw_exchange(client_name: &str, id_token: &str) -> (u16, Value) {
    let url = format!("{}/runtime/oauth/id_token", api_uri());
    send(
        Request::post(&url),
        Some(json!({ "app_id": app_id(), "client_name": client_name, "id_token": id_token })),
    )
    .await
}

/// Ends a session on the server only, as a sign-out on another device
/// does: this page's storage still holds it.
pub async fn sign_out_elsewhere(refresh_token: &str) {
    let url = format!("{}/runtime/signout", api_uri());
    let (status, answer) = send(
        Request::post(&url),
        Some(json!({ "app_id": app_id(), "refresh_token": refresh_token })),
    )
    .await;
    assert_eq!(status, 200, "signout: {answer}");
}

/// How many requests to `endpoint` (a key of the emulator's
/// `requests` stats) the emulator has answered since it started.
async fn request_count(endpoint: &str) -> u64 {
    let url = format!("{}/__emulator/stats", api_uri());
    let (status, stats) = send(Request::get(&url), None).await;
    assert_eq!(status, 200, "stats: {stats}");
    stats["requests"][endpoint]
        .as_u64()
        .unwrap_or_else(|| panic!("stats without requests.{endpoint}: {stats}"))
}

/// How many ID-token exchanges the emulator has answered since it started.
pub async fn exchange_count() -> u64 {
    request_count("oauth_id_token").await
}

/// How many refresh-token checks the emulator has answered since it started.
pub async fn verify_count() -> u64 {
    request_count("verify_refresh_token").await
}

/// Waits until `condition` holds, or fails naming `what` after the deadline.
pub async fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let start = js_sys::Date::now();
    while !condition() {
        assert!(
            js_sys::Date::now() - start < DEADLINE_MS,
            "timed out waiting until {what}"
        );
        next_turn().await;
    }
}

/// Awaits `future` but fails after the deadline instead of hanging.
pub async fn within_deadline<T>(what: &str, future: impl Future<Output = T>) -> T {
    use futures::future::{select, Either};
    let deadline = gloo_timers::future::TimeoutFuture::new(DEADLINE_MS as u32);
    match select(std::pin::pin!(future), deadline).await {
        Either::Left((output, _)) => output,
        Either::Right(_) => panic!("timed out waiting for {what}"),
    }
}

/// Waits until Instant no longer accepts `refresh_token` (revokes run
/// alongside, not before, what a sign-out changes here).
pub async fn wait_until_revoked(refresh_token: &str) {
    let start = js_sys::Date::now();
    while refresh_token_verifies(refresh_token).await {
        assert!(
            js_sys::Date::now() - start < DEADLINE_MS,
            "the refresh token still verifies on the server"
        );
        next_turn().await;
    }
}

/// Lets the browser run timers, events, requests and spawned tasks.
pub async fn next_turn() {
    gloo_timers::future::TimeoutFuture::new(10).await;
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
