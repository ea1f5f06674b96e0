//! [`use_clerk_auth`]: Clerk's `useAuth()` for Leptos.

use leptos::prelude::*;

use super::error::{ClerkError, Result};
use super::provider::{ClerkContext, SignInMode};
use super::state::{ClerkState, ClerkUser};
use super::time_limit::within;

/// How long [`UseClerkAuthReturn::get_token_retrying`] waits before it
/// asks Clerk again for a token Clerk did not have.
pub const TOKEN_RETRY_DELAY: std::time::Duration = std::time::Duration::from_millis(300);

/// Asks `get_token` with `options`; when it answers `Ok(None)`, waits
/// (`wait`) and asks once more, skipping the cache. Apart from the browser
/// (the calls and the timer are given), so that it is tested natively.
async fn retry_missing_token<G, GetFut, W, WaitFut>(
    options: GetTokenOptions,
    mut get_token: G,
    wait: W,
) -> Result<Option<String>>
where
    G: FnMut(GetTokenOptions) -> GetFut,
    GetFut: std::future::Future<Output = Result<Option<String>>>,
    W: FnOnce() -> WaitFut,
    WaitFut: std::future::Future<Output = ()>,
{
    if let Some(token) = get_token(options).await? {
        return Ok(Some(token));
    }
    wait().await;
    get_token(GetTokenOptions { skip_cache: true }).await
}

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
    /// The whole state (not known yet / signed out / signed in / failed).
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
    /// is signed in (a session with a task left, `status: "pending"`,
    /// counts as nobody, as in the state) or Clerk has no token to give
    /// yet. Just after a sign-in that can be a race inside clerk-js: ask
    /// again shortly (with [`skip_cache`](GetTokenOptions::skip_cache))
    /// rather than treating it as signed out, as
    /// [`get_token_retrying`](Self::get_token_retrying) does.
    ///
    /// Before Clerk has loaded this is `Err(`[`ClerkError::NotLoaded`]`)`,
    /// where Clerk's React hook would wait: call it once
    /// [`is_loaded`](Self::is_loaded) is true (as signed-in content, which
    /// only renders then, does). If Clerk could not start, it is that
    /// failure ([`error`](Self::error)). While clerk-js moves between
    /// sessions (a sign-out or switch under way), the state may still say
    /// signed in for a moment while this is `Ok(None)`: the state's next
    /// change tells which way it went.
    ///
    /// A call Clerk has not answered within the provider's `call_timeout`
    /// ([`DEFAULT_CALL_TIMEOUT`](super::DEFAULT_CALL_TIMEOUT), 15 s, unless
    /// set) is `Err(`[`ClerkError::CallTimedOut`]`)`; its late answer is
    /// dropped.
    pub async fn get_token(&self) -> Result<Option<String>> {
        self.get_token_with(GetTokenOptions::default()).await
    }

    /// [`get_token`](Self::get_token) with options.
    pub async fn get_token_with(&self, options: GetTokenOptions) -> Result<Option<String>> {
        let clerk = self.context.loaded_clerk()?;
        self.limited("getToken", clerk.get_token(options.skip_cache))
            .await
    }

    /// A session token to hand to another service (an Instant sign-in,
    /// say): [`get_token_with`](Self::get_token_with), and when Clerk has
    /// none, once more after [`TOKEN_RETRY_DELAY`], skipping Clerk's cache
    /// (the race just after a sign-in). `Ok(None)` when Clerk still has
    /// none then; an error is not asked again.
    ///
    /// ```no_run
    /// use clerk_instant::clerk::{use_clerk_auth, GetTokenOptions};
    ///
    /// // In a component, where the context is.
    /// let auth = use_clerk_auth();
    /// leptos::task::spawn_local(async move {
    ///     match auth.get_token_retrying(GetTokenOptions::default()).await {
    ///         Ok(Some(token)) => { /* sign in with it */ }
    ///         Ok(None) => leptos::logging::warn!("Clerk has no session token"),
    ///         Err(error) => leptos::logging::warn!("{error}"),
    ///     }
    /// });
    /// ```
    pub async fn get_token_retrying(&self, options: GetTokenOptions) -> Result<Option<String>> {
        retry_missing_token(
            options,
            |options| self.get_token_with(options),
            || gloo_timers::future::TimeoutFuture::new(TOKEN_RETRY_DELAY.as_millis() as u32),
        )
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

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use futures::executor::block_on;

    use super::*;

    /// Runs `retry_missing_token` with `options` against scripted Clerk
    /// answers: its result, the `skip_cache` of each ask, and whether it
    /// waited.
    fn run(
        options: GetTokenOptions,
        answers: Vec<Result<Option<String>>>,
    ) -> (Result<Option<String>>, Vec<bool>, bool) {
        let answers = RefCell::new(answers.into_iter());
        let asked = RefCell::new(Vec::new());
        let waited = RefCell::new(false);
        let result = block_on(retry_missing_token(
            options,
            |options: GetTokenOptions| {
                asked.borrow_mut().push(options.skip_cache);
                let answer = answers.borrow_mut().next().expect("asked too often");
                async move { answer }
            },
            || {
                *waited.borrow_mut() = true;
                async {}
            },
        ));
        (result, asked.into_inner(), waited.into_inner())
    }

    const CACHED: GetTokenOptions = GetTokenOptions { skip_cache: false };

    #[test]
    fn a_token_at_once_is_used_without_retry() {
        let (result, asked, waited) = run(CACHED, vec![Ok(Some("jwt".into()))]);
        assert_eq!(result, Ok(Some("jwt".into())));
        assert_eq!(asked, [false]);
        assert!(!waited);
    }

    #[test]
    fn a_missing_token_is_asked_for_once_more_skipping_the_cache() {
        let (result, asked, waited) = run(CACHED, vec![Ok(None), Ok(Some("fresh".into()))]);
        assert_eq!(result, Ok(Some("fresh".into())));
        assert_eq!(asked, [false, true]);
        assert!(waited);
        // Still none: said so, with no third ask.
        let (result, asked, _) = run(CACHED, vec![Ok(None), Ok(None)]);
        assert_eq!(result, Ok(None));
        assert_eq!(asked.len(), 2);
    }

    #[test]
    fn a_fresh_token_skips_the_cache_from_the_first_ask() {
        let fresh = GetTokenOptions { skip_cache: true };
        let (result, asked, waited) = run(fresh, vec![Ok(Some("fresh".into()))]);
        assert_eq!(result, Ok(Some("fresh".into())));
        assert_eq!(asked, [true]);
        assert!(!waited);
    }

    #[test]
    fn a_failed_call_is_not_asked_again() {
        let error = ClerkError::Call {
            operation: "getToken",
            message: "Network down".into(),
        };
        let (result, asked, waited) = run(CACHED, vec![Err(error.clone())]);
        assert_eq!(result, Err(error));
        assert_eq!(asked, [false]);
        assert!(!waited);
    }
}
