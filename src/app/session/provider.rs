//! The component that makes the [`SessionLink`] and starts its effects.

use leptos::prelude::*;

use super::follow::{
    check_the_stored_session_once_shown, follow_other_tabs, keep_instant_following_clerk,
};
use super::storage::{
    follow_marker, owner_storage_key, read_owner, sign_in_marker_key, sign_out_marker_key,
    signed_out_session_key,
};
use super::SessionLink;
use crate::app::in_view::use_page_in_view;
use crate::clerk::use_clerk_auth;
use crate::instant::use_instant;

/// Makes the [`SessionLink`] for the pages below and starts the effect that
/// keeps Instant in step with Clerk: a Clerk sign-out (here or in another
/// tab) ends the Instant session, and another Clerk account gets its own
/// Instant session. Must sit inside both `ClerkProvider` and the Instant
/// context.
#[component]
pub fn SessionLinkProvider(
    /// The Clerk client name registered on the Instant app.
    #[prop(into)]
    client_name: String,
    /// The pages.
    children: Children,
) -> impl IntoView {
    let instant = use_instant();
    let owner_key = owner_storage_key(&instant.config().app_id);
    let sign_out_key = sign_out_marker_key(&instant.config().app_id);
    let sign_in_key = sign_in_marker_key(&instant.config().app_id);
    let signed_out_key = signed_out_session_key(&instant.config().app_id);
    let owner = RwSignal::new(read_owner(&owner_key));
    let other_tab_signing_out = RwSignal::new(None);
    follow_marker(sign_out_key.clone(), other_tab_signing_out);
    let other_tab_signing_in = RwSignal::new(None);
    follow_marker(sign_in_key.clone(), other_tab_signing_in);
    let clerk = use_clerk_auth();
    let clerk_state = clerk.state;
    let last_clerk_session = Memo::new(move |last: Option<&Option<String>>| {
        clerk_state
            .with(|clerk| clerk.session().map(|session| session.id.clone()))
            .or_else(|| last.cloned().flatten())
    });
    // Read at every Clerk change: a memo computes only when read, and one
    // first read after a sign-out would not know the session before it.
    // (`track()` alone subscribes without computing it.)
    Effect::new(move |_| last_clerk_session.with(|_| ()));
    let instant_state = instant.use_auth().state;
    let link = SessionLink {
        owner,
        own_work: RwSignal::new(None),
        latest_work: StoredValue::new(0),
        other_tab_signing_out,
        other_tab_signing_in,
        last_clerk_session,
        sign_out_marker_key: StoredValue::new(sign_out_key),
        sign_in_marker_key: StoredValue::new(sign_in_key),
        signed_out_session_key: StoredValue::new(signed_out_key),
        sign_in_marker: StoredValue::new_local(None),
        exchange_lock: StoredValue::new_local(None),
        token_wait: StoredValue::new(None),
        clerk_sign_out_error: RwSignal::new(None),
        client_name: StoredValue::new(client_name),
        owner_key: StoredValue::new(owner_key),
        instant: StoredValue::new(instant),
        instant_state,
        clerk,
        in_view: use_page_in_view(),
    };
    provide_context(link);
    follow_other_tabs(link);
    keep_instant_following_clerk(link);
    check_the_stored_session_once_shown(link);
    children()
}

/// The [`SessionLink`] from [`SessionLinkProvider`].
pub fn use_session_link() -> SessionLink {
    use_context::<SessionLink>()
        .expect("use_session_link() needs a <SessionLinkProvider> above the component")
}
