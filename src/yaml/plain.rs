//! A fast reader for the plain shape that nearly every annotation file has:
//! block mappings and sequences indented with spaces, one-line flow
//! collections, one-line scalars, and comments. It builds the same tree,
//! with the same positions, as the full YAML parser, and it gives up
//! (returns `None`) on anything outside that shape — an empty value, a
//! multi-line or block scalar, a tab, a carriage return, a number in an
//! unusual notation, an unusual character — so that the full parser reads
//! the file and reports on it. Tests compare the two readers on every file
//! of the repository and on generated variations.

use super::{Key, Node, Pos, Value};
use std::any::Any;

/// Deeper files go to the full parser, which enforces the real limit.
const MAX_DEPTH: usize = 16;
/// Far below the full parser's node budget, so that a file read here could
/// never have been over it.
const MAX_NODES: usize = 4_000_000;
/// A block sequence with more than this many bytes after its first item
/// has its items read in parallel pieces (a file of 100,000 annotations).
const SPLIT_MIN: usize = 1 << 20;
/// About how many bytes of items each piece reads.
const PIECE_BYTES: usize = 256 << 10;

/// Reads `text` if it has the plain shape; `None` means "use the full parser".
pub fn parse(text: &str) -> Option<Node> {
    parse_with(text, true, None).map(|(root, _)| root)
}

/// What becomes of the items of a sequence read in parallel pieces, in the
/// task that read them (type-erased so that the reader stays one type).
pub type PieceFn<'f> = &'f (dyn Fn(Vec<Node>) -> Box<dyn Any + Send> + Sync);

/// The items of the first sequence read in parallel pieces, each run of
/// them already passed through the piece function, in order; the sequence
/// itself stands in the tree with no items. `pos` is the sequence's.
pub struct Mapped {
    pub pos: Pos,
    pub pieces: Vec<Box<dyn Any + Send>>,
}

/// As [`parse`], handing the items of the first long sequence read in
/// parallel pieces to `map` as they are read, so that their tree is never
/// alive whole (a file of 100,000 annotations). `None` in the second place
/// when no sequence was read in pieces: then the tree is complete.
pub fn parse_mapped(text: &str, map: PieceFn) -> Option<(Node, Option<Mapped>)> {
    parse_with(text, true, Some(map))
}

/// `split`: whether long sequences may be read in parallel pieces.
fn parse_with<'f>(
    text: &str,
    split: bool,
    map: Option<PieceFn<'f>>,
) -> Option<(Node, Option<Mapped>)> {
    if !has_plain_characters(text.as_bytes()) {
        return None;
    }
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        at: 0,
        line: 1,
        line_start: 0,
        depth: 0,
        nodes: 0,
        split,
        map,
        mapped: None,
    };
    reader.skip_blank_lines();
    if reader.at_end() {
        return None;
    }
    let indent = reader.indent();
    reader.at += indent;
    let root = reader.block_collection(indent)?;
    if !reader.at_end() {
        return None;
    }
    Some((root, reader.mapped))
}

/// Whether every character is one the plain shape allows: no control
/// characters but the line feed (so no tab and no carriage return), no DEL,
/// no C1 controls, no byte-order mark, no line or paragraph separator and no
/// non-character.
fn has_plain_characters(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            if (b < 0x20 && b != b'\n') || b == 0x7f {
                return false;
            }
            i += 1;
            continue;
        }
        let next = |k: usize| bytes.get(i + k).copied().unwrap_or(0);
        match b {
            0xc2 if (0x80..=0x9f).contains(&next(1)) => return false,
            0xe2 if next(1) == 0x80 && matches!(next(2), 0xa8 | 0xa9) => return false,
            0xef if next(1) == 0xbb && next(2) == 0xbf => return false,
            0xef if next(1) == 0xb7 && (0x90..=0xaf).contains(&next(2)) => return false,
            0xef if next(1) == 0xbf && matches!(next(2), 0xbe | 0xbf) => return false,
            0xf0..=0xf4
                if next(1) & 0x0f == 0x0f && next(2) == 0xbf && matches!(next(3), 0xbe | 0xbf) =>
            {
                return false
            }
            _ => {}
        }
        i += 1;
    }
    true
}

struct Reader<'a, 'f> {
    text: &'a str,
    bytes: &'a [u8],
    /// The byte the reader stands on.
    at: usize,
    /// The 1-based line of `at`.
    line: u32,
    /// The byte where that line starts.
    line_start: usize,
    depth: usize,
    nodes: usize,
    /// Whether a long sequence may be read in parallel pieces (not within
    /// a piece).
    split: bool,
    /// Applied to the items of the first sequence read in pieces.
    map: Option<PieceFn<'f>>,
    mapped: Option<Mapped>,
}

impl Reader<'_, '_> {
    fn at_end(&self) -> bool {
        self.at >= self.bytes.len()
    }

    fn peek(&self) -> u8 {
        self.bytes.get(self.at).copied().unwrap_or(b'\n')
    }

    fn peek_at(&self, i: usize) -> Option<u8> {
        self.bytes.get(i).copied()
    }

    fn pos(&self, start: usize, end: usize) -> Pos {
        let before = &self.bytes[self.line_start..start];
        let column = if before.is_ascii() {
            before.len()
        } else {
            self.text[self.line_start..start].chars().count()
        };
        Pos {
            line: self.line,
            column: column as u32 + 1,
            start,
            end,
        }
    }

    fn node(&mut self, value: Value, pos: Pos) -> Option<Node> {
        self.nodes += 1;
        (self.nodes <= MAX_NODES).then_some(Node { value, pos })
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    fn skip_spaces(&mut self) -> usize {
        let from = self.at;
        while self.peek_at(self.at) == Some(b' ') {
            self.at += 1;
        }
        self.at - from
    }

    /// Number of spaces at the start of the current line (the reader stands
    /// at the line's start).
    fn indent(&self) -> usize {
        self.bytes[self.at..]
            .iter()
            .take_while(|&&b| b == b' ')
            .count()
    }

    /// From the start of a line, skips lines that are empty, blank or only a
    /// comment, stopping at the start of the next line with content.
    fn skip_blank_lines(&mut self) {
        while !self.at_end() {
            let content = self.at + self.indent();
            match self.peek_at(content) {
                None => {
                    self.at = content;
                    return;
                }
                Some(b'\n') => self.next_line(content),
                Some(b'#') => {
                    let end = memchr::memchr(b'\n', &self.bytes[content..])
                        .map_or(self.bytes.len(), |i| content + i);
                    if end == self.bytes.len() {
                        self.at = end;
                        return;
                    }
                    self.next_line(end);
                }
                Some(_) => return,
            }
        }
    }

    /// Moves past the line feed at `newline`.
    fn next_line(&mut self, newline: usize) {
        self.at = newline + 1;
        self.line += 1;
        self.line_start = self.at;
    }

    /// After a value: spaces, an optional comment, then the end of the line.
    /// Leaves the reader at the next line with content.
    fn finish_line(&mut self) -> Option<()> {
        self.skip_spaces();
        match self.peek_at(self.at) {
            None => {}
            Some(b'\n') => self.next_line(self.at),
            Some(b'#') if self.at == self.line_start || self.bytes[self.at - 1] == b' ' => {
                match memchr::memchr(b'\n', &self.bytes[self.at..]) {
                    Some(i) => self.next_line(self.at + i),
                    None => self.at = self.bytes.len(),
                }
            }
            Some(_) => return None,
        }
        self.skip_blank_lines();
        Some(())
    }

    /// A block mapping or sequence whose first entry starts where the reader
    /// stands, at column `indent` (0-based).
    fn block_collection(&mut self, indent: usize) -> Option<Node> {
        if self.starts_sequence_entry(self.at) {
            self.block_sequence(indent, false)
        } else if self.key_end(self.at).is_some() {
            self.block_mapping(indent)
        } else {
            None
        }
    }

    fn starts_sequence_entry(&self, i: usize) -> bool {
        self.peek_at(i) == Some(b'-') && matches!(self.peek_at(i + 1), None | Some(b' ' | b'\n'))
    }

    /// If a plain mapping key followed by `:` starts at `i`, where the key
    /// ends.
    fn key_end(&self, i: usize) -> Option<usize> {
        let bytes = self.bytes;
        let first = *bytes.get(i)?;
        if !(first.is_ascii_alphabetic() || first == b'_') {
            return None;
        }
        let mut end = i + 1;
        while end < bytes.len()
            && (bytes[end].is_ascii_alphanumeric()
                || matches!(bytes[end], b'_' | b'-' | b'.' | b'/'))
        {
            end += 1;
        }
        let after = end + 1;
        (bytes.get(end) == Some(&b':') && matches!(bytes.get(after), None | Some(b' ' | b'\n')))
            .then_some(end)
    }

    fn key(&mut self) -> Option<Key> {
        let start = self.at;
        let end = self.key_end(start)?;
        let name = &self.text[start..end];
        if is_special_word(name) {
            return None;
        }
        let key = Key {
            name: name.to_string(),
            pos: self.pos(start, end),
        };
        self.at = end + 1;
        Some(key)
    }

    fn block_mapping(&mut self, indent: usize) -> Option<Node> {
        self.enter()?;
        let pos = self.pos(self.at, self.at);
        let mut entries: Vec<(Key, Node)> = Vec::new();
        loop {
            let key = self.key()?;
            if entries.iter().any(|(k, _)| k.name == key.name) {
                return None;
            }
            let value = self.block_value(indent)?;
            entries.push((key, value));
            if self.at_end() {
                break;
            }
            let next = self.indent();
            if next < indent {
                break;
            }
            if next > indent {
                return None;
            }
            self.at += next;
        }
        self.depth -= 1;
        entries.shrink_to_fit();
        self.node(Value::Map(entries), pos)
    }

    /// The value after `key:` of a mapping at column `indent`.
    fn block_value(&mut self, indent: usize) -> Option<Node> {
        let spaces = self.skip_spaces();
        match self.peek_at(self.at) {
            None | Some(b'\n') => {}
            Some(b'#') if spaces > 0 => {}
            Some(_) if spaces > 0 => {
                let value = self.inline_value()?;
                self.finish_line()?;
                return Some(value);
            }
            Some(_) => return None,
        }
        // Nothing more on this line: the value is a block collection below.
        self.finish_line()?;
        if self.at_end() {
            return None;
        }
        let next = self.indent();
        let content = self.at + next;
        if next > indent {
            self.at = content;
            self.block_collection(next)
        } else if next == indent && self.starts_sequence_entry(content) {
            // A sequence at the key's own indentation.
            self.at = content;
            self.block_sequence(next, true)
        } else {
            None
        }
    }

    /// A block sequence whose first `-` is where the reader stands. The full
    /// parser places a sequence at its first `-`, or, when the sequence sits
    /// at its key's indentation, just after that `-` and its spaces.
    fn block_sequence(&mut self, indent: usize, at_key_indent: bool) -> Option<Node> {
        self.enter()?;
        let mut pos = self.pos(self.at, self.at);
        let first = self.sequence_entry(indent, at_key_indent.then_some(&mut pos))?;
        let mut items = vec![first];
        let mut more = self.next_entry(indent)?;
        let mut mapped = None;
        if more && self.split && self.bytes.len() - self.at > SPLIT_MIN {
            // Only the first sequence read in pieces is mapped.
            let map = self.map.take();
            match self.entries_in_parallel(indent, map) {
                Some(rest) => {
                    let mut pieces = Vec::new();
                    if let Some(map) = map {
                        pieces.push(map(std::mem::take(&mut items)));
                    }
                    for piece in rest {
                        match piece {
                            Piece::Items(rest) => items.extend(rest),
                            Piece::Mapped(out) => pieces.push(out),
                        }
                    }
                    mapped = map.map(|map| (map, pieces));
                    more = self.next_entry(indent)?;
                }
                None => self.map = map,
            }
        }
        while more {
            items.push(self.sequence_entry(indent, None)?);
            more = self.next_entry(indent)?;
        }
        self.depth -= 1;
        if let Some((map, mut pieces)) = mapped {
            if !items.is_empty() {
                pieces.push(map(items));
            }
            self.mapped = Some(Mapped { pos, pieces });
            items = Vec::new();
        }
        self.node(Value::Seq(items), pos)
    }

    /// One entry of a block sequence at column `indent`, from its `-`. For
    /// the first entry of a sequence at its key's indentation, `pos` is the
    /// sequence's position, which starts after the `-`.
    fn sequence_entry(&mut self, indent: usize, pos: Option<&mut Pos>) -> Option<Node> {
        self.at += 1;
        let spaces = self.skip_spaces();
        if let Some(pos) = pos {
            if self.peek() == b'#' {
                return None;
            }
            *pos = self.pos(self.at, self.at);
        }
        match self.peek_at(self.at) {
            None | Some(b'\n') | Some(b'#') => {
                self.finish_line()?;
                if self.at_end() {
                    return None;
                }
                let next = self.indent();
                if next <= indent {
                    return None;
                }
                self.at += next;
                self.block_collection(next)
            }
            Some(_) if spaces > 0 => {
                let column = self.at - self.line_start;
                if self.starts_sequence_entry(self.at) || self.key_end(self.at).is_some() {
                    self.block_collection(column)
                } else {
                    let value = self.inline_value()?;
                    self.finish_line()?;
                    Some(value)
                }
            }
            Some(_) => None,
        }
    }

    /// After an entry of a sequence at column `indent`: whether another
    /// follows (then the reader stands on its `-`).
    fn next_entry(&mut self, indent: usize) -> Option<bool> {
        if self.at_end() {
            return Some(false);
        }
        let next = self.indent();
        if next < indent {
            return Some(false);
        }
        if next > indent {
            return None;
        }
        if !self.starts_sequence_entry(self.at + next) {
            // A key of the mapping this sequence is the value of.
            return Some(false);
        }
        self.at += next;
        Some(true)
    }

    /// Reads the remaining entries of a sequence at column `indent` in
    /// parallel pieces, the reader standing on the `-` of the next one, and
    /// leaves the reader after the last. In the plain shape every value
    /// fits on its line, so the entries start at exactly the lines that
    /// begin with `-` at that column, and the sequence ends at the first
    /// other line with content at that column or left of it: a quick scan
    /// of the lines finds the pieces. Each piece is read as the reader
    /// would read it in order — same positions, same line numbers — and
    /// must end where the next begins. If anything disagrees, `None`, and
    /// the entries are read in order, which settles what the file is.
    /// With `map`, each piece's items are passed through it in the task
    /// that read them.
    fn entries_in_parallel(&mut self, indent: usize, map: Option<PieceFn>) -> Option<Vec<Piece>> {
        use rayon::prelude::*;
        let bytes = self.bytes;
        // (line start, line number) of every entry, then where the
        // sequence ends.
        let mut entries = vec![(self.line_start, self.line)];
        let mut line = self.line;
        let mut start = self.line_start;
        let end = loop {
            let Some(newline) = memchr::memchr(b'\n', &bytes[start..]) else {
                break bytes.len();
            };
            start += newline + 1;
            line += 1;
            let spaces = bytes[start..].iter().take_while(|&&b| b == b' ').count();
            match bytes.get(start + spaces) {
                None => break bytes.len(),
                Some(b'\n' | b'#') => {}
                Some(_) if spaces > indent => {}
                Some(_) if spaces == indent && self.starts_sequence_entry(start + spaces) => {
                    entries.push((start, line));
                }
                Some(_) => break start,
            }
        };
        let mut pieces = Vec::new();
        let mut first = 0;
        for k in 1..=entries.len() {
            let until = entries.get(k).map_or(end, |e| e.0);
            if k == entries.len() || until - entries[first].0 >= PIECE_BYTES {
                pieces.push((entries[first], until));
                first = k;
            }
        }
        let read: Vec<Option<(Piece, Reader)>> = pieces
            .into_par_iter()
            .map(|((line_start, line), until)| {
                let mut piece = Reader {
                    text: self.text,
                    bytes,
                    at: line_start + indent,
                    line,
                    line_start,
                    depth: self.depth,
                    nodes: 0,
                    split: false,
                    map: None,
                    mapped: None,
                };
                let mut items = Vec::new();
                loop {
                    items.push(piece.sequence_entry(indent, None)?);
                    if piece.at >= until {
                        break;
                    }
                    if !piece.next_entry(indent)? {
                        return None;
                    }
                }
                if piece.at != until || piece.depth != self.depth {
                    return None;
                }
                let items = match map {
                    Some(map) => Piece::Mapped(map(items)),
                    None => Piece::Items(items),
                };
                Some((items, piece))
            })
            .collect();
        let mut items = Vec::with_capacity(read.len());
        let mut nodes = self.nodes;
        let mut last = None;
        for piece in read {
            let (piece_items, reader) = piece?;
            items.push(piece_items);
            nodes += reader.nodes;
            last = Some(reader);
        }
        let last = last?;
        if nodes > MAX_NODES {
            return None;
        }
        self.at = last.at;
        self.line = last.line;
        self.line_start = last.line_start;
        self.nodes = nodes;
        Some(items)
    }

    /// A value that fits on the current line, in block context.
    fn inline_value(&mut self) -> Option<Node> {
        match self.peek() {
            b'{' => self.flow_mapping(),
            b'[' => self.flow_sequence(),
            b'"' => self.double_quoted(),
            b'\'' => self.single_quoted(),
            _ => self.plain_scalar(false),
        }
    }

    fn flow_value(&mut self) -> Option<Node> {
        match self.peek() {
            b'{' => self.flow_mapping(),
            b'[' => self.flow_sequence(),
            b'"' => self.double_quoted(),
            b'\'' => self.single_quoted(),
            _ => self.plain_scalar(true),
        }
    }

    fn flow_mapping(&mut self) -> Option<Node> {
        self.enter()?;
        let pos = self.pos(self.at, self.at + 1);
        self.at += 1;
        self.skip_spaces();
        let mut entries: Vec<(Key, Node)> = Vec::new();
        if self.peek() == b'}' {
            self.at += 1;
        } else {
            loop {
                let key = self.key()?;
                if self.skip_spaces() == 0 || entries.iter().any(|(k, _)| k.name == key.name) {
                    return None;
                }
                let value = self.flow_value()?;
                entries.push((key, value));
                if self.flow_item_end(b'}')? {
                    break;
                }
            }
        }
        self.depth -= 1;
        entries.shrink_to_fit();
        self.node(Value::Map(entries), pos)
    }

    /// After an item of a flow collection: a comma (more follow: `false`)
    /// or the closing bracket (`true`); anything else is not plain YAML.
    fn flow_item_end(&mut self, close: u8) -> Option<bool> {
        self.skip_spaces();
        match self.peek() {
            b',' => {
                self.at += 1;
                self.skip_spaces();
                Some(false)
            }
            c if c == close => {
                self.at += 1;
                Some(true)
            }
            _ => None,
        }
    }

    fn flow_sequence(&mut self) -> Option<Node> {
        self.enter()?;
        let pos = self.pos(self.at, self.at + 1);
        self.at += 1;
        self.skip_spaces();
        let mut items = Vec::new();
        if self.peek() == b']' {
            self.at += 1;
        } else {
            loop {
                items.push(self.flow_value()?);
                if self.flow_item_end(b']')? {
                    break;
                }
            }
        }
        self.depth -= 1;
        self.node(Value::Seq(items), pos)
    }

    fn double_quoted(&mut self) -> Option<Node> {
        let start = self.at;
        let bytes = self.bytes;
        let mut i = start + 1;
        let mut value: Option<String> = None;
        let mut copied = i;
        loop {
            let special = memchr::memchr3(b'"', b'\\', b'\n', &bytes[i..])? + i;
            match bytes[special] {
                b'"' => {
                    i = special;
                    break;
                }
                b'\\' => {
                    let out = value.get_or_insert_with(String::new);
                    out.push_str(&self.text[copied..special]);
                    let (c, len) = unescape(&bytes[special + 1..])?;
                    out.push(c);
                    i = special + 1 + len;
                    copied = i;
                }
                _ => return None,
            }
        }
        let value = match value {
            Some(mut out) => {
                out.push_str(&self.text[copied..i]);
                out
            }
            None => self.text[start + 1..i].to_string(),
        };
        self.at = i + 1;
        let pos = self.pos(start, self.at);
        self.node(Value::Str(value), pos)
    }

    fn single_quoted(&mut self) -> Option<Node> {
        let start = self.at;
        let bytes = self.bytes;
        let mut i = start + 1;
        let mut value = String::new();
        loop {
            let special = memchr::memchr2(b'\'', b'\n', &bytes[i..])? + i;
            if bytes[special] == b'\n' {
                return None;
            }
            value.push_str(&self.text[i..special]);
            if bytes.get(special + 1) == Some(&b'\'') {
                value.push('\'');
                i = special + 2;
            } else {
                i = special;
                break;
            }
        }
        self.at = i + 1;
        let pos = self.pos(start, self.at);
        self.node(Value::Str(value), pos)
    }

    /// A plain (unquoted) scalar on one line. In flow context it ends at `,`,
    /// `]` or `}`; in block context at the end of the line or a comment.
    fn plain_scalar(&mut self, in_flow: bool) -> Option<Node> {
        let start = self.at;
        let bytes = self.bytes;
        let line_end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        let mut end = start;
        while end < line_end {
            let b = bytes[end];
            match b {
                b'#' if end > start && bytes[end - 1] == b' ' => break,
                b'#' if in_flow => return None,
                b':' if in_flow => return None,
                b':' if matches!(bytes.get(end + 1), None | Some(b' ' | b'\n')) => return None,
                b',' | b']' | b'}' if in_flow => break,
                b'[' | b'{' if in_flow => return None,
                _ => {}
            }
            end += 1;
        }
        while end > start && bytes[end - 1] == b' ' {
            end -= 1;
        }
        let text = &self.text[start..end];
        let value = resolve_plain(text)?;
        self.at = end;
        let pos = self.pos(start, end);
        self.node(value, pos)
    }
}

/// The items of one piece of a sequence read in parallel, as read or as
/// mapped.
enum Piece {
    Items(Vec<Node>),
    Mapped(Box<dyn Any + Send>),
}

/// What a plain scalar means, for the forms the full parser is known to read
/// the same way; `None` for every other form.
fn resolve_plain(text: &str) -> Option<Value> {
    let first = text.chars().next()?;
    if text.starts_with("- ") {
        // A sequence entry where a value was expected.
        return None;
    }
    if first.is_ascii_digit() || matches!(first, '-' | '+' | '.') {
        if let Some(int) = decimal_integer(text) {
            return Some(Value::Int(int));
        }
        // The full parser reads a plain scalar as a number when an integer
        // parser (decimal, 0x, 0o, 0b, `_` separators) or Rust's float parser
        // accepts it, and as text otherwise.
        // `.inf` and `.nan` (with or without a sign) are numbers too.
        let dotted = text.trim_start_matches(['+', '-']).starts_with('.');
        let surely_text = is_date(text)
            || (!dotted && text.bytes().any(|b| !NUMBER_BYTES.contains(&b)))
            || (text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
                && !text.starts_with("0b")
                && text.parse::<f64>().is_err());
        return surely_text.then(|| Value::Str(text.to_string()));
    }
    let string_start = first.is_ascii_alphabetic()
        || matches!(first, '_' | '/' | '(')
        || (!first.is_ascii() && !first.is_whitespace());
    if !string_start || is_special_word(text) {
        return None;
    }
    Some(Value::Str(text.to_string()))
}

/// Every byte that can occur in a number in some notation.
const NUMBER_BYTES: &[u8] = b"0123456789abcdefABCDEFxXoObB+-._";

/// `0` or an optionally negative decimal integer without leading zeros,
/// short enough to fit an `i64`.
fn decimal_integer(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let plain = !digits.is_empty()
        && digits.len() <= 18
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && text != "-0";
    if plain {
        text.parse().ok()
    } else {
        None
    }
}

/// `YYYY-MM-DD`, which YAML readers keep as text.
fn is_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            _ => c.is_ascii_digit(),
        })
}

/// Words the full parser reads as something other than text in some
/// spelling.
fn is_special_word(text: &str) -> bool {
    ["true", "false", "null"]
        .iter()
        .any(|w| text.eq_ignore_ascii_case(w))
}

/// One escape sequence after a backslash: the character and how many bytes
/// it took. Only the common escapes; the rest go to the full parser.
fn unescape(bytes: &[u8]) -> Option<(char, usize)> {
    let hex = |len: usize| -> Option<(char, usize)> {
        let digits = bytes.get(1..1 + len)?;
        if !digits.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        let code = u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()?;
        Some((char::from_u32(code)?, 1 + len))
    };
    match bytes.first()? {
        b'"' => Some(('"', 1)),
        b'\\' => Some(('\\', 1)),
        b'/' => Some(('/', 1)),
        b'n' => Some(('\n', 1)),
        b't' => Some(('\t', 1)),
        b'r' => Some(('\r', 1)),
        b'0' => Some(('\0', 1)),
        b'x' => hex(2),
        b'u' => hex(4),
        b'U' => hex(8),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file of `n` annotations in varied plain shapes, a sequence at
    /// `indent`, with a key after it.
    fn big(n: usize, indent: usize) -> String {
        let pad = " ".repeat(indent);
        let mut out = String::from("# header\nsource: seeds/a.txt\nannotations:\n");
        for i in 0..n {
            out.push_str(&format!(
                "{pad}- id: a{i}\n{pad}  quote: \"zażółć {i} — “x”\"\n"
            ));
            match i % 5 {
                0 => out.push_str(&format!(
                    "{pad}  links:\n{pad}  - {{rel: r, target: t{i}}}\n{pad}  - [1, 2]\n"
                )),
                1 => out.push_str(&format!("\n# a comment at column 0\n{pad}  start: {i}\n")),
                2 => out.push_str(&format!(
                    "{pad}  attrs:\n{pad}    - - nested\n{pad}      - list # trailing\n   \n"
                )),
                3 => out.push_str(&format!("{pad}-  plain scalar {i}\n")),
                _ => out.push_str(&format!("{pad}  note: 'it''s {i}'\n")),
            }
        }
        out.push_str("sha256: abc\n");
        out
    }

    #[test]
    fn pieces_read_in_parallel_are_what_the_reader_reads_in_order() {
        for indent in [0, 2, 4] {
            let text = big(30_000, indent);
            assert!(text.len() > 2 * SPLIT_MIN);
            let in_order = parse_with(&text, false, None).map(|(root, _)| root);
            assert!(in_order.is_some(), "indent {indent}");
            assert_eq!(parse(&text), in_order, "indent {indent}");
        }
    }

    #[test]
    fn a_piece_that_fails_fails_the_file_as_in_order() {
        let text = big(30_000, 2);
        let middle = text.len() / 2;
        let line = middle + text[middle..].find("\n  - id:").unwrap() + 1;
        for bad in [
            "  - {unclosed\n",
            "     - over-indented: 1\n",
            "  - id: x\n      deeper: 1\n",
            "  key: 1\n",
            "- left: 1\n",
            "x\n",
        ] {
            let mut broken = text.clone();
            broken.insert_str(line, bad);
            assert_eq!(
                parse(&broken),
                parse_with(&broken, false, None).map(|(root, _)| root),
                "{bad:?}"
            );
        }
    }
}
