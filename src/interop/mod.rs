//! Interop: `annot export` writes the workspace as W3C Web Annotations,
//! a brat folder or spaCy/Prodigy-style JSON Lines; `annot import` brings
//! annotations made in those formats into the workspace.
//!
//! Each format is one module with an `export` over the checked [`Corpus`]
//! and a `read` that turns its files into an [`Incoming`]; no format knows
//! another. [`plan`] does what every import shares: places the documents
//! in `seeds/`, anchors every annotation, makes ids, extends the
//! vocabulary, and writes all files or none.

pub mod brat;
pub mod corpus;
pub mod jsonl;
pub mod plan;
pub mod w3c;

pub use corpus::Corpus;
pub use plan::{ImportOptions, Imported, Incoming};

use crate::workspace::{self, WorkspaceError};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    W3c,
    Brat,
    Jsonl,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::W3c => "w3c",
            Format::Brat => "brat",
            Format::Jsonl => "jsonl",
        }
    }
}

/// Something an export or import could not carry over as it was: where it
/// is and what happened to it. `dropped` ones were left out; the others
/// were carried over changed (a quote split into brat fragments, an id
/// renamed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// `file:line` (or `file`, or `file:line` of an input file).
    pub place: String,
    pub what: String,
    pub dropped: bool,
}

impl Listed {
    pub fn dropped(place: impl Into<String>, what: impl Into<String>) -> Listed {
        Listed {
            place: place.into(),
            what: what.into(),
            dropped: true,
        }
    }

    pub fn changed(place: impl Into<String>, what: impl Into<String>) -> Listed {
        Listed {
            place: place.into(),
            what: what.into(),
            dropped: false,
        }
    }
}

/// What `annot export` did.
pub struct Exported {
    /// The bytes for stdout, when no `--out` was given.
    pub stdout: Option<Vec<u8>>,
    /// Where it was written, when `--out` was given.
    pub written: Option<String>,
    pub documents: usize,
    pub annotations: usize,
    pub listed: Vec<Listed>,
}

/// `annot export --format F [--out PATH] [SOURCE…]`.
pub fn export(
    root: &Path,
    format: Format,
    out: Option<&Path>,
    sources: &[PathBuf],
) -> Result<Exported, WorkspaceError> {
    let sources: Vec<String> = sources.iter().map(|s| source_arg(root, s)).collect();
    if format == Format::Brat && out.is_none() {
        return Err(WorkspaceError::NotWritten(
            "brat export writes a folder (a .txt and an .ann per source, annotation.conf, visual.conf): give it with `--out DIR`".to_string(),
        ));
    }
    if let Some(out) = out {
        check_out(root, out)?;
    }
    let corpus = corpus::load(root, &sources)?;
    let mut listed = corpus.lost.clone();
    let documents = corpus.documents.len();
    let mut annotations = corpus.items.len()
        + corpus
            .documents
            .iter()
            .map(|d| d.annotations.len())
            .sum::<usize>();
    let single = match format {
        Format::W3c => Some(w3c::export(&corpus, &mut listed)),
        Format::Jsonl => {
            let (bytes, skipped) = jsonl::export(&corpus, &mut listed);
            annotations -= skipped;
            Some(bytes)
        }
        Format::Brat => None,
    };
    let written = match (single, out) {
        (Some(bytes), None) => {
            return Ok(Exported {
                stdout: Some(bytes),
                written: None,
                documents,
                annotations,
                listed,
            })
        }
        (Some(bytes), Some(path)) => {
            write_file(path, &bytes)?;
            path.display().to_string()
        }
        (None, Some(dir)) => {
            let (files, skipped) = brat::export(&corpus, &mut listed);
            annotations -= skipped;
            write_folder(dir, &files)?;
            dir.display().to_string()
        }
        (None, None) => unreachable!("checked above"),
    };
    Ok(Exported {
        stdout: None,
        written: Some(written),
        documents,
        annotations,
        listed,
    })
}

/// Refuses an `--out` among the files annot reads: an export never lands
/// on a seed, an annotation file or the vocabulary.
fn check_out(root: &Path, out: &Path) -> Result<(), WorkspaceError> {
    let place = workspace::resolved(out);
    let root = workspace::resolved(root);
    for dir in ["seeds", "annotations", "schema"] {
        if place.starts_with(root.join(dir)) {
            return Err(WorkspaceError::NotWritten(format!(
                "not written to {}: it lies inside {dir}/, which holds the workspace's own files; give `--out` a path outside seeds/, annotations/ and schema/",
                out.display()
            )));
        }
    }
    if root.starts_with(&place) {
        return Err(WorkspaceError::NotWritten(format!(
            "not written to {}: it holds the workspace itself; give `--out` a new path",
            out.display()
        )));
    }
    Ok(())
}

/// A SOURCE argument as a workspace-relative path: a path that exists is
/// taken relative to the current folder, anything else as written.
fn source_arg(root: &Path, arg: &Path) -> String {
    if arg.exists() {
        if let Ok(full) = fs::canonicalize(arg) {
            if let Some(rel) = fs::canonicalize(root)
                .ok()
                .and_then(|r| workspace::relative(&r, &full))
            {
                return rel;
            }
        }
    }
    arg.to_string_lossy().replace('\\', "/")
}

/// Writes one output file through a temporary file and a rename.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), WorkspaceError> {
    let shown = path.display().to_string();
    let fail = |source| WorkspaceError::Write {
        path: shown.clone(),
        source,
    };
    if path.is_dir() {
        return Err(WorkspaceError::NotWritten(format!(
            "{shown} is a folder; give `--out` the path of a file to write"
        )));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.annot-{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(err) = result {
        let _ = fs::remove_file(&tmp);
        return Err(fail(err));
    }
    Ok(())
}

/// Writes a new folder: into a temporary folder beside it, then renamed
/// into place, so a reader sees all of it or nothing. An existing folder
/// must be empty (annot never overwrites what another tool may have
/// edited there).
fn write_folder(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<(), WorkspaceError> {
    let shown = dir.display().to_string();
    if dir.exists() {
        let empty = fs::read_dir(dir)
            .map(|mut entries| entries.next().is_none())
            .unwrap_or(false);
        if !dir.is_dir() || !empty {
            return Err(WorkspaceError::NotWritten(format!(
                "{shown} already exists and is not an empty folder; annot export writes a new brat folder and never overwrites one (a brat project may hold edits): give `--out` a new folder"
            )));
        }
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".to_string());
    let tmp = parent.join(format!(".{name}.annot-{}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        fs::create_dir_all(&tmp)?;
        let mut written = Vec::with_capacity(files.len());
        for (rel, bytes) in files {
            let path = tmp.join(rel);
            if let Some(p) = path.parent() {
                fs::create_dir_all(p)?;
            }
            fs::File::create(&path)?.write_all(bytes)?;
            written.push(path);
        }
        // One flush for the whole folder, not one per file.
        plan::flush(&tmp, &written)?;
        if dir.exists() {
            fs::remove_dir(dir)?;
        }
        fs::rename(&tmp, dir)
    })();
    if let Err(source) = result {
        let _ = fs::remove_dir_all(&tmp);
        return Err(WorkspaceError::Write {
            path: shown,
            source,
        });
    }
    Ok(())
}

/// `annot import FORMAT PATH [--dry-run]`.
pub fn import(
    root: &Path,
    format: Format,
    path: &Path,
    options: &ImportOptions,
) -> Result<Imported, WorkspaceError> {
    let incoming = match format {
        Format::Brat => brat::read(path)?,
        Format::W3c => w3c::read(path)?,
        Format::Jsonl => jsonl::read(path)?,
    };
    plan::import(root, format, path, incoming, options)
}

/// The error for an input that cannot be read at all.
pub fn unreadable(path: &Path, why: impl std::fmt::Display) -> WorkspaceError {
    WorkspaceError::NotWritten(format!(
        "cannot import {}: {why}; nothing was imported",
        path.display()
    ))
}
