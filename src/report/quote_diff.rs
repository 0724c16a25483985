//! What changed inside an edited quote, word by word, for a reviewer: the
//! deleted and inserted words marked, long unchanged stretches shortened
//! away from the change, never inside it.

use similar::{capture_diff_slices, Algorithm, DiffOp};

/// A piece of the word diff of two quotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Same(String),
    Deleted(String),
    Inserted(String),
    /// Unchanged text left out.
    Elided,
}

/// Unchanged text kept next to a change, in characters, on each side.
const KEEP: usize = 40;

/// Words (letters and digits), runs of whitespace, and single other
/// characters: the units a reader sees change.
fn tokens(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let class = |c: char| {
            if c.is_alphanumeric() {
                0
            } else if c.is_whitespace() {
                1
            } else {
                2
            }
        };
        let k = class(c);
        let mut end = i + c.len_utf8();
        if k != 2 {
            while let Some(&(j, d)) = chars.peek() {
                if class(d) != k {
                    break;
                }
                end = j + d.len_utf8();
                chars.next();
            }
        }
        debug_assert_eq!(i, start);
        out.push(&s[start..end]);
        start = end;
    }
    out
}

/// The word diff of `old` and `new`, unchanged stretches longer than twice
/// `KEEP` characters shortened to their ends.
pub fn word_diff(old: &str, new: &str) -> Vec<Piece> {
    let (a, b) = (tokens(old), tokens(new));
    let mut pieces: Vec<Piece> = Vec::new();
    let mut push = |piece: Piece| match (pieces.last_mut(), &piece) {
        (Some(Piece::Same(x)), Piece::Same(y))
        | (Some(Piece::Deleted(x)), Piece::Deleted(y))
        | (Some(Piece::Inserted(x)), Piece::Inserted(y)) => x.push_str(y),
        _ => pieces.push(piece),
    };
    for op in capture_diff_slices(Algorithm::Myers, &a, &b) {
        match op {
            DiffOp::Equal { old_index, len, .. } => {
                push(Piece::Same(a[old_index..old_index + len].concat()))
            }
            DiffOp::Delete {
                old_index, old_len, ..
            } => push(Piece::Deleted(a[old_index..old_index + old_len].concat())),
            DiffOp::Insert {
                new_index, new_len, ..
            } => push(Piece::Inserted(b[new_index..new_index + new_len].concat())),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                push(Piece::Deleted(a[old_index..old_index + old_len].concat()));
                push(Piece::Inserted(b[new_index..new_index + new_len].concat()));
            }
        }
    }
    shorten(pieces)
}

/// The word diff written out: unchanged text through `text`, deleted and
/// inserted text through `text` between the given marks (open, close),
/// text left out as `elided`.
pub fn marked(
    old: &str,
    new: &str,
    text: impl Fn(&str) -> String,
    deleted: (&str, &str),
    inserted: (&str, &str),
    elided: &str,
) -> String {
    word_diff(old, new)
        .iter()
        .map(|p| match p {
            Piece::Same(s) => text(s),
            Piece::Deleted(s) => format!("{}{}{}", deleted.0, text(s), deleted.1),
            Piece::Inserted(s) => format!("{}{}{}", inserted.0, text(s), inserted.1),
            Piece::Elided => elided.to_string(),
        })
        .collect()
}

fn head(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

fn tail(s: &str, n: usize) -> String {
    let len = s.chars().count();
    s.chars().skip(len.saturating_sub(n)).collect()
}

/// Shortens unchanged stretches: the first keeps its end, the last its
/// start, a middle one both.
fn shorten(pieces: Vec<Piece>) -> Vec<Piece> {
    let last = pieces.len().saturating_sub(1);
    let mut out = Vec::new();
    for (i, piece) in pieces.into_iter().enumerate() {
        let Piece::Same(text) = &piece else {
            out.push(piece);
            continue;
        };
        let len = text.chars().count();
        let (first, final_) = (i == 0, i == last);
        if first && final_ || len <= 2 * KEEP {
            out.push(piece);
        } else if first {
            out.push(Piece::Elided);
            out.push(Piece::Same(tail(text, KEEP)));
        } else if final_ {
            out.push(Piece::Same(head(text, KEEP)));
            out.push(Piece::Elided);
        } else {
            out.push(Piece::Same(head(text, KEEP)));
            out.push(Piece::Elided);
            out.push(Piece::Same(tail(text, KEEP)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_word_changed_in_a_long_quote_is_marked_and_kept() {
        let filler = "a careful sentence that goes on ".repeat(8);
        let old = format!("{filler}and the plan was discussed at length {filler}");
        let new = format!("{filler}and the plan were discussed at length {filler}");
        let pieces = word_diff(&old, &new);
        assert!(pieces.contains(&Piece::Deleted("was".to_string())));
        assert!(pieces.contains(&Piece::Inserted("were".to_string())));
        assert_eq!(pieces.first(), Some(&Piece::Elided));
        assert_eq!(pieces.last(), Some(&Piece::Elided));
        let shown: usize = pieces
            .iter()
            .map(|p| match p {
                Piece::Same(s) | Piece::Deleted(s) | Piece::Inserted(s) => s.chars().count(),
                Piece::Elided => 1,
            })
            .sum();
        assert!(shown < 100, "{pieces:?}");
    }

    #[test]
    fn punctuation_changes_are_their_own_pieces() {
        let pieces = word_diff("it's \"fine\"", "it’s “fine”");
        assert_eq!(
            pieces,
            vec![
                Piece::Same("it".to_string()),
                Piece::Deleted("'".to_string()),
                Piece::Inserted("’".to_string()),
                Piece::Same("s ".to_string()),
                Piece::Deleted("\"".to_string()),
                Piece::Inserted("“".to_string()),
                Piece::Same("fine".to_string()),
                Piece::Deleted("\"".to_string()),
                Piece::Inserted("”".to_string()),
            ]
        );
    }
}
