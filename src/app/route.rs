//! The app's pages (`/`, `/account`, anything else "not found") need no
//! router crate: the path lives in a signal, [`Link`] pushes a history
//! entry instead of loading the page, and `popstate` follows Back and
//! Forward.
//!
//! Why not `leptos_router`: for two fixed paths it cost 43 KB of the
//! shipped gzip (212 → 170 KB wasm, 9.3 → 8.4 KB JS glue; see the README's
//! Performance section), a fifth of the whole app.

use leptos::prelude::*;
use wasm_bindgen::JsValue;

/// One of the app's pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    /// `/`: the guide's example.
    Home,
    /// `/account`: who the person is in Instant and in Clerk.
    Account,
    /// Any other path.
    NotFound,
}

impl Page {
    /// The page at `path` (a trailing `/` does not matter).
    pub fn at(path: &str) -> Self {
        match path.trim_end_matches('/') {
            "" => Page::Home,
            "/account" => Page::Account,
            _ => Page::NotFound,
        }
    }
}

/// The current path, shared by the links and the page switch.
#[derive(Clone, Copy)]
pub struct Location {
    path: RwSignal<String>,
}

/// `location.pathname` of the window.
fn window_path() -> String {
    window()
        .location()
        .pathname()
        .unwrap_or_else(|_| "/".to_owned())
}

impl Location {
    /// The page the current path shows.
    pub fn page(&self) -> Memo<Page> {
        let path = self.path;
        Memo::new(move |_| path.with(|path| Page::at(path)))
    }

    /// Whether the current path is `href`.
    fn is_current(&self, href: &str) -> bool {
        self.path
            .with(|path| path.trim_end_matches('/') == href.trim_end_matches('/'))
    }

    /// Goes to `path` without loading the page: a new history entry, or,
    /// with `replace`, the current one replaced (as a redirect should).
    pub fn navigate(&self, path: &str, replace: bool) {
        let window = window();
        let pushed = window.history().and_then(|history| {
            if replace {
                history.replace_state_with_url(&JsValue::NULL, "", Some(path))
            } else {
                history.push_state_with_url(&JsValue::NULL, "", Some(path))
            }
        });
        if pushed.is_err() {
            // The browser refused the history entry: load the page instead.
            let _ = window.location().set_href(path);
            return;
        }
        self.path.try_set(path.to_owned());
        window.scroll_to_with_x_and_y(0.0, 0.0);
    }
}

/// Provides the [`Location`] for the components below and follows Back
/// and Forward until the calling owner is cleaned up.
pub fn provide_location() -> Location {
    let location = Location {
        path: RwSignal::new(window_path()),
    };
    let popstate = window_event_listener(leptos::ev::popstate, move |_| {
        location.path.try_set(window_path());
    });
    on_cleanup(move || popstate.remove());
    provide_context(location);
    location
}

/// The [`Location`] from [`provide_location`].
pub fn use_location() -> Location {
    use_context::<Location>()
        .expect("use_location() needs provide_location() in a parent component")
}

/// A link to one of the app's pages. A plain click changes the page
/// without a reload (a click with a modifier key or another button is left
/// to the browser, e.g. to open a tab); `aria-current="page"` marks the
/// link to the page shown.
#[component]
pub fn Link(
    /// The path, e.g. `/account`.
    href: &'static str,
    /// CSS classes.
    #[prop(optional)]
    class: Option<&'static str>,
    /// The link's content.
    children: Children,
) -> impl IntoView {
    let location = use_location();
    let on_click = move |event: leptos::ev::MouseEvent| {
        let plain = event.button() == 0
            && !(event.meta_key() || event.ctrl_key() || event.shift_key() || event.alt_key());
        if plain && !event.default_prevented() {
            event.prevent_default();
            location.navigate(href, false);
        }
    };
    view! {
        <a
            href=href
            class=class
            aria-current=move || location.is_current(href).then_some("page")
            on:click=on_click
        >
            {children()}
        </a>
    }
}

#[cfg(test)]
mod tests {
    use super::Page;

    #[test]
    fn paths_pick_pages() {
        assert_eq!(Page::at("/"), Page::Home);
        assert_eq!(Page::at(""), Page::Home);
        assert_eq!(Page::at("/account"), Page::Account);
        assert_eq!(Page::at("/account/"), Page::Account);
        assert_eq!(Page::at("/accounts"), Page::NotFound);
        assert_eq!(Page::at("/account/x"), Page::NotFound);
    }
}
