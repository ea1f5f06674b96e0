//! Starts a real emulator process for a test and stops it on drop.
//!
//! Each test file gets its own emulator on free loopback ports (port 0), so
//! tests never share state. Use `Emulator::start(&["--in-memory"])`.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A running emulator process.
pub struct Emulator {
    child: Child,
    /// `KEY=value` lines printed at start (INSTANT_APP_ID, INSTANT_API_URI,
    /// CLERK_PUBLISHABLE_KEY, CLERK_CLIENT_NAME, CLERK_FRONTEND_API).
    pub values: BTreeMap<String, String>,
    /// What it wrote to stderr (its log) so far, when started with
    /// [`Emulator::start_logging`]; otherwise stderr is the test's.
    log: Option<Arc<Mutex<String>>>,
}

impl Emulator {
    /// Starts the emulator binary with `args` plus free ports for both roles.
    pub fn start(args: &[&str]) -> Self {
        Self::start_with_addrs(args, "127.0.0.1:0", "127.0.0.1:0")
    }

    /// Starts the emulator with explicit role addresses (e.g. to restart on
    /// the same ports).
    pub fn start_with_addrs(args: &[&str], clerk_addr: &str, instant_addr: &str) -> Self {
        Self::start_with_env(args, clerk_addr, instant_addr, &[])
    }

    /// Starts the emulator with explicit role addresses and environment
    /// changes: `(name, Some(value))` sets a variable, `(name, None)`
    /// removes it.
    pub fn start_with_env(
        args: &[&str],
        clerk_addr: &str,
        instant_addr: &str,
        env: &[(&str, Option<&str>)],
    ) -> Self {
        Self::spawn(args, clerk_addr, instant_addr, env, false)
    }

    /// Starts the emulator on free ports with its stderr (the log, at the
    /// default level: RUST_LOG and NO_COLOR are removed) captured for [`Emulator::log`].
    pub fn start_logging(args: &[&str]) -> Self {
        Self::spawn(
            args,
            "127.0.0.1:0",
            "127.0.0.1:0",
            // Neither a level nor NO_COLOR from the test's environment.
            &[("RUST_LOG", None), ("NO_COLOR", None)],
            true,
        )
    }

    fn spawn(
        args: &[&str],
        clerk_addr: &str,
        instant_addr: &str,
        env: &[(&str, Option<&str>)],
        capture_stderr: bool,
    ) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_emulator"));
        for (name, value) in env {
            match value {
                Some(value) => command.env(name, value),
                None => command.env_remove(name),
            };
        }
        let mut child = command
            .args(args)
            .args(["--clerk-addr", clerk_addr, "--instant-addr", instant_addr])
            .stdout(Stdio::piped())
            .stderr(if capture_stderr {
                Stdio::piped()
            } else {
                Stdio::inherit()
            })
            .spawn()
            .expect("start the emulator binary");
        let log = child.stderr.take().map(|stderr| {
            let log = Arc::new(Mutex::new(String::new()));
            let writer = Arc::clone(&log);
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    let mut log = writer.lock().unwrap();
                    log.push_str(&line);
                    log.push('\n');
                }
            });
            log
        });
        let values = match emulator::startup::wait_for_ready(&mut child, Duration::from_secs(30)) {
            Ok(values) => values,
            Err(err) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{err}");
            }
        };
        Self { child, values, log }
    }

    /// What the emulator has logged so far (started with
    /// [`Emulator::start_logging`]).
    pub fn log(&self) -> String {
        self.log
            .as_ref()
            .expect("started with Emulator::start_logging")
            .lock()
            .unwrap()
            .clone()
    }

    /// Waits up to 10 s for a log line containing `text`, and returns it.
    pub fn wait_for_log_line(&self, text: &str) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let log = self.log();
            if let Some(line) = log.lines().find(|line| line.contains(text)) {
                return line.to_owned();
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no log line with {text:?} within 10 s; the log:\n{log}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Base URL of the Instant role, e.g. `http://127.0.0.1:41234`.
    pub fn instant_url(&self) -> &str {
        &self.values["INSTANT_API_URI"]
    }

    /// Base URL of the Clerk role.
    pub fn clerk_url(&self) -> &str {
        &self.values["CLERK_FRONTEND_API"]
    }

    /// The default app id.
    pub fn app_id(&self) -> &str {
        &self.values["INSTANT_APP_ID"]
    }

    /// The emulator's Clerk publishable key.
    pub fn publishable_key(&self) -> &str {
        &self.values["CLERK_PUBLISHABLE_KEY"]
    }

    /// The OS process id (for kill -9 tests).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM (as a service manager or `kill` would) to the process.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM {} failed", self.pid());
    }

    /// Waits up to `limit` for the process to exit; `None` if it is still
    /// running then.
    pub fn wait_for_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("poll the emulator process") {
                return Some(status);
            }
            if std::time::Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the process with SIGKILL and waits for it.
    pub fn kill_hard(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.kill_hard();
    }
}
