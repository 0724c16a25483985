//! Validation of a workspace in which only a few annotation files changed
//! since the last full run. The summary that run left says which files
//! define or link to which ids. The changed files are checked in full; of
//! the others, only those that define or link to an id the changed files
//! define (or defined, or link to) are read again, from the cache of
//! per-file results, and only their links to those ids are judged again.
//! Every other finding about ids and links is carried over.
//!
//! The outcome is the one a full run gives. Whenever that cannot be
//! assured cheaply (many changes, a result missing from the cache, a link
//! that dangles, whose hint needs every id), this gives way to a full run.

use super::{check_content, read_content, source_unchanged, Content, Shared};
use crate::cache::{FileSummary, Summary, Topics};
use crate::finding::Code;
use crate::rules::{self, FileResult, Scope, Tagged};
use crate::workspace::WorkspaceError;
use rayon::prelude::*;
use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};

/// At most this many changed files are taken on; more, and a full run is
/// about as quick.
fn most_changed(files: usize) -> usize {
    32 + files / 100
}

/// At most this many unchanged files are read again.
fn most_read_again(files: usize) -> usize {
    64 + files / 50
}

/// The summary of a full run: its results without entries, which files
/// define or link to which ids, and its findings about ids and links.
/// `contents` holds the sha256 each result was made from.
pub(super) fn summarize(
    results: &[FileResult],
    contents: Vec<Option<String>>,
    found: &[Tagged],
) -> Summary {
    let files = results
        .iter()
        .zip(contents)
        .map(|(result, content)| {
            let reusable = result.is_cacheable() && content.is_some();
            FileSummary::new(content, reusable, without_entries(result))
        })
        .collect();
    let (ids, targets) = rayon::join(|| ids_by_topic(results), || targets_by_topic(results));
    Summary::new(files, ids, targets, found.to_vec())
}

/// Which files define an id of each topic.
fn ids_by_topic(results: &[FileResult]) -> Topics {
    Topics::new(
        results
            .par_iter()
            .enumerate()
            .flat_map_iter(|(i, result)| {
                result
                    .entries
                    .iter()
                    .map(move |entry| (rules::topic(&entry.id.value), i as u32))
            })
            .collect(),
    )
}

/// Which files link to a target of each topic.
fn targets_by_topic(results: &[FileResult]) -> Topics {
    Topics::new(
        results
            .par_iter()
            .enumerate()
            .flat_map_iter(|(i, result)| {
                result.entries.iter().flat_map(move |entry| {
                    entry
                        .links
                        .iter()
                        .map(move |link| (rules::topic(&link.target.value), i as u32))
                })
            })
            .collect(),
    )
}

fn without_entries(result: &FileResult) -> FileResult {
    FileResult {
        path: result.path.clone(),
        findings: result.findings.clone(),
        entries: Vec::new(),
        source: result.source.clone(),
        source_sha256: result.source_sha256.clone(),
        stale_pin: result.stale_pin.clone(),
        annotations: result.annotations,
    }
}

/// Checks a file (or finds its result in a cache), and keeps a result
/// made now in the cache of single results: the summary is not rewritten
/// by a partial run.
fn check_and_keep(
    shared: &Shared,
    rel: &str,
    content: Content,
) -> Result<FileResult, WorkspaceError> {
    let checked = check_content(shared, rel, content)?;
    if let (true, Some(cache), Some(sha256)) = (checked.fresh, &shared.cache, &checked.content) {
        if checked.result.is_cacheable() {
            cache.put(sha256, &checked.result);
        }
    }
    Ok(checked.result)
}

/// The results of every file, and the findings about ids and links.
pub(super) type Judged = (Vec<FileResult>, Vec<Tagged>);

/// What became of one annotation file since the summary was made.
enum Since {
    /// Same content, same source: the summary's result holds.
    Same(usize),
    /// Same content, checked again (its source changed, or its result
    /// cannot be reused): its ids and links are those of the summary.
    Rechecked(usize, FileResult),
    /// New, or its content changed.
    Changed(Option<usize>, FileResult),
    /// Not looked at: too many files changed.
    NotLooked,
}

/// The results of every file and the findings about ids and links, as a
/// full run would give them; `None` when a full run is needed.
pub(super) fn validate(
    shared: &Shared,
    base: &Summary,
    paths: &[String],
) -> Result<Option<Judged>, WorkspaceError> {
    let limit = most_changed(paths.len().max(base.files.len()));
    let changes = AtomicUsize::new(0);
    let states: Vec<Since> = paths
        .par_iter()
        .map(|rel| {
            let known = base
                .files
                .binary_search_by(|f| f.result.path.as_str().cmp(rel))
                .ok();
            if changes.load(Ordering::Relaxed) > limit {
                return Ok(Since::NotLooked);
            }
            let content = read_content(shared, rel)?;
            let Some(i) = known else {
                changes.fetch_add(1, Ordering::Relaxed);
                return Ok(Since::Changed(None, check_and_keep(shared, rel, content)?));
            };
            let file = &base.files[i];
            let same_content = match (&content, &file.content) {
                (Content::TooLarge(_), None) => true,
                (Content::Read { sha256, .. }, Some(known)) => sha256 == known,
                _ => false,
            };
            if !same_content {
                changes.fetch_add(1, Ordering::Relaxed);
                return Ok(Since::Changed(
                    Some(i),
                    check_and_keep(shared, rel, content)?,
                ));
            }
            if file.reusable && source_unchanged(shared, &file.result) {
                return Ok(Since::Same(i));
            }
            Ok(Since::Rechecked(i, check_and_keep(shared, rel, content)?))
        })
        .collect::<Result<_, WorkspaceError>>()?;
    if states.iter().any(|s| matches!(s, Since::NotLooked)) {
        return Ok(None);
    }

    let present: HashSet<usize> = states
        .iter()
        .filter_map(|state| match state {
            Since::Same(i) | Since::Rechecked(i, _) | Since::Changed(Some(i), _) => Some(*i),
            _ => None,
        })
        .collect();
    let removed: Vec<usize> = (0..base.files.len())
        .filter(|i| !present.contains(i))
        .collect();
    let changed: Vec<(Option<usize>, &FileResult)> = states
        .iter()
        .filter_map(|state| match state {
            Since::Changed(i, result) => Some((*i, result)),
            _ => None,
        })
        .collect();
    if changed.len() + removed.len() > limit {
        return Ok(None);
    }
    let found = if changed.is_empty() && removed.is_empty() {
        base.found.clone()
    } else {
        match recheck(shared, base, &states, &changed, &removed) {
            Some(found) => found,
            None => return Ok(None),
        }
    };
    let results = states
        .into_iter()
        .map(|state| match state {
            Since::Same(i) => base.files[i].result.clone(),
            Since::Rechecked(_, result) | Since::Changed(_, result) => result,
            Since::NotLooked => unreachable!("a partial run looks at every file"),
        })
        .collect();
    Ok(Some((results, found)))
}

/// The findings about ids and links, after the given changes.
fn recheck(
    shared: &Shared,
    base: &Summary,
    states: &[Since],
    changed: &[(Option<usize>, &FileResult)],
    removed: &[usize],
) -> Option<Vec<Tagged>> {
    // The result, with entries, of a file of the summary whose entries are
    // unchanged (the summary keeps none).
    let read_back = |i: usize| -> Option<FileResult> {
        let file = &base.files[i];
        match &file.content {
            None => Some(file.result.clone()),
            Some(_) => base.result(i),
        }
    };

    // What the changed and removed files defined before, and define now.
    let mut before = Vec::new();
    for i in changed
        .iter()
        .filter_map(|(i, _)| *i)
        .chain(removed.iter().copied())
    {
        before.push(read_back(i)?);
    }
    let ids_before: BTreeSet<&str> = before
        .iter()
        .flat_map(|r| r.entries.iter().map(|e| e.id.value.as_str()))
        .collect();
    let ids_now: BTreeSet<&str> = changed
        .iter()
        .flat_map(|(_, r)| r.entries.iter().map(|e| e.id.value.as_str()))
        .collect();
    let topics: HashSet<u64> = ids_before
        .iter()
        .chain(&ids_now)
        .map(|id| rules::topic(id))
        .collect();

    // The unchanged files that share an id or a link target with them.
    let changed_before: HashSet<usize> = changed
        .iter()
        .filter_map(|(i, _)| *i)
        .chain(removed.iter().copied())
        .collect();
    let mut again: BTreeSet<usize> = BTreeSet::new();
    for topic in &topics {
        again.extend(base.ids.files_of(*topic)?.iter().map(|i| *i as usize));
        again.extend(base.targets.files_of(*topic)?.iter().map(|i| *i as usize));
    }
    let targets: HashSet<u64> = changed
        .iter()
        .flat_map(|(_, result)| result.entries.iter().flat_map(|e| &e.links))
        .map(|link| rules::topic(&link.target.value))
        .filter(|topic| !topics.contains(topic))
        .collect();
    for topic in targets {
        again.extend(base.ids.files_of(topic)?.iter().map(|i| *i as usize));
    }
    again.retain(|i| !changed_before.contains(i));
    if again.len() > most_read_again(base.files.len()) {
        return None;
    }
    let rechecked: std::collections::HashMap<usize, &FileResult> = states
        .iter()
        .filter_map(|state| match state {
            Since::Rechecked(i, result) => Some((*i, result)),
            _ => None,
        })
        .collect();
    let mut partial: Vec<FileResult> = Vec::with_capacity(again.len() + changed.len());
    for i in again {
        partial.push(match rechecked.get(&i) {
            Some(result) => (*result).clone(),
            None => read_back(i)?,
        });
    }
    partial.extend(changed.iter().map(|(_, result)| (*result).clone()));
    partial.sort_by(|a, b| a.path.cmp(&b.path));

    let whole_files: HashSet<&str> = changed.iter().map(|(_, r)| r.path.as_str()).collect();
    let mut found = rules::recheck_ids_and_links(
        shared.vocabulary,
        &partial,
        &Scope {
            topics: &topics,
            whole_files: &whole_files,
        },
    )?;

    let gone: HashSet<&str> = changed_before
        .iter()
        .map(|i| base.files[*i].result.path.as_str())
        .chain(whole_files.iter().copied())
        .collect();
    let kept: Vec<&Tagged> = base
        .found
        .iter()
        .filter(|t| !topics.contains(&t.topic) && !gone.contains(t.finding.place.file.as_str()))
        .collect();
    // A dangling link elsewhere names the closest id in its hint, which
    // may be one that came or went.
    if ids_before != ids_now && kept.iter().any(|t| t.finding.code == Code::DanglingLink) {
        return None;
    }
    found.extend(kept.into_iter().cloned());
    Some(found)
}
