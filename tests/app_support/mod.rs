//! Shared helpers for the Clerk and app browser tests: the emulator's
//! values (given at build time), mounting, polling with a deadline, DOM
//! look-ups, the clerk-js stand-in's test hook, and the emulator's admin,
//! stats and settings endpoints.
//!
//! Tests in one binary share one page (and one `window.Clerk`), so every
//! test starts with [`reset`] and ends by signing out. What is the example
//! app's needs the `app` feature; the clerk module's tests run without it.

#![allow(dead_code)] // each test file uses its own subset

#[path = "../emulator_support/mod.rs"]
mod emulator_support;

use std::time::Duration;

#[cfg(feature = "app")]
use clerk_instant::config::AppConfig;
use leptos::mount::mount_to;
use leptos::prelude::*;
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

pub use emulator_support::*;

#[wasm_bindgen(inline_js = r#"
export function clerk_loaded() {
  return !!(window.Clerk && window.Clerk.loaded);
}
export function clerk_user_id() {
  return window.Clerk && window.Clerk.user ? window.Clerk.user.id : null;
}
export function clerk_session_id() {
  return window.Clerk && window.Clerk.session ? window.Clerk.session.id : null;
}
export function emulator_sign_in(email, firstName) {
  return window.Clerk.__emulator.signIn({ emailAddress: email, firstName: firstName });
}
export function clerk_sign_out() {
  if (!window.Clerk || !window.Clerk.loaded) return Promise.resolve();
  // A callback, as the app's sign-out passes: without one, Clerk
  // navigates to its afterSignOutUrl, and from any other address that
  // loads a new page, which would end this test page.
  return window.Clerk.signOut(function () {});
}
export function clerk_close_sign_in() {
  if (window.Clerk && window.Clerk.closeSignIn) window.Clerk.closeSignIn();
}
export function clerk_tokens_withheld() {
  return window.Clerk.__emulator.tokensWithheld();
}
export function clerk_withhold_tokens(count) {
  if (window.Clerk && window.Clerk.__emulator) window.Clerk.__emulator.withholdTokens(count);
}
export function record_storage_writes() {
  const proto = Storage.prototype;
  const set = proto.setItem, remove = proto.removeItem, writes = [];
  proto.setItem = function (key, value) {
    writes.push('set ' + key);
    return set.call(this, key, value);
  };
  proto.removeItem = function (key) {
    writes.push('remove ' + key);
    return remove.call(this, key);
  };
  const stop = function () {
    proto.setItem = set;
    proto.removeItem = remove;
    delete window.__stopRecordingStorage;
    return writes;
  };
  window.__stopRecordingStorage = stop;
  return stop;
}
export function stop_recording_storage() {
  if (window.__stopRecordingStorage) window.__stopRecordingStorage();
}
export function clerk_stall_next(method) {
  window.Clerk.__emulator.stallNext(method);
}
export function clerk_fail_next_sign_out(message) {
  window.Clerk.__emulator.failNextSignOut(message);
}
export function clerk_fail_next_open_sign_in(message) {
  window.Clerk.__emulator.failNextOpenSignIn(message);
}
export function clerk_storage_key() {
  return window.Clerk && window.Clerk.__emulator ? window.Clerk.__emulator.storageKey : null;
}
export function store_and_announce(key, value) {
  // What another tab's write looks like from here.
  const oldValue = window.localStorage.getItem(key);
  window.localStorage.setItem(key, value);
  window.dispatchEvent(new StorageEvent('storage', {
    key: key, oldValue: oldValue, newValue: value, storageArea: window.localStorage,
  }));
}
export function end_clerk_session_on_server(frontendApi, key) {
  // What another tab's Clerk sign-out does before it clears storage.
  const credentials = window.localStorage.getItem(key);
  return fetch(frontendApi + '/__emulator/client/sign-out', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: credentials,
  }).then((response) => response.ok);
}
export function set_page_hidden(hidden) {
  // What the browser says when the tab goes to the background (or comes
  // back); deleting the stand-ins brings the browser's own answers back.
  if (hidden) {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
  } else {
    delete document.hidden;
    delete document.visibilityState;
  }
  document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
}
export function shift_clock(ms) {
  // Date.now() as a clock `ms` ahead reads it (0: the real clock again), for
  // what counts time passed without waiting it out.
  if (!window.__realDateNow) window.__realDateNow = Date.now;
  const real = window.__realDateNow;
  Date.now = ms ? () => real.call(Date) + ms : real;
}
export function hold_lock(name) {
  // What another tab's exchange holds: resolves once granted.
  return new Promise((granted) => {
    navigator.locks.request(name, () => new Promise((release) => {
      window.__releaseHeldLock = release;
      granted();
    }));
  });
}
export function lock_is_held(name) {
  return navigator.locks.query().then((snapshot) => snapshot.held.some((lock) => lock.name === name));
}
export function release_held_lock() {
  if (window.__releaseHeldLock) window.__releaseHeldLock();
  delete window.__releaseHeldLock;
}
export function forget_and_announce(key) {
  // What another tab's sign-out looks like from here: the key is gone and
  // a `storage` event says so.
  window.localStorage.removeItem(key);
  window.dispatchEvent(new StorageEvent('storage', {
    key: key, oldValue: 'x', newValue: null, storageArea: window.localStorage,
  }));
}
export function record_texts(root) {
  const seen = [root.textContent];
  const observer = new MutationObserver(() => seen.push(root.textContent));
  observer.observe(root, { childList: true, subtree: true, characterData: true });
  return (keepRecording) => {
    // Changes not delivered yet count too.
    if (observer.takeRecords().length) seen.push(root.textContent);
    if (!keepRecording) observer.disconnect();
    return seen.slice();
  };
}
"#)]
extern "C" {
    /// Whether `window.Clerk` has loaded.
    pub fn clerk_loaded() -> bool;
    /// `Clerk.user.id`, when signed in.
    pub fn clerk_user_id() -> Option<String>;
    /// `Clerk.session.id`, when signed in.
    pub fn clerk_session_id() -> Option<String>;
    #[wasm_bindgen(catch)]
    fn emulator_sign_in(email: &str, first_name: &str) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(catch)]
    fn clerk_sign_out() -> Result<js_sys::Promise, JsValue>;
    /// Closes the stand-in's sign-in modal, if open.
    pub fn clerk_close_sign_in();
    /// Makes the stand-in's next `count` `getToken()` calls answer `null`.
    pub fn clerk_withhold_tokens(count: u32);
    /// How many of those `null` answers the stand-in has still to give.
    pub fn clerk_tokens_withheld() -> u32;
    /// Makes the stand-in's next `signOut()` fail with `message`, as clerk-js
    /// does when Clerk cannot be reached.
    pub fn clerk_fail_next_sign_out(message: &str);
    /// Makes the stand-in's next `signOut()` or `getToken()` (`method`)
    /// never settle, as a request Clerk never answers.
    pub fn clerk_stall_next(method: &str);
    /// Makes the stand-in's next `openSignIn()` throw `message`, as clerk-js
    /// does when its UI components did not load.
    pub fn clerk_fail_next_open_sign_in(message: &str);
    /// The stand-in's localStorage key for this origin's Clerk session.
    pub fn clerk_storage_key() -> Option<String>;
    /// Stores `value` under `key` and dispatches the `storage` event
    /// another tab's write would cause.
    pub fn store_and_announce(key: &str, value: &str);
    fn end_clerk_session_on_server(frontend_api: &str, key: &str) -> js_sys::Promise;
    /// Removes `key` from localStorage and dispatches the `storage` event
    /// another tab's change would cause.
    pub fn forget_and_announce(key: &str);
    fn hold_lock(name: &str) -> js_sys::Promise;
    fn lock_is_held(name: &str) -> js_sys::Promise;
    /// Lets go of the lock [`hold_exchange_lock`] took, if it holds one.
    pub fn release_held_lock();
    /// Makes the page read as in the background (`document.hidden`), or in
    /// view again, and dispatches `visibilitychange` as the browser does.
    pub fn set_page_hidden(hidden: bool);
    /// Makes `Date.now()` read `ms` later than it is (0: the real time
    /// again, as [`reset`] does).
    pub fn shift_clock(ms: f64);
    fn record_texts(root: &web_sys::HtmlElement) -> js_sys::Function;
    fn record_storage_writes() -> js_sys::Function;
    /// Ends a recording of storage writes a failed test left going.
    fn stop_recording_storage();
}

/// This page's localStorage writes from [`StorageWrites::start`] on, in
/// order: `set <key>` and `remove <key>`. Recording ends at `stop` (or at
/// the next [`reset`], after a failed test: wasm does not unwind, so no
/// `Drop` would run).
pub struct StorageWrites {
    stop: js_sys::Function,
}

impl StorageWrites {
    pub fn start() -> Self {
        Self {
            stop: record_storage_writes(),
        }
    }

    pub fn stop(self) -> Vec<String> {
        let writes = self.stop.call0(&JsValue::NULL).unwrap();
        js_sys::Array::from(&writes)
            .iter()
            .filter_map(|write| write.as_string())
            .collect()
    }
}

/// Every text a mounted view showed from [`TextRecorder::start`] on: what
/// passed by between two looks, too.
pub struct TextRecorder {
    stop: js_sys::Function,
}

impl TextRecorder {
    /// Starts recording `mounted`'s text at each change.
    pub fn start(mounted: &Mounted) -> Self {
        Self {
            stop: record_texts(&mounted.root),
        }
    }

    /// Stops, and gives the texts in the order they showed.
    pub fn stop(self) -> Vec<String> {
        self.texts(false)
    }

    /// The texts so far, in the order they showed; recording goes on.
    pub fn seen(&self) -> Vec<String> {
        self.texts(true)
    }

    fn texts(&self, keep_recording: bool) -> Vec<String> {
        let seen = self
            .stop
            .call1(&JsValue::NULL, &JsValue::from_bool(keep_recording))
            .unwrap_or(JsValue::NULL);
        js_sys::Array::from(&seen)
            .iter()
            .filter_map(|text| text.as_string())
            .collect()
    }
}

/// The configuration the app was built with (the emulator's values).
#[cfg(feature = "app")]
pub fn config() -> AppConfig {
    AppConfig::from_build_env()
}

// --- page and storage ---------------------------------------------------

pub fn page_window() -> web_sys::Window {
    web_sys::window().expect("a browser window")
}

pub fn page_document() -> web_sys::Document {
    page_window().document().expect("a document")
}

pub fn local_storage() -> web_sys::Storage {
    page_window()
        .local_storage()
        .expect("localStorage")
        .expect("localStorage")
}

/// The Instant client's storage key.
pub fn instant_storage_key() -> String {
    format!("instant.{}.user", app_id())
}

/// The Instant client's key for refresh tokens whose revoke could not
/// reach Instant (space-separated).
pub fn unrevoked_storage_key() -> String {
    format!("instant.{}.unrevoked", app_id())
}

/// The stored Instant session, parsed.
pub fn stored_instant_user() -> Option<Value> {
    local_storage()
        .get_item(&instant_storage_key())
        .unwrap()
        .and_then(|raw| serde_json::from_str(&raw).ok())
}

/// The refresh token of the stored Instant session (there must be one).
pub fn refresh_token_of_stored_session() -> String {
    stored_instant_user().expect("a stored Instant session")["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_owned()
}

/// The Clerk user id the app recorded as the Instant session's owner.
#[cfg(feature = "app")]
pub fn stored_owner() -> Option<String> {
    local_storage()
        .get_item(&clerk_instant::app::owner_storage_key(app_id()))
        .unwrap()
        .and_then(|raw| serde_json::from_str(&raw).ok())
}

/// Another tab's Clerk sign-out, as this tab sees it: the session ends on
/// the server, then Clerk's key goes from storage (with a `storage`
/// event). Like clerk-js, the stand-in then asks the server before it
/// shows the sign-out.
pub async fn another_tab_signs_out_of_clerk() {
    let key = clerk_storage_key().expect("the stand-in's storage key");
    let ended = JsFuture::from(end_clerk_session_on_server(clerk_api(), &key))
        .await
        .expect("the emulator answers");
    assert_eq!(
        ended.as_bool(),
        Some(true),
        "the emulator ended the session"
    );
    forget_and_announce(&key);
}

/// The key of the app's Sign out marker, which a tab holds while its Sign
/// out is under way.
#[cfg(feature = "app")]
pub fn sign_out_marker_key() -> String {
    clerk_instant::app::sign_out_marker_key(app_id())
}

/// The key of the app's sign-in marker, which a tab holds while its
/// exchange is under way.
#[cfg(feature = "app")]
pub fn sign_in_marker_key() -> String {
    clerk_instant::app::sign_in_marker_key(app_id())
}

/// The prefix of the keys a test fills localStorage with.
pub const STORAGE_FILLER: &str = "test-filler-";

/// Removes what a test filled localStorage with (a failed test cannot:
/// on wasm a panic aborts, so no `Drop` runs).
pub fn forget_storage_filler() {
    let storage = local_storage();
    let keys: Vec<String> = (0..storage.length().unwrap_or(0))
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter(|key| key.starts_with(STORAGE_FILLER))
        .collect();
    for key in keys {
        let _ = storage.remove_item(&key);
    }
}

/// Puts the page back at `/` with nobody signed in and the email claim on.
pub async fn reset() {
    // Views, and a storage recording, a failed test left going.
    unmount(|_| true);
    stop_recording_storage();
    set_page_hidden(false);
    shift_clock(0.0);
    release_held_lock();
    clerk_close_sign_in();
    clerk_withhold_tokens(0);
    sign_out_of_clerk().await;
    local_storage().remove_item(&instant_storage_key()).unwrap();
    // The app's own keys (tests of the clerk module alone build without it).
    #[cfg(feature = "app")]
    for key in [
        clerk_instant::app::owner_storage_key(app_id()),
        sign_out_marker_key(),
        sign_in_marker_key(),
        clerk_instant::app::signed_out_session_key(app_id()),
    ] {
        local_storage().remove_item(&key).unwrap();
    }
    local_storage()
        .remove_item(&format!("instant.{}.ended", app_id()))
        .unwrap();
    // Revokes a test made unreachable on purpose: not for later tests to send.
    local_storage()
        .remove_item(&unrevoked_storage_key())
        .unwrap();
    forget_storage_filler();
    set_email_claim(true).await;
    go_to("/");
}

/// Takes the lock the app's exchanges hold, as another tab's exchange
/// does, until [`release_held_lock`] (or the next [`reset`]).
#[cfg(feature = "app")]
pub async fn hold_exchange_lock() {
    JsFuture::from(hold_lock(&clerk_instant::app::exchange_lock_name(app_id())))
        .await
        .expect("the exchange lock");
}

/// Whether anyone in this browser (the app's exchange, or
/// [`hold_exchange_lock`]) holds the lock the app's exchanges hold.
#[cfg(feature = "app")]
pub async fn exchange_lock_is_held() -> bool {
    JsFuture::from(lock_is_held(&clerk_instant::app::exchange_lock_name(
        app_id(),
    )))
    .await
    .expect("navigator.locks.query")
    .is_truthy()
}

/// Whether Clerk's sign-in modal is open.
pub fn sign_in_dialog_is_open() -> bool {
    page_document()
        .query_selector("[role=dialog]")
        .unwrap()
        .is_some()
}

/// Changes the URL without a reload (what a router sees on start).
pub fn go_to(path: &str) {
    page_window()
        .history()
        .unwrap()
        .replace_state_with_url(&JsValue::NULL, "", Some(path))
        .unwrap();
}

/// The current path.
pub fn path() -> String {
    page_window().location().pathname().unwrap()
}

// --- mounting -------------------------------------------------------------

/// A fresh element in the body, to mount into.
pub fn fresh_root() -> web_sys::HtmlElement {
    let root = page_document().create_element("div").unwrap();
    page_document().body().unwrap().append_child(&root).unwrap();
    root.unchecked_into()
}

type MountHandle = leptos::mount::UnmountHandle<leptos::tachys::view::any_view::AnyViewState>;

thread_local! {
    /// Every view mounted and not yet unmounted, by id. A test that panics
    /// never drops its [`Mounted`] (wasm does not unwind), and its app would
    /// go on reacting to Clerk in the tests after it: [`reset`] unmounts
    /// what such a test left.
    static MOUNTED: std::cell::RefCell<Vec<(u64, web_sys::HtmlElement, MountHandle)>> =
        const { std::cell::RefCell::new(Vec::new()) };
    static NEXT_MOUNT_ID: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// What the page shows after letting a wrong turn happen: what a person
/// would see for the next moment. The app decides as soon as Clerk's
/// change reaches it, so a wrong turn shows at once (the header's
/// "signing in…", say); the pause covers what would follow from it.
pub async fn text_a_moment_later(app: &Mounted) -> String {
    gloo_timers::future::TimeoutFuture::new(200).await;
    leptos::task::tick().await;
    app.text()
}

/// A mounted view and its element; unmounts and removes the element when
/// dropped.
pub struct Mounted {
    pub root: web_sys::HtmlElement,
    id: u64,
}

impl Mounted {
    /// The element's text.
    pub fn text(&self) -> String {
        self.root.text_content().unwrap_or_default()
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        unmount(|id| id == self.id);
    }
}

/// Unmounts the views whose id `which` picks, and removes their elements.
fn unmount(which: impl Fn(u64) -> bool) {
    let picked: Vec<_> = MOUNTED.with_borrow_mut(|mounted| {
        let (picked, kept) = mounted.drain(..).partition(|(id, _, _)| which(*id));
        *mounted = kept;
        picked
    });
    // Dropped outside the borrow: unmounting runs cleanups that may mount.
    for (_, root, handle) in picked {
        drop(handle);
        root.remove();
    }
}

/// Mounts `view` into a fresh element.
pub fn mount<V: IntoView + 'static>(view: impl FnOnce() -> V + 'static) -> Mounted {
    let root = fresh_root();
    let handle = mount_to(root.clone(), move || view().into_any());
    let id = NEXT_MOUNT_ID.replace(NEXT_MOUNT_ID.get() + 1);
    MOUNTED.with_borrow_mut(|mounted| mounted.push((id, root.clone(), handle)));
    Mounted { root, id }
}

/// Mounts the whole app with `config`.
#[cfg(feature = "app")]
pub fn mount_app(config: AppConfig) -> Mounted {
    mount(move || view! { <clerk_instant::app::ClerkInstantApp config /> })
}

/// What the app's home page says once signed in to both.
pub const SIGNED_IN: &str = "Signed in with Instant through Clerk!";

/// A [`reset`], the app mounted, and its Sign in button showing.
#[cfg(feature = "app")]
pub async fn mount_signed_out() -> Mounted {
    reset().await;
    let app = mount_app(config());
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    app
}

/// Most tests' start: a [`reset`], the app mounted, Clerk signed in as
/// `email`, and the page showing it signed in to both.
#[cfg(feature = "app")]
pub async fn mount_signed_in(email: &str) -> Mounted {
    reset().await;
    let app = mount_app(config());
    sign_in_to_clerk(email).await;
    wait_for_text(&app, SIGNED_IN).await;
    app
}

/// The header's "Clerk: … Instant: …" line.
pub fn header_summary(mounted: &Mounted) -> String {
    mounted
        .root
        .query_selector(".session-summary")
        .ok()
        .flatten()
        .and_then(|summary| summary.text_content())
        .unwrap_or_default()
}

// --- waiting ---------------------------------------------------------------

/// Waits until `mounted` shows `text`.
pub async fn wait_for_text(mounted: &Mounted, text: &str) {
    wait_for_text_within(mounted, text, DEADLINE).await;
}

/// Waits up to `limit` until `mounted` shows `text`: for a test that tells
/// an outcome apart from the same one coming later, on a timer of the
/// app's.
pub async fn wait_for_text_within(mounted: &Mounted, text: &str, limit: Duration) {
    let start = js_sys::Date::now();
    loop {
        leptos::task::tick().await;
        let last = mounted.text();
        if last.contains(text) {
            return;
        }
        if js_sys::Date::now() - start > limit.as_millis() as f64 {
            panic!(
                "waited {} s for {text:?}; the page says: {last:?}",
                limit.as_secs_f64()
            );
        }
        gloo_timers::future::TimeoutFuture::new(25).await;
    }
}

// --- DOM ---------------------------------------------------------------------

/// The first element under `root` matching `selector` whose text contains
/// `text`.
pub fn find(
    root: &web_sys::HtmlElement,
    selector: &str,
    text: &str,
) -> Option<web_sys::HtmlElement> {
    let nodes = root.query_selector_all(selector).unwrap();
    (0..nodes.length())
        .filter_map(|i| nodes.item(i))
        .filter_map(|node| node.dyn_into::<web_sys::HtmlElement>().ok())
        .find(|element| {
            element
                .text_content()
                .unwrap_or_default()
                .trim()
                .contains(text)
        })
}

/// Clicks the button labelled `label`, then lets Leptos react.
pub async fn click_button(mounted: &Mounted, label: &str) {
    let button = find(&mounted.root, "button", label)
        .unwrap_or_else(|| panic!("no {label:?} button; the page says: {:?}", mounted.text()));
    button.click();
    leptos::task::tick().await;
}

/// Clicks the link labelled `label`, then lets Leptos react.
pub async fn click_link(mounted: &Mounted, label: &str) {
    let link = find(&mounted.root, "a", label)
        .unwrap_or_else(|| panic!("no {label:?} link; the page says: {:?}", mounted.text()));
    link.click();
    leptos::task::tick().await;
}

/// The text of the main navigation's link marked as the current page.
pub fn current_nav_link(mounted: &Mounted) -> Option<String> {
    mounted
        .root
        .query_selector(r#"nav a[aria-current="page"]"#)
        .unwrap()
        .and_then(|link| link.text_content())
}

/// Whether focus is on the page's status area (or inside it), not lost to
/// the body.
pub fn focus_is_in_status_region(mounted: &Mounted) -> bool {
    let region = mounted
        .root
        .query_selector(".status-region")
        .unwrap()
        .expect("a status region");
    let active = page_document().active_element();
    active.is_some_and(|active| region.contains(Some(&active)))
}

/// Focuses the button labelled `label` (as Tab would), then clicks it.
pub async fn focus_and_click_button(mounted: &Mounted, label: &str) {
    let button = find(&mounted.root, "button", label)
        .unwrap_or_else(|| panic!("no {label:?} button; the page says: {:?}", mounted.text()));
    button.focus().unwrap();
    button.click();
    leptos::task::tick().await;
}

/// Whether `mounted` has a button whose whole text is `label` ("Sign in" is
/// Clerk's button, not "Sign in to Instant").
pub fn has_button(mounted: &Mounted, label: &str) -> bool {
    let buttons = mounted.root.query_selector_all("button").unwrap();
    (0..buttons.length())
        .filter_map(|i| buttons.item(i))
        .any(|button| button.text_content().unwrap_or_default().trim() == label)
}

// --- Clerk ---------------------------------------------------------------------

/// Signs in through the stand-in's test hook (the picker's code path).
pub async fn sign_in_to_clerk(email: &str) {
    wait_until("Clerk has loaded", clerk_loaded).await;
    let promise = emulator_sign_in(email, "Test").expect("Clerk.__emulator.signIn");
    JsFuture::from(promise)
        .await
        .expect("the emulator signs in anyone");
}

/// Signs out of Clerk, if it has loaded.
pub async fn sign_out_of_clerk() {
    if let Ok(promise) = clerk_sign_out() {
        let _ = JsFuture::from(promise).await;
    }
}

// --- emulator endpoints ----------------------------------------------------------
