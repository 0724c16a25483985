//! A workspace made to break a report: a BOM, CRLF line ends, emoji
//! sequences, a decomposed accent, markup and attribute-breaking quotes in
//! every field, overlapping and nested spans, an id with a colon, a broken
//! annotation and a `javascript:` URL.

use super::{sha256, Ws, VOCABULARY};
use std::collections::BTreeMap;

pub const SEED_PATH: &str = "seeds/hostile.txt";

pub const SEED: &str = "\u{feff}Breaking: <script>alert('x')</script> & \"quotes\" say 5 > 3.\r\nThe café — cafe\u{301} — 👩‍👩‍👧 family 🇵🇱 flag.\r\nOverlap here: alpha beta gamma delta.\r\n\r\n  indented\ttab  \r\n";

/// A second, plain source whose metadata has no link at all.
pub const PLAIN_PATH: &str = "seeds/plain one.txt";
pub const PLAIN: &str = "A plain text.\nIt says alpha beta.\n";

pub const NOTE: &str = "<script>alert(1)</script> \"'><img src=x onerror=alert(2)>";

pub struct Hostile {
    pub ws: Ws,
    /// Each placed annotation's quote, by id.
    pub quotes: BTreeMap<String, String>,
}

/// Code-point offsets of the first `quote` in `text` at or after `from`.
pub fn span_of(text: &str, quote: &str, from: usize) -> (usize, usize) {
    let byte_from = text.char_indices().nth(from).map(|(b, _)| b).unwrap();
    let at = text[byte_from..].find(quote).unwrap() + byte_from;
    let start = text[..at].chars().count();
    (start, start + quote.chars().count())
}

fn json(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

pub fn hostile() -> Hostile {
    let ws = Ws::empty();
    ws.write("schema/vocabulary.yaml", VOCABULARY);
    ws.write(".gitattributes", "seeds/** -text\n");
    ws.write(SEED_PATH, SEED);
    ws.write(PLAIN_PATH, PLAIN);
    // No annotation and no metadata: still a source with a page.
    ws.write("seeds/sub/unnamed.txt", "Nobody annotated this.\n");
    ws.write(
        "seeds/sources.yaml",
        format!(
            "{}:\n  title: {}\n  publisher: \"Pub & <Co>\"\n  url: \"javascript:alert(document.cookie)\"\n  note: {}\n{}:\n  publisher: Plain\n  url: \"https://example.org/a?b=1&c=\\\"2\\\"\"\n",
            json(SEED_PATH),
            json("<i>Title</i> \"q\" 'x'"),
            json(NOTE),
            json(PLAIN_PATH),
        ),
    );
    let placed: &[(&str, &str, &str, usize)] = &[
        ("h.script", "claim", "<script>alert('x')</script>", 0),
        ("h.quotes", "claim", "\"quotes\" say 5 > 3", 0),
        ("h.nfd", "note", "cafe\u{301}", 0),
        ("h.emoji", "claim", "👩‍👩‍👧 family 🇵🇱", 0),
        ("h.crlf", "note", "3.\r\nThe café", 0),
        ("h.all", "note", "Overlap here: alpha beta gamma delta.", 0),
        ("h.ab", "claim", "alpha beta gamma", 0),
        ("h.bg", "claim", "beta gamma delta", 0),
        ("h:colon", "note", "gamma", 0),
        ("h.same-a", "claim", "delta", 0),
        ("h.same-b", "note", "delta", 0),
        ("h.tab", "note", "  indented\ttab  \r\n", 0),
        // The same as ids the page itself uses, once prefixed.
        ("main", "note", "flag", 0),
        ("findings", "note", "family", 0),
    ];
    let mut body = String::new();
    let mut quotes = BTreeMap::new();
    for (id, kind, quote, from) in placed {
        let (start, end) = span_of(SEED, quote, *from);
        body.push_str(&format!(
            "  - id: {id}\n    kind: {kind}\n    quote: {}\n    start: {start}\n    end: {end}\n",
            json(quote)
        ));
        match *id {
            "h.script" => body.push_str(&format!(
                "    note: {}\n    attrs: {{figure: 5}}\n    links:\n      - {{rel: about, target: ent.x, note: {}}}\n",
                json(NOTE),
                json("</li><script>alert(3)</script>")
            )),
            "h.ab" => body.push_str(
                "    links:\n      - {rel: contradicts, target: h.bg}\n      - {rel: about, target: ent.x}\n",
            ),
            _ => {}
        }
        quotes.insert(id.to_string(), quote.to_string());
    }
    // The quote is not what the span holds: shown, never highlighted.
    body.push_str("  - id: h.broken\n    kind: claim\n    quote: \"<b>not there</b>\"\n    start: 1\n    end: 9\n");
    ws.write(
        "annotations/hostile.yaml",
        format!(
            "source: {SEED_PATH}\nsha256: {}\nannotations:\n{body}",
            sha256(SEED.as_bytes())
        ),
    );
    let (start, end) = span_of(PLAIN, "alpha beta", 0);
    ws.write(
        "annotations/plain.yaml",
        format!(
            "source: \"{PLAIN_PATH}\"\nsha256: {}\nannotations:\n  - id: p.ab\n    kind: claim\n    quote: alpha beta\n    start: {start}\n    end: {end}\n    links:\n      - {{rel: about, target: ent.x}}\n      - {{rel: contradicts, target: h.ab}}\n",
            sha256(PLAIN.as_bytes())
        ),
    );
    quotes.insert("p.ab".to_string(), "alpha beta".to_string());
    ws.write(
        "annotations/items.yaml",
        format!(
            "annotations:\n  - id: ent.x\n    kind: entity\n    attrs: {{type: person}}\n    note: {}\n",
            json("<b>bold</b> & \"quoted\"")
        ),
    );
    Hostile { ws, quotes }
}
