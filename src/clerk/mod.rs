//! Everything that touches `window.Clerk`: publishable keys, the script
//! loader, bindings, and Leptos components and hooks.
