//! One measured page load: the script Chromium runs before the page's own,
//! the two scenarios, and what a load records.

use std::time::Duration;

use e2e::{Browser, Harness, RequestCounts};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::{webdriver_error, Error, Result};

/// The text the app shows once signed in to both Clerk and Instant.
const SIGNED_IN_TEXT: &str = "Signed in with Instant through Clerk!";
/// The Clerk account the benchmark signs in with.
const EMAIL: &str = "bench@example.com";
/// How long one load may take before the run is called failed.
const LOAD_LIMIT: Duration = Duration::from_secs(20);

/// Runs in every new document before the page's own scripts.
fn instrumentation_script() -> String {
    format!(
        r#"(() => {{
  const TEXT = {text};
  let signedIn;
  const marks = {{
    wasmInstantiated: null,
    signedIn: null,
    whenSignedIn: new Promise((resolve) => {{ signedIn = resolve; }}),
  }};
  Object.defineProperty(window, '__bench', {{ value: marks }});
  for (const name of ['instantiate', 'instantiateStreaming']) {{
    const original = WebAssembly[name];
    if (typeof original !== 'function') continue;
    WebAssembly[name] = function (...args) {{
      return original.apply(this, args).then((result) => {{
        if (marks.wasmInstantiated === null) marks.wasmInstantiated = performance.now();
        return result;
      }});
    }};
  }}
  const observer = new MutationObserver(() => {{
    if (marks.signedIn === null && document.body && document.body.textContent.includes(TEXT)) {{
      marks.signedIn = performance.now();
      observer.disconnect();
      signedIn();
    }}
  }});
  observer.observe(document, {{ childList: true, subtree: true, characterData: true }});
}})();"#,
        text = json!(SIGNED_IN_TEXT)
    )
}

/// Waits (in the page) for the signed-in mark; `false` after the limit.
const WAIT_FOR_SIGNED_IN_JS: &str = r#"
const [limit, done] = arguments;
const timer = setTimeout(() => done(false), limit);
window.__bench.whenSignedIn.then(() => { clearTimeout(timer); done(true); });
"#;

/// The marks and the page's requests, read after the load settled.
const READ_MARKS_JS: &str = r#"
const b = window.__bench;
return {
  wasmInstantiated: b.wasmInstantiated,
  signedIn: b.signedIn,
  resources: performance.getEntriesByType('resource').map((e) => ({
    name: e.name, start: e.startTime, end: e.responseEnd,
  })),
};
"#;

/// One request the page made, from resource timing.
#[derive(Debug, Clone, Deserialize)]
struct Resource {
    name: String,
    start: f64,
    end: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Marks {
    wasm_instantiated: Option<f64>,
    signed_in: Option<f64>,
    resources: Vec<Resource>,
}

/// The two scenarios of the issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scenario {
    /// (a) Clerk signed in, no Instant session stored: one exchange.
    FirstSignIn,
    /// (b) Reload with the Instant session stored.
    Reload,
}

impl Scenario {
    pub(crate) fn title(self) -> &'static str {
        match self {
            Scenario::FirstSignIn => "(a) first sign-in, Clerk session present",
            Scenario::Reload => "(b) reload, Instant session stored",
        }
    }
}

/// One measured page load. Times in ms since navigation start.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Sample {
    /// `WebAssembly.instantiate*` resolved.
    pub(crate) wasm_instantiated_ms: f64,
    /// The signed-in text was in the DOM.
    pub(crate) signed_in_ms: f64,
    /// `signed_in_ms - wasm_instantiated_ms`.
    pub(crate) after_wasm_ms: f64,
    /// The wasm file finished downloading.
    pub(crate) wasm_downloaded_ms: Option<f64>,
    /// The last request to Clerk's host that started before the signed-in
    /// text finished (scripts, client state, token).
    pub(crate) clerk_done_ms: Option<f64>,
    /// The page's fetches to the Instant API during the load.
    pub(crate) instant_requests: usize,
    /// …of which started before the signed-in text showed.
    pub(crate) instant_requests_before_signed_in: usize,
    /// The emulator's count of exchange calls during the load.
    pub(crate) exchange_calls: u64,
    /// The emulator's count of refresh-token checks during the load.
    pub(crate) verify_calls: u64,
    /// The emulator's count of sign-out calls during the load.
    pub(crate) signout_calls: u64,
    /// Every request of the load (resource timing), for a closer look.
    pub(crate) requests: Vec<Request>,
}

/// One request of a load, in ms since navigation start.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Request {
    pub(crate) url: String,
    pub(crate) start_ms: f64,
    pub(crate) end_ms: f64,
}

pub(crate) struct Bench<'h> {
    pub(crate) harness: &'h Harness,
    pub(crate) browser: Browser,
    pub(crate) url: String,
    pub(crate) settle: Duration,
}

impl Bench<'_> {
    /// Opens Chromium with the instrumentation and signs in to Clerk (and,
    /// through the app, to Instant) once.
    pub(crate) async fn start(harness: &Harness, settle: Duration) -> Result<Bench<'_>> {
        let browser = harness.open_browser().await?;
        let bench = Bench {
            harness,
            browser,
            url: harness.url("/"),
            settle,
        };
        bench
            .cdp(
                "Page.addScriptToEvaluateOnNewDocument",
                json!({ "source": instrumentation_script() }),
            )
            .await?;
        bench.browser.goto(&bench.url).await?;
        // The stand-in's test hook: the picker's "choose account" path.
        let signed_in = bench
            .browser
            .client()
            .execute_async(
                r#"
const [email, done] = arguments;
const deadline = Date.now() + 15000;
const attempt = () => {
  if (window.Clerk && window.Clerk.loaded) {
    window.Clerk.__emulator.signIn({ emailAddress: email, firstName: 'Bench', lastName: 'Mark' })
      .then(() => done('ok'), (e) => done(String(e)));
  } else if (Date.now() > deadline) {
    done('Clerk did not load within 15 s');
  } else {
    setTimeout(attempt, 20);
  }
};
attempt();
"#,
                vec![json!(EMAIL)],
            )
            .await
            .map_err(webdriver_error(
                "signing in to Clerk with the stand-in's test hook",
            ))?;
        if signed_in.as_str() != Some("ok") {
            return Err(Error::Scenario(format!(
                "signing in to Clerk with the stand-in's test hook failed: {signed_in}"
            )));
        }
        bench
            .browser
            .wait_for_text_within(SIGNED_IN_TEXT, LOAD_LIMIT)
            .await?;
        Ok(bench)
    }

    /// ChromeDriver's CDP pass-through.
    async fn cdp(&self, command: &'static str, params: Value) -> Result<Value> {
        let session = self
            .browser
            .client()
            .session_id()
            .await
            .map_err(webdriver_error("reading the WebDriver session id"))?
            .unwrap_or_default();
        let url = format!(
            "{}/session/{session}/goog/cdp/execute",
            self.harness.chromedriver.url()
        );
        let reply: Value = reqwest::Client::new()
            .post(url)
            .json(&json!({ "cmd": command, "params": params }))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|source| Error::Cdp { command, source })?
            .json()
            .await
            .map_err(|source| Error::Cdp { command, source })?;
        Ok(reply)
    }

    /// Removes the stored Instant session (and the app's note of whose it
    /// is): every localStorage key with the Instant app id in it.
    async fn forget_instant_session(&self) -> Result<()> {
        let app_id = &self.harness.emulator.values().instant_app_id;
        let left = self
            .browser
            .client()
            .execute(
                r#"
const appId = arguments[0];
for (const key of Object.keys(localStorage)) {
  if (key.includes(appId)) localStorage.removeItem(key);
}
return Object.keys(localStorage).filter((key) => key.includes(appId)).length;
"#,
                vec![json!(app_id)],
            )
            .await
            .map_err(webdriver_error("removing the stored Instant session"))?;
        if left.as_u64() != Some(0) {
            return Err(Error::Scenario(format!(
                "the stored Instant session could not be removed ({left} keys left)"
            )));
        }
        Ok(())
    }

    async fn has_instant_session(&self) -> Result<bool> {
        let app_id = &self.harness.emulator.values().instant_app_id;
        Ok(self
            .browser
            .local_storage(&format!("instant.{app_id}.user"))
            .await?
            .is_some())
    }

    /// One page load of `scenario`, measured.
    pub(crate) async fn load(&mut self, scenario: Scenario) -> Result<Sample> {
        match scenario {
            Scenario::FirstSignIn => self.forget_instant_session().await?,
            Scenario::Reload => {
                if !self.has_instant_session().await? {
                    return Err(Error::Scenario(
                        "no Instant session is stored before the reload".into(),
                    ));
                }
            }
        }
        let before = self.harness.emulator.request_counts().await?;
        match scenario {
            Scenario::FirstSignIn => self.browser.goto(&self.url).await?,
            Scenario::Reload => self.browser.reload().await?,
        }
        let shown = self
            .browser
            .client()
            .execute_async(
                WAIT_FOR_SIGNED_IN_JS,
                vec![json!(LOAD_LIMIT.as_millis() as u64)],
            )
            .await
            .map_err(webdriver_error("waiting for the signed-in text"))?;
        if shown != json!(true) {
            let text = self.browser.page_text().await.unwrap_or_default();
            return Err(Error::Scenario(format!(
                "{}: {SIGNED_IN_TEXT:?} did not show within {} s; the page shows:\n{text}",
                scenario.title(),
                LOAD_LIMIT.as_secs()
            )));
        }
        // Requests the page makes after the text showed still belong to
        // this load.
        tokio::time::sleep(self.settle).await;
        let marks: Marks = serde_json::from_value(
            self.browser
                .client()
                .execute(READ_MARKS_JS, vec![])
                .await
                .map_err(webdriver_error("reading the marks"))?,
        )
        .map_err(|err| Error::Scenario(format!("the page's marks are malformed: {err}")))?;
        let after = self.harness.emulator.request_counts().await?;
        self.browser
            .check_console(&format!("during {}", scenario.title()))
            .await?;
        self.sample(&marks, before, after)
    }

    fn sample(&self, marks: &Marks, before: RequestCounts, after: RequestCounts) -> Result<Sample> {
        let (Some(wasm), Some(signed_in)) = (marks.wasm_instantiated, marks.signed_in) else {
            return Err(Error::Scenario(
                "the page did not record when the wasm was instantiated".into(),
            ));
        };
        let values = self.harness.emulator.values();
        let instant: Vec<&Resource> = marks
            .resources
            .iter()
            .filter(|r| r.name.starts_with(&values.instant_api_uri))
            .collect();
        let clerk_done = marks
            .resources
            .iter()
            .filter(|r| r.name.starts_with(&values.clerk_frontend_api) && r.start < signed_in)
            .map(|r| r.end)
            .fold(None, |max: Option<f64>, end| {
                Some(max.map_or(end, |m| m.max(end)))
            });
        Ok(Sample {
            wasm_instantiated_ms: wasm,
            signed_in_ms: signed_in,
            after_wasm_ms: signed_in - wasm,
            wasm_downloaded_ms: marks
                .resources
                .iter()
                .find(|r| r.name.ends_with(".wasm"))
                .map(|r| r.end),
            clerk_done_ms: clerk_done,
            instant_requests: instant.len(),
            instant_requests_before_signed_in: instant
                .iter()
                .filter(|r| r.start < signed_in)
                .count(),
            exchange_calls: after.oauth_id_token.saturating_sub(before.oauth_id_token),
            verify_calls: after
                .verify_refresh_token
                .saturating_sub(before.verify_refresh_token),
            signout_calls: after.signout.saturating_sub(before.signout),
            requests: marks
                .resources
                .iter()
                .map(|r| Request {
                    url: r.name.clone(),
                    start_ms: r.start,
                    end_ms: r.end,
                })
                .collect(),
        })
    }
}
