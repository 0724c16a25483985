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

/// Runs annot in `dir` (not the workspace root).
fn run_in(dir: &std::path::Path, args: &[&str]) -> Run {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_annot"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    Run {
        status: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn dash_c_makes_paths_relative_to_its_folder() {
    let outer = tempfile::tempdir().unwrap();
    let ws = Ws::new();
    ws.annotations(A, "  - {id: a1, kind: claim, quote: \"cat sat\"}\n");
    let dir = ws.path().to_str().unwrap();
    // `annotations/a.yaml` is relative to -C, not to where annot started.
    let run = run_in(outer.path(), &["-C", dir, "anchor", A]);
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    assert!(ws.read(A).contains("start: 4"), "{}", ws.read(A));
}

#[test]
fn dash_c_inside_a_workspace_finds_its_root() {
    let ws = Ws::new();
    ws.annotations(A, GOOD);
    let run = run_in(
        ws.path().parent().unwrap(),
        &[
            "-C",
            ws.path().join("annotations").to_str().unwrap(),
            "validate",
            "--format",
            "json",
        ],
    );
    assert_findings(&run, 0, &[]);
    assert!(!run.stderr.contains("annot init"), "{}", run.stderr);
}

#[test]
fn dash_c_outside_any_workspace_says_so() {
    let outer = tempfile::tempdir().unwrap();
    std::fs::create_dir(outer.path().join("empty")).unwrap();
    let run = run_in(outer.path(), &["-C", "empty", "validate"]);
    assert_eq!(run.status, 2);
    assert!(
        run.stderr.contains("empty is not in an annot workspace"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("annot -C empty init"), "{}", run.stderr);
    let missing = run_in(outer.path(), &["-C", "nowhere", "validate"]);
    assert_eq!(missing.status, 2);
    assert!(
        missing.stderr.contains("cannot run in nowhere"),
        "{}",
        missing.stderr
    );
}

#[test]
fn init_honours_dash_c() {
    let outer = tempfile::tempdir().unwrap();
    std::fs::create_dir(outer.path().join("ws")).unwrap();
    let run = run_in(outer.path(), &["-C", "ws", "init"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(outer.path().join("ws/annotations").is_dir());
    assert!(outer.path().join("ws/.gitattributes").is_file());
    assert!(!outer.path().join("annotations").exists());
    let run = run_in(outer.path(), &["-C", "ws", "init", "sub"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(outer.path().join("ws/sub/schema/vocabulary.yaml").is_file());
}

#[test]
fn reanchor_dry_run_is_explicit_and_conflicts_with_write() {
    let ws = repo();
    let run = ws.run(&["reanchor", "--dry-run"]);
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    let run = ws.run(&["reanchor", "--dry-run", "--write"]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
}
