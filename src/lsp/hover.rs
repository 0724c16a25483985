//! Hover: on an annotation, the source text around its span with the span
//! marked and the pin's state; on a link target, the target's kind and
//! quote (or note); on a kind or rel, its vocabulary entry; on `source:`,
//! the seed and the pin.

use super::cursor::{self, Spot};
use super::navigate;
use super::session::Session;
use crate::model::{Annotation, AnnotationFile};
use crate::source::SourceText;
use lsp_types::{Hover, HoverContents, HoverParams, MarkupContent, MarkupKind};

/// Characters of context shown on each side of a span.
const AROUND: usize = 80;

pub fn hover(session: &Session, params: HoverParams) -> Option<Hover> {
    let at = params.text_document_position_params;
    let doc = session.document(&at.text_document.uri)?;
    let file = cursor::annotation_file(doc)?;
    let offset = doc.offset(at.position, session.encoding);
    let spot = cursor::spot(&file, &doc.text, offset)?;
    let (text, pos) = match spot {
        Spot::Span(a) => {
            let pos = cursor::span_field_at(a, &doc.text, offset).unwrap_or(a.id.pos);
            (span_text(session, &file, a), pos)
        }
        Spot::Kind(a) => (kind_text(session, &a.kind.value), a.kind.pos),
        Spot::Rel(link) => (rel_text(session, &link.rel.value), link.rel.pos),
        Spot::Target(link) => (target_text(session, &link.target.value), link.target.pos),
        Spot::Source(source) => (source_text(session, &file), source.pos),
        Spot::Attr(a, name) => (kind_text(session, &a.kind.value), name.pos),
    };
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: text,
        }),
        range: Some(doc.range(pos.start, pos.end, session.encoding)),
    })
}

/// The source of `file`, as the open buffers have it.
pub fn source_of(session: &Session, file: &AnnotationFile) -> Option<Result<SourceText, String>> {
    let path = &file.source.as_ref()?.value;
    let root = session.root.as_ref()?;
    Some(
        session
            .tree()
            .read_source(root, path)
            .map_err(|problem| format!("source {path} {}", problem.describe())),
    )
}

fn pin_state(file: &AnnotationFile, source: &SourceText) -> String {
    match &file.sha256 {
        None => "not pinned yet: `annot anchor` adds the `sha256:` of the source".to_string(),
        Some(pin) if pin.value == source.sha256() => {
            format!("pinned to {}…, the source's current text", short(&pin.value))
        }
        Some(pin) => format!(
            "pinned to {}…, but the source has changed since (now {}…): `annot diff` shows where the spans went",
            short(&pin.value),
            short(source.sha256())
        ),
    }
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}

/// A text shown in a fenced block: a fence longer than any run of
/// backticks inside.
fn fenced(text: &str) -> String {
    fenced_as(text, "text")
}

fn fenced_as(text: &str, language: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}{language}\n{text}\n{fence}")
}

fn span_text(session: &Session, file: &AnnotationFile, a: &Annotation) -> String {
    let mut out = format!("{} · {}\n\n", code(&a.id.value), code(&a.kind.value));
    let Some(source) = source_of(session, file) else {
        out.push_str("not anchored to a source: this file has no `source:`");
        return out;
    };
    let source = match source {
        Ok(source) => source,
        Err(why) => {
            out.push_str(&markdown_escape(&why));
            return out;
        }
    };
    let path = &file
        .source
        .as_ref()
        .map(|s| s.value.clone())
        .unwrap_or_default();
    match a.span() {
        Some((start, end)) if start <= end && (end as usize) <= source.char_len() => {
            let (start, end) = (start as usize, end as usize);
            let from = start.saturating_sub(AROUND);
            let to = (end + AROUND).min(source.char_len());
            let before = source.slice(from, start).unwrap_or("");
            let inside = source.slice(start, end).unwrap_or("");
            let after = source.slice(end, to).unwrap_or("");
            let lead = if from > 0 { "…" } else { "" };
            let trail = if to < source.char_len() { "…" } else { "" };
            out.push_str(&fenced(&format!("{lead}{before}⟦{inside}⟧{after}{trail}")));
            let (line, column) = source.line_column(start);
            out.push_str(&format!(
                "\n\n{start}..{end} of `{path}` (line {line}, column {column})"
            ));
            if let Some(quote) = &a.quote {
                if quote.value != inside {
                    out.push_str(" — **this is not the quote**");
                }
            }
        }
        Some((start, end)) => out.push_str(&format!(
            "{start}..{end} is outside `{path}`, which has {} characters",
            source.char_len()
        )),
        None => match &a.quote {
            Some(quote) => {
                let found = source.occurrences(&quote.value);
                match found.as_slice() {
                    [] => out.push_str("no offsets, and the quote does not occur in the source"),
                    [(s, e)] => out.push_str(&format!(
                        "no offsets yet; the quote occurs once, at {s}..{e}: the quick fix fills them in"
                    )),
                    many => out.push_str(&format!(
                        "no offsets yet; the quote occurs {} times: the quick fixes offer each",
                        many.len()
                    )),
                }
            }
            None => out.push_str("no span: not anchored to the text"),
        },
    }
    out.push_str(&format!("\n\n{}", pin_state(file, &source)));
    out
}

fn source_text(session: &Session, file: &AnnotationFile) -> String {
    let path = file.source.as_ref().map(|s| s.value.as_str()).unwrap_or("");
    match source_of(session, file) {
        Some(Ok(source)) => format!(
            "`{path}`: {} characters\n\n{}",
            source.char_len(),
            pin_state(file, &source)
        ),
        Some(Err(why)) => markdown_escape(&why),
        None => String::new(),
    }
}

/// The lines of a vocabulary entry, as written.
fn vocabulary_lines(session: &Session, pos: crate::yaml::Pos) -> String {
    let Some(text) = session.text_of(crate::workspace::VOCABULARY_PATH) else {
        return String::new();
    };
    let start = text[..pos.start.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let end = text[pos.end.min(text.len())..]
        .find('\n')
        .map_or(text.len(), |i| pos.end + i);
    format!(
        "{}\n\n{}, line {}",
        fenced_as(&text[start..end], "yaml"),
        crate::workspace::VOCABULARY_PATH,
        pos.line
    )
}

fn kind_text(session: &Session, kind: &str) -> String {
    let vocabulary = session.live().and_then(|l| l.vocabulary());
    match vocabulary.and_then(|v| v.kinds.get(kind)) {
        Some(def) => format!(
            "kind {}\n\n{}",
            code(kind),
            vocabulary_lines(session, def.pos)
        ),
        None => format!(
            "kind `{kind}` is not declared in {}",
            crate::workspace::VOCABULARY_PATH
        ),
    }
}

fn rel_text(session: &Session, rel: &str) -> String {
    let vocabulary = session.live().and_then(|l| l.vocabulary());
    match vocabulary.and_then(|v| v.relations.get(rel)) {
        Some(def) => format!(
            "relation {}\n\n{}",
            code(rel),
            vocabulary_lines(session, def.pos)
        ),
        None => format!(
            "relation `{rel}` is not declared in {}",
            crate::workspace::VOCABULARY_PATH
        ),
    }
}

fn target_text(session: &Session, id: &str) -> String {
    let Some(found) = navigate::find_annotation(session, id) else {
        return format!("no annotation has the id `{id}`");
    };
    let a = &found.annotation;
    let mut out = format!(
        "{} · {} — {}:{}",
        code(id),
        code(&a.kind.value),
        found.path,
        a.id.pos.line
    );
    if let Some(quote) = &a.quote {
        out.push_str(&format!("\n\n{}", fenced(&quote.value)));
    } else if let Some(note) = &a.note {
        out.push_str(&format!("\n\n{}", markdown_escape(&note.value)));
    }
    out
}

/// An id or a name as inline code.
fn code(text: &str) -> String {
    let fence = if text.contains('`') { "``" } else { "`" };
    format!("{fence}{text}{fence}")
}

/// Text with the characters Markdown would read escaped.
fn markdown_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\`*_[]<>|".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
