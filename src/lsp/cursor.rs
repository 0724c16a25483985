//! What the cursor is on in an annotation file: an annotation's span
//! fields, its kind, a link's rel or target, the file's source, an
//! attribute.

use super::documents::Document;
use crate::load;
use crate::model::{Annotation, AnnotationFile, At, Link};
use crate::yaml::Pos;

pub enum Spot<'f> {
    /// The id, quote, offsets or context of an annotation.
    Span(&'f Annotation),
    Kind(&'f Annotation),
    Rel(&'f Link),
    Target(&'f Link),
    Source(&'f At<String>),
    /// An attribute's name.
    Attr(&'f Annotation, &'f At<String>),
}

/// The document read as an annotation file, if it can be read at all.
pub fn annotation_file(doc: &Document) -> Option<AnnotationFile> {
    let rel = doc.rel.as_deref()?;
    if !rel.starts_with("annotations/") {
        return None;
    }
    load::annotation_file(rel, doc.text.as_bytes()).value
}

/// The start of the line holding byte `start` and the end (before its
/// line break) of the line holding byte `end`, both within `text`.
pub fn line_around(text: &str, start: usize, end: usize) -> (usize, usize) {
    let (start, end) = (start.min(text.len()), end.min(text.len()));
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
    (line_start, line_end)
}

/// What is at byte `offset`: a value that holds it, else the value that
/// starts on its line (the cursor on `quote:` means the quote).
pub fn spot<'f>(file: &'f AnnotationFile, text: &str, offset: usize) -> Option<Spot<'f>> {
    let (line_start, line_end) = line_around(text, offset, offset);
    let holds = |pos: &Pos| pos.start <= offset && offset <= pos.end;
    let on_line = |pos: &Pos| pos.start >= line_start && pos.start <= line_end;
    let mut candidates: Vec<(Pos, Spot)> = Vec::new();
    if let Some(source) = &file.source {
        candidates.push((source.pos, Spot::Source(source)));
    }
    for a in &file.annotations {
        let (start, end) = extent(a);
        if !(start <= line_end && line_start <= end) {
            continue;
        }
        candidates.push((a.kind.pos, Spot::Kind(a)));
        for link in &a.links {
            candidates.push((link.target.pos, Spot::Target(link)));
            candidates.push((link.rel.pos, Spot::Rel(link)));
        }
        for (name, _) in &a.attrs {
            candidates.push((name.pos, Spot::Attr(a, name)));
        }
        for pos in span_fields(a) {
            candidates.push((pos, Spot::Span(a)));
        }
    }
    if let Some(i) = candidates.iter().position(|(pos, _)| holds(pos)) {
        return Some(candidates.swap_remove(i).1);
    }
    candidates
        .into_iter()
        .filter(|(pos, _)| on_line(pos) && pos.start >= offset)
        .min_by_key(|(pos, _)| pos.start)
        .map(|(_, spot)| spot)
}

/// Where the fields that say what an annotation covers are: its id,
/// quote, offsets and context.
fn span_fields(a: &Annotation) -> impl Iterator<Item = Pos> + '_ {
    [
        Some(a.id.pos),
        a.quote.as_ref().map(|q| q.pos),
        a.start.as_ref().map(|s| s.pos),
        a.end.as_ref().map(|e| e.pos),
        a.prefix.as_ref().map(|p| p.pos),
        a.suffix.as_ref().map(|s| s.pos),
    ]
    .into_iter()
    .flatten()
}

/// The span field of `a` at `offset` (or on its line): what a hover there
/// is about.
pub fn span_field_at(a: &Annotation, text: &str, offset: usize) -> Option<Pos> {
    let (line_start, line_end) = line_around(text, offset, offset);
    let fields: Vec<Pos> = span_fields(a).collect();
    fields
        .iter()
        .find(|pos| pos.start <= offset && offset <= pos.end)
        .or_else(|| {
            fields
                .iter()
                .find(|pos| pos.start >= line_start && pos.start <= line_end)
        })
        .copied()
}

/// The annotation with this id in `file`.
pub fn by_id<'f>(file: &'f AnnotationFile, id: &str) -> Option<&'f Annotation> {
    file.annotations.iter().find(|a| a.id.value == id)
}

/// The bytes an annotation's fields cover, from its first key to the end
/// of its last value (a mapping's own position marks only its start).
pub fn extent(a: &Annotation) -> (usize, usize) {
    let mut end = a.pos.end.max(a.id.pos.end).max(a.kind.pos.end);
    let more = [&a.quote, &a.prefix, &a.suffix, &a.note];
    for field in more.into_iter().flatten() {
        end = end.max(field.pos.end);
    }
    for field in [&a.start, &a.end].into_iter().flatten() {
        end = end.max(field.pos.end);
    }
    for (name, value) in &a.attrs {
        end = end.max(name.pos.end).max(value.pos.end);
    }
    for link in &a.links {
        end = end
            .max(link.rel.pos.end)
            .max(link.target.pos.end)
            .max(link.pos.end);
    }
    if let Some(drift) = &a.drift {
        end = end.max(drift.pos.end);
    }
    (a.pos.start, end)
}
