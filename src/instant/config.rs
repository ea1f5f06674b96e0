//! Which Instant app to talk to, where, and how long to wait for it.

use std::time::Duration;

/// Instant's hosted API, used when no other API URI is given.
pub const DEFAULT_API_URI: &str = "https://api.instantdb.com";

/// How long a request to Instant may take, unless
/// [`InstantConfig::with_request_timeout`] says otherwise.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The settings an [`Instant`](super::Instant) handle is made from: the app
/// id, the API base URI and the time limit of a request.
///
/// ```
/// use std::time::Duration;
///
/// use clerk_instant::instant::InstantConfig;
///
/// let hosted = InstantConfig::new("my-app-id");
/// assert_eq!(hosted.api_uri, "https://api.instantdb.com");
/// assert_eq!(hosted.request_timeout, Duration::from_secs(30));
///
/// let local = InstantConfig::new("my-app-id")
///     .with_api_uri("http://127.0.0.1:8788/")
///     .with_request_timeout(Duration::from_secs(5));
/// assert_eq!(local.api_uri, "http://127.0.0.1:8788");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstantConfig {
    /// The Instant app id (a UUID from the Instant dashboard).
    pub app_id: String,
    /// The API base URI, without a trailing `/`.
    pub api_uri: String,
    /// How long a request may take before it fails as
    /// [`InstantError::TimedOut`](super::InstantError::TimedOut).
    pub request_timeout: Duration,
}

impl InstantConfig {
    /// A configuration for `app_id` on Instant's hosted API
    /// ([`DEFAULT_API_URI`]).
    pub fn new(app_id: impl Into<String>) -> Self {
        Self {
            app_id: app_id.into().trim().to_owned(),
            api_uri: DEFAULT_API_URI.to_owned(),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }

    /// The same configuration with another API base URI (a self-hosted
    /// Instant or a local emulator). Surrounding whitespace and trailing `/`
    /// are trimmed, so `http://host/` and `http://host` are the same.
    pub fn with_api_uri(self, uri: impl Into<String>) -> Self {
        Self {
            api_uri: trim_api_uri(&uri.into()).to_owned(),
            ..self
        }
    }

    /// The same configuration with another time limit for each request
    /// (the default is [`DEFAULT_REQUEST_TIMEOUT`]): longer for people on
    /// slow networks, shorter to tell them sooner. The error gives the
    /// limit in whole seconds, rounded up.
    pub fn with_request_timeout(self, timeout: Duration) -> Self {
        Self {
            request_timeout: timeout,
            ..self
        }
    }

    /// The full URL of an API path such as `/runtime/signout`. Trims the base
    /// again because `api_uri` is a public field that may be set directly.
    pub(crate) fn endpoint(&self, path: &str) -> String {
        format!(
            "{}/{}",
            trim_api_uri(&self.api_uri),
            path.trim_start_matches('/')
        )
    }

    /// Why these settings cannot work, if they cannot: an empty app id, or
    /// an API URI the browser will not fetch (see [`Self::api_uri_problem`]).
    pub(crate) fn problem(&self) -> Option<String> {
        if self.app_id.trim().is_empty() {
            return Some(
                "the app id is empty (give your Instant app's id, a UUID from the Instant \
                 dashboard)"
                    .into(),
            );
        }
        self.api_uri_problem()
    }

    /// Why the API URI cannot work, if it cannot: the browser only fetches
    /// `http` and `https` URLs.
    fn api_uri_problem(&self) -> Option<String> {
        let uri = self.api_uri.trim();
        let lower = uri.to_ascii_lowercase();
        let has_host = |rest: &str| !rest.is_empty() && !rest.starts_with('/');
        match lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"))
        {
            Some(rest) if has_host(rest) => None,
            Some(_) => Some(format!("the API URI “{uri}” names no host")),
            None => Some(format!(
                "the API URI “{uri}” must start with http:// or https:// (for example {DEFAULT_API_URI})"
            )),
        }
    }
}

fn trim_api_uri(uri: &str) -> &str {
    uri.trim().trim_end_matches('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_uses_the_hosted_api() {
        let config = InstantConfig::new("app-1");
        assert_eq!(config.app_id, "app-1");
        assert_eq!(config.api_uri, DEFAULT_API_URI);
        assert_eq!(config.problem(), None);
    }

    #[test]
    fn an_empty_app_id_is_a_problem_named_as_such() {
        let problem = InstantConfig::new(" ").problem().unwrap();
        assert!(problem.starts_with("the app id is empty"), "{problem}");
    }

    #[test]
    fn with_api_uri_trims_trailing_slashes_and_whitespace() {
        let config = InstantConfig::new(" app-1 ").with_api_uri(" http://127.0.0.1:8788// ");
        assert_eq!(config.app_id, "app-1");
        assert_eq!(config.api_uri, "http://127.0.0.1:8788");
    }

    #[test]
    fn endpoint_joins_with_exactly_one_slash() {
        let config = InstantConfig::new("a").with_api_uri("http://127.0.0.1:8788/");
        assert_eq!(
            config.endpoint("/runtime/oauth/id_token"),
            "http://127.0.0.1:8788/runtime/oauth/id_token"
        );
        assert_eq!(
            config.endpoint("runtime/signout"),
            "http://127.0.0.1:8788/runtime/signout"
        );
        // A base with a trailing slash set through the public field still joins cleanly.
        let direct = InstantConfig {
            app_id: "a".into(),
            api_uri: "https://example.test/instant/".into(),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        };
        assert_eq!(
            direct.endpoint("/runtime/signout"),
            "https://example.test/instant/runtime/signout"
        );
    }

    #[test]
    fn api_uri_problem_names_what_to_fix() {
        let ok = |uri: &str| InstantConfig::new("a").with_api_uri(uri).api_uri_problem();
        assert_eq!(ok("http://127.0.0.1:8788"), None);
        assert_eq!(ok("HTTPS://api.instantdb.com"), None);
        let no_scheme = ok("127.0.0.1:8788").unwrap();
        assert!(
            no_scheme.contains("must start with http:// or https://"),
            "{no_scheme}"
        );
        let no_host = ok("http:///instant").unwrap();
        assert!(no_host.contains("names no host"), "{no_host}");
        assert!(ok("").is_some());
        // Trimming the slashes of a bare scheme leaves no URI at all.
        assert!(ok("http://").is_some());
    }
}
