//! A finding of `annot validate` as an LSP diagnostic: the same code,
//! severity, message and place; the help after the message; the related
//! places (another definition, the text of a source) as related
//! information.

use super::documents::{uri_of, Document};
use super::encoding::LineIndex;
use super::session::Session;
use crate::finding::{Finding, Place, Severity};
use lsp_types::{
    Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Range,
};
use std::collections::HashMap;

/// The texts of the files related places are in, each read once.
pub struct Texts<'s> {
    session: &'s Session,
    read: HashMap<String, Option<(String, LineIndex)>>,
}

impl<'s> Texts<'s> {
    pub fn new(session: &'s Session) -> Texts<'s> {
        Texts {
            session,
            read: HashMap::new(),
        }
    }

    /// The range of `place` in its file, as the editor counts.
    pub fn range(&mut self, place: &Place) -> Range {
        let session = self.session;
        let entry = self.read.entry(place.file.clone()).or_insert_with(|| {
            let text = session.text_of(&place.file)?;
            let lines = LineIndex::new(&text);
            Some((text, lines))
        });
        match entry {
            Some((text, lines)) => lines.range(text, place.start, place.end, session.encoding),
            // A file that cannot be read: its line and column, counted from 1.
            None => {
                let at = lsp_types::Position::new(
                    place.line.saturating_sub(1),
                    place.column.saturating_sub(1),
                );
                Range::new(at, at)
            }
        }
    }
}

pub fn diagnostic(
    session: &Session,
    doc: &Document,
    finding: &Finding,
    texts: &mut Texts,
) -> Diagnostic {
    let range = doc.range(finding.place.start, finding.place.end, session.encoding);
    let message = match &finding.help {
        Some(help) => format!("{}\nhelp: {help}", finding.message),
        None => finding.message.clone(),
    };
    let related: Vec<DiagnosticRelatedInformation> = session
        .root
        .as_ref()
        .map(|root| {
            finding
                .related
                .iter()
                .filter_map(|related| {
                    Some(DiagnosticRelatedInformation {
                        location: Location {
                            uri: uri_of(root, &related.place.file)?,
                            range: texts.range(&related.place),
                        },
                        message: related.label.clone(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Diagnostic {
        range,
        severity: Some(match finding.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(finding.code.as_str().to_string())),
        code_description: None,
        source: Some("annot".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}
