//! Leptos context and the reactive auth state.

use leptos::prelude::*;

use super::{AuthState, Instant, InstantError, User};

/// The reactive auth state, like the JS client's `db.useAuth()`
/// (`isLoading`, `user`, `error`), plus the whole [`AuthState`].
///
/// Each signal only notifies when its own value changes.
#[derive(Clone, Copy, Debug)]
pub struct UseAuthReturn {
    /// True while the state is not final yet (not known yet, or signing in).
    pub is_loading: Signal<bool>,
    /// The signed-in user.
    pub user: Signal<Option<User>>,
    /// The error to show: a failed sign-in, or one the app reported.
    pub error: Signal<Option<InstantError>>,
    /// The whole state.
    pub state: Signal<AuthState>,
}

impl UseAuthReturn {
    pub(crate) fn new(state: &ArcRwSignal<AuthState>) -> Self {
        let is_loading = {
            let state = state.clone();
            Memo::new(move |_| state.with(AuthState::is_loading))
        };
        let user = {
            let state = state.clone();
            Memo::new(move |_| state.with(|state| state.user().cloned()))
        };
        let error = {
            let state = state.clone();
            Memo::new(move |_| state.with(|state| state.error().cloned()))
        };
        Self {
            is_loading: is_loading.into(),
            user: user.into(),
            error: error.into(),
            state: state.clone().into(),
        }
    }
}

/// Puts `instant` in the Leptos context of the current component, for
/// [`use_instant`], [`try_use_instant`] and [`use_auth`] in its children.
///
/// ```no_run
/// use clerk_instant::instant::{init, provide_instant, use_auth, InstantConfig};
/// use leptos::prelude::*;
///
/// #[component]
/// fn App() -> impl IntoView {
///     provide_instant(init(InstantConfig::new("my-app-id")));
///     view! { <Greeting/> }
/// }
///
/// #[component]
/// fn Greeting() -> impl IntoView {
///     let auth = use_auth();
///     move || auth.user.get().map(|user| format!("Hello {}", user.email.unwrap_or(user.id)))
/// }
/// ```
pub fn provide_instant(instant: Instant) {
    provide_context(instant);
}

/// The handle that a parent put in context with [`provide_instant`].
///
/// # Panics
///
/// When no parent called [`provide_instant`]; the message says so. Use
/// [`try_use_instant`] where the handle is optional.
#[track_caller]
pub fn use_instant() -> Instant {
    try_use_instant().expect(
        "use_instant(): no Instant client in context. Call \
         provide_instant(init(InstantConfig::new(app_id))) in a parent component first.",
    )
}

/// The handle that a parent put in context, or `None` when there is none.
pub fn try_use_instant() -> Option<Instant> {
    use_context::<Instant>()
}

/// `use_instant().use_auth()`: the reactive auth state of the handle in
/// context.
///
/// # Panics
///
/// Like [`use_instant`], when no parent called [`provide_instant`].
#[track_caller]
pub fn use_auth() -> UseAuthReturn {
    use_instant().use_auth()
}

/// Like [`use_auth`], but `None` when no parent called [`provide_instant`].
pub fn try_use_auth() -> Option<UseAuthReturn> {
    try_use_instant().map(|instant| instant.use_auth())
}
