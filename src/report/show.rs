//! `annot show ID`: one annotation, its text in context, its links both
//! ways and its history, for a person at a terminal.

use super::text::{self, visible, Style};
use crate::commands::Shown;

/// `YYYY-MM-DD HH:MM` (UTC) of a Unix time.
pub fn utc_date(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let rest = seconds.rem_euclid(86_400);
    // Days to a civil date (proleptic Gregorian), after Howard Hinnant's
    // well-known algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60
    )
}

/// The context on each side of a span, made visible and, when the
/// terminal's width is known, shortened so the line fits it (the span
/// itself is always shown whole).
fn fit_context(
    (before, span, after): (&str, &str, &str),
    (lead, trail): (bool, bool),
    style: &Style,
) -> (String, String) {
    let ellipsis = style.ellipsis();
    let lead = if lead { ellipsis } else { "" };
    let trail = if trail { ellipsis } else { "" };
    let Some(columns) = style.width else {
        return (
            format!("{lead}{}", visible(before)),
            format!("{}{trail}", visible(after)),
        );
    };
    let room = columns.saturating_sub(2 + 4 + text::width(span)) / 2;
    let mut head = String::new();
    let mut used = 0;
    let mut cut = false;
    for c in before.chars().rev() {
        let w = text::char_width(c);
        if used + w + ellipsis.len() > room {
            cut = true;
            break;
        }
        let mut one = String::new();
        text::push_visible(&mut one, c);
        head.insert_str(0, &one);
        used += w;
    }
    if cut || !lead.is_empty() {
        head.insert_str(0, ellipsis);
    }
    let mut tail = String::new();
    used = 0;
    cut = false;
    for c in after.chars() {
        let w = text::char_width(c);
        if used + w + ellipsis.len() > room {
            cut = true;
            break;
        }
        text::push_visible(&mut tail, c);
        used += w;
    }
    if cut || !trail.is_empty() {
        tail.push_str(ellipsis);
    }
    (head, tail)
}

/// Renders what `annot show` prints. Every text from a file goes through
/// [`visible`]: line breaks and tabs as `\n`, `\r`, `\t`, other hidden
/// characters as `\u{…}`, the same as `validate` and `diff` show them.
pub fn render(shown: &Shown, style: &Style) -> String {
    let (on, off) = if style.color {
        ("\x1b[1;4;33m", "\x1b[0m")
    } else {
        ("[[", "]]")
    };
    let dash = style.pick("—", "-");
    let mut out = format!(
        "{} ({}) {dash} {}:{}\n",
        visible(&shown.id),
        visible(&shown.kind),
        visible(&shown.file),
        shown.line
    );
    for warning in &shown.warnings {
        out.push_str(&format!("  warning: {}\n", visible(warning)));
    }
    if let Some(quote) = &shown.quote {
        out.push_str(&format!("  quote: \"{}\"\n", visible(quote)));
    }
    if let (Some(source), Some((start, end))) = (&shown.source, shown.span) {
        out.push_str(&format!("  span:  {} {start}..{end}", visible(source)));
        if let Some((line, column)) = shown.source_position {
            out.push_str(&format!(" (line {line}, column {column})"));
        }
        out.push('\n');
    }
    for (key, value) in &shown.attrs {
        out.push_str(&format!("  {}: {}\n", visible(key), visible(value)));
    }
    if let Some(note) = &shown.note {
        out.push_str(&format!("  note:  {}\n", visible(note)));
    }
    if let Some((before, span, after)) = &shown.context {
        let (before, after) = fit_context((before, span, after), shown.context_cut, style);
        out.push_str(&format!(
            "\nin context:\n  {before}{on}{}{off}{after}\n",
            visible(span)
        ));
    }
    let describe = |l: &crate::commands::LinkView| {
        let mut text = format!(
            "{} ({})",
            visible(&l.other),
            l.other_kind
                .as_deref()
                .map_or("not found".to_string(), visible)
        );
        if let Some(quote) = &l.other_quote {
            text.push_str(&format!(" \"{}\"", visible(quote)));
        }
        if let Some(note) = &l.note {
            text.push_str(&format!("\n      note: {}", visible(note)));
        }
        text
    };
    let (out_arrow, in_arrow) = (style.pick("-->", "-->"), style.pick("<--", "<--"));
    out.push_str(&format!("\nlinks out ({}):\n", shown.links_out.len()));
    for link in &shown.links_out {
        out.push_str(&format!(
            "  --{}{out_arrow} {}\n",
            visible(&link.rel),
            describe(link)
        ));
    }
    out.push_str(&format!("links in ({}):\n", shown.links_in.len()));
    for link in &shown.links_in {
        out.push_str(&format!(
            "  {in_arrow}{}-- {}\n",
            visible(&link.rel),
            describe(link)
        ));
    }
    match &shown.history {
        None => out.push_str("\nhistory: not a git repository\n"),
        Some(changes) if changes.is_empty() => out.push_str("\nhistory: not committed yet\n"),
        Some(changes) => {
            out.push_str("\nhistory (oldest first):\n");
            for change in changes {
                out.push_str(&format!(
                    "  {} {} {}: {} {dash} {}\n",
                    utc_date(change.time),
                    visible(&change.commit[..change.commit.len().min(10)]),
                    visible(&change.author),
                    visible(&change.what),
                    visible(&change.summary)
                ));
            }
        }
    }
    out
}

/// `annot show --format json`: one object, `"schema": "annot.show/v1"`.
/// `context` is null when no trustworthy text can be shown (see
/// `warnings`); offsets are code points, as in the YAML.
pub fn render_json(shown: &Shown) -> String {
    let value = serde_json::json!({
        "schema": "annot.show/v1",
        "id": shown.id,
        "kind": shown.kind,
        "file": shown.file,
        "line": shown.line,
        "source": shown.source,
        "sha256": shown.pin,
        "pin": shown.pin_state,
        "quote": shown.quote,
        "start": shown.span.map(|s| s.0),
        "end": shown.span.map(|s| s.1),
        "source_position": shown.source_position.map(|(line, column)| serde_json::json!({"line": line, "column": column})),
        "attrs": shown.attrs.iter().map(|(k, v)| {
            let value: serde_json::Value = serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::String(v.clone()));
            (k.clone(), value)
        }).collect::<serde_json::Map<_, _>>(),
        "note": shown.note,
        "context": shown.context.as_ref().map(|(before, span, after)| serde_json::json!({"before": before, "span": span, "after": after})),
        "warnings": shown.warnings,
        "links_out": shown.links_out,
        "links_in": shown.links_in,
        "history": shown.history,
    });
    format!("{}\n", super::json::to_string_pretty(&value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(utc_date(0), "1970-01-01 00:00");
        assert_eq!(utc_date(1_750_161_600), "2025-06-17 12:00");
        assert_eq!(utc_date(951_782_400), "2000-02-29 00:00");
    }
}
