//! `annot lsp` in process: a client on one end of an in-memory connection,
//! the server on the other, over a copy of this repository's workspace.

mod common;

use annot::lsp::{Encoding, LineIndex};
use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use lsp_types::Position;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

struct Client {
    conn: Connection,
    server: Option<JoinHandle<i32>>,
    next: i32,
    root: PathBuf,
    /// Notifications and requests from the server not yet looked at.
    seen: Vec<Message>,
}

impl Client {
    fn start(root: &Path, encodings: &[&str]) -> Client {
        let mut client = Client::connect(root);
        let result = client.initialize(encodings);
        assert!(result.get("capabilities").is_some(), "{result}");
        client.notify("initialized", json!({}));
        client
    }

    fn connect(root: &Path) -> Client {
        let (server, conn) = Connection::memory();
        let handle = std::thread::spawn(move || annot::lsp::serve(&server));
        Client {
            conn,
            server: Some(handle),
            next: 0,
            root: root.to_path_buf(),
            seen: Vec::new(),
        }
    }

    fn initialize(&mut self, encodings: &[&str]) -> Value {
        let params = json!({
            "processId": null,
            "rootUri": self.uri_of_root(),
            "capabilities": {
                "general": {"positionEncodings": encodings},
                "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}},
            },
        });
        let response = self.request("initialize", params);
        response.result.expect("initialize answered")
    }

    fn uri_of_root(&self) -> String {
        lsp_types::Url::from_file_path(&self.root)
            .unwrap()
            .to_string()
    }

    fn uri(&self, rel: &str) -> String {
        lsp_types::Url::from_file_path(self.root.join(rel))
            .unwrap()
            .to_string()
    }

    fn request(&mut self, method: &str, params: Value) -> Response {
        self.next += 1;
        let id = RequestId::from(self.next);
        self.conn
            .sender
            .send(Request::new(id.clone(), method.to_string(), params).into())
            .unwrap();
        loop {
            match self
                .conn
                .receiver
                .recv_timeout(WAIT)
                .expect("the server answers")
            {
                Message::Response(r) if r.id == id => return r,
                other => self.seen.push(other),
            }
        }
    }

    fn ok(&mut self, method: &str, params: Value) -> Value {
        let response = self.request(method, params);
        assert!(response.error.is_none(), "{method}: {:?}", response.error);
        response.result.unwrap_or(Value::Null)
    }

    fn notify(&self, method: &str, params: Value) {
        self.conn
            .sender
            .send(Notification::new(method.to_string(), params).into())
            .unwrap();
    }

    fn open(&self, rel: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": self.uri(rel), "languageId": "yaml", "version": 1, "text": text}}),
        );
    }

    fn open_from_disk(&self, rel: &str) -> String {
        let text = std::fs::read_to_string(self.root.join(rel)).unwrap();
        self.open(rel, &text);
        text
    }

    fn replace_all(&self, rel: &str, version: i32, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": self.uri(rel), "version": version}, "contentChanges": [{"text": text}]}),
        );
    }

    /// The diagnostics the server publishes next for `rel` with `version`
    /// (any version when `None`).
    fn diagnostics(&mut self, rel: &str, version: Option<i32>) -> Vec<Value> {
        let uri = self.uri(rel);
        let is_it = |m: &Message| match m {
            Message::Notification(n) if n.method == "textDocument/publishDiagnostics" => {
                n.params["uri"] == uri.as_str() && version.is_none_or(|v| n.params["version"] == v)
            }
            _ => false,
        };
        if let Some(i) = self.seen.iter().position(is_it) {
            if let Message::Notification(n) = self.seen.remove(i) {
                return n.params["diagnostics"].as_array().unwrap().clone();
            }
        }
        loop {
            let m = self
                .conn
                .receiver
                .recv_timeout(WAIT)
                .expect("diagnostics are published");
            if is_it(&m) {
                let Message::Notification(n) = m else {
                    unreachable!()
                };
                return n.params["diagnostics"].as_array().unwrap().clone();
            }
            self.seen.push(m);
        }
    }

    fn position(&self, params: Value) -> Value {
        params
    }

    fn at(&self, rel: &str, line: u32, character: u32) -> Value {
        self.position(json!({"textDocument": {"uri": self.uri(rel)}, "position": {"line": line, "character": character}}))
    }

    /// The code actions offered for `diagnostic` in `rel`.
    fn actions(&mut self, rel: &str, diagnostic: &Value) -> Value {
        let params = json!({
            "textDocument": {"uri": self.uri(rel)},
            "range": diagnostic["range"],
            "context": {"diagnostics": [diagnostic]},
        });
        self.ok("textDocument/codeAction", params)
    }

    /// Sends shutdown and exit; the server's exit status.
    fn stop(mut self) -> i32 {
        let r = self.request("shutdown", Value::Null);
        assert!(r.error.is_none());
        self.notify("exit", Value::Null);
        self.server.take().unwrap().join().unwrap()
    }
}

/// A copy of this repository's workspace in a new git repository.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    for part in ["annotations", "seeds", "schema"] {
        copy_dir(&here.join(part), &dir.path().join(part));
    }
    std::fs::copy(
        here.join(".gitattributes"),
        dir.path().join(".gitattributes"),
    )
    .unwrap();
    common::git(dir.path(), &["init", "-q"]);
    common::git(dir.path(), &["add", "-A"]);
    common::git(dir.path(), &["commit", "-q", "-m", "workspace"]);
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn root_of(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().canonicalize().unwrap()
}

/// The line (from 0) holding `needle`, and the UTF-16 column where it
/// starts.
fn find(text: &str, needle: &str) -> (u32, u32) {
    let offset = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in the text"));
    let p = LineIndex::new(text).position(text, offset, Encoding::Utf16);
    (p.line, p.character)
}

/// The text edits of a code action, all in one file.
fn edits_of(action: &Value) -> Vec<Value> {
    let changes = action["edit"]["changes"].as_object().expect("changes");
    assert_eq!(changes.len(), 1, "{action}");
    changes.values().next().unwrap().as_array().unwrap().clone()
}

fn codes(diagnostics: &[Value]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

fn apply(text: &str, edits: &[Value], encoding: Encoding) -> String {
    let lines = LineIndex::new(text);
    let offset = |p: &Value| {
        lines.offset(
            text,
            Position::new(
                p["line"].as_u64().unwrap() as u32,
                p["character"].as_u64().unwrap() as u32,
            ),
            encoding,
        )
    };
    let mut edits: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (s, e, new) in edits {
        out.replace_range(s..e, &new);
    }
    out
}

const TASS: &str = "annotations/tass.yaml";
const SEED: &str = "seeds/000_58609d336a8452fe.txt";

#[test]
fn lifecycle_errors_are_the_protocols() {
    let dir = workspace();
    let mut client = Client::connect(&root_of(&dir));
    let early = client.request("textDocument/hover", json!({}));
    assert_eq!(early.error.unwrap().code, -32002);
    client.initialize(&[]);
    client.notify("initialized", json!({}));
    let unknown = client.request("annot/nonsense", json!({}));
    assert_eq!(unknown.error.unwrap().code, -32601);
    let invalid = client.request("textDocument/hover", json!({"textDocument": 3}));
    let error = invalid.error.unwrap();
    assert_eq!(error.code, -32602);
    assert!(
        error.message.contains("textDocument/hover"),
        "{}",
        error.message
    );
    let again = client.request("initialize", json!({"capabilities": {}}));
    assert_eq!(again.error.unwrap().code, -32600);
    let r = client.request("shutdown", Value::Null);
    assert!(r.error.is_none());
    let late = client.request("textDocument/hover", json!({}));
    assert_eq!(late.error.unwrap().code, -32600);
    client.notify("exit", Value::Null);
    assert_eq!(client.server.take().unwrap().join().unwrap(), 0);
}

/// The titles of the code actions at a cursor (an empty range) on
/// `line`, `character`, as an editor that sends no diagnostics asks.
fn actions_at(client: &mut Client, rel: &str, line: u32, character: u32) -> Vec<String> {
    let at = json!({"line": line, "character": character});
    let params = json!({
        "textDocument": {"uri": client.uri(rel)},
        "range": {"start": at, "end": at},
        "context": {"diagnostics": []},
    });
    let actions = client.ok("textDocument/codeAction", params);
    actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn quick_fixes_are_offered_wherever_the_cursor_is_in_the_annotation() {
    let dir = workspace();
    let mut client = Client::start(&root_of(&dir), &[]);
    let text = client.open_from_disk(TASS);
    client.diagnostics(TASS, Some(1));
    let moved = text.replacen(
        "    start: 70\n    end: 92\n",
        "    start: 71\n    end: 93\n",
        1,
    );
    client.replace_all(TASS, 2, &moved);
    let diagnostics = client.diagnostics(TASS, Some(2));
    assert_eq!(codes(&diagnostics), ["quote-mismatch"]);
    let title = "Move `tass.lead-sappers` to 70..92";
    for needle in [
        "    quote: \"1,000",
        "    start: 71",
        "    note: \"TASS's own",
        "  - id: tass.lead-sappers",
    ] {
        let (line, _) = find(&moved, needle);
        for character in [0, 6] {
            let titles = actions_at(&mut client, TASS, line, character);
            assert!(
                titles.iter().any(|t| t.starts_with(title)),
                "{needle:?} at {character}: {titles:?}"
            );
        }
    }
    // Not in the next annotation.
    let (line, _) = find(&moved, "  - id: tass.lead-builders");
    assert_eq!(
        actions_at(&mut client, TASS, line + 1, 4),
        Vec::<String>::new()
    );
    assert_eq!(client.stop(), 0);
}

#[test]
fn exit_without_shutdown_and_a_closed_stream_end_with_status_1() {
    let dir = workspace();
    let client = Client::start(&root_of(&dir), &[]);
    client.notify("exit", Value::Null);
    let mut client = client;
    assert_eq!(client.server.take().unwrap().join().unwrap(), 1);

    let mut client = Client::start(&root_of(&dir), &[]);
    let handle = client.server.take().unwrap();
    drop(client);
    assert_eq!(handle.join().unwrap(), 1);

    // Exit before initialize.
    let mut client = Client::connect(&root_of(&dir));
    client.notify("exit", Value::Null);
    assert_eq!(client.server.take().unwrap().join().unwrap(), 1);
}

#[test]
fn positions_are_negotiated() {
    let dir = workspace();
    for (offered, chosen) in [
        (vec![], "utf-16"),
        (vec!["utf-8"], "utf-8"),
        (vec!["utf-32", "utf-16"], "utf-32"),
        (vec!["utf-7", "utf-16"], "utf-16"),
    ] {
        let mut client = Client::connect(&root_of(&dir));
        let result = client.initialize(&offered);
        assert_eq!(
            result["capabilities"]["positionEncoding"], chosen,
            "{offered:?}"
        );
        client.notify("initialized", json!({}));
        assert_eq!(client.stop(), 0);
    }
}

#[test]
fn an_edit_shows_what_validate_says_and_the_fix_clears_it() {
    let dir = workspace();
    let root = root_of(&dir);
    let mut client = Client::start(&root, &[]);
    let text = client.open_from_disk(TASS);
    assert_eq!(client.diagnostics(TASS, Some(1)), Vec::<Value>::new());

    let broken = text.replacen("    start: 70\n", "    start: 71\n", 1);
    client.replace_all(TASS, 2, &broken);
    let diagnostics = client.diagnostics(TASS, Some(2));
    assert_eq!(codes(&diagnostics), ["quote-mismatch"]);
    let d = &diagnostics[0];
    assert_eq!(d["source"], "annot");
    assert_eq!(d["severity"], 1);
    let (line, column) = find(&broken, "\"1,000 combat engineers\"");
    assert_eq!(
        d["range"]["start"],
        json!({"line": line, "character": column})
    );
    let related = d["relatedInformation"].as_array().unwrap();
    let occurs = related
        .iter()
        .find(|r| {
            r["message"]
                .as_str()
                .unwrap()
                .contains("the quote occurs here")
        })
        .expect("where the quote occurs");
    assert_eq!(occurs["location"]["uri"], client.uri(SEED));
    assert_eq!(
        occurs["location"]["range"]["start"],
        json!({"line": 0, "character": 70})
    );

    // The very finding `annot validate` prints for that text.
    std::fs::write(root.join(TASS), &broken).unwrap();
    let outcome = annot::validate::validate(&root, &annot::workspace::Tree::WorkTree).unwrap();
    let found: Vec<_> = outcome
        .findings
        .iter()
        .filter(|f| f.place.file == TASS)
        .collect();
    assert_eq!(found.len(), 1);
    let expected = format!(
        "{}\nhelp: {}",
        found[0].message,
        found[0].help.as_deref().unwrap()
    );
    assert_eq!(d["message"], expected.as_str());
    assert_eq!(d["code"], found[0].code.as_str());
    let lines = LineIndex::new(&broken);
    let range = lines.range(
        &broken,
        found[0].place.start,
        found[0].place.end,
        Encoding::Utf16,
    );
    assert_eq!(d["range"], serde_json::to_value(range).unwrap());
    std::fs::write(root.join(TASS), &text).unwrap();

    // The quick fix moves the offsets back, and nothing else.
    let actions = client.actions(TASS, d);
    let action = &actions.as_array().unwrap()[0];
    assert_eq!(action["kind"], "quickfix");
    assert!(
        action["title"].as_str().unwrap().contains("70..92"),
        "{action}"
    );
    let fixed = apply(&broken, &edits_of(action), Encoding::Utf16);
    assert_eq!(fixed, text);
    client.replace_all(TASS, 3, &fixed);
    assert_eq!(client.diagnostics(TASS, Some(3)), Vec::<Value>::new());
    assert_eq!(client.stop(), 0);
}

#[test]
fn closing_a_file_clears_its_diagnostics_and_the_disk_counts_again() {
    let dir = workspace();
    let mut client = Client::start(&root_of(&dir), &[]);
    let text = client.open_from_disk(TASS);
    client.diagnostics(TASS, Some(1));
    client.replace_all(TASS, 2, &text.replacen("kind: claim", "kind: clam", 1));
    assert_eq!(codes(&client.diagnostics(TASS, Some(2))), ["unknown-kind"]);
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": client.uri(TASS)}}),
    );
    assert_eq!(client.diagnostics(TASS, None), Vec::<Value>::new());
    assert_eq!(client.stop(), 0);
}

#[test]
fn a_duplicate_id_is_shown_in_both_open_files_and_cleared_in_both() {
    let dir = workspace();
    let mut client = Client::start(&root_of(&dir), &[]);
    let tass = client.open_from_disk(TASS);
    let upi_rel = "annotations/upi.yaml";
    let upi = client.open_from_disk(upi_rel);
    client.diagnostics(TASS, Some(1));
    client.diagnostics(upi_rel, Some(1));
    let taken = "tass.dateline";
    let first_upi_id = upi
        .lines()
        .find_map(|l| l.trim().strip_prefix("- id: "))
        .unwrap()
        .to_string();
    let clash = upi.replacen(
        &format!("- id: {first_upi_id}\n"),
        &format!("- id: {taken}\n"),
        1,
    );
    client.replace_all(upi_rel, 2, &clash);
    let in_upi = client.diagnostics(upi_rel, Some(2));
    assert!(
        codes(&in_upi).contains(&"duplicate-id".to_string()),
        "{in_upi:?}"
    );
    let in_tass = client.diagnostics(TASS, Some(1));
    let duplicate = in_tass
        .iter()
        .find(|d| d["code"] == "duplicate-id")
        .expect("tass.yaml shows it too");
    let related = &duplicate["relatedInformation"][0]["location"];
    assert_eq!(related["uri"], client.uri(upi_rel));
    assert_eq!(
        related["range"]["start"]["line"],
        find(&clash, &format!("id: {taken}")).0
    );
    let _ = tass;
    client.replace_all(upi_rel, 3, &upi);
    client.diagnostics(upi_rel, Some(3));
    let in_tass = client.diagnostics(TASS, Some(1));
    assert!(
        !codes(&in_tass).contains(&"duplicate-id".to_string()),
        "{in_tass:?}"
    );
    assert_eq!(client.stop(), 0);
}

#[test]
fn renaming_an_id_in_one_buffer_makes_links_in_another_dangle() {
    let dir = workspace();
    let mut client = Client::start(&root_of(&dir), &[]);
    client.open_from_disk(TASS);
    let entities = "annotations/entities.yaml";
    let text = client.open_from_disk(entities);
    client.diagnostics(TASS, Some(1));
    client.replace_all(
        entities,
        2,
        &text.replacen("- id: ent.shoigu\n", "- id: ent.shoygu\n", 1),
    );
    let in_tass = client.diagnostics(TASS, Some(1));
    assert!(
        codes(&in_tass).iter().all(|c| c == "dangling-link"),
        "{in_tass:?}"
    );
    assert!(!in_tass.is_empty());
    assert!(in_tass[0]["message"]
        .as_str()
        .unwrap()
        .contains("ent.shoigu"));
    assert_eq!(client.stop(), 0);
}

#[test]
fn a_seed_changed_on_disk_is_seen_through_the_watcher() {
    let dir = workspace();
    let root = root_of(&dir);
    let mut client = Client::start(&root, &[]);
    client.open_from_disk(TASS);
    assert_eq!(client.diagnostics(TASS, Some(1)), Vec::<Value>::new());
    // The server asked to be told of changes to what the checks read.
    let globs: Vec<Value> = client
        .seen
        .iter()
        .find_map(|m| match m {
            Message::Request(r) if r.method == "client/registerCapability" => Some(
                r.params["registrations"][0]["registerOptions"]["watchers"]
                    .as_array()?
                    .iter()
                    .map(|w| w["globPattern"].clone())
                    .collect(),
            ),
            _ => None,
        })
        .expect("a watcher registration");
    assert_eq!(
        globs,
        [
            "**/seeds/**",
            "**/schema/**",
            "**/annotations/**",
            "**/.gitattributes"
        ]
    );
    let seed = std::fs::read_to_string(root.join(SEED)).unwrap();
    std::fs::write(root.join(SEED), seed.replacen("1,000", "2,000", 1)).unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": client.uri(SEED), "type": 2}]}),
    );
    let diagnostics = client.diagnostics(TASS, Some(1));
    assert!(
        codes(&diagnostics).contains(&"pin-mismatch".to_string()),
        "{diagnostics:?}"
    );

    // The quick fix is what `annot reanchor --write` writes.
    let pin = diagnostics
        .iter()
        .find(|d| d["code"] == "pin-mismatch")
        .unwrap();
    let actions = client.actions(TASS, pin);
    let reanchor = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| {
            a["title"]
                .as_str()
                .unwrap()
                .starts_with("Reanchor this file")
        })
        .expect("a reanchor action");
    let text = std::fs::read_to_string(root.join(TASS)).unwrap();
    let edited = apply(&text, &edits_of(reanchor), Encoding::Utf16);

    // Asked for by kind, wherever the cursor is, it is `source.fixAll`.
    let at = json!({"line": 0, "character": 0});
    let ask = |client: &mut Client, only: Value| {
        let params = json!({
            "textDocument": {"uri": client.uri(TASS)},
            "range": {"start": at, "end": at},
            "context": {"diagnostics": [], "only": only},
        });
        client
            .ok("textDocument/codeAction", params)
            .as_array()
            .unwrap()
            .clone()
    };
    for only in [json!(["source.fixAll"]), json!(["source"])] {
        let fix_all = ask(&mut client, only.clone());
        assert_eq!(fix_all.len(), 1, "{only}: {fix_all:?}");
        assert_eq!(fix_all[0]["kind"], "source.fixAll");
        assert_eq!(
            apply(&text, &edits_of(&fix_all[0]), Encoding::Utf16),
            edited
        );
    }
    assert!(ask(&mut client, json!(["refactor"])).is_empty());
    let run = common::run_in(&root, &["reanchor", "--write"]);
    assert!(run.status == 0 || run.status == 1, "{}", run.stderr);
    assert_eq!(edited, std::fs::read_to_string(root.join(TASS)).unwrap());
    assert_eq!(client.stop(), 0);
}

#[test]
fn hover_shows_the_span_in_its_source_and_the_pin() {
    let dir = workspace();
    let mut client = Client::start(&root_of(&dir), &[]);
    let text = client.open_from_disk(TASS);
    client.diagnostics(TASS, Some(1));
    let (line, column) = find(&text, "\"1,000 combat engineers\"");
    let hover = client.ok("textDocument/hover", client.at(TASS, line, column + 3));
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(value.contains("⟦1,000 combat engineers⟧"), "{value}");
    assert!(value.contains("pinned to 4ece52730165"), "{value}");
    assert!(value.contains("the source's current text"), "{value}");
    // The range is the quote, not the whole annotation.
    let width = "\"1,000 combat engineers\"".len() as u32;
    assert_eq!(
        hover["range"],
        json!({"start": {"line": line, "character": column}, "end": {"line": line, "character": column + width}})
    );

    let (line, column) = find(&text, "target: ent.shoigu");
    let hover = client.ok("textDocument/hover", client.at(TASS, line, column + 10));
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(
        value.starts_with("`ent.shoigu` · `entity` — annotations/entities.yaml:"),
        "{value}"
    );
    assert!(value.contains("Sergei Shoigu"), "{value}");

    let (line, column) = find(&text, "kind: citation");
    let hover = client.ok("textDocument/hover", client.at(TASS, line, column + 7));
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(value.starts_with("kind `citation`"), "{value}");
    assert!(value.contains("schema/vocabulary.yaml, line"), "{value}");

    let (line, column) = find(&text, "rel: cites");
    let hover = client.ok("textDocument/hover", client.at(TASS, line, column + 6));
    assert!(hover["contents"]["value"]
        .as_str()
        .unwrap()
        .starts_with("relation `cites`"));
    assert_eq!(client.stop(), 0);
}

#[test]
fn definition_and_references_cross_files() {
    let dir = workspace();
    let root = root_of(&dir);
    let mut client = Client::start(&root, &[]);
    let text = client.open_from_disk(TASS);
    client.diagnostics(TASS, Some(1));
    let (line, column) = find(&text, "target: ent.shoigu");
    let def = client.ok("textDocument/definition", client.at(TASS, line, column + 9));
    let entities = std::fs::read_to_string(root.join("annotations/entities.yaml")).unwrap();
    let (id_line, id_column) = find(&entities, "ent.shoigu\n");
    assert_eq!(def["uri"], client.uri("annotations/entities.yaml"));
    assert_eq!(
        def["range"]["start"],
        json!({"line": id_line, "character": id_column})
    );

    let (line, column) = find(&text, "seeds/000");
    let def = client.ok("textDocument/definition", client.at(TASS, line, column));
    assert_eq!(def["uri"], client.uri(SEED));

    let (line, column) = find(&text, "\"1,000 combat engineers\"");
    let def = client.ok("textDocument/definition", client.at(TASS, line, column));
    assert_eq!(def["uri"], client.uri(SEED));
    assert_eq!(
        def["range"],
        json!({"start": {"line": 0, "character": 70}, "end": {"line": 0, "character": 92}})
    );

    let (line, column) = find(&text, "target: ent.shoigu");
    let refs = client.ok(
        "textDocument/references",
        json!({"textDocument": {"uri": client.uri(TASS)}, "position": {"line": line, "character": column + 9}, "context": {"includeDeclaration": false}}),
    );
    let refs = refs.as_array().unwrap();
    let files: std::collections::BTreeSet<&str> =
        refs.iter().map(|r| r["uri"].as_str().unwrap()).collect();
    assert!(files.len() > 1, "{files:?}");
    let on_disk: usize = std::fs::read_dir(root.join("annotations"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .map(|t| t.matches("target: ent.shoigu").count() + t.matches("target: ent.shoigu}").count())
        .sum();
    assert_eq!(refs.len(), on_disk);

    // On a kind or a rel: every use of it, as the loader reads the files.
    let mut uses = (0, 0);
    for entry in std::fs::read_dir(root.join("annotations")).unwrap() {
        let path = entry.unwrap().path();
        let file = annot::load::annotation_file("x", &std::fs::read(&path).unwrap())
            .value
            .unwrap();
        for a in &file.annotations {
            uses.0 += usize::from(a.kind.value == "claim");
            uses.1 += a
                .links
                .iter()
                .filter(|l| l.rel.value == "refers-to")
                .count();
        }
    }
    for (needle, count) in [("kind: claim", uses.0), ("rel: refers-to", uses.1)] {
        let (line, column) = find(&text, needle);
        let refs = client.ok(
            "textDocument/references",
            json!({"textDocument": {"uri": client.uri(TASS)}, "position": {"line": line, "character": column + 6}, "context": {"includeDeclaration": true}}),
        );
        assert_eq!(refs.as_array().unwrap().len(), count, "{needle}");
    }
    assert_eq!(client.stop(), 0);
}

#[test]
fn completion_offers_what_may_go_there() {
    let dir = workspace();
    let mut client = Client::start(&root_of(&dir), &[]);
    let text = client.open_from_disk(TASS);
    client.diagnostics(TASS, Some(1));
    let labels = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["label"].as_str().unwrap().to_string())
            .collect()
    };
    let (line, column) = find(&text, "kind: citation");
    let kinds = client.ok("textDocument/completion", client.at(TASS, line, column + 6));
    assert!(labels(&kinds).contains(&"claim".to_string()), "{kinds}");
    // tass.yaml quotes a source: kinds that are never anchored do not fit.
    assert!(!labels(&kinds).contains(&"entity".to_string()), "{kinds}");

    let (line, column) = find(&text, "rel: cites");
    let rels = client.ok("textDocument/completion", client.at(TASS, line, column + 5));
    assert!(labels(&rels).contains(&"cites".to_string()), "{rels}");

    // A target: only ids whose kind the relation's `to` allows.
    let (line, column) = find(&text, "target: ent.shoigu");
    let targets = client.ok(
        "textDocument/completion",
        client.at(TASS, line, column + 12),
    );
    assert!(
        labels(&targets).iter().all(|l| l.starts_with("ent.")),
        "{targets}"
    );
    assert!(
        labels(&targets).contains(&"ent.shoigu".to_string()),
        "{targets}"
    );

    let (line, column) = find(&text, "source: seeds/");
    let sources = client.ok("textDocument/completion", client.at(TASS, line, column + 8));
    assert!(labels(&sources).contains(&SEED.to_string()), "{sources}");
    assert!(!labels(&sources).contains(&"seeds/sources.yaml".to_string()));

    // Attribute names and declared values, typed in a buffer.
    let typed = text.replacen(
        "    attrs:\n      topic: visit-date\n",
        "    attrs:\n      topic: \n",
        1,
    );
    client.replace_all(TASS, 2, &typed);
    let (line, column) = find(&typed, "topic: \n");
    let values = client.ok("textDocument/completion", client.at(TASS, line, column + 7));
    assert!(
        labels(&values).contains(&"visit-date".to_string()),
        "{values}"
    );
    let names = client.ok("textDocument/completion", client.at(TASS, line, column));
    assert!(labels(&names).contains(&"topic".to_string()), "{names}");
    assert_eq!(client.stop(), 0);
}

#[test]
fn link_targets_come_with_their_quotes() {
    let dir = workspace();
    let mut client = Client::start(&root_of(&dir), &[]);
    let text = client.open_from_disk(TASS);
    client.diagnostics(TASS, Some(1));
    // `cites` may point at a claim: tass.lead… offers the claims, quoted.
    let typed = text.replacen(
        "        target: ent.security-council\n",
        "        target: tass.lead\n",
        1,
    );
    client.replace_all(TASS, 2, &typed);
    let (line, column) = find(&typed, "target: tass.lead\n");
    let found = client.ok(
        "textDocument/completion",
        client.at(TASS, line, column + 17),
    );
    let items = found["items"].as_array().unwrap();
    let sappers = items
        .iter()
        .find(|i| i["label"] == "tass.lead-sappers")
        .expect("a claim may be cited");
    assert_eq!(sappers["detail"], "1,000 combat engineers");
    assert_eq!(client.stop(), 0);
}

#[test]
fn document_symbols_are_the_annotations() {
    let dir = workspace();
    let mut client = Client::start(&root_of(&dir), &[]);
    let text = client.open_from_disk(TASS);
    let symbols = client.ok(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": client.uri(TASS)}}),
    );
    let symbols = symbols.as_array().unwrap();
    assert_eq!(symbols.len(), text.matches("\n  - id: ").count());
    assert_eq!(symbols[0]["name"], "tass.dateline");
    assert_eq!(symbols[0]["detail"], "claim");
    let (line, _) = find(&text, "- id: tass.dateline");
    assert_eq!(symbols[0]["selectionRange"]["start"]["line"], line);
    assert_eq!(client.stop(), 0);
}

#[test]
fn quick_fixes_anchor_choose_an_occurrence_and_rename_a_field() {
    let dir = workspace();
    let mut client = Client::start(&root_of(&dir), &[]);
    let text = client.open_from_disk(TASS);
    client.diagnostics(TASS, Some(1));
    let fixes = |client: &mut Client, version: i32, text: &str, code: &str| -> Vec<Value> {
        client.replace_all(TASS, version, text);
        let diagnostics = client.diagnostics(TASS, Some(version));
        let d = diagnostics
            .iter()
            .find(|d| d["code"] == code)
            .unwrap_or_else(|| panic!("{code} in {diagnostics:?}"))
            .clone();
        client.actions(TASS, &d).as_array().unwrap().clone()
    };

    // Offsets left out: the fix fills them in, as `annot anchor` does.
    let unanchored = text.replacen("    start: 70\n    end: 92\n", "", 1);
    let actions = fixes(&mut client, 2, &unanchored, "unanchored");
    assert_eq!(
        actions[0]["title"],
        "Anchor `tass.lead-sappers`, as `annot anchor` does"
    );
    let edits = edits_of(&actions[0]);
    assert_eq!(apply(&unanchored, &edits, Encoding::Utf16), text);

    // A quote that occurs several times: one choice per occurrence.
    let many = text.replacen(
        "    quote: \"1,000 combat engineers\"\n    start: 70\n    end: 92\n",
        "    quote: \"Shoigu\"\n",
        1,
    );
    let actions = fixes(&mut client, 3, &many, "unanchored");
    assert!(actions.len() > 1, "{actions:?}");
    for action in &actions {
        let title = action["title"].as_str().unwrap();
        assert!(
            title.starts_with("Anchor `tass.lead-sappers` at "),
            "{title}"
        );
        let edits = edits_of(action);
        let chosen = apply(&many, &edits, Encoding::Utf16);
        assert!(
            chosen.contains("    start: ")
                && (chosen.contains("prefix: ") || chosen.contains("suffix: "))
        );
    }

    // A misspelt field: renamed to the suggestion.
    let misspelt = text.replacen("    note: \"Dateline", "    nte: \"Dateline", 1);
    let actions = fixes(&mut client, 4, &misspelt, "schema");
    assert_eq!(actions[0]["title"], "Rename `nte` to `note`");
    let edits = edits_of(&actions[0]);
    assert_eq!(apply(&misspelt, &edits, Encoding::Utf16), text);
    assert_eq!(client.stop(), 0);
}

#[test]
fn columns_hold_on_lines_with_polish_letters_emoji_and_combining_marks() {
    let dir = workspace();
    let root = root_of(&dir);
    // A note full of wide characters before a misspelt kind on the same
    // flow line, so the diagnostic's column depends on the encoding.
    let rel = "annotations/wide.yaml";
    let text = "annotations:\n  - {id: wide.one, note: \"żółć 😀 e\u{301}\", kind: entyty}\n";
    for (encoding, name) in [
        (Encoding::Utf8, "utf-8"),
        (Encoding::Utf16, "utf-16"),
        (Encoding::Utf32, "utf-32"),
    ] {
        let mut client = Client::start(&root, &[name]);
        client.open(rel, text);
        let diagnostics = client.diagnostics(rel, Some(1));
        let d = diagnostics
            .iter()
            .find(|d| d["code"] == "unknown-kind")
            .expect("unknown-kind");
        let lines = LineIndex::new(text);
        let at = text.find("entyty").unwrap();
        let expected = lines.range(text, at, at + "entyty".len(), encoding);
        assert_eq!(
            d["range"],
            serde_json::to_value(expected).unwrap(),
            "{name}"
        );
        // And back: a hover at that column is on the kind.
        let hover = client.ok(
            "textDocument/hover",
            client.at(rel, expected.start.line, expected.start.character + 1),
        );
        assert!(
            hover["contents"]["value"]
                .as_str()
                .unwrap()
                .contains("entyty"),
            "{name}: {hover}"
        );
        assert_eq!(client.stop(), 0);
    }
    let utf16 = LineIndex::new(text).position(text, text.find("entyty").unwrap(), Encoding::Utf16);
    let utf8 = LineIndex::new(text).position(text, text.find("entyty").unwrap(), Encoding::Utf8);
    assert_ne!(utf16, utf8);
}

#[test]
fn hostile_buffers_leave_the_server_answering() {
    let dir = workspace();
    let mut client = Client::start(&root_of(&dir), &[]);
    let rel = "annotations/hostile.yaml";
    let mut random = Vec::new();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..20_000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        random.push((state % 96 + 32) as u8 as char);
        if state % 17 == 0 {
            random.push('\n');
        }
    }
    let random: String = random.into_iter().collect();
    let deep = format!(
        "annotations: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n".to_string();
    let mut big = String::from("annotations:\n");
    while big.len() < 5 << 20 {
        big.push_str(
            "  - {id: big.x, kind: entity, note: \"a long note to fill the buffer up\"}\n",
        );
    }
    let invalid_utf16_edge = "annotations:\n  - {id: e.😀, kind: entity}\n".to_string();
    client.open(rel, "annotations: []\n");
    client.diagnostics(rel, Some(1));
    for (version, text) in [random, deep, bomb, big, invalid_utf16_edge]
        .into_iter()
        .enumerate()
    {
        let version = version as i32 + 2;
        client.replace_all(rel, version, &text);
        let diagnostics = client.diagnostics(rel, Some(version));
        for d in &diagnostics {
            assert_eq!(d["source"], "annot");
        }
        // Requests at odd places still answer.
        for (line, character) in [(0, 0), (1, 3), (5000, 5000), (0, u32::MAX as u64 as u32)] {
            for method in [
                "textDocument/hover",
                "textDocument/definition",
                "textDocument/completion",
                "textDocument/references",
            ] {
                let mut params = client.at(rel, line, character);
                if method == "textDocument/references" {
                    params["context"] = json!({"includeDeclaration": true});
                }
                let r = client.request(method, params);
                assert!(
                    r.error.is_none(),
                    "{method} on version {version}: {:?}",
                    r.error
                );
            }
        }
        let r = client.request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": client.uri(rel)}}),
        );
        assert!(r.error.is_none());
    }
    // An edit whose range lies past the end, and one inside a surrogate pair.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": client.uri(rel), "version": 20}, "contentChanges": [
            {"range": {"start": {"line": 900, "character": 0}, "end": {"line": 901, "character": 0}}, "text": "x"},
            {"range": {"start": {"line": 1, "character": 10}, "end": {"line": 1, "character": 11}}, "text": ""}
        ]}),
    );
    client.diagnostics(rel, Some(20));
    assert_eq!(client.stop(), 0);
}

#[test]
fn the_vocabulary_open_in_the_editor_counts() {
    let dir = workspace();
    let mut client = Client::start(&root_of(&dir), &[]);
    client.open_from_disk(TASS);
    client.diagnostics(TASS, Some(1));
    let vocabulary = "schema/vocabulary.yaml";
    let text = client.open_from_disk(vocabulary);
    assert_eq!(client.diagnostics(vocabulary, Some(1)), Vec::<Value>::new());
    // Take `citation` out of the vocabulary: tass.yaml's citations become unknown.
    let without = text.replacen("  citation:", "  citatio:", 1);
    assert_ne!(without, text, "the vocabulary declares citation");
    client.replace_all(vocabulary, 2, &without);
    client.diagnostics(vocabulary, Some(2));
    let in_tass = client.diagnostics(TASS, Some(1));
    assert!(
        codes(&in_tass).contains(&"unknown-kind".to_string()),
        "{in_tass:?}"
    );
    assert_eq!(client.stop(), 0);
}

#[test]
fn a_request_right_after_an_edit_sees_the_edit() {
    let dir = workspace();
    let mut client = Client::start(&root_of(&dir), &[]);
    let text = client.open_from_disk(TASS);
    let broken = text.replacen("    start: 70\n", "    start: 71\n", 1);
    client.replace_all(TASS, 2, &broken);
    // No wait for diagnostics: the code action comes straight after.
    let (line, column) = find(&broken, "\"1,000 combat engineers\"");
    let actions = client.ok(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": client.uri(TASS)}, "range": {"start": {"line": line, "character": column}, "end": {"line": line, "character": column}}, "context": {"diagnostics": []}}),
    );
    assert_eq!(
        actions[0]["title"],
        "Move `tass.lead-sappers` to 70..92, where its quote occurs"
    );
    assert_eq!(client.stop(), 0);
}

#[test]
fn a_file_without_its_pin_gets_it_from_the_quick_fix() {
    let dir = workspace();
    let mut client = Client::start(&root_of(&dir), &[]);
    let text = client.open_from_disk(TASS);
    client.diagnostics(TASS, Some(1));
    let pin_line = text.lines().find(|l| l.starts_with("sha256: ")).unwrap();
    let unpinned = text.replacen(&format!("{pin_line}\n"), "", 1);
    client.replace_all(TASS, 2, &unpinned);
    let diagnostics = client.diagnostics(TASS, Some(2));
    let d = diagnostics
        .iter()
        .find(|d| d["code"] == "unanchored")
        .expect("the missing pin")
        .clone();
    let actions = client.actions(TASS, &d);
    assert_eq!(actions.as_array().unwrap().len(), 1, "{actions}");
    assert_eq!(
        actions[0]["title"],
        "Pin the source: add its `sha256`, as `annot anchor` does"
    );
    let edits = edits_of(&actions[0]);
    assert_eq!(apply(&unpinned, &edits, Encoding::Utf16), text);
    assert_eq!(client.stop(), 0);
}

#[test]
fn a_new_unsaved_annotation_file_is_checked_with_the_rest() {
    let dir = workspace();
    let mut client = Client::start(&root_of(&dir), &[]);
    let rel = "annotations/new.yaml";
    // Its id is taken by entities.yaml, which is not open: the finding
    // still names the other definition.
    client.open(rel, "annotations:\n  - {id: ent.shoigu, kind: entity}\n");
    let diagnostics = client.diagnostics(rel, Some(1));
    assert_eq!(codes(&diagnostics), ["duplicate-id"]);
    assert_eq!(
        diagnostics[0]["relatedInformation"][0]["location"]["uri"],
        client.uri("annotations/entities.yaml")
    );
    assert_eq!(client.stop(), 0);
}

#[test]
fn an_ambiguous_quote_gets_the_context_annot_anchor_adds() {
    let dir = workspace();
    let root = root_of(&dir);
    let mut client = Client::start(&root, &[]);
    let text = client.open_from_disk(TASS);
    client.diagnostics(TASS, Some(1));
    let seed = std::fs::read_to_string(root.join(SEED)).unwrap();
    let byte = seed.find("Shoigu").unwrap();
    let start = seed[..byte].chars().count();
    let ambiguous = text.replacen(
        "    quote: \"1,000 combat engineers\"\n    start: 70\n    end: 92\n",
        &format!(
            "    quote: \"Shoigu\"\n    start: {start}\n    end: {}\n",
            start + 6
        ),
        1,
    );
    client.replace_all(TASS, 2, &ambiguous);
    let diagnostics = client.diagnostics(TASS, Some(2));
    let d = diagnostics
        .iter()
        .find(|d| d["code"] == "ambiguous-quote")
        .expect("ambiguous-quote")
        .clone();
    let actions = client.actions(TASS, &d);
    assert_eq!(
        actions[0]["title"],
        "Anchor `tass.lead-sappers`, as `annot anchor` does"
    );
    let edits = edits_of(&actions[0]);
    let fixed = apply(&ambiguous, &edits, Encoding::Utf16);
    // What `annot anchor` writes to the same file on disk.
    std::fs::write(root.join(TASS), &ambiguous).unwrap();
    let run = common::run_in(&root, &["anchor", TASS]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(fixed, std::fs::read_to_string(root.join(TASS)).unwrap());
    assert!(fixed.contains("prefix: ") || fixed.contains("suffix: "));
    client.replace_all(TASS, 3, &fixed);
    let after = client.diagnostics(TASS, Some(3));
    assert!(
        !codes(&after).contains(&"ambiguous-quote".to_string()),
        "{after:?}"
    );
    assert_eq!(client.stop(), 0);
}
