//! The example's component tree: the Leptos port of the Next.js page in
//! Instant's Clerk guide, with routes (`/` and `/account`), a persisted
//! Instant session that follows the Clerk session, and a setup screen.
//!
//! It uses only the public API of [`crate::clerk`] and [`crate::instant`].

#![deny(missing_docs)]

mod account;
mod buttons;
mod help;
mod home;
mod in_view;
mod loading;
mod panel;
mod session;
mod setup;
#[cfg(test)]
mod test_values;
mod token;

use leptos::prelude::*;
use leptos_router::components::{FlatRoutes, Route, Router};
use leptos_router::hooks::use_location;
use leptos_router::path;
use wasm_bindgen::JsCast as _;

pub use session::{
    exchange_lock_name, owner_storage_key, sign_in_marker_key, sign_out_marker_key,
    signed_out_session_key,
};

use account::AccountPage;
use home::HomePage;
use session::Busy;
use session::{use_session_link, SessionLinkProvider};
use setup::SetupScreen;

use crate::clerk::{use_clerk_auth, ClerkFailed, ClerkProvider};
use crate::config::AppConfig;
use crate::instant::{init, provide_instant, InstantConfig};

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
    // The first `<Router>` of a page stores its owner for good in the
    // global server-function redirect hook, so that app would never be
    // cleaned up when unmounted (its window listeners would stay, as tests
    // that mount the app again notice). This app calls no server functions:
    // take the hook first with one that does nothing.
    let _ = leptos::server_fn::redirect::set_redirect_hook(|_| {});
    address_index_html_as_home();
    view! {
        <Router>
            <ClerkProvider publishable_key=config.clerk_publishable_key>
                <SessionLinkProvider client_name=config.clerk_client_name>
                    <SiteHeader />
                    <SiteMain />
                </SessionLinkProvider>
            </ClerkProvider>
        </Router>
    }
}

/// The routes, or the setup screen when Clerk cannot start.
#[component]
fn SiteMain() -> impl IntoView {
    let clerk = use_clerk_auth();
    let clerk_not_failed = move || clerk.error.with(Option::is_none);
    keep_focus_on_navigation();
    view! {
        <main id="main" class="site-main">
            <ClerkFailed let:error>
                <SetupScreen error />
            </ClerkFailed>
            <Show when=clerk_not_failed>
                // Flat: two routes and no nesting, and `<FlatRoutes>` ships
                // about 15 KB gzip less than `<Routes>` (README, Performance).
                <FlatRoutes fallback=|| view! { <NotFound /> }>
                    <Route path=path!("/") view=HomePage />
                    <Route path=path!("/account") view=AccountPage />
                </FlatRoutes>
            </Show>
        </main>
    }
}

/// Title, navigation and who is signed in where.
#[component]
fn SiteHeader() -> impl IntoView {
    let clerk = use_clerk_auth();
    let link = use_session_link();
    let signed_in_to_both = link.signed_in_to_both();
    let busy = link.busy();
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
    // As the page says: work under way ("Loading…", "Signing out…") before
    // "signed out", never beside it; a session shown signed in (another
    // tab's, that overtook this tab's exchange) before that exchange. Only
    // while signed in to Clerk: another tab's Sign out stays "under way"
    // for a while after this tab has signed out too.
    let instant_summary = move || {
        let busy = busy.get().filter(|_| clerk.is_signed_in.get());
        if busy.is_some_and(Busy::is_signing_out) {
            "Instant: signing out…"
        } else if signed_in_to_both.get() {
            "Instant: signed in"
        } else if busy.is_some() {
            "Instant: signing in…"
        } else if clerk.is_loaded.get() {
            "Instant: signed out"
        } else {
            ""
        }
    };
    view! {
        <header class="site-header">
            <a href="/" class="brand">
                "Clerk → Instant"
            </a>
            <nav aria-label="Main">
                <NavLink href="/">"Home"</NavLink>
                <Show when=move || signed_in_to_both.get()>
                    <NavLink href="/account">"Account"</NavLink>
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

/// A link in the main navigation, marked `aria-current="page"` while its
/// page is shown (at its path with a trailing slash too, which the router
/// shows the same page for). A plain `<a>`: the router follows same-origin
/// links itself, and leptos_router's `<A>` costs about 5 KB gzip more for
/// the same attribute (README, Performance).
#[component]
fn NavLink(href: &'static str, children: Children) -> impl IntoView {
    let location = use_location();
    let current = move || {
        location
            .pathname
            .with(|path| path == href || path.strip_suffix('/') == Some(href))
            .then_some("page")
    };
    view! {
        <a href=href aria-current=current>
            {children()}
        </a>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    set_page_title(Some("Page not found"));
    view! {
        <section class="card" aria-labelledby="not-found-title">
            <h1 id="not-found-title" tabindex="-1">"Page not found"</h1>
            <p>
                "There is nothing here. "
                <a href="/">"Go to the home page"</a>
                "."
            </p>
        </section>
    }
}

/// Static hosts serve the page at `/index.html` as well as at `/`: give
/// such an address the home page's path before the router reads it,
/// rather than saying "Page not found" for the page itself.
fn address_index_html_as_home() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let location = window.location();
    if location.pathname().is_ok_and(|path| path == "/index.html") {
        let rest = location.search().unwrap_or_default() + &location.hash().unwrap_or_default();
        if let Ok(history) = window.history() {
            let _ = history.replace_state_with_url(
                &wasm_bindgen::JsValue::NULL,
                "",
                Some(&format!("/{rest}")),
            );
        }
    }
}

/// Whether nothing has focus: the page's body has it, or nothing does.
pub(crate) fn focus_is_lost() -> bool {
    let Some(document) = web_sys::window().and_then(|window| window.document()) else {
        return false;
    };
    document
        .active_element()
        .is_none_or(|active| document.body().is_some_and(|body| *body == active))
}

/// After a move to another page, focus that the old page's link left on
/// the page's body goes to the new page's heading (`tabindex="-1"`), where a
/// keyboard or screen reader user carries on, as after a page load; focus
/// still on a link that stays (the header's) stays.
fn keep_focus_on_navigation() {
    let location = use_location();
    // The path is a memo: this runs again only when it changes.
    Effect::new(move |ran: Option<()>| {
        location.pathname.track();
        if ran.is_some() {
            // Once the new page has rendered.
            request_animation_frame(focus_heading_if_lost);
        }
    });
}

/// Gives focus that is lost to the page's heading.
fn focus_heading_if_lost() {
    focus_if_lost("main h1");
}

/// Gives focus that is lost (see [`focus_is_lost`]) to the first element
/// matching `selector`, looked up now (a NodeRef costs more wasm).
pub(crate) fn focus_if_lost(selector: &str) {
    let element = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.query_selector(selector).ok().flatten())
        .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok());
    if let (true, Some(element)) = (focus_is_lost(), element) {
        let _ = element.focus();
    }
}

/// Names the page in the browser's tab and history, and for screen
/// readers, which read the title first: `<page> · Clerk → Instant`, or the
/// app's name alone for the home page.
fn set_page_title(page: Option<&str>) {
    const APP: &str = "Clerk → Instant";
    if let Some(document) = web_sys::window().and_then(|window| window.document()) {
        match page {
            Some(page) => document.set_title(&format!("{page} · {APP}")),
            None => document.set_title(APP),
        }
    }
}
