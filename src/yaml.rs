//! The only module that knows the YAML library. It turns YAML text into a
//! tree of [`Node`]s that remember where each value stands in the file (line,
//! column, byte range), under budgets that make hostile input fail fast, and it
//! refuses the YAML features annotation files have no use for (anchors,
//! aliases, merge keys, tags, several documents).

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use std::fmt;

mod plain;

/// Files larger than this are refused before parsing.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;
/// Deepest nesting of mappings and sequences accepted.
pub const MAX_DEPTH: usize = 32;

/// A position in a YAML file: 1-based line and column (in characters), and
/// the byte range of the value's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    /// Integers beyond `i64::MAX`; kept so that range errors can be reported.
    BigUint(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub pos: Pos,
}

impl Node {
    /// A word for the type, as a user would say it in an error message.
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null => "nothing (null)",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::BigUint(_) => "an integer",
            Value::Float(_) => "a decimal number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Whether the node was written in flow style (`{...}` or `[...]`).
    pub fn is_flow_collection(&self, text: &str) -> bool {
        matches!(text.as_bytes().get(self.pos.start), Some(b'{') | Some(b'['))
    }

    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::BigUint(u) => J::from(*u),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

/// Why a YAML file could not be turned into a tree.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub kind: YamlErrorKind,
    pub message: String,
    pub pos: Pos,
    /// How to fix this very mistake, when it is known; otherwise the
    /// general advice for its kind applies.
    pub help: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YamlErrorKind {
    /// Malformed YAML, or bytes that are not UTF-8.
    Syntax,
    /// Valid YAML that annotation files refuse: anchors, aliases, tags,
    /// several documents.
    Unsupported,
    /// Over a size, depth or event budget.
    Limit,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Parses one YAML document from raw bytes.
pub fn parse(bytes: &[u8]) -> Result<Node, YamlError> {
    parse_str(checked_text(bytes)?)
}

pub use plain::{Mapped, PieceFn};

/// As [`parse`], but the items of the first long sequence the fast reader
/// reads in parallel pieces go through `map` piece by piece as they are
/// read (see [`plain::parse_mapped`]); with `None` beside it, the tree is
/// whole, as [`parse`] gives it.
/// `text` is a file's bytes as [`checked_text`] gave them.
pub fn parse_mapped(text: &str, map: PieceFn) -> Result<(Node, Option<Mapped>), YamlError> {
    match plain::parse_mapped(text, map) {
        Some(read) => Ok(read),
        None => parse_full(text).map(|root| (root, None)),
    }
}

/// The text of a file within the size limit that is UTF-8: checked once,
/// then parsed with [`parse_str`] or [`parse_mapped`].
pub fn checked_text(bytes: &[u8]) -> Result<&str, YamlError> {
    checked_size(bytes)?;
    std::str::from_utf8(bytes).map_err(|err| not_utf8(bytes, err))
}

/// [`checked_text`] for bytes the caller is done with: the text is the
/// same memory, not a copy; on failure, the bytes come back with the error.
pub fn checked_string(bytes: Vec<u8>) -> Result<String, (Vec<u8>, YamlError)> {
    if let Err(err) = checked_size(&bytes) {
        return Err((bytes, err));
    }
    String::from_utf8(bytes).map_err(|err| {
        let utf8 = err.utf8_error();
        let bytes = err.into_bytes();
        let err = not_utf8(&bytes, utf8);
        (bytes, err)
    })
}

fn checked_size(bytes: &[u8]) -> Result<(), YamlError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(YamlError {
            kind: YamlErrorKind::Limit,
            message: format!(
                "the file is {} bytes; annotation files are limited to {} bytes",
                bytes.len(),
                MAX_FILE_BYTES
            ),
            pos: Pos {
                line: 1,
                column: 1,
                start: 0,
                end: 0,
            },
            help: None,
        });
    }
    Ok(())
}

fn not_utf8(bytes: &[u8], err: std::str::Utf8Error) -> YamlError {
    let offset = err.valid_up_to();
    let (line, column) = line_column(bytes, offset);
    YamlError {
        kind: YamlErrorKind::Syntax,
        message: format!(
            "the file is not valid UTF-8: byte 0x{:02x} at byte offset {offset}",
            bytes[offset]
        ),
        pos: Pos {
            line,
            column,
            start: offset,
            end: offset + 1,
        },
        help: Some(
            "annotation files are UTF-8 text: save the file as UTF-8 in your editor (or convert it with `iconv -t UTF-8`)"
                .into(),
        ),
    }
}

/// Parses one YAML document from text: files in the plain shape of most
/// annotation files with a fast reader, everything else with the full parser.
pub fn parse_str(text: &str) -> Result<Node, YamlError> {
    match plain::parse(text) {
        Some(node) => Ok(node),
        None => parse_full(text),
    }
}

/// The fast reader alone: `None` when the file is not in its plain shape.
/// Public so that tests can hold it to the full parser.
#[doc(hidden)]
pub fn parse_plain(text: &str) -> Option<Node> {
    plain::parse(text)
}

/// Parses one YAML document with the full parser.
pub fn parse_full(text: &str) -> Result<Node, YamlError> {
    // Tags are rare in annotation files, so the extra event scan that finds
    // them only runs when a `!` appears at all.
    if memchr::memchr(b'!', text.as_bytes()).is_some() {
        if let Some(err) = find_tag(text) {
            return Err(err);
        }
    }
    let mut options = serde_saphyr::options!();
    let mut budget = serde_saphyr::Budget::default();
    budget.max_anchors = 0;
    budget.max_aliases = 0;
    budget.max_depth = MAX_DEPTH;
    budget.max_documents = 1;
    budget.max_events = 20_000_000;
    budget.max_nodes = 10_000_000;
    budget.max_total_scalar_bytes = MAX_FILE_BYTES;
    options.budget = Some(budget);
    options.with_snippet = false;
    options.strict_booleans = true;
    options.reject_unsupported_tags = true;
    // A merge key (`<<: {...}`) copies fields from elsewhere, as an alias
    // does; refused like one, not silently merged.
    options.merge_keys = serde_saphyr::MergeKeyPolicy::Error;
    match serde_saphyr::from_str_with_options::<Spanned<Tree>>(text, options) {
        Ok(node) => Ok(into_node(node, text)),
        Err(err) => Err(convert_error(&err, text)),
    }
}

fn find_tag(text: &str) -> Option<YamlError> {
    use granit_parser::{Event, Parser};
    for item in Parser::new_from_str(text) {
        let Ok((event, span)) = item else {
            // Syntax errors are reported by the main parse, with its wording.
            return None;
        };
        let tag = match &event {
            Event::Scalar(_, _, _, tag) => tag.as_ref(),
            Event::SequenceStart(_, _, tag) | Event::MappingStart(_, _, tag) => tag.as_ref(),
            _ => None,
        };
        if let Some(tag) = tag {
            let start = span.start.byte_offset().unwrap_or(0).min(text.len());
            let (line, column) = line_column(text.as_bytes(), start);
            let pos = token_before(
                text,
                Pos {
                    line,
                    column,
                    start,
                    end: start,
                },
                b'!',
            );
            return Some(YamlError {
                kind: YamlErrorKind::Unsupported,
                message: format!(
                    "YAML tags (here `{}`) are not allowed in annotation files",
                    tag.original()
                ),
                pos,
                help: None,
            });
        }
    }
    None
}

fn convert_error(err: &serde_saphyr::Error, text: &str) -> YamlError {
    let location = err.location();
    let (line, column, start) = match location {
        Some(loc) => {
            let start = loc
                .span()
                .byte_offset()
                .map(|b| b as usize)
                .unwrap_or_else(|| byte_of_line_column(text, loc.line(), loc.column()));
            (
                loc.line() as u32,
                loc.column() as u32,
                start.min(text.len()),
            )
        }
        None => (1, 1, 0),
    };
    let pos = Pos {
        line: line.max(1),
        column: column.max(1),
        start,
        end: (start + 1).min(text.len()).max(start),
    };
    if let serde_saphyr::Error::Budget { breach, .. } = err {
        use serde_saphyr::budget::BudgetBreach as B;
        let (kind, message) = match breach {
            B::Anchors { .. } => (
                YamlErrorKind::Unsupported,
                "YAML anchors (`&name`) are not allowed in annotation files: write the value out in full".to_string(),
            ),
            B::Aliases { .. } => (
                YamlErrorKind::Unsupported,
                "YAML aliases (`*name`) are not allowed in annotation files: write the value out in full".to_string(),
            ),
            B::Documents { .. } => (
                YamlErrorKind::Unsupported,
                "the file holds several YAML documents (`---`); an annotation file holds exactly one".to_string(),
            ),
            B::Depth { .. } => (
                YamlErrorKind::Limit,
                format!("the YAML nests deeper than {MAX_DEPTH} levels"),
            ),
            other => (
                YamlErrorKind::Limit,
                format!("the YAML is over a parsing limit ({other:?})"),
            ),
        };
        let pos = match breach {
            B::Anchors { .. } => token_before(text, pos, b'&'),
            _ => pos,
        };
        return YamlError {
            kind,
            message,
            pos,
            help: None,
        };
    }
    if let serde_saphyr::Error::MergeKeyNotAllowed { .. } = err {
        return YamlError {
            kind: YamlErrorKind::Unsupported,
            message: "YAML merge keys (`<<`) are not allowed in annotation files: write the fields out in full".to_string(),
            pos,
            help: None,
        };
    }
    if let serde_saphyr::Error::NonFiniteFloat { value, .. } = err {
        return non_finite(text, pos, value);
    }
    let mut message = err.to_string();
    // The library prefixes its messages with the position, which we report
    // separately.
    if let Some(rest) = message.strip_prefix("error: ") {
        message = rest.to_string();
    }
    if let Some(idx) = message.find(": ") {
        if message[..idx].starts_with("line ") && message[..idx].contains(" column ") {
            message = message[idx + 2..].to_string();
        }
    }
    let mut message = message.lines().next().unwrap_or("").trim().to_string();
    // … and may repeat it at the end.
    if let Some(idx) = message.rfind(" at line ") {
        if message[idx..].contains(", column ") {
            message.truncate(idx);
        }
    }
    if let Some(control) = control_character(text) {
        return control;
    }
    if let Some(plain) = in_plain_words(text, pos, &message) {
        return plain;
    }
    let kind = if message.contains("multiple documents") || message.contains("MultipleDocuments") {
        YamlErrorKind::Unsupported
    } else {
        YamlErrorKind::Syntax
    };
    let message = if message.contains("set DuplicateKeyPolicy") {
        message
            .split(", set DuplicateKeyPolicy")
            .next()
            .unwrap_or("duplicate mapping key")
            .to_string()
    } else {
        message
    };
    YamlError {
        kind,
        message,
        pos,
        help: None,
    }
}

/// The first character YAML does not allow in a file at all (a control
/// character other than tab and line breaks, DEL, a C1 control), where it
/// is: the parser's own message names the token around it.
fn control_character(text: &str) -> Option<YamlError> {
    let (at, c) = text.char_indices().find(|&(_, c)| {
        matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{7f}'..='\u{84}' | '\u{86}'..='\u{9f}')
    })?;
    let (line, column) = line_column(text.as_bytes(), at);
    Some(YamlError {
        kind: YamlErrorKind::Syntax,
        message: format!(
            "a control character, U+{:04X}, which YAML does not allow in a file",
            c as u32
        ),
        pos: Pos {
            line,
            column,
            start: at,
            end: at + c.len_utf8(),
        },
        help: Some(format!(
            "remove it; to keep it in a value, write it as `\\x{:02x}` inside double quotes",
            c as u32
        )),
    })
}

/// The common syntax mistakes, said in plain words at the place of the
/// mistake (the parser often notices it a little later), with their fix.
fn in_plain_words(text: &str, pos: Pos, message: &str) -> Option<YamlError> {
    let syntax = |at: usize, message: String, help: String| {
        let (line, column) = line_column(text.as_bytes(), at);
        Some(YamlError {
            kind: YamlErrorKind::Syntax,
            message,
            pos: Pos {
                line,
                column,
                start: at,
                end: (at + 1).min(text.len()),
            },
            help: Some(help),
        })
    };
    if message.contains(" tab") {
        // Reported where the scalar or token before it began, which may be
        // on an earlier line.
        let from = text[..pos.start.min(text.len())]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let tab = from + memchr::memchr(b'\t', &text.as_bytes()[from..])?;
        let line_start = text[..tab].rfind('\n').map_or(0, |i| i + 1);
        let indenting = text[line_start..tab]
            .bytes()
            .all(|b| b == b' ' || b == b'\t');
        let message = if indenting {
            "this line is indented with a tab; YAML indents with spaces only"
        } else {
            "a tab here, where YAML allows only spaces"
        };
        return syntax(
            tab,
            message.to_string(),
            "replace the tab with spaces".to_string(),
        );
    }
    let line = Line::at(text, pos.start);
    if message.contains("mapping values are not allowed") {
        let key = line.key()?;
        // `words with spaces: ...` is more likely the rest of a value
        // that spans lines and holds `: ` than a field: the general advice.
        if key.contains(' ') {
            return None;
        }
        if let Some(above) = line
            .above(text)
            .filter(|above| above.key_column() < line.indent())
        {
            let above_key = above.key()?;
            if above.value().is_some_and(|v| !v.is_empty()) {
                return syntax(
                    line.start + line.indent(),
                    format!("`{key}` is indented deeper than `{above_key}` above it, so YAML reads it as more of the value of `{above_key}`"),
                    format!(
                        "indent `{key}` to the same column as `{above_key}` (column {}); a field goes further in only under a key that ends its line with `:`",
                        above.key_column() + 1
                    ),
                );
            }
        }
        let value = line.value()?;
        return syntax(
            pos.start,
            format!("the value of `{key}` contains `: `, which YAML reads as the start of another mapping"),
            format!("put the value in quotes: {key}: {}", quoted(value)),
        );
    }
    if message.contains("did not find expected key") {
        // A field indented deeper than the one above it, whose value ends
        // on its own line (quoted, say): no mapping may start there.
        let key = line.key()?;
        if key.contains(' ') {
            return None;
        }
        let above = line
            .above(text)
            .filter(|above| above.key_column() < line.indent())?;
        let above_key = above.key()?;
        return syntax(
            line.start + line.indent(),
            format!("`{key}` is indented deeper than `{above_key}` above it, where YAML expects the next field of the same mapping"),
            format!(
                "indent `{key}` to the same column as `{above_key}` (column {}); a field goes further in only under a key that ends its line with `:`",
                above.key_column() + 1
            ),
        );
    }
    if message.contains("trailing content after double-quoted scalar") {
        let early = text[..pos.start]
            .trim_end_matches(' ')
            .len()
            .checked_sub(1)?;
        if text.as_bytes()[early] != b'"' {
            return None;
        }
        let rest = &text[early + 1..line.end];
        let next_word: String = rest
            .trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric())
            .collect();
        let before = if next_word.is_empty() {
            String::new()
        } else {
            format!(" before `{next_word}`")
        };
        let message = format!("the `\"`{before} ends the quoted string early, and the text after it cannot follow a quoted value");
        let help = match (line.key(), line.value()) {
            (Some(key), Some(value)) if value.len() >= 2 && value.starts_with('"') && value.ends_with('"') => {
                let meant = &value[1..value.len() - 1];
                let single = if meant.contains('\'') {
                    String::new()
                } else {
                    format!(", or put the value in single quotes: {key}: '{meant}'")
                };
                format!(
                    "write each `\"` inside the value as `\\\"`: {key}: {}{single}",
                    quoted(meant)
                )
            }
            _ => "write each `\"` inside a double-quoted value as `\\\"`, or put the value in single quotes".to_string(),
        };
        return syntax(early, message, help);
    }
    None
}

/// One line of a YAML file, for explaining a syntax error on it.
struct Line<'t> {
    text: &'t str,
    start: usize,
    end: usize,
}

impl<'t> Line<'t> {
    /// The line that holds byte `at`.
    fn at(text: &'t str, at: usize) -> Line<'t> {
        let at = at.min(text.len());
        let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
        Line {
            text: &text[start..end],
            start,
            end,
        }
    }

    /// The nearest line above with content (not blank, not a comment).
    fn above(&self, text: &'t str) -> Option<Line<'t>> {
        let mut end = self.start.checked_sub(1)?;
        loop {
            let line = Line::at(text, end);
            let content = line.text.trim_start();
            if !content.is_empty() && !content.starts_with('#') {
                return Some(line);
            }
            end = line.start.checked_sub(1)?;
        }
    }

    fn indent(&self) -> usize {
        self.text.len() - self.text.trim_start_matches(' ').len()
    }

    /// Where the line's key begins, after any `- ` of sequence entries.
    fn key_column(&self) -> usize {
        let mut at = self.indent();
        while self.text[at..].starts_with("- ") {
            at += 2;
            at += self.text[at..].len() - self.text[at..].trim_start_matches(' ').len();
        }
        at
    }

    /// The plain key of a `key: value` line.
    fn key(&self) -> Option<&'t str> {
        let from = self.key_column();
        let colon = self.text[from..].find(": ").or_else(|| {
            self.text[from..]
                .ends_with(':')
                .then(|| self.text.len() - from - 1)
        })?;
        let key = &self.text[from..from + colon];
        (!key.is_empty() && !key.contains(['"', '\'', '{', '[', '#'])).then_some(key)
    }

    /// The value written after `key: ` on the line, without a trailing
    /// comment.
    fn value(&self) -> Option<&'t str> {
        let from = self.key_column() + self.key()?.len() + 1;
        let value = self.text.get(from..)?.trim();
        let value = match value.find(" #") {
            Some(i) if !value.starts_with(['"', '\'']) => value[..i].trim_end(),
            _ => value,
        };
        Some(value)
    }
}

/// A plain value that YAML reads as an infinite number: a long run of
/// digits with one `e` (a hash, say) overflows, and `.inf` or `.nan` are
/// YAML's words for infinity and not-a-number. Annotation files hold
/// neither, so the value was meant as text.
fn non_finite(text: &str, pos: Pos, value: &str) -> YamlError {
    let field = key_before(text, pos.start);
    let what = match &field {
        Some(key) => format!("the value of `{key}`, {value},"),
        None => format!("the value {value}"),
    };
    let message = if value.trim_start_matches(['+', '-']).starts_with('.') {
        format!("{what} is YAML's word for infinity or not-a-number, which annotation files do not hold")
    } else {
        format!("{what} reads as a number too large to hold: YAML reads digits with an `e` as a power of ten")
    };
    let help = match &field {
        Some(key) => format!("put it in quotes: `{key}: \"{value}\"`"),
        None => format!("put it in quotes: \"{value}\""),
    };
    YamlError {
        kind: YamlErrorKind::Syntax,
        message,
        pos,
        help: Some(help),
    }
}

/// The mapping key whose value starts at byte `at`, when it is written on
/// the same line just before it (`key: value`, `{a: 1, key: value}`).
fn key_before(text: &str, at: usize) -> Option<String> {
    let line_start = text[..at.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
    let before = text[line_start..at.min(text.len())].trim_end();
    let before = before.strip_suffix(':')?;
    let key = before
        .rsplit([' ', '{', ','])
        .next()?
        .trim_matches(|c| c == '"' || c == '\'');
    (!key.is_empty()).then(|| key.to_string())
}

/// Parsers report an anchored or tagged node where its content starts; a
/// person looks for the `&name` or `!tag` before it. Finds that token by
/// walking back over the properties in front of the node.
fn token_before(text: &str, pos: Pos, sigil: u8) -> Pos {
    let bytes = text.as_bytes();
    let mut i = pos.start.min(bytes.len());
    let mut found = None;
    loop {
        while i > 0 && matches!(bytes[i - 1], b' ' | b'\t' | b'\n' | b'\r') {
            i -= 1;
        }
        let end = i;
        while i > 0
            && !matches!(
                bytes[i - 1],
                b' ' | b'\t' | b'\n' | b'\r' | b'[' | b'{' | b','
            )
        {
            i -= 1;
        }
        match bytes.get(i) {
            Some(b'&') | Some(b'!') if i < end => {
                if bytes[i] == sigil {
                    found = Some((i, end));
                }
            }
            _ => break,
        }
    }
    match found {
        Some((start, end)) => {
            let (line, column) = line_column(bytes, start);
            Pos {
                line,
                column,
                start,
                end,
            }
        }
        None => pos,
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(bytes: &[u8], offset: usize) -> (u32, u32) {
    let offset = offset.min(bytes.len());
    let before = &bytes[..offset];
    let line = memchr::memchr_iter(b'\n', before).count() + 1;
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line as u32, column as u32)
}

fn byte_of_line_column(text: &str, line: u64, column: u64) -> usize {
    let mut offset = 0;
    for (index, line_text) in text.split_inclusive('\n').enumerate() {
        if index as u64 + 1 == line {
            return offset
                + line_text
                    .char_indices()
                    .nth(column.saturating_sub(1) as usize)
                    .map_or(line_text.len(), |(b, _)| b);
        }
        offset += line_text.len();
    }
    text.len()
}

/// What serde gives us before positions are attached.
enum Tree {
    Null,
    Bool(bool),
    Int(i64),
    BigUint(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Tree>>),
    Map(Vec<(Spanned<String>, Spanned<Tree>)>),
}

struct TreeVisitor;

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = Tree;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Tree, E> {
        Ok(Tree::Null)
    }
    fn visit_none<E>(self) -> Result<Tree, E> {
        Ok(Tree::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Tree, D::Error> {
        d.deserialize_any(TreeVisitor)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Tree, E> {
        Ok(Tree::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Tree, E> {
        Ok(Tree::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Tree, E> {
        Ok(i64::try_from(v).map_or(Tree::BigUint(v), Tree::Int))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Tree, E> {
        Ok(i64::try_from(v).map_or(Tree::Float(v as f64), Tree::Int))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Tree, E> {
        Ok(u64::try_from(v).map_or(Tree::Float(v as f64), |v| {
            i64::try_from(v).map_or(Tree::BigUint(v), Tree::Int)
        }))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Tree, E> {
        Ok(Tree::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Tree, E> {
        Ok(Tree::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Tree, E> {
        Ok(Tree::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tree, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Tree::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tree, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<KeyText>>()? {
            let value = map.next_value()?;
            entries.push((
                Spanned {
                    value: key.value.0,
                    referenced: key.referenced,
                    defined: key.defined,
                },
                value,
            ));
        }
        Ok(Tree::Map(entries))
    }
}

impl<'de> Deserialize<'de> for Tree {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Tree, D::Error> {
        d.deserialize_any(TreeVisitor)
    }
}

/// A mapping key, read as text whatever its YAML type (`1: x` has key "1").
struct KeyText(String);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<KeyText, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = KeyText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a plain mapping key")
            }
            fn visit_str<E>(self, v: &str) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<KeyText, E> {
                Ok(KeyText(v))
            }
            fn visit_bool<E>(self, v: bool) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_unit<E>(self) -> Result<KeyText, E> {
                Ok(KeyText("null".to_string()))
            }
        }
        d.deserialize_any(KeyVisitor)
    }
}

fn pos_of<T>(spanned: &Spanned<T>, text: &str) -> Pos {
    let loc = &spanned.referenced;
    let span = loc.span();
    let start = span
        .byte_offset()
        .map(|b| b as usize)
        .unwrap_or_else(|| byte_of_line_column(text, loc.line(), loc.column()))
        .min(text.len());
    let end = span
        .byte_len()
        .map_or(start, |len| start + len as usize)
        .min(text.len());
    Pos {
        line: loc.line() as u32,
        column: loc.column() as u32,
        start,
        end,
    }
}

fn into_node(tree: Spanned<Tree>, text: &str) -> Node {
    let pos = pos_of(&tree, text);
    let value = match tree.value {
        Tree::Null => Value::Null,
        Tree::Bool(b) => Value::Bool(b),
        Tree::Int(i) => Value::Int(i),
        Tree::BigUint(u) => Value::BigUint(u),
        Tree::Float(f) => Value::Float(f),
        Tree::Str(s) => Value::Str(s),
        Tree::Seq(items) => Value::Seq(items.into_iter().map(|n| into_node(n, text)).collect()),
        Tree::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| {
                    let key = Key {
                        pos: pos_of(&k, text),
                        name: k.value,
                    };
                    (key, into_node(v, text))
                })
                .collect(),
        ),
    };
    Node { value, pos }
}

/// Writes `s` as a YAML double-quoted scalar that reads back as `s`.
/// Characters YAML does not allow raw (controls, DEL, C1 controls,
/// non-characters) and invisible ones (BOM, line and paragraph separators)
/// are escaped.
pub fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            '\u{feff}' | '\u{2028}' | '\u{2029}' | '\u{fffe}' | '\u{ffff}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(node: &Node) -> &Vec<(Key, Node)> {
        match &node.value {
            Value::Map(m) => m,
            other => panic!("not a map: {other:?}"),
        }
    }

    #[test]
    fn positions_point_at_values() {
        let text = "a: 1\nb: \"x y\"\n";
        let node = parse_str(text).unwrap();
        let entries = map(&node);
        assert_eq!(entries[1].0.name, "b");
        assert_eq!(entries[1].1.pos.line, 2);
        assert_eq!(entries[1].1.pos.column, 4);
        assert_eq!(
            &text[entries[1].1.pos.start..entries[1].1.pos.end],
            "\"x y\""
        );
    }

    #[test]
    fn refuses_anchor_alias_tag() {
        let anchor = parse_str("a: &x 1\nb: 2\n").unwrap_err();
        assert_eq!(anchor.kind, YamlErrorKind::Unsupported);
        assert_eq!(
            (anchor.pos.line, anchor.pos.column),
            (1, 4),
            "at the `&x` token"
        );
        let tag = parse_str("a: 1\nb: !!str 2\n").unwrap_err();
        assert_eq!(tag.kind, YamlErrorKind::Unsupported);
        assert_eq!(tag.pos.line, 2);
        let custom = parse_str("a: !foo 2\n").unwrap_err();
        assert_eq!(custom.kind, YamlErrorKind::Unsupported);
    }

    #[test]
    fn exclamation_in_strings_is_fine() {
        let node = parse_str("a: \"wow!\"\nb: hey!\n").unwrap();
        assert_eq!(map(&node)[1].1.as_str(), Some("hey!"));
    }

    #[test]
    fn deep_nesting_is_a_limit() {
        let text = "[".repeat(200) + &"]".repeat(200);
        let err = parse_str(&text).unwrap_err();
        assert_ne!(err.kind, YamlErrorKind::Syntax, "{err:?}");
    }

    #[test]
    fn quoted_reads_back() {
        for text in [
            "plain",
            "say \"hi\"",
            "back\\slash",
            "line\nbreak\ttab",
            "\u{7f}\u{85}\u{0}",
            "\u{feff}bom",
            "zażółć “x”",
        ] {
            let node = parse_str(&format!("k: {}\n", quoted(text))).unwrap();
            let Value::Map(entries) = node.value else {
                panic!()
            };
            assert_eq!(entries[0].1.as_str(), Some(text));
        }
    }

    #[test]
    fn syntax_mistakes_in_plain_words() {
        let deeper = parse_str("a:\n  b: x\n    c: y\n").unwrap_err();
        assert_eq!((deeper.pos.line, deeper.pos.column), (3, 5));
        assert!(deeper.message.contains("`c` is indented deeper than `b`"));
        // The rest of a value that holds `: `, not a misplaced field: no
        // guess at which value to quote.
        let words = parse_str("a:\n  b: some text\n    and more: here\n").unwrap_err();
        assert!(!words.message.contains("indented deeper"), "{words:?}");
        assert_eq!(words.help, None, "{words:?}");
        let tab = parse_str("a:\n  b: x\n\tc: y\n").unwrap_err();
        assert_eq!((tab.pos.line, tab.pos.column), (3, 1), "{tab:?}");
    }

    #[test]
    fn not_utf8_names_the_byte() {
        let err = parse(b"a: 1\nb: \xff\n").unwrap_err();
        assert_eq!(err.kind, YamlErrorKind::Syntax);
        assert_eq!((err.pos.line, err.pos.column, err.pos.start), (2, 4, 8));
    }
}
