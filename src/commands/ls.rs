//! `annot ls`: every annotation's id, kind and place, for people and for
//! shell completion. Only the annotation files are read (no source).

use crate::finding::{Finding, Severity};
use crate::load;
use crate::workspace::{self, Tree, WorkspaceError};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// One annotation as `annot ls` lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Listed {
    pub id: String,
    pub kind: String,
    pub file: String,
    pub line: u32,
}

/// A file whose annotations could not be listed, and why (its first
/// error).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Unlisted {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// What `annot ls` found: annotations in file order, then line order.
#[derive(Debug, Default, serde::Serialize)]
pub struct Listing {
    pub annotations: Vec<Listed>,
    pub unreadable: Vec<Unlisted>,
}

/// `annot ls [PATH…]`: the annotations of these files or folders (default:
/// all of annotations/).
pub fn ls(root: &Path, paths: &[PathBuf]) -> Result<Listing, WorkspaceError> {
    let tree = Tree::WorkTree;
    let (files, outside) = if paths.is_empty() {
        tree.list_annotation_files(root)?
    } else {
        (super::resolve_paths(root, paths)?, Vec::new())
    };
    let loaded: Vec<(String, load::Loaded<crate::model::AnnotationFile>)> = files
        .par_iter()
        .map(|rel| -> Result<_, WorkspaceError> {
            if let Some(size) = tree.too_large(root, rel)? {
                return Ok((rel.clone(), workspace::too_large(rel, size)));
            }
            let bytes = tree.read(root, rel)?.unwrap_or_default();
            Ok((rel.clone(), load::annotation_file(rel, &bytes)))
        })
        .collect::<Result<_, _>>()?;
    let mut listing = Listing::default();
    for finding in &outside {
        listing.unreadable.push(unlisted(finding));
    }
    for (rel, loaded) in loaded {
        match loaded.value {
            Some(file) => listing
                .annotations
                .extend(file.annotations.iter().map(|a| Listed {
                    id: a.id.value.clone(),
                    kind: a.kind.value.clone(),
                    file: rel.clone(),
                    line: a.id.pos.line,
                })),
            None => {
                if let Some(first) = loaded
                    .findings
                    .iter()
                    .find(|f| f.severity == Severity::Error)
                {
                    listing.unreadable.push(unlisted(first));
                }
            }
        }
    }
    Ok(listing)
}

fn unlisted(finding: &Finding) -> Unlisted {
    Unlisted {
        file: finding.place.file.clone(),
        line: finding.place.line,
        column: finding.place.column,
        message: finding.message.clone(),
    }
}
