//! The real pre-commit framework, using this repository's
//! `.pre-commit-hooks.yaml`, blocks a commit with a bad annotation and lets
//! a good one through. It needs `pre-commit` (from PyPI) and builds annot
//! with cargo, so it is ignored by a plain `cargo test`; `.ci/run` installs
//! pre-commit into a virtualenv and runs it with `--ignored`.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn pre_commit() -> PathBuf {
    if let Some(path) = std::env::var_os("ANNOT_PRE_COMMIT") {
        return PathBuf::from(path);
    }
    PathBuf::from("pre-commit")
}

fn run(dir: &Path, program: &Path, args: &[&str]) -> Output {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("PRE_COMMIT_COLOR", "never")
        .env("PRE_COMMIT_HOME", dir.join(".pre-commit-cache"))
        // Reuse this repository's release build of annot's dependencies.
        .env("CARGO_TARGET_DIR", repo.join("target"))
        .env("GIT_AUTHOR_NAME", "Ada Tester")
        .env("GIT_AUTHOR_EMAIL", "ada@example.org")
        .env("GIT_COMMITTER_NAME", "Ada Tester")
        .env("GIT_COMMITTER_EMAIL", "ada@example.org")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()))
}

fn said(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
#[ignore = "needs the pre-commit framework; .ci/run runs it"]
fn pre_commit_framework_blocks_bad_and_passes_good() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let head = run(repo, Path::new("git"), &["rev-parse", "HEAD"]);
    let head = String::from_utf8_lossy(&head.stdout).trim().to_string();
    assert!(!head.is_empty(), "this repository needs a commit");

    let ws = Ws::new();
    let git = Path::new("git");
    let dir = ws.path();
    ws.write(".gitignore", ".pre-commit-cache/\n");
    ws.write(
        ".pre-commit-config.yaml",
        format!(
            "repos:\n  - repo: {}\n    rev: {head}\n    hooks:\n      - id: annot-validate\n",
            repo.display()
        ),
    );
    ws.annotations(
        "annotations/a.yaml",
        "  - {id: a1, kind: claim, quote: cat sat, start: 4, end: 11}\n",
    );
    assert!(run(dir, git, &["init", "-q"]).status.success());
    let install = run(dir, &pre_commit(), &["install"]);
    assert!(install.status.success(), "{}", said(&install));
    assert!(run(dir, git, &["add", "-A"]).status.success());
    let first = run(dir, git, &["commit", "-qm", "good annotations"]);
    assert!(
        first.status.success(),
        "a good commit was blocked:\n{}",
        said(&first)
    );

    ws.annotations(
        "annotations/a.yaml",
        "  - {id: a1, kind: claim, quote: cat sat, start: 5, end: 12}\n",
    );
    assert!(run(dir, git, &["add", "-A"]).status.success());
    let blocked = run(dir, git, &["commit", "-qm", "bad offsets"]);
    assert!(
        !blocked.status.success(),
        "a bad commit went through:\n{}",
        said(&blocked)
    );
    assert!(
        said(&blocked).contains("quote-mismatch"),
        "{}",
        said(&blocked)
    );

    ws.annotations("annotations/a.yaml", "  - {id: a1, kind: claim, quote: cat sat, start: 4, end: 11}\n  - {id: a2, kind: claim, quote: mat, start: 19, end: 22}\n");
    assert!(run(dir, git, &["add", "-A"]).status.success());
    let fixed = run(dir, git, &["commit", "-qm", "fixed"]);
    assert!(fixed.status.success(), "{}", said(&fixed));
}
