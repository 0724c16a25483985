//! The git drivers (SPEC §13): `annot merge-driver`, which git runs to
//! merge an annotation file, and `annot textconv`, which git runs to show
//! an annotation file in `git diff`.

use crate::edit;
use crate::load;
use crate::merge;
use crate::workspace::WorkspaceError;
use std::fs;
use std::path::Path;
use std::process::Command;

/// What `annot merge-driver` did with the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeOutcome {
    /// Merged by id with no conflict.
    Clean,
    /// Merged by id; these annotations (or file-level fields) carry
    /// conflict markers.
    Conflicts(Vec<String>),
    /// One side is not an annotation file this merge can read: git's line
    /// merge (`git merge-file`) was run instead, with this many conflicts.
    LineMerge { conflicts: u32 },
}

fn read(path: &Path) -> Result<Vec<u8>, WorkspaceError> {
    fs::read(path).map_err(|source| WorkspaceError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// `annot merge-driver %O %A %B %P %L`: merges `theirs` into `ours` (git's
/// `%A`, which receives the result) from their common `base`.
pub fn merge_driver(
    base: &Path,
    ours: &Path,
    theirs: &Path,
    marker_size: usize,
) -> Result<MergeOutcome, WorkspaceError> {
    let (o, a, b) = (read(base)?, read(ours)?, read(theirs)?);
    let texts = (
        std::str::from_utf8(&o),
        std::str::from_utf8(&a),
        std::str::from_utf8(&b),
    );
    let merged = match texts {
        (Ok(o), Ok(a), Ok(b)) => merge::merge(o, a, b, marker_size),
        _ => None,
    };
    let Some(merged) = merged else {
        return line_merge(base, ours, theirs, marker_size);
    };
    if merged.text.as_bytes() != a {
        edit::write_atomic(ours, &a, merged.text.as_bytes())?;
    }
    Ok(if merged.conflicts.is_empty() {
        MergeOutcome::Clean
    } else {
        MergeOutcome::Conflicts(merged.conflicts)
    })
}

/// git's own line merge, into `ours`.
fn line_merge(
    base: &Path,
    ours: &Path,
    theirs: &Path,
    marker_size: usize,
) -> Result<MergeOutcome, WorkspaceError> {
    let status = Command::new("git")
        .arg("merge-file")
        .arg(format!("--marker-size={marker_size}"))
        .args(["-L", "ours", "-L", "base", "-L", "theirs"])
        .arg(ours)
        .arg(base)
        .arg(theirs)
        .status()
        .map_err(|source| WorkspaceError::Io {
            path: "git merge-file".to_string(),
            source,
        })?;
    // git merge-file exits with the number of conflicts, or a negative
    // number (a status of 128 and more) when it could not merge at all.
    match status.code() {
        Some(n @ 0..=127) => Ok(MergeOutcome::LineMerge {
            conflicts: n as u32,
        }),
        _ => Err(WorkspaceError::Io {
            path: ours.display().to_string(),
            source: std::io::Error::other(format!("`git merge-file` failed ({status})")),
        }),
    }
}

/// `annot textconv FILE`: one line per annotation, for `git diff`. A file
/// that is not an annotation file is given back as it is (git stops the
/// whole diff when a textconv fails).
pub fn textconv(path: &Path) -> Result<Vec<u8>, WorkspaceError> {
    let bytes = read(path)?;
    let loaded = load::annotation_file(&path.display().to_string(), &bytes);
    match loaded.value {
        Some(file) => Ok(crate::report::textconv::render(&file).into_bytes()),
        _ => Ok(bytes),
    }
}

/// The `.gitattributes` lines that send annotation files to the drivers.
pub const DRIVER_ATTRIBUTES: [&str; 2] = [
    "annotations/**/*.yaml merge=annot diff=annot",
    "annotations/**/*.yml merge=annot diff=annot",
];

/// What `annot hook install --drivers` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriversInstall {
    /// The `.gitattributes` lines added (none when all were there).
    pub attributes_added: Vec<&'static str>,
    /// The git config entries written, with their new values (none when
    /// all were already so).
    pub config_written: Vec<(&'static str, String)>,
}

/// Whether a git config value for the drivers is one annot wrote.
fn is_ours(value: &str) -> bool {
    value.contains(" merge-driver ") || value.ends_with(" textconv") || value.starts_with("annot:")
}

/// `annot hook install --drivers`: the `.gitattributes` lines beside the
/// workspace's `annotations/` and the repository's git config for the merge
/// and textconv drivers. A second run changes nothing; a driver of the same
/// name that annot did not write is replaced only with `force`.
pub fn drivers_install(root: &Path, force: bool) -> Result<DriversInstall, WorkspaceError> {
    let repo = git2::Repository::discover(root)
        .map_err(|_| crate::history::HistoryError::NoRepository(root.display().to_string()))?;
    let exe = super::hook::shell_quote(&super::hook::current_exe());
    let wanted: [(&'static str, String); 3] = [
        (
            "merge.annot.name",
            "annot: merge annotation files by annotation id".to_string(),
        ),
        (
            "merge.annot.driver",
            format!("{exe} merge-driver %O %A %B %P %L"),
        ),
        ("diff.annot.textconv", format!("{exe} textconv")),
    ];
    let mut config = repo
        .config()
        .and_then(|c| c.open_level(git2::ConfigLevel::Local))
        .map_err(crate::history::HistoryError::from)?;
    let mut to_write = Vec::new();
    for (key, value) in wanted {
        match config.get_string(key) {
            Ok(current) if current == value => {}
            Ok(current) if !force && !is_ours(&current) => {
                return Err(WorkspaceError::ForeignDriver {
                    key: key.to_string(),
                    value: current,
                })
            }
            _ => to_write.push((key, value)),
        }
    }
    let attributes_added = add_attributes(root)?;
    for (key, value) in &to_write {
        config
            .set_str(key, value)
            .map_err(crate::history::HistoryError::from)?;
    }
    Ok(DriversInstall {
        attributes_added,
        config_written: to_write,
    })
}

/// Appends the driver lines `.gitattributes` lacks, keeping its other lines.
pub fn add_attributes(root: &Path) -> Result<Vec<&'static str>, WorkspaceError> {
    let path = root.join(".gitattributes");
    let existing = match fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(WorkspaceError::Io {
                path: ".gitattributes".into(),
                source,
            })
        }
    };
    let text = String::from_utf8_lossy(existing.as_deref().unwrap_or_default()).into_owned();
    let missing: Vec<&'static str> = DRIVER_ATTRIBUTES
        .into_iter()
        .filter(|line| {
            !text
                .lines()
                .any(|l| l.split_whitespace().eq(line.split_whitespace()))
        })
        .collect();
    if missing.is_empty() {
        return Ok(missing);
    }
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut new = existing.clone().unwrap_or_default();
    if !new.is_empty() && !new.ends_with(b"\n") {
        new.extend_from_slice(eol.as_bytes());
    }
    for line in &missing {
        new.extend_from_slice(line.as_bytes());
        new.extend_from_slice(eol.as_bytes());
    }
    match &existing {
        Some(bytes) => edit::write_atomic(&path, bytes, &new)?,
        None => fs::write(&path, &new).map_err(|source| WorkspaceError::Write {
            path: ".gitattributes".into(),
            source,
        })?,
    }
    Ok(missing)
}
