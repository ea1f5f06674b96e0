//! Keeping the Instant session in step with the Clerk session: pure
//! decisions, tested without a browser. `session` carries them out.

use crate::clerk::{ClerkError, ClerkState};
use crate::instant::{AuthState, InstantError, User};

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
        ClerkState::NotLoaded | ClerkState::Failed(_) => SyncAction::Nothing,
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

/// What the signed-in part of the home page shows.
#[derive(Clone, Debug, PartialEq)]
pub enum Panel {
    /// "Loading…": nothing final yet.
    Loading,
    /// "Signing out…".
    SigningOut,
    /// The error with a way on: "Error signing in to Instant! …" with
    /// Retry (none for a settings error) and Sign out, or for an ended
    /// session "Signed out of Instant. …" with Sign in again.
    Error(InstantError),
    /// "Signed in with Instant through Clerk!" with a Sign out button.
    SignedIn(User),
    /// A "Sign in to Instant" button.
    SignInPrompt,
    /// Signed out of Instant, but Clerk's sign-out failed: why, with a
    /// button to try again.
    ClerkSignOutFailed(ClerkError),
}

/// What the session link and the page say, beside Instant's state, for
/// [`panel`].
#[derive(Clone, Copy, Debug, Default)]
pub struct PanelFacts<'a> {
    /// Work under way, here or in another tab.
    pub busy: Option<Busy>,
    /// The Instant session was made for the Clerk user now signed in.
    pub owner_matches: bool,
    /// The signed-in part has decided on mount whether to exchange (until
    /// then a signed-out Instant is about to sign in, so it shows as
    /// loading, not as a button).
    pub decided_at_mount: bool,
    /// Why the last Sign out left Clerk signed in.
    pub clerk_sign_out_error: Option<&'a ClerkError>,
}

/// Picks the panel.
pub fn panel(instant: &AuthState, facts: PanelFacts<'_>) -> Panel {
    let PanelFacts {
        busy,
        owner_matches,
        decided_at_mount,
        clerk_sign_out_error,
    } = facts;
    if busy.is_some_and(Busy::is_signing_out) {
        return Panel::SigningOut;
    }
    // Only where that sign-out was asked for: a page that has just mounted
    // after a later Clerk sign-in is about to exchange.
    if let (AuthState::SignedOut, None, true, Some(error)) =
        (instant, busy, decided_at_mount, clerk_sign_out_error)
    {
        return Panel::ClerkSignOutFailed(error.clone());
    }
    match instant {
        // Another tab is signing in (its Retry, say): this tab's error would
        // offer a second exchange beside it; its outcome comes here too.
        AuthState::Error(_) if busy == Some(Busy::SigningInInAnotherTab) => Panel::Loading,
        AuthState::Error(error) => Panel::Error(error.clone()),
        AuthState::SignedIn(user) if owner_matches => Panel::SignedIn(user.clone()),
        AuthState::SignedOut if busy.is_none() && decided_at_mount => Panel::SignInPrompt,
        _ => Panel::Loading,
    }
}

/// Whether an Instant user lacks the email that the Clerk session token
/// should have carried.
pub fn lacks_email(user: &User) -> bool {
    user.email
        .as_deref()
        .is_none_or(|email| email.trim().is_empty())
}

/// Whether a failed exchange is about the token's missing `email` claim:
/// Instant's own words for it are "The id_token had no email."
pub fn is_about_missing_email(error: &InstantError) -> bool {
    // ASCII case is enough for these English words, and keeps Unicode's
    // case tables out of the wasm.
    let text =
        format!("{} {}", error.message(), error.hint().unwrap_or_default()).to_ascii_lowercase();
    text.contains("no email")
        || (text.contains("email") && (text.contains("claim") || text.contains("missing")))
}

/// Which of this app's build settings a failed exchange points at, in
/// words that say what to do: a settings error, or Instant not finding the
/// app or the Clerk client this build names (`record-type` in its hint).
pub fn settings_help(error: &InstantError) -> Option<&'static str> {
    if matches!(error, InstantError::Config { .. }) {
        return Some(
            "This app reads its Instant settings (INSTANT_APP_ID, INSTANT_API_URI, \
             CLERK_CLIENT_NAME) when it is built: fix the one named above and build the app again.",
        );
    }
    let hint = error.hint().unwrap_or_default();
    // The hint is left out when the message repeats it: look at both.
    if hint.contains("record-type: app-oauth-client")
        || error.message().contains("not found: app-oauth-client")
    {
        Some(
            "This app sends the Clerk client name from CLERK_CLIENT_NAME, set when it is built: \
             add a Clerk client of that name to your Instant app, or build the app again with \
             the name your Instant app has.",
        )
    } else if hint.contains("record-type: app,") || hint.ends_with("record-type: app") {
        Some(
            "This app reads its Instant app id from INSTANT_APP_ID when it is built: set it to \
             your Instant app's id and build the app again.",
        )
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clerk::{ClerkError, ClerkSession, ClerkUser};

    /// After the signed-in part's decision on mount, with nothing else
    /// going on.
    fn mounted() -> PanelFacts<'static> {
        PanelFacts {
            decided_at_mount: true,
            ..PanelFacts::default()
        }
    }

    fn clerk_signed_in(id: &str) -> ClerkState {
        ClerkState::SignedIn(ClerkSession {
            id: format!("sess_{id}"),
            user: ClerkUser {
                id: id.into(),
                email: Some(format!("{id}@example.com")),
                full_name: None,
                first_name: None,
                last_name: None,
            },
        })
    }

    fn instant_user(email: Option<&str>) -> User {
        User {
            id: "2f1a0c44-0000-4000-8000-000000000001".into(),
            email: email.map(Into::into),
            image_url: None,
            app_id: None,
            created_at: None,
            is_guest: false,
            refresh_token: "refresh".into(),
        }
    }

    fn instant_signed_in() -> AuthState {
        AuthState::SignedIn(instant_user(Some("ada@example.com")))
    }

    fn network_error() -> InstantError {
        InstantError::Network {
            uri: "http://127.0.0.1:9".into(),
            reason: "TypeError: Failed to fetch".into(),
        }
    }

    #[test]
    fn nothing_happens_before_clerk_has_loaded_or_when_it_failed() {
        for clerk in [
            ClerkState::NotLoaded,
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
                ClerkState::NotLoaded,
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

    #[test]
    fn panel_follows_the_guide() {
        assert_eq!(panel(&AuthState::SigningIn, mounted()), Panel::Loading);
        assert_eq!(
            panel(&AuthState::Error(network_error()), mounted()),
            Panel::Error(network_error())
        );
        assert_eq!(
            panel(
                &instant_signed_in(),
                PanelFacts {
                    owner_matches: true,
                    ..mounted()
                }
            ),
            Panel::SignedIn(instant_user(Some("ada@example.com")))
        );
        assert_eq!(panel(&AuthState::SignedOut, mounted()), Panel::SignInPrompt);
    }

    #[test]
    fn an_error_waits_while_another_tab_signs_in() {
        assert_eq!(
            panel(
                &AuthState::Error(network_error()),
                PanelFacts {
                    busy: Some(Busy::SigningInInAnotherTab),
                    ..mounted()
                }
            ),
            Panel::Loading
        );
        assert_eq!(
            panel(
                &AuthState::Error(InstantError::SessionEnded),
                PanelFacts {
                    busy: Some(Busy::SigningInInAnotherTab),
                    ..mounted()
                }
            ),
            Panel::Loading
        );
    }

    #[test]
    fn a_failed_clerk_sign_out_says_so_until_something_else_happens() {
        let failed = ClerkError::Call {
            operation: "signOut",
            message: "Failed to fetch".into(),
        };
        assert_eq!(
            panel(
                &AuthState::SignedOut,
                PanelFacts {
                    clerk_sign_out_error: Some(&failed),
                    ..mounted()
                }
            ),
            Panel::ClerkSignOutFailed(failed.clone())
        );
        // A new attempt, an Instant session after all, or a page that has
        // just mounted (after a later Clerk sign-in) shows instead.
        assert_eq!(
            panel(
                &AuthState::SignedOut,
                PanelFacts {
                    clerk_sign_out_error: Some(&failed),
                    ..PanelFacts::default()
                }
            ),
            Panel::Loading
        );
        assert_eq!(
            panel(
                &AuthState::SignedOut,
                PanelFacts {
                    busy: Some(Busy::SigningOut),
                    clerk_sign_out_error: Some(&failed),
                    ..mounted()
                }
            ),
            Panel::SigningOut
        );
        assert_eq!(
            panel(
                &instant_signed_in(),
                PanelFacts {
                    owner_matches: true,
                    clerk_sign_out_error: Some(&failed),
                    ..mounted()
                }
            ),
            Panel::SignedIn(instant_user(Some("ada@example.com")))
        );
    }

    #[test]
    fn another_tabs_sign_out_shows_as_signing_out_not_as_a_sign_in_prompt() {
        // Its Instant sign-out has arrived, its Clerk sign-out not yet.
        assert_eq!(
            panel(
                &AuthState::SignedOut,
                PanelFacts {
                    busy: Some(Busy::SigningOutInAnotherTab),
                    ..mounted()
                }
            ),
            Panel::SigningOut
        );
        // Once it is over, with Clerk still signed in here (its Clerk
        // sign-out failed), the prompt shows.
        assert_eq!(panel(&AuthState::SignedOut, mounted()), Panel::SignInPrompt);
    }

    #[test]
    fn panel_waits_instead_of_flashing_a_button_or_a_stale_user() {
        // Before the page's decision on mount.
        assert_eq!(
            panel(&AuthState::SignedOut, PanelFacts::default()),
            Panel::Loading
        );
        // While an exchange runs.
        assert_eq!(
            panel(
                &AuthState::SignedOut,
                PanelFacts {
                    busy: Some(Busy::Exchanging),
                    ..mounted()
                }
            ),
            Panel::Loading
        );
        // The stored session belongs to the previous account.
        assert_eq!(panel(&instant_signed_in(), mounted()), Panel::Loading);
        assert_eq!(
            panel(
                &instant_signed_in(),
                PanelFacts {
                    busy: Some(Busy::SigningOut),
                    owner_matches: true,
                    ..mounted()
                }
            ),
            Panel::SigningOut
        );
    }

    #[test]
    fn missing_email_is_recognised() {
        assert!(lacks_email(&instant_user(None)));
        assert!(lacks_email(&instant_user(Some(" "))));
        assert!(!lacks_email(&instant_user(Some("ada@example.com"))));
        let claim_error = InstantError::Api {
            status: 400,
            kind: Some("oauth-error".into()),
            message: "The id_token is missing the email claim.".into(),
            hint: None,
        };
        assert!(is_about_missing_email(&claim_error));
        assert!(!is_about_missing_email(&network_error()));
        // Instant's answers, newer and older.
        let validation_failed = |message: &str, hint: Option<&str>| InstantError::Api {
            status: 400,
            kind: Some("validation-failed".into()),
            message: message.into(),
            hint: hint.map(Into::into),
        };
        assert!(is_about_missing_email(&validation_failed(
            "Validation failed for id_token: The id_token had no email.",
            None
        )));
        assert!(is_about_missing_email(&validation_failed(
            "Validation failed for id_token",
            Some("The id_token had no email.")
        )));
        assert!(!is_about_missing_email(&validation_failed(
            "Validation failed for id_token: The id_token had no subject.",
            None
        )));
    }

    #[test]
    fn settings_help_names_the_build_setting_behind_a_failure() {
        let not_found = |hint: &str| InstantError::Api {
            status: 400,
            kind: Some("record-not-found".into()),
            message: "Record not found".into(),
            hint: Some(hint.into()),
        };
        let help = |error: &InstantError| settings_help(error).unwrap_or_default();
        assert!(help(&not_found(
            "record-type: app-oauth-client, client_name: clerk"
        ))
        .contains("CLERK_CLIENT_NAME"));
        assert!(help(&not_found("record-type: app, app-id: 8d4a")).contains("INSTANT_APP_ID"));
        assert!(help(&not_found("record-type: app")).contains("INSTANT_APP_ID"));
        let config = InstantError::Config {
            reason: "the app id is empty".into(),
        };
        assert!(help(&config).contains("build the app again"));
        // A user not found is no setting; nor is a network failure.
        assert_eq!(settings_help(&not_found("record-type: app-user")), None);
        assert_eq!(settings_help(&network_error()), None);
    }
}
