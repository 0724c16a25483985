//! Loading: from the YAML tree of a file to the model. Loading judges only
//! structure (types, required and unknown fields), the same things the JSON
//! Schemas in `schema/` say; everything that needs other files is a rule.

use crate::finding::{Code, Finding, Place};
use crate::model::*;
use crate::yaml::{self, Key, Node, Pos, Value, YamlErrorKind};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;

pub const ANNOTATION_FILE_FIELDS: &[&str] = &["source", "sha256", "annotations"];
pub const ANNOTATION_FIELDS: &[&str] = &[
    "id", "kind", "quote", "start", "end", "prefix", "suffix", "attrs", "links", "note", "drift",
];
pub const LINK_FIELDS: &[&str] = &["rel", "target", "note"];
pub const DRIFT_FIELDS: &[&str] = &[
    "status",
    "from_sha256",
    "old_start",
    "old_end",
    "old_quote",
    "new_start",
    "new_end",
    "new_quote",
    "confidence",
    "reason",
    "candidates",
];
/// The fields every `drift:` has; the others describe a proposal.
const DRIFT_REQUIRED: &[&str] = &["status", "from_sha256", "old_start", "old_end", "old_quote"];
/// The fields of a proposed new span: all together or none.
const PROPOSAL_FIELDS: &[&str] = &["new_start", "new_end", "new_quote", "confidence"];
const CANDIDATE_FIELDS: &[&str] = &["start", "end"];
pub const VOCABULARY_FIELDS: &[&str] = &["kinds", "relations"];
pub const KIND_FIELDS: &[&str] = &["anchored", "doc", "attrs"];
pub const ATTR_FIELDS: &[&str] = &["type", "values", "doc"];
pub const RELATION_FIELDS: &[&str] = &["from", "to", "symmetric", "doc"];
pub const SOURCE_META_FIELDS: &[&str] = &[
    "title",
    "publisher",
    "url",
    "language",
    "published",
    "retrieved",
    "derived_from",
    "note",
];
/// Files with at least this many annotations have them read in parallel.
const PARALLEL_ANNOTATIONS: usize = 4096;
/// Fields that only make sense on an annotation of a source's text.
const ANCHOR_FIELDS: &[&str] = &["quote", "start", "end", "prefix", "suffix"];

/// Whether `s` is a valid annotation id (also used for vocabulary names).
pub fn is_valid_id(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'))
}

pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Parses a file's bytes, turning a YAML error into a finding.
pub fn parse_yaml(path: &str, bytes: &[u8]) -> Result<Node, Box<Finding>> {
    yaml::parse(bytes).map_err(|err| yaml_finding(path, err))
}

/// The one finding of a file whose YAML could not be read.
fn yaml_finding(path: &str, err: yaml::YamlError) -> Box<Finding> {
    {
        let code = match err.kind {
            YamlErrorKind::Syntax => Code::YamlSyntax,
            YamlErrorKind::Unsupported => Code::YamlUnsupported,
            YamlErrorKind::Limit => Code::YamlLimit,
        };
        let general = match err.kind {
            YamlErrorKind::Syntax => "fix the YAML at this position; quote a value with \"...\" if it contains `: `, `#` or starts with a special character",
            YamlErrorKind::Unsupported => "annotation files use plain YAML only: no anchors (&), aliases (*), merge keys (<<), tags (!) or extra documents (---)",
            YamlErrorKind::Limit => "split the file into smaller ones, or flatten the nesting",
        };
        let help = err.help.unwrap_or_else(|| general.to_string());
        Box::new(Finding::new(code, place(path, err.pos), err.message).with_help(help))
    }
}

pub fn place(file: &str, pos: Pos) -> Place {
    Place {
        file: file.to_string(),
        line: pos.line.max(1),
        column: pos.column.max(1),
        start: pos.start,
        end: pos.end.max(pos.start),
    }
}

/// Reads fields out of mappings, collecting structural findings.
struct Reader<'a> {
    file: &'a str,
    /// The file's text, for messages that quote what was written.
    text: &'a str,
    findings: Vec<Finding>,
    /// Names suggested for misspelt keys of the mapping read last: a
    /// missing field that was only misspelt is not reported twice.
    suggested: Vec<&'static str>,
}

/// The entries of one mapping by key. Mappings have a handful of keys, so a
/// list searched in order beats any map.
struct Fields<'n>(Vec<(&'n str, (&'n Key, &'n Node))>);

impl<'n> Fields<'n> {
    fn get(&self, name: &str) -> Option<&(&'n Key, &'n Node)> {
        self.0.iter().find(|(k, _)| *k == name).map(|(_, v)| v)
    }

    fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    fn insert(&mut self, name: &'n str, value: (&'n Key, &'n Node)) {
        match self.0.iter_mut().find(|(k, _)| *k == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name, value)),
        }
    }
}

impl<'a> Reader<'a> {
    fn new(file: &'a str, text: &'a str) -> Reader<'a> {
        Reader {
            file,
            text,
            findings: Vec::new(),
            suggested: Vec::new(),
        }
    }

    fn schema(&mut self, pos: Pos, id: Option<&str>, message: String, help: String) {
        let mut finding =
            Finding::new(Code::Schema, place(self.file, pos), message).with_help(help);
        if let Some(id) = id {
            finding = finding.with_id(id);
        }
        self.findings.push(finding);
    }

    /// The entries of a mapping, or a finding saying what was found instead.
    fn mapping<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
        id: Option<&str>,
    ) -> Option<&'n [(Key, Node)]> {
        match &node.value {
            Value::Map(entries) => Some(entries),
            _ => {
                self.schema(
                    node.pos,
                    id,
                    format!(
                        "{what} must be a mapping (`key: value` lines), found {}",
                        node.type_name()
                    ),
                    format!("write {what} as `key: value` pairs"),
                );
                None
            }
        }
    }

    /// Indexes a mapping by key, reporting keys that are not `allowed`.
    fn fields<'n>(
        &mut self,
        entries: &'n [(Key, Node)],
        allowed: &[&'static str],
        what: &str,
        id: Option<&str>,
    ) -> Fields<'n> {
        let mut fields = Fields(Vec::with_capacity(entries.len()));
        self.suggested.clear();
        for (key, node) in entries {
            if allowed.contains(&key.name.as_str()) {
                fields.insert(key.name.as_str(), (key, node));
            } else {
                let help = match did_you_mean(&key.name, allowed) {
                    Some(best) => {
                        self.suggested.push(best);
                        format!(
                            "did you mean `{best}`? {what} allows: {}",
                            allowed.join(", ")
                        )
                    }
                    None => format!("{what} allows: {}", allowed.join(", ")),
                };
                self.schema(
                    key.pos,
                    id,
                    format!("unknown field `{}` in {what}", key.name),
                    help,
                );
            }
        }
        fields
    }

    fn require(&mut self, fields: &Fields, name: &str, at: Pos, what: &str, id: Option<&str>) {
        if !fields.contains_key(name) && !self.suggested.contains(&name) {
            self.schema(
                at,
                id,
                format!("{what} is missing the required field `{name}`"),
                format!("add `{name}: ...` to {what}"),
            );
        }
    }

    fn string(&mut self, fields: &Fields, name: &str, id: Option<&str>) -> Option<At<String>> {
        let (_, node) = fields.get(name)?;
        match &node.value {
            Value::Str(s) => Some(At::new(s.clone(), node.pos)),
            _ => {
                self.schema(
                    node.pos,
                    id,
                    format!("`{name}` must be a string, found {}", node.type_name()),
                    format!("put the value in quotes: {name}: \"...\""),
                );
                None
            }
        }
    }

    fn non_empty_string(
        &mut self,
        fields: &Fields,
        name: &str,
        id: Option<&str>,
    ) -> Option<At<String>> {
        let value = self.string(fields, name, id)?;
        if value.value.is_empty() {
            self.schema(
                value.pos,
                id,
                format!("`{name}` is empty"),
                format!("give the text, or remove `{name}`"),
            );
            return None;
        }
        Some(value)
    }

    fn offset(&mut self, fields: &Fields, name: &str, id: Option<&str>) -> Option<At<u64>> {
        let (_, node) = fields.get(name)?;
        let found = match &node.value {
            Value::Int(i) if *i >= 0 => return Some(At::new(*i as u64, node.pos)),
            Value::BigUint(u) => return Some(At::new(*u, node.pos)),
            Value::Int(i) => format!("{i}"),
            other => Node {
                value: other.clone(),
                pos: node.pos,
            }
            .type_name()
            .to_string(),
        };
        self.schema(
            node.pos,
            id,
            format!("`{name}` must be a whole number of code points, 0 or more; found {found}"),
            format!("write the offset as a plain number, e.g. `{name}: 42`, or run `annot anchor` to fill it in"),
        );
        None
    }

    fn sha256(&mut self, fields: &Fields, name: &str, id: Option<&str>) -> Option<At<String>> {
        if let Some((_, node)) = fields.get(name) {
            if matches!(
                node.value,
                Value::Int(_) | Value::BigUint(_) | Value::Float(_)
            ) {
                // A hash of only digits (and perhaps one `e`) reads as a
                // number unless it is quoted.
                let written = self.text.get(node.pos.start..node.pos.end).unwrap_or("");
                self.schema(
                    node.pos,
                    id,
                    format!("`{name}` must be 64 hexadecimal digits as text, but {written} reads as a number"),
                    format!("put it in quotes: {name}: \"{written}\""),
                );
                return None;
            }
        }
        let value = self.string(fields, name, id)?;
        if !is_sha256_hex(&value.value) {
            self.schema(
                value.pos,
                id,
                format!(
                    "`{name}` must be 64 lowercase hexadecimal digits, found {:?}",
                    value.value
                ),
                "copy it from `sha256sum FILE`, or remove it and run `annot anchor` to fill it in"
                    .to_string(),
            );
            return None;
        }
        Some(value)
    }

    fn boolean(&mut self, fields: &Fields, name: &str) -> Option<bool> {
        let (_, node) = fields.get(name)?;
        match node.value {
            Value::Bool(b) => Some(b),
            _ => {
                self.schema(
                    node.pos,
                    None,
                    format!("`{name}` must be true or false, found {}", node.type_name()),
                    format!("write `{name}: true` or `{name}: false`"),
                );
                None
            }
        }
    }

    fn list<'n>(
        &mut self,
        fields: &Fields<'n>,
        name: &str,
        id: Option<&str>,
    ) -> Option<&'n [Node]> {
        let (_, node) = fields.get(name)?;
        match &node.value {
            Value::Seq(items) => Some(items),
            _ => {
                self.schema(
                    node.pos,
                    id,
                    format!("`{name}` must be a list, found {}", node.type_name()),
                    format!("write `{name}:` followed by lines starting with `- `"),
                );
                None
            }
        }
    }

    fn name_list(&mut self, fields: &Fields, name: &str) -> Vec<At<String>> {
        let Some(items) = self.list(fields, name, None) else {
            return Vec::new();
        };
        let mut names = Vec::new();
        for item in items {
            match &item.value {
                Value::Str(s) => names.push(At::new(s.clone(), item.pos)),
                _ => self.schema(
                    item.pos,
                    None,
                    format!(
                        "entries of `{name}` must be kind names, found {}",
                        item.type_name()
                    ),
                    "write kind names as plain words".to_string(),
                ),
            }
        }
        names
    }

    fn check_name(&mut self, key: &Key, what: &str) {
        if !is_valid_id(&key.name) {
            self.schema(
                key.pos,
                None,
                format!("{what} name {:?} is not valid", key.name),
                "names start with a letter or digit and use only letters, digits, `.`, `_`, `:` and `-`".to_string(),
            );
        }
    }
}

/// The closest allowed name to a misspelt one, if any is close.
///
/// Close means one edit away (a letter added, dropped or changed), or, for
/// names of up to [`COMPARED_CHARS`] characters, similar by Jaro-Winkler
/// *and* within a third of the longer name in edits (a swap of two
/// neighbours counts as one), so that a shared
/// namespace (`ent.`) alone never makes two names look alike. Longer names
/// are only checked for one edit, in linear time: a hostile file of very
/// long ids cannot stall a run.
pub fn did_you_mean<'s>(given: &str, allowed: &[&'s str]) -> Option<&'s str> {
    let given_chars: Vec<char> = given.chars().collect();
    let mut best: Option<(f64, &'s str)> = None;
    for candidate in allowed {
        let candidate_chars: Vec<char> = candidate.chars().collect();
        let score = if given_chars.len() > 1 && one_edit_apart(&given_chars, &candidate_chars) {
            if given_chars.len() > COMPARED_CHARS || candidate_chars.len() > COMPARED_CHARS {
                1.0
            } else {
                strsim::jaro_winkler(given, candidate).max(0.85)
            }
        } else if given_chars.len() > COMPARED_CHARS || candidate_chars.len() > COMPARED_CHARS {
            continue;
        } else {
            let longer = given_chars.len().max(candidate_chars.len());
            if given_chars.len().abs_diff(candidate_chars.len()) * 3 > longer {
                continue;
            }
            let score = strsim::jaro_winkler(given, candidate);
            if score < 0.8 || strsim::osa_distance(given, candidate) * 3 > longer.max(3) {
                continue;
            }
            score
        };
        if best.is_none_or(|(b, _)| score > b) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// Names longer than this are compared for one edit only.
pub const COMPARED_CHARS: usize = 64;

/// Whether `a` becomes `b` by adding, dropping or changing one character
/// (or not at all), in time linear in their length.
fn one_edit_apart(a: &[char], b: &[char]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    let common_start = short.iter().zip(long).take_while(|(x, y)| x == y).count();
    let common_end = short[common_start..]
        .iter()
        .rev()
        .zip(long[common_start..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    // What is left in the longer one after the shared start and end.
    long.len() - common_start - common_end <= 1 && short.len() - common_start - common_end <= 1
}

/// The result of loading one file: the model (when the file could be read
/// at all) and the structural findings.
pub struct Loaded<T> {
    pub value: Option<T>,
    pub findings: Vec<Finding>,
}

/// Parses a file and reads it with `read`, collecting structural findings;
/// YAML that does not parse gives its one finding and no value.
fn load_with<T>(
    path: &str,
    bytes: &[u8],
    read: impl FnOnce(&mut Reader, &mut Node) -> Option<T>,
) -> Loaded<T> {
    match yaml::checked_text(bytes) {
        Ok(text) => load_text(path, text, read),
        Err(err) => Loaded {
            value: None,
            findings: vec![*yaml_finding(path, err)],
        },
    }
}

/// As [`load_with`], for a file's bytes already checked as UTF-8.
fn load_text<T>(
    path: &str,
    text: &str,
    read: impl FnOnce(&mut Reader, &mut Node) -> Option<T>,
) -> Loaded<T> {
    match yaml::parse_str(text) {
        Ok(root) => load_tree(path, text, root, read),
        Err(err) => Loaded {
            value: None,
            findings: vec![*yaml_finding(path, err)],
        },
    }
}

/// Reads a file's tree with `read`, collecting structural findings.
fn load_tree<T>(
    path: &str,
    text: &str,
    mut root: Node,
    read: impl FnOnce(&mut Reader, &mut Node) -> Option<T>,
) -> Loaded<T> {
    let mut reader = Reader::new(path, text);
    let value = read(&mut reader, &mut root);
    // Freeing the tree of a large file takes a while, and nothing waits
    // for it.
    if text.len() > 1 << 20 {
        rayon::spawn(move || drop(root));
    }
    Loaded {
        value,
        findings: reader.findings,
    }
}

pub fn annotation_file(path: &str, bytes: &[u8]) -> Loaded<AnnotationFile> {
    // UTF-8 is checked once, here: a large workspace is hundreds of MB.
    match yaml::checked_text(bytes) {
        Ok(text) => annotation_file_of_text(path, &Arc::new(text.to_string())),
        Err(err) => Loaded {
            value: None,
            findings: vec![*yaml_finding(path, err)],
        },
    }
}

/// [`annotation_file`] for bytes the caller is done with, which become the
/// file's text without a copy; also returns the text as read, any invalid
/// UTF-8 replaced.
pub fn annotation_file_owned(path: &str, bytes: Vec<u8>) -> (Arc<String>, Loaded<AnnotationFile>) {
    let text = match yaml::checked_string(bytes) {
        Ok(text) => Arc::new(text),
        Err((bytes, err)) => {
            let loaded = Loaded {
                value: None,
                findings: vec![*yaml_finding(path, err)],
            };
            return (
                Arc::new(String::from_utf8_lossy(&bytes).into_owned()),
                loaded,
            );
        }
    };
    let loaded = annotation_file_of_text(path, &text);
    (text, loaded)
}

fn annotation_file_of_text(path: &str, text: &Arc<String>) -> Loaded<AnnotationFile> {
    if text.len() >= READ_AS_PARSED_BYTES {
        if let Some(loaded) = annotation_file_as_parsed(path, text) {
            return loaded;
        }
    }
    load_text(path, text, |reader, root| {
        read_annotation_file(reader, root, Arc::clone(text), None)
    })
}

/// Files at least this large may have their annotations read into the
/// model while the YAML reader reads them.
const READ_AS_PARSED_BYTES: usize = 1 << 20;

/// The annotations of one run of entries, read each by its own rules
/// ([`read_annotation`]), and their findings in order; each entry's tree is
/// freed as soon as it is read.
type ReadAnnotations = (Vec<Annotation>, Vec<Finding>);

fn read_annotations(file: &str, text: &str, items: Vec<Node>, anchored: bool) -> ReadAnnotations {
    let mut reader = Reader::new(file, text);
    // Sized at once: growing a list of large values would copy it into
    // fresh memory again and again.
    let mut read = Vec::with_capacity(items.len());
    for item in items {
        read.extend(read_annotation(&mut reader, &item, anchored));
    }
    (read, reader.findings)
}

/// A large file (100,000 annotations in one file) has its annotations read
/// into the model by the same rules, piece by piece in the tasks of the
/// YAML reader that read them, so that the tree of the whole list is never
/// alive at once: it would be ~10 × the file, and on a fresh process
/// allocating (and the kernel zeroing) that memory cost more than reading
/// it. Whether the file has a `source` (which the annotations' rules need)
/// is guessed from its text and checked on the tree: when the guess or
/// anything else does not fit, `None`, and the file is read as usual.
fn annotation_file_as_parsed(path: &str, text: &Arc<String>) -> Option<Loaded<AnnotationFile>> {
    let yaml_text: &str = text;
    let bytes = yaml_text.as_bytes();
    let anchored =
        bytes.starts_with(b"source:") || memchr::memmem::find(bytes, b"\nsource:").is_some();
    let read_piece = |items: Vec<Node>| -> Box<dyn std::any::Any + Send> {
        Box::new(read_annotations(path, yaml_text, items, anchored))
    };
    let (root, mapped) = match yaml::parse_mapped(yaml_text, &read_piece) {
        Ok(read) => read,
        Err(err) => {
            return Some(Loaded {
                value: None,
                findings: vec![*yaml_finding(path, err)],
            })
        }
    };
    let pre_read = match mapped {
        None => None,
        Some(mapped) => {
            let Value::Map(entries) = &root.value else {
                return None;
            };
            let has_source = entries.iter().any(|(k, _)| k.name == "source");
            // Any other field (a misspelt `sorce:` read as the source it
            // was meant to be, say) is left to the usual reading.
            if !entries
                .iter()
                .all(|(k, _)| ANNOTATION_FILE_FIELDS.contains(&k.name.as_str()))
            {
                return None;
            }
            let (_, list) = entries.iter().find(|(k, _)| k.name == "annotations")?;
            let read_here = matches!(&list.value, Value::Seq(items) if items.is_empty())
                && list.pos == mapped.pos
                && has_source == anchored;
            if !read_here {
                return None;
            }
            let pieces: Option<Vec<ReadAnnotations>> = mapped
                .pieces
                .into_iter()
                .map(|piece| piece.downcast::<ReadAnnotations>().ok().map(|read| *read))
                .collect();
            Some(pieces?)
        }
    };
    Some(load_tree(path, yaml_text, root, |reader, root| {
        read_annotation_file(reader, root, Arc::clone(text), pre_read)
    }))
}

/// Takes the annotations out of a file's tree, leaving an empty list in
/// their place, so each can be freed as soon as it is read: a large file's
/// tree and its model are then never alive whole at the same time.
fn take_annotations(root: &mut Node) -> Vec<Node> {
    let Value::Map(entries) = &mut root.value else {
        return Vec::new();
    };
    match entries.iter_mut().find(|(k, _)| k.name == "annotations") {
        Some((_, node)) => match &mut node.value {
            Value::Seq(items) => std::mem::take(items),
            _ => Vec::new(),
        },
        None => Vec::new(),
    }
}

/// `pre_read`: the annotations already read from the file's list as the
/// YAML reader read it ([`annotation_file_as_parsed`]); the list then
/// stands in the tree with no entries.
fn read_annotation_file(
    r: &mut Reader,
    root: &mut Node,
    text: Arc<String>,
    pre_read: Option<Vec<ReadAnnotations>>,
) -> Option<AnnotationFile> {
    let owned = take_annotations(root);
    let root: &Node = root;
    if root.value == Value::Null {
        r.schema(
            Pos {
                line: 1,
                column: 1,
                start: 0,
                end: 0,
            },
            None,
            "the annotation file is empty".to_string(),
            "start it with `annotations:` (and `source:` for annotations of a source text)"
                .to_string(),
        );
        return None;
    }
    let entries = r.mapping(root, "an annotation file", None)?;
    let fields = r.fields(entries, ANNOTATION_FILE_FIELDS, "an annotation file", None);
    r.require(
        &fields,
        "annotations",
        root.pos,
        "the annotation file",
        None,
    );
    // A misspelt `source:` is one finding, the unknown field: the file is
    // read as the file of a source it was meant to be, so its `sha256` and
    // its annotations' quotes are not also reported as out of place.
    let source_misspelt = r.suggested.contains(&"source");
    let source = r.non_empty_string(&fields, "source", None);
    let sha256 = r.sha256(&fields, "sha256", None);
    if let (Some((key, _)), false) = (
        fields.get("sha256"),
        fields.contains_key("source") || source_misspelt,
    ) {
        r.schema(
            key.pos,
            None,
            "`sha256` pins a source version, but the file has no `source`".to_string(),
            "add `source: seeds/...` naming the document, or remove `sha256`".to_string(),
        );
    }
    let anchored = fields.contains_key("source") || source_misspelt;
    let complete = r.findings.is_empty();
    let mut annotations = Vec::new();
    // `annotations:` with nothing after it is a new file's empty list, as
    // format.md says, not a type error.
    let empty = matches!(fields.get("annotations"), Some((_, node)) if node.value == Value::Null);
    if !empty && r.list(&fields, "annotations", None).is_some() {
        let items = owned;
        annotations.reserve(items.len());
        if let Some(pieces) = pre_read {
            annotations.reserve_exact(pieces.iter().map(|(read, _)| read.len()).sum());
            for (read, findings) in pieces {
                annotations.extend(read);
                r.findings.extend(findings);
            }
        } else if items.len() < PARALLEL_ANNOTATIONS {
            for item in items {
                if let Some(annotation) = read_annotation(r, &item, anchored) {
                    annotations.push(annotation);
                }
            }
        } else {
            // A file of many annotations is read in parallel pieces, each
            // with its own reader (an annotation's findings depend on
            // nothing read before it); pieces are joined in order.
            let (file, yaml_text) = (r.file, r.text);
            let pieces: Vec<ReadAnnotations> = items
                .into_par_iter()
                .chunks(PARALLEL_ANNOTATIONS / 4)
                .map(|piece| read_annotations(file, yaml_text, piece, anchored))
                .collect();
            annotations.reserve_exact(pieces.iter().map(|(read, _)| read.len()).sum());
            for (read, findings) in pieces {
                annotations.extend(read);
                r.findings.extend(findings);
            }
        }
    }
    Some(AnnotationFile {
        path: r.file.to_string(),
        text,
        source,
        sha256,
        annotations,
        complete,
    })
}

fn read_annotation(r: &mut Reader, node: &Node, anchored: bool) -> Option<Annotation> {
    let findings_before = r.findings.len();
    let entries = r.mapping(node, "an annotation", None)?;
    // The id is read first so every later finding can name the annotation.
    let id_text = entries
        .iter()
        .find(|(k, _)| k.name == "id")
        .and_then(|(_, v)| v.as_str())
        .map(str::to_string);
    let idr = id_text.as_deref();
    let fields = r.fields(entries, ANNOTATION_FIELDS, "an annotation", idr);
    r.require(&fields, "id", node.pos, "the annotation", idr);
    r.require(&fields, "kind", node.pos, "the annotation", idr);
    let id = r.string(&fields, "id", idr);
    if let Some(id) = &id {
        if !is_valid_id(&id.value) {
            r.schema(
                id.pos,
                idr,
                format!("id {:?} is not valid", id.value),
                "ids start with a letter or digit and use only letters, digits, `.`, `_`, `:` and `-` (e.g. `tass.sappers`)".to_string(),
            );
        }
    }
    let kind = r.string(&fields, "kind", idr);
    let quote = r.non_empty_string(&fields, "quote", idr);
    let start = r.offset(&fields, "start", idr);
    let end = r.offset(&fields, "end", idr);
    let prefix = r.non_empty_string(&fields, "prefix", idr);
    let suffix = r.non_empty_string(&fields, "suffix", idr);
    let note = r.string(&fields, "note", idr);

    if anchored {
        for (field, needs) in [
            ("start", &["end", "quote"][..]),
            ("end", &["start", "quote"][..]),
            ("prefix", &["quote"][..]),
            ("suffix", &["quote"][..]),
        ] {
            let Some((key, _)) = fields.get(field) else {
                continue;
            };
            for needed in needs {
                // A misspelt `qoute:` or `strat:` has its finding already.
                if !fields.contains_key(needed) && !r.suggested.contains(needed) {
                    r.schema(
                        key.pos,
                        idr,
                        format!("`{field}` is given without `{needed}`"),
                        if *needed == "quote" {
                            format!("add the `quote` this `{field}` belongs to")
                        } else {
                            "give both `start` and `end`, or neither (then `annot anchor` fills them from `quote`)".to_string()
                        },
                    );
                }
            }
        }
    } else {
        for field in ANCHOR_FIELDS {
            if let Some((key, _)) = fields.get(field) {
                r.schema(
                    key.pos,
                    idr,
                    format!("`{field}` is not allowed here: this file has no `source`, so its annotations quote no text"),
                    "move the annotation into the annotation file of its source, or remove the field".to_string(),
                );
            }
        }
    }

    let attrs = read_attrs(r, &fields, idr);
    let links = read_links(r, &fields, idr);
    let drift = fields
        .get("drift")
        .and_then(|(_, node)| read_drift(r, node, idr))
        .map(Box::new);

    Some(Annotation {
        id: id?,
        kind: kind?,
        quote,
        start,
        end,
        prefix,
        suffix,
        attrs,
        links,
        note,
        drift,
        pos: node.pos,
        complete: r.findings.len() == findings_before,
    })
}

fn is_scalar(node: &Node) -> bool {
    matches!(
        node.value,
        Value::Str(_) | Value::Int(_) | Value::BigUint(_) | Value::Float(_) | Value::Bool(_)
    )
}

fn read_attrs(r: &mut Reader, fields: &Fields, id: Option<&str>) -> Vec<(At<String>, Node)> {
    let Some((_, node)) = fields.get("attrs") else {
        return Vec::new();
    };
    let Some(entries) = r.mapping(node, "`attrs`", id) else {
        return Vec::new();
    };
    let mut attrs = Vec::with_capacity(entries.len());
    let mut split_off = None;
    for (index, (key, value)) in entries.iter().enumerate() {
        if split_off == Some(index) {
            continue;
        }
        if let Some((digits, number)) = entries
            .get(index + 1)
            .and_then(|next| number_split_by_comma(r.text, value, next))
        {
            // `{figure: 14,000}`: one mistake, reported at the number.
            let before = &r.text[value.pos.start..value.pos.end];
            let written = format!("{before},{digits}");
            r.schema(
                value.pos,
                id,
                format!(
                    "`{}: {written}`: in a flow mapping `{{...}}` a comma ends the value, so this reads as `{}: {}` and a field `{digits}` with no value",
                    key.name, key.name, before
                ),
                format!(
                    "write the number without the separator, `{}: {number}`, or quote the text: `{}: \"{written}\"`",
                    key.name, key.name
                ),
            );
            split_off = Some(index + 1);
            continue;
        }
        let ok = is_scalar(value)
            || matches!(&value.value, Value::Seq(items) if items.iter().all(is_scalar));
        if ok {
            attrs.push((At::new(key.name.clone(), key.pos), value.clone()));
        } else {
            r.schema(
                value.pos,
                id,
                format!(
                    "attribute `{}` must be a string, number, boolean or a list of those, found {}",
                    key.name,
                    value.type_name()
                ),
                "attributes hold plain values; put structured information in `note` or in links"
                    .to_string(),
            );
        }
    }
    attrs
}

/// Whether `next`, the entry after `value` in a mapping, is the rest of a
/// number with thousands separators that a flow mapping split at its
/// comma (`{figure: 14,000}` reads as `figure: 14` and `000:` with no
/// value): the digits after the comma and the number meant.
fn number_split_by_comma(text: &str, value: &Node, next: &(Key, Node)) -> Option<(String, String)> {
    let (key, rest) = next;
    let written = text.get(value.pos.start..value.pos.end)?;
    let digits = text.get(key.pos.start..key.pos.end)?;
    let split = matches!(value.value, Value::Int(_) | Value::BigUint(_))
        && rest.value == Value::Null
        && text.get(value.pos.end..key.pos.start) == Some(",")
        && digits.len() == 3
        && digits.bytes().all(|b| b.is_ascii_digit());
    split.then(|| (digits.to_string(), format!("{written}{digits}")))
}

fn read_links(r: &mut Reader, fields: &Fields, id: Option<&str>) -> Vec<Link> {
    let Some(items) = r.list(fields, "links", id) else {
        return Vec::new();
    };
    let mut links = Vec::with_capacity(items.len());
    for item in items {
        let Some(entries) = r.mapping(item, "a link", id) else {
            continue;
        };
        let link_fields = r.fields(entries, LINK_FIELDS, "a link", id);
        r.require(&link_fields, "rel", item.pos, "the link", id);
        r.require(&link_fields, "target", item.pos, "the link", id);
        let rel = r.string(&link_fields, "rel", id);
        let target = r.string(&link_fields, "target", id);
        let note = r.string(&link_fields, "note", id).map(|n| n.value);
        if let (Some(rel), Some(target)) = (rel, target) {
            links.push(Link {
                rel,
                target,
                note,
                pos: item.pos,
            });
        }
    }
    links
}

fn read_drift(r: &mut Reader, node: &Node, id: Option<&str>) -> Option<At<Drift>> {
    let entries = r.mapping(node, "`drift`", id)?;
    let fields = r.fields(entries, DRIFT_FIELDS, "`drift`", id);
    for name in DRIFT_REQUIRED {
        r.require(&fields, name, node.pos, "`drift`", id);
    }
    let status_text = r.string(&fields, "status", id);
    let status = status_text.as_ref().and_then(|s| {
        let status = DriftStatus::parse(&s.value);
        if status.is_none() {
            r.schema(
                s.pos,
                id,
                format!("drift status {:?} is not one of edited, deleted, ambiguous", s.value),
                "`drift` is written by `annot reanchor`; fix the span by hand and remove the whole `drift` entry".to_string(),
            );
        }
        status
    });
    let from_sha256 = r.sha256(&fields, "from_sha256", id);
    let old_start = r.offset(&fields, "old_start", id);
    let old_end = r.offset(&fields, "old_end", id);
    let old_quote = r.string(&fields, "old_quote", id);
    let proposal = read_proposal(r, &fields, status, id);
    let candidates = read_candidates(r, &fields, status, id);
    Some(At::new(
        Drift {
            status: status?,
            from_sha256: from_sha256?.value,
            old_start: old_start?.value,
            old_end: old_end?.value,
            old_quote: old_quote?.value,
            proposal: proposal?,
            candidates: candidates?,
        },
        node.pos,
    ))
}

/// The proposed new span of a `drift:`: `Some(None)` when there is none,
/// `None` when what is there is broken (with findings).
fn read_proposal(
    r: &mut Reader,
    fields: &Fields,
    status: Option<DriftStatus>,
    id: Option<&str>,
) -> Option<Option<Proposal>> {
    let given: Vec<&str> = PROPOSAL_FIELDS
        .iter()
        .copied()
        .filter(|name| fields.contains_key(name))
        .collect();
    let mut broken = false;
    let quoted = |names: &[&str]| {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let with_reason: Vec<&str> = given
        .iter()
        .copied()
        .chain(fields.contains_key("reason").then_some("reason"))
        .collect();
    let missing: Vec<&str> = PROPOSAL_FIELDS
        .iter()
        .copied()
        .filter(|n| !given.contains(n))
        .collect();
    // One finding for one mistake, at the first key of the proposal.
    let first_key = with_reason
        .iter()
        .filter_map(|name| fields.get(name).map(|(key, _)| key.pos))
        .min_by_key(|pos| pos.start);
    match (status, first_key) {
        (Some(status), Some(pos)) if status != DriftStatus::Edited => {
            r.schema(
                pos,
                id,
                format!(
                    "{} describe a proposed new span, which only `status: edited` has; this drift is `{}`",
                    quoted(&with_reason),
                    status.as_str()
                ),
                "remove them, or fix the span by hand and remove the whole `drift` entry".to_string(),
            );
            broken = true;
        }
        (_, Some(pos)) if !given.is_empty() && !missing.is_empty() => {
            r.schema(
                pos,
                id,
                format!(
                    "the proposed new span has {} but not {}",
                    quoted(&given),
                    quoted(&missing)
                ),
                "a proposal is `new_start`, `new_end`, `new_quote` and `confidence` together: give all four, or remove them".to_string(),
            );
            broken = true;
        }
        (_, Some(pos)) if given.is_empty() => {
            r.schema(
                pos,
                id,
                "`reason` explains a proposed new span, but this drift has none (no `new_start`)".to_string(),
                "remove `reason`, or give the proposal: `new_start`, `new_end`, `new_quote` and `confidence`".to_string(),
            );
            broken = true;
        }
        _ => {}
    }
    let start = r.offset(fields, "new_start", id);
    let end = r.offset(fields, "new_end", id);
    let quote = r.string(fields, "new_quote", id);
    let confidence = read_confidence(r, fields, id);
    let reason = r.string(fields, "reason", id);
    if let Some(reason) = &reason {
        if !DRIFT_REASONS.contains(&reason.value.as_str()) {
            r.schema(
                reason.pos,
                id,
                format!(
                    "drift reason {:?} is not one of {}",
                    reason.value,
                    DRIFT_REASONS.join(", ")
                ),
                "`reason` is written by `annot reanchor`; remove it if in doubt".to_string(),
            );
            broken = true;
        }
    }
    if given.is_empty() {
        return (!broken).then_some(None);
    }
    if broken {
        return None;
    }
    Some(Some(Proposal {
        start: start?.value,
        end: end?.value,
        quote: quote?.value,
        confidence: confidence?,
        reason: reason.map(|r| r.value),
    }))
}

fn read_confidence(r: &mut Reader, fields: &Fields, id: Option<&str>) -> Option<f64> {
    let (_, node) = fields.get("confidence")?;
    let value = match node.value {
        Value::Int(i) => Some(i as f64),
        Value::Float(f) => Some(f),
        _ => None,
    };
    match value {
        Some(v) if (0.0..=1.0).contains(&v) => Some(v),
        _ => {
            let found = match value {
                Some(v) => format!("{v}"),
                None => node.type_name().to_string(),
            };
            r.schema(
                node.pos,
                id,
                format!("`confidence` must be a number from 0 to 1, found {found}"),
                "`confidence` is written by `annot reanchor`: write e.g. `confidence: 0.93`"
                    .to_string(),
            );
            None
        }
    }
}

/// The `candidates` of an ambiguous drift: `None` when broken.
fn read_candidates(
    r: &mut Reader,
    fields: &Fields,
    status: Option<DriftStatus>,
    id: Option<&str>,
) -> Option<Vec<(u64, u64)>> {
    let Some((key, _)) = fields.get("candidates") else {
        return Some(Vec::new());
    };
    if let Some(status) = status.filter(|s| *s != DriftStatus::Ambiguous) {
        r.schema(
            key.pos,
            id,
            format!(
                "`candidates` lists the places an `ambiguous` drift could go; this drift is `{}`",
                status.as_str()
            ),
            "remove `candidates`".to_string(),
        );
        return None;
    }
    let items = r.list(fields, "candidates", id)?;
    let mut out = Vec::with_capacity(items.len());
    let mut broken = false;
    for item in items {
        let Some(entries) = r.mapping(item, "a drift candidate", id) else {
            broken = true;
            continue;
        };
        let candidate = r.fields(entries, CANDIDATE_FIELDS, "a drift candidate", id);
        r.require(&candidate, "start", item.pos, "the drift candidate", id);
        r.require(&candidate, "end", item.pos, "the drift candidate", id);
        match (
            r.offset(&candidate, "start", id),
            r.offset(&candidate, "end", id),
        ) {
            (Some(start), Some(end)) => out.push((start.value, end.value)),
            _ => broken = true,
        }
    }
    (!broken).then_some(out)
}

pub fn vocabulary(path: &str, bytes: &[u8]) -> Loaded<Vocabulary> {
    load_with(path, bytes, |r, root| read_vocabulary(r, root))
}

fn read_vocabulary(r: &mut Reader, root: &Node) -> Option<Vocabulary> {
    let entries = r.mapping(root, "the vocabulary", None)?;
    let fields = r.fields(entries, VOCABULARY_FIELDS, "the vocabulary", None);
    r.require(&fields, "kinds", root.pos, "the vocabulary", None);
    let mut vocabulary = Vocabulary {
        path: r.file.to_string(),
        ..Vocabulary::default()
    };
    if let Some((_, kinds)) = fields.get("kinds") {
        for (name, def) in r.mapping(kinds, "`kinds`", None).unwrap_or(&[]) {
            r.check_name(name, "kind");
            if let Some(kind) = read_kind(r, def) {
                vocabulary.kinds.insert(
                    name.name.clone(),
                    KindDef {
                        pos: name.pos,
                        ..kind
                    },
                );
            }
        }
    }
    if let Some((_, relations)) = fields.get("relations") {
        for (name, def) in r.mapping(relations, "`relations`", None).unwrap_or(&[]) {
            r.check_name(name, "relation");
            let Some(entries) = r.mapping(def, "a relation", None) else {
                continue;
            };
            let rel_fields = r.fields(entries, RELATION_FIELDS, "a relation", None);
            r.require(&rel_fields, "from", def.pos, "the relation", None);
            r.require(&rel_fields, "to", def.pos, "the relation", None);
            r.string(&rel_fields, "doc", None);
            let relation = RelationDef {
                pos: name.pos,
                from: r.name_list(&rel_fields, "from"),
                to: r.name_list(&rel_fields, "to"),
                symmetric: r.boolean(&rel_fields, "symmetric").unwrap_or(false),
            };
            vocabulary.relations.insert(name.name.clone(), relation);
        }
    }
    Some(vocabulary)
}

fn read_kind(r: &mut Reader, def: &Node) -> Option<KindDef> {
    let entries = r.mapping(def, "a kind", None)?;
    let fields = r.fields(entries, KIND_FIELDS, "a kind", None);
    r.require(&fields, "anchored", def.pos, "the kind", None);
    r.string(&fields, "doc", None);
    let anchored = match fields.get("anchored").map(|&(_, node)| (node, &node.value)) {
        Some((_, Value::Bool(true))) => Anchored::Always,
        Some((_, Value::Bool(false))) => Anchored::Never,
        Some((_, Value::Str(s))) if s == "any" => Anchored::Either,
        None => Anchored::Either,
        Some((node, _)) => {
            r.schema(
                node.pos,
                None,
                "`anchored` must be true, false or \"any\"".to_string(),
                "true: the kind quotes a span of a source; false: it lives in a file without `source`; any: both".to_string(),
            );
            Anchored::Either
        }
    };
    let mut attrs = BTreeMap::new();
    if let Some((_, attr_map)) = fields.get("attrs") {
        for (name, attr) in r.mapping(attr_map, "`attrs`", None).unwrap_or(&[]) {
            r.check_name(name, "attribute");
            let Some(entries) = r.mapping(attr, "an attribute definition", None) else {
                continue;
            };
            let attr_fields = r.fields(entries, ATTR_FIELDS, "an attribute definition", None);
            r.string(&attr_fields, "doc", None);
            let value_type = r.string(&attr_fields, "type", None).and_then(|t| {
                let parsed = AttrType::parse(&t.value);
                if parsed.is_none() {
                    r.schema(
                        t.pos,
                        None,
                        format!(
                            "attribute type {:?} is not one of string, number, integer, boolean",
                            t.value
                        ),
                        "use one of: string, number, integer, boolean".to_string(),
                    );
                }
                parsed
            });
            let values = r.list(&attr_fields, "values", None).map(|items| {
                for item in items {
                    if !is_scalar(item) {
                        r.schema(
                            item.pos,
                            None,
                            format!(
                                "allowed attribute values must be plain values, found {}",
                                item.type_name()
                            ),
                            "list strings, numbers or booleans".to_string(),
                        );
                    }
                }
                items.to_vec()
            });
            attrs.insert(name.name.clone(), AttrDef { value_type, values });
        }
    }
    Some(KindDef {
        pos: def.pos,
        anchored,
        attrs,
    })
}

pub fn sources_meta(path: &str, bytes: &[u8]) -> Loaded<SourcesMeta> {
    load_with(path, bytes, |r, root| read_sources_meta(r, root))
}

fn read_sources_meta(r: &mut Reader, root: &Node) -> Option<SourcesMeta> {
    let path = r.file;
    let mut meta = SourcesMeta {
        path: path.to_string(),
        entries: Vec::new(),
    };
    if root.value != Value::Null {
        if let Some(entries) = r.mapping(root, "sources.yaml", None) {
            for (key, node) in entries {
                if !key.name.starts_with("seeds/") {
                    r.schema(
                        key.pos,
                        None,
                        format!("{:?} is not a source path", key.name),
                        "keys of sources.yaml are source paths relative to the workspace root, e.g. `seeds/report.txt`".to_string(),
                    );
                }
                let Some(fields_entries) = r.mapping(node, "source metadata", None) else {
                    continue;
                };
                let fields = r.fields(fields_entries, SOURCE_META_FIELDS, "source metadata", None);
                let mut values = Vec::new();
                for name in SOURCE_META_FIELDS {
                    if let (Some(value), Some((k, _))) =
                        (r.string(&fields, name, None), fields.get(name))
                    {
                        values.push((At::new(k.name.clone(), k.pos), value));
                    }
                }
                meta.entries.push(SourceMeta {
                    path: At::new(key.name.clone(), key.pos),
                    fields: values,
                });
            }
        }
    }
    Some(meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<(String, u32)> {
        annotation_file("a.yaml", text.as_bytes())
            .findings
            .iter()
            .map(|f| (f.code.to_string(), f.place.line))
            .collect()
    }

    #[test]
    fn hints_only_for_names_that_are_close() {
        let ids = ["ent.putin", "ent.north-korea", "ent.shoigu", "start", "a1"];
        assert_eq!(did_you_mean("ent.south-korea-foreign-ministry", &ids), None);
        assert_eq!(
            did_you_mean("ent.south-korea", &ids),
            Some("ent.north-korea")
        );
        assert_eq!(did_you_mean("ent.shoigo", &ids), Some("ent.shoigu"));
        assert_eq!(did_you_mean("strat", &ids), Some("start"));
        assert_eq!(did_you_mean("a2", &ids), Some("a1"));
        assert_eq!(did_you_mean("zebra", &ids), None);
    }

    #[test]
    fn very_long_names_are_compared_for_one_edit_only() {
        let long: String = "x".repeat(100_000);
        let near = format!("{long}y");
        let other = format!("{}z", "x".repeat(99_990));
        let ids = [long.as_str(), "x"];
        assert_eq!(did_you_mean(&near, &ids), Some(long.as_str()));
        assert_eq!(did_you_mean(&other, &ids), None);
    }

    #[test]
    fn unknown_field_has_a_hint() {
        let loaded = annotation_file(
            "a.yaml",
            b"source: seeds/a.txt\nannotations:\n  - id: a\n    kind: claim\n    qoute: x\n",
        );
        assert_eq!(loaded.findings.len(), 1);
        let finding = &loaded.findings[0];
        assert_eq!(finding.code, Code::Schema);
        assert_eq!((finding.place.line, finding.place.column), (5, 5));
        assert!(finding
            .help
            .as_deref()
            .unwrap()
            .contains("did you mean `quote`"));
        assert_eq!(finding.id.as_deref(), Some("a"));
    }

    #[test]
    fn offsets_must_be_whole_numbers() {
        assert_eq!(
            codes(
                "source: s\nannotations:\n  - {id: a, kind: k, quote: x, start: \"1\", end: -2}\n"
            ),
            vec![("schema".to_string(), 3), ("schema".to_string(), 3)]
        );
    }

    #[test]
    fn sourceless_files_quote_nothing() {
        assert_eq!(
            codes("annotations:\n  - id: a\n    kind: entity\n    quote: x\n"),
            vec![("schema".to_string(), 4)]
        );
    }

    /// The ordinary way: the whole tree first, then the model.
    fn annotation_file_from_tree(path: &str, bytes: &[u8]) -> Loaded<AnnotationFile> {
        load_with(path, bytes, |reader, root| {
            let text = Arc::new(std::str::from_utf8(bytes).unwrap().to_string());
            read_annotation_file(reader, root, text, None)
        })
    }

    fn same_load(text: &str) {
        assert!(text.len() > 2 * READ_AS_PARSED_BYTES);
        let direct = annotation_file("a.yaml", text.as_bytes());
        let from_tree = annotation_file_from_tree("a.yaml", text.as_bytes());
        assert_eq!(
            format!("{:?}", direct.findings),
            format!("{:?}", from_tree.findings)
        );
        assert_eq!(
            format!("{:?}", direct.value),
            format!("{:?}", from_tree.value)
        );
    }

    #[test]
    fn a_large_file_read_as_parsed_is_what_its_tree_gives() {
        let mut body = String::new();
        for i in 0..40_000 {
            body.push_str(&format!(
                "  - id: a{i}\n    kind: claim\n    quote: \"q {i}\"\n"
            ));
            match i % 7 {
                0 => body.push_str("    qoute: x\n"),
                1 => body.push_str(&format!("    start: {i}\n")),
                2 => body.push_str("    end: -3\n    links:\n      - {rel: r}\n"),
                3 => body.push_str("    attrs: {a: [1, 2], b: {c: d}}\n"),
                _ => body.push_str("    note: fine\n"),
            }
        }
        for head in [
            "source: seeds/a.txt\nsha256: abc\nannotations:\n",
            "# c\nannotations:\n",
            "bogus: 1\nannotations:\n",
        ] {
            same_load(&format!("{head}{body}"));
        }
        // `source` after the list, and a root the guess does not see.
        same_load(&format!("annotations:\n{body}source: seeds/a.txt\n"));
        let indented: String = format!("source: s\nannotations:\n{body}")
            .lines()
            .map(|line| format!("  {line}\n"))
            .collect();
        same_load(&indented);
    }

    #[test]
    fn valid_ids() {
        assert!(is_valid_id("tass.sappers"));
        assert!(is_valid_id("0a:b-c_d"));
        assert!(!is_valid_id(".a"));
        assert!(!is_valid_id("a b"));
        assert!(!is_valid_id(""));
    }
}
