//! The one error type of the Clerk module.

/// Everything that can go wrong between the app and `window.Clerk`.
///
/// `Clone` so it can live in a signal; every message says what to fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClerkError {
    /// No publishable key was configured.
    #[error(
        "No Clerk publishable key is configured. Copy it from the Clerk dashboard \
         (API keys → Publishable key; it starts with “pk_”) and pass it to \
         <ClerkProvider publishable_key=…>."
    )]
    MissingPublishableKey,

    /// The publishable key is not `pk_test_`/`pk_live_` + base64 of `"<host>$"`.
    #[error("The Clerk publishable key “{key}” is malformed: {reason}.")]
    MalformedPublishableKey {
        /// The key as given (publishable keys are public, so it may be shown).
        key: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The page is not running in a browser window (no `window`/`document`).
    #[error("Clerk needs a browser window, and there is none here.")]
    NoBrowser,

    /// A Clerk script could not be fetched or run.
    #[error("Could not load Clerk's script from {url}. Is the Clerk frontend API reachable?")]
    ScriptFailed {
        /// The script's address.
        url: String,
    },

    /// The scripts loaded but `window.Clerk` never appeared.
    #[error("Clerk's script from {url} loaded but did not define window.Clerk.")]
    MissingGlobal {
        /// The script's address.
        url: String,
    },

    /// Loading did not finish within the time limit.
    #[error(
        "Clerk did not finish loading from {frontend_api} within {seconds}\u{a0}s. \
         Check that the publishable key names your Clerk instance and that it is reachable."
    )]
    LoadTimedOut {
        /// The frontend API the key names.
        frontend_api: String,
        /// The time limit that passed.
        seconds: u64,
    },

    /// `Clerk.load()` rejected.
    #[error("Clerk failed to load: {message}")]
    LoadFailed {
        /// Clerk's own message.
        message: String,
    },

    /// A call into a loaded Clerk threw or rejected.
    #[error("Clerk's {} failed: {message}", in_words(operation))]
    Call {
        /// The Clerk method that failed, e.g. `getToken`.
        operation: &'static str,
        /// Clerk's own message.
        message: String,
    },

    /// A call into a loaded Clerk did not settle within the provider's
    /// `call_timeout`.
    #[error(
        "Clerk's {} did not finish within {seconds}\u{a0}s. Check the connection to Clerk and try \
         again.",
        in_words(operation)
    )]
    CallTimedOut {
        /// The Clerk method that did not finish, e.g. `signOut`.
        operation: &'static str,
        /// The time limit that passed.
        seconds: u64,
    },

    /// A call that needs a loaded Clerk came while its state was
    /// [`ClerkState::Unknown`](super::ClerkState::Unknown): before loading
    /// finished, or in a transition between sessions that ran past its
    /// limit.
    #[error("Clerk is not ready yet: it is still loading, or between two sessions.")]
    NotLoaded,
}

impl ClerkError {
    /// Whether this error means Clerk itself is not set up or reachable (bad
    /// key, scripts that never load, no browser), as opposed to one call
    /// that failed: the errors [`ClerkState::Failed`](super::ClerkState::Failed)
    /// holds. Apps show a setup screen for these.
    pub fn is_setup_problem(&self) -> bool {
        matches!(
            self,
            Self::NoBrowser
                | Self::MissingPublishableKey
                | Self::MalformedPublishableKey { .. }
                | Self::ScriptFailed { .. }
                | Self::MissingGlobal { .. }
                | Self::LoadTimedOut { .. }
                | Self::LoadFailed { .. }
        )
    }
}

/// What a person reads for the Clerk method `operation` (the variants keep
/// the method's name, for code).
fn in_words(operation: &str) -> &str {
    match operation {
        "signOut" => "sign-out",
        "getToken" => "session token request",
        "openSignIn" => "sign-in window",
        "redirectToSignIn" => "sign-in page",
        "addListener" => "state listener",
        other => other,
    }
}

/// `Result` with [`ClerkError`] as the default error.
pub type Result<T, E = ClerkError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setup_problems_are_told_apart_from_failed_calls() {
        assert!(ClerkError::MissingPublishableKey.is_setup_problem());
        assert!(ClerkError::NoBrowser.is_setup_problem());
        assert!(ClerkError::LoadTimedOut {
            frontend_api: "https://clerk.example.com".into(),
            seconds: 15
        }
        .is_setup_problem());
        assert!(!ClerkError::Call {
            operation: "getToken",
            message: "boom".into()
        }
        .is_setup_problem());
        assert!(!ClerkError::NotLoaded.is_setup_problem());
    }

    #[test]
    fn messages_say_what_to_fix() {
        let timeout = ClerkError::LoadTimedOut {
            frontend_api: "https://clerk.example.com".into(),
            seconds: 15,
        };
        assert!(timeout.to_string().contains("within 15\u{a0}s"));
        assert!(ClerkError::MissingPublishableKey
            .to_string()
            .contains("Publishable key"));
        // In words a person reads, not the JS method's name.
        let sign_out = ClerkError::Call {
            operation: "signOut",
            message: "Network error".into(),
        };
        assert_eq!(
            sign_out.to_string(),
            "Clerk's sign-out failed: Network error"
        );
        let token = ClerkError::CallTimedOut {
            operation: "getToken",
            seconds: 15,
        };
        assert!(
            token
                .to_string()
                .starts_with("Clerk's session token request did not finish within 15\u{a0}s."),
            "{token}"
        );
    }
}
