//! The Instant auth client and its reactive state: the Rust counterpart of
//! `@instantdb/react`'s `init`, `db.auth.signInWithIdToken`,
//! `db.auth.signOut` and `db.useAuth()`, for Leptos apps in the browser.
//!
//! - [`init`] makes a cheap, cloneable [`Instant`] handle and reads the
//!   stored session at once: after a reload the person is signed in without
//!   waiting for a request. [`Auth::check_stored_session`], called once
//!   the page shows it, asks Instant whether that session still stands and
//!   clears one ended elsewhere (as Instant's own client does on connect);
//!   [`Auth::check_session`] asks the same of whatever session shows, for
//!   a page kept open.
//! - [`Auth::sign_in_with_id_token`] exchanges an ID token (e.g. a Clerk
//!   session token) for an Instant session, sending the stored refresh token
//!   so that Instant can keep the same session.
//! - [`Auth::sign_out`] signs out locally at once, when called, and revokes
//!   the session on the server (whether or not its future is awaited).
//! - [`use_auth`] gives `is_loading`, `user` and `error` as signals. Unlike
//!   the JS client, a failed sign-in shows in `error`, with Instant's own
//!   words (`message`, or `error` for token failures, and `hint`).
//! - The session is kept in `localStorage` under `instant.<app_id>.user`;
//!   other tabs follow sign-in and sign-out through `storage` events.
//!
//! The stored session does not say whose ID token made it: this client
//! knows nothing of the identity provider. Where the provider's person can
//! change while a session is stored (signed out of Clerk elsewhere, then
//! someone else signed in), compare the two and exchange again when they
//! differ. An app can keep the provider's user id of the session beside
//! it for that, in a storage key of its own (this crate's app does).
//!
//! This module depends on nothing else in the crate, so it can be lifted out
//! as a crate of its own.
//!
//! # Example
//!
//! ```no_run
//! use clerk_instant::instant::{init, provide_instant, use_auth, use_instant, InstantConfig};
//! use leptos::prelude::*;
//! use leptos::task::spawn_local;
//!
//! #[component]
//! fn App() -> impl IntoView {
//!     provide_instant(init(InstantConfig::new("my-app-id")));
//!     view! { <Status/> }
//! }
//!
//! #[component]
//! fn Status() -> impl IntoView {
//!     let auth = use_auth();
//!     // Here, not in the task: a spawned task does not see the context.
//!     let db = use_instant();
//!     let sign_in = move |_| {
//!         let db = db.clone();
//!         spawn_local(async move {
//!             let id_token = "<a session token from your identity provider>";
//!             // "clerk": the client name registered on the Instant app. On
//!             // failure the error also shows through `auth.error`.
//!             let _ = db.auth().sign_in_with_id_token("clerk", id_token).await;
//!         })
//!     };
//!     move || {
//!         if auth.is_loading.get() {
//!             view! { <p>"Loading…"</p> }.into_any()
//!         } else if let Some(error) = auth.error.get() {
//!             view! { <p role="alert">"Error signing in to Instant! " {error.message()}</p> }
//!                 .into_any()
//!         } else if let Some(user) = auth.user.get() {
//!             view! { <p>"Signed in as " {user.email.unwrap_or(user.id)}</p> }.into_any()
//!         } else {
//!             view! { <button on:click=sign_in.clone()>"Sign in to Instant"</button> }.into_any()
//!         }
//!     }
//! }
//! ```
//!
//! Outside a browser (native tests, server builds) there is no storage and
//! requests fail with [`InstantError::Network`] (or
//! [`InstantError::Config`] for an API URI that cannot work); nothing
//! panics.

#![deny(missing_docs)]

mod api;
mod auth;
mod client;
mod config;
mod error;
mod hooks;
mod json;
mod state;
mod storage;
mod user;

pub use auth::Auth;
pub use client::{init, Instant};
pub use config::{InstantConfig, DEFAULT_API_URI, DEFAULT_REQUEST_TIMEOUT};
pub use error::{InstantError, Result};
pub use hooks::{
    provide_instant, try_use_auth, try_use_instant, use_auth, use_instant, UseAuthReturn,
};
pub use state::AuthState;
pub use user::User;

#[cfg(test)]
mod tests;
