//! W3C Web Annotation Data Model (JSON-LD): export as one
//! `AnnotationCollection`, import of what annot, Hypothesis and Recogito
//! write.

use super::corpus::{Corpus, Item};
use super::plan::{DocContent, Incoming, IncomingAnn, IncomingDoc, IncomingLink, Target};
use super::{unreadable, Listed};
use crate::workspace::WorkspaceError;
use base64::Engine;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

pub const ANNO_CONTEXT: &str = "http://www.w3.org/ns/anno.jsonld";
/// The IRI of this workspace: the target of source-less items, and the
/// base of every annotation's IRI.
pub const WORKSPACE_IRI: &str = "urn:annot:workspace";
/// Where annot's own terms (a link's relation and note) live.
const ANNOT_NS: &str = "urn:annot:ns#";
const REL_KEY: &str = "annot:rel";
const LINK_NOTE_KEY: &str = "annot:note";
/// Largest W3C file read, in bytes.
const MAX_INPUT_BYTES: u64 = 1 << 30;

/// The IRI of an annotation with this id.
pub fn annotation_iri(id: &str) -> String {
    format!("{WORKSPACE_IRI}/annotations/{id}")
}

/// RFC 6920 `ni:` IRI of a document with this sha256 (hex).
pub fn document_iri(sha256_hex: &str) -> String {
    let bytes: Vec<u8> = (0..sha256_hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(&sha256_hex[2 * i..2 * i + 2], 16).ok())
        .collect();
    format!(
        "ni:///sha-256;{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// The sha256 (hex) an `ni:` IRI names, when it names one.
pub fn sha256_of_iri(iri: &str) -> Option<String> {
    let rest = iri
        .strip_prefix("ni:///sha-256;")
        .or_else(|| iri.strip_prefix("ni:sha-256;"))?;
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(rest)
        .ok()?;
    (bytes.len() == 32).then(|| bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn context() -> Value {
    json!([ANNO_CONTEXT, {"annot": ANNOT_NS}])
}

/// The collection, as JSON text.
pub fn export(corpus: &Corpus, listed: &mut Vec<Listed>) -> Vec<u8> {
    let mut items = Vec::new();
    for doc in &corpus.documents {
        let source = document_iri(doc.sha256());
        let via = doc
            .meta("url")
            .filter(|u| u.contains(':') && !u.chars().any(char::is_whitespace));
        for item in &doc.annotations {
            let Some(span) = &item.span else { continue };
            let mut quote = Map::new();
            quote.insert("type".into(), json!("TextQuoteSelector"));
            quote.insert("exact".into(), json!(span.quote));
            if let Some(p) = &span.prefix {
                quote.insert("prefix".into(), json!(p));
            }
            if let Some(s) = &span.suffix {
                quote.insert("suffix".into(), json!(s));
            }
            let mut target = Map::new();
            target.insert("type".into(), json!("SpecificResource"));
            target.insert("source".into(), json!(source));
            if let Some(url) = via {
                target.insert("via".into(), json!(url));
            }
            target.insert(
                "selector".into(),
                json!([
                    Value::Object(quote),
                    {"type": "TextPositionSelector", "start": span.start, "end": span.end},
                ]),
            );
            items.push(annotation(corpus, item, Value::Object(target), listed));
        }
    }
    for item in &corpus.items {
        items.push(annotation(corpus, item, json!(WORKSPACE_IRI), listed));
    }
    let collection = json!({
        "@context": context(),
        "id": format!("{WORKSPACE_IRI}/annotations"),
        "type": "AnnotationCollection",
        "label": "annot workspace",
        "total": items.len(),
        "first": {
            "id": format!("{WORKSPACE_IRI}/annotations?page=1"),
            "type": "AnnotationPage",
            "startIndex": 0,
            "items": items,
        },
    });
    let mut out = serde_json::to_vec_pretty(&collection).unwrap_or_default();
    out.push(b'\n');
    out
}

fn annotation(corpus: &Corpus, item: &Item, target: Value, listed: &mut Vec<Listed>) -> Value {
    let mut body = vec![json!({"type": "TextualBody", "purpose": "tagging", "value": item.kind})];
    for (attr, value) in &item.attrs {
        body.push(json!({
            "type": "TextualBody",
            "purpose": "describing",
            "format": "application/json",
            "value": json!({"attr": attr, "value": value}).to_string(),
        }));
    }
    if let Some(note) = &item.note {
        body.push(json!({"type": "TextualBody", "purpose": "commenting", "value": note}));
    }
    for link in &item.links {
        if !corpus.ids.contains(&link.target) {
            listed.push(Listed::changed(
                link.place.clone(),
                format!(
                    "`{}` links to `{}`, which is not in this export; the link names its IRI all the same",
                    item.id, link.target
                ),
            ));
        }
        let mut resource = Map::new();
        resource.insert("type".into(), json!("SpecificResource"));
        resource.insert("purpose".into(), json!("linking"));
        resource.insert("source".into(), json!(annotation_iri(&link.target)));
        resource.insert(REL_KEY.into(), json!(link.rel));
        if let Some(note) = &link.note {
            resource.insert(LINK_NOTE_KEY.into(), json!(note));
        }
        body.push(Value::Object(resource));
    }
    json!({
        "@context": context(),
        "id": annotation_iri(&item.id),
        "type": "Annotation",
        "body": body,
        "target": target,
    })
}

/// Reads a W3C file: a collection (with embedded pages), a page, a list of
/// annotations or one annotation; or a Hypothesis API result (`rows`).
pub fn read(path: &Path) -> Result<Incoming, WorkspaceError> {
    let meta = std::fs::metadata(path).map_err(|e| unreadable(path, e))?;
    if meta.is_dir() {
        return Err(unreadable(
            path,
            "it is a folder; `annot import w3c` reads one JSON file",
        ));
    }
    if meta.len() > MAX_INPUT_BYTES {
        return Err(unreadable(
            path,
            format!("it is {} bytes, more than annot reads (1 GiB)", meta.len()),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| unreadable(path, e))?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
        unreadable(
            path,
            format!(
                "it is not JSON (line {}, column {}: {e})",
                e.line(),
                e.column()
            ),
        )
    })?;
    let shown = path.display().to_string();
    let mut incoming = Incoming::default();
    let items = annotations_of(&value).ok_or_else(|| {
        unreadable(
            path,
            "it holds no annotations: expected an AnnotationCollection, an AnnotationPage, a list of Annotations, one Annotation, or a Hypothesis result with `rows`",
        )
    })?;
    let mut documents: BTreeMap<String, IncomingDoc> = BTreeMap::new();
    for (i, a) in items.iter().enumerate() {
        let place = format!("{shown}: annotation {}", i + 1);
        read_annotation(a, &place, i + 1, &mut documents, &mut incoming);
    }
    incoming.documents = documents.into_values().collect();
    Ok(incoming)
}

fn annotations_of(value: &Value) -> Option<Vec<&Value>> {
    match value {
        Value::Array(items) => Some(items.iter().collect()),
        Value::Object(o) => {
            if let Some(Value::Array(rows)) = o.get("rows") {
                return Some(rows.iter().collect());
            }
            if has_type(value, "AnnotationCollection") {
                let mut out = Vec::new();
                let mut page = o.get("first");
                let mut pages = 0;
                while let Some(Value::Object(p)) = page {
                    if let Some(Value::Array(items)) = p.get("items") {
                        out.extend(items.iter());
                    }
                    pages += 1;
                    page = p.get("next").filter(|_| pages < 100_000);
                }
                return Some(out);
            }
            if let Some(Value::Array(items)) = o.get("items") {
                return Some(items.iter().collect());
            }
            if has_type(value, "Annotation") || o.contains_key("target") {
                return Some(vec![value]);
            }
            None
        }
        _ => None,
    }
}

fn has_type(value: &Value, name: &str) -> bool {
    match value.get("type").or_else(|| value.get("@type")) {
        Some(Value::String(t)) => t == name,
        Some(Value::Array(ts)) => ts.iter().any(|t| t.as_str() == Some(name)),
        _ => false,
    }
}

fn as_list(value: Option<&Value>) -> Vec<&Value> {
    match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(other) => vec![other],
    }
}

fn iri_of(value: &Value) -> Option<&str> {
    match value {
        Value::String(s) => Some(s),
        Value::Object(o) => o.get("id").or_else(|| o.get("@id"))?.as_str(),
        _ => None,
    }
}

/// The id an annotation IRI suggests: its last path segment or fragment.
fn id_from_iri(iri: &str) -> String {
    let tail = iri.rsplit(['/', '#']).next().unwrap_or(iri);
    let tail = if tail.is_empty() { iri } else { tail };
    tail.to_string()
}

fn read_annotation(
    a: &Value,
    place: &str,
    n: usize,
    documents: &mut BTreeMap<String, IncomingDoc>,
    incoming: &mut Incoming,
) {
    if !a.is_object() {
        incoming
            .listed
            .push(Listed::dropped(place, "is not a JSON object"));
        return;
    }
    let id = a
        .get("id")
        .or_else(|| a.get("@id"))
        .and_then(Value::as_str)
        .map(id_from_iri)
        .unwrap_or_else(|| format!("w3c-{n}"));
    let mut tags = Vec::new();
    let mut attrs = Vec::new();
    let mut notes = Vec::new();
    let mut links = Vec::new();
    if let Some(Value::Array(h_tags)) = a.get("tags") {
        tags.extend(h_tags.iter().filter_map(Value::as_str).map(str::to_string));
    }
    if let Some(Value::String(text)) = a.get("text") {
        if !text.is_empty() {
            notes.push(text.clone());
        }
    }
    if let Some(Value::String(text)) = a.get("bodyValue") {
        notes.push(text.clone());
    }
    let motivation = a.get("motivation").and_then(Value::as_str);
    for body in as_list(a.get("body")) {
        let purpose = body
            .get("purpose")
            .and_then(Value::as_str)
            .or(motivation)
            .unwrap_or("commenting");
        let value = body.get("value").and_then(Value::as_str);
        match (purpose, value) {
            ("linking", _) | (_, None) if body.get("source").is_some() => {
                let Some(target) = body.get("source").and_then(iri_of) else {
                    incoming.listed.push(Listed::dropped(
                        place,
                        "a linking body without a `source` IRI",
                    ));
                    continue;
                };
                let Some(rel) = body.get(REL_KEY).and_then(Value::as_str) else {
                    incoming.listed.push(Listed::dropped(
                        place,
                        format!("a link to {target} without `{REL_KEY}` (annot needs to know what the link means)"),
                    ));
                    continue;
                };
                links.push(IncomingLink {
                    rel: rel.to_string(),
                    target: id_from_iri(target),
                    note: body
                        .get(LINK_NOTE_KEY)
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    place: place.to_string(),
                });
            }
            ("tagging", Some(v)) => tags.push(v.to_string()),
            ("describing", Some(v))
                if body.get("format").and_then(Value::as_str) == Some("application/json") =>
            {
                match serde_json::from_str::<Value>(v) {
                    Ok(Value::Object(o)) if o.get("attr").and_then(Value::as_str).is_some() => {
                        let name = o["attr"].as_str().unwrap_or_default().to_string();
                        attrs.push((name, o.get("value").cloned().unwrap_or(Value::Null)));
                    }
                    _ => notes.push(v.to_string()),
                }
            }
            (_, Some(v)) => notes.push(v.to_string()),
            (_, None) => incoming.listed.push(Listed::dropped(
                place,
                format!(
                    "a body that is neither text nor a link ({})",
                    body.get("type")
                        .and_then(Value::as_str)
                        .unwrap_or("no type")
                ),
            )),
        }
    }
    let note = (!notes.is_empty()).then(|| notes.join("\n\n"));
    let targets = as_list(a.get("target"));
    let Some(target) = targets.first() else {
        incoming
            .listed
            .push(Listed::dropped(place, format!("`{id}` has no target")));
        return;
    };
    if targets.len() > 1 {
        incoming.listed.push(Listed::dropped(
            place,
            format!(
                "`{id}` has {} targets; annot keeps the first",
                targets.len()
            ),
        ));
    }
    let mut ann = IncomingAnn {
        id,
        kind: None,
        tags,
        target: Target::None,
        attrs,
        note,
        links,
        place: place.to_string(),
    };
    if let Value::String(iri) = target {
        if iri.starts_with(WORKSPACE_IRI) {
            incoming.items.push(ann);
        } else {
            incoming.listed.push(Listed::dropped(
                place,
                format!("`{}` targets the whole of {iri}, not a span of its text; annot has no place for it", ann.id),
            ));
        }
        return;
    }
    let Some(source) = target.get("source").and_then(iri_of) else {
        incoming.listed.push(Listed::dropped(
            place,
            format!("`{}`: its target has no `source`", ann.id),
        ));
        return;
    };
    let selectors = as_list(target.get("selector"));
    let quote = selectors.iter().find(|s| has_type(s, "TextQuoteSelector"));
    let position = selectors
        .iter()
        .find(|s| has_type(s, "TextPositionSelector"))
        .and_then(|s| {
            let start = s.get("start")?.as_u64()?;
            let end = s.get("end")?.as_u64()?;
            Some((start as usize, end as usize))
        });
    let Some(exact) = quote.and_then(|q| q.get("exact")).and_then(Value::as_str) else {
        let kinds: Vec<&str> = selectors
            .iter()
            .filter_map(|s| s.get("type").and_then(Value::as_str))
            .collect();
        incoming.listed.push(Listed::dropped(
            place,
            format!(
                "`{}` has no TextQuoteSelector (only {}); annot anchors by the quoted text",
                ann.id,
                if kinds.is_empty() {
                    "no selector".to_string()
                } else {
                    kinds.join(", ")
                }
            ),
        ));
        return;
    };
    let text = |key: &str| {
        quote
            .and_then(|q| q.get(key))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    ann.target = Target::Quote {
        exact: exact.to_string(),
        prefix: text("prefix"),
        suffix: text("suffix"),
        position,
    };
    let via = target
        .get("via")
        .and_then(Value::as_str)
        .map(str::to_string);
    documents
        .entry(source.to_string())
        .or_insert_with(|| IncomingDoc {
            name: source.to_string(),
            seed_hint: None,
            content: DocContent::Reference {
                iri: source.to_string(),
                via,
            },
            annotations: Vec::new(),
        })
        .annotations
        .push(ann);
}
