//! `cargo xtask …`: the project's own commands.
//!
//! - `setup`: install every missing tool (wasm target, Trunk, wasm-bindgen
//!   CLI, wasm-opt, and with `--browser` Chromium, ChromeDriver and
//!   axe-core).
//! - `dev`: the emulator plus `trunk serve` at http://127.0.0.1:8080.
//! - `test`: every test layer against a fresh in-memory emulator.
//! - `bench`: the app's size and speed; `bench emulator`: exchange
//!   throughput; `bench floor`: what Leptos alone ships.
//! - `screenshots`: regenerate the README's screenshots in `docs/screenshots/`.

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
    bin_name = "cargo xtask",
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
        /// Also install Chromium, ChromeDriver and axe-core (needed by `test`'s browser and
        /// e2e layers).
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
    let cli = Cli::parse();
    // Before any thread starts (the interrupt handler's): children inherit
    // it, so cargo, Trunk and the tests all use the one target dir.
    match resolve_cargo_target_dir() {
        Ok(dir) => std::env::set_var("CARGO_TARGET_DIR", dir),
        Err(err) => {
            eprintln!("xtask: {err:#}");
            return std::process::ExitCode::FAILURE;
        }
    }
    process::install_interrupt_handler();
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
    match process::ending(result, process::interrupted()) {
        // The interrupt handler is stopping everything and exits with 130;
        // what the command returned meanwhile (a child it stopped, seen as
        // a failed build or as "No child processes") is no error.
        process::Ending::Interrupted => process::wait_for_interrupt_handler(),
        process::Ending::Done => {
            process::stop_all();
            std::process::ExitCode::SUCCESS
        }
        process::Ending::Failed(message) => {
            process::stop_all();
            eprintln!("xtask: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Cargo's target directory as cargo itself resolves it
/// (`CARGO_TARGET_DIR`, `build.target-dir` in a cargo config file, or
/// `target`), from `cargo metadata`.
fn resolve_cargo_target_dir() -> anyhow::Result<std::path::PathBuf> {
    use anyhow::Context as _;
    let output = std::process::Command::new("cargo")
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(workspace_root())
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("cannot run `cargo metadata` to find cargo's target dir")?;
    anyhow::ensure!(
        output.status.success(),
        "`cargo metadata` failed ({}); its message is above",
        output.status
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)
        .context("`cargo metadata` printed something other than JSON")?;
    let dir = metadata["target_directory"]
        .as_str()
        .context("`cargo metadata` did not name the target dir")?;
    Ok(dir.into())
}

/// Cargo's target directory, where `cargo build` puts binaries: the
/// absolute path `main` resolved (see `resolve_cargo_target_dir`) and put
/// in `CARGO_TARGET_DIR` before anything else ran; `target/` in the
/// workspace for xtask's unit tests, where `main` did not run.
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

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    #[test]
    fn setup_help_names_everything_browser_installs() {
        let mut cli = super::Cli::command();
        let help = cli
            .find_subcommand_mut("setup")
            .expect("a setup subcommand")
            .render_help()
            .to_string();
        for tool in ["Chromium", "ChromeDriver", "axe-core"] {
            assert!(help.contains(tool), "{tool} missing from:\n{help}");
        }
    }
}
