//! Positions as the protocol counts them: a line and a column in the
//! negotiated unit (UTF-8 bytes, UTF-16 code units or code points),
//! converted to and from byte offsets of a text. Lines end at `\n`, `\r\n`
//! or a lone `\r`, as LSP says.

use lsp_types::{Position, PositionEncodingKind, Range};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
    Utf32,
}

impl Encoding {
    /// The first encoding the client offers that the server supports;
    /// UTF-16 when it offers none.
    pub fn negotiate(offered: Option<&[PositionEncodingKind]>) -> Encoding {
        offered
            .unwrap_or_default()
            .iter()
            .find_map(|kind| match kind.as_str() {
                "utf-8" => Some(Encoding::Utf8),
                "utf-16" => Some(Encoding::Utf16),
                "utf-32" => Some(Encoding::Utf32),
                _ => None,
            })
            .unwrap_or(Encoding::Utf16)
    }

    pub fn kind(self) -> PositionEncodingKind {
        match self {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
            Encoding::Utf32 => PositionEncodingKind::UTF32,
        }
    }

    fn width(self, c: char) -> u32 {
        match self {
            Encoding::Utf8 => c.len_utf8() as u32,
            Encoding::Utf16 => c.len_utf16() as u32,
            Encoding::Utf32 => 1,
        }
    }
}

/// Where each line of a text starts.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        while let Some(found) = memchr::memchr2(b'\n', b'\r', &bytes[i..]) {
            let at = i + found;
            let next = if bytes[at] == b'\r' && bytes.get(at + 1) == Some(&b'\n') {
                at + 2
            } else {
                at + 1
            };
            starts.push(next);
            i = next;
        }
        LineIndex { starts }
    }

    /// The byte where `line` ends, before its line break.
    fn line_end(&self, text: &str, line: usize) -> usize {
        let start = self.starts[line];
        let next = self.starts.get(line + 1).copied().unwrap_or(text.len());
        let content = &text.as_bytes()[start..next];
        let trimmed = content
            .strip_suffix(b"\r\n")
            .or_else(|| content.strip_suffix(b"\n"))
            .or_else(|| content.strip_suffix(b"\r"))
            .unwrap_or(content);
        start + trimmed.len()
    }

    /// The position of byte `offset` (clamped to the text, moved back to a
    /// character boundary).
    pub fn position(&self, text: &str, offset: usize, encoding: Encoding) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let column: u32 = match encoding {
            Encoding::Utf8 => (offset - start) as u32,
            _ => text[start..offset].chars().map(|c| encoding.width(c)).sum(),
        };
        Position::new(line as u32, column)
    }

    /// The byte offset of `position`: a column past the end of its line is
    /// the line's end, a line past the last is the end of the text, and a
    /// column inside a character is that character's start.
    pub fn offset(&self, text: &str, position: Position, encoding: Encoding) -> usize {
        let line = position.line as usize;
        if line >= self.starts.len() {
            return text.len();
        }
        let start = self.starts[line];
        let end = self.line_end(text, line);
        let mut column = 0u32;
        for (i, c) in text[start..end].char_indices() {
            let width = encoding.width(c);
            if column + width > position.character {
                return start + i;
            }
            column += width;
        }
        end
    }

    pub fn range(&self, text: &str, start: usize, end: usize, encoding: Encoding) -> Range {
        Range::new(
            self.position(text, start, encoding),
            self.position(text, end.max(start), encoding),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_the_negotiated_unit_both_ways() {
        // "ż" is 2 bytes, 1 UTF-16 unit; "😀" 4 bytes, 2 units; "é" written
        // as e + U+0301 is two code points of 1 + 2 bytes.
        let text = "a: żółw 😀 e\u{301}x\nb";
        let lines = LineIndex::new(text);
        let x = text.find('x').unwrap();
        for (encoding, column) in [
            (Encoding::Utf8, x as u32),
            (Encoding::Utf16, 13),
            (Encoding::Utf32, 12),
        ] {
            let position = lines.position(text, x, encoding);
            assert_eq!(position, Position::new(0, column), "{encoding:?}");
            assert_eq!(lines.offset(text, position, encoding), x, "{encoding:?}");
        }
    }

    #[test]
    fn line_breaks_of_every_kind_end_a_line() {
        let text = "one\r\ntwo\rthree\nfour";
        let lines = LineIndex::new(text);
        let four = text.find("four").unwrap();
        assert_eq!(
            lines.position(text, four, Encoding::Utf16),
            Position::new(3, 0)
        );
        // A column past the end stops before the line break.
        assert_eq!(lines.offset(text, Position::new(0, 99), Encoding::Utf16), 3);
        assert_eq!(
            lines.offset(text, Position::new(9, 0), Encoding::Utf16),
            text.len()
        );
    }

    #[test]
    fn a_column_inside_a_surrogate_pair_is_the_characters_start() {
        let text = "😀x";
        let lines = LineIndex::new(text);
        assert_eq!(lines.offset(text, Position::new(0, 1), Encoding::Utf16), 0);
        assert_eq!(lines.offset(text, Position::new(0, 2), Encoding::Utf16), 4);
    }

    #[test]
    fn negotiation_takes_the_first_supported_and_defaults_to_utf16() {
        let offered = [
            PositionEncodingKind::new("utf-7"),
            PositionEncodingKind::UTF32,
            PositionEncodingKind::UTF8,
        ];
        assert_eq!(Encoding::negotiate(Some(&offered)), Encoding::Utf32);
        assert_eq!(Encoding::negotiate(None), Encoding::Utf16);
        assert_eq!(Encoding::negotiate(Some(&[])), Encoding::Utf16);
    }
}
