//! The end-to-end harness: the release build of the app served over real
//! HTTP, the emulator playing Clerk and Instant, and headless Chromium
//! driven through Debian's ChromeDriver, as a person would use the app.
//!
//! - [`emulator`]: the emulator `cargo xtask test` started (values from the
//!   environment) or one started here, and the server-side checks.
//! - [`dist`]: the app's release build with the emulator's values in it.
//! - [`server`]: a static file server with a single-page-app fallback.
//! - [`chromedriver`]: ChromeDriver on a free port.
//! - [`browser`]: a Chromium session with role/label lookups, screenshots,
//!   console checks, accessibility checks and color-scheme emulation.
//! - [`axe`]: axe-core (installed by `cargo xtask setup --browser`), which the
//!   accessibility check injects into the page, and its report.
//!
//! [`Harness::start`] puts them together; `tests/` uses it, and so can a
//! benchmark.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let harness = e2e::Harness::start()?;
//! let mut browser = harness.open_browser().await?;
//! browser.goto(&harness.url("/")).await?;
//! browser.wait_for_role("button", "Sign in").await?;
//! browser.screenshot("signed-out").await?;
//! browser.check_console("on the first load").await?;
//! browser.check_accessibility("on the first load").await?;
//! browser.close().await?;
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

pub mod axe;
pub mod browser;
pub mod chromedriver;
pub mod dist;
pub mod emulator;
pub mod process;
pub mod server;
pub mod wait;

use std::path::{Path, PathBuf};

pub use browser::{Browser, BrowserOptions, ColorScheme};
pub use chromedriver::ChromeDriver;
pub use emulator::{Emulator, EmulatorValues, InstantUser, RequestCounts};
pub use server::StaticServer;

/// Screenshot and viewport size: small enough for the README.
pub const VIEWPORT: (u32, u32) = (800, 600);

/// What can go wrong while setting the harness up.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The emulator.
    #[error(transparent)]
    Emulator(#[from] emulator::Error),
    /// The app's build.
    #[error(transparent)]
    Dist(#[from] dist::Error),
    /// The static server.
    #[error(transparent)]
    Server(#[from] server::Error),
    /// ChromeDriver.
    #[error(transparent)]
    ChromeDriver(#[from] chromedriver::Error),
    /// The browser session.
    #[error(transparent)]
    Browser(#[from] browser::Error),
}

/// Result of this crate's set-up.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The workspace root (this crate lives one level below it).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// Cargo's target dir: `CARGO_TARGET_DIR` when set (`cargo xtask` sets
/// it), else as cargo resolves it (`build.target-dir` in a cargo config
/// file), else `target/` in the workspace.
pub fn target_dir(workspace: &Path) -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR").filter(|v| !v.is_empty()) {
        return workspace.join(dir);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    std::process::Command::new(cargo)
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(workspace)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|output| output.status.success())
        .and_then(|output| serde_json::from_slice::<serde_json::Value>(&output.stdout).ok())
        .and_then(|metadata| metadata["target_directory"].as_str().map(PathBuf::from))
        .unwrap_or_else(|| workspace.join("target"))
}

/// Where the harness keeps its own files (screenshots, browser profiles,
/// the standalone build of the app, the benchmark's report) and finds
/// axe-core: `target/` in the workspace, as xtask does, whatever cargo's
/// target dir is. Only cargo's builds (the emulator binary) are looked for
/// in [`target_dir`].
pub fn files_dir(workspace: &Path) -> PathBuf {
    workspace.join("target")
}

/// Where screenshots go: `target/screenshots/`.
pub fn screenshot_dir(workspace: &Path) -> PathBuf {
    files_dir(workspace).join("screenshots")
}

/// Everything a test needs, stopped in reverse order when dropped: the
/// emulator (attached or started), the app served over HTTP, ChromeDriver.
#[derive(Debug)]
pub struct Harness {
    /// ChromeDriver (dropped first: it takes its Chromiums with it).
    pub chromedriver: ChromeDriver,
    /// The app's dist dir served on a free loopback port.
    pub server: StaticServer,
    /// The emulator the app was built for.
    pub emulator: Emulator,
    /// The dist dir being served.
    pub dist_dir: PathBuf,
    workspace: PathBuf,
}

impl Harness {
    /// Finds or starts the emulator, finds or builds the app for it
    /// (`E2E_DIST_DIR`), serves it, and starts ChromeDriver.
    pub fn start() -> Result<Self> {
        let workspace = workspace_root();
        let emulator = Emulator::from_env_or_start(&workspace)?;
        let dist_dir = dist::for_emulator(&workspace, emulator.values())?;
        let server = StaticServer::start(&dist_dir)?;
        let chromedriver = ChromeDriver::start()?;
        Ok(Self {
            chromedriver,
            server,
            emulator,
            dist_dir,
            workspace,
        })
    }

    /// The served app's URL for `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    /// Opens a fresh headless Chromium at [`VIEWPORT`] size whose
    /// screenshots go to `target/screenshots/`.
    pub async fn open_browser(&self) -> Result<Browser> {
        let options = BrowserOptions {
            width: VIEWPORT.0,
            height: VIEWPORT.1,
            screenshot_dir: screenshot_dir(&self.workspace),
            profile_parent: files_dir(&self.workspace).join("e2e/profiles"),
        };
        Ok(Browser::open(self.chromedriver.url(), options).await?)
    }
}
