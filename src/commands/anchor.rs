//! `annot anchor`: offsets from quotes, context where a quote is not unique.

use crate::anchor;
use crate::edit::{self, Edit, WriteError};
use crate::finding::{Code, Finding, Severity};
use crate::load::{self, place};
use crate::report::Texts;
use crate::source::SourceText;
use crate::workspace::{self, read_source, SourceProblem, WorkspaceError};
use crate::yaml::{self, Key, Node, Value};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
        super::resolve_paths(root, paths)?
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
            Arc::new(String::from_utf8_lossy(&bytes).into_owned()),
        );
        let planned = plan_file(root, &rel, &bytes, None);
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
                    return Err(WorkspaceError::NotWritten(format!(
                        "{rel} changed on disk while annot was working on it; nothing was written to it, run `annot anchor` again"
                    )))
                }
                Err(WriteError::Io { source, .. }) => {
                    return Err(WorkspaceError::Write { path: rel, source })
                }
                Err(other) => return Err(other.into()),
            }
        }
        result.files.push(outcome);
    }
    Ok(result)
}

struct PlannedFile {
    findings: Vec<Finding>,
    change: Option<(AnchoredFile, String)>,
    source_path: Option<String>,
    source_text: Option<Arc<String>>,
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

/// What `annot anchor` would write to a file whose text is `bytes`, for
/// the annotation `only` (and the file's pin, if it has none) or for all;
/// `None` when it would change nothing or refuse. The findings say why.
pub fn anchored_text(
    root: &Path,
    rel: &str,
    bytes: &[u8],
    only: Option<&str>,
) -> (Option<String>, Vec<Finding>) {
    let planned = plan_file(root, rel, bytes, only);
    (planned.change.map(|(_, text)| text), planned.findings)
}

fn plan_file(root: &Path, rel: &str, bytes: &[u8], only: Option<&str>) -> PlannedFile {
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
        let id = field(node, "id").and_then(|(_, n)| n.as_str());
        if only.is_some_and(|only| id != Some(only)) {
            continue;
        }
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
                let (message, help) = if occurrences.is_empty() {
                    match anchor::near_match(source, quote) {
                        Some(near) => (
                            format!("the quote of `{id}` does not occur in the source; {}", near.described(source)),
                            format!("{}, then run `annot anchor {rel}` again", near.fix()),
                        ),
                        None => (
                            format!("the quote of `{id}` does not occur in the source, not even with other quote marks, dashes or spaces"),
                            "copy the quote exactly from the source (quote marks, dashes and spaces included)".to_string(),
                        ),
                    }
                } else {
                    (
                        format!(
                            "the quote of `{id}` occurs {} times, but none has the given prefix/suffix",
                            occurrences.len()
                        ),
                        context_help(source, &occurrences, prefix, suffix),
                    )
                };
                findings.push(
                    Finding::new(Code::Unanchored, place(rel, quote_node.pos), message)
                        .with_id(&id)
                        .with_help(help),
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
                        let from = s.saturating_sub(20);
                        let to = (e + 20).min(source.char_len());
                        let lead = if from > 0 { "…" } else { "" };
                        let trail = if to < source.char_len() { "…" } else { "" };
                        let before = source.slice(from, s).unwrap_or("");
                        let after = source.slice(e, to).unwrap_or("");
                        // The context that picks this one, ready to paste.
                        let pick = match anchor::disambiguating_context(source, (s, e), many) {
                            Some((Some(p), _)) => format!(": `prefix: {}`", yaml::quoted(&p)),
                            Some((None, Some(x))) => format!(": `suffix: {}`", yaml::quoted(&x)),
                            _ => String::new(),
                        };
                        format!(
                            "{s}..{e} (line {line}, column {col}: {lead}{}[{quote}]{}{trail}){pick}",
                            crate::report::visible(before),
                            crate::report::visible(after)
                        )
                    })
                    .collect();
                let mut finding = Finding::new(
                    Code::AmbiguousQuote,
                    place(rel, quote_node.pos),
                    format!("the quote of `{id}` occurs {} times; annot cannot tell which one is meant:\n  {}", many.len(), list.join("\n  ")),
                )
                .with_id(&id)
                .with_help("add the `prefix:` or `suffix:` shown beside the one you mean (the text just before or after it, spaces included), or give `start` and `end` yourself");
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

/// The help for a prefix or suffix that no occurrence has: when one has it
/// but for the spaces between it and the quote, the exact context to write.
fn context_help(
    source: &SourceText,
    occurrences: &[(usize, usize)],
    prefix: Option<&str>,
    suffix: Option<&str>,
) -> String {
    let fits = |(start, end): (usize, usize)| {
        let before = source.slice(start.saturating_sub(200), start).unwrap_or("");
        let after = source
            .slice(end, (end + 200).min(source.char_len()))
            .unwrap_or("");
        let prefix = prefix.map(|p| {
            let p = p.trim();
            let bare = before.trim_end();
            (!p.is_empty() && bare.ends_with(p)).then(|| {
                let from = bare.len() - p.len();
                before[from..].to_string()
            })
        });
        let suffix = suffix.map(|x| {
            let x = x.trim();
            let bare = after.trim_start();
            (!x.is_empty() && bare.starts_with(x)).then(|| {
                let to = after.len() - bare.len() + x.len();
                after[..to].to_string()
            })
        });
        match (prefix, suffix) {
            (Some(None), _) | (_, Some(None)) => None,
            (prefix, suffix) => Some((prefix.flatten(), suffix.flatten())),
        }
    };
    let near: Vec<_> = occurrences
        .iter()
        .filter_map(|&o| fits(o).map(|c| (o, c)))
        .collect();
    if let [((start, end), (prefix, suffix))] = near.as_slice() {
        let mut fields = Vec::new();
        if let Some(p) = prefix {
            fields.push(format!("`prefix: {}`", yaml::quoted(p)));
        }
        if let Some(x) = suffix {
            fields.push(format!("`suffix: {}`", yaml::quoted(x)));
        }
        return format!(
            "the occurrence at {start}..{end} has this context but for the spaces next to the quote (a prefix ends exactly where the quote starts, a suffix starts where it ends): write {}",
            fields.join(" and ")
        );
    }
    "copy `prefix` (the text just before the quote, up to it) and `suffix` (just after) exactly from the source, spaces included".to_string()
}

/// One way to place an annotation: what it does, in words, and the file's
/// text once done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub title: String,
    pub text: String,
}

/// The annotation `id` of a file that loads without structural problems,
/// whose source reads and still has the pinned text: what the choices
/// below start from.
struct Editable {
    text: String,
    node: Node,
    source: SourceText,
    quote: String,
    prefix: Option<String>,
    suffix: Option<String>,
}

fn editable(root: &Path, rel: &str, bytes: &[u8], id: &str) -> Option<(Editable, usize)> {
    let loaded = load::annotation_file(rel, bytes);
    if loaded.findings.iter().any(|f| f.code.is_structural()) {
        return None;
    }
    let file = loaded.value?;
    let source = read_source(root, &file.source.as_ref()?.value).ok()?;
    if file
        .sha256
        .as_ref()
        .is_some_and(|pin| pin.value != source.sha256())
    {
        return None;
    }
    let text = file.text.to_string();
    let root_node = yaml::parse_str(&text).ok()?;
    let items = match field(&root_node, "annotations").map(|(_, n)| &n.value) {
        Some(Value::Seq(items)) => items.clone(),
        _ => return None,
    };
    let index = items
        .iter()
        .position(|n| field(n, "id").and_then(|(_, v)| v.as_str()) == Some(id))?;
    let node = items[index].clone();
    let string = |name| {
        field(&node, name)
            .and_then(|(_, n)| n.as_str())
            .map(str::to_string)
    };
    let quote = string("quote")?;
    let (prefix, suffix) = (string("prefix"), string("suffix"));
    Some((
        Editable {
            text,
            node,
            source,
            quote,
            prefix,
            suffix,
        },
        index,
    ))
}

/// `edits` applied, if the file then reads back with the same annotations
/// and `id` at `span`.
fn verified(
    rel: &str,
    original: &str,
    edits: &[Edit],
    id: &str,
    span: (u64, u64),
) -> Option<String> {
    let new_text = edit::apply(original, edits);
    let before = load::annotation_file(rel, original.as_bytes()).value?;
    let after = load::annotation_file(rel, new_text.as_bytes());
    if after.findings.iter().any(|f| f.code.is_structural()) {
        return None;
    }
    let after = after.value?;
    let same = after.annotations.len() == before.annotations.len()
        && after
            .annotations
            .iter()
            .zip(&before.annotations)
            .all(|(new, old)| {
                new.id.value == old.id.value
                    && new.quote.as_ref().map(|q| &q.value) == old.quote.as_ref().map(|q| &q.value)
                    && (new.id.value != id || new.span() == Some(span))
            });
    same.then_some(new_text)
}

/// For an annotation without offsets whose quote occurs several times: one
/// choice per occurrence (at most `limit`), each giving `start`/`end` and
/// the `prefix` or `suffix` that picks it, as `annot anchor` writes them.
pub fn occurrence_choices(
    root: &Path,
    rel: &str,
    bytes: &[u8],
    id: &str,
    limit: usize,
) -> Vec<Choice> {
    let Some((e, _)) = editable(root, rel, bytes, id) else {
        return Vec::new();
    };
    if field(&e.node, "start").is_some() || field(&e.node, "end").is_some() {
        return Vec::new();
    }
    let occurrences = e.source.occurrences(&e.quote);
    let candidates = anchor::select_by_context(
        &e.source,
        &occurrences,
        e.prefix.as_deref(),
        e.suffix.as_deref(),
    );
    if candidates.len() < 2 {
        return Vec::new();
    }
    let Some((quote_key, quote_node)) = field(&e.node, "quote") else {
        return Vec::new();
    };
    let column = quote_key.pos.column;
    let mut choices = Vec::new();
    for &(s, end) in candidates.iter().take(limit) {
        let mut fields = vec![("start", s.to_string()), ("end", end.to_string())];
        let mut shown = String::new();
        match anchor::disambiguating_context(&e.source, (s, end), &candidates) {
            Some((Some(p), _)) if e.prefix.is_none() => {
                shown = format!(", prefix {}", yaml::quoted(&p));
                fields.push(("prefix", yaml::quoted(&p)));
            }
            Some((None, Some(x))) if e.suffix.is_none() => {
                shown = format!(", suffix {}", yaml::quoted(&x));
                fields.push(("suffix", yaml::quoted(&x)));
            }
            _ => {}
        }
        let edit = edit::insert_fields(&e.text, &e.node, quote_node, column, &fields);
        if let Some(text) = verified(rel, &e.text, &[edit], id, (s as u64, end as u64)) {
            let (line, col) = e.source.line_column(s);
            choices.push(Choice {
                title: format!("Anchor `{id}` at {s}..{end} (line {line}, column {col}{shown})"),
                text,
            });
        }
    }
    choices
}

/// For an annotation whose offsets do not hold its quote: the offsets moved
/// to where the quote occurs, when it occurs once (or its context picks
/// one occurrence).
pub fn moved_to_quote(root: &Path, rel: &str, bytes: &[u8], id: &str) -> Option<Choice> {
    let (e, _) = editable(root, rel, bytes, id)?;
    let (_, start) = field(&e.node, "start")?;
    let (_, end) = field(&e.node, "end")?;
    let given = (start.value.clone(), end.value.clone());
    let occurrences = e.source.occurrences(&e.quote);
    let [(s, x)] = anchor::select_by_context(
        &e.source,
        &occurrences,
        e.prefix.as_deref(),
        e.suffix.as_deref(),
    )[..] else {
        return None;
    };
    if given == (Value::Int(s as i64), Value::Int(x as i64)) {
        return None;
    }
    let edits = [
        edit::replace_scalar(start, s.to_string()),
        edit::replace_scalar(end, x.to_string()),
    ];
    let text = verified(rel, &e.text, &edits, id, (s as u64, x as u64))?;
    Some(Choice {
        title: format!("Move `{id}` to {s}..{x}, where its quote occurs"),
        text,
    })
}
