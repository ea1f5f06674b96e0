//! [`ClerkProvider`]: loads Clerk and shares its state with the components
//! and hooks below it.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use send_wrapper::SendWrapper;

use super::bridge::{Clerk, ListenerGuard};
use super::error::{ClerkError, Result};
use super::key::PublishableKey;
use super::loader::{load_clerk, DEFAULT_LOAD_TIMEOUT};
use super::state::ClerkState;
use super::time_limit::DEFAULT_CALL_TIMEOUT;

/// How long a clerk-js transition may keep the last state (see
/// [`ClerkState::next`]): one that never settles, because the navigation or
/// callback in it failed, then shows as not known.
const TRANSITION_LIMIT_MS: u32 = 10_000;

/// How a sign-in button sends the person to sign in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SignInMode {
    /// Clerk's sign-in modal over the current page (`Clerk.openSignIn()`).
    #[default]
    Modal,
    /// Clerk's sign-in page, coming back here afterwards
    /// (`Clerk.redirectToSignIn()`).
    Redirect,
}

/// What [`ClerkProvider`] shares with the components and hooks below it.
#[derive(Clone, Copy)]
pub(crate) struct ClerkContext {
    /// Clerk's state, kept up to date by a Clerk listener.
    pub(crate) state: RwSignal<ClerkState>,
    /// A sign-in asked for before Clerk loaded, done once it has.
    pub(crate) queued_sign_in: RwSignal<Option<SignInMode>>,
    /// Why the last sign-in asked for could not open Clerk's sign-in.
    pub(crate) sign_in_error: RwSignal<Option<ClerkError>>,
    /// How long `getToken` and `signOut` may take.
    pub(crate) call_timeout: Duration,
    /// Counts settled reports from clerk-js, so that a transition's time
    /// limit only ends that transition, not a later one.
    settled_reports: StoredValue<u32>,
}

impl ClerkContext {
    /// The loaded `window.Clerk`; else why Clerk could not be set up, or
    /// [`ClerkError::NotLoaded`] while it loads.
    pub(crate) fn loaded_clerk(&self) -> Result<Clerk> {
        // `try_`: a task may call this after its provider was unmounted.
        match self
            .state
            .try_with_untracked(|state| (state.is_loaded(), state.error().cloned()))
        {
            Some((true, _)) => {}
            Some((false, Some(failure))) => return Err(failure),
            _ => return Err(ClerkError::NotLoaded),
        }
        Clerk::from_window().ok_or(ClerkError::NotLoaded)
    }

    /// Opens sign-in now when Clerk is loaded, or queues it until it is
    /// (see [`run_queued_sign_in`](Self::run_queued_sign_in)). Clerk that
    /// failed to set up never will be: that failure is the answer.
    pub(crate) fn start_sign_in(&self, mode: SignInMode) {
        if let Some(Some(failure)) = self.state.try_with_untracked(|s| s.error().cloned()) {
            self.sign_in_error.try_set(Some(failure));
            return;
        }
        match self.loaded_clerk() {
            Ok(clerk) => self.open_sign_in(&clerk, mode),
            Err(_) => {
                self.queued_sign_in.try_set(Some(mode));
            }
        }
    }

    fn open_sign_in(&self, clerk: &Clerk, mode: SignInMode) {
        let context = *self;
        match mode {
            SignInMode::Modal => {
                context.sign_in_error.try_set(clerk.open_sign_in().err());
            }
            SignInMode::Redirect => {
                let clerk = clerk.clone();
                spawn_local(async move {
                    let redirected = clerk.redirect_to_sign_in().await;
                    context.sign_in_error.try_set(redirected.err());
                });
            }
        }
    }

    /// Carries out a sign-in queued while Clerk was not known to be signed
    /// in or out: at load, or after a transition that ran past its limit.
    /// Someone signed in by then needs no sign-in.
    fn run_queued_sign_in(&self, settled_signed_out: bool) {
        let Some(Some(mode)) = self.queued_sign_in.try_get_untracked() else {
            return;
        };
        self.queued_sign_in.set(None);
        if let (true, Some(clerk)) = (settled_signed_out, Clerk::from_window()) {
            self.open_sign_in(&clerk, mode);
        }
    }

    /// After [`TRANSITION_LIMIT_MS`], a transition clerk-js still reports
    /// (no settled report since `settled_reports` was `started_after`)
    /// shows as not known instead of the state kept from before it.
    async fn end_a_stuck_transition(self, started_after: u32) {
        gloo_timers::future::TimeoutFuture::new(TRANSITION_LIMIT_MS).await;
        if self.settled_reports.try_get_value() != Some(started_after) {
            return;
        }
        let still = Clerk::from_window().is_some_and(|clerk| clerk.state() == ClerkState::Unknown);
        if still {
            self.state.try_update(|state| {
                if state.is_loaded() {
                    *state = ClerkState::Unknown;
                }
            });
        }
    }

    /// Called once Clerk has loaded: follows its state and runs a queued
    /// sign-in.
    fn attach(&self, clerk: &Clerk) -> Result<ListenerGuard> {
        let context = *self;
        let follow = move |reported: ClerkState| {
            let in_transition = reported == ClerkState::Unknown;
            let signed_out = reported.is_signed_out();
            if !in_transition {
                context
                    .settled_reports
                    .try_update_value(|count| *count = count.wrapping_add(1));
                if reported.is_signed_in() {
                    // Whatever kept sign-in from opening no longer matters.
                    context.sign_in_error.try_set(None);
                }
            }
            // Only a change reaches the page: a transition keeps the state.
            let kept = context.state.try_maybe_update(|state| {
                let next = state.next(reported);
                let changed = next != *state;
                let kept = in_transition && next.is_loaded();
                *state = next;
                (changed, kept)
            });
            if kept == Some(true) {
                if let Some(started_after) = context.settled_reports.try_get_value() {
                    spawn_local(context.end_a_stuck_transition(started_after));
                }
            }
            if !in_transition {
                context.run_queued_sign_in(signed_out);
            }
        };
        let guard = clerk.add_listener(follow)?;
        // The listener fires at once for a loaded Clerk, but not every
        // clerk-js build promises that: read the state directly too.
        follow(clerk.state());
        Ok(guard)
    }
}

/// Loads Clerk (the port of `<ClerkProvider>` from Clerk's React SDKs) and
/// makes its state available to [`SignedIn`](super::SignedIn),
/// [`SignedOut`](super::SignedOut), [`SignInButton`](super::SignInButton)
/// and [`use_clerk_auth`](super::use_clerk_auth) below it.
///
/// The children render at once; Clerk-dependent parts of them wait for
/// Clerk by themselves. A missing or malformed key, or clerk-js failing to
/// load within `load_timeout` (15 s by default), puts Clerk in
/// [`ClerkState::Failed`]; show it with [`ClerkFailed`](super::ClerkFailed).
///
/// Use one provider per page: clerk-js is one `window.Clerk`, loaded once,
/// so a second provider shares the first one's load (its key and
/// `load_timeout` too), whatever its own props say.
///
/// ```no_run
/// use leptos::prelude::*;
/// use clerk_instant::clerk::{ClerkProvider, SignInButton, SignedIn, SignedOut};
///
/// #[component]
/// fn App() -> impl IntoView {
///     view! {
///         <ClerkProvider publishable_key="pk_test_Y2xlcmsuZXhhbXBsZS5jb20k">
///             <SignedOut><SignInButton /></SignedOut>
///             <SignedIn><p>"Welcome back!"</p></SignedIn>
///         </ClerkProvider>
///     }
/// }
/// ```
#[component]
pub fn ClerkProvider(
    /// The Clerk publishable key (`pk_test_…` or `pk_live_…`).
    #[prop(into)]
    publishable_key: String,
    /// How long loading clerk-js may take before it counts as failed.
    #[prop(optional)]
    load_timeout: Option<Duration>,
    /// How long a token or a sign-out may take before the call counts as
    /// failed ([`ClerkError::CallTimedOut`]; 15 s by default).
    #[prop(optional)]
    call_timeout: Option<Duration>,
    /// The app.
    children: Children,
) -> impl IntoView {
    let context = ClerkContext {
        state: RwSignal::new(ClerkState::Unknown),
        queued_sign_in: RwSignal::new(None),
        sign_in_error: RwSignal::new(None),
        call_timeout: call_timeout.unwrap_or(DEFAULT_CALL_TIMEOUT),
        settled_reports: StoredValue::new(0),
    };
    provide_context(context);

    // The listener lives as long as this provider; `on_cleanup` needs
    // `Send`, and this only ever runs on the browser's one thread.
    let listener: SendWrapper<Rc<RefCell<ListenerSlot>>> = SendWrapper::new(Rc::default());
    let slot = SendWrapper::new(Rc::clone(&listener));
    on_cleanup(move || {
        let mut slot = slot.borrow_mut();
        slot.disposed = true;
        slot.guard = None;
    });

    match PublishableKey::parse(&publishable_key) {
        Err(error) => context.state.set(ClerkState::Failed(error)),
        Ok(key) => {
            let timeout = load_timeout.unwrap_or(DEFAULT_LOAD_TIMEOUT);
            spawn_local(async move {
                let loaded = load_clerk(&key, timeout).await;
                let mut slot = listener.borrow_mut();
                if slot.disposed {
                    return;
                }
                // Without its listener the page would never hear of a
                // sign-in: Clerk has not started, as if its load had failed.
                let attached = loaded.and_then(|clerk| {
                    context
                        .attach(&clerk)
                        .map_err(|error| ClerkError::LoadFailed {
                            message: error.to_string(),
                        })
                });
                match attached {
                    Ok(guard) => slot.guard = Some(guard),
                    Err(error) => {
                        // A click that waited for Clerk learns why it never came.
                        if let Some(Some(_)) = context.queued_sign_in.try_get_untracked() {
                            context.queued_sign_in.try_set(None);
                            context.sign_in_error.try_set(Some(error.clone()));
                        }
                        context.state.try_set(ClerkState::Failed(error));
                    }
                }
            });
        }
    }

    children()
}

#[derive(Default)]
struct ListenerSlot {
    disposed: bool,
    guard: Option<ListenerGuard>,
}
