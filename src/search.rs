//! Every occurrence of many quotes in a text, found in a few passes.
//!
//! Drift searches the old and the new text for the quotes of every span the
//! diff could not settle — tens of thousands of quotes over a 1 MB text.
//! An Aho-Corasick automaton over that many quotes costs more to build than
//! to run, so the quotes are cut into 16-byte pieces instead, kept as a tree
//! of hash tables: a piece of up to 16 bytes is compared exactly as two
//! 8-byte words, and quotes that share their first piece are told apart by
//! the next one. The text is probed at every byte, once per length of first
//! piece, behind a bit filter that turns most positions away without
//! touching a table. The result is what any exact search finds: every
//! position where each quote occurs, overlapping ones included, in order.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Longest piece, in bytes: two 8-byte words.
const PIECE: usize = 16;
/// Quotes sharing a piece up to this many are compared in full where it
/// matches; more get a table of their next pieces.
const FEW: usize = 4;

/// Up to 16 bytes as two words: the first 8 bytes and the last 8
/// (overlapping when shorter than 16), zero-padded below 8 bytes.
type Window = (u64, u64);

/// Hashes a [`Window`]: one multiply, enough for keys that are text.
#[derive(Default)]
struct WindowHasher(u64);

impl Hasher for WindowHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(29) ^ word).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

fn mix((a, b): Window) -> u64 {
    (a.rotate_left(29) ^ b).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

fn word(bytes: &[u8], at: usize, len: usize) -> u64 {
    let mut buf = [0u8; 8];
    buf[..len].copy_from_slice(&bytes[at..at + len]);
    u64::from_le_bytes(buf)
}

/// The window of `len` bytes (1 to 16) starting at `at`.
fn window(bytes: &[u8], at: usize, len: usize) -> Window {
    if len >= 8 {
        (word(bytes, at, 8), word(bytes, at + len - 8, 8))
    } else {
        (word(bytes, at, len), 0)
    }
}

/// The bytes of a quote still to match, and its number.
type Rest<'a> = (&'a [u8], u32);

/// The pieces at one depth of the tree, by length.
struct Level {
    groups: Vec<Group>,
}

/// Pieces of one length.
struct Group {
    len: usize,
    /// One bit per hash value (its top bits); only used at the top.
    filter: Vec<u64>,
    shift: u32,
    table: HashMap<Window, Entry, BuildHasherDefault<WindowHasher>>,
}

#[derive(Default)]
struct Entry {
    /// Quotes that end with this piece.
    ends: Vec<u32>,
    /// Quotes that go on after it.
    longer: Longer,
}

#[derive(Default)]
enum Longer {
    #[default]
    Nothing,
    /// Few enough to compare in full.
    Few(Vec<u32>),
    Level(Box<Level>),
}

impl Level {
    /// The tree for quotes (their bytes from `depth` pieces on, and their
    /// numbers); every rest is non-empty.
    fn new(quotes: &[Rest], depth: usize) -> Level {
        let mut groups: Vec<Group> = (1..=PIECE)
            .map(|len| Group {
                len,
                filter: Vec::new(),
                shift: 0,
                table: HashMap::default(),
            })
            .collect();
        let mut rests: HashMap<(usize, Window), Vec<Rest>> = HashMap::new();
        for &(rest, id) in quotes {
            let len = rest.len().min(PIECE);
            let key = window(rest, 0, len);
            let entry = groups[len - 1].table.entry(key).or_default();
            if rest.len() == len {
                entry.ends.push(id);
            } else {
                rests
                    .entry((len, key))
                    .or_default()
                    .push((&rest[PIECE..], id));
            }
        }
        for ((len, key), longer) in rests {
            let Some(entry) = groups[len - 1].table.get_mut(&key) else {
                continue;
            };
            // Past 64 pieces (1 KB) quotes are compared in full, however
            // many: the tree stays shallow.
            entry.longer = if longer.len() <= FEW || depth >= 64 {
                Longer::Few(longer.iter().map(|&(_, id)| id).collect())
            } else {
                Longer::Level(Box::new(Level::new(&longer, depth + 1)))
            };
        }
        groups.retain(|g| !g.table.is_empty());
        Level { groups }
    }
}

/// A set of quotes to find. Empty quotes are never found.
pub struct Quotes<'p> {
    patterns: Vec<&'p str>,
    top: Level,
}

impl<'p> Quotes<'p> {
    pub fn new(patterns: Vec<&'p str>) -> Quotes<'p> {
        let quotes: Vec<Rest> = patterns
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.is_empty())
            .map(|(id, p)| (p.as_bytes(), id as u32))
            .collect();
        let mut top = Level::new(&quotes, 0);
        for group in &mut top.groups {
            let bits = (group.table.len() * 16).next_power_of_two().max(1 << 12);
            group.shift = 64 - bits.trailing_zeros();
            group.filter = vec![0; bits / 64];
            for key in group.table.keys() {
                let h = (mix(*key) >> group.shift) as usize;
                group.filter[h / 64] |= 1 << (h % 64);
            }
        }
        Quotes { patterns, top }
    }

    /// The quotes, numbered as [`Quotes::each_occurrence`] numbers them.
    pub fn patterns(&self) -> &[&'p str] {
        &self.patterns
    }

    /// Calls `found(quote number, byte offset)` for every occurrence of
    /// every quote; for each quote in increasing order of offset.
    pub fn each_occurrence(&self, text: &str, mut found: impl FnMut(usize, usize)) {
        let bytes = text.as_bytes();
        for group in &self.top.groups {
            let len = group.len;
            if bytes.len() < len {
                continue;
            }
            for at in 0..=bytes.len() - len {
                let key = window(bytes, at, len);
                let h = (mix(key) >> group.shift) as usize;
                if group.filter[h / 64] & (1 << (h % 64)) == 0 {
                    continue;
                }
                if let Some(entry) = group.table.get(&key) {
                    self.matched(entry, bytes, at, PIECE, &mut found);
                }
            }
        }
    }

    /// Reports the quotes of `entry`, whose piece matched the text at `at`,
    /// and follows those that go on from `at + next`.
    fn matched(
        &self,
        entry: &Entry,
        bytes: &[u8],
        at: usize,
        next: usize,
        found: &mut dyn FnMut(usize, usize),
    ) {
        for &id in &entry.ends {
            found(id as usize, at);
        }
        match &entry.longer {
            Longer::Nothing => {}
            Longer::Few(ids) => {
                for &id in ids {
                    if bytes[at..].starts_with(self.patterns[id as usize].as_bytes()) {
                        found(id as usize, at);
                    }
                }
            }
            Longer::Level(level) => {
                for group in &level.groups {
                    if at + next + group.len > bytes.len() {
                        continue;
                    }
                    let key = window(bytes, at + next, group.len);
                    if let Some(entry) = group.table.get(&key) {
                        self.matched(entry, bytes, at, next + PIECE, found);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every (quote, byte offset), by the obvious method.
    fn naive(patterns: &[&str], text: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (id, p) in patterns.iter().enumerate() {
            if p.is_empty() {
                continue;
            }
            for at in 0..text.len() {
                if text.as_bytes()[at..].starts_with(p.as_bytes()) {
                    out.push((id, at));
                }
            }
        }
        out
    }

    fn found(patterns: &[&str], text: &str) -> Vec<(usize, usize)> {
        let quotes = Quotes::new(patterns.to_vec());
        let mut out = Vec::new();
        quotes.each_occurrence(text, |id, at| out.push((id, at)));
        // Per quote the order is by offset; across quotes it is not.
        out.sort_by_key(|&(id, at)| (id, at));
        let mut per_quote = out.clone();
        per_quote.dedup();
        assert_eq!(per_quote, out, "no occurrence twice");
        out
    }

    #[test]
    fn finds_what_the_obvious_search_finds() {
        let text = "aaaa zażółć gęślą “quoted” — the press said that the press café said. ";
        let text = text.repeat(3) + "end";
        let patterns = [
            "a",
            "aa",
            "aaa",
            "zażółć",
            "ż",
            "“quoted” — the",
            "the press said that the press",
            "the press café said.",
            "the press café sang",
            "end",
            "dne",
            "",
            "0123456789abcdef",
            "0123456789abcdefX",
        ];
        assert_eq!(found(&patterns, &text), naive(&patterns, &text));
    }

    #[test]
    fn many_quotes_sharing_a_beginning_still_find_everything() {
        let stems: Vec<String> = (0..100)
            .map(|i| format!("sixteen bytes!!! {} {i} ", "x".repeat(i % 40)))
            .collect();
        let text = stems.concat();
        let patterns: Vec<&str> = stems.iter().map(String::as_str).collect();
        assert_eq!(found(&patterns, &text), naive(&patterns, &text));
    }

    #[test]
    fn many_short_quotes_sharing_eight_bytes() {
        let stems: Vec<String> = (0..300).map(|i| format!("prefix8_{i}")).collect();
        let text = stems.join(" ") + " prefix8_";
        let mut patterns: Vec<&str> = stems.iter().map(String::as_str).collect();
        patterns.extend(["prefix8_", "prefix8", "x 1", " "]);
        assert_eq!(found(&patterns, &text), naive(&patterns, &text));
    }

    #[test]
    fn quotes_of_every_length_over_a_small_alphabet() {
        // Few letters: quotes share their pieces at every depth.
        let mut seed = 11u64;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            (seed >> 33) as usize % n
        };
        let text: String = (0..4000).map(|_| ['a', 'b', 'é'][next(3)]).collect();
        let chars: Vec<char> = text.chars().collect();
        let quotes: Vec<String> = (0..300)
            .map(|_| {
                let len = 1 + next(40);
                let at = next(chars.len() - len);
                chars[at..at + len].iter().collect()
            })
            .chain(["ab".repeat(20), "x".repeat(9)])
            .collect();
        let patterns: Vec<&str> = quotes.iter().map(String::as_str).collect();
        assert_eq!(found(&patterns, &text), naive(&patterns, &text));
    }

    #[test]
    fn texts_shorter_than_a_key() {
        assert_eq!(found(&["abc", "abcdefghij"], "ab"), vec![]);
        assert_eq!(found(&["ab"], "ab"), vec![(0, 0)]);
    }
}
