//! What browsers talk to on the Clerk role:
//!
//! - discovery: `/.well-known/jwks.json`, `/.well-known/openid-configuration`;
//! - the SDK stand-ins at clerk-js v6's and @clerk/ui's CDN paths
//!   (`/npm/@clerk/clerk-js@6/dist/clerk.browser.js`,
//!   `/npm/@clerk/ui@1/dist/ui.browser.js`) and their stylesheet;
//! - the sign-in page `/sign-in?redirect_url=…` and the dashboard at `/`;
//! - the stand-in's session endpoints `/__emulator/client` and under
//!   `/__emulator/client/` (the emulator's own protocol, not Clerk's
//!   frontend API), the account list for the picker, and the runtime
//!   settings.
//!
//! Browser sessions belong to one app origin. The stand-in keeps the session
//! id and a per-session secret (stored here only as a hash) in that origin's
//! localStorage and presents both, from that origin, to get tokens.
//!
//! The `/sign-in` page lives on this role's origin, so it cannot write the
//! app's localStorage. It hands the session over with a one-time ticket: the
//! sign-in makes a session bound to the `redirect_url`'s origin plus a ticket
//! that expires in two minutes, and sends the browser to
//! `redirect_url?__clerk_ticket=…`. The stand-in on that page strips the
//! parameter from the URL, redeems the ticket from the app's origin, and
//! receives the session id and its secret.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use super::api_error::{ApiError, Result};
use super::backend_api::{
    json_object, load_session_and_user, normalize_email, optional_string,
    optional_unbounded_string, session_json, user_json,
};
use super::extract::{Body, PathParams};
use super::store::{self, Session, User};
use super::{
    client_cors, hash_secret, loopback_cors, now_ms, origin_of, random_secret, ClerkState,
    TOKEN_LIFETIME_SECS,
};
use crate::keys::is_loopback_origin;

/// The clerk-js stand-in (creates `window.Clerk`).
const CLERK_JS: &str = include_str!("../../assets/clerk.browser.js");
/// The @clerk/ui stand-in (the account picker, as `window.__internal_ClerkUICtor`).
const UI_JS: &str = include_str!("../../assets/ui.browser.js");
/// Styles of the picker, the modal and the role's pages.
const UI_CSS: &str = include_str!("../../assets/ui.css");
/// The `/sign-in` page.
const SIGN_IN_HTML: &str = include_str!("../../assets/sign-in.html");
/// The dashboard at `/`.
const DASHBOARD_HTML: &str = include_str!("../../assets/dashboard.html");

/// Query parameter that carries a sign-in ticket back to the app.
pub const TICKET_PARAM: &str = "__clerk_ticket";

/// Which `redirect_url` the `/sign-in` page takes (the page checks the same
/// before it shows the picker, in sign-in.html).
const REDIRECT_URL_RULE: &str = "use an absolute http(s) URL of your app on a loopback host \
                                 (127.0.0.1, localhost, *.localhost or [::1]), e.g. \
                                 http://127.0.0.1:8080/";

/// Most accounts the picker lists.
const PICKER_LIMIT: i64 = 500;

pub(crate) fn router(state: ClerkState) -> Router {
    // The 405 fallback is set before each CORS layer: set afterwards, it
    // would replace the layered default fallback, and preflight requests
    // (OPTIONS) would get the 405 instead of the CORS answer.
    let public = Router::new()
        .route("/.well-known/jwks.json", get(jwks))
        .route(
            "/.well-known/openid-configuration",
            get(openid_configuration),
        )
        .method_not_allowed_fallback(super::method_not_allowed)
        .layer(super::catch_panic())
        .layer(
            tower_http::cors::CorsLayer::new()
                .allow_origin(tower_http::cors::Any)
                .allow_methods([axum::http::Method::GET]),
        );
    // Every handler here refuses other origins (require_loopback_origin)
    // before it changes anything. (A body too large or unreadable is
    // refused even before that, without the CORS answer: harmless.)
    let client = Router::new()
        .route("/__emulator/client/sign-in", post(client_sign_in))
        .route("/__emulator/client/tickets", post(client_redeem_ticket))
        .route("/__emulator/client", post(client_state))
        .route("/__emulator/client/session", post(client_session))
        .route("/__emulator/client/token", post(client_token))
        .route("/__emulator/client/sign-out", post(client_sign_out))
        .method_not_allowed_fallback(super::method_not_allowed)
        .layer(super::catch_panic())
        .layer(client_cors());
    let browser = Router::new()
        .route("/__emulator/accounts", get(accounts))
        .route(
            "/__emulator/settings",
            get(get_settings).post(post_settings),
        )
        .method_not_allowed_fallback(super::method_not_allowed)
        .layer(super::catch_panic())
        .layer(loopback_cors());
    Router::new()
        .route("/", get(|| async { page(DASHBOARD_HTML) }))
        .route("/sign-in", get(|| async { page(SIGN_IN_HTML) }))
        .route("/npm/@clerk/{package}/dist/{file}", get(npm_asset))
        .route(
            "/__emulator/assets/ui.css",
            get(|| async { asset("text/css", UI_CSS) }),
        )
        .route("/__emulator/dashboard", get(dashboard))
        .route(
            "/__emulator/dashboard/sessions/{id}/revoke",
            post(dashboard_revoke),
        )
        .route("/__emulator/dashboard/settings", post(dashboard_settings))
        .method_not_allowed_fallback(super::method_not_allowed)
        .merge(public)
        .merge(client)
        .merge(browser)
        .with_state(state)
}

fn page(html: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            // Never inside another page's frame: laid there unseen under
            // that page's own buttons (clickjacking), a click would revoke
            // a session, switch the email claim or pick an account. The
            // CSP for today's browsers, X-Frame-Options for older ones.
            (header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'"),
            (header::X_FRAME_OPTIONS, "DENY"),
        ],
        Html(html),
    )
        .into_response()
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            // Loaders may set `crossorigin` on the script tag.
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        body,
    )
        .into_response()
}

/// Serves the stand-ins for any version tag (`@6`, `@latest`, …), as the CDN
/// would.
async fn npm_asset(Path((package, file)): Path<(String, String)>) -> Response {
    let (name, _version) = package.split_once('@').unwrap_or((package.as_str(), ""));
    match (name, file.as_str()) {
        ("clerk-js", "clerk.browser.js") => asset("text/javascript; charset=utf-8", CLERK_JS),
        ("ui", "ui.browser.js") => asset("text/javascript; charset=utf-8", UI_JS),
        _ => (
            StatusCode::NOT_FOUND,
            "The emulator serves only @clerk/clerk-js/dist/clerk.browser.js and \
             @clerk/ui/dist/ui.browser.js",
        )
            .into_response(),
    }
}

async fn jwks(State(state): State<ClerkState>) -> Result<Json<Value>> {
    let key = state.signing_key().await?;
    Ok(Json(json!({ "keys": [key.jwk()] })))
}

async fn openid_configuration(State(state): State<ClerkState>) -> Json<Value> {
    let issuer = state.issuer();
    Json(json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile"],
        "claims_supported": ["azp", "email", "exp", "iat", "iss", "nbf", "sid", "sub"],
    }))
}

/// The request's `Origin`, normalized; `None` when absent or opaque (`null`).
fn request_origin(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .and_then(origin_of)
}

/// Whether the request comes from one of this role's own pages (the
/// dashboard, `/sign-in`): its Origin is the role's printed origin, or the
/// origin the browser opened the page at ([`origin_by_host`]), such as the
/// same page at localhost instead of 127.0.0.1. Pages on other origins send
/// their own Origin, and a DNS-rebinding page has no loopback Host, so
/// neither passes.
fn from_own_page(state: &ClerkState, headers: &HeaderMap) -> bool {
    let Some(origin) = request_origin(headers) else {
        return false;
    };
    origin == state.issuer() || origin_by_host(headers).is_some_and(|own| own == origin)
}

/// The origin the browser reached this role at, `http://` + Host, when
/// that host is a loopback name. `None` for any other Host: a page on
/// another site that points its own name at this machine (DNS rebinding)
/// reads this role's answers as its own, without CORS, and its requests
/// name that site as Host.
fn origin_by_host(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .and_then(|host| origin_of(&format!("http://{host}")))
        .filter(|own| is_loopback_origin(own))
}

/// Refuses, saying `instead`, a request that is not from one of this
/// role's own pages ([`from_own_page`]): what the dashboard changes, a page
/// elsewhere must not change behind a developer's back.
fn require_own_page(state: &ClerkState, headers: &HeaderMap, instead: &str) -> Result<()> {
    if from_own_page(state, headers) {
        Ok(())
    } else {
        Err(ApiError::OriginNotAllowed(instead.to_owned()))
    }
}

fn require_loopback_origin(headers: &HeaderMap) -> Result<String> {
    let origin = request_origin(headers);
    if let Some(origin) = origin.as_ref().filter(|origin| is_loopback_origin(origin)) {
        return Ok(origin.clone());
    }
    let Some(raw) = headers.get(header::ORIGIN) else {
        return Err(ApiError::OriginNotAllowed(
            "This endpoint is for the clerk-js stand-in in a browser page; the request \
             has no Origin header"
                .to_owned(),
        ));
    };
    // As sent when it is no http(s) origin: `null` (a file:// page, a
    // sandboxed frame) or anything else.
    let shown = origin.unwrap_or_else(|| String::from_utf8_lossy(raw.as_bytes()).into_owned());
    Err(ApiError::PageOriginRefused {
        origin: raw.clone(),
        reason: format!(
            "The emulator serves pages on loopback origins (127.0.0.1, localhost and names \
             under it, [::1]); {shown} is not one. Serve the app over http from a loopback origin"
        ),
    })
}

/// The picker's account list (users' emails and names).
async fn accounts(State(state): State<ClerkState>) -> Result<Json<Value>> {
    let users = state
        .db()
        .call(|conn| store::list_users(conn, &[], PICKER_LIMIT, 0))
        .await?;
    let accounts: Vec<Value> = users
        .iter()
        .map(|user| {
            json!({
                "id": user.id,
                "email_address": user.primary_email().map(|e| e.email_address.clone()),
                "first_name": user.first_name,
                "last_name": user.last_name,
                "full_name": user.full_name(),
            })
        })
        .collect();
    Ok(Json(json!({ "accounts": accounts })))
}

/// Who to sign in as: an existing user by id, or a user found or created by
/// email.
enum Account {
    UserId(String),
    Email {
        email: String,
        first_name: Option<String>,
        last_name: Option<String>,
    },
}

fn account_from(body: &Map<String, Value>) -> Result<Account> {
    if let Some(id) = optional_string(body, "user_id")? {
        return Ok(Account::UserId(id));
    }
    let raw =
        optional_string(body, "email_address")?.ok_or(ApiError::MissingParam("email_address"))?;
    Ok(Account::Email {
        email: normalize_email(&raw, "email_address")?,
        first_name: optional_string(body, "first_name")?,
        last_name: optional_string(body, "last_name")?,
    })
}

/// Signs in as an account. From an app page, answers with the session and
/// its secret; from the `/sign-in` page (with `redirect_url`), answers with
/// the app URL carrying a one-time ticket.
async fn client_sign_in(
    State(state): State<ClerkState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<Value>> {
    // Other origins are refused before anything else, as on every endpoint
    // under client_cors; the own page is on loopback too.
    let own_page = from_own_page(&state, &headers);
    if !own_page {
        require_loopback_origin(&headers)?;
    }
    let body = json_object(&body, true)?;
    let account = account_from(&body)?;
    // The URL of the page the person started from, query and fragment
    // included: not held to the length limit of names and ids.
    let redirect_url = optional_unbounded_string(&body, "redirect_url")?;

    let (session_origin, redirect) = match redirect_url {
        Some(url) => {
            if !own_page {
                return Err(ApiError::OriginNotAllowed(
                    "Only the emulator's own /sign-in page may sign in with a redirect_url"
                        .to_owned(),
                ));
            }
            let target = origin_of(&url)
                .filter(|o| is_loopback_origin(o))
                .ok_or_else(|| ApiError::InvalidParam {
                    param: "redirect_url",
                    reason: REDIRECT_URL_RULE.to_owned(),
                })?;
            let redirect = url::Url::parse(&url).map_err(|e| ApiError::InvalidParam {
                param: "redirect_url",
                reason: e.to_string(),
            })?;
            (target, Some(redirect))
        }
        None => (require_loopback_origin(&headers)?, None),
    };

    let secret = redirect.is_none().then(random_secret);
    let ticket = redirect.is_some().then(random_secret);
    let secret_hash = secret.as_deref().map(hash_secret);
    let ticket_hash = ticket.as_deref().map(hash_secret);
    let now = now_ms();
    let (session, user) = state
        .db()
        .call(move |conn| -> store::Result<(Session, User)> {
            let user = match account {
                Account::UserId(id) => {
                    store::get_user(conn, &id)?.ok_or(store::StoreError::UserNotFound(id))?
                }
                Account::Email {
                    email,
                    first_name,
                    last_name,
                } => store::find_or_create_user_by_email(
                    conn,
                    &email,
                    first_name.as_deref(),
                    last_name.as_deref(),
                    now,
                )?,
            };
            let session = store::create_session(
                conn,
                &user.id,
                Some(&session_origin),
                secret_hash.as_deref(),
                now,
            )?;
            if let Some(ticket_hash) = &ticket_hash {
                store::create_ticket(conn, ticket_hash, &session.id, &session_origin, now)?;
            }
            Ok((session, user))
        })
        .await?;

    match (redirect, ticket, secret) {
        (Some(redirect), Some(ticket), _) => {
            let redirect = with_ticket(redirect, &ticket);
            Ok(Json(json!({ "redirect_url": redirect.as_str() })))
        }
        (_, _, Some(secret)) => Ok(Json(browser_session_json(&session, &user, Some(&secret)))),
        _ => Err(ApiError::Internal(
            "sign-in made neither a secret nor a ticket".to_owned(),
        )),
    }
}

/// `redirect` with `ticket` as its only [`TICKET_PARAM`]. A URL may carry
/// an old one (a sign-in page opened from a page that had not redeemed
/// its ticket yet); the stand-in redeems the first, so a second one added
/// after it would never be used, and the sign-in would fail.
fn with_ticket(mut redirect: url::Url, ticket: &str) -> url::Url {
    if redirect.query_pairs().any(|(name, _)| name == TICKET_PARAM) {
        let kept: Vec<(String, String)> = redirect
            .query_pairs()
            .filter(|(name, _)| name != TICKET_PARAM)
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        redirect.query_pairs_mut().clear().extend_pairs(kept);
    }
    redirect.query_pairs_mut().append_pair(TICKET_PARAM, ticket);
    redirect
}

/// Redeems a `/sign-in` ticket from the app's origin.
async fn client_redeem_ticket(
    State(state): State<ClerkState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<Value>> {
    let origin = require_loopback_origin(&headers)?;
    let body = json_object(&body, true)?;
    let ticket = optional_string(&body, "ticket")?.ok_or(ApiError::MissingParam("ticket"))?;
    let secret = random_secret();
    let secret_hash = hash_secret(&secret);
    let ticket_hash = hash_secret(&ticket);
    let now = now_ms();
    let session = state
        .db()
        .call(move |conn| store::redeem_ticket(conn, &ticket_hash, &origin, &secret_hash, now))
        .await?
        .ok_or(ApiError::TicketInvalid)?;
    let (session, user) = load_session_and_user(&state, session.id).await?;
    Ok(Json(browser_session_json(&session, &user, Some(&secret))))
}

/// The session the browser holds credentials for, if those credentials are
/// right for this origin. `require_active` refuses ended sessions too.
async fn browser_session(
    state: &ClerkState,
    headers: &HeaderMap,
    body: &[u8],
    require_active: bool,
) -> Result<(Session, User, String)> {
    let origin = require_loopback_origin(headers)?;
    let body = json_object(body, true)?;
    let session_id =
        optional_string(&body, "session_id")?.ok_or(ApiError::MissingParam("session_id"))?;
    let secret = optional_string(&body, "session_secret")?
        .ok_or(ApiError::MissingParam("session_secret"))?;
    let (session, user) =
        load_session_and_user(state, session_id)
            .await
            .map_err(|err| match err {
                ApiError::NotFound(_) => session_gone(),
                other => other,
            })?;
    let credentials_match = session.secret_hash.as_deref() == Some(hash_secret(&secret).as_str())
        && session.origin.as_deref() == Some(origin.as_str());
    if !credentials_match {
        return Err(ApiError::SignedOut(
            "These session credentials are not valid for this origin".to_owned(),
        ));
    }
    let session = if require_active {
        active(session)?
    } else {
        session
    };
    Ok((session, user, origin))
}

/// The answer for a session the browser holds credentials for that no
/// longer exists.
fn session_gone() -> ApiError {
    ApiError::SignedOut("This session does not exist (any more)".to_owned())
}

/// `session`, unless it has ended or was revoked.
fn active(session: Session) -> Result<Session> {
    if session.is_active() {
        Ok(session)
    } else {
        Err(ApiError::SignedOut(format!(
            "Session {} is {}",
            session.id, session.status
        )))
    }
}

async fn client_session(
    State(state): State<ClerkState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<Value>> {
    let (session, user, _) = browser_session(&state, &headers, &body, true).await?;
    Ok(Json(browser_session_json(&session, &user, None)))
}

/// The stand-in's counterpart of Clerk's `GET /v1/client`: the session the
/// browser holds credentials for, with its status. Unlike `/client/session`
/// it answers an ended or revoked session with 200, as Clerk answers a
/// client whose sessions have ended.
async fn client_state(
    State(state): State<ClerkState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<Value>> {
    let (session, _, _) = browser_session(&state, &headers, &body, false).await?;
    Ok(Json(json!({ "session": session_json(&session) })))
}

async fn client_token(
    State(state): State<ClerkState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<Value>> {
    let (session, user, origin) = browser_session(&state, &headers, &body, true).await?;
    let jwt = state
        .mint_session_token(&session, &user, Some(origin), TOKEN_LIFETIME_SECS)
        .await?;
    // As in the Backend API: checked again with the touch, after signing,
    // so a revoke or sign-out that committed meanwhile drops the token.
    let now = now_ms();
    let session = state
        .db()
        .call(move |conn| store::touch_active_session(conn, &session.id, now))
        .await
        .map_err(|err| match err {
            store::StoreError::SessionNotFound(_) => session_gone(),
            other => other.into(),
        })?;
    active(session)?;
    Ok(Json(json!({ "object": "token", "jwt": jwt })))
}

async fn client_sign_out(
    State(state): State<ClerkState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<Value>> {
    let (session, _, _) = browser_session(&state, &headers, &body, false).await?;
    let now = now_ms();
    let session = state
        .db()
        .call(move |conn| store::finish_session(conn, &session.id, "ended", now))
        .await?;
    Ok(Json(json!({ "session": session_json(&session) })))
}

/// `{session, user, session_secret?}`: what the stand-in keeps.
fn browser_session_json(session: &Session, user: &User, secret: Option<&str>) -> Value {
    let mut value = json!({ "session": session_json(session), "user": user_json(user) });
    if let Some(secret) = secret {
        value["session_secret"] = Value::String(secret.to_owned());
    }
    value
}

async fn get_settings(State(state): State<ClerkState>) -> Json<Value> {
    Json(json!({ "email_claim": state.email_claim() }))
}

async fn post_settings(
    State(state): State<ClerkState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<Value>> {
    state.authorize(&headers)?;
    change_settings(&state, &body)
}

/// The dashboard's switch for the `email` claim: as `POST
/// /__emulator/settings`, without the secret key (the page has none), so
/// from the dashboard's own origin only, as the revoke.
async fn dashboard_settings(
    State(state): State<ClerkState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<Value>> {
    require_own_page(
        &state,
        &headers,
        "The email claim is switched on the emulator's dashboard page, or with POST \
         /__emulator/settings and the secret key",
    )?;
    change_settings(&state, &body)
}

/// Applies `{"email_claim": bool}` and answers with the settings.
fn change_settings(state: &ClerkState, body: &[u8]) -> Result<Json<Value>> {
    let body = json_object(body, true)?;
    let on = match body.get("email_claim") {
        Some(Value::Bool(on)) => *on,
        None | Some(Value::Null) => return Err(ApiError::MissingParam("email_claim")),
        Some(_) => {
            return Err(ApiError::InvalidParam {
                param: "email_claim",
                reason: "must be true or false".to_owned(),
            })
        }
    };
    if state.set_email_claim(on) == on {
        tracing::info!(email_claim = on, "session token template unchanged");
    } else {
        tracing::info!(email_claim = on, "session token template changed");
    }
    Ok(Json(json!({ "email_claim": on })))
}

/// Users and live sessions for the dashboard (same-origin page; no CORS).
async fn dashboard(State(state): State<ClerkState>) -> Result<Response> {
    let now = now_ms();
    let (users, sessions) = state
        .db()
        .call(move |conn| -> store::Result<_> {
            let users = store::list_users(conn, &[], 500, 0)?;
            let sessions = store::list_sessions(conn, None, Some("active"), 500, 0, now)?;
            Ok((users, sessions))
        })
        .await?;
    let email_of = |user_id: &str| {
        users
            .iter()
            .find(|u| u.id == user_id)
            .and_then(|u| u.primary_email().map(|e| e.email_address.clone()))
    };
    let sessions: Vec<Value> = sessions
        .iter()
        .map(|s| {
            json!({
                "id": s.id,
                "user_id": s.user_id,
                "email_address": email_of(&s.user_id),
                "origin": s.origin,
                "status": s.status,
                "created_at": s.created_at,
                "last_active_at": s.last_active_at,
                "expire_at": s.expire_at,
            })
        })
        .collect();
    let users: Vec<Value> = users
        .iter()
        .map(|u| {
            json!({
                "id": u.id,
                "email_address": u.primary_email().map(|e| e.email_address.clone()),
                "full_name": u.full_name(),
                "created_at": u.created_at,
                "last_sign_in_at": u.last_sign_in_at,
            })
        })
        .collect();
    let body = json!({
        "issuer": state.issuer(),
        "email_claim": state.email_claim(),
        "users": users,
        "sessions": sessions,
    });
    Ok((
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(body),
    )
        .into_response())
}

/// Revokes a session from the dashboard. Only the dashboard's own origin may
/// (a page elsewhere cannot revoke sessions behind a developer's back).
async fn dashboard_revoke(
    State(state): State<ClerkState>,
    headers: HeaderMap,
    PathParams(id): PathParams<String>,
) -> Result<Json<Value>> {
    require_own_page(
        &state,
        &headers,
        "Sessions are revoked from the emulator's dashboard page or through the Backend API",
    )?;
    let now = now_ms();
    let session = state
        .db()
        .call(move |conn| store::finish_session(conn, &id, "revoked", now))
        .await?;
    Ok(Json(session_json(&session)))
}
