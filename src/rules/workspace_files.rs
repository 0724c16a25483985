//! Rules about the workspace as a whole: the seeds are protected from line
//! ending conversion by `.gitattributes`.

use crate::finding::{Code, Finding};
use crate::workspace::file_place;

pub fn check(seeds: &[String], eol_protected: bool) -> Vec<Finding> {
    if seeds.is_empty() || eol_protected {
        return Vec::new();
    }
    vec![Finding::new(
        Code::EolUnprotected,
        file_place(".gitattributes"),
        "seeds/ is not marked `-text` in .gitattributes: git may rewrite line endings of sources on checkout, which changes their sha256 and every offset",
    )
    .with_help("add the line `seeds/** -text` to .gitattributes at the workspace root (`annot init` writes it)")]
}
