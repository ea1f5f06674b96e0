//! `cargo xtask bench [app|emulator|floor]`: measurements, never timed
//! tests.

mod app;
mod emulator;
mod floor;

/// Which benchmark to run.
#[derive(clap::Args)]
pub struct BenchArgs {
    /// `app` (the default) for the app's size and speed, `emulator` for
    /// exchange throughput, `floor` for what Leptos alone ships.
    #[arg(value_parser = ["app", "emulator", "floor"], default_value = "app")]
    target: String,
}

pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    match args.target.as_str() {
        "emulator" => emulator::run(),
        "floor" => floor::run(),
        _ => app::run(),
    }
}
