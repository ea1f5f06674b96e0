//! The link between the Clerk session and the Instant session: which Clerk
//! account the stored Instant session belongs to, the token exchange, the
//! chained sign-out, and the effect that makes Instant follow Clerk.
//!
//! The Instant client knows nothing of Clerk, so the app remembers the
//! Clerk user id of the Instant session itself, in its own localStorage key.
//!
//! - this file: [`SessionLink`], what the pages read of it, and the count
//!   of this tab's work (an exchange or a Sign out; later work overtakes
//!   earlier);
//! - `decide`: what Instant does when Clerk moves (pure, unit-tested),
//!   and [`Busy`], the work under way that decisions wait for;
//! - `exchange`: the token exchange, one tab at a time;
//! - `sign_out`: the Sign out of both, Instant first;
//! - `follow`: the effects that keep Instant following Clerk and the
//!   other tabs, and that check a stored session once it shows;
//! - `provider`: [`SessionLinkProvider`], which starts them;
//! - `storage` and `lock`: the localStorage keys and the Web Lock.

use leptos::prelude::*;

mod decide;
mod exchange;
mod follow;
mod lock;
mod provider;
mod sign_out;
mod storage;

pub use decide::Busy;
pub use lock::exchange_lock_name;
pub use provider::{use_session_link, SessionLinkProvider};
use storage::{follow_marker, marked_session, write_owner, SignInMarker};
pub use storage::{
    owner_storage_key, sign_in_marker_key, sign_out_marker_key, signed_out_session_key,
};

use crate::clerk::{ClerkError, UseClerkAuthReturn};
use crate::instant::{AuthState, Instant};

/// An exchange waiting for Clerk's token.
#[derive(Clone)]
struct TokenWait {
    /// Its work number.
    work: u64,
    /// When it started (ms since the epoch).
    started: u64,
    /// The Clerk session it is for.
    clerk_session_id: String,
}

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
    /// The Clerk session another tab is signing out of (from its marker),
    /// or the Clerk user, from a page that never knew the session.
    other_tab_signing_out: RwSignal<Option<String>>,
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
    /// This tab's exchange while it waits for Clerk's token. Another tab's
    /// Sign out of the Clerk session it is for ends it then and there (see
    /// `give_up_exchange_signed_out_elsewhere`).
    token_wait: StoredValue<Option<TokenWait>>,
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
        let (own, other_tab_signing_out) = (self.own_work, self.other_tab_signing_out);
        let other_tab_signing_in = self.other_tab_signing_in;
        let last_clerk_session = self.last_clerk_session;
        let clerk_user = self.clerk.user_id;
        Signal::derive(move || {
            own.get().or_else(|| {
                // A marker names the Clerk session, or the Clerk user when
                // the tab that wrote it never knew the session (see
                // `SyncAction::SignOutOfInstant`).
                let ours = other_tab_signing_out.with(|ending| {
                    ending.is_some()
                        && (last_clerk_session.with(|last| last == ending)
                            || clerk_user.with(|user| user == ending))
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
    ///
    /// [`use_page_in_view`]: crate::app::in_view::use_page_in_view
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

    /// Marks `work` as under way here and returns its number.
    fn start_work(self, work: Busy) -> u64 {
        let number = self.overtake_work();
        self.own_work.try_set(Some(work));
        number
    }

    /// Counts a new piece of work, which the work under way (if any) stops
    /// for at its next step: from now on that work no longer holds the
    /// sign-in marker, nor the exchange lock. Returns the new number.
    fn overtake_work(self) -> u64 {
        let number = self.latest_work.try_get_value().unwrap_or_default() + 1;
        self.latest_work.try_set_value(number);
        self.drop_sign_in_marker();
        self.let_go_of_exchange_lock();
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

    /// The Clerk session signed in now (untracked).
    fn clerk_session_id(&self) -> Option<String> {
        // `try_`: an exchange calls this after its awaits.
        self.clerk
            .state
            .try_with_untracked(|clerk| clerk.session().map(|session| session.id.clone()))
            .flatten()
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
}
