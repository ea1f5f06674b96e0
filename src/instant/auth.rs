//! Sign-in with an ID token, sign-out, and reported errors.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use futures::channel::oneshot;

use leptos::prelude::*;

use super::api::{self, SessionCheck};
use super::client::ClientInner;
use super::state::AuthEvent;
use super::storage;
use super::{InstantConfig, InstantError, Result, User};

/// Sign-in and sign-out for one [`Instant`](super::Instant) handle, like the
/// JS client's `db.auth`. Cheap to clone; every clone acts on the same state.
#[derive(Clone)]
pub struct Auth {
    pub(crate) inner: Arc<ClientInner>,
}

impl Auth {
    /// Exchanges an ID token (e.g. a Clerk session token) for an Instant
    /// session: `POST {api_uri}/runtime/oauth/id_token` with the app id, the
    /// token, the client name registered on the Instant app and the stored
    /// refresh token, if any, so that Instant can keep the same session.
    /// Instant refuses a sign-in whose refresh token names no session
    /// (signed out elsewhere before this page heard of it): then it is sent
    /// once more without it, as a first sign-in (Instant's JS client shows
    /// that refusal instead), each request with its own time limit.
    ///
    /// The state goes [`SigningIn`](super::AuthState::SigningIn), then
    /// [`SignedIn`](super::AuthState::SignedIn) (stored, so reloads and other tabs
    /// are signed in too) or [`Error`](super::AuthState::Error), which
    /// `use_auth().error` shows; the error is returned as well. While the
    /// request is in flight there is no user.
    ///
    /// A sign-in as someone other than the stored session's person ends that
    /// session on the server (Instant keeps a session sent along only for
    /// the same person, and a replaced one would otherwise stay valid with
    /// nobody left to end it; Instant's JS client leaves it).
    ///
    /// A sign-in is for the person whose token it is, so a failed one (an
    /// empty token, Instant's refusal, no connection) ends the session there
    /// was before, in storage and on the server: the error never shows
    /// beside a session that a reload would bring back, and a failed switch
    /// to another account cannot leave the previous person signed in.
    /// (Instant's JS client keeps the old session.) Call it when a new
    /// session is wanted, not on every page load: the stored one is read at
    /// [`init`](super::init). (Whose token made the stored one is the app's
    /// to check: see the [module docs](super).)
    ///
    /// If a sign-out, a later sign-in or another tab intervenes while the
    /// request is in flight, its answer is returned but no longer changes
    /// the state, and a session it made that nobody holds is ended on the
    /// server (compare the returned refresh token with [`user`](Self::user)'s
    /// to tell). Dropping the returned future before it finishes (a
    /// cancelled task, say) sets the state back to what storage holds.
    ///
    /// ```no_run
    /// # fn example(clerk_token: String) {
    /// use clerk_instant::instant::use_instant;
    ///
    /// // In the component: a spawned task does not see its context.
    /// let auth = use_instant().auth();
    /// leptos::task::spawn_local(async move {
    ///     // "clerk": the client name registered on the Instant app.
    ///     match auth.sign_in_with_id_token("clerk", &clerk_token).await {
    ///         Ok(user) => leptos::logging::log!("Instant user {}", user.id),
    ///         // Also in use_auth().error, for the page to show.
    ///         Err(error) => leptos::logging::warn!("{error}"),
    ///     }
    /// });
    /// # }
    /// ```
    pub async fn sign_in_with_id_token(&self, client_name: &str, id_token: &str) -> Result<User> {
        let inner = &self.inner;
        let generation = inner.session.begin();
        let id_token = id_token.trim();
        if id_token.is_empty() {
            let error = InstantError::Token {
                reason: "the ID token is empty".into(),
            };
            self.end_session_with(
                inner.session_a_failure_ends(),
                AuthEvent::SignInFailed(error.clone()),
            );
            return Err(error);
        }
        let stored_before = inner.stored_refresh_token();
        let previous = stored_before
            .clone()
            .or_else(|| inner.session.refresh_token());
        if let Ok(mut from) = inner.sign_in_started_from.lock() {
            from.clone_from(&previous);
        }
        inner.session.apply(AuthEvent::SignInStarted);

        let in_flight = InFlight {
            inner,
            generation,
            finished: false,
        };
        let result = api::sign_in_with_id_token(
            &inner.config,
            client_name.trim(),
            id_token,
            previous.as_deref(),
        )
        .await;
        in_flight.finish();

        // Another tab may have signed in or out meanwhile, its storage event
        // still on the way: what it stored wins, as its event would make it.
        let stored_now = storage::load(&inner.storage_key, &inner.config.app_id);
        let stored_now_token = stored_now.as_ref().map(|user| user.refresh_token.clone());
        if stored_now_token != stored_before && inner.session.is_current(generation) {
            inner.session.begin();
            inner.session.apply(AuthEvent::OtherTabChanged(stored_now));
        }
        if !inner.session.is_current(generation) {
            // Superseded (a sign-out, another tab, a later sign-in). A new
            // session that nobody holds now would stay valid on the server
            // until it expires: end it.
            if let Ok(user) = &result {
                let token = Some(&user.refresh_token);
                let held = previous.as_ref() == token // reused, not new
                    || stored_now_token.as_ref() == token
                    || inner.session.refresh_token().as_ref() == token;
                if !held {
                    revoke_in_background(inner.config.clone(), user.refresh_token.clone());
                }
            }
            return result;
        }
        match &result {
            Ok(user) => {
                // A new token: another person's sign-in replaced the
                // session sent along (see the doc comment).
                if let Some(replaced) = previous.filter(|token| *token != user.refresh_token) {
                    revoke_in_background(inner.config.clone(), replaced);
                }
                storage::save(&inner.storage_key, user);
                // A session found ended before has no tab left to tell.
                storage::clear(&storage::ended_key(&inner.config.app_id));
                inner
                    .session
                    .apply(AuthEvent::SignInSucceeded(user.clone()));
                // Instant answers again: the revokes that could not reach
                // it go out now, not only at the next start, which a page
                // kept open does not reach soon (the sessions they end
                // stay valid on the server until then).
                retry_unrevoked(&inner.config);
            }
            Err(error) => self.end_session_with(previous, AuthEvent::SignInFailed(error.clone())),
        }
        result
    }

    /// Shows a failure (`event`) after ending the session there was
    /// (`previous`), on the server and in storage: see
    /// [`sign_in_with_id_token`](Self::sign_in_with_id_token). Storage that
    /// holds another session by now (another tab's, its event still on the
    /// way) keeps it.
    fn end_session_with(&self, previous: Option<String>, event: AuthEvent) {
        let inner = &self.inner;
        if let Some(previous) = previous {
            if inner.stored_refresh_token().as_ref() == Some(&previous) {
                storage::clear(&inner.storage_key);
            }
            revoke_in_background(inner.config.clone(), previous);
        }
        inner.session.apply(event);
    }

    /// Signs out: at once, when called, locally (storage cleared, state
    /// [`SignedOut`](super::AuthState::SignedOut), other tabs follow); then
    /// `POST {api_uri}/runtime/signout` revokes the refresh token. The revoke
    /// runs whether or not the returned future is awaited (like the JS
    /// client, which does not wait for it); await it to learn the outcome. A
    /// failed revoke is `Err`, but the person stays signed out locally; one
    /// that did not get through (offline, no answer, a server error) is
    /// tried again by the next [`init`](super::init) in this browser, the
    /// next sign-in Instant answers, or the browser coming back online (the
    /// JS client gives up on it).
    /// Signing out without a session makes no request.
    ///
    /// ```no_run
    /// use clerk_instant::instant::use_instant;
    /// use leptos::prelude::*;
    ///
    /// #[component]
    /// fn SignOutOfInstant() -> impl IntoView {
    ///     // In the component, where the context is; the call itself goes
    ///     // in the handler (in the component's body it would sign out as
    ///     // soon as the component mounts).
    ///     let auth = use_instant().auth();
    ///     let sign_out = move |_| {
    ///         // Signed out here from this line on; the revoke is under way.
    ///         let revoke = auth.sign_out();
    ///         leptos::task::spawn_local(async move {
    ///             if let Err(error) = revoke.await {
    ///                 // The server may keep the session until it expires.
    ///                 leptos::logging::warn!("Instant sign-out: {error}");
    ///             }
    ///         });
    ///     };
    ///     view! { <button on:click=sign_out>"Sign out"</button> }
    /// }
    /// ```
    pub fn sign_out(&self) -> impl Future<Output = Result<()>> + 'static {
        let inner = &self.inner;
        inner.session.begin();
        let refresh_token = inner.current_refresh_token();
        storage::clear(&inner.storage_key);
        inner.session.apply(AuthEvent::SignedOut);
        let revoke = refresh_token.map(|refresh_token| {
            let config = inner.config.clone();
            detach(async move { revoke(&config, &refresh_token).await })
        });
        async move {
            match revoke {
                // A revoke that never finished (the page is closing) is
                // nothing the caller can act on.
                Some(revoke) => revoke.await.unwrap_or(Ok(())),
                None => Ok(()),
            }
        }
    }

    /// Asks Instant whether the session [`init`](super::init) read from
    /// storage still stands (`POST {api_uri}/runtime/auth/verify_refresh_token`,
    /// never an exchange), as Instant's own client does when it connects.
    /// Call it once the page shows the stored session: it lets the browser
    /// run once (a 0 ms timer) before it sends the request, so whatever the
    /// caller changed renders first.
    ///
    /// If Instant no longer knows the session (signed out on another device,
    /// user deleted), it is cleared from storage and the state becomes
    /// [`Error`](super::AuthState::Error) with [`InstantError::SessionEnded`], so
    /// the page can say why the person is no longer signed in; other tabs
    /// that showed it follow with the same error (the refresh token of the
    /// ended session is kept under `instant.<app_id>.ended` for them until
    /// the next sign-in). A check that fails (offline, a server error)
    /// keeps the session, returns the error and leaves the session to a
    /// later call to check. Makes no request, and returns `Ok`, when there
    /// was no stored session, it has been checked, or it has been replaced
    /// or signed out since.
    ///
    /// ```no_run
    /// use clerk_instant::instant::use_instant;
    ///
    /// // In a component, where the context is.
    /// let auth = use_instant().auth();
    /// leptos::task::spawn_local(async move {
    ///     if let Err(error) = auth.check_stored_session().await {
    ///         leptos::logging::warn!("could not check the stored Instant session: {error}");
    ///     }
    /// });
    /// ```
    pub async fn check_stored_session(&self) -> Result<()> {
        let inner = &self.inner;
        let Some(refresh_token) = inner
            .unchecked_stored_token
            .lock()
            .ok()
            .and_then(|mut token| token.take())
        else {
            return Ok(());
        };
        let checked = self.check(&refresh_token).await;
        // Not checked after all: a later call (once back online, say) asks
        // again.
        if checked.is_err() && inner.session.holds(&refresh_token) {
            if let Ok(mut unchecked) = inner.unchecked_stored_token.lock() {
                unchecked.get_or_insert(refresh_token);
            }
        }
        checked
    }

    /// Asks Instant whether the session this handle shows still stands,
    /// whether it came from storage or a sign-in here, and checked or not:
    /// for a page kept open, whose session may have been signed out on
    /// another device (or its user deleted) since. An ended one goes as
    /// with [`check_stored_session`](Self::check_stored_session); a check
    /// that fails keeps the session and returns the error. Makes no
    /// request, and returns `Ok`, when no session shows.
    pub async fn check_session(&self) -> Result<()> {
        let inner = &self.inner;
        let Some(refresh_token) = inner.session.refresh_token() else {
            return Ok(());
        };
        self.check(&refresh_token).await?;
        // Checked: the stored session's own check, if still to come (it
        // could not get through before), has nothing left to ask.
        if let Ok(mut unchecked) = inner.unchecked_stored_token.lock() {
            if unchecked.as_deref() == Some(refresh_token.as_str()) {
                *unchecked = None;
            }
        }
        Ok(())
    }

    /// The check of [`check_session`](Self::check_session) and
    /// [`check_stored_session`](Self::check_stored_session), for the session
    /// with `refresh_token`.
    async fn check(&self, refresh_token: &str) -> Result<()> {
        let inner = &self.inner;
        let is_still_current = |generation: u64| {
            inner.session.is_current(generation) && inner.session.holds(refresh_token)
        };
        let generation = inner.session.generation();
        if !is_still_current(generation) {
            return Ok(());
        }
        #[cfg(target_arch = "wasm32")]
        gloo_timers::future::TimeoutFuture::new(0).await;
        let check = api::check_session(&inner.config, refresh_token).await?;
        if check == SessionCheck::Ended && is_still_current(generation) {
            // Another tab's new session may have landed in storage before
            // its event reached this one: leave that alone.
            if inner.stored_refresh_token().as_deref() == Some(refresh_token) {
                // Named first: other tabs showing it read the name when
                // the removal reaches them.
                storage::mark_ended(&storage::ended_key(&inner.config.app_id), refresh_token);
                storage::clear(&inner.storage_key);
            }
            inner.session.apply(AuthEvent::SessionEnded);
        }
        Ok(())
    }

    /// Shows `error` through `use_auth().error`, e.g. when the app could not
    /// get an ID token to sign in with: a failed sign-in, so, as for
    /// [`sign_in_with_id_token`](Self::sign_in_with_id_token), the session
    /// this handle holds (or, while a sign-in is in flight, the one that
    /// sign-in started from) is ended (its revoke is the only request), and
    /// that sign-in no longer changes the state.
    ///
    /// ```no_run
    /// # async fn clerk_token() -> Option<String> { None }
    /// use clerk_instant::instant::{use_instant, InstantError};
    ///
    /// // In a component, where the context is.
    /// let auth = use_instant().auth();
    /// leptos::task::spawn_local(async move {
    ///     match clerk_token().await {
    ///         // "clerk": the client name registered on the Instant app.
    ///         Some(token) => drop(auth.sign_in_with_id_token("clerk", &token).await),
    ///         // No token, so no sign-in: say why, as a failed one would.
    ///         None => auth.report_error(InstantError::Token {
    ///             reason: "Clerk returned no session token".into(),
    ///         }),
    ///     }
    /// });
    /// ```
    pub fn report_error(&self, error: InstantError) {
        let inner = &self.inner;
        // A sign-in still in flight no longer changes the state.
        inner.session.begin();
        self.end_session_with(
            inner.session_a_failure_ends(),
            AuthEvent::ErrorReported(error),
        );
    }

    /// Clears a shown error back to [`SignedOut`](super::AuthState::SignedOut), e.g.
    /// for a Retry button. Does nothing when no error is shown.
    pub fn clear_error(&self) {
        self.inner.session.apply(AuthEvent::ErrorCleared);
    }

    /// The session stored for this app now, read from localStorage rather
    /// than from this page's state: another tab's sign-in is there before
    /// its `storage` event reaches this page (and [`user`](Self::user)).
    /// `None` outside a browser, and for a stored session this client
    /// cannot read.
    pub fn stored_user(&self) -> Option<User> {
        storage::peek(&self.inner.storage_key, &self.inner.config.app_id)
    }

    /// Takes the session stored for this app into this page's state at
    /// once, as the `storage` event of another tab's sign-in does a moment
    /// later: for a caller that learnt of that sign-in first (from a lock
    /// the other tab held, say) and must not act on a state that has not
    /// caught up. Nothing changes when storage holds no session this client
    /// can read, or the one this page holds already.
    pub fn take_stored_session(&self) {
        let Some(stored) = self.stored_user() else {
            return;
        };
        let session = &self.inner.session;
        if session.holds(&stored.refresh_token) {
            return;
        }
        // Whatever this page had in flight is now out of date.
        session.begin();
        session.apply(AuthEvent::OtherTabChanged(Some(stored)));
    }

    /// The current user, without tracking (for event handlers and effects
    /// that should not re-run on auth changes).
    pub fn user(&self) -> Option<User> {
        self.inner
            .session
            .state
            .with_untracked(|state| state.user().cloned())
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

/// A sign-in's request in flight. Dropped before [`finish`](Self::finish)
/// (its future was dropped), it sets the state back to what storage holds,
/// unless something else has changed it since: nothing else would end the
/// sign-in's "loading".
struct InFlight<'a> {
    inner: &'a ClientInner,
    generation: u64,
    finished: bool,
}

impl InFlight<'_> {
    fn finish(mut self) {
        self.finished = true;
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let inner = self.inner;
        if !self.finished && inner.session.is_current(self.generation) {
            let stored = storage::load(&inner.storage_key, &inner.config.app_id);
            inner.session.apply(AuthEvent::SignInDropped(stored));
        }
    }
}

/// Ends a session nobody holds any more; failures are only logged, since
/// nobody is waiting for them.
pub(crate) fn revoke_in_background(config: InstantConfig, refresh_token: String) {
    drop(detach(async move {
        if let Err(error) = revoke(&config, &refresh_token).await {
            leptos::logging::warn!("instant: could not end an abandoned session: {error}");
        }
    }));
}

/// Revokes `refresh_token` on the server. One that did not get through
/// (offline, no answer, a server error or "too many requests") is kept in
/// storage, and the next [`init`](super::init), the next sign-in that
/// Instant answers, or the browser coming back online tries again: a sign-out
/// made then would otherwise leave the session valid on the server until
/// it expires. Success or any other answer settles it.
async fn revoke(config: &InstantConfig, refresh_token: &str) -> Result<()> {
    let result = api::sign_out(config, refresh_token).await;
    let key = storage::unrevoked_key(&config.app_id);
    if revoke_again(&result) {
        storage::remember_unrevoked(&key, refresh_token);
    } else {
        storage::forget_unrevoked(&key, refresh_token);
    }
    result
}

/// Whether a revoke with this outcome did not get through, and is to be
/// tried again.
fn revoke_again(result: &Result<()>) -> bool {
    match result {
        Err(InstantError::Network { .. } | InstantError::TimedOut { .. }) => true,
        Err(InstantError::Api { status, .. }) => matches!(status, 408 | 429 | 500..),
        _ => false,
    }
}

/// Sends again the revokes that could not reach Instant before (see
/// [`revoke`]), a second after the page starts (or a sign-in got through,
/// or the browser came back online):
/// after it has shown what it has, so that they never hold up a stored
/// session's first render.
pub(crate) fn retry_unrevoked(config: &InstantConfig) {
    let pending = storage::unrevoked(&storage::unrevoked_key(&config.app_id));
    if pending.is_empty() {
        return;
    }
    let config = config.clone();
    drop(detach(async move {
        // A second, after the page's own first requests: the revokes are no
        // hurry.
        #[cfg(target_arch = "wasm32")]
        gloo_timers::future::TimeoutFuture::new(1_000).await;
        for refresh_token in pending {
            revoke_in_background(config.clone(), refresh_token);
        }
    }));
}

/// Runs `request` to the end whether or not anyone waits for its outcome,
/// which the returned receiver gives.
fn detach<T: 'static>(request: impl Future<Output = T> + 'static) -> oneshot::Receiver<T> {
    let (sender, receiver) = oneshot::channel();
    let task = async move {
        // Nobody listening is fine: the request has done its work.
        let _ = sender.send(request.await);
    };
    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_futures::spawn_local(task);
    // Natively requests fail at once, without I/O (see `api::send`).
    #[cfg(not(target_arch = "wasm32"))]
    futures::executor::block_on(task);
    receiver
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revoke_is_tried_again_only_when_it_did_not_get_through() {
        let api = |status| {
            Err(InstantError::Api {
                status,
                kind: None,
                message: String::new(),
                hint: None,
            })
        };
        let network = Err(InstantError::Network {
            uri: "http://127.0.0.1:9".into(),
            reason: "TypeError: Failed to fetch".into(),
        });
        let timed_out = Err(InstantError::TimedOut {
            uri: "http://127.0.0.1:8788".into(),
            seconds: 30,
        });
        for again in [network, timed_out, api(500), api(503), api(429), api(408)] {
            assert!(revoke_again(&again), "{again:?}");
        }
        let config = Err(InstantError::Config {
            reason: "no scheme".into(),
        });
        for settled in [Ok(()), api(400), api(404), config] {
            assert!(!revoke_again(&settled), "{settled:?}");
        }
    }
}
