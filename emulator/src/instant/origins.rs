//! Which browser origins may call an app, as the Instant dashboard's
//! "authorized origins" list says.
//!
//! With no list configured, any loopback origin is allowed
//! (`http://127.0.0.1:*`, `http://localhost:*`, `http://*.localhost:*`,
//! `http://[::1]:*`, and their `https` forms), by the rule the Clerk role
//! uses too ([`crate::keys::is_loopback_origin`]): tests run pages on random
//! loopback ports. A list entry is
//! one of:
//! - a full origin, `https://app.example.com` or `http://localhost:3000`:
//!   scheme, host and port must match;
//! - a host, with or without a port, `app.example.com` or `localhost:3000`:
//!   any scheme;
//! - a wildcard host, `*.example.com`: any subdomain of it, any scheme.

use axum::http::Uri;

/// Why an authorized-origin entry could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    /// The entry is not an origin, a host or a `*.` wildcard host.
    #[error(
        "{0:?} is not an origin (https://app.example.com), a host (app.example.com, \
         localhost:3000) or a wildcard host (*.example.com)"
    )]
    Invalid(String),
}

/// Result of reading origin entries.
pub type Result<T, E = OriginError> = std::result::Result<T, E>;

/// The origins an app accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginPolicy {
    /// Any loopback origin (the default).
    Loopback,
    /// Only the listed origins.
    List(Vec<OriginPattern>),
}

/// One authorized-origin entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginPattern {
    /// The entry as configured, for messages.
    pub text: String,
    /// `None` matches http and https.
    scheme: Option<String>,
    /// Lower-case host; for a wildcard, the part after `*.`.
    host: String,
    /// Whether `host` is a `*.` wildcard.
    wildcard: bool,
    /// `None`: for a full origin, the scheme's default port; for a host,
    /// any port.
    port: Option<u16>,
}

/// An `Origin` header split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
}

impl Origin {
    fn parse(text: &str) -> Option<Self> {
        let uri: Uri = text.parse().ok()?;
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        let host = uri.host()?.to_ascii_lowercase();
        if host.is_empty() {
            return None;
        }
        // An origin has no path, query or user info.
        if uri.path() != "/" && !uri.path().is_empty() {
            return None;
        }
        if uri.authority()?.as_str().contains('@') {
            return None;
        }
        Some(Self {
            scheme,
            host,
            port: uri.port_u16(),
        })
    }
}

impl OriginPattern {
    /// Reads one entry.
    pub fn parse(text: &str) -> Result<Self> {
        let invalid = || OriginError::Invalid(text.to_owned());
        let trimmed = text.trim().trim_end_matches('/');
        let (scheme, rest) = match trimmed.split_once("://") {
            Some((scheme, rest)) => (Some(scheme.to_ascii_lowercase()), rest),
            None => (None, trimmed),
        };
        let (wildcard, rest) = match rest.strip_prefix("*.") {
            Some(rest) => (true, rest),
            None => (false, rest),
        };
        let origin = Origin::parse(&format!("{}://{rest}", scheme.as_deref().unwrap_or("http")))
            .ok_or_else(invalid)?;
        if rest.is_empty() || rest.contains('*') || rest.ends_with(':') {
            return Err(invalid());
        }
        Ok(Self {
            text: text.to_owned(),
            scheme,
            host: origin.host,
            wildcard,
            port: origin.port,
        })
    }

    fn matches(&self, origin: &Origin) -> bool {
        if let Some(scheme) = &self.scheme {
            if *scheme != origin.scheme {
                return false;
            }
        } else if origin.scheme != "http" && origin.scheme != "https" {
            return false;
        }
        let host_matches = if self.wildcard {
            origin
                .host
                .strip_suffix(&self.host)
                .is_some_and(|prefix| prefix.len() > 1 && prefix.ends_with('.'))
        } else {
            origin.host == self.host
        };
        if !host_matches {
            return false;
        }
        // Browsers leave a default port out of `Origin`, but an entry may
        // name it (`https://app.example.com:443`): compare the ports meant.
        let origin_port = origin.port.or_else(|| default_port(&origin.scheme));
        match (self.port, &self.scheme) {
            (Some(port), _) => origin_port == Some(port),
            (None, Some(scheme)) => origin_port == default_port(scheme),
            (None, None) => true,
        }
    }
}

/// The port a URL with `scheme` and no port means.
fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

impl OriginPolicy {
    /// Reads a configured list.
    pub fn parse_list(entries: &[String]) -> Result<Self> {
        entries
            .iter()
            .map(|entry| OriginPattern::parse(entry))
            .collect::<Result<Vec<_>>>()
            .map(Self::List)
    }

    /// Whether a browser page at `origin` (an `Origin` header) may call.
    pub fn allows(&self, origin: &str) -> bool {
        let Some(parsed) = Origin::parse(origin) else {
            return false;
        };
        match self {
            // The Clerk role's rule, so that both take the same pages.
            Self::Loopback => crate::keys::is_loopback_origin(origin),
            Self::List(patterns) => patterns.iter().any(|p| p.matches(&parsed)),
        }
    }

    /// The policy in words, for refusal messages.
    pub fn describe(&self) -> String {
        match self {
            Self::Loopback => "any loopback origin (http://localhost:*, http://*.localhost:*, \
                               http://127.0.0.1:*, http://[::1]:*), the default when no \
                               authorized origins are set"
                .to_owned(),
            Self::List(patterns) if patterns.is_empty() => "no origin".to_owned(),
            Self::List(patterns) => patterns
                .iter()
                .map(|p| p.text.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(entries: &[&str]) -> OriginPolicy {
        OriginPolicy::parse_list(&entries.iter().map(|e| e.to_string()).collect::<Vec<_>>())
            .unwrap()
    }

    #[test]
    fn loopback_by_default() {
        let policy = OriginPolicy::Loopback;
        assert!(policy.allows("http://127.0.0.1:41234"));
        assert!(policy.allows("http://localhost:8080"));
        assert!(policy.allows("http://app.localhost:8080"));
        assert!(policy.allows("http://[::1]:3000"));
        assert!(policy.allows("http://127.0.0.1"));
        assert!(!policy.allows("http://example.com"));
        assert!(!policy.allows("http://127.0.0.1.example.com"));
        assert!(!policy.allows("null"));
        assert!(!policy.allows(""));
        assert!(!policy.allows("file://localhost"));
    }

    #[test]
    fn full_origins_match_exactly() {
        let policy = list(&["https://app.example.com", "http://localhost:3000"]);
        assert!(policy.allows("https://app.example.com"));
        assert!(policy.allows("https://APP.example.com"));
        assert!(!policy.allows("http://app.example.com"));
        assert!(!policy.allows("https://app.example.com:8443"));
        assert!(policy.allows("http://localhost:3000"));
        assert!(!policy.allows("http://localhost:3001"));
        assert!(!policy.allows("http://127.0.0.1:3000"));
    }

    #[test]
    fn a_default_port_named_or_left_out_is_the_same_port() {
        let policy = list(&["https://app.example.com:443", "http://site.example.com"]);
        assert!(policy.allows("https://app.example.com"));
        assert!(policy.allows("https://app.example.com:443"));
        assert!(!policy.allows("https://app.example.com:80"));
        assert!(policy.allows("http://site.example.com:80"));
        assert!(!policy.allows("http://site.example.com:443"));
        // A host with a port takes that port under any scheme.
        let by_host = list(&["app.example.com:443"]);
        assert!(by_host.allows("https://app.example.com"));
        assert!(!by_host.allows("http://app.example.com"));
    }

    #[test]
    fn hosts_and_wildcards() {
        let policy = list(&["example.com", "*.vercel.app", "localhost:5173"]);
        assert!(policy.allows("https://example.com"));
        assert!(policy.allows("http://example.com:8080"));
        assert!(!policy.allows("https://www.example.com"));
        assert!(policy.allows("https://my-app.vercel.app"));
        assert!(!policy.allows("https://vercel.app"));
        assert!(!policy.allows("https://evilvercel.app"));
        assert!(policy.allows("http://localhost:5173"));
        assert!(!policy.allows("http://localhost:5174"));
    }

    #[test]
    fn rejects_nonsense_entries() {
        assert!(OriginPattern::parse("").is_err());
        assert!(OriginPattern::parse("https://").is_err());
        assert!(OriginPattern::parse("a*b.com").is_err());
        assert!(OriginPattern::parse("https://example.com/path").is_err());
    }
}
