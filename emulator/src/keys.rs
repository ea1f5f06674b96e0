//! Clerk publishable keys: `pk_test_`/`pk_live_` + unpadded base64 of
//! `"<frontend-api-host>$"`.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine as _;

/// Why a publishable key could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Neither `pk_test_` nor `pk_live_`.
    #[error("publishable key must start with pk_test_ or pk_live_")]
    Prefix,
    /// The rest is not base64 of a host followed by `$`.
    #[error("publishable key is not base64 of \"<frontend-api-host>$\"")]
    Encoding,
}

/// The emulator's publishable key for a Clerk frontend API at `host`
/// (e.g. `127.0.0.1:8787`).
pub fn publishable_key_for(host: &str) -> String {
    format!("pk_test_{}", STANDARD_NO_PAD.encode(format!("{host}$")))
}

/// The frontend API host named by a publishable key.
pub fn frontend_api_host(publishable_key: &str) -> Result<String, KeyError> {
    let encoded = publishable_key
        .strip_prefix("pk_test_")
        .or_else(|| publishable_key.strip_prefix("pk_live_"))
        .ok_or(KeyError::Prefix)?;
    // Clerk's keys are unpadded, but accept padding too.
    let bytes = STANDARD_NO_PAD
        .decode(encoded)
        .or_else(|_| STANDARD.decode(encoded))
        .map_err(|_| KeyError::Encoding)?;
    let text = String::from_utf8(bytes).map_err(|_| KeyError::Encoding)?;
    let host = text.strip_suffix('$').ok_or(KeyError::Encoding)?;
    if host.is_empty() || !host.contains('.') || host.contains('/') {
        return Err(KeyError::Encoding);
    }
    Ok(host.to_owned())
}

/// The credential of an `Authorization: Bearer <token>` header value, with
/// the scheme matched case-insensitively (RFC 9110 section 11.1) and the
/// token trimmed; `None` for any other scheme or no token at all.
pub fn bearer_token(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.trim().split_once([' ', '\t'])?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Whether a URL's host is this machine's loopback: `localhost`,
/// 127.0.0.0/8 or `::1`.
pub fn is_loopback_host(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// `http` for loopback hosts, `https` otherwise: how both the app and the
/// Instant role reach a Clerk frontend API.
pub fn frontend_api_url(host: &str) -> String {
    let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
    let loopback = name == "localhost"
        || name == "[::1]"
        || name
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback());
    let scheme = if loopback { "http" } else { "https" };
    format!("{scheme}://{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_emulator_host() {
        let key = publishable_key_for("127.0.0.1:8787");
        assert_eq!(key, "pk_test_MTI3LjAuMC4xOjg3ODck");
        assert_eq!(frontend_api_host(&key).unwrap(), "127.0.0.1:8787");
    }

    #[test]
    fn rejects_bad_keys() {
        assert_eq!(frontend_api_host("sk_test_abc"), Err(KeyError::Prefix));
        assert_eq!(frontend_api_host("pk_test_!!!"), Err(KeyError::Encoding));
        // "nohost$" has no dot.
        assert_eq!(
            frontend_api_host(&format!("pk_test_{}", STANDARD_NO_PAD.encode("nohost$"))),
            Err(KeyError::Encoding)
        );
    }

    #[test]
    fn bearer_tokens() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("BEARER  abc "), Some("abc"));
        assert_eq!(bearer_token("bearer\tabc"), Some("abc"));
        assert_eq!(bearer_token("Bearer"), None);
        assert_eq!(bearer_token("Bearer   "), None);
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("abc"), None);
        assert_eq!(bearer_token(""), None);
    }

    #[test]
    fn scheme_follows_loopback() {
        assert_eq!(frontend_api_url("127.0.0.1:8787"), "http://127.0.0.1:8787");
        assert_eq!(frontend_api_url("localhost:3000"), "http://localhost:3000");
        assert_eq!(
            frontend_api_url("clerk.example.accounts.dev"),
            "https://clerk.example.accounts.dev"
        );
    }
}
