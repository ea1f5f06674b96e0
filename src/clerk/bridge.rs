//! Bindings to the part of `window.Clerk` (clerk-js v6) this crate uses.
//!
//! This is the only module that talks to `window.Clerk` directly (the
//! loader only adds its script tags). Every call that can throw is bound
//! with `catch`, and every field is read with `Reflect.get` (one that
//! throws reads as `undefined`) as a [`JsValue`] and checked, so a
//! surprising clerk-js turns into a [`ClerkError`] or a state not known
//! yet, never a panic or an exception inside the wasm.

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::error::{ClerkError, Result};
use super::state::{ClerkState, ClerkUser, Resource};

#[wasm_bindgen]
extern "C" {
    /// `window.Clerk`.
    #[derive(Clone, Debug)]
    type JsClerk;

    #[wasm_bindgen(method, catch)]
    fn load(this: &JsClerk, options: &JsValue) -> std::result::Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = addListener)]
    fn add_listener(this: &JsClerk, callback: &Function) -> std::result::Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = openSignIn)]
    fn open_sign_in(this: &JsClerk, options: &JsValue) -> std::result::Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = redirectToSignIn)]
    fn redirect_to_sign_in(
        this: &JsClerk,
        options: &JsValue,
    ) -> std::result::Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = signOut)]
    fn sign_out(this: &JsClerk, callback: &JsValue) -> std::result::Result<JsValue, JsValue>;

    /// `Clerk.session`.
    type JsSession;
    #[wasm_bindgen(method, catch, js_name = getToken)]
    fn get_token(this: &JsSession, options: &JsValue) -> std::result::Result<JsValue, JsValue>;
}

/// A handle on `window.Clerk`, once its script has run.
#[derive(Clone, Debug)]
pub(crate) struct Clerk {
    js: JsClerk,
}

impl Clerk {
    /// `window.Clerk`, if a clerk-js script has defined it.
    pub(crate) fn from_window() -> Option<Self> {
        let window = web_sys::window()?;
        let value = Reflect::get(&window, &JsValue::from_str("Clerk")).ok()?;
        value.is_object().then(|| Self {
            js: value.unchecked_into(),
        })
    }

    /// `Clerk.loaded`.
    pub(crate) fn is_loaded(&self) -> bool {
        field(&self.js, "loaded").as_bool().unwrap_or(false)
    }

    /// The state clerk-js reports right now.
    pub(crate) fn state(&self) -> ClerkState {
        ClerkState::from_resources(
            self.is_loaded(),
            read_user(field(&self.js, "user")),
            read_session_id(field(&self.js, "session")),
        )
    }

    /// `Clerk.load({ ui: { ClerkUI: window.__internal_ClerkUICtor },
    /// routerPush, routerReplace })`: clerk-js v6 takes its UI from the
    /// separately loaded `@clerk/ui`; for the router functions see
    /// [`navigate_unless_here`].
    pub(crate) async fn load(&self) -> Result<()> {
        let failed = |error: JsValue| ClerkError::LoadFailed {
            message: error_message(&error),
        };
        let ui = Object::new();
        let ui_constructor = web_sys::window()
            .and_then(|window| Reflect::get(&window, &"__internal_ClerkUICtor".into()).ok())
            .unwrap_or(JsValue::UNDEFINED);
        let options = Object::new();
        Reflect::set(&ui, &"ClerkUI".into(), &ui_constructor).map_err(failed)?;
        Reflect::set(&options, &"ui".into(), &ui).map_err(failed)?;
        for (name, replace) in [("routerPush", false), ("routerReplace", true)] {
            let navigate = Closure::<dyn Fn(JsValue)>::new(move |to: JsValue| {
                navigate_unless_here(to.as_string(), replace);
            });
            Reflect::set(&options, &name.into(), &navigate.into_js_value()).map_err(failed)?;
        }
        let returned = self.js.load(&options).map_err(failed)?;
        settle(returned).await.map_err(failed)?;
        Ok(())
    }

    /// `Clerk.addListener(callback)`: `callback` gets the new state after
    /// every change (and at once, when Clerk is loaded). The listener stays
    /// until the returned guard is dropped.
    pub(crate) fn add_listener(
        &self,
        callback: impl FnMut(ClerkState) + 'static,
    ) -> Result<ListenerGuard> {
        let mut callback = callback;
        let clerk = self.clone();
        let closure = Closure::<dyn FnMut(JsValue)>::new(move |resources: JsValue| {
            let state = if resources.is_object() {
                ClerkState::from_resources(
                    clerk.is_loaded(),
                    read_user(field(&resources, "user")),
                    read_session_id(field(&resources, "session")),
                )
            } else {
                clerk.state()
            };
            callback(state);
        });
        let unsubscribe = self
            .js
            .add_listener(closure.as_ref().unchecked_ref())
            .map_err(|error| call_failed("addListener", &error))?;
        Ok(ListenerGuard {
            unsubscribe: unsubscribe.dyn_into::<Function>().ok(),
            closure: Some(closure),
        })
    }

    /// `Clerk.openSignIn()`: the sign-in modal.
    pub(crate) fn open_sign_in(&self) -> Result<()> {
        self.js
            .open_sign_in(&Object::new())
            .map(drop)
            .map_err(|error| call_failed("openSignIn", &error))
    }

    /// `Clerk.redirectToSignIn()`: the hosted sign-in page, back here after.
    pub(crate) async fn redirect_to_sign_in(&self) -> Result<()> {
        let returned = self
            .js
            .redirect_to_sign_in(&Object::new())
            .map_err(|error| call_failed("redirectToSignIn", &error))?;
        settle(returned)
            .await
            .map_err(|error| call_failed("redirectToSignIn", &error))?;
        Ok(())
    }

    /// `Clerk.signOut(callback)`, with a callback that does nothing: given
    /// none, clerk-js navigates to its `afterSignOutUrl` (`/` by default)
    /// once signed out, which from any other address loads a new page (see
    /// [`navigate_unless_here`]) and starts this app over. The page stays,
    /// and Clerk's listener tells it about the sign-out.
    pub(crate) async fn sign_out(&self) -> Result<()> {
        let stay_on_the_page = Closure::once_into_js(|| {});
        let returned = self
            .js
            .sign_out(&stay_on_the_page)
            .map_err(|error| call_failed("signOut", &error))?;
        settle(returned)
            .await
            .map_err(|error| call_failed("signOut", &error))?;
        Ok(())
    }

    /// `Clerk.session.getToken({ skipCache })`: `None` when nobody is
    /// signed in (a session with a task left counts as nobody, before the
    /// call and once it answers) or Clerk has no token to give (yet).
    pub(crate) async fn get_token(&self, skip_cache: bool) -> Result<Option<String>> {
        let session = field(&self.js, "session");
        if !session.is_object() || is_pending(&session) {
            return Ok(None);
        }
        let session: JsSession = session.unchecked_into();
        let failed = |error: JsValue| call_failed("getToken", &error);
        let options = Object::new();
        Reflect::set(&options, &"skipCache".into(), &skip_cache.into()).map_err(failed)?;
        let returned = session.get_token(&options).map_err(failed)?;
        let token = settle(returned).await.map_err(failed)?;
        // clerk-js gives a pending session a token too, which Instant
        // would take: not while the state says signed out.
        if is_pending(&field(&self.js, "session")) {
            return Ok(None);
        }
        Ok(token.as_string().filter(|token| !token.is_empty()))
    }
}

/// Where clerk-js navigates inside the site (it passes path, query and
/// hash): after a sign-in in its modal, by default to the page the modal
/// opened on. Without router functions it loads that URL as a new page,
/// which would start the app over (and reload the page it is already on),
/// so the page stays when `to` is where it is. Anywhere else loads as
/// clerk-js would have loaded it: this crate knows no router.
fn navigate_unless_here(to: Option<String>, replace: bool) {
    let (Some(to), Some(window)) = (to, web_sys::window()) else {
        return;
    };
    let location = window.location();
    let here = [location.pathname(), location.search(), location.hash()]
        .into_iter()
        .collect::<std::result::Result<String, _>>();
    if here.is_ok_and(|here| here == to) {
        return;
    }
    let Ok(origin) = location.origin() else {
        return;
    };
    let to = on_this_origin(&origin, &to);
    let _ = if replace {
        location.replace(&to)
    } else {
        location.assign(&to)
    };
}

/// `to`, from clerk-js's router functions, as a URL on `origin`. clerk-js
/// hands them a same-origin target without its origin (`/account?x#y`), so
/// the path of `http://app//elsewhere.example/` comes as
/// `//elsewhere.example/`, which loaded as it is would leave the site.
/// Anything else (a deep link, whose origin is `null`) goes as it came.
fn on_this_origin(origin: &str, to: &str) -> String {
    if to.starts_with(['/', '\\']) {
        format!("{origin}{to}")
    } else {
        to.to_owned()
    }
}

/// Keeps a Clerk listener subscribed; dropping it unsubscribes.
pub(crate) struct ListenerGuard {
    unsubscribe: Option<Function>,
    closure: Option<Closure<dyn FnMut(JsValue)>>,
}

impl Drop for ListenerGuard {
    fn drop(&mut self) {
        match &self.unsubscribe {
            // An unsubscribe that throws leaves nothing for us to clean up.
            Some(unsubscribe) => drop(unsubscribe.call0(&JsValue::NULL)),
            // No way to unsubscribe (not clerk-js's `addListener`): the
            // listener stays callable, or Clerk's next change would throw
            // from it. It only updates state through `try_` calls, which
            // do nothing once the provider is gone.
            None => {
                if let Some(closure) = self.closure.take() {
                    closure.forget();
                }
            }
        }
    }
}

/// Awaits `value` if it is a Promise (or any thenable), else takes it as is.
async fn settle(value: JsValue) -> std::result::Result<JsValue, JsValue> {
    JsFuture::from(Promise::resolve(&value)).await
}

fn call_failed(operation: &'static str, error: &JsValue) -> ClerkError {
    ClerkError::Call {
        operation,
        message: error_message(error),
    }
}

/// The message of a thrown value: an `Error`'s message, a thrown string, or
/// whatever JavaScript prints for it.
pub(crate) fn error_message(error: &JsValue) -> String {
    let text = |value: &JsValue| value.as_string().filter(|text| !text.trim().is_empty());
    let json = |value: &JsValue| {
        js_sys::JSON::stringify(value)
            .ok()
            .and_then(|json| json.as_string())
    };
    if error.is_instance_of::<js_sys::Error>() {
        // Read as any value: js-sys's `Error::message` takes it for a
        // string, and one someone set to a number (or a getter returning
        // undefined) then throws inside the wasm, which stops every task.
        let field = |name: &str| Reflect::get(error, &name.into()).unwrap_or(JsValue::UNDEFINED);
        let message = field("message");
        let readable = match message.as_string() {
            Some(_) => text(&message),
            None => json(&message),
        };
        if let Some(message) = readable {
            return message;
        }
        let name = text(&field("name")).unwrap_or_else(|| "Error".to_owned());
        return format!("{name} without a message");
    }
    text(error)
        .or_else(|| json(error))
        .unwrap_or_else(|| "an unknown error".to_owned())
}

/// `value[name]`; `undefined` when reading it throws (a getter of
/// something other than clerk-js, a Proxy), as for a field clerk-js has
/// not set yet. Bound getters would throw inside the wasm instead, which
/// stops every task on the page.
fn field(value: &JsValue, name: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

fn optional_string(value: JsValue) -> Option<String> {
    value.as_string().filter(|text| !text.is_empty())
}

fn read_user(value: JsValue) -> Resource<ClerkUser> {
    if value.is_undefined() {
        return Resource::Unknown;
    }
    if !value.is_object() {
        return Resource::Absent;
    }
    let Some(id) = optional_string(field(&value, "id")) else {
        // A user without an id cannot be matched to anything: treat it as
        // clerk-js still settling.
        return Resource::Unknown;
    };
    let email_address = field(&value, "primaryEmailAddress");
    let email = if email_address.is_object() {
        optional_string(field(&email_address, "emailAddress"))
    } else {
        None
    };
    Resource::Present(ClerkUser {
        id,
        email,
        full_name: optional_string(field(&value, "fullName")),
        first_name: optional_string(field(&value, "firstName")),
        last_name: optional_string(field(&value, "lastName")),
    })
}

/// Whether `session` has a task left (`status: "pending"`: choosing an
/// organization, say). It is not signed in yet: clerk-js's `isSignedIn`
/// and Clerk's components, which show `SignedOut` for it, say so too, and
/// its token is not one to exchange.
fn is_pending(session: &JsValue) -> bool {
    field(session, "status").as_string().as_deref() == Some("pending")
}

fn read_session_id(value: JsValue) -> Resource<String> {
    if value.is_undefined() {
        return Resource::Unknown;
    }
    if !value.is_object() {
        return Resource::Absent;
    }
    if is_pending(&value) {
        return Resource::Absent;
    }
    match optional_string(field(&value, "id")) {
        Some(id) => Resource::Present(id),
        None => Resource::Unknown,
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn session(fields: &[(&str, &str)]) -> JsValue {
        let object = js_sys::Object::new();
        for (name, value) in fields {
            js_sys::Reflect::set(&object, &(*name).into(), &(*value).into()).unwrap();
        }
        object.into()
    }

    #[wasm_bindgen_test]
    fn router_targets_stay_on_this_origin() {
        let origin = "http://127.0.0.1:8080";
        assert_eq!(
            on_this_origin(origin, "/account?x=1#y"),
            "http://127.0.0.1:8080/account?x=1#y"
        );
        // The path of http://127.0.0.1:8080//elsewhere.example/, which
        // loaded as it is would be elsewhere.example's page; browsers read
        // a backslash as a slash there too.
        assert_eq!(
            on_this_origin(origin, "//elsewhere.example/"),
            "http://127.0.0.1:8080//elsewhere.example/"
        );
        assert_eq!(
            on_this_origin(origin, "/\\elsewhere.example/"),
            "http://127.0.0.1:8080/\\elsewhere.example/"
        );
        // A deep link clerk-js hands over whole (its origin is "null").
        assert_eq!(on_this_origin(origin, "myapp://done"), "myapp://done");
    }

    #[wasm_bindgen_test]
    fn a_pending_session_is_not_signed_in() {
        let active = session(&[("id", "sess_1"), ("status", "active")]);
        assert_eq!(read_session_id(active), Resource::Present("sess_1".into()));
        // Older clerk-js (and the emulator's) may leave the status out.
        let no_status = session(&[("id", "sess_1")]);
        assert_eq!(
            read_session_id(no_status),
            Resource::Present("sess_1".into())
        );
        let pending = session(&[("id", "sess_1"), ("status", "pending")]);
        assert_eq!(read_session_id(pending), Resource::Absent);
        assert_eq!(read_session_id(JsValue::UNDEFINED), Resource::Unknown);
        assert_eq!(read_session_id(JsValue::NULL), Resource::Absent);
    }

    /// A stand-in `Clerk` whose session answers `getToken` with "jwt" and
    /// then has `status_after` (a task can come up while the call runs).
    fn clerk_with_session(status_before: &str, status_after: &str) -> Clerk {
        let make = js_sys::Function::new_with_args(
            "before, after",
            "const clerk = { session: { status: before } };
             clerk.session.getToken = () => {
               clerk.session = { status: after, getToken: clerk.session.getToken };
               return Promise.resolve('jwt');
             };
             return clerk;",
        );
        let js = make
            .call2(&JsValue::NULL, &status_before.into(), &status_after.into())
            .unwrap();
        Clerk {
            js: js.unchecked_into(),
        }
    }

    #[wasm_bindgen_test]
    async fn a_pending_session_gives_no_token() {
        let active = clerk_with_session("active", "active");
        assert_eq!(active.get_token(false).await, Ok(Some("jwt".into())));
        let pending = clerk_with_session("pending", "pending");
        assert_eq!(pending.get_token(false).await, Ok(None));
        let turned_pending = clerk_with_session("active", "pending");
        assert_eq!(turned_pending.get_token(false).await, Ok(None));
    }
}
