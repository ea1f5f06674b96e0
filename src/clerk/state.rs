//! What the app knows about Clerk at a moment: plain Rust data, so it can
//! live in signals and be tested without a browser.

use super::error::ClerkError;

/// A person signed in to Clerk, copied out of `Clerk.user`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClerkUser {
    /// Clerk's user id (`user_…`), the `sub` of its session tokens.
    pub id: String,
    /// The primary email address, if the user has one.
    pub email: Option<String>,
    /// First and last name together, if known.
    pub full_name: Option<String>,
    /// First name, if known.
    pub first_name: Option<String>,
    /// Last name, if known.
    pub last_name: Option<String>,
}

/// An active Clerk session, copied out of `Clerk.session`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClerkSession {
    /// Clerk's session id (`sess_…`).
    pub id: String,
    /// The person the session belongs to.
    pub user: ClerkUser,
}

/// One of clerk-js's resource fields (`Clerk.user`, `Clerk.session`).
///
/// clerk-js tells "not known" (`undefined`: still loading, or switching
/// sessions) apart from "nobody" (`null`: signed out).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Resource<T> {
    /// `undefined`: not loaded yet, or in transition.
    Unknown,
    /// `null`: known to be absent.
    Absent,
    /// An object.
    Present(T),
}

/// Clerk's state as the app sees it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum ClerkState {
    /// Not known yet: Clerk is still loading, or is between two sessions
    /// (clerk-js's fields read `undefined` then). Neither signed-in nor
    /// signed-out content shows. In a transition the provider keeps the
    /// last state instead, for at most 10 s, and shows this state after
    /// that until clerk-js settles.
    #[default]
    Unknown,
    /// Loaded, nobody signed in.
    SignedOut,
    /// Loaded, with an active session.
    SignedIn(ClerkSession),
    /// Clerk could not start: a missing or malformed key, scripts that
    /// never loaded, a load that failed or timed out. The error is one for
    /// which [`ClerkError::is_setup_problem`] holds.
    Failed(ClerkError),
}

impl ClerkState {
    /// Derives the state from what clerk-js exposes, the way Clerk's own
    /// React hooks do: not loaded, or any field `undefined` → not known;
    /// both present → signed in; otherwise signed out.
    pub(crate) fn from_resources(
        loaded: bool,
        user: Resource<ClerkUser>,
        session_id: Resource<String>,
    ) -> Self {
        if !loaded {
            return Self::Unknown;
        }
        match (user, session_id) {
            (Resource::Unknown, _) | (_, Resource::Unknown) => Self::Unknown,
            (Resource::Present(user), Resource::Present(id)) => {
                Self::SignedIn(ClerkSession { id, user })
            }
            _ => Self::SignedOut,
        }
    }

    /// The next state after clerk-js reports a change. A failure stays: once
    /// Clerk could not be set up, nothing it reports later is trusted. Once
    /// loaded, "not known" can only be a transition (clerk-js's sign-in or
    /// sign-out, while it navigates or runs a callback): the last known
    /// state stays until the new one is reported, so the page goes from
    /// one to the other without a "Loading…" in between. (For at most 10 s:
    /// [`ClerkProvider`](super::ClerkProvider) then shows a transition that
    /// never settled as not known.)
    pub(crate) fn next(&self, reported: Self) -> Self {
        match (self, reported) {
            (Self::Failed(_), _) => self.clone(),
            (Self::SignedIn(_) | Self::SignedOut, Self::Unknown) => self.clone(),
            (_, reported) => reported,
        }
    }

    /// Whether Clerk has loaded and knows who (if anyone) is signed in.
    pub fn is_loaded(&self) -> bool {
        matches!(self, Self::SignedOut | Self::SignedIn(_))
    }

    /// Whether someone is signed in.
    pub fn is_signed_in(&self) -> bool {
        matches!(self, Self::SignedIn(_))
    }

    /// Whether Clerk loaded and nobody is signed in.
    pub fn is_signed_out(&self) -> bool {
        matches!(self, Self::SignedOut)
    }

    /// The active session, when signed in.
    pub fn session(&self) -> Option<&ClerkSession> {
        match self {
            Self::SignedIn(session) => Some(session),
            _ => None,
        }
    }

    /// The signed-in user, when signed in.
    pub fn user(&self) -> Option<&ClerkUser> {
        self.session().map(|session| &session.user)
    }

    /// Why Clerk could not be set up, when it could not.
    pub fn error(&self) -> Option<&ClerkError> {
        match self {
            Self::Failed(error) => Some(error),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ada() -> ClerkUser {
        ClerkUser {
            id: "user_ada".into(),
            email: Some("ada@example.com".into()),
            full_name: Some("Ada Lovelace".into()),
            first_name: Some("Ada".into()),
            last_name: Some("Lovelace".into()),
        }
    }

    #[test]
    fn nothing_is_known_before_load() {
        let state = ClerkState::from_resources(
            false,
            Resource::Present(ada()),
            Resource::Present("sess_1".into()),
        );
        assert_eq!(state, ClerkState::Unknown);
        assert!(!state.is_loaded());
        assert!(!state.is_signed_in());
        assert!(!state.is_signed_out());
        assert_eq!(ClerkState::default(), ClerkState::Unknown);
    }

    #[test]
    fn undefined_fields_mean_a_transition_not_a_sign_out() {
        for (user, session) in [
            (Resource::Unknown, Resource::Unknown),
            (Resource::Present(ada()), Resource::Unknown),
            (Resource::Unknown, Resource::Absent),
        ] {
            let state = ClerkState::from_resources(true, user, session);
            assert_eq!(state, ClerkState::Unknown);
        }
    }

    #[test]
    fn null_fields_mean_signed_out() {
        let state = ClerkState::from_resources(true, Resource::Absent, Resource::Absent);
        assert!(state.is_signed_out());
        assert!(state.is_loaded());
        assert_eq!(state.user(), None);
        // A user without a session is not signed in either.
        let state = ClerkState::from_resources(true, Resource::Present(ada()), Resource::Absent);
        assert!(state.is_signed_out());
    }

    #[test]
    fn user_and_session_mean_signed_in() {
        let state = ClerkState::from_resources(
            true,
            Resource::Present(ada()),
            Resource::Present("sess_1".into()),
        );
        assert!(state.is_signed_in());
        assert!(state.is_loaded());
        assert_eq!(state.user().map(|u| u.id.as_str()), Some("user_ada"));
        assert_eq!(state.session().map(|s| s.id.as_str()), Some("sess_1"));
        assert_eq!(state.error(), None);
    }

    #[test]
    fn a_failure_is_not_overwritten_by_later_reports() {
        let failed = ClerkState::Failed(ClerkError::MissingPublishableKey);
        assert_eq!(failed.next(ClerkState::SignedOut), failed);
        assert_eq!(failed.error(), Some(&ClerkError::MissingPublishableKey));
        assert!(!failed.is_loaded());
        assert_eq!(
            ClerkState::Unknown.next(ClerkState::SignedOut),
            ClerkState::SignedOut
        );
    }

    #[test]
    fn a_transition_after_loading_keeps_the_last_state_until_the_next() {
        let signed_in = ClerkState::SignedIn(ClerkSession {
            id: "sess_1".into(),
            user: ada(),
        });
        // Signing out: signed in, in transition, signed out.
        let during = signed_in.next(ClerkState::Unknown);
        assert_eq!(during, signed_in);
        assert_eq!(during.next(ClerkState::SignedOut), ClerkState::SignedOut);
        // Signing in through the modal: signed out, in transition, signed in.
        let during = ClerkState::SignedOut.next(ClerkState::Unknown);
        assert_eq!(during, ClerkState::SignedOut);
        assert_eq!(during.next(signed_in.clone()), signed_in);
        // Before loading, not known stays not known.
        assert_eq!(
            ClerkState::Unknown.next(ClerkState::Unknown),
            ClerkState::Unknown
        );
    }
}
