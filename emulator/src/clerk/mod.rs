//! The Clerk role: frontend API, Backend API subset, clerk-js stand-in and
//! sign-in UI.
//!
//! - [`signing`]: the RS256 key, kept in the data dir, published as a JWKS.
//! - [`store`]: users, sessions and sign-in tickets in SQLite.
//! - [`backend_api`]: `/v1/*`, Bearer secret key, Clerk-style errors.
//! - [`frontend`]: what the browser talks to: discovery, the clerk-js and
//!   @clerk/ui stand-ins, the sign-in page, the dashboard at `/`, and the
//!   stand-in's own session endpoints under `/__emulator/`.

pub mod api_error;
pub mod backend_api;
mod extract;
pub mod frontend;
pub mod signing;
pub mod store;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::OriginalUri;
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::{routing::get, Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore as _;
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use tokio::sync::OnceCell;

use crate::db::Db;
use crate::keys::is_loopback_origin;
use api_error::ApiError;
use signing::SigningKey;
use store::{Session, User};

/// What the Clerk role needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `host:port` this role is reachable at (the frontend API host).
    pub host: String,
    /// Where the signing key is kept; `None` for in-memory.
    pub data_dir: Option<PathBuf>,
    /// Backend API bearer token.
    pub secret_key: String,
    /// Whether session tokens carry the `email` claim.
    pub email_claim: bool,
}

/// Largest request body the role reads. Its endpoints take small JSON
/// objects; this is axum's default limit, stated so errors can name it.
pub const BODY_LIMIT_BYTES: usize = 2 * 1024 * 1024;

/// Lifetime of a session token, as Clerk's default template.
pub const TOKEN_LIFETIME_SECS: i64 = 60;
/// How far `nbf` lies before `iat`, as Clerk's default allowed clock skew.
pub const TOKEN_NOT_BEFORE_SKEW_SECS: i64 = 10;

/// Builds the Clerk role's router.
///
/// With a data dir the signing key is loaded (or generated and saved) before
/// this returns, so a broken key file stops the start with a clear error.
/// In memory, the fresh key is generated in the background: RSA key
/// generation is slow in unoptimized builds, and the first request that
/// needs the key waits for it.
pub async fn router(settings: Settings, db: Db) -> anyhow::Result<Router> {
    db.call(store::migrate)
        .await
        .map_err(|err| db.schema_error("Clerk", &err))?;
    let state = ClerkState(Arc::new(Inner {
        issuer: crate::keys::frontend_api_url(&settings.host),
        secret_key: settings.secret_key,
        email_claim: AtomicBool::new(settings.email_claim),
        data_dir: settings.data_dir,
        db,
        key: OnceCell::new(),
    }));
    if state.0.data_dir.is_some() {
        // At start, what is wrong is said as it is (an "Internal error" is
        // what a request that met it is told).
        state
            .signing_key_or_why_not()
            .await
            .map_err(anyhow::Error::msg)?;
    } else {
        let background = state.clone();
        tokio::spawn(async move {
            if let Err(err) = background.signing_key().await {
                tracing::error!(%err, "cannot generate the Clerk signing key");
            }
        });
    }
    let open_at: std::sync::Arc<str> =
        format!("{} (or localhost with the same port)", state.issuer()).into();
    Ok(Router::new()
        .route("/health", get(health))
        .method_not_allowed_fallback(method_not_allowed)
        .merge(frontend::router(state.clone()))
        .nest("/v1", backend_api::router(state))
        .fallback(not_found)
        // Around everything; the routers with CORS have their own inside
        // it, so that a page can read the error too.
        .layer(catch_panic())
        .layer(axum::middleware::from_fn_with_state(
            open_at,
            crate::server::loopback_host_only::<ApiError>,
        )))
}

impl crate::server::ForeignHost for ApiError {
    fn foreign_host(message: String) -> Self {
        ApiError::OriginNotAllowed(message)
    }
}

/// Turns a panic in a handler into Clerk's 500 error body.
pub(crate) fn catch_panic() -> tower_http::catch_panic::CatchPanicLayer<crate::server::PanicResponse>
{
    crate::server::catch_panic::<ApiError>()
}

impl crate::server::InternalError for ApiError {
    fn internal(message: String) -> Self {
        ApiError::Internal(message)
    }
}

/// Any path the role does not serve: Clerk's 404, listing what it serves.
async fn not_found(method: Method, OriginalUri(uri): OriginalUri) -> ApiError {
    let path = uri.path();
    if path == "/v1" || path.starts_with("/v1/") {
        return backend_api::not_found(method, OriginalUri(uri)).await;
    }
    ApiError::NotFound(format!(
        "No such endpoint: {method} {path}. The Clerk role serves GET \
         /.well-known/jwks.json, GET /.well-known/openid-configuration, the clerk-js and \
         @clerk/ui stand-ins under GET /npm/@clerk/, the sign-in page (GET /sign-in), the \
         dashboard (GET /), GET /health, the emulator's own endpoints under /__emulator/, \
         and the Backend API under /v1 (e.g. POST /v1/users)."
    ))
}

/// A path the role serves, with a method it does not take there: Clerk's
/// 405 naming the methods to use (axum adds the `Allow` header). Each
/// router sets it before its CORS layer (see [`frontend::router`]).
pub(crate) async fn method_not_allowed(method: Method, OriginalUri(uri): OriginalUri) -> ApiError {
    let path = uri.path();
    let allowed = if path == "/__emulator/client"
        || path.starts_with("/__emulator/client/")
        || path.ends_with("/revoke")
        || path == "/__emulator/dashboard/settings"
    {
        "POST"
    } else if path == "/__emulator/settings" {
        "GET or POST"
    } else {
        "GET"
    };
    ApiError::MethodNotAllowed {
        method: method.to_string(),
        path: path.to_owned(),
        allowed,
    }
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "ok": true, "role": "clerk" }))
}

/// Shared state of the role's handlers; cheap to clone.
#[derive(Clone)]
pub(crate) struct ClerkState(Arc<Inner>);

pub(crate) struct Inner {
    /// `http://<host>`: the `iss` of every token and this role's own origin.
    issuer: String,
    secret_key: String,
    /// The session-token template's `email` claim, switchable at run time.
    email_claim: AtomicBool,
    data_dir: Option<PathBuf>,
    db: Db,
    key: OnceCell<Result<Arc<SigningKey>, String>>,
}

impl ClerkState {
    pub(crate) fn db(&self) -> &Db {
        &self.0.db
    }

    /// `http://<host>`: the issuer, and the origin of the role's own pages.
    pub(crate) fn issuer(&self) -> &str {
        &self.0.issuer
    }

    pub(crate) fn email_claim(&self) -> bool {
        self.0.email_claim.load(Ordering::SeqCst)
    }

    /// Switches the `email` claim; returns whether it was on before.
    pub(crate) fn set_email_claim(&self, on: bool) -> bool {
        self.0.email_claim.swap(on, Ordering::SeqCst)
    }

    /// Checks `Authorization: Bearer <secret key>`.
    pub(crate) fn authorize(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let presented = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(crate::keys::bearer_token);
        match presented {
            // The config refuses an empty secret key; an empty one could
            // not match here anyway (bearer_token never returns one).
            Some(key) if key == self.0.secret_key => Ok(()),
            _ => Err(ApiError::Unauthenticated),
        }
    }

    /// The signing key, waiting for its generation if it is still under way.
    pub(crate) async fn signing_key(&self) -> Result<Arc<SigningKey>, ApiError> {
        self.signing_key_or_why_not()
            .await
            .map_err(ApiError::Internal)
    }

    /// The signing key, or what is wrong with it in words for whoever runs
    /// the emulator (a bad key file says to delete it).
    async fn signing_key_or_why_not(&self) -> Result<Arc<SigningKey>, String> {
        let data_dir = self.0.data_dir.clone();
        let key = self
            .0
            .key
            .get_or_init(|| async move {
                tokio::task::spawn_blocking(move || {
                    SigningKey::load_or_generate(data_dir.as_deref())
                })
                .await
                .map_err(|e| format!("key generation task failed: {e}"))
                .and_then(|r| r.map(Arc::new).map_err(|e| e.to_string()))
            })
            .await;
        key.clone()
    }

    /// Signs a session token for `session` of `user`, shaped like Clerk's
    /// (session token v2, plus the `email` claim when the template is on),
    /// valid for `lifetime_secs` ([`TOKEN_LIFETIME_SECS`] unless the Backend
    /// API caller asked otherwise).
    pub(crate) async fn mint_session_token(
        &self,
        session: &Session,
        user: &User,
        azp: Option<String>,
        lifetime_secs: i64,
    ) -> Result<String, ApiError> {
        let key = self.signing_key().await?;
        let now_ms = now_ms();
        let iat = now_ms.div_euclid(1000);
        let minutes_since_sign_in = (now_ms - session.created_at).max(0) / 60_000;
        let claims = SessionClaims {
            azp,
            email: self
                .email_claim()
                .then(|| user.primary_email().map(|e| e.email_address.clone()))
                .flatten(),
            exp: iat + lifetime_secs,
            fva: [minutes_since_sign_in, -1],
            iat,
            iss: self.issuer().to_owned(),
            nbf: iat - TOKEN_NOT_BEFORE_SKEW_SECS,
            sid: session.id.clone(),
            sub: user.id.clone(),
            v: 2,
        };
        Ok(key.sign(&claims)?)
    }
}

/// The claims of a Clerk session token (v2).
#[derive(Debug, Serialize)]
struct SessionClaims {
    /// The page origin that asked for the token; absent without an Origin.
    #[serde(skip_serializing_if = "Option::is_none")]
    azp: Option<String>,
    /// From the session-token template `{"email": "{{user.primary_email_address}}"}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    exp: i64,
    /// Minutes since the first factor was verified; no second factor (-1).
    fva: [i64; 2],
    iat: i64,
    iss: String,
    nbf: i64,
    sid: String,
    sub: String,
    v: u8,
}

/// Milliseconds since the Unix epoch (Clerk's timestamps in API objects).
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A random secret for a browser session or a sign-in ticket.
pub(crate) fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// How secrets are stored: sha256, hex.
pub(crate) fn hash_secret(secret: &str) -> String {
    format!("{:x}", Sha256::digest(secret.as_bytes()))
}

/// The ASCII origin (`scheme://host[:port]`) of an http(s) URL.
pub(crate) fn origin_of(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return None;
    }
    Some(parsed.origin().ascii_serialization())
}

/// CORS for endpoints that browser pages on loopback origins may call.
pub(crate) fn loopback_cors() -> tower_http::cors::CorsLayer {
    cors_for(|origin, _| origin.to_str().is_ok_and(is_loopback_origin))
}

/// CORS for the stand-in's session endpoints (`/__emulator/client*`): as
/// [`loopback_cors`], but preflights from any origin are answered, so that
/// a page on another origin gets to send its request and can read the
/// refusal saying why. Their handlers refuse such origins before doing
/// anything, answering with CORS headers of their own
/// ([`ApiError::PageOriginRefused`]); other answers still reach loopback
/// pages only.
pub(crate) fn client_cors() -> tower_http::cors::CorsLayer {
    cors_for(|origin, request| {
        request.method == Method::OPTIONS || origin.to_str().is_ok_and(is_loopback_origin)
    })
}

fn cors_for(
    allow: fn(&HeaderValue, &axum::http::request::Parts) -> bool,
) -> tower_http::cors::CorsLayer {
    use axum::http::{header, Method};
    tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::AllowOrigin::predicate(allow))
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::PATCH])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(std::time::Duration::from_secs(600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_gets_clerks_500() {
        async fn boom() {
            panic!("kaboom")
        }
        let router = Router::new().route("/boom", get(boom)).layer(catch_panic());
        let (status, body) = crate::server::test_http::get(router, "/boom").await;
        assert_eq!(status, 500);
        let error = &body["errors"][0];
        assert_eq!(error["code"], "internal_clerk_error", "{body}");
        assert!(
            error["long_message"]
                .as_str()
                .is_some_and(|m| m.contains("kaboom")),
            "{body}"
        );
    }

    #[test]
    fn origins_of_urls() {
        assert_eq!(
            origin_of("http://127.0.0.1:8080/a/b?c=d#e").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(
            origin_of("http://localhost:80/").as_deref(),
            Some("http://localhost")
        );
        assert_eq!(origin_of("javascript:alert(1)"), None);
        assert_eq!(origin_of("/relative"), None);
    }
}
