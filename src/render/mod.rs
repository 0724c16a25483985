//! `annot render`: a static HTML report of the workspace (SPEC §11). The
//! workspace is loaded once, as `annot diff` loads it, and checked by
//! `validate`; [`view`] turns both into a view model, [`pages`] into pages
//! (askama templates under `src/render/templates/`), and this module writes
//! the site: into a fresh folder beside the output, renamed into place, so a
//! reader never sees half a report.

mod pages;
pub mod view;

use crate::drift::{self, OldSpan};
use crate::workspace::{
    Tree, Workspace, WorkspaceError, ANNOTATIONS_DIR, SEEDS_DIR, SOURCES_META_PATH,
};
use askama::Template;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use view::{BaseSource, DriftRow};

/// The report's folder under the workspace root when `--out` is not given.
pub const DEFAULT_OUT: &str = "annot-report";
/// The file that marks a folder as written by `annot render`, so a later
/// run may replace it (and no other folder).
pub const MARKER: &str = ".annot-report";
const MARKER_TEXT: &str =
    "written by `annot render`; the whole folder is replaced on the next run\n";

const CSS: &str = include_str!("assets/report.css");
const JS: &str = include_str!("assets/report.js");

/// What `annot render` wrote.
#[derive(Debug)]
pub struct Rendered {
    pub out: PathBuf,
    pub pages: usize,
    pub findings: usize,
}

/// A page made from its view: its site-relative path and its bytes. The
/// buffer is sized from the view first: a page grows by copying itself
/// otherwise.
fn make(
    page: &view::PageView,
    kinds: &[view::KindView],
) -> Result<(String, String), WorkspaceError> {
    let mut out = String::new();
    let (path, made) = match page {
        view::PageView::Source(s) => {
            let text: usize = s
                .pieces
                .iter()
                .map(|p| match p {
                    view::Piece::Text(t) => t.len(),
                    _ => 150,
                })
                .sum();
            out.reserve(8192 + 2 * text + 700 * s.annotations.len());
            let made = pages::SourcePage {
                root: "../",
                s,
                kinds,
            }
            .render_into(&mut out);
            (view::source_page(&s.meta.path), made)
        }
        view::PageView::Item(it) => {
            let shown: usize = it.evidence.iter().map(|g| g.items.len()).sum();
            out.reserve(8192 + 600 * shown);
            let made = pages::ItemPage { root: "../", it }.render_into(&mut out);
            (it.page.clone(), made)
        }
    };
    made.map_err(|err| page_error(&path, err))?;
    Ok((path, out))
}

fn page_error(path: &str, err: askama::Error) -> WorkspaceError {
    WorkspaceError::NotWritten(format!("the page {path} could not be made: {err}"))
}

/// Loads and validates the workspace (at the same time, on both cores),
/// hands each page's view to `emit` as it is made, and returns the
/// index's view and how many findings the report shows.
pub fn model(
    root: &Path,
    base: Option<&str>,
    emit: &view::Emit<'_, WorkspaceError>,
) -> Result<(view::IndexView, usize), WorkspaceError> {
    let tree = Tree::WorkTree;
    let (ws, outcome) = rayon::join(
        || Workspace::load(root, &tree),
        || crate::validate::validate(root, &tree),
    );
    let (mut ws, outcome) = (ws?, outcome?);
    // Every source gets a page, also one no annotation names yet.
    let unnamed: Vec<String> = ws
        .seeds
        .iter()
        .filter(|s| {
            s.as_str() != SOURCES_META_PATH
                && !s.ends_with("/.gitattributes")
                && !ws.sources.contains_key(s.as_str())
        })
        .cloned()
        .collect();
    let read: Vec<_> = unnamed
        .into_par_iter()
        .map(|path| {
            let text = tree.read_source(root, &path).map(Arc::new);
            (path, text)
        })
        .collect();
    ws.sources.extend(read);
    let changed = match base {
        Some(rev) => Some(base_sources(root, &ws, rev)?),
        None => None,
    };
    let mut notices = outcome.notices.clone();
    for notice in &ws.notices {
        if !notices.contains(notice) {
            notices.push(notice.clone());
        }
    }
    let index = view::build(
        &ws,
        &outcome.findings,
        &notices,
        base.zip(changed.as_ref()),
        emit,
    )?;
    // A workspace of 100,000 annotations takes a while to free, and the
    // index need not wait for it.
    rayon::spawn(move || drop(ws));
    Ok((index, outcome.findings.len()))
}

/// `annot render [--out DIR] [--base REV]`.
pub fn render(
    root: &Path,
    out: Option<&Path>,
    base: Option<&str>,
) -> Result<Rendered, WorkspaceError> {
    let out = match out {
        Some(out) => std::path::absolute(out).map_err(|source| WorkspaceError::Io {
            path: out.display().to_string(),
            source,
        })?,
        None => root.join(DEFAULT_OUT),
    };
    check_out(root, &out)?;
    let (pages, findings) = write_site(&out, |temp| {
        let write = |rel: &str, bytes: &[u8]| {
            fs::write(temp.join(rel), bytes).map_err(|source| WorkspaceError::Write {
                path: out.join(rel).display().to_string(),
                source,
            })
        };
        let pages = AtomicUsize::new(1);
        let emit = |page: view::PageView, kinds: &[view::KindView]| {
            let (rel, html) = make(&page, kinds)?;
            drop(page);
            pages.fetch_add(1, Ordering::Relaxed);
            write(&rel, html.as_bytes())
        };
        let (index, findings) = model(root, base, &emit)?;
        let html = pages::IndexPage {
            root: "",
            ix: &index,
        }
        .render()
        .map_err(|err| page_error("index.html", err))?;
        write("index.html", html.as_bytes())?;
        write("assets/report.css", CSS.as_bytes())?;
        write("assets/report.js", JS.as_bytes())?;
        write(MARKER, MARKER_TEXT.as_bytes())?;
        Ok((pages.into_inner(), findings))
    })?;
    Ok(Rendered {
        out,
        pages,
        findings,
    })
}

fn refuse(out: &Path, why: &str, help: &str) -> WorkspaceError {
    WorkspaceError::BadOutput {
        path: out.display().to_string(),
        why: why.to_string(),
        help: help.to_string(),
    }
}

/// Refuses an output folder that is a file, that holds the workspace, or
/// that lies among the files annot reads.
fn check_out(root: &Path, out: &Path) -> Result<(), WorkspaceError> {
    let help = "pass `--out` a folder outside seeds/ and annotations/, e.g. `--out annot-report`";
    let place = crate::workspace::resolved(out);
    let root = crate::workspace::resolved(root);
    for dir in [SEEDS_DIR, ANNOTATIONS_DIR] {
        if place.starts_with(root.join(dir)) {
            return Err(refuse(
                out,
                &format!("it lies inside {dir}/, which holds the workspace's own files"),
                help,
            ));
        }
    }
    if root.starts_with(&place) {
        return Err(refuse(out, "it holds the workspace itself", help));
    }
    match fs::symlink_metadata(out) {
        Ok(meta) if meta.is_dir() => {
            let empty = fs::read_dir(out)
                .map(|mut d| d.next().is_none())
                .unwrap_or(false);
            if !empty && !out.join(MARKER).is_file() {
                return Err(refuse(
                    out,
                    "it is a folder that `annot render` did not write, and rendering replaces the whole folder",
                    "choose a new or empty folder for `--out`, or remove this one if its files are not needed",
                ));
            }
            Ok(())
        }
        Ok(meta) if meta.file_type().is_symlink() => Err(refuse(
            out,
            "it is a symbolic link, and rendering replaces the folder it names",
            "pass `--out` the real folder (or a new one)",
        )),
        Ok(_) => Err(refuse(
            out,
            "it is a file, not a folder",
            "pass `--out` the folder the report should go to (it is created when missing)",
        )),
        Err(_) => Ok(()),
    }
}

/// Runs `fill` on a temporary folder beside `out` (with the site's
/// folders made), then swaps it in for `out`. What was in `out` before (an
/// earlier report) is removed only after the new one is in place; when
/// `fill` fails, the temporary folder is removed and `out` is untouched.
fn write_site<T>(
    out: &Path,
    fill: impl FnOnce(&Path) -> Result<T, WorkspaceError>,
) -> Result<T, WorkspaceError> {
    let write_err = |path: &Path, source: std::io::Error| WorkspaceError::Write {
        path: path.display().to_string(),
        source,
    };
    let parent = out.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| write_err(out, e))?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| DEFAULT_OUT.to_string());
    let pid = std::process::id();
    let temp = parent.join(format!(".{name}.annot-new-{pid}"));
    let old = parent.join(format!(".{name}.annot-old-{pid}"));
    let _ = fs::remove_dir_all(&temp);
    let result = (|| {
        fs::create_dir(&temp).map_err(|e| write_err(&temp, e))?;
        for dir in ["assets", "sources", "items"] {
            let path = temp.join(dir);
            fs::create_dir_all(&path).map_err(|e| write_err(&out.join(dir), e))?;
        }
        let filled = fill(&temp)?;
        let had_old = out.is_dir();
        if had_old {
            fs::rename(out, &old).map_err(|e| write_err(out, e))?;
        }
        if let Err(e) = fs::rename(&temp, out) {
            if had_old {
                let _ = fs::rename(&old, out);
            }
            return Err(write_err(out, e));
        }
        if had_old {
            let _ = fs::remove_dir_all(&old);
        }
        Ok(filled)
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&temp);
    }
    result
}

/// For `--base REV`: every source whose text differs between REV and the
/// working tree, with REV's text, REV's annotations of it, and the drift of
/// each annotation. Drift comes from [`crate::review::drift_of`] for
/// annotations still pinned to REV's text, and for the others from carrying
/// REV's spans over the same way.
fn base_sources(
    root: &Path,
    ws: &Workspace,
    rev: &str,
) -> Result<BTreeMap<String, BaseSource>, WorkspaceError> {
    let base_tree = Tree::commit(root, rev)?;
    let base_ws = Workspace::load(root, &base_tree)?;
    let pinned = crate::review::drift_of(root, ws, &Tree::WorkTree, &[&base_tree], None)?;
    let mut judged: BTreeMap<&str, &crate::review::DriftEntry> = BTreeMap::new();
    for entry in &pinned.entries {
        judged.insert(entry.id.as_str(), entry);
    }
    let current: BTreeMap<&str, &crate::model::Annotation> = ws
        .files
        .iter()
        .flat_map(|f| &f.annotations)
        .map(|a| (a.id.value.as_str(), a))
        .collect();
    let mut out = BTreeMap::new();
    for (path, new) in &ws.sources {
        let Ok(new) = new else { continue };
        let Ok(old) = base_tree.read_source(root, path) else {
            continue;
        };
        if old.sha256() == new.sha256() {
            continue;
        }
        let anns: Vec<&crate::model::Annotation> = base_ws
            .files
            .iter()
            .filter(|f| f.source.as_ref().is_some_and(|s| &s.value == path))
            .flat_map(|f| &f.annotations)
            .filter(|a| {
                a.span().is_some_and(|(s, e)| {
                    old.slice(s as usize, e as usize)
                        .is_some_and(|t| a.quote.as_ref().is_some_and(|q| q.value == t))
                })
            })
            .collect();
        let spans: Vec<OldSpan> = anns
            .iter()
            .filter_map(|a| {
                let (start, end) = a.span()?;
                Some(OldSpan {
                    start: start as usize,
                    end: end as usize,
                    quote: a.quote.as_ref()?.value.clone(),
                    prefix: a.prefix.as_ref().map(|p| p.value.clone()),
                    suffix: a.suffix.as_ref().map(|s| s.value.clone()),
                })
            })
            .collect();
        let (outcomes, _) = drift::carry(&old, new, &spans, drift::DEFAULT_DEADLINE);
        let mut rows = Vec::new();
        let mut old_spans = Vec::new();
        let carried = pinned
            .entries
            .iter()
            .filter(|e| &*e.source == path.as_str() && e.outcome.status.is_safe())
            .filter_map(|e| {
                let new = e.outcome.new.as_ref()?;
                Some((e.id.clone(), (new.start, new.end)))
            })
            .collect();
        let describe = |c: Option<&drift::Candidate>| match c {
            Some(c) => format!("{}–{} “{}”", c.start, c.end, c.quote),
            None => "gone".to_string(),
        };
        for ((ann, span), outcome) in anns.iter().zip(&spans).zip(&outcomes) {
            let id = ann.id.value.as_str();
            let outcome = judged.get(id).map(|e| &e.outcome).unwrap_or(outcome);
            old_spans.push((
                id.to_string(),
                ann.kind.value.clone(),
                span.start,
                span.end,
                span.quote.clone(),
            ));
            let now = match current.get(id) {
                Some(a) if !judged.contains_key(id) => match (a.span(), &a.quote) {
                    (Some((s, e)), Some(q)) => format!("{s}–{e} “{}” (as annotated now)", q.value),
                    _ => describe(outcome.new.as_ref()),
                },
                Some(_) => describe(outcome.new.as_ref()),
                None => "removed from the annotations".to_string(),
            };
            let detail = match outcome.status {
                drift::Status::Edited => Some(format!(
                    "confidence {:.2}{}",
                    outcome.confidence,
                    outcome
                        .reason
                        .map(|r| format!("; {}", drift::describe_reason(r)))
                        .unwrap_or_default()
                )),
                drift::Status::Ambiguous => Some(format!(
                    "{} places fit equally well: {}",
                    outcome.candidates.len(),
                    outcome
                        .candidates
                        .iter()
                        .map(|c| format!("{}–{}", c.start, c.end))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
                _ => None,
            };
            rows.push(DriftRow {
                id: id.to_string(),
                href: match current.get(id) {
                    Some(_) => format!("#{}", view::fragment(id)),
                    None => format!("#_drift-{}", view::fragment(id)),
                },
                status: outcome.status.as_str().to_string(),
                old: format!("{}–{} “{}”", span.start, span.end, span.quote),
                new: now,
                detail,
            });
        }
        // Annotations of the new text that REV did not have.
        let known: std::collections::BTreeSet<&str> =
            anns.iter().map(|a| a.id.value.as_str()).collect();
        for file in ws
            .files
            .iter()
            .filter(|f| f.source.as_ref().is_some_and(|s| &s.value == path))
        {
            for a in &file.annotations {
                if known.contains(a.id.value.as_str()) {
                    continue;
                }
                rows.push(DriftRow {
                    id: a.id.value.clone(),
                    href: format!("#{}", view::fragment(&a.id.value)),
                    status: "new".to_string(),
                    old: format!("not in {rev}"),
                    new: match (a.span(), &a.quote) {
                        (Some((s, e)), Some(q)) => format!("{s}–{e} “{}”", q.value),
                        _ => "not anchored".to_string(),
                    },
                    detail: None,
                });
            }
        }
        out.insert(
            path.clone(),
            BaseSource {
                old,
                old_spans,
                rows,
                carried,
            },
        );
    }
    Ok(out)
}
