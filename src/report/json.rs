//! `--format json`: one object, schema `annot.validate/v1`, with keys in
//! the order SPEC §5 gives them.

use super::Checked;
use crate::finding::{Code, Finding, Severity};
use serde::Serialize;

#[derive(Serialize)]
struct Report<'a> {
    schema: &'static str,
    checked: &'a Checked,
    findings: Vec<JsonFinding<'a>>,
    /// Checks that were skipped, and why.
    notices: &'a [String],
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    code: Code,
    severity: Severity,
    message: &'a str,
    file: &'a str,
    line: u32,
    column: u32,
    id: Option<&'a str>,
    help: Option<&'a str>,
}

pub fn render(checked: &Checked, findings: &[Finding], notices: &[String]) -> String {
    let report = Report {
        schema: "annot.validate/v1",
        checked,
        findings: findings
            .iter()
            .map(|f| JsonFinding {
                code: f.code,
                severity: f.severity,
                message: &f.message,
                file: &f.place.file,
                line: f.place.line,
                column: f.place.column,
                id: f.id.as_deref(),
                help: f.help.as_deref(),
            })
            .collect(),
        notices,
    };
    let mut out = serde_json::to_string_pretty(&report).unwrap_or_default();
    out.push('\n');
    out
}
