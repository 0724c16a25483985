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
    let run = ws.validate();
    assert_findings(&run, 0, &expected);
    // The line is there: the help names the override, not the missing line.
    let json = run.json();
    assert_eq!(
        json["findings"][0]["message"],
        "git may rewrite the line endings of seeds/a.txt on checkout (its `text` attribute is not unset), which changes its sha256 and every offset"
    );
    assert!(json["findings"][0]["help"]
        .as_str()
        .unwrap()
        .starts_with("for each file git uses the last .gitattributes line that matches it"));
    assert_findings(
        &ws.run(&["validate", "--staged", "--format", "json"]),
        0,
        &expected,
    );
    // Protected again by a later line, and by the `binary` macro.
    ws.write(".gitattributes", "seeds/*.txt text\nseeds/** binary\n");
    assert_findings(&ws.validate(), 0, &[]);
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

/// `git commit` in `dir`, hooks enabled; (success, everything it said).
fn commit(dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    let output = std::process::Command::new("git")
        .args([
            "-c",
            "user.name=Ada",
            "-c",
            "user.email=ada@example.org",
            "commit",
            "-q",
        ])
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .unwrap();
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

const BAD: &str = "  - {id: a1, kind: claim, quote: cat sat, start: 5, end: 12}\n";

/// A repository holding two workspaces, `one/` and `two/`, each with a good
/// annotation, committed.
fn two_workspaces() -> tempfile::TempDir {
    let repo = tempfile::tempdir().unwrap();
    for name in ["one", "two"] {
        let write = |rel: &str, content: &str| {
            let path = repo.path().join(name).join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        };
        write(SEED_PATH, SEED);
        write("schema/vocabulary.yaml", VOCABULARY);
        write(".gitattributes", "seeds/** -text\n");
        write(
            A,
            &format!(
                "source: {SEED_PATH}\nsha256: {}\nannotations:\n{GOOD}",
                sha256(SEED.as_bytes())
            ),
        );
    }
    git(repo.path(), &["init", "-q"]);
    git(repo.path(), &["add", "-A"]);
    git(repo.path(), &["commit", "-qm", "two workspaces"]);
    repo
}

fn bad_annotation(dir: &std::path::Path) {
    let text = format!(
        "source: {SEED_PATH}\nsha256: {}\nannotations:\n{BAD}",
        sha256(SEED.as_bytes())
    );
    std::fs::write(dir.join(A), text).unwrap();
}

#[test]
fn a_second_workspace_joins_the_hook_of_the_first() {
    let repo = two_workspaces();
    let top = repo.path();
    let first = run_in(top, &["-C", "one", "hook", "install"]);
    assert_eq!(first.status, 0, "{}", first.stderr);
    let second = run_in(top, &["-C", "two", "hook", "install"]);
    assert_eq!(second.status, 0, "{}", second.stderr);
    assert!(
        second.stdout.contains("added this workspace") && second.stdout.contains("`one` and `two`"),
        "{}",
        second.stdout
    );
    // Both are checked: a bad annotation in either stops the commit.
    for name in ["one", "two"] {
        bad_annotation(&top.join(name));
        let (ok, said) = commit(top, &["-am", "bad"]);
        assert!(!ok, "a bad annotation in {name} was committed");
        assert!(said.contains("quote-mismatch"), "{said}");
        git(top, &["checkout", "-q", "--", "."]);
    }
    let again = run_in(top, &["-C", "one", "hook", "install"]);
    assert!(
        again.stdout.contains("already annot's pre-commit hook"),
        "{}",
        again.stdout
    );

    // Uninstalling one keeps the other's check.
    let out = run_in(top, &["-C", "one", "hook", "uninstall"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(out.stdout.contains("still checks `two`"), "{}", out.stdout);
    bad_annotation(&top.join("one"));
    let (ok, said) = commit(top, &["-am", "bad in one, no longer checked"]);
    assert!(ok, "{said}");
    bad_annotation(&top.join("two"));
    let (ok, _) = commit(top, &["-am", "bad in two"]);
    assert!(!ok, "two is still checked");
    let out = run_in(top, &["-C", "two", "hook", "uninstall"]);
    assert!(out.stdout.starts_with("removed "), "{}", out.stdout);
    assert!(!top.join(".git/hooks/pre-commit").exists());
    let out = run_in(top, &["-C", "two", "hook", "uninstall"]);
    assert_eq!(out.status, 0);
    assert!(out.stdout.contains("nothing to remove"), "{}", out.stdout);
}

#[test]
fn uninstall_leaves_a_foreign_hook_alone() {
    let ws = repo();
    ws.write(".git/hooks/pre-commit", "#!/bin/sh\necho mine\n");
    let run = ws.run(&["hook", "uninstall"]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("leaves it alone"), "{}", run.stderr);
    assert_eq!(ws.read(".git/hooks/pre-commit"), "#!/bin/sh\necho mine\n");
}

#[test]
fn a_hook_without_annot_says_so_and_stops_the_commit() {
    let ws = repo();
    assert_eq!(ws.run(&["hook", "install"]).status, 0);
    // The hook as if written by an annot binary that is gone since.
    let hook = ws.read(".git/hooks/pre-commit");
    let line = hook
        .lines()
        .find(|l| l.starts_with("annot="))
        .unwrap()
        .to_string();
    ws.write(
        ".git/hooks/pre-commit",
        hook.replace(&line, "annot='/nonexistent/annot'"),
    );
    let output = std::process::Command::new("git")
        .args([
            "-c",
            "user.name=Ada",
            "-c",
            "user.email=ada@example.org",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "x",
        ])
        .current_dir(ws.path())
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{said}");
    assert!(said.contains("cannot find annot"), "{said}");
    assert!(said.contains("annot hook install"), "{said}");
    assert!(said.contains("--no-verify"), "{said}");
}

/// A committed workspace whose seed gained a word in front: reanchor
/// has a shift to write.
fn shifted(pin_line: impl Fn(&str) -> String, flow: bool) -> Ws {
    let ws = Ws::new();
    let pin = sha256(SEED.as_bytes());
    let text = if flow {
        format!("{{source: {SEED_PATH}, {}, annotations: [{{id: a1, kind: claim, quote: cat sat, start: 4, end: 11}}]}}\n", pin_line(&pin))
    } else {
        format!(
            "source: {SEED_PATH}\n{}\nannotations:\n{GOOD}",
            pin_line(&pin)
        )
    };
    ws.write(A, text);
    git(ws.path(), &["init", "-q"]);
    git(ws.path(), &["add", "-A"]);
    git(ws.path(), &["commit", "-qm", "first"]);
    ws.write(SEED_PATH, format!("Now. {SEED}"));
    ws
}

#[test]
fn reanchor_keeps_the_quotes_of_the_pin() {
    let new = sha256(format!("Now. {SEED}").as_bytes());
    for flow in [false, true] {
        for (open, close) in [("\"", "\""), ("'", "'"), ("", "")] {
            let ws = shifted(|pin| format!("sha256: {open}{pin}{close}"), flow);
            let run = ws.run(&["reanchor", "--write"]);
            assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
            let text = ws.read(A);
            assert!(
                text.contains(&format!("sha256: {open}{new}{close}")),
                "{open}…{close} (flow: {flow}):\n{text}"
            );
            assert!(text.contains("start: 9"), "{text}");
        }
    }
}

#[cfg(unix)]
#[test]
fn reanchor_refuses_a_read_only_file() {
    use std::os::unix::fs::PermissionsExt;
    let ws = shifted(|pin| format!("sha256: {pin}"), false);
    let before = ws.read(A);
    let path = ws.path().join(A);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let run = ws.run(&["reanchor", "--write"]);
    assert_eq!(run.status, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("a.yaml is read-only"), "{}", run.stderr);
    assert!(run.stderr.contains("chmod u+w"), "{}", run.stderr);
    assert_eq!(ws.read(A), before);
    let anchor = Ws::new();
    anchor.annotations(A, "  - {id: a1, kind: claim, quote: cat sat}\n");
    let path = anchor.path().join(A);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let run = anchor.run(&["anchor"]);
    assert_eq!(run.status, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("a.yaml is read-only"), "{}", run.stderr);
}

#[test]
fn writes_refuse_a_locked_file() {
    let ws = shifted(|pin| format!("sha256: {pin}"), false);
    let before = ws.read(A);
    ws.write("annotations/a.yaml.lock", "");
    let run = ws.run(&["reanchor", "--write"]);
    assert_eq!(run.status, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("a.yaml.lock exists"), "{}", run.stderr);
    assert!(run.stderr.contains("remove"), "{}", run.stderr);
    assert_eq!(ws.read(A), before);
    let anchor = Ws::new();
    anchor.annotations(A, "  - {id: a1, kind: claim, quote: cat sat}\n");
    anchor.write("annotations/a.yaml.lock", "");
    let run = anchor.run(&["anchor"]);
    assert_eq!(run.status, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("a.yaml.lock exists"), "{}", run.stderr);
    assert!(!anchor.read(A).contains("start:"));
}

#[test]
fn a_killed_writers_temporary_files_are_removed_and_nothing_else() {
    let ws = shifted(|pin| format!("sha256: {pin}"), false);
    // No process can have this id (above Linux's PID_MAX_LIMIT).
    let stale = "annotations/.a.yaml.annot-99999999-0.tmp";
    let live = format!("annotations/.a.yaml.annot-{}-0.tmp", std::process::id());
    let others = [
        "annotations/.a.yaml.annot-x-0.tmp",
        "annotations/keep.tmp",
        "annotations/sub/notes.annot-1-0.tmp",
        "seeds/.a.txt.annot-99999999-0.tmp",
    ];
    ws.write(stale, "half");
    ws.write("annotations/sub/.b.yaml.annot-99999999-3.tmp", "half");
    ws.write(&live, "being written");
    for other in others {
        ws.write(other, "mine");
    }
    let run = ws.run(&["reanchor", "--write"]);
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    assert!(!ws.path().join(stale).exists());
    assert!(!ws
        .path()
        .join("annotations/sub/.b.yaml.annot-99999999-3.tmp")
        .exists());
    assert!(run.stderr.contains(stale), "{}", run.stderr);
    assert!(ws.path().join(&live).exists());
    for other in others {
        assert!(ws.path().join(other).exists(), "{other} was removed");
    }
}

#[cfg(unix)]
#[test]
fn a_failed_write_says_write_not_read() {
    let ws = Ws::new();
    ws.annotations(A, "  - {id: a1, kind: claim, quote: cat sat}\n");
    // Any file annot writes may hold no byte: writing fails with EFBIG,
    // as a full disk fails with ENOSPC.
    let output = std::process::Command::new("sh")
        .args([
            "-c",
            "trap '' XFSZ; ulimit -f 0; exec \"$0\" anchor",
            env!("CARGO_BIN_EXE_annot"),
        ])
        .current_dir(ws.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot write annotations/a.yaml"),
        "{stderr}"
    );
    assert!(!stderr.contains("cannot read"), "{stderr}");
    assert!(!ws.read(A).contains("start:"));
    let leftovers: Vec<_> = std::fs::read_dir(ws.path().join("annotations"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
}

#[test]
fn ls_lists_every_id_with_kind_and_place() {
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - {id: a1, kind: claim, quote: cat sat, start: 4, end: 11}\n  - id: a2\n    kind: note\n",
    );
    ws.write(
        "annotations/sub/e.yaml",
        "annotations:\n  - {id: e1, kind: entity}\n",
    );
    let run = ws.run(&["ls"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "a1  claim   annotations/a.yaml:4\na2  note    annotations/a.yaml:5\ne1  entity  annotations/sub/e.yaml:2\n"
    );
    let ids = ws.run(&["ls", "--ids"]);
    assert_eq!(ids.stdout, "a1\na2\ne1\n");
    let json = ws.run(&["ls", "--format", "json"]).json();
    assert_eq!(json["schema"], "annot.ls/v1");
    assert_eq!(
        json["annotations"][2],
        serde_json::json!({"id": "e1", "kind": "entity", "file": "annotations/sub/e.yaml", "line": 2})
    );
    let only = ws.run(&["ls", "--ids", "annotations/sub"]);
    assert_eq!(only.stdout, "e1\n");
    // A file that cannot be read is named, with where and why.
    ws.write(
        "annotations/broken.yaml",
        "annotations:\n  - {id: b1, kind: claim\n",
    );
    let run = ws.run(&["ls", "--ids"]);
    assert_eq!(run.status, 1);
    assert_eq!(run.stdout, "a1\na2\ne1\n");
    let json = ws.run(&["ls", "--format", "json"]).json();
    assert_eq!(json["unreadable"][0]["file"], "annotations/broken.yaml");
    let human = ws.run(&["ls"]);
    assert!(
        human.stderr.contains("annotations/broken.yaml:"),
        "{}",
        human.stderr
    );
}

#[test]
fn show_as_json() {
    let ws = repo();
    ws.write(
        "annotations/e.yaml",
        "annotations:\n  - {id: e1, kind: entity}\n",
    );
    ws.annotations(A, "  - {id: a1, kind: claim, quote: cat sat, start: 4, end: 11, attrs: {figure: 3}, links: [{rel: about, target: e1}]}\n");
    let json = ws.run(&["show", "a1", "--format", "json"]).json();
    assert_eq!(json["schema"], "annot.show/v1");
    assert_eq!(json["id"], "a1");
    assert_eq!(json["kind"], "claim");
    assert_eq!(json["start"], 4);
    assert_eq!(json["pin"], "current");
    assert_eq!(json["attrs"]["figure"], 3);
    assert_eq!(json["context"]["span"], "cat sat");
    assert_eq!(json["links_out"][0]["other"], "e1");
    assert_eq!(json["warnings"], serde_json::json!([]));
    assert_eq!(json["history"][0]["what"], "added");
}

#[test]
fn show_after_a_source_edit_says_so_and_shows_the_pinned_text() {
    let ws = repo();
    ws.write(SEED_PATH, format!("Now. {SEED}"));
    let run = ws.run(&["show", "a1"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("changed since this file was pinned"),
        "{}",
        run.stdout
    );
    // The pinned text, not the old offsets on the new text (" The c").
    assert!(run.stdout.contains("The [[cat sat]] on"), "{}", run.stdout);
    assert!(!run.stdout.contains("Now."), "{}", run.stdout);
    let json = ws.run(&["show", "a1", "--format", "json"]).json();
    assert_eq!(json["pin"], "changed");

    // A pin git has never seen: nothing is shown rather than wrong text.
    let ws = Ws::new();
    ws.write(
        A,
        format!(
            "source: {SEED_PATH}\nsha256: {}\nannotations:\n{GOOD}",
            sha256(b"another text")
        ),
    );
    let run = ws.run(&["show", "a1"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("changed since this file was pinned"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("[["), "{}", run.stdout);
}

#[test]
fn show_names_the_file_it_could_not_read() {
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - {id: a1, kind: claim, quote: cat sat, start: 4, end: 11}\n  - {id: a2, kind: claim\n",
    );
    let run = ws.run(&["show", "a1"]);
    assert_eq!(run.status, 2);
    assert!(
        !run.stderr.contains("no annotation has the id"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("could not be read"), "{}", run.stderr);
    assert!(run.stderr.contains("annotations/a.yaml:"), "{}", run.stderr);
}

#[test]
fn show_of_an_unknown_id_points_to_ls() {
    let ws = Ws::new();
    ws.annotations(A, GOOD);
    let run = ws.run(&["show", "zzz"]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("annot ls"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("validate --format json"),
        "{}",
        run.stderr
    );
}

#[test]
fn validate_paths_reports_only_those_files() {
    let ws = Ws::new();
    // a.yaml links to an entity of e.yaml: not dangling, though e.yaml is
    // not named. b.yaml is broken, but not asked about.
    ws.annotations(
        A,
        "  - {id: a1, kind: claim, quote: cat sat, start: 4, end: 11, links: [{rel: about, target: e1}]}\n",
    );
    ws.write(
        "annotations/e.yaml",
        "annotations:\n  - {id: e1, kind: entity}\n",
    );
    ws.annotations(
        "annotations/b.yaml",
        "  - {id: b1, kind: claim, quote: cat sat, start: 5, end: 12, links: [{rel: about, target: nobody}]}\n",
    );
    let run = ws.run(&["validate", "--format", "json", A]);
    assert_findings(&run, 0, &[]);
    assert_eq!(
        run.json()["checked"],
        serde_json::json!({"files": 1, "sources": 1, "annotations": 1})
    );
    let run = ws.run(&["validate", "--format", "json", "annotations/b.yaml"]);
    let codes: Vec<String> = run.findings().into_iter().map(|f| f.0).collect();
    assert!(codes.contains(&"quote-mismatch".to_string()), "{codes:?}");
    assert!(codes.contains(&"dangling-link".to_string()), "{codes:?}");
    assert!(run.findings().iter().all(|f| f.1 == "annotations/b.yaml"));
    assert_eq!(run.status, 1);
    // A duplicate of an id in another file is still found.
    ws.write(
        "annotations/e.yaml",
        "annotations:\n  - {id: e1, kind: entity}\n  - {id: a1, kind: entity}\n",
    );
    let run = ws.run(&["validate", "--format", "json", A]);
    assert_findings(&run, 1, &[("duplicate-id", A, 4, 10)]);
    assert_eq!(
        run.json()["findings"][0]["message"],
        "id `a1` is also defined in annotations/e.yaml:3"
    );
    let bad = ws.run(&["validate", "seeds/a.txt"]);
    assert_eq!(bad.status, 2);
    assert!(
        bad.stderr.contains("not an annotation file"),
        "{}",
        bad.stderr
    );
}
