//! The annotation model as plain data: annotation files, annotations, links,
//! the vocabulary and source metadata. Every value remembers where it was
//! written, so that any rule can point at it.

use crate::yaml::{Node, Pos};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A value and the place in its YAML file where it was written.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct At<T> {
    pub value: T,
    pub pos: Pos,
}

impl<T> At<T> {
    pub fn new(value: T, pos: Pos) -> At<T> {
        At { value, pos }
    }
}

/// One file under `annotations/`.
#[derive(Debug, Clone)]
pub struct AnnotationFile {
    /// Workspace-relative path, `/`-separated.
    pub path: String,
    /// The YAML text as read, for snippets and format-preserving edits.
    pub text: Arc<String>,
    pub source: Option<At<String>>,
    pub sha256: Option<At<String>>,
    pub annotations: Vec<Annotation>,
    /// Whether `source`, `sha256` and `annotations` were read without a
    /// structural problem. Rules that judge what is missing skip
    /// incomplete files, so one typo gives one finding.
    pub complete: bool,
}

impl AnnotationFile {
    pub fn is_anchored(&self) -> bool {
        self.source.is_some()
    }
}

#[derive(Debug, Clone)]
pub struct Annotation {
    pub id: At<String>,
    pub kind: At<String>,
    pub quote: Option<At<String>>,
    pub start: Option<At<u64>>,
    pub end: Option<At<u64>>,
    pub prefix: Option<At<String>>,
    pub suffix: Option<At<String>>,
    pub attrs: Vec<(At<String>, Node)>,
    pub links: Vec<Link>,
    pub note: Option<At<String>>,
    /// Boxed: rare, and large beside the other fields.
    pub drift: Option<Box<At<Drift>>>,
    /// Where the annotation's mapping begins.
    pub pos: Pos,
    /// Whether every field was read without a structural problem.
    pub complete: bool,
}

impl Annotation {
    /// The span, when both offsets are given.
    pub fn span(&self) -> Option<(u64, u64)> {
        Some((self.start.as_ref()?.value, self.end.as_ref()?.value))
    }
}

#[derive(Debug, Clone)]
pub struct Link {
    pub rel: At<String>,
    pub target: At<String>,
    pub note: Option<String>,
    pub pos: Pos,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftStatus {
    Edited,
    Deleted,
    Ambiguous,
}

impl DriftStatus {
    pub fn parse(s: &str) -> Option<DriftStatus> {
        match s {
            "edited" => Some(DriftStatus::Edited),
            "deleted" => Some(DriftStatus::Deleted),
            "ambiguous" => Some(DriftStatus::Ambiguous),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DriftStatus::Edited => "edited",
            DriftStatus::Deleted => "deleted",
            DriftStatus::Ambiguous => "ambiguous",
        }
    }
}

/// What `annot reanchor` records on an annotation it could not carry over.
#[derive(Debug, Clone, PartialEq)]
pub struct Drift {
    pub status: DriftStatus,
    pub from_sha256: String,
    pub old_start: u64,
    pub old_end: u64,
    pub old_quote: String,
    /// The new span drift judgement proposes (`edited` only), which
    /// `annot reanchor --accept` applies.
    pub proposal: Option<Proposal>,
    /// The places that fit equally well (`ambiguous` only), as (start, end).
    pub candidates: Vec<(u64, u64)>,
}

/// A proposed new span for a drifted annotation: `new_start`, `new_end`,
/// `new_quote` and `confidence` of `drift:`, and the `reason` when the
/// change is of one known kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    pub start: u64,
    pub end: u64,
    pub quote: String,
    pub confidence: f64,
    pub reason: Option<String>,
}

/// The kinds of change a proposal's `reason` may name.
pub const DRIFT_REASONS: &[&str] = &[
    "whitespace",
    "punctuation",
    "unicode-normalization",
    "context",
];

/// Whether a kind quotes a span of a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchored {
    Always,
    Never,
    Either,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    String,
    Number,
    Integer,
    Boolean,
}

impl AttrType {
    pub fn parse(s: &str) -> Option<AttrType> {
        match s {
            "string" => Some(AttrType::String),
            "number" => Some(AttrType::Number),
            "integer" => Some(AttrType::Integer),
            "boolean" => Some(AttrType::Boolean),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AttrType::String => "string",
            AttrType::Number => "number",
            AttrType::Integer => "integer",
            AttrType::Boolean => "boolean",
        }
    }
}

#[derive(Debug, Clone)]
pub struct AttrDef {
    pub value_type: Option<AttrType>,
    pub values: Option<Vec<Node>>,
}

#[derive(Debug, Clone)]
pub struct KindDef {
    pub pos: Pos,
    pub anchored: Anchored,
    pub attrs: BTreeMap<String, AttrDef>,
}

#[derive(Debug, Clone)]
pub struct RelationDef {
    pub pos: Pos,
    pub from: Vec<At<String>>,
    pub to: Vec<At<String>>,
    pub symmetric: bool,
}

/// `schema/vocabulary.yaml`: what kinds, relations and attributes may be.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    pub path: String,
    pub kinds: BTreeMap<String, KindDef>,
    pub relations: BTreeMap<String, RelationDef>,
}

/// One entry of `seeds/sources.yaml`.
#[derive(Debug, Clone)]
pub struct SourceMeta {
    pub path: At<String>,
    pub fields: Vec<(At<String>, At<String>)>,
}

/// `seeds/sources.yaml`: provenance metadata of the source documents.
#[derive(Debug, Clone, Default)]
pub struct SourcesMeta {
    pub path: String,
    pub entries: Vec<SourceMeta>,
}
