//! `/account`: who the person is in Instant and in Clerk. Only for someone
//! signed in to both; someone signed in to Clerk alone is signed in to
//! Instant here first, as the home page would (a link or bookmark to this
//! page keeps its place); anyone else is sent to `/`.

use std::sync::atomic::{AtomicU8, Ordering};

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;
use wasm_bindgen::JsCast as _;

use super::loading::{Loading, SigningOut};
use super::session::use_session_link;
use super::session::Busy;
use crate::clerk::{use_clerk_auth, ClerkState};
use crate::instant::{use_auth, AuthState, User};

/// Whether the account page can show, must wait, or must send the person
/// home.
#[derive(Clone, Debug, PartialEq)]
pub enum AccountAccess {
    /// Not settled yet (Clerk loading, an exchange or sign-out running).
    Wait,
    /// Signed in to both, with the Instant session made for this Clerk user.
    Show {
        /// The Instant user.
        user: User,
        /// The Clerk user id.
        clerk_user_id: String,
    },
    /// Not signed in to both: go to `/`.
    Redirect,
}

/// What the session link says, beside the two states, for [`account_access`].
#[derive(Clone, Copy, Debug, Default)]
pub struct LinkFacts {
    /// The Instant session was made for the Clerk user signed in.
    pub owner_matches: bool,
    /// An exchange or sign-out is under way (here or in another tab).
    pub busy: bool,
    /// The page is about to exchange a token for the Clerk session signed
    /// in (Instant is signed out, the page has not tried yet, and the
    /// person did not sign out of Instant on this Clerk session).
    pub will_sign_in: bool,
}

/// Why the account page last sent a person home, for the home page that
/// mounts next: it brings them back once they have signed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum SentHome {
    /// Not sent (or already brought back).
    No = 0,
    /// Signed out of Clerk: the home page also says why they are there, and
    /// brings them back once Clerk has signed in (this page then signs in
    /// to Instant).
    ToSignInWithClerk = 1,
    /// Signed in to Clerk alone (a session ended, a failed exchange, a
    /// Sign out of Instant): the home page shows why and the way on, and
    /// brings them back once they are signed in to both.
    ToSignInToInstant = 2,
}

impl SentHome {
    /// Marks why the next home page is shown. (Kept here, not in the
    /// history state: reading that costs the wasm half a kilobyte.)
    pub fn mark(self) {
        SENT_HOME.store(self as u8, Ordering::Relaxed);
    }

    /// Why the account page sent the person home, once: the mark is gone.
    pub fn take() -> Self {
        const TO_SIGN_IN_WITH_CLERK: u8 = SentHome::ToSignInWithClerk as u8;
        const TO_SIGN_IN_TO_INSTANT: u8 = SentHome::ToSignInToInstant as u8;
        match SENT_HOME.swap(Self::No as u8, Ordering::Relaxed) {
            TO_SIGN_IN_WITH_CLERK => Self::ToSignInWithClerk,
            TO_SIGN_IN_TO_INSTANT => Self::ToSignInToInstant,
            _ => Self::No,
        }
    }
}

/// [`SentHome`]'s mark: the page's, like its history (one app per page).
static SENT_HOME: AtomicU8 = AtomicU8::new(SentHome::No as u8);

/// Decides [`AccountAccess`]; pure, so it is tested natively.
pub fn account_access(clerk: &ClerkState, instant: &AuthState, link: LinkFacts) -> AccountAccess {
    let LinkFacts {
        owner_matches,
        busy,
        will_sign_in,
    } = link;
    match clerk {
        ClerkState::Unknown => AccountAccess::Wait,
        ClerkState::SignedOut | ClerkState::Failed(_) => AccountAccess::Redirect,
        ClerkState::SignedIn(_) if busy || instant.is_loading() => AccountAccess::Wait,
        ClerkState::SignedIn(_) if will_sign_in && *instant == AuthState::SignedOut => {
            AccountAccess::Wait
        }
        // Another account's session (a page opened here after a switch in
        // Clerk's sign-in): the session link is about to switch it.
        ClerkState::SignedIn(_) if instant.user().is_some() && !owner_matches => {
            AccountAccess::Wait
        }
        ClerkState::SignedIn(session) => match instant {
            AuthState::SignedIn(user) if owner_matches => AccountAccess::Show {
                user: user.clone(),
                clerk_user_id: session.user.id.clone(),
            },
            _ => AccountAccess::Redirect,
        },
    }
}

/// The account page.
#[component]
pub fn AccountPage() -> impl IntoView {
    super::set_page_title(Some("Account"));
    let clerk = use_clerk_auth();
    let auth = use_auth();
    let link = use_session_link();
    let busy = link.busy();
    let owner_matches = link.owner_matches();
    // Whether this page has asked for an Instant session: once only (a
    // failure shows on the home page, with its Retry).
    let tried = RwSignal::new(false);
    let may_sign_in = move || !tried.get() && !link.signed_out_of_this_clerk_session();
    let access = Memo::new(move |_| {
        account_access(
            &clerk.state.get(),
            &auth.state.get(),
            LinkFacts {
                owner_matches: owner_matches.get(),
                busy: busy.get().is_some(),
                will_sign_in: may_sign_in(),
            },
        )
    });
    let in_view = link.in_view();
    Effect::new(move |_| {
        let signed_out_of_instant_only = clerk.is_signed_in.get()
            && auth.state.with(|state| *state == AuthState::SignedOut)
            && busy.with(Option::is_none);
        // In the background, as on the home page: the tab in view signs in.
        if signed_out_of_instant_only && in_view.get() && untrack(may_sign_in) {
            // The exchange first: it is under way (and the page waits) by
            // the time `tried` lets the access be decided again.
            link.exchange();
            tried.set(true);
        }
    });
    let navigate = use_navigate();
    Effect::new(move |_| {
        if access.get() == AccountAccess::Redirect {
            // A Clerk that failed to load has nothing to come back for.
            clerk.state.with_untracked(|state| match state {
                ClerkState::SignedOut => SentHome::ToSignInWithClerk.mark(),
                ClerkState::SignedIn(_) => SentHome::ToSignInToInstant.mark(),
                ClerkState::Unknown | ClerkState::Failed(_) => {}
            });
            navigate(
                "/",
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });
    view! {
        <section class="card" aria-labelledby="account-title">
            <h1 id="account-title" tabindex="-1">"Account"</h1>
            // Focusable, as the home page's: where focus goes when what had
            // it is gone (after a sign-in through Clerk's modal, say).
            <div class="status-region" aria-live="polite" tabindex="-1">
                {move || match access.get() {
                    AccountAccess::Show { user, clerk_user_id } => {
                        view! { <AccountDetails user clerk_user_id /> }.into_any()
                    }
                    AccountAccess::Wait if busy.get().is_some_and(Busy::is_signing_out) => {
                        view! { <SigningOut /> }.into_any()
                    }
                    AccountAccess::Wait => view! { <Loading /> }.into_any(),
                    AccountAccess::Redirect => {
                        view! { <p class="status">"This page needs you signed in to Clerk and Instant; going to the home page…"</p> }
                            .into_any()
                    }
                }}
            </div>
        </section>
    }
}

#[component]
fn AccountDetails(user: User, clerk_user_id: String) -> impl IntoView {
    let created = user.created_at.clone().map(|raw| {
        let shown = readable_time(&raw).unwrap_or_else(|| raw.clone());
        view! { <time datetime=raw>{shown}</time> }
    });
    view! {
        <dl class="facts">
            <dt>"Instant user id"</dt>
            <dd><code class="instant-user-id">{user.id}</code></dd>
            <dt>"Email"</dt>
            <dd class="instant-email">{user.email.unwrap_or_else(|| "none".to_owned())}</dd>
            <dt>"Created"</dt>
            <dd class="instant-created">{created}</dd>
            <dt>"Clerk user id"</dt>
            <dd><code class="clerk-user-id">{clerk_user_id}</code></dd>
        </dl>
    }
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// A `Date`, for the one method js-sys binds only with a locale.
    #[wasm_bindgen(extends = js_sys::Date)]
    type LocalDate;
    /// `toLocaleString()` with no arguments: in the browser's own language
    /// and time zone.
    #[wasm_bindgen(method, js_name = toLocaleString)]
    fn to_locale_string(this: &LocalDate) -> String;
}

/// `created_at` (RFC 3339, or milliseconds since the epoch) as a date and
/// time a person reads, in their own time zone; `None` when the browser
/// cannot make sense of it.
fn readable_time(raw: &str) -> Option<String> {
    // Whole milliseconds: parsing an integer, not a float, keeps the
    // float-parsing tables out of the wasm.
    let date = match raw.parse::<i64>() {
        Ok(millis) => js_sys::Date::new(&(millis as f64).into()),
        Err(_) => js_sys::Date::new(&raw.into()),
    };
    if date.get_time().is_nan() {
        return None;
    }
    Some(date.unchecked_into::<LocalDate>().to_locale_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::test_values::{clerk_signed_in, instant_user};
    use crate::clerk::ClerkError;

    fn user() -> User {
        instant_user(Some("ada@example.com"))
    }

    #[test]
    fn shows_only_when_signed_in_to_both_for_the_same_account() {
        assert_eq!(
            account_access(
                &clerk_signed_in("user_a"),
                &AuthState::SignedIn(user()),
                LinkFacts {
                    owner_matches: true,
                    ..LinkFacts::default()
                }
            ),
            AccountAccess::Show {
                user: user(),
                clerk_user_id: "user_a".into()
            }
        );
    }

    #[test]
    fn waits_while_anything_is_in_flight() {
        assert_eq!(
            account_access(
                &ClerkState::Unknown,
                &AuthState::SignedOut,
                LinkFacts::default()
            ),
            AccountAccess::Wait
        );
        assert_eq!(
            account_access(
                &clerk_signed_in("user_a"),
                &AuthState::SigningIn,
                LinkFacts::default()
            ),
            AccountAccess::Wait
        );
        assert_eq!(
            account_access(
                &clerk_signed_in("user_a"),
                &AuthState::SignedOut,
                LinkFacts {
                    busy: true,
                    ..LinkFacts::default()
                }
            ),
            AccountAccess::Wait
        );
    }

    #[test]
    fn another_accounts_session_waits_for_the_switch() {
        assert_eq!(
            account_access(
                &clerk_signed_in("user_a"),
                &AuthState::SignedIn(user()),
                LinkFacts::default()
            ),
            AccountAccess::Wait
        );
    }

    #[test]
    fn signed_in_to_clerk_alone_waits_for_the_pages_own_sign_in() {
        assert_eq!(
            account_access(
                &clerk_signed_in("user_a"),
                &AuthState::SignedOut,
                LinkFacts {
                    will_sign_in: true,
                    ..LinkFacts::default()
                }
            ),
            AccountAccess::Wait
        );
        // Tried, or signed out of Instant on purpose: home.
        assert_eq!(
            account_access(
                &clerk_signed_in("user_a"),
                &AuthState::SignedOut,
                LinkFacts::default()
            ),
            AccountAccess::Redirect
        );
        // An error is the home page's to show.
        assert_eq!(
            account_access(
                &clerk_signed_in("user_a"),
                &AuthState::Error(crate::instant::InstantError::SessionEnded),
                LinkFacts {
                    will_sign_in: true,
                    ..LinkFacts::default()
                }
            ),
            AccountAccess::Redirect
        );
    }

    #[test]
    fn anyone_not_signed_in_to_both_goes_home() {
        for (clerk, instant, owner_matches) in [
            (ClerkState::SignedOut, AuthState::SignedIn(user()), true),
            (
                ClerkState::Failed(ClerkError::MissingPublishableKey),
                AuthState::SignedOut,
                false,
            ),
            (clerk_signed_in("user_a"), AuthState::SignedOut, false),
        ] {
            assert_eq!(
                account_access(
                    &clerk,
                    &instant,
                    LinkFacts {
                        owner_matches,
                        ..LinkFacts::default()
                    }
                ),
                AccountAccess::Redirect
            );
        }
    }
}
