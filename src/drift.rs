//! Drift: carrying spans from one version of a text to the next. Two
//! independent signals decide each span's fate — the span mapped through a
//! diff of the texts, and a search for the exact quote in the new text
//! judged by its context — and a span is called safe (`intact`, `shifted`,
//! `moved`) only when its new text equals the old quote and the choice among
//! equal occurrences is justified by the diff or by context. Anything else
//! is `edited`, `deleted` or `ambiguous`, for a person to review.

mod claim;

use crate::anchor::describe_difference;
use crate::search::Quotes;
use crate::source::SourceText;
use claim::ClaimContext;
use rayon::prelude::*;
use similar::{capture_diff_slices_deadline, Algorithm, DiffOp};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long the diff may take before it degrades to search.
pub const DEFAULT_DEADLINE: Duration = Duration::from_millis(500);
/// Changed hunks larger than this (in code points, either side) are not
/// refined character by character: their spans go to search.
const MAX_REFINE: usize = 20_000;
/// Deleted and inserted lines are paired only up to this many comparisons.
const MAX_PAIRINGS: usize = 250_000;
/// A deleted and an inserted line this similar (shared trigrams) are taken
/// to be one line, moved and perhaps edited.
const MIN_LINE_SIMILARITY: f64 = 0.5;
/// Context compared around a span when the annotation gives none.
const CONTEXT: usize = 32;
/// Among several occurrences, each side of the winner must keep at least
/// this share of its near context: one-sided support is too weak.
const MIN_SIDE: f64 = 0.25;
/// An `edited` proposal must be at least this similar to the old quote;
/// below it the span's text is taken to be gone (`deleted`).
const MIN_EDITED_SIMILARITY: f64 = 0.5;
/// How far context is followed to tell apart several occurrences.
const LONG_CONTEXT: usize = 256;
/// The winner among several occurrences must match this many more
/// characters of context than the runner-up.
const MIN_LEAD: usize = 8;
/// Occurrences of one quote considered at most.
const MAX_CANDIDATES: usize = 64;
/// A candidate is justified by context only when at least this share of
/// the context next to it is unchanged.
const MIN_CONTEXT: f64 = 0.5;
/// The highest confidence of a proposal whose text is the old quote in a
/// sentence that changed around it.
const CONTEXT_CONFIDENCE: f64 = 0.5;
/// A quote at least this long (in code points) that occurs once in the
/// old text and once in the new is taken to be the same passage.
const DISTINCTIVE: usize = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    Intact,
    Shifted,
    Moved,
    Edited,
    Deleted,
    Ambiguous,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Intact => "intact",
            Status::Shifted => "shifted",
            Status::Moved => "moved",
            Status::Edited => "edited",
            Status::Deleted => "deleted",
            Status::Ambiguous => "ambiguous",
        }
    }

    /// Whether the new span can be applied without review.
    pub fn is_safe(self) -> bool {
        matches!(self, Status::Intact | Status::Shifted | Status::Moved)
    }
}

/// A span to carry over: offsets in the old text and what it quoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OldSpan {
    pub start: usize,
    pub end: usize,
    pub quote: String,
    pub prefix: Option<String>,
    pub suffix: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub start: usize,
    pub end: usize,
    pub quote: String,
}

/// What the diff says about a span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffSignal {
    /// The whole span lies in unchanged text: mapped exactly.
    Exact,
    /// Both ends survive, the text between changed.
    Boundaries,
    /// Only part of the span survives.
    Partial,
    /// Nothing of the span survives in the diff.
    None,
}

impl DiffSignal {
    pub fn as_str(self) -> &'static str {
        match self {
            DiffSignal::Exact => "exact",
            DiffSignal::Boundaries => "boundaries",
            DiffSignal::Partial => "partial",
            DiffSignal::None => "none",
        }
    }
}

/// The separate parts of the judgement, reported as they are.
#[derive(Debug, Clone, PartialEq)]
pub struct Signals {
    pub diff: DiffSignal,
    /// Exact occurrences of the quote in the new text.
    pub occurrences: usize,
    /// Share of the context before / after the chosen place that is
    /// unchanged (`None` when there is no context to compare).
    pub prefix: Option<f64>,
    pub suffix: Option<f64>,
    /// Context score of the chosen candidate minus the runner-up's.
    pub margin: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub status: Status,
    /// The new span: `None` for `deleted` and `ambiguous`.
    pub new: Option<Candidate>,
    /// 1.0 for the safe statuses; similarity of old and new text for
    /// `edited`; 0 otherwise.
    pub confidence: f64,
    pub candidates: Vec<Candidate>,
    pub signals: Signals,
    /// For `edited`: the change is only `whitespace`, `punctuation` or
    /// `unicode-normalization`; or `context`, the quote unchanged in a
    /// sentence that changed around it.
    pub reason: Option<&'static str>,
    /// For `context`: the span's sentence in the old text and at the
    /// proposal in the new, for a reviewer to compare.
    pub sentence: Option<Box<(String, String)>>,
}

/// A proposal's `reason` in words, for reports and findings.
pub fn describe_reason(reason: &str) -> String {
    match reason {
        "context" => "the same words, but the sentence around them changed: check the claim".into(),
        "unicode-normalization" => "only Unicode normalization".into(),
        other => format!("only {other}"),
    }
}

/// Unchanged stretches between two texts, in code points.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    /// (old start, new start, length), sorted by old start.
    segments: Vec<(usize, usize, usize)>,
    /// Old ranges whose text moved to another place (a line paired with a
    /// line changed elsewhere, not in place), sorted.
    moved: Vec<(usize, usize)>,
    /// Whether the deadline cut the diff short.
    pub timed_out: bool,
}

impl Mapping {
    /// Diffs two texts by lines, then refines changed hunks by characters.
    pub fn new(old: &str, new: &str, deadline: Duration) -> Mapping {
        let until = Instant::now() + deadline;
        let (old_lines, old_starts) = lines(old);
        let (new_lines, new_starts) = lines(new);
        let ops =
            capture_diff_slices_deadline(Algorithm::Myers, &old_lines, &new_lines, Some(until));
        let mut mapping = Mapping::default();
        let mut pending: Option<(usize, usize, usize, usize)> = None;
        let mut hunks = Vec::new();
        for op in &ops {
            match *op {
                DiffOp::Equal {
                    old_index,
                    new_index,
                    len,
                } => {
                    hunks.extend(pending.take());
                    let start = old_starts[old_index];
                    let length = old_starts[old_index + len] - start;
                    mapping
                        .segments
                        .push((start, new_starts[new_index], length));
                }
                _ => {
                    let (o, ol, n, nl) = match *op {
                        DiffOp::Delete {
                            old_index,
                            old_len,
                            new_index,
                        } => (old_index, old_len, new_index, 0),
                        DiffOp::Insert {
                            old_index,
                            new_index,
                            new_len,
                        } => (old_index, 0, new_index, new_len),
                        DiffOp::Replace {
                            old_index,
                            old_len,
                            new_index,
                            new_len,
                        } => (old_index, old_len, new_index, new_len),
                        DiffOp::Equal { .. } => unreachable!("handled above"),
                    };
                    pending = Some(match pending {
                        Some((o0, _, n0, _)) => (o0, o + ol, n0, n + nl),
                        None => (o, o + ol, n, n + nl),
                    });
                }
            }
        }
        hunks.extend(pending.take());
        // Changed lines, old and new, are paired by similarity (a line
        // edited in place, or moved and perhaps edited on the way) and each
        // pair is refined by characters. Refining a whole multi-line hunk
        // by characters would match scattered letters instead.
        let mut deleted_lines = Vec::new();
        let mut inserted_lines = Vec::new();
        let mut old_hunk = HashMap::new();
        let mut new_hunk = HashMap::new();
        for (h, &(o0, o1, n0, n1)) in hunks.iter().enumerate() {
            deleted_lines.extend(o0..o1);
            inserted_lines.extend(n0..n1);
            old_hunk.extend((o0..o1).map(|d| (d, h)));
            new_hunk.extend((n0..n1).map(|i| (i, h)));
        }
        let elsewhere = |d: usize, i: usize| old_hunk.get(&d) != new_hunk.get(&i);
        let old_side = (&old_lines[..], &old_starts[..]);
        let new_side = (&new_lines[..], &new_starts[..]);
        if deleted_lines.len() * inserted_lines.len() <= MAX_PAIRINGS {
            mapping.pair_lines(
                old_side,
                new_side,
                &deleted_lines,
                &inserted_lines,
                until,
                &elsewhere,
            );
        } else {
            // Too many to compare all: pair lines by position within each hunk.
            for &(o0, o1, n0, n1) in &hunks {
                for (d, i) in (o0..o1).zip(n0..n1) {
                    mapping.pair_lines(old_side, new_side, &[d], &[i], until, &elsewhere);
                }
            }
        }
        mapping.timed_out |= Instant::now() >= until;
        mapping.segments.sort_unstable();
        mapping.moved.sort_unstable();
        mapping.segments.retain(|s| s.2 > 0);
        mapping
    }

    /// Maps unchanged characters between an old and a new line, which
    /// start at code points `a0` and `b0`.
    fn refine(
        &mut self,
        (old, a0): (&str, usize),
        (new, b0): (&str, usize),
        until: Instant,
        moved: bool,
    ) {
        let (a1, b1) = (a0 + old.chars().count(), b0 + new.chars().count());
        if a1 == a0 || b1 == b0 {
            return;
        }
        if moved {
            self.moved.push((a0, a1));
        }
        if a1 - a0 > MAX_REFINE || b1 - b0 > MAX_REFINE || Instant::now() >= until {
            self.timed_out |= Instant::now() >= until;
            return;
        }
        let old: Vec<char> = old.chars().collect();
        let new: Vec<char> = new.chars().collect();
        let inner = capture_diff_slices_deadline(Algorithm::Myers, &old, &new, Some(until));
        for op in inner {
            if let DiffOp::Equal {
                old_index,
                new_index,
                len,
            } = op
            {
                self.segments.push((a0 + old_index, b0 + new_index, len));
            }
        }
    }

    /// Pairs each deleted line with the most similar unpaired inserted line
    /// (by shared character trigrams) and refines each pair by characters.
    fn pair_lines(
        &mut self,
        (old_lines, old_starts): (&[&str], &[usize]),
        (new_lines, new_starts): (&[&str], &[usize]),
        deleted: &[usize],
        inserted: &[usize],
        until: Instant,
        elsewhere: &dyn Fn(usize, usize) -> bool,
    ) {
        if deleted.is_empty() || inserted.is_empty() {
            return;
        }
        let grams = |line: &str| -> std::collections::HashSet<[char; 3]> {
            let chars: Vec<char> = line.chars().collect();
            chars.windows(3).map(|w| [w[0], w[1], w[2]]).collect()
        };
        let inserted_grams: Vec<_> = inserted.iter().map(|&i| grams(new_lines[i])).collect();
        let mut used = vec![false; inserted.len()];
        for &d in deleted {
            if Instant::now() >= until {
                self.timed_out = true;
                return;
            }
            let g = grams(old_lines[d]);
            if g.len() < 4 {
                continue;
            }
            let best = inserted_grams
                .iter()
                .enumerate()
                .filter(|(k, _)| !used[*k])
                .map(|(k, h)| {
                    (
                        k,
                        g.intersection(h).count() as f64 / g.len().max(h.len()) as f64,
                    )
                })
                .max_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((k, score)) = best {
                if score >= MIN_LINE_SIMILARITY {
                    used[k] = true;
                    let i = inserted[k];
                    self.refine(
                        (old_lines[d], old_starts[d]),
                        (new_lines[i], new_starts[i]),
                        until,
                        elsewhere(d, i),
                    );
                }
            }
        }
    }

    /// Whether the text at an old position moved to another place.
    pub fn is_moved(&self, old: usize) -> bool {
        let i = self.moved.partition_point(|r| r.0 <= old);
        i > 0 && old < self.moved[i - 1].1
    }

    fn segment_at(&self, old: usize) -> Option<(usize, usize, usize)> {
        let i = self.segments.partition_point(|s| s.0 <= old);
        let seg = *self.segments.get(i.checked_sub(1)?)?;
        (old < seg.0 + seg.2).then_some(seg)
    }

    /// Where an unchanged old code point is in the new text.
    pub fn map(&self, old: usize) -> Option<usize> {
        self.segment_at(old).map(|(o, n, _)| n + (old - o))
    }

    /// The new span of an old span lying wholly in one unchanged stretch.
    fn map_exact(&self, start: usize, end: usize) -> Option<(usize, usize)> {
        let (o, n, len) = self.segment_at(start)?;
        (end <= o + len).then(|| (n + start - o, n + end - o))
    }

    /// How many code points of `[start, end)` are unchanged, and the new
    /// positions of the first and last of them.
    fn survivors(&self, start: usize, end: usize) -> (usize, Option<usize>, Option<usize>) {
        let mut count = 0;
        let (mut first, mut last) = (None, None);
        let i = self.segments.partition_point(|s| s.0 + s.2 <= start);
        for &(o, n, len) in &self.segments[i..] {
            if o >= end {
                break;
            }
            let a = o.max(start);
            let b = (o + len).min(end);
            if a < b {
                count += b - a;
                first.get_or_insert(n + a - o);
                last = Some(n + b - o);
            }
        }
        (count, first, last)
    }
}

/// Lines (with their line breaks) and the code-point offset where each
/// starts, plus one final offset for the end of the text.
fn lines(text: &str) -> (Vec<&str>, Vec<usize>) {
    let mut lines = Vec::new();
    let mut starts = vec![0];
    let mut chars = 0;
    for line in text.split_inclusive('\n') {
        lines.push(line);
        chars += line.chars().count();
        starts.push(chars);
    }
    (lines, starts)
}

/// Whether a byte continues a UTF-8 sequence (is not the first of a
/// character).
fn continues(byte: u8) -> bool {
    byte & 0xc0 == 0x80
}

/// Length of the common suffix of `a` and `b`, in characters. Compared as
/// bytes: the characters of a common byte suffix are its first bytes of
/// characters (one that starts before it differs somewhere).
fn common_suffix(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let same = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    a[a.len() - same..]
        .iter()
        .filter(|&&x| !continues(x))
        .count()
}

/// Length of the common prefix of `a` and `b`, in characters; as bytes,
/// less a last character cut short by the first difference.
fn common_prefix(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let same = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let starts = a[..same].iter().filter(|&&x| !continues(x)).count();
    if a.get(same).copied().is_some_and(continues) {
        starts - 1
    } else {
        starts
    }
}

/// The context a span had: the annotation's own prefix/suffix, or the old
/// text around it. An empty context means the span touched the start (or
/// end) of the text, which is itself context a candidate keeps or loses.
fn old_context<'a>(
    old: &'a SourceText,
    span: &'a OldSpan,
    quote_fits: bool,
) -> (Option<&'a str>, Option<&'a str>) {
    let before = span.prefix.as_deref().or_else(|| {
        quote_fits.then(|| {
            old.slice(span.start.saturating_sub(CONTEXT), span.start)
                .unwrap_or("")
        })
    });
    let after = span.suffix.as_deref().or_else(|| {
        quote_fits.then(|| {
            old.slice(span.end, (span.end + CONTEXT).min(old.char_len()))
                .unwrap_or("")
        })
    });
    (before, after)
}

/// How much of the old context survives next to a candidate, per side.
/// The text beside the candidate need not be cut to the context's length
/// first: the common part can be no longer than the context.
fn context_score(
    new: &SourceText,
    cand: (usize, usize),
    before: &Option<&str>,
    after: &Option<&str>,
) -> (Option<f64>, Option<f64>) {
    let prefix = before.map(|b| {
        if b.is_empty() {
            return if cand.0 == 0 { 1.0 } else { 0.0 };
        }
        let n = b.chars().count();
        let here = new.byte_of(cand.0).map_or("", |at| &new.text()[..at]);
        common_suffix(b, here) as f64 / n as f64
    });
    let suffix = after.map(|a| {
        if a.is_empty() {
            return if cand.1 == new.char_len() { 1.0 } else { 0.0 };
        }
        let n = a.chars().count();
        let here = new.byte_of(cand.1).map_or("", |at| &new.text()[at..]);
        common_prefix(a, here) as f64 / n as f64
    });
    (prefix, suffix)
}

/// A span's surroundings in the old text, up to `LONG_CONTEXT` a side,
/// taken once and compared with every candidate place.
struct LongContext<'a> {
    before: &'a str,
    after: &'a str,
    /// Their lengths in code points.
    before_chars: usize,
    after_chars: usize,
    /// Whether the context reaches the start (end) of the old text.
    at_start: bool,
    at_end: bool,
}

impl<'a> LongContext<'a> {
    fn new(old: &'a SourceText, span: &'a OldSpan, fits: bool) -> LongContext<'a> {
        let (before, after, at_start, at_end) = if fits {
            let from = span.start.saturating_sub(LONG_CONTEXT);
            let to = (span.end + LONG_CONTEXT).min(old.char_len());
            (
                old.slice(from, span.start).unwrap_or(""),
                old.slice(span.end, to).unwrap_or(""),
                from == 0,
                to == old.char_len(),
            )
        } else {
            (
                span.prefix.as_deref().unwrap_or(""),
                span.suffix.as_deref().unwrap_or(""),
                false,
                false,
            )
        };
        LongContext {
            before,
            after,
            before_chars: before.chars().count(),
            after_chars: after.chars().count(),
            at_start,
            at_end,
        }
    }

    /// How many characters of this context a place in `text` keeps, per
    /// side. Reaching the start (or end) of both texts counts as one more.
    fn kept(&self, text: &SourceText, place: (usize, usize)) -> (usize, usize) {
        let (Some(b), Some(e)) = (text.byte_of(place.0), text.byte_of(place.1)) else {
            return (0, 0);
        };
        let t = text.text();
        let mut p = common_suffix(self.before, &t[..b]);
        let mut s = common_prefix(self.after, &t[e..]);
        if self.at_start && p == self.before_chars && b == self.before.len() {
            p += 1;
        }
        if self.at_end && s == self.after_chars && e + self.after.len() == t.len() {
            s += 1;
        }
        (p, s)
    }
}

fn combined(score: (Option<f64>, Option<f64>)) -> f64 {
    match score {
        (Some(p), Some(s)) => (p + s) / 2.0,
        (Some(x), None) | (None, Some(x)) => x,
        (None, None) => 0.0,
    }
}

/// Similarity of two texts in [0, 1] (1 = equal), by edit distance over
/// characters; long texts are compared by their common ends to stay cheap.
fn similarity(a: &str, b: &str) -> f64 {
    let (la, lb) = (a.chars().count(), b.chars().count());
    if la.max(lb) == 0 {
        return 1.0;
    }
    if la.max(lb) > 2_000 {
        let kept = common_prefix(a, b) + common_suffix(a, b);
        return (kept.min(la.min(lb)) as f64) / la.max(lb) as f64;
    }
    // The distance is that of the parts between the common ends: a quote
    // edited in one word is compared over that word, not over its length
    // squared.
    let head: usize = a
        .chars()
        .zip(b.chars())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x.len_utf8())
        .sum();
    let (a, b) = (&a[head..], &b[head..]);
    let tail: usize = a
        .chars()
        .rev()
        .zip(b.chars().rev())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x.len_utf8())
        .sum();
    let (a, b) = (&a[..a.len() - tail], &b[..b.len() - tail]);
    1.0 - strsim::levenshtein(a, b) as f64 / la.max(lb) as f64
}

fn reason_for(old: &str, new: &str) -> Option<&'static str> {
    let described = describe_difference(old, new)?;
    Some(if described.starts_with("Unicode") {
        "unicode-normalization"
    } else if described == "whitespace" {
        "whitespace"
    } else {
        "punctuation"
    })
}

/// Carries every span from `old` to `new`.
pub fn carry(
    old: &SourceText,
    new: &SourceText,
    spans: &[OldSpan],
    deadline: Duration,
) -> (Vec<Outcome>, bool) {
    if old.sha256() == new.sha256() {
        let outcomes = spans
            .iter()
            .map(|s| {
                safe(
                    Status::Intact,
                    s.start,
                    s.end,
                    &s.quote,
                    DiffSignal::Exact,
                    1,
                    (None, None),
                    None,
                )
            })
            .collect();
        return (outcomes, false);
    }
    let mapping = Mapping::new(old.text(), new.text(), deadline);
    let mut outcomes: Vec<Option<Outcome>> = spans
        .par_iter()
        .map(|span| {
            let fits = old.slice(span.start, span.end) == Some(span.quote.as_str());
            // The diff alone decides only when the span and all the context
            // around it are unchanged: then no other occurrence can fit better.
            let (s, e) = mapping.map_exact(span.start, span.end).filter(|_| fits)?;
            let (before, after) = old_context(old, span, fits);
            let score = context_score(new, (s, e), &before, &after);
            let full = |side: Option<f64>| side.is_none_or(|x| x >= 1.0);
            if !(full(score.0) && full(score.1)) {
                return None;
            }
            // Nor may its sentence have changed farther out.
            let sentence = ClaimContext::sentence(old, span.start, span.end);
            if !sentence.supports(sentence.kept(new, s, e)) {
                return None;
            }
            let status = placed(&mapping, span, (s, e), true);
            Some(safe(
                status,
                s,
                e,
                &span.quote,
                DiffSignal::Exact,
                1,
                score,
                None,
            ))
        })
        .collect();
    let to_search: Vec<usize> = (0..spans.len())
        .filter(|&i| outcomes[i].is_none())
        .collect();
    // One pass over each text finds every occurrence of every quote that
    // needs searching: the new places, and the old places it competed with.
    let found = find_all([new, old], spans, &to_search);
    let judged: Vec<(usize, Outcome)> = to_search
        .par_iter()
        .map(|&i| {
            let quote = &spans[i].quote;
            let outcome = judge(
                old,
                new,
                &mapping,
                &spans[i],
                found.get(0, quote),
                found.get(1, quote),
            );
            (i, outcome)
        })
        .collect();
    for (i, outcome) in judged {
        outcomes[i] = Some(outcome);
    }
    (
        outcomes
            .into_iter()
            .map(|o| o.expect("every span judged"))
            .collect(),
        mapping.timed_out,
    )
}

#[allow(clippy::too_many_arguments)]
fn safe(
    status: Status,
    start: usize,
    end: usize,
    quote: &str,
    diff: DiffSignal,
    occurrences: usize,
    score: (Option<f64>, Option<f64>),
    margin: Option<f64>,
) -> Outcome {
    Outcome {
        status,
        new: Some(Candidate {
            start,
            end,
            quote: quote.to_string(),
        }),
        confidence: 1.0,
        candidates: Vec::new(),
        signals: Signals {
            diff,
            occurrences,
            prefix: score.0,
            suffix: score.1,
            margin,
        },
        reason: None,
        sentence: None,
    }
}

/// Every occurrence (up to a cap) of each quote that needs searching, in
/// each text: one automaton over the distinct quotes, built once, scans
/// both texts at the same time.
struct Found<'s> {
    /// Each distinct quote's number.
    ids: HashMap<&'s str, usize, std::hash::BuildHasherDefault<QuoteHasher>>,
    /// Per text, per quote number, the occurrences in order.
    places: [Vec<Vec<(usize, usize)>>; 2],
}

/// FNV-1a: quotes are short, and SipHash's defence against chosen keys
/// buys nothing for a table that lives for one call.
struct QuoteHasher(u64);

impl Default for QuoteHasher {
    fn default() -> QuoteHasher {
        QuoteHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for QuoteHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

impl Found<'_> {
    fn get(&self, text: usize, quote: &str) -> &[(usize, usize)] {
        self.ids
            .get(quote)
            .map_or(&[][..], |&id| &self.places[text][id])
    }
}

fn find_all<'s>(texts: [&SourceText; 2], spans: &'s [OldSpan], which: &[usize]) -> Found<'s> {
    let mut patterns: Vec<&str> = which
        .iter()
        .map(|&i| spans[i].quote.as_str())
        .filter(|q| !q.is_empty())
        .collect();
    patterns.sort_unstable();
    patterns.dedup();
    let quotes = Quotes::new(patterns);
    let lengths: Vec<usize> = quotes
        .patterns()
        .iter()
        .map(|p| p.chars().count())
        .collect();
    let scan = |text: &SourceText| {
        let mut places = vec![Vec::new(); lengths.len()];
        quotes.each_occurrence(text.text(), |id, byte| {
            let list: &mut Vec<(usize, usize)> = &mut places[id];
            if list.len() <= MAX_CANDIDATES {
                let start = text.char_of(byte);
                list.push((start, start + lengths[id]));
            }
        });
        places
    };
    let (a, b) = rayon::join(|| scan(texts[0]), || scan(texts[1]));
    Found {
        ids: quotes
            .patterns()
            .iter()
            .enumerate()
            .map(|(i, p)| (*p, i))
            .collect(),
        places: [a, b],
    }
}

/// The safe status of a span carried to `place`: `intact` where it was,
/// `shifted` where the diff puts it in order, `moved` where its text moved
/// to another place (a moved block, or found elsewhere by context).
fn placed(mapping: &Mapping, span: &OldSpan, place: (usize, usize), diff_agrees: bool) -> Status {
    if place == (span.start, span.end) {
        Status::Intact
    } else if diff_agrees && !mapping.is_moved(span.start) {
        Status::Shifted
    } else {
        Status::Moved
    }
}

/// An occurrence, its context score per side, and whether the diff puts
/// one of its ends there.
type Scored = ((usize, usize), (Option<f64>, Option<f64>), bool);

fn judge(
    old: &SourceText,
    new: &SourceText,
    mapping: &Mapping,
    span: &OldSpan,
    occurrences: &[(usize, usize)],
    old_occurrences: &[(usize, usize)],
) -> Outcome {
    let fits = old.slice(span.start, span.end) == Some(span.quote.as_str());
    let (count, first, last) = if fits {
        mapping.survivors(span.start, span.end)
    } else {
        (0, None, None)
    };
    let span_len = span.end.saturating_sub(span.start).max(1);
    let diff = match (count, first, last) {
        (0, _, _) => DiffSignal::None,
        _ if mapping.map(span.start).is_some()
            && mapping.map(span.end.saturating_sub(1)).is_some() =>
        {
            DiffSignal::Boundaries
        }
        _ => DiffSignal::Partial,
    };
    let mapped_start = if fits { mapping.map(span.start) } else { None };
    let mapped_end = if fits {
        mapping.map(span.end.saturating_sub(1)).map(|e| e + 1)
    } else {
        None
    };

    // The search signal: exact occurrences, judged by context and by the
    // diff's view of where the span went.
    let (before, after) = old_context(old, span, fits);
    let scored: Vec<Scored> = occurrences
        .iter()
        .map(|&c| {
            let agrees = mapped_start == Some(c.0) || mapped_end == Some(c.1);
            (c, context_score(new, c, &before, &after), agrees)
        })
        .collect();
    let n = scored.len();
    let signals = |score: (Option<f64>, Option<f64>), margin| Signals {
        diff,
        occurrences: n,
        prefix: score.0,
        suffix: score.1,
        margin,
    };
    // Every safe place must also keep the span's own sentence, whole on
    // both sides: the same letters in a changed or another sentence may be
    // another claim.
    let sentence = if fits {
        ClaimContext::sentence(old, span.start, span.end)
    } else {
        ClaimContext::given(
            span.prefix.as_deref().unwrap_or(""),
            span.suffix.as_deref().unwrap_or(""),
        )
    };
    // A span that did not quote its pinned text has no known sentence; its
    // own prefix and suffix, both given, are all the context there is.
    let given = |side: &Option<String>| side.as_deref().is_some_and(|s| !s.is_empty());
    let sentence_known = fits || (given(&span.prefix) && given(&span.suffix));
    let mut unsupported: Option<(usize, usize)> = None;
    let mut carried = |status: Status,
                       c: (usize, usize),
                       score: (Option<f64>, Option<f64>),
                       margin: Option<f64>|
     -> Option<Outcome> {
        if sentence_known && sentence.supports(sentence.kept(new, c.0, c.1)) {
            Some(safe(status, c.0, c.1, &span.quote, diff, n, score, margin))
        } else {
            unsupported.get_or_insert(c);
            None
        }
    };
    let both_ends = |c: (usize, usize)| mapped_start == Some(c.0) && mapped_end == Some(c.1);
    // The only occurrence, where the diff puts both ends: the diff and the
    // search agree.
    if let [(c, score, _)] = scored.as_slice() {
        if both_ends(*c) {
            let status = placed(mapping, span, *c, true);
            if let Some(outcome) = carried(status, *c, *score, None) {
                return outcome;
            }
        }
    }
    // A quote found once in the old text and once in the new is the same
    // passage when it is long enough to be distinctive, or keeps some of
    // its context.
    if let [(c, score, agrees)] = scored.as_slice() {
        let quote_len = span.quote.chars().count();
        let unique_before = old_occurrences.len() == 1;
        if unique_before && (quote_len >= DISTINCTIVE || combined(*score) >= MIN_CONTEXT / 2.0) {
            let status = placed(mapping, span, *c, *agrees);
            if let Some(outcome) = carried(status, *c, *score, None) {
                return outcome;
            }
        }
    }
    // Several occurrences: context decides. The best place must keep at
    // least half its near context, keep as much context as every other
    // place on *both* sides (followed up to LONG_CONTEXT), and lead the
    // runner-up clearly. Sides that disagree make the choice unjustified.
    if n >= 2 {
        let context = LongContext::new(old, span, fits);
        let kept: Vec<(usize, usize)> = scored
            .iter()
            .map(|(c, _, _)| context.kept(new, *c))
            .collect();
        let total = |k: (usize, usize)| k.0 + k.1;
        let best = (0..n)
            .max_by(|&a, &b| {
                total(kept[a])
                    .cmp(&total(kept[b]))
                    .then(both_ends(scored[a].0).cmp(&both_ends(scored[b].0)))
            })
            .unwrap_or(0);
        let dominates =
            (0..n).all(|o| o == best || (kept[o].0 <= kept[best].0 && kept[o].1 <= kept[best].1));
        let runner_up = (0..n)
            .filter(|&o| o != best)
            .map(|o| total(kept[o]))
            .max()
            .unwrap_or(0);
        let lead = total(kept[best]).saturating_sub(runner_up);
        let (c, score, agrees) = scored[best];
        let both_sides =
            score.0.is_none_or(|p| p >= MIN_SIDE) && score.1.is_none_or(|x| x >= MIN_SIDE);
        // Context identifies the span only as far as it told it apart from
        // the quote's other places in the old text already.
        let twin = if fits {
            old_occurrences
                .iter()
                .copied()
                .filter(|&o| o != (span.start, span.end))
                .map(|o| total(context.kept(old, o)))
                .max()
                .unwrap_or(0)
        } else {
            0
        };
        let distinct = total(kept[best]) >= twin + MIN_LEAD;
        if dominates && distinct && lead >= MIN_LEAD && combined(score) >= MIN_CONTEXT && both_sides
        {
            let status = placed(mapping, span, c, agrees);
            let margin = Some(lead as f64 / (2 * LONG_CONTEXT) as f64);
            if let Some(outcome) = carried(status, c, score, margin) {
                return outcome;
            }
        }
    } else if let Some(&(c, score, agrees)) = scored.first() {
        if combined(score) >= MIN_CONTEXT {
            let status = placed(mapping, span, c, agrees);
            if let Some(outcome) = carried(status, c, score, None) {
                return outcome;
            }
        }
    }
    let candidates: Vec<Candidate> = scored
        .iter()
        .take(10)
        .map(|(c, _, _)| Candidate {
            start: c.0,
            end: c.1,
            quote: span.quote.clone(),
        })
        .collect();
    // Several places, and context chose none (a winner whose sentence
    // changed is judged below, as the proposal).
    if n >= 2 && unsupported.is_none() {
        let margin = (n >= 2).then(|| combined(scored[0].1) - combined(scored[1].1));
        return Outcome {
            status: Status::Ambiguous,
            new: None,
            confidence: 0.0,
            candidates,
            signals: signals(scored[0].1, margin),
            reason: None,
            sentence: None,
        };
    }
    // The region survives with changed text: propose what is there now.
    // Pieces that landed out of order are scattered, not a surviving region.
    let mut proposal = None;
    if let (true, Some(first), Some(last)) = (count > 0, first, last.filter(|&l| Some(l) >= first))
    {
        // The proposal runs between the span's surviving neighbours (the
        // characters just before and after it), when they survived.
        let s = span
            .start
            .checked_sub(1)
            .and_then(|b| mapping.map(b))
            .map(|p| p + 1)
            .filter(|&p| p <= first)
            .unwrap_or(first);
        let e = mapping
            .map(span.end)
            .filter(|&p| p >= last && p.checked_sub(s).is_some_and(|len| len <= 3 * span_len + 20))
            .unwrap_or(last);
        let text = new.slice(s, e.max(s)).unwrap_or("").to_string();
        let alike = similarity(&span.quote, &text);
        // Scattered letters matched by the character diff are not a
        // surviving region: the proposal must still resemble the quote.
        // The same letters in a changed sentence are judged below.
        // The quote's own letters, unchanged inside the region: they are
        // the proposal (with the sentence judged below), not the region
        // grown over the words inserted next to them.
        let holds_quote = unsupported.is_some_and(|u| s <= u.0 && u.1 <= e);
        if s < e && alike >= MIN_EDITED_SIMILARITY && !holds_quote {
            let confidence = alike * (count as f64 / span_len as f64).sqrt();
            let score = context_score(new, (s, e), &before, &after);
            proposal = Some(Outcome {
                status: Status::Edited,
                reason: reason_for(&span.quote, &text),
                sentence: None,
                new: Some(Candidate {
                    start: s,
                    end: e,
                    quote: text,
                }),
                confidence: (confidence * 100.0).round() / 100.0,
                candidates: candidates.clone(),
                signals: signals(score, None),
            });
        }
    }
    // The quote's letters stand in a sentence that changed or is another
    // one: a proposal for a person. Its confidence says how much of the
    // sentence survived, and never passes CONTEXT_CONFIDENCE: only a
    // person can tell whether it still makes the same claim.
    if let Some(c) = unsupported {
        let share = sentence.kept(new, c.0, c.1).share();
        let confidence = (share * CONTEXT_CONFIDENCE * 100.0).round() / 100.0;
        if proposal.as_ref().is_none_or(|p| p.confidence < confidence) {
            let score = context_score(new, c, &before, &after);
            return Outcome {
                status: Status::Edited,
                reason: Some("context"),
                sentence: Some(Box::new((
                    sentence.text(&span.quote),
                    ClaimContext::sentence(new, c.0, c.1).text(&span.quote),
                ))),
                new: Some(Candidate {
                    start: c.0,
                    end: c.1,
                    quote: span.quote.clone(),
                }),
                confidence,
                candidates,
                signals: signals(score, None),
            };
        }
    }
    if let Some(proposal) = proposal {
        return proposal;
    }
    Outcome {
        status: Status::Deleted,
        new: None,
        confidence: 0.0,
        candidates,
        signals: signals(scored.first().map_or((None, None), |s| s.1), None),
        reason: None,
        sentence: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similarity_is_the_normalised_edit_distance() {
        let pieces = ["a", "b", "é", "ab", "“", " ", "zł"];
        let mut seed = 3u64;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n
        };
        for _ in 0..5000 {
            let a: String = (0..next(12)).map(|_| pieces[next(pieces.len())]).collect();
            let b: String = (0..next(12)).map(|_| pieces[next(pieces.len())]).collect();
            let (a, b) = (format!("x{a}y"), format!("x{b}{}", ["y", ""][next(2)]));
            assert_eq!(
                similarity(&a, &b),
                strsim::normalized_levenshtein(&a, &b),
                "{a:?} {b:?}"
            );
        }
    }

    fn text(s: &str) -> SourceText {
        SourceText::from_bytes(s.as_bytes().to_vec()).unwrap()
    }

    fn span(old: &SourceText, quote: &str, nth: usize) -> OldSpan {
        let (start, end) = old.occurrences(quote)[nth];
        OldSpan {
            start,
            end,
            quote: quote.to_string(),
            prefix: None,
            suffix: None,
        }
    }

    fn one(old: &str, new: &str, quote: &str, nth: usize) -> Outcome {
        let (old, new) = (text(old), text(new));
        let s = span(&old, quote, nth);
        carry(&old, &new, &[s], DEFAULT_DEADLINE).0.remove(0)
    }

    #[test]
    fn unchanged_text_is_intact() {
        let o = one("a b c\nd e f\n", "a b c\nd e f\n", "e", 0);
        assert_eq!(o.status, Status::Intact);
    }

    #[test]
    fn insertion_before_shifts() {
        let o = one(
            "one two\nthree four\n",
            "zero\none two\nthree four\n",
            "three",
            0,
        );
        assert_eq!(o.status, Status::Shifted);
        assert_eq!(o.new.unwrap().start, 13);
    }

    #[test]
    fn moved_paragraph_is_moved() {
        let old = "First paragraph about cats and their habits.\nSecond paragraph on dogs, loyal and loud.\nThird about birds.\n";
        let new = "Third about birds.\nFirst paragraph about cats and their habits.\nSecond paragraph on dogs, loyal and loud.\n";
        let o = one(old, new, "Third about birds", 0);
        assert!(o.status.is_safe(), "{o:?}");
        let new_text = text(new);
        let n = o.new.unwrap();
        assert_eq!(new_text.slice(n.start, n.end), Some("Third about birds"));
    }

    #[test]
    fn edited_text_is_edited_with_a_reason() {
        let o = one(
            "He said it's fine.\nNext line.\n",
            "He said it’s fine.\nNext line.\n",
            "it's fine",
            0,
        );
        assert_eq!(o.status, Status::Edited);
        assert_eq!(o.reason, Some("punctuation"));
        assert_eq!(o.new.unwrap().quote, "it’s fine");
    }

    #[test]
    fn deleted_text_is_deleted() {
        let o = one(
            "Keep this.\nDrop this sentence entirely.\nKeep that.\n",
            "Keep this.\nKeep that.\n",
            "Drop this sentence",
            0,
        );
        assert_eq!(o.status, Status::Deleted);
        assert!(o.new.is_none());
    }

    #[test]
    fn a_span_that_did_not_quote_its_pinned_text_is_never_carried_safely() {
        // The pinned text holds something else at the span, so nothing is
        // known of the quote's sentence: its letters found in a denial are
        // a proposal, not a move.
        let old = text("Kim will send builders, they said.\nThe talks went on at length today.\n");
        let new = text("They said so.\nA spokesman denied that Kim will send builders.\n");
        let span = OldSpan {
            start: 35,
            end: 57,
            quote: "Kim will send builders".to_string(),
            prefix: None,
            suffix: None,
        };
        let o = carry(&old, &new, &[span], DEFAULT_DEADLINE).0.remove(0);
        assert!(!o.status.is_safe(), "{o:?}");
    }

    #[test]
    fn identical_copies_without_context_are_ambiguous() {
        // The span's own line is rewritten; two identical copies appear.
        let old = "x\nthe cat sat\ny\n";
        let new = "x\nthe cat sat here\ny\nthe cat sat here\n";
        let o = one(old, new, "the cat sat", 0);
        assert!(
            !o.status.is_safe() || o.new.as_ref().is_some_and(|n| n.start == 2),
            "{o:?}"
        );
    }
}
