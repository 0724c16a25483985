//! Git provenance in real temporary repositories: pins known from history
//! or unknown, the staged index against the working tree (both ways,
//! `git commit -a`, a staged seed), shallow clones, the hook, `show`.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

const A: &str = "annotations/a.yaml";

/// A committed workspace with one good annotation.
fn repo() -> Ws {
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - {id: a1, kind: claim, quote: cat sat, start: 4, end: 11}\n",
    );
    git(ws.path(), &["init", "-q"]);
    git(ws.path(), &["add", "-A"]);
    git(ws.path(), &["commit", "-qm", "first"]);
    ws
}

const GOOD: &str = "  - {id: a1, kind: claim, quote: cat sat, start: 4, end: 11}\n";
const BAD: &str = "  - {id: a1, kind: claim, quote: cat sat, start: 5, end: 12}\n";

#[test]
fn a_git_workspace_has_no_notice() {
    let ws = repo();
    let run = ws.validate();
    assert_findings(&run, 0, &[]);
    assert_eq!(run.json()["notices"], serde_json::json!([]));
}

#[test]
fn pin_unknown_when_no_version_has_the_hash() {
    let ws = repo();
    let made_up = sha256(b"a text that never existed");
    ws.write(
        A,
        format!("source: {SEED_PATH}\nsha256: {made_up}\nannotations:\n{GOOD}"),
    );
    let run = ws.validate();
    assert_findings(&run, 1, &[("pin-unknown", A, 2, 9)]);
}

#[test]
fn pin_mismatch_when_the_pinned_version_is_in_history() {
    let ws = repo();
    ws.write(SEED_PATH, format!("Edited. {SEED}"));
    git(ws.path(), &["commit", "-qam", "edit the seed"]);
    let run = ws.validate();
    assert_findings(&run, 1, &[("pin-mismatch", A, 2, 9)]);
    let message = run.json()["findings"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("the pinned version is in history (seeds/a.txt"),
        "{message}"
    );
}

#[test]
fn a_renamed_source_keeps_its_history() {
    let ws = repo();
    git(ws.path(), &["mv", SEED_PATH, "seeds/renamed.txt"]);
    ws.write("seeds/renamed.txt", format!("Edited. {SEED}"));
    let body = format!(
        "source: seeds/renamed.txt\nsha256: {}\nannotations:\n{GOOD}",
        sha256(SEED.as_bytes())
    );
    ws.write(A, body);
    git(ws.path(), &["add", "-A"]);
    git(ws.path(), &["commit", "-qm", "rename and edit"]);
    assert_findings(&ws.validate(), 1, &[("pin-mismatch", A, 2, 9)]);
}

#[test]
fn blob_hashes_are_cached_under_dot_git() {
    let ws = repo();
    ws.write(SEED_PATH, format!("Edited. {SEED}"));
    git(ws.path(), &["commit", "-qam", "edit"]);
    assert_eq!(ws.validate().status, 1);
    let cache = std::fs::read_to_string(ws.path().join(".git/annot/blob-sha256")).unwrap();
    let old_blob = git(ws.path(), &["rev-parse", "HEAD~1:seeds/a.txt"]);
    assert!(
        cache.contains(&format!("{} {}", old_blob.trim(), sha256(SEED.as_bytes()))),
        "{cache}"
    );
    // Deleting the cache is safe: the next run computes it again.
    std::fs::remove_file(ws.path().join(".git/annot/blob-sha256")).unwrap();
    assert_findings(&ws.validate(), 1, &[("pin-mismatch", A, 2, 9)]);
}

#[test]
fn staged_bad_worktree_good() {
    let ws = repo();
    ws.annotations(A, BAD);
    git(ws.path(), &["add", A]);
    ws.annotations(A, GOOD);
    assert_findings(&ws.validate(), 0, &[]);
    assert_findings(
        &ws.run(&["validate", "--staged", "--format", "json"]),
        1,
        &[("quote-mismatch", A, 4, 34)],
    );
}

#[test]
fn staged_good_worktree_bad() {
    let ws = repo();
    ws.annotations(A, BAD);
    assert_findings(&ws.validate(), 1, &[("quote-mismatch", A, 4, 34)]);
    assert_findings(
        &ws.run(&["validate", "--staged", "--format", "json"]),
        0,
        &[],
    );
}

#[test]
fn a_seed_staged_as_changed_while_its_annotations_are_not() {
    let ws = repo();
    ws.write(SEED_PATH, format!("Edited. {SEED}"));
    git(ws.path(), &["add", SEED_PATH]);
    let run = ws.run(&["validate", "--staged", "--format", "json"]);
    assert_findings(&run, 1, &[("pin-mismatch", A, 2, 9)]);
}

#[test]
fn an_unstaged_new_file_is_not_in_the_index() {
    let ws = repo();
    ws.annotations(
        "annotations/new.yaml",
        "  - {id: n1, kind: claim, quote: mat, start: 19, end: 22}\n",
    );
    let staged = ws.run(&["validate", "--staged", "--format", "json"]);
    assert_eq!(staged.json()["checked"]["files"], 1);
    assert_eq!(ws.validate().json()["checked"]["files"], 2);
}

#[test]
fn staged_outside_a_repository_cannot_run() {
    let ws = Ws::new();
    let run = ws.run(&["validate", "--staged"]);
    assert_eq!(run.status, 2);
    assert!(
        run.stderr.contains("this needs a git repository"),
        "{}",
        run.stderr
    );
}

#[test]
fn shallow_clone_skips_history_with_one_notice() {
    let ws = repo();
    ws.write(SEED_PATH, format!("Edited. {SEED}"));
    git(ws.path(), &["commit", "-qam", "edit"]);
    let clones = tempfile::tempdir().unwrap();
    let url = format!("file://{}", ws.path().display());
    git(
        clones.path(),
        &["clone", "-q", "--depth", "1", &url, "shallow"],
    );
    let shallow = clones.path().join("shallow");
    let output = Command::new(env!("CARGO_BIN_EXE_annot"))
        .args(["validate", "--format", "json"])
        .current_dir(&shallow)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let notices = json["notices"].as_array().unwrap();
    assert_eq!(notices.len(), 1);
    assert!(notices[0].as_str().unwrap().starts_with("shallow clone"));
    // The pin differs from the current text: reported, but as a mismatch,
    // because history that could hold the pinned version is cut.
    assert_eq!(json["findings"][0]["code"], "pin-mismatch");
    assert_eq!(output.status.code(), Some(1));
}

fn commit(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .args([
            "-c",
            "user.name=Ada Tester",
            "-c",
            "user.email=ada@example.org",
            "-c",
            "commit.gpgsign=false",
            "commit",
            "-q",
        ])
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

#[test]
fn hook_blocks_a_bad_commit_and_passes_a_good_one() {
    let ws = repo();
    let install = ws.run(&["hook", "install"]);
    assert_eq!(install.status, 0, "{}", install.stderr);
    assert!(
        install.stdout.starts_with("installed "),
        "{}",
        install.stdout
    );

    // `git commit -a` stages into a temporary index (GIT_INDEX_FILE):
    // the hook must see the bad offsets there.
    ws.annotations(A, BAD);
    let blocked = commit(ws.path(), &["-am", "bad offsets"]);
    assert!(!blocked.status.success(), "the commit went through");
    // git passes a hook's output on through its own stderr.
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&blocked.stdout),
        String::from_utf8_lossy(&blocked.stderr)
    );
    assert!(said.contains("quote-mismatch"), "{said}");

    // A good staged state passes even while the working tree is bad.
    ws.annotations(
        A,
        &format!("{GOOD}  - {{id: a2, kind: claim, quote: mat, start: 19, end: 22}}\n"),
    );
    git(ws.path(), &["add", A]);
    ws.annotations(A, BAD);
    let passed = commit(ws.path(), &["-m", "good staged"]);
    assert!(
        passed.status.success(),
        "{}{}",
        String::from_utf8_lossy(&passed.stdout),
        String::from_utf8_lossy(&passed.stderr)
    );

    // `git commit <path>` also uses a temporary index.
    let by_path = commit(ws.path(), &["-m", "bad by path", A]);
    assert!(!by_path.status.success());
}

#[test]
fn hook_install_refuses_to_replace_a_foreign_hook() {
    let ws = repo();
    ws.write(".git/hooks/pre-commit", "#!/bin/sh\necho mine\n");
    let run = ws.run(&["hook", "install"]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("already exists"), "{}", run.stderr);
    assert_eq!(ws.read(".git/hooks/pre-commit"), "#!/bin/sh\necho mine\n");
    let forced = ws.run(&["hook", "install", "--force"]);
    assert_eq!(forced.status, 0);
    assert!(ws
        .read(".git/hooks/pre-commit")
        .contains("validate --staged"));
    let again = ws.run(&["hook", "install"]);
    assert!(
        again.stdout.contains("already annot's pre-commit hook"),
        "{}",
        again.stdout
    );
}

#[test]
fn show_prints_context_links_and_history() {
    let ws = repo();
    ws.write(
        "annotations/e.yaml",
        "annotations:\n  - id: e1\n    kind: entity\n",
    );
    ws.annotations(A, "  - {id: a1, kind: claim, quote: cat sat, start: 4, end: 11, links: [{rel: about, target: e1}]}\n");
    git(ws.path(), &["add", "-A"]);
    git(ws.path(), &["commit", "-qm", "link a1 to e1"]);
    let run = ws.run(&["show", "a1"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("The [[cat sat]] on the mat."),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("--about--> e1 (entity)"),
        "{}",
        run.stdout
    );
    let history: Vec<&str> = run
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("history"))
        .skip(1)
        .collect();
    assert_eq!(history.len(), 2, "{}", run.stdout);
    assert!(
        history[0].contains("Ada Tester: added — first"),
        "{}",
        history[0]
    );
    assert!(
        history[1].contains("changed links — link a1 to e1"),
        "{}",
        history[1]
    );
    let entity = ws.run(&["show", "e1"]);
    assert!(
        entity.stdout.contains("<--about-- a1 (claim) \"cat sat\""),
        "{}",
        entity.stdout
    );
}

#[test]
fn show_an_unknown_id() {
    let ws = repo();
    let run = ws.run(&["show", "a2"]);
    assert_eq!(run.status, 2);
    assert!(
        run.stderr.contains("no annotation has the id `a2`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("did you mean `a1`?"), "{}", run.stderr);
}

fn pin_to(ws: &Ws, text: &str) {
    ws.write(
        A,
        format!(
            "source: {SEED_PATH}\nsha256: {}\nannotations:\n{GOOD}",
            sha256(text.as_bytes())
        ),
    );
}

#[test]
fn the_history_cache_follows_new_commits() {
    let ws = repo();
    let v2 = format!("Version two. {SEED}");
    ws.write(SEED_PATH, &v2);
    git(ws.path(), &["commit", "-qam", "v2"]);
    assert_findings(&ws.validate(), 1, &[("pin-mismatch", A, 2, 9)]);
    // HEAD moves on; the version of the new commit must be found too.
    let v3 = format!("Version three. {SEED}");
    ws.write(SEED_PATH, &v3);
    git(ws.path(), &["commit", "-qam", "v3"]);
    ws.write(SEED_PATH, format!("Version four. {SEED}"));
    git(ws.path(), &["commit", "-qam", "v4"]);
    pin_to(&ws, &v3);
    assert_findings(&ws.validate(), 1, &[("pin-mismatch", A, 2, 9)]);
    pin_to(&ws, &v2);
    assert_findings(&ws.validate(), 1, &[("pin-mismatch", A, 2, 9)]);
}

#[test]
fn the_history_cache_is_not_trusted_after_history_is_rewritten() {
    let ws = repo();
    let dropped = format!("A version that will be dropped. {SEED}");
    ws.write(SEED_PATH, &dropped);
    git(ws.path(), &["commit", "-qam", "soon gone"]);
    pin_to(&ws, SEED);
    assert_eq!(ws.validate().status, 1);
    git(ws.path(), &["reset", "-q", "--hard", "HEAD~1"]);
    // The dropped version is no longer reachable from HEAD.
    pin_to(&ws, &dropped);
    assert_findings(&ws.validate(), 1, &[("pin-unknown", A, 2, 9)]);
}

fn cached_results(ws: &Ws) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let dir = ws.path().join(".git/annot/checked");
    for bucket in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        for entry in std::fs::read_dir(bucket.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            found.push(entry.path());
        }
    }
    found
}

#[test]
fn the_check_cache_is_never_trusted_over_a_changed_file() {
    let ws = repo();
    assert_findings(&ws.validate(), 0, &[]);
    // A full run keeps its results in one summary; later runs that check
    // a few files keep theirs one file each.
    assert!(ws.path().join(".git/annot/summary").is_file());
    assert!(cached_results(&ws).is_empty());

    // Same size and modification time, different bytes: checked again.
    let path = ws.path().join(A);
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    let size = std::fs::metadata(&path).unwrap().len();
    ws.annotations(A, BAD);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len(), size);
    assert_findings(&ws.validate(), 1, &[("quote-mismatch", A, 4, 34)]);

    // Back to the first content: its stored result is reused, still right.
    ws.annotations(A, GOOD);
    assert_findings(&ws.validate(), 0, &[]);

    // The source changes under an unchanged annotation file.
    ws.write(SEED_PATH, format!("Edited. {SEED}"));
    assert_findings(&ws.validate(), 1, &[("pin-mismatch", A, 2, 9)]);
    ws.write(SEED_PATH, SEED);
    assert_findings(&ws.validate(), 0, &[]);

    // The vocabulary changes: every result is checked against the new one.
    let vocabulary = ws.read("schema/vocabulary.yaml");
    ws.write(
        "schema/vocabulary.yaml",
        vocabulary.replacen("claim", "statement", 1),
    );
    let codes: Vec<String> = ws.validate().findings().into_iter().map(|f| f.0).collect();
    assert!(codes.contains(&"unknown-kind".to_string()), "{codes:?}");
    ws.write("schema/vocabulary.yaml", vocabulary);

    // A damaged entry counts as absent.
    let entries = cached_results(&ws);
    assert!(!entries.is_empty(), "the partial runs above kept results");
    for entry in entries {
        std::fs::write(entry, b"not a cache entry").unwrap();
    }
    std::fs::write(ws.path().join(".git/annot/summary"), b"not a summary").unwrap();
    assert_findings(&ws.validate(), 0, &[]);

    // The index is checked by its own content, not by the working tree's.
    ws.annotations(A, BAD);
    git(ws.path(), &["add", A]);
    ws.annotations(A, GOOD);
    assert_findings(
        &ws.run(&["validate", "--staged", "--format", "json"]),
        1,
        &[("quote-mismatch", A, 4, 34)],
    );
    assert_findings(&ws.validate(), 0, &[]);
}
