//! Rendering a [`Review`] (`annot diff`, `annot reanchor`): for a terminal,
//! as JSON (`annot.diff/v1`), as a pull-request comment in Markdown, and as
//! GitHub workflow commands.

use crate::drift::Status;
use crate::report::github::{escape_data, escape_property};
use crate::review::{Accepted, DriftEntry, Review};
use serde::Serialize;
use std::io::Write;

const ORDER: [Status; 6] = [
    Status::Intact,
    Status::Shifted,
    Status::Moved,
    Status::Edited,
    Status::Deleted,
    Status::Ambiguous,
];

fn short(sha: &Option<String>) -> String {
    sha.as_deref()
        .map_or("(none)".to_string(), |s| s[..s.len().min(12)].to_string())
}

fn clip(s: &str, n: usize) -> String {
    let one: String = s
        .chars()
        .map(|c| if c == '\n' || c == '\r' { '⏎' } else { c })
        .collect();
    if one.chars().count() <= n {
        one
    } else {
        format!("{}…", one.chars().take(n).collect::<String>())
    }
}

/// The one-line verdict: how many of each status, and what needs a person.
pub fn summary(review: &Review) -> String {
    let counts: Vec<String> = ORDER
        .iter()
        .filter_map(|s| {
            let n = review.count(*s);
            (n > 0).then(|| format!("{n} {}", s.as_str()))
        })
        .collect();
    let drift = if counts.is_empty() {
        "no drift".to_string()
    } else {
        counts.join(", ")
    };
    let review_count = review
        .drift
        .iter()
        .filter(|d| !d.outcome.status.is_safe())
        .count()
        + review.problems.len();
    let changes = review.changes.len();
    let verdict = if review_count == 0 {
        "nothing needs review".to_string()
    } else {
        format!("{review_count} need review")
    };
    format!(
        "{drift}; {changes} annotation change{}; {verdict}",
        if changes == 1 { "" } else { "s" }
    )
}

fn describe_new(d: &DriftEntry) -> String {
    match (&d.outcome.new, d.outcome.status) {
        (Some(n), _) => format!("{}..{} {:?}", n.start, n.end, clip(&n.quote, 80)),
        (None, Status::Ambiguous) => {
            let places: Vec<String> = d
                .outcome
                .candidates
                .iter()
                .map(|c| format!("{}..{}", c.start, c.end))
                .collect();
            format!("one of {}", places.join(", "))
        }
        (None, _) => "gone".to_string(),
    }
}

pub fn human(review: &Review) -> String {
    // `annot reanchor` compares each file's pinned version with the tree.
    let command = if review.base == "pinned" {
        "annot reanchor"
    } else {
        "annot diff"
    };
    let mut out = format!("{command} {} → {}\n", review.base, review.head);
    if !review.sources.is_empty() {
        out.push_str("\nsources changed:\n");
        for s in &review.sources {
            out.push_str(&format!(
                "  {}  {} → {}\n",
                s.path,
                short(&s.old_sha256),
                short(&s.new_sha256)
            ));
        }
    }
    if !review.drift.is_empty() {
        out.push_str("\ndrift:\n");
        for d in &review.drift {
            let o = &d.outcome;
            out.push_str(&format!(
                "  {:<9} {}  {}:{}\n",
                o.status.as_str(),
                d.id,
                d.file,
                d.line
            ));
            if o.status == Status::Intact {
                continue;
            }
            out.push_str(&format!(
                "            was {}..{} {:?}\n",
                d.old_start,
                d.old_end,
                clip(&d.old_quote, 80)
            ));
            let mut now = format!("            now {}", describe_new(d));
            if o.status == Status::Edited {
                now.push_str(&format!("  (confidence {:.2}", o.confidence));
                if let Some(reason) = o.reason {
                    now.push_str(&format!(", only {reason}"));
                }
                now.push(')');
            }
            out.push_str(&now);
            out.push('\n');
        }
    }
    if !review.changes.is_empty() {
        out.push_str("\nannotation changes:\n");
        for c in &review.changes {
            let fields = if c.fields.is_empty() {
                String::new()
            } else {
                format!(" ({})", c.fields.join(", "))
            };
            out.push_str(&format!(
                "  {:<9} {} [{}]{}  {}:{}\n",
                c.change, c.id, c.kind, fields, c.file, c.line
            ));
            match (&c.old_quote, &c.quote) {
                (Some(a), Some(b)) if a != b => out.push_str(&format!(
                    "            {:?} → {:?}\n",
                    clip(a, 70),
                    clip(b, 70)
                )),
                (_, Some(q)) | (Some(q), None) => {
                    out.push_str(&format!("            {:?}\n", clip(q, 100)))
                }
                _ => {}
            }
        }
    }
    for p in &review.problems {
        out.push_str(&format!("\nproblem: {p}\n"));
    }
    for n in &review.notices {
        out.push_str(&format!("note: {n}\n"));
    }
    out.push('\n');
    out.push_str(&summary(review));
    out.push('\n');
    out
}

// The JSON report is written straight from these shapes (no tree of
// values in between: a drift of 100,000 spans makes a 60 MB report). Fields
// are in alphabetical order, as the keys of the report have always been.

#[derive(Serialize)]
struct JsonReport<'a> {
    base: &'a str,
    changes: Vec<JsonChange<'a>>,
    drift: Vec<JsonDrift<'a>>,
    head: &'a str,
    notices: &'a [String],
    problems: &'a [String],
    schema: &'static str,
    sources: Vec<JsonSource<'a>>,
}

#[derive(Serialize)]
struct JsonChange<'a> {
    change: &'a str,
    fields: &'a [String],
    file: &'a str,
    id: &'a str,
}

#[derive(Serialize)]
struct JsonSource<'a> {
    new_sha256: Option<&'a str>,
    old_sha256: Option<&'a str>,
    path: &'a str,
}

#[derive(Serialize)]
struct JsonDrift<'a> {
    candidates: Vec<JsonSpan<'a>>,
    confidence: f64,
    file: &'a str,
    id: &'a str,
    line: u32,
    new: Option<JsonSpan<'a>>,
    old: JsonSpan<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    signals: JsonSignals<'a>,
    source: &'a str,
    status: &'a str,
}

#[derive(Serialize)]
struct JsonSpan<'a> {
    end: usize,
    quote: &'a str,
    start: usize,
}

#[derive(Serialize)]
struct JsonSignals<'a> {
    diff: &'a str,
    margin: Option<f64>,
    occurrences: usize,
    prefix: Option<f64>,
    suffix: Option<f64>,
}

fn span_json(start: usize, end: usize, quote: &str) -> JsonSpan<'_> {
    JsonSpan { end, quote, start }
}

pub fn json(review: &Review) -> String {
    let mut out = serde_json::to_string_pretty(&json_report(review)).unwrap_or_default();
    out.push('\n');
    out
}

/// The JSON report, written as it is made (a large one is never held twice).
pub fn write_json(review: &Review, out: impl std::io::Write) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut out, &json_report(review))?;
    out.write_all(b"\n")?;
    out.flush()
}

fn json_report(review: &Review) -> JsonReport<'_> {
    let drift = review
        .drift
        .iter()
        .map(|d| {
            let o = &d.outcome;
            JsonDrift {
                candidates: o
                    .candidates
                    .iter()
                    .map(|c| span_json(c.start, c.end, &c.quote))
                    .collect(),
                confidence: o.confidence,
                file: &d.file,
                id: &d.id,
                line: d.line,
                new: o.new.as_ref().map(|n| span_json(n.start, n.end, &n.quote)),
                old: span_json(d.old_start, d.old_end, &d.old_quote),
                reason: o.reason,
                signals: JsonSignals {
                    diff: o.signals.diff.as_str(),
                    margin: o.signals.margin,
                    occurrences: o.signals.occurrences,
                    prefix: o.signals.prefix,
                    suffix: o.signals.suffix,
                },
                source: &d.source,
                status: o.status.as_str(),
            }
        })
        .collect();
    JsonReport {
        base: &review.base,
        changes: review
            .changes
            .iter()
            .map(|c| JsonChange {
                change: c.change,
                fields: &c.fields,
                file: &c.file,
                id: &c.id,
            })
            .collect(),
        drift,
        head: &review.head,
        notices: &review.notices,
        problems: &review.problems,
        schema: "annot.diff/v1",
        sources: review
            .sources
            .iter()
            .map(|s| JsonSource {
                new_sha256: s.new_sha256.as_deref(),
                old_sha256: s.old_sha256.as_deref(),
                path: &s.path,
            })
            .collect(),
    }
}

/// Text inside Markdown inline code, safe from backticks and pipes.
fn md_code(s: &str) -> String {
    let clean = clip(s, 160).replace('`', "ˋ").replace('|', "\\|");
    format!("`{clean}`")
}

fn md_text(s: &str) -> String {
    clip(s, 400)
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
}

pub fn markdown(review: &Review) -> String {
    let mut out = String::from("### annot: annotation drift\n\n");
    out.push_str(&format!(
        "**{}** (`{}` → `{}`)\n\n",
        summary(review),
        review.base,
        review.head
    ));
    if !review.drift.is_empty() {
        out.push_str("| status | annotations | safe to apply |\n|---|---:|---|\n");
        for s in ORDER {
            let n = review.count(s);
            if n > 0 {
                out.push_str(&format!(
                    "| {} | {n} | {} |\n",
                    s.as_str(),
                    if s.is_safe() { "yes" } else { "**no: review**" }
                ));
            }
        }
        out.push('\n');
    }
    let needs: Vec<&DriftEntry> = review
        .drift
        .iter()
        .filter(|d| !d.outcome.status.is_safe())
        .collect();
    if !needs.is_empty() {
        out.push_str("#### Needs review\n\n");
        for d in needs {
            let o = &d.outcome;
            out.push_str(&format!(
                "<details><summary><b>{}</b> <code>{}</code> — {}:{}</summary>\n\n",
                o.status.as_str(),
                md_text(&d.id),
                md_text(&d.file),
                d.line
            ));
            out.push_str(&format!(
                "- was `{}..{}`: {}\n",
                d.old_start,
                d.old_end,
                md_code(&d.old_quote)
            ));
            match (&o.new, o.status) {
                (Some(n), _) => {
                    let mut line = format!(
                        "- now `{}..{}`: {} (confidence {:.2}",
                        n.start,
                        n.end,
                        md_code(&n.quote),
                        o.confidence
                    );
                    if let Some(reason) = o.reason {
                        line.push_str(&format!("; only {reason} changed"));
                    }
                    line.push_str(")\n");
                    out.push_str(&line);
                }
                (None, Status::Ambiguous) => {
                    out.push_str("- fits equally well at:\n");
                    for c in &o.candidates {
                        out.push_str(&format!("  - `{}..{}`\n", c.start, c.end));
                    }
                }
                (None, _) => out.push_str("- the text is gone from the new version\n"),
            }
            out.push_str("\n</details>\n\n");
        }
    }
    let moved: Vec<&DriftEntry> = review
        .drift
        .iter()
        .filter(|d| matches!(d.outcome.status, Status::Shifted | Status::Moved))
        .collect();
    if !moved.is_empty() {
        out.push_str(&format!(
            "<details><summary>{} carried over safely (shifted or moved)</summary>\n\n",
            moved.len()
        ));
        out.push_str("| id | was | now | quote |\n|---|---|---|---|\n");
        for d in moved {
            let n = d.outcome.new.as_ref();
            out.push_str(&format!(
                "| {} | {}..{} | {} | {} |\n",
                md_code(&d.id),
                d.old_start,
                d.old_end,
                n.map_or(String::new(), |n| format!("{}..{}", n.start, n.end)),
                md_code(&d.old_quote)
            ));
        }
        out.push_str("\n</details>\n\n");
    }
    if !review.changes.is_empty() {
        out.push_str("#### Annotation changes\n\n| change | id | kind | fields | quote |\n|---|---|---|---|---|\n");
        for c in &review.changes {
            let quote = match (&c.old_quote, &c.quote) {
                (Some(a), Some(b)) if a != b => format!("{} → {}", md_code(a), md_code(b)),
                (_, Some(q)) | (Some(q), None) => md_code(q),
                _ => String::new(),
            };
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                c.change,
                md_code(&c.id),
                md_text(&c.kind),
                c.fields.join(", "),
                quote
            ));
        }
        out.push('\n');
    }
    for p in &review.problems {
        out.push_str(&format!("> **problem:** {}\n\n", md_text(p)));
    }
    if review.drift.is_empty() && review.changes.is_empty() && review.problems.is_empty() {
        out.push_str("No annotation drifted and no annotation changed.\n");
    }
    out
}

/// At most this many workflow commands per severity; the rest are counted.
const GITHUB_LIMIT: usize = 10;

pub fn github(review: &Review) -> String {
    let mut out = String::new();
    let mut warnings = 0;
    for d in review.drift.iter().filter(|d| !d.outcome.status.is_safe()) {
        warnings += 1;
        if warnings > GITHUB_LIMIT {
            continue;
        }
        let title = format!("annot drift: {} ({})", d.outcome.status.as_str(), d.id);
        let message = format!(
            "was {}..{} {:?}; now {}",
            d.old_start,
            d.old_end,
            clip(&d.old_quote, 120),
            describe_new(d)
        );
        out.push_str(&format!(
            "::warning file={},line={},title={}::{}\n",
            escape_property(&d.file),
            d.line,
            escape_property(&title),
            escape_data(&message)
        ));
    }
    if warnings > GITHUB_LIMIT {
        out.push_str(&format!(
            "::warning title=annot::{} more annotations need review (run `annot diff` locally)\n",
            warnings - GITHUB_LIMIT
        ));
    }
    for p in review.problems.iter().take(GITHUB_LIMIT) {
        out.push_str(&format!("::error title=annot::{}\n", escape_data(p)));
    }
    if review.problems.len() > GITHUB_LIMIT {
        out.push_str(&format!(
            "::error title=annot::{} more problems\n",
            review.problems.len() - GITHUB_LIMIT
        ));
    }
    for n in &review.notices {
        out.push_str(&format!("::notice title=annot::{}\n", escape_data(n)));
    }
    out.push_str(&format!(
        "::notice title=annot diff::{}\n",
        escape_data(&summary(review))
    ));
    out
}

/// What `annot reanchor --accept` did, one line per file written.
pub fn accept_summary(accepted: &Accepted) -> String {
    let mut out = String::new();
    for (path, ids) in &accepted.files {
        out.push_str(&format!(
            "wrote {path}: accepted the proposal of {} and removed its `drift:`\n",
            ids.join(", ")
        ));
    }
    if accepted.files.is_empty() && accepted.refusals.is_empty() && accepted.failures.is_empty() {
        out.push_str("nothing to accept: no `edited` drift has a proposal with that confidence\n");
    }
    out
}
