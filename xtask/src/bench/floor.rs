//! `cargo xtask bench floor`: what Leptos alone ships, before any code of
//! the app. Builds the `size-floor` crate (a counter; the counter with
//! leptos_router's `<Routes>` and `<A>`; with `<FlatRoutes>` and plain
//! links) the way Trunk builds the app: the workspace's release profile,
//! `wasm-bindgen --target=web`, `wasm-opt -Oz`. Prints raw and gzip sizes.

use std::io::Write as _;
use std::path::Path;
use std::process::Command;

use anyhow::Context as _;
use flate2::write::GzEncoder;
use flate2::Compression;

use crate::process::run_checked;
use crate::tools::{self, Needs};
use crate::workspace_root;

/// Each variant: its name and the `size-floor` features that make it.
const VARIANTS: [(&str, &str); 3] = [
    ("counter", ""),
    ("counter + <Routes>, <A>, 2 routes", "routes"),
    ("counter + <FlatRoutes>, <a>, 2 routes", "flat-routes"),
];

/// Where the builds go.
const FLOOR_DIR: &str = "target/bench/floor";

pub fn run() -> anyhow::Result<()> {
    tools::setup(Needs::Build)?;
    let root = workspace_root();
    println!("What a Leptos app ships before any code of its own (1 KB = 1000 bytes)");
    println!(
        "  {:<40} {:>10} {:>10} {:>10}",
        "", "wasm gzip", "JS gzip", "total gzip"
    );
    for (name, features) in VARIANTS {
        let out = root.join(FLOOR_DIR).join(if features.is_empty() {
            "counter"
        } else {
            features
        });
        let (wasm, js) = build(features, &out)?;
        println!(
            "  {name:<40} {:>10} {:>10} {:>10}",
            kb(wasm),
            kb(js),
            kb(wasm + js)
        );
    }
    println!("The app's own budget for everything it ships is 80.0 KB gzip.");
    Ok(())
}

/// Builds one variant into `out`; its wasm and JS glue sizes, gzip -9.
fn build(features: &str, out: &Path) -> anyhow::Result<(u64, u64)> {
    let root = workspace_root();
    let mut cargo = Command::new("cargo");
    cargo
        .args(["build", "--quiet", "--release", "--package", "size-floor"])
        .args(["--target", "wasm32-unknown-unknown"])
        .current_dir(&root);
    if !features.is_empty() {
        cargo.args(["--features", features]);
    }
    run_checked(&mut cargo)?;

    let _ = std::fs::remove_dir_all(out);
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let built = crate::cargo_target_dir().join("wasm32-unknown-unknown/release/size-floor.wasm");
    run_checked(
        Command::new("wasm-bindgen")
            .args(["--target=web", "--no-typescript", "--out-name=floor"])
            .arg(format!("--out-dir={}", out.display()))
            .arg(&built),
    )?;
    let wasm = out.join("floor_bg.wasm");
    run_checked(
        Command::new("wasm-opt")
            .arg(format!("--output={}", wasm.display()))
            .arg("-Oz")
            .arg(&wasm),
    )?;
    Ok((gzip_size(&wasm)?, gzip_size(&out.join("floor.js"))?))
}

fn gzip_size(path: &Path) -> anyhow::Result<u64> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(&bytes)?;
    Ok(encoder.finish()?.len() as u64)
}

fn kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1000.0)
}
