//! What an export carries: the workspace's sources and annotations as plain
//! data, each annotation already checked against its source, so that no
//! format has to look at YAML or judge a span.

use super::Listed;
use crate::model::{AnnotationFile, Vocabulary};
use crate::source::SourceText;
use crate::workspace::{Tree, Workspace, WorkspaceError};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

/// The sources and annotations an export writes.
pub struct Corpus {
    pub documents: Vec<Document>,
    /// Annotations of files without `source`: entities, normalised claims.
    pub items: Vec<Item>,
    pub vocabulary: Vocabulary,
    /// Which document each anchored annotation is on, by id (an index into
    /// `documents`); source-less items are absent.
    pub document_of: BTreeMap<String, usize>,
    /// Annotations left out because they cannot be exported faithfully.
    pub lost: Vec<Listed>,
    /// Every id exported, anchored or not.
    pub ids: BTreeSet<String>,
}

/// One source document and its annotations.
pub struct Document {
    /// Workspace-relative, `seeds/…`.
    pub path: String,
    pub text: Arc<SourceText>,
    /// Its entry of `seeds/sources.yaml`, field by field.
    pub meta: Vec<(String, String)>,
    pub annotations: Vec<Item>,
}

impl Document {
    pub fn sha256(&self) -> &str {
        self.text.sha256()
    }

    pub fn meta(&self, field: &str) -> Option<&str> {
        self.meta
            .iter()
            .find(|(k, _)| k == field)
            .map(|(_, v)| v.as_str())
    }
}

/// One annotation, checked.
pub struct Item {
    pub id: String,
    pub kind: String,
    pub span: Option<Span>,
    /// In the order written; values keep their YAML type.
    pub attrs: Vec<(String, serde_json::Value)>,
    pub note: Option<String>,
    pub links: Vec<LinkOut>,
    /// `file:line` of the annotation, for messages.
    pub place: String,
}

/// A span whose text has been checked to equal the quote.
pub struct Span {
    /// Code points, end exclusive.
    pub start: usize,
    pub end: usize,
    pub quote: String,
    pub prefix: Option<String>,
    pub suffix: Option<String>,
}

pub struct LinkOut {
    pub rel: String,
    pub target: String,
    pub note: Option<String>,
    /// `file:line` of the link, for messages.
    pub place: String,
}

/// Loads the workspace's working tree and checks every annotation for
/// export. `sources` limits the export to those source paths (all when
/// empty); source-less items are then kept when a link joins them to an
/// exported annotation.
pub fn load(root: &Path, sources: &[String]) -> Result<Corpus, WorkspaceError> {
    let ws = Workspace::load(root, &Tree::WorkTree)?;
    let known_sources: BTreeSet<&str> = ws.sources.keys().map(String::as_str).collect();
    for wanted in sources {
        if !known_sources.contains(wanted.as_str()) {
            return Err(WorkspaceError::NotWritten(format!(
                "no annotation file is on `{wanted}`, so there is nothing to export from it; the annotated sources are: {}",
                known_sources.iter().copied().collect::<Vec<_>>().join(", ")
            )));
        }
    }
    let wanted = |path: &str| sources.is_empty() || sources.iter().any(|s| s == path);

    let mut lost = Vec::new();
    let unreadable: BTreeSet<&str> = ws
        .findings
        .iter()
        .filter(|f| f.code.is_structural())
        .map(|f| f.place.file.as_str())
        .collect();
    let mut documents: Vec<Document> = Vec::new();
    let mut document_index: BTreeMap<String, usize> = BTreeMap::new();
    let mut items = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut duplicates: BTreeSet<String> = BTreeSet::new();
    for file in &ws.files {
        for a in &file.annotations {
            if !seen.insert(a.id.value.clone()) {
                duplicates.insert(a.id.value.clone());
            }
        }
    }
    // Each unreadable file once, at its first problem.
    for path in &unreadable {
        let first = ws
            .findings
            .iter()
            .find(|f| f.place.file == *path && f.code.is_structural());
        if let (true, Some(f)) = (path.starts_with("annotations/"), first) {
            lost.push(Listed::dropped(
                format!("{path}:{}", f.place.line),
                format!(
                    "none of this file's annotations: it cannot be read ({}); run `annot validate` and fix it",
                    f.message
                ),
            ));
        }
    }

    for file in &ws.files {
        if unreadable.contains(file.path.as_str()) || !file.complete {
            continue;
        }
        let Some(source) = &file.source else {
            for a in &file.annotations {
                if let Some(item) = item_of(file, a, None, &duplicates, &mut lost) {
                    items.push(item);
                }
            }
            continue;
        };
        if !wanted(&source.value) {
            continue;
        }
        let text = match ws.sources.get(&source.value) {
            Some(Ok(text)) => text.clone(),
            _ => {
                lost.push(Listed::dropped(
                    format!("{}:{}", file.path, source.pos.line),
                    format!(
                        "{} on {}, which cannot be read; run `annot validate`",
                        super::plan::count(file.annotations.len(), "annotation"),
                        source.value
                    ),
                ));
                continue;
            }
        };
        if file.sha256.as_ref().map(|s| s.value.as_str()) != Some(text.sha256()) {
            lost.push(Listed::dropped(
                format!("{}:{}", file.path, source.pos.line),
                format!(
                    "{}: {} is not the version of the source they were made on (or the file has no `sha256`); run `annot anchor` or `annot reanchor` first",
                    super::plan::count(file.annotations.len(), "annotation"),
                    source.value
                ),
            ));
            continue;
        }
        let index = *document_index
            .entry(source.value.clone())
            .or_insert_with(|| {
                documents.push(Document {
                    path: source.value.clone(),
                    text: text.clone(),
                    meta: meta_of(&ws, &source.value),
                    annotations: Vec::new(),
                });
                documents.len() - 1
            });
        for a in &file.annotations {
            if let Some(item) = item_of(file, a, Some(&text), &duplicates, &mut lost) {
                documents[index].annotations.push(item);
            }
        }
    }

    let mut document_of = BTreeMap::new();
    for (i, doc) in documents.iter().enumerate() {
        for a in &doc.annotations {
            document_of.insert(a.id.clone(), i);
        }
    }
    if !sources.is_empty() {
        // Keep the items that a link joins to what is exported.
        let linked: BTreeSet<&str> = documents
            .iter()
            .flat_map(|d| &d.annotations)
            .flat_map(|a| a.links.iter().map(|l| l.target.as_str()))
            .collect();
        items.retain(|item| {
            linked.contains(item.id.as_str())
                || item
                    .links
                    .iter()
                    .any(|l| document_of.contains_key(&l.target))
        });
    }
    let mut ids: BTreeSet<String> = document_of.keys().cloned().collect();
    ids.extend(items.iter().map(|i| i.id.clone()));
    for doc in &mut documents {
        doc.annotations.sort_by_key(|a| {
            let span = a.span.as_ref().map_or((0, 0), |s| (s.start, s.end));
            span
        });
    }
    Ok(Corpus {
        documents,
        items,
        vocabulary: ws.vocabulary.clone().unwrap_or_default(),
        document_of,
        lost,
        ids,
    })
}

fn meta_of(ws: &Workspace, path: &str) -> Vec<(String, String)> {
    ws.sources_meta
        .iter()
        .flat_map(|m| &m.entries)
        .filter(|e| e.path.value == path)
        .flat_map(|e| &e.fields)
        .map(|(k, v)| (k.value.clone(), v.value.clone()))
        .collect()
}

fn item_of(
    file: &AnnotationFile,
    a: &crate::model::Annotation,
    source: Option<&SourceText>,
    duplicates: &BTreeSet<String>,
    lost: &mut Vec<Listed>,
) -> Option<Item> {
    let place = format!("{}:{}", file.path, a.pos.line);
    let id = &a.id.value;
    if !a.complete {
        lost.push(Listed::dropped(
            place,
            format!("`{id}` could not be read completely; run `annot validate`"),
        ));
        return None;
    }
    if duplicates.contains(id) {
        lost.push(Listed::dropped(
            place,
            format!("`{id}` is defined more than once; run `annot validate`"),
        ));
        return None;
    }
    if a.drift.is_some() {
        lost.push(Listed::dropped(
            place,
            format!("`{id}` has an unresolved `drift:` (its span is not known to be right); resolve it with `annot reanchor --accept` or by hand first"),
        ));
        return None;
    }
    let span = match source {
        None => None,
        Some(source) => {
            let (Some(quote), Some((start, end))) = (&a.quote, a.span()) else {
                lost.push(Listed::dropped(
                    place,
                    format!("`{id}` has no `quote`, `start` and `end`; run `annot anchor`"),
                ));
                return None;
            };
            let (start, end) = (start as usize, end as usize);
            if source.slice(start, end) != Some(quote.value.as_str()) {
                lost.push(Listed::dropped(
                    place,
                    format!(
                        "`{id}`: the text at {start}..{end} is not its quote; run `annot validate`"
                    ),
                ));
                return None;
            }
            Some(Span {
                start,
                end,
                quote: quote.value.clone(),
                prefix: a.prefix.as_ref().map(|p| p.value.clone()),
                suffix: a.suffix.as_ref().map(|s| s.value.clone()),
            })
        }
    };
    Some(Item {
        id: id.clone(),
        kind: a.kind.value.clone(),
        span,
        attrs: a
            .attrs
            .iter()
            .map(|(k, v)| (k.value.clone(), v.to_json()))
            .collect(),
        note: a.note.as_ref().map(|n| n.value.clone()),
        links: a
            .links
            .iter()
            .map(|l| LinkOut {
                rel: l.rel.value.clone(),
                target: l.target.value.clone(),
                note: l.note.clone(),
                place: format!("{}:{}", file.path, l.pos.line),
            })
            .collect(),
        place,
    })
}
