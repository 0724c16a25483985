//! Snapshots of what a person and a machine read: the colourless human
//! report and the JSON, for a workspace with several kinds of mistake.

mod common;
use common::*;

fn broken_workspace() -> Ws {
    let ws = Ws::new();
    ws.annotations(
        "annotations/a.yaml",
        "  # Right text, wrong offsets (one too far).\n\
         \x20 - id: a.shifted\n    kind: claim\n    quote: cat sat\n    start: 5\n    end: 12\n\
         \x20 - id: a.apostrophe\n    kind: claim\n    quote: '\"quoted\"'\n    start: 57\n    end: 65\n\
         \x20 - id: a.typo\n    kind: claim\n    quote: mat\n    start: 19\n    end: 22\n    atrs: {topic: animals}\n\
         \x20 - id: a.cat\n    kind: claim\n    quote: cat\n    start: 4\n    end: 7\n    links:\n      - {rel: about, target: e.dog}\n",
    );
    ws.write(
        "annotations/entities.yaml",
        "annotations:\n  - id: e.cat\n    kind: entity\n    attrs: {type: animal}\n  - id: a.cat\n    kind: entity\n",
    );
    ws
}

#[test]
fn human_report() {
    let run = broken_workspace().run(&["validate"]);
    assert_eq!(run.status, 1);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn json_report() {
    let run = broken_workspace().run(&["validate", "--format", "json"]);
    assert_eq!(run.status, 1);
    insta::assert_json_snapshot!(run.json());
}

#[test]
fn github_report() {
    let run = broken_workspace().run(&["validate", "--format", "github"]);
    assert_eq!(run.status, 1);
    insta::assert_snapshot!(run.stdout);
}
