#![cfg(target_arch = "wasm32")]
//! A `window.Clerk` that behaves oddly (a broken build, another script or a
//! browser extension in its place): what it does wrong shows as an error
//! that says so, never a panic or a page left loading. Its own test binary:
//! each test puts its own stand-in in `window.Clerk`, which the loader then
//! takes for clerk-js (and which a real Clerk loaded in the same page would
//! replace).

mod app_support;

use std::time::Duration;

use app_support::*;
use clerk_instant::clerk::{
    use_clerk_auth, ClerkFailed, ClerkLoading, ClerkProvider, SignedIn, SignedOut,
};
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
// The value a stand-in's load() rejects with, by name.
function rejection(kind) {
  switch (kind) {
    case 'undefined': return undefined;
    case 'string': return 'the frontend API said no';
    case 'object': return { code: 'bad_key' };
    case 'cyclic': { const value = {}; value.self = value; return value; }
    case 'error-without-message': return new Error();
    case 'error-with-number-message': {
      // An Error whose message someone overwrote with a number.
      const error = new Error('overwritten');
      error.message = 404;
      return error;
    }
    case 'error-with-undefined-message': {
      class OddError extends Error { get message() { return undefined; } }
      return new OddError();
    }
  }
  throw new Error('unknown rejection kind ' + kind);
}
export function install_clerk_whose_load_rejects_with(kind) {
  window.Clerk = { loaded: false, load: () => Promise.reject(rejection(kind)) };
}
export function install_clerk_that_never_says_it_loaded() {
  // load() resolves, but `loaded` stays false and no listener is ever
  // told of a state.
  window.Clerk = {
    loaded: false,
    user: undefined,
    session: undefined,
    load: () => Promise.resolve(),
    addListener: () => () => {},
  };
}
export function install_loaded_clerk_whose_get_token_resolves_to(kind) {
  const token = kind === 'number' ? 42 : kind === 'object' ? { jwt: 'x' } : rejection(kind);
  const rejects = kind.startsWith('error');
  window.Clerk = {
    loaded: true,
    user: { id: 'user_odd', primaryEmailAddress: null },
    session: {
      id: 'sess_odd',
      getToken: () => (rejects ? Promise.reject(token) : Promise.resolve(token)),
    },
    addListener: () => () => {},
  };
}
export function install_loaded_clerk_whose_getters_throw_once() {
  // Every field clerk-js has throws at its first read (a Proxy, a getter
  // of another script, a half-torn-down object), then reads as a signed-in
  // clerk-js would; `report()` calls the listeners, as clerk-js does after
  // a change.
  const listeners = [];
  const once = (value) => {
    let thrown = false;
    return () => {
      if (!thrown) { thrown = true; throw new Error('not yet'); }
      return value;
    };
  };
  const email = {};
  Object.defineProperty(email, 'emailAddress', { get: once('ada@example.com') });
  const user = {};
  Object.defineProperty(user, 'id', { get: once('user_odd') });
  Object.defineProperty(user, 'primaryEmailAddress', { get: once(email) });
  for (const name of ['fullName', 'firstName', 'lastName']) {
    Object.defineProperty(user, name, { get: once(null) });
  }
  const session = { getToken: () => Promise.resolve('t') };
  Object.defineProperty(session, 'id', { get: once('sess_odd') });
  const clerk = {
    addListener: (listener) => { listeners.push(listener); return () => {}; },
    report: () => listeners.forEach((listener) => listener({ user, session })),
  };
  Object.defineProperty(clerk, 'loaded', { get: once(true) });
  Object.defineProperty(clerk, 'user', { get: once(user) });
  Object.defineProperty(clerk, 'session', { get: once(session) });
  window.Clerk = clerk;
}
export function install_clerk_whose_add_listener_returns_nothing() {
  // clerk-js returns a function that unsubscribes; this one keeps every
  // listener for good, and calls them after every change.
  const listeners = [];
  window.Clerk = {
    loaded: true,
    user: null,
    session: null,
    addListener: (listener) => { listeners.push(listener); },
    report: () => listeners.forEach((listener) => listener({ user: null, session: null })),
  };
}
export function clerk_report_throws() {
  try { window.Clerk.report(); return null; } catch (error) { return String(error); }
}
export function clerk_reports() {
  window.Clerk.report();
}
"#)]
extern "C" {
    fn install_loaded_clerk_whose_getters_throw_once();
    fn clerk_reports();
    fn install_clerk_whose_add_listener_returns_nothing();
    fn clerk_report_throws() -> Option<String>;
    fn install_clerk_whose_load_rejects_with(kind: &str);
    fn install_clerk_that_never_says_it_loaded();
    fn install_loaded_clerk_whose_get_token_resolves_to(kind: &str);
}

/// `pk_test_` + base64 of `127.0.0.1:9$`: the key names a host where
/// nothing runs, which does not matter here: `window.Clerk` is already set,
/// so the loader fetches no script.
const KEY: &str = "pk_test_MTI3LjAuMC4xOjkk";

fn mount_clerk(load_timeout: Duration) -> Mounted {
    mount(move || {
        view! {
            <ClerkProvider publishable_key=KEY load_timeout=load_timeout>
                <ClerkLoading><p>"still-loading"</p></ClerkLoading>
                <ClerkFailed let:error>
                    <p>"failed: "{error.to_string()}</p>
                </ClerkFailed>
                <SignedOut><p>"signed-out-content"</p></SignedOut>
            </ClerkProvider>
        }
    })
}

#[wasm_bindgen_test]
async fn a_load_rejecting_with_an_odd_value_or_an_odd_error_says_so() {
    for (kind, said) in [
        ("undefined", "an unknown error"),
        ("string", "the frontend API said no"),
        ("object", r#"{"code":"bad_key"}"#),
        ("cyclic", "an unknown error"),
        ("error-without-message", "Error without a message"),
        // An Error whose message is not text: read as any value, never
        // taken for a string (which threw inside the wasm).
        ("error-with-number-message", "404"),
        ("error-with-undefined-message", "Error without a message"),
    ] {
        install_clerk_whose_load_rejects_with(kind);
        let app = mount_clerk(Duration::from_secs(15));
        wait_for_text(&app, "failed: Clerk failed to load").await;
        assert!(app.text().contains(said), "{kind}: {}", app.text());
        assert!(!app.text().contains("still-loading"), "{kind}");
        drop(app);
    }
}

#[wasm_bindgen_test]
async fn a_load_that_resolves_without_clerk_saying_it_loaded_fails_in_time() {
    install_clerk_that_never_says_it_loaded();
    let app = mount_clerk(Duration::from_millis(1_500));
    assert!(app.text().contains("still-loading"), "{}", app.text());
    wait_for_text(&app, "failed: ").await;
    assert!(app.text().contains("Clerk.loaded"), "{}", app.text());
    assert!(!app.text().contains("still-loading"), "{}", app.text());
    drop(app);
}

#[wasm_bindgen_test]
async fn get_token_resolving_to_a_non_string_or_rejecting_oddly_is_no_panic() {
    for kind in [
        "number",
        "object",
        "error-with-number-message",
        "error-with-undefined-message",
    ] {
        install_loaded_clerk_whose_get_token_resolves_to(kind);
        let hook = StoredValue::new_local(None);
        let app = mount(move || {
            view! {
                <ClerkProvider publishable_key=KEY>
                    {
                        hook.set_value(Some(use_clerk_auth()));
                    }
                </ClerkProvider>
            }
        });
        let auth = hook.get_value().expect("the hook ran");
        wait_until("Clerk has loaded", || auth.is_signed_in.get_untracked()).await;
        let token = auth.get_token().await;
        match kind {
            // Not a token: none, as when Clerk has none to give.
            "number" | "object" => assert_eq!(token, Ok(None), "{kind}"),
            _ => {
                let error = token.expect_err(kind).to_string();
                assert!(
                    error.contains("session token request failed"),
                    "{kind}: {error}"
                );
            }
        }
        drop(app);
    }
}

#[wasm_bindgen_test]
async fn a_clerk_whose_fields_throw_is_read_as_not_known_until_they_answer() {
    install_loaded_clerk_whose_getters_throw_once();
    let app = mount(move || {
        view! {
            <ClerkProvider publishable_key=KEY>
                <ClerkFailed let:error>
                    <p>"failed: "{error.to_string()}</p>
                </ClerkFailed>
                <SignedIn><p>"signed-in: "{move || use_clerk_auth().email.get()}</p></SignedIn>
                <SignedOut><p>"signed-out-content"</p></SignedOut>
            </ClerkProvider>
        }
    });
    let recorder = TextRecorder::start(&app);
    // Each report meets the next field that throws once; once none is
    // left, the report is followed.
    for _ in 0..10 {
        gloo_timers::future::TimeoutFuture::new(50).await;
        clerk_reports();
    }
    wait_for_text(&app, "signed-in: ada@example.com").await;
    // Not known meanwhile: a field that threw is no sign-out (a person
    // would have been offered to sign in while signed in).
    let shown = recorder.stop();
    assert!(
        !shown.iter().any(|text| text.contains("signed-out-content")),
        "a field that threw read as signed out: {shown:?}"
    );
    drop(app);
}

#[wasm_bindgen_test]
async fn a_listener_clerk_keeps_after_the_provider_has_gone_is_still_callable() {
    install_clerk_whose_add_listener_returns_nothing();
    let app = mount_clerk(Duration::from_secs(15));
    wait_for_text(&app, "signed-out-content").await;
    drop(app);
    // The provider could not unsubscribe: Clerk's next change must not
    // throw from its listener (which would stop Clerk's own code there).
    assert_eq!(clerk_report_throws(), None);
}
