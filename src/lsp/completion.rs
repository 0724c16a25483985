//! Completion of what may go at the cursor, read from the line being
//! typed (the file need not parse): kinds, rels, link targets whose kind
//! the relation allows (with their quote), attribute names and declared
//! values, `source:` from `seeds/`, and the fields of an annotation.

use super::session::Session;
use crate::model::{Anchored, Vocabulary};
use crate::yaml::Value;
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionList, CompletionParams, CompletionResponse,
};

/// At most this many link targets are offered at once; typing narrows
/// them.
const MOST_TARGETS: usize = 200;

const ANNOTATION_FIELDS: &[&str] = &[
    "id", "kind", "quote", "start", "end", "prefix", "suffix", "attrs", "links", "note",
];

/// What the text before the cursor says is being typed.
#[derive(Debug, PartialEq)]
enum Typing<'t> {
    /// The value of `key`, begun with `partial`.
    Value { key: &'t str, partial: &'t str },
    /// A key, begun with `partial`, inside the mapping of `parent` (the
    /// key whose value holds it; `None` at the top of an item).
    Key {
        parent: Option<&'t str>,
        partial: &'t str,
    },
}

fn is_word(c: char) -> bool {
    !(c.is_whitespace() || matches!(c, ',' | '{' | '}' | '[' | ']' | ':' | '"' | '\''))
}

/// The key whose value the line at `line` starts (`key:` at its end, or
/// `key: {` opening a flow mapping), looking up from the cursor's line to
/// the first line indented less than `indent`.
fn parent_key<'t>(lines: &[&'t str], line: usize, indent: usize) -> Option<&'t str> {
    for text in lines[..line].iter().rev() {
        let trimmed = text.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let own = text.len() - trimmed.len();
        if own < indent {
            if trimmed.starts_with("- ") && !trimmed.trim_end().ends_with(':') {
                // An item of a list: in the mapping of the key holding it.
                let i = lines[..line]
                    .iter()
                    .rposition(|l| std::ptr::eq(*l, *text))?;
                return parent_key(lines, i, own).filter(|key| *key != "annotations");
            }
            let bare = trimmed.trim_start_matches("- ").trim_end();
            return bare.strip_suffix(':').map(str::trim);
        }
    }
    None
}

fn typing<'t>(text: &'t str, offset: usize) -> Option<Typing<'t>> {
    let before_all = &text[..offset];
    let line_start = before_all.rfind('\n').map_or(0, |i| i + 1);
    let before = &before_all[line_start..];
    let partial_len = before
        .chars()
        .rev()
        .take_while(|c| is_word(*c))
        .map(char::len_utf8)
        .sum::<usize>();
    let (rest, partial) = before.split_at(before.len() - partial_len);
    // A value may be begun inside quotes: `rel: "con`.
    let rest_trimmed = rest.trim_end();
    let rest_trimmed = rest_trimmed
        .strip_suffix(['"', '\''])
        .map_or(rest_trimmed, str::trim_end);
    if let Some(head) = rest_trimmed.strip_suffix(':') {
        let key_len = head
            .chars()
            .rev()
            .take_while(|c| is_word(*c))
            .map(char::len_utf8)
            .sum::<usize>();
        let key = &head[head.len() - key_len..];
        if !key.is_empty() {
            return Some(Typing::Value { key, partial });
        }
        return None;
    }
    // A key: at the start of the line, after `- `, or in a flow mapping.
    if let Some(open) = rest.rfind('{') {
        if !rest[open..].contains('}') {
            let head = rest[..open].trim_end().strip_suffix(':')?;
            let parent_len = head
                .chars()
                .rev()
                .take_while(|c| is_word(*c))
                .map(char::len_utf8)
                .sum::<usize>();
            let parent = &head[head.len() - parent_len..];
            return Some(Typing::Key {
                parent: (!parent.is_empty() && parent != "links" && parent != "annotations")
                    .then_some(parent),
                partial,
            });
        }
    }
    let bare = rest.trim_start();
    if !(bare.is_empty() || bare == "-" || bare == "- ") {
        return None;
    }
    let indent = rest.len() - bare.len();
    let lines: Vec<&str> = text[..line_start].split('\n').collect();
    let parent = if bare.starts_with('-') {
        None
    } else {
        parent_key(&lines, lines.len().saturating_sub(1), indent)
    };
    Some(Typing::Key { parent, partial })
}

/// The text of the list item (`- ...`) around `offset`, as far as it can
/// be told from indentation: the item's first line up to the line after.
fn item_around(text: &str, offset: usize) -> &str {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let mut start = line_start;
    let mut lines = text[..line_start].lines().rev();
    let here = &text[line_start..];
    if !here.trim_start().starts_with("- ") {
        let indent = here.len() - here.trim_start().len();
        for line in lines.by_ref() {
            start -= line.len() + 1;
            let trimmed = line.trim_start();
            if trimmed.starts_with("- ") && line.len() - trimmed.len() < indent {
                break;
            }
        }
    }
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    &text[start.min(line_start)..end]
}

/// The value written for `key` in `item` (`key: value` or inside a flow
/// mapping), if any.
fn value_in<'t>(item: &'t str, key: &str) -> Option<&'t str> {
    let pattern = format!("{key}:");
    let mut from = 0;
    while let Some(i) = item[from..].find(&pattern) {
        let at = from + i;
        let before = item[..at].chars().next_back();
        if before.is_none_or(|c| !is_word(c)) {
            let value = item[at + pattern.len()..].trim_start();
            let len = value
                .chars()
                .take_while(|c| is_word(*c))
                .map(char::len_utf8)
                .sum::<usize>();
            if len > 0 {
                return Some(&value[..len]);
            }
        }
        from = at + pattern.len();
    }
    None
}

/// The keys already written in the annotation item around `offset`, on
/// other lines than the cursor's (the key being typed may be rewritten).
fn keys_of_item<'t>(text: &'t str, offset: usize) -> Vec<&'t str> {
    let (line_start, line_end) = super::cursor::line_around(text, offset, offset);
    let here = &text[line_start..line_end];
    let key_indent = |line: &str| {
        let trimmed = line.trim_start();
        let dash = trimmed.strip_prefix("- ").map(|rest| rest.trim_start());
        let key_at = line.len() - dash.unwrap_or(trimmed).len();
        (key_at, dash.is_some())
    };
    let (indent, starts_item) = key_indent(here);
    let key_of = |line: &'t str| -> Option<&'t str> {
        let (at, _) = key_indent(line);
        if at != indent {
            return None;
        }
        let key = line[at..].split(':').next()?;
        line[at + key.len()..]
            .starts_with(':')
            .then_some(key.trim())
    };
    let mut keys = Vec::new();
    // Up to the item's `- ` line.
    if !starts_item {
        for line in text[..line_start].lines().rev() {
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let (at, dash) = key_indent(line);
            if at < indent {
                break;
            }
            keys.extend(key_of(line));
            if dash && at == indent {
                break;
            }
        }
    }
    // Down to the next item or a line indented less.
    for line in text[line_end..].lines().skip(1) {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let (at, dash) = key_indent(line);
        if at < indent || (dash && at == indent) {
            break;
        }
        keys.extend(key_of(line));
    }
    keys
}

fn item(label: &str, kind: CompletionItemKind, detail: Option<String>) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail,
        ..CompletionItem::default()
    }
}

/// The annotation's kind: the `kind:` of the enclosing annotation item.
fn annotation_kind(text: &str, offset: usize) -> Option<&str> {
    // The annotation item is the nearest `- id:`-level item above whose
    // lines hold `kind:` at a smaller indent than the links.
    let before = &text[..offset];
    let kind_at = before.rfind("kind:")?;
    value_in(&before[kind_at..], "kind")
}

pub fn complete(session: &Session, params: CompletionParams) -> Option<CompletionResponse> {
    let at = params.text_document_position;
    let doc = session.document(&at.text_document.uri)?;
    let rel = doc.rel.as_deref()?;
    if !rel.starts_with("annotations/") {
        return None;
    }
    if at.position.line as usize > doc.text.matches('\n').count() {
        // Past the end of the file: nothing goes there.
        return None;
    }
    let offset = doc.offset(at.position, session.encoding);
    let live = session.live();
    let vocabulary = live.and_then(|l| l.vocabulary());
    let anchored_file = doc.text.lines().any(|l| l.starts_with("source:"));
    let mut incomplete = false;
    let items: Vec<CompletionItem> = match typing(&doc.text, offset)? {
        Typing::Value { key: "kind", .. } => kinds(vocabulary?, anchored_file),
        Typing::Value { key: "rel", .. } => {
            let from = annotation_kind(&doc.text, offset);
            vocabulary?
                .relations
                .iter()
                .filter(|(_, def)| {
                    from.is_none_or(|k| {
                        def.from.is_empty() || def.from.iter().any(|f| f.value == k)
                    })
                })
                .map(|(name, def)| {
                    let to: Vec<&str> = def.to.iter().map(|t| t.value.as_str()).collect();
                    item(
                        name,
                        CompletionItemKind::ENUM_MEMBER,
                        Some(format!("to: {}", to.join(", "))),
                    )
                })
                .collect()
        }
        Typing::Value {
            key: "target",
            partial,
        } => {
            let item_text = item_around(&doc.text, offset);
            let allowed: Option<Vec<String>> = value_in(item_text, "rel")
                .and_then(|rel| vocabulary?.relations.get(rel))
                .map(|def| def.to.iter().map(|t| t.value.clone()).collect())
                .filter(|to: &Vec<String>| !to.is_empty());
            let mut found = Vec::new();
            for result in live?.results() {
                for entry in &result.entries {
                    if !entry.id.value.starts_with(partial) {
                        continue;
                    }
                    if allowed
                        .as_ref()
                        .is_some_and(|to| !to.contains(&entry.kind.value))
                    {
                        continue;
                    }
                    if found.len() == MOST_TARGETS {
                        incomplete = true;
                        break;
                    }
                    found.push((
                        entry.id.value.clone(),
                        entry.kind.value.clone(),
                        result.path.clone(),
                    ));
                }
            }
            let quotes = session.quotes_of(found.iter().map(|(_, _, path)| path.as_str()));
            found
                .into_iter()
                .map(|(id, kind, path)| {
                    let shown = quotes
                        .get(&id)
                        .cloned()
                        .unwrap_or_else(|| format!("{kind} · {path}"));
                    let mut it = item(&id, CompletionItemKind::REFERENCE, Some(shown));
                    it.label_details = Some(lsp_types::CompletionItemLabelDetails {
                        detail: None,
                        description: Some(kind),
                    });
                    it
                })
                .collect()
        }
        Typing::Value { key: "source", .. } => live?
            .seeds()
            .iter()
            .filter(|s| *s != crate::workspace::SOURCES_META_PATH && !s.ends_with(".gitattributes"))
            .map(|s| item(s, CompletionItemKind::FILE, None))
            .collect(),
        Typing::Value { key, .. } => {
            // An attribute's declared values.
            let kind = annotation_kind(&doc.text, offset);
            let def = kind.and_then(|k| vocabulary?.kinds.get(k)?.attrs.get(key));
            def.and_then(|d| d.values.as_ref())
                .map(|values| {
                    values
                        .iter()
                        .map(|v| item(&scalar_text(&v.value), CompletionItemKind::VALUE, None))
                        .collect()
                })
                .unwrap_or_default()
        }
        Typing::Key {
            parent: Some("attrs"),
            ..
        } => {
            let kind = annotation_kind(&doc.text, offset);
            kind.and_then(|k| vocabulary?.kinds.get(k))
                .map(|def| {
                    def.attrs
                        .iter()
                        .map(|(name, d)| {
                            let detail = match (&d.values, d.value_type) {
                                (Some(values), _) => values
                                    .iter()
                                    .map(|v| scalar_text(&v.value))
                                    .collect::<Vec<_>>()
                                    .join(" | "),
                                (None, Some(t)) => t.as_str().to_string(),
                                (None, None) => String::new(),
                            };
                            item(name, CompletionItemKind::PROPERTY, Some(detail))
                        })
                        .collect()
                })
                .unwrap_or_default()
        }
        Typing::Key {
            parent: Some("links"),
            ..
        } => ["rel", "target", "note"]
            .iter()
            .map(|f| item(f, CompletionItemKind::FIELD, None))
            .collect(),
        Typing::Key {
            parent: None | Some("annotations"),
            ..
        } => {
            let present = keys_of_item(&doc.text, offset);
            ANNOTATION_FIELDS
                .iter()
                .filter(|f| !present.contains(f))
                .map(|f| item(f, CompletionItemKind::FIELD, None))
                .collect()
        }
        Typing::Key { .. } => Vec::new(),
    };
    Some(CompletionResponse::List(CompletionList {
        is_incomplete: incomplete,
        items,
    }))
}

fn kinds(vocabulary: &Vocabulary, anchored_file: bool) -> Vec<CompletionItem> {
    vocabulary
        .kinds
        .iter()
        .filter(|(_, def)| match def.anchored {
            Anchored::Always => anchored_file,
            Anchored::Never => !anchored_file,
            Anchored::Either => true,
        })
        .map(|(name, def)| {
            let anchored = match def.anchored {
                Anchored::Always => "anchored to a span",
                Anchored::Never => "not anchored",
                Anchored::Either => "anchored or not",
            };
            item(
                name,
                CompletionItemKind::ENUM_MEMBER,
                Some(anchored.to_string()),
            )
        })
        .collect()
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::Str(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::BigUint(u) => u.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".to_string(),
        Value::Seq(_) | Value::Map(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_before_the_cursor_tells_what_is_typed() {
        let text = "annotations:\n  - id: a\n    kind: cl";
        assert_eq!(
            typing(text, text.len()),
            Some(Typing::Value {
                key: "kind",
                partial: "cl"
            })
        );
        let text = "    links:\n      - {rel: cites, target: ";
        assert_eq!(
            typing(text, text.len()),
            Some(Typing::Value {
                key: "target",
                partial: ""
            })
        );
        let text = "    attrs:\n      to";
        assert_eq!(
            typing(text, text.len()),
            Some(Typing::Key {
                parent: Some("attrs"),
                partial: "to"
            })
        );
        let text = "    attrs: {top";
        assert_eq!(
            typing(text, text.len()),
            Some(Typing::Key {
                parent: Some("attrs"),
                partial: "top"
            })
        );
        let text = "    links:\n      - rel: cites\n        ";
        assert_eq!(
            typing(text, text.len()),
            Some(Typing::Key {
                parent: Some("links"),
                partial: ""
            })
        );
        let text = "annotations:\n  - id: a\n    ";
        assert_eq!(
            typing(text, text.len()),
            Some(Typing::Key {
                parent: None,
                partial: ""
            })
        );
        let text = "  - ";
        assert_eq!(
            typing(text, text.len()),
            Some(Typing::Key {
                parent: None,
                partial: ""
            })
        );
        let text = "    quote: \"some words";
        assert_eq!(typing(text, text.len()), None);
    }

    #[test]
    fn a_value_begun_inside_quotes_is_still_a_value() {
        let text = "      - {target: \"x\", rel: \"con";
        assert_eq!(
            typing(text, text.len()),
            Some(Typing::Value {
                key: "rel",
                partial: "con"
            })
        );
        let text = "    kind: 'cl";
        assert_eq!(
            typing(text, text.len()),
            Some(Typing::Value {
                key: "kind",
                partial: "cl"
            })
        );
    }

    #[test]
    fn the_keys_an_item_already_has_are_found_above_and_below() {
        let text = "annotations:\n  - id: a\n    kind: claim\n    \n    quote: x\n    links:\n      - rel: r\n        target: t\n    note: n\n  - id: b\n    start: 1\n";
        let cursor = text.find("    \n").unwrap() + 4;
        assert_eq!(
            keys_of_item(text, cursor),
            ["kind", "id", "quote", "links", "note"]
        );
        // On a key's own line, that key may still be rewritten.
        let cursor = text.find("quote").unwrap() + 2;
        assert_eq!(keys_of_item(text, cursor), ["kind", "id", "links", "note"]);
        // On the item's `- ` line.
        let cursor = text.find("id: b").unwrap() + 1;
        assert_eq!(keys_of_item(text, cursor), ["start"]);
    }

    #[test]
    fn a_links_rel_is_read_from_its_item() {
        let text = "    links:\n      - rel: cites\n        target: x";
        let item = item_around(text, text.len());
        assert_eq!(value_in(item, "rel"), Some("cites"));
        assert_eq!(
            value_in("{rel: refers-to, target: }", "rel"),
            Some("refers-to")
        );
    }
}
