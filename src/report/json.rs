//! `--format json`: one object, schema `annot.validate/v1`, with keys in
//! the order SPEC §5 gives them.

use super::text::is_hidden;
use super::Checked;
use crate::finding::{Code, Finding, Severity};
use serde::Serialize;
use std::io::{self, Write};

#[derive(Serialize)]
struct Report<'a> {
    schema: &'static str,
    checked: &'a Checked,
    findings: Vec<JsonFinding<'a>>,
    /// Checks that were skipped, and why.
    notices: &'a [String],
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    code: Code,
    severity: Severity,
    message: &'a str,
    file: &'a str,
    line: u32,
    column: u32,
    id: Option<&'a str>,
    help: Option<&'a str>,
}

pub fn render(checked: &Checked, findings: &[Finding], notices: &[String]) -> String {
    let report = Report {
        schema: "annot.validate/v1",
        checked,
        findings: findings
            .iter()
            .map(|f| JsonFinding {
                code: f.code,
                severity: f.severity,
                message: &f.message,
                file: &f.place.file,
                line: f.place.line,
                column: f.place.column,
                id: f.id.as_deref(),
                help: f.help.as_deref(),
            })
            .collect(),
        notices,
    };
    let mut out = to_string_pretty(&report);
    out.push('\n');
    out
}

/// serde_json's pretty printer, except that a control or invisible
/// character inside a string (DEL, C1 controls, bidirectional overrides,
/// zero-width characters, which JSON allows raw) is written as `\uXXXX`:
/// the value read back is the same text, and `cat report.json` cannot
/// drive the terminal.
pub struct SafeFormatter(serde_json::ser::PrettyFormatter<'static>);

impl SafeFormatter {
    pub fn new() -> SafeFormatter {
        SafeFormatter(serde_json::ser::PrettyFormatter::new())
    }
}

impl Default for SafeFormatter {
    fn default() -> SafeFormatter {
        SafeFormatter::new()
    }
}

impl serde_json::ser::Formatter for SafeFormatter {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // Every character to escape starts with one of six bytes: DEL,
        // 0xC2 (C1 controls), 0xD8 (U+061C), 0xE2 (U+2000-U+2FFF), 0xEF
        // (U+FEFF, U+FFF9-U+FFFB) and 0xF3 (the tag characters). Only
        // there is a character decoded, so a large report of ordinary text
        // costs two vectorised scans.
        let bytes = fragment.as_bytes();
        let mut from = 0;
        // These bytes never continue a character: each starts one.
        let find3 = |at: usize| memchr::memchr3(0x7f, 0xc2, 0xe2, &bytes[at..]).map(|i| at + i);
        let find2 = |at: usize| memchr::memchr3(0xd8, 0xef, 0xf3, &bytes[at..]).map(|i| at + i);
        let (mut next3, mut next2) = (find3(0), find2(0));
        loop {
            let i = match (next3, next2) {
                (Some(a), Some(b)) => a.min(b),
                (Some(a), None) | (None, Some(a)) => a,
                (None, None) => break,
            };
            let Some(c) = fragment[i..].chars().next() else {
                break;
            };
            if is_hidden(c) {
                writer.write_all(&bytes[from..i])?;
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(writer, "\\u{:04x}", unit)?;
                }
                from = i + c.len_utf8();
            }
            let at = i + c.len_utf8();
            if next3.is_some_and(|n| n < at) {
                next3 = find3(at);
            }
            if next2.is_some_and(|n| n < at) {
                next2 = find2(at);
            }
        }
        writer.write_all(&fragment.as_bytes()[from..])
    }

    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// Pretty JSON through [`SafeFormatter`].
pub fn to_writer_pretty<W: Write, T: ?Sized + Serialize>(writer: W, value: &T) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(writer, SafeFormatter::new());
    value.serialize(&mut ser).map_err(io::Error::other)
}

/// Pretty JSON through [`SafeFormatter`], as bytes.
pub fn to_vec_pretty<T: ?Sized + Serialize>(value: &T) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    to_writer_pretty(&mut out, value)?;
    Ok(out)
}

/// Pretty JSON through [`SafeFormatter`], as text (empty if it cannot be
/// serialised, which our reports always can).
pub fn to_string_pretty<T: ?Sized + Serialize>(value: &T) -> String {
    to_vec_pretty(value)
        .ok()
        .and_then(|v| String::from_utf8(v).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_characters_are_escaped_and_read_back_the_same() {
        let text = "a\u{1b}[31m\u{7f}\u{9b}\u{202e}\u{200b}ż東\u{1f600}\u{e0041}\"\\";
        let json = to_string_pretty(&serde_json::json!({ text: [text] }));
        assert!(!json.chars().any(|c| c != '\n' && is_hidden(c)), "{json}");
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back, serde_json::json!({ text: [text] }));
        assert_eq!(
            to_string_pretty(&serde_json::json!({"a": [1, "x"]})),
            serde_json::to_string_pretty(&serde_json::json!({"a": [1, "x"]})).unwrap()
        );
    }
}
