//! Starts the emulator binary and reads the values it prints.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{bail, Context as _};

use crate::process::{run_checked, Guarded};
use crate::workspace_root;

/// A running emulator; stopped when dropped.
pub struct Emulator {
    process: Guarded,
    /// The `KEY=value` lines it printed (INSTANT_APP_ID, INSTANT_API_URI,
    /// CLERK_PUBLISHABLE_KEY, CLERK_CLIENT_NAME, CLERK_FRONTEND_API).
    pub values: BTreeMap<String, String>,
}

/// Builds the emulator (debug profile, shared with `cargo test`).
pub fn build() -> anyhow::Result<()> {
    run_checked(
        Command::new("cargo")
            .args(["build", "--quiet", "--package", "emulator"])
            .current_dir(workspace_root()),
    )
    .context("building the emulator")
}

impl Emulator {
    /// Starts the debug build of the emulator with `ARGS`, waits for its `ready` line, and
    /// copies the rest of its output to `log` (stdout when `None`).
    pub fn start(args: &[&str], log: Option<std::path::PathBuf>) -> anyhow::Result<Self> {
        let binary = crate::cargo_target_dir().join("debug/emulator");
        let mut process = Guarded::spawn(
            Command::new(&binary)
                .args(args)
                .current_dir(workspace_root())
                .stdout(Stdio::piped()),
        )?;
        let stdout = process
            .child_mut()
            .stdout
            .take()
            .context("emulator stdout")?;
        let (sender, receiver) = mpsc::channel::<Option<String>>();
        std::thread::spawn(move || {
            let mut sink: Box<dyn std::io::Write + Send> =
                match log.and_then(|path| std::fs::File::create(path).ok()) {
                    Some(file) => Box::new(file),
                    None => Box::new(std::io::stdout()),
                };
            let mut ready = false;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = writeln!(sink, "{line}");
                if !ready {
                    ready = line == "ready";
                    let _ = sender.send(Some(line));
                }
            }
            let _ = sender.send(None);
        });
        let mut values = BTreeMap::new();
        loop {
            match receiver.recv_timeout(Duration::from_secs(30)) {
                Ok(Some(line)) if line == "ready" => break,
                Ok(Some(line)) => {
                    if let Some((key, value)) = line.split_once('=') {
                        values.insert(key.to_owned(), value.to_owned());
                    }
                }
                Ok(None) => bail!("the emulator exited before it was ready (see its output above)"),
                Err(_) => bail!("the emulator did not say `ready` within 30 s"),
            }
        }
        Ok(Self { process, values })
    }

    /// Starts the built emulator with an in-memory store on free loopback
    /// ports, its output going to `log_dir/emulator.log`: the throwaway
    /// emulator that tests, screenshots and benchmarks run against. The
    /// caller builds it first ([`build`], or the tests' build).
    pub fn start_in_memory(log_dir: &std::path::Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(log_dir)
            .with_context(|| format!("cannot create {}", log_dir.display()))?;
        let log = log_dir.join("emulator.log");
        let emulator = Self::start(
            &[
                "--in-memory",
                "--clerk-addr",
                "127.0.0.1:0",
                "--instant-addr",
                "127.0.0.1:0",
            ],
            Some(log.clone()),
        )?;
        eprintln!(
            "xtask: emulator up: Clerk {} / Instant {} (log: {})",
            emulator.value("CLERK_FRONTEND_API")?,
            emulator.value("INSTANT_API_URI")?,
            log.strip_prefix(workspace_root()).unwrap_or(&log).display()
        );
        Ok(emulator)
    }

    /// `trunk build --release --dist DIST` with this emulator's values
    /// compiled in (the app reads them with `option_env!`).
    pub fn build_release_app(&self, dist: &std::path::Path) -> anyhow::Result<()> {
        eprintln!(
            "xtask: building the release app into {}",
            dist.strip_prefix(workspace_root())
                .unwrap_or(dist)
                .display()
        );
        let mut trunk = Command::new("trunk");
        trunk
            .args(["build", "--release", "--dist"])
            .arg(dist)
            .env("TRUNK_SKIP_VERSION_CHECK", "true")
            .current_dir(workspace_root());
        self.apply_env(&mut trunk);
        run_checked(&mut trunk).context("building the app (trunk build --release)")
    }

    /// The emulator's exit status, once it has exited (it never does on
    /// its own: a crash, or someone killed it).
    pub fn try_wait(&mut self) -> anyhow::Result<Option<std::process::ExitStatus>> {
        self.process.try_wait()
    }

    /// One printed value.
    pub fn value(&self, key: &str) -> anyhow::Result<&str> {
        self.values
            .get(key)
            .map(String::as_str)
            .with_context(|| format!("the emulator did not print {key}"))
    }

    /// The values as environment variables for a child command.
    pub fn apply_env(&self, command: &mut Command) {
        for (key, value) in &self.values {
            command.env(key, value);
        }
    }
}
