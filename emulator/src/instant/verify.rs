//! Verifies a Clerk session token the way Instant does.
//!
//! Client name → publishable key → frontend API host (resolved at start, see
//! [`super::ClerkClient`]) → OpenID discovery document at
//! `<scheme>://<host>/.well-known/openid-configuration` (`http` for loopback
//! hosts, `https` otherwise, so a real Clerk development instance works when
//! the machine is online) → its `jwks_uri` and `issuer` → the key named by
//! the token's `kid` → RS256 or ES256 only → signature → `exp`, `nbf`, `iat`.
//! Those are the checks Instant's JWT library makes (`jwt.clj`
//! `verify-jwt`). Then, in the order of Instant's `oauth.clj`
//! `get-user-info-from-id-token`: the nonce → `iss` equals the discovery
//! issuer → the token's `alg` is one the discovery document lists → an
//! `email` claim → a `sub` claim; and last, as Instant's `routes.clj` does,
//! the email must be an email address. `email_verified` is not looked at:
//! Instant passes `allow-unverified-email?` for clients without a client
//! secret, and Clerk clients have none.
//!
//! Which of these failures Instant reports in which shape is decided per
//! [`VerifyError`] variant in the Instant role's routes.
//!
//! Discovery documents and decoded keys are cached per host for the life of
//! the process; an unknown `kid` makes one fresh JWKS fetch (shared by all
//! requests waiting on it), so key rotation works without a restart.
//!
//! Each host is looked up on its own: requests for one host never wait on
//! another host's fetch, concurrent requests for the same host share one
//! fetch, and a failed fetch is remembered for [`FAILED_LOOKUP_MEMORY`], so
//! a Clerk host that is down or hangs costs one timeout, not one per request.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::api::json_kind;
use super::ClerkClient;
use crate::keys;

/// Clock skew allowed on `exp`, `nbf` and `iat`, in seconds.
///
/// Five seconds, as Clerk's own backend verifier allows: it absorbs small
/// clock differences between the browser, Clerk and this machine, while a
/// 60-second Clerk session token still cannot be used much past its life.
/// (Clerk back-dates `nbf` by 10 s already, so fresh tokens need no more.)
pub const CLOCK_SKEW_SECS: f64 = 5.0;

/// How long a discovery or JWKS fetch may take.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a failed discovery or JWKS fetch is remembered and answered
/// from memory. Long enough that a burst of sign-ins against a dead or hung
/// Clerk host pays [`FETCH_TIMEOUT`] once rather than once per request;
/// short enough that a host that comes back is used again within seconds.
pub const FAILED_LOOKUP_MEMORY: Duration = Duration::from_secs(5);

/// Instant's text for a token without an `email` claim (`oauth.clj`).
pub const NO_EMAIL: &str = "The id_token had no email.";

/// Instant's text for a token without a `sub` claim (`oauth.clj`).
pub const NO_SUBJECT: &str = "The id_token had no subject.";

/// Instant's text for a token whose `alg` the issuer's discovery document
/// does not list (`oauth.clj`).
pub const UNSUPPORTED_ALGORITHM: &str = "The id_token used an unsupported algorithm.";

/// Instant's text for a token from another issuer (`oauth.clj`).
pub fn wrong_issuer_text(expected: &str) -> String {
    format!("The id_token wasn't issued by {expected}.")
}

/// The algorithms Instant assumes when a discovery document lists none
/// (`oauth.clj` `generic-oauth-client-from-discovery-url`).
const DEFAULT_SIGNING_ALGORITHMS: [&str; 2] = ["RS256", "HS256"];

/// Why a token was refused. Each message names the failed check and what
/// to do about it. Where Instant has its own text for the failure, the
/// message starts with that text, verbatim, and says what to fix after it
/// (except for [`VerifyError::MissingEmail`]: Instant's text alone).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VerifyError {
    /// Not three base64url parts with a JSON header.
    #[error(
        "The id_token is not a JWT ({0}). Pass the session token from Clerk's \
         session.getToken() as it is."
    )]
    NotAJwt(String),
    /// The header's `alg` is not RS256 or ES256 (e.g. `none`, `HS256`):
    /// Instant's JWT library refuses it before looking at anything else.
    #[error(
        "Unsupported signing algorithm {0}. Only RS256 and ES256 are accepted, and Clerk \
         signs session tokens with RS256: pass the session token from Clerk's \
         session.getToken() as it is."
    )]
    UnsupportedSigningAlgorithm(String),
    /// The header is not a JSON object.
    #[error(
        "The id_token's header must be a JSON object, got {0}. Pass the session token \
         from Clerk's session.getToken() as it is."
    )]
    HeaderNotAnObject(String),
    /// A header field has the wrong type or form.
    #[error(
        "The id_token's header field {field} must be {expected}, got {actual}. Pass the \
         session token from Clerk's session.getToken() as it is."
    )]
    BadHeaderField {
        /// The header field's name.
        field: &'static str,
        /// What it must be.
        expected: &'static str,
        /// What it is.
        actual: String,
    },
    /// The header is an object with well-typed fields but still cannot be
    /// read (e.g. a field given twice).
    #[error(
        "The id_token's header cannot be read ({0}). Pass the session token from Clerk's \
         session.getToken() as it is."
    )]
    BadHeader(String),
    /// The header has no `kid`.
    #[error(
        "The id_token header has no kid, so its signing key cannot be found in the JWKS \
         of {host}. Clerk session tokens always carry one."
    )]
    MissingKid {
        /// The Clerk frontend API host.
        host: String,
    },
    /// The discovery document or the JWKS could not be fetched or read.
    #[error(
        "Could not fetch {what} of the Clerk instance for client {client:?} from {url}: \
         {reason}. Check that the client's publishable key names a running Clerk \
         frontend API."
    )]
    Fetch {
        /// "the OpenID configuration" or "the JWKS".
        what: &'static str,
        /// The client name.
        client: String,
        /// The URL fetched.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// No key with the token's `kid`, even after fetching the JWKS again.
    #[error(
        "The id_token was signed with a key (kid {kid:?}) that is not in the JWKS of the \
         Clerk instance at {host} registered as client {client:?}. Is the token from \
         another Clerk instance? Register that instance's publishable key, or get the \
         token from the instance this client names."
    )]
    UnknownKid {
        /// The token's `kid`.
        kid: String,
        /// The Clerk frontend API host.
        host: String,
        /// The client name.
        client: String,
    },
    /// The header `alg` does not fit the key's algorithm.
    #[error(
        "The id_token's alg ({token_alg}) does not match its signing key (kid {kid:?} \
         is an {key_alg} key)."
    )]
    AlgorithmMismatch {
        /// `alg` from the token header.
        token_alg: String,
        /// The key's algorithm.
        key_alg: String,
        /// The key id.
        kid: String,
    },
    /// The signature does not verify (tampered header, payload or signature).
    #[error(
        "The id_token's signature does not verify with the key kid {kid:?} of {host}: \
         the token was altered or not signed by this Clerk instance."
    )]
    BadSignature {
        /// The key id.
        kid: String,
        /// The Clerk frontend API host.
        host: String,
    },
    /// The payload is not a JSON object.
    #[error("The id_token's payload is not a JSON object of claims ({0}).")]
    BadPayload(String),
    /// A registered claim has the wrong type.
    #[error("The id_token's {claim} claim must be {expected}.")]
    ClaimType {
        /// The claim name.
        claim: &'static str,
        /// What it must be.
        expected: &'static str,
    },
    /// No `exp` claim.
    #[error("The id_token has no exp claim; a session token without an expiry is not accepted.")]
    MissingExp,
    /// `exp` passed (more than the skew ago).
    #[error(
        "The id_token expired {} ago (exp {}, {skew} s of clock skew allowed). \
         Clerk session tokens live 60 s: get a fresh one with session.getToken() just \
         before signing in.",
        distance_text(*.ago),
        claim_text(*.exp)
    )]
    Expired {
        /// The claim.
        exp: f64,
        /// Seconds since.
        ago: f64,
        /// Allowed skew.
        skew: f64,
    },
    /// `nbf` is in the future (more than the skew).
    #[error(
        "The id_token is not valid yet: nbf {} is {} in the future ({skew} s of \
         clock skew allowed). Check this machine's clock.",
        claim_text(*.nbf),
        distance_text(*.ahead)
    )]
    NotYetValid {
        /// The claim.
        nbf: f64,
        /// Seconds ahead.
        ahead: f64,
        /// Allowed skew.
        skew: f64,
    },
    /// `iat` is in the future (more than the skew).
    #[error(
        "The id_token was issued in the future: iat {} is {} ahead ({skew} s of \
         clock skew allowed). Check the clocks of this machine and of the token's issuer.",
        claim_text(*.iat),
        distance_text(*.ahead)
    )]
    IssuedInFuture {
        /// The claim.
        iat: f64,
        /// Seconds ahead.
        ahead: f64,
        /// Allowed skew.
        skew: f64,
    },
    /// `iss` differs from the discovery issuer.
    #[error(
        "{} Its iss is {actual}: use a token from the Clerk instance registered as client \
         {client:?}.",
        wrong_issuer_text(expected)
    )]
    WrongIssuer {
        /// The discovery issuer.
        expected: String,
        /// The claim, or "missing".
        actual: String,
        /// The client name.
        client: String,
    },
    /// The token's `alg` is not among the discovery document's
    /// `id_token_signing_alg_values_supported`.
    #[error(
        "{UNSUPPORTED_ALGORITHM} It is signed with {alg}, and the OpenID configuration of \
         {host} lists {supported} in id_token_signing_alg_values_supported: pass the \
         session token from that Clerk instance's session.getToken() as it is."
    )]
    UnsupportedAlgorithm {
        /// The token's `alg`.
        alg: String,
        /// What the discovery document lists, for reading.
        supported: String,
        /// The Clerk frontend API host.
        host: String,
    },
    /// No `sub` claim (absent, not a string, or blank).
    #[error(
        "{NO_SUBJECT} Clerk session tokens name the user in the sub claim: pass the session \
         token from Clerk's session.getToken() as it is."
    )]
    MissingSub,
    /// The request's nonce and the token's disagree.
    #[error("{error} {advice}")]
    Nonce {
        /// Instant's text.
        error: &'static str,
        /// What to do about it.
        advice: &'static str,
    },
    /// No `email` claim (absent, null, or not a string). Instant's words
    /// alone: the app shows its own steps for this one, and the emulator
    /// logs how to turn the claim on (see `routes::id_token`).
    #[error("{NO_EMAIL}")]
    MissingEmail,
    /// The `email` claim is a string but not an email address (Instant's
    /// pattern: `local@domain.tld`).
    #[error(
        "The id_token's email claim {email:?} is not an email address. Set it to \
         {{{{user.primary_email_address}}}} in the Clerk dashboard → Sessions → Customize \
         session token."
    )]
    BadEmail {
        /// The claim as the token carries it.
        email: String,
    },
    /// The verifier could not start.
    #[error("cannot build the HTTP client for discovery: {0}")]
    Client(String),
}

/// Result of verification.
pub type Result<T, E = VerifyError> = std::result::Result<T, E>;

/// What a verified token says about the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    /// The discovery issuer, which names the Clerk instance.
    pub issuer: String,
    /// The Clerk user id.
    pub sub: String,
    /// The email, lower-cased and trimmed as Instant coerces it. Used even
    /// when the token says `email_verified: false`, as Instant does for
    /// clients without a client secret.
    pub email: String,
}

/// A decoded public key from a JWKS.
struct VerifyKey {
    alg: Algorithm,
    key: DecodingKey,
}

/// The cached state of one Clerk frontend API host.
struct IssuerCache {
    issuer: String,
    jwks_uri: String,
    /// `id_token_signing_alg_values_supported`, or Instant's default when
    /// the document lists none.
    signing_algorithms: Vec<String>,
    /// What the document lists, for messages.
    signing_algorithms_listed: String,
    keys: RwLock<Arc<HashMap<String, Arc<VerifyKey>>>>,
    /// Counts JWKS fetches, so a request that waited for a refetch knows
    /// whether one happened after its own lookup missed.
    generation: AtomicU64,
    /// Held during a JWKS refetch, so requests that miss together share
    /// one; holds the last refetch failure while it is remembered.
    refresh: tokio::sync::Mutex<Option<Failure>>,
}

/// One Clerk frontend API host: its discovery state once known, and the
/// lookup in progress or its remembered failure until then.
#[derive(Default)]
struct Host {
    /// Set once discovery and the first JWKS fetch have succeeded; read
    /// without waiting by every later request.
    ready: OnceLock<Arc<IssuerCache>>,
    /// Held during discovery, so concurrent first requests share one
    /// lookup; holds the last failure while it is remembered.
    discovery: tokio::sync::Mutex<Option<Failure>>,
}

/// A failed fetch, answered from memory for [`FAILED_LOOKUP_MEMORY`].
struct Failure {
    at: Instant,
    what: &'static str,
    url: String,
    reason: String,
}

impl Failure {
    fn new(error: &VerifyError) -> Option<Self> {
        match error {
            VerifyError::Fetch {
                what, url, reason, ..
            } => Some(Self {
                at: Instant::now(),
                what,
                url: url.clone(),
                reason: reason.clone(),
            }),
            _ => None,
        }
    }

    /// The remembered error for `client`, while it is still remembered.
    fn recall(this: &Option<Self>, client: &ClerkClient) -> Option<VerifyError> {
        let failure = this.as_ref()?;
        let age = failure.at.elapsed();
        let left = FAILED_LOOKUP_MEMORY.checked_sub(age)?;
        Some(VerifyError::Fetch {
            what: failure.what,
            client: client.name.clone(),
            url: failure.url.clone(),
            reason: format!(
                "{} ({:.1} s ago; not tried again for another {:.1} s)",
                failure.reason,
                age.as_secs_f64(),
                left.as_secs_f64()
            ),
        })
    }
}

/// Token verification with cached discovery documents and keys.
pub struct Verifier {
    /// For Clerk hosts elsewhere: honours the system's proxy settings.
    http: reqwest::Client,
    /// For loopback Clerk hosts: never through a proxy, which would reach
    /// its own loopback (or nothing), not this machine's.
    direct: reqwest::Client,
    /// Every host asked about so far. The lock is held only to find or add
    /// an entry, never across a fetch.
    hosts: Mutex<HashMap<String, Arc<Host>>>,
}

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
    /// Read leniently: anything but an array of strings counts as none.
    #[serde(default)]
    id_token_signing_alg_values_supported: Option<Value>,
}

/// The algorithms a discovery document lists, or Instant's default (RS256,
/// HS256) when it lists none; and what it lists, for messages.
fn signing_algorithms(listed: Option<&Value>) -> (Vec<String>, String) {
    let listed: Vec<String> = match listed {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| item.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    if listed.is_empty() {
        let default = DEFAULT_SIGNING_ALGORITHMS.join(", ");
        (
            DEFAULT_SIGNING_ALGORITHMS.map(str::to_owned).to_vec(),
            format!("nothing (so Instant assumes {default})"),
        )
    } else {
        let text = listed.join(", ");
        (listed, text)
    }
}

impl Verifier {
    /// A verifier with empty caches.
    pub fn new() -> Result<Self> {
        super::ring_crypto::install();
        let builder = || {
            reqwest::Client::builder()
                .timeout(FETCH_TIMEOUT)
                .connect_timeout(FETCH_TIMEOUT)
        };
        let http = builder()
            .build()
            .map_err(|e| VerifyError::Client(e.to_string()))?;
        let direct = builder()
            .no_proxy()
            .build()
            .map_err(|e| VerifyError::Client(e.to_string()))?;
        Ok(Self {
            http,
            direct,
            hosts: Mutex::new(HashMap::new()),
        })
    }

    /// Verifies `token` as a session token of the Clerk instance `client`
    /// names. `nonce` is the request's nonce, if any.
    pub async fn verify(
        &self,
        client: &ClerkClient,
        token: &str,
        nonce: Option<&str>,
    ) -> Result<VerifiedToken> {
        let (alg, kid) = read_header(token)?;
        let kid = kid.ok_or_else(|| VerifyError::MissingKid {
            host: client.host.clone(),
        })?;
        let issuer = self.issuer(client).await?;
        let key = self.key(client, &issuer, &kid).await?;
        if key.alg != alg {
            return Err(VerifyError::AlgorithmMismatch {
                token_alg: format!("{alg:?}"),
                key_alg: format!("{:?}", key.alg),
                kid,
            });
        }

        // jsonwebtoken checks the signature; the claims are checked below so
        // that each failure gets its own message.
        let mut validation = Validation::new(alg);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let claims = match jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &validation)
        {
            Ok(data) => data.claims,
            Err(err) => {
                return Err(match err.kind() {
                    ErrorKind::InvalidSignature
                    | ErrorKind::InvalidEcdsaKey
                    | ErrorKind::InvalidRsaKey(_)
                    | ErrorKind::Provider(_) => VerifyError::BadSignature {
                        kid,
                        host: client.host.clone(),
                    },
                    ErrorKind::Base64(_) => {
                        VerifyError::NotAJwt("a part is not base64url".to_owned())
                    }
                    _ => VerifyError::BadPayload(err.to_string()),
                })
            }
        };

        check_times(&claims, now_secs())?;

        // Instant's claim checks, in its order: the first failure is the one
        // reported.
        check_nonce(nonce, claims.get("nonce"))?;

        match claims.get("iss") {
            Some(Value::String(iss)) if *iss == issuer.issuer => {}
            other => {
                return Err(VerifyError::WrongIssuer {
                    expected: issuer.issuer.clone(),
                    actual: match other {
                        Some(Value::String(iss)) => iss.clone(),
                        Some(value) => value.to_string(),
                        None => "missing".to_owned(),
                    },
                    client: client.name.clone(),
                })
            }
        }

        let alg_name = algorithm_name(alg);
        if !issuer.signing_algorithms.iter().any(|a| a == alg_name) {
            return Err(VerifyError::UnsupportedAlgorithm {
                alg: alg_name.to_owned(),
                supported: issuer.signing_algorithms_listed.clone(),
                host: client.host.clone(),
            });
        }

        let email = email_claim(&claims)?;

        let sub = match claims.get("sub") {
            Some(Value::String(sub)) if !sub.trim().is_empty() => sub.clone(),
            _ => return Err(VerifyError::MissingSub),
        };

        let email = crate::email::coerce(email).map_err(|_| VerifyError::BadEmail {
            email: email.to_owned(),
        })?;

        Ok(VerifiedToken {
            issuer: issuer.issuer.clone(),
            sub,
            email,
        })
    }

    /// The cached discovery state of the client's host, fetched on first use.
    async fn issuer(&self, client: &ClerkClient) -> Result<Arc<IssuerCache>> {
        let host = self.host(&client.host);
        if let Some(found) = host.ready.get() {
            return Ok(found.clone());
        }
        // One lookup per host at a time: requests that arrive meanwhile wait
        // here and then take its outcome, success or failure.
        let mut discovery = host.discovery.lock().await;
        if let Some(found) = host.ready.get() {
            return Ok(found.clone());
        }
        if let Some(error) = Failure::recall(&discovery, client) {
            return Err(error);
        }
        match self.discover(client).await {
            Ok(cache) => {
                *discovery = None;
                Ok(host.ready.get_or_init(|| cache).clone())
            }
            Err(error) => {
                *discovery = Failure::new(&error);
                Err(error)
            }
        }
    }

    /// The entry for `host`, added on first use.
    fn host(&self, host: &str) -> Arc<Host> {
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        // Every exchange passes here: no allocation once the host is known.
        if let Some(known) = hosts.get(host) {
            return known.clone();
        }
        hosts.entry(host.to_owned()).or_default().clone()
    }

    /// Fetches the discovery document and the JWKS of the client's host.
    async fn discover(&self, client: &ClerkClient) -> Result<Arc<IssuerCache>> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            keys::frontend_api_url(&client.host)
        );
        let fetch_error = |reason: String| VerifyError::Fetch {
            what: "the OpenID configuration",
            client: client.name.clone(),
            url: url.clone(),
            reason,
        };
        let discovery: Discovery = self.fetch_json(&url).await.map_err(fetch_error)?;
        if discovery.issuer.is_empty() || discovery.jwks_uri.is_empty() {
            return Err(fetch_error("issuer or jwks_uri is empty".to_owned()));
        }
        let (signing_algorithms, signing_algorithms_listed) =
            signing_algorithms(discovery.id_token_signing_alg_values_supported.as_ref());
        let cache = Arc::new(IssuerCache {
            signing_algorithms,
            signing_algorithms_listed,
            issuer: discovery.issuer,
            jwks_uri: discovery.jwks_uri,
            keys: RwLock::new(Arc::new(HashMap::new())),
            generation: AtomicU64::new(0),
            refresh: tokio::sync::Mutex::new(None),
        });
        self.load_keys(client, &cache).await?;
        Ok(cache)
    }

    /// The key named `kid`, fetching the JWKS once more if it is unknown.
    async fn key(
        &self,
        client: &ClerkClient,
        issuer: &IssuerCache,
        kid: &str,
    ) -> Result<Arc<VerifyKey>> {
        let lookup = || {
            issuer
                .keys
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .get(kid)
                .cloned()
        };
        let generation = issuer.generation.load(Ordering::Acquire);
        if let Some(key) = lookup() {
            return Ok(key);
        }
        {
            let mut refreshing = issuer.refresh.lock().await;
            // Another request may have fetched while this one waited: one
            // fetch after the miss is enough.
            if issuer.generation.load(Ordering::Acquire) == generation {
                if let Some(error) = Failure::recall(&refreshing, client) {
                    return Err(error);
                }
                if let Err(error) = self.load_keys(client, issuer).await {
                    *refreshing = Failure::new(&error);
                    return Err(error);
                }
                *refreshing = None;
            }
        }
        lookup().ok_or_else(|| VerifyError::UnknownKid {
            kid: kid.to_owned(),
            host: client.host.clone(),
            client: client.name.clone(),
        })
    }

    async fn load_keys(&self, client: &ClerkClient, issuer: &IssuerCache) -> Result<()> {
        #[derive(Deserialize)]
        struct JwkSet {
            keys: Vec<Value>,
        }
        let set: JwkSet =
            self.fetch_json(&issuer.jwks_uri)
                .await
                .map_err(|reason| VerifyError::Fetch {
                    what: "the JWKS",
                    client: client.name.clone(),
                    url: issuer.jwks_uri.clone(),
                    reason,
                })?;
        let keys: HashMap<String, Arc<VerifyKey>> = set
            .keys
            .into_iter()
            .filter_map(|value| serde_json::from_value::<Jwk>(value).ok())
            .filter_map(|jwk| {
                let kid = jwk.common.key_id.clone()?;
                let alg = supported_algorithm(&jwk)?;
                let key = DecodingKey::from_jwk(&jwk).ok()?;
                Some((kid, Arc::new(VerifyKey { alg, key })))
            })
            .collect();
        *issuer.keys.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(keys);
        issuer.generation.fetch_add(1, Ordering::Release);
        Ok(())
    }

    async fn fetch_json<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
    ) -> std::result::Result<T, String> {
        let http = if keys::is_loopback_url(url) {
            &self.direct
        } else {
            &self.http
        };
        let response = http
            .get(url)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| error_chain(&e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("HTTP {status}"));
        }
        let bytes = response.bytes().await.map_err(|e| error_chain(&e))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| format!("the response is not the expected JSON ({e})"))
    }
}

/// "error: cause: cause" for a network error.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// RS256 for RSA keys, ES256 for P-256 keys; `None` for anything else, or
/// for a key whose `alg` says otherwise.
fn supported_algorithm(jwk: &Jwk) -> Option<Algorithm> {
    let by_type = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
            Algorithm::ES256
        }
        _ => return None,
    };
    match jwk.common.key_algorithm {
        None => Some(by_type),
        Some(declared) => (Algorithm::try_from(declared).ok()? == by_type).then_some(by_type),
    }
}

/// Reads `alg` (must be RS256 or ES256) and `kid` from the header, and
/// checks the header's other fields, so that a malformed header is refused
/// with a message naming the field rather than failing later, inside
/// jsonwebtoken, as if the payload were at fault.
fn read_header(token: &str) -> Result<(Algorithm, Option<String>)> {
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(VerifyError::NotAJwt(
            "expected three parts separated by dots".to_owned(),
        ));
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| VerifyError::NotAJwt("the header is not base64url".to_owned()))?;
    let fields = match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(fields)) => fields,
        Ok(other) => return Err(VerifyError::HeaderNotAnObject(json_kind(&other))),
        Err(_) => return Err(VerifyError::NotAJwt("the header is not JSON".to_owned())),
    };
    let alg = match fields.get("alg") {
        Some(Value::String(alg)) if alg == "RS256" => Algorithm::RS256,
        Some(Value::String(alg)) if alg == "ES256" => Algorithm::ES256,
        Some(Value::String(alg)) => {
            return Err(VerifyError::UnsupportedSigningAlgorithm(alg.clone()))
        }
        Some(other) => return Err(VerifyError::UnsupportedSigningAlgorithm(other.to_string())),
        None => {
            return Err(VerifyError::UnsupportedSigningAlgorithm(
                "(the header has no alg)".to_owned(),
            ))
        }
    };
    let kid = match fields.get("kid") {
        None | Some(Value::Null) => None,
        Some(Value::String(kid)) if kid.is_empty() => None,
        Some(Value::String(kid)) => Some(kid.clone()),
        Some(other) => {
            return Err(VerifyError::BadHeaderField {
                field: "kid",
                expected: "a string (the id of the signing key in the JWKS)",
                actual: json_kind(other),
            })
        }
    };
    check_header_fields(&fields)?;
    // Whatever else jsonwebtoken refuses in a header (a field given twice,
    // say) is still a header problem.
    jsonwebtoken::decode_header(token).map_err(|e| VerifyError::BadHeader(e.to_string()))?;
    Ok((alg, kid))
}

/// Checks the registered header fields jsonwebtoken reads, each against
/// the type it expects (JWS, RFC 7515 section 4.1).
fn check_header_fields(fields: &Map<String, Value>) -> Result<()> {
    fn check<T: serde::de::DeserializeOwned>(
        fields: &Map<String, Value>,
        field: &'static str,
        expected: &'static str,
    ) -> Result<()> {
        match fields.get(field) {
            None | Some(Value::Null) => Ok(()),
            Some(value) => serde_json::from_value::<T>(value.clone())
                .map(drop)
                .map_err(|_| VerifyError::BadHeaderField {
                    field,
                    expected,
                    actual: json_kind(value),
                }),
        }
    }
    for field in [
        "typ", "cty", "jku", "x5u", "x5t", "x5t#S256", "url", "nonce", "enc", "zip",
    ] {
        check::<String>(fields, field, "a string")?;
    }
    check::<Vec<String>>(fields, "x5c", "an array of strings")?;
    check::<Vec<String>>(fields, "crit", "an array of strings")?;
    check::<Jwk>(fields, "jwk", "a JSON Web Key object")?;
    Ok(())
}

fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// A NumericDate claim: absent, or a number.
fn numeric_claim(claims: &Map<String, Value>, claim: &'static str) -> Result<Option<f64>> {
    match claims.get(claim) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            n.as_f64()
                .filter(|v| v.is_finite())
                .map(Some)
                .ok_or(VerifyError::ClaimType {
                    claim,
                    expected: "a number of seconds since 1970",
                })
        }
        Some(_) => Err(VerifyError::ClaimType {
            claim,
            expected: "a number of seconds since 1970",
        }),
    }
}

/// A time claim as messages show it: whole seconds, or for a value no
/// clock produces (1e30) the number as written, not one clamped to fit.
fn claim_text(secs: f64) -> String {
    if secs.abs() < 1e12 {
        format!("{}", secs.round() as i64)
    } else {
        format!("{secs:e}")
    }
}

/// How far a time claim is from now, for messages: whole seconds, or,
/// past any real clock error, "more than 100 years".
fn distance_text(secs: f64) -> String {
    const CENTURY_SECS: f64 = 100.0 * 365.25 * 24.0 * 60.0 * 60.0;
    if secs < CENTURY_SECS {
        format!("{} s", secs.round() as i64)
    } else {
        "more than 100 years".to_owned()
    }
}

fn check_times(claims: &Map<String, Value>, now: f64) -> Result<()> {
    let exp = numeric_claim(claims, "exp")?.ok_or(VerifyError::MissingExp)?;
    if now > exp + CLOCK_SKEW_SECS {
        return Err(VerifyError::Expired {
            exp,
            ago: now - exp,
            skew: CLOCK_SKEW_SECS,
        });
    }
    if let Some(nbf) = numeric_claim(claims, "nbf")? {
        if nbf > now + CLOCK_SKEW_SECS {
            return Err(VerifyError::NotYetValid {
                nbf,
                ahead: nbf - now,
                skew: CLOCK_SKEW_SECS,
            });
        }
    }
    if let Some(iat) = numeric_claim(claims, "iat")? {
        if iat > now + CLOCK_SKEW_SECS {
            return Err(VerifyError::IssuedInFuture {
                iat,
                ahead: iat - now,
                skew: CLOCK_SKEW_SECS,
            });
        }
    }
    Ok(())
}

/// Instant's nonce rule: both absent, or both present and equal.
fn check_nonce(requested: Option<&str>, claim: Option<&Value>) -> Result<()> {
    let claim = match claim {
        Some(Value::String(text)) if !text.trim().is_empty() => Some(text.as_str()),
        _ => None,
    };
    let (error, advice) = match (requested, claim) {
        (None, None) => return Ok(()),
        (Some(a), Some(b)) if a == b => return Ok(()),
        (Some(_), None) => (
            "The id_token is missing a nonce.",
            "Clerk session tokens carry no nonce: leave the nonce parameter out.",
        ),
        (None, Some(_)) => (
            "The nonce parameter was not provided in the request.",
            "Send the nonce the token was issued for as the nonce parameter.",
        ),
        (Some(_), Some(_)) => (
            "The nonces do not match.",
            "Send the nonce the token was issued for as the nonce parameter.",
        ),
    };
    Err(VerifyError::Nonce { error, advice })
}

/// The name of a supported algorithm, as JWT headers and discovery
/// documents spell it.
fn algorithm_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::ES256 => "ES256",
        // read_header accepts only RS256 and ES256.
        _ => "RS256",
    }
}

/// The `email` claim as the token carries it. Instant reads it as a
/// string claim, so anything else (absent, null, a number) is no email.
/// `email_verified` is not looked at (see the module docs).
fn email_claim(claims: &Map<String, Value>) -> Result<&str> {
    match claims.get("email") {
        Some(Value::String(text)) => Ok(text),
        _ => Err(VerifyError::MissingEmail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!("test claims are objects"),
        }
    }

    #[test]
    fn time_claims_with_skew() {
        let now = 1_000_000.0;
        assert!(check_times(&claims(json!({"exp": now + 60.0})), now).is_ok());
        assert!(check_times(&claims(json!({"exp": now - 4.0})), now).is_ok());
        assert!(matches!(
            check_times(&claims(json!({"exp": now - 6.0})), now),
            Err(VerifyError::Expired { ago: 6.0, .. })
        ));
        assert!(matches!(
            check_times(&claims(json!({})), now),
            Err(VerifyError::MissingExp)
        ));
        assert!(matches!(
            check_times(&claims(json!({"exp": "soon"})), now),
            Err(VerifyError::ClaimType { claim: "exp", .. })
        ));
        assert!(matches!(
            check_times(&claims(json!({"exp": now + 60.0, "nbf": now + 30.0})), now),
            Err(VerifyError::NotYetValid { .. })
        ));
        assert!(matches!(
            check_times(&claims(json!({"exp": now + 60.0, "iat": now + 30.0})), now),
            Err(VerifyError::IssuedInFuture { .. })
        ));
        assert!(check_times(
            &claims(json!({"exp": now + 60.0, "iat": now + 4.0, "nbf": now - 10.0})),
            now
        )
        .is_ok());
        // Absurd numbers do not overflow.
        assert!(check_times(&claims(json!({"exp": 1e300})), now).is_ok());
        assert!(check_times(&claims(json!({"exp": -1e300})), now).is_err());
    }

    #[test]
    fn time_messages_show_absurd_claims_as_they_are() {
        let now = 1_700_000_000.0;
        let message = |claims_value: Value| {
            check_times(&claims(claims_value), now)
                .unwrap_err()
                .to_string()
        };
        let iat = message(json!({"exp": now + 60.0, "iat": 1e30}));
        assert!(
            iat.contains("iat 1e30 is more than 100 years ahead"),
            "{iat}"
        );
        let nbf = message(json!({"exp": now + 60.0, "nbf": 1e30}));
        assert!(
            nbf.contains("nbf 1e30 is more than 100 years in the future"),
            "{nbf}"
        );
        let exp = message(json!({"exp": -1e30}));
        assert!(
            exp.contains("expired more than 100 years ago (exp -1e30,"),
            "{exp}"
        );
        for text in [&iat, &nbf, &exp] {
            assert!(!text.contains(&i64::MAX.to_string()), "{text}");
        }
        // Everyday values in whole seconds.
        let iat = message(json!({"exp": now + 60.0, "iat": now + 30.0}));
        assert!(iat.contains("iat 1700000030 is 30 s ahead"), "{iat}");
        let exp = message(json!({"exp": now - 6.0}));
        assert!(exp.contains("expired 6 s ago (exp 1699999994,"), "{exp}");
    }

    #[test]
    fn header_algorithms() {
        let encode = |header: Value| {
            format!(
                "{}.e30.c2ln",
                URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap())
            )
        };
        assert_eq!(
            read_header(&encode(json!({"alg": "RS256", "kid": "k"}))).unwrap(),
            (Algorithm::RS256, Some("k".to_owned()))
        );
        assert_eq!(
            read_header(&encode(json!({"alg": "none"}))),
            Err(VerifyError::UnsupportedSigningAlgorithm("none".to_owned()))
        );
        assert_eq!(
            read_header(&encode(json!({"alg": "HS256"}))),
            Err(VerifyError::UnsupportedSigningAlgorithm("HS256".to_owned()))
        );
        assert!(matches!(read_header("abc"), Err(VerifyError::NotAJwt(_))));
        assert!(matches!(
            read_header("!!.e30.c2ln"),
            Err(VerifyError::NotAJwt(_))
        ));
        assert!(matches!(
            read_header(&encode(json!({"alg": "RS256", "kid": "k", "typ": 5}))),
            Err(VerifyError::BadHeaderField { field: "typ", .. })
        ));
        assert!(matches!(
            read_header(&encode(json!({"alg": "RS256", "kid": 123}))),
            Err(VerifyError::BadHeaderField { field: "kid", .. })
        ));
        assert!(matches!(
            read_header(&encode(json!(["RS256", "k"]))),
            Err(VerifyError::HeaderNotAnObject(_))
        ));
        assert_eq!(
            read_header(&encode(json!({"alg": "ES256", "kid": null, "typ": null}))).unwrap(),
            (Algorithm::ES256, None)
        );
    }

    #[test]
    fn emails() {
        // Any string is the claim; email_verified does not matter.
        for claims_value in [
            json!({"email": " Ada@Example.COM "}),
            json!({"email": " Ada@Example.COM ", "email_verified": false}),
            json!({"email": " Ada@Example.COM ", "email_verified": true}),
        ] {
            let claims = claims(claims_value);
            let email = email_claim(&claims).unwrap();
            assert_eq!(
                crate::email::coerce(email).as_deref(),
                Ok("ada@example.com")
            );
        }
        // Absent, null or not a string: no email, as Instant reads it.
        for claims_value in [
            json!({}),
            json!({"email": null}),
            json!({"email": 3}),
            json!({"email": ["a@b.co"]}),
            json!({"email": {"a": 1}}),
        ] {
            assert_eq!(
                email_claim(&claims(claims_value.clone())),
                Err(VerifyError::MissingEmail),
                "{claims_value}"
            );
        }
        // Which strings are email addresses: see crate::email.
    }

    #[test]
    fn signing_algorithms_default_as_instants_do() {
        assert_eq!(
            signing_algorithms(Some(&json!(["RS256"]))),
            (vec!["RS256".to_owned()], "RS256".to_owned())
        );
        assert_eq!(
            signing_algorithms(Some(&json!(["ES256", 7, "RS256"]))).0,
            ["ES256", "RS256"]
        );
        for none in [
            None,
            Some(json!([])),
            Some(json!("RS256")),
            Some(json!(null)),
        ] {
            assert_eq!(
                signing_algorithms(none.as_ref()).0,
                ["RS256", "HS256"],
                "{none:?}"
            );
        }
    }

    #[test]
    fn messages_start_with_instants_text() {
        let cases = [
            (VerifyError::MissingSub, NO_SUBJECT.to_owned()),
            (
                VerifyError::UnsupportedAlgorithm {
                    alg: "ES256".to_owned(),
                    supported: "RS256".to_owned(),
                    host: "127.0.0.1:1".to_owned(),
                },
                UNSUPPORTED_ALGORITHM.to_owned(),
            ),
            (
                VerifyError::WrongIssuer {
                    expected: "https://clerk.example.com".to_owned(),
                    actual: "https://evil.example".to_owned(),
                    client: "clerk".to_owned(),
                },
                "The id_token wasn't issued by https://clerk.example.com.".to_owned(),
            ),
        ];
        for (error, text) in cases {
            let message = error.to_string();
            assert!(
                message.starts_with(&format!("{text} ")),
                "{message:?} starts with {text:?}"
            );
        }
        // The app shows its own help for this one: Instant's words alone.
        assert_eq!(VerifyError::MissingEmail.to_string(), NO_EMAIL);
    }

    #[test]
    fn nonces() {
        assert!(check_nonce(None, None).is_ok());
        assert!(check_nonce(Some("n"), Some(&json!("n"))).is_ok());
        assert!(check_nonce(Some("n"), None).is_err());
        assert!(check_nonce(None, Some(&json!("n"))).is_err());
        assert!(check_nonce(Some("n"), Some(&json!("m"))).is_err());
    }
}
