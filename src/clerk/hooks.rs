//! [`use_clerk_auth`]: Clerk's `useAuth()` for Leptos.

use leptos::prelude::*;

use super::error::{ClerkError, Result};
use super::loader::within;
use super::provider::{ClerkContext, SignInMode};
use super::state::{ClerkState, ClerkUser};

/// Options for [`UseClerkAuthReturn::get_token_with`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GetTokenOptions {
    /// Ask Clerk for a fresh token instead of its cached one.
    pub skip_cache: bool,
}

/// Clerk's auth state and actions, from [`use_clerk_auth`].
///
/// Signals are reactive: read them inside views or effects and those
/// update when someone signs in or out (in this tab or another).
#[derive(Clone, Copy)]
pub struct UseClerkAuthReturn {
    /// The whole state (not loaded / signed out / signed in / failed).
    pub state: Signal<ClerkState>,
    /// Whether Clerk has loaded and knows who is signed in.
    pub is_loaded: Signal<bool>,
    /// Whether someone is signed in (false until Clerk has loaded).
    pub is_signed_in: Signal<bool>,
    /// The signed-in Clerk user's id (`user_…`).
    pub user_id: Signal<Option<String>>,
    /// The signed-in Clerk user's primary email address.
    pub email: Signal<Option<String>>,
    /// The signed-in Clerk user.
    pub user: Signal<Option<ClerkUser>>,
    /// Why Clerk could not be set up, when it could not.
    pub error: Signal<Option<ClerkError>>,
    context: ClerkContext,
}

impl UseClerkAuthReturn {
    /// A session token (JWT) for the signed-in user; `Ok(None)` when nobody
    /// is signed in or Clerk has no token to give yet. Just after a sign-in
    /// that can be a race inside clerk-js: ask again shortly (with
    /// [`skip_cache`](GetTokenOptions::skip_cache)) rather than treating it
    /// as signed out.
    ///
    /// Before Clerk has loaded this is `Err(`[`ClerkError::NotLoaded`]`)`,
    /// where Clerk's React hook would wait: call it once
    /// [`is_loaded`](Self::is_loaded) is true (as signed-in content, which
    /// only renders then, does). If Clerk could not start, it is that
    /// failure ([`error`](Self::error)). While clerk-js moves between
    /// sessions (a sign-out or switch under way), the state may still say
    /// signed in for a moment while this is `Ok(None)`: the state's next
    /// change tells which way it went. A call Clerk has not answered within the
    /// provider's `call_timeout` (15 s by default) is
    /// `Err(`[`ClerkError::CallTimedOut`]`)`; its late answer is dropped.
    pub async fn get_token(&self) -> Result<Option<String>> {
        self.get_token_with(GetTokenOptions::default()).await
    }

    /// [`get_token`](Self::get_token) with options.
    pub async fn get_token_with(&self, options: GetTokenOptions) -> Result<Option<String>> {
        let clerk = self.context.loaded_clerk()?;
        self.limited("getToken", clerk.get_token(options.skip_cache))
            .await
    }

    /// Ends the Clerk session (in every tab of this site). The page stays
    /// where it is: unlike a bare `Clerk.signOut()`, this does not navigate
    /// to Clerk's `afterSignOutUrl`; the state turns signed out and the app
    /// decides what to show. Like [`get_token`](Self::get_token), an error
    /// before Clerk has loaded, and [`ClerkError::CallTimedOut`] after the
    /// provider's `call_timeout`, though clerk-js may still finish the
    /// sign-out (the state then turns signed out).
    pub async fn sign_out(&self) -> Result<()> {
        let clerk = self.context.loaded_clerk()?;
        self.limited("signOut", clerk.sign_out()).await
    }

    /// The call to Clerk's `operation`, or [`ClerkError::CallTimedOut`]
    /// once the provider's `call_timeout` has passed.
    async fn limited<T>(
        &self,
        operation: &'static str,
        call: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        within(self.context.call_timeout, call, |seconds| {
            ClerkError::CallTimedOut { operation, seconds }
        })
        .await
    }

    /// Opens Clerk's sign-in modal (queued until Clerk has loaded). It
    /// returns at once: a failure shows in [`sign_in_error`](Self::sign_in_error).
    pub fn open_sign_in(&self) {
        self.context.start_sign_in(SignInMode::Modal);
    }

    /// Why the last sign-in asked for (this hook's
    /// [`open_sign_in`](Self::open_sign_in) or a
    /// [`SignInButton`](super::SignInButton)) could not open Clerk's
    /// sign-in: Clerk's own error, or why Clerk could not be set up.
    /// `None` again once a sign-in opens or someone signs in.
    pub fn sign_in_error(&self) -> Signal<Option<ClerkError>> {
        self.context.sign_in_error.into()
    }
}

/// Clerk's auth state and actions; must be called below a
/// [`ClerkProvider`](super::ClerkProvider).
///
/// # Panics
///
/// When there is no `ClerkProvider` above the caller: that is a mistake
/// in the component tree, and the message says so. Use
/// [`try_use_clerk_auth`] where a provider is optional.
///
/// ```no_run
/// use leptos::prelude::*;
/// use clerk_instant::clerk::use_clerk_auth;
///
/// #[component]
/// fn Greeting() -> impl IntoView {
///     let auth = use_clerk_auth();
///     move || match auth.email.get() {
///         Some(email) => format!("Signed in as {email}"),
///         None => "Not signed in".to_owned(),
///     }
/// }
/// ```
#[track_caller]
pub fn use_clerk_auth() -> UseClerkAuthReturn {
    // A `match`, not a closure: `#[track_caller]` then names the caller.
    match try_use_clerk_auth() {
        Some(auth) => auth,
        None => {
            panic!("use_clerk_auth() needs a <ClerkProvider> above the component that calls it")
        }
    }
}

/// Like [`use_clerk_auth`], but `None` outside a `ClerkProvider`.
pub fn try_use_clerk_auth() -> Option<UseClerkAuthReturn> {
    let context = use_context::<ClerkContext>()?;
    let state = context.state;
    Some(UseClerkAuthReturn {
        state: state.into(),
        // Memos, so that effects on (say) the user id do not rerun when
        // only an unrelated part of the state changed.
        is_loaded: Memo::new(move |_| state.with(ClerkState::is_loaded)).into(),
        is_signed_in: Memo::new(move |_| state.with(ClerkState::is_signed_in)).into(),
        user_id: Memo::new(move |_| state.with(|s| s.user().map(|user| user.id.clone()))).into(),
        email: Memo::new(move |_| state.with(|s| s.user().and_then(|user| user.email.clone())))
            .into(),
        user: Memo::new(move |_| state.with(|s| s.user().cloned())).into(),
        error: Memo::new(move |_| state.with(|s| s.error().cloned())).into(),
        context,
    })
}
