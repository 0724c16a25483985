//! Whether a span's own sentence came along with it. The same letters in
//! another sentence — a denial, a rumour, a question, another speaker — or
//! in its own sentence rewritten around them are not certainly the same
//! claim, so a span may be carried without review only where its whole
//! sentence survived on both sides of it, out to the same kind of
//! boundaries (a sentence or line moved as a unit keeps them).

use crate::source::SourceText;

/// How far a span's sentence is followed on each side, in code points: a
/// text without sentence ends is compared this far.
pub const SENTENCE: usize = 1_000;

/// The old text next to a span, out to its sentence boundary or `SENTENCE`
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

/// ASCII bytes that neither break a line nor can end a sentence: the walk
/// to a sentence's ends passes them without looking closer. Every other
/// byte (the rest of ASCII's punctuation stops, and every byte of a
/// non-ASCII character) is looked at as a character.
const PASSED: [bool; 256] = {
    let mut passed = [false; 256];
    let mut b = 0;
    while b < 128 {
        passed[b] = !matches!(b as u8, b'\n' | b'\r' | b'.' | b'!' | b'?' | b';');
        b += 1;
    }
    passed
};

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
    /// The sentence around `[start, end)` of `text` (code points), out to
    /// its boundaries, at most `SENTENCE` code points a side.
    pub fn sentence(text: &'a SourceText, start: usize, end: usize) -> ClaimContext<'a> {
        let reach = SENTENCE;
        let t = text.text();
        let (Some(b0), Some(b1)) = (text.byte_of(start), text.byte_of(end)) else {
            return ClaimContext::given("", "");
        };
        let bytes = t.as_bytes();
        // Back to the boundary: its own characters are not kept. Runs of
        // characters that cannot end a sentence are skipped as bytes.
        let (mut i, mut count) = (b0, 0);
        let before = loop {
            while i > 0 && count < reach && PASSED[bytes[i - 1] as usize] {
                i -= 1;
                count += 1;
            }
            if count >= reach {
                break (i, false);
            }
            let Some(c) = t[..i].chars().next_back() else {
                break (0, true);
            };
            if is_line_break(c) || ends_sentence(c, &t[i..]) {
                break (i, true);
            }
            i -= c.len_utf8();
            count += 1;
            if count >= reach {
                break (i, false);
            }
        };
        // A span that ends a sentence itself has nothing after it to keep.
        let core = t[b0..b1].trim_end_matches(is_closing);
        let quote_ends_sentence = core
            .chars()
            .next_back()
            .is_some_and(|c| is_line_break(c) || ends_sentence(c, &t[b0 + core.len()..]));
        let after = if quote_ends_sentence {
            (b1, false)
        } else {
            let (mut at, mut count) = (b1, 0);
            loop {
                while at < t.len() && count < reach && PASSED[bytes[at] as usize] {
                    at += 1;
                    count += 1;
                }
                if count >= reach {
                    break (at, false);
                }
                let Some(c) = t[at..].chars().next() else {
                    break (t.len(), true);
                };
                if is_line_break(c) {
                    break (at, true);
                }
                let next = at + c.len_utf8();
                if ends_sentence(c, &t[next..]) {
                    // The closing marks after a full stop belong to it.
                    let close = t[next..].len() - t[next..].trim_start_matches(is_closing).len();
                    break (next + close, false);
                }
                at = next;
                count += 1;
                if count >= reach {
                    break (at, false);
                }
            }
        };
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

    /// The sentence with `quote` in the span's place.
    pub fn text(&self, quote: &str) -> String {
        format!("{}{quote}{}", self.before, self.after)
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
        }
    }

    /// Whether a place keeps the span's sentence: both sides whole, out to
    /// the same kind of boundaries. A sentence moved with the span keeps
    /// both; a sentence edited around the span, or one reused inside
    /// another — "Rumours claim that …" before it, "…, a blogger wrote"
    /// after it — keeps at most one.
    pub fn supports(&self, kept: Kept) -> bool {
        kept.before && kept.after
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
        ClaimContext::sentence(t, s, e)
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
    fn an_edit_anywhere_in_the_sentence_is_for_a_person() {
        let old = text("Kim will send 5,000 military builders to Kursk, the council said.\n");
        let new = text("Kim will send 5,000 military builders to Kursk, TASS reported.\n");
        let c = context_of(&old, "5,000 military builders");
        let (s, e) = new.occurrences("5,000 military builders")[0];
        let k = c.kept(&new, s, e);
        assert!(k.before && !k.after, "{k:?}");
        assert!(!c.supports(k));
        // The rest of the sentence elsewhere: every other span keeps it.
        let more =
            text("Yesterday. Kim will send 5,000 military builders to Kursk, the council said.\n");
        let (s, e) = more.occurrences("5,000 military builders")[0];
        assert!(c.supports(c.kept(&more, s, e)));
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
    fn a_sentence_reused_inside_another_does_not_move_its_claims() {
        let old = text("Before. Shoigu said Kim decided to send a thousand sappers to clear the mines of the Kursk region, he said on Tuesday.\nAfter.\n");
        let moved = text("After.\nBefore. Shoigu said Kim decided to send a thousand sappers to clear the mines of the Kursk region, he said on Tuesday.\n");
        let hedged = text("Before.\nAfter. Rumours claim that Shoigu said Kim decided to send a thousand sappers to clear the mines of the Kursk region, he said on Tuesday.\n");
        let quote = "a thousand sappers";
        let (s, e) = old.occurrences(quote)[0];
        let c = ClaimContext::sentence(&old, s, e);
        let (s, e) = moved.occurrences(quote)[0];
        assert!(c.supports(c.kept(&moved, s, e)));
        let (s, e) = hedged.occurrences(quote)[0];
        assert!(!c.supports(c.kept(&hedged, s, e)));
    }

    /// The sentence's ends found one character at a time, as the
    /// definition reads: what the byte-skipping walk must agree with.
    /// (Where the side before starts, whether a boundary bounds it; the
    /// same after.)
    fn ends_by_characters(t: &str, b0: usize, b1: usize) -> ((usize, bool), (usize, bool)) {
        let mut before = (0, true);
        for (count, (i, c)) in t[..b0].char_indices().rev().enumerate() {
            let next = i + c.len_utf8();
            if is_line_break(c) || ends_sentence(c, &t[next..]) {
                before = (next, true);
                break;
            }
            if count + 1 >= SENTENCE {
                before = (i, false);
                break;
            }
        }
        let core = t[b0..b1].trim_end_matches(is_closing);
        if core
            .chars()
            .next_back()
            .is_some_and(|c| is_line_break(c) || ends_sentence(c, &t[b0 + core.len()..]))
        {
            return (before, (b1, false));
        }
        for (count, (i, c)) in t[b1..].char_indices().enumerate() {
            let at = b1 + i;
            let next = at + c.len_utf8();
            if is_line_break(c) {
                return (before, (at, true));
            }
            if ends_sentence(c, &t[next..]) {
                let close = t[next..].len() - t[next..].trim_start_matches(is_closing).len();
                return (before, (next + close, false));
            }
            if count + 1 >= SENTENCE {
                return (before, (next, false));
            }
        }
        (before, (t.len(), true))
    }

    #[test]
    fn the_walk_to_the_ends_agrees_with_the_definition() {
        let pieces = [
            "word",
            " ",
            ". ",
            "! ",
            "? ",
            ";",
            "\n",
            "\r\n",
            "”",
            "\"",
            ")",
            "。",
            "é",
            "zażółć",
            "… ",
            "\u{2028}",
            "U.S.",
            "5.5",
            "—",
            "\u{85}",
        ];
        let long = ["word ", "zażółć ", "a,"];
        let mut seed = 5u64;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n
        };
        for round in 0..3000 {
            // Every third text runs on past the reach without a boundary.
            let t: String = if round % 3 == 0 {
                (0..next(700)).map(|_| long[next(long.len())]).collect()
            } else {
                (0..next(80)).map(|_| pieces[next(pieces.len())]).collect()
            };
            let source = text(&t);
            let n = source.char_len();
            let start = next(n + 1);
            let end = start + next(n - start + 1);
            let (b0, b1) = (source.byte_of(start).unwrap(), source.byte_of(end).unwrap());
            let c = ClaimContext::sentence(&source, start, end);
            let ((from, bounded_before), (to, bounded_after)) = ends_by_characters(&t, b0, b1);
            let words = &t[from..b0];
            let before = if bounded_before {
                words.trim_start()
            } else {
                words
            };
            assert_eq!(
                (c.before, c.bounded_before, c.after, c.bounded_after),
                (before, bounded_before, &t[b1..to], bounded_after),
                "{t:?} at {start}..{end}"
            );
        }
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
