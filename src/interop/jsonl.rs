//! JSON Lines in the spaCy/Prodigy style: one object per source with its
//! text, its spans (code-point offsets) and the relations between them.

use super::corpus::Corpus;
use super::plan::{DocContent, Incoming, IncomingAnn, IncomingDoc, IncomingLink, Target};
use super::{unreadable, Listed};
use crate::workspace::WorkspaceError;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, Read};
use std::path::Path;

/// Longest line read, in bytes.
const MAX_LINE_BYTES: usize = 1 << 30;

/// One line per document. Returns the text and how many annotations it
/// could not hold (the source-less items).
pub fn export(corpus: &Corpus, listed: &mut Vec<Listed>) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    for item in &corpus.items {
        listed.push(Listed::dropped(
            item.place.clone(),
            format!(
                "`{}` is not on a source (JSON Lines holds spans of texts only)",
                item.id
            ),
        ));
    }
    for (index, doc) in corpus.documents.iter().enumerate() {
        let mut spans = Vec::new();
        let mut relations = Vec::new();
        for a in &doc.annotations {
            let Some(span) = &a.span else { continue };
            let mut s = Map::new();
            s.insert("start".into(), json!(span.start));
            s.insert("end".into(), json!(span.end));
            s.insert("label".into(), json!(a.kind));
            s.insert("id".into(), json!(a.id));
            s.insert("text".into(), json!(span.quote));
            if !a.attrs.is_empty() {
                let attrs: Map<String, Value> = a.attrs.iter().cloned().collect();
                s.insert("attrs".into(), Value::Object(attrs));
            }
            if let Some(note) = &a.note {
                s.insert("note".into(), json!(note));
            }
            spans.push(Value::Object(s));
            for link in &a.links {
                if corpus.document_of.get(&link.target) != Some(&index) {
                    listed.push(Listed::dropped(
                        link.place.clone(),
                        format!(
                            "the link {} from `{}` to `{}`: the target is not a span of the same text",
                            link.rel, a.id, link.target
                        ),
                    ));
                    continue;
                }
                let mut r = Map::new();
                r.insert("head".into(), json!(a.id));
                r.insert("child".into(), json!(link.target));
                r.insert("label".into(), json!(link.rel));
                if let Some(note) = &link.note {
                    r.insert("note".into(), json!(note));
                }
                relations.push(Value::Object(r));
            }
        }
        let mut meta = Map::new();
        meta.insert("source".into(), json!(doc.path));
        meta.insert("sha256".into(), json!(doc.sha256()));
        for (k, v) in &doc.meta {
            if k != "source" && k != "sha256" {
                meta.insert(k.clone(), json!(v));
            }
        }
        let line = json!({
            "text": doc.text.text(),
            "spans": spans,
            "relations": relations,
            "meta": meta,
        });
        out.extend_from_slice(line.to_string().as_bytes());
        out.push(b'\n');
    }
    (out, corpus.items.len())
}

/// Reads a JSON Lines file: each line a document.
pub fn read(path: &Path) -> Result<Incoming, WorkspaceError> {
    let file = std::fs::File::open(path).map_err(|e| unreadable(path, e))?;
    if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
        return Err(unreadable(
            path,
            "it is a folder; `annot import jsonl` reads one .jsonl file",
        ));
    }
    let shown = path.display().to_string();
    let mut reader = std::io::BufReader::new(file);
    let mut incoming = Incoming::default();
    let mut line = Vec::new();
    let mut number = 0;
    loop {
        line.clear();
        let n = reader
            .by_ref()
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| unreadable(path, e))?;
        if n == 0 {
            break;
        }
        number += 1;
        let place = format!("{shown}:{number}");
        if line.len() > MAX_LINE_BYTES {
            return Err(unreadable(
                path,
                format!("line {number} is longer than 1 GiB"),
            ));
        }
        let text = match std::str::from_utf8(&line) {
            Ok(t) => t,
            Err(e) => {
                incoming.listed.push(Listed::dropped(
                    place,
                    format!(
                        "the line is not UTF-8 (bad byte at byte {} of the line)",
                        e.valid_up_to()
                    ),
                ));
                continue;
            }
        };
        if text.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(text) {
            Ok(value) => read_line(&value, &place, number, &mut incoming),
            Err(e) => {
                // serde counts lines within the one line it was given.
                let message = e.to_string();
                let message = message
                    .rsplit_once(" at line ")
                    .map_or(message.as_str(), |(m, _)| m);
                incoming.listed.push(Listed::dropped(
                    place,
                    format!("the line is not JSON (at column {}: {message})", e.column()),
                ))
            }
        }
    }
    Ok(incoming)
}

fn read_line(value: &Value, place: &str, number: usize, incoming: &mut Incoming) {
    let Some(text) = value.get("text").and_then(Value::as_str) else {
        incoming.listed.push(Listed::dropped(
            place,
            "the object has no `text` string; each line must hold one document's text",
        ));
        return;
    };
    let meta = value.get("meta");
    let source = meta
        .and_then(|m| m.get("source"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut doc = IncomingDoc {
        name: place.to_string(),
        seed_hint: source,
        content: DocContent::Text(text.as_bytes().to_vec()),
        annotations: Vec::new(),
    };
    let mut by_offsets: BTreeMap<(u64, u64), String> = BTreeMap::new();
    let spans = match value.get("spans") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(spans)) => spans.iter().collect(),
        Some(_) => {
            incoming.listed.push(Listed::dropped(
                place,
                "`spans` is not a list; no span of this line was imported",
            ));
            Vec::new()
        }
    };
    for (k, span) in spans.iter().enumerate() {
        let span_place = format!("{place}: spans[{k}]");
        let (Some(start), Some(end)) = (
            span.get("start").and_then(Value::as_u64),
            span.get("end").and_then(Value::as_u64),
        ) else {
            incoming.listed.push(Listed::dropped(
                span_place,
                "a span needs `start` and `end` as non-negative integers (code points)",
            ));
            continue;
        };
        let id = span
            .get("id")
            .and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(format!("span-{n}")),
                _ => None,
            })
            .unwrap_or_else(|| format!("line{number}.span-{}", k + 1));
        by_offsets.entry((start, end)).or_insert_with(|| id.clone());
        let attrs = match span.get("attrs") {
            Some(Value::Object(o)) => o.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            _ => Vec::new(),
        };
        doc.annotations.push(IncomingAnn {
            id,
            kind: span
                .get("label")
                .and_then(Value::as_str)
                .map(str::to_string),
            tags: Vec::new(),
            target: Target::Offsets {
                start: start as usize,
                end: end as usize,
                text: span.get("text").and_then(Value::as_str).map(str::to_string),
            },
            attrs,
            attr_places: BTreeMap::new(),
            note: span.get("note").and_then(Value::as_str).map(str::to_string),
            links: Vec::new(),
            place: span_place,
        });
    }
    let relations = match value.get("relations") {
        Some(Value::Array(r)) => r.iter().collect(),
        _ => Vec::new(),
    };
    for (k, r) in relations.iter().enumerate() {
        let rel_place = format!("{place}: relations[{k}]");
        // annot writes span ids; Prodigy writes token indexes beside
        // `head_span`/`child_span`, which name the spans by offsets.
        let end_of = |key: &str, span_key: &str| -> Option<String> {
            if let Some(Value::String(id)) = r.get(key) {
                return Some(id.clone());
            }
            let span = r.get(span_key)?;
            let start = span.get("start")?.as_u64()?;
            let end = span.get("end")?.as_u64()?;
            by_offsets.get(&(start, end)).cloned()
        };
        let (Some(head), Some(child)) =
            (end_of("head", "head_span"), end_of("child", "child_span"))
        else {
            incoming.listed.push(Listed::dropped(
                rel_place,
                "a relation whose `head` or `child` names no span of this line",
            ));
            continue;
        };
        let Some(label) = r.get("label").and_then(Value::as_str) else {
            incoming
                .listed
                .push(Listed::dropped(rel_place, "a relation without a `label`"));
            continue;
        };
        let link = IncomingLink {
            rel: label.to_string(),
            target: child,
            note: r.get("note").and_then(Value::as_str).map(str::to_string),
            place: rel_place.clone(),
        };
        match doc.annotations.iter_mut().find(|a| a.id == head) {
            Some(a) => a.links.push(link),
            None => incoming.listed.push(Listed::dropped(
                rel_place,
                format!("a relation from `{head}`, which is not a span of this line"),
            )),
        }
    }
    incoming.documents.push(doc);
}
