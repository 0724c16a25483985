//! `annot validate`.

use crate::finding::Finding;
use crate::report::{Checked, Texts};
use crate::workspace::{self, Tree, WorkspaceError};
use crate::yaml::{self};
use std::fs;
use std::path::Path;
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
    let tree = if staged {
        Tree::index(root)?
    } else {
        Tree::WorkTree
    };
    let outcome = crate::validate::validate(root, &tree)?;
    let checked = Checked {
        files: outcome.files,
        sources: outcome.sources,
        annotations: outcome.annotations,
    };
    // The texts of the files the findings point into, for snippets.
    let mut texts = Texts::new();
    for finding in &outcome.findings {
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

/// The text of a file a finding points into, read only the ways validation
/// itself reads: a listed annotation file or one of the two YAML files of the
/// workspace (regular files within the size limit), or a source through the
/// checks that keep it inside seeds/.
fn text_for_report(
    root: &Path,
    tree: &Tree,
    annotation_files: &[String],
    file: &str,
) -> Option<Arc<str>> {
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
        return Some(Arc::from(String::from_utf8_lossy(&bytes).as_ref()));
    }
    if file.starts_with("seeds/") {
        return tree.read_source(root, file).ok().map(|s| s.shared_text());
    }
    None
}
