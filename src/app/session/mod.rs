//! The link between the Clerk session and the Instant session: which Clerk
//! account the stored Instant session belongs to, the token exchange, the
//! chained sign-out, and the effect that makes Instant follow Clerk.
//!
//! The Instant client knows nothing of Clerk, so the app remembers the
//! Clerk user id of the Instant session itself, in its own localStorage key.

use leptos::prelude::*;
use leptos::task::spawn_local;

mod lock;
mod storage;

pub use lock::exchange_lock_name;
use storage::{
    follow_marker, fresh_marker, marked_session, read_owner, remove_if_unchanged, write_marker,
    write_owner, SignInMarker,
};
pub use storage::{
    owner_storage_key, sign_in_marker_key, sign_out_marker_key, signed_out_session_key,
};

use super::in_view::use_page_in_view;
use super::sync::{self, Busy, SyncAction};
use super::token::token_to_exchange;
use crate::clerk::{use_clerk_auth, ClerkError, ClerkState, GetTokenOptions, UseClerkAuthReturn};
use crate::instant::{use_instant, AuthState, Instant};

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

/// Shared by the pages: see the module docs.
#[derive(Clone, Copy)]
pub struct SessionLink {
    /// The Clerk user id the Instant session was made for.
    owner: RwSignal<Option<String>>,
    /// This tab's own work under way ([`busy`](Self::busy) adds another
    /// tab's sign-out or sign-in).
    own_work: RwSignal<Option<Busy>>,
    /// The number of the latest work started here (they count up from 1).
    /// Work that later work overtook (an exchange, by a Sign out)
    /// neither carries on nor ends the later work's `own_work`.
    latest_work: StoredValue<u64>,
    /// The Clerk session another tab is signing out of (from its marker).
    other_tab_ending: RwSignal<Option<String>>,
    /// The Clerk session another tab is exchanging a token of (from its
    /// marker).
    other_tab_signing_in: RwSignal<Option<String>>,
    /// The Clerk session this tab last had (kept after a sign-out).
    last_clerk_session: Memo<Option<String>>,
    sign_out_marker_key: StoredValue<String>,
    sign_in_marker_key: StoredValue<String>,
    signed_out_session_key: StoredValue<String>,
    /// This tab's sign-in marker while its exchange is the latest work:
    /// later work (a Sign out that cuts the exchange short) or the end of
    /// the exchange takes it away at once, not when the exchange's last
    /// step returns.
    sign_in_marker: StoredValue<Option<SignInMarker>, LocalStorage>,
    /// Lets go of the exchange lock this tab's exchange holds, while that
    /// exchange is the latest work: as for the sign-in marker, later work
    /// (a Sign out that cuts the exchange short) lets it go at once, not
    /// when the exchange's last step returns (up to Clerk's and Instant's
    /// time limits later), which other tabs' exchanges and this tab's next
    /// one would wait for.
    exchange_lock: StoredValue<Option<lock::EarlyRelease>, LocalStorage>,
    /// This tab's exchange while it waits for Clerk's token: its number,
    /// when it started and the Clerk session it is for. Another tab's Sign
    /// out of that session ends it then and there (see
    /// `give_up_exchange_signed_out_elsewhere`).
    token_wait: StoredValue<Option<(u64, u64, String)>>,
    /// Why the last Sign out could not sign out of Clerk (Instant was).
    clerk_sign_out_error: RwSignal<Option<ClerkError>>,
    client_name: StoredValue<String>,
    owner_key: StoredValue<String>,
    instant: StoredValue<Instant>,
    instant_state: Signal<AuthState>,
    clerk: UseClerkAuthReturn,
    /// Whether the page is in view: a tab in the background leaves the
    /// exchanges a Clerk sign-in or switch calls for to the tab in view.
    in_view: ReadSignal<bool>,
}

impl SessionLink {
    /// Work in progress: this tab's exchange or sign-out, or else another
    /// tab's sign-out of the Clerk session this tab has (or has just lost
    /// to it: the signed-out page follows, with nothing in between), or
    /// else another tab's exchange (of any Clerk session: this tab's Clerk
    /// may not have caught up with a sign-in or switch there yet).
    pub fn busy(&self) -> Signal<Option<Busy>> {
        let (own, other_tab_ending) = (self.own_work, self.other_tab_ending);
        let other_tab_signing_in = self.other_tab_signing_in;
        let last_clerk_session = self.last_clerk_session;
        Signal::derive(move || {
            own.get().or_else(|| {
                let ours = other_tab_ending.with(|ending| {
                    ending.is_some() && last_clerk_session.with(|last| last == ending)
                });
                if ours {
                    Some(Busy::SigningOutInAnotherTab)
                } else {
                    other_tab_signing_in
                        .with(Option::is_some)
                        .then_some(Busy::SigningInInAnotherTab)
                }
            })
        })
    }

    /// Whether the page is in view (see [`use_page_in_view`]). In the
    /// background, the first exchange after a Clerk sign-in or switch waits
    /// for it: the tab in view, where the person signed in, makes it, and
    /// this one then finds that session.
    pub fn in_view(&self) -> ReadSignal<bool> {
        self.in_view
    }

    /// Why the last Sign out left Clerk signed in, until the next sign-in
    /// or sign-out attempt.
    pub fn clerk_sign_out_error(&self) -> ReadSignal<Option<ClerkError>> {
        self.clerk_sign_out_error.read_only()
    }

    /// Whether the person signed out of Instant on the Clerk session signed
    /// in now (a Sign out whose Clerk half failed, hung or was cut short by
    /// a reload, here or in another tab): then a page that mounts offers
    /// to sign in to Instant instead of doing it.
    pub fn signed_out_of_this_clerk_session(&self) -> bool {
        self.signed_out_of_this_clerk_session_since(0)
    }

    /// Whether a Sign out of the Clerk session signed in now (here or in
    /// another tab) was started at `since` (ms since the epoch) or later.
    fn signed_out_of_this_clerk_session_since(&self, since: u64) -> bool {
        self.signed_out_of_since(self.clerk_session_id().as_deref(), since)
    }

    /// Whether a Sign out of the Clerk session `clerk_session_id` (here or
    /// in another tab) was started at `since` (ms since the epoch) or later.
    fn signed_out_of_since(&self, clerk_session_id: Option<&str>, since: u64) -> bool {
        let Some(ended) = clerk_session_id else {
            return false;
        };
        self.signed_out_session_key
            .try_get_value()
            .and_then(|key| marked_session(&key))
            .is_some_and(|(written, session)| written >= since && session == ended)
    }

    /// Whether the Instant session was made for the Clerk user signed in now.
    /// From the signal, which follows storage events: the panel shows what
    /// this tab has been told. (The sync effect reads storage first, since
    /// what it decides must not wait for another tab's event.)
    pub fn owner_matches(&self) -> Signal<bool> {
        let owner = self.owner;
        let clerk_user_id = self.clerk.user_id;
        Signal::derive(move || {
            let clerk_user_id = clerk_user_id.get();
            clerk_user_id.is_some() && owner.get() == clerk_user_id
        })
    }

    /// Signed in to Clerk, and to Instant with the session made for that
    /// Clerk user: what the page shows as signed in to both.
    pub fn signed_in_to_both(&self) -> Signal<bool> {
        let clerk_signed_in = self.clerk.is_signed_in;
        let instant_state = self.instant_state;
        let owner_matches = self.owner_matches();
        Signal::derive(move || {
            clerk_signed_in.get()
                && instant_state.with(|state| state.user().is_some())
                && owner_matches.get()
        })
    }

    /// Marks `work` as under way here and returns its number. Work it
    /// overtakes no longer holds the sign-in marker, nor the exchange lock.
    fn start_work(self, work: Busy) -> u64 {
        let number = self.latest_work.try_get_value().unwrap_or_default() + 1;
        self.latest_work.try_set_value(number);
        self.drop_sign_in_marker();
        self.let_go_of_exchange_lock();
        self.own_work.try_set(Some(work));
        number
    }

    /// Takes this tab's sign-in marker away, if it holds one, and looks at
    /// the key again: no storage event tells a tab of its own writes, and
    /// another tab's marker it had seen was overwritten by this tab's (or
    /// has replaced it meanwhile).
    fn drop_sign_in_marker(self) {
        let held = self.sign_in_marker.try_update_value(Option::take).flatten();
        if let (Some(held), Some(key)) = (held, self.sign_in_marker_key.try_get_value()) {
            drop(held);
            follow_marker(key, self.other_tab_signing_in);
        }
    }

    /// Lets go of the exchange lock this tab's latest exchange holds, if it
    /// holds it.
    fn let_go_of_exchange_lock(self) {
        if let Some(held) = self.exchange_lock.try_update_value(Option::take).flatten() {
            held.release();
        }
    }

    /// Whether the work numbered `number` is the latest started here.
    fn is_latest_work(self, number: u64) -> bool {
        self.latest_work.try_get_value() == Some(number)
    }

    /// Ends the work numbered `number`, unless later work has taken its
    /// place (and ends itself).
    fn end_work(self, number: u64) {
        if self.is_latest_work(number) {
            self.drop_sign_in_marker();
            self.let_go_of_exchange_lock();
            self.own_work.try_set(None);
        }
    }

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
    fn spawn_exchange(self, fresh_token: bool) {
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

    /// The exchange numbered `work`, started at `started` (ms since the
    /// epoch). A Sign out started meanwhile ends it, here or in another tab
    /// (whose Instant sign-out this tab's client only hears of, and which
    /// has nothing to cut short before this tab holds a session), a Sign
    /// out of the Clerk session it exchanges for even when Clerk has moved
    /// on to another account's session by the time its token comes: once it
    /// has a token it neither signs in nor reports a failure, and a session
    /// it got while another tab's Sign out began is signed out again.
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
        let one_at_a_time = lock::acquire(&exchange_lock_name(&instant.config().app_id)).await;
        if !self.is_latest_work(work) || self.signed_out_of_this_clerk_session_since(started) {
            return;
        }
        // Held until this exchange ends (`one_at_a_time` is dropped) or
        // later work overtakes it (`start_work` lets go at once).
        if let Some(held) = &one_at_a_time {
            self.exchange_lock.try_set_value(Some(held.early_release()));
        }
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
        self.token_wait
            .try_set_value(exchanging_for.clone().map(|id| (work, started, id)));
        let token = token_to_exchange(
            self.clerk
                .get_token_retrying(GetTokenOptions {
                    skip_cache: fresh_token,
                })
                .await,
        );
        self.token_wait.try_update_value(|wait| {
            if wait.as_ref().is_some_and(|(waiting, ..)| *waiting == work) {
                *wait = None;
            }
        });
        if !self.is_latest_work(work)
            || self.signed_out_of_since(exchanging_for.as_deref(), started)
        {
            return;
        }
        let token = match token {
            Ok(token) => token,
            // A session another tab made meanwhile stands: the error would
            // only hide it (and the sync effect checks whose it is).
            Err(_) if auth.user().is_some() => return,
            Err(error) => {
                auth.report_error(error);
                // Nobody's session is left to own (see below).
                self.set_owner(None);
                return;
            }
        };
        // The session is now the token's: remember whose it is even if the
        // person switched accounts meanwhile (the sync effect then sees the
        // mismatch and switches). Not if it was overtaken (another tab's
        // session, a sign-out): then its owner is not this one to write.
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
        if holds_it && self.signed_out_of_since(exchanging_for.as_deref(), started) {
            // Another tab's Sign out came while the request was on its way,
            // and had no session here to end: end this one.
            spawn_local(self.sign_out_of_instant());
        } else if holds_it {
            self.set_owner(Some(clerk_user_id));
            self.tidy_sign_out_marker();
        } else if auth.user().is_none() {
            // Failed, with no session here (another tab's would have
            // arrived by now): an owner left from an earlier session would
            // pass for a session on its way (see `sync::decide`).
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
    fn give_up_exchange_signed_out_elsewhere(self) {
        let Some(Some((work, started, session))) = self.token_wait.try_get_value() else {
            return;
        };
        if self.is_latest_work(work) && self.signed_out_of_since(Some(&session), started) {
            // As later work would: the exchange stops at its next step.
            let later = work + 1;
            self.latest_work.try_set_value(later);
            self.end_work(later);
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

    /// The Clerk session signed in now (untracked).
    fn clerk_session_id(&self) -> Option<String> {
        // `try_`: an exchange calls this after its awaits.
        self.clerk
            .state
            .try_with_untracked(|clerk| clerk.session().map(|session| session.id.clone()))
            .flatten()
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

    /// Signs out of Instant here at once (and forgets the owner); the
    /// returned future is the server revoke, which runs even if not awaited.
    fn sign_out_of_instant(self) -> impl std::future::Future<Output = ()> {
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

    fn set_owner(&self, clerk_user_id: Option<String>) {
        let Some(key) = self.owner_key.try_get_value() else {
            return;
        };
        if !write_owner(&key, clerk_user_id.as_deref()) {
            leptos::logging::warn!(
                "Cannot store which Clerk account the session is for (storage blocked or full)"
            );
        }
        self.owner.try_set(clerk_user_id);
    }

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
            && self.other_tab_ending.try_get_untracked() == Some(None)
            && self.other_tab_signing_in.try_get_untracked() == Some(None);
        if still_gone && same_person && same_session && nothing_under_way {
            self.set_owner(Some(owner));
        }
    }

    /// Carries out what [`sync::decide`] says.
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
                // offering to sign in to Instant again.
                if let Some(id) = self.last_clerk_session.try_get_untracked().flatten() {
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
    let marker_key = sign_out_marker_key(&instant.config().app_id);
    let sign_in_key = sign_in_marker_key(&instant.config().app_id);
    let signed_out_key = signed_out_session_key(&instant.config().app_id);
    let owner = RwSignal::new(read_owner(&owner_key));
    let other_tab_ending = RwSignal::new(None);
    follow_marker(marker_key.clone(), other_tab_ending);
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
        other_tab_ending,
        other_tab_signing_in,
        last_clerk_session,
        sign_out_marker_key: StoredValue::new(marker_key.clone()),
        sign_in_marker_key: StoredValue::new(sign_in_key.clone()),
        signed_out_session_key: StoredValue::new(signed_out_key),
        sign_in_marker: StoredValue::new_local(None),
        exchange_lock: StoredValue::new_local(None),
        token_wait: StoredValue::new(None),
        clerk_sign_out_error: RwSignal::new(None),
        client_name: StoredValue::new(client_name),
        owner_key: StoredValue::new(owner_key.clone()),
        instant: StoredValue::new(instant),
        instant_state,
        clerk,
        in_view: use_page_in_view(),
    };
    provide_context(link);
    follow_other_tabs(link, owner_key, [marker_key, sign_in_key]);
    keep_instant_following_clerk(link);
    check_the_stored_session_once_shown(link);
    children()
}

/// Another tab may write the owner (after its own exchange or sign-out)
/// and the markers: follow them. A `None` key means storage was
/// cleared.
fn follow_other_tabs(link: SessionLink, owner_key: String, marker_keys: [String; 2]) {
    let owner = link.owner;
    let [sign_out_key, sign_in_key] = marker_keys;
    let markers = [
        (sign_out_key, link.other_tab_ending),
        (sign_in_key, link.other_tab_signing_in),
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

/// The effect that makes Instant follow Clerk (see [`sync::decide`]). Its
/// value is the Clerk state last decided on; while busy, nothing is
/// decided, so a Clerk change then is still seen afterwards. Only a Clerk
/// change calls for action, so it runs again when Clerk changes or work
/// ends; Instant's state and the owner are read as they are then.
fn keep_instant_following_clerk(link: SessionLink) {
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
        let action = sync::decide(
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
/// offline) is made again a while later for as long as the session shows,
/// and when the browser is back online.
fn check_the_stored_session_once_shown(link: SessionLink) {
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
            link.check_stored_instant_session(|| false);
        }
    });
    on_cleanup(move || back_online.remove());
}

/// The [`SessionLink`] from [`SessionLinkProvider`].
pub fn use_session_link() -> SessionLink {
    use_context::<SessionLink>()
        .expect("use_session_link() needs a <SessionLinkProvider> above the component")
}
