//! `annot textconv`: an annotation file as one line per annotation, so that
//! `git diff` and `git log -p` of an annotation file show what changed in
//! the annotations rather than in the YAML (SPEC §13).
//!
//! A line is `ID KIND START..END "QUOTE"` (`ID KIND` for an annotation
//! without a span), then its links as `-> REL TARGET`, then its attributes,
//! `prefix`, `suffix`, `note` and drift status, so that every edit a person
//! can make shows. Quotes and notes are JSON strings; every other text has
//! its control characters made visible, as in every report.

use crate::model::{Annotation, AnnotationFile};
use crate::report::text::{is_hidden, visible};
use std::fmt::Write;

pub fn render(file: &AnnotationFile) -> String {
    let mut out = String::new();
    if let Some(source) = &file.source {
        let _ = write!(out, "source {}", visible(&source.value));
        if let Some(sha) = &file.sha256 {
            let _ = write!(out, " sha256 {}", visible(&sha.value));
        }
        out.push('\n');
    }
    for annotation in &file.annotations {
        line(&mut out, annotation);
        out.push('\n');
    }
    out
}

fn line(out: &mut String, a: &Annotation) {
    let _ = write!(out, "{} {}", visible(&a.id.value), visible(&a.kind.value));
    match (&a.start, &a.end) {
        (Some(start), Some(end)) => {
            let _ = write!(out, " {}..{}", start.value, end.value);
        }
        (Some(start), None) => {
            let _ = write!(out, " {}..", start.value);
        }
        (None, Some(end)) => {
            let _ = write!(out, " ..{}", end.value);
        }
        (None, None) => {}
    }
    if let Some(quote) = &a.quote {
        let _ = write!(out, " {}", json_string(&quote.value));
    }
    for link in &a.links {
        let _ = write!(
            out,
            " -> {} {}",
            visible(&link.rel.value),
            visible(&link.target.value)
        );
        if let Some(note) = &link.note {
            let _ = write!(out, " {}", json_string(note));
        }
    }
    for (name, value) in &a.attrs {
        let value = serde_json::to_string(&value.to_json()).unwrap_or_default();
        let _ = write!(out, " {}={}", visible(&name.value), escape_rest(value));
    }
    for (name, text) in [
        ("prefix", &a.prefix),
        ("suffix", &a.suffix),
        ("note", &a.note),
    ] {
        if let Some(text) = text {
            let _ = write!(out, " {name}={}", json_string(&text.value));
        }
    }
    if let Some(drift) = &a.drift {
        let _ = write!(out, " drift={}", drift.value.status.as_str());
    }
}

/// `s` as a JSON string, with the characters JSON leaves as they are but a
/// terminal would act on (DEL, the C1 controls, invisible characters) as
/// `\u` escapes too: still valid JSON, and safe to print.
fn json_string(s: &str) -> String {
    escape_rest(serde_json::to_string(s).unwrap_or_default())
}

fn escape_rest(json: String) -> String {
    if !json.chars().any(is_hidden) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 8);
    for c in json.chars() {
        if is_hidden(c) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(yaml: &str) -> String {
        let loaded = crate::load::annotation_file("annotations/a.yaml", yaml.as_bytes());
        render(&loaded.value.expect("loads"))
    }

    #[test]
    fn one_line_per_annotation_with_span_quote_and_links() {
        let text = rendered(
            &format!("source: seeds/a.txt\nsha256: \"{}\"\nannotations:\n  - id: a.1\n    kind: claim\n    quote: \"say \\\"no\\\"\"\n    start: 3\n    end: 11\n    links:\n      - {{rel: cites, target: e.x}}\n    note: checked\n", "ab".repeat(32)),
        );
        assert_eq!(
            text,
            format!("source seeds/a.txt sha256 {}\na.1 claim 3..11 \"say \\\"no\\\"\" -> cites e.x note=\"checked\"\n", "ab".repeat(32))
        );
    }

    #[test]
    fn control_characters_never_reach_the_output() {
        let text = rendered(
            "annotations:\n  - id: e.1\n    kind: \"ent\\e[31m\"\n    note: \"bell\\a del\\x7f c1\\u0085 rlo\\u202e\"\n",
        );
        assert!(text.chars().all(|c| c == '\n' || !is_hidden(c)), "{text:?}");
        assert_eq!(
            text,
            "e.1 ent\\u{1b}[31m note=\"bell\\u0007 del\\u007f c1\\u0085 rlo\\u202e\"\n"
        );
    }
}
