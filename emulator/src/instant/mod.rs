//! The Instant role: runtime auth endpoints and admin user endpoints.
//!
//! It speaks Instant's own HTTP API (see DESIGN.md, "Facts about Instant's
//! auth API") closely enough that Instant's JS clients work against it by
//! setting their API URI:
//!
//! - `POST /runtime/oauth/id_token`: verify a Clerk session token
//!   ([`verify`]), find or create the user and issue a refresh token
//!   ([`store`]).
//! - `POST /runtime/signout`, `POST /runtime/auth/verify_refresh_token`.
//! - `GET` and `DELETE /admin/users` (Bearer admin token plus `app-id`).
//! - `GET /__emulator/stats`: request counts, so tests can tell whether an
//!   exchange happened.
//!
//! Browser calls are checked against each app's authorized origins
//! ([`origins`]); bodies and errors follow Instant's shapes ([`api`]).

pub mod api;
pub mod origins;
pub mod ring_crypto;
mod routes;
pub mod store;
pub mod verify;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::Context as _;
use axum::http::Method;
use axum::routing::{get, post};
use axum::Router;
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};
use uuid::Uuid;

use crate::config::AppConfig;
use crate::db::Db;
use crate::keys;
use origins::OriginPolicy;

/// What the Instant role needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Apps with their Clerk clients (publishable keys resolved).
    pub apps: Vec<AppConfig>,
}

/// Largest request body accepted. An ID token is a few kilobytes; anything
/// near a megabyte is a mistake, refused with a message rather than parsed.
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

/// One registered Clerk client, ready for verification.
#[derive(Debug, Clone)]
pub struct ClerkClient {
    /// The name the app passes as `client_name`.
    pub name: String,
    /// The registered publishable key.
    pub publishable_key: String,
    /// The Clerk frontend API host the key names (e.g. `127.0.0.1:8787`).
    pub host: String,
}

/// One Instant app, resolved from the config.
#[derive(Debug, Clone)]
pub struct App {
    /// App id.
    pub id: Uuid,
    /// Admin token for `/admin/*`.
    pub admin_token: String,
    /// Which browser origins may call this app.
    pub origins: OriginPolicy,
    /// Clerk clients by name.
    pub clients: HashMap<String, ClerkClient>,
}

impl App {
    fn from_config(config: &AppConfig) -> anyhow::Result<Self> {
        let origins = match &config.authorized_origins {
            None => OriginPolicy::Loopback,
            Some(list) => OriginPolicy::parse_list(list)
                .with_context(|| format!("app {}: invalid authorized_origins", config.id))?,
        };
        let mut clients = HashMap::new();
        for client in &config.clerk_clients {
            let publishable_key = client.publishable_key.clone().with_context(|| {
                format!(
                    "app {}: Clerk client {:?} has no publishable key",
                    config.id, client.name
                )
            })?;
            let host = keys::frontend_api_host(&publishable_key).with_context(|| {
                format!(
                    "app {}: the publishable key of Clerk client {:?} is not valid",
                    config.id, client.name
                )
            })?;
            let previous = clients.insert(
                client.name.clone(),
                ClerkClient {
                    name: client.name.clone(),
                    publishable_key,
                    host,
                },
            );
            anyhow::ensure!(
                previous.is_none(),
                "app {}: two Clerk clients are named {:?}",
                config.id,
                client.name
            );
        }
        Ok(Self {
            id: config.id,
            admin_token: config.admin_token.clone(),
            origins,
            clients,
        })
    }

    /// Registered client names, sorted, for error messages.
    pub fn client_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.clients.keys().cloned().collect();
        names.sort();
        names
    }
}

/// Calls counted since start, for `GET /__emulator/stats`.
#[derive(Debug, Default)]
pub struct Stats {
    oauth_id_token: AtomicU64,
    signout: AtomicU64,
    verify_refresh_token: AtomicU64,
}

/// Which counter a call bumps.
#[derive(Debug, Clone, Copy)]
pub enum Counted {
    /// `POST /runtime/oauth/id_token`.
    OauthIdToken,
    /// `POST /runtime/signout`.
    Signout,
    /// `POST /runtime/auth/verify_refresh_token`.
    VerifyRefreshToken,
}

impl Stats {
    /// Counts one call.
    pub fn count(&self, which: Counted) {
        let counter = match which {
            Counted::OauthIdToken => &self.oauth_id_token,
            Counted::Signout => &self.signout,
            Counted::VerifyRefreshToken => &self.verify_refresh_token,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The stats body: `{"requests": {"oauth_id_token": N, ...}}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "requests": {
                "oauth_id_token": self.oauth_id_token.load(Ordering::Relaxed),
                "signout": self.signout.load(Ordering::Relaxed),
                "verify_refresh_token": self.verify_refresh_token.load(Ordering::Relaxed),
            }
        })
    }
}

/// Everything the handlers share.
pub struct State {
    /// Apps by id.
    pub apps: HashMap<Uuid, App>,
    /// Token verification with cached discovery documents and keys.
    pub verifier: verify::Verifier,
    /// Users, links and refresh tokens.
    pub store: store::Store,
    /// Call counts.
    pub stats: Stats,
}

/// Builds the Instant role's router.
pub async fn router(settings: Settings, db: Db) -> anyhow::Result<Router> {
    let mut apps = HashMap::new();
    for config in &settings.apps {
        let app = App::from_config(config)?;
        anyhow::ensure!(
            apps.insert(app.id, app).is_none(),
            "two apps have the id {}",
            config.id
        );
    }
    let store = store::Store::new(db.clone());
    store
        .migrate()
        .await
        .map_err(|err| db.schema_error("Instant", &err))?;
    let state = Arc::new(State {
        apps,
        verifier: verify::Verifier::new().context("cannot start the token verifier")?,
        store,
        stats: Stats::default(),
    });

    // Preflights are answered for any origin: a preflight does not say which
    // app it is for, and refusing it would leave the page with an opaque
    // network error. The real request is then checked against the app's
    // authorized origins, and a refusal carries CORS headers so the page can
    // read the message saying which origin to authorize.
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
        .allow_headers(AllowHeaders::mirror_request())
        .max_age(std::time::Duration::from_secs(600));

    Ok(Router::new()
        .route("/health", get(routes::health))
        .route("/runtime/oauth/id_token", post(routes::id_token))
        .route("/runtime/signout", post(routes::signout))
        .route(
            "/runtime/auth/verify_refresh_token",
            post(routes::verify_refresh_token),
        )
        .route(
            "/admin/users",
            get(routes::admin_get_user).delete(routes::admin_delete_user),
        )
        .route("/__emulator/stats", get(routes::stats))
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        // Inside the CORS layer, so that a page can read the error too.
        .layer(catch_panic())
        .layer(cors)
        .layer(axum::middleware::from_fn_with_state(
            std::sync::Arc::from("127.0.0.1 or localhost, with the same port"),
            crate::server::loopback_host_only::<api::ApiError>,
        ))
        .with_state(state))
}

impl crate::server::ForeignHost for api::ApiError {
    fn foreign_host(message: String) -> Self {
        api::ApiError::ValidationFailed {
            message,
            hint: serde_json::json!({ "in": ["headers", "host"] }),
        }
    }
}

/// Turns a panic in a handler into Instant's 500 error body.
fn catch_panic() -> tower_http::catch_panic::CatchPanicLayer<crate::server::PanicResponse> {
    crate::server::catch_panic::<api::ApiError>()
}

impl crate::server::InternalError for api::ApiError {
    fn internal(message: String) -> Self {
        api::ApiError::Internal(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_gets_instants_500() {
        async fn boom() {
            panic!("kaboom")
        }
        let router = Router::new().route("/boom", get(boom)).layer(catch_panic());
        let (status, body) = crate::server::test_http::get(router, "/boom").await;
        assert_eq!(status, 500);
        assert_eq!(body["type"], "unknown", "{body}");
        assert!(
            body["message"]
                .as_str()
                .is_some_and(|m| m.contains("kaboom")),
            "{body}"
        );
    }
}
