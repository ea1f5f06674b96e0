//! The app under test: Trunk's release build (`dist` dir), built with the
//! emulator's values compiled in (the app reads them with `option_env!`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::emulator::EmulatorValues;

/// The environment variable naming a dist dir that is already built.
pub const DIST_DIR_VARIABLE: &str = "E2E_DIST_DIR";

/// What can go wrong with the app's build.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Trunk could not run or failed.
    #[error(
        "`trunk build --release` failed ({0}); run `cargo xtask setup` to install Trunk, \
         or see Trunk's output above"
    )]
    Trunk(String),
    /// The dist dir cannot be read.
    #[error("cannot read the built app in {dir}: {source}")]
    Read {
        /// The dist dir.
        dir: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The dist dir holds no `.wasm` file.
    #[error("{0} holds no .wasm file: it is not a Trunk build of the app")]
    NoWasm(PathBuf),
    /// The dist was built for another emulator (other ports or app id).
    #[error(
        "the app in {dir} was not built for this emulator: its wasm does not contain \
         {variable}={value}. Rebuild it with the emulator's values in the environment \
         (`cargo xtask test e2e` does), or unset {DIST_DIR_VARIABLE} and the emulator \
         variables so that the harness builds one itself"
    )]
    OtherEmulator {
        /// The dist dir.
        dir: PathBuf,
        /// The value that was not found.
        variable: &'static str,
        /// Its expected value.
        value: String,
    },
}

/// Result of this module.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The dist dir named by `E2E_DIST_DIR`, if set.
pub fn dir_from_env() -> Option<PathBuf> {
    std::env::var_os(DIST_DIR_VARIABLE)
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
}

/// Runs `trunk build --release --dist OUT` in `workspace` with `values` in
/// the environment. Takes a minute or more when the wasm must be rebuilt.
pub fn build(workspace: &Path, values: &EmulatorValues, out: &Path) -> Result<()> {
    let mut trunk = Command::new("trunk");
    trunk
        .args(["build", "--release", "--dist"])
        .arg(out)
        .env("TRUNK_SKIP_VERSION_CHECK", "true")
        .current_dir(workspace);
    for (name, value) in values.as_env() {
        trunk.env(name, value);
    }
    let status = trunk
        .status()
        .map_err(|err| Error::Trunk(format!("cannot run trunk: {err}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::Trunk(status.to_string()))
    }
}

/// Checks that the wasm in `dir` has `values` compiled in, so that a stale
/// build fails with a clear message instead of a page that never signs in.
pub fn check_built_for(dir: &Path, values: &EmulatorValues) -> Result<()> {
    let read_error = |source| Error::Read {
        dir: dir.to_owned(),
        source,
    };
    let mut wasm = None;
    for entry in std::fs::read_dir(dir).map_err(read_error)? {
        let path = entry.map_err(read_error)?.path();
        if path.extension().is_some_and(|ext| ext == "wasm") {
            wasm = Some(std::fs::read(&path).map_err(read_error)?);
            break;
        }
    }
    let wasm = wasm.ok_or_else(|| Error::NoWasm(dir.to_owned()))?;
    let expected = [
        ("INSTANT_API_URI", &values.instant_api_uri),
        ("CLERK_PUBLISHABLE_KEY", &values.clerk_publishable_key),
    ];
    for (variable, value) in expected {
        let needle = value.as_bytes();
        if !wasm.windows(needle.len()).any(|window| window == needle) {
            return Err(Error::OtherEmulator {
                dir: dir.to_owned(),
                variable,
                value: value.clone(),
            });
        }
    }
    Ok(())
}

/// The dist dir to test: `E2E_DIST_DIR` when set, else a fresh build into
/// `target/e2e/standalone-dist`. Either way it is checked against `values`.
pub fn for_emulator(workspace: &Path, values: &EmulatorValues) -> Result<PathBuf> {
    let dir = match dir_from_env() {
        Some(dir) => dir,
        None => {
            let dir = crate::files_dir(workspace).join("e2e/standalone-dist");
            eprintln!(
                "e2e: {DIST_DIR_VARIABLE} is not set: building the app for this emulator \
                 into {}",
                dir.display()
            );
            build(workspace, values, &dir)?;
            dir
        }
    };
    check_built_for(&dir, values)?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> EmulatorValues {
        EmulatorValues {
            instant_app_id: "app".into(),
            instant_api_uri: "http://127.0.0.1:4242".into(),
            clerk_publishable_key: "pk_test_abc".into(),
            clerk_client_name: "clerk".into(),
            clerk_frontend_api: "http://127.0.0.1:4241".into(),
        }
    }

    #[test]
    fn accepts_a_wasm_with_the_values_compiled_in() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("app_bg.wasm"),
            b"\0asm...http://127.0.0.1:4242...pk_test_abc...",
        )
        .unwrap();
        check_built_for(dir.path(), &values()).expect("matching build");
    }

    #[test]
    fn names_the_value_a_stale_build_lacks() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("app_bg.wasm"),
            b"\0asm...http://127.0.0.1:8788...pk_test_abc...",
        )
        .unwrap();
        let message = check_built_for(dir.path(), &values())
            .expect_err("built for another emulator")
            .to_string();
        assert!(
            message.contains("INSTANT_API_URI=http://127.0.0.1:4242"),
            "{message}"
        );
    }

    #[test]
    fn a_dir_without_wasm_is_not_a_build() {
        let dir = tempfile::tempdir().unwrap();
        let err = check_built_for(dir.path(), &values()).expect_err("no wasm");
        assert!(matches!(err, Error::NoWasm(_)), "{err}");
    }
}
