//! The guide's page on this crate's `clerk` and `instant` modules, joined
//! by hand as another app would (`default-features = false`; see the
//! README). Beyond the guide it exchanges again when Clerk switches
//! accounts (`SignedIn` stays mounted then), says "Loading…" while Clerk's
//! token is on its way, "Signing out…" between the two sign-outs, ends the
//! Instant session when Clerk signs out some other way (another tab,
//! Clerk's own UI, a revoked session), and asks Instant once whether a
//! stored session still stands.
//!
//! The crate docs show this file, and a browser test
//! (`tests/guide_page.rs`) mounts its [`GuidePage`] against the emulator.
//! Build it as any Leptos client-side app (Trunk, with this file as the
//! binary).

use clerk_instant::clerk::{
    use_clerk_auth, ClerkProvider, ClerkState, GetTokenOptions, SignInButton, SignedIn, SignedOut,
};
use clerk_instant::instant::{
    init, provide_instant, use_auth, use_instant, InstantConfig, InstantError,
};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The Clerk client name registered on the Instant app.
pub const CLIENT_NAME: &str = "clerk";

fn main() {
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    // Against the emulator: the app id it prints, with
    // `.with_api_uri("http://127.0.0.1:8788")` (its INSTANT_API_URI), and
    // its CLERK_PUBLISHABLE_KEY and CLERK_CLIENT_NAME below.
    provide_instant(init(InstantConfig::new("my-instant-app-id")));
    view! {
        <ClerkProvider publishable_key="pk_test_Y2xlcmsuZXhhbXBsZS5jb20k">
            <GuidePage />
        </ClerkProvider>
    }
}

/// The page: inside a `ClerkProvider`, below `provide_instant`.
#[component]
pub fn GuidePage() -> impl IntoView {
    view! {
        <InstantFollowsClerkSignOut />
        <SignedOut><SignInButton /></SignedOut>
        <SignedIn><ClerkSignedIn /></SignedIn>
    }
}

/// Ends the Instant session once Clerk is signed out, whoever did it.
#[component]
fn InstantFollowsClerkSignOut() -> impl IntoView {
    let clerk = use_clerk_auth();
    let db = use_instant();
    // Tracked too: an exchange that lands after Clerk's sign-out.
    let instant_user = use_auth().user;
    Effect::new(move |_| {
        // Signed out for sure: not still loading, nor failed to load.
        if clerk.state.with(ClerkState::is_signed_out) && instant_user.with(Option::is_some) {
            // Signed out here at once; the server revoke it returns runs
            // even when not awaited.
            drop(db.auth().sign_out());
        }
    });
}

#[component]
fn ClerkSignedIn() -> impl IntoView {
    let clerk = use_clerk_auth();
    let auth = use_auth();
    // Copy, for the several closures below (the handle itself is Clone).
    let db = StoredValue::new_local(use_instant());
    // No stored session of this Clerk account's person: an exchange is
    // due (the effect below starts it).
    let exchange_due = move || {
        let clerk_email = clerk.email.get();
        let instant_email = auth
            .user
            .with_untracked(|user| user.as_ref().and_then(|user| user.email.clone()));
        // Instant keeps emails in lower case; Clerk may keep them as typed.
        match (instant_email, clerk_email) {
            (Some(instant), Some(clerk)) => !instant.eq_ignore_ascii_case(&clerk),
            _ => true,
        }
    };
    // "Loading…" from the first render when one is due, not a "Sign in
    // to Instant" until the effect runs.
    let getting_token = RwSignal::new(untrack(exchange_due));
    let signing_out = RwSignal::new(false);

    // `fresh` for the buttons: Clerk keeps a token for up to a minute, and
    // a Retry after the claims were fixed would send the refused one again.
    let sign_in = move |fresh: bool| {
        getting_token.set(true);
        let instant_auth = db.with_value(|db| db.auth());
        spawn_local(async move {
            // Asked twice if need be: Clerk can have none just after a sign-in.
            let token = clerk
                .get_token_retrying(GetTokenOptions { skip_cache: fresh })
                .await;
            getting_token.try_set(false);
            match token {
                Ok(Some(token)) => {
                    // A failure shows through `auth.error`.
                    drop(
                        instant_auth
                            .sign_in_with_id_token(CLIENT_NAME, &token)
                            .await,
                    )
                }
                Ok(None) => instant_auth.report_error(InstantError::Token {
                    reason: "Clerk has no session token; sign in again".into(),
                }),
                Err(error) => instant_auth.report_error(InstantError::Token {
                    reason: error.to_string(),
                }),
            }
        });
    };
    // The guide's `useEffect(…, [])`, for each Clerk account: a stored
    // session of the same person is kept (a reload makes no exchange).
    Effect::new(move |_| {
        if exchange_due() {
            sign_in(false);
        } else {
            // Shown from storage: ask Instant once whether it still holds
            // it (one ended elsewhere then shows as an error, with Retry).
            let instant_auth = db.with_value(|db| db.auth());
            spawn_local(async move { drop(instant_auth.check_stored_session().await) });
        }
    });

    // Instant first (at once; its revoke runs alongside), then Clerk.
    let sign_out = move |_| {
        signing_out.set(true);
        let revoke = db.with_value(|db| db.auth().sign_out());
        spawn_local(async move {
            if let Err(error) = clerk.sign_out().await {
                leptos::logging::warn!("Clerk sign-out: {error}");
                signing_out.try_set(false);
            }
            drop(revoke.await);
        });
    };

    move || {
        if signing_out.get() {
            view! { <p>"Signing out…"</p> }.into_any()
        } else if auth.is_loading.get() || getting_token.get() {
            view! { <p>"Loading…"</p> }.into_any()
        } else if let Some(error) = auth.error.get() {
            view! {
                <p role="alert">"Error signing in to Instant! " {error.to_string()}</p>
                <button on:click=move |_| sign_in(true)>"Retry"</button>
            }
            .into_any()
        } else if auth.user.with(Option::is_some) {
            view! {
                <p>"Signed in with Instant through Clerk!"</p>
                <button on:click=sign_out>"Sign out"</button>
            }
            .into_any()
        } else {
            view! { <button on:click=move |_| sign_in(true)>"Sign in to Instant"</button> }
                .into_any()
        }
    }
}
