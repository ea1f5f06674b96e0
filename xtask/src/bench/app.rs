//! `cargo xtask bench` (the app): builds the release app for a fresh
//! in-memory emulator, then runs the e2e crate's `bench_app` binary, which
//! measures the shipped sizes, the time to the signed-in text and the
//! Instant requests per page load in headless Chromium, prints a table and
//! writes `target/bench/report.json`.
//!
//! `BENCH_RUNS=N` sets the number of measured runs per scenario (default 20).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;

use crate::emulator::Emulator;
use crate::process::run_checked;
use crate::tools::{self, Needs};
use crate::workspace_root;

/// The number of measured runs, which `bench_app` reads as its `--runs`.
const RUNS_VARIABLE: &str = "BENCH_RUNS";

/// Refuses a `BENCH_RUNS` that `bench_app` would refuse (its `--runs`
/// takes a whole number from 1 to 65535; set but empty counts as set),
/// naming the variable and what to write; unset is the default, 20.
fn check_runs(value: Option<&std::ffi::OsStr>) -> anyhow::Result<()> {
    let Some(value) = value else {
        return Ok(());
    };
    match value.to_str().map(str::parse::<u16>) {
        Some(Ok(runs)) if runs >= 1 => Ok(()),
        _ => anyhow::bail!(
            "{RUNS_VARIABLE}={value:?} is not a number of runs: set it to a whole number from 1 \
             to 65535 (e.g. {RUNS_VARIABLE}=40), or unset it for the default, 20"
        ),
    }
}

/// Where the benchmark's build, logs and report go.
const BENCH_DIR: &str = "target/bench";

pub fn run() -> anyhow::Result<()> {
    // Before the builds: the benchmark binary reads it only once the
    // release app is built, minutes later, and names it `--runs` then.
    check_runs(std::env::var_os(RUNS_VARIABLE).as_deref())?;
    tools::setup(Needs::Browser)?;
    let bench_dir = workspace_root().join(BENCH_DIR);
    crate::emulator::build()?;
    let emulator = Emulator::start_in_memory(&bench_dir)?;
    let dist = build_release_app(&emulator, &bench_dir)?;

    let mut bench = Command::new("cargo");
    bench
        .args([
            "run",
            "--quiet",
            "--package",
            "e2e",
            "--bin",
            "bench_app",
            "--",
        ])
        .arg("--out")
        .arg(bench_dir.join("report.json"))
        .env("E2E_DIST_DIR", &dist)
        .current_dir(workspace_root());
    emulator.apply_env(&mut bench);
    run_checked(&mut bench).context("the app benchmark failed (see its output above)")?;
    drop(emulator);
    Ok(())
}

/// The release app with the emulator's values compiled in, in
/// `target/bench/dist`: a dist of its own, so that the e2e layer's build is
/// never overwritten mid-test.
fn build_release_app(emulator: &Emulator, bench_dir: &Path) -> anyhow::Result<PathBuf> {
    let dist = bench_dir.join("dist");
    emulator.build_release_app(&dist)?;
    Ok(dist)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_bench_runs_is_refused_naming_the_variable() {
        for bad in ["abc", "", "0", "-3", "1.5", " 5", "65536", "20x"] {
            let error = check_runs(Some(std::ffi::OsStr::new(bad)))
                .expect_err(bad)
                .to_string();
            assert!(
                error.starts_with(&format!("BENCH_RUNS={bad:?} is not a number of runs"))
                    && error.contains("from 1 to 65535"),
                "{bad:?}: {error}"
            );
        }
        for good in ["1", "20", "65535"] {
            assert!(
                check_runs(Some(std::ffi::OsStr::new(good))).is_ok(),
                "{good}"
            );
        }
        assert!(check_runs(None).is_ok());
    }
}
