//! "Loading…", with a way out when it lasts.

use leptos::prelude::*;

use super::session::use_session_link;

/// How long "Loading…" shows alone before the page offers a way out: a
/// Clerk or Instant call that hangs would hold it until its time limit
/// (15 s for Clerk's, 30 s for Instant's) with nothing to press.
const SLOW_AFTER: std::time::Duration = std::time::Duration::from_secs(5);

/// "Loading…", and after [`SLOW_AFTER`] a Sign out, which also ends an
/// exchange under way.
#[component]
pub fn Loading() -> impl IntoView {
    let link = use_session_link();
    let slow = RwSignal::new(false);
    let timer = set_timeout_with_handle(
        move || {
            slow.try_set(true);
        },
        SLOW_AFTER,
    );
    on_cleanup(move || {
        if let Ok(timer) = timer {
            timer.clear();
        }
    });
    view! {
        <p class="status">"Loading…"</p>
        {move || {
            slow.get()
                .then(|| {
                    view! {
                        <p class="hint">"Clerk or Instant is taking longer than usual to answer."</p>
                        <div class="actions">
                            <button
                                type="button"
                                class="button"
                                on:click=move |_| link.sign_out_of_both()
                            >
                                "Sign out"
                            </button>
                        </div>
                    }
                })
        }}
    }
}
