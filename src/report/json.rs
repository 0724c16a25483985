//! `--format json`: one object, schema `annot.validate/v1`.

use super::Checked;
use crate::finding::Finding;
use serde_json::json;

pub fn render(checked: &Checked, findings: &[Finding]) -> String {
    let findings: Vec<_> = findings
        .iter()
        .map(|f| {
            json!({
                "code": f.code,
                "severity": f.severity,
                "message": f.message,
                "file": f.place.file,
                "line": f.place.line,
                "column": f.place.column,
                "id": f.id,
                "help": f.help,
            })
        })
        .collect();
    let report = json!({
        "schema": "annot.validate/v1",
        "checked": checked,
        "findings": findings,
    });
    let mut out = serde_json::to_string_pretty(&report).unwrap_or_default();
    out.push('\n');
    out
}
