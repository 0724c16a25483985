//! Rendering findings for people and machines. Each format is its own
//! module over the same [`Finding`](crate::finding::Finding) model; adding a
//! format never touches a rule.

pub mod github;
pub mod human;
pub mod interop;
pub mod json;
pub mod ls;
pub mod pretty_list;
pub mod quote_diff;
pub mod review;
pub mod sarif;
pub mod show;
pub mod text;
pub mod textconv;

pub use text::{visible, Style};

use crate::finding::{Finding, Severity};
use std::collections::BTreeMap;
use std::sync::Arc;

/// How much a validation run looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Checked {
    pub files: usize,
    pub sources: usize,
    pub annotations: usize,
}

/// Texts of the files findings point into, keyed by workspace-relative
/// path, so reporters can show snippets without reading files.
pub type Texts = BTreeMap<String, Arc<String>>;

pub fn count(findings: &[Finding], severity: Severity) -> usize {
    findings.iter().filter(|f| f.severity == severity).count()
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The closing line of human output: what was checked and what failed.
pub fn summary_line(checked: &Checked, findings: &[Finding]) -> String {
    let errors = count(findings, Severity::Error);
    let warnings = count(findings, Severity::Warning);
    let what = format!(
        "checked {}, {}, {}",
        plural(checked.files, "annotation file", "annotation files"),
        plural(checked.sources, "source", "sources"),
        plural(checked.annotations, "annotation", "annotations")
    );
    match (errors, warnings) {
        (0, 0) => format!("{what}: no problems found"),
        _ => format!(
            "{what}: {}, {}",
            plural(errors, "error", "errors"),
            plural(warnings, "warning", "warnings")
        ),
    }
}
