//! The pages as askama templates (one per page kind, under
//! `src/render/templates/`), fed the view model. Askama escapes every
//! value for HTML text and quoted attributes (as numeric references); the source text goes through
//! [`filters::seed`], which also keeps a carriage return as `&#13;` so the
//! page's text is the seed's text, byte for byte.

use super::view::{IndexView, ItemView, KindView, Piece, SourceView};
use askama::Template;

#[derive(Template)]
#[template(path = "index.html")]
pub struct IndexPage<'a> {
    pub root: &'a str,
    pub ix: &'a IndexView,
}

#[derive(Template)]
#[template(path = "source.html")]
pub struct SourcePage<'a> {
    pub root: &'a str,
    pub s: &'a SourceView,
    pub kinds: &'a [KindView],
}

#[derive(Template)]
#[template(path = "item.html")]
pub struct ItemPage<'a> {
    pub root: &'a str,
    pub it: &'a ItemView,
}

mod filters {
    use std::fmt::{self, Write};

    /// Source text for an HTML text node: `&`, `<`, `>`, quotes escaped, a
    /// CR as `&#13;` (a literal CR would be folded into the LF after it),
    /// a BOM as a reference (so it is never taken for the page's own).
    pub struct SeedHtml<'a>(&'a str);

    impl fmt::Display for SeedHtml<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let text = self.0;
            let mut last = 0;
            for (i, c) in text.char_indices() {
                let escaped = match c {
                    '&' => "&#38;",
                    '<' => "&#60;",
                    '>' => "&#62;",
                    '"' => "&#34;",
                    '\'' => "&#39;",
                    '\r' => "&#13;",
                    '\u{feff}' => "&#xFEFF;",
                    '\0' => "&#xFFFD;",
                    _ => continue,
                };
                f.write_str(&text[last..i])?;
                f.write_str(escaped)?;
                last = i + c.len_utf8();
            }
            f.write_str(&text[last..])
        }
    }

    impl askama::filters::HtmlSafe for SeedHtml<'_> {}

    pub fn seed<'a>(text: &'a str, _: &dyn askama::Values) -> askama::Result<SeedHtml<'a>> {
        Ok(SeedHtml(text))
    }

    /// For tests: the escaping alone.
    #[allow(dead_code)]
    pub fn escape_seed(text: &str) -> String {
        let mut out = String::new();
        let _ = write!(out, "{}", SeedHtml(text));
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn seed_text_keeps_carriage_returns_and_escapes_markup() {
        assert_eq!(
            super::filters::escape_seed("a\r\n<b>&\"'\u{feff}"),
            "a&#13;\n&#60;b&#62;&#38;&#34;&#39;&#xFEFF;"
        );
    }
}
