//! `--format sarif`: SARIF 2.1.0 logs of `annot validate` (its findings)
//! and `annot diff` (the drift that needs review), for GitHub code scanning
//! and other tools that read static-analysis results. It reads the same
//! [`Finding`]s and [`Review`] as the JSON and GitHub reporters.
//!
//! The log is built from typed structs (docs/decisions.md §22): the few
//! SARIF objects annot fills are spelt out here, with their field names in
//! SARIF's camelCase, and the output is checked against the official schema
//! by tests/sarif.rs.

use super::json::to_string_pretty;
use super::{Checked, Texts};
use crate::drift::Status;
use crate::finding::{Code, Finding, Place, Severity};
use crate::review::{DriftEntry, Review};
use serde::Serialize;

/// Where annot's documentation lives: `helpUri` and `informationUri` point
/// into it. Cargo.toml has no `repository` field, so this is the one place
/// that names it (docs/ci.md installs from the same address).
pub const REPOSITORY: &str = "https://github.com/annot-tool/annot";

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// docs/codes.md, read at build time: each code's rule carries the text of
/// its section, so the help in a SARIF viewer is the help in the docs.
const CODES_MD: &str = include_str!("../../docs/codes.md");

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    invocations: [Invocation; 1],
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<serde_json::Value>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: String,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    name: String,
    short_description: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<Help>,
    help_uri: String,
    default_configuration: Configuration,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Text,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: [Location; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<Properties<'a>>,
}

/// What a result says beyond SARIF's own fields: the annotation's id.
#[derive(Serialize)]
struct Properties<'a> {
    id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_column: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_column: Option<u32>,
}

fn text(s: impl Into<String>) -> Text {
    Text { text: s.into() }
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// A workspace-relative path as a relative URI reference: every byte but
/// the unreserved characters and `/` percent-encoded, so a space, `%`,
/// `#`, `?` or a `:` in the first segment (which would read as a scheme)
/// cannot change what the URI names.
pub fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The section of docs/codes.md about `code`: from after its heading to
/// the next heading of the same level.
fn section(code: &str) -> Option<&'static str> {
    let heading = format!("\n## {code}\n");
    let at = CODES_MD.find(&heading)? + heading.len();
    let rest = &CODES_MD[at..];
    let end = rest.find("\n## ").map_or(rest.len(), |i| i + 1);
    Some(rest[..end].trim())
}

/// The "in short" column of docs/codes.md's table for `code`.
fn in_short(code: &str) -> Option<&'static str> {
    let row = format!("| [{code}](#{code}) |");
    CODES_MD
        .lines()
        .find(|line| line.starts_with(&row))
        .and_then(|line| line.trim_end_matches('|').rsplit('|').next())
        .map(str::trim)
}

/// `duplicate-id` → `DuplicateId`: SARIF's `name` is meant to read as an
/// identifier.
fn rule_name(code: &str) -> String {
    code.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or(String::new(), |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// Markdown from docs/ with its relative links made absolute: a SARIF
/// viewer shows the help away from the docs folder.
fn absolute_links(markdown: &str) -> String {
    let docs = format!("{REPOSITORY}/blob/main/docs/");
    let mut out = String::with_capacity(markdown.len());
    let mut rest = markdown;
    while let Some(at) = rest.find("](") {
        let (before, after) = rest.split_at(at + 2);
        out.push_str(before);
        if after.starts_with('#') {
            out.push_str(&docs);
            out.push_str("codes.md");
        } else if !after.starts_with("http://") && !after.starts_with("https://") {
            out.push_str(&docs);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

fn code_rule(code: Code) -> Rule {
    let id = code.as_str();
    let help = section(id).map(|s| Help {
        text: s.to_string(),
        markdown: absolute_links(s),
    });
    Rule {
        id,
        name: rule_name(id),
        short_description: text(in_short(id).unwrap_or(id)),
        help,
        help_uri: format!("{REPOSITORY}/blob/main/docs/codes.md#{id}"),
        default_configuration: Configuration {
            level: level(code.severity()),
        },
    }
}

fn driver(rules: Vec<Rule>) -> Driver {
    Driver {
        name: "annot",
        version: env!("CARGO_PKG_VERSION"),
        semantic_version: env!("CARGO_PKG_VERSION"),
        information_uri: REPOSITORY.to_string(),
        rules,
    }
}

/// The region of a place: its start as the finding gives it, and its end
/// when the file's text is at hand and agrees with the start (the byte
/// range and the line and column were computed from the same text).
fn region(place: &Place, texts: &Texts) -> Region {
    let mut region = Region {
        start_line: place.line,
        start_column: Some(place.column),
        end_line: None,
        end_column: None,
    };
    if let Some(text) = texts.get(&place.file) {
        let bytes = text.as_bytes();
        let agrees = place.end > place.start
            && place.end <= bytes.len()
            && text.is_char_boundary(place.start)
            && text.is_char_boundary(place.end)
            && crate::yaml::line_column(bytes, place.start) == (place.line, place.column);
        if agrees {
            let (line, column) = crate::yaml::line_column(bytes, place.end);
            region.end_line = Some(line);
            region.end_column = Some(column);
        }
    }
    region
}

fn location(place: &Place, texts: &Texts) -> Location {
    Location {
        id: None,
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: uri(&place.file),
            },
            region: region(place, texts),
        },
        message: None,
    }
}

fn notifications(notices: &[String], level: &'static str) -> Vec<Notification> {
    notices
        .iter()
        .map(|n| Notification {
            level,
            message: text(n.as_str()),
        })
        .collect()
}

fn finish(log: &Log) -> String {
    let mut out = to_string_pretty(log);
    out.push('\n');
    out
}

/// `annot validate --format sarif`. Every code is a rule, whether it
/// occurs or not: a rule's index is then the same in every run, and a
/// viewer can still explain an alert from an earlier run that this one
/// fixed. `texts` may be empty; with a file's text a region gets its end.
pub fn validate(
    checked: &Checked,
    findings: &[Finding],
    notices: &[String],
    texts: &Texts,
) -> String {
    let rules: Vec<Rule> = Code::ALL.iter().map(|c| code_rule(*c)).collect();
    let index = |code: Code| Code::ALL.iter().position(|c| *c == code).unwrap_or(0);
    let results = findings
        .iter()
        .map(|f| {
            let mut message = f.message.clone();
            if let Some(help) = &f.help {
                message.push_str("\nhelp: ");
                message.push_str(help);
            }
            SarifResult {
                rule_id: f.code.as_str(),
                rule_index: index(f.code),
                level: level(f.severity),
                message: text(message),
                locations: [location(&f.place, texts)],
                related_locations: f
                    .related
                    .iter()
                    .enumerate()
                    .map(|(i, r)| Location {
                        id: Some(i + 1),
                        message: Some(text(r.label.as_str())),
                        ..location(&r.place, texts)
                    })
                    .collect(),
                properties: f.id.as_deref().map(|id| Properties { id }),
            }
        })
        .collect();
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: driver(rules),
            },
            invocations: [Invocation {
                execution_successful: true,
                tool_execution_notifications: notifications(notices, "note"),
            }],
            column_kind: "unicodeCodePoints",
            results,
            properties: Some(serde_json::json!({ "checked": checked })),
        }],
    };
    finish(&log)
}

/// The rules of `annot diff`: one per status that needs review (named as
/// `Status::as_str` names them), and the two codes whose findings the
/// review also reports, a source gone and a `drift:` left unresolved.
const DIFF_RULES: [(&str, &str, &str); 5] = [
    (
        "drift-edited",
        "the span's text changed under it; a proposal comes with a confidence",
        "drift.md#statuses",
    ),
    (
        "drift-deleted",
        "the span's text is gone from the new version of the source",
        "drift.md#statuses",
    ),
    (
        "drift-ambiguous",
        "several places in the new version fit the span equally well",
        "drift.md#statuses",
    ),
    (
        "source-missing",
        "a source that annotations quote is gone from the new state",
        "codes.md#source-missing",
    ),
    (
        "drift-unresolved",
        "an annotation still carries `drift:` from an earlier reanchor",
        "codes.md#drift-unresolved",
    ),
];

fn diff_rules() -> Vec<Rule> {
    DIFF_RULES
        .iter()
        .map(|(id, short, doc)| {
            let help = match *id {
                "source-missing" | "drift-unresolved" => section(id).map(str::to_string),
                _ => None,
            }
            .unwrap_or_else(|| {
                format!("{short}. Run `annot reanchor --write` to carry the safe spans over and mark this one with `drift:`; then check the proposal and accept it with `annot reanchor --accept ID`, or fix `quote`, `start` and `end` by hand and delete `drift:`.")
            });
            Rule {
                id,
                name: rule_name(id),
                short_description: text(*short),
                help: Some(Help {
                    text: help.clone(),
                    markdown: help,
                }),
                help_uri: format!("{REPOSITORY}/blob/main/docs/{doc}"),
                default_configuration: Configuration { level: "warning" },
            }
        })
        .collect()
}

fn diff_index(rule: &str) -> usize {
    DIFF_RULES.iter().position(|r| r.0 == rule).unwrap_or(0)
}

/// The rule of a drift that needs review; `None` for the safe statuses.
pub fn drift_rule(status: Status) -> Option<&'static str> {
    match status {
        Status::Edited => Some("drift-edited"),
        Status::Deleted => Some("drift-deleted"),
        Status::Ambiguous => Some("drift-ambiguous"),
        Status::Intact | Status::Shifted | Status::Moved => None,
    }
}

fn drift_message(d: &DriftEntry) -> String {
    let o = &d.outcome;
    let now = match (&o.new, o.status) {
        (Some(n), _) => format!(
            "proposed {}..{} {:?} (confidence {:.2})",
            n.start, n.end, n.quote, o.confidence
        ),
        (None, Status::Ambiguous) => {
            let places: Vec<String> = o
                .candidates
                .iter()
                .map(|c| format!("{}..{}", c.start, c.end))
                .collect();
            format!("it could be at any of {}", places.join(", "))
        }
        (None, _) => "its text is gone".to_string(),
    };
    format!(
        "`{}` is {} in {}: it quoted {}..{} {:?}; {now}",
        d.id,
        o.status.as_str(),
        d.source,
        d.old_start,
        d.old_end,
        d.old_quote
    )
}

/// A place known only by its line (drift is reported per annotation, at
/// the line where it starts, as `--format json` does).
fn line_location(file: &str, line: u32) -> Location {
    Location {
        id: None,
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation { uri: uri(file) },
            region: Region {
                start_line: line.max(1),
                start_column: None,
                end_line: None,
                end_column: None,
            },
        },
        message: None,
    }
}

/// `annot diff --format sarif`: one result per annotation that needs
/// review, at the annotation in its YAML file, in the review's order.
pub fn diff(review: &Review) -> String {
    let mut results = Vec::new();
    for d in &review.drift {
        let Some(rule) = drift_rule(d.outcome.status) else {
            continue;
        };
        results.push(SarifResult {
            rule_id: rule,
            rule_index: diff_index(rule),
            level: "warning",
            message: text(drift_message(d)),
            locations: [line_location(&d.file, d.line)],
            related_locations: Vec::new(),
            properties: Some(Properties { id: &d.id }),
        });
    }
    for m in &review.missing {
        let message = match &m.renamed_to {
            Some(to) => format!(
                "the source {} is gone; {to} holds exactly the pinned text: set `source: {to}`",
                m.source
            ),
            None => format!(
                "the source {} is gone and no seed holds the pinned text; {} annotation(s) quote it",
                m.source, m.annotations
            ),
        };
        results.push(SarifResult {
            rule_id: "source-missing",
            rule_index: diff_index("source-missing"),
            level: "warning",
            message: text(message),
            locations: [line_location(&m.file, m.line)],
            related_locations: Vec::new(),
            properties: None,
        });
    }
    for u in &review.unresolved {
        results.push(SarifResult {
            rule_id: "drift-unresolved",
            rule_index: diff_index("drift-unresolved"),
            level: "warning",
            message: text(format!(
                "`{}` is still marked `drift: {}` (it quoted {}..{} {:?})",
                u.id,
                u.drift.status.as_str(),
                u.drift.old_start,
                u.drift.old_end,
                u.drift.old_quote
            )),
            locations: [line_location(&u.file, u.line)],
            related_locations: Vec::new(),
            properties: Some(Properties { id: &u.id }),
        });
    }
    let mut notes = notifications(&review.problems, "error");
    notes.extend(notifications(&review.notices, "note"));
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: driver(diff_rules()),
            },
            invocations: [Invocation {
                execution_successful: true,
                tool_execution_notifications: notes,
            }],
            column_kind: "unicodeCodePoints",
            results,
            properties: Some(serde_json::json!({
                "base": review.base,
                "head": review.head,
            })),
        }],
    };
    finish(&log)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_relative_uri_references() {
        assert_eq!(uri("annotations/a b#1.yaml"), "annotations/a%20b%231.yaml");
        assert_eq!(uri("a:b/ż.yaml"), "a%3Ab/%C5%BC.yaml");
    }

    #[test]
    fn every_code_has_its_section_and_short_text() {
        for code in Code::ALL {
            assert!(
                section(code.as_str()).is_some_and(|s| !s.is_empty()),
                "{code}"
            );
            assert!(
                in_short(code.as_str()).is_some_and(|s| !s.is_empty()),
                "{code}"
            );
        }
        assert_eq!(in_short("duplicate-id"), Some("an id defined twice"));
        assert!(section("eol-unprotected").is_some_and(|s| !s.contains("\n## ")));
        assert_eq!(rule_name("span-splits-grapheme"), "SpanSplitsGrapheme");
        assert_eq!(
            absolute_links("see [format.md](format.md), [x](#x) and [y](https://y.org)"),
            format!("see [format.md]({REPOSITORY}/blob/main/docs/format.md), [x]({REPOSITORY}/blob/main/docs/codes.md#x) and [y](https://y.org)")
        );
    }
}
