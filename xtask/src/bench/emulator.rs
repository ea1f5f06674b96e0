//! `cargo xtask bench emulator`: ID-token exchanges per second and their
//! p50/p99 latency at 1, 16 and 64 concurrent clients, for returning and for
//! new users, on loopback.
//!
//! Builds the emulator and its load generator (`loadgen`) optimized for speed, then
//! runs the load generator twice: against the emulator with its SQLite file
//! in a fresh data dir under `target/bench/emulator` (the real
//! configuration), then against `--in-memory`. The load generator plays the
//! Clerk instance (its own key, discovery and JWKS), registers it through a
//! config file, starts the emulator and prints one table per run, with the
//! CPU time each process spent per exchange. Both share this machine's
//! cores, as the goal assumes.

use std::process::Command;

use anyhow::Context as _;

use crate::process::run_checked;
use crate::workspace_root;

/// Where the file-backed run keeps its database.
const DATA_DIR: &str = "target/bench/emulator";

pub fn run() -> anyhow::Result<()> {
    // `native-release`, not `release`: the release profile is tuned for the
    // wasm app's size (opt-level "z"), which would slow the emulator down.
    eprintln!("xtask: building the emulator and loadgen (native-release profile)");
    run_checked(
        Command::new("cargo")
            .args([
                "build",
                "--profile",
                "native-release",
                "--quiet",
                "--package",
                "emulator",
                "--bins",
            ])
            .current_dir(workspace_root()),
    )
    .context("building the emulator (native-release profile)")?;
    let release = crate::cargo_target_dir().join("native-release");
    let emulator = release.join("emulator");
    let loadgen = release.join("loadgen");

    let data_dir = workspace_root().join(DATA_DIR);
    if data_dir.exists() {
        std::fs::remove_dir_all(&data_dir)
            .with_context(|| format!("removing the previous run's {DATA_DIR}"))?;
    }

    println!("\n== SQLite file (the emulator's real configuration) ==");
    run_checked(
        Command::new(&loadgen)
            .arg("--emulator")
            .arg(&emulator)
            .arg("--data-dir")
            .arg(&data_dir)
            .current_dir(workspace_root()),
    )
    .context("the file-backed benchmark failed (see its output above)")?;

    println!("\n== in memory (--in-memory) ==");
    run_checked(
        Command::new(&loadgen)
            .arg("--emulator")
            .arg(&emulator)
            .arg("--in-memory")
            .current_dir(workspace_root()),
    )
    .context("the in-memory benchmark failed (see its output above)")?;

    let _ = std::fs::remove_dir_all(&data_dir);
    Ok(())
}
