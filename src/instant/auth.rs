//! Sign-in with an ID token, sign-out, and reported errors.

use std::fmt;
use std::sync::Arc;

use leptos::prelude::*;

use super::api;
use super::client::ClientInner;
use super::state::AuthEvent;
use super::storage;
use super::{AuthState, InstantConfig, InstantError, Result, User};

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
    ///
    /// The state goes [`SigningIn`](AuthState::SigningIn), then
    /// [`SignedIn`](AuthState::SignedIn) (stored, so reloads and other tabs
    /// are signed in too) or [`Error`](AuthState::Error), which
    /// `use_auth().error` shows; the error is returned as well. A failed
    /// exchange leaves no session behind. If a sign-out (or another tab)
    /// intervenes while the request is in flight, its answer is returned but
    /// no longer changes the state.
    ///
    /// ```no_run
    /// # async fn example(clerk_token: String) {
    /// use clerk_instant::instant::{use_instant};
    ///
    /// let auth = use_instant().auth();
    /// match auth.sign_in_with_id_token("clerk", &clerk_token).await {
    ///     Ok(user) => leptos::logging::log!("Instant user {}", user.id),
    ///     // Also in use_auth().error, for the page to show.
    ///     Err(error) => leptos::logging::warn!("{error}"),
    /// }
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
            inner.session.apply(AuthEvent::SignInFailed(error.clone()));
            return Err(error);
        }
        let previous = inner.current_refresh_token();
        inner.session.apply(AuthEvent::SignInStarted);

        let result = api::sign_in_with_id_token(
            &inner.config,
            client_name.trim(),
            id_token,
            previous.as_deref(),
        )
        .await;

        if !inner.session.is_current(generation) {
            // Superseded. If that was a sign-out, nobody holds this new
            // session: end it rather than leave it valid on the server.
            if let Ok(user) = &result {
                let reused = previous.as_deref() == Some(user.refresh_token.as_str());
                if inner.session.current() == AuthState::SignedOut && !reused {
                    revoke_in_background(inner.config.clone(), user.refresh_token.clone());
                }
            }
            return result;
        }
        match &result {
            Ok(user) => {
                storage::save(&inner.storage_key, user);
                inner
                    .session
                    .apply(AuthEvent::SignInSucceeded(user.clone()));
            }
            Err(error) => {
                if let Some(previous) = previous {
                    storage::clear(&inner.storage_key);
                    revoke_in_background(inner.config.clone(), previous);
                }
                inner.session.apply(AuthEvent::SignInFailed(error.clone()));
            }
        }
        result
    }

    /// Signs out: first locally (storage cleared, state
    /// [`SignedOut`](AuthState::SignedOut), other tabs follow), then
    /// `POST {api_uri}/runtime/signout` revokes the refresh token. A failed
    /// revoke is returned as `Err`, but the person stays signed out locally.
    /// Signing out without a session makes no request.
    ///
    /// ```no_run
    /// # async fn example() {
    /// use clerk_instant::instant::use_instant;
    ///
    /// if let Err(error) = use_instant().auth().sign_out().await {
    ///     // Signed out here anyway; the server may keep the session until it expires.
    ///     leptos::logging::warn!("Instant sign-out: {error}");
    /// }
    /// # }
    /// ```
    pub async fn sign_out(&self) -> Result<()> {
        let inner = &self.inner;
        inner.session.begin();
        let refresh_token = inner.current_refresh_token();
        storage::clear(&inner.storage_key);
        inner.session.apply(AuthEvent::SignedOut);
        match refresh_token {
            Some(refresh_token) => api::sign_out(&inner.config, &refresh_token).await,
            None => Ok(()),
        }
    }

    /// Shows `error` through `use_auth().error` without a request, e.g. when
    /// the app could not get an ID token to sign in with.
    ///
    /// ```no_run
    /// use clerk_instant::instant::{use_instant, InstantError};
    ///
    /// use_instant().auth().report_error(InstantError::Token {
    ///     reason: "Clerk returned no session token".into(),
    /// });
    /// ```
    pub fn report_error(&self, error: InstantError) {
        self.inner.session.apply(AuthEvent::ErrorReported(error));
    }

    /// Clears a shown error back to [`SignedOut`](AuthState::SignedOut), e.g.
    /// for a Retry button. Does nothing when no error is shown.
    pub fn clear_error(&self) {
        self.inner.session.apply(AuthEvent::ErrorCleared);
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

/// Ends a session nobody holds any more; failures are only logged, since
/// nobody is waiting for them.
fn revoke_in_background(config: InstantConfig, refresh_token: String) {
    let revoke = async move {
        if let Err(error) = api::sign_out(&config, &refresh_token).await {
            leptos::logging::warn!("instant: could not end an abandoned session: {error}");
        }
    };
    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_futures::spawn_local(revoke);
    // Natively there is no session on a server to end (requests cannot be made).
    #[cfg(not(target_arch = "wasm32"))]
    drop(revoke);
}
