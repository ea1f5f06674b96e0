//! `bench_app`: the app's size and speed, measured in headless Chromium
//! against the emulator. Run through `cargo xtask bench`, which builds the
//! release app into `target/bench/dist` and starts an in-memory emulator;
//! `cargo run -p e2e --bin bench_app` alone also works (the harness then
//! starts an emulator and builds the app itself).
//!
//! It measures
//! 1. what the app ships (every file of the dist dir: wasm after wasm-opt,
//!    JS glue, CSS, index.html), raw and gzip (level 9); clerk-js is not
//!    the app's (it comes from Clerk's host);
//! 2. time from navigation start to the text "Signed in with Instant
//!    through Clerk!" for (a) a first sign-in (Clerk session present, no
//!    Instant session stored) and (b) a reload with the Instant session
//!    stored, split at the moment `WebAssembly.instantiate(Streaming)`
//!    resolved; median and p90;
//! 3. requests to the Instant API per load: the page's own fetches
//!    (resource timing, with those started before the signed-in text
//!    showed) and the emulator's server-side counters.
//!
//! The marks come from a script Chromium runs before the page's own
//! (`Page.addScriptToEvaluateOnNewDocument` through ChromeDriver's CDP
//! pass-through): it wraps `WebAssembly.instantiate*` and watches the DOM
//! with a `MutationObserver`. The app is not changed for it.
//!
//! Options: `--runs N` (default 20, at least 1; also `BENCH_RUNS`),
//! `--warmup N` (default 2 unrecorded pairs), `--settle-ms N` (how long a
//! load may keep making requests after the signed-in text, default 1000),
//! `--out FILE` (default `target/bench/report.json`).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use e2e::{Browser, Harness, RequestCounts};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The text the app shows once signed in to both Clerk and Instant.
const SIGNED_IN_TEXT: &str = "Signed in with Instant through Clerk!";
/// The Clerk account the benchmark signs in with.
const EMAIL: &str = "bench@example.com";
/// How long one load may take before the run is called failed.
const LOAD_LIMIT: Duration = Duration::from_secs(20);

/// The reference: Instant's Next.js Clerk example (current Next.js,
/// @clerk/nextjs, @instantdb/react), JavaScript shipped before clerk-js.
const REFERENCE_JS_GZIP_BYTES: u64 = 242_000;
/// The reference calls Instant's exchange endpoint on every page load.
const REFERENCE_EXCHANGES_PER_LOAD: f64 = 1.0;

/// Budget: everything the app ships, gzip (80 KB, 1 KB = 1000 bytes).
const BUDGET_SHIPPED_GZIP_BYTES: u64 = 80_000;
/// Budget: on a reload, signed in within this long after instantiation.
const BUDGET_RELOAD_AFTER_WASM_MS: f64 = 50.0;

/// What can go wrong while benchmarking.
#[derive(Debug, thiserror::Error)]
enum Error {
    /// The harness (emulator, build, server, ChromeDriver) did not start.
    #[error(transparent)]
    Harness(#[from] e2e::Error),
    /// A browser command failed.
    #[error(transparent)]
    Browser(#[from] e2e::browser::Error),
    /// The emulator's HTTP API failed.
    #[error(transparent)]
    Emulator(#[from] e2e::emulator::Error),
    /// A WebDriver command issued directly failed.
    #[error("{action}: {source}")]
    WebDriver {
        /// What the benchmark was doing.
        action: &'static str,
        /// The WebDriver error (boxed: it is large).
        source: Box<fantoccini::error::CmdError>,
    },
    /// ChromeDriver's CDP pass-through failed.
    #[error("sending {command} to Chromium over ChromeDriver's CDP pass-through: {source}")]
    Cdp {
        /// The CDP command.
        command: &'static str,
        /// The HTTP error.
        source: reqwest::Error,
    },
    /// A file could not be read or written.
    #[error("{action} {}: {source}", .path.display())]
    Io {
        /// What the benchmark was doing.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A command-line argument is wrong.
    #[error("{0}\nusage: bench_app [--runs N] [--warmup N] [--settle-ms N] [--out FILE]")]
    Usage(String),
    /// The page did not behave as the scenario needs.
    #[error("{0}")]
    Scenario(String),
}

type Result<T, E = Error> = std::result::Result<T, E>;

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.to_owned();
    move |source| Error::Io {
        action,
        path,
        source,
    }
}

/// Command-line options.
#[derive(Debug, Clone)]
struct Options {
    runs: usize,
    warmup: usize,
    settle: Duration,
    out: PathBuf,
}

impl Options {
    fn parse(args: impl IntoIterator<Item = String>, runs_env: Option<String>) -> Result<Self> {
        let number = |flag: &str, value: Option<String>| -> Result<usize> {
            let value = value.ok_or_else(|| Error::Usage(format!("{flag} needs a number")))?;
            value
                .parse()
                .map_err(|_| Error::Usage(format!("{flag} {value:?} is not a whole number")))
        };
        let mut options = Options {
            runs: match runs_env.filter(|v| !v.is_empty()) {
                Some(value) => number("BENCH_RUNS", Some(value))?,
                None => 20,
            },
            warmup: 2,
            settle: Duration::from_millis(1000),
            out: e2e::files_dir(&e2e::workspace_root()).join("bench/report.json"),
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--runs" => options.runs = number("--runs", args.next())?,
                "--warmup" => options.warmup = number("--warmup", args.next())?,
                "--settle-ms" => {
                    options.settle =
                        Duration::from_millis(number("--settle-ms", args.next())? as u64)
                }
                "--out" => {
                    options.out = args
                        .next()
                        .map(PathBuf::from)
                        .ok_or_else(|| Error::Usage("--out needs a file name".into()))?
                }
                other => return Err(Error::Usage(format!("unknown argument {other:?}"))),
            }
        }
        if options.runs == 0 {
            return Err(Error::Usage("--runs must be at least 1".into()));
        }
        Ok(options)
    }
}

// ---------------------------------------------------------------- sizes --

/// What a shipped file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Wasm,
    Js,
    Css,
    Html,
    Other,
}

impl Kind {
    fn of(path: &Path) -> Self {
        match path.extension().and_then(|e| e.to_str()) {
            Some("wasm") => Kind::Wasm,
            Some("js" | "mjs") => Kind::Js,
            Some("css") => Kind::Css,
            Some("html") => Kind::Html,
            _ => Kind::Other,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Kind::Wasm => "wasm",
            Kind::Js => "JS glue",
            Kind::Css => "CSS",
            Kind::Html => "index.html",
            Kind::Other => "other",
        }
    }
}

/// Raw and gzip size in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
struct Size {
    raw: u64,
    gzip: u64,
}

impl std::ops::AddAssign for Size {
    fn add_assign(&mut self, other: Self) {
        self.raw += other.raw;
        self.gzip += other.gzip;
    }
}

/// One shipped file.
#[derive(Debug, Clone, Serialize)]
struct ShippedFile {
    path: String,
    kind: Kind,
    #[serde(flatten)]
    size: Size,
}

/// What the app ships.
#[derive(Debug, Clone, Serialize)]
struct Shipped {
    files: Vec<ShippedFile>,
    /// Per kind.
    by_kind: Vec<(Kind, Size)>,
    /// Everything.
    total: Size,
    /// JS and wasm: what compares with the reference's JavaScript.
    code: Size,
}

fn gzip_size(bytes: &[u8]) -> u64 {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 2),
        flate2::Compression::best(),
    );
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().map(|out| out.len() as u64).unwrap_or(0)
}

/// Every file under `dist`, sized.
fn measure_dist(dist: &Path) -> Result<Shipped> {
    let mut files = Vec::new();
    let mut pending = vec![dist.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).map_err(io_error("reading", &dir))? {
            let path = entry.map_err(io_error("reading", &dir))?.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let bytes = std::fs::read(&path).map_err(io_error("reading", &path))?;
            let relative = path.strip_prefix(dist).unwrap_or(&path);
            files.push(ShippedFile {
                path: relative.display().to_string(),
                kind: Kind::of(&path),
                size: Size {
                    raw: bytes.len() as u64,
                    gzip: gzip_size(&bytes),
                },
            });
        }
    }
    files.sort_by(|a, b| (a.kind, &a.path).cmp(&(b.kind, &b.path)));
    let mut by_kind: Vec<(Kind, Size)> = Vec::new();
    let (mut total, mut code) = (Size::default(), Size::default());
    for file in &files {
        match by_kind.last_mut() {
            Some((kind, size)) if *kind == file.kind => *size += file.size,
            _ => by_kind.push((file.kind, file.size)),
        }
        total += file.size;
        if matches!(file.kind, Kind::Wasm | Kind::Js) {
            code += file.size;
        }
    }
    Ok(Shipped {
        files,
        by_kind,
        total,
        code,
    })
}

// --------------------------------------------------------------- timing --

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
enum Scenario {
    /// (a) Clerk signed in, no Instant session stored: one exchange.
    FirstSignIn,
    /// (b) Reload with the Instant session stored.
    Reload,
}

impl Scenario {
    fn title(self) -> &'static str {
        match self {
            Scenario::FirstSignIn => "(a) first sign-in, Clerk session present",
            Scenario::Reload => "(b) reload, Instant session stored",
        }
    }
}

/// One measured page load. Times in ms since navigation start.
#[derive(Debug, Clone, Serialize)]
struct Sample {
    /// `WebAssembly.instantiate*` resolved.
    wasm_instantiated_ms: f64,
    /// The signed-in text was in the DOM.
    signed_in_ms: f64,
    /// `signed_in_ms - wasm_instantiated_ms`.
    after_wasm_ms: f64,
    /// The wasm file finished downloading.
    wasm_downloaded_ms: Option<f64>,
    /// The last request to Clerk's host that started before the signed-in
    /// text finished (scripts, client state, token).
    clerk_done_ms: Option<f64>,
    /// The page's fetches to the Instant API during the load.
    instant_requests: usize,
    /// …of which started before the signed-in text showed.
    instant_requests_before_signed_in: usize,
    /// The emulator's count of exchange calls during the load.
    exchange_calls: u64,
    /// The emulator's count of refresh-token checks during the load.
    verify_calls: u64,
    /// The emulator's count of sign-out calls during the load.
    signout_calls: u64,
    /// Every request of the load (resource timing), for a closer look.
    requests: Vec<Request>,
}

/// One request of a load, in ms since navigation start.
#[derive(Debug, Clone, Serialize)]
struct Request {
    url: String,
    start_ms: f64,
    end_ms: f64,
}

struct Bench<'h> {
    harness: &'h Harness,
    browser: Browser,
    url: String,
    settle: Duration,
}

impl Bench<'_> {
    /// Opens Chromium with the instrumentation and signs in to Clerk (and,
    /// through the app, to Instant) once.
    async fn start(harness: &Harness, settle: Duration) -> Result<Bench<'_>> {
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
            .map_err(|source| Error::WebDriver {
                action: "signing in to Clerk with the stand-in's test hook",
                source: Box::new(source),
            })?;
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
            .map_err(|source| Error::WebDriver {
                action: "reading the WebDriver session id",
                source: Box::new(source),
            })?
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
            .map_err(|source| Error::WebDriver {
                action: "removing the stored Instant session",
                source: Box::new(source),
            })?;
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
    async fn load(&mut self, scenario: Scenario) -> Result<Sample> {
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
            .map_err(|source| Error::WebDriver {
                action: "waiting for the signed-in text",
                source: Box::new(source),
            })?;
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
                .map_err(|source| Error::WebDriver {
                    action: "reading the marks",
                    source: Box::new(source),
                })?,
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

// ---------------------------------------------------------- statistics --

/// Median and 90th percentile (nearest rank), min and max.
#[derive(Debug, Clone, Copy, Serialize)]
struct Spread {
    median: f64,
    p90: f64,
    min: f64,
    max: f64,
}

impl Spread {
    fn of(values: impl IntoIterator<Item = f64>) -> Option<Self> {
        let mut sorted: Vec<f64> = values.into_iter().filter(|v| v.is_finite()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let rank = |p: f64| sorted[((p * n as f64).ceil() as usize).clamp(1, n) - 1];
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        Some(Spread {
            median,
            p90: rank(0.9),
            min: sorted[0],
            max: sorted[n - 1],
        })
    }
}

/// A scenario's figures over all runs.
#[derive(Debug, Clone, Serialize)]
struct ScenarioReport {
    title: &'static str,
    runs: usize,
    wasm_instantiated_ms: Option<Spread>,
    after_wasm_ms: Option<Spread>,
    signed_in_ms: Option<Spread>,
    wasm_downloaded_ms: Option<Spread>,
    clerk_done_ms: Option<Spread>,
    instant_requests_per_load: Option<Spread>,
    instant_requests_before_signed_in: Option<Spread>,
    exchange_calls_per_load: Option<Spread>,
    verify_calls_per_load: Option<Spread>,
    samples: Vec<Sample>,
}

impl ScenarioReport {
    fn new(scenario: Scenario, samples: Vec<Sample>) -> Self {
        let spread = |f: fn(&Sample) -> f64| Spread::of(samples.iter().map(f));
        Self {
            title: scenario.title(),
            runs: samples.len(),
            wasm_instantiated_ms: spread(|s| s.wasm_instantiated_ms),
            after_wasm_ms: spread(|s| s.after_wasm_ms),
            signed_in_ms: spread(|s| s.signed_in_ms),
            wasm_downloaded_ms: Spread::of(samples.iter().filter_map(|s| s.wasm_downloaded_ms)),
            clerk_done_ms: Spread::of(samples.iter().filter_map(|s| s.clerk_done_ms)),
            instant_requests_per_load: spread(|s| s.instant_requests as f64),
            instant_requests_before_signed_in: spread(|s| {
                s.instant_requests_before_signed_in as f64
            }),
            exchange_calls_per_load: spread(|s| s.exchange_calls as f64),
            verify_calls_per_load: spread(|s| s.verify_calls as f64),
            samples,
        }
    }
}

/// One budget of the issue and whether it was met.
#[derive(Debug, Clone, Serialize)]
struct Budget {
    name: &'static str,
    limit: String,
    measured: String,
    met: bool,
}

#[derive(Debug, Clone, Serialize)]
struct Reference {
    description: &'static str,
    js_gzip_bytes: u64,
    exchanges_per_load: f64,
    /// Our JS + wasm gzip over the reference's JS gzip.
    code_gzip_ratio: f64,
    /// Our whole app (every file) gzip over the reference's JS gzip.
    shipped_gzip_ratio: f64,
    /// Our exchange calls per reload over the reference's.
    reload_exchange_ratio: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
struct Report {
    environment: Value,
    shipped: Shipped,
    first_sign_in: ScenarioReport,
    reload: ScenarioReport,
    reference: Reference,
    budgets: Vec<Budget>,
}

fn budgets(shipped: &Shipped, first: &ScenarioReport, reload: &ScenarioReport) -> Vec<Budget> {
    let kb = |bytes: u64| format!("{:.1} KB", bytes as f64 / 1000.0);
    let reload_after = reload.after_wasm_ms;
    let before_max = reload
        .samples
        .iter()
        .map(|s| s.instant_requests_before_signed_in)
        .max()
        .unwrap_or(0);
    let exchanges: Vec<u64> = first.samples.iter().map(|s| s.exchange_calls).collect();
    vec![
        Budget {
            name: "everything the app ships, gzip",
            limit: format!("<= {}", kb(BUDGET_SHIPPED_GZIP_BYTES)),
            measured: kb(shipped.total.gzip),
            met: shipped.total.gzip <= BUDGET_SHIPPED_GZIP_BYTES,
        },
        Budget {
            name: "(b) signed in after wasm instantiated, median",
            limit: format!("<= {BUDGET_RELOAD_AFTER_WASM_MS} ms"),
            measured: reload_after.map_or("-".into(), |s| {
                format!("{:.1} ms (p90 {:.1} ms)", s.median, s.p90)
            }),
            met: reload_after.is_some_and(|s| s.median <= BUDGET_RELOAD_AFTER_WASM_MS),
        },
        Budget {
            name: "(b) Instant requests before signed in, every run",
            limit: "0".into(),
            measured: format!("max {before_max}"),
            met: before_max == 0,
        },
        Budget {
            name: "(a) exchange requests per load, every run",
            limit: "exactly 1".into(),
            measured: format!(
                "min {} max {}",
                exchanges.iter().min().unwrap_or(&0),
                exchanges.iter().max().unwrap_or(&0)
            ),
            met: !exchanges.is_empty() && exchanges.iter().all(|&n| n == 1),
        },
    ]
}

// --------------------------------------------------------------- output --

fn print_report(report: &Report, out: &Path) {
    let kb = |bytes: u64| format!("{:>7.1} KB", bytes as f64 / 1000.0);
    println!();
    println!("What the app ships (after wasm-opt; 1 KB = 1000 bytes)");
    println!("  {:<14} {:>10} {:>10}", "", "raw", "gzip -9");
    for (kind, size) in &report.shipped.by_kind {
        println!("  {:<14} {} {}", kind.label(), kb(size.raw), kb(size.gzip));
    }
    println!(
        "  {:<14} {} {}",
        "total",
        kb(report.shipped.total.raw),
        kb(report.shipped.total.gzip)
    );
    println!();
    let ms = |s: &Option<Spread>| {
        s.map_or_else(
            || format!("{:>17}", "-"),
            |s| format!("{:>7.1} {:>9.1}", s.median, s.p90),
        )
    };
    let count = |s: &Option<Spread>| {
        s.map_or_else(
            || format!("{:>17}", "-"),
            |s| format!("{:>7} {:>9}", s.median, s.max),
        )
    };
    for scenario in [&report.first_sign_in, &report.reload] {
        println!("{} — {} runs", scenario.title, scenario.runs);
        println!(
            "  {:<44} {:>7} {:>9}",
            "ms since navigation start", "median", "p90"
        );
        println!(
            "  {:<44} {}",
            "wasm instantiated",
            ms(&scenario.wasm_instantiated_ms)
        );
        println!(
            "  {:<44} {}",
            "signed-in text shown",
            ms(&scenario.signed_in_ms)
        );
        println!(
            "  {:<44} {}",
            "  of which after wasm instantiated",
            ms(&scenario.after_wasm_ms)
        );
        println!(
            "  {:<44} {}",
            "(wasm downloaded)",
            ms(&scenario.wasm_downloaded_ms)
        );
        println!(
            "  {:<44} {}",
            "(last Clerk request before it done)",
            ms(&scenario.clerk_done_ms)
        );
        println!("  {:<44} {:>7} {:>9}", "requests per load", "median", "max");
        println!(
            "  {:<44} {}",
            "Instant API fetches",
            count(&scenario.instant_requests_per_load)
        );
        println!(
            "  {:<44} {}",
            "  of which before the signed-in text",
            count(&scenario.instant_requests_before_signed_in)
        );
        println!(
            "  {:<44} {}",
            "exchange calls (emulator)",
            count(&scenario.exchange_calls_per_load)
        );
        println!(
            "  {:<44} {}",
            "refresh-token checks (emulator)",
            count(&scenario.verify_calls_per_load)
        );
        println!();
    }
    let reference = &report.reference;
    println!("Against the reference ({})", reference.description);
    println!(
        "  JS + wasm gzip: {:.1} KB vs {:.0} KB = {:.2}x; everything: {:.2}x",
        report.shipped.code.gzip as f64 / 1000.0,
        reference.js_gzip_bytes as f64 / 1000.0,
        reference.code_gzip_ratio,
        reference.shipped_gzip_ratio
    );
    println!(
        "  exchange calls per reload: {} vs {}",
        report
            .reload
            .exchange_calls_per_load
            .map_or("-".into(), |s| s.median.to_string()),
        reference.exchanges_per_load
    );
    println!();
    println!("Budgets");
    for budget in &report.budgets {
        println!(
            "  [{}] {:<50} {:<12} measured {}",
            if budget.met { "met" } else { "MISSED" },
            budget.name,
            budget.limit,
            budget.measured
        );
    }
    println!();
    println!("report: {}", out.display());
}

// ----------------------------------------------------------------- main --

async fn run(options: Options) -> Result<Report> {
    let harness = Harness::start()?;
    let shipped = measure_dist(&harness.dist_dir)?;
    eprintln!(
        "bench: the app ships {:.1} KB gzip; signing in once, then {} warm-up and {} measured \
         pairs of loads",
        shipped.total.gzip as f64 / 1000.0,
        options.warmup,
        options.runs
    );
    let mut bench = Bench::start(&harness, options.settle).await?;
    let user_agent = bench
        .browser
        .client()
        .execute("return navigator.userAgent;", vec![])
        .await
        .map_err(|source| Error::WebDriver {
            action: "reading the user agent",
            source: Box::new(source),
        })?;
    let (mut first, mut reload) = (Vec::new(), Vec::new());
    for round in 0..options.warmup + options.runs {
        // (a) leaves a stored session behind, which (b) then reloads with.
        let a = bench.load(Scenario::FirstSignIn).await?;
        let b = bench.load(Scenario::Reload).await?;
        if round >= options.warmup {
            eprintln!(
                "bench: run {:>2}: (a) {:>6.1} ms ({} exchange)  (b) {:>6.1} ms ({:.1} after wasm)",
                round - options.warmup + 1,
                a.signed_in_ms,
                a.exchange_calls,
                b.signed_in_ms,
                b.after_wasm_ms
            );
            first.push(a);
            reload.push(b);
        }
    }
    bench.browser.close().await?;

    let first = ScenarioReport::new(Scenario::FirstSignIn, first);
    let reload = ScenarioReport::new(Scenario::Reload, reload);
    let budgets = budgets(&shipped, &first, &reload);
    let reference = Reference {
        description: "Instant's Next.js Clerk example: ~242 KB JS gzip before clerk-js, \
                      an exchange call on every load",
        js_gzip_bytes: REFERENCE_JS_GZIP_BYTES,
        exchanges_per_load: REFERENCE_EXCHANGES_PER_LOAD,
        code_gzip_ratio: shipped.code.gzip as f64 / REFERENCE_JS_GZIP_BYTES as f64,
        shipped_gzip_ratio: shipped.total.gzip as f64 / REFERENCE_JS_GZIP_BYTES as f64,
        reload_exchange_ratio: reload
            .exchange_calls_per_load
            .map(|s| s.median / REFERENCE_EXCHANGES_PER_LOAD),
    };
    let emulator = if harness.emulator.started_here() {
        "started by the harness"
    } else {
        "started by cargo xtask bench"
    };
    Ok(Report {
        environment: json!({
            "user_agent": user_agent,
            "dist": harness
                .dist_dir
                .strip_prefix(e2e::workspace_root())
                .unwrap_or(&harness.dist_dir)
                .display()
                .to_string(),
            "emulator": emulator,
            "http_cache": "warm (one Chromium profile for all runs)",
            "served_by": "the e2e harness's static server on loopback, uncompressed",
            "runs": options.runs,
            "warmup_pairs": options.warmup,
            "settle_ms": options.settle.as_millis() as u64,
        }),
        shipped,
        first_sign_in: first,
        reload,
        reference,
        budgets,
    })
}

fn write_report(report: &Report, out: &Path) -> Result<()> {
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).map_err(io_error("creating", dir))?;
    }
    let text = serde_json::to_string_pretty(report)
        .map_err(|err| Error::Scenario(format!("cannot serialize the report: {err}")))?;
    std::fs::write(out, text + "\n").map_err(io_error("writing", out))
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> std::process::ExitCode {
    let options = match Options::parse(std::env::args().skip(1), std::env::var("BENCH_RUNS").ok()) {
        Ok(options) => options,
        Err(err) => {
            eprintln!("bench: {err}");
            return std::process::ExitCode::from(2);
        }
    };
    let out = options.out.clone();
    match run(options).await {
        Ok(report) => match write_report(&report, &out) {
            Ok(()) => {
                print_report(&report, &out);
                std::process::ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("bench: {err}");
                std::process::ExitCode::FAILURE
            }
        },
        Err(err) => {
            eprintln!("bench: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_takes_the_median_and_nearest_rank_p90() {
        let spread = Spread::of((1..=20).map(f64::from)).expect("values");
        assert_eq!(spread.median, 10.5);
        assert_eq!(spread.p90, 18.0);
        assert_eq!((spread.min, spread.max), (1.0, 20.0));
        let odd = Spread::of([3.0, 1.0, 2.0]).expect("values");
        assert_eq!((odd.median, odd.p90), (2.0, 3.0));
        assert!(Spread::of([]).is_none());
    }

    #[test]
    fn options_default_and_parse() {
        let options = Options::parse(Vec::new(), None).unwrap();
        assert_eq!((options.runs, options.warmup), (20, 2));
        let options = Options::parse(
            ["--runs", "5", "--settle-ms", "10"].map(String::from),
            Some("30".into()),
        )
        .unwrap();
        assert_eq!(options.runs, 5);
        assert_eq!(options.settle, Duration::from_millis(10));
        assert_eq!(
            Options::parse(Vec::new(), Some("30".into())).unwrap().runs,
            30
        );
        for bad in [vec!["--runs", "0"], vec!["--runs", "x"], vec!["--nope"]] {
            let err = Options::parse(bad.into_iter().map(String::from), None).unwrap_err();
            assert!(err.to_string().contains("usage"), "{err}");
        }
    }

    #[test]
    fn files_are_sized_by_kind() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("app_bg.wasm"), vec![0u8; 4000]).unwrap();
        std::fs::write(dir.path().join("app.js"), "export {};".repeat(50)).unwrap();
        std::fs::write(dir.path().join("index.html"), "<!DOCTYPE html>").unwrap();
        let shipped = measure_dist(dir.path()).unwrap();
        assert_eq!(shipped.files.len(), 3);
        assert_eq!(shipped.total.raw, 4000 + 500 + 15);
        assert_eq!(shipped.code.raw, 4500);
        assert!(shipped.total.gzip < shipped.total.raw, "zeros compress");
        assert_eq!(shipped.by_kind[0].0, Kind::Wasm);
    }
}
