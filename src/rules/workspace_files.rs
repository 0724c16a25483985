//! Rules about the workspace as a whole: the seeds are protected from line
//! ending conversion by `.gitattributes`.

use crate::finding::{Code, Finding};
use crate::workspace::{file_place, EolProtection};

pub fn check(seeds: &[String], protection: &EolProtection) -> Vec<Finding> {
    if seeds.is_empty() {
        return Vec::new();
    }
    let finding = match protection {
        EolProtection::Protected => return Vec::new(),
        EolProtection::Unprotected => Finding::new(
            Code::EolUnprotected,
            file_place(".gitattributes"),
            "seeds/ is not marked `-text` in .gitattributes: git may rewrite line endings of sources on checkout, which changes their sha256 and every offset",
        )
        .with_help("add the line `seeds/** -text` to .gitattributes at the workspace root (`annot init` writes it)"),
        EolProtection::Converted(seed) => Finding::new(
            Code::EolUnprotected,
            file_place(".gitattributes"),
            format!("git may rewrite the line endings of {seed} on checkout (its `text` attribute is not unset), which changes its sha256 and every offset"),
        )
        .with_help(format!(
            "for each file git uses the last .gitattributes line that matches it (a .gitattributes under seeds/ counts too): put `seeds/** -text` after any line that sets `text` for seeds, or remove that line; `git check-attr text -- {seed}` shows what git decides"
        )),
    };
    vec![finding]
}
