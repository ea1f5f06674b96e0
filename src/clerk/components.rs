//! Components that show content by Clerk state, and the sign-in button:
//! the Leptos counterparts of Clerk's React control components.
//!
//! Like Clerk's, they render nothing while Clerk is loading, so a page
//! never flashes signed-out content at a signed-in person.

use leptos::either::Either;
use leptos::prelude::*;

use super::error::ClerkError;
use super::provider::{ClerkContext, SignInMode};
use super::state::ClerkState;

/// Renders `children` while `condition` holds; the memo keeps them from
/// being rebuilt when the state changes without flipping the condition.
fn show_while(
    state: RwSignal<ClerkState>,
    condition: fn(&ClerkState) -> bool,
    children: ChildrenFn,
) -> impl IntoView {
    let holds = Memo::new(move |_| state.with(condition));
    move || holds.get().then(|| children())
}

fn clerk_context(component: &str) -> ClerkContext {
    use_context::<ClerkContext>().unwrap_or_else(|| {
        panic!(
            "<{component}> must be placed inside <ClerkProvider>: it reads Clerk's state from it"
        )
    })
}

/// Shows its children only while someone is signed in to Clerk.
///
/// As Clerk's own, it does not remount them when Clerk switches straight
/// from one account to another (one signed-in state to the next): work
/// done once on mount for the person signed in (an exchange for an
/// Instant session, say) must also follow
/// [`UseClerkAuthReturn::user_id`](super::UseClerkAuthReturn::user_id).
#[component]
pub fn SignedIn(children: ChildrenFn) -> impl IntoView {
    let state = clerk_context("SignedIn").state;
    show_while(state, ClerkState::is_signed_in, children)
}

/// Shows its children only once Clerk has loaded and nobody is signed in.
#[component]
pub fn SignedOut(children: ChildrenFn) -> impl IntoView {
    let state = clerk_context("SignedOut").state;
    show_while(state, ClerkState::is_signed_out, children)
}

/// Shows its children while Clerk is loading (not after a failure).
#[component]
pub fn ClerkLoading(children: ChildrenFn) -> impl IntoView {
    let state = clerk_context("ClerkLoading").state;
    show_while(
        state,
        |state| matches!(state, ClerkState::Unknown),
        children,
    )
}

/// Shows its children once Clerk has loaded, signed in or not.
#[component]
pub fn ClerkLoaded(children: ChildrenFn) -> impl IntoView {
    let state = clerk_context("ClerkLoaded").state;
    show_while(state, ClerkState::is_loaded, children)
}

/// Shows `children(error)` when Clerk could not start
/// ([`ClerkState::Failed`]): a missing or malformed publishable key, or
/// clerk-js that did not load (in time).
///
/// ```no_run
/// use clerk_instant::clerk::{ClerkFailed, ClerkLoading, ClerkProvider};
/// use leptos::prelude::*;
///
/// #[component]
/// fn App() -> impl IntoView {
///     view! {
///         <ClerkProvider publishable_key="pk_test_Y2xlcmsuZXhhbXBsZS5jb20k">
///             <ClerkLoading>"Loading…"</ClerkLoading>
///             <ClerkFailed let:error>
///                 // The error says what went wrong and what to do.
///                 <p role="alert">{error.to_string()}</p>
///             </ClerkFailed>
///         </ClerkProvider>
///     }
/// }
/// ```
#[component]
pub fn ClerkFailed<F, V>(children: F) -> impl IntoView
where
    F: Fn(ClerkError) -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let state = clerk_context("ClerkFailed").state;
    let error = Memo::new(move |_| state.with(|state| state.error().cloned()));
    move || error.get().map(&children)
}

/// Which Clerk state [`Show`] waits for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShowWhen {
    /// `"signed-in"`.
    SignedIn,
    /// `"signed-out"`.
    SignedOut,
    /// Any other text: never shows, and says so in the console.
    Unrecognised(String),
}

impl From<&str> for ShowWhen {
    fn from(condition: &str) -> Self {
        match condition {
            "signed-in" => Self::SignedIn,
            "signed-out" => Self::SignedOut,
            other => Self::Unrecognised(other.to_owned()),
        }
    }
}

impl From<String> for ShowWhen {
    fn from(condition: String) -> Self {
        Self::from(condition.as_str())
    }
}

impl ShowWhen {
    fn holds(&self, state: &ClerkState) -> bool {
        match self {
            Self::SignedIn => state.is_signed_in(),
            Self::SignedOut => state.is_signed_out(),
            Self::Unrecognised(_) => false,
        }
    }
}

/// Clerk's current control component: `<Show when="signed-in">` or
/// `<Show when="signed-out">`, with an optional `fallback` for the other
/// case (the fallback too waits until Clerk has loaded). A switch from one
/// account straight to another keeps the children mounted, as for
/// [`SignedIn`].
///
/// Named like Leptos's own `Show`; import it under another name (or use
/// [`SignedIn`] / [`SignedOut`]) where both are needed.
///
/// ```no_run
/// use clerk_instant::clerk::{Show as ClerkShow, SignInButton};
/// use leptos::prelude::*;
///
/// #[component]
/// fn Header() -> impl IntoView {
///     view! {
///         <ClerkShow when="signed-in" fallback=|| view! { <SignInButton /> }>
///             <a href="/account">"Account"</a>
///         </ClerkShow>
///     }
/// }
/// ```
#[component]
pub fn Show(
    /// `"signed-in"` or `"signed-out"`.
    #[prop(into)]
    when: ShowWhen,
    /// Shown when Clerk has loaded and the condition does not hold.
    #[prop(optional, into)]
    fallback: ViewFn,
    /// Shown when the condition holds.
    children: ChildrenFn,
) -> impl IntoView {
    let state = clerk_context("Show").state;
    if let ShowWhen::Unrecognised(condition) = &when {
        leptos::logging::warn!(
            "<Show when=\"{condition}\"> never shows: use \"signed-in\" or \"signed-out\""
        );
    }
    let holds =
        Memo::new(move |_| state.with(|state| state.is_loaded().then(|| when.holds(state))));
    move || match holds.get() {
        Some(true) => Some(Either::Left(children())),
        Some(false) => Some(Either::Right(fallback.run())),
        None => None,
    }
}

/// A `<button>` that opens Clerk's sign-in (the port of Clerk's
/// `<SignInButton>`). A click before Clerk has loaded is remembered and
/// carried out as soon as it has, if nobody is signed in by then. Why a
/// click could not open sign-in is in
/// [`UseClerkAuthReturn::sign_in_error`](super::UseClerkAuthReturn::sign_in_error).
#[component]
pub fn SignInButton(
    /// Modal over this page (the default) or Clerk's sign-in page.
    #[prop(optional)]
    mode: SignInMode,
    /// CSS class of the button.
    #[prop(optional, into)]
    class: Option<String>,
    /// The button's content; "Sign in" when empty.
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let context = clerk_context("SignInButton");
    let waiting = move || context.queued_sign_in.with(Option::is_some);
    let label = match children {
        Some(children) => Either::Left(children()),
        None => Either::Right("Sign in"),
    };
    view! {
        <button
            type="button"
            class=class
            aria-busy=move || waiting().then_some("true")
            on:click=move |_| context.start_sign_in(mode)
        >
            {label}
        </button>
    }
}
