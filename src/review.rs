//! What changed between two states of a workspace, for review: the drift of
//! every annotation whose source text changed under it (`annot diff`,
//! `annot reanchor`), and the change of the annotation files themselves.

use crate::drift::{self, OldSpan, Outcome, Status};
use crate::edit::{self, Edit};
use crate::finding::Finding;
use crate::load;
use crate::model::{Annotation, AnnotationFile};
use crate::source::SourceText;
use crate::workspace::{Tree, Workspace, WorkspaceError};
use crate::yaml::{self, Key, Node, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

/// A source whose text differs between the two states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceChange {
    pub path: String,
    pub old_sha256: Option<String>,
    pub new_sha256: Option<String>,
}

/// The drift of one annotation.
#[derive(Debug, Clone)]
pub struct DriftEntry {
    pub id: String,
    pub file: String,
    pub line: u32,
    pub source: String,
    pub old_sha256: String,
    pub old_start: usize,
    pub old_end: usize,
    pub old_quote: String,
    pub outcome: Outcome,
}

/// How an annotation differs between the two states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnotationDiff {
    pub id: String,
    pub file: String,
    pub line: u32,
    /// "added", "removed" or "modified".
    pub change: &'static str,
    pub fields: Vec<String>,
    pub kind: String,
    pub quote: Option<String>,
    pub old_quote: Option<String>,
}

/// An annotation file whose source is not in the new state: deleted, or
/// renamed (found by the pinned hash under another name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingSource {
    pub file: String,
    /// The line of `source:`.
    pub line: u32,
    pub source: String,
    pub pin: Option<String>,
    /// How many annotations of the file quote it.
    pub annotations: usize,
    /// A seed that holds exactly the pinned text under another name.
    pub renamed_to: Option<String>,
}

/// An annotation that still carries `drift:` from an earlier reanchor.
#[derive(Debug, Clone)]
pub struct Unresolved {
    pub id: String,
    pub file: String,
    pub line: u32,
    pub source: Option<String>,
    pub drift: crate::model::Drift,
}

#[derive(Debug, Clone, Default)]
pub struct Review {
    /// The command that made it: "diff" or "reanchor".
    pub command: &'static str,
    pub base: String,
    pub head: String,
    pub sources: Vec<SourceChange>,
    pub drift: Vec<DriftEntry>,
    pub changes: Vec<AnnotationDiff>,
    /// Annotation files whose source is gone from the new state.
    pub missing: Vec<MissingSource>,
    /// Annotations that carry `drift:` nobody resolved yet.
    pub unresolved: Vec<Unresolved>,
    /// Files whose drift could not be computed, and why.
    pub problems: Vec<String>,
    pub notices: Vec<String>,
}

impl Review {
    /// Whether anything needs a person: drift that is not safe, a source
    /// that is gone, `drift:` left unresolved, or a problem that kept drift
    /// from being computed.
    pub fn needs_review(&self) -> bool {
        self.review_count() > 0
    }

    /// How many things need a person.
    pub fn review_count(&self) -> usize {
        self.drift
            .iter()
            .filter(|d| !d.outcome.status.is_safe())
            .count()
            + self.missing.len()
            + self.unresolved.len()
            + self.problems.len()
    }

    pub fn count(&self, status: Status) -> usize {
        self.drift
            .iter()
            .filter(|d| d.outcome.status == status)
            .count()
    }
}

/// The old text a pin names: the source's version in any of the `others`
/// trees, or in history. `tree`, where the workspace was read, is not read
/// again: its version is the one that differs from the pin.
fn find_old_text(
    root: &Path,
    tree: &Tree,
    others: &[&Tree],
    path: &str,
    sha256: &str,
) -> Result<Option<SourceText>, WorkspaceError> {
    for tree in others {
        if let Ok(text) = tree.read_source(root, path) {
            if text.sha256() == sha256 {
                return Ok(Some(text));
            }
        }
    }
    let Some(git) = std::iter::once(tree)
        .chain(others.iter().copied())
        .find_map(|t| t.git(root))
    else {
        return Ok(None);
    };
    match git.find_version(sha256)? {
        Some(bytes) => Ok(SourceText::from_bytes(bytes).ok()),
        None => Ok(None),
    }
}

/// The spans of a file that can be carried: anchored, not already drifted.
fn carried_spans(file: &AnnotationFile) -> Vec<(&Annotation, OldSpan)> {
    file.annotations
        .iter()
        .filter(|a| a.drift.is_none())
        .filter_map(|a| {
            let (start, end) = a.span()?;
            Some((
                a,
                OldSpan {
                    start: start as usize,
                    end: end as usize,
                    quote: a.quote.as_ref()?.value.clone(),
                    prefix: a.prefix.as_ref().map(|p| p.value.clone()),
                    suffix: a.suffix.as_ref().map(|s| s.value.clone()),
                },
            ))
        })
        .collect()
}

/// Drift of every annotation in `ws` whose pin differs from its source's
/// text in `ws`; `others` are further trees that may hold the old text.
/// What the drift of a state found: the entries, the files whose source
/// is gone, problems that need a person, and notices.
#[derive(Debug, Default)]
pub struct DriftResult {
    pub entries: Vec<DriftEntry>,
    pub missing: Vec<MissingSource>,
    pub problems: Vec<String>,
    pub notices: Vec<String>,
}

/// Every seed of `tree` by the sha256 of its bytes, read only when some
/// source is missing.
fn seeds_by_hash(root: &Path, ws: &Workspace, tree: &Tree) -> BTreeMap<String, String> {
    let mut by_hash = BTreeMap::new();
    for seed in &ws.seeds {
        if let Ok(text) = tree.read_source(root, seed) {
            by_hash
                .entry(text.sha256().to_string())
                .or_insert_with(|| seed.clone());
        }
    }
    by_hash
}

/// Annotations of `ws` that still carry `drift:`.
pub fn unresolved_of(ws: &Workspace, only: Option<&[String]>) -> Vec<Unresolved> {
    ws.files
        .iter()
        .filter(|f| only.is_none_or(|paths| paths.contains(&f.path)))
        .flat_map(|f| {
            f.annotations.iter().filter_map(move |a| {
                let drift = a.drift.as_ref()?;
                Some(Unresolved {
                    id: a.id.value.clone(),
                    file: f.path.clone(),
                    line: drift.pos.line,
                    source: f.source.as_ref().map(|s| s.value.clone()),
                    drift: drift.value.clone(),
                })
            })
        })
        .collect()
}

pub fn drift_of(
    root: &Path,
    ws: &Workspace,
    tree: &Tree,
    others: &[&Tree],
    only: Option<&[String]>,
) -> Result<DriftResult, WorkspaceError> {
    let mut entries = Vec::new();
    let mut missing = Vec::new();
    let mut problems = Vec::new();
    let mut notices = Vec::new();
    let mut by_hash: Option<BTreeMap<String, String>> = None;
    for file in &ws.files {
        if only.is_some_and(|paths| !paths.contains(&file.path)) {
            continue;
        }
        let Some(source) = &file.source else {
            continue;
        };
        let new = match ws.sources.get(&source.value) {
            Some(Ok(new)) => new,
            Some(Err(crate::workspace::SourceProblem::Missing(_))) => {
                let pin = file.sha256.as_ref().map(|p| p.value.clone());
                let renamed_to = pin.as_ref().and_then(|pin| {
                    by_hash
                        .get_or_insert_with(|| seeds_by_hash(root, ws, tree))
                        .get(pin)
                        .cloned()
                });
                missing.push(MissingSource {
                    file: file.path.clone(),
                    line: source.pos.line,
                    source: source.value.clone(),
                    pin,
                    annotations: file
                        .annotations
                        .iter()
                        .filter(|a| a.span().is_some())
                        .count(),
                    renamed_to,
                });
                continue;
            }
            Some(Err(problem)) => {
                problems.push(format!(
                    "{}: its source {} cannot be read safely ({}), so its drift cannot be computed (see `annot validate`)",
                    file.path,
                    source.value,
                    problem.describe()
                ));
                continue;
            }
            None => continue,
        };
        let Some(pin) = &file.sha256 else {
            continue;
        };
        if new.sha256() == pin.value {
            continue;
        }
        let Some(old) = find_old_text(root, tree, others, &source.value, &pin.value)? else {
            problems.push(format!(
                "{}: the version of {} it pins (sha256 {}) is not in the working tree, the index or history, so its drift cannot be computed (see `annot validate`)",
                file.path, source.value, pin.value
            ));
            continue;
        };
        let (annotations, inputs): (Vec<&Annotation>, Vec<OldSpan>) =
            carried_spans(file).into_iter().unzip();
        let (outcomes, timed_out) = drift::carry(&old, new, &inputs, drift::DEFAULT_DEADLINE);
        if timed_out {
            notices.push(format!(
                "{}: the diff of {} hit its deadline; spans it could not map were judged by search alone",
                file.path, source.value
            ));
        }
        entries.reserve(inputs.len());
        for ((annotation, span), outcome) in annotations.into_iter().zip(inputs).zip(outcomes) {
            entries.push(DriftEntry {
                id: annotation.id.value.clone(),
                file: file.path.clone(),
                line: annotation.id.pos.line,
                source: source.value.clone(),
                old_sha256: pin.value.clone(),
                old_start: span.start,
                old_end: span.end,
                old_quote: span.quote,
                outcome,
            });
        }
    }
    Ok(DriftResult {
        entries,
        missing,
        problems,
        notices,
    })
}

fn annotation_index<'w>(
    files: impl IntoIterator<Item = &'w AnnotationFile>,
) -> BTreeMap<&'w str, (&'w AnnotationFile, &'w Annotation)> {
    files
        .into_iter()
        .flat_map(|f| {
            f.annotations
                .iter()
                .map(move |a| (a.id.value.as_str(), (f, a)))
        })
        .collect()
}

/// Names of the fields that differ between two versions of an annotation.
fn changed_fields(a: &Annotation, b: &Annotation, file_a: &str, file_b: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let val = |x: &Option<crate::model::At<String>>| x.as_ref().map(|v| v.value.clone());
    if file_a != file_b {
        fields.push("file".to_string());
    }
    if a.kind.value != b.kind.value {
        fields.push("kind".to_string());
    }
    if val(&a.quote) != val(&b.quote) {
        fields.push("quote".to_string());
    }
    if a.span() != b.span() {
        fields.push("span".to_string());
    }
    if val(&a.prefix) != val(&b.prefix) || val(&a.suffix) != val(&b.suffix) {
        fields.push("context".to_string());
    }
    let attrs = |x: &Annotation| {
        x.attrs
            .iter()
            .map(|(k, v)| (k.value.clone(), v.to_json()))
            .collect::<Vec<_>>()
    };
    if attrs(a) != attrs(b) {
        fields.push("attrs".to_string());
    }
    let links = |x: &Annotation| {
        let mut l: Vec<(String, String, Option<String>)> = x
            .links
            .iter()
            .map(|l| (l.rel.value.clone(), l.target.value.clone(), l.note.clone()))
            .collect();
        l.sort();
        l
    };
    if links(a) != links(b) {
        fields.push("links".to_string());
    }
    if val(&a.note) != val(&b.note) {
        fields.push("note".to_string());
    }
    if a.drift.as_ref().map(|d| &d.value) != b.drift.as_ref().map(|d| &d.value) {
        fields.push("drift".to_string());
    }
    fields
}

/// Annotations added, removed and modified from `base` to `head`. The
/// files named in `unchanged` are the same in both and were read only in
/// `head`.
pub fn annotation_changes(
    base: &Workspace,
    head: &Workspace,
    unchanged: &BTreeSet<String>,
) -> Vec<AnnotationDiff> {
    // Nothing changed when every file is the one already read in head (and
    // head's files are in the order the index below would sort them into).
    if base.files.is_empty()
        && head.files.iter().all(|f| unchanged.contains(&f.path))
        && head.files.windows(2).all(|w| w[0].path <= w[1].path)
    {
        return Vec::new();
    }
    let mut old_files: Vec<&AnnotationFile> = base
        .files
        .iter()
        .chain(head.files.iter().filter(|f| unchanged.contains(&f.path)))
        .collect();
    old_files.sort_by(|a, b| a.path.cmp(&b.path));
    let old = annotation_index(old_files);
    let new = annotation_index(head.files.iter());
    let mut changes = Vec::new();
    for (id, (file, a)) in &new {
        let quote = || a.quote.as_ref().map(|q| q.value.clone());
        match old.get(id) {
            None => changes.push(AnnotationDiff {
                id: id.to_string(),
                file: file.path.clone(),
                line: a.id.pos.line,
                change: "added",
                fields: Vec::new(),
                kind: a.kind.value.clone(),
                quote: quote(),
                old_quote: None,
            }),
            // The very same annotation, read once from an unchanged file.
            Some((_, b)) if std::ptr::eq(*b, *a) => {}
            Some((old_file, b)) => {
                let fields = changed_fields(b, a, &old_file.path, &file.path);
                if !fields.is_empty() {
                    changes.push(AnnotationDiff {
                        id: id.to_string(),
                        file: file.path.clone(),
                        line: a.id.pos.line,
                        change: "modified",
                        fields,
                        kind: a.kind.value.clone(),
                        quote: quote(),
                        old_quote: b.quote.as_ref().map(|q| q.value.clone()),
                    });
                }
            }
        }
    }
    for (id, (file, b)) in &old {
        if !new.contains_key(id) {
            changes.push(AnnotationDiff {
                id: id.to_string(),
                file: file.path.clone(),
                line: b.id.pos.line,
                change: "removed",
                fields: Vec::new(),
                kind: b.kind.value.clone(),
                quote: None,
                old_quote: b.quote.as_ref().map(|q| q.value.clone()),
            });
        }
    }
    changes.sort_by(|a, b| (&a.file, a.line, &a.id).cmp(&(&b.file, b.line, &b.id)));
    changes
}

/// Sources whose text differs between the two states.
fn source_changes(base: &Workspace, head: &Workspace) -> Vec<SourceChange> {
    let sha = |ws: &Workspace, path: &str| {
        ws.sources
            .get(path)
            .and_then(|s| s.as_ref().ok())
            .map(|s| s.sha256().to_string())
    };
    let mut paths: Vec<&String> = base.sources.keys().chain(head.sources.keys()).collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter_map(|path| {
            let (old, new) = (sha(base, path), sha(head, path));
            (old != new).then(|| SourceChange {
                path: path.clone(),
                old_sha256: old,
                new_sha256: new,
            })
        })
        .collect()
}

/// `annot diff`: from `base` (a revision; default HEAD) to `head` (a
/// revision, or the working tree; `staged` compares with the index).
pub fn diff(
    root: &Path,
    base: Option<&str>,
    head: Option<&str>,
    staged: bool,
) -> Result<Review, WorkspaceError> {
    let base_label = base.unwrap_or("HEAD").to_string();
    let base_tree = Tree::commit(root, &base_label)?;
    let (head_tree, head_label) = match (head, staged) {
        (Some(rev), _) => (Tree::commit(root, rev)?, rev.to_string()),
        (None, true) => (Tree::index(root)?, "index".to_string()),
        (None, false) => (Tree::WorkTree, "worktree".to_string()),
    };
    let head_ws = Workspace::load(root, &head_tree)?;
    let (base_ws, unchanged) = Workspace::load_beside(root, &base_tree, Some(&head_ws))?;
    let found = drift_of(root, &head_ws, &head_tree, &[&base_tree], None)?;
    let mut notices = head_ws.notices.clone();
    notices.extend(found.notices);
    let review = Review {
        command: "diff",
        base: base_label,
        head: head_label,
        sources: source_changes(&base_ws, &head_ws),
        drift: found.entries,
        changes: annotation_changes(&base_ws, &head_ws, &unchanged),
        missing: found.missing,
        unresolved: unresolved_of(&head_ws, None),
        problems: found.problems,
        notices,
    };
    // Two workspaces of 100,000 annotations take a while to free, and the
    // report need not wait for it.
    rayon::spawn(move || drop((head_ws, base_ws)));
    Ok(review)
}

/// What `annot reanchor --write` did to one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rewritten {
    pub path: String,
    pub applied: usize,
    pub flagged: usize,
    pub written: bool,
}

/// `annot reanchor [PATH...] [--write]`: the drift of the working tree's
/// annotations; with `write`, safe spans are updated in place and the
/// others get `drift:`.
pub fn reanchor(
    root: &Path,
    paths: &[std::path::PathBuf],
    write: bool,
) -> Result<(Review, Vec<Rewritten>, Vec<Finding>), WorkspaceError> {
    let tree = Tree::WorkTree;
    let ws = Workspace::load(root, &tree)?;
    let only = if paths.is_empty() {
        None
    } else {
        Some(crate::commands::resolve_paths(root, paths)?)
    };
    let index = Tree::index(root).ok();
    let others: Vec<&Tree> = index.iter().collect();
    let found = drift_of(root, &ws, &tree, &others, only.as_deref())?;
    let (drift, problems, drift_notices) = (found.entries, found.problems, found.notices);
    let mut rewritten = Vec::new();
    let mut refusals = Vec::new();
    if write {
        let mut by_file: BTreeMap<&str, Vec<&DriftEntry>> = BTreeMap::new();
        for entry in &drift {
            by_file.entry(entry.file.as_str()).or_default().push(entry);
        }
        for (path, entries) in by_file {
            let Some(file) = ws.files.iter().find(|f| f.path == path) else {
                continue;
            };
            let Some(Ok(new)) = file.source.as_ref().and_then(|s| ws.sources.get(&s.value)) else {
                continue;
            };
            match rewrite_file(file, new, &entries) {
                Ok(new_text) => {
                    let full = root.join(path);
                    edit::write_atomic(&full, file.text.as_bytes(), new_text.as_bytes()).map_err(
                        |err| WorkspaceError::Io {
                            path: path.to_string(),
                            source: std::io::Error::other(err.to_string()),
                        },
                    )?;
                    rewritten.push(Rewritten {
                        path: path.to_string(),
                        applied: entries
                            .iter()
                            .filter(|e| e.outcome.status.is_safe())
                            .count(),
                        flagged: entries
                            .iter()
                            .filter(|e| !e.outcome.status.is_safe())
                            .count(),
                        written: true,
                    });
                }
                Err(why) => refusals.push(
                    Finding::new(
                        crate::finding::Code::YamlUnsupported,
                        crate::workspace::file_place(path),
                        format!("{path} was not changed: {why}"),
                    )
                    .with_help(
                        "carry the spans over by hand; `annot diff` shows where each one went",
                    ),
                ),
            }
        }
    }
    let review = Review {
        command: "reanchor",
        base: "pinned".to_string(),
        head: "worktree".to_string(),
        sources: Vec::new(),
        drift,
        changes: Vec::new(),
        missing: found.missing,
        // What this run marks is reported as drift; what earlier runs left
        // is still to be resolved.
        unresolved: unresolved_of(&ws, only.as_deref()),
        problems,
        notices: ws.notices.iter().cloned().chain(drift_notices).collect(),
    };
    Ok((review, rewritten, refusals))
}

fn entries_of(node: &Node) -> &[(Key, Node)] {
    match &node.value {
        Value::Map(entries) => entries,
        _ => &[],
    }
}

fn field<'n>(node: &'n Node, name: &str) -> Option<(&'n Key, &'n Node)> {
    entries_of(node)
        .iter()
        .find(|(k, _)| k.name == name)
        .map(|(k, v)| (k, v))
}

/// The edits `reanchor --write` makes to one file: the pin, the offsets of
/// safe spans (and their context where it changed), `drift:` on the rest.
fn rewrite_file(
    file: &AnnotationFile,
    new: &Arc<SourceText>,
    entries: &[&DriftEntry],
) -> Result<String, String> {
    let text = &*file.text;
    let root = yaml::parse_str(text).map_err(|e| e.message)?;
    let mut edits: Vec<Edit> = Vec::new();
    if let Some((_, pin)) = field(&root, "sha256") {
        edits.push(edit::replace_scalar(pin, edit::scalar(new.sha256())));
    }
    let by_id: BTreeMap<&str, &DriftEntry> = entries.iter().map(|e| (e.id.as_str(), *e)).collect();
    let items = match field(&root, "annotations").map(|(_, n)| &n.value) {
        Some(Value::Seq(items)) => items.as_slice(),
        _ => &[],
    };
    for node in items {
        let Some(id) = field(node, "id").and_then(|(_, n)| n.as_str()) else {
            continue;
        };
        let Some(entry) = by_id.get(id) else { continue };
        let outcome = &entry.outcome;
        match (&outcome.new, outcome.status.is_safe()) {
            (Some(place), true) => {
                for (name, value) in [("start", place.start), ("end", place.end)] {
                    if let Some((_, n)) = field(node, name) {
                        if n.value != Value::Int(value as i64) {
                            edits.push(edit::replace_scalar(n, value.to_string()));
                        }
                    }
                }
                // Stored context that no longer matches follows the span.
                if let Some((_, n)) = field(node, "prefix") {
                    let old = n.as_str().unwrap_or("");
                    let len = old.chars().count();
                    let now = new
                        .slice(place.start.saturating_sub(len), place.start)
                        .unwrap_or("");
                    if now != old && !now.is_empty() {
                        edits.push(edit::replace_scalar(n, yaml::quoted(now)));
                    }
                }
                if let Some((_, n)) = field(node, "suffix") {
                    let old = n.as_str().unwrap_or("");
                    let len = old.chars().count();
                    let now = new
                        .slice(place.end, (place.end + len).min(new.char_len()))
                        .unwrap_or("");
                    if now != old && !now.is_empty() {
                        edits.push(edit::replace_scalar(n, yaml::quoted(now)));
                    }
                }
            }
            _ => {
                let drift = format!(
                    "{{status: {}, from_sha256: {}, old_start: {}, old_end: {}, old_quote: {}}}",
                    outcome.status.as_str(),
                    entry.old_sha256,
                    entry.old_start,
                    entry.old_end,
                    yaml::quoted(&entry.old_quote)
                );
                let last = entries_of(node)
                    .last()
                    .map(|(_, v)| v)
                    .ok_or("an annotation is empty")?;
                let column = entries_of(node)
                    .first()
                    .map(|(k, _)| k.pos.column)
                    .unwrap_or(1);
                edits.push(edit::insert_fields(
                    text,
                    node,
                    last,
                    column,
                    &[("drift", drift)],
                ));
            }
        }
    }
    let new_text = edit::apply(text, &edits);
    // Read the result back before writing: it must load cleanly, keep every
    // annotation, and say what was planned.
    let reread = load::annotation_file(&file.path, new_text.as_bytes());
    if reread.findings.iter().any(|f| f.code.is_structural()) {
        return Err("its layout is one annot cannot edit safely".to_string());
    }
    let Some(after) = reread.value else {
        return Err("its layout is one annot cannot edit safely".to_string());
    };
    if after.annotations.len() != file.annotations.len()
        || after.sha256.as_ref().map(|s| s.value.as_str()) != Some(new.sha256())
    {
        return Err("its layout is one annot cannot edit safely".to_string());
    }
    for annotation in &after.annotations {
        let Some(entry) = by_id.get(annotation.id.value.as_str()) else {
            continue;
        };
        let ok = match (&entry.outcome.new, entry.outcome.status.is_safe()) {
            (Some(place), true) => {
                annotation.span() == Some((place.start as u64, place.end as u64))
            }
            _ => annotation.drift.is_some(),
        };
        if !ok {
            return Err("its layout is one annot cannot edit safely".to_string());
        }
    }
    Ok(new_text)
}
