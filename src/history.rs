//! Everything git: opening the repository the way hooks expect (`GIT_DIR`,
//! `GIT_INDEX_FILE`), reading the index, finding every version of the
//! sources in history by sha256 (cached by blob id), and the history of an
//! annotation for `annot show`. No other module uses git2.

pub use git2::Oid;
use git2::{ObjectType, Repository, RepositoryOpenFlags, Sort};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Git modes of index and tree entries.
const MODE_SYMLINK: u32 = 0o120000;
const MODE_GITLINK: u32 = 0o160000;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum HistoryError {
    #[error("git: {0}")]
    #[diagnostic(code(annot::git))]
    Git(#[from] git2::Error),
    #[error("this needs a git repository, and {0} is not inside one")]
    #[diagnostic(
        code(annot::no_repository),
        help("`annot validate` without --staged checks the working tree without git; `--staged`, `annot diff`, `annot reanchor` and `annot hook install` need `git init` and a commit")
    )]
    NoRepository(String),
    #[error("`{0}` is not a commit in this repository")]
    #[diagnostic(
        code(annot::unknown_revision),
        help("name a commit, branch or tag: e.g. HEAD, main, HEAD~1, a commit id")
    )]
    UnknownRevision(String),
    #[error("the workspace {0} is not inside the repository's working tree")]
    #[diagnostic(code(annot::outside_work_tree))]
    OutsideWorkTree(String),
}

/// The repository that holds a workspace.
pub struct Git {
    repo: Mutex<Repository>,
    /// The workspace root relative to the working tree, `/`-separated, with
    /// a trailing `/` (empty when they are the same folder).
    prefix: String,
    shallow: bool,
    git_dir: PathBuf,
}

/// What an index entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Symlink,
    /// A submodule or anything else that has no content here.
    Other,
}

#[derive(Debug, Clone, Copy)]
pub struct IndexEntry {
    pub oid: Oid,
    pub kind: EntryKind,
}

fn kind_of(mode: u32) -> EntryKind {
    match mode & 0o170000 {
        0o100000 => EntryKind::File,
        MODE_SYMLINK => EntryKind::Symlink,
        MODE_GITLINK => EntryKind::Other,
        _ => EntryKind::Other,
    }
}

impl Git {
    /// Opens the repository holding `root`, honouring `GIT_DIR`,
    /// `GIT_WORK_TREE` and `GIT_INDEX_FILE` as git hooks need. `None` when
    /// `root` is not in a repository.
    pub fn open(root: &Path) -> Result<Option<Git>, HistoryError> {
        // Objects are not re-hashed on every read, as git itself does not:
        // a hook reading a few dozen staged files spent a tenth of its
        // time on SHA-1 (decisions §20).
        git2::opts::strict_hash_verification(false);
        let opened = if std::env::var_os("GIT_DIR").is_some() {
            Repository::open_from_env()
        } else {
            Repository::open_ext(
                root,
                RepositoryOpenFlags::FROM_ENV,
                std::iter::empty::<&OsStr>(),
            )
        };
        let repo = match opened {
            Ok(repo) => repo,
            Err(err) if err.code() == git2::ErrorCode::NotFound => return Ok(None),
            Err(err) => return Err(err.into()),
        };
        let Some(workdir) = repo.workdir() else {
            return Ok(None);
        };
        let workdir = workdir
            .canonicalize()
            .unwrap_or_else(|_| workdir.to_path_buf());
        let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let Ok(relative) = root.strip_prefix(&workdir) else {
            return Err(HistoryError::OutsideWorkTree(root.display().to_string()));
        };
        let mut prefix: String = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        if !prefix.is_empty() {
            prefix.push('/');
        }
        Ok(Some(Git {
            shallow: repo.is_shallow(),
            git_dir: repo.path().to_path_buf(),
            repo: Mutex::new(repo),
            prefix,
        }))
    }

    pub fn is_shallow(&self) -> bool {
        self.shallow
    }

    fn repo(&self) -> std::sync::MutexGuard<'_, Repository> {
        self.repo
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The index entries under the workspace, keyed by workspace-relative
    /// path. Conflicted paths (stages 1–3) and intent-to-add entries
    /// (`git add -N`) are skipped.
    pub fn index_entries(&self) -> Result<BTreeMap<String, IndexEntry>, HistoryError> {
        let repo = self.repo();
        let mut index = repo.index()?;
        // Read again only if git wrote the index since it was opened (the
        // first `index()` of a repository reads it from disk).
        index.read(false)?;
        let mut entries = BTreeMap::new();
        for entry in index.iter() {
            let stage = (entry.flags >> 12) & 0x3;
            if stage != 0 {
                continue;
            }
            // `git add -N` records an empty placeholder that `git commit`
            // leaves out; it is not staged content.
            let intent_to_add =
                git2::IndexEntryExtendedFlag::from_bits_truncate(entry.flags_extended)
                    .is_intent_to_add();
            if intent_to_add {
                continue;
            }
            let path = String::from_utf8_lossy(&entry.path).into_owned();
            let Some(rel) = path.strip_prefix(&self.prefix) else {
                continue;
            };
            entries.insert(
                rel.to_string(),
                IndexEntry {
                    oid: entry.id,
                    kind: kind_of(entry.mode),
                },
            );
        }
        Ok(entries)
    }

    /// The files of a commit under the workspace, keyed by
    /// workspace-relative path, like the index.
    pub fn commit_entries(&self, rev: &str) -> Result<BTreeMap<String, IndexEntry>, HistoryError> {
        let repo = self.repo();
        let commit = repo
            .revparse_single(rev)
            .and_then(|object| object.peel_to_commit())
            .map_err(|_| HistoryError::UnknownRevision(rev.to_string()))?;
        let mut entries = BTreeMap::new();
        let tree = commit.tree()?;
        let mut stack = vec![(tree.id(), String::new())];
        while let Some((tree_id, dir)) = stack.pop() {
            let tree = repo.find_tree(tree_id)?;
            for item in tree.iter() {
                let path = format!("{dir}{}", item.name().unwrap_or(""));
                match item.kind() {
                    Some(ObjectType::Tree) => {
                        let folder = format!("{path}/");
                        // Only folders on the way to, or inside, the workspace.
                        if folder.starts_with(&self.prefix) || self.prefix.starts_with(&folder) {
                            stack.push((item.id(), folder));
                        }
                    }
                    Some(ObjectType::Blob) | Some(ObjectType::Commit) => {
                        if let Some(rel) = path.strip_prefix(&self.prefix) {
                            entries.insert(
                                rel.to_string(),
                                IndexEntry {
                                    oid: item.id(),
                                    kind: kind_of(item.filemode() as u32),
                                },
                            );
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(entries)
    }

    /// The bytes of the historic source version with this sha256, if any.
    pub fn find_version(&self, sha256: &str) -> Result<Option<Vec<u8>>, HistoryError> {
        match self.historic_versions()?.find(sha256) {
            Some(version) => Ok(Some(self.read_blob(version.oid)?)),
            None => Ok(None),
        }
    }

    pub fn read_blob(&self, oid: Oid) -> Result<Vec<u8>, HistoryError> {
        let repo = self.repo();
        let blob = repo.find_blob(oid)?;
        Ok(blob.content().to_vec())
    }

    /// Every distinct blob that was ever under `seeds/` in a commit
    /// reachable from HEAD, with the first path it was seen at. Renamed or
    /// moved sources are covered because blobs are found by content.
    ///
    /// The list is remembered under `.git/annot/` with the HEAD it covers:
    /// when HEAD has only moved forward, just the new commits are walked.
    fn historic_seed_blobs(&self) -> Result<Vec<(Oid, String)>, HistoryError> {
        let head = match self.repo().head() {
            Ok(head) => head.peel_to_commit()?.id(),
            // An unborn branch: no history yet.
            Err(err)
                if err.code() == git2::ErrorCode::UnbornBranch
                    || err.code() == git2::ErrorCode::NotFound =>
            {
                return Ok(Vec::new())
            }
            Err(err) => return Err(err.into()),
        };
        let walk_cache = self.git_dir.join("annot").join("seed-blobs");
        let (mut blobs, since) = match read_walk_cache(&walk_cache) {
            Some((cached_head, blobs)) if cached_head == head => return Ok(blobs),
            Some((cached_head, blobs))
                if self
                    .repo()
                    .graph_descendant_of(head, cached_head)
                    .unwrap_or(false) =>
            {
                (blobs, Some(cached_head))
            }
            _ => (Vec::new(), None),
        };
        let known = blobs.iter().map(|(oid, _)| *oid).collect();
        let new = self.walk_seed_blobs(head, since, known)?;
        blobs.extend(new);
        // Best effort: a read-only .git only costs speed.
        let _ = write_walk_cache(&walk_cache, head, &blobs);
        Ok(blobs)
    }

    /// Blobs under `seeds/` in commits reachable from `head` but not from
    /// `since`, leaving out those already `known`.
    fn walk_seed_blobs(
        &self,
        head: Oid,
        since: Option<Oid>,
        known: HashSet<Oid>,
    ) -> Result<Vec<(Oid, String)>, HistoryError> {
        let repo = self.repo();
        let mut walk = repo.revwalk()?;
        walk.push(head)?;
        if let Some(since) = since {
            walk.hide(since)?;
        }
        walk.set_sorting(Sort::NONE)?;
        let seeds_path = format!("{}seeds", self.prefix);
        let mut seen_trees: HashSet<Oid> = HashSet::new();
        let mut blobs: Vec<(Oid, String)> = Vec::new();
        let mut seen_blobs: HashSet<Oid> = known;
        for commit_id in walk {
            let commit = repo.find_commit(commit_id?)?;
            let tree = commit.tree()?;
            let Ok(entry) = tree.get_path(Path::new(&seeds_path)) else {
                continue;
            };
            if entry.kind() != Some(ObjectType::Tree) || !seen_trees.insert(entry.id()) {
                continue;
            }
            let mut stack = vec![(entry.id(), "seeds".to_string())];
            while let Some((tree_id, dir)) = stack.pop() {
                let tree = repo.find_tree(tree_id)?;
                for item in tree.iter() {
                    let name = item.name().unwrap_or("");
                    let path = format!("{dir}/{name}");
                    match item.kind() {
                        Some(ObjectType::Tree) if seen_trees.insert(item.id()) => {
                            stack.push((item.id(), path));
                        }
                        Some(ObjectType::Blob)
                            if kind_of(item.filemode() as u32) == EntryKind::File
                                && seen_blobs.insert(item.id()) =>
                        {
                            blobs.push((item.id(), path));
                        }
                        _ => {}
                    }
                }
            }
        }
        Ok(blobs)
    }

    fn cache_path(&self) -> PathBuf {
        self.annot_dir().join("blob-sha256")
    }

    /// Where annot keeps its caches: `.git/annot/`. Everything there is
    /// keyed by content and safe to delete.
    pub fn annot_dir(&self) -> PathBuf {
        self.git_dir.join("annot")
    }

    /// The remembered sha256 of blobs, by blob id.
    pub fn blob_sha256s(&self) -> HashMap<Oid, String> {
        let mut cache = HashMap::new();
        if let Ok(text) = fs::read_to_string(self.cache_path()) {
            cache.reserve(text.len() / 106);
            for line in text.lines() {
                if let Some((oid, sha)) = line.split_once(' ') {
                    if let Some(oid) = oid_of_hex(oid) {
                        if crate::load::is_sha256_hex(sha) {
                            cache.insert(oid, sha.to_string());
                        }
                    }
                }
            }
        }
        cache
    }

    /// Remembers the sha256 of more blobs (best effort: a read-only .git
    /// only costs speed).
    pub fn remember_blob_sha256s(&self, entries: &[(Oid, String)]) {
        if !entries.is_empty() {
            let _ = append_cache(&self.cache_path(), entries);
        }
    }

    /// The sha256 of every historic version of the sources, computed once
    /// per blob and remembered under `.git/annot/` (a blob id names its
    /// content, so the cache is never wrong and safe to delete).
    pub fn historic_versions(&self) -> Result<PinIndex, HistoryError> {
        let blobs = self.historic_seed_blobs()?;
        let cache = self.blob_sha256s();
        let mut new_entries = Vec::new();
        let mut by_sha = HashMap::new();
        for (oid, path) in blobs {
            let sha = match cache.get(&oid) {
                Some(sha) => sha.clone(),
                None => {
                    let sha = crate::source::sha256_hex(&self.read_blob(oid)?);
                    new_entries.push((oid, sha.clone()));
                    sha
                }
            };
            by_sha.entry(sha).or_insert(HistoricVersion { oid, path });
        }
        self.remember_blob_sha256s(&new_entries);
        Ok(PinIndex { by_sha })
    }

    /// The bytes of the attribute files git reads besides those inside the
    /// workspace: `info/attributes`, `core.attributesFile` (or its XDG
    /// default), the system file, and the `.gitattributes` of each folder
    /// from the top of the working tree down to (not including) the
    /// workspace root. For keying what was concluded from them.
    pub fn outer_attributes(&self) -> Vec<u8> {
        let repo = self.repo();
        let mut files: Vec<PathBuf> = vec![self.git_dir.join("info").join("attributes")];
        let configured = repo
            .config()
            .ok()
            .and_then(|c| c.get_path("core.attributesFile").ok());
        match configured {
            Some(path) => files.push(path),
            None => {
                if let Some(home) = std::env::var_os("XDG_CONFIG_HOME")
                    .map(PathBuf::from)
                    .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
                {
                    files.push(home.join("git").join("attributes"));
                }
            }
        }
        files.push(PathBuf::from("/etc/gitattributes"));
        if let Some(workdir) = repo.workdir() {
            let mut dir = workdir.to_path_buf();
            files.push(dir.join(".gitattributes"));
            let parts: Vec<&str> = self.prefix.split('/').filter(|p| !p.is_empty()).collect();
            for part in parts.iter().take(parts.len().saturating_sub(1)) {
                dir.push(part);
                files.push(dir.join(".gitattributes"));
            }
            if parts.is_empty() {
                files.pop();
            }
        }
        let mut out = Vec::new();
        for file in files {
            out.extend_from_slice(file.to_string_lossy().as_bytes());
            out.push(0);
            out.extend(fs::read(&file).unwrap_or_default());
            out.push(0);
        }
        out
    }

    /// The first of these workspace-relative paths that git would convert
    /// as text (its `text` attribute is not unset), as git itself reads
    /// every `.gitattributes` (the last matching line wins, macros like
    /// `binary` expand). `from_index` reads the attributes staged in the
    /// index, otherwise those in the working tree (then the index).
    pub fn first_text_converted<'p>(
        &self,
        paths: &'p [String],
        from_index: bool,
    ) -> Result<Option<&'p str>, HistoryError> {
        let repo = self.repo();
        let flags = if from_index {
            git2::AttrCheckFlags::INDEX_ONLY
        } else {
            git2::AttrCheckFlags::FILE_THEN_INDEX
        };
        for path in paths {
            let full = format!("{}{path}", self.prefix);
            let value = repo.get_attr(Path::new(&full), "text", flags)?;
            if git2::AttrValue::from_string(value) != git2::AttrValue::False {
                return Ok(Some(path));
            }
        }
        Ok(None)
    }

    /// Where the hooks of this repository live (`core.hooksPath` or
    /// `.git/hooks`).
    pub fn hooks_dir(&self) -> Result<PathBuf, HistoryError> {
        let repo = self.repo();
        let config = repo.config()?;
        if let Ok(path) = config.get_path("core.hooksPath") {
            let base = repo.workdir().unwrap_or(repo.path());
            return Ok(base.join(path));
        }
        Ok(repo.path().join("hooks"))
    }

    /// The workspace root relative to the working tree (`.` when equal).
    pub fn workspace_dir(&self) -> &str {
        if self.prefix.is_empty() {
            "."
        } else {
            self.prefix.trim_end_matches('/')
        }
    }

    /// Every commit reachable from HEAD that changed the file at `rel`
    /// (workspace-relative), oldest first, with the file's content after it
    /// (`None` when the commit removed it).
    pub fn file_history(&self, rel: &str) -> Result<Vec<FileVersion>, HistoryError> {
        let repo = self.repo();
        let mut walk = repo.revwalk()?;
        if walk.push_head().is_err() {
            return Ok(Vec::new());
        }
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME | Sort::REVERSE)?;
        let path = format!("{}{rel}", self.prefix);
        let mut versions = Vec::new();
        let mut last: Option<Oid> = None;
        for commit_id in walk {
            let commit = repo.find_commit(commit_id?)?;
            let blob = commit
                .tree()?
                .get_path(Path::new(&path))
                .ok()
                .filter(|e| e.kind() == Some(ObjectType::Blob))
                .map(|e| e.id());
            if blob == last {
                continue;
            }
            last = blob;
            let content = match blob {
                Some(oid) => Some(repo.find_blob(oid)?.content().to_vec()),
                None => None,
            };
            let author = commit.author();
            versions.push(FileVersion {
                commit: commit.id().to_string(),
                summary: commit.summary().ok().flatten().unwrap_or("").to_string(),
                author: author.name().unwrap_or("").to_string(),
                time: commit.time().seconds(),
                content,
            });
        }
        Ok(versions)
    }
}

/// Reads the remembered list of historic seed blobs: the HEAD it covers,
/// then one `blob path` per line.
/// A full 40-digit lowercase blob id, read without a call into libgit2
/// for each of the cache's lines.
fn oid_of_hex(hex: &str) -> Option<Oid> {
    let hex = hex.as_bytes();
    if hex.len() != 40 {
        return None;
    }
    let digit = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    };
    let mut raw = [0u8; 20];
    for (i, pair) in hex.chunks_exact(2).enumerate() {
        raw[i] = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Oid::from_bytes(&raw).ok()
}

fn read_walk_cache(path: &Path) -> Option<(Oid, Vec<(Oid, String)>)> {
    let text = fs::read_to_string(path).ok()?;
    let mut lines = text.lines();
    let head = Oid::from_str(lines.next()?.strip_prefix("head ")?).ok()?;
    let mut blobs = Vec::new();
    for line in lines {
        let (oid, path) = line.split_once(' ')?;
        blobs.push((Oid::from_str(oid).ok()?, path.to_string()));
    }
    Some((head, blobs))
}

fn write_walk_cache(path: &Path, head: Oid, blobs: &[(Oid, String)]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let mut text = format!("head {head}\n");
    for (oid, blob_path) in blobs {
        text.push_str(&format!("{oid} {}\n", blob_path.replace('\n', " ")));
    }
    let tmp = dir.join(format!(".seed-blobs.{}.tmp", std::process::id()));
    fs::write(&tmp, text)?;
    fs::rename(&tmp, path)
}

fn append_cache(path: &Path, entries: &[(Oid, String)]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let mut file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    let mut text = String::with_capacity(entries.len() * 106);
    for (oid, sha) in entries {
        text.push_str(&format!("{oid} {sha}\n"));
    }
    // One write: concurrent runs may interleave lines, never split one.
    file.write_all(text.as_bytes())
}

/// One version of a source found in history.
#[derive(Debug, Clone)]
pub struct HistoricVersion {
    pub oid: Oid,
    pub path: String,
}

/// Historic versions of the sources by sha256.
#[derive(Debug, Default)]
pub struct PinIndex {
    by_sha: HashMap<String, HistoricVersion>,
}

impl PinIndex {
    pub fn find(&self, sha256: &str) -> Option<&HistoricVersion> {
        self.by_sha.get(sha256)
    }
}

/// A version of a file in history.
#[derive(Debug, Clone)]
pub struct FileVersion {
    pub commit: String,
    pub summary: String,
    pub author: String,
    /// Seconds since the Unix epoch.
    pub time: i64,
    pub content: Option<Vec<u8>>,
}
