//! The view model of the report: what each page shows, worked out from the
//! workspace as `Workspace::load` read it and the findings `validate`
//! produced. Nothing here reads a file or formats HTML; the templates in
//! [`super::pages`] turn these values into pages.

use crate::finding::{Finding, Severity};
use crate::model::{Annotation, AnnotationFile};
use crate::source::SourceText;
use crate::workspace::{SourceProblem, Workspace};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// How many kind classes the style sheet knows (`k0` … `k7`): kinds beyond
/// that share a colour but still differ by label.
pub const KIND_CLASSES: usize = 8;

/// The site-relative path of a source's page.
pub fn source_page(path: &str) -> String {
    let name = path.strip_prefix("seeds/").unwrap_or(path);
    format!("sources/{}.html", file_name(name))
}

/// The site-relative path of a source-less item's page.
pub fn item_page(id: &str) -> String {
    format!("items/{}.html", file_name(id))
}

/// A file name for any text: characters outside `[A-Za-z0-9._-]` become
/// `_`, and when that changed anything a hash of the original keeps names
/// apart (`a b` and `a_b` do not meet). A leading `.` is replaced too, so
/// no page is a hidden file.
fn file_name(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.starts_with('.') {
        out.replace_range(0..1, "_");
    }
    if out != text || out.is_empty() {
        let hash = crate::source::sha256_hex(text.as_bytes());
        out.push('-');
        out.push_str(&hash[..10]);
    }
    out
}

/// A fragment (`#…`) for an id, percent-encoding what a URL may not hold.
pub fn fragment(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A URL from `sources.yaml`, kept as a link only when it is http or https.
pub fn safe_url(url: &str) -> Option<String> {
    let trimmed = url.trim();
    let lower = trimmed.to_ascii_lowercase();
    let scheme_ok = lower.starts_with("http://") || lower.starts_with("https://");
    let clean = !trimmed.chars().any(|c| c.is_control() || c.is_whitespace());
    (scheme_ok && clean).then(|| trimmed.to_string())
}

#[derive(Debug, Clone)]
pub struct KindView {
    pub name: String,
    pub class: String,
    pub anchored: &'static str,
    pub count: usize,
}

#[derive(Debug, Clone)]
pub struct FindingView {
    pub code: &'static str,
    pub severity: &'static str,
    pub message: String,
    pub help: Option<String>,
    pub place: String,
    pub id: Option<String>,
    /// Where the annotation the finding is about is shown.
    pub href: Option<String>,
}

#[derive(Debug, Clone)]
pub struct MetaView {
    pub path: String,
    pub page: String,
    /// What names the source for a reader: its title, else its publisher,
    /// else its path.
    pub heading: String,
    pub fields: Vec<MetaField>,
    pub annotations: usize,
    pub placed: usize,
    pub findings: usize,
    /// Why the source cannot be shown, when it cannot.
    pub problem: Option<String>,
}

#[derive(Debug, Clone)]
pub struct MetaField {
    pub name: String,
    pub value: String,
    /// A link for `url` (http/https only) and `derived_from` (its page).
    pub href: Option<String>,
}

/// One piece of a text shown with its highlights.
#[derive(Debug, Clone)]
pub enum Piece {
    Text(String),
    Open(Open),
    Close,
}

#[derive(Debug, Clone)]
pub struct Open {
    pub id: String,
    pub kind: String,
    pub class: String,
    /// Nesting depth, for the underline offset (capped at 3).
    pub depth: usize,
    /// The first element of the annotation: it holds the keyboard target.
    pub first: bool,
    /// Where the annotation is described on the page (an element id).
    pub target: String,
    /// A highlight of the base text (`--base`): `data-base-annot-id`.
    pub old: bool,
    pub drift: Option<String>,
}

#[derive(Debug, Clone)]
pub struct LinkRef {
    pub rel: String,
    pub id: String,
    pub kind: Option<String>,
    pub href: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone)]
pub struct AnnView {
    /// The element id of its description (the annotation's id, made unique
    /// on the page when an id is defined twice).
    pub html_id: String,
    pub id: String,
    pub kind: String,
    pub class: String,
    pub file: String,
    pub line: u32,
    pub span: Option<String>,
    pub quote: Option<String>,
    pub attrs: Vec<(String, String)>,
    pub note: Option<String>,
    pub links_out: Vec<LinkRef>,
    pub links_in: Vec<LinkRef>,
    pub findings: Vec<FindingView>,
    /// Why the annotation is not highlighted in the text, when it is not.
    pub unplaced: Option<String>,
    /// Its drift since `--base`, or recorded in `drift:`.
    pub drift: Option<String>,
}

#[derive(Debug, Clone)]
pub struct DriftRow {
    pub id: String,
    pub href: String,
    pub status: String,
    pub old: String,
    pub new: String,
    pub detail: Option<String>,
}

#[derive(Debug, Clone)]
pub struct BaseView {
    pub rev: String,
    pub old_pieces: Vec<Piece>,
    pub rows: Vec<DriftRow>,
}

#[derive(Debug, Clone)]
pub struct SourceView {
    pub meta: MetaView,
    pub pieces: Vec<Piece>,
    pub annotations: Vec<AnnView>,
    pub findings: Vec<FindingView>,
    pub base: Option<BaseView>,
}

#[derive(Debug, Clone)]
pub struct Evidence {
    pub id: String,
    pub kind: String,
    pub class: String,
    /// How it relates to the item: `evidenced-by`, or `attributed-to`
    /// read backwards.
    pub rel: String,
    pub quote: Option<String>,
    /// Whether `quote` is the text at its span (then it is a highlight).
    pub placed: bool,
    pub href: String,
    pub link_note: Option<String>,
    pub contradicts: Vec<LinkRef>,
}

#[derive(Debug, Clone)]
pub struct EvidenceGroup {
    pub heading: String,
    pub source: String,
    pub href: String,
    pub items: Vec<Evidence>,
}

#[derive(Debug, Clone)]
pub struct ItemView {
    pub page: String,
    pub ann: AnnView,
    pub evidence: Vec<EvidenceGroup>,
    pub contradicts: Vec<LinkRef>,
}

#[derive(Debug, Clone)]
pub struct ChangedView {
    pub path: String,
    pub href: String,
    pub counts: Vec<(String, usize)>,
}

#[derive(Debug, Clone)]
pub struct IndexView {
    pub sources: Vec<MetaView>,
    pub kinds: Vec<KindView>,
    pub findings: Vec<FindingView>,
    pub errors: usize,
    pub warnings: usize,
    pub notices: Vec<String>,
    pub items: Vec<(String, AnnView)>,
    pub annotations: usize,
    pub base: Option<(String, Vec<ChangedView>)>,
}

/// What `--base REV` found for one changed source.
pub struct BaseSource {
    pub old: SourceText,
    /// The base's annotations of this source, as (id, kind, start, end, quote).
    pub old_spans: Vec<(String, String, usize, usize, String)>,
    /// Drift status of each annotation by id, and a row for the table.
    pub rows: Vec<DriftRow>,
    /// Where the drift carries annotations still pinned to REV's text,
    /// when that is safe: (start, end) in the new text, by id.
    pub carried: BTreeMap<String, (usize, usize)>,
}

/// A page's view, handed to the caller of [`build`] as soon as it is made.
pub enum PageView {
    Source(SourceView),
    Item(ItemView),
}

/// What [`build`] calls with each page's view (and the kinds, for the
/// legend), on any thread.
pub type Emit<'e, E> = dyn Fn(PageView, &[KindView]) -> Result<(), E> + Sync + 'e;

/// Where an annotation is defined and shown.
struct Entry<'w> {
    file: &'w AnnotationFile,
    ann: &'w Annotation,
    /// Its page and the element id there.
    page: String,
    html_id: String,
    /// Whether its quote is the text at its span in the current source.
    placed: bool,
    /// Where it is highlighted: its span, or where drift carries it.
    at: Option<(usize, usize)>,
    unplaced: Option<String>,
}

/// Builds the site from the loaded workspace, the validation findings and
/// (with `--base`) what changed in each source: each page's view goes to
/// `emit` as soon as it is made (so no more than a few exist at a time),
/// and the index's view is returned at the end.
pub fn build<E: Send>(
    ws: &Workspace,
    findings: &[Finding],
    notices: &[String],
    base: Option<(&str, &BTreeMap<String, BaseSource>)>,
    emit: &Emit<'_, E>,
) -> Result<IndexView, E> {
    let kinds = kind_classes(ws);
    let class_of = |kind: &str| {
        kinds
            .get(kind)
            .cloned()
            .unwrap_or_else(|| format!("k{}", KIND_CLASSES - 1))
    };

    let carried: BTreeMap<&str, (usize, usize)> = base
        .iter()
        .flat_map(|(_, changed)| changed.values())
        .flat_map(|b| &b.carried)
        .map(|(id, at)| (id.as_str(), *at))
        .collect();
    // Every annotation, where it is shown; the first definition of an id
    // is the one links lead to.
    let mut entries: Vec<Entry> = Vec::new();
    let mut first_of: BTreeMap<&str, usize> = BTreeMap::new();
    let mut html_ids: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &ws.files {
        for ann in &file.annotations {
            let id = ann.id.value.as_str();
            let page = match &file.source {
                Some(source) => source_page(&source.value),
                None => item_page(id),
            };
            let taken = html_ids.entry(page.clone()).or_default();
            let mut html_id = id.to_string();
            let mut n = 2;
            while !taken.insert(html_id.clone()) {
                html_id = format!("{id}~{n}");
                n += 1;
            }
            let duplicate = first_of.contains_key(id);
            let (mut placed, mut unplaced) = placement(ws, file, ann);
            let mut at = ann.span().map(|(s, e)| (s as usize, e as usize));
            if let (false, Some((s, e))) = (placed, carried.get(id)) {
                let text = file
                    .source
                    .as_ref()
                    .and_then(|src| ws.sources.get(&src.value))
                    .and_then(|t| t.as_ref().ok());
                let quote = ann.quote.as_ref().map(|q| q.value.as_str());
                if text.is_some_and(|t| t.slice(*s, *e).is_some() && t.slice(*s, *e) == quote) {
                    placed = true;
                    at = Some((*s, *e));
                    unplaced = Some(format!(
                        "its source changed since its pin; highlighted where drift carries it ({s}–{e}): `annot reanchor --write` records that"
                    ));
                }
            }
            if duplicate && placed {
                unplaced = Some(
                    "its id is defined more than once; only the first definition is highlighted"
                        .to_string(),
                );
            }
            if !duplicate {
                first_of.insert(id, entries.len());
            }
            entries.push(Entry {
                file,
                ann,
                page,
                html_id,
                placed: placed && !duplicate,
                at,
                unplaced,
            });
        }
    }

    // Links both ways, by the id at the other end.
    let mut links_in: BTreeMap<&str, Vec<(usize, usize)>> = BTreeMap::new();
    for (i, entry) in entries.iter().enumerate() {
        for (j, link) in entry.ann.links.iter().enumerate() {
            links_in
                .entry(link.target.value.as_str())
                .or_default()
                .push((i, j));
        }
    }
    let href_from = |from_page: &str, id: &str| -> Option<String> {
        let entry = &entries[*first_of.get(id)?];
        let rel = relative(from_page, &entry.page);
        Some(if entry.file.source.is_some() {
            format!("{rel}#{}", fragment(&entry.html_id))
        } else {
            rel
        })
    };
    let kind_of = |id: &str| first_of.get(id).map(|&i| entries[i].ann.kind.value.clone());

    // Findings, by annotation (file and id) and by file.
    let finding_view = |f: &Finding, from_page: &str| FindingView {
        code: f.code.as_str(),
        severity: match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        },
        message: f.message.clone(),
        help: f.help.clone(),
        place: format!("{}:{}:{}", f.place.file, f.place.line, f.place.column),
        id: f.id.clone(),
        href: f.id.as_deref().and_then(|id| href_from(from_page, id)),
    };
    let mut by_annotation: BTreeMap<(&str, &str), Vec<&Finding>> = BTreeMap::new();
    let mut by_file: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        if let Some(id) = &f.id {
            by_annotation
                .entry((f.place.file.as_str(), id.as_str()))
                .or_default()
                .push(f);
        }
        by_file.entry(f.place.file.as_str()).or_default().push(f);
    }

    let drift_of_id: BTreeMap<&str, &str> = base
        .iter()
        .flat_map(|(_, changed)| changed.values())
        .flat_map(|b| &b.rows)
        .map(|r| (r.id.as_str(), r.status.as_str()))
        .collect();

    let ann_view = |entry: &Entry| -> AnnView {
        let ann = entry.ann;
        let id = ann.id.value.as_str();
        let links_out = ann
            .links
            .iter()
            .map(|l| LinkRef {
                rel: l.rel.value.clone(),
                id: l.target.value.clone(),
                kind: kind_of(&l.target.value),
                href: href_from(&entry.page, &l.target.value),
                note: l.note.clone(),
            })
            .collect();
        let incoming = links_in.get(id).map(Vec::as_slice).unwrap_or_default();
        let links_in = incoming
            .iter()
            .map(|&(i, j)| {
                let other = &entries[i];
                let link = &other.ann.links[j];
                LinkRef {
                    rel: link.rel.value.clone(),
                    id: other.ann.id.value.clone(),
                    kind: Some(other.ann.kind.value.clone()),
                    href: Some(relative(&entry.page, &other.page))
                        .map(|p| format!("{p}#{}", fragment(&other.html_id))),
                    note: link.note.clone(),
                }
            })
            .collect();
        let findings = by_annotation
            .get(&(entry.file.path.as_str(), id))
            .map(|fs| fs.iter().map(|f| finding_view(f, &entry.page)).collect())
            .unwrap_or_default();
        let drift = match (&ann.drift, drift_of_id.get(id)) {
            (Some(d), _) => Some(format!(
                "{} (recorded in drift:, not resolved yet)",
                d.value.status.as_str()
            )),
            (None, Some(status)) => Some(status.to_string()),
            (None, None) => None,
        };
        AnnView {
            html_id: entry.html_id.clone(),
            id: id.to_string(),
            kind: ann.kind.value.clone(),
            class: class_of(&ann.kind.value),
            file: entry.file.path.clone(),
            line: ann.id.pos.line,
            span: ann.span().map(|(s, e)| format!("{s}–{e}")),
            quote: ann.quote.as_ref().map(|q| q.value.clone()),
            attrs: ann
                .attrs
                .iter()
                .map(|(k, v)| {
                    let value = match v.as_str() {
                        Some(s) => s.to_string(),
                        None => v.to_json().to_string(),
                    };
                    (k.value.clone(), value)
                })
                .collect(),
            note: ann.note.as_ref().map(|n| n.value.clone()),
            links_out,
            links_in,
            findings,
            unplaced: entry.unplaced.clone(),
            drift,
        }
    };

    // Source pages.
    let meta_of: BTreeMap<&str, &crate::model::SourceMeta> = ws
        .sources_meta
        .iter()
        .flat_map(|m| &m.entries)
        .map(|e| (e.path.value.as_str(), e))
        .collect();
    let mut source_paths: BTreeSet<&str> = ws.sources.keys().map(String::as_str).collect();
    source_paths.extend(
        meta_of
            .keys()
            .copied()
            .filter(|p| ws.seeds.iter().any(|s| s == p)),
    );
    let mut by_source: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, entry) in entries.iter().enumerate() {
        if let Some(source) = &entry.file.source {
            by_source.entry(source.value.as_str()).or_default().push(i);
        }
    }
    let files_of: BTreeMap<&str, Vec<&str>> =
        ws.files.iter().fold(BTreeMap::new(), |mut map, f| {
            if let Some(s) = &f.source {
                map.entry(s.value.as_str())
                    .or_insert_with(Vec::new)
                    .push(f.path.as_str());
            }
            map
        });

    // What names a source for a reader: its title, else its publisher,
    // else its path.
    let heading_of = |path: &str| -> String {
        let field = |name: &str| {
            meta_of.get(path).and_then(|m| {
                m.fields
                    .iter()
                    .find(|(k, _)| k.value == name)
                    .map(|(_, v)| v.value.clone())
            })
        };
        field("title")
            .or_else(|| field("publisher"))
            .unwrap_or_else(|| path.to_string())
    };
    let meta_view = |path: &str, from_page: &str| -> MetaView {
        let page = source_page(path);
        let mut fields = Vec::new();
        if let Some(meta) = meta_of.get(path) {
            for (k, v) in &meta.fields {
                let href = match k.value.as_str() {
                    "url" => safe_url(&v.value),
                    "derived_from"
                        if ws.sources.contains_key(&v.value)
                            || meta_of.contains_key(v.value.as_str()) =>
                    {
                        Some(relative(from_page, &source_page(&v.value)))
                    }
                    _ => None,
                };
                fields.push(MetaField {
                    name: k.value.clone(),
                    value: v.value.clone(),
                    href,
                });
            }
        }
        let ids = by_source.get(path).map(Vec::as_slice).unwrap_or_default();
        let findings = files_of
            .get(path)
            .into_iter()
            .flatten()
            .filter_map(|f| by_file.get(f))
            .map(Vec::len)
            .sum();
        let problem = match ws.sources.get(path) {
            Some(Err(problem)) => Some(format!("{path} {}", problem.describe())),
            _ => None,
        };
        MetaView {
            path: path.to_string(),
            page: relative(from_page, &page),
            heading: heading_of(path),
            fields,
            annotations: ids.len(),
            placed: ids.iter().filter(|&&i| entries[i].placed).count(),
            findings,
            problem,
        }
    };

    let mut kinds_view: Vec<KindView> = ws
        .vocabulary
        .iter()
        .flat_map(|v| &v.kinds)
        .map(|(name, def)| KindView {
            name: name.clone(),
            class: class_of(name),
            anchored: match def.anchored {
                crate::model::Anchored::Always => "anchored",
                crate::model::Anchored::Never => "source-less",
                crate::model::Anchored::Either => "either",
            },
            count: entries.iter().filter(|e| &e.ann.kind.value == name).count(),
        })
        .collect();
    let declared: BTreeSet<&str> = kinds_view.iter().map(|k| k.name.as_str()).collect();
    let undeclared: BTreeSet<&str> = entries
        .iter()
        .map(|e| e.ann.kind.value.as_str())
        .filter(|k| !declared.contains(k))
        .collect();
    for name in undeclared {
        kinds_view.push(KindView {
            name: name.to_string(),
            class: class_of(name),
            anchored: "not declared",
            count: entries.iter().filter(|e| e.ann.kind.value == name).count(),
        });
    }

    source_paths.par_iter().try_for_each(|&path| {
        let page = source_page(path);
        let ids = by_source.get(path).map(Vec::as_slice).unwrap_or_default();
        let text = match ws.sources.get(path) {
            Some(Ok(text)) => Some(text.as_ref()),
            _ => None,
        };
        let spans: Vec<Span> = ids
            .iter()
            .filter(|&&i| entries[i].placed)
            .filter_map(|&i| {
                let e = &entries[i];
                let (start, end) = e.at?;
                Some(Span {
                    start,
                    end,
                    id: e.ann.id.value.clone(),
                    kind: e.ann.kind.value.clone(),
                    class: class_of(&e.ann.kind.value),
                    target: fragment(&e.html_id),
                    drift: drift_of_id
                        .get(e.ann.id.value.as_str())
                        .map(|s| s.to_string()),
                })
            })
            .collect();
        let text_pieces = text.map(|t| pieces(t, spans, false)).unwrap_or_default();
        let mut findings_here: Vec<FindingView> = files_of
            .get(path)
            .into_iter()
            .flatten()
            .filter_map(|f| by_file.get(f))
            .flatten()
            .map(|f| finding_view(f, &page))
            .collect();
        findings_here.extend(
            findings
                .iter()
                .filter(|f| f.place.file == path)
                .map(|f| finding_view(f, &page)),
        );
        let base_view = base.and_then(|(rev, changed)| {
            let b = changed.get(path)?;
            let old_spans = b
                .old_spans
                .iter()
                .map(|(id, kind, s, e, _)| Span {
                    start: *s,
                    end: *e,
                    id: id.clone(),
                    kind: kind.clone(),
                    class: class_of(kind),
                    target: format!("_drift-{}", fragment(id)),
                    drift: None,
                })
                .collect();
            Some(BaseView {
                rev: rev.to_string(),
                old_pieces: pieces(&b.old, old_spans, true),
                rows: b.rows.clone(),
            })
        });
        let view = SourceView {
            meta: meta_view(path, &page),
            pieces: text_pieces,
            annotations: ids.iter().map(|&i| ann_view(&entries[i])).collect(),
            findings: findings_here,
            base: base_view,
        };
        emit(PageView::Source(view), &kinds_view)
    })?;

    // Item pages.
    // An id defined twice has one page: the first definition's.
    entries
        .par_iter()
        .enumerate()
        .filter(|(i, e)| {
            e.file.source.is_none() && first_of.get(e.ann.id.value.as_str()) == Some(i)
        })
        .try_for_each(|(_, entry)| {
            let mut view = ann_view(entry);
            let mut groups: BTreeMap<String, Vec<Evidence>> = BTreeMap::new();
            let mut contradicts = Vec::new();
            let mut evidence_of = |other: &Entry, rel: String, link_note: Option<String>| {
                let Some(source) = &other.file.source else {
                    return;
                };
                let other_id = other.ann.id.value.as_str();
                let contradicting = other
                    .ann
                    .links
                    .iter()
                    .filter(|l| l.rel.value == "contradicts")
                    .map(|l| (l.target.value.clone(), l.note.clone()))
                    .chain(
                        links_in
                            .get(other_id)
                            .into_iter()
                            .flatten()
                            .map(|&(a, b)| (&entries[a], &entries[a].ann.links[b]))
                            .filter(|(_, l)| l.rel.value == "contradicts")
                            .map(|(e, l)| (e.ann.id.value.clone(), l.note.clone())),
                    )
                    .map(|(id, note)| LinkRef {
                        rel: "contradicts".to_string(),
                        kind: kind_of(&id),
                        href: href_from(&entry.page, &id),
                        id,
                        note,
                    })
                    .collect();
                groups
                    .entry(source.value.clone())
                    .or_default()
                    .push(Evidence {
                        id: other_id.to_string(),
                        kind: other.ann.kind.value.clone(),
                        class: class_of(&other.ann.kind.value),
                        rel,
                        quote: other.ann.quote.as_ref().map(|q| q.value.clone()),
                        placed: other.placed,
                        href: format!(
                            "{}#{}",
                            relative(&entry.page, &other.page),
                            fragment(&other.html_id)
                        ),
                        link_note,
                        contradicts: contradicting,
                    });
            };
            for link in &entry.ann.links {
                if let Some(&j) = first_of.get(link.target.value.as_str()) {
                    evidence_of(&entries[j], link.rel.value.clone(), link.note.clone());
                }
            }
            for &(j, k) in links_in
                .get(entry.ann.id.value.as_str())
                .into_iter()
                .flatten()
            {
                let link = &entries[j].ann.links[k];
                evidence_of(
                    &entries[j],
                    format!("{} (links here)", link.rel.value),
                    link.note.clone(),
                );
            }
            for link in view.links_out.iter().chain(&view.links_in) {
                if link.rel == "contradicts" {
                    contradicts.push(link.clone());
                }
            }
            // What the evidence shows is not listed again under the item.
            let shown: BTreeSet<String> = groups.values().flatten().map(|e| e.id.clone()).collect();
            view.links_out.retain(|l| !shown.contains(&l.id));
            view.links_in.retain(|l| !shown.contains(&l.id));
            let evidence = groups
                .into_iter()
                .map(|(source, items)| EvidenceGroup {
                    heading: heading_of(&source),
                    source: source.clone(),
                    href: relative(&entry.page, &source_page(&source)),
                    items,
                })
                .collect();
            let view = ItemView {
                page: entry.page.clone(),
                ann: view,
                evidence,
                contradicts,
            };
            emit(PageView::Item(view), &kinds_view)
        })?;
    let item_rows: Vec<(String, AnnView)> = entries
        .iter()
        .filter(|e| e.file.source.is_none())
        .map(|e| {
            let a = e.ann;
            let row = AnnView {
                html_id: e.html_id.clone(),
                id: a.id.value.clone(),
                kind: a.kind.value.clone(),
                class: class_of(&a.kind.value),
                file: e.file.path.clone(),
                line: a.id.pos.line,
                span: None,
                quote: None,
                attrs: Vec::new(),
                note: a.note.as_ref().map(|n| n.value.clone()),
                links_out: Vec::new(),
                links_in: Vec::new(),
                findings: Vec::new(),
                unplaced: None,
                drift: None,
            };
            (e.page.clone(), row)
        })
        .collect();

    let index_page = "index.html";
    let base_index = base.map(|(rev, changed)| {
        let list = changed
            .iter()
            .map(|(path, b)| {
                let mut counts: BTreeMap<String, usize> = BTreeMap::new();
                for row in &b.rows {
                    *counts.entry(row.status.clone()).or_default() += 1;
                }
                ChangedView {
                    path: path.clone(),
                    href: source_page(path),
                    counts: counts.into_iter().collect(),
                }
            })
            .collect();
        (rev.to_string(), list)
    });
    let index = IndexView {
        sources: source_paths
            .iter()
            .map(|p| meta_view(p, index_page))
            .collect(),
        kinds: kinds_view,
        findings: findings
            .iter()
            .map(|f| finding_view(f, index_page))
            .collect(),
        errors: findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count(),
        warnings: findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .count(),
        notices: notices.to_vec(),
        items: item_rows,
        annotations: entries.len(),
        base: base_index,
    };
    Ok(index)
}

/// A kind class for every kind: declared kinds in the vocabulary's order,
/// then the others by name.
fn kind_classes(ws: &Workspace) -> BTreeMap<String, String> {
    let mut names: Vec<String> = ws
        .vocabulary
        .iter()
        .flat_map(|v| v.kinds.keys().cloned())
        .collect();
    let mut others: BTreeSet<String> = BTreeSet::new();
    for file in &ws.files {
        for ann in &file.annotations {
            if !names.contains(&ann.kind.value) {
                others.insert(ann.kind.value.clone());
            }
        }
    }
    names.extend(others);
    names
        .into_iter()
        .enumerate()
        .map(|(i, name)| (name, format!("k{}", i % KIND_CLASSES)))
        .collect()
}

/// Whether an annotation can be highlighted: its source reads, its span
/// lies in the text and holds exactly its quote. Otherwise, why not.
fn placement(ws: &Workspace, file: &AnnotationFile, ann: &Annotation) -> (bool, Option<String>) {
    let Some(source) = &file.source else {
        return (false, None);
    };
    let text = match ws.sources.get(&source.value) {
        Some(Ok(text)) => text,
        Some(Err(problem)) => {
            let why = match problem {
                SourceProblem::Missing(_) => "its source is missing",
                SourceProblem::OutsideSeeds(_) => "its source lies outside seeds/",
                SourceProblem::NotUtf8(_) => "its source is not UTF-8",
                SourceProblem::Unreadable(_) => "its source cannot be read",
            };
            return (false, Some(format!("not highlighted: {why}")));
        }
        None => {
            return (
                false,
                Some("not highlighted: its source was not read".into()),
            )
        }
    };
    let Some((start, end)) = ann.span() else {
        return (
            false,
            Some("not highlighted: it has no start/end (run `annot anchor`)".into()),
        );
    };
    let Some(quote) = &ann.quote else {
        return (false, Some("not highlighted: it has no quote".into()));
    };
    if start >= end || end > text.char_len() as u64 {
        return (
            false,
            Some(format!(
                "not highlighted: its span {start}–{end} does not lie in the text ({} code points)",
                text.char_len()
            )),
        );
    }
    match text.slice(start as usize, end as usize) {
        Some(found) if found == quote.value => (true, None),
        Some(found) => (
            false,
            Some(format!(
                "not highlighted: the text at {start}–{end} is “{found}”, not the quote"
            )),
        ),
        None => (
            false,
            Some("not highlighted: its span cannot be read".into()),
        ),
    }
}

/// A span to highlight, in code points.
#[derive(Debug, Clone)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub id: String,
    pub kind: String,
    pub class: String,
    pub target: String,
    pub drift: Option<String>,
}

/// Cuts a text into pieces with properly nested elements: a span that
/// ends while spans opened inside it are still open closes them and opens
/// them again after itself, so each span is one or more elements whose
/// text in document order is its text.
pub fn pieces(text: &SourceText, mut spans: Vec<Span>, old: bool) -> Vec<Piece> {
    let len = text.char_len();
    spans.retain(|s| s.start < s.end && s.end <= len);
    // Outer (longer) spans open first at the same place.
    spans.sort_by(|a, b| {
        (a.start, std::cmp::Reverse(a.end), &a.id).cmp(&(b.start, std::cmp::Reverse(b.end), &b.id))
    });
    let mut bounds: BTreeSet<usize> = BTreeSet::new();
    for s in &spans {
        bounds.insert(s.start);
        bounds.insert(s.end);
    }
    bounds.insert(len);
    let mut out = Vec::with_capacity(spans.len() * 3 + 1);
    let mut stack: Vec<usize> = Vec::new();
    let mut opened = vec![false; spans.len()];
    let mut next = 0;
    let mut pos = 0;
    let open = |i: usize, depth: usize, first: bool| {
        let s: &Span = &spans[i];
        Piece::Open(Open {
            id: s.id.clone(),
            kind: s.kind.clone(),
            class: s.class.clone(),
            depth: depth.min(3),
            first,
            target: s.target.clone(),
            old,
            drift: s.drift.clone(),
        })
    };
    for &b in &bounds {
        if b > pos {
            if let Some(t) = text.slice(pos, b) {
                out.push(Piece::Text(t.to_string()));
            }
            pos = b;
        }
        // Close what ends here, reopening what was inside it.
        if stack.iter().any(|&i| spans[i].end == b) {
            let deepest_ending = stack
                .iter()
                .position(|&i| spans[i].end == b)
                .unwrap_or(stack.len());
            let reopen: Vec<usize> = stack[deepest_ending..]
                .iter()
                .copied()
                .filter(|&i| spans[i].end != b)
                .collect();
            for _ in deepest_ending..stack.len() {
                out.push(Piece::Close);
            }
            stack.truncate(deepest_ending);
            for i in reopen {
                out.push(open(i, stack.len(), false));
                stack.push(i);
            }
        }
        while next < spans.len() && spans[next].start == b {
            out.push(open(next, stack.len(), !opened[next]));
            opened[next] = true;
            stack.push(next);
            next += 1;
        }
    }
    out
}

/// The path from one page of the site to another, both site-relative.
pub fn relative(from: &str, to: &str) -> String {
    let depth = from.matches('/').count();
    let mut out = "../".repeat(depth);
    out.push_str(to);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(id: &str, start: usize, end: usize) -> Span {
        Span {
            start,
            end,
            id: id.to_string(),
            kind: "claim".to_string(),
            class: "k0".to_string(),
            target: id.to_string(),
            drift: None,
        }
    }

    /// The text of each id's elements, joined, and the element count.
    fn texts(pieces: &[Piece]) -> BTreeMap<String, (String, usize)> {
        let mut open: Vec<String> = Vec::new();
        let mut out: BTreeMap<String, (String, usize)> = BTreeMap::new();
        for p in pieces {
            match p {
                Piece::Open(o) => {
                    out.entry(o.id.clone()).or_default().1 += 1;
                    open.push(o.id.clone());
                }
                Piece::Close => {
                    open.pop().unwrap();
                }
                Piece::Text(t) => {
                    for id in &open {
                        out.get_mut(id).unwrap().0.push_str(t);
                    }
                }
            }
        }
        assert!(open.is_empty());
        out
    }

    #[test]
    fn overlapping_spans_nest_and_keep_their_text() {
        let text = SourceText::from_bytes("alpha beta gamma delta".as_bytes().to_vec()).unwrap();
        let spans = vec![
            span("ab", 0, 10),
            span("bg", 6, 16),
            span("all", 0, 22),
            span("g", 11, 16),
            span("same", 11, 16),
        ];
        let got = texts(&pieces(&text, spans, false));
        let want = |t: &str, n: usize| (t.to_string(), n);
        assert_eq!(got["all"], want("alpha beta gamma delta", 1));
        assert_eq!(got["ab"], want("alpha beta", 1));
        assert_eq!(got["bg"], want("beta gamma", 2));
        assert_eq!(got["g"], want("gamma", 1));
        assert_eq!(got["same"], want("gamma", 1));
        // Each id's first element holds the keyboard target, and only it.
        let firsts: Vec<(String, bool)> =
            pieces(&text, vec![span("ab", 0, 10), span("bg", 6, 16)], false)
                .into_iter()
                .filter_map(|p| match p {
                    Piece::Open(o) => Some((o.id, o.first)),
                    _ => None,
                })
                .collect();
        assert_eq!(
            firsts,
            vec![
                ("ab".to_string(), true),
                ("bg".to_string(), true),
                ("bg".to_string(), false)
            ]
        );
    }

    #[test]
    fn page_names_are_safe_and_distinct() {
        assert_eq!(source_page("seeds/a.txt"), "sources/a.txt.html");
        assert_ne!(source_page("seeds/a b.txt"), source_page("seeds/a_b.txt"));
        assert!(item_page("a:b").starts_with("items/a_b-"));
        assert!(source_page("seeds/.hidden").starts_with("sources/_hidden-"));
        assert_eq!(fragment("a:b.c"), "a:b.c");
        assert_eq!(fragment("a b\"<"), "a%20b%22%3C");
        assert_eq!(
            relative("sources/a.html", "items/b.html"),
            "../items/b.html"
        );
        assert_eq!(relative("index.html", "items/b.html"), "items/b.html");
    }

    #[test]
    fn only_http_urls_are_links() {
        assert_eq!(
            safe_url(" https://a.org/x "),
            Some("https://a.org/x".to_string())
        );
        assert_eq!(safe_url("HTTP://a.org"), Some("HTTP://a.org".to_string()));
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:x",
            "data:text/html,x",
            "//a.org",
            "https://a.org/\nx",
            "file:///etc/passwd",
            "vbscript:x",
        ] {
            assert_eq!(safe_url(bad), None, "{bad}");
        }
    }
}
