//! "Loading…" and "Signing out…", which say so when they last.

use leptos::prelude::*;

use super::buttons::SignOutButton;
use super::session::use_session_link;
use crate::clerk::use_clerk_auth;

/// How long "Loading…" or "Signing out…" shows alone before the page says
/// that it is taking long: a Clerk or Instant call that hangs would hold it
/// until its time limit ([`DEFAULT_CALL_TIMEOUT`](crate::clerk::DEFAULT_CALL_TIMEOUT)
/// for Clerk's, [`DEFAULT_REQUEST_TIMEOUT`](crate::instant::DEFAULT_REQUEST_TIMEOUT)
/// for Instant's) with nothing said.
const SLOW_AFTER_MS: u32 = 5_000;

/// "Loading…", and after [`SLOW_AFTER_MS`] a Sign out, which also ends an
/// exchange under way, in this tab or in another one (which gives up once
/// its token comes). Not while Clerk itself is still loading: that Sign
/// out could end only the Instant session, and the exchange once Clerk has
/// loaded would bring it back.
#[component]
pub fn Loading() -> impl IntoView {
    waiting(
        "Loading…",
        "Clerk or Instant is taking longer than usual to answer.",
        true,
    )
}

/// "Signing out…", and after [`SLOW_AFTER_MS`] what is left to do. Instant
/// signs out at once; Clerk's sign-out is the request that can hang, and
/// after its time limit the page says why and offers to try again.
#[component]
pub fn SigningOut() -> impl IntoView {
    waiting(
        "Signing out…",
        "You are signed out of Instant; Clerk is taking longer than usual to sign out.",
        false,
    )
}

/// `status`, then after [`SLOW_AFTER_MS`] `slow_hint`, with a Sign out
/// button when `offer_sign_out`.
fn waiting(status: &'static str, slow_hint: &'static str, offer_sign_out: bool) -> impl IntoView {
    let slow = RwSignal::new(false);
    // Counted from when the page is in view: a wait that began in the
    // background (a tab leaving its exchange to the tab in view) is not
    // "taking longer" the moment it is seen. Once the view is gone the
    // signal is too, and setting it does nothing: no timer to clear.
    let in_view = use_session_link().in_view();
    let clerk_loaded = use_clerk_auth().is_loaded;
    Effect::new(move |counting: Option<bool>| {
        if counting == Some(true) || !in_view.get() {
            return counting.unwrap_or_default();
        }
        leptos::task::spawn_local(async move {
            gloo_timers::future::TimeoutFuture::new(SLOW_AFTER_MS).await;
            slow.try_set(true);
        });
        true
    });
    // Erased with `into_any()`: as a typed view that comes and goes, this
    // part cost 3.6 KB gzip more (README, Performance).
    view! {
        <p class="status">{status}</p>
        // Clerk's load read here, with `slow`, not in a closure of its own
        // inside: that cost 3 KB gzip more.
        {move || {
            let sign_out = offer_sign_out && clerk_loaded.get();
            slow.get()
                .then(|| {
                    view! {
                        <p class="hint">{slow_hint}</p>
                        {sign_out
                            .then(|| {
                                view! {
                                    <div class="actions">
                                        <SignOutButton />
                                    </div>
                                }
                            })}
                    }
                        .into_any()
                })
        }}
    }
}
