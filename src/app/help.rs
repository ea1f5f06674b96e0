//! Explanations the pages show: the missing `email` claim and Instant's
//! three Clerk setup steps.

use leptos::prelude::*;

/// The session-token claim Instant's guide asks for.
pub const EMAIL_CLAIM_TEMPLATE: &str = r#"{"email": "{{user.primary_email_address}}"}"#;

/// How to add the `email` claim to Clerk's session token, and where the
/// emulator's switch for it is.
#[component]
pub fn EmailClaimHelp() -> impl IntoView {
    view! {
        <aside class="help" aria-labelledby="email-claim-help-title">
            <h2 id="email-claim-help-title">"Clerk's session token has no email"</h2>
            <p>
                "Instant finds and names its user by the "<code>"email"</code>
                " claim of Clerk's session token, and this token has none. To add it:"
            </p>
            <ol>
                <li>"Open the Clerk dashboard and go to "<strong>"Sessions"</strong>"."</li>
                <li>
                    "Under "<strong>"Customize session token"</strong>", click "
                    <strong>"Edit"</strong>"."
                </li>
                <li>"Add the claim "<code class="claim">{EMAIL_CLAIM_TEMPLATE}</code>" and save."</li>
                <li>"Then press Retry, where the page offers it, or sign out and in again."</li>
            </ol>
            <p>
                "With the local emulator ("<code>"cargo xtask dev"</code>
                "), its dashboard at the Clerk address this app uses ("<code>"http://127.0.0.1:8787"</code>
                " by default) has a button that turns the claim on."
            </p>
        </aside>
    }
}

/// Instant's three Clerk setup steps, as its guide words them.
#[component]
pub fn ClerkSetupSteps() -> impl IntoView {
    view! {
        <ol class="setup-steps">
            <li>
                <strong>"Configure Clerk. "</strong>
                "In the Clerk dashboard, go to Sessions, click Edit under Customize session token, "
                "and add the email claim: "<code class="claim">{EMAIL_CLAIM_TEMPLATE}</code>
            </li>
            <li>
                <strong>"Get your Clerk publishable key. "</strong>
                "In the Clerk dashboard, go to API keys and copy the Publishable key. "
                "It starts with "<code>"pk_"</code>"."
            </li>
            <li>
                <strong>"Register your Clerk publishable key with your Instant app. "</strong>
                "In the Instant dashboard, open the Auth tab and add a Clerk client with the "
                "publishable key you copied; its name is the client name this app signs in with."
            </li>
        </ol>
    }
}
