//! The library modules stand alone: `clerk` and `instant` never use each
//! other, the example app or its config, so that each could become a crate
//! of its own (the app uses both; see the README's layout).

use std::path::Path;

/// Every path out of the module in the Rust files under `dir` (code,
/// comments and doc links alike), with the file it is in: each
/// `crate::<name>`, as `<name>`, and each `super::` chain that climbs above
/// the module, as `super`. `depth` is how far `dir` lies below the
/// module's own directory. (Inline modules are not told apart: inside one,
/// name the module's own items as `crate::<module>::…`.)
fn paths_out(dir: &Path, depth: usize) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(paths_out(&path, depth + 1));
            continue;
        }
        if path.extension().is_none_or(|ext| ext != "rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        let file = path
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(&path)
            .display()
            .to_string();
        for (at, _) in source.match_indices("crate::") {
            let name: String = source[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '{')
                .collect();
            found.push((file.clone(), name));
        }
        // `mod.rs` is the module itself; any other file is one level down.
        let levels_inside = depth + usize::from(!path.ends_with("mod.rs"));
        let out_of_the_module = "super::".repeat(levels_inside + 1);
        if source.contains(&out_of_the_module) {
            found.push((file, "super".to_owned()));
        }
    }
    found
}

#[test]
fn clerk_and_instant_use_nothing_of_the_crate_but_themselves() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for module in ["clerk", "instant"] {
        let outside: Vec<_> = paths_out(&src.join(module), 0)
            .into_iter()
            .filter(|(_, used)| used != module)
            .collect();
        assert!(
            outside.is_empty(),
            "the {module} module uses other parts of the crate: {outside:?}"
        );
    }
}
