//! The area of a page that shows the session's state.

use leptos::html::Div;
use leptos::prelude::*;
use wasm_bindgen::JsCast as _;

/// Where a page shows what is going on: changes are announced to screen
/// readers (`aria-live="polite"`), and when the control that had focus in
/// it is replaced (a button whose click changed the state, say), focus
/// moves to the area itself instead of falling back to the top of the
/// page, so keyboard users carry on from there.
#[component]
pub fn StatusRegion(
    /// Tracks whatever decides what the area shows; each change may
    /// replace the focused control.
    #[prop(into)]
    watch: Signal<()>,
    /// What the area shows.
    children: Children,
) -> impl IntoView {
    let region = NodeRef::<Div>::new();
    // Focus was last inside the area. A removed element takes focus with
    // it without a `focusout` in every browser, so only focus moving to
    // somewhere else clears this.
    let focus_inside = StoredValue::new(false);
    Effect::new(move |ran_before: Option<()>| {
        watch.track();
        if ran_before.is_none() || !focus_inside.get_value() {
            return;
        }
        // After this change has reached the page.
        request_animation_frame(move || {
            if focus_fell_to_page() {
                if let Some(region) = region.get_untracked() {
                    let _ = region.focus();
                }
            }
        });
    });
    let on_focusout = move |event: leptos::ev::FocusEvent| {
        let next = event
            .related_target()
            .and_then(|target| target.dyn_into::<web_sys::Node>().ok());
        if let (Some(next), Some(region)) = (next, region.get_untracked()) {
            focus_inside.set_value(region.contains(Some(&next)));
        }
    };
    view! {
        <div
            class="status-region"
            aria-live="polite"
            tabindex="-1"
            node_ref=region
            on:focusin=move |_| focus_inside.set_value(true)
            on:focusout=on_focusout
        >
            {children()}
        </div>
    }
}

/// Whether nothing on the page has focus (it is on the body).
fn focus_fell_to_page() -> bool {
    let Some(document) = web_sys::window().and_then(|window| window.document()) else {
        return false;
    };
    match (document.active_element(), document.body()) {
        (None, _) => true,
        (Some(active), Some(body)) => active == *body.unchecked_ref::<web_sys::Element>(),
        (Some(_), None) => false,
    }
}
