//! Whether a span's own sentence came along with it. The same letters in
//! another sentence — a denial, a rumour, a question, another speaker — are
//! not the same claim, so a span may be carried without review only where
//! the words of its sentence next to it survived on at least one side (or,
//! for a span that is a whole sentence or line, where it still stands alone
//! between the same kind of boundaries).

use crate::source::SourceText;

/// How far the sentence around a span is compared on each side, in code
/// points, when the sentence boundary is farther away.
pub const REACH: usize = 64;

/// A span that starts (or ends) its sentence keeps it when this many code
/// points after (before) it are unchanged.
pub const NEAR: usize = 24;

/// The old text next to a span, out to its sentence boundary or `REACH`
/// code points, whichever is nearer.
#[derive(Debug, Clone, Copy)]
pub struct ClaimContext<'a> {
    /// The words between the boundary before the span and the span.
    before: &'a str,
    /// The words after the span, with the punctuation that ends the
    /// sentence when it ends there.
    after: &'a str,
    /// A boundary (the start of the text, a line break, the end of a
    /// sentence) precedes `before`; any boundary will do in the new text.
    bounded_before: bool,
    /// A line break or the end of the text follows `after`.
    bounded_after: bool,
}

/// How a place in the new text keeps a span's claim context.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Kept {
    /// Each side is kept whole.
    pub before: bool,
    pub after: bool,
    /// The share of each side that survives next to the place, in [0, 1].
    pub before_share: f64,
    pub after_share: f64,
    /// How many code points of each side survive next to the place.
    pub before_common: usize,
    pub after_common: usize,
}

impl Kept {
    /// The share of the claim context that survives, both sides together.
    pub fn share(&self) -> f64 {
        (self.before_share + self.after_share) / 2.0
    }
}

/// A character that ends a line.
fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// Punctuation that ends a sentence when whitespace (or a closing mark and
/// whitespace, or the end of the text) follows it — Latin, Greek (`;` is its
/// question mark), Arabic, Urdu, Devanagari, Armenian and Ethiopic stops;
/// the full-width forms of Chinese and Japanese end one on their own.
fn ends_sentence(c: char, rest: &str) -> bool {
    match c {
        '。' | '！' | '？' | '｡' => true,
        '.' | '!' | '?' | '…' | ';' | '؟' | '۔' | '।' | '॥' | '։' | '።' | '‼' | '⁇' =>
        {
            let after = rest.trim_start_matches(is_closing);
            after.is_empty() || after.starts_with(char::is_whitespace)
        }
        _ => false,
    }
}

/// Marks that close a quotation or a parenthesis after a sentence's end.
fn is_closing(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | '”' | '’' | '»' | '«' | '›' | '‹' | ')' | ']' | '」' | '』'
    )
}

/// One form for each quote mark, apostrophe and dash.
fn fold(c: char) -> char {
    match c {
        '“' | '”' | '„' | '‟' | '«' | '»' | '″' => '"',
        '‘' | '’' | '‚' | '‛' | '‹' | '›' | '′' => '\'',
        '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' => '-',
        '\u{a0}' | '\u{202f}' | '\u{2009}' => ' ',
        _ => c,
    }
}

fn has_words(s: &str) -> bool {
    s.chars().any(char::is_alphanumeric)
}

/// Whether `text[..at]` ends at a sentence or line boundary (or is empty),
/// perhaps followed by spaces and quotation marks.
fn boundary_before(text: &str, at: usize) -> bool {
    let head = text[..at]
        .trim_end_matches(|c: char| (c.is_whitespace() && !is_line_break(c)) || is_closing(c));
    match head.chars().next_back() {
        None => true,
        Some(c) => is_line_break(c) || ends_sentence(c, &text[head.len()..]),
    }
}

/// Whether `text[at..]` starts at a line boundary or is empty.
fn boundary_after(text: &str, at: usize) -> bool {
    let tail = text[at..].trim_start_matches(|c: char| c.is_whitespace() && !is_line_break(c));
    tail.is_empty() || tail.starts_with(is_line_break)
}

/// Bytes at the end of `a` equal to those at the end of `b`, cut back to
/// a character boundary of both.
fn common_tail(a: &str, b: &str) -> usize {
    let mut same = a
        .bytes()
        .rev()
        .zip(b.bytes().rev())
        .take_while(|(x, y)| x == y)
        .count();
    while !a.is_char_boundary(a.len() - same) {
        same -= 1;
    }
    same
}

/// Bytes at the start of `a` equal to those at the start of `b`, cut back
/// to a character boundary of both.
fn common_head(a: &str, b: &str) -> usize {
    let mut same = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    while !a.is_char_boundary(same) {
        same -= 1;
    }
    same
}

impl<'a> ClaimContext<'a> {
    /// The claim context of `[start, end)` in `text` (code points).
    pub fn around(text: &'a SourceText, start: usize, end: usize) -> ClaimContext<'a> {
        let t = text.text();
        let (Some(b0), Some(b1)) = (text.byte_of(start), text.byte_of(end)) else {
            return ClaimContext::given("", "");
        };
        // Back to the boundary: its own characters are not kept.
        let mut before = (0, true);
        for (count, (i, c)) in t[..b0].char_indices().rev().enumerate() {
            let next = i + c.len_utf8();
            if is_line_break(c) || ends_sentence(c, &t[next..]) {
                before = (next, true);
                break;
            }
            if count + 1 >= REACH {
                before = (i, false);
                break;
            }
        }
        // A span that ends a sentence itself has nothing after it to keep.
        let core = t[b0..b1].trim_end_matches(is_closing);
        let quote_ends_sentence = core
            .chars()
            .next_back()
            .is_some_and(|c| is_line_break(c) || ends_sentence(c, &t[b0 + core.len()..]));
        let mut after = (t.len(), true);
        if quote_ends_sentence {
            after = (b1, false);
        } else {
            for (count, (i, c)) in t[b1..].char_indices().enumerate() {
                let at = b1 + i;
                let next = at + c.len_utf8();
                if is_line_break(c) {
                    after = (at, true);
                    break;
                }
                if ends_sentence(c, &t[next..]) {
                    // The closing marks after a full stop belong to it.
                    let close = t[next..].len() - t[next..].trim_start_matches(is_closing).len();
                    after = (next + close, false);
                    break;
                }
                if count + 1 >= REACH {
                    after = (next, false);
                    break;
                }
            }
        }
        let before_words = &t[before.0..b0];
        ClaimContext {
            // Spaces after the boundary may change with it.
            before: if before.1 {
                before_words.trim_start()
            } else {
                before_words
            },
            after: &t[b1..after.0],
            bounded_before: before.1,
            bounded_after: after.1,
        }
    }

    /// A claim context known only from the annotation's own prefix and
    /// suffix (the old text is not at hand).
    pub fn given(before: &'a str, after: &'a str) -> ClaimContext<'a> {
        ClaimContext {
            before,
            after,
            bounded_before: false,
            bounded_after: false,
        }
    }

    /// How the place `[start, end)` of `text` keeps this context. Quote
    /// marks, apostrophes and dashes count as kept in any of their forms:
    /// straight quotes made curly do not change what a sentence says.
    pub fn kept(&self, text: &SourceText, start: usize, end: usize) -> Kept {
        let t = text.text();
        let (Some(b0), Some(b1)) = (text.byte_of(start), text.byte_of(end)) else {
            return Kept {
                before: false,
                after: false,
                before_share: 0.0,
                after_share: 0.0,
                before_common: 0,
                after_common: 0,
            };
        };
        // Common characters next to the place, and where they reach. The
        // bytes that are equal as they stand (usually all) are skipped
        // first, up to a character boundary; the rest is compared folded.
        let same = common_tail(self.before, &t[..b0]);
        let (mut common_before, mut reach_before) = (
            self.before[self.before.len() - same..].chars().count(),
            b0 - same,
        );
        for (x, (i, y)) in self.before[..self.before.len() - same]
            .chars()
            .rev()
            .zip(t[..b0 - same].char_indices().rev())
        {
            if fold(x) != fold(y) {
                break;
            }
            common_before += 1;
            reach_before = i;
        }
        let same = common_head(self.after, &t[b1..]);
        let (mut common_after, mut reach_after) = (self.after[..same].chars().count(), b1 + same);
        for (x, (i, y)) in self.after[same..]
            .chars()
            .zip(t[b1 + same..].char_indices())
        {
            if fold(x) != fold(y) {
                break;
            }
            common_after += 1;
            reach_after = b1 + same + i + y.len_utf8();
        }
        let (n_before, n_after) = (self.before.chars().count(), self.after.chars().count());
        let before_whole =
            common_before == n_before && (!self.bounded_before || boundary_before(t, reach_before));
        let after_whole =
            common_after == n_after && (!self.bounded_after || boundary_after(t, reach_after));
        let share = |common: usize, n: usize, whole: bool| {
            if whole {
                1.0
            } else if n == 0 {
                0.0
            } else {
                common.min(n) as f64 / n as f64
            }
        };
        Kept {
            before: before_whole,
            after: after_whole,
            before_share: share(common_before, n_before, before_whole),
            after_share: share(common_after, n_after, after_whole),
            before_common: common_before,
            after_common: common_after,
        }
    }

    /// Whether a place that keeps `kept` still carries the same claim: the
    /// words next to the span survive whole on at least one side; or the
    /// span stands between the same boundaries on both sides (a whole
    /// sentence or line); or it starts (ends) its sentence as before and
    /// `NEAR` code points after (before) it survive.
    pub fn supports(&self, kept: Kept) -> bool {
        let before =
            kept.before && (kept.after || has_words(self.before) || kept.after_common >= NEAR);
        let after = kept.after && (has_words(self.after) || kept.before_common >= NEAR);
        before || after
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> SourceText {
        SourceText::from_bytes(s.as_bytes().to_vec()).unwrap()
    }

    fn context_of<'a>(t: &'a SourceText, quote: &str) -> ClaimContext<'a> {
        let (s, e) = t.occurrences(quote)[0];
        ClaimContext::around(t, s, e)
    }

    #[test]
    fn the_context_stops_at_the_sentence() {
        let t = text("First one. Kim will send 5,000 builders to Kursk, he said. Next.");
        let c = context_of(&t, "5,000 builders");
        assert_eq!(c.before, "Kim will send ");
        assert!(c.bounded_before);
        assert_eq!(c.after, " to Kursk, he said.");
    }

    #[test]
    fn decimal_points_and_initials_do_not_end_a_sentence() {
        let t = text("It cost 5.5 bn U.S.dollars to build it.");
        let c = context_of(&t, "to build");
        assert_eq!(c.before, "It cost 5.5 bn U.S.dollars ");
        assert!(c.bounded_before);
    }

    #[test]
    fn a_denial_keeps_neither_side() {
        let old = text("Kim will send 5,000 military builders to Kursk, the council said.\n");
        let new = text("A Kremlin spokesman denied that 5,000 military builders would be sent.\n");
        let c = context_of(&old, "5,000 military builders");
        let (s, e) = new.occurrences("5,000 military builders")[0];
        let k = c.kept(&new, s, e);
        assert!(!c.supports(k), "{k:?}");
        assert!(k.share() < 0.1, "{k:?}");
    }

    #[test]
    fn one_side_of_the_sentence_is_enough() {
        let old = text("Kim will send 5,000 military builders to Kursk, the council said.\n");
        let new = text("Kim will send 5,000 military builders to Kursk, TASS reported.\n");
        let c = context_of(&old, "5,000 military builders");
        let (s, e) = new.occurrences("5,000 military builders")[0];
        assert!(c.supports(c.kept(&new, s, e)));
    }

    #[test]
    fn a_whole_sentence_moves_alone_but_not_into_a_quotation() {
        let old = text("One. Kim will send builders. Two.\n");
        let moved = text("Two.\nOne. Kim will send builders.\n");
        let quoted = text("One. He denied that \"Kim will send builders.\" Two.\n");
        let c = context_of(&old, "Kim will send builders.");
        let (s, e) = moved.occurrences("Kim will send builders.")[0];
        assert!(c.supports(c.kept(&moved, s, e)));
        let (s, e) = quoted.occurrences("Kim will send builders.")[0];
        assert!(!c.supports(c.kept(&quoted, s, e)));
    }

    #[test]
    fn curly_quote_marks_keep_the_context() {
        let old = text("\"Kim will send builders,\" he said.\n");
        let new = text("“Kim will send builders,” he said.\n");
        let c = context_of(&old, "Kim will send builders");
        let (s, e) = new.occurrences("Kim will send builders")[0];
        let k = c.kept(&new, s, e);
        assert!(k.before && k.after, "{k:?}");
    }

    #[test]
    fn a_span_that_starts_its_sentence_keeps_it_with_the_words_after_it() {
        let old = text(
            "June 17. North Korean leader Kim Jong Un will send 1,000 combat engineers and more.\n",
        );
        let new = text(
            "June 17. North Korean leader Kim Jong Un will send 1,000 combat sappers and more.\n",
        );
        let c = context_of(&old, "North Korean leader Kim Jong Un");
        let (s, e) = new.occurrences("North Korean leader Kim Jong Un")[0];
        assert!(c.supports(c.kept(&new, s, e)));
        let rumour = text("June 17. Rumours say North Korean leader Kim Jong Un will send 1,000 combat engineers.\n");
        let (s, e) = rumour.occurrences("North Korean leader Kim Jong Un")[0];
        assert!(!c.supports(c.kept(&rumour, s, e)));
    }

    #[test]
    fn sentences_end_in_other_scripts_too() {
        let t = text("这是第一句。金正恩将派遣五千名军事建筑工人。");
        let c = context_of(&t, "五千名");
        assert_eq!(c.before, "金正恩将派遣");
        let t = text("پہلا جملہ۔ دوسرا جملہ یہاں ہے۔");
        let c = context_of(&t, "جملہ یہاں");
        assert_eq!(c.before, "دوسرا ");
        assert!(c.bounded_before);
    }

    #[test]
    fn a_question_is_not_the_statement() {
        let old = text("So. Kim will send builders to Kursk.\n");
        let new = text("So. Will Kim send builders to Kursk?\n");
        let c = context_of(&old, "builders");
        let (s, e) = new.occurrences("builders")[0];
        assert!(!c.supports(c.kept(&new, s, e)));
    }
}
