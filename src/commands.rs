//! What each command does, as library functions that return plain results;
//! `main.rs` only parses arguments and renders what these return.

use crate::anchor;
use crate::edit::{self, Edit, WriteError};
use crate::finding::{Code, Finding, Severity};
use crate::load::{self, place};
use crate::report::{Checked, Texts};
use crate::source::SourceText;
use crate::workspace::{self, read_source, SourceProblem, Tree, Workspace, WorkspaceError};
use crate::yaml::{self, Key, Node, Value};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The result of `annot validate`.
pub struct Validation {
    pub checked: Checked,
    pub findings: Vec<Finding>,
    pub texts: Texts,
    /// Checks that were skipped, and why.
    pub notices: Vec<String>,
}

/// `annot validate`: the working tree, or with `staged` the git index.
pub fn validate(root: &Path, staged: bool) -> Result<Validation, WorkspaceError> {
    let tree = if staged {
        Tree::index(root)?
    } else {
        Tree::WorkTree
    };
    let outcome = crate::validate::validate(root, &tree)?;
    let checked = Checked {
        files: outcome.files,
        sources: outcome.sources,
        annotations: outcome.annotations,
    };
    // The texts of the files the findings point into, for snippets.
    let mut texts = Texts::new();
    for finding in &outcome.findings {
        for file in std::iter::once(&finding.place.file)
            .chain(finding.related.iter().map(|r| &r.place.file))
        {
            if texts.contains_key(file) {
                continue;
            }
            if let Some(text) = text_for_report(root, &tree, &outcome.paths, file) {
                texts.insert(file.clone(), text);
            }
        }
    }
    Ok(Validation {
        checked,
        findings: outcome.findings,
        texts,
        notices: outcome.notices,
    })
}

/// The text of a file a finding points into, read only the ways validation
/// itself reads: a listed annotation file or one of the two YAML files of the
/// workspace (regular files within the size limit), or a source through the
/// checks that keep it inside seeds/.
fn text_for_report(
    root: &Path,
    tree: &Tree,
    annotation_files: &[String],
    file: &str,
) -> Option<Arc<str>> {
    let yaml = annotation_files
        .binary_search_by(|p| p.as_str().cmp(file))
        .is_ok()
        || file == workspace::VOCABULARY_PATH
        || file == workspace::SOURCES_META_PATH;
    if yaml {
        if let Tree::WorkTree = tree {
            let meta = fs::metadata(root.join(file)).ok()?;
            if !meta.is_file() || meta.len() > yaml::MAX_FILE_BYTES as u64 {
                return None;
            }
        }
        let bytes = tree.read(root, file).ok()??;
        return Some(Arc::from(String::from_utf8_lossy(&bytes).as_ref()));
    }
    if file.starts_with("seeds/") {
        return tree.read_source(root, file).ok().map(|s| s.shared_text());
    }
    None
}

/// What `annot anchor` did to one file.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AnchoredFile {
    pub path: String,
    /// Annotations whose `start`/`end` were filled in.
    pub anchored: Vec<String>,
    /// Annotations that received `prefix`/`suffix`.
    pub contexted: Vec<String>,
    /// Whether `sha256` was added.
    pub pinned: bool,
    pub written: bool,
}

pub struct Anchoring {
    pub files: Vec<AnchoredFile>,
    /// Annotations that could not be anchored, and files that were refused.
    pub findings: Vec<Finding>,
    pub texts: Texts,
}

/// `annot anchor [PATH...]`: fills in offsets from quotes (and the pin of a
/// new file), adds context where a quote is not unique, and writes each
/// changed file atomically unless `dry_run`.
pub fn anchor(root: &Path, paths: &[PathBuf], dry_run: bool) -> Result<Anchoring, WorkspaceError> {
    let files = if paths.is_empty() {
        workspace::list_annotation_files(root).0
    } else {
        resolve_paths(root, paths)?
    };
    let mut result = Anchoring {
        files: Vec::new(),
        findings: Vec::new(),
        texts: BTreeMap::new(),
    };
    for rel in files {
        let full = root.join(&rel);
        let bytes = fs::read(&full).map_err(|source| WorkspaceError::Io {
            path: rel.clone(),
            source,
        })?;
        result.texts.insert(
            rel.clone(),
            Arc::from(String::from_utf8_lossy(&bytes).as_ref()),
        );
        let planned = plan_file(root, &rel, &bytes);
        if let Some(source) = planned.source_text {
            if let Some(path) = planned.source_path {
                result.texts.insert(path, source);
            }
        }
        result.findings.extend(planned.findings);
        let Some((mut outcome, new_text)) = planned.change else {
            continue;
        };
        if !dry_run {
            match edit::write_atomic(&full, &bytes, new_text.as_bytes()) {
                Ok(()) => outcome.written = true,
                Err(WriteError::Changed(_)) => {
                    return Err(WorkspaceError::Io {
                        path: rel,
                        source: std::io::Error::other(
                            "the file changed on disk while annot was working on it; nothing was written to it, run `annot anchor` again",
                        ),
                    })
                }
                Err(WriteError::Io { source, .. }) => {
                    return Err(WorkspaceError::Io { path: rel, source })
                }
            }
        }
        result.files.push(outcome);
    }
    Ok(result)
}

/// Turns command-line paths (files or folders) into workspace-relative
/// annotation file paths.
pub fn resolve_paths(root: &Path, paths: &[PathBuf]) -> Result<Vec<String>, WorkspaceError> {
    let mut out = Vec::new();
    for path in paths {
        let full = path.canonicalize().map_err(|source| WorkspaceError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let Some(rel) = workspace::relative(root, &full) else {
            return Err(WorkspaceError::Io {
                path: path.display().to_string(),
                source: std::io::Error::other(format!(
                    "it is outside the workspace {}",
                    root.display()
                )),
            });
        };
        if full.is_dir() {
            let (all, _) = workspace::list_annotation_files(root);
            let prefix = if rel.is_empty() {
                String::new()
            } else {
                format!("{rel}/")
            };
            out.extend(all.into_iter().filter(|f| f.starts_with(&prefix)));
        } else if rel.starts_with("annotations/") && workspace::is_annotation_file(&rel) {
            out.push(rel);
        } else {
            return Err(WorkspaceError::NotAnnotationFile { path: rel });
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

struct PlannedFile {
    findings: Vec<Finding>,
    change: Option<(AnchoredFile, String)>,
    source_path: Option<String>,
    source_text: Option<Arc<str>>,
}

fn entries(node: &Node) -> &[(Key, Node)] {
    match &node.value {
        Value::Map(entries) => entries,
        _ => &[],
    }
}

fn field<'n>(node: &'n Node, name: &str) -> Option<(&'n Key, &'n Node)> {
    entries(node)
        .iter()
        .find(|(k, _)| k.name == name)
        .map(|(k, v)| (k, v))
}

fn plan_file(root: &Path, rel: &str, bytes: &[u8]) -> PlannedFile {
    let mut planned = PlannedFile {
        findings: Vec::new(),
        change: None,
        source_path: None,
        source_text: None,
    };
    let loaded = load::annotation_file(rel, bytes);
    let structural: Vec<Finding> = loaded
        .findings
        .into_iter()
        .filter(|f| f.code.is_structural())
        .collect();
    if !structural.is_empty() {
        planned.findings.extend(structural);
        planned.findings.push(
            Finding::new(
                Code::Schema,
                workspace::file_place(rel),
                format!("{rel} was not changed: fix the problems above first"),
            )
            .with_help("`annot anchor` edits only files it can read completely"),
        );
        return planned;
    }
    let Some(file) = loaded.value else {
        return planned;
    };
    let Some(source_path) = &file.source else {
        return planned;
    };
    let source = match read_source(root, &source_path.value) {
        Ok(source) => source,
        Err(problem) => {
            let (code, why) = match problem {
                SourceProblem::OutsideSeeds(why) => (Code::SourceOutsideSeeds, why),
                SourceProblem::Missing(why) | SourceProblem::Unreadable(why) => {
                    (Code::SourceMissing, why)
                }
                SourceProblem::NotUtf8(bad) => (
                    Code::SourceNotUtf8,
                    format!(
                        "is not valid UTF-8 (byte 0x{:02x} at byte offset {})",
                        bad.byte, bad.offset
                    ),
                ),
            };
            planned.findings.push(
                Finding::new(
                    code,
                    place(rel, source_path.pos),
                    format!("source {} {why}; {rel} was not changed", source_path.value),
                )
                .with_help("run `annot validate` for details"),
            );
            return planned;
        }
    };
    planned.source_path = Some(source_path.value.clone());
    planned.source_text = Some(source.shared_text());
    if let Some(pin) = &file.sha256 {
        if pin.value != source.sha256() {
            planned.findings.push(
                Finding::new(
                    Code::PinMismatch,
                    place(rel, pin.pos),
                    format!("{} changed since {rel} was anchored; offsets cannot be filled from a different version", source_path.value),
                )
                .with_help("run `annot reanchor` to carry the annotations over to the new text first"),
            );
            return planned;
        }
    }

    let text = &*file.text;
    let Ok(root_node) = yaml::parse_str(text) else {
        return planned;
    };
    let mut outcome = AnchoredFile {
        path: rel.to_string(),
        ..AnchoredFile::default()
    };
    let mut edits: Vec<Edit> = Vec::new();
    let mut expected: BTreeMap<String, (u64, u64)> = BTreeMap::new();

    if file.sha256.is_none() {
        if let Some((key, value)) = field(&root_node, "source") {
            edits.push(edit::insert_fields(
                text,
                &root_node,
                value,
                key.pos.column,
                &[("sha256", edit::scalar(source.sha256()))],
            ));
            outcome.pinned = true;
        }
    }

    let annotation_nodes = match field(&root_node, "annotations").map(|(_, n)| &n.value) {
        Some(Value::Seq(items)) => items.as_slice(),
        _ => &[],
    };
    for node in annotation_nodes {
        if let Some(planned_edit) = plan_annotation(rel, text, node, &source, &mut planned.findings)
        {
            match planned_edit {
                AnnotationEdit::Anchored { id, span, edit } => {
                    expected.insert(id.clone(), span);
                    outcome.anchored.push(id);
                    edits.push(edit);
                }
                AnnotationEdit::Context { id, edit } => {
                    outcome.contexted.push(id);
                    edits.push(edit);
                }
            }
        }
    }
    if edits.is_empty() {
        return planned;
    }
    let new_text = edit::apply(text, &edits);
    // Read the result back: the edit must leave a file that loads cleanly
    // and says exactly what was planned.
    let reread = load::annotation_file(rel, new_text.as_bytes());
    let verified = reread.findings.iter().all(|f| !f.code.is_structural())
        && reread.value.as_ref().is_some_and(|new_file| {
            new_file.annotations.len() == file.annotations.len()
                && new_file
                    .annotations
                    .iter()
                    .zip(&file.annotations)
                    .all(|(new, old)| {
                        new.id.value == old.id.value
                            && new.quote.as_ref().map(|q| &q.value)
                                == old.quote.as_ref().map(|q| &q.value)
                            && expected
                                .get(&new.id.value)
                                .is_none_or(|span| new.span() == Some(*span))
                    })
                && (!outcome.pinned
                    || new_file.sha256.as_ref().map(|s| s.value.as_str()) == Some(source.sha256()))
        });
    if !verified {
        planned.findings.push(
            Finding::new(
                Code::YamlUnsupported,
                workspace::file_place(rel),
                format!("{rel} was not changed: its layout is one annot cannot edit safely"),
            )
            .with_help("fill in `start` and `end` by hand (the offsets are shown by `annot validate`), or write the annotation in plain block style"),
        );
        return planned;
    }
    planned.change = Some((outcome, new_text));
    planned
}

/// Context for a preview on one line: line breaks shown as `⏎`.
fn one_line(s: &str) -> String {
    s.replace("\r\n", "⏎").replace(['\n', '\r'], "⏎")
}

enum AnnotationEdit {
    Anchored {
        id: String,
        span: (u64, u64),
        edit: Edit,
    },
    Context {
        id: String,
        edit: Edit,
    },
}

fn plan_annotation(
    rel: &str,
    text: &str,
    node: &Node,
    source: &SourceText,
    findings: &mut Vec<Finding>,
) -> Option<AnnotationEdit> {
    let id = field(node, "id")?.1.as_str()?.to_string();
    let (quote_key, quote_node) = field(node, "quote")?;
    let quote = quote_node.as_str()?;
    let prefix = field(node, "prefix").and_then(|(_, n)| n.as_str());
    let suffix = field(node, "suffix").and_then(|(_, n)| n.as_str());
    let start = field(node, "start");
    let end = field(node, "end");
    let occurrences = source.occurrences(quote);
    let column = quote_key.pos.column;

    if start.is_none() && end.is_none() {
        let candidates = anchor::select_by_context(source, &occurrences, prefix, suffix);
        match candidates.as_slice() {
            [] => {
                let mut message = format!("the quote of `{id}` does not occur in the source");
                if !occurrences.is_empty() {
                    message = format!(
                        "the quote of `{id}` occurs {} times, but none has the given prefix/suffix",
                        occurrences.len()
                    );
                }
                findings.push(
                    Finding::new(Code::Unanchored, place(rel, quote_node.pos), message)
                        .with_id(&id)
                        .with_help("copy the quote exactly from the source (quote marks, dashes and spaces included), and `prefix`/`suffix` too"),
                );
                None
            }
            [(s, e)] => {
                let edit = edit::insert_fields(
                    text,
                    node,
                    quote_node,
                    column,
                    &[("start", s.to_string()), ("end", e.to_string())],
                );
                Some(AnnotationEdit::Anchored {
                    id,
                    span: (*s as u64, *e as u64),
                    edit,
                })
            }
            many => {
                let list: Vec<String> = many
                    .iter()
                    .take(10)
                    .map(|&(s, e)| {
                        let (line, col) = source.line_column(s);
                        let before = one_line(source.slice(s.saturating_sub(20), s).unwrap_or(""));
                        let after = one_line(
                            source
                                .slice(e, (e + 20).min(source.char_len()))
                                .unwrap_or(""),
                        );
                        format!("{s}..{e} (line {line}, column {col}: …{before}[{quote}]{after}…)")
                    })
                    .collect();
                let mut finding = Finding::new(
                    Code::AmbiguousQuote,
                    place(rel, quote_node.pos),
                    format!("the quote of `{id}` occurs {} times; annot cannot tell which one is meant:\n  {}", many.len(), list.join("\n  ")),
                )
                .with_id(&id)
                .with_help("add `prefix:` (the words just before the one you mean) or `suffix:` (just after), or give `start` and `end` yourself");
                finding.severity = Severity::Error;
                findings.push(finding);
                None
            }
        }
    } else {
        // Offsets are given: add context only when the quote is not unique
        // and the person wrote none.
        let (Some((_, start)), Some((_, end))) = (start, end) else {
            return None;
        };
        let (Value::Int(s), Value::Int(e)) = (&start.value, &end.value) else {
            return None;
        };
        let (s, e) = (usize::try_from(*s).ok()?, usize::try_from(*e).ok()?);
        if prefix.is_some()
            || suffix.is_some()
            || occurrences.len() < 2
            || source.slice(s, e) != Some(quote)
        {
            return None;
        }
        let (new_prefix, new_suffix) =
            anchor::disambiguating_context(source, (s, e), &occurrences)?;
        let mut fields = Vec::new();
        if let Some(p) = new_prefix {
            fields.push(("prefix", yaml::quoted(&p)));
        }
        if let Some(x) = new_suffix {
            fields.push(("suffix", yaml::quoted(&x)));
        }
        if fields.is_empty() {
            return None;
        }
        let after = [quote_node, start, end]
            .into_iter()
            .max_by_key(|n| n.pos.end)
            .unwrap_or(end);
        let edit = edit::insert_fields(text, node, after, column, &fields);
        Some(AnnotationEdit::Context { id, edit })
    }
}

/// What `annot init` did with each file it is responsible for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InitAction {
    Created,
    Kept,
    Appended,
}

pub const ANNOTATIONS_SCHEMA: &str = include_str!("../schema/annotations.schema.json");
pub const VOCABULARY_SCHEMA: &str = include_str!("../schema/vocabulary.schema.json");
pub const SOURCES_SCHEMA: &str = include_str!("../schema/sources.schema.json");

const STARTER_VOCABULARY: &str = "# yaml-language-server: $schema=vocabulary.schema.json
#
# What `kind`, `rel` and `attrs` may be in this workspace's annotation files.
# `anchored: true` kinds quote a span of a source; `anchored: false` kinds
# live in files without `source`; `any` allows both.
kinds:
  claim: {anchored: true, doc: a statement of fact made in a source}
  quote: {anchored: true, doc: words a source presents as said by someone}
  entity:
    anchored: false
    doc: a person, organisation, place or event
    attrs:
      type: {values: [person, org, place, event]}
relations:
  attributed-to: {from: [claim, quote], to: [entity]}
  cites: {from: [claim, quote], to: [claim, quote]}
  contradicts: {from: [claim], to: [claim], symmetric: true}
";

const GITATTRIBUTES_RULE: &str = "seeds/** -text";

/// `annot init [DIR]`: creates the workspace layout; never overwrites.
pub fn init(dir: &Path) -> Result<Vec<(String, InitAction)>, WorkspaceError> {
    let io = |path: &str| {
        let path = path.to_string();
        move |source| WorkspaceError::Io { path, source }
    };
    let mut actions = Vec::new();
    for folder in ["annotations", "seeds", "schema"] {
        let path = dir.join(folder);
        if path.is_dir() {
            actions.push((format!("{folder}/"), InitAction::Kept));
        } else {
            fs::create_dir_all(&path).map_err(io(folder))?;
            actions.push((format!("{folder}/"), InitAction::Created));
        }
    }
    for (rel, content) in [
        ("schema/vocabulary.yaml", STARTER_VOCABULARY),
        ("schema/annotations.schema.json", ANNOTATIONS_SCHEMA),
        ("schema/vocabulary.schema.json", VOCABULARY_SCHEMA),
        ("schema/sources.schema.json", SOURCES_SCHEMA),
    ] {
        let path = dir.join(rel);
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut file) => {
                use std::io::Write;
                file.write_all(content.as_bytes()).map_err(io(rel))?;
                actions.push((rel.to_string(), InitAction::Created));
            }
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                actions.push((rel.to_string(), InitAction::Kept));
            }
            Err(err) => return Err(io(rel)(err)),
        }
    }
    let attributes = dir.join(".gitattributes");
    match fs::read(&attributes) {
        Ok(existing) => {
            let seeds_attributes = fs::read_to_string(dir.join("seeds/.gitattributes")).ok();
            if workspace::eol_protected_by(
                Some(&String::from_utf8_lossy(&existing)),
                seeds_attributes.as_deref(),
            ) {
                actions.push((".gitattributes".to_string(), InitAction::Kept));
            } else {
                let mut new = existing.clone();
                if !new.is_empty() && !new.ends_with(b"\n") {
                    new.push(b'\n');
                }
                new.extend_from_slice(GITATTRIBUTES_RULE.as_bytes());
                new.push(b'\n');
                edit::write_atomic(&attributes, &existing, &new).map_err(|err| {
                    WorkspaceError::Io {
                        path: ".gitattributes".into(),
                        source: std::io::Error::other(err.to_string()),
                    }
                })?;
                actions.push((".gitattributes".to_string(), InitAction::Appended));
            }
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            fs::write(&attributes, format!("{GITATTRIBUTES_RULE}\n"))
                .map_err(io(".gitattributes"))?;
            actions.push((".gitattributes".to_string(), InitAction::Created));
        }
        Err(err) => return Err(io(".gitattributes")(err)),
    }
    Ok(actions)
}

/// What `annot hook install` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookInstall {
    Installed(PathBuf),
    Replaced(PathBuf),
    AlreadyInstalled(PathBuf),
}

/// Marks a hook file as ours, so a second install knows it may replace it.
const HOOK_MARKER: &str = "written by `annot hook install`";

/// `annot hook install`: a git pre-commit hook that runs
/// `annot validate --staged` for this workspace. Refuses to replace a hook
/// it did not write unless `force`.
pub fn hook_install(root: &Path, force: bool) -> Result<HookInstall, WorkspaceError> {
    let git = crate::history::Git::open(root)?
        .ok_or_else(|| crate::history::HistoryError::NoRepository(root.display().to_string()))?;
    let dir = git.hooks_dir()?;
    let path = dir.join("pre-commit");
    let io = |source| WorkspaceError::Io {
        path: path.display().to_string(),
        source,
    };
    let annot = std::env::current_exe()
        .ok()
        .and_then(|p| p.canonicalize().ok())
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "annot".to_string());
    let script = format!(
        "#!/bin/sh\n\
         # annot pre-commit hook, {HOOK_MARKER}: checks the staged annotations,\n\
         # sources and vocabulary before each commit. Skip it once with\n\
         # `git commit --no-verify`; remove this file to turn it off.\n\
         annot={}\n\
         if [ ! -x \"$annot\" ]; then annot=annot; fi\n\
         \"$annot\" -C {} validate --staged\n\
         status=$?\n\
         if [ \"$status\" -ne 0 ]; then\n\
         \x20 echo \"annot: commit stopped. Fix the findings above and \\`git add\\` the files, or skip this check once with \\`git commit --no-verify\\`.\" >&2\n\
         fi\n\
         exit \"$status\"\n",
        shell_quote(&annot),
        shell_quote(git.workspace_dir())
    );
    let existing = match fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => return Err(io(err)),
    };
    let outcome = match &existing {
        Some(bytes) if bytes == script.as_bytes() => {
            return Ok(HookInstall::AlreadyInstalled(path))
        }
        Some(bytes) if !force && !String::from_utf8_lossy(bytes).contains(HOOK_MARKER) => {
            return Err(WorkspaceError::HookExists {
                path: path.display().to_string(),
            })
        }
        Some(_) => HookInstall::Replaced(path.clone()),
        None => HookInstall::Installed(path.clone()),
    };
    fs::create_dir_all(&dir).map_err(io)?;
    match &existing {
        Some(bytes) => edit::write_atomic(&path, bytes, script.as_bytes()).map_err(|err| {
            WorkspaceError::Io {
                path: path.display().to_string(),
                source: std::io::Error::other(err.to_string()),
            }
        })?,
        None => fs::write(&path, &script).map_err(io)?,
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).map_err(io)?;
    }
    Ok(outcome)
}

/// Quotes a string for a POSIX shell.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// One change of an annotation in history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnotationChange {
    pub commit: String,
    pub author: String,
    pub time: i64,
    pub summary: String,
    /// "added", "removed", or the names of the fields that changed.
    pub what: String,
}

/// A link seen from one end.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// Where the span is in the source: line and column.
    pub source_position: Option<(u32, u32)>,
    pub links_out: Vec<LinkView>,
    pub links_in: Vec<LinkView>,
    /// Oldest first; `None` when the workspace is not in a repository.
    pub history: Option<Vec<AnnotationChange>>,
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
        let ids: Vec<&str> = ws
            .files
            .iter()
            .flat_map(|f| f.annotations.iter().map(|a| a.id.value.as_str()))
            .collect();
        return Err(WorkspaceError::UnknownId {
            id: id.to_string(),
            hint: load::did_you_mean(id, &ids)
                .map(|best| format!("did you mean `{best}`?"))
                .unwrap_or_else(|| "`annot validate --format json` lists every annotation's id with its findings; `grep -rn 'id:' annotations/` lists them all".to_string()),
        });
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
    let source = file
        .source
        .as_ref()
        .and_then(|s| ws.sources.get(&s.value))
        .and_then(|s| s.as_ref().ok());
    let mut context = None;
    let mut source_position = None;
    if let (Some(source), Some((start, end))) = (source, annotation.span()) {
        let (start, end) = (start as usize, end as usize);
        if let Some(span) = source.slice(start, end) {
            let from = start.saturating_sub(SHOW_CONTEXT);
            let to = (end + SHOW_CONTEXT).min(source.char_len());
            let lead = if from > 0 { "…" } else { "" };
            let trail = if to < source.char_len() { "…" } else { "" };
            let before = format!("{lead}{}", source.slice(from, start).unwrap_or(""));
            let after = format!("{}{trail}", source.slice(end, to).unwrap_or(""));
            context = Some((before, span.to_string(), after));
            source_position = Some(source.line_column(start));
        }
    }
    let history = match crate::history::Git::open(root).ok().flatten() {
        Some(git) => Some(annotation_history(&git, &file.path, id)?),
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
        source_position,
        links_out,
        links_in,
        history,
    })
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
