//! Small real workspaces built in a temporary folder, and a way to run the
//! `annot` binary on them.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The default seed: two "cat"s (an ambiguous quote), Polish letters, typographic
/// quote marks and a letter with a combining accent.
pub const SEED: &str =
    "The cat sat on the mat. The cat ran.\nZażółć gęślą jaźń — “quoted” cafe\u{301} here.\n";
pub const SEED_PATH: &str = "seeds/a.txt";

pub const VOCABULARY: &str = "kinds:
  claim:
    anchored: true
    attrs:
      topic: {values: [animals, places]}
      figure: {type: number}
  note: {anchored: any}
  entity: {anchored: false, attrs: {type: {values: [person, animal]}}}
relations:
  about: {from: [claim], to: [entity]}
  contradicts: {from: [claim], to: [claim], symmetric: true}
";

pub struct Ws {
    pub dir: tempfile::TempDir,
}

pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Runs `command` to the end and keeps its status and output.
    pub fn of(mut command: Command) -> Run {
        let output = command.output().unwrap();
        Run {
            status: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", self.stdout, self.stderr))
    }

    /// (code, file, line, column) of every finding, from JSON output.
    pub fn findings(&self) -> Vec<(String, String, u64, u64)> {
        self.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["code"].as_str().unwrap().to_string(),
                    f["file"].as_str().unwrap().to_string(),
                    f["line"].as_u64().unwrap(),
                    f["column"].as_u64().unwrap(),
                )
            })
            .collect()
    }
}

pub fn sha256(text: &[u8]) -> String {
    annot::source::sha256_hex(text)
}

impl Ws {
    /// A workspace with the default seed, vocabulary and .gitattributes.
    pub fn new() -> Ws {
        let ws = Ws::empty();
        ws.write(SEED_PATH, SEED);
        ws.write("schema/vocabulary.yaml", VOCABULARY);
        ws.write(".gitattributes", "seeds/** -text\n");
        ws
    }

    pub fn empty() -> Ws {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("annotations")).unwrap();
        Ws { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        path
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel)).unwrap()
    }

    /// Writes an annotation file on the default seed, pinned to it.
    pub fn annotations(&self, rel: &str, body: &str) {
        let text = format!(
            "source: {SEED_PATH}\nsha256: {}\nannotations:\n{body}",
            sha256(SEED.as_bytes())
        );
        self.write(rel, text);
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, &[])
    }

    /// Runs `annot` with these environment variables set on top of the
    /// fixed test environment: no colour, a UTF-8 locale, no known width
    /// (so the output never depends on the shell that runs the tests).
    pub fn run_with(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        Run::of(self.command(args, env))
    }

    /// The command [`Ws::run_with`] runs, raw bytes of output included.
    pub fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        annot_in(self.path(), args, env)
    }

    pub fn validate(&self) -> Run {
        self.run(&["validate", "--format", "json"])
    }
}

/// `annot` with `args`, started in `dir`, in the fixed test environment: no
/// colour, a UTF-8 locale, no known width (so the output never depends on
/// the shell that runs the tests), plus `env`.
pub fn annot_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_annot"));
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("LC_ALL", "C.UTF-8")
        .env("TERM", "xterm-256color")
        .env_remove("COLUMNS");
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

/// Runs `annot` in `dir` (not necessarily a workspace root).
pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    Run::of(annot_in(dir, args, &[]))
}

/// git in `dir` with a fixed identity and no inherited hook environment,
/// run to the end.
fn git_output(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .args([
            "-c",
            "user.name=Ada Tester",
            "-c",
            "user.email=ada@example.org",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .unwrap()
}

/// Runs git in `dir` ([`git_output`]); panics with git's message if it
/// fails. Returns stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = git_output(dir, args);
    assert!(
        output.status.success(),
        "git {args:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Runs git in `dir` ([`git_output`]), which may fail: whether it
/// succeeded, and all it printed (stdout, then stderr).
pub fn git_try(dir: &Path, args: &[&str]) -> (bool, String) {
    let output = git_output(dir, args);
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

/// Asserts the exact findings (code, file, line, column) and exit status.
pub fn assert_findings(run: &Run, status: i32, expected: &[(&str, &str, u64, u64)]) {
    let got = run.findings();
    let expected: Vec<(String, String, u64, u64)> = expected
        .iter()
        .map(|(c, f, l, col)| (c.to_string(), f.to_string(), *l, *col))
        .collect();
    assert_eq!(
        got, expected,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert_eq!(
        run.status, status,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
}

pub mod hostile;
pub mod html;
