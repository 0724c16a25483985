//! What every import shares: the documents placed in `seeds/` (an existing
//! seed with the same text is reused; a different one is never
//! overwritten), every annotation anchored by the rules `annot anchor`
//! uses, ids made readable and unique, links resolved, the vocabulary
//! extended without changing what it declares, and all files written or
//! none.

use super::{Format, Listed};
use crate::anchor;
use crate::edit;
use crate::load;
use crate::model::{Anchored, AttrType, Vocabulary};
use crate::rules::references::attr_value_problem;
use crate::source::SourceText;
use crate::workspace::{self, Tree, Workspace, WorkspaceError, VOCABULARY_PATH};
use crate::yaml::{self, Value as Y};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What a format read from its files, before it meets the workspace.
#[derive(Default)]
pub struct Incoming {
    pub documents: Vec<IncomingDoc>,
    /// Items not anchored to text.
    pub items: Vec<IncomingAnn>,
    pub declarations: Declarations,
    pub listed: Vec<Listed>,
    /// brat: which link a relation id became, for its notes.
    pub link_of: BTreeMap<String, (String, usize)>,
}

/// Types a format declares (brat's annotation.conf).
#[derive(Default)]
pub struct Declarations {
    pub kinds: BTreeMap<String, ()>,
    /// name → (from types, to types, symmetric).
    pub relations: BTreeMap<String, (Vec<String>, Vec<String>, bool)>,
    /// name → (the types it is on, the allowed values).
    pub attrs: BTreeMap<String, (Vec<String>, Option<Vec<String>>)>,
    pub events: BTreeSet<String>,
}

pub struct IncomingDoc {
    /// Where it came from, for messages.
    pub name: String,
    /// The seed path the format suggests (`seeds/…`).
    pub seed_hint: Option<String>,
    pub content: DocContent,
    pub annotations: Vec<IncomingAnn>,
}

pub enum DocContent {
    /// The document's bytes (brat, JSON Lines).
    Text(Vec<u8>),
    /// An IRI naming the document (W3C): found in the workspace by its
    /// `ni:` hash or its URL in `seeds/sources.yaml`.
    Reference { iri: String, via: Option<String> },
}

pub struct IncomingAnn {
    pub id: String,
    pub kind: Option<String>,
    /// W3C tags: the first that is a declared kind becomes the kind.
    pub tags: Vec<String>,
    pub target: Target,
    pub attrs: Vec<(String, Value)>,
    /// Where each attr was written, when not at `place` (brat's A lines).
    pub attr_places: BTreeMap<String, String>,
    pub note: Option<String>,
    pub links: Vec<IncomingLink>,
    pub place: String,
}

pub enum Target {
    /// Source-less.
    None,
    /// Code points of the incoming text; `text` as the format gave it.
    Offsets {
        start: usize,
        end: usize,
        text: Option<String>,
    },
    /// A quote to find, with context and a position as a hint.
    Quote {
        exact: String,
        prefix: Option<String>,
        suffix: Option<String>,
        position: Option<(usize, usize)>,
    },
}

pub struct IncomingLink {
    pub rel: String,
    /// An incoming id (or an id already in the workspace).
    pub target: String,
    pub note: Option<String>,
    pub place: String,
}

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    pub dry_run: bool,
    /// Put before every imported id (`PREFIX.id`).
    pub prefix: Option<String>,
    /// The kind of a W3C annotation none of whose tags is a declared kind.
    pub default_kind: Option<String>,
}

/// One file an import writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub path: String,
    pub what: String,
}

/// What `annot import` did (or, with `--dry-run`, would do).
pub struct Imported {
    pub files: Vec<Planned>,
    pub annotations: usize,
    pub listed: Vec<Listed>,
    pub written: bool,
}

impl Imported {
    pub fn not_imported(&self) -> usize {
        self.listed.iter().filter(|l| l.dropped).count()
    }
}

/// `1 annotation`, `2 annotations`.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// An id made of what annot allows: letters, digits and `._:-`, starting
/// with a letter or digit.
pub fn clean_id(raw: &str) -> String {
    let mut out: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    while out.starts_with(|c: char| !c.is_ascii_alphanumeric()) {
        out.remove(0);
    }
    if out.is_empty() {
        out.push_str("imported");
    }
    out
}

/// A document placed in the workspace.
struct Placed {
    seed: String,
    text: Arc<SourceText>,
    /// Incoming code point → seed code point, when the incoming text is
    /// the seed's with CRLF written as LF (brat).
    map: Option<Vec<usize>>,
    /// The bytes to write, when the seed is new.
    new: Option<Vec<u8>>,
}

/// A span found in a seed: start, end, quote, and the context to write.
struct ReadySpan {
    start: usize,
    end: usize,
    quote: String,
    prefix: Option<String>,
    suffix: Option<String>,
}

/// A link whose target is known: rel, target, note.
struct ReadyLink {
    rel: String,
    target: String,
    note: Option<String>,
}

/// An annotation ready to be written.
struct Ready {
    id: String,
    kind: String,
    span: Option<ReadySpan>,
    attrs: Vec<(String, Value)>,
    attr_places: BTreeMap<String, String>,
    note: Option<String>,
    links: Vec<ReadyLink>,
    place: String,
}

/// What the vocabulary must gain.
#[derive(Default)]
struct NewKind {
    anchored: bool,
    unanchored: bool,
    attrs: BTreeMap<String, Vec<Value>>,
    values: BTreeMap<String, Vec<String>>,
}

pub fn import(
    root: &Path,
    format: Format,
    input: &Path,
    incoming: Incoming,
    options: &ImportOptions,
) -> Result<Imported, WorkspaceError> {
    let ws = Workspace::load(root, &Tree::WorkTree)?;
    if let Some(f) = ws
        .findings
        .iter()
        .find(|f| f.place.file == VOCABULARY_PATH && f.code.is_structural())
    {
        return Err(WorkspaceError::NotWritten(format!(
            "{VOCABULARY_PATH} cannot be read ({}, line {}); fix it first (`annot validate` shows how), then import again",
            f.message, f.place.line
        )));
    }
    let vocabulary = ws.vocabulary.clone().unwrap_or_default();
    let mut listed = incoming.listed;
    let mut existing_ids: BTreeMap<String, String> = BTreeMap::new();
    for file in &ws.files {
        for a in &file.annotations {
            existing_ids.insert(a.id.value.clone(), a.kind.value.clone());
        }
    }
    let mut seeds = Seeds::new(root, &ws);

    // Kinds, attrs and relations the import needs, beside what exists.
    let mut new_kinds: BTreeMap<String, NewKind> = BTreeMap::new();
    let mut new_relations: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>, bool)> =
        BTreeMap::new();
    let mut renamed_names: BTreeMap<String, String> = BTreeMap::new();
    let mut name = |raw: &str, listed: &mut Vec<Listed>| -> String {
        let clean = clean_id(raw);
        if clean != raw
            && renamed_names
                .insert(raw.to_string(), clean.clone())
                .is_none()
        {
            listed.push(Listed::changed(
                input.display().to_string(),
                format!("the name `{raw}` is written `{clean}` (annot names hold letters, digits and `._:-`)"),
            ));
        }
        clean
    };
    let declared = &incoming.declarations;
    for kind in declared.kinds.keys().chain(declared.events.iter()) {
        let k = name(kind, &mut listed);
        if !vocabulary.kinds.contains_key(&k) {
            new_kinds.entry(k).or_default().anchored = true;
        }
    }
    for (attr, (on, values)) in &declared.attrs {
        let a = name(attr, &mut listed);
        for kind in on {
            let k = name(kind, &mut listed);
            if let Some(def) = vocabulary.kinds.get(&k) {
                if !def.attrs.contains_key(&a) {
                    listed.push(Listed::dropped(
                        input.display().to_string(),
                        format!("annotation.conf declares the attribute `{a}` on `{k}`, which the vocabulary declares without it; annot does not change a declaration that exists (add `{a}` to `{k}` in {VOCABULARY_PATH} and import again)"),
                    ));
                }
            }
            if let Some(nk) = new_kinds.get_mut(&k) {
                nk.attrs.entry(a.clone()).or_default();
                if let Some(values) = values {
                    nk.values.insert(a.clone(), values.clone());
                }
            }
        }
    }
    // A relation's argument types that are kinds; brat's catch-alls
    // (`Span`, `<ENTITY>`) are not, and the links' own kinds fill in.
    let is_kind = |k: &String| new_kinds.contains_key(k) || vocabulary.kinds.contains_key(k);
    for (rel, (from, to, symmetric)) in &declared.relations {
        let r = name(rel, &mut listed);
        if vocabulary.relations.contains_key(&r) {
            continue;
        }
        let from: Vec<String> = from.iter().map(|k| clean_id(k)).filter(is_kind).collect();
        let to: Vec<String> = to.iter().map(|k| clean_id(k)).filter(is_kind).collect();
        let entry = new_relations.entry(r).or_default();
        entry.0.extend(from);
        entry.1.extend(to);
        entry.2 |= symmetric;
    }

    // Place every document.
    let mut placed: Vec<(Placed, Vec<IncomingAnn>)> = Vec::new();
    for doc in incoming.documents {
        match seeds.place(&doc, format) {
            Ok(p) => placed.push((p, doc.annotations)),
            Err(why) => match doc.content {
                // A W3C document is only a name: each annotation on it is
                // listed where it is in the input.
                DocContent::Reference { .. } => {
                    for a in &doc.annotations {
                        listed.push(Listed::dropped(
                            a.place.clone(),
                            format!("`{}`: {why}", a.id),
                        ));
                    }
                }
                DocContent::Text(_) => {
                    let n = doc.annotations.len();
                    listed.push(Listed::dropped(
                        doc.name.clone(),
                        format!("{why}; {} not imported", count(n, "annotation")),
                    ));
                }
            },
        }
    }

    // Ids: prefix, cleaned, never one that exists.
    let prefix = options.prefix.as_deref().map(|p| {
        if p.ends_with(['.', ':', '-', '_']) {
            p.to_string()
        } else {
            format!("{p}.")
        }
    });
    let mut taken: BTreeSet<String> = existing_ids.keys().cloned().collect();
    let mut final_id: HashMap<String, String> = HashMap::new();
    let mut make_id = |raw: &str, place: &str, listed: &mut Vec<Listed>| -> String {
        let base = clean_id(&format!("{}{raw}", prefix.as_deref().unwrap_or("")));
        let mut id = base.clone();
        let mut n = 1;
        while taken.contains(&id) {
            n += 1;
            id = format!("{base}-{n}");
        }
        if id != base {
            listed.push(Listed::changed(
                place,
                format!("the id `{base}` is taken; imported as `{id}`"),
            ));
        }
        taken.insert(id.clone());
        final_id
            .entry(raw.to_string())
            .or_insert_with(|| id.clone());
        id
    };

    // Anchor.
    let mut by_seed: BTreeMap<String, (Arc<SourceText>, Vec<Ready>)> = BTreeMap::new();
    let mut new_seeds: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut ready_items: Vec<Ready> = Vec::new();
    let mut pending_links: Vec<(String, Vec<IncomingLink>)> = Vec::new();
    let mut kind_of_new: BTreeMap<String, String> = BTreeMap::new();
    for (doc, annotations) in placed {
        // Anchoring reads only the text: every annotation at once.
        let spans: Vec<Result<ReadySpan, String>> = {
            use rayon::prelude::*;
            annotations
                .par_iter()
                .map(|a| anchor_one(&doc, a))
                .collect()
        };
        for (a, span) in annotations.into_iter().zip(spans) {
            let Some(kind) = kind_for(&a, &vocabulary, &new_kinds, options, &mut listed) else {
                continue;
            };
            let kind = name(&kind, &mut listed);
            let span = match span {
                Ok(span) => span,
                Err(why) => {
                    listed.push(Listed::dropped(
                        a.place.clone(),
                        format!("`{}`: {why}", a.id),
                    ));
                    continue;
                }
            };
            if let Some(def) = vocabulary.kinds.get(&kind) {
                if def.anchored == Anchored::Never {
                    listed.push(Listed::dropped(
                        a.place.clone(),
                        format!("`{}`: the kind `{kind}` is declared `anchored: false`, but this annotation quotes text", a.id),
                    ));
                    continue;
                }
            } else {
                new_kinds.entry(kind.clone()).or_default().anchored = true;
            }
            let id = make_id(&a.id, &a.place, &mut listed);
            kind_of_new.insert(id.clone(), kind.clone());
            pending_links.push((id.clone(), a.links));
            let entry = by_seed
                .entry(doc.seed.clone())
                .or_insert_with(|| (doc.text.clone(), Vec::new()));
            entry.1.push(Ready {
                id,
                kind,
                span: Some(span),
                attrs: a.attrs,
                attr_places: a.attr_places,
                note: a.note,
                links: Vec::new(),
                place: a.place,
            });
        }
        if let Some(bytes) = doc.new {
            if by_seed.contains_key(&doc.seed) {
                new_seeds.insert(doc.seed.clone(), bytes);
            }
        }
    }
    for a in incoming.items {
        let Some(kind) = kind_for(&a, &vocabulary, &new_kinds, options, &mut listed) else {
            continue;
        };
        let kind = name(&kind, &mut listed);
        if let Some(def) = vocabulary.kinds.get(&kind) {
            if def.anchored == Anchored::Always {
                listed.push(Listed::dropped(
                    a.place.clone(),
                    format!("`{}`: the kind `{kind}` is declared `anchored: true`, but this item quotes no text", a.id),
                ));
                continue;
            }
        } else {
            new_kinds.entry(kind.clone()).or_default().unanchored = true;
        }
        let id = make_id(&a.id, &a.place, &mut listed);
        kind_of_new.insert(id.clone(), kind.clone());
        pending_links.push((id.clone(), a.links));
        ready_items.push(Ready {
            id,
            kind,
            span: None,
            attrs: a.attrs,
            attr_places: a.attr_places,
            note: a.note,
            links: Vec::new(),
            place: a.place,
        });
    }

    // Links, now that every id is known.
    let mut links_of: HashMap<String, Vec<ReadyLink>> = HashMap::new();
    for (from, links) in pending_links {
        let from_kind = kind_of_new.get(&from).cloned().unwrap_or_default();
        for link in links {
            let target = match final_id.get(&link.target) {
                Some(id) => id.clone(),
                None if existing_ids.contains_key(&link.target) => link.target.clone(),
                None => {
                    listed.push(Listed::dropped(
                        link.place.clone(),
                        format!("the link {} from `{from}` to `{}`: nothing with that id was imported or is in the workspace", link.rel, link.target),
                    ));
                    continue;
                }
            };
            let to_kind = kind_of_new
                .get(&target)
                .or_else(|| existing_ids.get(&target))
                .cloned()
                .unwrap_or_default();
            let rel = name(&link.rel, &mut listed);
            if let Some(def) = vocabulary.relations.get(&rel) {
                let fits = |from: &str, to: &str| {
                    def.from.iter().any(|k| k.value == from) && def.to.iter().any(|k| k.value == to)
                };
                if !(fits(&from_kind, &to_kind) || (def.symmetric && fits(&to_kind, &from_kind))) {
                    listed.push(Listed::dropped(
                        link.place.clone(),
                        format!("the link {rel} from `{from}` ({from_kind}) to `{target}` ({to_kind}): the vocabulary's `{rel}` does not join those kinds, and annot does not change a declaration that exists"),
                    ));
                    continue;
                }
            } else {
                let entry = new_relations.entry(rel.clone()).or_default();
                entry.0.insert(from_kind.clone());
                entry.1.insert(to_kind.clone());
            }
            links_of.entry(from.clone()).or_default().push(ReadyLink {
                rel,
                target,
                note: link.note,
            });
        }
    }

    // Attrs: declared ones must fit; new kinds declare what they carry.
    let mut attr_name = |raw: &str, listed: &mut Vec<Listed>| name(raw, listed);
    let mut check_attrs = |r: &mut Ready, listed: &mut Vec<Listed>| {
        let attrs = std::mem::take(&mut r.attrs);
        for (raw, value) in attrs {
            let place = r.attr_places.get(&raw).unwrap_or(&r.place).clone();
            let attr = attr_name(&raw, listed);
            let Some(text) = yaml_value(&value) else {
                listed.push(Listed::dropped(
                    place.clone(),
                    format!("`{}`: the value of `{attr}` is not a string, number or boolean, or a list of them", r.id),
                ));
                continue;
            };
            if let Some(def) = vocabulary.kinds.get(&r.kind) {
                let Some(attr_def) = def.attrs.get(&attr) else {
                    listed.push(Listed::dropped(
                        place.clone(),
                        format!("`{}`: the kind `{}` declares no attr `{attr}`, and annot does not change a declaration that exists (add it to the vocabulary and import again)", r.id, r.kind),
                    ));
                    continue;
                };
                let node =
                    yaml::parse_str(&format!("v: {text}\n"))
                        .ok()
                        .and_then(|n| match n.value {
                            Y::Map(mut entries) if entries.len() == 1 => Some(entries.remove(0).1),
                            _ => None,
                        });
                // A list's items are each checked, as `annot validate` does.
                let problem = node.as_ref().and_then(|n| match &n.value {
                    Y::Seq(items) => items.iter().find_map(|item| {
                        attr_value_problem(attr_def.value_type, attr_def.values.as_deref(), item)
                    }),
                    _ => attr_value_problem(attr_def.value_type, attr_def.values.as_deref(), n),
                });
                if let Some(problem) = problem {
                    listed.push(Listed::dropped(
                        place.clone(),
                        format!(
                            "`{}`: the value of `{attr}` does not fit the vocabulary: {problem}",
                            r.id
                        ),
                    ));
                    continue;
                }
            } else if let Some(nk) = new_kinds.get_mut(&r.kind) {
                let seen = nk.attrs.entry(attr.clone()).or_default();
                match &value {
                    Value::Array(items) => seen.extend(items.iter().cloned()),
                    other => seen.push(other.clone()),
                }
            }
            r.attrs.push((attr, value));
        }
    };
    for (_, list) in by_seed.values_mut() {
        for r in list.iter_mut() {
            check_attrs(r, &mut listed);
            r.links = links_of.remove(&r.id).unwrap_or_default();
        }
    }
    for r in ready_items.iter_mut() {
        check_attrs(r, &mut listed);
        r.links = links_of.remove(&r.id).unwrap_or_default();
    }

    // The files.
    let mut files: Vec<Write> = Vec::new();
    let mut summary: Vec<Planned> = Vec::new();
    for (seed, bytes) in &new_seeds {
        summary.push(Planned {
            path: seed.clone(),
            what: format!("new source ({} bytes)", bytes.len()),
        });
        files.push(Write {
            path: seed.clone(),
            original: None,
            new: bytes.clone(),
        });
    }
    let mut planned_paths: BTreeSet<String> = BTreeSet::new();
    let header = format!(
        "# Imported by `annot import {}` from {}.\n",
        format.name(),
        crate::report::visible(&input.display().to_string()).replace('\n', " ")
    );
    let mut annotations = 0;
    for (seed, (text, mut list)) in by_seed {
        if list.is_empty() {
            continue;
        }
        list.sort_by_key(|r| r.span.as_ref().map(|s| (s.start, s.end)));
        let stem = seed.strip_prefix("seeds/").unwrap_or(&seed);
        let stem = stem.rsplit_once('.').map_or(stem, |(s, _)| s);
        let path = free_path(root, &format!("annotations/{stem}"), &mut planned_paths);
        let mut yaml = header.clone();
        let _ = writeln!(yaml, "source: {}", edit::scalar(&seed));
        let _ = writeln!(yaml, "sha256: {}", text.sha256());
        yaml.push_str("annotations:\n");
        for r in &list {
            write_annotation(&mut yaml, r);
        }
        annotations += list.len();
        summary.push(Planned {
            path: path.clone(),
            what: format!("{} on {seed}", count(list.len(), "annotation")),
        });
        files.push(Write {
            path,
            original: None,
            new: yaml.into_bytes(),
        });
    }
    if !ready_items.is_empty() {
        let path = free_path(root, "annotations/imported-items", &mut planned_paths);
        let mut yaml = header.clone();
        yaml.push_str("annotations:\n");
        for r in &ready_items {
            write_annotation(&mut yaml, r);
        }
        annotations += ready_items.len();
        summary.push(Planned {
            path: path.clone(),
            what: format!("{} not anchored to text", count(ready_items.len(), "item")),
        });
        files.push(Write {
            path,
            original: None,
            new: yaml.into_bytes(),
        });
    }
    // The vocabulary.
    // A relation no link uses and whose declared argument types are not
    // kinds cannot be declared (it would join nothing).
    new_relations.retain(|r, (from, to, _)| {
        from.retain(|k| !k.is_empty());
        to.retain(|k| !k.is_empty());
        let usable = !from.is_empty() && !to.is_empty();
        if !usable {
            listed.push(Listed::changed(
                input.display().to_string(),
                format!("the relation `{r}` was not declared: no imported link uses it and its argument types are not kinds"),
            ));
        }
        usable
    });
    if !new_kinds.is_empty() || !new_relations.is_empty() {
        let original = fs::read(root.join(VOCABULARY_PATH)).ok();
        let text = original
            .as_deref()
            .map(|b| String::from_utf8_lossy(b).into_owned());
        let new_text = extend_vocabulary(text.as_deref(), &new_kinds, &new_relations)
            .ok_or_else(|| {
                WorkspaceError::NotWritten(format!(
                    "{VOCABULARY_PATH} is laid out in a way annot cannot extend safely (it needs `kinds:` and `relations:` as mappings); nothing was imported. Add these by hand and import again: {}",
                    new_kinds.keys().chain(new_relations.keys()).cloned().collect::<Vec<_>>().join(", ")
                ))
            })?;
        let check = load::vocabulary(VOCABULARY_PATH, new_text.as_bytes());
        let before = text
            .as_deref()
            .map(|t| {
                load::vocabulary(VOCABULARY_PATH, t.as_bytes())
                    .findings
                    .len()
            })
            .unwrap_or(0);
        let grew = check.value.as_ref().is_some_and(|v: &Vocabulary| {
            new_kinds.keys().all(|k| v.kinds.contains_key(k))
                && new_relations.keys().all(|r| v.relations.contains_key(r))
                && vocabulary.kinds.keys().all(|k| v.kinds.contains_key(k))
        });
        if !grew || check.findings.len() > before {
            return Err(WorkspaceError::NotWritten(format!(
                "annot could not extend {VOCABULARY_PATH} safely ({}); nothing was imported",
                check
                    .findings
                    .first()
                    .map_or("the result did not read back".to_string(), |f| f
                        .message
                        .clone())
            )));
        }
        let added: Vec<String> = new_kinds
            .keys()
            .map(|k| format!("kind {k}"))
            .chain(new_relations.keys().map(|r| format!("relation {r}")))
            .collect();
        summary.push(Planned {
            path: VOCABULARY_PATH.to_string(),
            what: format!("declares {}", added.join(", ")),
        });
        files.push(Write {
            path: VOCABULARY_PATH.to_string(),
            original,
            new: new_text.into_bytes(),
        });
    }
    // Read back every annotation file written: it must load cleanly.
    let unreadable = {
        use rayon::prelude::*;
        files
            .par_iter()
            .filter(|f| f.path.starts_with("annotations/"))
            .find_map_first(|f| {
                let loaded = load::annotation_file(&f.path, &f.new);
                let problem = loaded
                    .findings
                    .into_iter()
                    .find(|x| x.code.is_structural())?;
                Some((f.path.clone(), problem.message))
            })
    };
    if let Some((path, message)) = unreadable {
        return Err(WorkspaceError::NotWritten(format!(
            "annot made {path} but it does not read back ({message}); nothing was imported — this is a bug in annot, please report it"
        )));
    }
    let written = if options.dry_run || files.is_empty() {
        false
    } else {
        commit(root, &files)?;
        true
    };
    Ok(Imported {
        files: summary,
        annotations,
        listed,
        written,
    })
}

/// `annotations/STEM.yaml`, or the first of `STEM.imported.yaml`,
/// `STEM.imported-2.yaml`… that neither exists nor is planned.
fn free_path(root: &Path, stem: &str, planned: &mut BTreeSet<String>) -> String {
    let mut n = 0;
    loop {
        let path = match n {
            0 => format!("{stem}.yaml"),
            1 => format!("{stem}.imported.yaml"),
            _ => format!("{stem}.imported-{n}.yaml"),
        };
        if !planned.contains(&path) && fs::symlink_metadata(root.join(&path)).is_err() {
            planned.insert(path.clone());
            return path;
        }
        n += 1;
    }
}

/// The kind of an incoming annotation: the format's, or (W3C) the first
/// tag that is a declared kind, else `--default-kind`, else the only tag.
fn kind_for(
    a: &IncomingAnn,
    vocabulary: &Vocabulary,
    new_kinds: &BTreeMap<String, NewKind>,
    options: &ImportOptions,
    listed: &mut Vec<Listed>,
) -> Option<String> {
    if let Some(k) = &a.kind {
        return Some(k.clone());
    }
    let declared = |t: &str| vocabulary.kinds.contains_key(t) || new_kinds.contains_key(t);
    let chosen = a
        .tags
        .iter()
        .find(|t| declared(t))
        .or(options.default_kind.as_ref());
    if let Some(kind) = chosen {
        let others: Vec<&str> = a
            .tags
            .iter()
            .filter(|t| *t != kind)
            .map(String::as_str)
            .collect();
        if !others.is_empty() {
            listed.push(Listed::dropped(
                a.place.clone(),
                format!(
                    "`{}`: its tags {} are not kept (annot keeps one tag, as the kind `{kind}`)",
                    a.id,
                    others.join(", ")
                ),
            ));
        }
        return Some(kind.clone());
    }
    if let [only] = a.tags.as_slice() {
        return Some(only.clone());
    }
    listed.push(Listed::dropped(
        a.place.clone(),
        if a.tags.is_empty() {
            format!("`{}` has no tag to take its kind from; pass `--default-kind KIND`", a.id)
        } else {
            format!(
                "`{}`: none of its tags ({}) is a declared kind; pass `--default-kind KIND` or declare one of them in {VOCABULARY_PATH}",
                a.id,
                a.tags.join(", ")
            )
        },
    ));
    None
}

/// The span of an incoming annotation in its seed, with the context to
/// write where the quote is not unique.
fn anchor_one(doc: &Placed, a: &IncomingAnn) -> Result<ReadySpan, String> {
    let source = &*doc.text;
    let mut found: Option<Vec<(usize, usize)>> = None;
    let (start, end) = match &a.target {
        Target::None => return Err("it has no place in the text".to_string()),
        Target::Offsets { start, end, text } => {
            let incoming_len = doc.map.as_ref().map_or(source.char_len(), |m| m.len() - 1);
            if start >= end {
                return Err(format!("the span {start}..{end} is empty or reversed"));
            }
            if *end > incoming_len {
                let hint = match text.as_deref().map(|t| source.occurrences(t)) {
                    Some(found) if !found.is_empty() => format!(
                        "; its text occurs at {}..{}: were the offsets counted in UTF-16 units or bytes instead of code points?",
                        found[0].0, found[0].1
                    ),
                    _ => String::new(),
                };
                return Err(format!(
                    "the span {start}..{end} goes beyond the end of the text ({incoming_len} characters){hint}"
                ));
            }
            let (s, e) = match &doc.map {
                Some(m) => (m[*start], m[*end]),
                None => (*start, *end),
            };
            if let Some(expected) = text {
                let found = source.slice(s, e).unwrap_or("");
                if doc.map.is_none() && found != expected {
                    let hint = match source.occurrences(expected).as_slice() {
                        [] => "the offsets must count code points (as Python's str does) of the text".to_string(),
                        [(a, b)] => format!("the text occurs at {a}..{b}: were the offsets counted in UTF-16 units or bytes instead of code points?"),
                        many => format!("the text occurs {} times, first at {}..{}: were the offsets counted in UTF-16 units or bytes instead of code points?", many.len(), many[0].0, many[0].1),
                    };
                    return Err(format!(
                        "the text at {start}..{end} is \"{}\", not its `text` \"{}\"; {hint}",
                        crate::report::visible(found),
                        crate::report::visible(expected)
                    ));
                }
            }
            (s, e)
        }
        Target::Quote {
            exact,
            prefix,
            suffix,
            position,
        } => {
            let occurrences = source.occurrences(exact);
            found = Some(occurrences.clone());
            let candidates = anchor::select_by_context(
                source,
                &occurrences,
                prefix.as_deref(),
                suffix.as_deref(),
            );
            let listing = |spans: &[(usize, usize)]| {
                spans
                    .iter()
                    .take(10)
                    .map(|(s, e)| format!("{s}..{e}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            match candidates.as_slice() {
                [one] => *one,
                [] if occurrences.is_empty() => {
                    return Err(match anchor::near_match(source, exact) {
                        Some(near) => format!(
                            "its quote does not occur in {}; {}",
                            doc.seed,
                            near.described(source)
                        ),
                        None => format!("its quote does not occur in {}", doc.seed),
                    })
                }
                // The context disagrees; a position that names one of the
                // occurrences exactly is a second selector that agrees.
                [] => match position {
                    Some(p) if occurrences.contains(p) => *p,
                    _ => {
                        return Err(format!(
                            "its quote occurs {} in {} ({}), but not with its prefix/suffix; not guessed — the text may have changed since it was annotated",
                            if occurrences.len() == 1 { "once".to_string() } else { format!("{} times", occurrences.len()) },
                            doc.seed,
                            listing(&occurrences)
                        ))
                    }
                },
                many => match position {
                    Some(p) if many.contains(p) => *p,
                    _ => {
                        return Err(format!(
                            "its quote fits {} places in {} ({}); not guessed — give a longer prefix/suffix or a TextPositionSelector that names one of them",
                            many.len(),
                            doc.seed,
                            listing(many)
                        ))
                    }
                },
            }
        }
    };
    let quote = source
        .slice(start, end)
        .ok_or_else(|| format!("{start}..{end} does not fall on characters of the text"))?
        .to_string();
    // A found quote's occurrences are already known.
    let occurrences = match &a.target {
        Target::Quote { exact, .. } if *exact == quote => found.unwrap_or_default(),
        _ => source.occurrences(&quote),
    };
    let (prefix, suffix) =
        anchor::disambiguating_context(source, (start, end), &occurrences).unwrap_or((None, None));
    Ok(ReadySpan {
        start,
        end,
        quote,
        prefix,
        suffix,
    })
}

/// A JSON attr value as YAML text, when it is a scalar or a list of
/// scalars (as annot's attrs are).
fn yaml_value(value: &Value) -> Option<String> {
    if let Value::Array(items) = value {
        let items: Option<Vec<String>> = items
            .iter()
            .map(|v| if v.is_array() { None } else { yaml_value(v) })
            .collect();
        return Some(format!("[{}]", items?.join(", ")));
    }
    match value {
        Value::String(s) => Some(scalar(s)),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Some(i.to_string())
            } else if let Some(u) = n.as_u64() {
                Some(u.to_string())
            } else {
                let f = n.as_f64()?;
                let text = format!("{f:?}");
                Some(text)
            }
        }
        _ => None,
    }
}

/// A scalar as [`edit::scalar`] writes it, without asking the YAML parser
/// when the value is a plain word that no YAML reads as anything but a
/// string (ids and names, mostly): an import writes hundreds of thousands.
fn scalar(value: &str) -> String {
    let word = value.starts_with(|c: char| c.is_ascii_alphabetic())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    let special = matches!(
        value.to_ascii_lowercase().as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null" | "nan" | "inf"
    );
    if word && !special {
        value.to_string()
    } else {
        edit::scalar(value)
    }
}

fn write_annotation(out: &mut String, r: &Ready) {
    let _ = writeln!(out, "  - id: {}", scalar(&r.id));
    let _ = writeln!(out, "    kind: {}", scalar(&r.kind));
    if let Some(span) = &r.span {
        let _ = writeln!(out, "    quote: {}", yaml::quoted(&span.quote));
        let _ = writeln!(out, "    start: {}", span.start);
        let _ = writeln!(out, "    end: {}", span.end);
        if let Some(p) = &span.prefix {
            let _ = writeln!(out, "    prefix: {}", yaml::quoted(p));
        }
        if let Some(s) = &span.suffix {
            let _ = writeln!(out, "    suffix: {}", yaml::quoted(s));
        }
    }
    if !r.attrs.is_empty() {
        out.push_str("    attrs:\n");
        for (k, v) in &r.attrs {
            let _ = writeln!(
                out,
                "      {}: {}",
                scalar(k),
                yaml_value(v).unwrap_or_default()
            );
        }
    }
    if !r.links.is_empty() {
        out.push_str("    links:\n");
        for link in &r.links {
            let _ = writeln!(out, "      - rel: {}", scalar(&link.rel));
            let _ = writeln!(out, "        target: {}", scalar(&link.target));
            if let Some(n) = &link.note {
                let _ = writeln!(out, "        note: {}", yaml::quoted(n));
            }
        }
    }
    if let Some(n) = &r.note {
        let _ = writeln!(out, "    note: {}", yaml::quoted(n));
    }
}

/// The vocabulary with the new kinds and relations appended, every other
/// byte as it was. A missing vocabulary is written new.
fn extend_vocabulary(
    text: Option<&str>,
    kinds: &BTreeMap<String, NewKind>,
    relations: &BTreeMap<String, (BTreeSet<String>, BTreeSet<String>, bool)>,
) -> Option<String> {
    let kind_entries: Vec<(String, String)> = kinds
        .iter()
        .map(|(name, k)| (name.clone(), kind_value(k)))
        .collect();
    let rel_entries: Vec<(String, String)> = relations
        .iter()
        .map(|(name, (from, to, symmetric))| {
            let list = |s: &BTreeSet<String>| {
                s.iter()
                    .map(|k| edit::scalar(k))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let mut v = format!("{{from: [{}], to: [{}]", list(from), list(to));
            if *symmetric {
                v.push_str(", symmetric: true");
            }
            v.push('}');
            (name.clone(), v)
        })
        .collect();
    let Some(text) = text else {
        let mut out =
            String::from("# yaml-language-server: $schema=vocabulary.schema.json\nkinds:\n");
        for (k, v) in &kind_entries {
            let _ = writeln!(out, "  {}: {v}", edit::scalar(k));
        }
        if kind_entries.is_empty() {
            out = out.replace("kinds:\n", "kinds: {}\n");
        }
        out.push_str("relations:");
        if rel_entries.is_empty() {
            out.push_str(" {}");
        }
        out.push('\n');
        for (k, v) in &rel_entries {
            let _ = writeln!(out, "  {}: {v}", edit::scalar(k));
        }
        return Some(out);
    };
    let root = yaml::parse_str(text).ok()?;
    let Y::Map(top) = &root.value else {
        return None;
    };
    let mut edits = Vec::new();
    let mut tail = String::new();
    for (section, entries) in [("kinds", &kind_entries), ("relations", &rel_entries)] {
        if entries.is_empty() {
            continue;
        }
        let fields: Vec<(&str, String)> = entries
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        match top.iter().find(|(k, _)| k.name == section) {
            Some((_, node)) => match &node.value {
                Y::Map(m) if !m.is_empty() => edits.push(edit::append_fields(text, node, &fields)?),
                Y::Map(_) | Y::Null => {
                    // `kinds: {}` or `kinds:`: the entries replace the
                    // empty value, one per line.
                    let mut block = String::new();
                    for (k, v) in entries {
                        let _ = write!(block, "\n  {}: {v}", edit::scalar(k));
                    }
                    let key_end = top.iter().find(|(k, _)| k.name == section)?.0.pos.end;
                    let colon = text[key_end..].find(':')? + key_end + 1;
                    let (start, end) = if matches!(node.value, Y::Null) {
                        (colon, colon)
                    } else {
                        (colon, edit::content_end(text, node))
                    };
                    edits.push(edit::Edit {
                        start,
                        end,
                        replacement: block,
                    });
                }
                _ => return None,
            },
            None => {
                let _ = writeln!(tail, "{section}:");
                for (k, v) in entries {
                    let _ = writeln!(tail, "  {}: {v}", edit::scalar(k));
                }
            }
        }
    }
    let mut out = edit::apply(text, &edits);
    if !tail.is_empty() {
        if !out.ends_with('\n') && !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&tail);
    }
    Some(out)
}

fn kind_value(k: &NewKind) -> String {
    let anchored = match (k.anchored, k.unanchored) {
        (true, true) => "any",
        (false, true) => "false",
        _ => "true",
    };
    let mut out = format!("{{anchored: {anchored}");
    if !k.attrs.is_empty() {
        let attrs: Vec<String> = k
            .attrs
            .iter()
            .map(|(name, seen)| {
                let def = match k.values.get(name) {
                    Some(values) if seen.iter().all(Value::is_string) => format!(
                        "{{values: [{}]}}",
                        values
                            .iter()
                            .map(|v| edit::scalar(v))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    _ => format!("{{type: {}}}", attr_type(seen).as_str()),
                };
                format!("{}: {def}", edit::scalar(name))
            })
            .collect();
        let _ = write!(out, ", attrs: {{{}}}", attrs.join(", "));
    }
    out.push('}');
    out
}

/// The narrowest type that holds every value seen.
fn attr_type(seen: &[Value]) -> AttrType {
    if !seen.is_empty() && seen.iter().all(Value::is_boolean) {
        AttrType::Boolean
    } else if !seen.is_empty()
        && seen
            .iter()
            .all(|v| v.as_i64().is_some() || v.as_u64().is_some())
    {
        AttrType::Integer
    } else if !seen.is_empty() && seen.iter().all(Value::is_number) {
        AttrType::Number
    } else {
        AttrType::String
    }
}

/// The seeds of the workspace, found by path, hash or URL.
struct Seeds<'w> {
    root: &'w Path,
    ws: &'w Workspace,
    by_sha256: Option<HashMap<String, String>>,
    /// Seeds read so far, by path.
    read: HashMap<String, Arc<SourceText>>,
    /// Seeds this import creates: path → sha256.
    planned: BTreeMap<String, String>,
}

impl<'w> Seeds<'w> {
    fn new(root: &'w Path, ws: &'w Workspace) -> Seeds<'w> {
        Seeds {
            root,
            ws,
            by_sha256: None,
            read: HashMap::new(),
            planned: BTreeMap::new(),
        }
    }

    fn read(&mut self, path: &str) -> Option<Arc<SourceText>> {
        if let Some(text) = self.read.get(path) {
            return Some(text.clone());
        }
        let text = Arc::new(workspace::read_source(self.root, path).ok()?);
        self.read.insert(path.to_string(), text.clone());
        Some(text)
    }

    fn by_sha256(&mut self, sha: &str) -> Option<String> {
        if self.by_sha256.is_none() {
            use rayon::prelude::*;
            let root = self.root;
            let texts: Vec<(String, Arc<SourceText>)> = self
                .ws
                .seeds
                .par_iter()
                .filter_map(|p| {
                    let text = workspace::read_source(root, p).ok()?;
                    Some((p.clone(), Arc::new(text)))
                })
                .collect();
            let map: HashMap<String, String> = texts
                .iter()
                .map(|(p, t)| (t.sha256().to_string(), p.clone()))
                .collect();
            self.read.extend(texts);
            self.by_sha256 = Some(map);
        }
        if let Some(p) = self.by_sha256.as_ref().and_then(|m| m.get(sha)) {
            return Some(p.clone());
        }
        self.planned
            .iter()
            .find(|(_, s)| s.as_str() == sha)
            .map(|(p, _)| p.clone())
    }

    fn by_url(&self, url: &str) -> Option<String> {
        self.ws
            .sources_meta
            .iter()
            .flat_map(|m| &m.entries)
            .find(|e| {
                e.fields
                    .iter()
                    .any(|(k, v)| k.value == "url" && v.value == url)
            })
            .map(|e| e.path.value.clone())
    }

    fn existing(&mut self, path: &str) -> Result<Option<Arc<SourceText>>, String> {
        match fs::symlink_metadata(self.root.join(path)) {
            Err(_) => Ok(None),
            Ok(_) => self
                .read(path)
                .map(Some)
                .ok_or_else(|| format!("{path} exists but cannot be read as a source")),
        }
    }

    fn place(&mut self, doc: &IncomingDoc, format: Format) -> Result<Placed, String> {
        match &doc.content {
            DocContent::Reference { iri, via } => {
                let found = super::w3c::sha256_of_iri(iri)
                    .and_then(|sha| self.by_sha256(&sha))
                    .or_else(|| self.by_url(iri))
                    .or_else(|| via.as_deref().and_then(|v| self.by_url(v)));
                let Some(seed) = found else {
                    if iri.trim().is_empty() {
                        return Err("its target's `source` is empty, so annot cannot tell which document it is on".to_string());
                    }
                    return Err(format!(
                        "the document {iri} is not in this workspace: put its text under seeds/ and its address as `url:` in seeds/sources.yaml, then import again"
                    ));
                };
                let text = self
                    .read(&seed)
                    .ok_or_else(|| format!("{seed} cannot be read"))?;
                Ok(Placed {
                    seed,
                    text,
                    map: None,
                    new: None,
                })
            }
            DocContent::Text(bytes) => {
                let text = SourceText::from_bytes(bytes.clone()).map_err(|bad| {
                    format!(
                        "its text is not valid UTF-8 (byte 0x{:02x} at byte offset {})",
                        bad.byte, bad.offset
                    )
                })?;
                let hint = match &doc.seed_hint {
                    Some(h) => {
                        if h.starts_with('/') || h.split('/').any(|p| p == "..") {
                            return Err(format!(
                                "its path `{h}` is absolute or climbs out with `..`; sources stay inside seeds/"
                            ));
                        }
                        let h = if h.starts_with("seeds/") {
                            h.clone()
                        } else {
                            format!("seeds/{h}")
                        };
                        if let Err(problem) = workspace::check_source_path(&h) {
                            let why = match problem {
                                workspace::SourceProblem::OutsideSeeds(why) => why,
                                _ => "is not a usable path".to_string(),
                            };
                            return Err(format!("its path `{h}` {why}"));
                        }
                        h
                    }
                    None => format!("seeds/imported/{}.txt", clean_id(&doc.name)),
                };
                let sha = text.sha256().to_string();
                let mut candidates = vec![hint.clone()];
                if format == Format::Brat {
                    if let Some(stripped) = hint.strip_suffix(".txt") {
                        candidates.push(stripped.to_string());
                    }
                }
                for candidate in &candidates {
                    let Some(existing) = self.existing(candidate)? else {
                        continue;
                    };
                    if existing.sha256() == sha {
                        return Ok(Placed {
                            seed: candidate.clone(),
                            text: existing,
                            map: None,
                            new: None,
                        });
                    }
                    if format == Format::Brat {
                        if let Some(map) = crlf_map(existing.text(), text.text()) {
                            return Ok(Placed {
                                seed: candidate.clone(),
                                text: existing,
                                map: Some(map),
                                new: None,
                            });
                        }
                    }
                }
                if let Some(seed) = self.by_sha256(&sha) {
                    let existing = self
                        .read(&seed)
                        .ok_or_else(|| format!("{seed} cannot be read"))?;
                    return Ok(Placed {
                        seed,
                        text: existing,
                        map: None,
                        new: None,
                    });
                }
                if self.existing(&hint)?.is_some() || self.planned.contains_key(&hint) {
                    return Err(format!(
                        "{hint} already exists with a different text; annot never writes over a source (rename the document, or move the seed)"
                    ));
                }
                // A parent that is a file, or a path through a symlink,
                // cannot take the new seed.
                let mut parent = Path::new(&hint).parent();
                while let Some(p) = parent {
                    if p.as_os_str().is_empty() {
                        break;
                    }
                    if let Ok(m) = fs::symlink_metadata(self.root.join(p)) {
                        if m.file_type().is_symlink() || !m.is_dir() {
                            return Err(format!(
                                "{} is a file or a symbolic link, so {hint} cannot be written",
                                p.display()
                            ));
                        }
                    }
                    parent = p.parent();
                }
                self.planned.insert(hint.clone(), sha);
                Ok(Placed {
                    seed: hint,
                    new: Some(bytes.clone()),
                    text: Arc::new(text),
                    map: None,
                })
            }
        }
    }
}

/// When `incoming` is `seed` with CRLF and CR written as LF: for each
/// code point of `incoming` (and its end), the code point of `seed`.
fn crlf_map(seed: &str, incoming: &str) -> Option<Vec<usize>> {
    let mut map = Vec::with_capacity(incoming.len() + 1);
    let mut s = seed.chars().peekable();
    let mut i = 0;
    for c in incoming.chars() {
        let next = *s.peek()?;
        map.push(i);
        if next == c {
            s.next();
            i += 1;
        } else if next == '\r' && c == '\n' {
            s.next();
            i += 1;
            if s.peek() == Some(&'\n') {
                s.next();
                i += 1;
            }
        } else {
            return None;
        }
    }
    if s.next().is_some() {
        return None;
    }
    map.push(i);
    Some(map)
}

/// One file of an import.
struct Write {
    path: String,
    /// What it holds now; `None`: it must not exist.
    original: Option<Vec<u8>>,
    new: Vec<u8>,
}

/// Writes every file or none: each is written to a temporary file beside
/// it first; then each is put in place, and if one fails, the ones already
/// in place are taken back.
fn commit(root: &Path, files: &[Write]) -> Result<(), WorkspaceError> {
    let canonical_root = fs::canonicalize(root).map_err(|source| WorkspaceError::Io {
        path: root.display().to_string(),
        source,
    })?;
    let mut temps: Vec<PathBuf> = Vec::new();
    let mut created_dirs: Vec<PathBuf> = Vec::new();
    let fail = |temps: &[PathBuf], dirs: &[PathBuf], path: &str, source: std::io::Error| {
        for t in temps {
            let _ = fs::remove_file(t);
        }
        for d in dirs.iter().rev() {
            let _ = fs::remove_dir(d);
        }
        WorkspaceError::Write {
            path: format!("{path} (nothing was imported)"),
            source,
        }
    };
    for f in files {
        let dest = root.join(&f.path);
        let dir = dest.parent().unwrap_or(root).to_path_buf();
        let mut missing = Vec::new();
        let mut d = dir.clone();
        while fs::symlink_metadata(&d).is_err() {
            missing.push(d.clone());
            if !d.pop() {
                break;
            }
        }
        for m in missing.iter().rev() {
            if let Err(e) = fs::create_dir(m) {
                return Err(fail(&temps, &created_dirs, &f.path, e));
            }
            created_dirs.push(m.clone());
        }
        match fs::canonicalize(&dir) {
            Ok(c) if c.starts_with(&canonical_root) => {}
            _ => {
                return Err(fail(
                    &temps,
                    &created_dirs,
                    &f.path,
                    std::io::Error::other("its folder is outside the workspace (a symbolic link?)"),
                ))
            }
        }
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(".{name}.annot-{}-0.tmp", std::process::id()));
        let written = (|| {
            let mut file = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)?;
            file.write_all(&f.new)
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(fail(&temps, &created_dirs, &f.path, e));
        }
        temps.push(tmp);
    }
    // On disk before any is put in place: one flush of the file system
    // where the system has it, else each file.
    if let Err(e) = flush(root, &temps) {
        return Err(fail(&temps, &created_dirs, "the new files", e));
    }
    // Nothing changed under us since we read it?
    for f in files {
        let dest = root.join(&f.path);
        let now = match fs::symlink_metadata(&dest) {
            Ok(m) if m.file_type().is_symlink() => Some(None),
            Ok(_) => Some(fs::read(&dest).ok()),
            Err(_) => None,
        };
        let same = match (&f.original, &now) {
            (None, None) => true,
            (Some(orig), Some(Some(cur))) => orig == cur,
            _ => false,
        };
        if !same {
            return Err(fail(
                &temps,
                &created_dirs,
                &f.path,
                std::io::Error::other(
                    "it changed (or appeared, or is a symbolic link) while annot was importing",
                ),
            ));
        }
    }
    // Put each in place; on failure take back what was placed.
    let mut placed: Vec<(usize, Option<PathBuf>)> = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let dest = root.join(&f.path);
        let result = match &f.original {
            None => rename_new(&temps[i], &dest).map(|_| None),
            Some(_) => {
                let backup = temps[i].with_extension("backup");
                fs::hard_link(&dest, &backup)
                    .and_then(|_| fs::rename(&temps[i], &dest))
                    .map(|_| Some(backup))
            }
        };
        match result {
            Ok(backup) => placed.push((i, backup)),
            Err(e) => {
                for (j, backup) in placed.iter().rev() {
                    let dest = root.join(&files[*j].path);
                    match backup {
                        Some(b) => {
                            let _ = fs::rename(b, &dest);
                        }
                        None => {
                            let _ = fs::remove_file(&dest);
                        }
                    }
                }
                return Err(fail(&temps, &created_dirs, &f.path, e));
            }
        }
    }
    for (_, backup) in placed {
        if let Some(b) = backup {
            let _ = fs::remove_file(b);
        }
    }
    for t in &temps {
        let _ = fs::remove_file(t);
    }
    // The renames themselves are durable once their folders are flushed.
    let dirs: BTreeSet<PathBuf> = files
        .iter()
        .filter_map(|f| root.join(&f.path).parent().map(Path::to_path_buf))
        .collect();
    for d in dirs {
        if let Ok(handle) = fs::File::open(&d) {
            let _ = handle.sync_all();
        }
    }
    Ok(())
}

/// Makes the written files durable: `syncfs` of the workspace's file
/// system on Linux (one flush for a thousand files), `fsync` of each file
/// elsewhere.
pub(crate) fn flush(root: &Path, files: &[PathBuf]) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let dir = fs::File::open(root)?;
        // SAFETY: the descriptor is open for the duration of the call.
        if unsafe { libc::syncfs(dir.as_raw_fd()) } == 0 {
            return Ok(());
        }
    }
    for f in files {
        fs::File::open(f)?.sync_all()?;
    }
    Ok(())
}

/// Moves `from` to `to`, which must not exist: never over a file that
/// appeared meanwhile. One rename where the system has `RENAME_NOREPLACE`,
/// a hard link and an unlink elsewhere.
fn rename_new(from: &Path, to: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::ffi::CString;
        use std::os::unix::ffi::OsStrExt;
        let (Ok(a), Ok(b)) = (
            CString::new(from.as_os_str().as_bytes()),
            CString::new(to.as_os_str().as_bytes()),
        ) else {
            return Err(std::io::Error::other("a path holds a NUL byte"));
        };
        // SAFETY: both are valid NUL-terminated paths that outlive the call.
        let done = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                a.as_ptr(),
                libc::AT_FDCWD,
                b.as_ptr(),
                libc::RENAME_NOREPLACE,
            )
        };
        if done == 0 {
            return Ok(());
        }
        let err = std::io::Error::last_os_error();
        if !matches!(err.raw_os_error(), Some(libc::EINVAL) | Some(libc::ENOSYS)) {
            return Err(err);
        }
    }
    fs::hard_link(from, to)?;
    let _ = fs::remove_file(from);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_cleaned() {
        assert_eq!(clean_id("PMID-1.T1"), "PMID-1.T1");
        assert_eq!(clean_id("a b/c"), "a-b-c");
        assert_eq!(clean_id("_x"), "x");
        assert_eq!(clean_id("//"), "imported");
    }

    #[test]
    fn crlf_maps_back() {
        let map = crlf_map("a\r\nb", "a\nb").unwrap();
        assert_eq!(map, vec![0, 1, 3, 4]);
        assert!(crlf_map("a\r\nb", "a\nc").is_none());
    }

    #[test]
    fn a_missing_vocabulary_is_written_new() {
        let mut kinds = BTreeMap::new();
        kinds.insert(
            "Protein".to_string(),
            NewKind {
                anchored: true,
                ..NewKind::default()
            },
        );
        let out = extend_vocabulary(None, &kinds, &BTreeMap::new()).unwrap();
        assert!(out.contains("kinds:\n  Protein: {anchored: true}\n"));
        assert!(out.contains("relations: {}\n"));
    }

    #[test]
    fn an_empty_vocabulary_gains_entries_and_keeps_its_comments() {
        let text = "# mine\nkinds: {}\nrelations: {}\n";
        let mut kinds = BTreeMap::new();
        kinds.insert(
            "claim".to_string(),
            NewKind {
                anchored: true,
                ..NewKind::default()
            },
        );
        let mut rels = BTreeMap::new();
        rels.insert(
            "cites".to_string(),
            (
                BTreeSet::from(["claim".to_string()]),
                BTreeSet::from(["claim".to_string()]),
                false,
            ),
        );
        let out = extend_vocabulary(Some(text), &kinds, &rels).unwrap();
        assert_eq!(
            out,
            "# mine\nkinds:\n  claim: {anchored: true}\nrelations:\n  cites: {from: [claim], to: [claim]}\n"
        );
    }
}
