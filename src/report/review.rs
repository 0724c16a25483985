//! Rendering a [`Review`] (`annot diff`, `annot reanchor`): for a terminal,
//! as JSON (`annot.diff/v1`), as a pull-request comment in Markdown, and as
//! GitHub workflow commands.

use crate::drift::Status;
use crate::report::github::{escape_data, escape_property};
use crate::report::quote_diff::marked;
pub use crate::report::text::visible;
use crate::report::text::Style;
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

/// The first `n` characters of `s`, made visible (shortened before the
/// escapes are made, so none is cut).
fn clip(s: &str, n: usize) -> String {
    clip_styled(s, n, &Style::default())
}

/// [`clip`] for a terminal: no wider than it when its width is known, the
/// mark of what was cut in ASCII where the terminal wants ASCII.
fn clip_styled(s: &str, n: usize, style: &Style) -> String {
    // The line holds an indent, offsets and quote marks as well.
    let n = match style.width {
        Some(w) => n.min(w.saturating_sub(36).max(16)),
        None => n,
    };
    if s.chars().count() <= n {
        visible(s)
    } else {
        format!(
            "{}{}",
            visible(&s.chars().take(n).collect::<String>()),
            style.ellipsis()
        )
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
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
    let mut parts = vec![if counts.is_empty() {
        "no drift".to_string()
    } else {
        counts.join(", ")
    }];
    if !review.missing.is_empty() {
        parts.push(plural(
            review.missing.len(),
            "source missing",
            "sources missing",
        ));
    }
    if !review.unresolved.is_empty() {
        parts.push(format!(
            "{} with unresolved `drift:`",
            plural(review.unresolved.len(), "annotation", "annotations")
        ));
    }
    let changes = review.changes.len();
    parts.push(plural(changes, "annotation change", "annotation changes"));
    let review_count = review.review_count();
    let verdict = if review_count == 0 {
        "nothing needs review".to_string()
    } else {
        format!(
            "{review_count} {} review",
            if review_count == 1 { "needs" } else { "need" }
        )
    };
    format!("{}; {verdict}", parts.join("; "))
}

fn describe_new(d: &DriftEntry, style: &Style) -> String {
    match (&d.outcome.new, d.outcome.status) {
        (Some(n), _) => format!(
            "{}..{} \"{}\"",
            n.start,
            n.end,
            clip_styled(&n.quote, 120, style)
        ),
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

fn span_text(span: Option<(u64, u64)>) -> String {
    span.map_or("(none)".to_string(), |(s, e)| format!("{s}..{e}"))
}

/// Why an edited proposal is what it is, in words.
fn why_edited(d: &DriftEntry) -> String {
    let o = &d.outcome;
    let mut out = format!("confidence {:.2}", o.confidence);
    if let Some(reason) = o.reason {
        out.push_str(&format!(", {}", crate::drift::describe_reason(reason)));
    }
    out
}

/// An edited quote's change for a terminal: `[-deleted-]{+inserted+}`.
fn word_diff_line(old: &str, new: &str, style: &Style) -> String {
    marked(
        old,
        new,
        visible,
        ("[-", "-]"),
        ("{+", "+}"),
        style.ellipsis(),
    )
}

/// What settles each kind of thing that needs review. `value` shows a
/// text that comes from a file (a path) in the output's own way; the rest
/// is our own words, with commands in backticks.
fn next_steps(review: &Review, value: &dyn Fn(&str) -> String) -> Vec<String> {
    let mut steps = Vec::new();
    let unsafe_drift = review
        .drift
        .iter()
        .filter(|d| !d.outcome.status.is_safe())
        .count();
    let with_proposal = review
        .drift
        .iter()
        .filter(|d| !d.outcome.status.is_safe() && d.outcome.new.is_some())
        .count();
    // Name the ids when they are few and plain enough to paste.
    let ids: Vec<&str> = review
        .drift
        .iter()
        .filter(|d| !d.outcome.status.is_safe() && d.outcome.new.is_some())
        .map(|d| d.id.as_str())
        .collect();
    let plain = |id: &str| {
        id.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'))
    };
    let accept = if !ids.is_empty() && ids.len() <= 12 && ids.iter().all(|id| plain(id)) {
        format!("`annot reanchor --accept {}`", ids.join(" "))
    } else {
        "`annot reanchor --accept ID`".to_string()
    };
    let then = if with_proposal > 0 {
        format!("fix each span by hand, or check its proposal and accept it with {accept}")
    } else {
        "fix each span by hand and delete its `drift:`".to_string()
    };
    if unsafe_drift > 0 {
        let who = plural(
            unsafe_drift,
            "annotation needs a person",
            "annotations need a person",
        );
        steps.push(if review.command == "reanchor" {
            format!("{who}: once `annot reanchor --write` has marked them with `drift:`, {then}")
        } else {
            format!("{who}: run `annot reanchor --write` to carry the safe spans and mark these with `drift:`; then {then}")
        });
    } else if review.command == "diff" && review.drift.iter().any(|d| d.outcome.status.is_safe()) {
        steps.push(format!(
            "{} can be carried safely, but their files still pin the old text (`annot validate` reports `pin-mismatch`): run `annot reanchor --write`",
            plural(review.drift.len(), "annotation", "annotations")
        ));
    }
    for m in &review.missing {
        steps.push(match &m.renamed_to {
            Some(to) => format!(
                "{} (line {}): its source {} is gone, but {} holds exactly the pinned text: point `source:` at it",
                value(&m.file),
                m.line,
                value(&m.source),
                value(to)
            ),
            None => format!(
                "{}: its source {} is gone and no seed holds the pinned text; restore the file, or move its {} to another source",
                value(&m.file),
                value(&m.source),
                plural(m.annotations, "annotation", "annotations")
            ),
        });
    }
    if !review.unresolved.is_empty() {
        steps.push(format!(
            "{} still carry `drift:` from an earlier reanchor: fix each span and remove `drift:`, or accept the recorded proposal with `annot reanchor --accept ID` (`annot validate` lists them)",
            plural(review.unresolved.len(), "annotation", "annotations")
        ));
    }
    steps
}

/// The review for a terminal; `style` says how wide it is and whether it
/// shows Unicode.
pub fn human(review: &Review, style: &Style) -> String {
    let arrow = style.arrow();
    let mut out = format!(
        "annot {} {} {arrow} {}\n",
        review.command,
        visible(&review.base),
        visible(&review.head)
    );
    if !review.sources.is_empty() {
        out.push_str("\nsources changed:\n");
        for s in &review.sources {
            out.push_str(&format!(
                "  {}  {} {arrow} {}\n",
                visible(&s.path),
                short(&s.old_sha256),
                short(&s.new_sha256)
            ));
        }
    }
    if !review.missing.is_empty() {
        out.push_str("\nsources missing:\n");
        for m in &review.missing {
            out.push_str(&format!(
                "  {}  quoted by {} in {}:{}",
                visible(&m.source),
                plural(m.annotations, "annotation", "annotations"),
                visible(&m.file),
                m.line
            ));
            match &m.renamed_to {
                Some(to) => out.push_str(&format!(" (renamed to {}?)\n", visible(to))),
                None => out.push('\n'),
            }
        }
    }
    if !review.drift.is_empty() {
        out.push_str("\ndrift:\n");
        for d in &review.drift {
            let o = &d.outcome;
            out.push_str(&format!(
                "  {:<9} {}  {}:{}\n",
                o.status.as_str(),
                visible(&d.id),
                visible(&d.file),
                d.line
            ));
            if o.status == Status::Intact {
                continue;
            }
            out.push_str(&format!(
                "            was {}..{} \"{}\"\n",
                d.old_start,
                d.old_end,
                clip_styled(&d.old_quote, 120, style)
            ));
            let mut now = format!("            now {}", describe_new(d, style));
            if o.status == Status::Edited {
                let why = format!("({})", why_edited(d));
                // On a line of its own when the terminal is too narrow.
                let fits = style
                    .width
                    .is_none_or(|w| crate::report::text::width(&now) + 2 + why.len() <= w);
                now.push_str(if fits { "  " } else { "\n            " });
                now.push_str(&why);
            }
            out.push_str(&now);
            out.push('\n');
            if let (Status::Edited, Some(n)) = (o.status, &o.new) {
                if n.quote != d.old_quote {
                    out.push_str(&format!(
                        "            edit {}\n",
                        word_diff_line(&d.old_quote, &n.quote, style)
                    ));
                }
            }
            if let Some(sentence) = &o.sentence {
                out.push_str(&format!(
                    "            sentence {}\n",
                    word_diff_line(&sentence.0, &sentence.1, style)
                ));
            }
        }
    }
    if !review.unresolved.is_empty() {
        out.push_str("\nunresolved drift:\n");
        for u in &review.unresolved {
            out.push_str(&format!(
                "  {:<9} {}  {}:{}\n            was {}..{} \"{}\"\n",
                u.drift.status.as_str(),
                visible(&u.id),
                visible(&u.file),
                u.line,
                u.drift.old_start,
                u.drift.old_end,
                clip_styled(&u.drift.old_quote, 80, style)
            ));
            if let Some(p) = &u.drift.proposal {
                out.push_str(&format!(
                    "            proposed {}..{} \"{}\"  (confidence {:.2}; `annot reanchor --accept {}`)\n",
                    p.start,
                    p.end,
                    clip_styled(&p.quote, 80, style),
                    p.confidence,
                    visible(&u.id)
                ));
            }
        }
    }
    if !review.changes.is_empty() {
        out.push_str("\nannotation changes:\n");
        for c in &review.changes {
            let fields = if c.fields.is_empty() {
                String::new()
            } else {
                format!(" ({})", visible(&c.fields.join(", ")))
            };
            out.push_str(&format!(
                "  {:<9} {} [{}]{}  {}:{}\n",
                c.change,
                visible(&c.id),
                visible(&c.kind),
                fields,
                visible(&c.file),
                c.line
            ));
            if let Some((was, now)) = c.span {
                out.push_str(&format!(
                    "            span {} {arrow} {}\n",
                    span_text(was),
                    span_text(now)
                ));
            }
            match (&c.old_quote, &c.quote) {
                (Some(a), Some(b)) if a != b => {
                    out.push_str(&format!("            {}\n", word_diff_line(a, b, style)))
                }
                (_, Some(q)) | (Some(q), None) => {
                    out.push_str(&format!("            \"{}\"\n", clip_styled(q, 100, style)))
                }
                _ => {}
            }
        }
    }
    for p in &review.problems {
        out.push_str(&format!(
            "\n{}\n",
            style.wrap(&visible(p), "problem: ", "  ")
        ));
    }
    for n in &review.notices {
        out.push_str(&format!("{}\n", style.wrap(&visible(n), "note: ", "  ")));
    }
    let steps = next_steps(review, &visible);
    if !steps.is_empty() {
        out.push_str("\nnext:\n");
        for step in steps {
            out.push_str(&format!("{}\n", style.wrap(&step, "  - ", "    ")));
        }
    }
    out.push('\n');
    out.push_str(&style.wrap(&summary(review), "", ""));
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
    missing: Vec<JsonMissing<'a>>,
    notices: &'a [String],
    problems: &'a [String],
    schema: &'static str,
    sources: Vec<JsonSource<'a>>,
    unresolved: Vec<JsonUnresolved<'a>>,
}

#[derive(Serialize)]
struct JsonMissing<'a> {
    annotations: usize,
    file: &'a str,
    line: u32,
    renamed_to: Option<&'a str>,
    sha256: Option<&'a str>,
    source: &'a str,
}

#[derive(Serialize)]
struct JsonUnresolved<'a> {
    file: &'a str,
    from_sha256: &'a str,
    id: &'a str,
    line: u32,
    old: JsonSpan<'a>,
    proposal: Option<JsonProposal<'a>>,
    source: Option<&'a str>,
    status: &'a str,
}

#[derive(Serialize)]
struct JsonProposal<'a> {
    confidence: f64,
    end: u64,
    quote: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    start: u64,
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
    let mut out = crate::report::json::to_string_pretty(&json_report(review, true));
    out.push('\n');
    out
}

/// The JSON report, written as it is made (a large one is never held twice).
pub fn write_json(review: &Review, out: impl std::io::Write) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    // The drift, most of a large report, is rendered on all cores.
    let mut report = json_report(review, false);
    if crate::report::pretty_list::write(&mut out, &report, "drift", &review.drift, json_drift)?
        .is_none()
    {
        report.drift = review.drift.iter().map(json_drift).collect();
        crate::report::json::to_writer_pretty(&mut out, &report)?;
    }
    out.write_all(b"\n")?;
    out.flush()
}

fn json_drift(d: &DriftEntry) -> JsonDrift<'_> {
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
}

/// The report; its drift list only `with_drift` (a large one is written as
/// it is made).
fn json_report(review: &Review, with_drift: bool) -> JsonReport<'_> {
    let drift = if with_drift {
        review.drift.iter().map(json_drift).collect()
    } else {
        Vec::new()
    };
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
        missing: review
            .missing
            .iter()
            .map(|m| JsonMissing {
                annotations: m.annotations,
                file: &m.file,
                line: m.line,
                renamed_to: m.renamed_to.as_deref(),
                sha256: m.pin.as_deref(),
                source: &m.source,
            })
            .collect(),
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
        unresolved: review
            .unresolved
            .iter()
            .map(|u| JsonUnresolved {
                file: &u.file,
                from_sha256: &u.drift.from_sha256,
                id: &u.id,
                line: u.line,
                old: span_json(
                    u.drift.old_start as usize,
                    u.drift.old_end as usize,
                    &u.drift.old_quote,
                ),
                proposal: u.drift.proposal.as_ref().map(|p| JsonProposal {
                    confidence: p.confidence,
                    end: p.end,
                    quote: &p.quote,
                    reason: p.reason.as_deref(),
                    start: p.start,
                }),
                source: u.source.as_deref(),
                status: u.drift.status.as_str(),
            })
            .collect(),
    }
}

/// Text from a file, safe anywhere in a GitHub comment (a table cell, a
/// list, inside `<code>`): HTML and Markdown punctuation as character
/// references, so it shows exactly as written — backticks and pipes
/// included — and never forms markup, a link or a mention.
fn md_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in visible(s).chars() {
        // Characters that could start markup, a table cell, an entity, an
        // emoji code, maths, a mention or an issue link.
        if matches!(
            c,
            '\\' | '`'
                | '*'
                | '_'
                | '['
                | ']'
                | '('
                | ')'
                | '<'
                | '>'
                | '&'
                | '|'
                | '~'
                | ':'
                | '@'
                | '#'
                | '!'
                | '$'
                | '"'
                | '\''
        ) {
            out.push_str(&format!("&#{};", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// A quote (or id, or path) as inline code, shortened to `n` characters.
fn md_code(s: &str, n: usize) -> String {
    format!("<code>{}</code>", md_literal(&clip_raw(s, n)))
}

/// Shortens without making anything visible (md_literal does that).
fn clip_raw(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

/// An edited quote's change as inline code with `<del>` and `<ins>`.
fn md_word_diff(old: &str, new: &str) -> String {
    let inner = marked(
        old,
        new,
        md_literal,
        ("<del>", "</del>"),
        ("<ins>", "</ins>"),
        "…",
    );
    format!("<code>{inner}</code>")
}

/// Status counts per changed source, in the order of `ORDER`.
fn per_source(review: &Review) -> Vec<(&str, [usize; 6])> {
    let mut rows: Vec<(&str, [usize; 6])> = Vec::new();
    for d in &review.drift {
        let i = ORDER
            .iter()
            .position(|s| *s == d.outcome.status)
            .unwrap_or(0);
        match rows.iter_mut().find(|(p, _)| *p == &*d.source) {
            Some((_, counts)) => counts[i] += 1,
            None => {
                let mut counts = [0; 6];
                counts[i] = 1;
                rows.push((&d.source, counts));
            }
        }
    }
    rows
}

pub fn markdown(review: &Review) -> String {
    let mut out = String::from("### annot: annotation drift\n\n");
    out.push_str(&format!(
        "**{}** ({} → {})\n\n",
        summary(review),
        md_code(&review.base, 80),
        md_code(&review.head, 80)
    ));
    let needs: Vec<&DriftEntry> = review
        .drift
        .iter()
        .filter(|d| !d.outcome.status.is_safe())
        .collect();
    let steps = next_steps(review, &|s| md_code(s, 200));
    if review.needs_review() {
        out.push_str("#### Needs review\n\n");
        for step in &steps {
            out.push_str(&format!("- **Next:** {step}\n"));
        }
        out.push('\n');
        for p in &review.problems {
            out.push_str(&format!("> **problem:** {}\n\n", md_literal(p)));
        }
        if !review.missing.is_empty() {
            out.push_str("| missing source | annotation file | annotations | the pinned text is now at |\n|---|---|---:|---|\n");
            for m in &review.missing {
                out.push_str(&format!(
                    "| {} | {}:{} | {} | {} |\n",
                    md_code(&m.source, 120),
                    md_code(&m.file, 120),
                    m.line,
                    m.annotations,
                    m.renamed_to
                        .as_deref()
                        .map_or("nowhere in seeds/".to_string(), |to| md_code(to, 120))
                ));
            }
            out.push('\n');
        }
        for d in needs {
            let o = &d.outcome;
            out.push_str(&format!(
                "<details><summary><b>{}</b> {} — {}:{}</summary>\n\n",
                o.status.as_str(),
                md_code(&d.id, 120),
                md_literal(&d.file),
                d.line
            ));
            out.push_str(&format!(
                "- was {}..{}: {}\n",
                d.old_start,
                d.old_end,
                md_code(&d.old_quote, 160)
            ));
            match (&o.new, o.status) {
                (Some(n), _) => {
                    out.push_str(&format!(
                        "- now {}..{}: {} ({})\n",
                        n.start,
                        n.end,
                        md_code(&n.quote, 160),
                        why_edited(d)
                    ));
                    if n.quote != d.old_quote {
                        out.push_str(&format!(
                            "- change: {}\n",
                            md_word_diff(&d.old_quote, &n.quote)
                        ));
                    }
                    if let Some(sentence) = &o.sentence {
                        out.push_str(&format!(
                            "- its sentence: {}\n",
                            md_word_diff(&sentence.0, &sentence.1)
                        ));
                    }
                }
                (None, Status::Ambiguous) => {
                    out.push_str("- fits equally well at:\n");
                    for c in &o.candidates {
                        out.push_str(&format!("  - {}..{}\n", c.start, c.end));
                    }
                }
                (None, _) => out.push_str("- the text is gone from the new version\n"),
            }
            out.push_str("\n</details>\n\n");
        }
        if !review.unresolved.is_empty() {
            out.push_str("| still marked `drift:` | status | file | was | proposed |\n|---|---|---|---|---|\n");
            for u in &review.unresolved {
                let proposed = u.drift.proposal.as_ref().map_or("·".to_string(), |p| {
                    format!(
                        "{}..{} {} (confidence {:.2})",
                        p.start,
                        p.end,
                        md_word_diff(&u.drift.old_quote, &p.quote),
                        p.confidence
                    )
                });
                out.push_str(&format!(
                    "| {} | {} | {}:{} | {} | {} |\n",
                    md_code(&u.id, 120),
                    u.drift.status.as_str(),
                    md_literal(&u.file),
                    u.line,
                    md_code(&u.drift.old_quote, 120),
                    proposed
                ));
            }
            out.push('\n');
        }
    }
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
    if !review.sources.is_empty() {
        out.push_str("#### Sources changed\n\n| source | sha256 | intact | shifted | moved | edited | deleted | ambiguous |\n|---|---|---:|---:|---:|---:|---:|---:|\n");
        let counts = per_source(review);
        for s in &review.sources {
            let row = counts
                .iter()
                .find(|(p, _)| *p == s.path)
                .map_or([0; 6], |(_, c)| *c);
            let cells: Vec<String> = row
                .iter()
                .zip(ORDER)
                .map(|(n, status)| match (n, status.is_safe()) {
                    (0, _) => "·".to_string(),
                    (n, true) => n.to_string(),
                    (n, false) => format!("**{n}**"),
                })
                .collect();
            out.push_str(&format!(
                "| {} | {} → {} | {} |\n",
                md_code(&s.path, 120),
                md_literal(&short(&s.old_sha256)),
                md_literal(&short(&s.new_sha256)),
                cells.join(" | ")
            ));
        }
        out.push('\n');
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
        out.push_str("| id | status | was | now | quote |\n|---|---|---|---|---|\n");
        for d in moved {
            let n = d.outcome.new.as_ref();
            out.push_str(&format!(
                "| {} | {} | {}..{} | {} | {} |\n",
                md_code(&d.id, 120),
                d.outcome.status.as_str(),
                d.old_start,
                d.old_end,
                n.map_or(String::new(), |n| format!("{}..{}", n.start, n.end)),
                md_code(&d.old_quote, 160)
            ));
        }
        out.push_str("\n</details>\n\n");
    }
    if !review.changes.is_empty() {
        out.push_str("#### Annotation changes\n\n| change | id | kind | fields | quote |\n|---|---|---|---|---|\n");
        for c in &review.changes {
            let quote = match (&c.old_quote, &c.quote) {
                (Some(a), Some(b)) if a != b => md_word_diff(a, b),
                (_, Some(q)) | (Some(q), None) => md_code(q, 160),
                _ => String::new(),
            };
            let fields = match c.span {
                Some((was, now)) => c
                    .fields
                    .iter()
                    .map(|f| {
                        if f == "span" {
                            format!("span {} → {}", span_text(was), span_text(now))
                        } else {
                            md_literal(f)
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                None => md_literal(&c.fields.join(", ")),
            };
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                c.change,
                md_code(&c.id, 120),
                md_literal(&c.kind),
                fields,
                quote
            ));
        }
        out.push('\n');
    }
    if review.drift.is_empty() && review.changes.is_empty() && !review.needs_review() {
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
        let title = format!(
            "annot drift: {} ({})",
            d.outcome.status.as_str(),
            visible(&d.id)
        );
        let mut message = format!(
            "was {}..{} \"{}\"; now {}",
            d.old_start,
            d.old_end,
            clip(&d.old_quote, 120),
            describe_new(d, &Style::default())
        );
        if d.outcome.status == Status::Edited {
            message.push_str(&format!(" ({})", why_edited(d)));
        }
        message.push_str(match (&d.outcome.new, d.outcome.status) {
            (Some(_), _) => ". Run `annot reanchor --write`, check the proposal, then `annot reanchor --accept ID`",
            (None, Status::Ambiguous) => ". Run `annot reanchor --write`, then set the span to the right candidate by hand and delete `drift:`",
            (None, _) => ". Run `annot reanchor --write`, then re-anchor or remove the annotation by hand",
        });
        out.push_str(&format!(
            "::warning file={},line={},title={}::{}\n",
            escape_property(&visible(&d.file)),
            d.line,
            escape_property(&title),
            escape_data(&message)
        ));
    }
    for m in &review.missing {
        warnings += 1;
        if warnings > GITHUB_LIMIT {
            continue;
        }
        let message = match &m.renamed_to {
            Some(to) => format!(
                "the source {} is gone; {to} holds exactly the pinned text: set `source: {to}`",
                m.source
            ),
            None => format!(
                "the source {} is gone and no seed holds the pinned text; {} quote it",
                m.source,
                plural(m.annotations, "annotation", "annotations")
            ),
        };
        out.push_str(&format!(
            "::warning file={},line={},title={}::{}\n",
            escape_property(&visible(&m.file)),
            m.line,
            escape_property("annot: source missing"),
            escape_data(&visible(&message))
        ));
    }
    for u in &review.unresolved {
        warnings += 1;
        if warnings > GITHUB_LIMIT {
            continue;
        }
        let title = format!("annot: unresolved drift ({})", u.id);
        let message = format!(
            "still marked `drift: {}` (was {}..{} \"{}\"): fix the span and remove `drift:`, or `annot reanchor --accept {}`",
            u.drift.status.as_str(),
            u.drift.old_start,
            u.drift.old_end,
            clip(&u.drift.old_quote, 120),
            u.id
        );
        out.push_str(&format!(
            "::warning file={},line={},title={}::{}\n",
            escape_property(&visible(&u.file)),
            u.line,
            escape_property(&visible(&title)),
            escape_data(&visible(&message))
        ));
    }
    if warnings > GITHUB_LIMIT {
        out.push_str(&format!(
            "::warning title=annot::{} more annotations need review (run `annot diff` locally)\n",
            warnings - GITHUB_LIMIT
        ));
    }
    for p in review.problems.iter().take(GITHUB_LIMIT) {
        out.push_str(&format!(
            "::error title=annot::{}\n",
            escape_data(&visible(p))
        ));
    }
    if review.problems.len() > GITHUB_LIMIT {
        out.push_str(&format!(
            "::error title=annot::{} more problems\n",
            review.problems.len() - GITHUB_LIMIT
        ));
    }
    for n in &review.notices {
        out.push_str(&format!(
            "::notice title=annot::{}\n",
            escape_data(&visible(n))
        ));
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
            "wrote {}: accepted the {} of {} and removed {} `drift:`\n",
            visible(path),
            if ids.len() == 1 {
                "proposal"
            } else {
                "proposals"
            },
            ids.iter()
                .map(|id| visible(id))
                .collect::<Vec<_>>()
                .join(", "),
            if ids.len() == 1 { "its" } else { "their" }
        ));
    }
    if accepted.files.is_empty() && accepted.refusals.is_empty() && accepted.failures.is_empty() {
        out.push_str("nothing to accept: no `edited` drift has a proposal with that confidence\n");
    }
    if !accepted.left.is_empty() {
        let left: Vec<String> = accepted
            .left
            .iter()
            .map(|(id, why)| format!("{} ({why})", visible(id)))
            .collect();
        out.push_str(&format!(
            "left for a person: {}; `annot validate` shows each with its proposal\n",
            left.join(", ")
        ));
    }
    out
}
