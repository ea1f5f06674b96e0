//! `bench_app`: the app's size and speed, measured in headless Chromium
//! against the emulator. Run through `cargo xtask bench`, which builds the
//! release app into `target/bench/dist` and starts an in-memory emulator;
//! `cargo run -p e2e --bin bench_app` alone also works (the harness then
//! starts an emulator and builds the app itself).
//!
//! It measures
//! 1. what the app ships (every file of the dist dir: wasm after wasm-opt,
//!    JS glue, CSS, index.html), raw and gzip (level 9); clerk-js is not
//!    the app's (it comes from Clerk's host);
//! 2. time from navigation start to the text "Signed in with Instant
//!    through Clerk!" for (a) a first sign-in (Clerk session present, no
//!    Instant session stored) and (b) a reload with the Instant session
//!    stored, split at the moment `WebAssembly.instantiate(Streaming)`
//!    resolved; median and p90;
//! 3. requests to the Instant API per load: the page's own fetches
//!    (resource timing, with those started before the signed-in text
//!    showed) and the emulator's server-side counters.
//!
//! The marks come from a script Chromium runs before the page's own
//! (`Page.addScriptToEvaluateOnNewDocument` through ChromeDriver's CDP
//! pass-through): it wraps `WebAssembly.instantiate*` and watches the DOM
//! with a `MutationObserver`. The app is not changed for it.
//!
//! Options: see `bench_app --help` ([`Options`]).

mod load;
mod report;
mod sizes;

use std::path::{Path, PathBuf};
use std::time::Duration;

use e2e::Harness;
use serde_json::json;

use load::{Bench, Scenario};
use report::{budgets, print_report, Reference, Report, ScenarioReport};
use sizes::measure_dist;

/// What can go wrong while benchmarking.
#[derive(Debug, thiserror::Error)]
enum Error {
    /// The harness (emulator, build, server, ChromeDriver) did not start.
    #[error(transparent)]
    Harness(#[from] e2e::Error),
    /// A browser command failed.
    #[error(transparent)]
    Browser(#[from] e2e::browser::Error),
    /// The emulator's HTTP API failed.
    #[error(transparent)]
    Emulator(#[from] e2e::emulator::Error),
    /// A WebDriver command issued directly failed.
    #[error("{action}: {source}")]
    WebDriver {
        /// What the benchmark was doing.
        action: &'static str,
        /// The WebDriver error (boxed: it is large).
        source: Box<fantoccini::error::CmdError>,
    },
    /// ChromeDriver's CDP pass-through failed.
    #[error("sending {command} to Chromium over ChromeDriver's CDP pass-through: {source}")]
    Cdp {
        /// The CDP command.
        command: &'static str,
        /// The HTTP error.
        source: reqwest::Error,
    },
    /// A file could not be read or written.
    #[error("{action} {}: {source}", .path.display())]
    Io {
        /// What the benchmark was doing.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The page did not behave as the scenario needs.
    #[error("{0}")]
    Scenario(String),
}

type Result<T, E = Error> = std::result::Result<T, E>;

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.to_owned();
    move |source| Error::Io {
        action,
        path,
        source,
    }
}

fn webdriver_error(action: &'static str) -> impl FnOnce(fantoccini::error::CmdError) -> Error {
    move |source| Error::WebDriver {
        action,
        source: Box::new(source),
    }
}

/// Command-line options.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "bench_app",
    about = "The app's size and speed, measured in headless Chromium against the emulator"
)]
struct Options {
    /// Measured pairs of loads, (a) then (b), at least 1.
    #[arg(long, env = "BENCH_RUNS", default_value_t = 20,
          value_parser = clap::value_parser!(u16).range(1..))]
    runs: u16,
    /// Unrecorded pairs of loads before the measured ones.
    #[arg(long, default_value_t = 2)]
    warmup: u16,
    /// How long a load may keep making requests after the signed-in text
    /// (they still count for it), in ms.
    #[arg(long = "settle-ms", default_value_t = 1000)]
    settle_ms: u64,
    /// Where the report goes [default: target/bench/report.json in the
    /// workspace].
    #[arg(long)]
    out: Option<PathBuf>,
}

impl Options {
    fn settle(&self) -> Duration {
        Duration::from_millis(self.settle_ms)
    }

    fn out(&self) -> PathBuf {
        self.out
            .clone()
            .unwrap_or_else(|| e2e::files_dir(&e2e::workspace_root()).join("bench/report.json"))
    }
}

async fn run(options: Options) -> Result<Report> {
    let harness = Harness::start()?;
    let shipped = measure_dist(&harness.dist_dir)?;
    eprintln!(
        "bench: the app ships {:.1} KB gzip; signing in once, then {} warm-up and {} measured \
         pairs of loads",
        shipped.total.gzip as f64 / 1000.0,
        options.warmup,
        options.runs
    );
    let mut bench = Bench::start(&harness, options.settle()).await?;
    let user_agent = bench
        .browser
        .client()
        .execute("return navigator.userAgent;", vec![])
        .await
        .map_err(webdriver_error("reading the user agent"))?;
    let (mut first, mut reload) = (Vec::new(), Vec::new());
    for round in 0..options.warmup + options.runs {
        // (a) leaves a stored session behind, which (b) then reloads with.
        let a = bench.load(Scenario::FirstSignIn).await?;
        let b = bench.load(Scenario::Reload).await?;
        if round >= options.warmup {
            eprintln!(
                "bench: run {:>2}: (a) {:>6.1} ms ({} exchange)  (b) {:>6.1} ms ({:.1} after wasm)",
                round - options.warmup + 1,
                a.signed_in_ms,
                a.exchange_calls,
                b.signed_in_ms,
                b.after_wasm_ms
            );
            first.push(a);
            reload.push(b);
        }
    }
    bench.browser.close().await?;

    let first = ScenarioReport::new(Scenario::FirstSignIn, first);
    let reload = ScenarioReport::new(Scenario::Reload, reload);
    let budgets = budgets(&shipped, &first, &reload);
    let reference = Reference::new(&shipped, &reload);
    let emulator = if harness.emulator.started_here() {
        "started by the harness"
    } else {
        "started by cargo xtask bench"
    };
    Ok(Report {
        environment: json!({
            "user_agent": user_agent,
            "dist": harness
                .dist_dir
                .strip_prefix(e2e::workspace_root())
                .unwrap_or(&harness.dist_dir)
                .display()
                .to_string(),
            "emulator": emulator,
            "http_cache": "warm (one Chromium profile for all runs)",
            "served_by": "the e2e harness's static server on loopback, uncompressed",
            "runs": options.runs,
            "warmup_pairs": options.warmup,
            "settle_ms": options.settle_ms,
        }),
        shipped,
        first_sign_in: first,
        reload,
        reference,
        budgets,
    })
}

fn write_report(report: &Report, out: &Path) -> Result<()> {
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).map_err(io_error("creating", dir))?;
    }
    let text = serde_json::to_string_pretty(report)
        .map_err(|err| Error::Scenario(format!("cannot serialize the report: {err}")))?;
    std::fs::write(out, text + "\n").map_err(io_error("writing", out))
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> std::process::ExitCode {
    // A wrong argument: clap prints what is wrong with it and exits with 2.
    let options = <Options as clap::Parser>::parse();
    let out = options.out();
    match run(options).await {
        Ok(report) => match write_report(&report, &out) {
            Ok(()) => {
                print_report(&report, &out);
                std::process::ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("bench: {err}");
                std::process::ExitCode::FAILURE
            }
        },
        Err(err) => {
            eprintln!("bench: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_default_and_parse() {
        use clap::{CommandFactory as _, Parser as _};
        let parse = |args: &[&str]| Options::try_parse_from(["bench_app"].iter().chain(args));
        let options = parse(&[]).unwrap();
        assert_eq!((options.runs, options.warmup), (20, 2));
        assert_eq!(options.settle(), Duration::from_millis(1000));
        assert!(options.out().ends_with("bench/report.json"));
        let options = parse(&["--runs", "5", "--settle-ms", "10", "--out", "r.json"]).unwrap();
        assert_eq!(options.runs, 5);
        assert_eq!(options.settle(), Duration::from_millis(10));
        assert_eq!(options.out(), PathBuf::from("r.json"));
        for bad in [&["--runs", "0"][..], &["--runs", "x"], &["--nope"]] {
            let err = parse(bad).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad:?}: {err}");
        }
        // `BENCH_RUNS=40 cargo xtask bench` (the README's way) sets --runs.
        let command = Options::command();
        let runs = command
            .get_arguments()
            .find(|arg| arg.get_id() == "runs")
            .unwrap();
        assert_eq!(runs.get_env(), Some(std::ffi::OsStr::new("BENCH_RUNS")));
    }
}
