//! `cargo xtask dev`: the emulator on its default ports and `trunk serve`
//! at http://127.0.0.1:8080, until Ctrl-C.

use std::process::Command;
use std::time::Duration;

use anyhow::Context as _;

use crate::emulator::{self, Emulator};
use crate::process::Guarded;
use crate::tools::{self, Needs};
use crate::workspace_root;

/// The addresses `dev` serves on: the app's, and the emulator's defaults,
/// which the app's built-in settings point at.
const ADDRESSES: [(u16, &str); 3] = [
    (8080, "the app (trunk serve)"),
    (8787, "the emulator's Clerk role"),
    (8788, "the emulator's Instant role"),
];

pub fn run() -> anyhow::Result<()> {
    // Before any build: a taken port would otherwise surface only once
    // Trunk has built the app, at the end of its log.
    check_free(&ADDRESSES)?;
    tools::setup(Needs::Build)?;
    emulator::build()?;
    // Default ports and the persistent data dir. Its printed values are
    // passed to Trunk anyway, so the app points at this emulator whatever
    // the shell exports.
    let mut emulator = Emulator::start(&["--data-dir", ".emulator"], None).map_err(|err| {
        // The emulator's own advice may name flags `dev` does not take.
        err.context(
            "`cargo xtask dev` runs the emulator on .emulator/ and ports 8787/8788: stop \
             another emulator using them, or move .emulator/ out of the way (where the \
             emulator suggests --data-dir or --in-memory, run it yourself: \
             `cargo run -p emulator -- --help`, beside `trunk serve`)",
        )
    })?;
    let mut trunk = trunk_serve(std::env::var_os("RUST_LIB_BACKTRACE"));
    emulator.apply_env(&mut trunk);
    let mut trunk = Guarded::spawn(&mut trunk)?;
    eprintln!();
    eprintln!("xtask: the app will be at http://127.0.0.1:8080 once Trunk has built it");
    eprintln!(
        "xtask: the emulator's Clerk users and sessions are at {}",
        emulator.value("CLERK_FRONTEND_API")?
    );
    eprintln!("xtask: press Ctrl-C to stop both");
    // Either one ending ends `dev` (the other is stopped on the way out):
    // the app without the emulator only says that Clerk did not load.
    loop {
        let trunk_exit = trunk.try_wait()?;
        let emulator_exit = emulator.try_wait()?;
        let exited = trunk_exit.is_some() || emulator_exit.is_some();
        if exited && crate::process::interrupted() {
            return Ok(());
        }
        if let Some(status) = trunk_exit {
            // The likely cause, said plainly: the app's port, free before
            // the build, taken by something else while Trunk built.
            check_free(&ADDRESSES[..1])
                .with_context(|| format!("trunk serve exited ({status})"))?;
            anyhow::bail!("trunk serve exited ({status}); its output is above");
        }
        if let Some(status) = emulator_exit {
            anyhow::bail!(
                "the emulator exited ({status}); its output is above. Run `cargo xtask dev` again \
                 to restart both"
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `trunk serve` on the app's address. With `RUST_BACKTRACE` set (as many
/// developers keep it), Trunk would follow every compile error with a stack
/// backtrace of its own internals; `RUST_LIB_BACKTRACE=0` leaves them out
/// (panics keep theirs), unless the developer set it: `lib_backtrace` is
/// their `RUST_LIB_BACKTRACE`.
fn trunk_serve(lib_backtrace: Option<std::ffi::OsString>) -> Command {
    let mut trunk = Command::new("trunk");
    trunk
        .args(["serve", "--address", "127.0.0.1", "--port", "8080"])
        .env("TRUNK_SKIP_VERSION_CHECK", "true")
        .current_dir(workspace_root());
    if lib_backtrace.is_none() {
        trunk.env("RUST_LIB_BACKTRACE", "0");
    }
    trunk
}

/// Fails, naming the port and what needs it, when something on this
/// machine already listens on one of `addresses` on 127.0.0.1.
fn check_free(addresses: &[(u16, &str)]) -> anyhow::Result<()> {
    for &(port, what) in addresses {
        if let Err(error) = std::net::TcpListener::bind(("127.0.0.1", port)) {
            anyhow::bail!(
                "127.0.0.1:{port}, for {what}, cannot be used ({error}). Is another \
                 `cargo xtask dev`, `trunk serve` or emulator running? Stop it, then run \
                 `cargo xtask dev` again."
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunk_shows_a_compile_error_without_a_backtrace_of_its_own() {
        let set_for_trunk = |developers: Option<&str>| {
            trunk_serve(developers.map(Into::into))
                .get_envs()
                .find(|(key, _)| *key == "RUST_LIB_BACKTRACE")
                .map(|(_, value)| value.map(|v| v.to_string_lossy().into_owned()))
        };
        assert_eq!(set_for_trunk(None), Some(Some("0".to_owned())));
        // The developer's own choice is inherited, not overridden.
        assert_eq!(set_for_trunk(Some("1")), None);
    }

    #[test]
    fn a_taken_port_is_named_with_what_needs_it() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let error = check_free(&[(port, "the app (trunk serve)")])
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with(&format!("127.0.0.1:{port}, for the app (trunk serve)")),
            "{error}"
        );
        assert!(error.contains("Stop it"), "{error}");
    }
}
