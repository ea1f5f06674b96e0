//! Helpers for tests of the emulator's Clerk role: Backend API calls over
//! real HTTP, and verification of session tokens with an independent JOSE
//! implementation (biscuit, whose RSA runs on ring), not the jsonwebtoken +
//! rsa stack the emulator signs with.
//!
//! Include with `#[path = "support/clerk.rs"] mod clerk_support;`.

#![allow(dead_code)]

use biscuit::jwa::SignatureAlgorithm;
use biscuit::jwk::JWKSet;
use biscuit::{ClaimPresenceOptions, Empty, Presence, Validation, ValidationOptions, JWT};
use serde_json::{json, Map, Value};

/// The emulator's default Clerk secret key.
pub const SECRET_KEY: &str = emulator::config::DEFAULT_SECRET_KEY;

/// A session token whose signature checked out against a JWKS.
#[derive(Debug, Clone)]
pub struct VerifiedToken {
    /// The JOSE header (`alg`, `kid`, `typ`).
    pub header: Value,
    /// Every claim, registered and private.
    pub claims: Map<String, Value>,
}

impl VerifiedToken {
    /// A claim as an integer (panics with the claim's name if not one).
    pub fn int(&self, name: &str) -> i64 {
        self.claims
            .get(name)
            .and_then(Value::as_i64)
            .unwrap_or_else(|| panic!("claim {name} is an integer in {:?}", self.claims))
    }

    /// A claim as a string (panics with the claim's name if not one).
    pub fn str(&self, name: &str) -> &str {
        self.claims
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("claim {name} is a string in {:?}", self.claims))
    }

    /// The claim names, sorted.
    pub fn claim_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.claims.keys().cloned().collect();
        names.sort();
        names
    }
}

/// Verifies `jwt` against `jwks` as a relying party would: the `kid` picks
/// the key, RS256 only, signature, then `exp`/`nbf`/`iat` (present and in
/// range) and `iss == issuer`, `sub` present.
pub fn verify_session_token(
    jwks: &Value,
    jwt: &str,
    issuer: &str,
) -> Result<VerifiedToken, String> {
    let jwks: JWKSet<Empty> =
        serde_json::from_value(jwks.clone()).map_err(|e| format!("JWKS does not parse: {e}"))?;
    let encoded: JWT<Map<String, Value>, Empty> = JWT::new_encoded(jwt);
    let decoded = encoded
        .decode_with_jwks(&jwks, Some(SignatureAlgorithm::RS256))
        .map_err(|e| format!("signature check failed: {e}"))?;
    let presence = ClaimPresenceOptions {
        issued_at: Presence::Required,
        not_before: Presence::Required,
        expiry: Presence::Required,
        issuer: Presence::Required,
        subject: Presence::Required,
        ..ClaimPresenceOptions::default()
    };
    decoded
        .validate(ValidationOptions {
            claim_presence_options: presence,
            issuer: Validation::Validate(issuer.to_owned()),
            ..ValidationOptions::default()
        })
        .map_err(|e| format!("claims check failed: {e}"))?;
    let header = serde_json::to_value(decoded.header().map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let claims = match serde_json::to_value(decoded.payload().map_err(|e| e.to_string())?) {
        Ok(Value::Object(map)) => map,
        other => return Err(format!("claims are not an object: {other:?}")),
    };
    Ok(VerifiedToken { header, claims })
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// A client for the Clerk role over real HTTP.
#[derive(Clone)]
pub struct ClerkApi {
    /// `http://127.0.0.1:<port>`
    pub base: String,
    /// Plain client; add headers per request.
    pub http: reqwest::Client,
}

impl ClerkApi {
    /// A client for the role at `base` (`CLERK_FRONTEND_API`).
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
        }
    }

    /// `METHOD base+path` with the secret key as Bearer.
    pub fn backend(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(SECRET_KEY)
    }

    /// `POST base+path` with a JSON `body`, as a page at `origin` sends it
    /// (the stand-in's own endpoints under `/__emulator/client`).
    pub fn browser_post(&self, origin: &str, path: &str, body: &Value) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}{path}", self.base))
            .header("origin", origin)
            .json(body)
    }

    /// GETs `path` and returns the JSON, asserting 200.
    pub async fn get_json(&self, path: &str) -> Value {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET reaches the Clerk role");
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.expect("JSON body")
    }

    /// The published JWKS.
    pub async fn jwks(&self) -> Value {
        self.get_json("/.well-known/jwks.json").await
    }

    /// `POST /v1/users`, asserting success.
    pub async fn create_user(&self, email: &str, first: Option<&str>, last: Option<&str>) -> Value {
        self.ok(self
            .backend(reqwest::Method::POST, "/v1/users")
            .json(&json!({
                "email_address": [email],
                "first_name": first,
                "last_name": last,
            })))
        .await
    }

    /// `POST /v1/sessions`, asserting success.
    pub async fn create_session(&self, user_id: &str) -> Value {
        self.ok(self
            .backend(reqwest::Method::POST, "/v1/sessions")
            .json(&json!({ "user_id": user_id })))
            .await
    }

    /// `POST /v1/sessions/{id}/tokens` → the JWT, asserting success.
    pub async fn session_token(&self, session_id: &str) -> String {
        let body = self
            .ok(self.backend(
                reqwest::Method::POST,
                &format!("/v1/sessions/{session_id}/tokens"),
            ))
            .await;
        assert_eq!(body["object"], "token");
        body["jwt"].as_str().expect("jwt is a string").to_owned()
    }

    /// `GET /v1/sessions/{id}`, asserting success.
    pub async fn session(&self, session_id: &str) -> Value {
        self.ok(self.backend(reqwest::Method::GET, &format!("/v1/sessions/{session_id}")))
            .await
    }

    /// `POST /v1/sessions/{id}/revoke`, asserting success.
    pub async fn revoke_session(&self, session_id: &str) -> Value {
        self.ok(self.backend(
            reqwest::Method::POST,
            &format!("/v1/sessions/{session_id}/revoke"),
        ))
        .await
    }

    /// Sends `request`, asserts 200, returns the JSON body.
    pub async fn ok(&self, request: reqwest::RequestBuilder) -> Value {
        let response = request
            .send()
            .await
            .expect("request reaches the Clerk role");
        let status = response.status();
        let body: Value = response.json().await.expect("JSON body");
        assert_eq!(status, 200, "unexpected answer {body}");
        body
    }
}
