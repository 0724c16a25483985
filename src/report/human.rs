//! Human output: a miette report per finding that shows the YAML line and,
//! where a source text is involved, the source text too.

use super::text::{self, visible, visible_lines, Style};
use super::Texts;
use crate::finding::{Finding, Place, Severity};
use miette::{
    Diagnostic, GraphicalReportHandler, LabeledSpan, MietteError, MietteSpanContents, SourceCode,
    SourceSpan, SpanContents,
};
use std::fmt;
#[cfg(test)]
use std::sync::Arc;

/// Lines of context kept around a place in an excerpt.
const EXCERPT_LINES: usize = 4;

/// How far from a place the ends of its lines are looked for, in bytes.
const SCAN: usize = 16 * 1024;

/// A few lines of a file around a place, as they are shown: hidden
/// characters made visible, lines wider than the terminal shortened around
/// the place. miette sees only this text, never the file: handing it the
/// whole file would make it scan from the start for every finding
/// (quadratic on a large file with many findings), and a line of a
/// minified file is too wide for it to lay out at all.
struct Excerpt {
    name: String,
    /// The lines as shown, joined by `\n`.
    text: String,
    /// 0-based line number of the excerpt's first line.
    first_line: usize,
    /// Where the place starts in `text`, and its true 0-based column.
    label_at: usize,
    column: usize,
}

/// Shown lines and where the place is in them.
struct Shown {
    text: String,
    label: (usize, usize),
}

impl Excerpt {
    fn new(name: &str, text: &str, place: &Place, style: &Style) -> (Excerpt, (usize, usize)) {
        let bytes = text.as_bytes();
        let start = floor_char(text, place.start.min(bytes.len()));
        let end = floor_char(text, place.end.min(bytes.len()).max(start));
        // Lines are looked for no further than SCAN bytes away: on a
        // file of one huge line, finding its ends for every finding would
        // be quadratic. Beyond that the line is shown as if it began (or
        // ended) there, which shortening hides anyway.
        let near = floor_char(text, start.saturating_sub(SCAN));
        let mut from = memchr::memrchr(b'\n', &bytes[near..start]).map_or(near, |i| near + i + 1);
        let mut first_line = place.line.saturating_sub(1) as usize;
        for _ in 0..EXCERPT_LINES {
            if from == 0 || first_line == 0 || bytes[from - 1] != b'\n' {
                break;
            }
            let near = floor_char(text, (from - 1).saturating_sub(SCAN));
            from = memchr::memrchr(b'\n', &bytes[near..from - 1]).map_or(near, |i| near + i + 1);
            first_line -= 1;
        }
        let far = floor_char(text, end.saturating_add(SCAN).min(bytes.len()));
        let mut to = end;
        for _ in 0..=EXCERPT_LINES {
            match memchr::memchr(b'\n', &bytes[to..far]) {
                Some(i) => to += i + 1,
                None => {
                    to = far;
                    break;
                }
            }
        }
        // Room for the text once the gutter (line number, bars) is drawn.
        let digits = (first_line + 2 * EXCERPT_LINES + 2).to_string().len();
        let room = style.columns().saturating_sub(digits + 6).max(24);
        let shown = show_lines(text, from, to, (start, end), room, style);
        let excerpt = Excerpt {
            name: visible(name),
            text: shown.text,
            first_line,
            label_at: shown.label.0,
            column: place.column.saturating_sub(1) as usize,
        };
        (excerpt, shown.label)
    }
}

/// The lines of `text[from..to]` as shown, each at most `room` columns
/// wide: the line that holds the place starts a third of the room before
/// it, so the place is always in sight; text left out is marked.
fn show_lines(
    text: &str,
    from: usize,
    to: usize,
    (start, end): (usize, usize),
    room: usize,
    style: &Style,
) -> Shown {
    let ellipsis = style.ellipsis();
    let mut out = String::new();
    let mut label = (None, None);
    let mut line_start = from;
    // An empty last line is shown when the place is on it (the end of a
    // file that ends with a line break).
    while line_start < to || (line_start == to && (out.is_empty() || start == to)) {
        let line_end =
            memchr::memchr(b'\n', &text.as_bytes()[line_start..to]).map_or(to, |i| line_start + i);
        let mut content_end = line_end;
        if text.as_bytes().get(line_end) == Some(&b'\n')
            && content_end > line_start
            && text.as_bytes()[content_end - 1] == b'\r'
        {
            content_end -= 1;
        }
        let line = &text[line_start..content_end];
        // Where to begin showing this line.
        let mut begin = 0;
        if (line_start..=content_end).contains(&start) {
            let before = start - line_start;
            let mut w = 0;
            begin = before;
            for (i, c) in line[..before].char_indices().rev() {
                w += text::char_width(c);
                if w > room / 3 {
                    break;
                }
                begin = i;
            }
        }
        let mut used = 0;
        if begin > 0 {
            out.push_str(ellipsis);
            used += ellipsis.len();
        }
        let mut cut = false;
        for (i, c) in line[begin..].char_indices() {
            let at = line_start + begin + i;
            if at == start {
                label.0 = Some(out.len());
            }
            if at == end {
                label.1 = Some(out.len());
            }
            let w = text::char_width(c);
            if used + w > room {
                cut = true;
                break;
            }
            text::push_visible(&mut out, c);
            used += w;
        }
        // A place that starts or ends at the line's end, or in what was
        // left out of it.
        if label.0.is_none() && (line_start..=content_end).contains(&start) {
            label.0 = Some(out.len());
        }
        if label.0.is_some() && label.1.is_none() && (line_start..=content_end).contains(&end) {
            label.1 = Some(out.len());
        }
        if cut {
            out.push_str(ellipsis);
        }
        if line_end < to {
            out.push('\n');
        }
        if label.0.is_some() && label.1.is_none() && end > content_end && end <= line_end + 1 {
            label.1 = Some(out.len());
        }
        line_start = line_end + 1;
    }
    let at = label.0.unwrap_or(out.len());
    let until = label.1.unwrap_or(out.len()).max(at);
    Shown {
        text: out,
        label: (at, until - at),
    }
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let window: &'a str = &self.text;
        let contents = window.read_span(span, context_lines_before, context_lines_after)?;
        // The header names the place's true column, not the one in the
        // shortened line.
        let column = if span.offset() == self.label_at {
            self.column
        } else {
            contents.column()
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            contents.data(),
            *contents.span(),
            contents.line() + self.first_line,
            column,
            contents.line_count(),
        )))
    }
}

struct Snippet {
    message: String,
    source: Option<Excerpt>,
    label: Option<LabeledSpan>,
}

impl Snippet {
    fn new(texts: &Texts, place: &Place, message: String, label: String, style: &Style) -> Snippet {
        let (source, label) = match texts.get(&place.file) {
            Some(text) => {
                let (excerpt, (at, len)) = Excerpt::new(&place.file, text, place, style);
                (Some(excerpt), Some(LabeledSpan::new(Some(label), at, len)))
            }
            None => (None, None),
        };
        Snippet {
            message,
            source,
            label,
        }
    }
}

struct Report<'a> {
    finding: &'a Finding,
    help: Option<String>,
    main: Snippet,
    related: Vec<RelatedReport>,
}

struct RelatedReport(Snippet);

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.main.message)
    }
}
impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.main.message)
    }
}
impl std::error::Error for Report<'_> {}

impl Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.finding.code.as_str()))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.main.source.as_ref().map(|s| s as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.main
            .label
            .clone()
            .map(|l| Box::new(std::iter::once(l)) as Box<_>)
    }
    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn Diagnostic> + 'b>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|r| r as &dyn Diagnostic)))
    }
}

impl fmt::Debug for RelatedReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}
impl fmt::Display for RelatedReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}
impl std::error::Error for RelatedReport {}

impl Diagnostic for RelatedReport {
    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Advice)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.0.source.as_ref().map(|s| s as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.0
            .label
            .clone()
            .map(|l| Box::new(std::iter::once(l)) as Box<_>)
    }
}

/// How many characters of a source are shown on each side of a span.
const EXCERPT_CONTEXT: usize = 30;

/// A one-line excerpt of a source text with the span underlined: source
/// paragraphs are often single lines far wider than a terminal. The marks
/// stand under the display columns of the span (a wide character takes
/// two, a combining mark none).
fn excerpt(text: &str, place: &Place, label: &str, style: &Style) -> String {
    let start = floor_char(text, place.start.min(text.len()));
    let end = floor_char(text, place.end.min(text.len()).max(start));
    let room = style.columns().saturating_sub(10).max(24);
    let ellipsis = style.ellipsis();
    // Context before the span: at most EXCERPT_CONTEXT characters and a
    // third of the room.
    let mut from = start;
    let mut before_width = 0;
    for (i, c) in text[..start].char_indices().rev().take(EXCERPT_CONTEXT) {
        let w = text::char_width(c);
        if before_width + w > room / 3 {
            break;
        }
        before_width += w;
        from = i;
    }
    let lead = if from > 0 { ellipsis } else { "" };
    let mut used = lead.len() + before_width;
    let mut line = format!("{lead}{}", visible(&text[from..start]));
    let pad = used;
    let mut marks = 0;
    let mut cut = false;
    for c in text[start..end].chars() {
        let w = text::char_width(c);
        if used + w > room {
            cut = true;
            break;
        }
        text::push_visible(&mut line, c);
        used += w;
        marks += w;
    }
    if !cut {
        let mut rest = text[end..].chars();
        for c in rest.by_ref().take(EXCERPT_CONTEXT) {
            let w = text::char_width(c);
            if used + w > room {
                cut = true;
                break;
            }
            text::push_visible(&mut line, c);
            used += w;
        }
        cut |= rest.next().is_some();
    }
    if cut {
        line.push_str(ellipsis);
    }
    let bar = style.pick("│", "|");
    format!(
        "{}\n    {}:{}:{}\n    {bar} {line}\n    {bar} {}{}",
        visible(label),
        visible(&place.file),
        place.line,
        place.column,
        " ".repeat(pad),
        "^".repeat(marks.max(1))
    )
}

fn floor_char(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn is_source_text(path: &str) -> bool {
    path.starts_with("seeds/") && !path.ends_with(".yaml")
}

/// Renders one finding as a miette report. Every text from a file (the
/// message quotes them) is made visible here, not where the finding is
/// made, so JSON keeps the true text.
pub fn render_finding(finding: &Finding, texts: &Texts, style: &Style) -> String {
    let place = &finding.place;
    let main_message = match &finding.id {
        Some(id) if !finding.message.contains(&format!("`{id}`")) => {
            format!("{} [{}]", finding.message, id)
        }
        _ => finding.message.clone(),
    };
    let main_message = if texts.contains_key(&place.file) {
        main_message
    } else {
        format!("{}: {main_message}", place.file)
    };
    let label = finding.label.as_deref().unwrap_or("here");
    // A message's own line breaks (a list of places) stay breaks.
    let main = Snippet::new(
        texts,
        place,
        visible_lines(&main_message),
        visible(label),
        style,
    );
    let related = finding
        .related
        .iter()
        .map(|r| match texts.get(&r.place.file) {
            Some(text) if is_source_text(&r.place.file) => RelatedReport(Snippet {
                message: excerpt(text, &r.place, &r.label, style),
                source: None,
                label: None,
            }),
            _ => RelatedReport(Snippet::new(
                texts,
                &r.place,
                visible(&format!(
                    "{} ({}:{}:{})",
                    r.label, r.place.file, r.place.line, r.place.column
                )),
                visible(&r.label),
                style,
            )),
        })
        .collect();
    let report = Report {
        finding,
        help: finding.help.as_deref().map(visible_lines),
        main,
        related,
    };
    let theme = style.theme();
    // Wrapped only where the width is known: output to a pipe does not
    // depend on the environment.
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.columns())
        .with_wrap_lines(style.width.is_some());
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        out = format!(
            "{}: {}:{}:{}: {}\n",
            finding.code,
            visible(&place.file),
            place.line,
            place.column,
            visible(&finding.message)
        );
    }
    out
}

pub fn render(findings: &[Finding], texts: &Texts, style: &Style) -> String {
    let mut out = String::new();
    for finding in findings {
        out.push_str(&render_finding(finding, texts, style));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Code;

    fn one(text: &str, start: usize, end: usize, line: u32, column: u32) -> String {
        let texts: Texts = [("f.yaml".to_string(), Arc::new(text.to_string()))].into();
        let place = Place {
            file: "f.yaml".to_string(),
            line,
            column,
            start,
            end,
        };
        render_finding(
            &Finding::new(Code::Schema, place, "wrong"),
            &texts,
            &Style::default(),
        )
    }

    #[test]
    fn a_long_line_is_shortened_around_the_place() {
        let text = format!("a: {} bad, {}\n", "x".repeat(100_000), "y".repeat(500));
        let at = text.find("bad").unwrap();
        let out = one(&text, at, at + 3, 1, at as u32 + 1);
        assert!(out.contains(&format!("[f.yaml:1:{}]", at + 1)), "{out}");
        assert!(out.contains("x bad, y"), "{out}");
        assert!(out.lines().all(|l| l.chars().count() <= 100), "{out}");
    }

    #[test]
    fn a_place_at_the_end_of_a_file() {
        let out = one("a: 1\n", 5, 5, 2, 1);
        assert!(out.contains("[f.yaml:2:1]"), "{out}");
    }

    #[test]
    fn crlf_ends_lines_and_controls_are_shown() {
        let text = "a: 1\r\nb: \u{1b}[31mx\u{7}\r\nc: 2\r\n";
        let out = one(text, 6, 7, 2, 1);
        assert!(out.contains("[f.yaml:2:1]"), "{out}");
        assert!(out.contains("b: \\u{1b}[31mx\\u{7}"), "{out}");
        assert!(!out.contains(['\r', '\u{1b}', '\u{7}']), "{out}");
        assert!(out.contains("c: 2"), "{out}");
    }

    #[test]
    fn a_span_over_two_lines() {
        let text = "quote: |\n  one\n  two\nnext: 1\n";
        let out = one(text, 9, 22, 2, 3);
        assert!(out.contains("[f.yaml:2:3]"), "{out}");
        assert!(out.contains("two") && out.contains("next: 1"), "{out}");
    }
}
