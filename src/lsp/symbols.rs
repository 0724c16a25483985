//! Document symbols: one per annotation, named by its id, its kind as the
//! detail.

use super::cursor;
use super::session::Session;
use lsp_types::{DocumentSymbol, DocumentSymbolParams, DocumentSymbolResponse, SymbolKind};

pub fn symbols(session: &Session, params: DocumentSymbolParams) -> Option<DocumentSymbolResponse> {
    let doc = session.document(&params.text_document.uri)?;
    let file = cursor::annotation_file(doc)?;
    let encoding = session.encoding;
    #[allow(deprecated)]
    let symbols = file
        .annotations
        .iter()
        .map(|a| {
            let (start, end) = cursor::extent(a);
            let range = doc.range(start, end, encoding);
            let selection = doc.range(a.id.pos.start, a.id.pos.end, encoding);
            DocumentSymbol {
                name: if a.id.value.is_empty() {
                    "(no id)".to_string()
                } else {
                    a.id.value.clone()
                },
                detail: Some(a.kind.value.clone()),
                kind: SymbolKind::KEY,
                tags: None,
                deprecated: None,
                range,
                // Inside `range`, as the protocol asks.
                selection_range: if selection.start >= range.start && selection.end <= range.end {
                    selection
                } else {
                    range
                },
                children: None,
            }
        })
        .collect();
    Some(DocumentSymbolResponse::Nested(symbols))
}
