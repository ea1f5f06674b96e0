//! The auth state machine: what the client knows about the session, and how
//! each event changes it. Pure functions, so every transition is tested
//! without a browser.

use super::{InstantError, User};

/// Where the Instant session stands.
///
/// ```
/// use clerk_instant::instant::AuthState;
///
/// let state = AuthState::SigningIn;
/// assert!(state.is_loading());
/// assert_eq!(state.user(), None);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub enum AuthState {
    /// Not known yet: show nothing. A handle made by
    /// [`init`](super::init) is never in this state, because it reads the
    /// stored session at once; it is the state of code that has no handle yet.
    #[default]
    Unknown,
    /// No session.
    SignedOut,
    /// An ID-token exchange is in flight.
    SigningIn,
    /// Signed in as this user.
    SignedIn(User),
    /// The last sign-in failed (or the app reported a failure before one),
    /// or the stored session turned out to have ended on Instant
    /// ([`InstantError::SessionEnded`]).
    Error(InstantError),
}

impl AuthState {
    /// The state a stored session (or its absence) stands for.
    pub fn from_stored(stored: Option<User>) -> Self {
        stored.map_or(Self::SignedOut, Self::SignedIn)
    }

    /// True while there is nothing final to show: [`Unknown`](Self::Unknown)
    /// or [`SigningIn`](Self::SigningIn).
    pub fn is_loading(&self) -> bool {
        matches!(self, Self::Unknown | Self::SigningIn)
    }

    /// The signed-in user, if any.
    pub fn user(&self) -> Option<&User> {
        match self {
            Self::SignedIn(user) => Some(user),
            _ => None,
        }
    }

    /// The error to show, if any.
    pub fn error(&self) -> Option<&InstantError> {
        match self {
            Self::Error(error) => Some(error),
            _ => None,
        }
    }

    /// The state after `event`.
    pub(crate) fn next(&self, event: AuthEvent) -> Self {
        match event {
            AuthEvent::SignInStarted => Self::SigningIn,
            AuthEvent::SignInSucceeded(user) => Self::SignedIn(user),
            AuthEvent::SignInFailed(error) | AuthEvent::ErrorReported(error) => Self::Error(error),
            AuthEvent::SignInDropped(stored) => Self::from_stored(stored),
            AuthEvent::SessionEnded => Self::Error(InstantError::SessionEnded),
            AuthEvent::SignedOut => Self::SignedOut,
            AuthEvent::ErrorCleared => match self {
                Self::Error(_) => Self::SignedOut,
                other => other.clone(),
            },
            // Another tab signed in: follow it, whatever this tab was doing.
            AuthEvent::OtherTabChanged(Some(user)) => Self::SignedIn(user),
            // Another tab signed out. An error from this tab's own attempt
            // stays on screen; everything else follows the other tab.
            AuthEvent::OtherTabChanged(None) => match self {
                Self::Error(error) => Self::Error(error.clone()),
                _ => Self::SignedOut,
            },
        }
    }
}

/// What can happen to the session.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum AuthEvent {
    /// This tab sent an ID token.
    SignInStarted,
    /// Instant accepted it.
    SignInSucceeded(User),
    /// Instant (or the network) refused it.
    SignInFailed(InstantError),
    /// The caller dropped a sign-in in flight; storage holds this.
    SignInDropped(Option<User>),
    /// The app reported a failure before any request.
    ErrorReported(InstantError),
    /// The app cleared the shown error.
    ErrorCleared,
    /// This tab signed out.
    SignedOut,
    /// Instant no longer knows the stored session (checked after a load,
    /// here or in another tab).
    SessionEnded,
    /// Another tab changed the stored session (`None`: it signed out).
    OtherTabChanged(Option<User>),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str) -> User {
        User {
            id: id.into(),
            email: Some(format!("{id}@example.com")),
            image_url: None,
            app_id: None,
            created_at: None,
            is_guest: false,
            refresh_token: format!("refresh-{id}"),
        }
    }

    fn failure() -> InstantError {
        InstantError::Api {
            status: 400,
            kind: Some("oauth-error".into()),
            message: "bad token".into(),
            hint: None,
        }
    }

    fn all_states() -> Vec<AuthState> {
        vec![
            AuthState::Unknown,
            AuthState::SignedOut,
            AuthState::SigningIn,
            AuthState::SignedIn(user("a")),
            AuthState::Error(failure()),
        ]
    }

    #[test]
    fn stored_session_decides_the_first_state() {
        assert_eq!(AuthState::from_stored(None), AuthState::SignedOut);
        assert_eq!(
            AuthState::from_stored(Some(user("a"))),
            AuthState::SignedIn(user("a"))
        );
    }

    #[test]
    fn accessors_match_the_state() {
        assert!(AuthState::Unknown.is_loading());
        assert!(AuthState::SigningIn.is_loading());
        assert!(!AuthState::SignedOut.is_loading());
        assert!(!AuthState::SignedIn(user("a")).is_loading());
        assert!(!AuthState::Error(failure()).is_loading());
        assert_eq!(AuthState::SignedIn(user("a")).user(), Some(&user("a")));
        assert_eq!(AuthState::SigningIn.user(), None);
        assert_eq!(AuthState::Error(failure()).error(), Some(&failure()));
        assert_eq!(AuthState::SignedOut.error(), None);
    }

    #[test]
    fn sign_in_goes_through_signing_in_to_signed_in_or_error() {
        for state in all_states() {
            let started = state.next(AuthEvent::SignInStarted);
            assert_eq!(started, AuthState::SigningIn, "from {state:?}");
            assert_eq!(
                started.next(AuthEvent::SignInSucceeded(user("b"))),
                AuthState::SignedIn(user("b"))
            );
            assert_eq!(
                started.next(AuthEvent::SignInFailed(failure())),
                AuthState::Error(failure())
            );
        }
    }

    #[test]
    fn a_dropped_sign_in_goes_back_to_what_is_stored() {
        let started = AuthState::SignedIn(user("a")).next(AuthEvent::SignInStarted);
        assert_eq!(
            started.next(AuthEvent::SignInDropped(Some(user("a")))),
            AuthState::SignedIn(user("a"))
        );
        assert_eq!(
            started.next(AuthEvent::SignInDropped(None)),
            AuthState::SignedOut
        );
    }

    #[test]
    fn sign_out_always_ends_signed_out() {
        for state in all_states() {
            assert_eq!(
                state.next(AuthEvent::SignedOut),
                AuthState::SignedOut,
                "from {state:?}"
            );
        }
    }

    #[test]
    fn an_ended_session_shows_why_and_clears_back_to_signed_out() {
        let ended = AuthState::SignedIn(user("a")).next(AuthEvent::SessionEnded);
        assert_eq!(ended.user(), None);
        assert_eq!(ended.error(), Some(&InstantError::SessionEnded));
        assert!(!ended.is_loading());
        assert_eq!(ended.next(AuthEvent::ErrorCleared), AuthState::SignedOut);
    }

    #[test]
    fn reported_errors_show_and_clear_back_to_signed_out() {
        let shown = AuthState::SignedOut.next(AuthEvent::ErrorReported(failure()));
        assert_eq!(shown.error(), Some(&failure()));
        assert_eq!(shown.next(AuthEvent::ErrorCleared), AuthState::SignedOut);
    }

    #[test]
    fn clearing_without_an_error_changes_nothing() {
        for state in all_states().into_iter().filter(|s| s.error().is_none()) {
            assert_eq!(state.next(AuthEvent::ErrorCleared), state);
        }
    }

    #[test]
    fn other_tabs_sign_in_is_followed_from_every_state() {
        for state in all_states() {
            assert_eq!(
                state.next(AuthEvent::OtherTabChanged(Some(user("b")))),
                AuthState::SignedIn(user("b")),
                "from {state:?}"
            );
        }
    }

    #[test]
    fn other_tabs_sign_out_is_followed_but_keeps_this_tabs_error() {
        assert_eq!(
            AuthState::SignedIn(user("a")).next(AuthEvent::OtherTabChanged(None)),
            AuthState::SignedOut
        );
        assert_eq!(
            AuthState::SigningIn.next(AuthEvent::OtherTabChanged(None)),
            AuthState::SignedOut
        );
        assert_eq!(
            AuthState::Error(failure()).next(AuthEvent::OtherTabChanged(None)),
            AuthState::Error(failure())
        );
    }
}
