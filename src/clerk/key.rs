//! Clerk publishable keys: `pk_test_` or `pk_live_` followed by the base64
//! of `"<frontend-api-host>$"`.
//!
//! The key is all a browser needs to find its Clerk instance: the frontend
//! API host inside it serves clerk-js, the session-token JWKS and the
//! OpenID discovery document.
//!
//! ```
//! use clerk_instant::clerk::PublishableKey;
//!
//! let key: PublishableKey = "pk_test_Y2xlcmsuZXhhbXBsZS5jb20k".parse().unwrap();
//! assert_eq!(key.frontend_api_host(), "clerk.example.com");
//! assert_eq!(key.frontend_api_url(), "https://clerk.example.com");
//! assert!(key.is_test());
//! ```

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;

use super::error::{ClerkError, Result};

/// Clerk writes keys without padding, but a padded key is just as clear.
const KEY_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Which kind of Clerk instance a key belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstanceKind {
    /// `pk_test_`: a development instance.
    Development,
    /// `pk_live_`: a production instance.
    Production,
}

/// A checked Clerk publishable key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishableKey {
    raw: String,
    kind: InstanceKind,
    host: String,
}

impl PublishableKey {
    /// Parses and checks a key; surrounding whitespace is ignored.
    pub fn parse(key: &str) -> Result<Self> {
        let raw = key.trim();
        if raw.is_empty() {
            return Err(ClerkError::MissingPublishableKey);
        }
        let malformed = |reason: &str| ClerkError::MalformedPublishableKey {
            key: raw.to_owned(),
            reason: reason.to_owned(),
        };
        let (kind, encoded) = if let Some(rest) = raw.strip_prefix("pk_test_") {
            (InstanceKind::Development, rest)
        } else if let Some(rest) = raw.strip_prefix("pk_live_") {
            (InstanceKind::Production, rest)
        } else if raw.starts_with("sk_") {
            return Err(malformed(
                "that is a secret key; never put it in a web app. Use the publishable key (“pk_…”)",
            ));
        } else if raw.starts_with(['"', '\'']) {
            return Err(malformed("it is in quotes; give the key without them"));
        } else {
            return Err(malformed("it must start with “pk_test_” or “pk_live_”"));
        };
        let decoded = KEY_BASE64
            .decode(encoded)
            .map_err(|_| malformed("the part after the prefix is not valid base64"))?;
        let decoded = String::from_utf8(decoded)
            .map_err(|_| malformed("the part after the prefix does not decode to text"))?;
        let host = decoded
            .strip_suffix('$')
            .ok_or_else(|| malformed("the decoded part does not end with “$”"))?;
        check_host(host).map_err(malformed)?;
        Ok(Self {
            raw: raw.to_owned(),
            kind,
            host: host.to_owned(),
        })
    }

    /// The key as given.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Development (`pk_test_`) or production (`pk_live_`).
    pub fn kind(&self) -> InstanceKind {
        self.kind
    }

    /// Whether this is a development (`pk_test_`) key.
    pub fn is_test(&self) -> bool {
        self.kind == InstanceKind::Development
    }

    /// The frontend API host (with port, if any), e.g. `clerk.example.com`.
    pub fn frontend_api_host(&self) -> &str {
        &self.host
    }

    /// Whether the frontend API runs on this machine (a local emulator).
    pub fn is_loopback(&self) -> bool {
        is_loopback_host(&self.host)
    }

    /// The frontend API's origin: `https://<host>`, or `http://` for
    /// loopback hosts, which have no certificate.
    pub fn frontend_api_url(&self) -> String {
        let scheme = if self.is_loopback() { "http" } else { "https" };
        format!("{scheme}://{}", self.host)
    }
}

impl FromStr for PublishableKey {
    type Err = ClerkError;

    fn from_str(key: &str) -> Result<Self> {
        Self::parse(key)
    }
}

impl fmt::Display for PublishableKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// A frontend API host is a plain DNS name or IP address, with an optional
/// port, and contains a dot, as Clerk's own check asks, except for a
/// loopback host (`localhost`, `[::1]`), which Clerk's check refuses: Clerk's
/// hosts all have a dot, and a local emulator may be on either.
fn check_host(host: &str) -> std::result::Result<(), &'static str> {
    if host.is_empty() {
        return Err("it names no frontend API host");
    }
    let allowed =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']' | '_');
    if !host.chars().all(allowed) {
        return Err("the frontend API host it names contains characters a host cannot have");
    }
    if !has_host_shape(host) {
        return Err("the frontend API host it names has a “[”, “]” or “:” out of place");
    }
    if !host.contains('.') && !is_loopback_host(host) {
        return Err("the frontend API host it names has no “.” in it");
    }
    if let Some((_, port)) = split_port(host) {
        if port.parse::<u16>().is_err() {
            return Err("the frontend API host it names has an invalid port");
        }
    }
    Ok(())
}

/// Whether `host` is shaped like a host a browser loads from: a name (or
/// IPv4 address) with at most one `:` (before the port) and no brackets,
/// or an IPv6 address in brackets, each with an optional `:port`.
fn has_host_shape(host: &str) -> bool {
    let no_brackets = |text: &str| !text.contains(['[', ']']);
    match host.strip_prefix('[') {
        Some(rest) => rest.split_once(']').is_some_and(|(address, after)| {
            !address.is_empty()
                && no_brackets(address)
                && (after.is_empty() || after.starts_with(':'))
        }),
        None => no_brackets(host) && host.matches(':').count() <= 1,
    }
}

/// Splits `host:port` (or `[v6]:port`); `None` when there is no port.
fn split_port(host: &str) -> Option<(&str, &str)> {
    if let Some(rest) = host.strip_prefix('[') {
        let (name, after) = rest.split_once(']')?;
        return after.strip_prefix(':').map(|port| (name, port));
    }
    host.rsplit_once(':')
}

/// Whether `host` (`name`, `name:port`, `[v6]` or `[v6]:port`) is this
/// computer, by the rule [`PublishableKey::is_loopback`] applies to a
/// key's host: `localhost` and its subdomains, `[::1]` as written, and IPv4
/// loopback addresses. Also for other addresses an app tells a person
/// about (an API of its own on this computer, say).
pub fn is_loopback_host(host: &str) -> bool {
    let name = match split_port(host) {
        Some((name, _)) => name,
        None => host.trim_start_matches('[').trim_end_matches(']'),
    };
    let name = name.to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        // As written, not every spelling of it: an IPv6 parser costs the
        // wasm 1.6 KB gzip, and the emulator prints `[::1]`.
        || name == "::1"
        || name
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_for(prefix: &str, decoded: &str) -> String {
        format!(
            "{prefix}{}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(decoded)
        )
    }

    fn reason(key: &str) -> String {
        match PublishableKey::parse(key) {
            Err(ClerkError::MalformedPublishableKey { reason, .. }) => reason,
            other => panic!("expected a malformed-key error for {key:?}, got {other:?}"),
        }
    }

    #[test]
    fn emulator_key_names_a_loopback_http_frontend_api() {
        let key = PublishableKey::parse("pk_test_MTI3LjAuMC4xOjg3ODck").unwrap();
        assert_eq!(key.frontend_api_host(), "127.0.0.1:8787");
        assert!(key.is_loopback());
        assert!(key.is_test());
        assert_eq!(key.frontend_api_url(), "http://127.0.0.1:8787");
    }

    #[test]
    fn production_key_uses_https() {
        let key = PublishableKey::parse(&key_for("pk_live_", "clerk.example.com$")).unwrap();
        assert_eq!(key.kind(), InstanceKind::Production);
        assert!(!key.is_loopback());
        assert_eq!(key.frontend_api_url(), "https://clerk.example.com");
    }

    #[test]
    fn development_host_with_hyphens_parses() {
        let key = PublishableKey::parse(&key_for("pk_test_", "superb-clam-65.clerk.accounts.dev$"))
            .unwrap();
        assert_eq!(key.frontend_api_host(), "superb-clam-65.clerk.accounts.dev");
        assert_eq!(
            key.frontend_api_url(),
            "https://superb-clam-65.clerk.accounts.dev"
        );
    }

    #[test]
    fn padded_base64_and_surrounding_whitespace_are_accepted() {
        let padded = format!(
            "pk_test_{}",
            base64::engine::general_purpose::STANDARD.encode("clerk.example.io$")
        );
        assert!(padded.ends_with('='));
        let key = PublishableKey::parse(&format!("  {padded}\n")).unwrap();
        assert_eq!(key.frontend_api_host(), "clerk.example.io");
        assert_eq!(key.as_str(), padded);
        assert_eq!(key.to_string(), padded);
    }

    #[test]
    fn loopback_hosts_are_recognised() {
        for (host, loopback) in [
            ("app.localhost:8787", true),
            ("127.1.2.3:80", true),
            ("127.0.0.1", true),
            ("[::1.]:8787", false),
            ("[::1]:8787", true),
            ("localhost:8787", true),
            ("LOCALHOST", true),
            ("clerk.localhost.example.com", false),
            ("128.0.0.1:8787", false),
        ] {
            let key = PublishableKey::parse(&key_for("pk_test_", &format!("{host}$"))).unwrap();
            assert_eq!(key.is_loopback(), loopback, "{host}");
            let scheme = if loopback { "http://" } else { "https://" };
            assert!(key.frontend_api_url().starts_with(scheme), "{host}");
        }
    }

    #[test]
    fn empty_key_is_missing_not_malformed() {
        assert_eq!(
            PublishableKey::parse("   "),
            Err(ClerkError::MissingPublishableKey)
        );
    }

    #[test]
    fn malformed_keys_say_what_is_wrong() {
        assert!(reason("hello").contains("pk_test_"));
        assert!(reason("sk_test_emulator").contains("secret key"));
        assert!(reason("pk_test_!!!").contains("base64"));
        assert!(reason(&key_for("pk_test_", "clerk.example.com")).contains('$'));
        assert!(reason(&key_for("pk_test_", "clerk:3000$")).contains('.'));
        assert!(reason(&key_for("pk_test_", "[::2]:3000$")).contains('.'));
        // Only the usual spelling of the IPv6 loopback counts as one.
        assert!(reason(&key_for("pk_test_", "[0:0:0:0:0:0:0:1]:3000$")).contains('.'));
        assert!(reason(&key_for("pk_test_", "$")).contains("no frontend API host"));
        assert!(reason(&key_for("pk_test_", "evil.com/path$")).contains("characters"));
        assert!(reason(&key_for("pk_test_", "clerk.example.com:99999$")).contains("port"));
        // Hosts no browser can load a script from: taken for a network
        // failure ("Clerk did not load", Try again) when they were not
        // refused here.
        for host in [
            "[::1",
            "[::1:8787",
            "[]:8787",
            "[::1]x",
            "clerk.example.com]",
            "[clerk.example.com",
            "clerk[1].example.com",
            "clerk.example.com:1:2",
        ] {
            assert!(
                reason(&key_for("pk_test_", &format!("{host}$"))).contains("out of place"),
                "{host}"
            );
        }
        assert!(reason("pk_test_/w").contains("text"));
        // Pasted with the quotes of a shell or a .env file.
        for quoted in [
            "\"pk_test_MTI3LjAuMC4xOjg3ODck\"",
            "'pk_test_MTI3LjAuMC4xOjg3ODck'",
        ] {
            assert!(reason(quoted).contains("in quotes"), "{quoted}");
        }
    }

    #[test]
    fn parsing_never_panics_on_odd_input() {
        for input in [
            "pk_test_",
            "pk_live_=",
            "pk_test_====",
            "pk_",
            "\u{0}",
            "pk_test_ä",
        ] {
            assert!(PublishableKey::parse(input).is_err(), "{input:?}");
        }
    }
}
