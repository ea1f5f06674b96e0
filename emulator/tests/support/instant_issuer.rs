//! A Clerk instance the test controls, for the Instant role's tests: its own
//! RSA and ES256 keys, and an OpenID discovery document and JWKS served on a
//! loopback port by a small axum server. The emulator is told about it
//! through a config file naming its publishable key.
//!
//! Why a stand-in and not the emulator's own Clerk role (the team's rule is
//! real parts, with a fake only inside one module's unit test): the Instant
//! role's tests need Clerk behaviour the real role, rightly, never shows.
//! They sign with ES256 as well as RS256 (the role signs RS256 only, and its
//! discovery document lists only RS256; this instance lists what the test
//! says, RS256 alone by default, as Clerk does), rotate keys while running,
//! sign tokens with any claims (expired, not yet valid, without `sub` or
//! `email`, a wrong `iss`), count discovery and JWKS fetches, and give
//! many Clerk users one email address, which the role refuses
//! (`form_identifier_exists`). The Instant tests that can use the real role
//! do (`instant_clerk.rs`, `robustness.rs`). Used by `instant_auth.rs` and
//! `instant_durability.rs`; `robustness.rs` takes only its helpers (config
//! files, forged tokens).
//!
//! Include with `#[path = "support/instant_issuer.rs"] mod issuer;`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

/// The default app id (as the emulator prints it).
pub const APP_ID: &str = "8d4a8e52-7f7b-4c43-9b39-3c1e2f0a5d61";
/// The default admin token.
pub const ADMIN_TOKEN: &str = emulator::config::DEFAULT_ADMIN_TOKEN;

/// A signing key the test holds.
pub struct TestKey {
    /// Key id, as in the JWT header and the JWKS.
    pub kid: String,
    /// RS256 or ES256.
    pub alg: Algorithm,
    encoding: EncodingKey,
    /// The public key as a JWK (with `kid`).
    pub jwk: Jwk,
    /// For RSA keys, the public key in PEM (for the HS256 confusion attack).
    pub public_pem: Option<String>,
}

impl TestKey {
    /// A fresh RSA-2048 key for RS256.
    pub fn rsa(kid: &str) -> Self {
        use rsa::pkcs1::EncodeRsaPrivateKey as _;
        use rsa::pkcs8::EncodePublicKey as _;
        let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("RSA keygen");
        let pem = private
            .to_pkcs1_pem(rsa::pkcs8::LineEnding::LF)
            .expect("PKCS#1 PEM");
        let public_pem = private
            .to_public_key()
            .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
            .expect("public PEM");
        let encoding = EncodingKey::from_rsa_pem(pem.as_bytes()).expect("RSA encoding key");
        Self::finish(kid, Algorithm::RS256, encoding, Some(public_pem))
    }

    /// A fresh P-256 key for ES256.
    pub fn es256(kid: &str) -> Self {
        use p256::pkcs8::EncodePrivateKey as _;
        let secret = p256::SecretKey::random(&mut rand::rngs::OsRng);
        let pem = secret
            .to_pkcs8_pem(p256::pkcs8::LineEnding::LF)
            .expect("PKCS#8 PEM");
        let encoding = EncodingKey::from_ec_pem(pem.as_bytes()).expect("EC encoding key");
        Self::finish(kid, Algorithm::ES256, encoding, None)
    }

    fn finish(
        kid: &str,
        alg: Algorithm,
        encoding: EncodingKey,
        public_pem: Option<String>,
    ) -> Self {
        let mut jwk = Jwk::from_encoding_key(&encoding, alg).expect("JWK from key");
        jwk.common.key_id = Some(kid.to_owned());
        Self {
            kid: kid.to_owned(),
            alg,
            encoding,
            jwk,
            public_pem,
        }
    }

    /// A JWT of `claims` with header `{alg, kid, typ: "JWT"}`.
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.clone());
        header.typ = Some("JWT".to_owned());
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("sign")
    }
}

/// Keys made once per test binary: RSA key generation takes seconds in a
/// debug build, and every test may use the same keys with its own issuer.
pub struct SharedKeys {
    /// The main RS256 key, kid `test-rsa-1`.
    pub rsa: TestKey,
    /// A second RS256 key for rotation, kid `test-rsa-2`.
    pub rsa_2: TestKey,
    /// An ES256 key, kid `test-es-1`.
    pub es256: TestKey,
    /// Another Clerk instance's key, kid `other-rsa-1`.
    pub other_rsa: TestKey,
    /// A key no issuer publishes, kid `ghost-kid`.
    pub ghost: TestKey,
}

/// The shared keys, made on first use (blocking).
pub fn shared_keys() -> &'static SharedKeys {
    static KEYS: std::sync::OnceLock<SharedKeys> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        std::thread::scope(|scope| {
            let rsa = scope.spawn(|| TestKey::rsa("test-rsa-1"));
            let rsa_2 = scope.spawn(|| TestKey::rsa("test-rsa-2"));
            let other_rsa = scope.spawn(|| TestKey::rsa("other-rsa-1"));
            let ghost = scope.spawn(|| TestKey::rsa("ghost-kid"));
            SharedKeys {
                rsa: rsa.join().expect("keygen"),
                rsa_2: rsa_2.join().expect("keygen"),
                es256: TestKey::es256("test-es-1"),
                other_rsa: other_rsa.join().expect("keygen"),
                ghost: ghost.join().expect("keygen"),
            }
        })
    })
}

/// Seconds since 1970.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

struct IssuerState {
    issuer: String,
    keys: Mutex<Vec<Jwk>>,
    signing_algorithms: Mutex<Value>,
    discovery_fetches: AtomicUsize,
    jwks_fetches: AtomicUsize,
}

/// A test-controlled Clerk instance serving discovery and JWKS.
pub struct TestIssuer {
    /// `127.0.0.1:<port>`: the frontend API host.
    pub host: String,
    /// `http://127.0.0.1:<port>`: the issuer in discovery and in `iss`.
    pub issuer: String,
    state: Arc<IssuerState>,
    server: tokio::task::JoinHandle<()>,
}

impl TestIssuer {
    /// Starts serving on a free loopback port (call inside a Tokio runtime).
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the issuer");
        let host = listener.local_addr().expect("issuer address").to_string();
        let issuer = format!("http://{host}");
        let state = Arc::new(IssuerState {
            issuer: issuer.clone(),
            keys: Mutex::new(Vec::new()),
            // What a Clerk instance's discovery document lists.
            signing_algorithms: Mutex::new(json!(["RS256"])),
            discovery_fetches: AtomicUsize::new(0),
            jwks_fetches: AtomicUsize::new(0),
        });
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/.well-known/jwks.json", get(jwks))
            .with_state(state.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            host,
            issuer,
            state,
            server,
        }
    }

    /// The Clerk publishable key naming this instance.
    pub fn publishable_key(&self) -> String {
        emulator::keys::publishable_key_for(&self.host)
    }

    /// Adds a key to the JWKS.
    pub fn publish(&self, key: &TestKey) {
        self.state.keys.lock().unwrap().push(key.jwk.clone());
    }

    /// Sets what the discovery document lists as
    /// `id_token_signing_alg_values_supported` (Clerk's: `["RS256"]`, the
    /// default). Call before the first exchange: discovery is cached.
    pub fn list_signing_algorithms(&self, algorithms: &[&str]) {
        *self.state.signing_algorithms.lock().unwrap() = json!(algorithms);
    }

    /// How many times the discovery document was fetched.
    pub fn discovery_fetches(&self) -> usize {
        self.state.discovery_fetches.load(Ordering::SeqCst)
    }

    /// How many times the JWKS was fetched.
    pub fn jwks_fetches(&self) -> usize {
        self.state.jwks_fetches.load(Ordering::SeqCst)
    }

    /// Claims shaped like a Clerk session token's: valid now, for 60 s.
    pub fn claims(&self, sub: &str, email: Option<&str>) -> Value {
        let now = now();
        let mut claims = json!({
            "azp": "http://127.0.0.1:8080",
            "exp": now + 60,
            "iat": now,
            "iss": self.issuer,
            "nbf": now - 10,
            "sid": format!("sess_{sub}"),
            "sub": sub,
            "v": 2,
        });
        if let Some(email) = email {
            claims["email"] = json!(email);
        }
        claims
    }
}

impl Drop for TestIssuer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn discovery(State(state): State<Arc<IssuerState>>) -> Json<Value> {
    state.discovery_fetches.fetch_add(1, Ordering::SeqCst);
    Json(json!({
        "issuer": state.issuer,
        "jwks_uri": format!("{}/.well-known/jwks.json", state.issuer),
        "id_token_signing_alg_values_supported": state.signing_algorithms.lock().unwrap().clone(),
    }))
}

async fn jwks(State(state): State<Arc<IssuerState>>) -> Json<Value> {
    state.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    let keys = state.keys.lock().unwrap().clone();
    Json(json!({ "keys": keys }))
}

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A fresh, empty directory under the system temp dir.
    pub fn new(label: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "emulator-{label}-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        std::fs::create_dir_all(&path).expect("create temp dir");
        Self(path)
    }

    /// The path as a `&str` for command-line arguments.
    pub fn path_str(&self) -> &str {
        self.0.to_str().expect("UTF-8 temp path")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One Clerk client entry of the config file; `None` key = the emulator's own.
pub struct ClientEntry<'a> {
    /// Client name.
    pub name: &'a str,
    /// Publishable key, or `None` for the emulator's Clerk role.
    pub publishable_key: Option<String>,
}

/// One app entry of the config file.
pub struct AppEntry<'a> {
    /// App id.
    pub id: &'a str,
    /// Admin token.
    pub admin_token: &'a str,
    /// Authorized origins; `None` = loopback only (the default).
    pub origins: Option<&'a [&'a str]>,
    /// Clerk clients.
    pub clients: Vec<ClientEntry<'a>>,
}

/// Writes an emulator config file with `apps` into `dir`; returns its path.
pub fn write_config(dir: &Path, apps: &[AppEntry<'_>]) -> PathBuf {
    let mut text = String::new();
    for app in apps {
        text.push_str(&format!(
            "[[apps]]\nid = {:?}\nadmin_token = {:?}\n",
            app.id, app.admin_token
        ));
        if let Some(origins) = app.origins {
            text.push_str(&format!("authorized_origins = {origins:?}\n"));
        }
        for client in &app.clients {
            text.push_str(&format!(
                "\n[[apps.clerk_clients]]\nname = {:?}\n",
                client.name
            ));
            if let Some(key) = &client.publishable_key {
                text.push_str(&format!("publishable_key = {key:?}\n"));
            }
        }
        text.push('\n');
    }
    let path = dir.join("emulator.toml");
    std::fs::write(&path, text).expect("write the config file");
    path
}

/// A JWT whose header and payload are given as JSON and whose signature part
/// is `signature` (for tokens no honest signer would make).
pub fn forge(header: &Value, claims: &Value, signature: &str) -> String {
    format!(
        "{}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(header).unwrap()),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap())
    )
}

/// Replaces the payload of `token` with `claims`, keeping header and signature.
pub fn with_payload(token: &str, claims: &Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap()),
        parts[2]
    )
}

/// Flips one character in the middle of the signature part of `token`.
pub fn with_tampered_signature(token: &str) -> String {
    let (rest, signature) = token.rsplit_once('.').unwrap();
    let mut chars: Vec<char> = signature.chars().collect();
    let middle = chars.len() / 2;
    chars[middle] = if chars[middle] == 'A' { 'B' } else { 'A' };
    format!("{rest}.{}", chars.into_iter().collect::<String>())
}
