//! The smallest Leptos apps: a counter; the counter with leptos_router's
//! `<Routes>`, `<A>` and two routes; and with `<FlatRoutes>` and plain
//! links, as the app routes. `cargo xtask bench floor` builds each with the app's
//! release profile, wasm-bindgen and wasm-opt, and prints what it ships,
//! which is what the framework costs before any code of the app.

use leptos::prelude::*;

fn main() {
    leptos::mount::mount_to_body(App);
}

#[component]
fn Counter() -> impl IntoView {
    let count = RwSignal::new(0);
    view! {
        <button on:click=move |_| count.update(|count| *count += 1)>{move || count.get()}</button>
    }
}

#[cfg(not(any(feature = "routes", feature = "flat-routes")))]
#[component]
fn App() -> impl IntoView {
    view! { <Counter /> }
}

#[cfg(all(feature = "routes", not(feature = "flat-routes")))]
#[component]
fn App() -> impl IntoView {
    use leptos_router::components::{Route, Router, Routes, A};
    use leptos_router::path;
    view! {
        <Router>
            <nav>
                <A href="/">"Home"</A>
                <A href="/account">"Account"</A>
            </nav>
            <Routes fallback=|| view! { <p>"Not found"</p> }>
                <Route path=path!("/") view=Counter />
                <Route path=path!("/account") view=|| view! { <p>"Account"</p> } />
            </Routes>
        </Router>
    }
}

#[cfg(feature = "flat-routes")]
#[component]
fn App() -> impl IntoView {
    use leptos_router::components::{FlatRoutes, Route, Router};
    use leptos_router::path;
    view! {
        <Router>
            <nav>
                <a href="/">"Home"</a>
                <a href="/account">"Account"</a>
            </nav>
            <FlatRoutes fallback=|| view! { <p>"Not found"</p> }>
                <Route path=path!("/") view=Counter />
                <Route path=path!("/account") view=|| view! { <p>"Account"</p> } />
            </FlatRoutes>
        </Router>
    }
}
