//! Format-preserving edits of YAML files: new `key: value` fields are
//! inserted beside existing ones in the file's own style (block or flow,
//! indentation, line endings), scalars are replaced in place, and every
//! other byte stays as the person left it. Files are written atomically and
//! never over a version that changed since it was read.

use crate::yaml::{self, Node, Value};
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
    if container.is_flow_collection(text) {
        let at = after.pos.end;
        let mut insertion = String::new();
        for (key, value) in fields {
            insertion.push_str(&format!(", {key}: {value}"));
        }
        return Edit {
            start: at,
            end: at,
            replacement: insertion,
        };
    }
    let bytes = text.as_bytes();
    // The value may end with the newline and indentation of the next line
    // (block scalars do); the new fields go after the line of its last
    // visible character.
    let mut last = after.pos.end.max(after.pos.start + 1).min(bytes.len());
    while last > after.pos.start && bytes[last - 1].is_ascii_whitespace() {
        last -= 1;
    }
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

/// Replaces a scalar value with new text.
pub fn replace_scalar(node: &Node, replacement: String) -> Edit {
    Edit {
        start: node.pos.start,
        end: node.pos.end,
        replacement,
    }
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
    let mut attempt = 0;
    let (tmp_path, mut tmp) = loop {
        let candidate = dir.join(format!(
            ".{name}.annot-{}-{attempt}.tmp",
            std::process::id()
        ));
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
