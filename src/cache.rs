//! The cache of per-file check results under `.git/annot/checked/`. An entry
//! is found by the sha256 of what the result depends on — the file's path
//! and bytes, the vocabulary's bytes and annot's version — and carries the
//! sha256 of the source text it was checked against, which the caller
//! compares with the source as it is now. So a result is reused only for
//! the very same inputs; anything changed is checked again. Entries are
//! written atomically; an unreadable entry counts as absent; deleting the
//! folder is always safe.

use crate::finding::Finding;
use crate::model::At;
use crate::rules::{Entry, FileResult, LinkEntry};
use crate::source::sha256_hex;
use crate::yaml::Pos;
use std::fs;
use std::path::PathBuf;

/// Changes whenever the stored form or the meaning of a result changes.
const FORMAT: &str = "annot check cache 1";

pub struct Cache {
    dir: PathBuf,
    salt: String,
}

impl Cache {
    /// The cache in `annot_dir` (`.git/annot`), for results checked against
    /// this vocabulary (its bytes; `None` when there is none).
    pub fn new(annot_dir: PathBuf, vocabulary: Option<&[u8]>) -> Cache {
        let vocabulary = vocabulary.map_or_else(|| "none".to_string(), sha256_hex);
        Cache {
            dir: annot_dir.join("checked"),
            salt: format!("{FORMAT}\n{}\n{vocabulary}\n", env!("CARGO_PKG_VERSION")),
        }
    }

    fn entry_path(&self, path: &str, file_sha256: &str) -> PathBuf {
        let key = sha256_hex(format!("{}{path}\n{file_sha256}\n", self.salt).as_bytes());
        self.dir.join(&key[..2]).join(&key[2..])
    }

    /// The stored result for this file content, if any.
    pub fn get(&self, path: &str, file_sha256: &str) -> Option<FileResult> {
        let bytes = fs::read(self.entry_path(path, file_sha256)).ok()?;
        let result = decode(&bytes)?;
        (result.path == path).then_some(result)
    }

    /// Stores a result (best effort: a read-only `.git` only costs speed).
    pub fn put(&self, file_sha256: &str, result: &FileResult) {
        let target = self.entry_path(&result.path, file_sha256);
        let Some(dir) = target.parent() else {
            return;
        };
        if fs::create_dir_all(dir).is_err() {
            return;
        }
        let temporary = target.with_extension(format!("tmp{}", std::process::id()));
        if fs::write(&temporary, encode(result)).is_ok() && fs::rename(&temporary, &target).is_err()
        {
            let _ = fs::remove_file(&temporary);
        }
    }
}

/// A compact binary form: results of a large workspace are read on every
/// run, so they are stored as length-prefixed fields, not as text. The
/// findings (usually none) are stored as JSON.
fn encode(result: &FileResult) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + result.entries.len() * 96);
    out.extend_from_slice(FORMAT.as_bytes());
    put_str(&mut out, &result.path);
    put_str(
        &mut out,
        &serde_json::to_string(&result.findings).unwrap_or_default(),
    );
    put_opt_at(&mut out, result.source.as_ref());
    put_opt_str(&mut out, result.source_sha256.as_deref());
    put_opt_at(&mut out, result.stale_pin.as_ref());
    put_u32(&mut out, result.annotations as u32);
    put_u32(&mut out, result.entries.len() as u32);
    for entry in &result.entries {
        put_at(&mut out, &entry.id);
        put_at(&mut out, &entry.kind);
        put_u32(&mut out, entry.links.len() as u32);
        for link in &entry.links {
            put_at(&mut out, &link.rel);
            put_at(&mut out, &link.target);
        }
    }
    out
}

fn decode(bytes: &[u8]) -> Option<FileResult> {
    let mut r = Reader {
        bytes: bytes.strip_prefix(FORMAT.as_bytes())?,
    };
    let path = r.string()?;
    let findings: Vec<Finding> = serde_json::from_str(&r.string()?).ok()?;
    let source = r.opt_at()?;
    let source_sha256 = r.opt_string()?;
    let stale_pin = r.opt_at()?;
    let annotations = r.u32()? as usize;
    let count = r.u32()? as usize;
    let mut entries = Vec::with_capacity(count.min(bytes.len() / 16));
    for _ in 0..count {
        let id = r.at()?;
        let kind = r.at()?;
        let links_count = r.u32()? as usize;
        let mut links = Vec::with_capacity(links_count.min(64));
        for _ in 0..links_count {
            links.push(LinkEntry {
                rel: r.at()?,
                target: r.at()?,
            });
        }
        entries.push(Entry { id, kind, links });
    }
    r.bytes.is_empty().then_some(FileResult {
        path,
        findings,
        entries,
        source,
        source_sha256,
        stale_pin,
        annotations,
    })
}

fn put_u32(out: &mut Vec<u8>, n: u32) {
    out.extend_from_slice(&n.to_le_bytes());
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_u32(out, s.len() as u32);
    out.extend_from_slice(s.as_bytes());
}

fn put_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => {
            out.push(1);
            put_str(out, s);
        }
        None => out.push(0),
    }
}

fn put_at(out: &mut Vec<u8>, at: &At<String>) {
    put_str(out, &at.value);
    for n in [
        at.pos.line,
        at.pos.column,
        at.pos.start as u32,
        at.pos.end as u32,
    ] {
        put_u32(out, n);
    }
}

fn put_opt_at(out: &mut Vec<u8>, at: Option<&At<String>>) {
    match at {
        Some(at) => {
            out.push(1);
            put_at(out, at);
        }
        None => out.push(0),
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.bytes.len() < n {
            return None;
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Some(head)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn flag(&mut self) -> Option<bool> {
        match self.take(1)? {
            [0] => Some(false),
            [1] => Some(true),
            _ => None,
        }
    }

    fn string(&mut self) -> Option<String> {
        let len = self.u32()? as usize;
        String::from_utf8(self.take(len)?.to_vec()).ok()
    }

    fn opt_string(&mut self) -> Option<Option<String>> {
        if self.flag()? {
            Some(Some(self.string()?))
        } else {
            Some(None)
        }
    }

    fn at(&mut self) -> Option<At<String>> {
        let value = self.string()?;
        let line = self.u32()?;
        let column = self.u32()?;
        let start = self.u32()? as usize;
        let end = self.u32()? as usize;
        Some(At::new(
            value,
            Pos {
                line,
                column,
                start,
                end,
            },
        ))
    }

    fn opt_at(&mut self) -> Option<Option<At<String>>> {
        if self.flag()? {
            Some(Some(self.at()?))
        } else {
            Some(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_read_back_as_written() {
        let pos = Pos {
            line: 3,
            column: 7,
            start: 40,
            end: 52,
        };
        let result = FileResult {
            path: "annotations/a.yaml".to_string(),
            findings: vec![Finding::new(
                crate::finding::Code::AmbiguousQuote,
                crate::load::place("annotations/a.yaml", pos),
                "twice",
            )
            .with_help("add context")],
            entries: vec![Entry {
                id: At::new("a.1".to_string(), pos),
                kind: At::new("claim".to_string(), pos),
                links: vec![LinkEntry {
                    rel: At::new("cites".to_string(), pos),
                    target: At::new("żółw".to_string(), pos),
                }],
            }],
            source: Some(At::new("seeds/a.txt".to_string(), pos)),
            source_sha256: Some("ab".repeat(32)),
            stale_pin: None,
            annotations: 1,
        };
        let bytes = encode(&result);
        assert_eq!(decode(&bytes), Some(result));
        // Cut short or with a byte too many, an entry is not a result.
        assert_eq!(decode(&bytes[..bytes.len() - 1]), None);
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(&longer), None);
    }
}
