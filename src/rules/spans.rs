//! Rules about an annotation file against its source: the source can be read
//! safely, the pin matches its current text, and each span quotes exactly
//! what it claims, with matching context, on grapheme boundaries.

use super::{FileResult, Seeds};
use crate::anchor::{self, describe_difference};
use crate::finding::{Code, Finding, Place};
use crate::load::{did_you_mean, place};
use crate::model::{Annotation, AnnotationFile, At, Drift, DriftStatus};
use crate::source::SourceText;
use crate::workspace::{at, PinStatus, SourceProblem};
use std::sync::Arc;

/// `drift-unresolved` for one annotation: what the drift is, and the way
/// out — the proposal and how to accept it, the candidates, or the fix by
/// hand.
fn drift_finding(
    file: &AnnotationFile,
    annotation: &Annotation,
    drift: &At<Drift>,
    current: Option<&SourceText>,
) -> Finding {
    let id = &annotation.id.value;
    let d = &drift.value;
    let mut message = format!(
        "annotation `{id}` still carries `drift` ({}): `annot reanchor` could not carry it to the new text; it was {}..{} {:?}",
        d.status.as_str(),
        d.old_start,
        d.old_end,
        d.old_quote
    );
    let by_hand =
        "correct `quote`, `start` and `end` by hand, then delete the whole `drift:` entry";
    let help = match (&d.proposal, d.status) {
        (Some(p), _) => {
            let found = current.map(|text| text.slice(p.start as usize, p.end as usize));
            let only = p.reason.as_deref().map_or(String::new(), |r| {
                format!(", {}", crate::drift::describe_reason(r))
            });
            message.push_str(&format!(
                "; proposed: {}..{} {:?} (confidence {:.2}{only})",
                p.start, p.end, p.quote, p.confidence
            ));
            match found {
                Some(Some(text)) if text == p.quote => format!(
                    "check the proposal against the source, then accept it with `annot reanchor --accept {id}`; or {by_hand}"
                ),
                Some(Some(text)) => format!(
                    "the proposal no longer matches the source: its text at {}..{} is now {text:?}; {by_hand}",
                    p.start, p.end
                ),
                Some(None) => format!(
                    "the proposal no longer fits the source: {}..{} is beyond its end; {by_hand}",
                    p.start, p.end
                ),
                None => format!(
                    "the file is not pinned to the current text of its source, so the proposal cannot be checked: run `annot reanchor --write` first, or {by_hand}"
                ),
            }
        }
        (None, DriftStatus::Ambiguous) if !d.candidates.is_empty() => {
            let places: Vec<String> = d
                .candidates
                .iter()
                .map(|(s, e)| format!("{s}..{e}"))
                .collect();
            format!(
                "the quote fits several places equally well ({}): pick the one meant, {by_hand}",
                places.join(", ")
            )
        }
        (None, DriftStatus::Deleted) => format!(
            "there is no proposal: the quoted text is gone from the source; find what replaced it (`annot diff` shows the change) and {by_hand}, or remove the annotation"
        ),
        (None, _) => format!("there is no proposal: {by_hand}"),
    };
    Finding::new(Code::DriftUnresolved, at(file, drift.pos), message)
        .with_id(id)
        .with_help(help)
}

/// The checks of one annotation file against its source. A pin that differs
/// from the source's current text is returned instead of judged: whether
/// that version exists is a question for history ([`pin_finding`]).
pub fn check_file(
    file: &AnnotationFile,
    source: Option<&Result<Arc<SourceText>, SourceProblem>>,
    seeds: Seeds,
) -> (Vec<Finding>, Option<At<String>>) {
    let mut findings = Vec::new();
    // A proposal can be checked against the text only when the file is
    // pinned to it, as `annot reanchor --write` leaves it.
    let current = match source {
        Some(Ok(text)) if file.sha256.as_ref().map(|s| s.value.as_str()) == Some(text.sha256()) => {
            Some(&**text)
        }
        _ => None,
    };
    for annotation in &file.annotations {
        if let Some(drift) = &annotation.drift {
            findings.push(drift_finding(file, annotation, drift, current));
        }
    }
    let Some(source_path) = &file.source else {
        return (findings, None);
    };
    let source = match source {
        Some(Ok(source)) => source,
        Some(Err(problem)) => {
            findings.push(source_problem(seeds, file, problem));
            return (findings, None);
        }
        None => return (findings, None),
    };
    match &file.sha256 {
        None if !file.complete => {}
        None => findings.push(
            Finding::new(
                Code::Unanchored,
                at(file, source_path.pos),
                format!(
                    "{} has no `sha256`: the version of {} these spans were made on is not pinned",
                    file.path, source_path.value
                ),
            )
            .with_help(format!(
                "run `annot anchor {}` to pin the current version (sha256: {})",
                file.path,
                source.sha256()
            )),
        ),
        Some(pin) if pin.value != source.sha256() => return (findings, Some(pin.clone())),
        Some(_) => {}
    }
    check_file_spans(file, source, &mut findings);
    (findings, None)
}

/// The finding for a pin that differs from its source's current text, once
/// history has said whether the pinned version exists.
pub fn pin_finding(
    result: &FileResult,
    pin: &At<String>,
    status: Option<&PinStatus>,
) -> Option<Finding> {
    let source = result.source.as_ref()?;
    let current = result.source_sha256.as_deref()?;
    let path = &source.value;
    let not_checked = format!(
        "the {} spans of this file were not checked against the current text",
        result.annotations
    );
    let finding = match status {
        Some(PinStatus::Unknown) => Finding::new(
            Code::PinUnknown,
            place(&result.path, pin.pos),
            format!(
                "no version of {path} with sha256 {} exists in the working tree, the index or the history reachable from HEAD: the text these spans were made on cannot be found",
                pin.value
            ),
        )
        .with_label("unknown version")
        .with_help(format!(
            "{not_checked}. If the pin was mistyped, correct it (the current text has sha256 {current}); if the old text is lost, check each span against the current text and set `sha256` to the current version"
        )),
        status => {
            let found = match status {
                Some(PinStatus::Known(place)) => format!("; the pinned version is in {place}"),
                _ => String::new(),
            };
            Finding::new(
                Code::PinMismatch,
                place(&result.path, pin.pos),
                format!(
                    "{path} has changed since these annotations were made: its sha256 is now {current}, the file pins {}{found}",
                    pin.value
                ),
            )
            .with_label("pinned version")
            .with_help(format!(
                "{not_checked}. Run `annot diff` to see where each one went, then `annot reanchor --write` to carry the safe ones over and mark the rest for review; sha256 of the new text: {current}"
            ))
        }
    };
    Some(finding)
}

fn source_problem(seeds: Seeds, file: &AnnotationFile, problem: &SourceProblem) -> Finding {
    let Some(source) = &file.source else {
        unreachable!("only files with a source reach here")
    };
    let path = &source.value;
    let place = at(file, source.pos);
    match problem {
        SourceProblem::OutsideSeeds(why) => Finding::new(
            Code::SourceOutsideSeeds,
            place,
            format!("source {path:?} {why}"),
        )
        .with_help("name a file under seeds/ with a plain relative path, e.g. `source: seeds/report.txt`"),
        SourceProblem::Missing(why) => {
            let names: Vec<&str> = seeds.paths.iter().map(String::as_str).collect();
            let renamed = file
                .sha256
                .as_ref()
                .and_then(|pin| (seeds.with_sha256)(&pin.value));
            let help = match (renamed, did_you_mean(path, &names)) {
                (Some(renamed), _) => format!(
                    "{renamed} has exactly the pinned text (sha256 {}): if the seed was renamed, write `source: {renamed}`",
                    file.sha256.as_ref().map_or("", |pin| pin.value.as_str())
                ),
                (None, Some(best)) if file.sha256.is_some() => {
                    format!("did you mean `{best}`? (its text is not the pinned version)")
                }
                (None, Some(best)) => format!("did you mean `{best}`?"),
                (None, None) if names.is_empty() => "seeds/ holds no files yet: add the document there".to_string(),
                (None, None) => format!("seeds/ holds: {}", names.join(", ")),
            };
            Finding::new(Code::SourceMissing, place, format!("source {path} {why}")).with_help(help)
        }
        SourceProblem::NotUtf8(bad) => Finding::new(
            Code::SourceNotUtf8,
            place,
            format!(
                "source {path} is not valid UTF-8: byte 0x{:02x} at byte offset {} (line {}); its annotations were not checked",
                bad.byte, bad.offset, bad.line
            ),
        )
        .with_help("re-save the document as UTF-8 (e.g. `iconv -f WINDOWS-1252 -t UTF-8`), then re-anchor its annotations"),
        SourceProblem::Unreadable(why) => Finding::new(
            Code::SourceMissing,
            place,
            format!("source {path} cannot be read: {why}"),
        )
        .with_help("make the file readable, or correct `source:`"),
    }
}

/// A place in a source text, for pointing at it beside the YAML.
fn source_place(path: &str, source: &SourceText, start: usize, end: usize) -> Place {
    let (line, column) = source.line_column(start);
    let from = source.byte_of(start).unwrap_or(source.text().len());
    let to = source.byte_of(end).unwrap_or(source.text().len());
    Place {
        file: path.to_string(),
        line,
        column,
        start: from,
        end: to.max(from),
    }
}

/// Checks every span of a file against the source text it pins.
pub fn check_file_spans(file: &AnnotationFile, source: &SourceText, findings: &mut Vec<Finding>) {
    let path = file.source.as_ref().map_or("", |s| s.value.as_str());
    // Every quote is looked for once, in one pass over the source: a search
    // per annotation would be quadratic in large files.
    let quotes: Vec<&str> = file
        .annotations
        .iter()
        .filter(|a| a.drift.is_none() && a.span().is_some())
        .filter_map(|a| a.quote.as_ref().map(|q| q.value.as_str()))
        .collect();
    let occurrences = source.occurrences_of_each(&quotes);
    for annotation in &file.annotations {
        check_span(file, path, source, annotation, &occurrences, findings);
    }
}

type Occurrences<'q> = foldhash::HashMap<&'q str, Vec<(usize, usize)>>;

fn check_span(
    file: &AnnotationFile,
    path: &str,
    source: &SourceText,
    annotation: &Annotation,
    occurrences: &Occurrences,
    findings: &mut Vec<Finding>,
) {
    let id = annotation.id.value.as_str();
    // A drifted span still holds its old offsets: only `drift-unresolved`
    // speaks for it until a person fixes it.
    if annotation.drift.is_some() {
        return;
    }
    let Some(quote) = &annotation.quote else {
        return;
    };
    let Some((start, end)) = annotation.span() else {
        if !annotation.complete {
            return;
        }
        let occurrences = source.occurrences(&quote.value);
        let (found, help) = match occurrences.as_slice() {
            [] => match anchor::near_match(source, &quote.value) {
                Some(near) => (
                    format!("the quote does not occur in {path}; {}", near.described(source)),
                    format!("{}, then run `annot anchor {}` to fill in the offsets", near.fix(), file.path),
                ),
                None => (
                    format!("the quote does not occur in {path}"),
                    "copy the quote exactly from the source (quote marks, dashes and spaces included); `annot anchor` can then fill in the offsets".to_string(),
                ),
            },
            [(s, e)] => (
                format!("it occurs once, at {s}..{e}"),
                format!("run `annot anchor {}` to fill in the offsets", file.path),
            ),
            many => {
                let list: Vec<String> = many.iter().take(8).map(|(s, e)| format!("{s}..{e}")).collect();
                (
                    format!("it occurs {} times ({})", many.len(), list.join(", ")),
                    format!("add `prefix:` (the words just before the one you mean) or `suffix:` (just after), then run `annot anchor {}`", file.path),
                )
            }
        };
        findings.push(
            Finding::new(
                Code::Unanchored,
                at(file, quote.pos),
                format!("annotation `{id}` has a `quote` but no `start`/`end`; {found}"),
            )
            .with_id(id)
            .with_help(help),
        );
        return;
    };
    let (start_at, end_at) = match (&annotation.start, &annotation.end) {
        (Some(s), Some(e)) => (s.pos, e.pos),
        _ => return,
    };
    let len = source.char_len();
    if start >= end {
        findings.push(
            Finding::new(
                Code::SpanRange,
                at(file, start_at),
                format!("start ({start}) must be less than end ({end})"),
            )
            .with_id(id)
            .with_help(where_it_occurs(
                source,
                &quote.value,
                "set `start` and `end` to the quote's place",
            )),
        );
        return;
    }
    if end > len as u64 {
        findings.push(
            Finding::new(
                Code::SpanRange,
                at(file, end_at),
                format!("end ({end}) is beyond the end of {path}, which is {len} code points long"),
            )
            .with_id(id)
            .with_help(
                other_unit(source, &quote.value, start, end).unwrap_or_else(|| {
                    where_it_occurs(
                        source,
                        &quote.value,
                        "offsets count Unicode code points (not bytes) from 0",
                    )
                }),
            ),
        );
        return;
    }
    let (start, end) = (start as usize, end as usize);
    let found = source.slice(start, end).unwrap_or("");
    if found != quote.value {
        findings.push(quote_mismatch(
            file, path, source, annotation, quote, start, end, found,
        ));
        return;
    }
    check_context(file, path, source, annotation, start, end, findings);
    let found = occurrences.get(quote.value.as_str()).map_or(&[][..], |v| v);
    check_ambiguity(file, source, annotation, found, findings);
    for (offset, pos) in [(start, start_at), (end, end_at)] {
        if !source.is_grapheme_boundary(offset) {
            findings.push(
                Finding::new(
                    Code::SpanSplitsGrapheme,
                    at(file, pos),
                    format!("offset {offset} falls inside a grapheme cluster (a letter and its combining mark, or an emoji sequence)"),
                )
                .with_id(id)
                .with_related(source_place(path, source, offset.saturating_sub(1), (offset + 1).min(len)), "the cluster that is split")
                .with_help("move the boundary so that the whole character (with its marks) is inside or outside the span"),
            );
        }
    }
}

/// When `start..end` are the offsets of an occurrence of the quote counted
/// in another unit — UTF-8 bytes or UTF-16 code units, as many tools count —
/// the help that says so and gives the code points.
fn other_unit(source: &SourceText, quote: &str, start: u64, end: u64) -> Option<String> {
    let text = source.text();
    if text.is_ascii() || start >= end {
        return None;
    }
    let holds_quote = |from: usize, to: usize| text.get(from..to) == Some(quote);
    let code_points = |from: usize, to: usize| (source.char_of(from), source.char_of(to));
    if let (Ok(from), Ok(to)) = (usize::try_from(start), usize::try_from(end)) {
        if holds_quote(from, to) {
            let (s, e) = code_points(from, to);
            return Some(format!(
                "{start}..{end} are the quote's UTF-8 byte offsets; annot counts Unicode code points: set `start: {s}` and `end: {e}`"
            ));
        }
    }
    // The byte offsets of these UTF-16 offsets, in one pass up to `end`.
    let (mut units, mut from) = (0u64, None);
    let mut to = None;
    for (byte, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        if units == start {
            from = Some(byte);
        }
        if units == end {
            to = Some(byte);
            break;
        }
        if units > end {
            break;
        }
        units += c.len_utf16() as u64;
    }
    let (from, to) = (from?, to?);
    if !holds_quote(from, to) {
        return None;
    }
    let (s, e) = code_points(from, to);
    Some(format!(
        "{start}..{end} are the quote's UTF-16 offsets (as JavaScript counts); annot counts Unicode code points: set `start: {s}` and `end: {e}`"
    ))
}

fn where_it_occurs(source: &SourceText, quote: &str, otherwise: &str) -> String {
    match source.occurrences(quote).as_slice() {
        [] => format!("{otherwise}; the quote does not occur in the text as written"),
        [(s, e)] => format!("the quote occurs at {s}..{e}: set `start: {s}` and `end: {e}`"),
        many => format!(
            "the quote occurs {} times, first at {}..{}: pick one and add `prefix`/`suffix`",
            many.len(),
            many[0].0,
            many[0].1
        ),
    }
}

#[allow(clippy::too_many_arguments)]
fn quote_mismatch(
    file: &AnnotationFile,
    path: &str,
    source: &SourceText,
    annotation: &Annotation,
    quote: &crate::model::At<String>,
    start: usize,
    end: usize,
    found: &str,
) -> Finding {
    let id = annotation.id.value.as_str();
    let occurrences = source.occurrences(&quote.value);
    let mut message = format!("the text at {start}..{end} is {found:?}, not the quote");
    // The exact quote over part of the span means the offsets are off, not
    // the quote: "they differ only in whitespace" would point the wrong way.
    let overlapped = occurrences.iter().find(|(s, e)| *s < end && start < *e);
    match (overlapped, describe_difference(&quote.value, found)) {
        (Some((s, e)), _) => {
            message.push_str(&format!(" (the offsets are off: the quote is at {s}..{e})"))
        }
        (None, Some(kind)) => message.push_str(&format!(" (they differ only in {kind})")),
        (None, None) => {}
    }
    let mut finding = Finding::new(Code::QuoteMismatch, at(file, quote.pos), message)
        .with_id(id)
        .with_label("the quote")
        .with_related(
            source_place(path, source, start, end),
            format!("text at {start}..{end}"),
        );
    let unit = other_unit(source, &quote.value, start as u64, end as u64);
    let help = match occurrences.as_slice() {
        [] => match anchor::near_match(source, &quote.value) {
            Some(near) if (near.start, near.end) == (start, end) => near.fix(),
            Some(near) => {
                let (s, e) = (near.start, near.end);
                finding = finding.with_related(source_place(path, source, s, e), format!("the quote differs only in {} from the text here, at {s}..{e}", near.difference));
                format!("the source writes it {:?} at {s}..{e}: {} and set `start: {s}` and `end: {e}`", near.text, near.fix())
            }
            None => "the quote does not occur anywhere in the source as written: correct `quote` to the source's exact text, or the offsets to where it is".to_string(),
        },
        _ if unit.is_some() => unit.unwrap_or_default(),
        [(s, e)] => {
            finding = finding.with_related(source_place(path, source, *s, *e), format!("the quote occurs here, at {s}..{e}"));
            format!("the quote occurs once, at {s}..{e}: set `start: {s}` and `end: {e}`")
        }
        many => {
            let nearest = many
                .iter()
                .min_by_key(|(s, _)| s.abs_diff(start))
                .copied()
                .unwrap_or(many[0]);
            finding = finding.with_related(
                source_place(path, source, nearest.0, nearest.1),
                format!("the nearest occurrence of the quote, at {}..{}", nearest.0, nearest.1),
            );
            let list: Vec<String> = many.iter().take(8).map(|(s, e)| format!("{s}..{e}")).collect();
            format!(
                "the quote occurs {} times ({}); set `start`/`end` to the one you mean and add `prefix`/`suffix`",
                many.len(),
                list.join(", ")
            )
        }
    };
    finding.with_help(help)
}

fn check_context(
    file: &AnnotationFile,
    path: &str,
    source: &SourceText,
    annotation: &Annotation,
    start: usize,
    end: usize,
    findings: &mut Vec<Finding>,
) {
    let id = annotation.id.value.as_str();
    if let Some(prefix) = &annotation.prefix {
        let n = prefix.value.chars().count();
        let from = start.saturating_sub(n);
        let actual = source.slice(from, start).unwrap_or("");
        if actual != prefix.value {
            findings.push(
                Finding::new(
                    Code::ContextMismatch,
                    at(file, prefix.pos),
                    format!(
                        "`prefix` does not match: the {} code points before {start} are {actual:?}",
                        start - from
                    ),
                )
                .with_id(id)
                .with_related(
                    source_place(path, source, from, start),
                    "the text before the span",
                )
                .with_help(format!(
                    "`prefix` is the text immediately before the span; here it would be {actual:?}"
                )),
            );
        }
    }
    if let Some(suffix) = &annotation.suffix {
        let n = suffix.value.chars().count();
        let to = (end + n).min(source.char_len());
        let actual = source.slice(end, to).unwrap_or("");
        if actual != suffix.value {
            findings.push(
                Finding::new(
                    Code::ContextMismatch,
                    at(file, suffix.pos),
                    format!(
                        "`suffix` does not match: the {} code points after {end} are {actual:?}",
                        to - end
                    ),
                )
                .with_id(id)
                .with_related(
                    source_place(path, source, end, to),
                    "the text after the span",
                )
                .with_help(format!(
                    "`suffix` is the text immediately after the span; here it would be {actual:?}"
                )),
            );
        }
    }
}

fn check_ambiguity(
    file: &AnnotationFile,
    source: &SourceText,
    annotation: &Annotation,
    occurrences: &[(usize, usize)],
    findings: &mut Vec<Finding>,
) {
    if occurrences.len() < 2 {
        return;
    }
    let prefix = annotation.prefix.as_ref().map(|p| p.value.as_str());
    let suffix = annotation.suffix.as_ref().map(|s| s.value.as_str());
    let matching = anchor::select_by_context(source, occurrences, prefix, suffix);
    if matching.len() < 2 {
        return;
    }
    let id = annotation.id.value.as_str();
    let list: Vec<String> = matching
        .iter()
        .take(8)
        .map(|(s, e)| format!("{s}..{e}"))
        .collect();
    let what = if prefix.is_some() || suffix.is_some() {
        "even with its prefix/suffix"
    } else {
        "and it has no prefix/suffix"
    };
    findings.push(
        Finding::new(
            Code::AmbiguousQuote,
            at(file, annotation.quote.as_ref().map_or(annotation.pos, |q| q.pos)),
            format!("the quote of `{id}` occurs {} times ({}) {what}", matching.len(), list.join(", ")),
        )
        .with_id(id)
        .with_help(format!("run `annot anchor {}` to add the context that tells them apart, so the span survives edits of the source", file.path)),
    );
}
