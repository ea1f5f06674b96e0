//! `cargo xtask …`: the project's own commands.
//!
//! - `setup`: install every missing tool (wasm target, Trunk, wasm-bindgen
//!   CLI, wasm-opt, and with `--browser` Chromium, ChromeDriver and
//!   axe-core).
//! - `dev`: the emulator plus `trunk serve` at http://127.0.0.1:8080.
//! - `test`: every test layer against a fresh in-memory emulator.
//! - `bench`: the app's size and speed; `bench emulator`: exchange
//!   throughput; `bench floor`: what Leptos alone ships.
//! - `screenshots`: regenerate the README's screenshots in `docs/`.

mod bench;
mod dev;
mod emulator;
mod process;
mod screenshots;
mod test;
mod tools;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Project commands: setup, dev, test, bench, screenshots"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Install whatever tool is missing.
    Setup {
        /// Also install Chromium and ChromeDriver (needed by `test`).
        #[arg(long)]
        browser: bool,
    },
    /// Run the emulator and serve the app at http://127.0.0.1:8080 until Ctrl-C.
    Dev,
    /// Run every test layer (native, browser, end-to-end) against a fresh emulator.
    Test(test::TestArgs),
    /// Benchmarks: `bench` (the app), `bench emulator` or `bench floor`.
    Bench(bench::BenchArgs),
    /// Regenerate the README's screenshots in docs/screenshots/ (runs the e2e flow).
    Screenshots,
}

fn main() -> std::process::ExitCode {
    process::install_interrupt_handler();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Setup { browser } => tools::setup(if browser {
            tools::Needs::Browser
        } else {
            tools::Needs::Build
        }),
        Command::Dev => dev::run(),
        Command::Test(args) => test::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Screenshots => screenshots::run(),
    };
    process::stop_all();
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Cargo's target directory, where `cargo build` puts binaries:
/// `CARGO_TARGET_DIR` (relative to the workspace root) or `target`.
pub fn cargo_target_dir() -> std::path::PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => workspace_root().join(dir),
        _ => workspace_root().join("target"),
    }
}

/// The workspace root (xtask lives one level below it).
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits inside the workspace")
        .to_path_buf()
}
