//! What every browser test needs of the running emulator: its values
//! (given at build time by `cargo xtask test browser`), real Clerk tokens
//! from its Backend API, its Instant admin, runtime and stats endpoints,
//! and waiting with a deadline.

#![allow(dead_code)] // each test file uses its own subset

use std::future::Future;
use std::time::Duration;

use gloo_net::http::{Request, RequestBuilder};
use serde_json::{json, Value};

/// The emulator's Clerk secret key (Backend API, settings).
pub const CLERK_SECRET_KEY: &str = "sk_test_emulator";
/// The emulator's Instant admin token.
pub const ADMIN_TOKEN: &str = "emulator-admin-token";
/// How long any awaited outcome may take.
pub const DEADLINE: Duration = Duration::from_secs(15);

/// A build-time value from `cargo xtask test browser`. Without it the tests
/// would talk to whatever listens on the emulator's default ports (a
/// `cargo xtask dev` emulator, with its saved users): refused instead.
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
    build_env("INSTANT_API_URI", option_env!("INSTANT_API_URI")).trim_end_matches('/')
}

/// The emulator app's id.
pub fn app_id() -> &'static str {
    build_env("INSTANT_APP_ID", option_env!("INSTANT_APP_ID"))
}

/// The Clerk client registered on the app.
pub fn client_name() -> &'static str {
    build_env("CLERK_CLIENT_NAME", option_env!("CLERK_CLIENT_NAME"))
}

/// The publishable key naming the Clerk role.
pub fn publishable_key() -> &'static str {
    build_env(
        "CLERK_PUBLISHABLE_KEY",
        option_env!("CLERK_PUBLISHABLE_KEY"),
    )
}

/// The Clerk role's base URI (frontend and Backend API).
pub fn clerk_api() -> &'static str {
    build_env("CLERK_FRONTEND_API", option_env!("CLERK_FRONTEND_API")).trim_end_matches('/')
}

/// An address nobody has used: unique per call, so tests never share users.
pub fn unique_email(label: &str) -> String {
    let nonce = (js_sys::Math::random() * 1e12) as u64;
    format!("{label}-{}-{nonce}@example.com", js_sys::Date::now() as u64)
}

// --- requests ----------------------------------------------------------------

/// Sends `request` (with `body` as JSON, if any): the status and the answer,
/// as JSON, or as a JSON string when it is not JSON.
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

/// Switches the `email` claim of new Clerk session tokens on or off.
pub async fn set_email_claim(on: bool) {
    let url = format!("{}/__emulator/settings", clerk_api());
    let (status, answer) = send(
        Request::post(&url).header("authorization", &format!("Bearer {CLERK_SECRET_KEY}")),
        Some(json!({ "email_claim": on })),
    )
    .await;
    assert_eq!(status, 200, "setting email_claim={on}: {answer}");
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
    assert_eq!(status, 200, "admin lookup of {email}: {answer}");
    Some(answer["user"].clone()).filter(|user| !user.is_null())
}

/// Whether Instant still accepts `refresh_token`: it answers 200, or
/// refuses it as a session it does not know. Any other answer (a wrong
/// path, an emulator in trouble) fails the test instead of passing for
/// "revoked".
pub async fn refresh_token_verifies(refresh_token: &str) -> bool {
    let url = format!("{}/runtime/auth/verify_refresh_token", api_uri());
    let (status, answer) = send(
        Request::post(&url),
        Some(json!({ "app-id": app_id(), "refresh-token": refresh_token })),
    )
    .await;
    let unknown_session = status == 400
        && answer["type"] == "record-not-found"
        && answer["hint"]["record-type"] == "app-user";
    assert!(
        status == 200 || unknown_session,
        "verify_refresh_token answered {status}: {answer}"
    );
    status == 200
}

/// Tells the page the browser is back online, as the browser does once
/// the network returns.
pub fn browser_back_online() {
    web_sys::window()
        .unwrap()
        .dispatch_event(&web_sys::Event::new("online").unwrap())
        .unwrap();
}

/// Waits until Instant no longer accepts `refresh_token`: a session ended
/// here at once is revoked on the server alongside.
pub async fn wait_until_revoked(refresh_token: &str) {
    let start = js_sys::Date::now();
    while refresh_token_verifies(refresh_token).await {
        assert!(
            js_sys::Date::now() - start < DEADLINE.as_millis() as f64,
            "the ended session's refresh token still verifies on the server"
        );
        next_turn().await;
    }
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
    assert_eq!(status, 200, "signing the session out elsewhere: {answer}");
}

/// How many requests to `endpoint` (a key of the emulator's `requests`
/// stats) the Instant role has answered since it started.
async fn request_count(endpoint: &str) -> u64 {
    let url = format!("{}/__emulator/stats", api_uri());
    let (status, stats) = send(Request::get(&url), None).await;
    assert_eq!(status, 200, "stats: {stats}");
    stats["requests"][endpoint]
        .as_u64()
        .unwrap_or_else(|| panic!("stats without requests.{endpoint}: {stats}"))
}

/// How many ID-token exchanges the Instant role has answered.
pub async fn exchange_count() -> u64 {
    request_count("oauth_id_token").await
}

/// How many sign-outs the Instant role has answered.
pub async fn signout_count() -> u64 {
    request_count("signout").await
}

/// How many refresh-token checks the Instant role has answered.
pub async fn verify_count() -> u64 {
    request_count("verify_refresh_token").await
}

// --- waiting -----------------------------------------------------------------

/// Lets the browser run timers, events, requests and spawned tasks.
pub async fn next_turn() {
    gloo_timers::future::TimeoutFuture::new(25).await;
}

/// Polls `check` until it holds, failing with `what` after [`DEADLINE`].
pub async fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let start = js_sys::Date::now();
    // Queued tasks first: what the test just did may take effect in one.
    let queued = js_sys::Promise::resolve(&wasm_bindgen::JsValue::UNDEFINED);
    let _ = wasm_bindgen_futures::JsFuture::from(queued).await;
    while !check() {
        if js_sys::Date::now() - start > DEADLINE.as_millis() as f64 {
            panic!("timed out waiting until {what}");
        }
        next_turn().await;
    }
}

/// Awaits `future` but fails after [`DEADLINE`] instead of hanging.
pub async fn within_deadline<T>(what: &str, future: impl Future<Output = T>) -> T {
    use futures::future::{select, Either};
    let deadline = gloo_timers::future::TimeoutFuture::new(DEADLINE.as_millis() as u32);
    match select(std::pin::pin!(future), deadline).await {
        Either::Left((output, _)) => output,
        Either::Right(_) => panic!("timed out waiting for {what}"),
    }
}
