//! `emulator`: plays Clerk and InstantDB on loopback. See `--help`.

use std::time::Duration;

use clap::Parser as _;

/// How long, once `run` has returned, tasks still running on the runtime
/// (connections cut off after the shutdown grace period, a signing key
/// still being generated) may take before the process exits anyway.
const RUNTIME_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(1);

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "emulator=info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        // Colours only for a person at a terminal: a log captured to a
        // file or a pipe (`cargo xtask dev`) gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = emulator::cli::Cli::parse();
    // Built by hand rather than with #[tokio::main]: dropping a runtime
    // waits for all its blocking tasks without limit, and a stop must not.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            emulator::print_to_stderr(format_args!(
                "emulator: cannot start the async runtime: {err}"
            ));
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(emulator::run(cli));
    runtime.shutdown_timeout(RUNTIME_SHUTDOWN_TIMEOUT);
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            emulator::print_to_stderr(format_args!("emulator: {err:#}"));
            std::process::ExitCode::FAILURE
        }
    }
}
