//! What each command does, as library functions that return plain results;
//! `main.rs` only parses arguments and renders what these return.

mod anchor;
mod drivers;
mod hook;
mod init;
mod ls;
mod show;
mod validate;

pub use anchor::{
    anchor, anchored_text, moved_to_quote, occurrence_choices, AnchoredFile, Anchoring, Choice,
};
pub use drivers::{
    add_attributes as add_driver_attributes, drivers_install, merge_driver, textconv,
    DriversInstall, MergeOutcome, DRIVER_ATTRIBUTES,
};
pub use hook::{hook_install, hook_uninstall, HookInstall, HookUninstall};
pub use init::{init, InitAction, ANNOTATIONS_SCHEMA, SOURCES_SCHEMA, VOCABULARY_SCHEMA};
pub use ls::{ls, Listed, Listing, Unlisted};
pub use show::{show, AnnotationChange, LinkView, Shown};
pub use validate::{validate, validate_paths, Snippets, Validation};

use crate::workspace::{self, WorkspaceError};
use std::path::{Path, PathBuf};

/// Removes the temporary files a killed annot left beside the annotation
/// files it was writing (only its own, see [`crate::edit::remove_stale_temps`]);
/// returns their workspace-relative paths.
pub fn remove_stale_temps(root: &Path) -> Vec<String> {
    crate::edit::remove_stale_temps(&root.join(workspace::ANNOTATIONS_DIR))
        .iter()
        .filter_map(|p| workspace::relative(root, p))
        .collect()
}

/// Turns command-line paths (files or folders) into workspace-relative
/// annotation file paths.
pub fn resolve_paths(root: &Path, paths: &[PathBuf]) -> Result<Vec<String>, WorkspaceError> {
    let mut out = Vec::new();
    for path in paths {
        let full = path.canonicalize().map_err(|source| WorkspaceError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let Some(rel) = workspace::relative(root, &full) else {
            return Err(WorkspaceError::Io {
                path: path.display().to_string(),
                source: std::io::Error::other(format!(
                    "it is outside the workspace {}",
                    root.display()
                )),
            });
        };
        if full.is_dir() {
            let (all, _) = workspace::list_annotation_files(root);
            let prefix = if rel.is_empty() {
                String::new()
            } else {
                format!("{rel}/")
            };
            out.extend(all.into_iter().filter(|f| f.starts_with(&prefix)));
        } else if rel.starts_with("annotations/") && workspace::is_annotation_file(&rel) {
            out.push(rel);
        } else {
            return Err(WorkspaceError::NotAnnotationFile { path: rel });
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}
