//! `--format github`: GitHub Actions workflow commands, one per finding,
//! so findings appear as annotations on the pull request's diff.

use super::text::visible;
use super::{summary_line, Checked};
use crate::finding::{Finding, Severity};

/// Escapes the message part of a workflow command.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (file, title) of a workflow command.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(checked: &Checked, findings: &[Finding], notices: &[String]) -> String {
    let mut out = String::new();
    for notice in notices {
        out.push_str(&format!(
            "::notice title=annot::{}\n",
            escape_data(&visible(notice))
        ));
    }
    for f in findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        // Texts from files are made visible (the log shows ANSI colours);
        // the line break before the help is ours.
        let mut message = visible(&f.message);
        if let Some(help) = &f.help {
            message.push_str("\nhelp: ");
            message.push_str(&visible(help));
        }
        let title = match &f.id {
            Some(id) => format!("annot {} ({})", f.code, visible(id)),
            None => format!("annot {}", f.code),
        };
        out.push_str(&format!(
            "::{level} file={},line={},col={},title={}::{}\n",
            escape_property(&visible(&f.place.file)),
            f.place.line,
            f.place.column,
            escape_property(&title),
            escape_data(&message)
        ));
    }
    out.push_str(&summary_line(checked, findings));
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_workflow_command_syntax() {
        assert_eq!(escape_data("50%\nnext"), "50%25%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
