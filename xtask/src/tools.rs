//! Installs the tools the build and the tests need, when they are missing.
//! Versions are pinned: Trunk 0.21.14 (0.22 needs a newer rustc), the
//! wasm-bindgen CLI equal to Cargo.lock's wasm-bindgen (Trunk.toml names the
//! same version), wasm-opt from binaryen 132 (Debian's older binaryen builds
//! a wasm that shows a blank page), axe-core 4.14.1 for the end-to-end
//! accessibility checks (installed with npm into `target/tools/axe-core`,
//! not globally).

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context as _};

use crate::process::run_checked;
use crate::workspace_root;

const TRUNK_VERSION: &str = "0.21.14";
const BINARYEN_VERSION: &str = "132";
const AXE_CORE_VERSION: &str = "4.14.1";
/// Where npm installs axe-core (`--prefix`), from the workspace root.
const AXE_CORE_PREFIX: &str = "target/tools/axe-core";
const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// What the caller is about to do.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Build and serve the app.
    Build,
    /// Also run browser tests (Chromium, ChromeDriver and axe-core).
    Browser,
}

/// Installs every missing tool for `needs`.
pub fn setup(needs: Needs) -> anyhow::Result<()> {
    ensure_wasm_target()?;
    ensure_trunk()?;
    ensure_wasm_bindgen()?;
    ensure_wasm_opt()?;
    if needs == Needs::Browser {
        ensure_browser()?;
        ensure_axe_core()?;
    }
    // Trunk builds with --offline: every crate must be in the local cache.
    run_checked(
        Command::new("cargo")
            .arg("fetch")
            .current_dir(workspace_root()),
    )
    .context("cargo fetch")?;
    Ok(())
}

/// The stdout of `program args`, or `None` when it cannot run.
fn output_of(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn say(message: &str) {
    eprintln!("xtask: {message}");
}

fn ensure_wasm_target() -> anyhow::Result<()> {
    let installed = output_of("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if !installed.lines().any(|line| line.trim() == WASM_TARGET) {
        say("installing the wasm32-unknown-unknown target");
        run_checked(Command::new("rustup").args(["target", "add", WASM_TARGET]))?;
    }
    Ok(())
}

fn ensure_trunk() -> anyhow::Result<()> {
    let found = output_of("trunk", &["--version"]).unwrap_or_default();
    if !found.contains(TRUNK_VERSION) {
        say(&format!(
            "installing Trunk {TRUNK_VERSION} (takes a few minutes, once)"
        ));
        run_checked(Command::new("cargo").args([
            "install",
            "--locked",
            "trunk",
            "--version",
            TRUNK_VERSION,
        ]))?;
    }
    Ok(())
}

/// The wasm-bindgen version Cargo.lock resolved.
pub fn locked_wasm_bindgen_version() -> anyhow::Result<String> {
    let lock_path = workspace_root().join("Cargo.lock");
    let lock = std::fs::read_to_string(&lock_path)
        .with_context(|| format!("cannot read {}", lock_path.display()))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            if let Some(version) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = \""))
                .and_then(|v| v.strip_suffix('"'))
            {
                return Ok(version.to_owned());
            }
        }
    }
    bail!("Cargo.lock has no wasm-bindgen package")
}

fn ensure_wasm_bindgen() -> anyhow::Result<()> {
    let version = locked_wasm_bindgen_version()?;
    let cli = output_of("wasm-bindgen", &["--version"]).unwrap_or_default();
    let runner = output_of("wasm-bindgen-test-runner", &["--version"]).unwrap_or_default();
    if !cli.contains(&version) || !runner.contains(&version) {
        say(&format!("installing the wasm-bindgen CLI {version}"));
        // Not --locked: its lock file pins a webpki-roots the registry lacks.
        run_checked(Command::new("cargo").args([
            "install",
            "wasm-bindgen-cli",
            "--force",
            "--version",
            &version,
        ]))?;
    }
    Ok(())
}

fn ensure_wasm_opt() -> anyhow::Result<()> {
    let wanted = format!("version {BINARYEN_VERSION}");
    let found = output_of("wasm-opt", &["--version"]).unwrap_or_default();
    if !found.contains(&wanted) {
        // Debian's binaryen (108) builds a wasm that shows a blank page.
        say(&format!(
            "installing wasm-opt (binaryen {BINARYEN_VERSION}) with npm"
        ));
        run_checked(Command::new("npm").args([
            "install",
            "-g",
            &format!("binaryen@{BINARYEN_VERSION}.0.0"),
        ]))
        .context(
            "installing wasm-opt needs npm (Node.js 18 or newer) and write access to npm's \
             global prefix (`npm prefix -g`); without root, `npm config set prefix ~/.local` \
             with ~/.local/bin on PATH gives that",
        )?;
        let found = output_of("wasm-opt", &["--version"]).unwrap_or_default();
        if !found.contains(&wanted) {
            bail!(
                "wasm-opt on PATH is {:?}, not binaryen {BINARYEN_VERSION}; put npm's global bin \
                 directory before others on PATH (`npm prefix -g`/bin)",
                found.trim()
            );
        }
    }
    Ok(())
}

/// axe-core's `axe.min.js`, which the e2e harness injects into the page
/// (passed to it as `E2E_AXE_CORE_JS`; the harness looks in the same place
/// by default).
pub fn axe_core_js() -> PathBuf {
    workspace_root()
        .join(AXE_CORE_PREFIX)
        .join("node_modules/axe-core/axe.min.js")
}

/// The version of the axe-core installed under [`AXE_CORE_PREFIX`], if any.
fn installed_axe_core_version() -> Option<String> {
    let manifest = workspace_root()
        .join(AXE_CORE_PREFIX)
        .join("node_modules/axe-core/package.json");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(manifest).ok()?).ok()?;
    Some(manifest.get("version")?.as_str()?.to_owned())
}

fn ensure_axe_core() -> anyhow::Result<()> {
    if installed_axe_core_version().as_deref() == Some(AXE_CORE_VERSION) && axe_core_js().is_file()
    {
        return Ok(());
    }
    say(&format!(
        "installing axe-core {AXE_CORE_VERSION} with npm into {AXE_CORE_PREFIX}"
    ));
    let prefix = workspace_root().join(AXE_CORE_PREFIX);
    std::fs::create_dir_all(&prefix).with_context(|| format!("creating {}", prefix.display()))?;
    run_checked(
        Command::new("npm")
            .arg("install")
            .arg("--prefix")
            .arg(&prefix)
            .args([
                "--no-save",
                "--no-package-lock",
                "--no-audit",
                "--no-fund",
                &format!("axe-core@{AXE_CORE_VERSION}"),
            ]),
    )
    .context("npm is needed to install axe-core (Node.js 18 or newer)")?;
    match installed_axe_core_version() {
        Some(version) if version == AXE_CORE_VERSION && axe_core_js().is_file() => Ok(()),
        found => bail!(
            "after npm install, {AXE_CORE_PREFIX} holds axe-core {found:?} without \
             axe.min.js, not {AXE_CORE_VERSION}"
        ),
    }
}

fn ensure_browser() -> anyhow::Result<()> {
    let chromium = output_of("chromium", &["--version"]).is_some();
    let driver = output_of("chromedriver", &["--version"]).is_some();
    if chromium && driver {
        return Ok(());
    }
    // DEBIAN_FRONTEND inside the command: sudo may not pass it on.
    const APT: &str = "export DEBIAN_FRONTEND=noninteractive; apt-get update && \
                       apt-get install -y --no-install-recommends chromium chromium-driver";
    say("installing Chromium and ChromeDriver with apt");
    // As root, or through sudo when it needs no password (`-n`: never a
    // prompt that would hang a CI run).
    let mut install = if unsafe { libc::geteuid() } == 0 {
        Command::new("sh")
    } else {
        let mut sudo = Command::new("sudo");
        sudo.args(["-n", "sh"]);
        sudo
    };
    install.args(["-c", APT]);
    run_checked(&mut install).with_context(|| {
        format!("Chromium and ChromeDriver are missing; install them with:\n  sudo sh -c '{APT}'")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of `key = "value"` in Trunk.toml.
    fn trunk_setting(trunk_toml: &str, key: &str) -> Option<String> {
        trunk_toml.lines().find_map(|line| {
            let (name, value) = line.split_once('=')?;
            (name.trim() == key).then(|| value.trim().trim_matches('"').to_owned())
        })
    }

    #[test]
    fn trunk_uses_the_tool_versions_xtask_installs() {
        // Trunk builds with what xtask installed only when the versions
        // agree; otherwise it wants to download its own (offline: fails).
        let trunk_toml = std::fs::read_to_string(workspace_root().join("Trunk.toml")).unwrap();
        assert_eq!(
            trunk_setting(&trunk_toml, "wasm_bindgen"),
            Some(locked_wasm_bindgen_version().unwrap()),
            "Trunk.toml's wasm_bindgen must equal Cargo.lock's wasm-bindgen"
        );
        assert_eq!(
            trunk_setting(&trunk_toml, "wasm_opt"),
            Some(format!("version_{BINARYEN_VERSION}")),
            "Trunk.toml's wasm_opt must name the binaryen xtask installs"
        );
    }
}
