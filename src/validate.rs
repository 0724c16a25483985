//! `annot validate` end to end: every annotation file is loaded and checked
//! on its own, in parallel, and reduced to a [`FileResult`]; results are
//! reused from the cache when the file, its source and the vocabulary are
//! unchanged; then the checks across files run over the results. Only the
//! results stay in memory, never the whole workspace. A full run leaves a
//! summary for the next; a run that finds only a few files changed since
//! then checks only what they can affect ([`incremental`]).

mod incremental;
mod live;

pub use live::Live;

use crate::cache::{Cache, Summary};
use crate::finding::{self, Code, Finding};
use crate::history::Oid;
use crate::load;
use crate::rules::{self, FileResult, Seeds};
use crate::source::{sha256_hex, SourceText};
use crate::workspace::{
    resolve_stale_pins, too_large, Listing, Settings, SourceProblem, Tree, WorkspaceError,
};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

/// What validation found.
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub notices: Vec<String>,
    /// The annotation files that were read, sorted.
    pub paths: Vec<String>,
    pub files: usize,
    pub sources: usize,
    pub annotations: usize,
}

/// What every file's check needs, read once.
struct Shared<'a> {
    root: &'a Path,
    tree: &'a Tree,
    vocabulary: Option<&'a crate::model::Vocabulary>,
    seeds: &'a [String],
    /// Every seed by the sha256 of its bytes, worked out the first time a
    /// source is missing.
    seeds_by_sha256: OnceLock<HashMap<String, String>>,
    cache: Option<Cache>,
    /// What the last full run left, when it holds for this vocabulary.
    base: Option<Summary>,
    /// sha256 of blobs, by id (index only), and the ones computed now.
    blob_shas: HashMap<Oid, String>,
    new_blob_shas: Mutex<Vec<(Oid, String)>>,
}

/// What validation reads before any annotation file: their list, the
/// vocabulary and sources.yaml (what is wrong with these is in `findings`),
/// the seeds, and the cache kept for this vocabulary.
struct Inputs {
    paths: Vec<String>,
    findings: Vec<Finding>,
    skipped: Vec<String>,
    vocabulary: Option<crate::model::Vocabulary>,
    sources_meta: Option<crate::model::SourcesMeta>,
    seeds: Vec<String>,
    cache: Option<Cache>,
}

impl Inputs {
    fn read(
        root: &Path,
        tree: &Tree,
        git: Option<&crate::history::Git>,
    ) -> Result<Inputs, WorkspaceError> {
        let Listing {
            files: paths,
            mut findings,
            skipped,
        } = tree.list_annotations(root)?;
        let Settings {
            vocabulary,
            vocabulary_bytes,
            sources_meta,
            ..
        } = Settings::read(root, tree, &mut findings)?;
        let cache = git.map(|git| Cache::new(git.annot_dir(), vocabulary_bytes.as_deref()));
        Ok(Inputs {
            paths,
            findings,
            skipped,
            vocabulary,
            sources_meta,
            seeds: tree.list_seeds(root),
            cache,
        })
    }
}

pub fn validate(root: &Path, tree: &Tree) -> Result<Outcome, WorkspaceError> {
    let git = tree.git(root);
    let Inputs {
        paths,
        findings,
        skipped,
        vocabulary,
        sources_meta,
        seeds,
        cache,
    } = Inputs::read(root, tree, git.as_deref())?;
    // Two reads of caches, one per core.
    let (base, blob_shas) = rayon::join(
        || cache.as_ref().and_then(Cache::summary),
        || match (tree, &git) {
            (Tree::Index { .. }, Some(git)) => git.blob_sha256s(),
            _ => HashMap::new(),
        },
    );
    let shared = Shared {
        root,
        tree,
        vocabulary: vocabulary.as_ref(),
        seeds: &seeds,
        seeds_by_sha256: OnceLock::new(),
        base,
        cache,
        blob_shas,
        new_blob_shas: Mutex::new(Vec::new()),
    };

    let partial = match &shared.base {
        Some(base) => incremental::validate(&shared, base, &paths)?,
        None => None,
    };
    let (results, about_ids_and_links) = match partial {
        Some(done) => done,
        None => {
            let checked: Vec<Checked> = paths
                .par_iter()
                .map(|rel| check_path(&shared, rel))
                .collect::<Result<_, _>>()?;
            let (results, contents): (Vec<FileResult>, Vec<Option<String>>) =
                checked.into_iter().map(|c| (c.result, c.content)).unzip();
            let found = rules::check_ids_and_links(vocabulary.as_ref(), &results);
            if let Some(cache) = &shared.cache {
                cache.put_summary(
                    &incremental::summarize(&results, contents, &found),
                    &results,
                );
            }
            (results, found)
        }
    };
    if let Some(git) = &git {
        let new = shared.new_blob_shas.into_inner().unwrap_or_default();
        git.remember_blob_sha256s(&new);
    }
    let settings = Checks {
        vocabulary: vocabulary.as_ref(),
        sources_meta: sources_meta.as_ref(),
        seeds: &seeds,
        eol_protected: &tree.eol_protected(root, &seeds)?,
    };
    judge(
        root,
        tree,
        &settings,
        &results,
        about_ids_and_links,
        findings,
        &skipped,
        &paths,
    )
}

/// What the checks across files need besides the files' results.
pub(crate) struct Checks<'a> {
    pub vocabulary: Option<&'a crate::model::Vocabulary>,
    pub sources_meta: Option<&'a crate::model::SourcesMeta>,
    pub seeds: &'a [String],
    pub eol_protected: &'a crate::workspace::EolProtection,
}

/// The checks across files over every file's result, and the outcome:
/// `findings` are those found before (the listing, the vocabulary), and
/// `about_ids_and_links` the judgement of ids and links.
#[allow(clippy::too_many_arguments)]
pub(crate) fn judge(
    root: &Path,
    tree: &Tree,
    checks: &Checks,
    results: &[FileResult],
    about_ids_and_links: Vec<rules::Tagged>,
    mut findings: Vec<Finding>,
    skipped: &[String],
    paths: &[String],
) -> Result<Outcome, WorkspaceError> {
    let mut notices: Vec<String> = crate::workspace::skipped_notice(skipped)
        .into_iter()
        .collect();
    let stale: BTreeMap<String, &str> = results
        .iter()
        .filter_map(|r| {
            Some((
                r.stale_pin.as_ref()?.value.clone(),
                r.source.as_ref()?.value.as_str(),
            ))
        })
        .collect();
    let pins = resolve_stale_pins(root, tree, stale, &mut notices)?;
    findings.extend(rules::check_workspace(
        &rules::Workspace {
            vocabulary: checks.vocabulary,
            sources_meta: checks.sources_meta,
            seeds: checks.seeds,
            eol_protected: checks.eol_protected,
            pins: &pins,
        },
        results,
    ));
    findings.extend(about_ids_and_links.into_iter().map(|t| t.finding));
    let sources: BTreeSet<&str> = results
        .iter()
        .filter_map(|r| r.source.as_ref().map(|s| s.value.as_str()))
        .collect();
    let (sources, annotations) = (sources.len(), results.iter().map(|r| r.annotations).sum());
    for result in results {
        findings.extend(result.findings.iter().cloned());
    }
    hold_back_dangling_links(&mut findings, paths, &mut notices);
    finding::sort(&mut findings);
    Ok(Outcome {
        findings,
        notices,
        files: paths.len(),
        paths: paths.to_vec(),
        sources,
        annotations,
    })
}

/// While an annotation file cannot be read at all, the ids it defines are
/// unknown, so every link to them would be reported as dangling, with hints
/// at other ids: dozens of findings pointing the wrong way for one syntax
/// error. Links to unknown ids are then not reported (one notice says how
/// many and why); they are judged once the file reads again, and the run
/// fails on the file's own finding meanwhile.
fn hold_back_dangling_links(
    findings: &mut Vec<Finding>,
    paths: &[String],
    notices: &mut Vec<String>,
) {
    let unreadable: BTreeSet<&str> = findings
        .iter()
        .filter(|f| {
            matches!(
                f.code,
                Code::YamlSyntax | Code::YamlUnsupported | Code::YamlLimit
            ) && paths.binary_search(&f.place.file).is_ok()
        })
        .map(|f| f.place.file.as_str())
        .collect();
    if unreadable.is_empty() {
        return;
    }
    let files: Vec<String> = unreadable.iter().map(|f| f.to_string()).collect();
    let before = findings.len();
    findings.retain(|f| f.code != Code::DanglingLink);
    let held = before - findings.len();
    if held > 0 {
        notices.push(format!(
            "{held} link(s) to ids not found were not reported: {} could not be read, and the ids may be defined there; fix it and run again",
            files.join(", ")
        ));
    }
}

/// The sha256 of a file's content, and its bytes when they had to be read
/// to know it.
type Hashed = (String, Option<Vec<u8>>);

/// The content of a file as this tree holds it; `None` when it is absent.
fn content_sha256(shared: &Shared, rel: &str) -> Result<Option<Hashed>, WorkspaceError> {
    if let Some(oid) = shared.tree.blob_id(rel) {
        if let Some(sha) = shared.blob_shas.get(&oid) {
            return Ok(Some((sha.clone(), None)));
        }
        let Some(bytes) = shared.tree.read(shared.root, rel)? else {
            return Ok(None);
        };
        let sha = sha256_hex(&bytes);
        if let Ok(mut new) = shared.new_blob_shas.lock() {
            new.push((oid, sha.clone()));
        }
        return Ok(Some((sha, Some(bytes))));
    }
    let Some(bytes) = shared.tree.read(shared.root, rel)? else {
        return Ok(None);
    };
    Ok(Some((sha256_hex(&bytes), Some(bytes))))
}

/// Whether a source's current text has this sha256. Reads (and hashes) the
/// source unless the index already names its content.
fn source_is(shared: &Shared, path: &str, sha256: &str) -> bool {
    // A regular file staged under seeds/: its blob id names its content.
    if let (Some(oid), Ok(())) = (
        shared.tree.blob_id(path),
        crate::workspace::check_source_path(path),
    ) {
        if let Some(known) = shared.blob_shas.get(&oid) {
            return known == sha256;
        }
        if let Ok(Some(bytes)) = shared.tree.read(shared.root, path) {
            let known = sha256_hex(&bytes);
            let same = known == sha256;
            if let Ok(mut new) = shared.new_blob_shas.lock() {
                new.push((oid, known));
            }
            return same;
        }
        return false;
    }
    matches!(shared.tree.read_source(shared.root, path), Ok(text) if text.sha256() == sha256)
}

/// A file's result, and the sha256 of the content it was made from.
struct Checked {
    result: FileResult,
    /// `None` when the file was too large to be read.
    content: Option<String>,
    /// Whether the file was checked now (not found in a cache).
    fresh: bool,
}

/// What a file holds, as far as its check needs to know.
enum Content {
    TooLarge(u64),
    /// Its sha256, and its bytes when they had to be read to know it.
    Read {
        sha256: String,
        bytes: Option<Vec<u8>>,
    },
}

fn check_path(shared: &Shared, rel: &str) -> Result<Checked, WorkspaceError> {
    let content = read_content(shared, rel)?;
    check_content(shared, rel, content)
}

fn read_content(shared: &Shared, rel: &str) -> Result<Content, WorkspaceError> {
    if let Some(size) = shared.tree.too_large(shared.root, rel)? {
        return Ok(Content::TooLarge(size));
    }
    let (sha256, bytes) =
        content_sha256(shared, rel)?.unwrap_or_else(|| (sha256_hex(b""), Some(Vec::new())));
    Ok(Content::Read { sha256, bytes })
}

/// Whether a result's source still has the text it was checked against.
fn source_unchanged(shared: &Shared, result: &FileResult) -> bool {
    match (&result.source, &result.source_sha256) {
        (None, _) => true,
        (Some(source), Some(sha256)) => source_is(shared, &source.value, sha256),
        (Some(_), None) => false,
    }
}

impl Shared<'_> {
    /// The seed whose bytes have this sha256 (the first by path), if any.
    fn seed_with_sha256(&self, sha256: &str) -> Option<String> {
        let by_sha256 = self.seeds_by_sha256.get_or_init(|| {
            let mut by_sha256 = HashMap::new();
            for seed in self.seeds {
                if let Ok(text) = self.tree.read_source(self.root, seed) {
                    by_sha256
                        .entry(text.sha256().to_string())
                        .or_insert_with(|| seed.clone());
                }
            }
            by_sha256
        });
        by_sha256.get(sha256).cloned()
    }
}

fn check_content(shared: &Shared, rel: &str, content: Content) -> Result<Checked, WorkspaceError> {
    let (sha, bytes) = match content {
        Content::TooLarge(size) => {
            return Ok(Checked {
                result: rules::check_file(rel, too_large(rel, size), None, None, Seeds::NONE),
                content: None,
                fresh: false,
            })
        }
        Content::Read { sha256, bytes } => (sha256, bytes),
    };
    // A result stored with the last full run, or on its own since.
    let stored = || {
        let from_base = shared.base.as_ref()?.result_for(rel, &sha);
        from_base.or_else(|| shared.cache.as_ref()?.get(rel, &sha))
    };
    if let Some(hit) = stored() {
        if source_unchanged(shared, &hit) {
            return Ok(Checked {
                result: hit,
                content: Some(sha),
                fresh: false,
            });
        }
    }
    let bytes = match bytes {
        Some(bytes) => bytes,
        None => shared.tree.read(shared.root, rel)?.unwrap_or_default(),
    };
    let (_, loaded) = load::annotation_file_owned(rel, bytes);
    let source: Option<Result<Arc<SourceText>, SourceProblem>> = loaded
        .value
        .as_ref()
        .and_then(|file| file.source.as_ref())
        .map(|source| {
            shared
                .tree
                .read_source(shared.root, &source.value)
                .map(Arc::new)
        });
    let with_sha256 = |sha256: &str| shared.seed_with_sha256(sha256);
    let seeds = Seeds {
        paths: shared.seeds,
        with_sha256: &with_sha256,
    };
    let result = rules::check_file(rel, loaded, shared.vocabulary, source.as_ref(), seeds);
    Ok(Checked {
        result,
        content: Some(sha),
        fresh: true,
    })
}
