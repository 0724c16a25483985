//! The files open in the editor: their unsaved text, version and lines.

use super::encoding::{Encoding, LineIndex};
use lsp_types::{TextDocumentContentChangeEvent, Url};
use std::path::Path;

pub struct Document {
    pub uri: Url,
    /// Workspace-relative path, when the file is inside the workspace.
    pub rel: Option<String>,
    pub version: i32,
    pub text: String,
    pub lines: LineIndex,
}

impl Document {
    pub fn new(uri: Url, root: Option<&Path>, version: i32, text: String) -> Document {
        let rel = root.and_then(|root| rel_of(root, &uri));
        let lines = LineIndex::new(&text);
        Document {
            uri,
            rel,
            version,
            text,
            lines,
        }
    }

    /// Applies the client's changes in order: a change with a range
    /// replaces that range, one without replaces the whole text.
    pub fn change(
        &mut self,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
        encoding: Encoding,
    ) {
        for change in changes {
            match change.range {
                Some(range) => {
                    let start = self.lines.offset(&self.text, range.start, encoding);
                    let end = self
                        .lines
                        .offset(&self.text, range.end, encoding)
                        .max(start);
                    self.text.replace_range(start..end, &change.text);
                }
                None => self.text = change.text,
            }
            self.lines = LineIndex::new(&self.text);
        }
        self.version = version;
    }

    pub fn range(&self, start: usize, end: usize, encoding: Encoding) -> lsp_types::Range {
        self.lines.range(&self.text, start, end, encoding)
    }

    pub fn offset(&self, position: lsp_types::Position, encoding: Encoding) -> usize {
        self.lines.offset(&self.text, position, encoding)
    }
}

/// The workspace-relative path of a `file:` URI inside `root`.
pub fn rel_of(root: &Path, uri: &Url) -> Option<String> {
    if uri.scheme() != "file" {
        return None;
    }
    let path = uri.to_file_path().ok()?;
    let path = crate::workspace::resolved(&path);
    crate::workspace::relative(root, &path).filter(|rel| !rel.is_empty() && !rel.starts_with(".."))
}

/// The URI of a workspace file.
pub fn uri_of(root: &Path, rel: &str) -> Option<Url> {
    Url::from_file_path(root.join(rel)).ok()
}
