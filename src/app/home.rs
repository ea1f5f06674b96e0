//! The home page: the example from Instant's Clerk guide.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;
use wasm_bindgen::JsCast as _;

use super::account::SentHome;
use super::buttons::SignOutButton;
use super::help::EmailClaimHelp;
use super::loading::{Loading, SigningOut};
use super::panel::{self, Panel};
use super::session::use_session_link;
use super::{focus_if_lost, focus_is_lost};

use crate::clerk::{
    use_clerk_auth, ClerkError, ClerkLoading, ClerkState, SignInButton, SignedIn, SignedOut,
};
use crate::instant::{use_auth, AuthState, InstantError, User};

/// `ClerkProvider` > `SignedOut` (`SignInButton`) + `SignedIn`
/// (`ClerkSignedIn`), as in the guide (the provider sits in the app).
#[component]
pub fn HomePage() -> impl IntoView {
    super::set_page_title(None);
    let clerk = use_clerk_auth();
    // Sent here by the account page, which needs a sign-in: say so (when
    // it is Clerk's), and once the person has signed in, go back there.
    // Two flags, not a signal of `SentHome`: a signal of its own type cost
    // the wasm half a kilobyte.
    let sent_home = SentHome::take();
    let sent_to_sign_in = RwSignal::new(sent_home == SentHome::ToSignInWithClerk);
    let sent_to_instant = RwSignal::new(sent_home == SentHome::ToSignInToInstant);
    let signed_in_to_both = use_session_link().signed_in_to_both();
    Effect::new(move |_| {
        let back = if sent_to_sign_in.get() {
            // The account page then signs in to Instant itself.
            clerk.is_signed_in.get()
        } else if sent_to_instant.get() {
            // Signed out of Clerk instead: a later sign-in is not the one
            // the account page sent them for.
            if clerk.state.with(ClerkState::is_signed_out) {
                sent_to_instant.set(false);
                return;
            }
            signed_in_to_both.get()
        } else {
            return;
        };
        if back {
            sent_to_sign_in.set(false);
            sent_to_instant.set(false);
            use_navigate()("/account", NavigateOptions::default());
        }
    });
    let invitation = move || {
        if sent_to_sign_in.get() {
            "Sign in with Clerk to see your account."
        } else {
            "Sign in with Clerk to start an Instant session."
        }
    };
    // Whether a button here was pressed while signed out (the Sign in
    // button): a sign-in that follows came through this page, not another
    // tab, and gets `keep_focus_after_sign_in`.
    let sign_in_pressed = StoredValue::new(false);
    Effect::new(move |signed_in_before: Option<Option<bool>>| {
        let signed_in = clerk
            .state
            .with(|state| state.is_loaded().then(|| state.is_signed_in()));
        if signed_in_before.flatten() == Some(false) && signed_in == Some(true) {
            if sign_in_pressed.get_value() {
                leptos::task::spawn_local(keep_focus_after_sign_in());
            }
            sign_in_pressed.set_value(false);
        }
        signed_in
    });
    let on_click = move |event: leptos::ev::MouseEvent| {
        if keep_focus_in_status_region(event) && !clerk.is_signed_in.get_untracked() {
            sign_in_pressed.set_value(true);
        }
    };
    view! {
        <section class="card" aria-labelledby="home-title">
            <h1 id="home-title" tabindex="-1">"Your Instant session"</h1>
            <div
                class="status-region"
                aria-live="polite"
                tabindex="-1"
                on:click=on_click
            >
                // Says so when Clerk is slow to load, as a slow sign-in does.
                <ClerkLoading>
                    <Loading />
                </ClerkLoading>
                <SignedOut>
                    <p>{invitation}</p>
                    <SignInButton class="button primary" />
                    <SignInError />
                </SignedOut>
                <SignedIn>
                    <ClerkSignedIn />
                </SignedIn>
            </div>
        </section>
    }
}

/// Why the Sign in button could not open Clerk's sign-in, if it could not.
#[component]
fn SignInError() -> impl IntoView {
    let sign_in_error = use_clerk_auth().sign_in_error();
    // Erased with `into_any()`: a typed view that comes and goes costs
    // more wasm (README, Performance).
    move || {
        sign_in_error.get().map(|error| {
            view! {
                // No `role="alert"`: the status area around it announces
                // it already, and a live region inside another is heard
                // twice by some screen readers.
                <div class="panel error">
                    <p class="status">
                        <strong>"Clerk's sign-in did not open. "</strong>
                        {error.to_string()}
                    </p>
                    // The button stays, with focus: it is the way on.
                    <p>"Press Sign in to try again."</p>
                </div>
            }
            .into_any()
        })
    }
}

/// Every button in the status area changes what the area shows, which
/// usually removes the button and leaves focus nowhere (the page's body).
/// Once the click has had its effect, such a lost focus goes to the area
/// (it stays), so that keyboard users carry on from there rather than from
/// the top of the page; a button still there (a Sign in that could not
/// open) keeps it. Returns whether the click was on a button.
fn keep_focus_in_status_region(event: leptos::ev::MouseEvent) -> bool {
    let button = event
        .target()
        .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
        .and_then(|element| element.closest("button").ok().flatten());
    let region = event
        .current_target()
        .and_then(|target| target.dyn_into::<web_sys::HtmlElement>().ok());
    let on_a_button = button.is_some();
    if let (Some(button), Some(region)) = (button, region) {
        leptos::task::spawn_local(async move {
            gloo_timers::future::TimeoutFuture::new(0).await;
            if !button.is_connected() && focus_is_lost() {
                let _ = region.focus();
            }
        });
    }
    on_a_button
}

/// After a sign-in through Clerk's modal opened here, the Sign in button
/// that had focus is gone, and the closing modal hands focus back to
/// nothing (the page's body): bring it to the status area, as its own
/// buttons do. The modal closes after the sign-in is reported, so this
/// looks again for up to a second while focus is still in a dialog; focus
/// that went anywhere else on purpose stays there.
async fn keep_focus_after_sign_in() {
    // 20 looks, 50 ms apart: a second.
    const LOOK_EVERY_MS: u32 = 50;
    const LOOKS: u32 = 20;
    for _ in 0..LOOKS {
        gloo_timers::future::TimeoutFuture::new(LOOK_EVERY_MS).await;
        let Some(document) = web_sys::window().and_then(|window| window.document()) else {
            return;
        };
        let active = document.active_element();
        let in_a_dialog = active
            .as_ref()
            .and_then(|element| element.closest("[role=dialog]").ok().flatten())
            .is_some();
        if in_a_dialog {
            continue;
        }
        focus_if_lost(".status-region");
        return;
    }
}

/// The signed-in part of the guide's page: on mount, when Instant is signed
/// out (and the person has not signed out of Instant on this Clerk session:
/// then it offers to), it exchanges Clerk's session token for an Instant
/// session (once the page is in view: a tab in the background leaves it to
/// the tab where the person signed in), then shows Instant's auth state. A
/// stored session is kept (one made for another Clerk account is switched
/// by the `SessionLinkProvider`), and an error stays on screen with its
/// Retry.
#[component]
pub fn ClerkSignedIn() -> impl IntoView {
    let auth = use_auth();
    let link = use_session_link();
    let busy = link.busy();
    let owner_matches = link.owner_matches();
    let clerk_sign_out_error = link.clerk_sign_out_error();
    let decided_at_mount = RwSignal::new(false);
    let in_view = link.in_view();

    // The guide's `useEffect(signInToInstantWithClerkToken, [])`, only when
    // there is no stored session (or error) to show instead, and the person
    // has not signed out of Instant on this Clerk session (a Sign out whose
    // Clerk half failed: the prompt asks first). Work still under way (a
    // sign-out from before this Clerk sign-in, say) is waited for: an
    // exchange asked for meanwhile would not start. So is a look at the
    // page: a tab in the background hears of a sign-in made in another tab
    // as soon as that tab does, and would exchange beside it; once in view
    // it finds that tab's session, or (if there is none) exchanges.
    Effect::new(move |_| {
        if decided_at_mount.get_untracked() {
            return;
        }
        let state = auth.state.get();
        if state == AuthState::Unknown || busy.get().is_some() || !in_view.get() {
            return;
        }
        decided_at_mount.set(true);
        if state == AuthState::SignedOut && !link.signed_out_of_this_clerk_session() {
            link.exchange();
        }
    });

    let panel = Memo::new(move |_| {
        clerk_sign_out_error.with(|clerk_sign_out_error| {
            panel::panel(
                &auth.state.get(),
                panel::PanelFacts {
                    busy: busy.get(),
                    owner_matches: owner_matches.get(),
                    decided_at_mount: decided_at_mount.get(),
                    clerk_sign_out_error: clerk_sign_out_error.as_ref(),
                },
            )
        })
    });
    move || match panel.get() {
        Panel::Loading => view! { <Loading /> }.into_any(),
        Panel::SigningOut => view! { <SigningOut /> }.into_any(),
        Panel::Error(error) => view! { <ExchangeError error /> }.into_any(),
        Panel::SignedIn(user) => view! { <SignedInToBoth user /> }.into_any(),
        // Sign out too: another tab's Sign out that Clerk refused leads
        // here, and this tab has no other way to finish it.
        Panel::SignInPrompt => view! {
            <p>"You are signed in to Clerk but not to Instant."</p>
            <div class="actions">
                <button type="button" class="button primary" on:click=move |_| link.exchange()>
                    "Sign in to Instant"
                </button>
                <SignOutButton />
            </div>
        }
        .into_any(),
        Panel::ClerkSignOutFailed(error) => view! { <ClerkSignOutFailed error /> }.into_any(),
    }
}

/// Signed out of Instant, but not of Clerk: why, and a way to finish.
#[component]
fn ClerkSignOutFailed(error: ClerkError) -> impl IntoView {
    let link = use_session_link();
    view! {
        <div class="panel error">
            <p class="status">
                <strong>"You are signed out of Instant, but not of Clerk. "</strong>
                {error.to_string()}
            </p>
            <div class="actions">
                <SignOutButton label="Sign out of Clerk" primary=true />
                <button type="button" class="button" on:click=move |_| link.exchange()>
                    "Sign in to Instant"
                </button>
            </div>
        </div>
    }
}

/// "Error signing in to Instant!" with Instant's own words, a Retry and a
/// Sign out of both; for a stored session that has ended, "Signed out of
/// Instant." and "Sign in again" instead.
#[component]
fn ExchangeError(error: InstantError) -> impl IntoView {
    let link = use_session_link();
    let about_email = panel::is_about_missing_email(&error);
    let hint = error.hint();
    // Settings are compiled in: no Retry can fix them, a new build can.
    let about_settings = matches!(error, InstantError::Config { .. });
    // Which setting, also for Instant's "not found" answers (which keep
    // Retry: a client added on Instant's side makes it work).
    // Or, for an Instant on this computer that did not answer, to start it.
    let help = panel::settings_help(&error).or_else(|| panel::local_server_help(&error));
    // An ended session is no failed sign-in: it gets its own words.
    let (heading, retry_label) = if error == InstantError::SessionEnded {
        ("Signed out of Instant. ", "Sign in again")
    } else {
        ("Error signing in to Instant! ", "Retry")
    };
    view! {
        <div class="panel error">
            <p class="status">
                <strong>{heading}</strong>
                {error.message()}
            </p>
            {hint.map(|hint| view! { <p class="hint">{hint}</p> })}
            {help.map(|help| view! { <p class="hint">{help}</p> })}
            {about_email.then(|| view! { <EmailClaimHelp /> })}
            // Sign out too: the messages that say to sign out and in again
            // need a way to, and Retry cannot fix every error.
            <div class="actions">
                {(!about_settings)
                    .then(|| {
                        view! {
                            <button
                                type="button"
                                class="button primary"
                                on:click=move |_| link.retry()
                            >
                                {retry_label}
                            </button>
                        }
                    })}
                <SignOutButton />
            </div>
        </div>
    }
}

/// "Signed in with Instant through Clerk!" and the chained Sign out.
#[component]
fn SignedInToBoth(user: User) -> impl IntoView {
    let lacks_email = panel::lacks_email(&user);
    let who = user.email.clone().unwrap_or_else(|| user.id.clone());
    view! {
        <div class="panel success">
            <p class="status">"Signed in with Instant through Clerk!"</p>
            <p class="muted">"Instant user: "<span class="who">{who}</span></p>
            {lacks_email.then(|| view! { <EmailClaimHelp /> })}
            <div class="actions">
                <a href="/account" class="button">
                    "Account"
                </a>
                <SignOutButton primary=true />
            </div>
        </div>
    }
}
