//! Anchoring quotes to offsets: finding where a quote occurs, choosing among
//! occurrences by `prefix`/`suffix`, computing the shortest context that
//! tells an occurrence apart, and explaining near-misses (text that differs
//! from the quote only in whitespace, punctuation or Unicode form).

use crate::source::SourceText;
use unicode_normalization::UnicodeNormalization;

/// Longest context `annot anchor` will add on one side, in code points.
const MAX_CONTEXT: usize = 200;
/// How far a context is extended to end on a word boundary.
const WORD_EXTENSION: usize = 24;

/// Occurrences whose surrounding text matches the given context.
pub fn select_by_context(
    source: &SourceText,
    occurrences: &[(usize, usize)],
    prefix: Option<&str>,
    suffix: Option<&str>,
) -> Vec<(usize, usize)> {
    occurrences
        .iter()
        .copied()
        .filter(|&(start, end)| {
            prefix.is_none_or(|p| text_before(source, start, p.chars().count()) == Some(p))
                && suffix.is_none_or(|s| text_after(source, end, s.chars().count()) == Some(s))
        })
        .collect()
}

fn text_before(source: &SourceText, start: usize, n: usize) -> Option<&str> {
    if n > start {
        return None;
    }
    source.slice(start - n, start)
}

fn text_after(source: &SourceText, end: usize, n: usize) -> Option<&str> {
    source.slice(end, end + n)
}

/// The context to add so that `target` is the only occurrence matching it:
/// a prefix, a suffix, or both, each as short as possible and extended to a
/// word boundary. `None` when the occurrences cannot be told apart within
/// `MAX_CONTEXT` code points.
pub fn disambiguating_context(
    source: &SourceText,
    target: (usize, usize),
    occurrences: &[(usize, usize)],
) -> Option<(Option<String>, Option<String>)> {
    let others: Vec<(usize, usize)> = occurrences
        .iter()
        .copied()
        .filter(|o| *o != target)
        .collect();
    if others.is_empty() {
        return Some((None, None));
    }
    let unique_with = |p: usize, s: usize| {
        let prefix = if p > 0 {
            text_before(source, target.0, p)
        } else {
            None
        };
        let suffix = if s > 0 {
            text_after(source, target.1, s)
        } else {
            None
        };
        if (p > 0 && prefix.is_none()) || (s > 0 && suffix.is_none()) {
            return false;
        }
        select_by_context(source, &others, prefix, suffix).is_empty()
    };
    let max_prefix = target.0.min(MAX_CONTEXT);
    let max_suffix = (source.char_len() - target.1).min(MAX_CONTEXT);
    let shortest_prefix = (1..=max_prefix).find(|&p| unique_with(p, 0));
    let shortest_suffix = (1..=max_suffix).find(|&s| unique_with(0, s));
    let (p, s) = match (shortest_prefix, shortest_suffix) {
        (Some(p), Some(s)) if s < p => (0, s),
        (Some(p), _) => (p, 0),
        (None, Some(s)) => (0, s),
        (None, None) => {
            let n = (1..=max_prefix.max(max_suffix))
                .find(|&n| unique_with(n.min(max_prefix), n.min(max_suffix)))?;
            (n.min(max_prefix), n.min(max_suffix))
        }
    };
    let prefix = (p > 0).then(|| extend_prefix(source, target.0, p));
    let suffix = (s > 0).then(|| extend_suffix(source, target.1, s));
    Some((prefix, suffix))
}

fn extend_prefix(source: &SourceText, start: usize, n: usize) -> String {
    let mut from = start - n;
    let limit = from.saturating_sub(WORD_EXTENSION);
    while from > limit {
        match source.slice(from - 1, from) {
            Some(c) if !c.chars().all(char::is_whitespace) => from -= 1,
            _ => break,
        }
    }
    source.slice(from, start).unwrap_or("").to_string()
}

fn extend_suffix(source: &SourceText, end: usize, n: usize) -> String {
    let mut to = end + n;
    let limit = (to + WORD_EXTENSION).min(source.char_len());
    while to < limit {
        match source.slice(to, to + 1) {
            Some(c) if !c.chars().all(char::is_whitespace) => to += 1,
            _ => break,
        }
    }
    source.slice(end, to).unwrap_or("").to_string()
}

fn collapse_whitespace(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c == '\u{a0}' || c == '\u{202f}')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn fold_punctuation(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_whitespace() { c } else { fold_char(c) })
        .collect()
}

/// Folds a character for a loose match: typographic quote marks, dashes and
/// ellipses to their plain forms, every whitespace character to a space.
/// One character in, one out, so offsets carry over.
pub fn fold_char(c: char) -> char {
    match c {
        '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}' | '\u{2032}' | '`' | '\u{b4}' => '\'',
        '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{201f}' | '\u{2033}' | '\u{ab}' | '\u{bb}' => '"',
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
        | '\u{2212}' => '-',
        c if c.is_whitespace() => ' ',
        other => other,
    }
}

/// Where the quote occurs once quote marks, dashes and whitespace
/// characters are folded (for explaining a mismatch; never for anchoring).
pub fn loose_occurrences(source: &SourceText, quote: &str) -> Vec<(usize, usize)> {
    let folded: String = source.text().chars().map(fold_char).collect();
    let needle: String = quote.chars().map(fold_char).collect();
    if needle.is_empty() {
        return Vec::new();
    }
    let needle_chars = needle.chars().count();
    let mut out = Vec::new();
    let mut chars_seen = 0;
    let mut last_byte = 0;
    for byte in memchr::memmem::find_iter(folded.as_bytes(), needle.as_bytes()) {
        chars_seen += folded[last_byte..byte].chars().count();
        last_byte = byte;
        out.push((chars_seen, chars_seen + needle_chars));
    }
    out
}

/// Where the source has text that differs from a quote that does not occur
/// only in a way people often get wrong when they copy, and what that is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NearMatch {
    pub start: usize,
    pub end: usize,
    /// The source's exact text there: what the quote should be.
    pub text: String,
    /// What differs, in words ("quote marks, apostrophes or dashes", ...).
    pub difference: String,
}

/// The first near match of a quote that does not occur as written: typographic
/// quote marks and dashes, whitespace of any kind and amount (CRLF line ends
/// included), a word broken by a hyphen at a line end, or whitespace at the
/// ends of the quote (such as the newline a `|` block scalar keeps). For
/// explaining, never for anchoring.
pub fn near_match(source: &SourceText, quote: &str) -> Option<NearMatch> {
    // The source's text at a place, and what differs, worked out from it.
    let near = |(start, end): (usize, usize), difference: &dyn Fn(&str) -> &'static str| {
        let text = source.slice(start, end)?.to_string();
        Some(NearMatch {
            start,
            end,
            difference: difference(&text).to_string(),
            text,
        })
    };
    // Whitespace at the ends of the quote.
    let trimmed = quote.trim();
    if !trimmed.is_empty() && trimmed.len() != quote.len() {
        if let Some(&place) = source.occurrences(trimmed).first() {
            return near(place, &|_| {
                if quote.trim_start() == quote && quote.ends_with('\n') {
                    "the newline at the end of the quote (a `quote: |` block keeps it; write `quote: |-`, or the text on one line)"
                } else {
                    "whitespace at the ends of the quote"
                }
            });
        }
    }
    if let Some(&place) = loose_occurrences(source, quote).first() {
        return near(place, &|text| {
            describe_difference(quote, text).unwrap_or("quote marks, apostrophes or dashes")
        });
    }
    near(spaced_occurrence(source, quote)?, &|text| {
        if text.contains('\r') && !quote.contains('\r') {
            "line endings: the source ends its lines with CR LF (`\\r\\n`)"
        } else if is_hyphen_break(text) && !is_hyphen_break(quote) {
            "a word the source breaks with a hyphen at the end of a line"
        } else {
            describe_difference(quote, text).unwrap_or("whitespace")
        }
    })
}

impl NearMatch {
    /// "at 4..11 (line 1, column 5) the source has "…", which differs only in …"
    pub fn described(&self, source: &SourceText) -> String {
        let (line, column) = source.line_column(self.start);
        format!(
            "at {}..{} (line {line}, column {column}) the source has {:?}, which differs only in {}",
            self.start, self.end, self.text, self.difference
        )
    }

    /// The line to paste: the quote as the source writes it.
    pub fn fix(&self) -> String {
        format!(
            "copy the source's exact text into the file: `quote: {}`",
            crate::yaml::quoted(&self.text)
        )
    }
}

/// Whether a text holds a hyphen followed by whitespace.
fn is_hyphen_break(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    chars
        .windows(2)
        .any(|w| w[0] == '-' && w[1].is_whitespace())
}

/// Where the quote occurs when whitespace is ignored altogether and a hyphen
/// before whitespace is taken as a broken word (`construc-\ntion`), with
/// quote marks and dashes folded; the span starts and ends on the source's
/// own characters.
fn spaced_occurrence(source: &SourceText, quote: &str) -> Option<(usize, usize)> {
    // Each kept character, folded, with the code point offset it came from.
    fn project(text: &str) -> (String, Vec<usize>) {
        let chars: Vec<char> = text.chars().collect();
        let mut out = String::new();
        let mut offsets = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            let breaks_word = matches!(fold_char(c), '-')
                && chars.get(i + 1).is_some_and(|n| n.is_whitespace())
                && i > 0
                && chars[i - 1].is_alphabetic();
            if !(c.is_whitespace() || breaks_word) {
                out.push(fold_char(c));
                offsets.push(i);
            }
            i += 1;
        }
        (out, offsets)
    }
    let (needle, _) = project(quote);
    if needle.is_empty() {
        return None;
    }
    let (haystack, offsets) = project(source.text());
    let byte = memchr::memmem::find(haystack.as_bytes(), needle.as_bytes())?;
    let first = haystack[..byte].chars().count();
    let count = needle.chars().count();
    Some((offsets[first], offsets[first + count - 1] + 1))
}

/// Names what alone separates two texts, when it is only whitespace, quote
/// marks and dashes, or Unicode normalisation.
pub fn describe_difference(expected: &str, found: &str) -> Option<&'static str> {
    if expected == found {
        return None;
    }
    let nfc = |s: &str| s.nfc().collect::<String>();
    if nfc(expected) == nfc(found) {
        return Some("Unicode normalization (the same letters, composed differently)");
    }
    let ws = |s: &str| collapse_whitespace(&nfc(s));
    if ws(expected) == ws(found) {
        return Some("whitespace");
    }
    let punct = |s: &str| fold_punctuation(&nfc(s));
    if punct(expected) == punct(found) {
        return Some("quote marks, apostrophes or dashes");
    }
    let both = |s: &str| collapse_whitespace(&fold_punctuation(&nfc(s)));
    if both(expected) == both(found) {
        return Some("whitespace and quote marks, apostrophes or dashes");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> SourceText {
        SourceText::from_bytes(text.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn context_tells_occurrences_apart() {
        let s = source("the cat sat. a cat ran. the cat sat again.");
        let occurrences = s.occurrences("cat");
        assert_eq!(occurrences.len(), 3);
        let (prefix, suffix) = disambiguating_context(&s, occurrences[1], &occurrences).unwrap();
        let chosen = select_by_context(&s, &occurrences, prefix.as_deref(), suffix.as_deref());
        assert_eq!(chosen, vec![occurrences[1]]);
    }

    #[test]
    fn identical_surroundings_cannot_be_told_apart() {
        let s = source("abab");
        let occurrences = s.occurrences("ab");
        let got = disambiguating_context(&s, occurrences[0], &occurrences).unwrap();
        // "ab" + suffix "ab" is unique at the first; the second has no suffix.
        assert_eq!(got, (None, Some("ab".to_string())));
        let s = source("x x");
        let occurrences = s.occurrences("x");
        assert!(disambiguating_context(&s, occurrences[0], &occurrences).is_some());
    }

    #[test]
    fn loose_search_ignores_typography() {
        let s = source("Russia\u{2019}s \u{201c}top\u{201d} official");
        assert_eq!(loose_occurrences(&s, "Russia's \"top\""), vec![(0, 14)]);
    }

    #[test]
    fn differences_are_named() {
        assert_eq!(describe_difference("a  b", "a b"), Some("whitespace"));
        assert_eq!(
            describe_difference("Russia's", "Russia\u{2019}s"),
            Some("quote marks, apostrophes or dashes")
        );
        assert!(describe_difference("e\u{301}", "\u{e9}")
            .unwrap()
            .starts_with("Unicode"));
        assert_eq!(describe_difference("cat", "dog"), None);
    }
}
