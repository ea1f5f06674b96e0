//! `emulator`: plays Clerk and InstantDB on loopback. See `--help`.

use clap::Parser as _;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "emulator=info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = emulator::cli::Cli::parse();
    match emulator::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("emulator: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
