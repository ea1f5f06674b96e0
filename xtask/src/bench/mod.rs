//! `cargo xtask bench [emulator]`: measurements, never timed tests.

mod app;
mod emulator;

/// Which benchmark to run.
#[derive(clap::Args)]
pub struct BenchArgs {
    /// `emulator` for exchange throughput; nothing for the app's size and speed.
    #[arg(value_parser = ["app", "emulator"], default_value = "app")]
    target: String,
}

pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    match args.target.as_str() {
        "emulator" => emulator::run(),
        _ => app::run(),
    }
}
