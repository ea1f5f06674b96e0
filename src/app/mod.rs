//! The example's component tree: the Leptos port of the Next.js page in
//! Instant's Clerk guide, with routes (`/` and `/account`), a persisted
//! Instant session that follows the Clerk session, and a setup screen.
//!
//! It uses only the public API of [`crate::clerk`] and [`crate::instant`].

#![deny(missing_docs)]

mod account;
mod help;
mod home;
mod route;
mod session;
mod setup;
mod sync;
mod token;

use leptos::prelude::*;

pub use session::owner_storage_key;

use account::AccountPage;
use home::HomePage;
use route::{provide_location, use_location, Link, Page};
use session::{use_session_link, SessionLinkProvider};
use setup::SetupScreen;

use crate::clerk::{use_clerk_auth, ClerkFailed, ClerkProvider};
use crate::config::AppConfig;
use crate::instant::{init, provide_instant, use_auth, InstantConfig};

/// The app as built: configured from the build-time environment
/// ([`AppConfig::from_build_env`]).
#[component]
pub fn App() -> impl IntoView {
    view! { <ClerkInstantApp config=AppConfig::from_build_env() /> }
}

/// The app with an explicit configuration (tests mount it with, say, an
/// unknown client name or an unreachable API).
#[component]
pub fn ClerkInstantApp(
    /// Where Clerk and Instant are, and the client name.
    config: AppConfig,
) -> impl IntoView {
    let instant = init(
        InstantConfig::new(config.instant_app_id.clone())
            .with_api_uri(config.instant_api_uri.clone()),
    );
    provide_instant(instant);
    provide_context(config.clone());
    provide_location();
    view! {
        <ClerkProvider publishable_key=config.clerk_publishable_key>
            <SessionLinkProvider client_name=config.clerk_client_name>
                <SiteHeader />
                <SiteMain />
            </SessionLinkProvider>
        </ClerkProvider>
    }
}

/// The routes, or the setup screen when Clerk cannot start.
#[component]
fn SiteMain() -> impl IntoView {
    let clerk = use_clerk_auth();
    let clerk_started = move || clerk.error.with(Option::is_none);
    let page = use_location().page();
    view! {
        <main id="main" class="site-main">
            <ClerkFailed let:error>
                <SetupScreen error />
            </ClerkFailed>
            <Show when=clerk_started>
                {move || match page.get() {
                    Page::Home => view! { <HomePage /> }.into_any(),
                    Page::Account => view! { <AccountPage /> }.into_any(),
                    Page::NotFound => view! { <NotFound /> }.into_any(),
                }}
            </Show>
        </main>
    }
}

/// Title, navigation and who is signed in where.
#[component]
fn SiteHeader() -> impl IntoView {
    let clerk = use_clerk_auth();
    let auth = use_auth();
    let link = use_session_link();
    let owner_matches = link.owner_matches();
    let signed_in_to_both =
        move || clerk.is_signed_in.get() && auth.user.with(Option::is_some) && owner_matches.get();
    let clerk_summary = move || {
        if clerk.is_signed_in.get() {
            let who = clerk.email.get().or_else(|| clerk.user_id.get());
            format!("Clerk: {}", who.unwrap_or_default())
        } else if clerk.is_loaded.get() {
            "Clerk: signed out".to_owned()
        } else {
            String::new()
        }
    };
    let instant_summary = move || {
        if signed_in_to_both() {
            "Instant: signed in"
        } else if clerk.is_loaded.get() {
            "Instant: signed out"
        } else {
            ""
        }
    };
    view! {
        <header class="site-header">
            <Link href="/" class="brand">
                "Clerk → Instant"
            </Link>
            <nav aria-label="Main">
                <Link href="/">"Home"</Link>
                <Show when=signed_in_to_both>
                    <Link href="/account">"Account"</Link>
                </Show>
            </nav>
            <p class="session-summary">
                <span>{clerk_summary}</span>
                " "
                <span>{instant_summary}</span>
            </p>
        </header>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="not-found-title">
            <h1 id="not-found-title">"Page not found"</h1>
            <p>
                "There is nothing here. "
                <Link href="/">"Go to the home page"</Link>
                "."
            </p>
        </section>
    }
}
