//! The example's component tree: the Leptos port of the Next.js page in
//! Instant's Clerk guide.

use leptos::prelude::*;

/// The whole app: page shell and routes.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <header class="site-header">
            <h1>"Clerk → Instant"</h1>
        </header>
        <main id="main" class="site-main">
            <p class="lede">"Sign in with Clerk, hold an InstantDB session."</p>
        </main>
    }
}
