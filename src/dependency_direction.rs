//! The library modules stand alone: `clerk` and `instant` never use each
//! other, the example app or its config, so that each could become a crate
//! of its own (the app uses both; see the README's layout).

use std::path::Path;

/// Every `crate::<module>` path in the Rust files under `dir` (code,
/// comments and doc links alike), with the file it is in.
fn crate_paths(dir: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(crate_paths(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let source = std::fs::read_to_string(&path).unwrap();
            for (at, _) in source.match_indices("crate::") {
                let module: String = source[at + "crate::".len()..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '{')
                    .collect();
                let file = path
                    .strip_prefix(env!("CARGO_MANIFEST_DIR"))
                    .unwrap_or(&path);
                found.push((file.display().to_string(), module));
            }
        }
    }
    found
}

#[test]
fn clerk_and_instant_use_nothing_of_the_crate_but_themselves() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for module in ["clerk", "instant"] {
        let outside: Vec<_> = crate_paths(&src.join(module))
            .into_iter()
            .filter(|(_, used)| used != module)
            .collect();
        assert!(
            outside.is_empty(),
            "the {module} module uses other parts of the crate: {outside:?}"
        );
    }
}
