//! The Instant role: runtime auth endpoints and admin user endpoints.

use axum::{routing::get, Json, Router};

use crate::config::AppConfig;
use crate::db::Db;

/// What the Instant role needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Apps with their Clerk clients (publishable keys resolved).
    pub apps: Vec<AppConfig>,
}

/// Builds the Instant role's router.
pub async fn router(_settings: Settings, _db: Db) -> anyhow::Result<Router> {
    Ok(Router::new().route("/health", get(health)))
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "ok": true, "role": "instant" }))
}
