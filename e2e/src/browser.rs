//! A headless Chromium session driven over WebDriver (fantoccini), with the
//! helpers a test needs to act as a person: find things by role and name or
//! by label, wait for text, take screenshots, notice every console error
//! and unhandled promise rejection, check the page with axe-core, and
//! emulate the dark color scheme.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::elements::{Element, ElementRef};
use fantoccini::wd::WindowHandle;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::wait;

/// How long the `wait_*` helpers wait by default. Generous because a cold
/// wasm start on a busy 2-core machine can take seconds.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(20);

/// Chromium flags for a quiet headless run on a machine without a display
/// or network.
pub const CHROMIUM_FLAGS: [&str; 8] = [
    "--headless",
    // Chromium's sandbox refuses to start as root, as CI runs.
    "--no-sandbox",
    "--disable-gpu",
    // Containers often give /dev/shm only 64 MB, too little for Chromium.
    "--disable-dev-shm-usage",
    // No request leaves the machine but the test's own.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
];

/// What can go wrong in a browser session.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The session could not be created.
    #[error("cannot open a Chromium session through ChromeDriver: {0}")]
    NewSession(Box<fantoccini::error::NewSessionError>),
    /// A WebDriver command failed.
    #[error("{action}: {source}")]
    Command {
        /// What the harness was doing.
        action: String,
        /// The WebDriver error (boxed: it is large, and errors travel far).
        source: Box<fantoccini::error::CmdError>,
    },
    /// Something awaited did not happen in time.
    #[error("{what} within {seconds} s. The page at {url} shows:\n{page_text}")]
    Timeout {
        /// What was awaited, e.g. `text "Signed in" did not appear`.
        what: String,
        /// How long.
        seconds: u64,
        /// The page's URL then.
        url: String,
        /// The page's visible text then (shortened).
        page_text: String,
    },
    /// The page logged errors or left promise rejections unhandled.
    #[error("the browser console reported problems {when}:\n{}", .problems.join("\n"))]
    Console {
        /// When they were noticed, e.g. `after step 2`.
        when: String,
        /// One line per problem.
        problems: Vec<String>,
    },
    /// A screenshot or the profile dir could not be written.
    #[error("{action}: {source}")]
    Io {
        /// What the harness was doing.
        action: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The browser log could not be fetched from ChromeDriver.
    #[error("cannot read the browser log from ChromeDriver: {0}")]
    Log(#[from] reqwest::Error),
    /// A Chrome DevTools Protocol command sent through ChromeDriver failed.
    #[error("sending {command} to Chromium through ChromeDriver: {source}")]
    Cdp {
        /// The CDP command, e.g. `Emulation.setEmulatedMedia`.
        command: String,
        /// The HTTP error.
        source: reqwest::Error,
    },
    /// Something the harness looked for is not in the page.
    #[error("not found: {what}")]
    NotFound {
        /// What was looked for.
        what: String,
    },
    /// Chromium did not take an emulated setting.
    #[error("{0}")]
    Emulation(String),
    /// axe-core is not installed (or cannot be read).
    #[error(transparent)]
    AxeCore(#[from] crate::axe::Error),
    /// axe-core could not check the page.
    #[error("axe-core could not check the page {label}: {message}")]
    AxeRun {
        /// The check's label.
        label: String,
        /// Why.
        message: String,
    },
    /// axe-core found accessibility violations.
    #[error("axe-core found accessibility violations {label}: {report}")]
    Accessibility {
        /// The check's label, e.g. `in step 2 (…)`.
        label: String,
        /// Where and how many, then one block per rule: id, impact, help,
        /// and each element (selector, HTML, what to fix).
        report: String,
    },
}

impl From<fantoccini::error::NewSessionError> for Error {
    fn from(error: fantoccini::error::NewSessionError) -> Self {
        Self::NewSession(Box::new(error))
    }
}

/// Result of this module.
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn command_error(action: impl Into<String>) -> impl FnOnce(fantoccini::error::CmdError) -> Error {
    let action = action.into();
    move |source| Error::Command {
        action,
        source: Box::new(source),
    }
}

/// Window size and where screenshots go.
#[derive(Debug, Clone)]
pub struct BrowserOptions {
    /// Viewport width in CSS pixels.
    pub width: u32,
    /// Viewport height in CSS pixels.
    pub height: u32,
    /// Directory for [`Browser::screenshot`] files.
    pub screenshot_dir: PathBuf,
    /// Parent of the throw-away Chromium profile dir.
    pub profile_parent: PathBuf,
}

/// A value of the `prefers-color-scheme` media feature, for
/// [`Browser::emulate_color_scheme`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorScheme {
    /// `light`.
    Light,
    /// `dark`.
    Dark,
}

impl ColorScheme {
    /// The media feature's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Light => "light",
            Self::Dark => "dark",
        }
    }
}

/// One entry of Chromium's console as ChromeDriver reports it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct LogEntry {
    /// `SEVERE`, `WARNING`, `INFO` or `DEBUG`.
    pub level: String,
    /// Where it came from: `javascript`, `console-api`, `network`, ….
    #[serde(default)]
    pub source: String,
    /// The text, prefixed by the script URL and position.
    pub message: String,
}

impl LogEntry {
    /// Whether a person watching the console would call this a problem:
    /// errors (console.error, uncaught exceptions, failed requests) and
    /// unhandled promise rejections (Chromium reports them as `Uncaught (in
    /// promise)`).
    pub fn is_problem(&self) -> bool {
        self.level == "SEVERE" || self.message.contains("Uncaught")
    }
}

/// A headless Chromium window (and its tabs), closed by [`Browser::close`].
pub struct Browser {
    client: Client,
    driver_url: String,
    session_id: String,
    http: reqwest::Client,
    options: BrowserOptions,
    /// Problems already read from the log and not yet reported.
    pending_problems: Vec<String>,
    /// axe-core's source, read at the first accessibility check.
    axe_source: Option<Arc<str>>,
    _profile: tempfile::TempDir,
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Browser")
            .field("session_id", &self.session_id)
            .finish_non_exhaustive()
    }
}

impl Browser {
    /// Opens a fresh headless Chromium (new profile) through the
    /// ChromeDriver at `driver_url`, with the browser log switched on.
    pub async fn open(driver_url: &str, options: BrowserOptions) -> Result<Self> {
        let io = |action: &str| {
            let action = action.to_owned();
            move |source| Error::Io { action, source }
        };
        std::fs::create_dir_all(&options.profile_parent)
            .map_err(io("creating the profile parent dir"))?;
        std::fs::create_dir_all(&options.screenshot_dir)
            .map_err(io("creating the screenshot dir"))?;
        let profile = tempfile::Builder::new()
            .prefix("chromium-profile-")
            .tempdir_in(&options.profile_parent)
            .map_err(io("creating a Chromium profile dir"))?;

        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| (*f).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        args.push(format!(
            "--window-size={},{}",
            options.width, options.height
        ));
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert("goog:chromeOptions".into(), json!({ "args": args }));
        // Keeps the page's console for `take_log`.
        capabilities.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(driver_url)
            .await?;
        let session_id = client
            .session_id()
            .await
            .map_err(command_error("reading the session id"))?
            .unwrap_or_default();
        let browser = Self {
            client,
            driver_url: driver_url.trim_end_matches('/').to_owned(),
            session_id,
            http: reqwest::Client::new(),
            options,
            pending_problems: Vec::new(),
            axe_source: None,
            _profile: profile,
        };
        browser.fit_viewport().await?;
        Ok(browser)
    }

    /// Resizes the window so that the viewport (and so each screenshot) is
    /// exactly the configured size.
    async fn fit_viewport(&self) -> Result<()> {
        let (width, height) = (self.options.width, self.options.height);
        self.client
            .set_window_size(width, height)
            .await
            .map_err(command_error("setting the window size"))?;
        let inner = self
            .client
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await
            .map_err(command_error("reading the viewport size"))?;
        let inner: Vec<u32> = serde_json::from_value(inner).unwrap_or_default();
        if let [inner_width, inner_height] = inner[..] {
            if (inner_width, inner_height) != (width, height) {
                let grow_w = width + width.saturating_sub(inner_width);
                let grow_h = height + height.saturating_sub(inner_height);
                self.client
                    .set_window_size(grow_w, grow_h)
                    .await
                    .map_err(command_error("setting the window size"))?;
            }
        }
        Ok(())
    }

    /// The WebDriver client, for anything the helpers do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Navigates to `url` and waits for the load event.
    pub async fn goto(&self, url: &str) -> Result<()> {
        self.client
            .goto(url)
            .await
            .map_err(command_error(format!("opening {url}")))
    }

    /// Reloads the current page.
    pub async fn reload(&self) -> Result<()> {
        self.client
            .refresh()
            .await
            .map_err(command_error("reloading the page"))
    }

    /// The current URL.
    pub async fn current_url(&self) -> Result<String> {
        self.client
            .current_url()
            .await
            .map(|url| url.to_string())
            .map_err(command_error("reading the URL"))
    }

    /// The page's visible text (`document.body.innerText`).
    pub async fn page_text(&self) -> Result<String> {
        let text = self
            .client
            .execute(
                "return document.body ? document.body.innerText : '';",
                vec![],
            )
            .await
            .map_err(command_error("reading the page text"))?;
        Ok(text.as_str().unwrap_or_default().to_owned())
    }

    /// Starts recording each text the first element matching `selector`
    /// shows from now on: a `MutationObserver` in the page notes the text
    /// of every node added to it and the element's `innerText` after every
    /// batch of changes, so a text that shows only for a moment is caught
    /// too, even one gone again before the observer runs.
    /// [`recorded_texts`](Self::recorded_texts) reads them. A new page load
    /// ends the recording.
    pub async fn record_texts(&self, selector: &str) -> Result<()> {
        let found = self
            .client
            .execute(
                "const element = document.querySelector(arguments[0]);
                 if (!element) return false;
                 window.__e2eTexts = [element.innerText];
                 const note = (text) => {
                   const texts = window.__e2eTexts;
                   if (text && texts[texts.length - 1] !== text) texts.push(text);
                 };
                 new MutationObserver((records) => {
                   for (const record of records) {
                     for (const node of record.addedNodes) note((node.textContent || '').trim());
                   }
                   note(element.innerText);
                 }).observe(element, { childList: true, subtree: true, characterData: true });
                 return true;",
                vec![json!(selector)],
            )
            .await
            .map_err(command_error(format!(
                "recording the texts of {selector:?}"
            )))?;
        if found == json!(true) {
            Ok(())
        } else {
            Err(Error::NotFound {
                what: format!("an element matching {selector:?} to record the texts of"),
            })
        }
    }

    /// The texts recorded since [`record_texts`](Self::record_texts), in order.
    pub async fn recorded_texts(&self) -> Result<Vec<String>> {
        let texts = self
            .client
            .execute("return window.__e2eTexts || null;", vec![])
            .await
            .map_err(command_error("reading the recorded texts"))?;
        let Some(texts) = texts.as_array() else {
            return Err(Error::NotFound {
                what: "recorded texts (was the page reloaded after record_texts?)".to_owned(),
            });
        };
        Ok(texts
            .iter()
            .filter_map(|text| text.as_str().map(str::to_owned))
            .collect())
    }

    /// A timeout error that shows the page as it is now.
    async fn timeout(&self, what: String, waited: Duration) -> Error {
        let url = self.current_url().await.unwrap_or_default();
        let mut page_text = self.page_text().await.unwrap_or_default();
        if page_text.len() > 1500 {
            let mut cut = 1500;
            while !page_text.is_char_boundary(cut) {
                cut -= 1;
            }
            page_text.truncate(cut);
            page_text.push('…');
        }
        Error::Timeout {
            what,
            seconds: waited.as_secs(),
            url,
            page_text,
        }
    }

    /// Waits until the visible text contains `text`.
    pub async fn wait_for_text(&self, text: &str) -> Result<()> {
        self.wait_for_text_within(text, DEFAULT_WAIT).await
    }

    /// Waits up to `limit` until the visible text contains `text`.
    pub async fn wait_for_text_within(&self, text: &str, limit: Duration) -> Result<()> {
        if wait::until(limit, async || {
            Ok::<_, Error>(self.page_text().await?.contains(text))
        })
        .await?
        {
            return Ok(());
        }
        Err(self
            .timeout(format!("the text {text:?} did not appear"), limit)
            .await)
    }

    /// Waits until the visible text no longer contains `text`.
    pub async fn wait_for_text_gone(&self, text: &str) -> Result<()> {
        let gone = async || Ok::<_, Error>(!self.page_text().await?.contains(text));
        if wait::until(DEFAULT_WAIT, gone).await? {
            return Ok(());
        }
        Err(self
            .timeout(format!("the text {text:?} did not go away"), DEFAULT_WAIT)
            .await)
    }

    /// Waits until the URL's path is `path`.
    pub async fn wait_for_path(&self, path: &str) -> Result<()> {
        let at_path = async || {
            let url = self
                .client
                .current_url()
                .await
                .map_err(command_error("reading the URL"))?;
            Ok::<_, Error>(url.path() == path)
        };
        if wait::until(DEFAULT_WAIT, at_path).await? {
            return Ok(());
        }
        Err(self
            .timeout(
                format!("the URL path did not become {path:?}"),
                DEFAULT_WAIT,
            )
            .await)
    }

    /// Finds the first visible element with this ARIA `role` (`button`,
    /// `link`, `textbox`, `dialog`, `heading`, …; implicit roles of HTML
    /// elements count) whose accessible name is `name`, ignoring case and
    /// runs of white space (an empty `name` takes any). A name that merely
    /// contains `name` does not count: "Sign in to Instant" is not "Sign in".
    /// Looks inside open shadow roots too. `None` if absent.
    pub async fn find_by_role(&self, role: &str, name: &str) -> Result<Option<Element>> {
        let found = self
            .client
            .execute(FIND_BY_ROLE_JS, vec![json!(role), json!(name)])
            .await
            .map_err(command_error(format!("looking for the {role} {name:?}")))?;
        Ok(self.element_from(found))
    }

    /// Waits for [`Browser::find_by_role`] to find the element.
    pub async fn wait_for_role(&self, role: &str, name: &str) -> Result<Element> {
        let mut found = None;
        let appeared = async || {
            found = self.find_by_role(role, name).await?;
            Ok::<_, Error>(found.is_some())
        };
        match (wait::until(DEFAULT_WAIT, appeared).await?, found) {
            (true, Some(element)) => Ok(element),
            _ => Err(self
                .timeout(format!("no {role} named {name:?} appeared"), DEFAULT_WAIT)
                .await),
        }
    }

    /// Clicks the button named `name` once it is there (as a person would:
    /// a real pointer click, which fails if something covers the button).
    pub async fn click_button(&self, name: &str) -> Result<()> {
        let deadline = Instant::now() + DEFAULT_WAIT;
        loop {
            let button = self.wait_for_role("button", name).await?;
            match button.click().await {
                Ok(()) => return Ok(()),
                // Re-rendered or still animating in: look again.
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(wait::POLL_INTERVAL).await;
                }
                Err(source) => {
                    return Err(Error::Command {
                        action: format!("clicking the button {name:?}"),
                        source: Box::new(source),
                    })
                }
            }
        }
    }

    /// Clicks the link named `name`.
    pub async fn click_link(&self, name: &str) -> Result<()> {
        let link = self.wait_for_role("link", name).await?;
        link.click()
            .await
            .map_err(command_error(format!("clicking the link {name:?}")))
    }

    /// Types `text` into the text field labelled `label` (by its `<label>`,
    /// `aria-label`, `aria-labelledby` or, failing those, placeholder).
    pub async fn fill_field(&self, label: &str, text: &str) -> Result<()> {
        let field = self.wait_for_role("textbox", label).await?;
        field
            .clear()
            .await
            .map_err(command_error(format!("clearing the field {label:?}")))?;
        field
            .send_keys(text)
            .await
            .map_err(command_error(format!("typing into the field {label:?}")))
    }

    /// Turns a JSON element reference returned by a script into an element.
    fn element_from(&self, value: Value) -> Option<Element> {
        let id = value
            .as_object()?
            .get("element-6066-11e4-a52e-4f735466cecf")?
            .as_str()?
            .to_owned();
        Some(Element::from_element_id(
            self.client.clone(),
            ElementRef::from(id),
        ))
    }

    /// `localStorage.getItem(key)` on the current page.
    pub async fn local_storage(&self, key: &str) -> Result<Option<String>> {
        let value = self
            .client
            .execute(
                "return window.localStorage.getItem(arguments[0]);",
                vec![json!(key)],
            )
            .await
            .map_err(command_error(format!("reading localStorage {key:?}")))?;
        Ok(value.as_str().map(str::to_owned))
    }

    /// Saves a PNG of the viewport as `<screenshot dir>/<name>.png`.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let png = self
            .client
            .screenshot()
            .await
            .map_err(command_error(format!("taking the screenshot {name}")))?;
        let path = self.options.screenshot_dir.join(format!("{name}.png"));
        std::fs::write(&path, png).map_err(|source| Error::Io {
            action: format!("writing {}", path.display()),
            source,
        })?;
        Ok(path)
    }

    /// The screenshot directory.
    pub fn screenshot_dir(&self) -> &Path {
        &self.options.screenshot_dir
    }

    /// The current tab.
    pub async fn current_tab(&self) -> Result<WindowHandle> {
        self.client
            .window()
            .await
            .map_err(command_error("reading the current tab"))
    }

    /// Opens a new tab and switches to it. The tab's log is read by the
    /// next console check, so the current tab's is read first.
    pub async fn open_tab(&mut self) -> Result<WindowHandle> {
        self.collect_problems().await?;
        let tab = self
            .client
            .new_window(true)
            .await
            .map_err(command_error("opening a tab"))?;
        self.client
            .switch_to_window(tab.handle.clone())
            .await
            .map_err(command_error("switching to the new tab"))?;
        Ok(tab.handle)
    }

    /// Switches to `tab`, reading the console of the tab it leaves first
    /// (ChromeDriver reports the log of the current tab only).
    pub async fn switch_to_tab(&mut self, tab: &WindowHandle) -> Result<()> {
        self.collect_problems().await?;
        self.client
            .switch_to_window(tab.clone())
            .await
            .map_err(command_error("switching tabs"))
    }

    /// Closes the current tab, after reading its console, and switches to
    /// `then` (a closed tab leaves the session on no tab).
    pub async fn close_tab_for(&mut self, then: &WindowHandle) -> Result<()> {
        self.collect_problems().await?;
        self.client
            .close_window()
            .await
            .map_err(command_error("closing the tab"))?;
        self.switch_to_tab(then).await
    }

    /// Reads (and clears) ChromeDriver's browser log of the current tab.
    pub async fn take_log(&self) -> Result<Vec<LogEntry>> {
        #[derive(Deserialize)]
        struct Reply {
            value: Vec<LogEntry>,
        }
        let reply: Reply = self
            .http
            .post(format!(
                "{}/session/{}/se/log",
                self.driver_url, self.session_id
            ))
            .json(&json!({ "type": "browser" }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(reply.value)
    }

    /// Moves the problems in the current tab's log to the pending list.
    async fn collect_problems(&mut self) -> Result<()> {
        let log = self.take_log().await?;
        self.pending_problems.extend(
            log.into_iter()
                .filter(LogEntry::is_problem)
                .map(|entry| format!("[{} {}] {}", entry.level, entry.source, entry.message)),
        );
        Ok(())
    }

    /// Fails if the page logged an error or left a promise rejection
    /// unhandled since the last check; `when` names the moment for the
    /// message, e.g. `during step 2`.
    pub async fn check_console(&mut self, when: &str) -> Result<()> {
        self.collect_problems().await?;
        if self.pending_problems.is_empty() {
            return Ok(());
        }
        Err(Error::Console {
            when: when.to_owned(),
            problems: std::mem::take(&mut self.pending_problems),
        })
    }

    /// Sends the Chrome DevTools Protocol `command` to the current tab
    /// through ChromeDriver's pass-through, and returns its answer.
    pub async fn cdp(&self, command: &str, params: Value) -> Result<Value> {
        let cdp_error = |source| Error::Cdp {
            command: command.to_owned(),
            source,
        };
        let reply: Value = self
            .http
            .post(format!(
                "{}/session/{}/goog/cdp/execute",
                self.driver_url, self.session_id
            ))
            .json(&json!({ "cmd": command, "params": params }))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(cdp_error)?
            .json()
            .await
            .map_err(cdp_error)?;
        Ok(reply.get("value").cloned().unwrap_or(Value::Null))
    }

    /// Makes the current tab match `prefers-color-scheme: dark` (or
    /// `light`) whatever the system's setting, until it is called with
    /// `None`. It lasts across navigations and reloads in that tab.
    pub async fn emulate_color_scheme(&self, scheme: Option<ColorScheme>) -> Result<()> {
        let value = scheme.map(ColorScheme::as_str).unwrap_or_default();
        self.cdp(
            "Emulation.setEmulatedMedia",
            json!({ "features": [{ "name": "prefers-color-scheme", "value": value }] }),
        )
        .await?;
        let wanted = scheme.map(|s| format!("(prefers-color-scheme: {})", s.as_str()));
        if let Some(query) = wanted {
            let matches = self
                .client
                .execute(
                    "return window.matchMedia(arguments[0]).matches;",
                    vec![json!(query)],
                )
                .await
                .map_err(command_error("reading the color scheme"))?;
            if matches != Value::Bool(true) {
                return Err(Error::Emulation(format!(
                    "after Emulation.setEmulatedMedia the page does not match {query}"
                )));
            }
        }
        Ok(())
    }

    /// Checks the current page with axe-core against the WCAG 2.0 and 2.1
    /// A and AA rules and axe's best practices ([`crate::axe::TAGS`]), and
    /// fails with a report of each rule broken (id, impact, help, and the
    /// elements: selector, HTML, what to fix) when there is any. `label`
    /// names the moment in the report, e.g. `in step 2 (…)`. axe-core's
    /// source is read on the first call ([`crate::axe::locate`]) and
    /// injected into each page that lacks it.
    pub async fn check_accessibility(&mut self, label: &str) -> Result<()> {
        let source = match &self.axe_source {
            Some(source) => Arc::clone(source),
            None => {
                let source = crate::axe::load(&crate::workspace_root())?;
                self.axe_source = Some(Arc::clone(&source));
                source
            }
        };
        let loaded = self
            .client
            .execute("return typeof window.axe === 'object';", vec![])
            .await
            .map_err(command_error("looking for axe-core in the page"))?;
        if loaded != Value::Bool(true) {
            // axe.min.js assigns `window.axe` when run as a script body.
            self.client
                .execute(&source, vec![])
                .await
                .map_err(command_error("injecting axe-core into the page"))?;
        }
        let answer = self
            .client
            .execute_async(crate::axe::RUN_JS, vec![json!(crate::axe::TAGS)])
            .await
            .map_err(command_error(format!("running axe-core {label}")))?;
        let answer: crate::axe::RunAnswer =
            serde_json::from_value(answer).map_err(|err| Error::AxeRun {
                label: label.to_owned(),
                message: format!("unexpected answer: {err}"),
            })?;
        let results = match (answer.ok, answer.error) {
            (Some(results), _) => results,
            (None, error) => {
                return Err(Error::AxeRun {
                    label: label.to_owned(),
                    message: error.unwrap_or_else(|| "no results".to_owned()),
                })
            }
        };
        if results.violations.is_empty() {
            return Ok(());
        }
        let url = self.current_url().await.unwrap_or_default();
        Err(Error::Accessibility {
            label: label.to_owned(),
            report: format!(
                "{} rule(s) broken at {url} (axe-core {}, rules tagged {}):\n{}",
                results.violations.len(),
                results.version,
                crate::axe::TAGS.join(", "),
                crate::axe::report(&results.violations)
            ),
        })
    }

    /// Ends the WebDriver session, which quits Chromium.
    pub async fn close(self) -> Result<()> {
        self.client
            .close()
            .await
            .map_err(command_error("closing the browser"))
    }
}

/// `arguments[0]` = role, `arguments[1]` = accessible name. Returns the
/// first visible match.
const FIND_BY_ROLE_JS: &str = r#"
const [role, wanted] = arguments;
const norm = (s) => (s || '').replace(/\s+/g, ' ').trim().toLowerCase();
const want = norm(wanted);
const implicit = {
  button: 'button, input[type=button], input[type=submit], input[type=reset], summary',
  link: 'a[href]',
  textbox: 'input:not([type]), input[type=text], input[type=email], input[type=search], input[type=tel], input[type=url], input[type=password], textarea',
  dialog: 'dialog',
  heading: 'h1, h2, h3, h4, h5, h6',
  checkbox: 'input[type=checkbox]',
  radio: 'input[type=radio]',
  option: 'option',
  listitem: 'li',
  alert: '',
  status: 'output',
};
const selector = [`[role~="${role}"]`, implicit[role] || ''].filter(Boolean).join(', ');
const all = [];
const collect = (root) => {
  root.querySelectorAll(selector).forEach((el) => all.push(el));
  root.querySelectorAll('*').forEach((el) => { if (el.shadowRoot) collect(el.shadowRoot); });
};
collect(document);
const byIds = (el, ids) => ids.split(/\s+/).map((id) => {
  const root = el.getRootNode();
  const ref = (root.getElementById ? root.getElementById(id) : null) || document.getElementById(id);
  return ref ? ref.textContent : '';
}).join(' ');
const nameOf = (el) => {
  if (el.getAttribute('aria-labelledby')) return byIds(el, el.getAttribute('aria-labelledby'));
  if (el.getAttribute('aria-label')) return el.getAttribute('aria-label');
  if (el.labels && el.labels.length) return Array.from(el.labels).map((l) => l.textContent).join(' ');
  if (el.tagName === 'INPUT' && ['button', 'submit', 'reset'].includes(el.type)) return el.value;
  if (['INPUT', 'TEXTAREA'].includes(el.tagName)) return el.getAttribute('placeholder') || el.getAttribute('title') || '';
  if (el.tagName === 'DIALOG' || role === 'dialog') {
    const h = el.querySelector('h1, h2, h3, h4, h5, h6');
    return el.getAttribute('title') || (h ? h.textContent : '');
  }
  return el.textContent || el.getAttribute('title') || '';
};
const visible = (el) => {
  if (el.closest('[hidden], [aria-hidden="true"], [inert]')) return false;
  const style = getComputedStyle(el);
  if (style.visibility === 'hidden' || style.display === 'none') return false;
  return el.getClientRects().length > 0;
};
const candidates = all.filter(visible).map((el) => [el, norm(nameOf(el))]);
if (!want) return candidates.length ? candidates[0][0] : null;
const exact = candidates.find(([, name]) => name === want);
return exact ? exact[0] : null;
"#;

#[cfg(test)]
mod tests {
    use super::LogEntry;

    fn entry(level: &str, message: &str) -> LogEntry {
        LogEntry {
            level: level.to_owned(),
            source: "javascript".to_owned(),
            message: message.to_owned(),
        }
    }

    #[test]
    fn errors_and_unhandled_rejections_are_problems_other_logs_are_not() {
        assert!(entry("SEVERE", "app.js 1:1 Uncaught Error: boom").is_problem());
        assert!(entry("SEVERE", "console-api 2:3 \"failed\"").is_problem());
        assert!(entry("WARNING", "Uncaught (in promise) TypeError").is_problem());
        assert!(!entry("INFO", "console-api 2:3 \"hello\"").is_problem());
        assert!(!entry("WARNING", "deprecated API").is_problem());
    }
}
