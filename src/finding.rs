//! What a check reports: a [`Finding`] with a stable [`Code`], a severity, the
//! place in a file it is about, and related places (another definition, the
//! text of a source). Rules produce findings; reporters render them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Every kind of problem `annot` reports. The string form is stable: users
/// grep for it, CI parses it, docs/codes.md explains it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    YamlSyntax,
    YamlUnsupported,
    YamlLimit,
    Schema,
    DuplicateId,
    UnknownKind,
    UnknownRel,
    UnknownAttr,
    AttrValue,
    KindAnchoring,
    RelConstraint,
    DanglingLink,
    Vocabulary,
    Metadata,
    FileOutsideWorkspace,
    SourceMissing,
    SourceOutsideSeeds,
    SourceNotUtf8,
    SpanRange,
    QuoteMismatch,
    ContextMismatch,
    Unanchored,
    PinMismatch,
    PinUnknown,
    DriftUnresolved,
    AmbiguousQuote,
    SpanSplitsGrapheme,
    EolUnprotected,
}

impl Code {
    pub const ALL: &'static [Code] = &[
        Code::YamlSyntax,
        Code::YamlUnsupported,
        Code::YamlLimit,
        Code::Schema,
        Code::DuplicateId,
        Code::UnknownKind,
        Code::UnknownRel,
        Code::UnknownAttr,
        Code::AttrValue,
        Code::KindAnchoring,
        Code::RelConstraint,
        Code::DanglingLink,
        Code::Vocabulary,
        Code::Metadata,
        Code::FileOutsideWorkspace,
        Code::SourceMissing,
        Code::SourceOutsideSeeds,
        Code::SourceNotUtf8,
        Code::SpanRange,
        Code::QuoteMismatch,
        Code::ContextMismatch,
        Code::Unanchored,
        Code::PinMismatch,
        Code::PinUnknown,
        Code::DriftUnresolved,
        Code::AmbiguousQuote,
        Code::SpanSplitsGrapheme,
        Code::EolUnprotected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::YamlSyntax => "yaml-syntax",
            Code::YamlUnsupported => "yaml-unsupported",
            Code::YamlLimit => "yaml-limit",
            Code::Schema => "schema",
            Code::DuplicateId => "duplicate-id",
            Code::UnknownKind => "unknown-kind",
            Code::UnknownRel => "unknown-rel",
            Code::UnknownAttr => "unknown-attr",
            Code::AttrValue => "attr-value",
            Code::KindAnchoring => "kind-anchoring",
            Code::RelConstraint => "rel-constraint",
            Code::DanglingLink => "dangling-link",
            Code::Vocabulary => "vocabulary",
            Code::Metadata => "metadata",
            Code::FileOutsideWorkspace => "file-outside-workspace",
            Code::SourceMissing => "source-missing",
            Code::SourceOutsideSeeds => "source-outside-seeds",
            Code::SourceNotUtf8 => "source-not-utf8",
            Code::SpanRange => "span-range",
            Code::QuoteMismatch => "quote-mismatch",
            Code::ContextMismatch => "context-mismatch",
            Code::Unanchored => "unanchored",
            Code::PinMismatch => "pin-mismatch",
            Code::PinUnknown => "pin-unknown",
            Code::DriftUnresolved => "drift-unresolved",
            Code::AmbiguousQuote => "ambiguous-quote",
            Code::SpanSplitsGrapheme => "span-splits-grapheme",
            Code::EolUnprotected => "eol-unprotected",
        }
    }

    pub fn severity(self) -> Severity {
        match self {
            Code::AmbiguousQuote | Code::SpanSplitsGrapheme | Code::EolUnprotected => {
                Severity::Warning
            }
            _ => Severity::Error,
        }
    }

    /// Findings with these codes mean the file could not be read as an
    /// annotation file at all (what a JSON Schema also rejects).
    pub fn is_structural(self) -> bool {
        matches!(
            self,
            Code::YamlSyntax | Code::YamlUnsupported | Code::YamlLimit | Code::Schema
        )
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Code, D::Error> {
        let name = String::deserialize(d)?;
        Code::ALL
            .iter()
            .copied()
            .find(|code| code.as_str() == name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown code {name}")))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A place in a file of the workspace (an annotation file or a source text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    /// Workspace-relative path with `/` separators.
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// Byte range in the file, for pointing at it in a snippet.
    pub start: usize,
    pub end: usize,
}

/// Another place that helps to understand a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Related {
    pub place: Place,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub place: Place,
    /// What the label under the snippet says; defaults to the message.
    pub label: Option<String>,
    pub id: Option<String>,
    pub help: Option<String>,
    pub related: Vec<Related>,
}

impl Finding {
    pub fn new(code: Code, place: Place, message: impl Into<String>) -> Finding {
        Finding {
            code,
            severity: code.severity(),
            message: message.into(),
            place,
            label: None,
            id: None,
            help: None,
            related: Vec::new(),
        }
    }

    pub fn with_id(mut self, id: impl Into<String>) -> Finding {
        self.id = Some(id.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Finding {
        self.help = Some(help.into());
        self
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Finding {
        self.label = Some(label.into());
        self
    }

    pub fn with_related(mut self, place: Place, label: impl Into<String>) -> Finding {
        self.related.push(Related {
            place,
            label: label.into(),
        });
        self
    }
}

/// Sorts findings the way a person reads them: by file, then line, column
/// and code.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (
            &a.place.file,
            a.place.line,
            a.place.column,
            a.code,
            &a.message,
        )
            .cmp(&(
                &b.place.file,
                b.place.line,
                b.place.column,
                b.code,
                &b.message,
            ))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_listed_once() {
        let names: HashSet<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), Code::ALL.len());
    }
}
