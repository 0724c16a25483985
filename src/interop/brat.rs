//! brat standoff: per document a `.txt` and an `.ann` (text-bound `T`,
//! relation `R`, attribute `A` and note `#` lines), and the folder's
//! `annotation.conf` and `visual.conf`.
//!
//! brat's server reads both files as UTF-8 without touching newlines, and
//! splits the `.ann` into lines at every character Python's
//! `str.splitlines` breaks at; offsets count code points of the `.txt`.

use super::corpus::{Corpus, Document};
use super::plan::{
    Declarations, DocContent, Incoming, IncomingAnn, IncomingDoc, IncomingLink, Target,
};
use super::{unreadable, Listed};
use crate::model::Anchored;
use crate::workspace::WorkspaceError;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

/// Every character Python's `str.splitlines` ends a line at: brat reads
/// the `.ann` with it, so none may appear inside an `.ann` line.
pub fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r'
            | '\u{0b}'
            | '\u{0c}'
            | '\u{1c}'
            | '\u{1d}'
            | '\u{1e}'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// A name as brat stores it: letters, digits, `_` and `-`.
pub fn brat_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A value on one `.ann` line: line breaks become spaces.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if is_line_break(c) { ' ' } else { c })
        .collect()
}

/// The `.txt` of a source: its text with CRLF and CR written as LF, and
/// for each code point of the source the offset it has there.
fn brat_text(text: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(text.len());
    let mut offsets = Vec::with_capacity(text.len() + 1);
    let mut chars = text.chars().peekable();
    let mut n = 0;
    while let Some(c) = chars.next() {
        offsets.push(n);
        if c == '\r' {
            if chars.peek() == Some(&'\n') {
                // The CR of CRLF has no character of its own: it maps to
                // the LF that follows.
                continue;
            }
            out.push('\n');
        } else {
            out.push(c);
        }
        n += 1;
    }
    offsets.push(n);
    (out, offsets)
}

/// The file name of a source's `.txt` in the brat folder.
fn txt_name(doc: &Document) -> String {
    let rel = doc.path.strip_prefix("seeds/").unwrap_or(&doc.path);
    if rel.ends_with(".txt") {
        rel.to_string()
    } else {
        format!("{rel}.txt")
    }
}

/// The brat folder's files. Returns them and how many annotations it could
/// not hold (source-less items).
pub fn export(corpus: &Corpus, listed: &mut Vec<Listed>) -> (Vec<(String, Vec<u8>)>, usize) {
    let mut files = Vec::new();
    let mut skipped = corpus.items.len();
    for item in &corpus.items {
        listed.push(Listed::dropped(
            item.place.clone(),
            format!(
                "`{}` is not on a source (brat holds spans of texts only)",
                item.id
            ),
        ));
    }
    let mut renamed: BTreeMap<String, String> = BTreeMap::new();
    let mut name = |n: &str| {
        let b = brat_name(n);
        if b != n {
            renamed.insert(n.to_string(), b.clone());
        }
        b
    };
    // Values seen per attribute, for annotation.conf.
    let mut values: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut attr_kinds: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (index, doc) in corpus.documents.iter().enumerate() {
        let (text, offsets) = brat_text(doc.text.text());
        let chars: Vec<char> = text.chars().collect();
        let mut ann = String::new();
        let mut t_of: BTreeMap<&str, usize> = BTreeMap::new();
        let mut t = 0;
        let mut a_n = 0;
        let mut note_n = 0;
        for a in &doc.annotations {
            let Some(span) = &a.span else { continue };
            let (start, end) = (offsets[span.start], offsets[span.end]);
            // Fragments: the runs between line breaks.
            let mut fragments = Vec::new();
            let mut i = start;
            while i < end {
                while i < end && is_line_break(chars[i]) {
                    i += 1;
                }
                let from = i;
                while i < end && !is_line_break(chars[i]) {
                    i += 1;
                }
                if from < i {
                    fragments.push((from, i));
                }
            }
            if fragments.is_empty() {
                skipped += 1;
                listed.push(Listed::dropped(
                    a.place.clone(),
                    format!("`{}` quotes only line breaks, which brat cannot mark", a.id),
                ));
                continue;
            }
            if fragments.len() > 1 {
                listed.push(Listed::changed(
                    a.place.clone(),
                    format!(
                        "`{}` quotes text across line breaks: written as {} brat fragments, split at the breaks",
                        a.id,
                        fragments.len()
                    ),
                ));
            }
            t += 1;
            t_of.insert(a.id.as_str(), t);
            let offsets_text: Vec<String> =
                fragments.iter().map(|(s, e)| format!("{s} {e}")).collect();
            let fragment_text: Vec<String> = fragments
                .iter()
                .map(|&(s, e)| chars[s..e].iter().collect())
                .collect();
            let _ = writeln!(
                ann,
                "T{t}\t{} {}\t{}",
                name(&a.kind),
                offsets_text.join(";"),
                fragment_text.join(" ")
            );
            for (attr, value) in &a.attrs {
                a_n += 1;
                let shown = attr_value(value);
                let brat_attr = name(attr);
                values
                    .entry(brat_attr.clone())
                    .or_default()
                    .insert(shown.clone());
                attr_kinds
                    .entry(brat_attr.clone())
                    .or_default()
                    .insert(name(&a.kind));
                if value.is_array() {
                    listed.push(Listed::changed(
                        a.place.clone(),
                        format!("`{}`: `{attr}` holds a list; a brat attribute holds one value, so the list is written as JSON text", a.id),
                    ));
                } else if shown.chars().any(char::is_whitespace) || shown.contains(['|', ',']) {
                    listed.push(Listed::changed(
                        a.place.clone(),
                        format!("`{}`: the value of `{attr}` has spaces, `|` or `,`, which annotation.conf cannot list; brat shows it but will not offer it", a.id),
                    ));
                }
                let _ = writeln!(ann, "A{a_n}\t{brat_attr} T{t} {shown}");
            }
            if let Some(note) = &a.note {
                note_n += 1;
                if note.chars().any(is_line_break) {
                    listed.push(Listed::changed(
                        a.place.clone(),
                        format!("`{}`: its note's line breaks are written as spaces (a brat note is one line)", a.id),
                    ));
                }
                let _ = writeln!(ann, "#{note_n}\tAnnotatorNotes T{t}\t{}", one_line(note));
            }
        }
        let mut r = 0;
        for a in &doc.annotations {
            let Some(&from) = t_of.get(a.id.as_str()) else {
                continue;
            };
            for link in &a.links {
                let to = (corpus.document_of.get(&link.target) == Some(&index))
                    .then(|| t_of.get(link.target.as_str()))
                    .flatten();
                let Some(&to) = to else {
                    let why = if corpus.document_of.contains_key(&link.target) {
                        "a span of another source"
                    } else {
                        "not a span of a source"
                    };
                    listed.push(Listed::dropped(
                        link.place.clone(),
                        format!(
                            "the link {} from `{}` to `{}`: brat relations join spans of one text, and the target is {why}",
                            link.rel, a.id, link.target
                        ),
                    ));
                    continue;
                };
                r += 1;
                let _ = writeln!(ann, "R{r}\t{} Arg1:T{from} Arg2:T{to}", name(&link.rel));
                if let Some(note) = &link.note {
                    note_n += 1;
                    let _ = writeln!(ann, "#{note_n}\tAnnotatorNotes R{r}\t{}", one_line(note));
                }
            }
        }
        let txt = txt_name(doc);
        let ann_name = format!("{}.ann", txt.strip_suffix(".txt").unwrap_or(&txt));
        files.push((txt, text.into_bytes()));
        files.push((ann_name, ann.into_bytes()));
    }
    files.push((
        "annotation.conf".to_string(),
        annotation_conf(corpus, &mut name, &values, &attr_kinds).into_bytes(),
    ));
    files.push((
        "visual.conf".to_string(),
        visual_conf(corpus, &mut name).into_bytes(),
    ));
    for (from, to) in renamed {
        listed.push(Listed::changed(
            "annotation.conf",
            format!(
                "`{from}` is written `{to}` (brat names hold only letters, digits, `_` and `-`)"
            ),
        ));
    }
    files.sort();
    (files, skipped)
}

fn attr_value(value: &Value) -> String {
    match value {
        Value::String(s) => one_line(s),
        other => one_line(&other.to_string()),
    }
}

fn anchored_kinds(corpus: &Corpus) -> Vec<&str> {
    corpus
        .vocabulary
        .kinds
        .iter()
        .filter(|(_, k)| k.anchored != Anchored::Never)
        .map(|(n, _)| n.as_str())
        .collect()
}

fn annotation_conf(
    corpus: &Corpus,
    name: &mut impl FnMut(&str) -> String,
    values: &BTreeMap<String, BTreeSet<String>>,
    attr_kinds: &BTreeMap<String, BTreeSet<String>>,
) -> String {
    let kinds = anchored_kinds(corpus);
    let used: BTreeSet<String> = corpus
        .documents
        .iter()
        .flat_map(|d| &d.annotations)
        .map(|a| a.kind.clone())
        .collect();
    let mut entities: BTreeSet<String> = kinds.iter().map(|k| name(k)).collect();
    entities.extend(used.iter().map(|k| name(k)));
    let mut out = String::from(
        "# Written by `annot export --format brat` from schema/vocabulary.yaml.\n\n[entities]\n\n",
    );
    for e in &entities {
        let _ = writeln!(out, "{e}");
    }
    out.push_str("\n[relations]\n\n");
    for (rel, def) in &corpus.vocabulary.relations {
        let side = |names: &[crate::model::At<String>], name: &mut dyn FnMut(&str) -> String| {
            names
                .iter()
                .filter(|n| kinds.contains(&n.value.as_str()))
                .map(|n| name(&n.value))
                .collect::<Vec<_>>()
        };
        let from = side(&def.from, name);
        let to = side(&def.to, name);
        if from.is_empty() || to.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "{}\tArg1:{}, Arg2:{}",
            name(rel),
            from.join("|"),
            to.join("|")
        );
        if def.symmetric {
            out.push_str(", <REL-TYPE>:symmetric");
        }
        out.push('\n');
    }
    out.push_str("\n[events]\n\n[attributes]\n\n");
    for (attr, seen) in values {
        let args: Vec<&str> = attr_kinds
            .get(attr)
            .map(|k| k.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let listable: Vec<&str> = seen
            .iter()
            .map(String::as_str)
            .filter(|v| {
                !v.is_empty() && !v.chars().any(char::is_whitespace) && !v.contains(['|', ','])
            })
            .collect();
        let _ = write!(out, "{attr}\tArg:{}", args.join("|"));
        if !listable.is_empty() {
            let _ = write!(out, ", Value:{}", listable.join("|"));
        }
        out.push('\n');
    }
    out
}

/// Distinct, readable background colours, one per kind in turn.
const COLOURS: &[&str] = &[
    "#8fb2ff", "#ffb86b", "#9fe39f", "#f5a3c7", "#d2b4fe", "#fff17a", "#7fe0d8", "#e0c08f",
];

fn visual_conf(corpus: &Corpus, name: &mut impl FnMut(&str) -> String) -> String {
    let mut out = String::from("# Written by `annot export --format brat`.\n\n[labels]\n\n");
    let kinds = anchored_kinds(corpus);
    for k in &kinds {
        let _ = writeln!(out, "{} | {k}", name(k));
    }
    for rel in corpus.vocabulary.relations.keys() {
        let _ = writeln!(out, "{} | {rel}", name(rel));
    }
    out.push_str("\n[drawing]\n\n");
    for (i, k) in kinds.iter().enumerate() {
        let _ = writeln!(out, "{}\tbgColor:{}", name(k), COLOURS[i % COLOURS.len()]);
    }
    out
}

/// Reads a brat folder (or one `.ann` file): every `.ann` beside its
/// `.txt`, and `annotation.conf` when there is one.
pub fn read(path: &Path) -> Result<Incoming, WorkspaceError> {
    let meta = fs::symlink_metadata(path).map_err(|e| unreadable(path, e))?;
    let mut incoming = Incoming::default();
    let (root, anns): (std::path::PathBuf, Vec<String>) = if meta.is_dir() {
        let mut anns = Vec::new();
        walk(path, "", &mut anns, &mut incoming.listed)?;
        anns.sort();
        (path.to_path_buf(), anns)
    } else if meta.file_type().is_symlink() {
        return Err(unreadable(
            path,
            "it is a symbolic link; annot imports only the files themselves (name the file it points at)",
        ));
    } else if path.extension().is_some_and(|e| e == "ann") {
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        (dir, vec![name])
    } else {
        return Err(unreadable(
            path,
            "name a brat folder or one `.ann` file (beside its `.txt`)",
        ));
    };
    if anns.is_empty() && incoming.listed.is_empty() {
        return Err(unreadable(path, "it holds no `.ann` file"));
    }
    let conf = root.join("annotation.conf");
    if conf.is_file() {
        let text = fs::read(&conf).map_err(|e| unreadable(&conf, e))?;
        match String::from_utf8(text) {
            Ok(text) => {
                incoming.declarations =
                    read_conf(&text, &conf.display().to_string(), &mut incoming.listed)
            }
            Err(e) => incoming.listed.push(Listed::dropped(
                conf.display().to_string(),
                format!(
                    "is not UTF-8 (byte {}); its declarations were not read",
                    e.utf8_error().valid_up_to()
                ),
            )),
        }
    }
    for rel in anns {
        read_document(&root, &rel, &mut incoming);
    }
    Ok(incoming)
}

fn walk(
    dir: &Path,
    prefix: &str,
    out: &mut Vec<String>,
    listed: &mut Vec<Listed>,
) -> Result<(), WorkspaceError> {
    let entries = fs::read_dir(dir).map_err(|e| unreadable(dir, e))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_symlink() {
            // A symlinked `.txt` is listed by its `.ann`, once.
            if name.ends_with(".ann") || fs::metadata(entry.path()).is_ok_and(|m| m.is_dir()) {
                listed.push(Listed::dropped(
                    entry.path().display().to_string(),
                    "is a symbolic link; annot imports only files inside the folder, not what links point at",
                ));
            }
            continue;
        }
        if kind.is_dir() {
            if !name.starts_with('.') {
                walk(&entry.path(), &rel, out, listed)?;
            }
        } else if name.ends_with(".ann") {
            out.push(rel);
        }
    }
    Ok(())
}

/// The declarations of an annotation.conf: entity types become kinds,
/// relation types relations with their argument types, attribute types
/// attrs with their values.
fn read_conf(text: &str, place: &str, listed: &mut Vec<Listed>) -> Declarations {
    let mut decl = Declarations::default();
    let mut section = "";
    let mut macros: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let expand = |types: &str, macros: &BTreeMap<String, Vec<String>>| -> Vec<String> {
        types
            .split('|')
            .flat_map(|t| {
                macros
                    .get(t)
                    .cloned()
                    .unwrap_or_else(|| vec![t.to_string()])
            })
            .filter(|t| !t.is_empty() && !t.starts_with('<'))
            .collect()
    };
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split_once('#').map_or(raw, |(l, _)| l).trim();
        if line.is_empty() || line.starts_with("---") {
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            section = match &line[1..line.len() - 1] {
                // `[spans]` is what older brat configurations call it.
                "entities" | "spans" => "entities",
                "relations" => "relations",
                "events" => "events",
                "attributes" => "attributes",
                _ => "",
            };
            continue;
        }
        if let Some((name, value)) = line.split_once('=') {
            if name.starts_with('<') && name.ends_with('>') && !name.contains(char::is_whitespace) {
                macros.insert(
                    name.to_string(),
                    value.split('|').map(str::to_string).collect(),
                );
                continue;
            }
        }
        let (name, args) = match line.split_once(char::is_whitespace) {
            Some((n, a)) => (n, a.trim()),
            None => (line, ""),
        };
        let name = name.trim_start_matches('!').to_string();
        let arg = |key: &str| -> Option<String> {
            args.split(',').map(str::trim).find_map(|a| {
                a.strip_prefix(key)
                    .and_then(|r| r.strip_prefix(':'))
                    .map(str::to_string)
            })
        };
        match section {
            "entities" => {
                decl.kinds.entry(name).or_default();
            }
            "relations" => {
                if name.starts_with('<') {
                    continue;
                }
                let from = arg("Arg1").map(|t| expand(&t, &macros)).unwrap_or_default();
                let to = arg("Arg2").map(|t| expand(&t, &macros)).unwrap_or_default();
                let symmetric =
                    arg("<REL-TYPE>").is_some_and(|t| t.split('-').any(|p| p == "symmetric"));
                decl.relations.insert(name, (from, to, symmetric));
            }
            "events" => {
                decl.events.insert(name);
            }
            "attributes" => {
                let values = arg("Value").map(|v| v.split('|').map(str::to_string).collect());
                let on = arg("Arg").map(|t| expand(&t, &macros)).unwrap_or_default();
                decl.attrs.insert(name, (on, values));
            }
            _ => listed.push(Listed::changed(
                format!("{place}:{}", n + 1),
                "a line outside [entities], [relations], [events] and [attributes] was not read",
            )),
        }
    }
    decl
}

fn read_document(root: &Path, rel: &str, incoming: &mut Incoming) {
    let ann_path = root.join(rel);
    let stem = rel.strip_suffix(".ann").unwrap_or(rel);
    let txt_rel = format!("{stem}.txt");
    let txt_path = root.join(&txt_rel);
    let ann_shown = ann_path.display().to_string();
    let txt = match fs::symlink_metadata(&txt_path) {
        Ok(m) if m.file_type().is_symlink() => {
            incoming.listed.push(Listed::dropped(
                txt_path.display().to_string(),
                "is a symbolic link; annot imports only files inside the folder",
            ));
            return;
        }
        Ok(_) => fs::read(&txt_path),
        Err(e) => Err(e),
    };
    let txt = match txt {
        Ok(t) => t,
        Err(_) => {
            incoming.listed.push(Listed::dropped(
                ann_shown,
                format!("has no {txt_rel} beside it (brat keeps each document's text in a .txt of the same name); none of its annotations were imported"),
            ));
            return;
        }
    };
    let text = match std::str::from_utf8(&txt) {
        Ok(t) => t.to_string(),
        Err(e) => {
            incoming.listed.push(Listed::dropped(
                txt_path.display().to_string(),
                format!(
                    "is not valid UTF-8 (byte 0x{:02x} at byte offset {}); none of the annotations of {rel} were imported",
                    txt[e.valid_up_to()], e.valid_up_to()
                ),
            ));
            return;
        }
    };
    let ann_bytes = match fs::read(&ann_path) {
        Ok(b) => b,
        Err(e) => {
            incoming
                .listed
                .push(Listed::dropped(ann_shown, format!("cannot be read: {e}")));
            return;
        }
    };
    let ann_text = match String::from_utf8(ann_bytes) {
        Ok(t) => t,
        Err(e) => {
            incoming.listed.push(Listed::dropped(
                ann_shown,
                format!(
                    "is not valid UTF-8 (byte offset {}); none of its annotations were imported",
                    e.utf8_error().valid_up_to()
                ),
            ));
            return;
        }
    };
    let chars: Vec<char> = text.chars().collect();
    let doc_id = crate::interop::plan::clean_id(stem);
    let id_of = |brat_id: &str| format!("{doc_id}.{brat_id}");
    let mut annotations: Vec<IncomingAnn> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut later: Vec<(usize, String)> = Vec::new();
    for (n, line) in split_lines(&ann_text).into_iter().enumerate() {
        let place = format!("{ann_shown}:{}", n + 1);
        if line.trim().is_empty() {
            continue;
        }
        let Some((id, rest)) = line.split_once('\t') else {
            incoming.listed.push(Listed::dropped(
                place,
                "a line without a tab after its id (brat lines are `ID<TAB>…`)",
            ));
            continue;
        };
        match id.chars().next() {
            Some('T') => {
                let (data, tail) = rest.split_once('\t').unwrap_or((rest, ""));
                match text_bound(data, tail, &chars) {
                    Ok((kind, start, end, joined)) => {
                        if joined {
                            incoming.listed.push(Listed::changed(
                                place.clone(),
                                format!("{id}: its fragments are separated only by line breaks, so it is imported as one span across them"),
                            ));
                        }
                        index.insert(id.to_string(), annotations.len());
                        annotations.push(IncomingAnn {
                            id: id_of(id),
                            kind: Some(kind),
                            tags: Vec::new(),
                            target: Target::Offsets { start, end, text: None },
                            attrs: Vec::new(),
                            attr_places: BTreeMap::new(),
                            note: None,
                            links: Vec::new(),
                            place,
                        });
                    }
                    Err(why) => incoming.listed.push(Listed::dropped(place, format!("{id}: {why}"))),
                }
            }
            Some('R' | 'A' | 'M' | '#') => later.push((n, line.to_string())),
            Some('E') => incoming.listed.push(Listed::dropped(place, format!("{id}: a brat event; annot has no events (its trigger, if a T line, is imported)"))),
            Some('*') => incoming.listed.push(Listed::dropped(place, "an equivalence (`*`); annot has no equivalence sets")),
            Some('N') => incoming.listed.push(Listed::dropped(place, format!("{id}: a normalisation; annot has no references to external databases"))),
            _ => incoming.listed.push(Listed::dropped(place, format!("`{id}` is not a brat annotation id (T, R, E, A, M, N, # or *)"))),
        }
    }
    for (n, line) in later {
        let place = format!("{ann_shown}:{}", n + 1);
        let (id, rest) = line.split_once('\t').unwrap_or((&line, ""));
        let (data, tail) = rest.split_once('\t').unwrap_or((rest, ""));
        let words: Vec<&str> = data.split_whitespace().collect();
        match id.chars().next() {
            Some('R') => {
                let arg = |w: &str| w.split_once(':').map(|(_, t)| t.to_string());
                let (Some(rel), Some(a1), Some(a2)) = (
                    words.first(),
                    words.get(1).and_then(|w| arg(w)),
                    words.get(2).and_then(|w| arg(w)),
                ) else {
                    incoming.listed.push(Listed::dropped(
                        place,
                        format!("{id}: a relation line must read `R1<TAB>TYPE Arg1:T1 Arg2:T2`"),
                    ));
                    continue;
                };
                if words.len() != 3 {
                    incoming.listed.push(Listed::dropped(
                        place,
                        format!("{id}: a relation needs exactly two arguments"),
                    ));
                    continue;
                }
                let (Some(&from), true) = (index.get(&a1), index.contains_key(&a2)) else {
                    incoming.listed.push(Listed::dropped(place, format!("{id}: its arguments {a1} and {a2} are not both text-bound annotations of this document that were imported")));
                    continue;
                };
                let target = id_of(&a2);
                annotations[from].links.push(IncomingLink {
                    rel: rel.to_string(),
                    target,
                    note: None,
                    place: place.clone(),
                });
                // Remember which link this R is, for its notes.
                incoming.link_of.insert(
                    format!("{ann_shown}#{id}"),
                    (
                        annotations[from].id.clone(),
                        annotations[from].links.len() - 1,
                    ),
                );
            }
            Some('A' | 'M') => {
                let (Some(name), Some(target)) = (words.first(), words.get(1)) else {
                    incoming.listed.push(Listed::dropped(
                        place,
                        format!("{id}: an attribute line must read `A1<TAB>NAME T1 [VALUE]`"),
                    ));
                    continue;
                };
                let Some(&i) = index.get(*target).filter(|&&i| i < annotations.len()) else {
                    incoming.listed.push(Listed::dropped(place, format!("{id}: an attribute of {target}, which is not an imported text-bound annotation (attributes of events are not imported)")));
                    continue;
                };
                let value = if words.len() > 2 {
                    parse_value(&words[2..].join(" "))
                } else {
                    Value::Bool(true)
                };
                annotations[i].attrs.push((name.to_string(), value));
                annotations[i]
                    .attr_places
                    .insert(name.to_string(), place.clone());
            }
            Some('#') => {
                let target = words.get(1).copied().unwrap_or("");
                let note = tail.to_string();
                if let Some(&i) = index.get(target).filter(|&&i| i < annotations.len()) {
                    let a = &mut annotations[i];
                    a.note = Some(match a.note.take() {
                        Some(old) => format!("{old}\n\n{note}"),
                        None => note,
                    });
                } else if let Some((owner, k)) = incoming
                    .link_of
                    .get(&format!("{ann_shown}#{target}"))
                    .cloned()
                {
                    if let Some(a) = annotations.iter_mut().find(|a| a.id == owner) {
                        a.links[k].note = Some(note);
                    }
                } else {
                    incoming.listed.push(Listed::dropped(
                        place,
                        format!("{id}: a note on {target}, which is not an imported annotation"),
                    ));
                }
            }
            _ => {}
        }
    }
    incoming.documents.push(IncomingDoc {
        name: txt_path.display().to_string(),
        seed_hint: Some(format!("seeds/{txt_rel}")),
        content: DocContent::Text(txt),
        annotations,
    });
}

/// brat's own line splitting of an `.ann` (Python's `splitlines`).
fn split_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if is_line_break(c) {
            lines.push(&text[start..i]);
            let mut next = i + c.len_utf8();
            if c == '\r' {
                if let Some(&(j, '\n')) = chars.peek() {
                    chars.next();
                    next = j + 1;
                }
            }
            start = next;
        }
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

/// A value of an attribute line: a number or boolean when it reads as one.
fn parse_value(s: &str) -> Value {
    if s.starts_with('[') {
        if let Ok(list @ Value::Array(_)) = serde_json::from_str::<Value>(s) {
            return list;
        }
    }
    if let Ok(i) = s.parse::<i64>() {
        return Value::from(i);
    }
    if s.contains(['.', 'e', 'E'])
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
    {
        if let Some(n) = s.parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
            return Value::Number(n);
        }
    }
    match s {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => Value::String(s.to_string()),
    }
}

/// The type and span of a `T` line, checked as brat's server checks it:
/// the text after the second tab must be the fragments' text joined by
/// spaces. Fragments that only line breaks separate become one span.
fn text_bound(
    data: &str,
    tail: &str,
    chars: &[char],
) -> Result<(String, usize, usize, bool), String> {
    let (kind, offsets) = data
        .split_once(' ')
        .ok_or("a text-bound line must read `T1<TAB>TYPE START END<TAB>TEXT`")?;
    let mut fragments = Vec::new();
    for part in offsets.split(';') {
        let mut nums = part.split_whitespace();
        let (Some(s), Some(e), None) = (nums.next(), nums.next(), nums.next()) else {
            return Err(format!("`{part}` is not `START END`"));
        };
        let (Ok(s), Ok(e)) = (s.parse::<usize>(), e.parse::<usize>()) else {
            return Err(format!("`{part}`: offsets must be non-negative integers"));
        };
        if s > e {
            return Err(format!("the span {s}..{e} starts after it ends"));
        }
        if e > chars.len() {
            return Err(format!(
                "the span {s}..{e} goes beyond the end of the text ({} characters)",
                chars.len()
            ));
        }
        fragments.push((s, e));
    }
    let texts: Vec<String> = fragments
        .iter()
        .map(|&(s, e)| chars[s..e].iter().collect())
        .collect();
    let expected = texts.join(" ");
    if !tail.is_empty() && tail != expected && !tail.starts_with(&format!("{expected} ")) {
        return Err(format!(
            "its text \"{}\" is not the text at its span, \"{}\" (are the offsets in code points of the .txt?)",
            crate::report::visible(tail),
            crate::report::visible(&expected)
        ));
    }
    let start = fragments[0].0;
    let end = fragments[fragments.len() - 1].1;
    if fragments.len() == 1 {
        if start == end {
            return Err("the span is empty".to_string());
        }
        return Ok((kind.to_string(), start, end, false));
    }
    let only_breaks = fragments
        .windows(2)
        .all(|w| w[0].1 <= w[1].0 && chars[w[0].1..w[1].0].iter().all(|&c| is_line_break(c)));
    if !only_breaks {
        return Err(format!(
            "a discontinuous span ({} fragments with text between them); annot spans are continuous",
            fragments.len()
        ));
    }
    Ok((kind.to_string(), start, end, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_becomes_lf_and_offsets_follow() {
        let (text, offsets) = brat_text("a\r\nb\rc");
        assert_eq!(text, "a\nb\nc");
        assert_eq!(offsets, vec![0, 1, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn ann_lines_split_where_python_splits() {
        assert_eq!(split_lines("a\r\nb\u{2028}c\n"), vec!["a", "b", "c"]);
    }

    #[test]
    fn values_keep_their_type() {
        assert_eq!(parse_value("1000"), Value::from(1000));
        assert_eq!(parse_value("2.5"), serde_json::json!(2.5));
        assert_eq!(parse_value("true"), Value::Bool(true));
        assert_eq!(parse_value("e"), Value::String("e".into()));
    }
}
