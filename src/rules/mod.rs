//! Validation rules. Each family of checks is a function from the loaded
//! workspace to findings; none reads files or prints.

mod metadata;
mod references;
mod spans;
mod workspace_files;

use crate::finding::{self, Finding};
use crate::workspace::Workspace;
use rayon::prelude::*;

pub use spans::check_file_spans;

/// Runs every rule over a loaded workspace; the findings come back sorted.
pub fn check(ws: &Workspace) -> Vec<Finding> {
    let mut findings = ws.findings.clone();
    findings.extend(references::check(ws));
    findings.extend(metadata::check(ws));
    findings.extend(workspace_files::check(ws));
    let per_file: Vec<Vec<Finding>> = ws
        .files
        .par_iter()
        .map(|file| spans::check_file(ws, file))
        .collect();
    findings.extend(per_file.into_iter().flatten());
    finding::sort(&mut findings);
    findings
}
