//! The Clerk role: frontend API, Backend API subset, clerk-js stand-in and
//! sign-in UI.

use std::path::PathBuf;

use axum::{routing::get, Json, Router};

use crate::db::Db;

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

/// Builds the Clerk role's router.
pub async fn router(_settings: Settings, _db: Db) -> anyhow::Result<Router> {
    Ok(Router::new().route("/health", get(health)))
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "ok": true, "role": "clerk" }))
}
