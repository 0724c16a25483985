//! `annot show ID`: one annotation, its text, links and history.

use crate::finding::Severity;
use crate::load::{self};
use crate::source::SourceText;
use crate::workspace::{Tree, Workspace, WorkspaceError};
use crate::yaml::{self};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// One change of an annotation in history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AnnotationChange {
    pub commit: String,
    pub author: String,
    pub time: i64,
    pub summary: String,
    /// "added", "removed", or the names of the fields that changed.
    pub what: String,
}

/// A link seen from one end.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LinkView {
    pub rel: String,
    /// The annotation at the other end.
    pub other: String,
    pub other_kind: Option<String>,
    pub other_quote: Option<String>,
    pub note: Option<String>,
}

/// Everything `annot show ID` prints.
pub struct Shown {
    pub id: String,
    pub kind: String,
    pub file: String,
    pub line: u32,
    pub quote: Option<String>,
    pub span: Option<(u64, u64)>,
    pub attrs: Vec<(String, String)>,
    pub note: Option<String>,
    pub source: Option<String>,
    /// Text before the span, the span, text after it (when it quotes text
    /// that matches).
    pub context: Option<(String, String, String)>,
    /// Whether the source goes on before and after that context.
    pub context_cut: (bool, bool),
    /// Where the span is in the source: line and column.
    pub source_position: Option<(u32, u32)>,
    pub links_out: Vec<LinkView>,
    pub links_in: Vec<LinkView>,
    /// Oldest first; `None` when the workspace is not in a repository.
    pub history: Option<Vec<AnnotationChange>>,
    /// The sha256 the file pins, and how the source stands to it.
    pub pin: Option<String>,
    pub pin_state: PinState,
    /// What the reader must know before trusting the context: the source
    /// changed since the pin, the span does not hold the quote.
    pub warnings: Vec<String>,
}

/// How the source of a shown annotation stands to the file's pin.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PinState {
    /// A source-less item, or a file without a pin.
    None,
    /// The source is the pinned version; the context is its text.
    Current,
    /// The source changed since the pin; the context (if any) is the
    /// pinned version's text, from git.
    Changed,
    /// The source cannot be read.
    Unreadable,
}

/// How many characters of context `annot show` prints around a span.
const SHOW_CONTEXT: usize = 160;

/// `annot show ID`: the annotation, its text in context, its links both
/// ways and its history.
pub fn show(root: &Path, id: &str) -> Result<Shown, WorkspaceError> {
    let ws = Workspace::load(root, &Tree::WorkTree)?;
    let mut found = None;
    for file in &ws.files {
        for annotation in &file.annotations {
            if annotation.id.value == id {
                found = Some((file, annotation));
            }
        }
    }
    let Some((file, annotation)) = found else {
        return Err(not_found(&ws, id));
    };
    let by_id: BTreeMap<&str, &crate::model::Annotation> = ws
        .files
        .iter()
        .flat_map(|f| f.annotations.iter().map(|a| (a.id.value.as_str(), a)))
        .collect();
    let view = |other: &str, rel: &str, note: &Option<String>| {
        let target = by_id.get(other);
        LinkView {
            rel: rel.to_string(),
            other: other.to_string(),
            other_kind: target.map(|a| a.kind.value.clone()),
            other_quote: target.and_then(|a| a.quote.as_ref().map(|q| q.value.clone())),
            note: note.clone(),
        }
    };
    let links_out = annotation
        .links
        .iter()
        .map(|l| view(&l.target.value, &l.rel.value, &l.note))
        .collect();
    let mut links_in = Vec::new();
    for other_file in &ws.files {
        for other in &other_file.annotations {
            for link in &other.links {
                if link.target.value == id {
                    links_in.push(view(&other.id.value, &link.rel.value, &link.note));
                }
            }
        }
    }
    let git = crate::history::Git::open(root).ok().flatten();
    let pin = file.sha256.as_ref().map(|p| p.value.clone());
    let mut warnings = Vec::new();
    let current = file
        .source
        .as_ref()
        .and_then(|s| ws.sources.get(&s.value).map(|r| (s.value.as_str(), r)));
    let (pin_state, source) = match (current, &pin) {
        (None, _) => (PinState::None, None),
        (Some((path, Err(problem))), _) => {
            warnings.push(format!(
                "{path} cannot be read ({}), so no text can be shown (`annot validate` says more)",
                problem.describe()
            ));
            (PinState::Unreadable, None)
        }
        (Some((_, Ok(text))), None) => (PinState::None, Some(std::sync::Arc::clone(text))),
        (Some((_, Ok(text))), Some(pin)) if text.sha256() == pin => {
            (PinState::Current, Some(std::sync::Arc::clone(text)))
        }
        (Some((path, Ok(text))), Some(pin)) => {
            let pinned = git
                .as_ref()
                .and_then(|git| git.find_version(pin).ok().flatten())
                .and_then(|bytes| SourceText::from_bytes(bytes).ok())
                .map(std::sync::Arc::new);
            let short = |sha: &str| sha.chars().take(12).collect::<String>();
            warnings.push(format!(
                "{path} changed since this file was pinned (pinned sha256 {}, now {}): {}; `annot diff` shows where the span went, `annot reanchor --write` carries it over",
                short(pin),
                short(text.sha256()),
                if pinned.is_some() {
                    "the text below is the pinned version, from git history"
                } else {
                    "the pinned version is not in git, so no text is shown (the current text at these offsets would mislead)"
                }
            ));
            (PinState::Changed, pinned)
        }
    };
    let mut context = None;
    let mut context_cut = (false, false);
    let mut source_position = None;
    if let (Some(source), Some((start, end))) = (source, annotation.span()) {
        let (start, end) = (start as usize, end as usize);
        if let Some(span) = source.slice(start, end) {
            // Only a span that still quotes its text is shown highlighted:
            // offsets that no longer hold the quote point at other words.
            if let Some(quote) = annotation.quote.as_ref().filter(|q| q.value != span) {
                warnings.push(format!(
                    "the text at {start}..{end} is {span:?}, not the quote {:?} (`annot validate` reports it)",
                    quote.value
                ));
            } else {
                let from = start.saturating_sub(SHOW_CONTEXT);
                let to = (end + SHOW_CONTEXT).min(source.char_len());
                let before = source.slice(from, start).unwrap_or("").to_string();
                let after = source.slice(end, to).unwrap_or("").to_string();
                context = Some((before, span.to_string(), after));
                context_cut = (from > 0, to < source.char_len());
                source_position = Some(source.line_column(start));
            }
        } else {
            warnings.push(format!(
                "the span {start}..{end} is beyond the end of the text ({} characters; `annot validate` reports it)",
                source.char_len()
            ));
        }
    }
    let history = match &git {
        Some(git) => Some(annotation_history(git, &file.path, id)?),
        None => None,
    };
    Ok(Shown {
        id: id.to_string(),
        kind: annotation.kind.value.clone(),
        file: file.path.clone(),
        line: annotation.id.pos.line,
        quote: annotation.quote.as_ref().map(|q| q.value.clone()),
        span: annotation.span(),
        attrs: annotation
            .attrs
            .iter()
            .map(|(k, v)| (k.value.clone(), v.to_json().to_string()))
            .collect(),
        note: annotation.note.as_ref().map(|n| n.value.clone()),
        source: file.source.as_ref().map(|s| s.value.clone()),
        context,
        context_cut,
        source_position,
        links_out,
        links_in,
        history,
        pin,
        pin_state,
        warnings,
    })
}

/// Why no annotation with `id` was found: a file that mentions it could
/// not be read (where, and what is wrong), or no file has it.
fn not_found(ws: &Workspace, id: &str) -> WorkspaceError {
    let read: BTreeSet<&str> = ws.files.iter().map(|f| f.path.as_str()).collect();
    let mentions = |text: &str| text.contains(id);
    let broken: Vec<String> = ws
        .yaml_texts
        .iter()
        .filter(|(path, text)| {
            path.starts_with("annotations/") && !read.contains(path.as_str()) && mentions(text)
        })
        .filter_map(|(path, _)| {
            let first = ws
                .findings
                .iter()
                .find(|f| f.place.file == *path && f.severity == Severity::Error)?;
            Some(format!(
                "{path}:{}:{}: {}",
                first.place.line, first.place.column, first.message
            ))
        })
        .collect();
    if !broken.is_empty() {
        return WorkspaceError::IdInUnreadableFile {
            id: id.to_string(),
            files: broken.join("\n"),
        };
    }
    let ids: Vec<&str> = ws
        .files
        .iter()
        .flat_map(|f| f.annotations.iter().map(|a| a.id.value.as_str()))
        .collect();
    WorkspaceError::UnknownId {
        id: id.to_string(),
        hint: load::did_you_mean(id, &ids)
            .map(|best| format!("did you mean `{best}`? (`annot ls` lists every id)"))
            .unwrap_or_else(|| {
                "`annot ls` lists every annotation's id, kind and place".to_string()
            }),
    }
}

/// The annotation's own fields, as JSON, in one version of its file.
fn annotation_in(bytes: &[u8], id: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let node = yaml::parse(bytes).ok()?;
    let annotations = node.to_json().get("annotations")?.as_array()?.clone();
    annotations.into_iter().find_map(|a| match a {
        serde_json::Value::Object(map) if map.get("id").and_then(|v| v.as_str()) == Some(id) => {
            Some(map)
        }
        _ => None,
    })
}

fn annotation_history(
    git: &crate::history::Git,
    file: &str,
    id: &str,
) -> Result<Vec<AnnotationChange>, WorkspaceError> {
    let mut changes = Vec::new();
    let mut previous: Option<serde_json::Map<String, serde_json::Value>> = None;
    for version in git.file_history(file)? {
        let current = version
            .content
            .as_deref()
            .and_then(|bytes| annotation_in(bytes, id));
        let what = match (&previous, &current) {
            (None, Some(_)) => Some("added".to_string()),
            (Some(_), None) => Some("removed".to_string()),
            (Some(old), Some(new)) if old != new => {
                let mut fields: Vec<&str> = old
                    .keys()
                    .chain(new.keys())
                    .map(String::as_str)
                    .filter(|k| old.get(*k) != new.get(*k))
                    .collect();
                fields.sort();
                fields.dedup();
                Some(format!("changed {}", fields.join(", ")))
            }
            _ => None,
        };
        if let Some(what) = what {
            changes.push(AnnotationChange {
                commit: version.commit.clone(),
                author: version.author.clone(),
                time: version.time,
                summary: version.summary.clone(),
                what,
            });
        }
        previous = current;
    }
    Ok(changes)
}
