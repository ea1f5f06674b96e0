//! The effects that keep the page in step: Instant following Clerk, this
//! tab following the others' storage writes, and the stored session's
//! check once it shows.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::decide::{self, SyncAction};
use super::storage::{follow_marker, read_owner, write_marker};
use super::SessionLink;
use crate::clerk::ClerkState;

/// How long an owner taken away (or written unreadable) must stay gone
/// before this tab writes it back (see
/// `SessionLink::restore_owner_if_still_gone`).
const OWNER_SETTLE_MS: u32 = 1_000;

/// How long after a session check that could not get through it is made
/// again (see `SessionLink::check_stored_instant_session`): the browser's
/// `online` event does not come when only Instant was down or unreachable.
const CHECK_RETRY_FIRST_MS: u32 = 10_000;
/// The longest wait between two such checks.
const CHECK_RETRY_MAX_MS: u32 = 160_000;
/// How long the page must have been out of view for its return to check
/// the session again (see `check_the_stored_session_once_shown`): a
/// glance at another tab is not worth a request.
const CHECK_AFTER_HIDDEN_MS: f64 = 60_000.0;

impl SessionLink {
    /// Asks Instant whether the session read from storage still stands; an
    /// ended one then shows as an error with "Sign in again". Only a call
    /// while the stored session is still unchecked (the first, or the next
    /// after one that could not get through) makes a request (see
    /// `Auth::check_stored_session`). One that could not get through is
    /// made again after [`CHECK_RETRY_FIRST_MS`], then after twice the
    /// wait each time (at most [`CHECK_RETRY_MAX_MS`]), while
    /// `keep_trying` says so.
    fn check_stored_instant_session(self, keep_trying: impl Fn() -> bool + 'static) {
        let Some(instant) = self.instant.try_get_value() else {
            return;
        };
        spawn_local(async move {
            let mut wait_ms = CHECK_RETRY_FIRST_MS;
            while let Err(error) = instant.auth().check_stored_session().await {
                leptos::logging::warn!("Could not check the stored Instant session: {error}");
                gloo_timers::future::TimeoutFuture::new(wait_ms).await;
                if !keep_trying() {
                    return;
                }
                wait_ms = (wait_ms * 2).min(CHECK_RETRY_MAX_MS);
            }
        });
    }

    /// Asks Instant whether the session shown still stands, whether it was
    /// checked before or made here (see `Auth::check_session`): once, a
    /// failure is left to the next occasion.
    fn check_shown_instant_session(self) {
        let Some(instant) = self.instant.try_get_value() else {
            return;
        };
        spawn_local(async move {
            if let Err(error) = instant.auth().check_session().await {
                leptos::logging::warn!("Could not check the Instant session: {error}");
            }
        });
    }

    /// After the owner was taken away or written unreadable (by a person
    /// in the developer tools, an extension) while this tab showed the
    /// session it stood for: once [`OWNER_SETTLE_MS`] have passed, if
    /// storage still names no owner, `owner` is still the Clerk user signed
    /// in here, the session with `refresh_token` still shows and nothing is
    /// under way, writes `owner` back. The session is still that person's:
    /// no exchange, no revoke. Without it the page said "Loading…" until
    /// Clerk next changed. The wait lets another tab's sign-out or failed
    /// exchange, which take the session along, reach this tab first.
    ///
    /// An owner naming another Clerk account is left alone: another tab
    /// switched accounts, and this tab follows once its own Clerk hears of
    /// it (clerk-js tells a tab at its next focus). Switching at once could
    /// revoke the session the other tab has just made.
    async fn restore_owner_if_still_gone(self, owner: String, refresh_token: String) {
        gloo_timers::future::TimeoutFuture::new(OWNER_SETTLE_MS).await;
        let still_gone = self.owner.try_get_untracked() == Some(None)
            && self
                .owner_key
                .try_get_value()
                .is_some_and(|key| read_owner(&key).is_none());
        let same_person = self.clerk.user_id.try_get_untracked().flatten().as_ref() == Some(&owner);
        let same_session = self.instant_state.try_with_untracked(|state| {
            state
                .user()
                .is_some_and(|user| user.refresh_token == refresh_token)
        }) == Some(true);
        let nothing_under_way = self.own_work.try_get_untracked() == Some(None)
            && self.other_tab_signing_out.try_get_untracked() == Some(None)
            && self.other_tab_signing_in.try_get_untracked() == Some(None);
        if still_gone && same_person && same_session && nothing_under_way {
            self.set_owner(Some(owner));
        }
    }

    /// Carries out what [`decide::decide`] says.
    fn follow_clerk(self, action: SyncAction) {
        match action {
            SyncAction::Nothing => {}
            SyncAction::ClearInstantError => {
                if let Some(instant) = self.instant.try_get_value() {
                    instant.auth().clear_error();
                }
                // Nobody's session is left to own.
                self.set_owner(None);
            }
            SyncAction::SignOutOfInstant => {
                // Clerk's session ended without a Sign out here (revoked on
                // the server, say): other tabs still on it hear of Instant's
                // sign-out before their Clerk hears of its own, and the
                // marker has them say "Signing out…" meanwhile instead of
                // offering to sign in to Instant again. A page that loaded
                // after the session ended never knew its id: it names the
                // Clerk user the Instant session was made for instead.
                let ended = self
                    .last_clerk_session
                    .try_get_untracked()
                    .flatten()
                    .or_else(|| self.owner.try_get_untracked().flatten());
                if let Some(id) = ended {
                    write_marker(&self.sign_out_marker_key.get_value(), Some(&id));
                }
                // Signed out here at once: nothing to wait for but the revoke.
                spawn_local(self.sign_out_of_instant());
            }
            SyncAction::SwitchAccount => {
                // The old session's revoke (if there is one) and the new
                // exchange go out together. The exchange first: its marker
                // must reach other tabs before the old session's end, which
                // they would otherwise answer with a "Sign in to Instant".
                // What the previous account's Sign out left undone is not
                // the new account's to see.
                self.clerk_sign_out_error.try_set(None);
                self.spawn_exchange(false);
                spawn_local(self.sign_out_of_instant());
            }
        }
    }
}

/// Another tab may write the owner (after its own exchange or sign-out)
/// and the markers: follow them. A `None` key means storage was
/// cleared.
pub(super) fn follow_other_tabs(link: SessionLink) {
    let owner = link.owner;
    let owner_key = link.owner_key.get_value();
    let markers = [
        (
            link.sign_out_marker_key.get_value(),
            link.other_tab_signing_out,
        ),
        (
            link.sign_in_marker_key.get_value(),
            link.other_tab_signing_in,
        ),
    ];
    let clerk_sign_out_error = link.clerk_sign_out_error;
    let storage_listener = window_event_listener(leptos::ev::storage, move |event| {
        let key = event.key();
        if key.as_ref().is_none_or(|key| *key == owner_key) {
            let stored = read_owner(&owner_key);
            // Another tab's new session: why this tab's last Sign out left
            // Clerk signed in is old news.
            if stored.is_some() && clerk_sign_out_error.with_untracked(Option::is_some) {
                clerk_sign_out_error.set(None);
            }
            // The Clerk user signed in here, whose owner is gone from storage.
            let taken_away = owner.try_get_untracked().flatten().filter(|before| {
                stored.is_none()
                    && link.clerk.user_id.try_get_untracked().flatten().as_ref() == Some(before)
            });
            owner.try_set(stored);
            let shown_refresh_token = || {
                link.instant_state
                    .try_with_untracked(|state| state.user().map(|user| user.refresh_token.clone()))
                    .flatten()
            };
            if let Some(owner) = taken_away {
                if let Some(refresh_token) = shown_refresh_token() {
                    spawn_local(link.restore_owner_if_still_gone(owner, refresh_token));
                }
            }
        }
        for (marker_key, clerk_session_id) in &markers {
            if key.as_ref().is_none_or(|key| key == marker_key) {
                follow_marker(marker_key.clone(), *clerk_session_id);
            }
        }
        let signed_out_key = link.signed_out_session_key.try_get_value();
        if key.is_none() || key == signed_out_key {
            link.give_up_exchange_signed_out_elsewhere();
        }
    });
    on_cleanup(move || storage_listener.remove());
}

/// The effect that makes Instant follow Clerk (see [`decide::decide`]). Its
/// value is the Clerk state last decided on; while busy, nothing is
/// decided, so a Clerk change then is still seen afterwards. Only a Clerk
/// change calls for action, so it runs again when Clerk changes or work
/// ends; Instant's state and the owner are read as they are then.
pub(super) fn keep_instant_following_clerk(link: SessionLink) {
    let (clerk_state, instant_state) = (link.clerk.state, link.instant_state);
    let (owner, owner_key) = (link.owner, link.owner_key);
    let busy = link.busy();
    Effect::new(move |decided_on: Option<Option<ClerkState>>| {
        let decided_on = decided_on.flatten();
        let clerk = clerk_state.get();
        let busy = busy.get();
        if busy.is_some() {
            return decided_on;
        }
        let instant = instant_state.get_untracked();
        // Storage first: another tab writes the owner right after its
        // session, and its storage event may not have arrived yet. Then the
        // signal: storage that refused this tab's owner (full, blocked)
        // holds none, and the session it owns lives on in this page.
        let stored_owner = owner_key
            .try_get_value()
            .and_then(|key| read_owner(&key))
            .or_else(|| owner.get_untracked());
        let action = decide::decide(
            &clerk,
            decided_on.as_ref(),
            &instant,
            stored_owner.as_deref(),
            busy,
        );
        // Decided again once in view, when the tab where the person
        // switched has most likely made the new account's session.
        if action == SyncAction::SwitchAccount && !link.in_view.get() {
            return decided_on;
        }
        link.follow_clerk(action);
        Some(clerk)
    });
}

/// Once the page shows the stored session signed in to both, asks Instant
/// whether it still stands: after the signed-in text, never before it. A
/// check that could not get through (Instant down, or the page loaded
/// offline) is made again a while later for as long as the session shows.
/// A page kept open asks again, of whatever session it shows (one made
/// here too), when the browser is back online and when the page comes
/// back into view after [`CHECK_AFTER_HIDDEN_MS`] or more: the session may
/// have been signed out on another device meanwhile, and the page would
/// say "signed in" until reloaded.
pub(super) fn check_the_stored_session_once_shown(link: SessionLink) {
    let signed_in_to_both = link.signed_in_to_both();
    let busy = link.busy();
    let shown = move || signed_in_to_both.get() && busy.get().is_none();
    // Also false once the page is gone.
    let still_shown = move || {
        signed_in_to_both.try_get_untracked() == Some(true)
            && busy.try_get_untracked() == Some(None)
    };
    Effect::new(move |asked: Option<bool>| {
        if asked == Some(true) {
            return true;
        }
        let shown = shown();
        if shown {
            link.check_stored_instant_session(still_shown);
        }
        shown
    });
    let back_online = window_event_listener(leptos::ev::online, move |_| {
        if untrack(shown) {
            // Once: the first check's retries go on meanwhile.
            link.check_shown_instant_session();
        }
    });
    on_cleanup(move || back_online.remove());
    // Its value: since when the page has been out of view (ms since the
    // epoch), if it is.
    let in_view = link.in_view;
    Effect::new(move |hidden_since: Option<Option<f64>>| {
        let now = js_sys::Date::now();
        if !in_view.get() {
            return hidden_since.flatten().or(Some(now));
        }
        let away_long = hidden_since
            .flatten()
            .is_some_and(|since| now - since >= CHECK_AFTER_HIDDEN_MS);
        if away_long && untrack(shown) {
            link.check_shown_instant_session();
        }
        None
    });
}
