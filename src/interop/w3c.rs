//! W3C Web Annotation Data Model (JSON-LD): export as one
//! `AnnotationCollection`, import of what annot, Hypothesis and Recogito
//! write.

use super::corpus::{Corpus, Item};
use super::plan::{DocContent, Incoming, IncomingAnn, IncomingDoc, IncomingLink, Target};
use super::{unreadable, Listed};
use crate::workspace::WorkspaceError;
use base64::Engine;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};
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

/// One `Annotation` as written: the fields in the model's order.
#[derive(Serialize)]
struct Annotation<'a> {
    #[serde(rename = "@context")]
    context: (&'static str, Namespace),
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    body: Vec<Body<'a>>,
    target: Aim<'a>,
}

#[derive(Serialize)]
struct Namespace {
    annot: &'static str,
}

const CONTEXT: (&str, Namespace) = (ANNO_CONTEXT, Namespace { annot: ANNOT_NS });

#[derive(Serialize)]
#[serde(untagged)]
enum Body<'a> {
    Text {
        #[serde(rename = "type")]
        kind: &'static str,
        purpose: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        format: Option<&'static str>,
        value: std::borrow::Cow<'a, str>,
    },
    Link {
        #[serde(rename = "type")]
        kind: &'static str,
        purpose: &'static str,
        source: String,
        #[serde(rename = "annot:rel")]
        rel: &'a str,
        #[serde(rename = "annot:note", skip_serializing_if = "Option::is_none")]
        note: Option<&'a str>,
    },
}

#[derive(Serialize)]
#[serde(untagged)]
/// A target as written: the workspace, or a span of a text.
enum Aim<'a> {
    Workspace(&'static str),
    Text {
        #[serde(rename = "type")]
        kind: &'static str,
        source: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        via: Option<&'a str>,
        selector: (QuoteSelector<'a>, PositionSelector),
    },
}

#[derive(Serialize)]
struct QuoteSelector<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    exact: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    prefix: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suffix: Option<&'a str>,
}

#[derive(Serialize)]
struct PositionSelector {
    #[serde(rename = "type")]
    kind: &'static str,
    start: usize,
    end: usize,
}

/// The collection, as JSON text: the collection and its page on the first
/// line, then one annotation a line (compact, so a large export stays
/// small and diffs line by line).
pub fn export(corpus: &Corpus, listed: &mut Vec<Listed>) -> Vec<u8> {
    let total = corpus.items.len()
        + corpus
            .documents
            .iter()
            .flat_map(|d| &d.annotations)
            .filter(|a| a.span.is_some())
            .count();
    let head = json!({
        "@context": context(),
        "id": format!("{WORKSPACE_IRI}/annotations"),
        "type": "AnnotationCollection",
        "label": "annot workspace",
        "total": total,
    });
    let page = json!({
        "id": format!("{WORKSPACE_IRI}/annotations?page=1"),
        "type": "AnnotationPage",
        "startIndex": 0,
    });
    // `{…head, "first": {…page, "items": [ITEMS]}}`, written by hand only
    // in its braces: every value is serde_json's.
    let open = |v: &Value| {
        let mut text = serde_json::to_string(v).unwrap_or_default();
        text.pop();
        text
    };
    let size: usize = corpus
        .documents
        .iter()
        .map(|d| d.annotations.len() * 700)
        .sum();
    let mut out = Vec::with_capacity(size + corpus.items.len() * 700 + 512);
    out.extend_from_slice(open(&head).as_bytes());
    out.extend_from_slice(b",\"first\":");
    out.extend_from_slice(open(&page).as_bytes());
    out.extend_from_slice(b",\"items\":[");
    let mut first = true;
    let mut push = |a: Annotation, out: &mut Vec<u8>| {
        out.extend_from_slice(if first { b"\n" } else { b",\n" });
        first = false;
        let _ = serde_json::to_writer(&mut *out, &a);
    };
    for doc in &corpus.documents {
        let source = document_iri(doc.sha256());
        let via = doc
            .meta("url")
            .filter(|u| u.contains(':') && !u.chars().any(char::is_whitespace));
        for item in &doc.annotations {
            let Some(span) = &item.span else { continue };
            let target = Aim::Text {
                kind: "SpecificResource",
                source: &source,
                via,
                selector: (
                    QuoteSelector {
                        kind: "TextQuoteSelector",
                        exact: &span.quote,
                        prefix: span.prefix.as_deref(),
                        suffix: span.suffix.as_deref(),
                    },
                    PositionSelector {
                        kind: "TextPositionSelector",
                        start: span.start,
                        end: span.end,
                    },
                ),
            };
            push(annotation(corpus, item, target, listed), &mut out);
        }
    }
    for item in &corpus.items {
        push(
            annotation(corpus, item, Aim::Workspace(WORKSPACE_IRI), listed),
            &mut out,
        );
    }
    out.extend_from_slice(b"\n]}}\n");
    out
}

fn annotation<'a>(
    corpus: &Corpus,
    item: &'a Item,
    target: Aim<'a>,
    listed: &mut Vec<Listed>,
) -> Annotation<'a> {
    let text = |purpose, format, value| Body::Text {
        kind: "TextualBody",
        purpose,
        format,
        value,
    };
    let mut body = vec![text("tagging", None, item.kind.as_str().into())];
    for (attr, value) in &item.attrs {
        let described = json!({"attr": attr, "value": value}).to_string();
        body.push(text(
            "describing",
            Some("application/json"),
            described.into(),
        ));
    }
    if let Some(note) = &item.note {
        body.push(text("commenting", None, note.as_str().into()));
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
        body.push(Body::Link {
            kind: "SpecificResource",
            purpose: "linking",
            source: annotation_iri(&link.target),
            rel: &link.rel,
            note: link.note.as_deref(),
        });
    }
    Annotation {
        context: CONTEXT,
        id: annotation_iri(&item.id),
        kind: "Annotation",
        body,
        target,
    }
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
    let not_json = |e: serde_json::Error| {
        unreadable(
            path,
            format!(
                "it is not JSON (line {}, column {}: {e})",
                e.line(),
                e.column()
            ),
        )
    };
    // The shape is read first, each annotation left as its raw text and
    // parsed only when its turn comes: a file of 100,000 annotations never
    // becomes one tree in memory.
    let items = annotations_of(&bytes).map_err(not_json)?.ok_or_else(|| {
        unreadable(
            path,
            "it holds no annotations: expected an AnnotationCollection, an AnnotationPage, a list of Annotations, one Annotation, or a Hypothesis result with `rows`",
        )
    })?;
    let shown = path.display().to_string();
    let mut incoming = Incoming::default();
    // Each annotation on its own (in parallel), then put together in the
    // file's order.
    use rayon::prelude::*;
    let parts: Vec<Part> = items
        .par_iter()
        .enumerate()
        .map(|(i, raw)| {
            let mut part = Part::default();
            let place = format!("{shown}: annotation {}", i + 1);
            match serde_json::from_str::<Value>(raw.get()) {
                Ok(a) => read_annotation(&a, &place, i + 1, &mut part),
                Err(e) => part
                    .listed
                    .push(Listed::dropped(place, format!("cannot be read: {e}"))),
            }
            part
        })
        .collect();
    let mut documents: BTreeMap<String, IncomingDoc> = BTreeMap::new();
    for part in parts {
        incoming.listed.extend(part.listed);
        incoming.items.extend(part.item);
        if let Some((source, via, ann)) = part.on_text {
            documents
                .entry(source.clone())
                .or_insert_with(|| IncomingDoc {
                    name: source.clone(),
                    seed_hint: None,
                    content: DocContent::Reference { iri: source, via },
                    annotations: Vec::new(),
                })
                .annotations
                .push(ann);
        }
    }
    incoming.documents = documents.into_values().collect();
    Ok(incoming)
}

/// The outline of a W3C file: only what tells where the annotations are.
#[derive(serde::Deserialize)]
struct Outline<'a> {
    #[serde(rename = "type", alias = "@type", borrow)]
    kind: Option<&'a RawValue>,
    #[serde(borrow)]
    first: Option<&'a RawValue>,
    #[serde(borrow)]
    next: Option<&'a RawValue>,
    #[serde(borrow)]
    items: Option<Vec<&'a RawValue>>,
    #[serde(borrow)]
    rows: Option<Vec<&'a RawValue>>,
    #[serde(borrow)]
    target: Option<&'a RawValue>,
}

fn annotations_of(bytes: &[u8]) -> Result<Option<Vec<&RawValue>>, serde_json::Error> {
    let text = std::str::from_utf8(bytes).map_err(serde::de::Error::custom)?;
    if text.trim_start().starts_with('[') {
        return serde_json::from_str::<Vec<&RawValue>>(text).map(Some);
    }
    let whole: &RawValue = serde_json::from_str(text)?;
    let outline: Outline = serde_json::from_str(text)?;
    let is = |name: &str| {
        outline.kind.is_some_and(|k| {
            serde_json::from_str::<Value>(k.get())
                .is_ok_and(|v| has_type(&serde_json::json!({ "type": v }), name))
        })
    };
    if let Some(rows) = outline.rows {
        return Ok(Some(rows));
    }
    if is("AnnotationCollection") {
        let mut out = Vec::new();
        let mut page = outline.first;
        let mut pages = 0;
        while let Some(raw) = page {
            let Ok(p) = serde_json::from_str::<Outline>(raw.get()) else {
                break;
            };
            out.extend(p.items.unwrap_or_default());
            pages += 1;
            page = p.next.filter(|_| pages < 100_000);
        }
        return Ok(Some(out));
    }
    if let Some(items) = outline.items {
        return Ok(Some(items));
    }
    if is("Annotation") || outline.target.is_some() {
        return Ok(Some(vec![whole]));
    }
    Ok(None)
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

/// What one annotation of the input became: listed problems, and an item
/// or an annotation on a text (its source IRI, `via`, and itself).
#[derive(Default)]
struct Part {
    listed: Vec<Listed>,
    item: Option<IncomingAnn>,
    on_text: Option<(String, Option<String>, IncomingAnn)>,
}

fn read_annotation(a: &Value, place: &str, n: usize, part: &mut Part) {
    if !a.is_object() {
        part.listed
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
                    part.listed.push(Listed::dropped(
                        place,
                        "a linking body without a `source` IRI",
                    ));
                    continue;
                };
                let Some(rel) = body.get(REL_KEY).and_then(Value::as_str) else {
                    part.listed.push(Listed::dropped(
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
            (_, None) => part.listed.push(Listed::dropped(
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
        part.listed
            .push(Listed::dropped(place, format!("`{id}` has no target")));
        return;
    };
    if targets.len() > 1 {
        part.listed.push(Listed::dropped(
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
        attr_places: BTreeMap::new(),
        note,
        links,
        place: place.to_string(),
    };
    if let Value::String(iri) = target {
        if iri.starts_with(WORKSPACE_IRI) {
            part.item = Some(ann);
        } else {
            part.listed.push(Listed::dropped(
                place,
                format!("`{}` targets the whole of {iri}, not a span of its text; annot has no place for it", ann.id),
            ));
        }
        return;
    }
    let Some(source) = target.get("source").and_then(iri_of) else {
        part.listed.push(Listed::dropped(
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
        part.listed.push(Listed::dropped(
            place,
            format!(
                "`{}` has no TextQuoteSelector ({}); annot anchors by the quoted text",
                ann.id,
                if kinds.is_empty() {
                    "no selector at all: it is about the whole document".to_string()
                } else {
                    format!("only {}", kinds.join(", "))
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
    part.on_text = Some((source.to_string(), via, ann));
}
