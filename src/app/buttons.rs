//! The app's Sign out button, which several panels offer.

use leptos::prelude::*;

use super::session::use_session_link;

/// A button that signs out of Instant, then Clerk (and ends any exchange
/// under way): "Sign out", or `label`; `primary` when it is the panel's
/// main action.
#[component]
pub fn SignOutButton(
    /// Its text, "Sign out" unless given.
    #[prop(default = "Sign out")]
    label: &'static str,
    /// Whether it is drawn as the panel's main action.
    #[prop(optional)]
    primary: bool,
) -> impl IntoView {
    let link = use_session_link();
    let class = if primary { "button primary" } else { "button" };
    view! {
        <button type="button" class=class on:click=move |_| link.sign_out_of_both()>
            {label}
        </button>
    }
}
