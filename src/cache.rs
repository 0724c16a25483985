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
use crate::rules::{Entry, FileResult, LinkEntry, Tagged};
use crate::source::sha256_hex;
use crate::yaml::Pos;
use rayon::prelude::*;
use std::fs;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;

/// Changes whenever the stored form or the meaning of a result changes.
const FORMAT: &str = "annot check cache 4";

#[derive(Clone)]
pub struct Cache {
    dir: PathBuf,
    summary_path: PathBuf,
    salt: String,
}

impl Cache {
    /// The cache in `annot_dir` (`.git/annot`), for results checked against
    /// this vocabulary (its bytes; `None` when there is none).
    pub fn new(annot_dir: PathBuf, vocabulary: Option<&[u8]>) -> Cache {
        let vocabulary = vocabulary.map_or_else(|| "none".to_string(), sha256_hex);
        Cache {
            dir: annot_dir.join("checked"),
            summary_path: annot_dir.join("summary"),
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
        let result = decode(unsealed(&bytes)?)?;
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
        if fs::write(&temporary, sealed(encode(result))).is_ok()
            && fs::rename(&temporary, &target).is_err()
        {
            let _ = fs::remove_file(&temporary);
        }
    }

    /// The summary of the last full validation, when it was made with the
    /// same vocabulary and version of annot. Only its head is read now;
    /// its tables are read a bucket at a time and its results one at a
    /// time, as a run that changed a few files needs a few of them.
    pub fn summary(&self) -> Option<Summary> {
        let file = fs::File::open(&self.summary_path).ok()?;
        let size = file.metadata().ok()?.len();
        let mut prefix = vec![0; SUMMARY_FORMAT.len() + self.salt.len()];
        file.read_exact_at(&mut prefix, 0).ok()?;
        if prefix != [SUMMARY_FORMAT.as_bytes(), self.salt.as_bytes()].concat() {
            return None;
        }
        let mut trailer = [0; 40];
        file.read_exact_at(&mut trailer, size.checked_sub(40)?)
            .ok()?;
        let word =
            |n: usize| u64::from_le_bytes(trailer[n * 8..n * 8 + 8].try_into().unwrap_or_default());
        let (head_at, head_len, head_sum, ids_at, targets_at) =
            (word(0), word(1), word(2), word(3), word(4));
        if head_at.checked_add(head_len)? > size - 40 {
            return None;
        }
        let mut head = vec![0; usize::try_from(head_len).ok()?];
        file.read_exact_at(&mut head, head_at).ok()?;
        if checksum(&head) != head_sum {
            return None;
        }
        let (files, found) = decode_head(&head)?;
        let file = Arc::new(file);
        let ids = Topics::in_file(&file, ids_at, files.len())?;
        let targets = Topics::in_file(&file, targets_at, files.len())?;
        Some(Summary {
            files,
            ids,
            targets,
            found,
            store: Some(file),
        })
    }

    /// Stores the summary of a full validation, with the full results of
    /// its files (best effort, atomically). `results` are those the
    /// summary was made from, in the same order.
    pub fn put_summary(&self, summary: &Summary, results: &[FileResult]) {
        if let Some(dir) = self.summary_path.parent() {
            let _ = fs::create_dir_all(dir);
        }
        let temporary = self
            .summary_path
            .with_extension(format!("tmp{}", std::process::id()));
        let written = fs::File::create(&temporary)
            .and_then(|file| self.write_summary(file, summary, results));
        if written.is_err() || fs::rename(&temporary, &self.summary_path).is_err() {
            let _ = fs::remove_file(&temporary);
        }
    }

    fn write_summary(
        &self,
        file: fs::File,
        summary: &Summary,
        results: &[FileResult],
    ) -> std::io::Result<()> {
        let mut out = Counted {
            out: std::io::BufWriter::with_capacity(1 << 20, file),
            at: 0,
        };
        out.write(SUMMARY_FORMAT.as_bytes())?;
        out.write(self.salt.as_bytes())?;
        // The results, encoded in parallel a batch at a time.
        let mut stored = Vec::with_capacity(results.len());
        for (batch, files) in results.chunks(256).zip(summary.files.chunks(256)) {
            let encoded: Vec<Option<Vec<u8>>> = batch
                .par_iter()
                .zip(files)
                .map(|(result, file)| file.reusable.then(|| sealed(encode(result))))
                .collect();
            for bytes in encoded {
                match bytes {
                    Some(bytes) => {
                        stored.push(Some((out.at, bytes.len() as u32)));
                        out.write(&bytes)?;
                    }
                    None => stored.push(None),
                }
            }
        }
        let ids_at = out.at;
        let mut table = Vec::new();
        summary.ids.encode(&mut table);
        out.write(&table)?;
        let targets_at = out.at;
        table.clear();
        summary.targets.encode(&mut table);
        out.write(&table)?;
        let head_at = out.at;
        let mut head = Vec::new();
        encode_head(summary, &stored, &mut head);
        out.write(&head)?;
        for word in [
            head_at,
            head.len() as u64,
            checksum(&head),
            ids_at,
            targets_at,
        ] {
            out.write(&word.to_le_bytes())?;
        }
        out.out.flush()
    }
}

/// A writer that knows how many bytes it has written.
struct Counted {
    out: std::io::BufWriter<fs::File>,
    at: u64,
}

impl Counted {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.at += bytes.len() as u64;
        self.out.write_all(bytes)
    }
}

/// Changes whenever the stored form or the meaning of a summary changes.
const SUMMARY_FORMAT: &str = "annot validation summary 4\n";

/// What a full validation leaves for the next run, so that a run which
/// finds only a few files changed checks only what those files can affect:
/// every file's result without its entries, which files define or link to
/// which ids (by [`topic`](crate::rules::topic)), and the findings about
/// ids and links with their topics.
pub struct Summary {
    /// Sorted by path.
    pub files: Vec<FileSummary>,
    /// Which files define an id of each topic.
    pub ids: Topics,
    /// Which files link to a target of each topic.
    pub targets: Topics,
    pub found: Vec<Tagged>,
    /// The file the summary was read from, for the full results.
    store: Option<Arc<fs::File>>,
}

impl Summary {
    pub fn new(
        files: Vec<FileSummary>,
        ids: Topics,
        targets: Topics,
        found: Vec<Tagged>,
    ) -> Summary {
        Summary {
            files,
            ids,
            targets,
            found,
            store: None,
        }
    }

    /// The full result (with entries) of the file at `i`, as stored.
    pub fn result(&self, i: usize) -> Option<FileResult> {
        let file = self.files.get(i)?;
        let (at, len) = file.stored?;
        let mut bytes = vec![0; len as usize];
        self.store.as_ref()?.read_exact_at(&mut bytes, at).ok()?;
        let result = decode(unsealed(&bytes)?)?;
        (result.path == file.result.path).then_some(result)
    }

    /// The full result of the file at `path` with this content, if stored.
    pub fn result_for(&self, path: &str, content: &str) -> Option<FileResult> {
        let i = self
            .files
            .binary_search_by(|f| f.result.path.as_str().cmp(path))
            .ok()?;
        (self.files[i].content.as_deref() == Some(content))
            .then(|| self.result(i))
            .flatten()
    }
}

pub struct FileSummary {
    /// The sha256 of the file's content; `None` when it was too large to
    /// be read (and had no entries).
    pub content: Option<String>,
    /// Whether the result holds while the file and its source are
    /// unchanged ([`FileResult::is_cacheable`]).
    pub reusable: bool,
    /// The result, without its entries.
    pub result: FileResult,
    /// Where the full result is stored in the summary's file.
    stored: Option<(u64, u32)>,
}

impl FileSummary {
    pub fn new(content: Option<String>, reusable: bool, result: FileResult) -> FileSummary {
        FileSummary {
            content,
            reusable,
            result,
            stored: None,
        }
    }
}

/// Files (as indexes into [`Summary::files`]) by topic, sorted by topic and
/// cut into buckets by the topic's top bits.
pub struct Topics {
    /// Where each bucket starts, and one more: where the last one ends.
    starts: Vec<u32>,
    /// A checksum of each bucket's topics and files, as stored.
    sums: Vec<u32>,
    stored: Stored,
}

enum Stored {
    Here {
        topics: Vec<u64>,
        files: Vec<u32>,
    },
    InFile {
        file: Arc<fs::File>,
        topics_at: u64,
        files_at: u64,
        files: usize,
    },
}

const BUCKET_BITS: u32 = 16;
const BUCKETS: usize = 1 << BUCKET_BITS;

fn bucket(topic: u64) -> usize {
    (topic >> (64 - BUCKET_BITS)) as usize
}

impl Topics {
    pub fn new(mut pairs: Vec<(u64, u32)>) -> Topics {
        pairs.par_sort_unstable();
        pairs.dedup();
        let mut starts = Vec::with_capacity(BUCKETS + 1);
        let mut at = 0;
        for b in 0..BUCKETS {
            starts.push(at as u32);
            while at < pairs.len() && bucket(pairs[at].0) == b {
                at += 1;
            }
        }
        starts.push(pairs.len() as u32);
        let topics: Vec<u64> = pairs.iter().map(|p| p.0).collect();
        let files: Vec<u32> = pairs.iter().map(|p| p.1).collect();
        let sums = starts
            .windows(2)
            .map(|w| {
                let (start, end) = (w[0] as usize, w[1] as usize);
                bucket_sum(&topics[start..end], &files[start..end])
            })
            .collect();
        Topics {
            starts,
            sums,
            stored: Stored::Here { topics, files },
        }
    }

    /// The table stored at `at` in `file`: its bucket starts are read now,
    /// its topics when asked for.
    fn in_file(file: &Arc<fs::File>, at: u64, files: usize) -> Option<Topics> {
        let mut words: Vec<u32> = read_words(file, at, BUCKETS * 2 + 1)?;
        let sums = words.split_off(BUCKETS + 1);
        let starts = words;
        if !starts.windows(2).all(|w| w[0] <= w[1]) {
            return None;
        }
        let topics_at = at + ((BUCKETS * 2 + 1) * 4) as u64;
        let count = u64::from(starts[BUCKETS]);
        Some(Topics {
            starts,
            sums,
            stored: Stored::InFile {
                file: Arc::clone(file),
                topics_at,
                files_at: topics_at + count * 8,
                files,
            },
        })
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let Stored::Here { topics, files } = &self.stored else {
            unreachable!("only a table built in this run is written")
        };
        for word in self.starts.iter().chain(&self.sums) {
            put_u32(out, *word);
        }
        for topic in topics {
            out.extend_from_slice(&topic.to_le_bytes());
        }
        for file in files {
            put_u32(out, *file);
        }
    }

    /// The files that hold this topic; `None` when the table cannot be read.
    pub fn files_of(&self, topic: u64) -> Option<Vec<u32>> {
        let b = bucket(topic);
        let (start, end) = (self.starts[b] as usize, self.starts[b + 1] as usize);
        match &self.stored {
            Stored::Here { topics, files } => {
                let topics = topics.get(start..end)?;
                let first = start + topics.partition_point(|t| *t < topic);
                let last = start + topics.partition_point(|t| *t <= topic);
                Some(files[first..last].to_vec())
            }
            Stored::InFile {
                file,
                topics_at,
                files_at,
                files,
            } => {
                let topics: Vec<u64> = read_words(file, topics_at + start as u64 * 8, end - start)?;
                let indexes: Vec<u32> = read_words(file, files_at + start as u64 * 4, end - start)?;
                if bucket_sum(&topics, &indexes) != self.sums[b] {
                    return None;
                }
                let first = topics.partition_point(|t| *t < topic);
                let last = topics.partition_point(|t| *t <= topic);
                let found = indexes[first..last].to_vec();
                found
                    .iter()
                    .all(|i| (*i as usize) < *files)
                    .then_some(found)
            }
        }
    }
}

/// A little-endian number of a stored table.
trait Word: Sized {
    const SIZE: usize;
    fn from_le(bytes: &[u8]) -> Self;
}

impl Word for u32 {
    const SIZE: usize = 4;
    fn from_le(bytes: &[u8]) -> Self {
        u32::from_le_bytes(bytes.try_into().unwrap_or_default())
    }
}

impl Word for u64 {
    const SIZE: usize = 8;
    fn from_le(bytes: &[u8]) -> Self {
        u64::from_le_bytes(bytes.try_into().unwrap_or_default())
    }
}

/// `count` numbers stored at `at` in `file`.
fn read_words<W: Word>(file: &fs::File, at: u64, count: usize) -> Option<Vec<W>> {
    let mut bytes = vec![0; count.checked_mul(W::SIZE)?];
    file.read_exact_at(&mut bytes, at).ok()?;
    Some(bytes.chunks_exact(W::SIZE).map(W::from_le).collect())
}

fn bucket_sum(topics: &[u64], files: &[u32]) -> u32 {
    let mut bytes = Vec::with_capacity(topics.len() * 12);
    for topic in topics {
        bytes.extend_from_slice(&topic.to_le_bytes());
    }
    for file in files {
        bytes.extend_from_slice(&file.to_le_bytes());
    }
    checksum(&bytes) as u32
}

/// A fast checksum, eight bytes at a time, that tells a damaged cache
/// entry from a sound one (not a defence against a forger: whoever can
/// write `.git/` can change much more).
fn checksum(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0x9e37_79b9_7f4a_7c15 ^ bytes.len() as u64;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let word = u64::from_le_bytes(word.try_into().unwrap_or_default());
        hash = (hash ^ word)
            .wrapping_mul(0xff51_afd7_ed55_8ccd)
            .rotate_left(29);
    }
    for byte in words.remainder() {
        hash = (hash ^ u64::from(*byte)).wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    }
    hash ^ (hash >> 32)
}

/// A cache entry's bytes followed by their checksum.
fn sealed(mut bytes: Vec<u8>) -> Vec<u8> {
    let sum = checksum(&bytes);
    bytes.extend_from_slice(&sum.to_le_bytes());
    bytes
}

/// The bytes of a sealed entry, if its checksum holds.
fn unsealed(bytes: &[u8]) -> Option<&[u8]> {
    let (body, sum) = bytes.split_at_checked(bytes.len().checked_sub(8)?)?;
    (u64::from_le_bytes(sum.try_into().ok()?) == checksum(body)).then_some(body)
}

fn encode_head(summary: &Summary, stored: &[Option<(u64, u32)>], out: &mut Vec<u8>) {
    put_u32(out, summary.files.len() as u32);
    for (file, stored) in summary.files.iter().zip(stored) {
        let result = &file.result;
        put_str(out, &result.path);
        put_findings(out, &result.findings);
        put_opt_at(out, result.source.as_ref());
        put_opt_str(out, result.source_sha256.as_deref());
        put_opt_at(out, result.stale_pin.as_ref());
        put_u32(out, result.annotations as u32);
        put_opt_str(out, file.content.as_deref());
        out.push(u8::from(file.reusable));
        match stored {
            Some((at, len)) => {
                out.push(1);
                out.extend_from_slice(&at.to_le_bytes());
                put_u32(out, *len);
            }
            None => out.push(0),
        }
    }
    put_u32(out, summary.found.len() as u32);
    for tagged in &summary.found {
        out.extend_from_slice(&tagged.topic.to_le_bytes());
        put_str(
            out,
            &serde_json::to_string(&tagged.finding).unwrap_or_default(),
        );
    }
}

fn decode_head(bytes: &[u8]) -> Option<(Vec<FileSummary>, Vec<Tagged>)> {
    let mut r = Reader { bytes };
    let count = r.u32()? as usize;
    let mut files = Vec::with_capacity(count.min(bytes.len() / 16));
    for _ in 0..count {
        let result = FileResult {
            path: r.string()?,
            findings: r.findings()?,
            source: r.opt_at()?,
            source_sha256: r.opt_string()?,
            stale_pin: r.opt_at()?,
            annotations: r.u32()? as usize,
            entries: Vec::new(),
        };
        files.push(FileSummary {
            content: r.opt_string()?,
            reusable: r.flag()?,
            result,
            stored: match r.flag()? {
                true => Some((r.u64()?, r.u32()?)),
                false => None,
            },
        });
    }
    let count = r.u32()? as usize;
    let mut found = Vec::with_capacity(count.min(bytes.len() / 16));
    for _ in 0..count {
        let topic = r.u64()?;
        let finding = serde_json::from_str(&r.string()?).ok()?;
        found.push(Tagged { topic, finding });
    }
    let sorted = files
        .windows(2)
        .all(|w| w[0].result.path < w[1].result.path);
    (r.bytes.is_empty() && sorted).then_some((files, found))
}

fn put_findings(out: &mut Vec<u8>, findings: &[Finding]) {
    if findings.is_empty() {
        put_str(out, "");
    } else {
        put_str(out, &serde_json::to_string(findings).unwrap_or_default());
    }
}

/// A compact binary form: results of a large workspace are read on every
/// run, so they are stored as length-prefixed fields, not as text. The
/// findings (usually none) are stored as JSON.
fn encode(result: &FileResult) -> Vec<u8> {
    // Room for everything, so that the buffer never grows: a value and
    // its four numbers take at most its length and 25 bytes.
    let at_room = |at: &At<String>| at.value.len() + 25;
    let room = result
        .entries
        .iter()
        .map(|e| {
            at_room(&e.id)
                + at_room(&e.kind)
                + 5
                + e.links
                    .iter()
                    .map(|l| at_room(&l.rel) + at_room(&l.target))
                    .sum::<usize>()
        })
        .sum::<usize>();
    let mut out = Vec::with_capacity(256 + result.path.len() + room);
    out.extend_from_slice(FORMAT.as_bytes());
    put_str(&mut out, &result.path);
    put_findings(&mut out, &result.findings);
    put_opt_at(&mut out, result.source.as_ref());
    put_opt_str(&mut out, result.source_sha256.as_deref());
    put_opt_at(&mut out, result.stale_pin.as_ref());
    put_u32(&mut out, result.annotations as u32);
    put_u32(&mut out, result.entries.len() as u32);
    for entry in &result.entries {
        put_at(&mut out, &entry.id);
        put_at(&mut out, &entry.kind);
        put_var(&mut out, entry.links.len() as u64);
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
    let findings = r.findings()?;
    let source = r.opt_at()?;
    let source_sha256 = r.opt_string()?;
    let stale_pin = r.opt_at()?;
    let annotations = r.u32()? as usize;
    let count = r.u32()? as usize;
    let mut entries = Vec::with_capacity(count.min(bytes.len() / 16));
    for _ in 0..count {
        let id = r.at()?;
        let kind = r.at()?;
        let links_count = r.var_usize()?;
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

/// A number in seven-bit groups, low group first (LEB128): the numbers of
/// a result are mostly small, and a large workspace's summary is read back
/// and written whole.
fn put_var(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_var(out, s.len() as u64);
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
    put_var(out, u64::from(at.pos.line));
    put_var(out, u64::from(at.pos.column));
    put_var(out, at.pos.start as u64);
    // The end as its distance from the start: a place is mostly short.
    put_var(out, at.pos.end.saturating_sub(at.pos.start) as u64);
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

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn var(&mut self) -> Option<u64> {
        let mut n: u64 = 0;
        for shift in (0..64).step_by(7) {
            let [byte] = *self.take(1)? else {
                return None;
            };
            n |= u64::from(byte & 0x7f).checked_shl(shift)?;
            if byte < 0x80 {
                return Some(n);
            }
        }
        None
    }

    fn var_u32(&mut self) -> Option<u32> {
        u32::try_from(self.var()?).ok()
    }

    fn var_usize(&mut self) -> Option<usize> {
        usize::try_from(self.var()?).ok()
    }

    fn findings(&mut self) -> Option<Vec<Finding>> {
        let text = self.string()?;
        if text.is_empty() {
            return Some(Vec::new());
        }
        serde_json::from_str(&text).ok()
    }

    fn flag(&mut self) -> Option<bool> {
        match self.take(1)? {
            [0] => Some(false),
            [1] => Some(true),
            _ => None,
        }
    }

    fn string(&mut self) -> Option<String> {
        let len = self.var_usize()?;
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
        let line = self.var_u32()?;
        let column = self.var_u32()?;
        let start = self.var_usize()?;
        let end = start.checked_add(self.var_usize()?)?;
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
        assert_eq!(decode(&bytes), Some(result.clone()));
        // Sealed, any flipped byte is noticed.
        let sealed = sealed(bytes.clone());
        assert_eq!(unsealed(&sealed), Some(&bytes[..]));
        for at in 0..sealed.len() {
            let mut damaged = sealed.clone();
            damaged[at] ^= 0x10;
            assert_eq!(unsealed(&damaged), None, "a flip at {at} went unnoticed");
        }
        // Cut short or with a byte too many, an entry is not a result.
        assert_eq!(decode(&bytes[..bytes.len() - 1]), None);
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(&longer), None);
    }

    #[test]
    fn numbers_of_every_size_read_back_as_written() {
        let mut numbers: Vec<u64> = vec![0, 1, 0x7f, 0x80, 0x3fff, 0x4000, u64::from(u32::MAX)];
        numbers.extend((0..64).map(|bit| 1u64 << bit));
        numbers.push(u64::MAX);
        for n in numbers {
            let mut out = Vec::new();
            put_var(&mut out, n);
            let mut r = Reader { bytes: &out };
            assert_eq!(r.var(), Some(n), "{n}");
            assert!(r.bytes.is_empty(), "{n} left bytes behind");
            // Cut short, a number is not read.
            let mut short = Reader {
                bytes: &out[..out.len() - 1],
            };
            assert_eq!(short.var(), None, "{n} cut short");
        }
        // Eleven continued groups are more than 64 bits: refused, not wrapped.
        let mut r = Reader { bytes: &[0xff; 11] };
        assert_eq!(r.var(), None);
        // A place at the far end of a large file keeps its numbers.
        let pos = Pos {
            line: u32::MAX,
            column: 70_000,
            start: 5_000_000_000,
            end: 5_000_000_007,
        };
        let mut out = Vec::new();
        put_at(&mut out, &At::new("x".to_string(), pos));
        let mut r = Reader { bytes: &out };
        assert_eq!(r.at(), Some(At::new("x".to_string(), pos)));
    }
}
