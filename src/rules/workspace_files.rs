//! Rules about the workspace as a whole: the seeds are protected from line
//! ending conversion by `.gitattributes`.

use crate::finding::{Code, Finding};
use crate::workspace::{file_place, list_seeds, Workspace};
use std::path::Path;

pub fn check(ws: &Workspace) -> Vec<Finding> {
    if list_seeds(&ws.root).is_empty() || eol_protected(&ws.root) {
        return Vec::new();
    }
    vec![Finding::new(
        Code::EolUnprotected,
        file_place(".gitattributes"),
        "seeds/ is not marked `-text` in .gitattributes: git may rewrite line endings of sources on checkout, which changes their sha256 and every offset",
    )
    .with_help("add the line `seeds/** -text` to .gitattributes at the workspace root (`annot init` writes it)")]
}

/// Whether `.gitattributes` (at the root or in seeds/) turns off text
/// conversion for every file under seeds/.
pub fn eol_protected(root: &Path) -> bool {
    let covers_root = [
        "*",
        "**",
        "seeds/**",
        "/seeds/**",
        "seeds/**/*",
        "/seeds/**/*",
    ];
    let covers_seeds_dir = ["*", "**", "**/*"];
    let mut protected = false;
    for (file, patterns) in [
        (root.join(".gitattributes"), &covers_root[..]),
        (root.join("seeds/.gitattributes"), &covers_seeds_dir[..]),
    ] {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for line in text.lines() {
            let mut words = line.split_whitespace();
            let Some(pattern) = words.next() else {
                continue;
            };
            if pattern.starts_with('#') || !patterns.contains(&pattern) {
                continue;
            }
            for attr in words {
                match attr {
                    "-text" | "binary" => protected = true,
                    "text" | "text=auto" | "!text" => protected = false,
                    _ => {}
                }
            }
        }
    }
    protected
}
