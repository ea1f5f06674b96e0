//! Debian's ChromeDriver on a free loopback port, stopped (with every
//! Chromium it started) when dropped.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::process::{self, GroupGuard};

/// Where Debian's `chromium-driver` package puts the binary.
pub const DEBIAN_CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// What can go wrong while starting ChromeDriver.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// It did not start or did not report its port.
    #[error(
        "{0}\nInstall Chromium and ChromeDriver with `cargo xtask setup --browser` \
         (Debian: apt-get install chromium chromium-driver), or set CHROMEDRIVER"
    )]
    Process(#[from] process::Error),
    /// Its start-up line did not hold a port number.
    #[error("cannot read ChromeDriver's port from {0:?}")]
    Port(String),
}

/// Result of this module.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A running ChromeDriver.
#[derive(Debug)]
pub struct ChromeDriver {
    url: String,
    _process: GroupGuard,
}

impl ChromeDriver {
    /// The binary to run: `CHROMEDRIVER` when set, else Debian's
    /// `/usr/bin/chromedriver`, else `chromedriver` on `PATH`.
    pub fn binary() -> PathBuf {
        if let Some(path) = std::env::var_os("CHROMEDRIVER").filter(|p| !p.is_empty()) {
            return PathBuf::from(path);
        }
        let debian = PathBuf::from(DEBIAN_CHROMEDRIVER);
        if debian.is_file() {
            debian
        } else {
            PathBuf::from("chromedriver")
        }
    }

    /// Starts ChromeDriver on a port the OS picks and waits until it says
    /// which.
    pub fn start() -> Result<Self> {
        let mut guard = GroupGuard::spawn(
            Command::new(Self::binary())
                .args(["--port=0", "--allowed-ips=127.0.0.1"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        )?;
        let program = guard.program().to_owned();
        let stdout = guard
            .child_mut()
            .stdout
            .take()
            .ok_or_else(|| Error::Port("no stdout".to_owned()))?;
        const STARTED: &str = "started successfully on port ";
        let lines = process::wait_for_line(
            &program,
            stdout,
            "its port",
            Duration::from_secs(20),
            |line| line.contains(STARTED),
        )?;
        let last = lines.last().cloned().unwrap_or_default();
        let port: u16 = last
            .split(STARTED)
            .nth(1)
            .map(|rest| rest.trim().trim_end_matches('.'))
            .and_then(|port| port.parse().ok())
            .ok_or_else(|| Error::Port(last.clone()))?;
        Ok(Self {
            url: format!("http://127.0.0.1:{port}"),
            _process: guard,
        })
    }

    /// Its WebDriver endpoint, e.g. `http://127.0.0.1:9515`.
    pub fn url(&self) -> &str {
        &self.url
    }
}
