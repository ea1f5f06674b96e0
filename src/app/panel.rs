//! What the home page's signed-in part shows, and the help beside a
//! failed sign-in: pure decisions from the states, tested without a
//! browser. `home` draws them.

use super::session::Busy;
use crate::clerk::ClerkError;
use crate::instant::{AuthState, InstantError, User};

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

/// What to do when Instant could not be reached at an address on this
/// computer, where "check your connection" misses the point: the local
/// emulator is stopped (or hung).
pub fn local_server_help(error: &InstantError) -> Option<&'static str> {
    let InstantError::Network { uri, .. } = error else {
        return None;
    };
    is_on_this_computer(uri).then_some(
        "That address is on this computer: start the local emulator (cargo xtask dev), or \
         restart it if it is running, then press Retry.",
    )
}

/// Whether `uri`'s host is this computer, by the clerk module's rule for a
/// publishable key's host.
fn is_on_this_computer(uri: &str) -> bool {
    let rest = uri.split_once("://").map_or(uri, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    crate::clerk::is_loopback_host(authority)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::test_values::*;

    /// After the signed-in part's decision on mount, with nothing else
    /// going on.
    fn mounted() -> PanelFacts<'static> {
        PanelFacts {
            decided_at_mount: true,
            ..PanelFacts::default()
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

    #[test]
    fn an_unreachable_instant_on_this_computer_says_to_start_the_emulator() {
        let unreachable = |uri: &str| InstantError::Network {
            uri: uri.into(),
            reason: "TypeError: Failed to fetch".into(),
        };
        for uri in [
            "http://127.0.0.1:8788",
            "http://localhost:8788/",
            "http://LOCALHOST",
            "http://[::1]:8788",
            "http://127.1.2.3",
            "http://app.localhost:8788",
        ] {
            let help = local_server_help(&unreachable(uri)).unwrap_or_default();
            assert!(help.contains("start the local emulator"), "{uri}: {help:?}");
        }
        for uri in [
            "https://api.instantdb.com",
            "http://127.example.com",
            "http://10.0.0.1:8788",
            "http://localhost.example.com",
        ] {
            assert_eq!(local_server_help(&unreachable(uri)), None, "{uri}");
        }
        // Only a failure to reach it: an answer means it runs.
        let timed_out = InstantError::TimedOut {
            uri: "http://127.0.0.1:8788".into(),
            seconds: 30,
        };
        assert_eq!(local_server_help(&timed_out), None);
    }
}
