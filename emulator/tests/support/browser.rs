//! Real headless Chromium for tests, on the e2e crate's harness (its
//! ChromeDriver and browser session), plus a tiny app page served from its
//! own loopback origin that loads the Clerk stand-in exactly as the app does.
//!
//! Include with `#[path = "support/browser.rs"] mod browser;`.
//!
//! Every process started here is stopped on drop: chromedriver's whole
//! process group is killed and the fresh profile directory removed.

#![allow(dead_code)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use serde_json::{json, Value};

/// A headless Chromium session.
pub struct Browser {
    /// The WebDriver client.
    pub client: Client,
    session: e2e::Browser,
    _driver: e2e::ChromeDriver,
}

impl Browser {
    /// Starts chromedriver and a fresh Chromium profile.
    pub async fn start() -> Self {
        let driver = e2e::ChromeDriver::start()
            .expect("start chromedriver (Debian package chromium-driver)");
        let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("clerk-browser");
        let options = e2e::BrowserOptions {
            width: 1280,
            height: 900,
            screenshot_dir: scratch.join("screenshots"),
            profile_parent: scratch,
        };
        let session = e2e::Browser::open(driver.url(), options)
            .await
            .expect("chromedriver starts a Chromium session");
        Self {
            client: session.client().clone(),
            session,
            _driver: driver,
        }
    }

    /// Ends the session (Chromium quits); chromedriver stops on drop.
    pub async fn close(self) {
        let _ = self.session.close().await;
    }

    /// The console's errors (failed requests included) since the last
    /// call, read from ChromeDriver's log of the current tab.
    pub async fn console_problems(&self) -> Vec<String> {
        self.session
            .take_log()
            .await
            .expect("read the browser log")
            .into_iter()
            .filter(e2e::browser::LogEntry::is_problem)
            .map(|entry| format!("[{} {}] {}", entry.level, entry.source, entry.message))
            .collect()
    }

    /// Sends the Chrome DevTools Protocol `command` to the current tab
    /// (for input WebDriver cannot make, such as a key's auto-repeat).
    pub async fn cdp(&self, command: &str, params: Value) -> Value {
        self.session
            .cdp(command, params)
            .await
            .unwrap_or_else(|e| panic!("CDP {command} failed: {e}"))
    }

    /// Makes the tab match `prefers-color-scheme: dark` (or light).
    pub async fn emulate_color_scheme(&self, dark: bool) {
        let scheme = if dark {
            e2e::ColorScheme::Dark
        } else {
            e2e::ColorScheme::Light
        };
        self.session
            .emulate_color_scheme(Some(scheme))
            .await
            .expect("emulate the color scheme");
    }

    /// Runs `script` (may return a Promise, which WebDriver awaits) with
    /// `args`, panicking with the script on a WebDriver error.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Polls `script` until it returns something truthy (not null/false/""),
    /// within `timeout`; returns that value.
    pub async fn wait_for_js(&self, what: &str, script: &str, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let value = self.client.execute(script, vec![]).await;
            if let Ok(value) = &value {
                let truthy = match value {
                    Value::Null | Value::Bool(false) => false,
                    Value::String(s) => !s.is_empty(),
                    _ => true,
                };
                if truthy {
                    return value.clone();
                }
            }
            if Instant::now() > deadline {
                let state = self
                    .client
                    .execute(
                        "return document.body ? document.body.innerText : ''",
                        vec![],
                    )
                    .await
                    .ok();
                panic!("timed out waiting for {what}; last result {value:?}; page text {state:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for an element matching `css` to be displayed.
    pub async fn wait_for_css(
        &self,
        css: &str,
        timeout: Duration,
    ) -> fantoccini::elements::Element {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                if element.is_displayed().await.unwrap_or(false) {
                    return element;
                }
            }
            assert!(Instant::now() < deadline, "timed out waiting for {css}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Clicks the first element matching `css` (which must be there).
    pub async fn click_css(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("no {css} to click: {error}"))
            .click()
            .await
            .unwrap_or_else(|error| panic!("clicking {css}: {error}"));
    }

    /// Waits until no element matches `css`.
    pub async fn wait_for_css_gone(&self, css: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            // An error is the browser's, not an answer: it must not pass
            // for "gone".
            let present = match self.client.find_all(Locator::Css(css)).await {
                Ok(found) => !found.is_empty(),
                Err(error) => panic!("looking for {css}: {error}"),
            };
            if !present {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {css} to go"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// What [`Browser::fault_fetch`] does to the page's requests it applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FetchFault {
    /// Reject with `TypeError('Failed to fetch')`, as the browser does when
    /// the server cannot be reached.
    Fail,
    /// Never settle, as a server that does not answer; only the request's
    /// own `signal` ends it (rejecting with the signal's reason), so a
    /// page's time limits still work.
    Hang,
    /// Hold until the next [`Browser::fault_fetch`] (with [`Self::Pass`],
    /// say), then send without the request's `signal`, whatever the page
    /// did meanwhile: a request already on its way goes on when the page
    /// gives up on it.
    Hold,
    /// Go through, as the page's own fetch sends it.
    Pass,
}

/// The page's requests a [`FetchFault`] applies to.
#[derive(Clone, Copy, Debug)]
pub enum Requests<'a> {
    /// Every request.
    All,
    /// Those with this method (`"POST"`; a request without one is `GET`).
    Method(&'a str),
    /// Those whose URL ends with this (`"/__emulator/accounts"`).
    UrlEnding(&'a str),
}

impl Browser {
    /// From now on, the current page's `requests` get `fault`, and every
    /// other request goes through; each call replaces the last one's rule
    /// and lets the requests it held go. The first call on a page wraps
    /// the page's `fetch` as it then is (the test app's, which records
    /// `window.__fetches`, still sees what goes through); a new page has
    /// no rule. [`Self::faulted_fetches`] counts the requests the rule
    /// applied to.
    pub async fn fault_fetch(&self, requests: Requests<'_>, fault: FetchFault) {
        let (method, url_ending) = match requests {
            Requests::All => (None, ""),
            Requests::Method(method) => (Some(method.to_ascii_uppercase()), ""),
            Requests::UrlEnding(ending) => (None, ending),
        };
        let fault = match fault {
            FetchFault::Fail => "fail",
            FetchFault::Hang => "hang",
            FetchFault::Hold => "hold",
            FetchFault::Pass => "pass",
        };
        self.js(
            "var faults = window.__fetchFaults; \
             if (!faults) { \
               var next = window.fetch; \
               faults = window.__fetchFaults = { rule: null, count: 0, held: [] }; \
               window.fetch = function (input, init) { \
                 var rule = faults.rule; \
                 var url = String(input && input.url ? input.url : input); \
                 var method = String((init && init.method) || (input && input.method) || 'GET') \
                   .toUpperCase(); \
                 if (!rule || rule.fault === 'pass' || !url.endsWith(rule.urlEnding) || \
                     (rule.method && rule.method !== method)) \
                   return next.apply(this, arguments); \
                 faults.count += 1; \
                 if (rule.fault === 'fail') return Promise.reject(new TypeError('Failed to fetch')); \
                 var signal = init && init.signal; \
                 if (rule.fault === 'hang') return new Promise(function (resolve, reject) { \
                   if (!signal) return; \
                   if (signal.aborted) reject(signal.reason); \
                   signal.addEventListener('abort', function () { reject(signal.reason); }); \
                 }); \
                 var sent = Object.assign({}, init, { signal: undefined }); \
                 return new Promise(function (resolve) { faults.held.push(resolve); }) \
                   .then(function () { return next(input, sent); }); \
               }; \
             } \
             var held = faults.held; \
             faults.rule = { method: arguments[0], urlEnding: arguments[1], fault: arguments[2] }; \
             faults.count = 0; \
             faults.held = []; \
             held.forEach(function (go) { go(); }); \
             return true",
            vec![json!(method), json!(url_ending), json!(fault)],
        )
        .await;
    }

    /// How many polls (`GET /__emulator/dashboard`) the dashboard page has
    /// started since the first call on this page, which starts counting
    /// (after [`Self::fault_fetch`], so that failed polls count too). The
    /// dashboard starts a poll only once the one before it has been
    /// handled, so a poll started after an action means those before it
    /// are done.
    pub async fn dashboard_polls(&self) -> u64 {
        self.js(
            "if (window.__dashboardPolls === undefined) { \
               window.__dashboardPolls = 0; \
               var next = window.fetch; \
               window.fetch = function (input, init) { \
                 var url = String(input && input.url ? input.url : input); \
                 if (url.endsWith('/__emulator/dashboard')) window.__dashboardPolls += 1; \
                 return next.apply(this, arguments); \
               }; \
             } \
             return window.__dashboardPolls",
            vec![],
        )
        .await
        .as_u64()
        .expect("a count")
    }

    /// Waits until the dashboard has handled `handled` polls started after
    /// `since` (a [`Self::dashboard_polls`] count): that is, until it has
    /// started one more. Polls come every 2 s.
    pub async fn wait_for_dashboard_polls(&self, since: u64, handled: u64) {
        self.wait_for_js(
            &format!("{handled} dashboard polls after the action"),
            &format!("return window.__dashboardPolls >= {}", since + handled + 1),
            Duration::from_secs(30),
        )
        .await;
    }

    /// How many requests the current [`Self::fault_fetch`] rule applied to.
    pub async fn faulted_fetches(&self) -> u64 {
        self.js(
            "return window.__fetchFaults ? window.__fetchFaults.count : 0",
            vec![],
        )
        .await
        .as_u64()
        .expect("a count")
    }
}

/// A tiny app on its own loopback origin (not the Clerk role's): `/` and
/// `/other` serve the same page, which injects
/// `/npm/@clerk/ui@1/dist/ui.browser.js`, then
/// `/npm/@clerk/clerk-js@6/dist/clerk.browser.js` with
/// `data-clerk-publishable-key`, then calls
/// `Clerk.load({ ui: { ClerkUI: window.__internal_ClerkUICtor } })`, as the
/// app's loader does. The page shows the state in `#state`
/// (`data-state` = `loading` | `signed-in` | `signed-out` |
/// `in-transition` | `error`), has
/// buttons `#open-sign-in` (`Clerk.openSignIn()`) and `#sign-out`, and
/// records what `Clerk.user`/`session`/`loaded`/`status` were before load in
/// `window.__beforeLoad`, every listener call in `window.__clerkEvents` (the
/// user id, null, or `"undefined"` in transition), and every fetch URL in `window.__fetches`. It gives
/// `load()` a `routerPush` and `routerReplace` that record where Clerk
/// navigates in `window.__navigations` (path, query and hash; `replace `
/// before it for the latter), unless the URL has `?plain`.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`
    pub origin: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestApp {
    /// Serves the page for the Clerk role at `frontend_api` with `publishable_key`.
    pub async fn start(frontend_api: &str, publishable_key: &str) -> Self {
        let html = app_page(frontend_api, publishable_key);
        let page = move || {
            let html = html.clone();
            async move { axum::response::Html(html) }
        };
        let router = axum::Router::new()
            .route("/", axum::routing::get(page.clone()))
            .route("/other", axum::routing::get(page));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the test app");
        let origin = format!("http://{}", listener.local_addr().expect("address"));
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stop.await;
                })
                .await;
        });
        Self {
            origin,
            shutdown: Some(shutdown),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

fn app_page(frontend_api: &str, publishable_key: &str) -> String {
    let frontend_api = Value::String(frontend_api.to_owned()).to_string();
    let publishable_key = Value::String(publishable_key.to_owned()).to_string();
    format!(
        r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Clerk stand-in test app</title></head>
<body>
<main>
  <h1>Test app</h1>
  <p id="state" data-state="loading">Loading…</p>
  <button type="button" id="open-sign-in">Sign in</button>
  <button type="button" id="sign-out">Sign out</button>
</main>
<script>
(function () {{
  var frontendApi = {frontend_api};
  var publishableKey = {publishable_key};
  window.__clerkEvents = [];
  // Every fetch the page makes, so tests can tell a cached token from a new one.
  window.__fetches = [];
  var originalFetch = window.fetch;
  window.fetch = function (input) {{
    window.__fetches.push(String(input && input.url ? input.url : input));
    return originalFetch.apply(this, arguments);
  }};
  function inject(src, attributes) {{
    return new Promise(function (resolve, reject) {{
      var script = document.createElement('script');
      script.src = src;
      script.async = true;
      Object.keys(attributes).forEach(function (name) {{ script.setAttribute(name, attributes[name]); }});
      script.onload = resolve;
      script.onerror = function () {{ reject(new Error('cannot load ' + src)); }};
      document.head.appendChild(script);
    }});
  }}
  function render(event) {{
    var el = document.getElementById('state');
    if (event.user === undefined) {{
      el.dataset.state = 'in-transition';
      el.textContent = 'Signing in or out…';
    }} else if (event.user) {{
      el.dataset.state = 'signed-in';
      el.textContent = 'Signed in as ' + event.user.primaryEmailAddress.emailAddress;
    }} else {{
      el.dataset.state = 'signed-out';
      el.textContent = 'Signed out';
    }}
  }}
  inject(frontendApi + '/npm/@clerk/ui@1/dist/ui.browser.js', {{}})
    .then(function () {{
      return inject(frontendApi + '/npm/@clerk/clerk-js@6/dist/clerk.browser.js',
        {{ 'data-clerk-publishable-key': publishableKey }});
    }})
    .then(function () {{
      window.__beforeLoad = {{
        user: String(window.Clerk.user),
        session: String(window.Clerk.session),
        loaded: window.Clerk.loaded,
        status: window.Clerk.status
      }};
      var options = {{ ui: {{ ClerkUI: window.__internal_ClerkUICtor }} }};
      // Router functions that only record where Clerk navigates, unless
      // the page is opened with ?plain.
      window.__navigations = [];
      if (!/[?&]plain\b/.test(location.search)) {{
        options.routerPush = function (to) {{ window.__navigations.push(to); }};
        options.routerReplace = function (to) {{ window.__navigations.push('replace ' + to); }};
      }}
      return window.Clerk.load(options);
    }})
    .then(function () {{
      window.Clerk.addListener(function (event) {{
        window.__clerkEvents.push(event.user ? event.user.id : (event.user === undefined ? 'undefined' : null));
        render(event);
      }});
    }})
    .catch(function (err) {{
      var el = document.getElementById('state');
      el.dataset.state = 'error';
      el.textContent = 'Error: ' + err.message;
    }});
  document.getElementById('open-sign-in').addEventListener('click', function () {{ window.Clerk.openSignIn(); }});
  document.getElementById('sign-out').addEventListener('click', function () {{ window.Clerk.signOut(); }});
}})();
</script>
</body>
</html>
"#
    )
}
