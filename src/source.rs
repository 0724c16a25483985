//! A source document: its exact bytes, their sha256, the UTF-8 check, and
//! the mapping between code-point offsets (what annotation files use) and
//! byte offsets (what Rust strings use).

use sha2::{Digest, Sha256};
use std::sync::Arc;
use unicode_segmentation::GraphemeCursor;

/// Every `STRIDE` code points the index stores a byte offset, so a lookup
/// walks at most `STRIDE - 1` characters and the index costs 1/4 byte per
/// code point.
const STRIDE: usize = 16;

/// The hex sha256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push(char::from_digit(u32::from(byte >> 4), 16).unwrap_or('0'));
        out.push(char::from_digit(u32::from(byte & 0xf), 16).unwrap_or('0'));
    }
    out
}

/// Bytes that are not UTF-8: where the first bad byte is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotUtf8 {
    pub offset: usize,
    pub byte: u8,
    pub line: u32,
}

#[derive(Debug)]
pub struct SourceText {
    text: Arc<String>,
    sha256: String,
    char_len: usize,
    /// Byte offset of code point `i * STRIDE`; empty when the text is ASCII
    /// (then code points and bytes coincide).
    checkpoints: Vec<u32>,
}

impl SourceText {
    /// Decodes bytes as UTF-8 (a BOM is kept as a character, nothing is
    /// normalised) and builds the offset index.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<SourceText, NotUtf8> {
        let sha256 = sha256_hex(&bytes);
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(err) => {
                let offset = err.utf8_error().valid_up_to();
                let bytes = err.as_bytes();
                let line = memchr::memchr_iter(b'\n', &bytes[..offset]).count() as u32 + 1;
                return Err(NotUtf8 {
                    offset,
                    byte: bytes[offset],
                    line,
                });
            }
        };
        Ok(SourceText::from_string(text, sha256))
    }

    fn from_string(text: String, sha256: String) -> SourceText {
        let (char_len, checkpoints) = if text.is_ascii() {
            (text.len(), Vec::new())
        } else {
            let mut checkpoints = Vec::with_capacity(text.len() / STRIDE + 1);
            let mut count = 0;
            for (byte, _) in text.char_indices() {
                if count % STRIDE == 0 {
                    checkpoints.push(byte as u32);
                }
                count += 1;
            }
            (count, checkpoints)
        };
        SourceText {
            text: Arc::new(text),
            sha256,
            char_len,
            checkpoints,
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn shared_text(&self) -> Arc<String> {
        Arc::clone(&self.text)
    }

    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// Length in code points.
    pub fn char_len(&self) -> usize {
        self.char_len
    }

    /// Byte offset of code point `cp`; `None` past the end.
    pub fn byte_of(&self, cp: usize) -> Option<usize> {
        if cp > self.char_len {
            return None;
        }
        if self.checkpoints.is_empty() {
            return Some(cp);
        }
        if cp == self.char_len {
            return Some(self.text.len());
        }
        let mut byte = self.checkpoints[cp / STRIDE] as usize;
        let bytes = self.text.as_bytes();
        for _ in 0..cp % STRIDE {
            byte += utf8_width(bytes[byte]);
        }
        Some(byte)
    }

    /// Code point offset of a byte offset that lies on a character boundary.
    pub fn char_of(&self, byte: usize) -> usize {
        if self.checkpoints.is_empty() {
            return byte;
        }
        let slot = match self.checkpoints.binary_search(&(byte as u32)) {
            Ok(slot) => return slot * STRIDE,
            Err(slot) => slot - 1,
        };
        let from = self.checkpoints[slot] as usize;
        slot * STRIDE + self.text[from..byte].chars().count()
    }

    /// The text between two code-point offsets, if both are in range.
    pub fn slice(&self, start: usize, end: usize) -> Option<&str> {
        let from = self.byte_of(start)?;
        let to = self.byte_of(end)?;
        (from <= to).then(|| &self.text[from..to])
    }

    /// Code-point ranges of every occurrence of `needle`, overlapping ones
    /// included ("aa" occurs twice in "aaa": ambiguity is about places, not
    /// about a tiling of the text).
    pub fn occurrences(&self, needle: &str) -> Vec<(usize, usize)> {
        if needle.is_empty() {
            return Vec::new();
        }
        let needle_chars = needle.chars().count();
        let finder = memchr::memmem::Finder::new(needle.as_bytes());
        let bytes = self.text.as_bytes();
        let mut out = Vec::new();
        let mut from = 0;
        while let Some(found) = finder.find(&bytes[from..]) {
            let byte = from + found;
            let start = self.char_of(byte);
            out.push((start, start + needle_chars));
            // The next search starts one character later.
            from = byte + utf8_width(bytes[byte]);
        }
        out
    }

    /// Every occurrence (overlapping ones included) of each of `needles`;
    /// with many needles on a long text, in one pass over the text.
    pub fn occurrences_of_each<'n>(
        &self,
        needles: &[&'n str],
    ) -> foldhash::HashMap<&'n str, Vec<(usize, usize)>> {
        let mut distinct: Vec<&'n str> =
            needles.iter().copied().filter(|n| !n.is_empty()).collect();
        distinct.sort_unstable();
        distinct.dedup();
        let mut found: foldhash::HashMap<&'n str, Vec<(usize, usize)>> =
            distinct.iter().map(|n| (*n, Vec::new())).collect();
        // Searching for each quote on its own is cheapest for a few quotes;
        // for more, building a substring searcher per quote (a tenth of a
        // full validation of 100 quotes per source) and a pass each cost
        // more than one pass for all (`crate::search`, which finds the
        // same occurrences, in order per quote).
        if distinct.len() < 8 {
            for needle in distinct {
                found.insert(needle, self.occurrences(needle));
            }
            return found;
        }
        let quotes = crate::search::Quotes::new(distinct);
        let lengths: Vec<usize> = quotes
            .patterns()
            .iter()
            .map(|n| n.chars().count())
            .collect();
        let mut places: Vec<Vec<(usize, usize)>> = vec![Vec::new(); lengths.len()];
        quotes.each_occurrence(self.text(), |id, byte| {
            let start = self.char_of(byte);
            places[id].push((start, start + lengths[id]));
        });
        for (needle, list) in quotes.patterns().iter().zip(places) {
            found.insert(needle, list);
        }
        found
    }

    /// Whether a code-point offset falls between two grapheme clusters.
    pub fn is_grapheme_boundary(&self, cp: usize) -> bool {
        let Some(byte) = self.byte_of(cp) else {
            return true;
        };
        let mut cursor = GraphemeCursor::new(byte, self.text.len(), true);
        cursor.is_boundary(&self.text, 0).unwrap_or(true)
    }

    /// 1-based line and column (in code points) of a code-point offset.
    pub fn line_column(&self, cp: usize) -> (u32, u32) {
        let byte = self.byte_of(cp).unwrap_or(self.text.len());
        let before = &self.text.as_bytes()[..byte];
        let line = memchr::memchr_iter(b'\n', before).count() + 1;
        let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
        let column = self.text[line_start..byte].chars().count() + 1;
        (line as u32, column as u32)
    }
}

fn utf8_width(lead: u8) -> usize {
    match lead {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_round_trip_on_mixed_text() {
        let text: String = "zażółć gęślą jaźń 🙂 “quoted” ".repeat(20);
        let source = SourceText::from_bytes(text.clone().into_bytes()).unwrap();
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        assert_eq!(source.char_len(), chars.len());
        for (cp, (byte, _)) in chars.iter().enumerate() {
            assert_eq!(source.byte_of(cp), Some(*byte));
            assert_eq!(source.char_of(*byte), cp);
        }
        assert_eq!(source.byte_of(chars.len()), Some(text.len()));
        assert_eq!(source.byte_of(chars.len() + 1), None);
    }

    #[test]
    fn overlapping_occurrences_count() {
        let source = SourceText::from_bytes("zażółć zażółć zażółć".as_bytes().to_vec()).unwrap();
        assert_eq!(source.occurrences("zażółć zażółć"), vec![(0, 13), (7, 20)]);
        let aaa = SourceText::from_bytes(b"aaa".to_vec()).unwrap();
        assert_eq!(aaa.occurrences("aa"), vec![(0, 2), (1, 3)]);
    }

    #[test]
    fn batched_search_matches_one_by_one() {
        let source = SourceText::from_bytes(
            "zażółć zażółć zażółć cat cat dog “x” cat"
                .as_bytes()
                .to_vec(),
        )
        .unwrap();
        let needles = ["zażółć zażółć", "cat", "dog", "“x”", "missing", "at c"];
        let all = source.occurrences_of_each(&needles);
        for needle in needles {
            assert_eq!(all[needle], source.occurrences(needle), "{needle}");
        }
    }

    #[test]
    fn bom_counts_as_a_character() {
        let source = SourceText::from_bytes("\u{feff}abc".as_bytes().to_vec()).unwrap();
        assert_eq!(source.char_len(), 4);
        assert_eq!(source.slice(1, 4), Some("abc"));
    }

    #[test]
    fn not_utf8_reports_first_bad_byte() {
        let err = SourceText::from_bytes(b"ok\nfine\xc3(".to_vec()).unwrap_err();
        assert_eq!(
            err,
            NotUtf8 {
                offset: 7,
                byte: 0xc3,
                line: 2
            }
        );
    }

    #[test]
    fn sha256_matches_known_value() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn combining_mark_is_not_a_boundary() {
        let source = SourceText::from_bytes("cafe\u{301} ok".as_bytes().to_vec()).unwrap();
        assert!(!source.is_grapheme_boundary(4));
        assert!(source.is_grapheme_boundary(5));
    }
}
