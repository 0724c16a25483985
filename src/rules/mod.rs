//! Validation rules, in two stages. [`check_file`] judges one annotation
//! file on its own (structure, kinds and attributes, spans against its
//! source) and keeps only what the second stage needs; its result depends
//! on nothing but the file, its source and the vocabulary, so it can be
//! cached by their content. [`check_across`] then judges what spans files:
//! unique ids, links, pins against history, sources.yaml, .gitattributes;
//! [`recheck_ids_and_links`] judges ids and links again for a few changed
//! files.
//! No rule reads files or prints.

mod metadata;
pub mod references;
mod spans;
mod workspace_files;

use crate::finding::Finding;
use crate::load::Loaded;
use crate::model::{AnnotationFile, At, SourcesMeta, Vocabulary};
use crate::source::SourceText;
use crate::workspace::{PinStatus, SourceProblem};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

pub use references::{check_ids_and_links, recheck_ids_and_links, topic, Scope, Tagged};
pub use spans::check_file_spans;

/// What checking one annotation file found, and what the checks across
/// files need from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileResult {
    pub path: String,
    /// Findings about this file alone.
    pub findings: Vec<Finding>,
    pub entries: Vec<Entry>,
    pub source: Option<At<String>>,
    /// The sha256 of the source text the file was checked against, when
    /// the source could be read.
    pub source_sha256: Option<String>,
    /// The file's pin, when it differs from the source's current text.
    pub stale_pin: Option<At<String>>,
    /// Number of annotations read.
    pub annotations: usize,
}

impl FileResult {
    /// Whether the result can be reused while the file, its source and the
    /// vocabulary are unchanged: not when the source could not be read
    /// (that depends on more than its content).
    pub fn is_cacheable(&self) -> bool {
        self.source.is_none() || self.source_sha256.is_some()
    }
}

/// An annotation as the checks across files see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub id: At<String>,
    pub kind: At<String>,
    pub links: Vec<LinkEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkEntry {
    pub rel: At<String>,
    pub target: At<String>,
}

/// The seeds of the workspace, as the check of a missing source sees them.
#[derive(Clone, Copy)]
pub struct Seeds<'a> {
    pub paths: &'a [String],
    /// The seed whose bytes have a given sha256: asked only for a missing
    /// source, so that a renamed seed is found by its pin.
    pub with_sha256: &'a (dyn Fn(&str) -> Option<String> + Sync),
}

impl Seeds<'_> {
    /// No seeds at all.
    pub const NONE: Seeds<'static> = Seeds {
        paths: &[],
        with_sha256: &|_| None,
    };
}

/// Checks one loaded annotation file against the vocabulary and its source.
pub fn check_file(
    path: &str,
    loaded: Loaded<AnnotationFile>,
    vocabulary: Option<&Vocabulary>,
    source: Option<&Result<Arc<SourceText>, SourceProblem>>,
    seeds: Seeds,
) -> FileResult {
    let mut findings = loaded.findings;
    let Some(file) = loaded.value else {
        return FileResult {
            path: path.to_string(),
            findings,
            entries: Vec::new(),
            source: None,
            source_sha256: None,
            stale_pin: None,
            annotations: 0,
        };
    };
    if let Some(vocabulary) = vocabulary {
        findings.extend(references::check_kinds(vocabulary, &file));
    }
    let (span_findings, stale_pin) = spans::check_file(&file, source, seeds);
    findings.extend(span_findings);
    let source_sha256 = match source {
        Some(Ok(text)) if file.source.is_some() => Some(text.sha256().to_string()),
        _ => None,
    };
    let entries = file
        .annotations
        .iter()
        .map(|a| Entry {
            id: a.id.clone(),
            kind: a.kind.clone(),
            links: a
                .links
                .iter()
                .map(|l| LinkEntry {
                    rel: l.rel.clone(),
                    target: l.target.clone(),
                })
                .collect(),
        })
        .collect();
    FileResult {
        path: path.to_string(),
        findings,
        entries,
        annotations: file.annotations.len(),
        source: file.source,
        source_sha256,
        stale_pin,
    }
}

/// Everything outside the annotation files that the checks across files
/// look at.
pub struct Workspace<'a> {
    pub vocabulary: Option<&'a Vocabulary>,
    pub sources_meta: Option<&'a SourcesMeta>,
    pub seeds: &'a [String],
    pub eol_protected: &'a crate::workspace::EolProtection,
    /// What is known of each stale pin, by sha256.
    pub pins: &'a BTreeMap<String, PinStatus>,
}

/// The checks across files.
pub fn check_across(ws: &Workspace, results: &[FileResult]) -> Vec<Finding> {
    let mut findings = check_workspace(ws, results);
    findings.extend(
        check_ids_and_links(ws.vocabulary, results)
            .into_iter()
            .map(|tagged| tagged.finding),
    );
    findings
}

/// The checks across files that do not look at ids or links: the
/// vocabulary in itself, stale pins, sources.yaml and .gitattributes. They
/// need no [`FileResult::entries`].
pub fn check_workspace(ws: &Workspace, results: &[FileResult]) -> Vec<Finding> {
    let mut findings = ws
        .vocabulary
        .map(references::check_vocabulary)
        .unwrap_or_default();
    for result in results {
        if let Some(pin) = &result.stale_pin {
            findings.extend(spans::pin_finding(result, pin, ws.pins.get(&pin.value)));
        }
    }
    findings.extend(metadata::check(ws.sources_meta, ws.seeds));
    findings.extend(workspace_files::check(ws.seeds, ws.eol_protected));
    findings
}
