//! "Loading…", with a way out when it lasts.

use leptos::prelude::*;

use super::buttons::SignOutButton;

/// How long "Loading…" shows alone before the page offers a way out: a
/// Clerk or Instant call that hangs would hold it until its time limit
/// (15 s for Clerk's, 30 s for Instant's) with nothing to press.
const SLOW_AFTER_MS: u32 = 5_000;

/// "Loading…", and after [`SLOW_AFTER_MS`] a Sign out, which also ends an
/// exchange under way.
#[component]
pub fn Loading() -> impl IntoView {
    let slow = RwSignal::new(false);
    // Once the view is gone the signal is too, and setting it does nothing:
    // no timer to clear.
    leptos::task::spawn_local(async move {
        gloo_timers::future::TimeoutFuture::new(SLOW_AFTER_MS).await;
        slow.try_set(true);
    });
    // Erased with `into_any()`: as a typed view that comes and goes, this
    // part cost 3.6 KB gzip more (README, Performance).
    view! {
        <p class="status">"Loading…"</p>
        {move || {
            slow.get()
                .then(|| {
                    view! {
                        <p class="hint">"Clerk or Instant is taking longer than usual to answer."</p>
                        <div class="actions">
                            <SignOutButton />
                        </div>
                    }
                        .into_any()
                })
        }}
    }
}
