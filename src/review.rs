//! What changed between two states of a workspace, for review: the drift of
//! every annotation whose source text changed under it (`annot diff`,
//! `annot reanchor`), and the change of the annotation files themselves.

use crate::drift::{self, OldSpan, Outcome, Status};
use crate::edit::{self, Edit};
use crate::finding::Finding;
use crate::load;
use crate::model::{Annotation, AnnotationFile, DriftStatus};
use crate::source::SourceText;
use crate::workspace::{Tree, Workspace, WorkspaceError};
use crate::yaml::{self, Key, Node, Pos, Value};
use rayon::prelude::*;
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
    /// Shared by the entries of one file: a file may hold 100,000.
    pub file: Arc<str>,
    pub line: u32,
    pub source: Arc<str>,
    pub old_sha256: Arc<str>,
    pub old_start: usize,
    pub old_end: usize,
    pub old_quote: String,
    pub outcome: Outcome,
}

/// An annotation's `start`/`end`, if it has both.
pub type Span = Option<(u64, u64)>;

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
    /// The span before and after, when it changed.
    pub span: Option<(Span, Span)>,
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
        .par_iter()
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
        let (path, source, pin): (Arc<str>, Arc<str>, Arc<str>) = (
            file.path.as_str().into(),
            source.value.as_str().into(),
            pin.value.as_str().into(),
        );
        // Made on all cores: 100,000 entries are 30 MB of fresh memory.
        entries.par_extend(annotations.into_par_iter().zip(inputs).zip(outcomes).map(
            |((annotation, span), outcome)| DriftEntry {
                id: annotation.id.value.clone(),
                file: Arc::clone(&path),
                line: annotation.id.pos.line,
                source: Arc::clone(&source),
                old_sha256: Arc::clone(&pin),
                old_start: span.start,
                old_end: span.end,
                old_quote: span.quote,
                outcome,
            },
        ));
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
    // A file the head cannot read has not lost its annotations.
    let unreadable: BTreeSet<String> = unreadable_files(head).into_iter().map(|(f, _)| f).collect();
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
                span: None,
            }),
            // The very same annotation, read once from an unchanged file.
            Some((_, b)) if std::ptr::eq(*b, *a) => {}
            Some((old_file, b)) => {
                let mut fields = changed_fields(b, a, &old_file.path, &file.path);
                let source = |f: &AnnotationFile| f.source.as_ref().map(|s| s.value.clone());
                if source(old_file) != source(file) {
                    fields.insert(0, "source".to_string());
                }
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
                        span: (a.span() != b.span()).then(|| (b.span(), a.span())),
                    });
                }
            }
        }
    }
    for (id, (file, b)) in &old {
        if !new.contains_key(id) && !unreadable.contains(&file.path) {
            changes.push(AnnotationDiff {
                id: id.to_string(),
                file: file.path.clone(),
                line: b.id.pos.line,
                change: "removed",
                fields: Vec::new(),
                kind: b.kind.value.clone(),
                quote: None,
                old_quote: b.quote.as_ref().map(|q| q.value.clone()),
                span: None,
            });
        }
    }
    changes.sort_by(|a, b| (&a.file, a.line, &a.id).cmp(&(&b.file, b.line, &b.id)));
    changes
}

/// Annotation files that could not be read at all (their YAML or layout
/// is broken), each with its first finding as `file:line:column: message`.
pub fn unreadable_files(ws: &Workspace) -> Vec<(String, String)> {
    let loaded: BTreeSet<&str> = ws.files.iter().map(|f| f.path.as_str()).collect();
    let mut out: Vec<(String, String)> = Vec::new();
    for f in &ws.findings {
        let p = &f.place;
        if f.code.is_structural()
            && p.file.starts_with("annotations/")
            && !loaded.contains(p.file.as_str())
            && !out.iter().any(|(file, _)| *file == p.file)
        {
            out.push((
                p.file.clone(),
                format!("{}:{}:{}: {}", p.file, p.line, p.column, f.message),
            ));
        }
    }
    out
}

/// Problems for the files of `ws` that could not be read.
fn unreadable_problems(ws: &Workspace) -> Vec<String> {
    unreadable_files(ws)
        .into_iter()
        .map(|(_, what)| {
            format!("{what} — this file could not be read, so the drift and changes of its annotations are unknown; fix it first (`annot validate` shows it)")
        })
        .collect()
}

/// Sources whose text differs between the two states.
fn source_changes(base: &Workspace, head: &Workspace) -> Vec<SourceChange> {
    // A source no file of one side names (because that file could not be
    // read, say) is unknown there, not changed.
    let sha = |ws: &Workspace, path: &str| {
        ws.sources
            .get(path)
            .map(|s| s.as_ref().ok().map(|s| s.sha256().to_string()))
    };
    let mut paths: Vec<&String> = base.sources.keys().chain(head.sources.keys()).collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter_map(|path| {
            let (old, new) = (sha(base, path)?, sha(head, path)?);
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
        problems: unreadable_problems(&head_ws)
            .into_iter()
            .chain(found.problems)
            .collect(),
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

/// What `annot reanchor` found and did.
#[derive(Debug, Default)]
pub struct Reanchored {
    pub review: Review,
    pub rewritten: Vec<Rewritten>,
    /// Files left unchanged because annot cannot edit them safely, each
    /// naming the annotation, its line and the reason.
    pub refusals: Vec<Finding>,
    /// Files that could not be written (changed on disk since they were
    /// read, or an I/O error); every other file was written.
    pub failures: Vec<String>,
}

/// `annot reanchor [PATH...] [--write]`: the drift of the working tree's
/// annotations; with `write`, safe spans are updated in place and the
/// others get `drift:` with the proposal, if there is one.
pub fn reanchor(
    root: &Path,
    paths: &[std::path::PathBuf],
    write: bool,
) -> Result<Reanchored, WorkspaceError> {
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
    let (drift, drift_notices) = (found.entries, found.notices);
    let problems: Vec<String> = unreadable_problems(&ws)
        .into_iter()
        .filter(|p| {
            only.as_ref()
                .is_none_or(|paths| paths.iter().any(|f| p.starts_with(&format!("{f}:"))))
        })
        .chain(found.problems)
        .collect();
    let mut done = Reanchored::default();
    if write {
        let mut by_file: BTreeMap<&str, Vec<&DriftEntry>> = BTreeMap::new();
        for entry in &drift {
            by_file.entry(&*entry.file).or_default().push(entry);
        }
        for (path, entries) in by_file {
            let Some(file) = ws.files.iter().find(|f| f.path == path) else {
                continue;
            };
            let Some(Ok(new)) = file.source.as_ref().and_then(|s| ws.sources.get(&s.value)) else {
                continue;
            };
            let written = rewrite_file(file, new, &entries)
                .map_err(|refusal| refusal.finding(path, "run `annot reanchor --write` again once it is fixed; until then `annot diff` shows where each span went"))
                .and_then(|new_text| write_file(root, file, &new_text));
            match written {
                Ok(()) => done.rewritten.push(Rewritten {
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
                }),
                Err(Failure::Refused(finding)) => done.refusals.push(*finding),
                Err(Failure::NotWritten(message)) => done.failures.push(message),
            }
        }
    }
    done.review = Review {
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
    Ok(done)
}

/// What `annot reanchor --write` would write to the annotation file `rel`
/// as it is on disk: its new text, with how many spans are carried over
/// and how many marked with `drift:` for review. `Ok(None)` when it has no
/// drift; `Err` with the reason when annot will not edit it.
pub fn reanchored_text(root: &Path, rel: &str) -> Result<Option<(String, usize, usize)>, String> {
    let tree = Tree::WorkTree;
    let ws = Workspace::load(root, &tree).map_err(|err| err.to_string())?;
    let index = Tree::index(root).ok();
    let others: Vec<&Tree> = index.iter().collect();
    let only = [rel.to_string()];
    let found = drift_of(root, &ws, &tree, &others, Some(&only)).map_err(|err| err.to_string())?;
    let entries: Vec<&DriftEntry> = found.entries.iter().filter(|e| &*e.file == rel).collect();
    if entries.is_empty() {
        return Ok(None);
    }
    let Some(file) = ws.files.iter().find(|f| f.path == rel) else {
        return Ok(None);
    };
    let Some(Ok(new)) = file.source.as_ref().and_then(|s| ws.sources.get(&s.value)) else {
        return Ok(None);
    };
    let text = rewrite_file(file, new, &entries).map_err(|refusal| {
        let what = match &refusal.id {
            Some(id) => format!("annotation `{id}` (line {})", refusal.pos.line),
            None => format!("line {}", refusal.pos.line),
        };
        format!("{what}: {}", refusal.reason)
    })?;
    let applied = entries
        .iter()
        .filter(|e| e.outcome.status.is_safe())
        .count();
    Ok(Some((text, applied, entries.len() - applied)))
}

/// Why one file was left as it was.
enum Failure {
    /// annot will not edit it (a finding for the report).
    Refused(Box<Finding>),
    /// The write itself failed.
    NotWritten(String),
}

impl From<Finding> for Failure {
    fn from(finding: Finding) -> Failure {
        Failure::Refused(Box::new(finding))
    }
}

fn write_file(root: &Path, file: &AnnotationFile, new_text: &str) -> Result<(), Failure> {
    edit::write_atomic(
        &root.join(&file.path),
        file.text.as_bytes(),
        new_text.as_bytes(),
    )
    .map_err(|err| Failure::NotWritten(err.to_string()))
}

/// Why annot will not edit a file: which annotation, where, and why.
#[derive(Debug)]
struct Refusal {
    id: Option<String>,
    pos: Pos,
    reason: String,
}

impl Refusal {
    fn new(id: Option<&str>, pos: Pos, reason: impl Into<String>) -> Refusal {
        Refusal {
            id: id.map(str::to_string),
            pos,
            reason: reason.into(),
        }
    }

    fn finding(self, path: &str, help: &str) -> Failure {
        let what = match &self.id {
            Some(id) => format!("annotation `{id}` (line {})", self.pos.line),
            None => format!("line {}", self.pos.line),
        };
        let mut finding = Finding::new(
            crate::finding::Code::YamlUnsupported,
            load::place(path, self.pos),
            format!("this file was not changed: {what}: {}", self.reason),
        )
        .with_help(help);
        if let Some(id) = &self.id {
            finding = finding.with_id(id);
        }
        finding.into()
    }
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

fn items_of(root: &Node) -> &[Node] {
    match field(root, "annotations").map(|(_, n)| &n.value) {
        Some(Value::Seq(items)) => items.as_slice(),
        _ => &[],
    }
}

/// The annotation nodes of a file by id, refusing a file where an id the
/// edit is about appears twice (the edit could not tell them apart).
fn nodes_by_id<'n>(
    items: &'n [Node],
    wanted: &BTreeSet<&str>,
) -> Result<BTreeMap<&'n str, &'n Node>, Refusal> {
    let mut by_id: BTreeMap<&str, &Node> = BTreeMap::new();
    for node in items {
        let Some((_, id_node)) = field(node, "id") else {
            continue;
        };
        let Some(id) = id_node.as_str() else { continue };
        if !wanted.contains(id) {
            continue;
        }
        if let Some(first) = by_id.insert(id, node) {
            let first_line = field(first, "id").map_or(0, |(_, n)| n.pos.line);
            return Err(Refusal::new(
                Some(id),
                id_node.pos,
                format!("the id is also defined on line {first_line} of this file, so an edit could not tell the two apart; give each its own id (`annot validate` reports the duplicate-id)"),
            ));
        }
    }
    Ok(by_id)
}

/// Edits that carry stored context (`prefix`/`suffix`) along with a span
/// that moved to `start..end` of `new`, where it no longer matches.
fn follow_context(
    text: &str,
    node: &Node,
    new: &SourceText,
    start: usize,
    end: usize,
    edits: &mut Vec<Edit>,
) {
    let in_flow = node.is_flow_collection(text);
    if let Some((_, n)) = field(node, "prefix") {
        let old = n.as_str().unwrap_or("");
        let len = old.chars().count();
        let now = new.slice(start.saturating_sub(len), start).unwrap_or("");
        if now != old && !now.is_empty() {
            edits.push(edit::replace_string(text, n, now, in_flow));
        }
    }
    if let Some((_, n)) = field(node, "suffix") {
        let old = n.as_str().unwrap_or("");
        let len = old.chars().count();
        let now = new
            .slice(end, (end + len).min(new.char_len()))
            .unwrap_or("");
        if now != old && !now.is_empty() {
            edits.push(edit::replace_string(text, n, now, in_flow));
        }
    }
}

/// Edits setting `start` and `end` of an annotation node.
fn set_span(node: &Node, start: usize, end: usize, edits: &mut Vec<Edit>) -> Result<(), Refusal> {
    for (name, value) in [("start", start), ("end", end)] {
        let Some((_, n)) = field(node, name) else {
            return Err(Refusal::new(
                field(node, "id").and_then(|(_, n)| n.as_str()),
                node.pos,
                format!("it has no `{name}` to update"),
            ));
        };
        if n.value != Value::Int(value as i64) {
            edits.push(edit::replace_scalar(n, value.to_string()));
        }
    }
    Ok(())
}

/// A confidence as written in `drift:`: two decimals, as drift computes it
/// and `annot diff` shows it, so `--min-confidence` means what was shown.
fn confidence_text(confidence: f64) -> String {
    format!("{:.2}", confidence.clamp(0.0, 1.0))
}

/// The `drift:` value `reanchor --write` records for an annotation it
/// could not carry: the old span, and the proposal or the candidates.
pub fn drift_value(entry: &DriftEntry) -> String {
    let outcome = &entry.outcome;
    let mut out = format!(
        "{{status: {}, from_sha256: {}, old_start: {}, old_end: {}, old_quote: {}",
        outcome.status.as_str(),
        entry.old_sha256,
        entry.old_start,
        entry.old_end,
        yaml::quoted(&entry.old_quote)
    );
    match (outcome.status, &outcome.new) {
        (Status::Edited, Some(new)) => {
            out.push_str(&format!(
                ", new_start: {}, new_end: {}, new_quote: {}, confidence: {}",
                new.start,
                new.end,
                yaml::quoted(&new.quote),
                confidence_text(outcome.confidence)
            ));
            if let Some(reason) = outcome.reason {
                out.push_str(&format!(", reason: {reason}"));
            }
        }
        (Status::Ambiguous, _) if !outcome.candidates.is_empty() => {
            let places: Vec<String> = outcome
                .candidates
                .iter()
                .map(|c| format!("{{start: {}, end: {}}}", c.start, c.end))
                .collect();
            out.push_str(&format!(", candidates: [{}]", places.join(", ")));
        }
        _ => {}
    }
    out.push('}');
    out
}

/// Structural findings of a text, to tell problems an edit made from ones
/// the file already had.
fn structural(path: &str, text: &str) -> Vec<(crate::finding::Code, String)> {
    let mut out: Vec<_> = load::annotation_file(path, text.as_bytes())
        .findings
        .into_iter()
        .filter(|f| f.code.is_structural())
        .map(|f| (f.code, f.message))
        .collect();
    out.sort();
    out
}

/// Reads an edited file back before it is written: it must load, keep
/// every annotation in order, add no structural problem, and each edited
/// annotation must read as `check` expects.
fn verify(
    file: &AnnotationFile,
    items: &[Node],
    new_text: &str,
    check: impl Fn(&Annotation) -> Option<&'static str>,
) -> Result<AnnotationFile, Refusal> {
    let line_of = |id: &str| {
        items
            .iter()
            .filter_map(|n| field(n, "id"))
            .find(|(_, v)| v.as_str() == Some(id))
            .map_or(Pos::default(), |(_, v)| v.pos)
    };
    let before = structural(&file.path, &file.text);
    let reread = load::annotation_file(&file.path, new_text.as_bytes());
    let mut remaining = before.clone();
    for finding in reread.findings.iter().filter(|f| f.code.is_structural()) {
        let key = (finding.code, finding.message.clone());
        match remaining.iter().position(|k| *k == key) {
            Some(i) => {
                remaining.remove(i);
            }
            None => {
                let pos = finding.id.as_deref().map_or(Pos::default(), &line_of);
                return Err(Refusal::new(
                    finding.id.as_deref(),
                    pos,
                    format!(
                        "the edited file would not read back cleanly ({}: {}), so its layout is one annot cannot edit safely",
                        finding.code.as_str(),
                        finding.message
                    ),
                ));
            }
        }
    }
    let Some(after) = reread.value else {
        return Err(Refusal::new(
            None,
            Pos::default(),
            "the edited file would not read back as an annotation file, so its layout is one annot cannot edit safely",
        ));
    };
    let ids = |f: &AnnotationFile| -> Vec<String> {
        f.annotations.iter().map(|a| a.id.value.clone()).collect()
    };
    if ids(&after) != ids(file) {
        return Err(Refusal::new(
            None,
            Pos::default(),
            "the edited file would not keep every annotation in its place, so its layout is one annot cannot edit safely",
        ));
    }
    for annotation in &after.annotations {
        if let Some(why) = check(annotation) {
            let id = annotation.id.value.as_str();
            return Err(Refusal::new(
                Some(id),
                line_of(id),
                format!("after the edit {why}, so its layout is one annot cannot edit safely"),
            ));
        }
    }
    Ok(after)
}

/// The edits `reanchor --write` makes to one file: the pin, the offsets of
/// safe spans (and their context where it changed), `drift:` on the rest.
fn rewrite_file(
    file: &AnnotationFile,
    new: &Arc<SourceText>,
    entries: &[&DriftEntry],
) -> Result<String, Refusal> {
    let text = &*file.text;
    let root = yaml::parse_str(text)
        .map_err(|e| Refusal::new(None, e.pos, format!("it is not valid YAML ({})", e.message)))?;
    let mut edits: Vec<Edit> = Vec::new();
    if let Some((_, pin)) = field(&root, "sha256") {
        edits.push(edit::replace_string(text, pin, new.sha256(), false));
    }
    let by_id: BTreeMap<&str, &DriftEntry> = entries.iter().map(|e| (e.id.as_str(), *e)).collect();
    let items = items_of(&root);
    let nodes = nodes_by_id(items, &by_id.keys().copied().collect())?;
    for (id, node) in &nodes {
        let entry = by_id[id];
        let outcome = &entry.outcome;
        match (&outcome.new, outcome.status.is_safe()) {
            (Some(place), true) => {
                set_span(node, place.start, place.end, &mut edits)?;
                follow_context(text, node, new, place.start, place.end, &mut edits);
            }
            _ => {
                let edit = edit::append_fields(text, node, &[("drift", drift_value(entry))])
                    .ok_or_else(|| {
                        Refusal::new(Some(id), node.pos, "the annotation is not a mapping")
                    })?;
                edits.push(edit);
            }
        }
    }
    let new_text = edit::apply(text, &edits);
    let after = verify(file, items, &new_text, |annotation| {
        let entry = by_id.get(annotation.id.value.as_str())?;
        match (&entry.outcome.new, entry.outcome.status.is_safe()) {
            (Some(place), true) => (annotation.span()
                != Some((place.start as u64, place.end as u64)))
            .then_some("its span does not read back as the new one"),
            _ => match &annotation.drift {
                Some(d) if d.value.status.as_str() == entry.outcome.status.as_str() => None,
                _ => Some("its `drift:` does not read back"),
            },
        }
    })?;
    if after.sha256.as_ref().map(|s| s.value.as_str()) != Some(new.sha256()) {
        let pos = field(&root, "sha256").map_or(Pos::default(), |(_, n)| n.pos);
        return Err(Refusal::new(
            None,
            pos,
            "after the edit `sha256` does not read back as the new pin, so its layout is one annot cannot edit safely",
        ));
    }
    Ok(new_text)
}

/// Which recorded proposals `annot reanchor --accept` applies.
#[derive(Debug, Clone)]
pub enum Accept {
    /// These annotations' proposals; each must have one.
    Ids(Vec<String>),
    /// Every `edited` drift whose proposal has at least this confidence.
    AllEdited { min_confidence: f64 },
}

/// What `annot reanchor --accept` did.
#[derive(Debug, Default)]
pub struct Accepted {
    /// Per file written: the ids whose proposals were applied.
    pub files: Vec<(String, Vec<String>)>,
    /// Proposals not applied, each with the id, its line and why.
    pub refusals: Vec<Finding>,
    /// Files that could not be written; every other file was.
    pub failures: Vec<String>,
    /// With `--accept-all-edited`: the drifts left for a person, each as
    /// (id, why: below the confidence, or not `edited`).
    pub left: Vec<(String, String)>,
}

/// `annot reanchor --accept ID...` / `--accept-all-edited`: applies the
/// proposals recorded in `drift:` (start, end, quote, and stored context
/// that follows the span) and removes `drift:`. An id that names no
/// annotation, one without `drift:`, or a drift without a proposal is an
/// error before anything is written.
pub fn accept(
    root: &Path,
    paths: &[std::path::PathBuf],
    which: &Accept,
) -> Result<Accepted, WorkspaceError> {
    let ws = Workspace::load(root, &Tree::WorkTree)?;
    let only = if paths.is_empty() {
        None
    } else {
        Some(crate::commands::resolve_paths(root, paths)?)
    };
    let files: Vec<&AnnotationFile> = ws
        .files
        .iter()
        .filter(|f| only.as_ref().is_none_or(|o| o.contains(&f.path)))
        .collect();
    let mut chosen: BTreeMap<&str, Vec<&Annotation>> = BTreeMap::new();
    let mut left = Vec::new();
    match which {
        Accept::Ids(ids) => {
            let index: BTreeMap<&str, (&AnnotationFile, &Annotation)> = files
                .iter()
                .flat_map(|f| {
                    f.annotations
                        .iter()
                        .map(move |a| (a.id.value.as_str(), (*f, a)))
                })
                .collect();
            for id in ids {
                let Some((file, annotation)) = index.get(id.as_str()) else {
                    return Err(WorkspaceError::UnknownId {
                        id: id.clone(),
                        hint: if id.contains('/') || id.ends_with(".yaml") {
                            Some(format!("`{id}` looks like a path: `--accept` takes only ids (every id after it); name the annotations, not their file"))
                        } else {
                            None
                        }
                        .or_else(|| {
                            let drifted: Vec<&str> = index
                                .iter()
                                .filter(|(_, (_, a))| a.drift.is_some())
                                .map(|(k, _)| *k)
                                .collect();
                            load::did_you_mean(id, &drifted)
                                .map(|best| format!("did you mean `{best}`?"))
                        })
                            .unwrap_or_else(|| "`annot validate` lists every annotation that carries `drift:` (drift-unresolved) with its id".to_string()),
                    });
                };
                nothing_to_accept(file, annotation, &ws.findings)?;
                let list = chosen.entry(file.path.as_str()).or_default();
                if !list.iter().any(|a| a.id.value == *id) {
                    list.push(annotation);
                }
            }
        }
        Accept::AllEdited { min_confidence } => {
            for file in &files {
                for annotation in &file.annotations {
                    let Some(drift) = &annotation.drift else {
                        continue;
                    };
                    let Some(proposal) = &drift.value.proposal else {
                        continue;
                    };
                    if drift.value.status == DriftStatus::Edited
                        && proposal.confidence >= *min_confidence
                    {
                        chosen
                            .entry(file.path.as_str())
                            .or_default()
                            .push(annotation);
                    } else {
                        left.push((
                            annotation.id.value.clone(),
                            format!("confidence {:.2}", proposal.confidence),
                        ));
                    }
                }
                for annotation in &file.annotations {
                    if let Some(drift) = &annotation.drift {
                        if drift.value.proposal.is_none() {
                            left.push((
                                annotation.id.value.clone(),
                                format!("{}, no proposal", drift.value.status.as_str()),
                            ));
                        }
                    }
                }
            }
        }
    }
    let mut done = Accepted {
        left,
        ..Accepted::default()
    };
    for (path, annotations) in chosen {
        let Some(file) = ws.files.iter().find(|f| f.path == path) else {
            continue;
        };
        let source = file
            .source
            .as_ref()
            .and_then(|s| ws.sources.get(&s.value))
            .and_then(|s| s.as_ref().ok());
        let (edited, refusals) = accept_in_file(file, source.map(|s| &**s), &annotations);
        done.refusals.extend(refusals);
        let Some((new_text, ids)) = edited else {
            continue;
        };
        match write_file(root, file, &new_text) {
            Ok(()) => done.files.push((path.to_string(), ids)),
            Err(Failure::Refused(finding)) => done.refusals.push(*finding),
            Err(Failure::NotWritten(message)) => done.failures.push(message),
        }
    }
    Ok(done)
}

/// An id given to `--accept` must carry a drift with a proposal.
fn nothing_to_accept(
    file: &AnnotationFile,
    annotation: &Annotation,
    findings: &[Finding],
) -> Result<(), WorkspaceError> {
    let id = annotation.id.value.clone();
    let place = format!("{}:{}", file.path, annotation.id.pos.line);
    // A `drift:` the loader refused is there, only unreadable.
    let broken = findings.iter().find(|f| {
        f.code.is_structural() && f.id.as_deref() == Some(id.as_str()) && f.place.file == file.path
    });
    if let (None, Some(f)) = (&annotation.drift, broken) {
        return Err(WorkspaceError::NothingToAccept {
            id,
            why: format!(
                "its entry cannot be read whole, so neither can a `drift:` in it ({}:{}:{}): {}",
                f.place.file, f.place.line, f.place.column, f.message
            ),
            hint: "fix the `drift:` entry as `annot validate` says, or set `quote`, `start` and `end` by hand and delete it".to_string(),
        });
    }
    let Some(drift) = &annotation.drift else {
        return Err(WorkspaceError::NothingToAccept {
            id,
            why: format!("it carries no `drift:` ({place})"),
            hint: "`annot validate` lists the annotations that carry `drift:` (drift-unresolved)"
                .to_string(),
        });
    };
    if drift.value.proposal.is_some() {
        return Ok(());
    }
    let hint = match drift.value.status {
        DriftStatus::Ambiguous if !drift.value.candidates.is_empty() => {
            let places: Vec<String> = drift
                .value
                .candidates
                .iter()
                .map(|(s, e)| format!("{s}..{e}"))
                .collect();
            format!(
                "pick one of the candidates ({}), set `quote`, `start` and `end` by hand and delete the whole `drift:` entry",
                places.join(", ")
            )
        }
        _ => "set `quote`, `start` and `end` by hand (or remove the annotation) and delete the whole `drift:` entry".to_string(),
    };
    Err(WorkspaceError::NothingToAccept {
        id,
        why: format!(
            "its drift is `{}` and records no proposed new span ({place})",
            drift.value.status.as_str()
        ),
        hint,
    })
}

/// The accepting edits of one file, and the annotations refused. The file
/// must be pinned to its source's current text (as `reanchor --write`
/// leaves it) and each proposal must still quote that text.
fn accept_in_file(
    file: &AnnotationFile,
    source: Option<&SourceText>,
    annotations: &[&Annotation],
) -> (Option<(String, Vec<String>)>, Vec<Finding>) {
    let mut refusals = Vec::new();
    let refuse = |annotation: &Annotation, pos: Pos, message: String, help: &str| {
        Finding::new(
            crate::finding::Code::DriftUnresolved,
            load::place(&file.path, pos),
            format!("`{}` was not accepted: {message}", annotation.id.value),
        )
        .with_id(&annotation.id.value)
        .with_help(help)
    };
    let pin = file.sha256.as_ref().map(|s| s.value.as_str());
    let Some(source) = source.filter(|s| Some(s.sha256()) == pin) else {
        for annotation in annotations {
            let pos = file.sha256.as_ref().map_or(annotation.id.pos, |s| s.pos);
            refusals.push(refuse(
                annotation,
                pos,
                "the file is not pinned to the current text of its source, so the proposal cannot be checked against it".to_string(),
                "run `annot reanchor --write` first: it moves the pin and records fresh proposals",
            ));
        }
        return (None, refusals);
    };
    let text = &*file.text;
    let Ok(root) = yaml::parse_str(text) else {
        return (None, refusals);
    };
    let items = items_of(&root);
    let wanted: BTreeSet<&str> = annotations.iter().map(|a| a.id.value.as_str()).collect();
    let nodes = match nodes_by_id(items, &wanted) {
        Ok(nodes) => nodes,
        Err(refusal) => {
            if let Failure::Refused(finding) =
                refusal.finding(&file.path, "fix the duplicate id, then accept again")
            {
                refusals.push(*finding);
            }
            return (None, refusals);
        }
    };
    let mut edits = Vec::new();
    let mut accepted: BTreeMap<&str, (u64, u64, &str)> = BTreeMap::new();
    for annotation in annotations {
        let id = annotation.id.value.as_str();
        let (Some(drift), Some(node)) = (&annotation.drift, nodes.get(id)) else {
            continue;
        };
        let Some(p) = &drift.value.proposal else {
            continue;
        };
        let found = source.slice(p.start as usize, p.end as usize);
        if found != Some(p.quote.as_str()) {
            let now = match found {
                Some(t) => format!("the text there is now {t:?}"),
                None => format!("the source has only {} code points", source.char_len()),
            };
            refusals.push(refuse(
                annotation,
                drift.pos,
                format!(
                    "its proposal {}..{} {:?} no longer matches the source ({now})",
                    p.start, p.end, p.quote
                ),
                "set `quote`, `start` and `end` by hand and delete the whole `drift:` entry",
            ));
            continue;
        }
        let mut mine = Vec::new();
        let planned = (|| -> Result<(), Refusal> {
            set_span(node, p.start as usize, p.end as usize, &mut mine)?;
            let in_flow = node.is_flow_collection(text);
            match field(node, "quote") {
                Some((_, q)) if q.as_str() != Some(p.quote.as_str()) => {
                    mine.push(edit::replace_string(text, q, &p.quote, in_flow));
                }
                Some(_) => {}
                None => {
                    return Err(Refusal::new(
                        Some(id),
                        node.pos,
                        "it has no `quote` to update",
                    ))
                }
            }
            follow_context(
                text,
                node,
                source,
                p.start as usize,
                p.end as usize,
                &mut mine,
            );
            let index = entries_of(node)
                .iter()
                .position(|(k, _)| k.name == "drift")
                .ok_or_else(|| Refusal::new(Some(id), node.pos, "its `drift:` was not found"))?;
            mine.push(edit::remove_field(text, node, index).ok_or_else(|| {
                Refusal::new(Some(id), node.pos, "its `drift:` cannot be removed")
            })?);
            Ok(())
        })();
        match planned {
            Ok(()) => {
                edits.extend(mine);
                accepted.insert(id, (p.start, p.end, p.quote.as_str()));
            }
            Err(refusal) => {
                if let Failure::Refused(finding) = refusal.finding(
                    &file.path,
                    "set `quote`, `start` and `end` by hand and delete the whole `drift:` entry",
                ) {
                    refusals.push(*finding);
                }
            }
        }
    }
    if accepted.is_empty() {
        return (None, refusals);
    }
    let new_text = edit::apply(text, &edits);
    let verified = verify(file, items, &new_text, |annotation| {
        let &(start, end, quote) = accepted.get(annotation.id.value.as_str())?;
        if annotation.span() != Some((start, end)) {
            Some("its span does not read back as the proposal")
        } else if annotation.quote.as_ref().map(|q| q.value.as_str()) != Some(quote) {
            Some("its quote does not read back as the proposal")
        } else if annotation.drift.is_some() {
            Some("its `drift:` is still there")
        } else {
            None
        }
    });
    match verified {
        Ok(_) => (
            Some((new_text, accepted.keys().map(|s| s.to_string()).collect())),
            refusals,
        ),
        Err(refusal) => {
            if let Failure::Refused(finding) = refusal.finding(
                &file.path,
                "set `quote`, `start` and `end` by hand and delete the whole `drift:` entry",
            ) {
                refusals.push(*finding);
            }
            (None, refusals)
        }
    }
}
