//! `cargo xtask test`: every test layer against one fresh in-memory
//! emulator on free loopback ports; the last line counts all layers
//! together as `N passed, N failed`.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::Context as _;

use crate::emulator::Emulator;
use crate::process::{interrupted, run_checked, unless_interrupted, Guarded};
use crate::tools::{self, Needs};
use crate::workspace_root;

/// Which layers to run.
#[derive(clap::Args)]
pub struct TestArgs {
    /// Run only these layers (native, browser, e2e); all when empty.
    #[arg(value_parser = ["native", "browser", "e2e"])]
    layers: Vec<String>,
}

/// Pass/fail counts summed over `cargo test` result lines.
#[derive(Default, Debug, PartialEq, Eq)]
struct Tally {
    passed: u64,
    failed: u64,
}

impl Tally {
    /// Adds the counts of a `test result: …. N passed; M failed; …` line;
    /// whether `line` was one.
    fn add_line(&mut self, line: &str) -> bool {
        let Some(rest) = line.trim().strip_prefix("test result: ") else {
            return false;
        };
        let count = |word: &str| -> Option<u64> {
            rest.split(';').find_map(|part| {
                let part = part
                    .trim()
                    .trim_start_matches("ok. ")
                    .trim_start_matches("FAILED. ");
                part.strip_suffix(word)?.trim().parse().ok()
            })
        };
        match (count(" passed"), count(" failed")) {
            (Some(p), Some(f)) => {
                self.passed += p;
                self.failed += f;
                true
            }
            _ => false,
        }
    }
}

pub fn run(args: TestArgs) -> anyhow::Result<()> {
    let wants = |layer: &str| args.layers.is_empty() || args.layers.iter().any(|l| l == layer);
    // Every layer runs Chromium: the native one too, for the emulator's
    // tests of its clerk-js stand-in (emulator/tests/clerk_browser.rs).
    tools::setup(Needs::Browser)?;
    let log_dir = workspace_root().join("target/xtask");
    // A build stopped by Ctrl-C did not fail: nothing more is built.
    if let Err(err) = unless_interrupted(build_tests(), interrupted())? {
        // The browser and e2e layers only need the emulator (built with
        // other features here, a rare extra build); the native layer shows
        // the compile error again, as its failure.
        eprintln!("xtask: {err:#}; building the emulator alone");
        crate::emulator::build()?;
    }
    let emulator = Emulator::start_in_memory(&log_dir)?;

    let mut total = Tally::default();
    let mut broken_layers = Vec::new();

    if wants("native") {
        let mut command = cargo(&["test", "--no-fail-fast"]);
        command.args(NATIVE_SELECTION);
        emulator.apply_env(&mut command);
        run_layer("native", &mut command, &mut total, &mut broken_layers)?;
    }
    if wants("browser") {
        // ChromeDriver, as wasm-bindgen-test-runner drives it, leaves a
        // browser profile of about 50 MB in the temp dir for each test
        // binary: give the layer a temp dir of its own, removed afterwards.
        let temp_dir = ScratchDir::fresh(browser_temp_dir())?;
        let browser_tests = |extra: &[&str]| {
            let mut command = cargo(&[
                "test",
                "--no-fail-fast",
                "--package",
                "clerk-instant",
                "--target",
                "wasm32-unknown-unknown",
            ]);
            command.args(extra);
            emulator.apply_env(&mut command);
            command
                .env("CHROMEDRIVER", "chromedriver")
                .env("WASM_BINDGEN_TEST_TIMEOUT", "120")
                .env("TMPDIR", temp_dir.path());
            command
        };
        run_layer(
            "browser",
            &mut browser_tests(&[]),
            &mut total,
            &mut broken_layers,
        )?;
        // The `clerk` and `instant` modules as another app gets them
        // (`default-features = false`: no example app, no router), in a
        // client-side app (Leptos's `csr`); cargo leaves out the tests of
        // the example app, which need the feature.
        run_layer(
            "browser (library alone)",
            &mut browser_tests(&["--no-default-features", "--features", "leptos/csr"]),
            &mut total,
            &mut broken_layers,
        )?;
    }
    if wants("e2e") {
        match build_e2e_dist(&emulator) {
            Ok(dist) => {
                let mut command = e2e_command(&emulator, &dist, &e2e_test_targets()?);
                run_layer("e2e", &mut command, &mut total, &mut broken_layers)?;
            }
            Err(err) => {
                unless_interrupted((), interrupted())?;
                eprintln!("xtask: {err:#}");
                broken_layers.push("e2e".to_owned());
            }
        }
    }
    drop(emulator);

    for layer in &broken_layers {
        eprintln!(
            "xtask: the {layer} layer failed outside any test (build error or crash; see above)"
        );
    }
    let failed = total.failed + broken_layers.len() as u64;
    println!("{} passed, {} failed", total.passed, failed);
    anyhow::ensure!(failed == 0, "some tests failed");
    Ok(())
}

/// Where the e2e layer's release build of the app goes.
pub const E2E_DIST: &str = "target/e2e/dist";

/// Builds the release app with `emulator`'s values compiled in, for the e2e
/// layer and `screenshots`.
pub fn build_e2e_dist(emulator: &Emulator) -> anyhow::Result<PathBuf> {
    let dist = workspace_root().join(E2E_DIST);
    emulator.build_release_app(&dist)?;
    Ok(dist)
}

/// The native layer's selection: the whole workspace. The e2e crate's
/// browser tests are `test = false` (they need the release build of the
/// app): the e2e layer names them.
///
/// Every native `cargo test` and build here selects the whole workspace.
/// Cargo turns on a dependency's features for the packages a command
/// selects, so `--package e2e` or `cargo build --package emulator` would
/// build tokio, hyper, axum and about 120 other crates a second and third
/// time with other features: 600 MB more in target/ and a minute more on a
/// clean machine.
const NATIVE_SELECTION: [&str; 1] = ["--workspace"];

/// Compiles the native tests and, with them, the emulator binary that every
/// layer runs against. (The app crate compiles once more in the native
/// layer, which sets the emulator's values it reads with `option_env!`.)
pub fn build_tests() -> anyhow::Result<()> {
    eprintln!("xtask: building the native tests and the emulator");
    run_checked(cargo(&["test", "--no-run", "--quiet"]).args(NATIVE_SELECTION))
        .context("building the native tests")
}

/// The e2e crate's browser tests: each `.rs` file directly in `e2e/tests/`
/// (each has a `[[test]]` entry in e2e/Cargo.toml; cargo refuses a name
/// without one, so a test file left out of it fails the layer).
fn e2e_test_targets() -> anyhow::Result<Vec<String>> {
    let dir = workspace_root().join("e2e/tests");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "rs") {
            if let Some(stem) = path.file_stem().and_then(|stem| stem.to_str()) {
                names.push(stem.to_owned());
            }
        }
    }
    anyhow::ensure!(!names.is_empty(), "no test files in {}", dir.display());
    names.sort();
    Ok(names)
}

/// `cargo test --workspace --test NAME…` for the e2e crate's `tests` against
/// `emulator` and the app built into `dist`, with the axe-core that
/// `tools::setup` installed. (Test target names are unique in the workspace.)
pub fn e2e_command(emulator: &Emulator, dist: &Path, tests: &[String]) -> Command {
    let mut command = cargo(&["test", "--no-fail-fast", "--workspace"]);
    for test in tests {
        command.args(["--test", test]);
    }
    emulator.apply_env(&mut command);
    command.env("E2E_DIST_DIR", dist);
    command.env("E2E_AXE_CORE_JS", tools::axe_core_js());
    command
}

/// A directory that is removed when dropped. Created empty: a run that was
/// stopped before it could clean up leaves nothing for the next one.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn fresh(path: PathBuf) -> anyhow::Result<Self> {
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(Self(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The browser layer's temp dir: short, because Chromium makes a Unix
/// socket at `$TMPDIR/org.chromium.Chromium.XXXXXX/SingletonSocket` and a
/// socket path may not exceed 107 bytes (under a long checkout path every
/// browser test failed to start). One name per workspace, so a run that was
/// stopped before it could clean up is cleaned up by the next.
fn browser_temp_dir() -> PathBuf {
    use std::hash::{Hash as _, Hasher as _};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    workspace_root().hash(&mut hasher);
    let name = format!("xtask-browser-{:016x}", hasher.finish());
    let system = std::env::temp_dir();
    let base = if system.as_os_str().len() <= 32 {
        system
    } else {
        PathBuf::from("/tmp")
    };
    base.join(name)
}

fn cargo(args: &[&str]) -> Command {
    let mut command = Command::new("cargo");
    command.args(args).current_dir(workspace_root());
    command
}

/// How long one layer may run: each takes under 5 minutes on a 2-core
/// machine with a cold build, so a layer past this has hung.
const LAYER_TIME_LIMIT: Duration = Duration::from_secs(25 * 60);

/// Runs one layer, echoing its output and adding its result lines to `total`.
/// A non-zero exit that no result line accounts for marks the layer broken.
fn run_layer(
    name: &str,
    command: &mut Command,
    total: &mut Tally,
    broken: &mut Vec<String>,
) -> anyhow::Result<()> {
    eprintln!("xtask: === {name} tests ===");
    command.stdout(Stdio::piped());
    let mut process = Guarded::spawn(command)?;
    // A hung test fails its layer rather than the whole run's time limit.
    let _watchdog = process.stop_after(LAYER_TIME_LIMIT, format!("the {name} layer"));
    let stdout = process.child_mut().stdout.take().context("test stdout")?;
    let mut layer = Tally::default();
    // Bytes, not `lines()`: one line that is not UTF-8 (a test's output)
    // must not end the reading, and with it the count.
    for line in BufReader::new(stdout).split(b'\n').map_while(Result::ok) {
        let line = String::from_utf8_lossy(&line);
        println!("{line}");
        layer.add_line(&line);
    }
    // A layer stopped by Ctrl-C is neither counted nor called broken.
    let status = unless_interrupted(process.wait()?, interrupted())?;
    eprintln!(
        "xtask: {name}: {} passed, {} failed",
        layer.passed, layer.failed
    );
    if !status.success() && layer.failed == 0 {
        broken.push(name.to_owned());
    }
    total.passed += layer.passed;
    total.failed += layer.failed;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{ScratchDir, Tally};

    #[test]
    fn a_scratch_dir_starts_empty_and_is_removed_when_dropped() {
        let parent = std::env::temp_dir().join(format!("xtask-scratch-{}", std::process::id()));
        let path = parent.join("scratch");
        std::fs::create_dir_all(&path).unwrap();
        std::fs::write(path.join("left-by-a-stopped-run"), b"x").unwrap();

        let scratch = ScratchDir::fresh(path.clone()).unwrap();
        assert_eq!(std::fs::read_dir(scratch.path()).unwrap().count(), 0);
        std::fs::write(path.join("profile"), b"x").unwrap();
        drop(scratch);
        assert!(!path.exists());
        std::fs::remove_dir_all(&parent).unwrap();
    }

    #[test]
    fn counts_cargo_and_wasm_bindgen_result_lines() {
        let mut tally = Tally::default();
        assert!(tally.add_line(
            "test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s"
        ));
        assert!(tally.add_line("test result: FAILED. 3 passed; 2 failed; 0 ignored"));
        assert!(!tally.add_line("running 3 tests"));
        assert_eq!(
            tally,
            Tally {
                passed: 15,
                failed: 2
            }
        );
    }
}
