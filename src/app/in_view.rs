//! Whether the page is in view (not a tab in the background, nor a
//! minimized window).

use leptos::prelude::*;

/// Whether the page is in view, following the browser's
/// `visibilitychange` for as long as the calling component lives.
pub fn use_page_in_view() -> ReadSignal<bool> {
    let in_view = RwSignal::new(page_in_view());
    // `visibilitychange` goes to the document and bubbles to the window.
    let listener = window_event_listener_untyped("visibilitychange", move |_| {
        in_view.try_set(page_in_view());
    });
    on_cleanup(move || listener.remove());
    in_view.read_only()
}

/// Outside a browser window there is nothing to hide: in view.
fn page_in_view() -> bool {
    web_sys::window()
        .and_then(|window| window.document())
        .is_none_or(|document| !document.hidden())
}
