//! Format-preserving edits of YAML files: new `key: value` fields are
//! inserted beside existing ones in the file's own style (block or flow,
//! indentation, line endings), scalars are replaced in place, and every
//! other byte stays as the person left it. Files are written atomically and
//! never over a version that changed since it was read.

use crate::yaml::{self, Key, Node, Value};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Replace `text[start..end]` with `replacement`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub replacement: String,
}

/// Applies non-overlapping edits.
pub fn apply(text: &str, edits: &[Edit]) -> String {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.start, e.end));
    let mut out = String::with_capacity(text.len() + edits.len() * 32);
    let mut cursor = 0;
    for edit in sorted {
        out.push_str(&text[cursor..edit.start]);
        out.push_str(&edit.replacement);
        cursor = edit.end;
    }
    out.push_str(&text[cursor..]);
    out
}

/// A scalar as YAML source: plain when that reads back as the same string,
/// double-quoted otherwise.
pub fn scalar(value: &str) -> String {
    let plain_is_safe = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-'))
        && matches!(
            yaml::parse_str(&format!("k: {value}\n")).map(|n| n.value),
            Ok(Value::Map(ref entries)) if entries[0].1.as_str() == Some(value)
        );
    if plain_is_safe {
        value.to_string()
    } else {
        yaml::quoted(value)
    }
}

/// The byte just after the last visible character of `node`'s text. The
/// parser places a block collection where it starts (zero wide), a flow
/// collection at its opening bracket, and a block scalar from its content
/// to the indentation of the next line; none of those is where the value
/// ends, so the end is found from the last descendant.
pub fn content_end(text: &str, node: &Node) -> usize {
    let bytes = text.as_bytes();
    let flow = node.is_flow_collection(text);
    let last = match &node.value {
        Value::Map(entries) => entries.last().map(|(k, v)| entry_end(text, k, v)),
        Value::Seq(items) => items.last().map(|n| content_end(text, n)),
        _ => {
            let mut end = node.pos.end.min(bytes.len());
            while end > node.pos.start && bytes[end - 1].is_ascii_whitespace() {
                end -= 1;
            }
            return end;
        }
    };
    if !flow {
        return last.unwrap_or(node.pos.start);
    }
    // After the last entry may come spaces, a trailing comma, comments and
    // line breaks before the closing bracket.
    let mut i = last.unwrap_or(node.pos.start + 1);
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' | b'\r' | b'\n' | b',' => i += 1,
            b'#' => i = memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |n| i + n),
            b'}' | b']' => return i + 1,
            _ => break,
        }
    }
    last.unwrap_or(node.pos.start + 1)
}

/// The end of a `key: value` entry: the end of its value, or of its key
/// when the value is empty (`note:` or an empty block scalar).
pub fn entry_end(text: &str, key: &Key, value: &Node) -> usize {
    let end = content_end(text, value);
    let empty = !matches!(value.value, Value::Map(_) | Value::Seq(_)) && end <= value.pos.start;
    if empty || end < key.pos.end {
        key.pos.end
    } else {
        end
    }
}

/// Inserts `fields` into the mapping `container` right after the value
/// `after`, in the mapping's style. `key_column` is the 1-based column of
/// the mapping's keys (for block style).
pub fn insert_fields(
    text: &str,
    container: &Node,
    after: &Node,
    key_column: u32,
    fields: &[(&str, String)],
) -> Edit {
    insert_after(
        text,
        container,
        content_end(text, after),
        key_column,
        fields,
    )
}

/// Inserts `fields` as the last entries of the mapping `container`, in its
/// style, after whatever its last entry is (a block list, a flow mapping,
/// a block scalar). Comments and blank lines after that entry stay where
/// they are: they belong to what follows.
pub fn append_fields(text: &str, container: &Node, fields: &[(&str, String)]) -> Option<Edit> {
    let Value::Map(entries) = &container.value else {
        return None;
    };
    let (first, _) = entries.first()?;
    let (key, value) = entries.last()?;
    Some(insert_after(
        text,
        container,
        entry_end(text, key, value),
        first.pos.column,
        fields,
    ))
}

fn insert_after(
    text: &str,
    container: &Node,
    last: usize,
    key_column: u32,
    fields: &[(&str, String)],
) -> Edit {
    if container.is_flow_collection(text) {
        let mut insertion = String::new();
        for (key, value) in fields {
            insertion.push_str(&format!(", {key}: {value}"));
        }
        return Edit {
            start: last,
            end: last,
            replacement: insertion,
        };
    }
    let bytes = text.as_bytes();
    let last = last.min(bytes.len());
    let line_end = memchr::memchr(b'\n', &bytes[last..]).map(|i| last + i);
    let newline = match line_end {
        Some(i) if i > 0 && bytes[i - 1] == b'\r' => "\r\n",
        Some(_) => "\n",
        None if text.contains("\r\n") => "\r\n",
        None => "\n",
    };
    let indent = " ".repeat(key_column.saturating_sub(1) as usize);
    let mut insertion = String::new();
    let at = match line_end {
        Some(i) => i + 1,
        None => {
            insertion.push_str(newline);
            bytes.len()
        }
    };
    for (key, value) in fields {
        insertion.push_str(&format!("{indent}{key}: {value}{newline}"));
    }
    if line_end.is_none() {
        // Keep the file's lack of a final newline.
        insertion.truncate(insertion.len() - newline.len());
    }
    Edit {
        start: at,
        end: at,
        replacement: insertion,
    }
}

/// Removes the entry `index` of the mapping `container` entirely: key,
/// value (block or flow) and, in block style, its lines, so that no blank
/// line is left behind. Comments on the lines after it stay.
pub fn remove_field(text: &str, container: &Node, index: usize) -> Option<Edit> {
    let Value::Map(entries) = &container.value else {
        return None;
    };
    let (key, value) = entries.get(index)?;
    let end = entry_end(text, key, value);
    let next = entries.get(index + 1).map(|(k, _)| k.pos.start);
    if container.is_flow_collection(text) {
        let (start, end) = match (index.checked_sub(1), next) {
            (Some(prev), _) => {
                let (k, v) = &entries[prev];
                (entry_end(text, k, v), end)
            }
            (None, Some(next)) => (key.pos.start, next),
            (None, None) => (key.pos.start, end),
        };
        return Some(Edit {
            start,
            end,
            replacement: String::new(),
        });
    }
    let bytes = text.as_bytes();
    let line_start = memchr::memrchr(b'\n', &bytes[..key.pos.start]).map_or(0, |i| i + 1);
    let alone = bytes[line_start..key.pos.start].iter().all(|&b| b == b' ');
    if !alone {
        // The key follows a `- ` on its line: the next key moves up to it.
        let next = next?;
        return Some(Edit {
            start: key.pos.start,
            end: next,
            replacement: String::new(),
        });
    }
    match memchr::memchr(b'\n', &bytes[end..]) {
        Some(i) => Some(Edit {
            start: line_start,
            end: end + i + 1,
            replacement: String::new(),
        }),
        None => {
            // The last line of a file without a final newline: the line
            // break before it goes, so the file still ends without one.
            let mut start = line_start.saturating_sub(1);
            if start > 0 && bytes[start - 1] == b'\r' {
                start -= 1;
            }
            Some(Edit {
                start,
                end: bytes.len(),
                replacement: String::new(),
            })
        }
    }
}

/// Replaces a scalar value with new text.
pub fn replace_scalar(node: &Node, replacement: String) -> Edit {
    Edit {
        start: node.pos.start,
        end: node.pos.end,
        replacement,
    }
}

/// Replaces the string scalar `node` with `value`, written in the style the
/// person chose for it (plain, 'single' or "double" quotes) when that style
/// can hold the new value, in double quotes otherwise. A block scalar
/// (`|`, `>`) becomes a double-quoted one.
pub fn replace_string(text: &str, node: &Node, value: &str, in_flow: bool) -> Edit {
    let bytes = text.as_bytes();
    let end = content_end(text, node);
    let header = block_scalar_header(text, node.pos.start);
    let replacement = match (header, bytes.get(node.pos.start)) {
        (Some(_), _) => yaml::quoted(value),
        (None, Some(b'\'')) if single_quote_can_hold(value) => {
            format!("'{}'", value.replace('\'', "''"))
        }
        (None, Some(b'"')) => yaml::quoted(value),
        (None, Some(b'\'')) => yaml::quoted(value),
        (None, _) if plain_reads_back(value, in_flow) => value.to_string(),
        (None, _) => yaml::quoted(value),
    };
    Edit {
        start: header.unwrap_or(node.pos.start),
        end: end.max(node.pos.start),
        replacement,
    }
}

/// Where the `|` or `>` of a block scalar whose content starts at `start`
/// stands, if the value is one.
fn block_scalar_header(text: &str, start: usize) -> Option<usize> {
    let before = &text[..start.min(text.len())];
    let line_start = before.rfind('\n')?;
    if !before[line_start + 1..].bytes().all(|b| b == b' ') {
        return None;
    }
    let header_line = &before[..line_start];
    let header_line = header_line.strip_suffix('\r').unwrap_or(header_line);
    let line = &header_line[header_line.rfind('\n').map_or(0, |i| i + 1)..];
    // The header: `|` or `>`, chomping and indentation indicators, and
    // perhaps a comment.
    let code = match line.find(" #") {
        Some(i) => &line[..i],
        None => line,
    }
    .trim_end();
    let indicators = code.trim_end_matches(|c: char| c == '-' || c == '+' || c.is_ascii_digit());
    let sigil = indicators.chars().last()?;
    if !matches!(sigil, '|' | '>') {
        return None;
    }
    let at = indicators.len() - 1;
    let offset = header_line.len() - line.len() + at;
    Some(offset)
}

fn single_quote_can_hold(value: &str) -> bool {
    !value.is_empty()
        && value
            .chars()
            .all(|c| !c.is_control() && !matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}'))
}

/// Whether `value` written plain reads back as the same string, in block
/// context and, when `in_flow`, inside a flow collection.
fn plain_reads_back(value: &str, in_flow: bool) -> bool {
    if value.is_empty()
        || value.trim() != value
        || value.contains(['#', '\n', '\r', '\t'])
        || (in_flow && value.contains([',', '[', ']', '{', '}']))
    {
        return false;
    }
    let reads = |doc: String| {
        matches!(
            yaml::parse_str(&doc).map(|n| n.value),
            Ok(Value::Map(ref entries)) if entries.len() == 1 && entries[0].1.as_str() == Some(value)
        )
    };
    reads(format!("k: {value}\n")) && (!in_flow || reads(format!("{{k: {value}}}\n")))
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(
        "{0} changed on disk since it was read; it was not overwritten (run the command again)"
    )]
    Changed(String),
    #[error("cannot write {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("{0} is read-only, so annot did not change it (make it writable, e.g. `chmod u+w {0}`, and run the command again)")]
    ReadOnly(String),
    #[error("{lock} exists: another program (git, an editor) may be writing {path}, so annot did not change it (if none is running, remove {lock} and run the command again)")]
    Locked { path: String, lock: String },
}

/// The temporary file [`write_atomic`] writes beside `name` in a process.
fn temp_name(name: &str, pid: u32, attempt: u32) -> String {
    format!(".{name}.annot-{pid}-{attempt}.tmp")
}

/// The process id in a temporary file name [`write_atomic`] made, if the
/// name is one (`.<file>.annot-<pid>-<attempt>.tmp`).
fn temp_owner(file_name: &str) -> Option<u32> {
    let rest = file_name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (name, tail) = rest.rsplit_once(".annot-")?;
    let (pid, attempt) = tail.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if name.is_empty() || !digits(pid) || !digits(attempt) {
        return None;
    }
    pid.parse().ok()
}

/// Whether the process that made a temporary file can no longer be
/// writing it: it is gone (where `/proc` tells), or the file is a day old.
fn temp_is_stale(pid: u32, meta: &fs::Metadata) -> bool {
    if pid == std::process::id() {
        return false;
    }
    let proc = Path::new("/proc");
    if proc.join("self").exists() {
        return !proc.join(pid.to_string()).exists();
    }
    meta.modified()
        .ok()
        .and_then(|m| m.elapsed().ok())
        .is_some_and(|age| age.as_secs() > 24 * 3600)
}

/// Removes the temporary files a killed `annot` left under `dir` (its own
/// naming only, made by a process that is gone; never anything else), and
/// returns their paths.
pub fn remove_stale_temps(dir: &Path) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return removed;
    };
    for entry in entries.flatten() {
        let Ok(meta) = fs::symlink_metadata(entry.path()) else {
            continue;
        };
        if meta.is_dir() {
            removed.extend(remove_stale_temps(&entry.path()));
            continue;
        }
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temp_owner) else {
            continue;
        };
        if meta.is_file() && temp_is_stale(pid, &meta) && fs::remove_file(entry.path()).is_ok() {
            removed.push(entry.path());
        }
    }
    removed.sort();
    removed
}

/// Writes `new` to `path` through a temporary file and a rename, but only
/// if the file still holds `original`. A symlinked file is written through
/// to its target.
pub fn write_atomic(path: &Path, original: &[u8], new: &[u8]) -> Result<(), WriteError> {
    let shown = path.display().to_string();
    let io_err = |source| WriteError::Io {
        path: shown.clone(),
        source,
    };
    let target: PathBuf = fs::canonicalize(path).map_err(io_err)?;
    let current = fs::read(&target).map_err(io_err)?;
    if current != original {
        return Err(WriteError::Changed(shown));
    }
    let dir = target.parent().unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let permissions = fs::metadata(&target).map_err(io_err)?.permissions();
    // A rename would replace a read-only file all the same; the person
    // made it read-only for a reason.
    if permissions.readonly() {
        return Err(WriteError::ReadOnly(shown));
    }
    // git's convention: `<file>.lock` means someone is writing `<file>`.
    for locked in [path, target.as_path()] {
        let mut lock = locked.as_os_str().to_owned();
        lock.push(".lock");
        if fs::symlink_metadata(&lock).is_ok() {
            return Err(WriteError::Locked {
                path: shown,
                lock: PathBuf::from(lock).display().to_string(),
            });
        }
    }
    let mut attempt = 0;
    let (tmp_path, mut tmp) = loop {
        let candidate = dir.join(temp_name(&name, std::process::id(), attempt));
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(file) => break (candidate, file),
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(err) => return Err(io_err(err)),
        }
    };
    let result = (|| {
        tmp.write_all(new)?;
        tmp.sync_all()?;
        fs::set_permissions(&tmp_path, permissions)?;
        // A last look: someone may have saved the file while we wrote.
        if fs::read(&target)? != original {
            return Err(io::Error::other("changed"));
        }
        fs::rename(&tmp_path, &target)
    })();
    if let Err(err) = result {
        let _ = fs::remove_file(&tmp_path);
        return Err(if err.to_string() == "changed" {
            WriteError::Changed(shown)
        } else {
            io_err(err)
        });
    }
    if let Ok(dir_handle) = fs::File::open(dir) {
        let _ = dir_handle.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(node: &Node) -> &Vec<(yaml::Key, Node)> {
        match &node.value {
            Value::Map(m) => m,
            _ => panic!(),
        }
    }

    fn seq_items(node: &Node) -> &Vec<Node> {
        match &node.value {
            Value::Seq(items) => items,
            _ => panic!(),
        }
    }

    /// The annotation items of `text` (a mapping with `annotations:`).
    fn items(root: &Node) -> &Vec<Node> {
        seq_items(
            &entries(root)
                .iter()
                .find(|(k, _)| k.name == "annotations")
                .unwrap()
                .1,
        )
    }

    #[test]
    fn append_after_a_block_list_keeps_the_comment_that_follows() {
        let text = "annotations:\n  - id: a\n    links:\n      - {rel: r, target: t}\n      - rel: s\n        target: u\n\n    # about b\n  - id: b\n";
        let root = yaml::parse_str(text).unwrap();
        let edit = append_fields(text, &items(&root)[0], &[("drift", "{x: 1}".into())]).unwrap();
        assert_eq!(
            apply(text, &[edit]),
            "annotations:\n  - id: a\n    links:\n      - {rel: r, target: t}\n      - rel: s\n        target: u\n    drift: {x: 1}\n\n    # about b\n  - id: b\n"
        );
    }

    #[test]
    fn append_after_block_scalars_and_multi_line_flow() {
        for (text, want) in [
            (
                "annotations:\r\n  - id: a\r\n    note: >-\r\n      two\r\n      lines\r\n\r\n",
                "annotations:\r\n  - id: a\r\n    note: >-\r\n      two\r\n      lines\r\n    d: 1\r\n\r\n",
            ),
            (
                "annotations:\n  - id: a\n    links: [\n      {rel: r, target: t}, # c\n    ]\n  # next\n",
                "annotations:\n  - id: a\n    links: [\n      {rel: r, target: t}, # c\n    ]\n    d: 1\n  # next\n",
            ),
            (
                "annotations:\n  - id: a\n    attrs:\n      k: v",
                "annotations:\n  - id: a\n    attrs:\n      k: v\n    d: 1",
            ),
            (
                "annotations:\n  - {id: a, links: [{rel: r, target: t}]} # c\n",
                "annotations:\n  - {id: a, links: [{rel: r, target: t}], d: 1} # c\n",
            ),
            (
                "annotations:\n  - id: a\n    note:\n  - id: b\n",
                "annotations:\n  - id: a\n    note:\n    d: 1\n  - id: b\n",
            ),
        ] {
            let root = yaml::parse_full(text).unwrap();
            let edit = append_fields(text, &items(&root)[0], &[("d", "1".into())]).unwrap();
            assert_eq!(apply(text, &[edit]), want, "{text:?}");
        }
    }

    #[test]
    fn remove_takes_the_whole_entry_and_no_blank_line() {
        for (text, index, want) in [
            (
                "annotations:\n  - id: a\n    drift: {status: edited}\n    # keep\n  - id: b\n",
                1,
                "annotations:\n  - id: a\n    # keep\n  - id: b\n",
            ),
            (
                "annotations:\r\n  - id: a\r\n    drift:\r\n      status: edited\r\n      old_quote: |\r\n        x\r\n    note: n\r\n",
                1,
                "annotations:\r\n  - id: a\r\n    note: n\r\n",
            ),
            (
                "annotations:\n  - id: a\n    drift: {status: edited}",
                1,
                "annotations:\n  - id: a",
            ),
            (
                "annotations:\n  - drift: {status: edited}\n    id: a\n",
                0,
                "annotations:\n  - id: a\n",
            ),
            (
                "annotations:\n  - {id: a, drift: {status: edited, q: \"}\"}, note: n}\n",
                1,
                "annotations:\n  - {id: a, note: n}\n",
            ),
            (
                "annotations:\n  - {drift: {status: edited}, id: a}\n",
                0,
                "annotations:\n  - {id: a}\n",
            ),
        ] {
            let root = yaml::parse_full(text).unwrap();
            let edit = remove_field(text, &items(&root)[0], index).unwrap();
            assert_eq!(apply(text, &[edit]), want, "{text:?}");
        }
    }

    #[test]
    fn replaced_strings_keep_their_quotes() {
        let text = "a: 'x'\nb: \"y\"\nc: z\nd: |\n  w\ne: [p]\n";
        let root = yaml::parse_full(text).unwrap();
        let e = entries(&root);
        let edits = vec![
            replace_string(text, &e[0].1, "it's", false),
            replace_string(text, &e[1].1, "q", false),
            replace_string(text, &e[2].1, "a: b", false),
            replace_string(text, &e[3].1, "v", false),
            replace_string(text, &seq_items(&e[4].1)[0], "r, s", true),
        ];
        assert_eq!(
            apply(text, &edits),
            "a: 'it''s'\nb: \"q\"\nc: \"a: b\"\nd: \"v\"\ne: [\"r, s\"]\n"
        );
        let plain = "c: z\n";
        let root = yaml::parse_full(plain).unwrap();
        let edit = replace_string(plain, &entries(&root)[0].1, "abc def", false);
        assert_eq!(apply(plain, &[edit]), "c: abc def\n");
    }

    #[test]
    fn block_insert_keeps_comments_and_crlf() {
        let text = "a: 1 # one\r\nb: |\r\n  x\r\n  y\r\nc: 3\r\n";
        let root = yaml::parse_str(text).unwrap();
        let b = &entries(&root)[1];
        let edit = insert_fields(text, &root, &b.1, b.0.pos.column, &[("z", "9".into())]);
        assert_eq!(
            apply(text, &[edit]),
            "a: 1 # one\r\nb: |\r\n  x\r\n  y\r\nz: 9\r\nc: 3\r\n"
        );
    }

    #[test]
    fn flow_insert_stays_inline() {
        let text = "- {id: a, quote: \"x\"} # keep\n";
        let root = yaml::parse_str(text).unwrap();
        let Value::Seq(items) = &root.value else {
            panic!()
        };
        let quote = &entries(&items[0])[1];
        let edit = insert_fields(
            text,
            &items[0],
            &quote.1,
            0,
            &[("start", "1".into()), ("end", "2".into())],
        );
        assert_eq!(
            apply(text, &[edit]),
            "- {id: a, quote: \"x\", start: 1, end: 2} # keep\n"
        );
    }

    #[test]
    fn insert_at_end_without_final_newline() {
        let text = "a: 1\nb: 2";
        let root = yaml::parse_str(text).unwrap();
        let b = &entries(&root)[1];
        let edit = insert_fields(text, &root, &b.1, 1, &[("c", "3".into())]);
        assert_eq!(apply(text, &[edit]), "a: 1\nb: 2\nc: 3");
    }

    #[test]
    fn scalars_quote_only_when_needed() {
        assert_eq!(scalar("abc123"), "abc123");
        assert_eq!(scalar("123"), "\"123\"");
        assert_eq!(scalar("true"), "\"true\"");
        assert_eq!(scalar("a: b"), "\"a: b\"");
    }

    #[test]
    fn only_our_temporary_names_have_an_owner() {
        assert_eq!(temp_owner(&temp_name("a.yaml", 42, 3)), Some(42));
        assert_eq!(temp_owner(".a.b.yaml.annot-7-0.tmp"), Some(7));
        for other in [
            "a.yaml.annot-7-0.tmp",
            "..annot-7-0.tmp",
            ".a.yaml.annot-7.tmp",
            ".a.yaml.annot-x-0.tmp",
            ".a.yaml.annot-7-0.tmp~",
            ".a.yaml.annot--0.tmp",
        ] {
            assert_eq!(temp_owner(other), None, "{other}");
        }
    }

    #[test]
    fn write_refuses_a_changed_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.yaml");
        fs::write(&path, "old").unwrap();
        let err = write_atomic(&path, b"older", b"new").unwrap_err();
        assert!(matches!(err, WriteError::Changed(_)));
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        write_atomic(&path, b"old", b"new").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
    }
}
