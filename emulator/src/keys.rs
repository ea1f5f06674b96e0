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
    /// It decodes, but to something that is not a frontend API host.
    #[error(
        "publishable key names {0:?}, which is not a Clerk frontend API host: use a key \
         whose host is a domain name (clerk.example.com) or a loopback address with its \
         port (127.0.0.1:8787, [::1]:8787, localhost:8787)"
    )]
    Host(String),
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
    // Clerk's own hosts always have a dot; the emulator's may be a loopback
    // address without one (`[::1]:8787`, `localhost:8787`).
    let parsed = url::Url::parse(&format!("http://{host}")).ok();
    let is_host = parsed.as_ref().is_some_and(|url| {
        url.path() == "/"
            && url.query().is_none()
            && url.fragment().is_none()
            && url.username().is_empty()
            && url.password().is_none()
    });
    let loopback = parsed
        .as_ref()
        .and_then(url::Url::host)
        .is_some_and(|h| is_loopback_host(&h));
    if host.is_empty() || host.contains(['/', '$']) || !is_host || !(host.contains('.') || loopback)
    {
        return Err(KeyError::Host(host.to_owned()));
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

/// Whether a URL's host is this machine's loopback: `localhost` or a name
/// under it (browsers resolve `*.localhost` to loopback, RFC 6761; the
/// app's key check agrees), 127.0.0.0/8 or `::1`.
pub fn is_loopback_host(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(name) => {
            let name = name.to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// Whether `url`'s host is this machine's loopback ([`is_loopback_host`]);
/// false for anything that is no URL.
pub fn is_loopback_url(url: &str) -> bool {
    url::Url::parse(url)
        .ok()
        .is_some_and(|url| url.host().is_some_and(|host| is_loopback_host(&host)))
}

/// Whether `origin` is an http(s) origin on a loopback host
/// ([`is_loopback_host`]): the pages both roles serve when no other origins
/// are configured. One rule for both, so that a page the Clerk role signs
/// in can exchange its token with the Instant role too.
pub fn is_loopback_origin(origin: &str) -> bool {
    url::Url::parse(origin).is_ok_and(|url| {
        matches!(url.scheme(), "http" | "https")
            && url.host().is_some_and(|host| is_loopback_host(&host))
    })
}

/// `http` for loopback hosts, `https` otherwise: how both the app and the
/// Instant role reach a Clerk frontend API.
pub fn frontend_api_url(host: &str) -> String {
    let scheme = if is_loopback_url(&format!("http://{host}")) {
        "http"
    } else {
        "https"
    };
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
    fn round_trips_loopback_hosts_without_a_dot() {
        for host in ["[::1]:8787", "localhost:8787"] {
            let key = publishable_key_for(host);
            assert_eq!(frontend_api_host(&key).as_deref(), Ok(host));
        }
        assert_eq!(frontend_api_url("[::1]:8787"), "http://[::1]:8787");
    }

    #[test]
    fn rejects_bad_keys() {
        assert_eq!(frontend_api_host("sk_test_abc"), Err(KeyError::Prefix));
        assert_eq!(frontend_api_host("pk_test_!!!"), Err(KeyError::Encoding));
        // "nohost$" has no dot and is not loopback.
        assert_eq!(
            frontend_api_host(&format!("pk_test_{}", STANDARD_NO_PAD.encode("nohost$"))),
            Err(KeyError::Host("nohost".to_owned()))
        );
        for bad in ["a.b/c", "a@b.c", "a.b?c", "a.b c"] {
            let key = publishable_key_for(bad);
            assert!(
                matches!(frontend_api_host(&key), Err(KeyError::Host(_))),
                "{bad}"
            );
        }
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
    fn loopback_origins() {
        for loopback in [
            "http://127.0.0.1:8080",
            "http://localhost:3000",
            "http://LOCALHOST:3000",
            "http://app.localhost:8080",
            "http://[::1]:3000",
            "https://127.0.0.2",
        ] {
            assert!(is_loopback_origin(loopback), "{loopback}");
        }
        for other in [
            "http://example.com",
            "http://localhost.example.com",
            "http://applocalhost:8080",
            "null",
            "",
            "file:///tmp/x",
            "ftp://localhost",
            "http://127.0.0.1.example.com",
        ] {
            assert!(!is_loopback_origin(other), "{other}");
        }
    }

    #[test]
    fn scheme_follows_loopback() {
        assert_eq!(frontend_api_url("127.0.0.1:8787"), "http://127.0.0.1:8787");
        assert_eq!(frontend_api_url("localhost:3000"), "http://localhost:3000");
        assert_eq!(
            frontend_api_url("clerk.localhost:3000"),
            "http://clerk.localhost:3000"
        );
        assert_eq!(
            frontend_api_url("localhost.example.com"),
            "https://localhost.example.com"
        );
        assert_eq!(
            frontend_api_url("clerk.example.accounts.dev"),
            "https://clerk.example.accounts.dev"
        );
    }
}
