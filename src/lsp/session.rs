//! What the server knows between messages: the workspace root, the
//! negotiated position encoding, the open documents and the validation
//! kept in memory. Notifications change documents and mark what must be
//! checked again; [`Session::flush`] checks it, once the client has
//! nothing more to say, and publishes the diagnostics of every open file.

use super::documents::{rel_of, Document};
use super::encoding::Encoding;
use super::notification;
use crate::validate::{Live, Outcome};
use crate::workspace::{self, Buffers, Tree, SOURCES_META_PATH, VOCABULARY_PATH};
use crossbeam_channel::Sender;
use lsp_server::{Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{LogMessage, PublishDiagnostics};
use lsp_types::{
    DidChangeTextDocumentParams, DidChangeWatchedFilesParams, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, DidSaveTextDocumentParams, FileChangeType, InitializeParams,
    InitializeResult, LogMessageParams, MessageType, PublishDiagnosticsParams, Url,
};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

pub struct Session {
    pub root: Option<PathBuf>,
    pub encoding: Encoding,
    pub documents: BTreeMap<Url, Document>,
    live: Option<Live>,
    /// The last outcome, for the requests that look at findings.
    pub outcome: Option<Outcome>,
    pending: Pending,
    sender: Sender<Message>,
    watch_dynamically: bool,
    /// The quotes of a file's annotations by id, read when completion
    /// first shows them; dropped when the file changes.
    quotes: RefCell<HashMap<String, Arc<HashMap<String, String>>>>,
    /// What was last published for each open file, with its version: the
    /// same list for the same version is not sent again.
    published: RefCell<HashMap<Url, Published>>,
}

/// A file's version and the diagnostics published for it.
type Published = (Option<i32>, Vec<lsp_types::Diagnostic>);

/// What must be checked again before diagnostics are published.
#[derive(Default)]
struct Pending {
    files: BTreeSet<String>,
    /// Files were created or deleted: list them again.
    relist: bool,
    /// The vocabulary, sources.yaml or attributes changed: check all.
    reload: bool,
    /// Publish even if nothing is to be checked (a file was opened).
    publish: bool,
}

impl Session {
    pub fn new(params: InitializeParams, sender: Sender<Message>) -> Session {
        let encoding = Encoding::negotiate(
            params
                .capabilities
                .general
                .as_ref()
                .and_then(|g| g.position_encodings.as_deref()),
        );
        #[allow(deprecated)]
        let given = params
            .workspace_folders
            .as_ref()
            .and_then(|folders| folders.first())
            .map(|folder| folder.uri.clone())
            .or(params.root_uri.clone())
            .and_then(|uri| uri.to_file_path().ok())
            .or_else(|| params.root_path.as_ref().map(PathBuf::from));
        let root = given.and_then(|dir| workspace::find_root(&dir).ok());
        let watch_dynamically = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|w| w.dynamic_registration)
            .unwrap_or(false);
        Session {
            root,
            encoding,
            documents: BTreeMap::new(),
            live: None,
            outcome: None,
            pending: Pending::default(),
            sender,
            watch_dynamically,
            quotes: RefCell::new(HashMap::new()),
            published: RefCell::new(HashMap::new()),
        }
    }

    pub fn initialize_result(&self) -> serde_json::Value {
        let result = InitializeResult {
            capabilities: super::capabilities(self.encoding),
            server_info: Some(lsp_types::ServerInfo {
                name: "annot".to_string(),
                version: Some(env!("CARGO_PKG_VERSION").to_string()),
            }),
        };
        serde_json::to_value(result).unwrap_or_default()
    }

    pub fn has_pending(&self) -> bool {
        let p = &self.pending;
        p.reload || p.relist || p.publish || !p.files.is_empty()
    }

    pub fn log(&self, kind: MessageType, message: &str) {
        eprintln!("annot lsp: {message}");
        let _ = self
            .sender
            .send(notification::<LogMessage>(LogMessageParams {
                typ: kind,
                message: message.to_string(),
            }));
    }

    pub fn log_error(&self, message: &str) {
        self.log(MessageType::ERROR, message);
    }

    /// The document at `uri`, if open.
    pub fn document(&self, uri: &Url) -> Option<&Document> {
        self.documents.get(uri)
    }

    /// The text of a workspace file: the open buffer, else the file on disk.
    pub fn text_of(&self, rel: &str) -> Option<String> {
        if let Some(doc) = self
            .documents
            .values()
            .find(|d| d.rel.as_deref() == Some(rel))
        {
            return Some(doc.text.clone());
        }
        let root = self.root.as_ref()?;
        std::fs::read(root.join(rel))
            .ok()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    /// The quote of every annotation in `paths`, by id.
    pub fn quotes_of<'p>(&self, paths: impl Iterator<Item = &'p str>) -> HashMap<String, String> {
        let mut out = HashMap::new();
        let mut seen = BTreeSet::new();
        for path in paths {
            if !seen.insert(path) {
                continue;
            }
            let cached = self.quotes.borrow().get(path).cloned();
            let quotes = match cached {
                Some(quotes) => quotes,
                None => {
                    let Some(text) = self.text_of(path) else {
                        continue;
                    };
                    let file = crate::load::annotation_file(path, text.as_bytes()).value;
                    let quotes: HashMap<String, String> = file
                        .into_iter()
                        .flat_map(|f| f.annotations)
                        .filter_map(|a| Some((a.id.value, a.quote?.value)))
                        .collect();
                    let quotes = Arc::new(quotes);
                    self.quotes
                        .borrow_mut()
                        .insert(path.to_string(), Arc::clone(&quotes));
                    quotes
                }
            };
            out.extend(quotes.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        out
    }

    pub fn live(&self) -> Option<&Live> {
        self.live.as_ref()
    }

    /// The working tree with every open buffer in place of its file.
    pub fn tree(&self) -> Tree {
        let mut buffers = Buffers::new();
        for doc in self.documents.values() {
            if let Some(rel) = &doc.rel {
                buffers.insert(rel.clone(), Arc::from(doc.text.as_bytes()));
            }
        }
        Tree::Edited(Arc::new(buffers))
    }

    pub fn notify(&mut self, notification: Notification) {
        let Notification { method, params } = notification;
        match method.as_str() {
            "initialized" => {
                self.pending.reload = true;
                self.register_watchers();
            }
            "textDocument/didOpen" => {
                let Ok(params) = serde_json::from_value::<DidOpenTextDocumentParams>(params) else {
                    return self.log_error("invalid params for `textDocument/didOpen`");
                };
                let item = params.text_document;
                if self.root.is_none() {
                    self.root = item
                        .uri
                        .to_file_path()
                        .ok()
                        .and_then(|p| p.parent().map(PathBuf::from))
                        .and_then(|dir| workspace::find_root(&dir).ok());
                    self.pending.reload = true;
                }
                let doc = Document::new(
                    item.uri.clone(),
                    self.root.as_deref(),
                    item.version,
                    item.text,
                );
                let rel = doc.rel.clone();
                self.documents.insert(item.uri, doc);
                if let Some(rel) = rel {
                    self.changed(&rel, true);
                }
                self.pending.publish = true;
            }
            "textDocument/didChange" => {
                let Ok(params) = serde_json::from_value::<DidChangeTextDocumentParams>(params)
                else {
                    return self.log_error("invalid params for `textDocument/didChange`");
                };
                let encoding = self.encoding;
                let Some(doc) = self.documents.get_mut(&params.text_document.uri) else {
                    return;
                };
                doc.change(
                    params.text_document.version,
                    params.content_changes,
                    encoding,
                );
                if let Some(rel) = doc.rel.clone() {
                    self.changed(&rel, false);
                }
                self.pending.publish = true;
            }
            "textDocument/didSave" => {
                if let Ok(params) = serde_json::from_value::<DidSaveTextDocumentParams>(params) {
                    if let Some(rel) = self
                        .document(&params.text_document.uri)
                        .and_then(|d| d.rel.clone())
                    {
                        self.changed(&rel, false);
                    }
                }
            }
            "textDocument/didClose" => {
                let Ok(params) = serde_json::from_value::<DidCloseTextDocumentParams>(params)
                else {
                    return;
                };
                let uri = params.text_document.uri;
                if let Some(doc) = self.documents.remove(&uri) {
                    if let Some(rel) = doc.rel {
                        // The file on disk counts again.
                        self.changed(&rel, true);
                    }
                    self.publish(uri, Vec::new(), None);
                }
            }
            "workspace/didChangeWatchedFiles" => {
                let Ok(params) = serde_json::from_value::<DidChangeWatchedFilesParams>(params)
                else {
                    return;
                };
                let Some(root) = self.root.clone() else {
                    return;
                };
                for change in params.changes {
                    if let Some(rel) = rel_of(&root, &change.uri) {
                        self.changed(&rel, change.typ != FileChangeType::CHANGED);
                    }
                }
            }
            _ => {}
        }
    }

    /// Marks what a change to `rel` makes stale; `created_or_deleted`
    /// when the set of files may differ.
    fn changed(&mut self, rel: &str, created_or_deleted: bool) {
        self.quotes.borrow_mut().remove(rel);
        let pending = &mut self.pending;
        if rel == VOCABULARY_PATH || rel == SOURCES_META_PATH || rel.ends_with(".gitattributes") {
            pending.reload = true;
        } else if rel.starts_with("annotations/") {
            pending.files.insert(rel.to_string());
            let known = self.live.as_ref().is_some_and(|live| {
                live.results()
                    .binary_search_by(|r| r.path.as_str().cmp(rel))
                    .is_ok()
            });
            pending.relist |= created_or_deleted || !known;
        } else if rel.starts_with("seeds/") {
            if let Some(live) = &self.live {
                pending.files.extend(live.files_of_source(rel));
            }
            pending.relist |= created_or_deleted;
        }
        pending.publish = true;
    }

    /// Checks what is pending and publishes every open file's diagnostics.
    pub fn flush(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        let Some(root) = self.root.clone() else {
            return;
        };
        let tree = self.tree();
        let checked = match self.live.as_mut() {
            Some(live) if !pending.reload => {
                let files: Vec<String> = pending.files.into_iter().collect();
                live.recheck(&tree, &files, pending.relist)
            }
            _ => {
                self.quotes.borrow_mut().clear();
                let started = std::time::Instant::now();
                Live::load(&root, &tree).map(|live| {
                    self.log(
                        MessageType::INFO,
                        &format!(
                            "checked {} annotation files of {} in {} ms",
                            live.results().len(),
                            root.display(),
                            started.elapsed().as_millis()
                        ),
                    );
                    self.live = Some(live);
                })
            }
        };
        let outcome = checked.and_then(|()| match &self.live {
            Some(live) => live.outcome(&tree),
            None => unreachable!("loaded above"),
        });
        match outcome {
            Ok(outcome) => {
                self.publish_all(&outcome);
                // What `validate` prints after its findings, once each.
                let before = self
                    .outcome
                    .as_ref()
                    .map(|o| o.notices.as_slice())
                    .unwrap_or(&[]);
                for notice in outcome.notices.iter().filter(|n| !before.contains(n)) {
                    self.log(MessageType::INFO, notice);
                }
                self.outcome = Some(outcome);
            }
            Err(err) => {
                self.live = None;
                self.log_error(&format!(
                    "could not check the workspace at {}: {err}",
                    root.display()
                ));
            }
        }
    }

    fn publish_all(&self, outcome: &Outcome) {
        let mut by_file: BTreeMap<&str, Vec<&crate::finding::Finding>> = BTreeMap::new();
        for finding in &outcome.findings {
            by_file
                .entry(finding.place.file.as_str())
                .or_default()
                .push(finding);
        }
        let mut texts = super::diagnostics::Texts::new(self);
        for doc in self.documents.values() {
            let Some(rel) = &doc.rel else { continue };
            if !serves(rel) {
                continue;
            }
            let findings = by_file.get(rel.as_str()).map(Vec::as_slice).unwrap_or(&[]);
            let diagnostics = findings
                .iter()
                .map(|f| super::diagnostics::diagnostic(self, doc, f, &mut texts))
                .collect();
            self.publish(doc.uri.clone(), diagnostics, Some(doc.version));
        }
    }

    fn publish(&self, uri: Url, diagnostics: Vec<lsp_types::Diagnostic>, version: Option<i32>) {
        let mut published = self.published.borrow_mut();
        if version.is_none() {
            // A closed file's clearing.
            published.remove(&uri);
        } else if published.get(&uri) == Some(&(version, diagnostics.clone())) {
            return;
        } else {
            published.insert(uri.clone(), (version, diagnostics.clone()));
        }
        drop(published);
        let _ = self.sender.send(notification::<PublishDiagnostics>(
            PublishDiagnosticsParams {
                uri,
                diagnostics,
                version,
            },
        ));
    }

    fn register_watchers(&self) {
        if !self.watch_dynamically {
            return;
        }
        // The folders the checks read, and the root's `.gitattributes`
        // (which says whether git keeps the seeds' bytes).
        let watchers = [
            "**/seeds/**",
            "**/schema/**",
            "**/annotations/**",
            "**/.gitattributes",
        ]
        .into_iter()
        .map(|glob| lsp_types::FileSystemWatcher {
            glob_pattern: lsp_types::GlobPattern::String(glob.to_string()),
            kind: None,
        })
        .collect();
        let options = lsp_types::DidChangeWatchedFilesRegistrationOptions { watchers };
        let params = lsp_types::RegistrationParams {
            registrations: vec![lsp_types::Registration {
                id: "annot-watched-files".to_string(),
                method: "workspace/didChangeWatchedFiles".to_string(),
                register_options: serde_json::to_value(options).ok(),
            }],
        };
        let request = Request::new(
            RequestId::from("annot-watched-files".to_string()),
            "client/registerCapability".to_string(),
            params,
        );
        let _ = self.sender.send(request.into());
    }

    pub fn answered(&self, response: Response) {
        if let Some(error) = response.error {
            self.log(
                MessageType::WARNING,
                &format!(
                    "the editor refused to watch seeds/, schema/ and annotations/ ({}); changes made outside it are seen when a file is saved or opened",
                    error.message
                ),
            );
        }
    }
}

/// Whether the server reports on this file: annotation files, the
/// vocabulary and sources.yaml.
pub fn serves(rel: &str) -> bool {
    (rel.starts_with("annotations/") && workspace::is_annotation_file(rel))
        || rel == VOCABULARY_PATH
        || rel == SOURCES_META_PATH
}
