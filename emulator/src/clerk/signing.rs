//! The Clerk role's RS256 signing key: generated on first start and kept in
//! the data dir (a fresh one per process with `--in-memory`), published as a
//! JWKS, and used to sign Clerk-shaped session tokens.

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rsa::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, LineEnding};
use rsa::traits::PublicKeyParts as _;
use rsa::RsaPrivateKey;
use serde::Serialize;
use sha2::{Digest as _, Sha256};

/// File name of the signing key inside the data dir (PKCS#8 PEM).
pub const KEY_FILE_NAME: &str = "clerk-signing-key.pem";

/// RSA modulus size: what Clerk's instance keys use.
const KEY_BITS: usize = 2048;

/// Why the signing key could not be loaded, made, or used.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    /// The key file exists but cannot be read.
    #[error("cannot read the Clerk signing key {path}: {source}")]
    Read {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The key file is not an RSA private key in PKCS#8 PEM.
    #[error(
        "the Clerk signing key {path} is not an RSA PKCS#8 PEM key ({reason}); \
         delete it to have a new one generated"
    )]
    Parse {
        /// The key file.
        path: PathBuf,
        /// What the parser said.
        reason: String,
    },
    /// A new key could not be written to the data dir.
    #[error("cannot write the Clerk signing key {path}: {source}")]
    Write {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// RSA key generation or encoding failed.
    #[error("cannot make an RSA signing key: {0}")]
    Generate(String),
    /// Signing a token failed.
    #[error("cannot sign a session token: {0}")]
    Sign(#[from] jsonwebtoken::errors::Error),
}

/// Result alias for this module.
pub type Result<T, E = SigningError> = std::result::Result<T, E>;

/// The role's signing key with its public JWK.
pub struct SigningKey {
    encoding_key: jsonwebtoken::EncodingKey,
    jwk: Jwk,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.jwk.kid)
            .finish_non_exhaustive()
    }
}

/// One public key as Clerk's `/.well-known/jwks.json` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Jwk {
    /// Always `sig`.
    #[serde(rename = "use")]
    pub use_: &'static str,
    /// Always `RSA`.
    pub kty: &'static str,
    /// Key id, also in every token header.
    pub kid: String,
    /// Always `RS256`.
    pub alg: &'static str,
    /// Modulus, base64url without padding.
    pub n: String,
    /// Public exponent, base64url without padding.
    pub e: String,
}

impl SigningKey {
    /// Loads the key from `data_dir`, generating and saving one on first
    /// start; with no data dir, generates a key that lives as long as the
    /// process.
    pub fn load_or_generate(data_dir: Option<&Path>) -> Result<Self> {
        let Some(dir) = data_dir else {
            return Self::from_private_key(generate()?);
        };
        let path = dir.join(KEY_FILE_NAME);
        match std::fs::read_to_string(&path) {
            Ok(pem) => {
                let key = RsaPrivateKey::from_pkcs8_pem(&pem).map_err(|e| SigningError::Parse {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
                Self::from_private_key(key)
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let key = generate()?;
                write_private(&path, &key)?;
                Self::from_private_key(key)
            }
            Err(source) => Err(SigningError::Read { path, source }),
        }
    }

    fn from_private_key(key: RsaPrivateKey) -> Result<Self> {
        let pem = key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| SigningError::Generate(e.to_string()))?;
        let encoding_key = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes())?;
        let n = URL_SAFE_NO_PAD.encode(key.n().to_bytes_be());
        let e = URL_SAFE_NO_PAD.encode(key.e().to_bytes_be());
        let kid = format!("ins_{}", thumbprint(&n, &e));
        Ok(Self {
            encoding_key,
            jwk: Jwk {
                use_: "sig",
                kty: "RSA",
                kid,
                alg: "RS256",
                n,
                e,
            },
        })
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> &Jwk {
        &self.jwk
    }

    /// Signs `claims` as an RS256 JWT with this key's `kid` and `typ: JWT`.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String> {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some(self.jwk.kid.clone());
        header.typ = Some("JWT".to_owned());
        Ok(jsonwebtoken::encode(&header, claims, &self.encoding_key)?)
    }
}

fn generate() -> Result<RsaPrivateKey> {
    let mut rng = rand::thread_rng();
    RsaPrivateKey::new(&mut rng, KEY_BITS).map_err(|e| SigningError::Generate(e.to_string()))
}

/// RFC 7638 thumbprint: stable for a key, so the `kid` survives restarts.
fn thumbprint(n: &str, e: &str) -> String {
    // Members in lexicographic order, no whitespace, as RFC 7638 requires.
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// Writes the key so that only its owner can read it, and atomically, so a
/// crash never leaves half a key behind.
fn write_private(path: &Path, key: &RsaPrivateKey) -> Result<()> {
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| SigningError::Generate(e.to_string()))?;
    let tmp = path.with_extension("pem.tmp");
    let write = || -> std::io::Result<()> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp)?;
        std::io::Write::write_all(&mut file, pem.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|source| SigningError::Write {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_kept_in_the_data_dir() {
        let dir = std::env::temp_dir().join(format!("clerk-key-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let first = SigningKey::load_or_generate(Some(&dir)).unwrap();
        let second = SigningKey::load_or_generate(Some(&dir)).unwrap();
        assert_eq!(first.jwk().kid, second.jwk().kid);
        assert_eq!(first.jwk().n, second.jwk().n);
        let fresh = SigningKey::load_or_generate(None).unwrap();
        assert_ne!(fresh.jwk().n, first.jwk().n);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn corrupt_key_file_is_reported_not_replaced() {
        let dir = std::env::temp_dir().join(format!("clerk-key-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(KEY_FILE_NAME), "not a key").unwrap();
        let err = SigningKey::load_or_generate(Some(&dir)).unwrap_err();
        assert!(matches!(err, SigningError::Parse { .. }), "{err}");
        assert_eq!(
            std::fs::read_to_string(dir.join(KEY_FILE_NAME)).unwrap(),
            "not a key"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
