//! The workspace on disk: finding its root, listing annotation files, and
//! reading files safely (source paths stay inside `seeds/`, symlinks do not
//! lead out of the workspace). Loading everything into a [`Workspace`]
//! happens here too, in parallel where the files are independent.

use crate::finding::{Code, Finding, Place};
use crate::history::{EntryKind, Git, HistoryError, IndexEntry, Oid};
use crate::load::{self, place};
use crate::model::{AnnotationFile, SourcesMeta, Vocabulary};
use crate::source::{NotUtf8, SourceText};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

pub const ANNOTATIONS_DIR: &str = "annotations";
pub const SEEDS_DIR: &str = "seeds";
pub const VOCABULARY_PATH: &str = "schema/vocabulary.yaml";
pub const SOURCES_META_PATH: &str = "seeds/sources.yaml";
/// Sources larger than this are refused rather than read into memory.
pub const MAX_SOURCE_BYTES: u64 = 1 << 30;

/// Errors that stop a command from running at all (exit status 2).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum WorkspaceError {
    #[error("no annot workspace found in {start} or any folder above it")]
    #[diagnostic(
        code(annot::no_workspace),
        help("a workspace is a folder that holds `annotations/`; run `annot init` to create one, or pass `-C DIR`")
    )]
    NotFound { start: String },
    #[error("{dir} is not in an annot workspace: neither it nor any folder above it holds `annotations/`")]
    #[diagnostic(
        code(annot::no_workspace),
        help("run `annot -C {dir} init` to create one there, or point `-C` at the workspace (the folder that holds `annotations/`) or a folder inside it")
    )]
    NotAWorkspace { dir: String },
    #[error("cannot run in {dir} (given with `-C`)")]
    #[diagnostic(
        code(annot::bad_directory),
        help("`-C DIR` runs annot as if started in DIR, as git does; name a folder that exists")
    )]
    BadDirectory {
        dir: String,
        #[source]
        source: io::Error,
    },
    #[error("{path} is not an annotation file")]
    #[diagnostic(
        code(annot::not_an_annotation_file),
        help("annotation files are the *.yaml and *.yml files (in any case) under annotations/")
    )]
    NotAnnotationFile { path: String },
    #[error(transparent)]
    #[diagnostic(transparent)]
    History(#[from] HistoryError),
    #[error("a pre-commit hook already exists at {path}, and annot did not write it")]
    #[diagnostic(
        code(annot::hook_exists),
        help("add `annot validate --staged` to that hook yourself, or run `annot hook install --force` to replace it")
    )]
    HookExists { path: String },
    #[error("the pre-commit hook at {path} was not written by annot, so annot leaves it alone")]
    #[diagnostic(
        code(annot::hook_foreign),
        help("remove the `annot validate --staged` line from that hook yourself")
    )]
    ForeignHook { path: String },
    #[error("the repository's git config sets {key} to `{value}`, which annot did not write, so annot leaves it alone")]
    #[diagnostic(
        code(annot::driver_foreign),
        help("`annot hook install --drivers --force` replaces it with annot's; or remove it with `git config --unset {key}` and run the command again")
    )]
    ForeignDriver { key: String, value: String },
    #[error("`{id}` could not be looked up: a file that mentions it could not be read\n{files}")]
    #[diagnostic(
        code(annot::unreadable_file),
        help(
            "fix the file (`annot validate` shows every problem in it), then run the command again"
        )
    )]
    IdInUnreadableFile { id: String, files: String },
    #[error("no annotation has the id `{id}`")]
    #[diagnostic(code(annot::unknown_id), help("{hint}"))]
    UnknownId { id: String, hint: String },
    #[error("there is nothing to accept for `{id}`: {why}")]
    #[diagnostic(code(annot::nothing_to_accept), help("{hint}"))]
    NothingToAccept {
        id: String,
        why: String,
        hint: String,
    },
    /// A file annot meant to change was left as it was.
    #[error("{0}")]
    #[diagnostic(code(annot::not_written))]
    NotWritten(String),
    #[error("cannot write {path}")]
    #[diagnostic(
        code(annot::write),
        help("check that the folder is writable and the disk is not full, then run the command again")
    )]
    Write {
        path: String,
        #[source]
        source: io::Error,
    },
    /// `annot render --out` names a place the report must not go.
    #[error("cannot write the report to {path}: {why}")]
    #[diagnostic(code(annot::bad_output), help("{help}"))]
    BadOutput {
        path: String,
        why: String,
        help: String,
    },
    #[error("cannot read {path}")]
    #[diagnostic(code(annot::io))]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
}

impl From<crate::edit::WriteError> for WorkspaceError {
    fn from(err: crate::edit::WriteError) -> WorkspaceError {
        match err {
            crate::edit::WriteError::Io { path, source } => WorkspaceError::Write { path, source },
            other => WorkspaceError::NotWritten(other.to_string()),
        }
    }
}

/// Walks up from `start` to the first folder holding `annotations/`.
pub fn find_root(start: &Path) -> Result<PathBuf, WorkspaceError> {
    let start = start.canonicalize().map_err(|source| WorkspaceError::Io {
        path: start.display().to_string(),
        source,
    })?;
    for dir in start.ancestors() {
        if dir.join(ANNOTATIONS_DIR).is_dir() {
            return Ok(dir.to_path_buf());
        }
    }
    Err(WorkspaceError::NotFound {
        start: start.display().to_string(),
    })
}

/// Makes `dir` (given with `-C`) the current folder, as `git -C` does:
/// paths on the command line are then relative to it, and the workspace
/// is found by walking up from it.
pub fn enter(dir: &Path) -> Result<(), WorkspaceError> {
    // git hands hooks paths that may be relative to where it started them
    // (`GIT_INDEX_FILE` of `git commit -a`, `GIT_DIR`); they must still
    // name the same files after the move. This runs first thing in `main`,
    // before any other thread exists.
    for name in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_COMMON_DIR",
        "GIT_OBJECT_DIRECTORY",
    ] {
        if let Some(value) = std::env::var_os(name) {
            let path = PathBuf::from(&value);
            if path.is_relative() && !value.is_empty() {
                if let Ok(absolute) = std::path::absolute(&path) {
                    std::env::set_var(name, absolute);
                }
            }
        }
    }
    std::env::set_current_dir(dir).map_err(|source| WorkspaceError::BadDirectory {
        dir: dir.display().to_string(),
        source,
    })
}

/// The workspace root for a command run with `-C dir` (already entered
/// with [`enter`]): found by walking up from it, with an error that names
/// `dir` when there is none.
pub fn root_from(dir: &Path) -> Result<PathBuf, WorkspaceError> {
    find_root(Path::new(".")).map_err(|err| match err {
        WorkspaceError::NotFound { .. } => WorkspaceError::NotAWorkspace {
            dir: dir.display().to_string(),
        },
        other => other,
    })
}

/// Why a source could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceProblem {
    /// The path is not a plain relative path inside `seeds/`.
    OutsideSeeds(String),
    Missing(String),
    NotUtf8(NotUtf8),
    Unreadable(String),
}

impl SourceProblem {
    /// What is wrong, in a few words.
    pub fn describe(&self) -> String {
        match self {
            SourceProblem::OutsideSeeds(why)
            | SourceProblem::Missing(why)
            | SourceProblem::Unreadable(why) => why.clone(),
            SourceProblem::NotUtf8(bad) => format!(
                "not valid UTF-8: byte 0x{:02x} at byte offset {}",
                bad.byte, bad.offset
            ),
        }
    }
}

/// Checks the text of a `source:` value: a relative, `/`-separated path
/// inside `seeds/` with no `.`, `..` or empty parts.
pub fn check_source_path(path: &str) -> Result<(), SourceProblem> {
    let outside = |why: &str| Err(SourceProblem::OutsideSeeds(why.to_string()));
    if path.contains('\\') {
        return outside("uses `\\`; source paths use `/` separators");
    }
    if path.contains('\0') {
        return outside("contains a NUL character");
    }
    if path.starts_with('/') || Path::new(path).is_absolute() || path.get(1..2) == Some(":") {
        return outside("is absolute; source paths are relative to the workspace root");
    }
    let parts: Vec<&str> = path.split('/').collect();
    if parts.contains(&"..") {
        return outside("contains `..`; sources must stay inside seeds/");
    }
    if parts.iter().any(|p| p.is_empty() || *p == ".") {
        return outside("has an empty or `.` part; write the plain path, e.g. `seeds/report.txt`");
    }
    if parts.len() < 2 || parts[0] != SEEDS_DIR {
        return outside("is not inside seeds/; sources are files under seeds/");
    }
    Ok(())
}

/// Reads a source from the working tree, refusing symlinks that lead out of
/// `seeds/` and anything that is not a regular file.
pub fn read_source(root: &Path, path: &str) -> Result<SourceText, SourceProblem> {
    check_source_path(path)?;
    let full = root.join(path);
    let meta = match fs::symlink_metadata(&full) {
        Ok(meta) => meta,
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            return Err(SourceProblem::Missing("does not exist".to_string()))
        }
        Err(err) => return Err(SourceProblem::Unreadable(err.to_string())),
    };
    // Any symlink along the way must resolve inside seeds/.
    let resolved = full
        .canonicalize()
        .map_err(|_| SourceProblem::Missing("is a symbolic link to nothing".to_string()))?;
    let seeds = root
        .join(SEEDS_DIR)
        .canonicalize()
        .map_err(|err| SourceProblem::Unreadable(err.to_string()))?;
    let root_resolved = root
        .canonicalize()
        .map_err(|err| SourceProblem::Unreadable(err.to_string()))?;
    if !resolved.starts_with(&seeds) || !resolved.starts_with(&root_resolved) {
        return Err(SourceProblem::OutsideSeeds(format!(
            "leads outside seeds/ (through a symbolic link to {})",
            resolved.display()
        )));
    }
    let meta = if meta.file_type().is_symlink() {
        fs::metadata(&resolved).map_err(|err| SourceProblem::Unreadable(err.to_string()))?
    } else {
        meta
    };
    if meta.is_dir() {
        return Err(SourceProblem::Missing(
            "is a folder, not a file".to_string(),
        ));
    }
    if !meta.is_file() {
        return Err(SourceProblem::Unreadable(
            "is not a regular file".to_string(),
        ));
    }
    if meta.len() > MAX_SOURCE_BYTES {
        return Err(SourceProblem::Unreadable(format!(
            "is {} bytes, over the limit of {MAX_SOURCE_BYTES}",
            meta.len()
        )));
    }
    let bytes = fs::read(&resolved).map_err(|err| SourceProblem::Unreadable(err.to_string()))?;
    SourceText::from_bytes(bytes).map_err(SourceProblem::NotUtf8)
}

/// Every file under `seeds/`, as workspace-relative paths (for hints).
pub fn list_seeds(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    walk(root, &root.join(SEEDS_DIR), &mut |rel, kind| {
        if kind != Entry::Other {
            out.push(rel);
        }
    });
    out.sort();
    out
}

/// What a directory entry is, following a symlink only to look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    File,
    /// A symlink to a regular file.
    LinkedFile,
    /// Anything else that is not a folder: a FIFO, a device, a socket, a
    /// symlink to a folder or to nothing. Never read.
    Other,
}

/// Calls `visit(relative path, entry)` for each non-folder below `dir`,
/// without following symlinked folders.
fn walk(root: &Path, dir: &Path, visit: &mut dyn FnMut(String, Entry)) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if file_type.is_dir() {
            walk(root, &path, visit);
            continue;
        }
        let kind = if file_type.is_file() {
            Entry::File
        } else if file_type.is_symlink() && fs::metadata(&path).is_ok_and(|m| m.is_file()) {
            Entry::LinkedFile
        } else {
            Entry::Other
        };
        if let Some(rel) = relative(root, &path) {
            visit(rel, kind);
        }
    }
}

/// `path` relative to `root`, with `/` separators.
pub fn relative(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| match c {
            Component::Normal(s) => s.to_string_lossy().into_owned(),
            other => other.as_os_str().to_string_lossy().into_owned(),
        })
        .collect();
    Some(parts.join("/"))
}

/// Whether a file under `annotations/` is an annotation file: its name ends
/// in `.yaml` or `.yml`, in any case (`x.YAML` is one too).
pub fn is_annotation_file(path: &str) -> bool {
    ends_with_ignoring_case(path, ".yaml") || ends_with_ignoring_case(path, ".yml")
}

/// Whether a file under `annotations/` that is not read looks as if it was
/// meant to be: JSON, or a misspelt YAML ending. It gets a notice.
pub fn looks_like_annotation_file(path: &str) -> bool {
    [".json", ".yam", ".ymal", ".yaml.txt"]
        .iter()
        .any(|ending| ends_with_ignoring_case(path, ending))
}

fn ends_with_ignoring_case(path: &str, ending: &str) -> bool {
    path.len() >= ending.len()
        && path.as_bytes()[path.len() - ending.len()..].eq_ignore_ascii_case(ending.as_bytes())
}

/// The notice for files under `annotations/` that look like annotation
/// files but are not read.
pub fn skipped_notice(skipped: &[String]) -> Option<String> {
    const SHOWN: usize = 5;
    let (first, rest) = skipped.split_at(skipped.len().min(SHOWN));
    let more = match rest.len() {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    match first {
        [] => None,
        [one] => Some(format!("{one} was not read: annotation files end in .yaml or .yml; rename it if it holds annotations")),
        _ => Some(format!(
            "{}{more} were not read: annotation files end in .yaml or .yml; rename them if they hold annotations",
            first.join(", ")
        )),
    }
}

/// What is under `annotations/`.
pub struct Listing {
    /// The annotation files, sorted.
    pub files: Vec<String>,
    /// Findings for those that cannot be read safely.
    pub findings: Vec<Finding>,
    /// Files that look like annotation files but are not read
    /// ([`looks_like_annotation_file`]), sorted.
    pub skipped: Vec<String>,
}

/// The annotation files of the workspace, sorted, with findings for
/// symlinks that lead outside it.
pub fn list_annotation_files(root: &Path) -> (Vec<String>, Vec<Finding>) {
    let listing = list_annotations(root);
    (listing.files, listing.findings)
}

/// Like [`list_annotation_files`], with the files that are skipped.
pub fn list_annotations(root: &Path) -> Listing {
    let mut files = Vec::new();
    let mut findings = Vec::new();
    let mut skipped = Vec::new();
    let outside = |rel: &str, what: &str| {
        Finding::new(
            Code::FileOutsideWorkspace,
            file_place(rel),
            format!("{rel} {what}; it was not read"),
        )
        .with_help("keep annotation files inside the workspace as regular files; replace the link with the file itself")
    };
    let dir = root.join(ANNOTATIONS_DIR);
    let inside_root = |path: &Path| {
        path.canonicalize()
            .is_ok_and(|target| target.starts_with(root))
    };
    if !inside_root(&dir) {
        findings.push(outside(
            ANNOTATIONS_DIR,
            "is a symbolic link that leads outside the workspace",
        ));
        return Listing {
            files,
            findings,
            skipped,
        };
    }
    walk(root, &dir, &mut |rel, kind| {
        if !is_annotation_file(&rel) {
            if looks_like_annotation_file(&rel) {
                skipped.push(rel);
            }
            return;
        }
        match kind {
            Entry::File => files.push(rel),
            Entry::LinkedFile if inside_root(&root.join(&rel)) => files.push(rel),
            Entry::LinkedFile => findings.push(outside(
                &rel,
                "is a symbolic link that leads outside the workspace",
            )),
            Entry::Other => findings.push(outside(
                &rel,
                "is not a regular file (a folder link, a pipe, a device, or a link to nothing)",
            )),
        }
    });
    Listing {
        files,
        findings,
        skipped,
    }
}

/// A place that stands for a whole file.
pub fn file_place(file: &str) -> Place {
    Place {
        file: file.to_string(),
        line: 1,
        column: 1,
        start: 0,
        end: 0,
    }
}

/// Where files are read from: the working tree, the git index (what
/// `git commit` is about to record), or the working tree as an editor
/// shows it, with the unsaved text of open files in place of theirs.
pub enum Tree {
    WorkTree,
    Index {
        git: Arc<Git>,
        entries: BTreeMap<String, IndexEntry>,
    },
    Edited(Arc<Buffers>),
}

/// Unsaved texts by workspace-relative path: they are read instead of the
/// files on disk.
#[derive(Debug, Clone, Default)]
pub struct Buffers(BTreeMap<String, Arc<[u8]>>);

impl Buffers {
    pub fn new() -> Buffers {
        Buffers::default()
    }

    pub fn insert(&mut self, rel: String, bytes: Arc<[u8]>) {
        self.0.insert(rel, bytes);
    }

    pub fn remove(&mut self, rel: &str) {
        self.0.remove(rel);
    }

    pub fn get(&self, rel: &str) -> Option<&Arc<[u8]>> {
        self.0.get(rel)
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

impl Tree {
    /// The index of the repository holding `root`.
    pub fn index(root: &Path) -> Result<Tree, WorkspaceError> {
        let git = Git::open(root)?
            .ok_or_else(|| HistoryError::NoRepository(root.display().to_string()))?;
        let entries = git.index_entries()?;
        Ok(Tree::Index {
            git: Arc::new(git),
            entries,
        })
    }

    /// A commit's files (`rev` as git understands it: HEAD, main, a sha).
    pub fn commit(root: &Path, rev: &str) -> Result<Tree, WorkspaceError> {
        let git = Git::open(root)?
            .ok_or_else(|| HistoryError::NoRepository(root.display().to_string()))?;
        let entries = git.commit_entries(rev)?;
        Ok(Tree::Index {
            git: Arc::new(git),
            entries,
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Tree::WorkTree | Tree::Edited(_) => "worktree",
            Tree::Index { .. } => "index",
        }
    }

    /// The repository behind this tree, if it has one.
    pub fn git(&self, root: &Path) -> Option<Arc<Git>> {
        match self {
            Tree::Index { git, .. } => Some(Arc::clone(git)),
            Tree::WorkTree | Tree::Edited(_) => Git::open(root).ok().flatten().map(Arc::new),
        }
    }

    /// Follows an index symlink lexically; `None` when it leaves the
    /// workspace or leads to nothing readable.
    fn resolve_in_index<'e>(
        entries: &'e BTreeMap<String, IndexEntry>,
        git: &Git,
        rel: &str,
    ) -> Result<Option<(String, &'e IndexEntry)>, WorkspaceError> {
        let mut current = rel.to_string();
        for _ in 0..8 {
            let Some(entry) = entries.get(&current) else {
                return Ok(None);
            };
            match entry.kind {
                EntryKind::File => return Ok(Some((current, entry))),
                EntryKind::Other => return Ok(None),
                EntryKind::Symlink => {
                    let target = String::from_utf8_lossy(&git.read_blob(entry.oid)?).into_owned();
                    match join_lexically(&current, &target) {
                        Some(next) => current = next,
                        None => return Ok(None),
                    }
                }
            }
        }
        Ok(None)
    }

    /// The blob id of a regular file staged at `rel` (not a link).
    pub fn blob_id(&self, rel: &str) -> Option<Oid> {
        match self {
            Tree::WorkTree | Tree::Edited(_) => None,
            Tree::Index { entries, .. } => entries
                .get(rel)
                .filter(|e| e.kind == EntryKind::File)
                .map(|e| e.oid),
        }
    }

    /// The size of a working-tree file too large to be read as YAML
    /// ([`crate::yaml::MAX_FILE_BYTES`]), found before reading it; `None`
    /// when it is small enough, and always for the index (blobs are read
    /// whole by git anyway).
    pub fn too_large(&self, root: &Path, rel: &str) -> Result<Option<u64>, WorkspaceError> {
        if let Tree::Index { .. } = self {
            return Ok(None);
        }
        if let Some(bytes) = self.buffer(rel) {
            let size = bytes.len() as u64;
            return Ok((size > crate::yaml::MAX_FILE_BYTES as u64).then_some(size));
        }
        let size = fs::metadata(root.join(rel))
            .map_err(|source| WorkspaceError::Io {
                path: rel.to_string(),
                source,
            })?
            .len();
        Ok((size > crate::yaml::MAX_FILE_BYTES as u64).then_some(size))
    }

    /// The unsaved text that stands for `rel`, if any.
    fn buffer(&self, rel: &str) -> Option<&Arc<[u8]>> {
        match self {
            Tree::Edited(buffers) => buffers.get(rel),
            _ => None,
        }
    }

    /// Reads a workspace file; `None` when it does not exist.
    pub fn read(&self, root: &Path, rel: &str) -> Result<Option<Vec<u8>>, WorkspaceError> {
        if let Some(bytes) = self.buffer(rel) {
            return Ok(Some(bytes.to_vec()));
        }
        match self {
            Tree::WorkTree | Tree::Edited(_) => match fs::read(root.join(rel)) {
                Ok(bytes) => Ok(Some(bytes)),
                Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(source) => Err(WorkspaceError::Io {
                    path: rel.to_string(),
                    source,
                }),
            },
            Tree::Index { git, entries } => match Tree::resolve_in_index(entries, git, rel)? {
                Some((_, entry)) => Ok(Some(git.read_blob(entry.oid)?)),
                None => Ok(None),
            },
        }
    }

    /// The annotation files, sorted, with findings for those that cannot
    /// be read safely.
    pub fn list_annotation_files(
        &self,
        root: &Path,
    ) -> Result<(Vec<String>, Vec<Finding>), WorkspaceError> {
        let listing = self.list_annotations(root)?;
        Ok((listing.files, listing.findings))
    }

    /// Like [`Tree::list_annotation_files`], and the files that look like
    /// annotation files but are not read.
    pub fn list_annotations(&self, root: &Path) -> Result<Listing, WorkspaceError> {
        match self {
            Tree::WorkTree => Ok(list_annotations(root)),
            Tree::Edited(buffers) => {
                // A file opened before it was first saved is read too.
                let mut listing = list_annotations(root);
                let unsaved: Vec<&str> = buffers
                    .paths()
                    .filter(|rel| is_annotation_file(rel))
                    .filter(|rel| {
                        listing
                            .files
                            .binary_search_by(|f| f.as_str().cmp(rel))
                            .is_err()
                    })
                    .filter(|rel| !root.join(rel).exists())
                    .collect();
                listing
                    .files
                    .extend(unsaved.into_iter().map(str::to_string));
                listing.files.sort();
                Ok(listing)
            }
            Tree::Index { git, entries } => {
                let mut files = Vec::new();
                let mut findings = Vec::new();
                let mut skipped = Vec::new();
                for (rel, entry) in entries.range(format!("{ANNOTATIONS_DIR}/")..) {
                    if !rel.starts_with("annotations/") {
                        break;
                    }
                    if !is_annotation_file(rel) {
                        if looks_like_annotation_file(rel) {
                            skipped.push(rel.clone());
                        }
                        continue;
                    }
                    let readable = entry.kind == EntryKind::File
                        || Tree::resolve_in_index(entries, git, rel)?.is_some();
                    if readable {
                        files.push(rel.clone());
                    } else {
                        findings.push(
                            Finding::new(
                                Code::FileOutsideWorkspace,
                                file_place(rel),
                                format!("{rel} is staged as a link that leads outside the workspace (or to nothing), or as a submodule; it was not read"),
                            )
                            .with_help("stage annotation files as regular files"),
                        );
                    }
                }
                Ok(Listing {
                    files,
                    findings,
                    skipped,
                })
            }
        }
    }

    /// Every file under `seeds/`, sorted.
    pub fn list_seeds(&self, root: &Path) -> Vec<String> {
        match self {
            Tree::WorkTree | Tree::Edited(_) => list_seeds(root),
            Tree::Index { entries, .. } => entries
                .range(format!("{SEEDS_DIR}/")..)
                .take_while(|(rel, _)| rel.starts_with("seeds/"))
                .filter(|(_, e)| e.kind != EntryKind::Other)
                .map(|(rel, _)| rel.clone())
                .collect(),
        }
    }

    /// Reads a source, refusing paths and links that leave `seeds/`.
    pub fn read_source(&self, root: &Path, path: &str) -> Result<SourceText, SourceProblem> {
        match self {
            Tree::Edited(buffers) => match buffers.get(path) {
                Some(bytes) if root.join(path).is_file() => {
                    // The same refusals as on disk, then the unsaved text.
                    read_source(root, path)?;
                    SourceText::from_bytes(bytes.to_vec()).map_err(SourceProblem::NotUtf8)
                }
                _ => read_source(root, path),
            },
            Tree::WorkTree => read_source(root, path),
            Tree::Index { git, entries } => {
                check_source_path(path)?;
                let resolved = Tree::resolve_in_index(entries, git, path)
                    .map_err(|err| SourceProblem::Unreadable(err.to_string()))?;
                match resolved {
                    Some((target, _)) if !target.starts_with("seeds/") => {
                        Err(SourceProblem::OutsideSeeds(format!(
                            "is staged as a link that leads outside seeds/ (to {target})"
                        )))
                    }
                    Some((_, entry)) => {
                        let bytes = git
                            .read_blob(entry.oid)
                            .map_err(|err| SourceProblem::Unreadable(err.to_string()))?;
                        SourceText::from_bytes(bytes).map_err(SourceProblem::NotUtf8)
                    }
                    None if entries.contains_key(path) => Err(SourceProblem::OutsideSeeds(
                        "is staged as a link that leads outside the workspace, or as a submodule"
                            .to_string(),
                    )),
                    None => Err(SourceProblem::Missing(
                        "is not in the index (is it staged? `git add` it)".to_string(),
                    )),
                }
            }
        }
    }

    /// Whether `.gitattributes` keeps git from rewriting line endings of
    /// every one of `seeds` (the files under `seeds/`). In a repository git
    /// itself is asked, so every rule of its attribute files applies;
    /// outside one the two `.gitattributes` files are read by hand.
    pub fn eol_protected(
        &self,
        root: &Path,
        seeds: &[String],
    ) -> Result<EolProtection, WorkspaceError> {
        if let Some(git) = self.git(root) {
            let from_index = matches!(self, Tree::Index { .. });
            // Only the sources matter: sources.yaml and attribute files may
            // be converted like any text.
            let sources: Vec<String> = seeds
                .iter()
                .filter(|s| *s != SOURCES_META_PATH && !s.ends_with("/.gitattributes"))
                .cloned()
                .collect();
            // Asking git costs ~10 µs a file; what it answered holds while
            // the attribute files and the list of sources are the same.
            let key = self.eol_key(root, &git, &sources, from_index)?;
            let cache = git
                .annot_dir()
                .join(format!("eol-protected-{}", self.name()));
            if let Ok(text) = fs::read_to_string(&cache) {
                if let Some((cached, answer)) = text.trim_end_matches('\n').split_once(' ') {
                    if cached == key {
                        return Ok(match answer.strip_prefix("no ") {
                            None => EolProtection::Protected,
                            Some(seed) => EolProtection::Converted(seed.to_string()),
                        });
                    }
                }
            }
            let converted = git
                .first_text_converted(&sources, from_index)?
                .map(str::to_string);
            let answer = match &converted {
                None => format!("{key} yes\n"),
                Some(seed) => format!("{key} no {seed}\n"),
            };
            let protected = match converted {
                None => EolProtection::Protected,
                Some(seed) => EolProtection::Converted(seed),
            };
            let tmp = git
                .annot_dir()
                .join(format!("eol-protected.{}.tmp", std::process::id()));
            // A cache: failing to write it only costs the next run time.
            if fs::create_dir_all(git.annot_dir()).is_ok()
                && fs::write(&tmp, answer).is_ok()
                && fs::rename(&tmp, &cache).is_err()
            {
                let _ = fs::remove_file(&tmp);
            }
            return Ok(protected);
        }
        let at_root = self.read(root, ".gitattributes")?;
        let in_seeds = self.read(root, "seeds/.gitattributes")?;
        let text = |bytes: &Option<Vec<u8>>| {
            bytes
                .as_deref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
        };
        Ok(
            if eol_protected_by(text(&at_root).as_deref(), text(&in_seeds).as_deref()) {
                EolProtection::Protected
            } else {
                EolProtection::Unprotected
            },
        )
    }
}

/// Whether git leaves the seeds' line endings alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EolProtection {
    Protected,
    /// No `.gitattributes` line unsets `text` for the seeds (read by hand:
    /// no repository).
    Unprotected,
    /// Git itself says this seed's line endings may be converted.
    Converted(String),
}

impl Tree {
    /// What git's answer on the text attribute of `sources` depends on:
    /// where it was read from, the sources, every `.gitattributes` on their
    /// way (as this tree holds it) and the attribute files outside the
    /// workspace, hashed.
    fn eol_key(
        &self,
        root: &Path,
        git: &Git,
        sources: &[String],
        from_index: bool,
    ) -> Result<String, WorkspaceError> {
        let mut material: Vec<u8> = vec![u8::from(from_index)];
        let mut folders: BTreeSet<&str> = BTreeSet::from([""]);
        for source in sources {
            material.extend_from_slice(source.as_bytes());
            material.push(b'\n');
            let mut rest = source.as_str();
            while let Some((folder, _)) = rest.rsplit_once('/') {
                if !folders.insert(folder) {
                    break;
                }
                rest = folder;
            }
        }
        for folder in folders {
            let rel = if folder.is_empty() {
                ".gitattributes".to_string()
            } else {
                format!("{folder}/.gitattributes")
            };
            material.extend_from_slice(rel.as_bytes());
            material.push(0);
            material.extend(self.read(root, &rel)?.unwrap_or_default());
            material.push(0);
        }
        material.extend(git.outer_attributes());
        Ok(crate::source::sha256_hex(&material))
    }
}

/// Joins a symlink's target to the folder of the link, resolving `.` and
/// `..` without touching the file system; `None` for absolute targets or
/// targets above the workspace root.
fn join_lexically(link: &str, target: &str) -> Option<String> {
    if target.starts_with('/') || target.contains('\\') {
        return None;
    }
    let mut parts: Vec<&str> = link.split('/').collect();
    parts.pop();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

/// Whether the texts of `.gitattributes` (at the root and in `seeds/`) turn
/// off text conversion for every file under `seeds/`.
pub fn eol_protected_by(at_root: Option<&str>, in_seeds: Option<&str>) -> bool {
    let covers_root = [
        "*",
        "**",
        "seeds/**",
        "/seeds/**",
        "seeds/**/*",
        "/seeds/**/*",
    ];
    let covers_seeds_dir = ["*", "**", "**/*"];
    let mut protected = false;
    for (text, patterns) in [
        (at_root, &covers_root[..]),
        (in_seeds, &covers_seeds_dir[..]),
    ] {
        let Some(text) = text else { continue };
        for line in text.lines() {
            let mut words = line.split_whitespace();
            let Some(pattern) = words.next() else {
                continue;
            };
            if pattern.starts_with('#') || !patterns.contains(&pattern) {
                continue;
            }
            for attr in words {
                match attr {
                    "-text" | "binary" => protected = true,
                    "text" | "text=auto" | "!text" => protected = false,
                    _ => {}
                }
            }
        }
    }
    protected
}

/// What is known of a pin that differs from its source's current text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinStatus {
    /// That version exists: in the index, the working tree or history.
    Known(String),
    /// No version with that sha256 exists anywhere git can see.
    Unknown,
    /// History could not be searched (no repository, a shallow clone).
    Unchecked,
}

/// Everything `validate` looks at, loaded once.
pub struct Workspace {
    pub root: PathBuf,
    /// Where the files were read from: "worktree" or "index".
    pub tree: &'static str,
    pub files: Vec<AnnotationFile>,
    pub vocabulary: Option<Vocabulary>,
    pub sources_meta: Option<SourcesMeta>,
    /// Each source path named by some annotation file, read once.
    pub sources: BTreeMap<String, Result<Arc<SourceText>, SourceProblem>>,
    /// Every file under seeds/, for hints.
    pub seeds: Vec<String>,
    pub eol_protected: EolProtection,
    /// What is known of each pin that differs from its source, by sha256.
    pub pins: BTreeMap<String, PinStatus>,
    /// Texts of the YAML files read, for snippets in reports.
    pub yaml_texts: BTreeMap<String, Arc<String>>,
    /// Number of annotation files found (including unreadable ones).
    pub file_count: usize,
    /// Findings from loading: YAML and structure.
    pub findings: Vec<Finding>,
    /// Things the user should know that are not findings (skipped checks).
    pub notices: Vec<String>,
}

impl Workspace {
    /// Loads everything, keeping the text of every YAML file (for edits).
    /// `annot validate` does not use this: it checks file by file and keeps
    /// only what the checks across files need (see `validate.rs`).
    pub fn load(root: &Path, tree: &Tree) -> Result<Workspace, WorkspaceError> {
        Ok(Workspace::load_beside(root, tree, None)?.0)
    }

    /// Loads like [`Workspace::load`], except the annotation files whose
    /// bytes are those `other` read at the same path: they are neither
    /// parsed nor kept (their sources are still read). Returns their paths.
    /// `annot diff` loads its base this way: a file that did not change
    /// between base and head has no annotation changes.
    pub fn load_beside(
        root: &Path,
        tree: &Tree,
        other: Option<&Workspace>,
    ) -> Result<(Workspace, BTreeSet<String>), WorkspaceError> {
        let (paths, mut findings) = tree.list_annotation_files(root)?;
        let parsed_in_other: BTreeSet<&str> = other
            .into_iter()
            .flat_map(|o| &o.files)
            .map(|f| f.path.as_str())
            .collect();
        let text_in_other = |rel: &str| {
            parsed_in_other
                .contains(rel)
                .then(|| other.and_then(|o| o.yaml_texts.get(rel)))
                .flatten()
        };
        let same_in_other = |rel: &str, bytes: &[u8]| {
            text_in_other(rel).is_some_and(|text| text.as_bytes() == bytes)
        };
        let loaded: Vec<Option<_>> = paths
            .par_iter()
            .map(|rel| -> Result<_, WorkspaceError> {
                if let Some(size) = tree.too_large(root, rel)? {
                    return Ok(Some((rel.clone(), Arc::default(), too_large(rel, size))));
                }
                // A file stored as the very blob `other` read needs no
                // reading: its blob id is the hash of those bytes.
                if let (Some(oid), Some(text)) = (tree.blob_id(rel), text_in_other(rel)) {
                    if blob_id(text.as_bytes()) == oid {
                        return Ok(None);
                    }
                }
                let bytes = tree.read(root, rel)?.unwrap_or_default();
                if same_in_other(rel, &bytes) {
                    return Ok(None);
                }
                let (text, loaded) = load::annotation_file_owned(rel, bytes);
                Ok(Some((rel.clone(), text, loaded)))
            })
            .collect::<Result<_, _>>()?;
        let skipped: BTreeSet<String> = paths
            .iter()
            .zip(&loaded)
            .filter(|(_, l)| l.is_none())
            .map(|(rel, _)| rel.clone())
            .collect();

        let mut files = Vec::with_capacity(loaded.len());
        let mut yaml_texts = BTreeMap::new();
        for (rel, text, result) in loaded.into_iter().flatten() {
            yaml_texts.insert(rel, text);
            findings.extend(result.findings);
            files.extend(result.value);
        }

        let settings = Settings::read(root, tree, &mut findings)?;
        for (path, bytes) in [
            (VOCABULARY_PATH, &settings.vocabulary_bytes),
            (SOURCES_META_PATH, &settings.sources_meta_bytes),
        ] {
            if let Some(bytes) = bytes {
                yaml_texts.insert(
                    path.to_string(),
                    Arc::new(String::from_utf8_lossy(bytes).into_owned()),
                );
            }
        }
        let Settings {
            vocabulary,
            sources_meta,
            ..
        } = settings;

        let skipped_files = other
            .into_iter()
            .flat_map(|o| &o.files)
            .filter(|f| skipped.contains(&f.path));
        let wanted: BTreeSet<&str> = files
            .iter()
            .chain(skipped_files)
            .filter_map(|f| f.source.as_ref().map(|s| s.value.as_str()))
            .collect();
        let sources: BTreeMap<String, Result<Arc<SourceText>, SourceProblem>> = wanted
            .into_par_iter()
            .map(|path| (path.to_string(), tree.read_source(root, path).map(Arc::new)))
            .collect();

        let mut notices = Vec::new();
        let pins = resolve_pins(root, tree, &files, &sources, &mut notices)?;

        let seeds = tree.list_seeds(root);
        let eol_protected = tree.eol_protected(root, &seeds)?;
        let workspace = Workspace {
            root: root.to_path_buf(),
            tree: tree.name(),
            file_count: paths.len(),
            files,
            vocabulary,
            sources_meta,
            sources,
            seeds,
            eol_protected,
            pins,
            yaml_texts,
            findings,
            notices,
        };
        Ok((workspace, skipped))
    }
}

/// The id git gives a blob of these bytes (SHA-1 of a header and them).
fn blob_id(bytes: &[u8]) -> Oid {
    use sha1::{Digest, Sha1};
    let mut hasher = Sha1::new();
    hasher.update(format!("blob {}\0", bytes.len()).as_bytes());
    hasher.update(bytes);
    Oid::from_bytes(&hasher.finalize()).unwrap_or(Oid::ZERO_SHA1)
}

/// The two YAML files beside the annotations: the vocabulary and
/// `seeds/sources.yaml`, loaded, with their bytes.
pub struct Settings {
    pub vocabulary: Option<Vocabulary>,
    pub vocabulary_bytes: Option<Vec<u8>>,
    pub sources_meta: Option<SourcesMeta>,
    pub sources_meta_bytes: Option<Vec<u8>>,
}

impl Settings {
    /// Reads both from `tree`; what is wrong with them goes to `findings`
    /// (a missing vocabulary too; sources.yaml is optional).
    pub fn read(
        root: &Path,
        tree: &Tree,
        findings: &mut Vec<Finding>,
    ) -> Result<Settings, WorkspaceError> {
        let vocabulary_bytes = tree.read(root, VOCABULARY_PATH)?;
        let vocabulary = match &vocabulary_bytes {
            Some(bytes) => {
                let loaded = load::vocabulary(VOCABULARY_PATH, bytes);
                findings.extend(loaded.findings);
                loaded.value
            }
            None => {
                findings.push(missing_vocabulary());
                None
            }
        };
        let sources_meta_bytes = tree.read(root, SOURCES_META_PATH)?;
        let sources_meta = sources_meta_bytes.as_ref().and_then(|bytes| {
            let loaded = load::sources_meta(SOURCES_META_PATH, bytes);
            findings.extend(loaded.findings);
            loaded.value
        });
        Ok(Settings {
            vocabulary,
            vocabulary_bytes,
            sources_meta,
            sources_meta_bytes,
        })
    }
}

/// The finding for a workspace without `schema/vocabulary.yaml`.
fn missing_vocabulary() -> Finding {
    Finding::new(
        Code::Vocabulary,
        file_place(VOCABULARY_PATH),
        format!("{VOCABULARY_PATH} is missing, so no kind or relation can be checked"),
    )
    .with_help("create it (`annot init` writes a starter vocabulary) and declare the kinds and relations you use")
}

pub fn too_large(rel: &str, size: u64) -> load::Loaded<AnnotationFile> {
    load::Loaded {
        value: None,
        findings: vec![Finding::new(
            Code::YamlLimit,
            file_place(rel),
            format!(
                "{rel} is {size} bytes; annotation files are limited to {} bytes",
                crate::yaml::MAX_FILE_BYTES
            ),
        )
        .with_help("split the file into smaller ones")],
    }
}

/// For each pin that differs from its source's current text, finds whether
/// that version exists elsewhere: the other of working tree and index, or
/// history. History is searched only when some pin needs it.
fn resolve_pins(
    root: &Path,
    tree: &Tree,
    files: &[AnnotationFile],
    sources: &BTreeMap<String, Result<Arc<SourceText>, SourceProblem>>,
    notices: &mut Vec<String>,
) -> Result<BTreeMap<String, PinStatus>, WorkspaceError> {
    let mut stale: BTreeMap<String, &str> = BTreeMap::new();
    for file in files {
        let (Some(source), Some(pin)) = (&file.source, &file.sha256) else {
            continue;
        };
        if let Some(Ok(text)) = sources.get(&source.value) {
            if text.sha256() != pin.value {
                stale.insert(pin.value.clone(), source.value.as_str());
            }
        }
    }
    resolve_stale_pins(root, tree, stale, notices)
}

/// For each pin that differs from its source's current text (pin ->
/// source path), finds whether that version exists elsewhere: the other of
/// working tree and index, or history. Adds a notice when history cannot
/// be searched.
pub fn resolve_stale_pins(
    root: &Path,
    tree: &Tree,
    stale: BTreeMap<String, &str>,
    notices: &mut Vec<String>,
) -> Result<BTreeMap<String, PinStatus>, WorkspaceError> {
    let git = match tree {
        Tree::Index { git, .. } => Some(Arc::clone(git)),
        Tree::WorkTree | Tree::Edited(_) => Git::open(root).ok().flatten().map(Arc::new),
    };
    let Some(git) = git else {
        notices.push(
            "not a git repository: the history checks (pin-unknown) were skipped; every other check ran"
                .to_string(),
        );
        return Ok(stale
            .into_keys()
            .map(|pin| (pin, PinStatus::Unchecked))
            .collect());
    };
    if git.is_shallow() {
        notices.push("shallow clone: history is cut, so the history checks (pin-unknown) were skipped; every other check ran (`git fetch --unshallow` gets the full history)".to_string());
    }
    let mut pins = BTreeMap::new();
    if stale.is_empty() {
        return Ok(pins);
    }
    // The other live version of each source: the index when checking the
    // working tree, the working tree when checking the index.
    let other = match tree {
        Tree::WorkTree | Tree::Edited(_) => Tree::index(root).ok(),
        Tree::Index { .. } => Some(Tree::WorkTree),
    };
    let mut live: BTreeMap<String, String> = BTreeMap::new();
    if let Some(other) = &other {
        let place = if other.name() == "index" {
            "the index"
        } else {
            "the working tree"
        };
        for path in stale.values() {
            if let Ok(text) = other.read_source(root, path) {
                live.insert(text.sha256().to_string(), format!("{place} ({path})"));
            }
        }
    }
    let history = if git.is_shallow() {
        None
    } else {
        Some(git.historic_versions()?)
    };
    for pin in stale.into_keys() {
        let status = if let Some(place) = live.get(&pin) {
            PinStatus::Known(place.clone())
        } else {
            match &history {
                Some(history) => match history.find(&pin) {
                    Some(version) => PinStatus::Known(format!(
                        "history ({}, blob {})",
                        version.path,
                        &version.oid.to_string()[..12]
                    )),
                    None => PinStatus::Unknown,
                },
                None => PinStatus::Unchecked,
            }
        };
        pins.insert(pin, status);
    }
    Ok(pins)
}

/// The place of a value in an annotation file.
pub fn at(file: &AnnotationFile, pos: crate::yaml::Pos) -> Place {
    place(&file.path, pos)
}

/// `path` with `.` and `..` worked out and every existing part's symlinks
/// resolved, for comparing places.
pub fn resolved(path: &Path) -> PathBuf {
    let mut clean = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                clean.pop();
            }
            Component::CurDir => {}
            other => clean.push(other),
        }
    }
    let mut existing = clean.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            let mut out = real;
            out.extend(rest.iter().rev());
            return out;
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return clean,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_ids_are_gits() {
        // `git hash-object` of an empty file and of "hello\n".
        assert_eq!(
            blob_id(b"").to_string(),
            "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
        );
        assert_eq!(
            blob_id(b"hello\n").to_string(),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
    }

    #[test]
    fn source_paths_stay_in_seeds() {
        assert!(check_source_path("seeds/a.txt").is_ok());
        assert!(check_source_path("seeds/sub/a.txt").is_ok());
        for bad in [
            "/etc/passwd",
            "seeds/../Cargo.toml",
            "../seeds/a.txt",
            "seeds\\a.txt",
            "other/a.txt",
            "seeds",
            "seeds/./a.txt",
            "seeds//a.txt",
            "C:/seeds/a.txt",
        ] {
            assert!(
                matches!(check_source_path(bad), Err(SourceProblem::OutsideSeeds(_))),
                "{bad}"
            );
        }
    }
}
