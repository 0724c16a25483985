//! The command line as a user meets it: `-C`, paths, `ls`, `show`, the
//! hook's life cycle, and writes that must refuse or report clearly.

mod common;
use common::*;

const A: &str = "annotations/a.yaml";
const GOOD: &str = "  - {id: a1, kind: claim, quote: cat sat, start: 4, end: 11}\n";

/// A committed workspace with one good annotation.
fn repo() -> Ws {
    let ws = Ws::new();
    ws.annotations(A, GOOD);
    git(ws.path(), &["init", "-q"]);
    git(ws.path(), &["add", "-A"]);
    git(ws.path(), &["commit", "-qm", "first"]);
    ws
}

#[test]
fn an_intent_to_add_file_is_not_staged_content() {
    let ws = repo();
    ws.write(
        "annotations/new.yaml",
        "annotations:\n  - {id: e1, kind: entity}\n",
    );
    git(ws.path(), &["add", "-N", "annotations/new.yaml"]);
    let run = ws.run(&["validate", "--staged", "--format", "json"]);
    assert_findings(&run, 0, &[]);
    assert_eq!(run.json()["checked"]["files"], 1, "{}", run.stdout);
}

#[test]
fn the_last_matching_gitattributes_line_wins() {
    let ws = repo();
    ws.write(".gitattributes", "seeds/** -text\nseeds/*.txt text\n");
    git(ws.path(), &["add", "-A"]);
    let expected = [("eol-unprotected", ".gitattributes", 1, 1)];
    assert_findings(&ws.validate(), 0, &expected);
    assert_findings(
        &ws.run(&["validate", "--staged", "--format", "json"]),
        0,
        &expected,
    );
    // Protected again by a later line, and by the `binary` macro.
    ws.write(".gitattributes", "seeds/*.txt text\nseeds/** binary\n");
    assert_findings(&ws.validate(), 0, &[]);
}
