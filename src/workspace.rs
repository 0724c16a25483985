//! The workspace on disk: finding its root, listing annotation files, and
//! reading files safely (source paths stay inside `seeds/`, symlinks do not
//! lead out of the workspace). Loading everything into a [`Workspace`]
//! happens here too, in parallel where the files are independent.

use crate::finding::{Code, Finding, Place};
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
    #[error("{dir} is not an annot workspace: it has no `annotations/` folder")]
    #[diagnostic(
        code(annot::no_workspace),
        help("run `annot init {dir}` to create one, or point `-C` at the folder that holds `annotations/`")
    )]
    NotAWorkspace { dir: String },
    #[error("{path} is not an annotation file")]
    #[diagnostic(
        code(annot::not_an_annotation_file),
        help("annotation files are the *.yaml and *.yml files under annotations/")
    )]
    NotAnnotationFile { path: String },
    #[error("cannot read {path}")]
    #[diagnostic(code(annot::io))]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
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

/// Checks that `dir` (given with `-C`) is a workspace root.
pub fn explicit_root(dir: &Path) -> Result<PathBuf, WorkspaceError> {
    let root = dir.canonicalize().map_err(|source| WorkspaceError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    if root.join(ANNOTATIONS_DIR).is_dir() {
        Ok(root)
    } else {
        Err(WorkspaceError::NotAWorkspace {
            dir: dir.display().to_string(),
        })
    }
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

pub fn is_annotation_file(path: &str) -> bool {
    path.ends_with(".yaml") || path.ends_with(".yml")
}

/// The annotation files of the workspace, sorted, with findings for
/// symlinks that lead outside it.
pub fn list_annotation_files(root: &Path) -> (Vec<String>, Vec<Finding>) {
    let mut files = Vec::new();
    let mut findings = Vec::new();
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
        return (files, findings);
    }
    walk(root, &dir, &mut |rel, kind| {
        if !is_annotation_file(&rel) {
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
    (files, findings)
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

/// Everything `validate` looks at, loaded once.
pub struct Workspace {
    pub root: PathBuf,
    pub files: Vec<AnnotationFile>,
    pub vocabulary: Option<Vocabulary>,
    pub sources_meta: Option<SourcesMeta>,
    /// Each source path named by some annotation file, read once.
    pub sources: BTreeMap<String, Result<Arc<SourceText>, SourceProblem>>,
    /// Texts of the YAML files read, for snippets in reports.
    pub yaml_texts: BTreeMap<String, Arc<str>>,
    /// Number of annotation files found (including unreadable ones).
    pub file_count: usize,
    /// Findings from loading: YAML and structure.
    pub findings: Vec<Finding>,
}

impl Workspace {
    pub fn load(root: &Path) -> Result<Workspace, WorkspaceError> {
        let (paths, mut findings) = list_annotation_files(root);
        let loaded: Vec<_> = paths
            .par_iter()
            .map(|rel| -> Result<_, WorkspaceError> {
                let io = |source| WorkspaceError::Io {
                    path: rel.clone(),
                    source,
                };
                let size = fs::metadata(root.join(rel)).map_err(io)?.len();
                if size > crate::yaml::MAX_FILE_BYTES as u64 {
                    let loaded = load::Loaded {
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
                    };
                    return Ok((rel.clone(), Arc::from(""), loaded));
                }
                let bytes = fs::read(root.join(rel)).map_err(io)?;
                let text: Arc<str> = Arc::from(String::from_utf8_lossy(&bytes).as_ref());
                Ok((rel.clone(), text, load::annotation_file(rel, &bytes)))
            })
            .collect::<Result<_, _>>()?;

        let mut files = Vec::with_capacity(loaded.len());
        let mut yaml_texts = BTreeMap::new();
        for (rel, text, result) in loaded {
            yaml_texts.insert(rel, text);
            findings.extend(result.findings);
            files.extend(result.value);
        }

        let vocabulary = match read_optional(root, VOCABULARY_PATH)? {
            Some(bytes) => {
                yaml_texts.insert(
                    VOCABULARY_PATH.to_string(),
                    Arc::from(String::from_utf8_lossy(&bytes).as_ref()),
                );
                let result = load::vocabulary(VOCABULARY_PATH, &bytes);
                findings.extend(result.findings);
                result.value
            }
            None => {
                findings.push(
                    Finding::new(
                        Code::Vocabulary,
                        file_place(VOCABULARY_PATH),
                        format!("{VOCABULARY_PATH} is missing, so no kind or relation can be checked"),
                    )
                    .with_help("create it (`annot init` writes a starter vocabulary) and declare the kinds and relations you use"),
                );
                None
            }
        };

        let sources_meta = match read_optional(root, SOURCES_META_PATH)? {
            Some(bytes) => {
                yaml_texts.insert(
                    SOURCES_META_PATH.to_string(),
                    Arc::from(String::from_utf8_lossy(&bytes).as_ref()),
                );
                let result = load::sources_meta(SOURCES_META_PATH, &bytes);
                findings.extend(result.findings);
                result.value
            }
            None => None,
        };

        let wanted: BTreeSet<&str> = files
            .iter()
            .filter_map(|f| f.source.as_ref().map(|s| s.value.as_str()))
            .collect();
        let sources = wanted
            .into_par_iter()
            .map(|path| (path.to_string(), read_source(root, path).map(Arc::new)))
            .collect();

        Ok(Workspace {
            root: root.to_path_buf(),
            file_count: paths.len(),
            files,
            vocabulary,
            sources_meta,
            sources,
            yaml_texts,
            findings,
        })
    }
}

/// Reads a file that may be absent.
fn read_optional(root: &Path, rel: &str) -> Result<Option<Vec<u8>>, WorkspaceError> {
    match fs::read(root.join(rel)) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(WorkspaceError::Io {
            path: rel.to_string(),
            source,
        }),
    }
}

/// The place of a value in an annotation file.
pub fn at(file: &AnnotationFile, pos: crate::yaml::Pos) -> Place {
    place(&file.path, pos)
}

#[cfg(test)]
mod tests {
    use super::*;

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
