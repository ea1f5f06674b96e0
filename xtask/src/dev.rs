//! `cargo xtask dev`: the emulator on its default ports and `trunk serve`
//! at http://127.0.0.1:8080, until Ctrl-C.

use std::process::Command;
use std::time::Duration;

use crate::emulator::{self, Emulator};
use crate::process::Guarded;
use crate::tools::{self, Needs};
use crate::workspace_root;

pub fn run() -> anyhow::Result<()> {
    tools::setup(Needs::Build)?;
    emulator::build()?;
    // Default ports and the persistent data dir: the app's built-in defaults
    // point here, so no environment variable is needed.
    let emulator = Emulator::start(&["--data-dir", ".emulator"], None)?;
    let mut trunk = Command::new("trunk");
    trunk
        .args(["serve", "--address", "127.0.0.1", "--port", "8080"])
        .env("TRUNK_SKIP_VERSION_CHECK", "true")
        .current_dir(workspace_root());
    emulator.apply_env(&mut trunk);
    let mut trunk = Guarded::spawn(&mut trunk)?;
    eprintln!();
    eprintln!("xtask: the app will be at http://127.0.0.1:8080 once Trunk has built it");
    eprintln!(
        "xtask: the emulator's Clerk users and sessions are at {}",
        emulator.value("CLERK_FRONTEND_API")?
    );
    eprintln!("xtask: press Ctrl-C to stop both");
    loop {
        if let Some(status) = trunk.try_wait()? {
            if crate::process::interrupted() {
                return Ok(());
            }
            anyhow::bail!("trunk serve exited ({status})");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
