//! Reading back the pages `annot render` writes, without a browser: the
//! text of the source-text element and of every highlight, the way a DOM
//! would give it (character references decoded, tags dropped).

use std::collections::BTreeMap;

/// Decodes the character references annot's pages use.
pub fn decode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';') else {
            out.push_str(rest);
            return out;
        };
        let name = &rest[1..end];
        let decoded = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ if name.starts_with("#x") || name.starts_with("#X") => {
                u32::from_str_radix(&name[2..], 16)
                    .ok()
                    .and_then(char::from_u32)
            }
            _ if name.starts_with('#') => name[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The value of attribute `name` in a start tag's text, decoded.
pub fn attr(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let at = tag.find(&needle)? + needle.len();
    let end = tag[at..].find('"')? + at;
    Some(decode(&tag[at..end]))
}

/// What the element carrying `data-role="ROLE"` holds: its text, and the
/// text of each highlight in it by the value of `id_attr`, parts joined
/// in document order.
pub struct Text {
    pub text: String,
    pub highlights: BTreeMap<String, String>,
    /// Highlight elements, in document order: (id, kind, drift status).
    pub marks: Vec<(String, String, Option<String>)>,
}

/// Reads the element `<div … data-role="ROLE">` of a page.
pub fn text_of(html: &str, role: &str, id_attr: &str) -> Option<Text> {
    let start_at = html.find(&format!("data-role=\"{role}\""))?;
    let open_end = html[start_at..].find('>')? + start_at + 1;
    let mut out = Text {
        text: String::new(),
        highlights: BTreeMap::new(),
        marks: Vec::new(),
    };
    let mut stack: Vec<Option<String>> = Vec::new();
    let mut rest = &html[open_end..];
    loop {
        let lt = rest.find('<')?;
        let chunk = decode(&rest[..lt]);
        out.text.push_str(&chunk);
        for id in stack.iter().flatten() {
            out.highlights
                .entry(id.clone())
                .or_default()
                .push_str(&chunk);
        }
        let gt = rest[lt..].find('>')? + lt;
        let tag = &rest[lt..=gt];
        rest = &rest[gt + 1..];
        if tag.starts_with("</") {
            if stack.pop().is_none() {
                return Some(out);
            }
        } else if tag.starts_with("<mark") {
            let id = attr(tag, id_attr);
            if let Some(id) = &id {
                out.marks.push((
                    id.clone(),
                    attr(tag, "data-kind").unwrap_or_default(),
                    attr(tag, "data-drift-status"),
                ));
            }
            stack.push(id);
        } else if tag.starts_with("<a") {
            stack.push(None);
        } else {
            panic!("unexpected tag in the source text: {tag}");
        }
    }
}

/// Every value of `data-annot-id` on the page, in order.
pub fn annot_ids(html: &str) -> Vec<String> {
    html.match_indices(" data-annot-id=\"")
        .map(|(at, m)| {
            let from = at + m.len();
            let end = html[from..].find('"').unwrap() + from;
            decode(&html[from..end])
        })
        .collect()
}
