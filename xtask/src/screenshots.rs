//! `cargo xtask screenshots`: regenerates the README's screenshots in
//! `docs/screenshots/` by running the end-to-end flow (the same harness and
//! steps as `cargo xtask test e2e`) and copying the main states out of
//! `target/screenshots/`.

use anyhow::Context as _;

use crate::emulator::Emulator;
use crate::process::run_checked;
use crate::test::{build_e2e_dist, build_tests, e2e_command};
use crate::tools::{self, Needs};
use crate::workspace_root;

/// `(file the flow saves in target/screenshots/, name under docs/screenshots/)`.
const DOC_SCREENSHOTS: [(&str, &str); 6] = [
    ("01-signed-out", "signed-out"),
    ("02a-account-picker", "account-picker"),
    ("02-signed-in", "signed-in"),
    ("03-account-page", "account-page"),
    ("07-missing-email-claim", "missing-email-claim"),
    ("08a-session-ended", "session-ended"),
];

pub fn run() -> anyhow::Result<()> {
    tools::setup(Needs::Browser)?;
    let log_dir = workspace_root().join("target/xtask");
    build_tests()?;
    let emulator = Emulator::start_in_memory(&log_dir)?;
    let dist = build_e2e_dist(&emulator)?;

    // Where the e2e harness saves them (`e2e::screenshot_dir`).
    let shots = workspace_root().join("target/screenshots");
    for (from, _) in DOC_SCREENSHOTS {
        // A stale file must not pass for a fresh one.
        let _ = std::fs::remove_file(shots.join(format!("{from}.png")));
    }
    // The end-to-end test that takes the screenshots.
    let mut command = e2e_command(&emulator, &dist, &["flow".to_owned()]);
    run_checked(&mut command).context("the end-to-end flow failed, so no screenshot was copied")?;
    drop(emulator);

    let docs = workspace_root().join("docs/screenshots");
    std::fs::create_dir_all(&docs)?;
    for (from, to) in DOC_SCREENSHOTS {
        let source = shots.join(format!("{from}.png"));
        let target = docs.join(format!("{to}.png"));
        std::fs::copy(&source, &target).with_context(|| {
            format!(
                "copying {} (did the flow stop taking it?)",
                source.display()
            )
        })?;
        let size = std::fs::metadata(&target)?.len();
        eprintln!(
            "xtask: docs/screenshots/{to}.png ({} KB)",
            size.div_ceil(1024)
        );
    }
    Ok(())
}
