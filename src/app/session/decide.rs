//! Keeping the Instant session in step with the Clerk session: pure
//! decisions, tested without a browser. `follow` carries them out.

use crate::clerk::ClerkState;
use crate::instant::AuthState;

/// Work in progress that other decisions must wait for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Busy {
    /// Getting a Clerk token and exchanging it for an Instant session.
    Exchanging,
    /// Signing out of Instant, then Clerk.
    SigningOut,
    /// Another tab is signing out of both, of the Clerk session this tab
    /// has (or has just lost to it). Its Instant sign-out reaches this tab
    /// before its Clerk sign-out does; meanwhile, and until the signed-out
    /// page has replaced the signed-in one, this tab waits (and says
    /// "Signing out…") instead of offering to sign in to Instant again.
    SigningOutInAnotherTab,
    /// Another tab is exchanging a Clerk token for an Instant session (its
    /// sign-in marker is fresh): this tab waits for that session (and says
    /// "Loading…") instead of exchanging a token of its own, or offering
    /// to, meanwhile.
    SigningInInAnotherTab,
}

impl Busy {
    /// A sign-out, here or in another tab: what the page calls "Signing out…".
    pub fn is_signing_out(self) -> bool {
        matches!(self, Self::SigningOut | Self::SigningOutInAnotherTab)
    }
}

/// What to do so that Instant follows Clerk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyncAction {
    /// Nothing: in step, or waiting for something to settle.
    Nothing,
    /// Clerk is signed out (perhaps in another tab): end the Instant session.
    SignOutOfInstant,
    /// Clerk is signed out and an old Instant error is left: clear it, so
    /// the next person to sign in starts afresh.
    ClearInstantError,
    /// The Instant session belongs to another Clerk account (or to one we
    /// cannot tell), or Clerk has switched accounts while Instant showed an
    /// error or was signed out: end what there is and exchange a token of
    /// the account Clerk has signed in when the exchange runs.
    SwitchAccount,
}

/// Decides how Instant should follow Clerk.
///
/// `owner` is the Clerk user id that the stored Instant session was made
/// for. `decided_on` is the Clerk state last decided on: only a move on the
/// Clerk side calls for action. When just the Instant side moved, that was
/// this tab's own exchange or another tab (whose Clerk change this tab's
/// Clerk follows shortly); acting then would end a session another tab
/// has just made.
///
/// The first exchange after a Clerk sign-in is not decided here: as in
/// Instant's guide, the signed-in part of the page starts it when it
/// appears. A switch from one Clerk account straight to another leaves
/// that part in place, so the switch is decided here, whatever Instant
/// shows: an error or a sign-out of the previous account is not the new
/// one's.
pub fn decide(
    clerk: &ClerkState,
    decided_on: Option<&ClerkState>,
    instant: &AuthState,
    owner: Option<&str>,
    busy: Option<Busy>,
) -> SyncAction {
    if busy.is_some() || decided_on == Some(clerk) {
        return SyncAction::Nothing;
    }
    match clerk {
        ClerkState::Unknown | ClerkState::Failed(_) => SyncAction::Nothing,
        ClerkState::SignedOut => match instant {
            AuthState::SignedIn(_) => SyncAction::SignOutOfInstant,
            AuthState::Error(_) => SyncAction::ClearInstantError,
            _ => SyncAction::Nothing,
        },
        ClerkState::SignedIn(session) => {
            let clerk_user_id = session.user.id.as_str();
            let switched = decided_on
                .and_then(ClerkState::session)
                .is_some_and(|before| before.user.id != clerk_user_id);
            // A stored owner that is already this user is another tab's
            // new session, its event still on the way: keep it.
            let owner_is_other = owner != Some(clerk_user_id);
            let switch = match instant {
                AuthState::SignedIn(_) => owner_is_other,
                AuthState::SignedOut | AuthState::Error(_) => switched && owner_is_other,
                AuthState::Unknown | AuthState::SigningIn => false,
            };
            if switch {
                SyncAction::SwitchAccount
            } else {
                SyncAction::Nothing
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::test_values::*;
    use crate::clerk::ClerkError;

    #[test]
    fn nothing_happens_before_clerk_has_loaded_or_when_it_failed() {
        for clerk in [
            ClerkState::Unknown,
            ClerkState::Failed(ClerkError::MissingPublishableKey),
        ] {
            assert_eq!(
                decide(&clerk, None, &instant_signed_in(), None, None),
                SyncAction::Nothing
            );
        }
    }

    #[test]
    fn a_clerk_sign_out_ends_the_instant_session() {
        assert_eq!(
            decide(
                &ClerkState::SignedOut,
                None,
                &instant_signed_in(),
                Some("user_a"),
                None
            ),
            SyncAction::SignOutOfInstant
        );
        assert_eq!(
            decide(
                &ClerkState::SignedOut,
                None,
                &AuthState::SignedOut,
                None,
                None
            ),
            SyncAction::Nothing
        );
        assert_eq!(
            decide(
                &ClerkState::SignedOut,
                None,
                &AuthState::Error(network_error()),
                None,
                None
            ),
            SyncAction::ClearInstantError
        );
    }

    #[test]
    fn the_same_clerk_user_keeps_the_stored_session() {
        assert_eq!(
            decide(
                &clerk_signed_in("user_a"),
                None,
                &instant_signed_in(),
                Some("user_a"),
                None
            ),
            SyncAction::Nothing
        );
    }

    #[test]
    fn another_or_unknown_clerk_user_switches_accounts() {
        for owner in [Some("user_a"), None] {
            assert_eq!(
                decide(
                    &clerk_signed_in("user_b"),
                    None,
                    &instant_signed_in(),
                    owner,
                    None
                ),
                SyncAction::SwitchAccount
            );
        }
    }

    #[test]
    fn the_first_exchange_is_left_to_the_page() {
        for instant in [
            AuthState::SignedOut,
            AuthState::SigningIn,
            AuthState::Error(network_error()),
        ] {
            assert_eq!(
                decide(&clerk_signed_in("user_a"), None, &instant, None, None),
                SyncAction::Nothing
            );
        }
    }

    #[test]
    fn a_switch_between_clerk_accounts_exchanges_whatever_instant_shows() {
        let switched = SyncAction::SwitchAccount;
        for instant in [AuthState::SignedOut, AuthState::Error(network_error())] {
            assert_eq!(
                decide(
                    &clerk_signed_in("user_b"),
                    Some(&clerk_signed_in("user_a")),
                    &instant,
                    None,
                    None
                ),
                switched,
                "{instant:?}"
            );
            // A sign-in after none (or before Clerk had loaded) is the
            // page's to start, and a new session of the same account keeps
            // what Instant shows.
            for before in [
                ClerkState::SignedOut,
                ClerkState::Unknown,
                clerk_signed_in("user_b"),
            ] {
                let mut newer_session = clerk_signed_in("user_b");
                if let ClerkState::SignedIn(session) = &mut newer_session {
                    session.id = "sess_newer".into();
                }
                assert_eq!(
                    decide(&newer_session, Some(&before), &instant, None, None),
                    SyncAction::Nothing,
                    "{before:?} then {instant:?}"
                );
            }
        }
        // Another tab's session for this user, its event still on the way,
        // is kept.
        assert_eq!(
            decide(
                &clerk_signed_in("user_b"),
                Some(&clerk_signed_in("user_a")),
                &AuthState::SignedOut,
                Some("user_b"),
                None
            ),
            SyncAction::Nothing
        );
        // A sign-in under way is not cut short (it is this tab's own, so
        // the effect waits for it to end anyway).
        assert_eq!(
            decide(
                &clerk_signed_in("user_b"),
                Some(&clerk_signed_in("user_a")),
                &AuthState::SigningIn,
                None,
                None
            ),
            SyncAction::Nothing
        );
    }

    #[test]
    fn a_move_on_the_instant_side_alone_changes_nothing() {
        // Another tab signed in to Instant before this tab's Clerk followed.
        assert_eq!(
            decide(
                &ClerkState::SignedOut,
                Some(&ClerkState::SignedOut),
                &instant_signed_in(),
                Some("user_a"),
                None
            ),
            SyncAction::Nothing
        );
        // Another tab switched accounts before this tab's Clerk followed.
        assert_eq!(
            decide(
                &clerk_signed_in("user_a"),
                Some(&clerk_signed_in("user_a")),
                &instant_signed_in(),
                Some("user_b"),
                None
            ),
            SyncAction::Nothing
        );
    }

    #[test]
    fn nothing_is_decided_while_busy() {
        for busy in [
            Busy::Exchanging,
            Busy::SigningOut,
            Busy::SigningOutInAnotherTab,
            Busy::SigningInInAnotherTab,
        ] {
            assert_eq!(
                decide(
                    &ClerkState::SignedOut,
                    None,
                    &instant_signed_in(),
                    None,
                    Some(busy)
                ),
                SyncAction::Nothing
            );
        }
    }
}
