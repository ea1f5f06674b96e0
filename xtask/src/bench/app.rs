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

/// Where the benchmark's build, logs and report go.
const BENCH_DIR: &str = "target/bench";

pub fn run() -> anyhow::Result<()> {
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
