//! `annot validate`.

use crate::finding::Finding;
use crate::report::{Checked, Texts};
use crate::workspace::{self, Tree, WorkspaceError};
use crate::yaml::{self};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The result of `annot validate`.
pub struct Validation {
    pub checked: Checked,
    pub findings: Vec<Finding>,
    pub texts: Texts,
    /// Checks that were skipped, and why.
    pub notices: Vec<String>,
}

/// `annot validate`: the working tree, or with `staged` the git index.
pub fn validate(root: &Path, staged: bool) -> Result<Validation, WorkspaceError> {
    validate_paths(root, staged, &[], Snippets::Read)
}

/// Whether the texts of the files findings point into are read, for a
/// report that shows them (the human one); JSON and GitHub reports do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Snippets {
    Read,
    Skip,
}

/// `annot validate [PATH…]`, as [`validate`]. With paths, only the findings in those annotation files are
/// reported (and counted); the rest of the workspace is still read, so
/// what those files say about other files' ids (links, duplicates) is
/// judged against the whole workspace.
pub fn validate_paths(
    root: &Path,
    staged: bool,
    paths: &[PathBuf],
    snippets: Snippets,
) -> Result<Validation, WorkspaceError> {
    let tree = if staged {
        Tree::index(root)?
    } else {
        Tree::WorkTree
    };
    let only: Option<BTreeSet<String>> = if paths.is_empty() {
        None
    } else {
        Some(super::resolve_paths(root, paths)?.into_iter().collect())
    };
    let mut outcome = crate::validate::validate(root, &tree)?;
    let checked = match &only {
        None => Checked {
            files: outcome.files,
            sources: outcome.sources,
            annotations: outcome.annotations,
        },
        Some(only) => {
            outcome.findings.retain(|f| concerns(f, only));
            count_files(root, &tree, only)?
        }
    };
    // The texts of the files the findings point into, for snippets.
    let mut texts = Texts::new();
    let wanted = match snippets {
        Snippets::Read => &outcome.findings[..],
        Snippets::Skip => &[],
    };
    for finding in wanted {
        for file in std::iter::once(&finding.place.file)
            .chain(finding.related.iter().map(|r| &r.place.file))
        {
            if texts.contains_key(file) {
                continue;
            }
            if let Some(text) = text_for_report(root, &tree, &outcome.paths, file) {
                texts.insert(file.clone(), text);
            }
        }
    }
    Ok(Validation {
        checked,
        findings: outcome.findings,
        texts,
        notices: outcome.notices,
    })
}

/// Whether `validate PATH…` reports a finding: it is in one of the files,
/// or it is a duplicate of an id one of them defines (found at the other
/// definition), or the vocabulary is wrong (without it no kind of theirs
/// can be checked).
fn concerns(finding: &Finding, files: &BTreeSet<String>) -> bool {
    // A duplicate id is reported at each of its definitions, so the one in
    // these files is among them.
    files.contains(&finding.place.file) || finding.place.file == workspace::VOCABULARY_PATH
}

/// How much the given annotation files hold: files, distinct sources and
/// annotations (a file that does not load counts as a file).
fn count_files(
    root: &Path,
    tree: &Tree,
    files: &BTreeSet<String>,
) -> Result<Checked, WorkspaceError> {
    let mut sources = BTreeSet::new();
    let mut annotations = 0;
    for rel in files {
        if tree.too_large(root, rel)?.is_some() {
            continue;
        }
        let Some(bytes) = tree.read(root, rel)? else {
            continue;
        };
        if let Some(file) = crate::load::annotation_file(rel, &bytes).value {
            annotations += file.annotations.len();
            sources.extend(file.source.map(|s| s.value));
        }
    }
    Ok(Checked {
        files: files.len(),
        sources: sources.len(),
        annotations,
    })
}

/// The text of a file a finding points into, read only the ways validation
/// itself reads: a listed annotation file or one of the two YAML files of the
/// workspace (regular files within the size limit), or a source through the
/// checks that keep it inside seeds/.
fn text_for_report(
    root: &Path,
    tree: &Tree,
    annotation_files: &[String],
    file: &str,
) -> Option<Arc<String>> {
    let yaml = annotation_files
        .binary_search_by(|p| p.as_str().cmp(file))
        .is_ok()
        || file == workspace::VOCABULARY_PATH
        || file == workspace::SOURCES_META_PATH;
    if yaml {
        if let Tree::WorkTree = tree {
            let meta = fs::metadata(root.join(file)).ok()?;
            if !meta.is_file() || meta.len() > yaml::MAX_FILE_BYTES as u64 {
                return None;
            }
        }
        let bytes = tree.read(root, file).ok()??;
        return Some(Arc::new(String::from_utf8_lossy(&bytes).into_owned()));
    }
    if file.starts_with("seeds/") {
        return tree.read_source(root, file).ok().map(|s| s.shared_text());
    }
    None
}
