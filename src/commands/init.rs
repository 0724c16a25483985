//! `annot init`: the workspace layout.

use crate::edit::{self};
use crate::workspace::{self, WorkspaceError};
use std::fs;
use std::path::Path;

/// What `annot init` did with each file it is responsible for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InitAction {
    Created,
    Kept,
    Appended,
}

pub const ANNOTATIONS_SCHEMA: &str = include_str!("../../schema/annotations.schema.json");
pub const VOCABULARY_SCHEMA: &str = include_str!("../../schema/vocabulary.schema.json");
pub const SOURCES_SCHEMA: &str = include_str!("../../schema/sources.schema.json");

const STARTER_VOCABULARY: &str = "# yaml-language-server: $schema=vocabulary.schema.json
#
# What `kind`, `rel` and `attrs` may be in this workspace's annotation files.
# `anchored: true` kinds quote a span of a source; `anchored: false` kinds
# live in files without `source`; `any` allows both.
kinds:
  claim: {anchored: true, doc: a statement of fact made in a source}
  quote: {anchored: true, doc: words a source presents as said by someone}
  entity:
    anchored: false
    doc: a person, organisation, place or event
    attrs:
      type: {values: [person, org, place, event]}
relations:
  attributed-to: {from: [claim, quote], to: [entity]}
  cites: {from: [claim, quote], to: [claim, quote]}
  contradicts: {from: [claim], to: [claim], symmetric: true}
";

const GITATTRIBUTES_RULE: &str = "seeds/** -text";

/// `annot init [DIR]`: creates the workspace layout; never overwrites.
pub fn init(dir: &Path) -> Result<Vec<(String, InitAction)>, WorkspaceError> {
    let io = |path: &str| {
        let path = path.to_string();
        move |source| WorkspaceError::Write { path, source }
    };
    let mut actions = Vec::new();
    for folder in ["annotations", "seeds", "schema"] {
        let path = dir.join(folder);
        if path.is_dir() {
            actions.push((format!("{folder}/"), InitAction::Kept));
        } else {
            fs::create_dir_all(&path).map_err(io(folder))?;
            actions.push((format!("{folder}/"), InitAction::Created));
        }
    }
    for (rel, content) in [
        ("schema/vocabulary.yaml", STARTER_VOCABULARY),
        ("schema/annotations.schema.json", ANNOTATIONS_SCHEMA),
        ("schema/vocabulary.schema.json", VOCABULARY_SCHEMA),
        ("schema/sources.schema.json", SOURCES_SCHEMA),
    ] {
        let path = dir.join(rel);
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut file) => {
                use std::io::Write;
                file.write_all(content.as_bytes()).map_err(io(rel))?;
                actions.push((rel.to_string(), InitAction::Created));
            }
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                actions.push((rel.to_string(), InitAction::Kept));
            }
            Err(err) => return Err(io(rel)(err)),
        }
    }
    let attributes = dir.join(".gitattributes");
    match fs::read(&attributes) {
        Ok(existing) => {
            let seeds_attributes = fs::read_to_string(dir.join("seeds/.gitattributes")).ok();
            if workspace::eol_protected_by(
                Some(&String::from_utf8_lossy(&existing)),
                seeds_attributes.as_deref(),
            ) {
                actions.push((".gitattributes".to_string(), InitAction::Kept));
            } else {
                let mut new = existing.clone();
                if !new.is_empty() && !new.ends_with(b"\n") {
                    new.push(b'\n');
                }
                new.extend_from_slice(GITATTRIBUTES_RULE.as_bytes());
                new.push(b'\n');
                edit::write_atomic(&attributes, &existing, &new)?;
                actions.push((".gitattributes".to_string(), InitAction::Appended));
            }
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            fs::write(&attributes, format!("{GITATTRIBUTES_RULE}\n"))
                .map_err(io(".gitattributes"))?;
            actions.push((".gitattributes".to_string(), InitAction::Created));
        }
        Err(source) => {
            return Err(WorkspaceError::Io {
                path: ".gitattributes".into(),
                source,
            })
        }
    }
    actions.push((".gitignore".to_string(), ignore_report(dir)?));
    Ok(actions)
}

/// The line of `.gitignore` that keeps `annot render`'s default output out
/// of commits.
pub const GITIGNORE_RULE: &str = "annot-report/";

/// Adds [`GITIGNORE_RULE`] to `.gitignore` (creating it when missing),
/// unless a line already ignores the report; keeps every other line.
fn ignore_report(dir: &Path) -> Result<InitAction, WorkspaceError> {
    let path = dir.join(".gitignore");
    let write = |source| WorkspaceError::Write {
        path: ".gitignore".to_string(),
        source,
    };
    match fs::read(&path) {
        Ok(existing) => {
            let text = String::from_utf8_lossy(&existing);
            let ignored = text.lines().any(|line| {
                matches!(
                    line.trim(),
                    "annot-report" | "annot-report/" | "/annot-report" | "/annot-report/"
                )
            });
            if ignored {
                return Ok(InitAction::Kept);
            }
            let mut new = existing.clone();
            if !new.is_empty() && !new.ends_with(b"\n") {
                new.push(b'\n');
            }
            new.extend_from_slice(GITIGNORE_RULE.as_bytes());
            new.push(b'\n');
            edit::write_atomic(&path, &existing, &new)?;
            Ok(InitAction::Appended)
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            fs::write(&path, format!("{GITIGNORE_RULE}\n")).map_err(write)?;
            Ok(InitAction::Created)
        }
        Err(source) => Err(WorkspaceError::Io {
            path: ".gitignore".into(),
            source,
        }),
    }
}
