//! The guide's Sign out: Instant first, then Clerk.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::storage::{remove_if_unchanged, write_marker};
use super::Busy;
use super::SessionLink;

impl SessionLink {
    /// Signs out of Instant, then of Clerk (the guide's Sign out button).
    /// Instant signs out here at once; its server revoke runs alongside
    /// Clerk's sign-out instead of holding it up, and a failed revoke does
    /// not stop it. A failed Clerk sign-out shows through
    /// [`clerk_sign_out_error`](Self::clerk_sign_out_error).
    pub fn sign_out_of_both(self) {
        if self.own_work.try_get_untracked().flatten() == Some(Busy::SigningOut) {
            return;
        }
        // Before Instant's sign-out, which other tabs see first, and before
        // this tab's sign-in marker goes (in `start_work`): a tab waiting
        // for that sign-in would otherwise see nothing under way for a
        // moment, and exchange a token of its own.
        let marker_key = self.sign_out_marker_key.get_value();
        let clerk_session_id = self.clerk_session_id();
        let marker = clerk_session_id
            .as_deref()
            .and_then(|id| write_marker(&marker_key, Some(id)));
        // A page that goes away mid-way takes its marker along: other tabs,
        // and this page reloaded, would say "Signing out…" until it ran out.
        let page_hidden = marker.map(|marker| {
            let marker_key = marker_key.clone();
            window_event_listener(leptos::ev::pagehide, move |_| {
                remove_if_unchanged(&marker_key, &marker);
            })
        });
        if let Some(id) = &clerk_session_id {
            write_marker(&self.signed_out_session_key.get_value(), Some(id));
        }
        // An exchange under way stops at its next step (see `run_exchange`).
        let work = self.start_work(Busy::SigningOut);
        self.clerk_sign_out_error.set(None);
        let instant_revoke = self.sign_out_of_instant();
        spawn_local(async move {
            let clerk_signed_out = self.clerk.sign_out().await;
            if let Some(page_hidden) = page_hidden {
                page_hidden.remove();
            }
            if let Err(error) = clerk_signed_out {
                // Other tabs stay signed in to Clerk: over for them too.
                if clerk_session_id.is_some() {
                    write_marker(&marker_key, None);
                }
                self.clerk_sign_out_error.try_set(Some(error));
            }
            self.end_work(work);
            instant_revoke.await;
        });
    }

    /// Signs out of Instant here at once (and forgets the owner); the
    /// returned future is the server revoke, which runs even if not awaited.
    pub(super) fn sign_out_of_instant(self) -> impl std::future::Future<Output = ()> {
        let revoke = self.instant.try_get_value().map(|instant| {
            self.set_owner(None);
            instant.auth().sign_out()
        });
        async move {
            let Some(revoke) = revoke else {
                return;
            };
            if let Err(error) = revoke.await {
                // Signed out locally all the same; the server lets the
                // session expire on its own.
                leptos::logging::warn!("Instant did not confirm the sign-out: {error}");
            }
        }
    }
}
