//! Validation kept in memory by a process that runs for long (the language
//! server): every file's result stays, so that after a change only the
//! files it touches are checked again before the checks across files run
//! over all results. The outcome is the one [`super::validate`] gives for
//! the same tree: the same per-file check, the same checks across files.

use super::{check_path, judge, Checks, Inputs, Outcome, Shared};
use crate::cache::Cache;
use crate::finding::Finding;
use crate::model::{SourcesMeta, Vocabulary};
use crate::rules::{self, FileResult};
use crate::workspace::{EolProtection, Tree, WorkspaceError};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

pub struct Live {
    root: PathBuf,
    /// The annotation files, sorted, and their results in the same order.
    paths: Vec<String>,
    results: Vec<FileResult>,
    /// What listing the files and reading the vocabulary found.
    findings: Vec<Finding>,
    skipped: Vec<String>,
    vocabulary: Option<Vocabulary>,
    sources_meta: Option<SourcesMeta>,
    seeds: Vec<String>,
    eol_protected: EolProtection,
    cache: Option<Cache>,
}

impl Live {
    /// Checks every annotation file of `tree`, reusing what the cache holds.
    pub fn load(root: &Path, tree: &Tree) -> Result<Live, WorkspaceError> {
        let Inputs {
            paths,
            findings,
            skipped,
            vocabulary,
            sources_meta,
            seeds,
            cache,
        } = Inputs::read(root, tree, tree.git(root).as_deref())?;
        let eol_protected = tree.eol_protected(root, &seeds)?;
        let mut live = Live {
            root: root.to_path_buf(),
            paths: Vec::new(),
            results: Vec::new(),
            findings,
            skipped,
            vocabulary,
            sources_meta,
            seeds,
            eol_protected,
            cache,
        };
        let base = live.cache.as_ref().and_then(Cache::summary);
        let results = live.check(tree, &paths, base)?;
        live.paths = paths;
        live.results = results;
        Ok(live)
    }

    fn check(
        &self,
        tree: &Tree,
        paths: &[String],
        base: Option<crate::cache::Summary>,
    ) -> Result<Vec<FileResult>, WorkspaceError> {
        let shared = Shared {
            root: &self.root,
            tree,
            vocabulary: self.vocabulary.as_ref(),
            seeds: &self.seeds,
            seeds_by_sha256: OnceLock::new(),
            cache: self.cache.clone(),
            base,
            blob_shas: HashMap::new(),
            new_blob_shas: Mutex::new(Vec::new()),
        };
        let checked: Vec<FileResult> = paths
            .par_iter()
            .map(|rel| check_path(&shared, rel).map(|c| c.result))
            .collect::<Result<_, _>>()?;
        Ok(checked)
    }

    /// Checks again the annotation files in `changed` (as `tree` now holds
    /// them); files of `changed` that are no longer there are dropped, and
    /// new ones taken in when `relist`, which also lists the seeds again.
    pub fn recheck(
        &mut self,
        tree: &Tree,
        changed: &[String],
        relist: bool,
    ) -> Result<(), WorkspaceError> {
        let mut changed: Vec<String> = changed.to_vec();
        let mut now_listed = None;
        if relist {
            let listing = tree.list_annotations(&self.root)?;
            self.seeds = tree.list_seeds(&self.root);
            for path in &listing.files {
                if self.paths.binary_search(path).is_err() {
                    changed.push(path.clone());
                }
            }
            let mut kept_paths = Vec::new();
            let mut kept_results = Vec::new();
            for (path, result) in self.paths.drain(..).zip(self.results.drain(..)) {
                if listing.files.binary_search(&path).is_ok() {
                    kept_paths.push(path);
                    kept_results.push(result);
                }
            }
            self.paths = kept_paths;
            self.results = kept_results;
            self.skipped = listing.skipped;
            // The listing's own findings, then the vocabulary's, as loaded.
            self.findings
                .retain(|f| f.code != crate::finding::Code::FileOutsideWorkspace);
            self.findings.extend(listing.findings);
            now_listed = Some(listing.files);
        }
        changed.sort();
        changed.dedup();
        let listed: Vec<String> = changed
            .into_iter()
            .filter(|p| {
                self.paths.binary_search(p).is_ok()
                    || now_listed
                        .as_ref()
                        .is_some_and(|l| l.binary_search(p).is_ok())
            })
            .collect();
        let results = self.check(tree, &listed, None)?;
        for (path, result) in listed.into_iter().zip(results) {
            match self.paths.binary_search(&path) {
                Ok(i) => self.results[i] = result,
                Err(i) => {
                    self.paths.insert(i, path);
                    self.results.insert(i, result);
                }
            }
        }
        Ok(())
    }

    /// The annotation files whose source is `seed`.
    pub fn files_of_source(&self, seed: &str) -> Vec<String> {
        self.results
            .iter()
            .filter(|r| r.source.as_ref().is_some_and(|s| s.value == seed))
            .map(|r| r.path.clone())
            .collect()
    }

    /// Every file's result, sorted by path.
    pub fn results(&self) -> &[FileResult] {
        &self.results
    }

    /// What `annot validate` reports for `tree` as it was last checked.
    pub fn outcome(&self, tree: &Tree) -> Result<Outcome, WorkspaceError> {
        let found = rules::check_ids_and_links(self.vocabulary.as_ref(), &self.results);
        let checks = Checks {
            vocabulary: self.vocabulary.as_ref(),
            sources_meta: self.sources_meta.as_ref(),
            seeds: &self.seeds,
            eol_protected: &self.eol_protected,
        };
        judge(
            &self.root,
            tree,
            &checks,
            &self.results,
            found,
            self.findings.clone(),
            &self.skipped,
            &self.paths,
        )
    }

    /// Every file under `seeds/`, as last listed.
    pub fn seeds(&self) -> &[String] {
        &self.seeds
    }

    pub fn vocabulary(&self) -> Option<&Vocabulary> {
        self.vocabulary.as_ref()
    }
}
