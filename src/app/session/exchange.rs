//! The token exchange: a Clerk token for an Instant session, one tab at a
//! time (the Web Lock in `lock`), ended by a Sign out here or elsewhere.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::lock::{self, exchange_lock_name};
use super::storage::{fresh_marker, read_owner, write_marker, SignInMarker};
use super::Busy;
use super::{SessionLink, TokenWait};
use crate::app::token::token_to_exchange;
use crate::clerk::GetTokenOptions;
use crate::instant::Auth;

impl SessionLink {
    /// Gets a Clerk token and exchanges it for an Instant session (unless
    /// an exchange or sign-out is already under way).
    pub fn exchange(self) {
        self.start_exchange(false);
    }

    /// Clears a shown error and exchanges again (the Retry button), with a
    /// fresh Clerk token: Clerk's cached one (it keeps one for up to a
    /// minute) would not carry a claim added since, say.
    pub fn retry(self) {
        if let Some(instant) = self.instant.try_get_value() {
            instant.auth().clear_error();
        }
        self.start_exchange(true);
    }

    fn start_exchange(self, fresh_token: bool) {
        if self.own_work.try_get_untracked().flatten().is_some() {
            return;
        }
        self.clerk_sign_out_error.set(None);
        self.spawn_exchange(fresh_token);
    }

    /// Starts an exchange as this tab's latest work, and ends that work
    /// when it is done. Other tabs see its sign-in marker at once and wait
    /// for its session rather than exchange too; the marker goes once the
    /// session (or the failure) is in, or later work overtakes it.
    pub(super) fn spawn_exchange(self, fresh_token: bool) {
        let work = self.start_work(Busy::Exchanging);
        // Asked for (or a new account's): a Sign out before it no longer
        // stands.
        if let Some(key) = self.signed_out_session_key.try_get_value() {
            write_marker(&key, None);
        }
        let marker = self
            .sign_in_marker_key
            .try_get_value()
            .and_then(|key| SignInMarker::write(key, &self.clerk_session_id().unwrap_or_default()));
        if marker.is_some() {
            // Storage now holds this tab's marker, not one another tab wrote.
            self.other_tab_signing_in.try_set(None);
        }
        self.sign_in_marker.try_set_value(marker);
        let started = js_sys::Date::now() as u64;
        spawn_local(async move {
            self.run_exchange(work, started, fresh_token).await;
            self.end_work(work);
        });
    }

    /// The exchange numbered `work`, started at `started` (ms since the
    /// epoch), step by step. Each step may end it:
    /// - its turn among the tabs ([`wait_for_turn`](Self::wait_for_turn)):
    ///   later work here, or a Sign out of this Clerk session since
    ///   `started`, ends it while it waits;
    /// - a session another tab stored meanwhile for the same person is
    ///   taken instead of exchanging;
    /// - Clerk's token ([`token_for`](Self::token_for)): a Sign out of the
    ///   Clerk session it is for (here, or in another tab, whose Instant
    ///   sign-out had no session here to end) ends it, even once Clerk has
    ///   moved on to another account's session; a failure is shown;
    /// - the sign-in ([`after_sign_in`](Self::after_sign_in)): the session
    ///   gets its owner, or is signed out again if another tab's Sign out
    ///   began while the request was on its way.
    async fn run_exchange(self, work: u64, started: u64, fresh_token: bool) {
        let (Some(instant), Some(client_name), Some(Some(_))) = (
            self.instant.try_get_value(),
            self.client_name.try_get_value(),
            self.clerk.user_id.try_get_untracked(),
        ) else {
            return;
        };
        let auth = instant.auth();
        // Another tab in view may be exchanging for the same Clerk sign-in
        // without its marker having reached this one yet: one at a time, and
        // a session it stored meanwhile is this tab's too.
        let stored_before = auth.stored_user().map(|user| user.refresh_token);
        let lock_name = exchange_lock_name(&instant.config().app_id);
        let Some(_turn) = self.wait_for_turn(&lock_name, work, started).await else {
            return;
        };
        // Read once this exchange's turn has come, not before its wait: Clerk
        // may have switched accounts meanwhile, and the token asked for next
        // is the account's signed in now, whose session it makes (or finds).
        let Some(Some(clerk_user_id)) = self.clerk.user_id.try_get_untracked() else {
            return;
        };
        // The Clerk session the token asked for next belongs to: a Sign out
        // of it (here or in another tab) ends this exchange, also once Clerk
        // has moved on to another account's session, whose sign-in the
        // sync effect then sees to.
        let exchanging_for = self.clerk_session_id();
        if self.another_tab_signed_in_meanwhile(&clerk_user_id, stored_before) {
            // Now, not when its `storage` events come: a page that still
            // showed no session then would exchange again.
            auth.take_stored_session();
            self.owner.try_set(Some(clerk_user_id));
            return;
        }
        let Some(token) = self
            .token_for(&auth, work, started, exchanging_for.as_deref(), fresh_token)
            .await
        else {
            return;
        };
        let signed_in = auth.sign_in_with_id_token(&client_name, &token).await;
        if !self.is_latest_work(work) {
            // Overtaken by a Sign out here, which began a new generation (the
            // sign-in changed nothing and ended a session it made) and let go
            // of the lock: another tab may have signed in since, its owner
            // not this exchange's to take away.
            return;
        }
        let holds_it = signed_in.is_ok_and(|user| {
            auth.user()
                .is_some_and(|held| held.refresh_token == user.refresh_token)
        });
        self.after_sign_in(
            &auth,
            holds_it,
            exchanging_for.as_deref(),
            started,
            clerk_user_id,
        );
    }

    /// Waits for this exchange's turn (the Web Lock `lock_name`, where the
    /// browser has Web Locks): `None` if, by then, later work overtook it or
    /// this Clerk session was signed out of since `started`. What it
    /// returns holds the turn until dropped, or until later work overtakes
    /// the exchange (`start_work` lets go at once).
    async fn wait_for_turn(
        &self,
        lock_name: &str,
        work: u64,
        started: u64,
    ) -> Option<Option<lock::HeldLock>> {
        let turn = lock::acquire(lock_name).await;
        if !self.is_latest_work(work) || self.signed_out_of_this_clerk_session_since(started) {
            return None;
        }
        if let Some(held) = &turn {
            self.exchange_lock.try_set_value(Some(held.early_release()));
        }
        Some(turn)
    }

    /// Clerk's token for the exchange `work`, which is for the Clerk
    /// session `exchanging_for`: `None` when the exchange ends here (later
    /// work, a Sign out of that session since `started`, or a failure,
    /// which is shown). Meanwhile the wait is named in `token_wait`, so
    /// that another tab's Sign out of that session ends the exchange at
    /// once rather than when Clerk answers.
    async fn token_for(
        &self,
        auth: &Auth,
        work: u64,
        started: u64,
        exchanging_for: Option<&str>,
        fresh_token: bool,
    ) -> Option<String> {
        self.token_wait
            .try_set_value(exchanging_for.map(|clerk_session_id| TokenWait {
                work,
                started,
                clerk_session_id: clerk_session_id.to_owned(),
            }));
        let token = token_to_exchange(
            self.clerk
                .get_token_retrying(GetTokenOptions {
                    skip_cache: fresh_token,
                })
                .await,
        );
        self.token_wait.try_update_value(|wait| {
            if wait.as_ref().is_some_and(|wait| wait.work == work) {
                *wait = None;
            }
        });
        if !self.is_latest_work(work) || self.signed_out_of_since(exchanging_for, started) {
            return None;
        }
        match token {
            Ok(token) => Some(token),
            // A session another tab made meanwhile stands: the error would
            // only hide it (and the sync effect checks whose it is).
            Err(_) if auth.user().is_some() => None,
            Err(error) => {
                auth.report_error(error);
                // Nobody's session is left to own (see `after_sign_in`).
                self.set_owner(None);
                None
            }
        }
    }

    /// After this tab's sign-in request, still its latest work: `holds_it`
    /// says whether it got the session this tab now shows. The session is
    /// the token's: its owner is `clerk_user_id` even if the person
    /// switched accounts meanwhile (the sync effect then sees the mismatch
    /// and switches).
    fn after_sign_in(
        &self,
        auth: &Auth,
        holds_it: bool,
        exchanging_for: Option<&str>,
        started: u64,
        clerk_user_id: String,
    ) {
        if holds_it && self.signed_out_of_since(exchanging_for, started) {
            // Another tab's Sign out came while the request was on its way,
            // and had no session here to end: end this one.
            spawn_local(self.sign_out_of_instant());
        } else if holds_it {
            self.set_owner(Some(clerk_user_id));
            self.tidy_sign_out_marker();
        } else if auth.user().is_none() {
            // Failed, with no session here (another tab's would have
            // arrived by now): an owner left from an earlier session would
            // pass for a session on its way (see `decide::decide`).
            self.set_owner(None);
        }
    }

    /// Ends this tab's exchange now if it waits for a token of a Clerk
    /// session that another tab has started to sign out of: it would stop
    /// anyway once the token came (see `run_exchange`), but a Clerk call
    /// that does not answer takes up to its time limit (15 s) to end, and
    /// meanwhile its lock, sign-in marker and "Loading…" would hold up the
    /// next sign-in, here and in other tabs. Only while it waits for the
    /// token: a sign-in request already out has its answer to see to.
    pub(super) fn give_up_exchange_signed_out_elsewhere(self) {
        let Some(Some(wait)) = self.token_wait.try_get_value() else {
            return;
        };
        if self.is_latest_work(wait.work)
            && self.signed_out_of_since(Some(&wait.clerk_session_id), wait.started)
        {
            self.overtake_work();
            self.own_work.try_set(None);
        }
    }

    /// Whether storage holds a session that was not there as this tab's
    /// exchange began (`stored_before`, its refresh token), made for
    /// `clerk_user_id`: another tab's exchange for the same person.
    fn another_tab_signed_in_meanwhile(
        &self,
        clerk_user_id: &str,
        stored_before: Option<String>,
    ) -> bool {
        let Some(instant) = self.instant.try_get_value() else {
            return false;
        };
        let stored = instant.auth().stored_user().map(|user| user.refresh_token);
        stored.is_some()
            && stored != stored_before
            && self
                .owner_key
                .try_get_value()
                .and_then(|key| read_owner(&key))
                .as_deref()
                == Some(clerk_user_id)
    }

    /// Takes away a Sign out marker that no longer counts: run out, or for
    /// a Clerk session other than this tab's. One for this tab's session
    /// stays: a Sign out of it may have started while this exchange ran.
    fn tidy_sign_out_marker(&self) {
        let Some(key) = self.sign_out_marker_key.try_get_value() else {
            return;
        };
        let here = self.clerk_session_id();
        if fresh_marker(&key).is_none_or(|(ending, _)| Some(ending) != here) {
            write_marker(&key, None);
        }
    }
}
