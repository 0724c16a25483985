//! Text from files as every report shows it, and what the terminal can
//! show. A file can hold any character; a report must never hand one to
//! the terminal that moves the cursor, rings a bell, changes colours or
//! reorders a line. [`visible`] is the one notation for such characters
//! in every human report (docs/format.md, "How reports show text").

use std::fmt::Write as _;
use unicode_width::UnicodeWidthChar;

/// Characters that change how a line shows without showing themselves:
/// bidirectional controls, zero-width characters, the byte-order mark,
/// the line and paragraph separators, the deprecated format controls,
/// interlinear annotation marks, and the tag characters (invisible
/// letters that can carry hidden text).
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206f}'
            | '\u{061c}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{e0000}'..='\u{e007f}'
    )
}

/// A character a report never writes as itself: C0 and C1 controls, DEL,
/// and the invisible characters above.
pub fn is_hidden(c: char) -> bool {
    c.is_control() || is_invisible(c)
}

/// Appends `c` as a reader should see it.
pub fn push_visible(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if is_hidden(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// Text from a file as a reader should see it: line feed, carriage return
/// and tab as `\n`, `\r`, `\t`; every other control or invisible character
/// as `\u{…}` (lowercase hex, as Rust writes it).
pub fn visible(s: &str) -> String {
    if !s.chars().any(is_hidden) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_visible(&mut out, c);
    }
    out
}

/// [`visible`], line by line: a message's own line breaks stay breaks.
pub fn visible_lines(s: &str) -> String {
    s.split('\n').map(visible).collect::<Vec<_>>().join("\n")
}

/// Columns `c` takes on a terminal once made visible: 2 for a wide (CJK)
/// character, 0 for a combining mark, the length of its escape for a
/// hidden one.
pub fn char_width(c: char) -> usize {
    if is_hidden(c) {
        let mut s = String::new();
        push_visible(&mut s, c);
        s.len()
    } else {
        c.width().unwrap_or(0)
    }
}

/// Columns `s` takes on a terminal once made visible.
pub fn width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// How the terminal (or whatever reads stdout) wants human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    /// ANSI colours and emphasis.
    pub color: bool,
    /// ASCII only in what annot itself draws: no box drawing, no arrows.
    pub ascii: bool,
    /// The locale's character set is not UTF-8: every character beyond
    /// ASCII is written as `\u{…}` too ([`Style::for_terminal`]). UTF-8
    /// shown in a single-byte character set is not only garbled: the
    /// second byte of `ś` (0xC5 0x9B) is CSI there.
    pub ascii_only: bool,
    /// The width to wrap and shorten to, when it is known (`COLUMNS`, or
    /// the terminal's). Unknown when writing to a pipe: then the output
    /// does not depend on the environment.
    pub width: Option<usize>,
}

/// What is assumed when the width is not known.
pub const DEFAULT_WIDTH: usize = 100;

impl Style {
    /// The style the environment asks for: `COLUMNS` (else the terminal's
    /// width, when stdout is one), and ASCII for `TERM=dumb` or a locale
    /// that is not UTF-8.
    pub fn detect(color: bool, stdout_is_terminal: bool) -> Style {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let width = var("COLUMNS")
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|w| *w > 0)
            .or_else(|| {
                stdout_is_terminal
                    .then(terminal_size::terminal_size)
                    .flatten()
                    .map(|(w, _)| usize::from(w.0))
                    .filter(|w| *w > 0)
            });
        let dumb = var("TERM").is_some_and(|t| t == "dumb");
        // POSIX order: the first of these that is set names the character
        // set. None set is taken as UTF-8, as every current system is.
        let locale = var("LC_ALL")
            .or_else(|| var("LC_CTYPE"))
            .or_else(|| var("LANG"));
        let utf8 = locale.is_none_or(|l| names_utf8(&l));
        Style {
            color: color && !dumb,
            ascii: dumb || !utf8,
            ascii_only: !utf8,
            width,
        }
    }

    /// Human output as this terminal can show it: unchanged, or with
    /// every character beyond ASCII as `\u{…}` where the locale is not
    /// UTF-8.
    pub fn for_terminal(&self, text: String) -> String {
        if !self.ascii_only || text.is_ascii() {
            return text;
        }
        let mut out = String::with_capacity(text.len() + 16);
        for c in text.chars() {
            if c.is_ascii() {
                out.push(c);
            } else {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
        out
    }

    /// The width to shorten to.
    pub fn columns(&self) -> usize {
        self.width.unwrap_or(DEFAULT_WIDTH)
    }

    /// `unicode` when the terminal can show it, else `ascii`.
    pub fn pick<'a>(&self, unicode: &'a str, ascii: &'a str) -> &'a str {
        if self.ascii {
            ascii
        } else {
            unicode
        }
    }

    /// The mark of text left out.
    pub fn ellipsis(&self) -> &'static str {
        if self.ascii {
            "..."
        } else {
            "…"
        }
    }

    /// `text` after `first`, wrapped at spaces to the width when it is
    /// known, each further line after `rest`; a word wider than the room
    /// stays whole. No line break at the end.
    pub fn wrap(&self, text: &str, first: &str, rest: &str) -> String {
        let Some(columns) = self.width else {
            return format!("{first}{text}");
        };
        let mut out = String::from(first);
        let mut used = width(first);
        let mut fresh = true;
        for word in text.split(' ') {
            let w = width(word);
            if !fresh && used + 1 + w > columns {
                out.push('\n');
                out.push_str(rest);
                used = width(rest);
                fresh = true;
            }
            if !fresh {
                out.push(' ');
                used += 1;
            }
            out.push_str(word);
            used += w;
            fresh = false;
        }
        out
    }

    /// miette's theme for this style.
    pub fn theme(&self) -> miette::GraphicalTheme {
        use miette::GraphicalTheme;
        match (self.ascii, self.color) {
            (false, true) => GraphicalTheme::unicode(),
            (false, false) => GraphicalTheme::unicode_nocolor(),
            (true, true) => GraphicalTheme::ascii(),
            (true, false) => GraphicalTheme::none(),
        }
    }

    /// The arrow between an old and a new state.
    pub fn arrow(&self) -> &'static str {
        if self.ascii {
            "->"
        } else {
            "→"
        }
    }
}

/// An error as a terminal may show it: its message, code, help and causes
/// made [`visible`] (an error names paths and ids from files).
#[derive(Debug)]
pub struct VisibleError {
    message: String,
    code: Option<String>,
    help: Option<String>,
    cause: Option<Box<VisibleError>>,
}

impl VisibleError {
    pub fn new(error: &dyn miette::Diagnostic) -> VisibleError {
        let mut cause = None;
        let mut causes = Vec::new();
        let mut next = error.source();
        while let Some(e) = next {
            causes.push(visible_lines(&e.to_string()));
            next = e.source();
        }
        for message in causes.into_iter().rev() {
            cause = Some(Box::new(VisibleError {
                message,
                code: None,
                help: None,
                cause,
            }));
        }
        VisibleError {
            message: visible_lines(&error.to_string()),
            code: error.code().map(|c| visible(&c.to_string())),
            help: error.help().map(|h| visible_lines(&h.to_string())),
            cause,
        }
    }
}

impl std::fmt::Display for VisibleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for VisibleError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|c| c as &(dyn std::error::Error + 'static))
    }
}

impl miette::Diagnostic for VisibleError {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.code
            .as_ref()
            .map(|c| Box::new(c) as Box<dyn std::fmt::Display>)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }
}

/// Whether a locale name (`en_US.UTF-8`, `C.utf8`) names UTF-8.
fn names_utf8(locale: &str) -> bool {
    let l = locale.to_ascii_lowercase();
    l.contains("utf-8") || l.contains("utf8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_notation() {
        assert_eq!(
            visible("a\nb\r\nc\td\u{1b}[31me\u{7f}\u{9b}\u{200b}\u{202e}"),
            "a\\nb\\r\\nc\\td\\u{1b}[31me\\u{7f}\\u{9b}\\u{200b}\\u{202e}"
        );
        assert_eq!(visible("Zażółć “x” 東京"), "Zażółć “x” 東京");
        assert_eq!(visible("a\u{e0041}\u{e0042}"), "a\\u{e0041}\\u{e0042}");
    }

    #[test]
    fn widths() {
        assert_eq!(width("東京"), 4);
        assert_eq!(width("cafe\u{301}"), 4);
        assert_eq!(width("a\tb"), 4);
        assert_eq!(width("\u{1b}"), 6);
    }

    #[test]
    fn wraps_only_to_a_known_width() {
        let style = Style {
            width: Some(12),
            ..Style::default()
        };
        assert_eq!(
            style.wrap("one two three four", "- ", "  "),
            "- one two\n  three four"
        );
        assert_eq!(
            Style::default().wrap("one two three four", "- ", "  "),
            "- one two three four"
        );
    }

    #[test]
    fn locales() {
        assert!(names_utf8("en_US.UTF-8"));
        assert!(names_utf8("C.utf8"));
        assert!(!names_utf8("C"));
        assert!(!names_utf8("POSIX"));
        assert!(!names_utf8("de_DE.ISO-8859-1"));
    }
}
