//! The setup screen: shown instead of a blank page when Clerk cannot start.
//! A missing or malformed publishable key needs a new build: the screen
//! says how to set Clerk up. clerk-js that did not load (in time) may be
//! the network: the screen offers to try again, with the setup folded away.

use leptos::prelude::*;

use super::help::ClerkSetupSteps;
use crate::clerk::{ClerkError, PublishableKey};
use crate::config::AppConfig;

/// Says what went wrong and how to set Clerk up.
#[component]
pub fn SetupScreen(
    /// Why Clerk could not start.
    error: ClerkError,
) -> impl IntoView {
    let config = use_context::<AppConfig>();
    let configured_key = config
        .as_ref()
        .map(|config| config.clerk_publishable_key.trim().to_owned())
        .filter(|key| !key.is_empty());
    let parsed_key = configured_key
        .as_deref()
        .and_then(|key| PublishableKey::parse(key).ok());
    // A Clerk on this machine is a local emulator: what to do is start it,
    // not check the connection.
    let local_clerk = parsed_key
        .as_ref()
        .filter(|key| key.is_loopback())
        .map(PublishableKey::frontend_api_url);
    let frontend_api = parsed_key.map(|key| key.frontend_api_url());
    let client_name = config.map(|config| config.clerk_client_name);
    // A key problem needs a rebuild; anything else may pass on its own.
    let can_retry = !matches!(
        error,
        ClerkError::MissingPublishableKey | ClerkError::MalformedPublishableKey { .. }
    );
    let reload = |_| {
        if let Some(window) = web_sys::window() {
            let _ = window.location().reload();
        }
    };
    // What a developer needs to set the app up; after a load failure
    // (which may be the network, for a person using the app) folded away
    // under the way to try again.
    let setup = view! {
        <p>"To sign in with Clerk and hold an Instant session, follow Instant's three Clerk setup steps:"</p>
        <ClerkSetupSteps />
        <p>
            "Then build this app with "<code>"CLERK_PUBLISHABLE_KEY"</code>" set to the key, "
            <code>"CLERK_CLIENT_NAME"</code>" to the client name, "<code>"INSTANT_APP_ID"</code>
            " to your Instant app id and "<code>"INSTANT_API_URI"</code>" to "
            <code>"https://api.instantdb.com"</code>" (the default is the emulator's). "
            "To try it without accounts, "<code>"cargo xtask dev"</code>
            " runs a local emulator of both services and sets them for you."
        </p>
        <dl class="facts">
            <dt>"Publishable key in this build"</dt>
            <dd>
                {configured_key
                    .map(|key| view! { <code>{key}</code> }.into_any())
                    .unwrap_or_else(|| "none".into_any())}
            </dd>
            {frontend_api
                .map(|url| {
                    view! {
                        <dt>"Clerk frontend API it names"</dt>
                        <dd><code>{url}</code></dd>
                    }
                })}
            {client_name
                .map(|name| {
                    view! {
                        <dt>"Clerk client name"</dt>
                        <dd><code>{name}</code></dd>
                    }
                })}
        </dl>
    };
    // The clerk module's words for a missing key speak to a developer
    // calling `ClerkProvider`; this app takes the key from its build.
    let problem = if error == ClerkError::MissingPublishableKey {
        "This build has no Clerk publishable key: CLERK_PUBLISHABLE_KEY was empty when it was built. \
         Set it to the key from the Clerk dashboard (API keys → Publishable key; it starts with “pk_”) \
         and build the app again."
            .to_owned()
    } else {
        error.to_string()
    };
    let heading = if can_retry {
        "Clerk did not load"
    } else {
        "Finish setting up Clerk"
    };
    // Replaces the page title a route set while Clerk was still loading.
    super::set_page_title(Some(heading));
    // Plain text, not a view of its own per case (which cost the wasm
    // 0.6 KB gzip more).
    let next_step = match local_clerk {
        Some(url) => format!(
            "This build's Clerk is at {url}, on this computer: start the local emulator \
             (cargo xtask dev), or restart it if it is running, then try again."
        ),
        None => "Check your connection, then try again.".to_owned(),
    };
    let next_steps = if can_retry {
        view! {
            <p>{next_step}</p>
            <button type="button" class="button primary" on:click=reload>
                "Try again"
            </button>
            <details class="setup-details">
                <summary>"Setting this app up? What it needs"</summary>
                {setup}
            </details>
        }
        .into_any()
    } else {
        setup.into_any()
    };
    view! {
        <section class="card setup" aria-labelledby="setup-title">
            <h1 id="setup-title">{heading}</h1>
            <p class="problem" role="alert">{problem}</p>
            {next_steps}
        </section>
    }
}
