//! Go to definition (a link target's `id:` line; the seed of `source:`;
//! the span of quote/start/end) and find references (every link to an id,
//! every use of a kind or a rel; closed files included).

use super::cursor::{self, Spot};
use super::documents::uri_of;
use super::encoding::LineIndex;
use super::hover::source_of;
use super::session::Session;
use crate::load;
use crate::model::Annotation;
use lsp_types::{
    GotoDefinitionParams, GotoDefinitionResponse, Location, Position, Range, ReferenceParams,
};

/// An annotation found by its id, and the file it is in.
pub struct Found {
    pub path: String,
    pub annotation: Annotation,
}

/// The files that define `id`, as last checked.
fn files_defining(session: &Session, id: &str) -> Vec<String> {
    let Some(live) = session.live() else {
        return Vec::new();
    };
    live.results()
        .iter()
        .filter(|r| r.entries.iter().any(|e| e.id.value == id))
        .map(|r| r.path.clone())
        .collect()
}

/// The annotation with this id, read from its file as the buffers have it.
pub fn find_annotation(session: &Session, id: &str) -> Option<Found> {
    files_defining(session, id).into_iter().find_map(|path| {
        let text = session.text_of(&path)?;
        let file = load::annotation_file(&path, text.as_bytes()).value?;
        let annotation = cursor::by_id(&file, id)?.clone();
        Some(Found { path, annotation })
    })
}

/// The location of a byte range of a workspace file.
fn location(session: &Session, rel: &str, start: usize, end: usize) -> Option<Location> {
    let root = session.root.as_ref()?;
    let text = session.text_of(rel)?;
    let lines = LineIndex::new(&text);
    Some(Location {
        uri: uri_of(root, rel)?,
        range: lines.range(&text, start, end, session.encoding),
    })
}

pub fn definition(
    session: &Session,
    params: GotoDefinitionParams,
) -> Option<GotoDefinitionResponse> {
    let at = params.text_document_position_params;
    let doc = session.document(&at.text_document.uri)?;
    let file = cursor::annotation_file(doc)?;
    let offset = doc.offset(at.position, session.encoding);
    let root = session.root.as_ref()?;
    let locations: Vec<Location> = match cursor::spot(&file, &doc.text, offset)? {
        Spot::Target(link) => files_defining(session, &link.target.value)
            .into_iter()
            .filter_map(|path| {
                let text = session.text_of(&path)?;
                let other = load::annotation_file(&path, text.as_bytes()).value?;
                let a = cursor::by_id(&other, &link.target.value)?;
                location(session, &path, a.id.pos.start, a.id.pos.end)
            })
            .collect(),
        Spot::Source(source) => vec![Location {
            uri: uri_of(root, &source.value)?,
            range: Range::new(Position::new(0, 0), Position::new(0, 0)),
        }],
        Spot::Span(a) => {
            let path = &file.source.as_ref()?.value;
            let source = source_of(session, &file)?.ok()?;
            let (start, end) = a.span()?;
            let start = source.byte_of(start as usize)?;
            let end = source.byte_of(end as usize)?;
            let lines = LineIndex::new(source.text());
            vec![Location {
                uri: uri_of(root, path)?,
                range: lines.range(source.text(), start, end, session.encoding),
            }]
        }
        Spot::Kind(a) => {
            let def = session.live()?.vocabulary()?.kinds.get(&a.kind.value)?;
            vec![location(
                session,
                crate::workspace::VOCABULARY_PATH,
                def.pos.start,
                def.pos.end,
            )?]
        }
        Spot::Rel(link) => {
            let def = session
                .live()?
                .vocabulary()?
                .relations
                .get(&link.rel.value)?;
            vec![location(
                session,
                crate::workspace::VOCABULARY_PATH,
                def.pos.start,
                def.pos.end,
            )?]
        }
        Spot::Attr(..) => return None,
    };
    match locations.len() {
        0 => None,
        1 => Some(GotoDefinitionResponse::Scalar(
            locations.into_iter().next()?,
        )),
        _ => Some(GotoDefinitionResponse::Array(locations)),
    }
}

/// What references are asked for: uses of an id, of a kind or of a rel.
enum Wanted {
    Id(String),
    Kind(String),
    Rel(String),
}

pub fn references(session: &Session, params: ReferenceParams) -> Option<Vec<Location>> {
    let at = params.text_document_position;
    let doc = session.document(&at.text_document.uri)?;
    let file = cursor::annotation_file(doc)?;
    let offset = doc.offset(at.position, session.encoding);
    let wanted = match cursor::spot(&file, &doc.text, offset)? {
        Spot::Target(link) => Wanted::Id(link.target.value.clone()),
        Spot::Span(a) | Spot::Attr(a, _) => Wanted::Id(a.id.value.clone()),
        Spot::Kind(a) => Wanted::Kind(a.kind.value.clone()),
        Spot::Rel(link) => Wanted::Rel(link.rel.value.clone()),
        Spot::Source(_) => return None,
    };
    let declaration = params.context.include_declaration;
    let live = session.live()?;
    let mut out = Vec::new();
    for result in live.results() {
        let mut here: Vec<(usize, usize)> = Vec::new();
        for entry in &result.entries {
            let mut uses = Vec::new();
            match &wanted {
                Wanted::Id(id) => {
                    if declaration && entry.id.value == *id {
                        uses.push(&entry.id);
                    }
                    uses.extend(
                        entry
                            .links
                            .iter()
                            .map(|l| &l.target)
                            .filter(|t| t.value == *id),
                    );
                }
                Wanted::Kind(kind) => uses.extend(Some(&entry.kind).filter(|k| k.value == *kind)),
                Wanted::Rel(rel) => uses.extend(
                    entry
                        .links
                        .iter()
                        .map(|l| &l.rel)
                        .filter(|r| r.value == *rel),
                ),
            }
            here.extend(uses.into_iter().map(|at| (at.pos.start, at.pos.end)));
        }
        if here.is_empty() {
            continue;
        }
        let Some(text) = session.text_of(&result.path) else {
            continue;
        };
        let lines = LineIndex::new(&text);
        let Some(uri) = session
            .root
            .as_ref()
            .and_then(|root| uri_of(root, &result.path))
        else {
            continue;
        };
        for (start, end) in here {
            out.push(Location {
                uri: uri.clone(),
                range: lines.range(&text, start, end, session.encoding),
            });
        }
    }
    Some(out)
}
