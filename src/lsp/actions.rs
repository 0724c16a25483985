//! Quick fixes, each a `WorkspaceEdit` that changes what `annot anchor` or
//! `annot reanchor --write` would change and nothing else: the new text is
//! planned by the commands' own format-preserving editor, and sent as the
//! one edit between the old text and the new.

use super::cursor;
use super::diagnostics::{self, Texts};
use super::documents::Document;
use super::encoding::Encoding;
use super::session::Session;
use crate::commands;
use crate::finding::{Code, Finding};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, CodeActionResponse,
    TextEdit, WorkspaceEdit,
};
use std::collections::HashMap;

/// At most this many "anchor at this occurrence" choices are offered.
const MOST_CHOICES: usize = 10;

pub fn actions(session: &Session, params: CodeActionParams) -> Option<CodeActionResponse> {
    let doc = session.document(&params.text_document.uri)?;
    let rel = doc.rel.as_deref()?;
    let root = session.root.as_deref()?;
    if !rel.starts_with("annotations/") {
        return Some(Vec::new());
    }
    let start = doc.offset(params.range.start, session.encoding);
    let end = doc.offset(params.range.end, session.encoding);
    let outcome = session.outcome.as_ref()?;
    let wanted = |kind: &CodeActionKind| wants(params.context.only.as_deref(), kind);
    let mut out = Vec::new();
    // `source.fixAll`, when asked for by name: the file's safe drift
    // carried over, wherever the cursor is.
    let fix_all = CodeActionKind::SOURCE_FIX_ALL;
    if params.context.only.is_some() && wanted(&fix_all) {
        let pin = outcome
            .findings
            .iter()
            .find(|f| f.place.file == rel && f.code == Code::PinMismatch);
        if let Some(pin) = pin {
            let diagnostic = diagnostics::diagnostic(session, doc, pin, &mut Texts::new(session));
            out.extend(reanchor(session, doc, root, rel, diagnostic, fix_all));
        }
    }
    if !wanted(&CodeActionKind::QUICKFIX) {
        return Some(out);
    }
    // The findings the range touches, on whole lines (a cursor at the
    // start of a line counts), and those about the annotation the cursor
    // is in.
    let (line_start, line_end) = cursor::line_around(&doc.text, start, end);
    let in_annotation = cursor::annotation_file(doc).and_then(|file| {
        file.annotations
            .iter()
            .find(|a| {
                // A cursor before the `- ` of an item's first line is in it.
                let (from, to) = cursor::extent(a);
                from <= line_end && start <= to
            })
            .map(|a| a.id.value.clone())
    });
    let here: Vec<&Finding> = outcome
        .findings
        .iter()
        .filter(|f| f.place.file == rel)
        .filter(|f| {
            (f.place.start <= line_end && line_start <= f.place.end)
                || (in_annotation.is_some() && f.id == in_annotation)
        })
        .collect();
    let bytes = doc.text.as_bytes();
    let mut texts = Texts::new(session);
    let mut offered_reanchor = false;
    for finding in here {
        let diagnostic = diagnostics::diagnostic(session, doc, finding, &mut texts);
        let mut add = |title: String, text: String, preferred: bool| {
            if let Some(edit) = workspace_edit(doc, &text, session.encoding) {
                out.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title,
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![diagnostic.clone()]),
                    edit: Some(edit),
                    is_preferred: Some(preferred),
                    ..CodeAction::default()
                }));
            }
        };
        match (finding.code, finding.id.as_deref()) {
            // A file without its pin: only the pin is added.
            (Code::Unanchored, None) => {
                if let (Some(text), _) = commands::anchored_text(root, rel, bytes, Some("")) {
                    add(
                        "Pin the source: add its `sha256`, as `annot anchor` does".to_string(),
                        text,
                        true,
                    );
                }
            }
            (Code::Unanchored | Code::AmbiguousQuote, Some(id)) => {
                match commands::anchored_text(root, rel, bytes, Some(id)) {
                    (Some(text), _) => {
                        add(format!("Anchor `{id}`, as `annot anchor` does"), text, true)
                    }
                    (None, _) => {
                        for choice in
                            commands::occurrence_choices(root, rel, bytes, id, MOST_CHOICES)
                        {
                            add(choice.title, choice.text, false);
                        }
                    }
                }
            }
            (Code::QuoteMismatch | Code::SpanRange | Code::ContextMismatch, Some(id)) => {
                if let Some(choice) = commands::moved_to_quote(root, rel, bytes, id) {
                    add(choice.title, choice.text, true);
                }
            }
            (Code::Schema, _) => {
                if let Some((given, suggested)) = unknown_field(finding) {
                    let mut text = doc.text.clone();
                    let (s, e) = (finding.place.start, finding.place.end);
                    if text.get(s..e) == Some(given) {
                        text.replace_range(s..e, suggested);
                        add(format!("Rename `{given}` to `{suggested}`"), text, true);
                    }
                }
            }
            (Code::PinMismatch, _) if !offered_reanchor => {
                offered_reanchor = true;
                let quickfix = CodeActionKind::QUICKFIX;
                if let Some(action) =
                    reanchor(session, doc, root, rel, diagnostic.clone(), quickfix)
                {
                    out.push(action);
                }
            }
            _ => {}
        }
    }
    Some(out)
}

/// Whether a client that asks for `only` these kinds wants `kind`: one of
/// them is `kind` or a kind it belongs to (`source` holds `source.fixAll`).
fn wants(only: Option<&[CodeActionKind]>, kind: &CodeActionKind) -> bool {
    let Some(only) = only else { return true };
    only.iter().any(|asked| {
        let (asked, kind) = (asked.as_str(), kind.as_str());
        kind == asked || kind.starts_with(&format!("{asked}."))
    })
}

/// The field name and the suggestion of an "unknown field" finding, as the
/// loader words them.
fn unknown_field(finding: &Finding) -> Option<(&str, &str)> {
    let given = finding.message.strip_prefix("unknown field `")?;
    let given = &given[..given.find('`')?];
    let suggested = finding.help.as_deref()?.strip_prefix("did you mean `")?;
    let suggested = &suggested[..suggested.find('`')?];
    Some((given, suggested))
}

/// `annot reanchor --write` for this file, offered while the buffer holds
/// what is on disk (the command works on the saved file).
fn reanchor(
    session: &Session,
    doc: &Document,
    root: &std::path::Path,
    rel: &str,
    diagnostic: lsp_types::Diagnostic,
    kind: CodeActionKind,
) -> Option<CodeActionOrCommand> {
    let on_disk = std::fs::read(root.join(rel)).ok()?;
    if on_disk != doc.text.as_bytes() {
        return None;
    }
    let (text, applied, flagged) = crate::review::reanchored_text(root, rel).ok()??;
    let title = match flagged {
        0 => format!("Reanchor this file: carry {applied} span(s) over to the new text"),
        _ => format!(
            "Reanchor this file: carry {applied} span(s) over, mark {flagged} with `drift:` for review"
        ),
    };
    Some(CodeActionOrCommand::CodeAction(CodeAction {
        title,
        kind: Some(kind),
        diagnostics: Some(vec![diagnostic]),
        edit: workspace_edit(doc, &text, session.encoding),
        is_preferred: Some(flagged == 0),
        ..CodeAction::default()
    }))
}

/// The edit that turns the document's text into `new`: one replacement of
/// what differs between them.
fn workspace_edit(doc: &Document, new: &str, encoding: Encoding) -> Option<WorkspaceEdit> {
    let old = doc.text.as_str();
    if old == new {
        return None;
    }
    let mut prefix = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let mut suffix = old[prefix..]
        .bytes()
        .rev()
        .zip(new[prefix..].bytes().rev())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    let range = doc.range(prefix, old.len() - suffix, encoding);
    let edit = TextEdit {
        range,
        new_text: new[prefix..new.len() - suffix].to_string(),
    };
    Some(WorkspaceEdit {
        changes: Some(HashMap::from([(doc.uri.clone(), vec![edit])])),
        ..WorkspaceEdit::default()
    })
}
