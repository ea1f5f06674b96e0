//! Everything that touches `window.Clerk`: publishable keys, the script
//! loader, bindings, and Leptos components and hooks — the Leptos
//! counterparts of `@clerk/nextjs`'s `ClerkProvider`, `SignedIn`,
//! `SignedOut`, `Show`, `SignInButton` and `useAuth()`.
//!
//! This module knows nothing of Instant or of the app; it could be its own
//! crate.
//!
//! The components and [`use_clerk_auth`] panic when placed outside a
//! [`ClerkProvider`] (a mistake in the component tree; the message says
//! so); [`try_use_clerk_auth`] does not.
//!
//! Differences from Clerk's React SDK, by choice: [`SignInButton`] opens
//! the modal by default (`mode=SignInMode::Redirect` for Clerk's page),
//! so a sign-in keeps the page and its state; when clerk-js navigates to
//! another page of the site, that page loads in full (the provider takes
//! no router; a navigation to the page already shown is skipped); and a
//! Clerk that could not load within [`DEFAULT_LOAD_TIMEOUT`] stays
//! [`ClerkState::Failed`] (no retry of its own): mounting the provider
//! again, or reloading the page, tries again.
//!
//! ```no_run
//! use leptos::prelude::*;
//! use clerk_instant::clerk::{use_clerk_auth, ClerkProvider, SignInButton, SignedIn, SignedOut};
//!
//! #[component]
//! fn Account() -> impl IntoView {
//!     let auth = use_clerk_auth();
//!     view! {
//!         <p>{move || auth.email.get()}</p>
//!         <button on:click=move |_| {
//!             leptos::task::spawn_local(async move {
//!                 let _ = auth.sign_out().await;
//!             })
//!         }>"Sign out"</button>
//!     }
//! }
//!
//! #[component]
//! fn App() -> impl IntoView {
//!     view! {
//!         <ClerkProvider publishable_key="pk_test_Y2xlcmsuZXhhbXBsZS5jb20k">
//!             <SignedOut><SignInButton /></SignedOut>
//!             <SignedIn><Account /></SignedIn>
//!         </ClerkProvider>
//!     }
//! }
//! ```

#![deny(missing_docs)]

mod bridge;
mod components;
mod error;
mod hooks;
mod key;
mod loader;
mod provider;
mod state;
mod time_limit;

pub use components::{
    ClerkFailed, ClerkLoaded, ClerkLoading, Show, ShowWhen, SignInButton, SignedIn, SignedOut,
};
pub use error::{ClerkError, Result};
pub use hooks::{
    try_use_clerk_auth, use_clerk_auth, GetTokenOptions, UseClerkAuthReturn, TOKEN_RETRY_DELAY,
};
pub use key::{is_loopback_host, InstanceKind, PublishableKey};
pub use loader::{CLERK_SCRIPT_PATH, DEFAULT_LOAD_TIMEOUT, UI_SCRIPT_PATH};
pub use provider::{ClerkProvider, SignInMode};
pub use state::{ClerkSession, ClerkState, ClerkUser};
pub use time_limit::DEFAULT_CALL_TIMEOUT;
