//! jsonwebtoken's RustCrypto provider with RS256 and ES256 *verification*
//! done by ring.
//!
//! Verifying an RS256 signature is most of the work of an ID-token
//! exchange, and ring's RSA is about five times faster than RustCrypto's
//! (about 40 µs against 220 µs per token on this project's 2-core machine).
//! jsonwebtoken still parses, checks the algorithm and decodes; only the
//! signature check behind its `JwtVerifier` extension point changes.
//! Signing, JWK helpers and every other algorithm stay RustCrypto's.
//!
//! jsonwebtoken takes one process-wide provider, fixed by its first use, so
//! [`install`] runs at the start of [`crate::run`] (and again, harmlessly,
//! when the Instant role starts). If something used jsonwebtoken before,
//! verification stays correct and merely slower.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{LazyLock, Once};

use jsonwebtoken::crypto::{rust_crypto, CryptoProvider, JwtVerifier};
use jsonwebtoken::signature::{Error as SignatureError, Verifier};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, DecodingKeyKind};
use ring::signature::{
    RsaPublicKeyComponents, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED, RSA_PKCS1_2048_8192_SHA256,
};

/// RustCrypto's provider with [`new_verifier`] in place of its verifier factory.
static PROVIDER: LazyLock<CryptoProvider> = LazyLock::new(|| CryptoProvider {
    signer_factory: rust_crypto::DEFAULT_PROVIDER.signer_factory,
    verifier_factory: new_verifier,
    key_utils: rust_crypto::DEFAULT_PROVIDER.key_utils.clone(),
});

/// Makes the ring-backed provider jsonwebtoken's process-wide default, if
/// jsonwebtoken has not picked one yet. Returns whether it is in use.
pub fn install() -> bool {
    static INSTALL: Once = Once::new();
    static OURS: AtomicBool = AtomicBool::new(false);
    INSTALL.call_once(|| {
        if PROVIDER.install_default().is_ok() {
            OURS.store(true, Ordering::Relaxed);
        } else {
            tracing::warn!(
                "jsonwebtoken's crypto provider was fixed before the Instant role started; \
                 ID tokens are verified with RustCrypto (correct, but slower)"
            );
        }
    });
    OURS.load(Ordering::Relaxed)
}

/// The public key in the form ring takes.
enum RingKey {
    /// RSA modulus and exponent, big-endian without leading zeros.
    Rsa { n: Vec<u8>, e: Vec<u8> },
    /// An uncompressed P-256 point (`04 || x || y`).
    P256(Vec<u8>),
}

struct RingVerifier {
    alg: Algorithm,
    key: RingKey,
}

impl Verifier<Vec<u8>> for RingVerifier {
    fn verify(&self, message: &[u8], signature: &Vec<u8>) -> Result<(), SignatureError> {
        let verified = match &self.key {
            RingKey::Rsa { n, e } => RsaPublicKeyComponents { n, e }.verify(
                &RSA_PKCS1_2048_8192_SHA256,
                message,
                signature,
            ),
            RingKey::P256(point) => {
                UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point).verify(message, signature)
            }
        };
        verified.map_err(|_| SignatureError::new())
    }
}

impl JwtVerifier for RingVerifier {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

fn without_leading_zeros(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes[start..].to_vec()
}

/// ring for RS256 with keys of 2048 bits or more and for ES256 with a raw
/// P-256 point; RustCrypto for everything else (smaller RSA keys included,
/// which ring refuses but a JWKS may hold).
fn new_verifier(
    alg: &Algorithm,
    key: &DecodingKey,
) -> jsonwebtoken::errors::Result<Box<dyn JwtVerifier>> {
    match (alg, key.family(), key.kind()) {
        (Algorithm::RS256, AlgorithmFamily::Rsa, DecodingKeyKind::RsaModulusExponent { n, e }) => {
            let n = without_leading_zeros(n);
            if n.len() >= 256 {
                return Ok(Box::new(RingVerifier {
                    alg: *alg,
                    key: RingKey::Rsa {
                        n,
                        e: without_leading_zeros(e),
                    },
                }));
            }
        }
        (Algorithm::ES256, AlgorithmFamily::Ec, DecodingKeyKind::SecretOrDer(point))
            if point.len() == 65 && point[0] == 0x04 =>
        {
            return Ok(Box::new(RingVerifier {
                alg: *alg,
                key: RingKey::P256(point.clone()),
            }));
        }
        _ => {}
    }
    (rust_crypto::DEFAULT_PROVIDER.verifier_factory)(alg, key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::jwk::Jwk;
    use jsonwebtoken::{EncodingKey, Header};

    /// Signs with RustCrypto, checks with the ring verifier and RustCrypto's.
    fn check(alg: Algorithm, encoding: &EncodingKey) {
        let jwk = Jwk::from_encoding_key(encoding, alg).unwrap();
        let decoding = DecodingKey::from_jwk(&jwk).unwrap();
        let token = jsonwebtoken::encode(
            &Header::new(alg),
            &serde_json::json!({"sub": "x"}),
            encoding,
        )
        .unwrap();
        let (message, signature) = token.rsplit_once('.').unwrap();
        let signature =
            base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, signature)
                .unwrap();
        let ring = new_verifier(&alg, &decoding).unwrap();
        let rust = (rust_crypto::DEFAULT_PROVIDER.verifier_factory)(&alg, &decoding).unwrap();
        assert!(ring.verify(message.as_bytes(), &signature).is_ok());
        assert!(rust.verify(message.as_bytes(), &signature).is_ok());
        let mut tampered = message.as_bytes().to_vec();
        tampered[5] ^= 1;
        assert!(ring.verify(&tampered, &signature).is_err());
        let mut bad_signature = signature.clone();
        bad_signature[10] ^= 1;
        assert!(ring.verify(message.as_bytes(), &bad_signature).is_err());
    }

    #[test]
    fn ring_agrees_with_rust_crypto() {
        use rsa::pkcs1::EncodeRsaPrivateKey as _;
        let rsa = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
        let pem = rsa.to_pkcs1_pem(rsa::pkcs8::LineEnding::LF).unwrap();
        check(
            Algorithm::RS256,
            &EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
        );

        let ec = EncodingKey::from_ec_der(&p256_pkcs8());
        check(Algorithm::ES256, &ec);
    }

    /// A fresh random P-256 private key (PKCS#8 DER), test-only.
    fn p256_pkcs8() -> Vec<u8> {
        use p256::pkcs8::EncodePrivateKey as _;
        p256::SecretKey::random(&mut rand::rngs::OsRng)
            .to_pkcs8_der()
            .unwrap()
            .as_bytes()
            .to_vec()
    }
}
