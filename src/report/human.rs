//! Human output: a miette report per finding that shows the YAML line and,
//! where a source text is involved, the source text too.

use super::Texts;
use crate::finding::{Finding, Place, Severity};
use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};
use std::fmt;
use std::sync::Arc;

/// Lines of context kept around a place in an excerpt.
const EXCERPT_LINES: usize = 4;

/// A few lines of a file around a place, with their true line numbers.
/// Handing miette the whole file would make it scan from the start for
/// every finding: quadratic on a large file with many findings.
struct Excerpt {
    name: String,
    text: Arc<str>,
    /// Byte range of the excerpt in the file.
    from: usize,
    to: usize,
    /// 0-based line number of the excerpt's first line.
    first_line: usize,
}

impl Excerpt {
    fn new(name: &str, text: &Arc<str>, place: &Place) -> Excerpt {
        let bytes = text.as_bytes();
        let start = place.start.min(bytes.len());
        let end = place.end.min(bytes.len()).max(start);
        let mut from = memchr::memrchr(b'\n', &bytes[..start]).map_or(0, |i| i + 1);
        let mut first_line = place.line.saturating_sub(1) as usize;
        for _ in 0..EXCERPT_LINES {
            if from == 0 || first_line == 0 {
                break;
            }
            from = memchr::memrchr(b'\n', &bytes[..from - 1]).map_or(0, |i| i + 1);
            first_line -= 1;
        }
        let mut to = end;
        for _ in 0..=EXCERPT_LINES {
            match memchr::memchr(b'\n', &bytes[to..]) {
                Some(i) => to += i + 1,
                None => {
                    to = bytes.len();
                    break;
                }
            }
        }
        Excerpt {
            name: name.to_string(),
            text: Arc::clone(text),
            from,
            to,
            first_line,
        }
    }
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let window: &'a str = &self.text[self.from..self.to];
        let local = SourceSpan::new(span.offset().saturating_sub(self.from).into(), span.len());
        let contents = window.read_span(&local, context_lines_before, context_lines_after)?;
        let absolute = SourceSpan::new(
            (contents.span().offset() + self.from).into(),
            contents.span().len(),
        );
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            contents.data(),
            absolute,
            contents.line() + self.first_line,
            contents.column(),
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
    fn new(texts: &Texts, place: &Place, message: String, label: String) -> Snippet {
        let text = texts.get(&place.file);
        let source = text.map(|t| Excerpt::new(&place.file, t, place));
        let label = text.map(|t| {
            let start = place.start.min(t.len());
            let len = place.end.min(t.len()).saturating_sub(start);
            LabeledSpan::new(Some(label), start, len)
        });
        Snippet {
            message,
            source,
            label,
        }
    }
}

struct Report<'a> {
    finding: &'a Finding,
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
        self.finding
            .help
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
/// paragraphs are often single lines far wider than a terminal.
fn excerpt(text: &str, place: &Place, label: &str) -> String {
    let start = floor_char(text, place.start.min(text.len()));
    let end = floor_char(text, place.end.min(text.len()).max(start));
    let before: String = text[..start]
        .chars()
        .rev()
        .take(EXCERPT_CONTEXT)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let after: String = text[end..].chars().take(EXCERPT_CONTEXT).collect();
    let visible = |s: &str| -> String {
        s.chars()
            .map(|c| match c {
                '\n' => '⏎',
                '\r' => '␍',
                '\t' => '→',
                c => c,
            })
            .collect()
    };
    let lead = if before.len() < start { "…" } else { "" };
    let trail = if end + after.len() < text.len() {
        "…"
    } else {
        ""
    };
    let span = visible(&text[start..end]);
    let pad = lead.chars().count() + before.chars().count();
    let marks = span.chars().count().max(1);
    format!(
        "{label}\n    {}:{}:{}\n    │ {lead}{}{span}{}{trail}\n    │ {}{}",
        place.file,
        place.line,
        place.column,
        visible(&before),
        visible(&after),
        " ".repeat(pad),
        "^".repeat(marks)
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

/// Renders one finding as a miette report.
pub fn render_finding(finding: &Finding, texts: &Texts, color: bool) -> String {
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
    let label = finding.label.clone().unwrap_or_else(|| "here".to_string());
    let main = Snippet::new(texts, place, main_message, label);
    let related = finding
        .related
        .iter()
        .map(|r| match texts.get(&r.place.file) {
            Some(text) if is_source_text(&r.place.file) => RelatedReport(Snippet {
                message: excerpt(text, &r.place, &r.label),
                source: None,
                label: None,
            }),
            _ => RelatedReport(Snippet::new(
                texts,
                &r.place,
                format!(
                    "{} ({}:{}:{})",
                    r.label, r.place.file, r.place.line, r.place.column
                ),
                r.label.clone(),
            )),
        })
        .collect();
    let report = Report {
        finding,
        main,
        related,
    };
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_wrap_lines(false);
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        out = format!(
            "{}: {}:{}:{}: {}\n",
            finding.code, place.file, place.line, place.column, finding.message
        );
    }
    out
}

pub fn render(findings: &[Finding], texts: &Texts, color: bool) -> String {
    let mut out = String::new();
    for finding in findings {
        out.push_str(&render_finding(finding, texts, color));
        out.push('\n');
    }
    out
}
