//! Human output: a miette report per finding that shows the YAML line and,
//! where a source text is involved, the source text too.

use super::Texts;
use crate::finding::{Finding, Place, Severity};
use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode,
};
use std::fmt;
use std::sync::Arc;

struct Snippet {
    message: String,
    source: Option<NamedSource<Arc<str>>>,
    label: Option<LabeledSpan>,
}

impl Snippet {
    fn new(texts: &Texts, place: &Place, message: String, label: String) -> Snippet {
        let text = texts.get(&place.file);
        let source = text.map(|t| NamedSource::new(&place.file, Arc::clone(t)).with_language("yaml"));
        let label = text.map(|t| {
            let start = place.start.min(t.len());
            let len = place.end.min(t.len()).saturating_sub(start);
            LabeledSpan::new(Some(label), start, len)
        });
        Snippet { message, source, label }
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
        self.main.label.clone().map(|l| Box::new(std::iter::once(l)) as Box<_>)
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
        self.0.label.clone().map(|l| Box::new(std::iter::once(l)) as Box<_>)
    }
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
        .map(|r| {
            RelatedReport(Snippet::new(
                texts,
                &r.place,
                format!("{} ({}:{}:{})", r.label, r.place.file, r.place.line, r.place.column),
                r.label.clone(),
            ))
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
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        out = format!("{}: {}:{}:{}: {}\n", finding.code, place.file, place.line, place.column, finding.message);
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
