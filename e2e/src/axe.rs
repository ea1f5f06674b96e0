//! axe-core, the accessibility rules engine that
//! [`Browser::check_accessibility`](crate::Browser::check_accessibility)
//! injects into the page, and the readable report of what it finds.
//!
//! The harness does not bundle axe-core: `cargo xtask test` (and `cargo
//! xtask setup --browser`) installs a pinned version with npm into
//! `target/tools/axe-core/` and passes the path of its `axe.min.js` as
//! `E2E_AXE_CORE_JS`. Without that variable the harness looks in the same
//! place, so `cargo test -p e2e --test flow` works once it is installed.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

/// The environment variable naming axe-core's `axe.min.js`.
pub const AXE_CORE_VARIABLE: &str = "E2E_AXE_CORE_JS";

/// Where `cargo xtask setup --browser` installs axe-core, under
/// [`files_dir`](crate::files_dir) (`target/` in the workspace).
pub const INSTALL_DIR: &str = "tools/axe-core";

/// The rule tags every check runs: WCAG 2.0 and 2.1, levels A and AA, and
/// axe's best practices.
pub const TAGS: [&str; 5] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"];

/// What can go wrong while finding axe-core.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file is not there.
    #[error(
        "axe-core is not installed: {path} does not exist ({how_found}). Install it with \
         `cargo xtask setup --browser` (it runs `npm install --prefix target/tools/axe-core axe-core@<pinned \
         version>`), or point {AXE_CORE_VARIABLE} at an axe.min.js"
    )]
    Missing {
        /// Where it was looked for.
        path: PathBuf,
        /// Whether the path came from the variable or is the default.
        how_found: &'static str,
    },
    /// The file is there but cannot be read.
    #[error("cannot read axe-core from {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Where axe-core's `axe.min.js` is: `$E2E_AXE_CORE_JS`, else
/// `target/tools/axe-core/node_modules/axe-core/axe.min.js` in the workspace. Fails,
/// saying how to install it, when the file is missing.
pub fn locate(workspace: &Path) -> Result<PathBuf, Error> {
    let (path, how_found) = match std::env::var_os(AXE_CORE_VARIABLE).filter(|v| !v.is_empty()) {
        Some(path) => (workspace.join(path), "named by E2E_AXE_CORE_JS"),
        None => (
            default_path(&crate::files_dir(workspace)),
            "the default; E2E_AXE_CORE_JS is not set",
        ),
    };
    if path.is_file() {
        Ok(path)
    } else {
        Err(Error::Missing { path, how_found })
    }
}

/// `axe.min.js` inside an npm install of axe-core in `<files>/tools/axe-core`,
/// `files` being [`files_dir`](crate::files_dir).
pub fn default_path(files: &Path) -> PathBuf {
    files
        .join(INSTALL_DIR)
        .join("node_modules/axe-core/axe.min.js")
}

/// [`locate`]s axe-core and reads it.
pub fn load(workspace: &Path) -> Result<Arc<str>, Error> {
    let path = locate(workspace)?;
    std::fs::read_to_string(&path)
        .map(Arc::from)
        .map_err(|source| Error::Read { path, source })
}

/// The script run with WebDriver's execute-async once axe is in the page:
/// `arguments[0]` = the rule tags, the last argument = the callback. Answers
/// `{ ok: results }` or `{ error: message }`.
pub(crate) const RUN_JS: &str = r#"
const [tags, done] = arguments;
if (!window.axe) {
  done({ error: 'axe-core did not load into the page' });
} else {
  window.axe
    .run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })
    .then(
      (results) => done({
        ok: {
          version: window.axe.version,
          violations: results.violations.map((v) => ({
            id: v.id,
            impact: v.impact,
            help: v.help,
            helpUrl: v.helpUrl,
            nodes: v.nodes.map((n) => ({
              target: n.target,
              html: n.html,
              failureSummary: n.failureSummary,
            })),
          })),
        },
      }),
      (error) => done({ error: String(error && error.stack || error) }),
    );
}
"#;

/// What the page answered to [`RUN_JS`].
#[derive(Debug, Deserialize)]
pub(crate) struct RunAnswer {
    /// The results, when axe ran.
    pub ok: Option<Results>,
    /// Why axe did not run.
    pub error: Option<String>,
}

/// axe's results, trimmed to what the report shows.
#[derive(Debug, Clone, Deserialize)]
pub struct Results {
    /// axe-core's version.
    #[serde(default)]
    pub version: String,
    /// The rules the page breaks.
    pub violations: Vec<Violation>,
}

/// One rule the page breaks.
#[derive(Debug, Clone, Deserialize)]
pub struct Violation {
    /// The rule, e.g. `color-contrast`.
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    #[serde(default)]
    pub impact: Option<String>,
    /// One line saying what the rule wants.
    pub help: String,
    /// Deque's page on the rule.
    #[serde(default, rename = "helpUrl")]
    pub help_url: String,
    /// The elements that break it.
    pub nodes: Vec<Node>,
}

/// An element that breaks a rule.
#[derive(Debug, Clone, Deserialize)]
pub struct Node {
    /// CSS selectors to the element (more than one when it sits in a
    /// shadow root or a frame).
    #[serde(default)]
    pub target: Vec<serde_json::Value>,
    /// The element's opening HTML.
    #[serde(default)]
    pub html: String,
    /// What to fix, as axe words it.
    #[serde(default, rename = "failureSummary")]
    pub failure_summary: Option<String>,
}

/// The longest HTML snippet the report shows of one element.
const HTML_LIMIT: usize = 300;

/// A readable report of `violations`, one block per rule.
pub fn report(violations: &[Violation]) -> String {
    let mut out = String::new();
    for violation in violations {
        let impact = violation.impact.as_deref().unwrap_or("unknown impact");
        out.push_str(&format!(
            "- {} ({impact}): {}\n  {}\n",
            violation.id, violation.help, violation.help_url
        ));
        for node in &violation.nodes {
            let target = node
                .target
                .iter()
                .map(|part| match part {
                    serde_json::Value::String(selector) => selector.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(" >> ");
            out.push_str(&format!("  at {target}\n     {}\n", shorten(&node.html)));
            if let Some(summary) = &node.failure_summary {
                for line in summary.lines().filter(|line| !line.trim().is_empty()) {
                    out.push_str(&format!("     | {}\n", line.trim()));
                }
            }
        }
    }
    out
}

fn shorten(html: &str) -> String {
    let html = html.split_whitespace().collect::<Vec<_>>().join(" ");
    if html.len() <= HTML_LIMIT {
        return html;
    }
    let mut cut = HTML_LIMIT;
    while !html.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", &html[..cut])
}

#[cfg(test)]
mod tests {
    use super::{report, Results};

    #[test]
    fn axe_core_is_looked_for_where_xtask_installs_it_whatever_the_target_dir() {
        if std::env::var_os(super::AXE_CORE_VARIABLE).is_some() {
            return; // named by hand: the default is not used
        }
        // xtask's `AXE_CORE_PREFIX`, from the workspace root; cargo's target
        // dir (say `CARGO_TARGET_DIR`) plays no part.
        let workspace = std::path::Path::new("/nonexistent/workspace");
        match super::locate(workspace) {
            Err(super::Error::Missing { path, .. }) => assert_eq!(
                path,
                workspace.join("target/tools/axe-core/node_modules/axe-core/axe.min.js")
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_report_names_the_rule_its_impact_and_each_element() {
        let results: Results = serde_json::from_value(serde_json::json!({
            "version": "4.14.1",
            "violations": [{
                "id": "color-contrast",
                "impact": "serious",
                "help": "Elements must meet minimum color contrast ratio thresholds",
                "helpUrl": "https://example.com/color-contrast",
                "nodes": [{
                    "target": [".card > .hint"],
                    "html": "<p class=\"hint\">\n   Faint   text</p>",
                    "failureSummary": "Fix any of the following:\n  Element has insufficient color contrast of 2.1"
                }]
            }]
        }))
        .unwrap();
        let text = report(&results.violations);
        assert!(text.contains("- color-contrast (serious): Elements must meet"));
        assert!(text.contains("at .card > .hint"));
        assert!(text.contains("<p class=\"hint\"> Faint text</p>"));
        assert!(text.contains("| Element has insufficient color contrast of 2.1"));
    }
}
