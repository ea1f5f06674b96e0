//! The one error type of the Instant client.

/// `Result` with [`InstantError`] as the default error.
pub type Result<T, E = InstantError> = std::result::Result<T, E>;

/// Everything that can go wrong talking to Instant. `Clone` so that it can sit
/// in reactive state ([`AuthState::Error`](super::AuthState::Error)) and be
/// shown by any component.
///
/// [`message`](Self::message) is the sentence to show a person;
/// [`hint`](Self::hint) is the detail that helps fix it. `Display` gives the
/// message with the technical detail, for logs.
///
/// ```
/// use clerk_instant::instant::InstantError;
///
/// let error = InstantError::Api {
///     status: 400,
///     kind: Some("oauth-error".into()),
///     message: "The id_token is expired.".into(),
///     hint: None,
/// };
/// assert_eq!(error.message(), "The id_token is expired.");
/// assert_eq!(error.to_string(), "The id_token is expired.");
/// ```
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum InstantError {
    /// The request never got an answer: offline, DNS, a closed port or a
    /// refused cross-origin request.
    #[error("Could not reach Instant at {uri}. Check your connection and try again. ({reason})")]
    Network {
        /// The API base URI that could not be reached.
        uri: String,
        /// What the browser reported, e.g. `TypeError: Failed to fetch`.
        reason: String,
    },
    /// Instant was asked but did not answer within the client's time limit
    /// ([`InstantConfig::request_timeout`](super::InstantConfig::request_timeout),
    /// 30 s unless set): it may be overloaded, or the network stalled on the
    /// way.
    #[error("Instant at {uri} did not answer within {seconds}\u{a0}s. Try again in a moment.")]
    TimedOut {
        /// The API base URI that was asked.
        uri: String,
        /// The time limit that passed, in whole seconds (rounded up).
        seconds: u64,
    },
    /// The client's configuration, or the client name a sign-in was given,
    /// cannot work (an API URI without `http://` or `https://`, or one the
    /// browser cannot parse, an empty app id or client name); no request
    /// was made. Retrying cannot help: the settings have to change.
    #[error("This app's Instant settings are wrong: {reason}.")]
    Config {
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// Instant answered with an error status.
    #[error("{message}{}", hint.as_deref().map(|hint| format!(" ({hint})")).unwrap_or_default())]
    Api {
        /// The HTTP status.
        status: u16,
        /// Instant's error `type`, e.g. `oauth-error` or `record-not-found`.
        kind: Option<String>,
        /// Instant's `message` (or `error`, which token failures use instead),
        /// or a description of the status when the body says nothing.
        message: String,
        /// Instant's `hint`, as text.
        hint: Option<String>,
    },
    /// Instant answered with success, but not with what the client expected.
    #[error("Instant sent an answer this app cannot read: {reason}")]
    BadResponse {
        /// What was wrong with the answer.
        reason: String,
    },
    /// There was no usable ID token to sign in with (for example Clerk gave
    /// none); no request was made.
    #[error("Could not get a sign-in token: {reason}")]
    Token {
        /// Why there was no token.
        reason: String,
    },
    /// The stored session no longer exists on Instant (signed out on another
    /// device, or its user was deleted), so it was cleared; signing in again
    /// makes a new one.
    #[error(
        "Your Instant session has ended: it was signed out elsewhere or its user was removed. \
         Sign in again."
    )]
    SessionEnded,
}

impl InstantError {
    /// The sentence to show a person, without the technical detail.
    pub fn message(&self) -> String {
        match self {
            Self::Network { uri, .. } => {
                format!("Could not reach Instant at {uri}. Check your connection and try again.")
            }
            Self::Api { message, .. } => message.clone(),
            Self::TimedOut { .. }
            | Self::Config { .. }
            | Self::BadResponse { .. }
            | Self::Token { .. }
            | Self::SessionEnded => self.to_string(),
        }
    }

    /// Detail that helps fix the problem: Instant's `hint` for API errors,
    /// the browser's own words for network errors.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::Network { reason, .. } => Some(format!(
                "The browser said: {reason}. If your connection works, check the API URI, \
                 and that the server there accepts requests from this site's origin."
            )),
            Self::Api { hint, .. } => hint.clone(),
            Self::TimedOut { .. }
            | Self::Config { .. }
            | Self::BadResponse { .. }
            | Self::Token { .. }
            | Self::SessionEnded => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_error_reads_as_plain_words() {
        let error = InstantError::Network {
            uri: "http://127.0.0.1:9".into(),
            reason: "TypeError: Failed to fetch".into(),
        };
        assert_eq!(
            error.message(),
            "Could not reach Instant at http://127.0.0.1:9. Check your connection and try again."
        );
        assert!(error.hint().unwrap().contains("TypeError: Failed to fetch"));
        assert!(error.to_string().starts_with(&error.message()));
    }

    #[test]
    fn api_error_display_adds_the_hint() {
        let error = InstantError::Api {
            status: 400,
            kind: Some("record-not-found".into()),
            message: "Record not found: oauth-client".into(),
            hint: Some("client name: nope".into()),
        };
        assert_eq!(error.message(), "Record not found: oauth-client");
        assert_eq!(error.hint().as_deref(), Some("client name: nope"));
        assert_eq!(
            error.to_string(),
            "Record not found: oauth-client (client name: nope)"
        );
    }

    #[test]
    fn a_timeout_says_instant_did_not_answer() {
        let error = InstantError::TimedOut {
            uri: "http://127.0.0.1:8788".into(),
            seconds: 30,
        };
        assert_eq!(
            error.message(),
            "Instant at http://127.0.0.1:8788 did not answer within 30\u{a0}s. Try again in a moment."
        );
        // Not the network error's advice about connections and origins.
        assert_eq!(error.hint(), None);
    }

    #[test]
    fn token_and_bad_response_explain_themselves() {
        let token = InstantError::Token {
            reason: "Clerk returned no session token".into(),
        };
        assert_eq!(
            token.message(),
            "Could not get a sign-in token: Clerk returned no session token"
        );
        assert_eq!(token.hint(), None);
        let bad = InstantError::BadResponse {
            reason: "no user".into(),
        };
        assert!(bad.message().contains("no user"));
    }

    #[test]
    fn an_ended_session_says_what_happened_and_what_to_do() {
        let ended = InstantError::SessionEnded;
        assert!(ended.message().contains("signed out elsewhere"));
        assert!(ended.message().ends_with("Sign in again."));
        assert_eq!(ended.hint(), None);
    }
}
