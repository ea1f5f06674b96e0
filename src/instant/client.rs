//! The client handle: [`init`] and [`Instant`].

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use leptos::prelude::*;

use super::state::AuthEvent;
use super::storage::{self, StoredChange, WindowListener};
use super::{Auth, AuthState, InstantConfig, UseAuthReturn};

/// A cheap, cloneable handle on one Instant app, like the JS client's
/// `init({ appId })`.
///
/// Clone it rather than calling [`init`] again: each `init` keeps its own
/// state, and only other tabs (not other handles in the same page) are
/// followed through storage events.
///
/// ```no_run
/// use clerk_instant::instant::{init, InstantConfig};
///
/// let db = init(InstantConfig::new("my-app-id"));
/// // Known at once from storage, without a request:
/// if let Some(user) = db.auth().user() {
///     leptos::logging::log!("signed in as {:?}", user.email);
/// }
/// ```
#[derive(Clone)]
pub struct Instant {
    pub(crate) inner: Arc<ClientInner>,
}

/// Makes a handle for `config` and reads the stored session synchronously,
/// so the auth state is known at once (signed in after a reload, with no
/// request). From then on the handle follows sign-in and sign-out in other
/// tabs.
///
/// A stored session may have ended on Instant meanwhile (signed out on
/// another device, user deleted): once the page shows it, call
/// [`Auth::check_stored_session`] to find out.
///
/// ```no_run
/// use clerk_instant::instant::{init, provide_instant, InstantConfig};
///
/// // In the root component: the handle, shared with the components below.
/// let db = init(InstantConfig::new("my-app-id").with_api_uri("http://127.0.0.1:8788"));
/// provide_instant(db.clone());
/// let state = db.use_auth().state;
/// ```
pub fn init(config: InstantConfig) -> Instant {
    let storage_key = storage::storage_key(&config.app_id);
    let stored = storage::load(&storage_key, &config.app_id);
    let stored_token = stored.as_ref().map(|user| user.refresh_token.clone());
    let session = Arc::new(Session {
        state: ArcRwSignal::new(AuthState::from_stored(stored)),
        generation: AtomicU64::new(0),
    });
    super::auth::retry_unrevoked(&config);
    // And again whenever the browser is back online: a Sign out made
    // offline in a page kept open would otherwise stay valid on the server
    // until the next start or sign-in, which may be days away.
    let online_listener = {
        let config = config.clone();
        storage::listen_online(move || super::auth::retry_unrevoked(&config))
    };
    // The listener holds the session, not the client, so that dropping the
    // last handle drops the listener (which removes itself from the window).
    let listener = {
        let session = Arc::clone(&session);
        let ended_key = storage::ended_key(&config.app_id);
        let config = config.clone();
        storage::listen(storage_key.clone(), config.app_id.clone(), move |change| {
            let stored = match change {
                StoredChange::SignedIn(user) => Some(user),
                StoredChange::SignedOut => None,
                StoredChange::Unreadable(raw) => {
                    revoke_if_written_over(&session, &config, &raw);
                    None
                }
            };
            // Whatever this tab had in flight is now out of date.
            session.begin();
            // A session another tab found ended (see
            // `Auth::check_stored_session`) shows here with that reason
            // too, not as a plain sign-out.
            let ended_here = stored.is_none()
                && storage::marked_ended(&ended_key).is_some_and(|ended| session.holds(&ended));
            session.apply(if ended_here {
                AuthEvent::SessionEnded
            } else {
                AuthEvent::OtherTabChanged(stored)
            });
        })
    };
    Instant {
        inner: Arc::new(ClientInner {
            config,
            storage_key,
            unchecked_stored_token: Mutex::new(stored_token),
            sign_in_started_from: Mutex::new(None),
            session,
            _listener: listener,
            _online_listener: online_listener,
        }),
    }
}

impl Instant {
    /// The configuration this handle was made with.
    pub fn config(&self) -> &InstantConfig {
        &self.inner.config
    }

    /// Sign-in and sign-out, like the JS client's `db.auth`.
    pub fn auth(&self) -> Auth {
        Auth {
            inner: Arc::clone(&self.inner),
        }
    }

    /// Reactive auth state, like the JS client's `db.useAuth()`. The signals
    /// belong to the current reactive owner (call it in a component).
    ///
    /// ```no_run
    /// use clerk_instant::instant::use_instant;
    /// use leptos::prelude::*;
    ///
    /// #[component]
    /// fn Status() -> impl IntoView {
    ///     // The handle a parent provided (`provide_instant(init(…))`): one
    ///     // per app, not one per component.
    ///     let auth = use_instant().use_auth();
    ///     move || {
    ///         if auth.is_loading.get() {
    ///             "Loading…".to_owned()
    ///         } else if let Some(error) = auth.error.get() {
    ///             format!("Error signing in to Instant! {}", error.message())
    ///         } else if let Some(user) = auth.user.get() {
    ///             format!("Signed in as {}", user.email.unwrap_or(user.id))
    ///         } else {
    ///             "Signed out".to_owned()
    ///         }
    ///     }
    /// }
    /// ```
    pub fn use_auth(&self) -> UseAuthReturn {
        UseAuthReturn::new(&self.inner.session.state)
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

/// What every clone of a handle shares.
pub(crate) struct ClientInner {
    pub(crate) config: InstantConfig,
    pub(crate) storage_key: String,
    /// The refresh token read from storage by [`init`], until
    /// [`Auth::check_stored_session`] takes it.
    pub(crate) unchecked_stored_token: Mutex<Option<String>>,
    /// The refresh token the latest sign-in sent for Instant to keep: the
    /// session it replaces, still in storage while it is in flight.
    pub(crate) sign_in_started_from: Mutex<Option<String>>,
    pub(crate) session: Arc<Session>,
    _listener: WindowListener,
    _online_listener: WindowListener,
}

impl ClientInner {
    /// The refresh token of the current session: the stored one (which other
    /// tabs may have updated), else the one in memory.
    pub(crate) fn current_refresh_token(&self) -> Option<String> {
        self.stored_refresh_token()
            .or_else(|| self.session.refresh_token())
    }

    /// The session a failure shown now ends: the one in the state, or,
    /// while a sign-in is in flight (no user in the state), the one that
    /// sign-in started from.
    pub(crate) fn session_a_failure_ends(&self) -> Option<String> {
        let signing_in = self
            .session
            .state
            .with_untracked(|state| matches!(state, AuthState::SigningIn));
        if signing_in {
            self.sign_in_started_from
                .lock()
                .ok()
                .and_then(|from| from.clone())
        } else {
            self.session.refresh_token()
        }
    }

    /// The refresh token in storage (where other tabs write), if any.
    pub(crate) fn stored_refresh_token(&self) -> Option<String> {
        storage::load(&self.storage_key, &self.config.app_id).map(|user| user.refresh_token)
    }
}

impl fmt::Debug for ClientInner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Instant")
            .field("config", &self.config)
            .field("state", &self.session.state.get_untracked())
            .finish_non_exhaustive()
    }
}

/// After another tab wrote `raw`, which this client cannot read (an
/// extension, a person, another build), over the stored session: the
/// session this tab showed is gone from storage with nobody to end it, so
/// it is revoked, unless `raw` still names its refresh token. (Each tab
/// that showed it sends one; Instant takes the later ones as done.)
fn revoke_if_written_over(session: &Session, config: &InstantConfig, raw: &str) {
    if let Some(refresh_token) = session
        .refresh_token()
        .filter(|token| !raw.contains(token.as_str()))
    {
        super::auth::revoke_in_background(config.clone(), refresh_token);
    }
}

/// The reactive auth state and a generation counter.
pub(crate) struct Session {
    pub(crate) state: ArcRwSignal<AuthState>,
    /// Bumped by every sign-in, sign-out and change from another tab, so that
    /// an answer arriving after a later call cannot overwrite that call's
    /// outcome.
    generation: AtomicU64,
}

impl Session {
    /// Starts a new generation and returns it.
    pub(crate) fn begin(&self) -> u64 {
        self.generation.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// The current generation, without starting a new one.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Whether no sign-in, sign-out or other-tab change happened since
    /// `generation` began.
    pub(crate) fn is_current(&self, generation: u64) -> bool {
        self.generation.load(Ordering::SeqCst) == generation
    }

    /// The refresh token of the session the state holds, if any.
    pub(crate) fn refresh_token(&self) -> Option<String> {
        self.state
            .with_untracked(|state| state.user().map(|user| user.refresh_token.clone()))
    }

    /// Whether the state holds the session whose refresh token is
    /// `refresh_token`.
    pub(crate) fn holds(&self, refresh_token: &str) -> bool {
        self.state.with_untracked(|state| {
            state
                .user()
                .is_some_and(|user| user.refresh_token == refresh_token)
        })
    }

    /// Applies `event`, notifying subscribers only when the state changes.
    pub(crate) fn apply(&self, event: AuthEvent) {
        let next = self.state.with_untracked(|state| state.next(event));
        if self.state.with_untracked(|state| *state != next) {
            self.state.set(next);
        }
    }
}
