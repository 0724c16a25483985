//! `annot import` fed hostile input: malformed brat lines, offsets in the
//! wrong unit, texts that are not UTF-8, symbolic links out of the folder,
//! paths out of the workspace, ambiguous W3C quotes, a very large file.
//! Each test checks the exit status, the exact place every lost item is
//! listed at and what the message says, and that an import writes only
//! what it imports (nothing at all when all of it is refused).

mod common;
use common::*;

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A folder of foreign files, outside the workspace.
struct Input {
    dir: tempfile::TempDir,
}

impl Input {
    fn new() -> Input {
        Input {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The folder as an argument of `annot import`.
    fn arg(&self) -> &str {
        self.path().to_str().unwrap()
    }

    fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        path
    }

    /// How annot names `rel` in its messages (the folder as given, joined).
    fn at(&self, rel: &str) -> String {
        self.path().join(rel).display().to_string()
    }
}

/// Every file, folder and symbolic link under `root`, with its bytes (a
/// folder as `<dir>`, a link as `-> target`).
fn snapshot(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).unwrap();
                out.insert(rel, format!("-> {}", target.display()).into_bytes());
            } else if meta.is_dir() {
                out.insert(rel, b"<dir>".to_vec());
                walk(root, &path, out);
            } else {
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// What an import did to a workspace: the paths it added and the ones it
/// changed, each sorted; panics if it removed any.
fn changes(
    before: &BTreeMap<String, Vec<u8>>,
    after: &BTreeMap<String, Vec<u8>>,
) -> (Vec<String>, Vec<String>) {
    let removed: Vec<&String> = before.keys().filter(|p| !after.contains_key(*p)).collect();
    assert!(removed.is_empty(), "the import removed {removed:?}");
    let added = after
        .keys()
        .filter(|p| !before.contains_key(*p))
        .cloned()
        .collect();
    let changed = before
        .iter()
        .filter(|(p, bytes)| after.get(*p) != Some(bytes))
        .map(|(p, _)| p.clone())
        .collect();
    (added, changed)
}

fn shown(run: &Run) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        run.status, run.stdout, run.stderr
    )
}

fn assert_status(run: &Run, status: i32) {
    assert_eq!(run.status, status, "{}", shown(run));
}

/// The stderr line `LABEL: PLACE: …`, which must hold every part.
fn assert_line(run: &Run, label: &str, place: &str, parts: &[&str]) {
    let prefix = format!("{label}: {place}: ");
    let Some(line) = run.stderr.lines().find(|l| l.starts_with(&prefix)) else {
        panic!("no line starting `{prefix}`\n{}", shown(run));
    };
    for part in parts {
        assert!(
            line.contains(part),
            "`{line}` does not say `{part}`\n{}",
            shown(run)
        );
    }
}

/// `not carried over: PLACE: …`, saying every part.
fn assert_dropped(run: &Run, place: &str, parts: &[&str]) {
    assert_line(run, "not carried over", place, parts);
}

/// `note: PLACE: …`, saying every part.
fn assert_noted(run: &Run, place: &str, parts: &[&str]) {
    assert_line(run, "note", place, parts);
}

/// How many `not carried over: PLACE: ` lines there are.
fn dropped_count(run: &Run, place: &str) -> usize {
    let prefix = format!("not carried over: {place}: ");
    run.stderr
        .lines()
        .filter(|l| l.starts_with(&prefix))
        .count()
}

/// The last line of stderr is `imported X annotation(s); N not imported`.
fn assert_summary(run: &Run, imported: usize, lost: usize) {
    assert_eq!(
        run.stderr.lines().last(),
        Some(
            format!(
                "imported {imported} annotation{}; {lost} not imported",
                if imported == 1 { "" } else { "s" }
            )
            .as_str()
        ),
        "{}",
        shown(run)
    );
}

/// The workspace is as `before` was: no path added, changed or removed.
fn assert_unchanged(ws: &Ws, before: &BTreeMap<String, Vec<u8>>, run: &Run) {
    let (added, changed) = changes(before, &snapshot(ws.path()));
    assert!(
        added.is_empty() && changed.is_empty(),
        "the workspace changed: added {added:?}, changed {changed:?}\n{}",
        shown(run)
    );
}

/// `annot import FORMAT PATH` in `ws`; the workspace must be exactly as it
/// was afterwards.
fn import_refused(ws: &Ws, format: &str, path: &str) -> Run {
    let before = snapshot(ws.path());
    let run = ws.run(&["import", format, path]);
    assert_unchanged(ws, &before, &run);
    run
}

/// `annot import FORMAT PATH` in `ws`: exactly `new` must appear, and
/// nothing that was there change.
fn import_adding(ws: &Ws, format: &str, path: &str, new: &[&str]) -> Run {
    import_changing(ws, format, path, new, &[])
}

/// `annot import FORMAT PATH` in `ws`: exactly `new` must appear and
/// exactly `changed` change (each sorted).
fn import_changing(ws: &Ws, format: &str, path: &str, new: &[&str], changed: &[&str]) -> Run {
    let before = snapshot(ws.path());
    let run = ws.run(&["import", format, path]);
    let after = snapshot(ws.path());
    let (added, altered) = changes(&before, &after);
    assert_eq!(added, new, "added\n{}", shown(&run));
    assert_eq!(altered, changed, "changed\n{}", shown(&run));
    run
}

fn assert_valid(ws: &Ws) {
    let run = ws.validate();
    assert_findings(&run, 0, &[]);
}

fn yaml(ws: &Ws, rel: &str) -> serde_yaml_ng::Value {
    serde_yaml_ng::from_str(&ws.read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The ids of an annotation file, in order.
fn ids(ws: &Ws, rel: &str) -> Vec<String> {
    yaml(ws, rel)["annotations"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect()
}

/// The annotation with this id in an annotation file.
fn annotation(ws: &Ws, rel: &str, id: &str) -> serde_yaml_ng::Value {
    yaml(ws, rel)["annotations"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|a| a["id"].as_str() == Some(id))
        .unwrap_or_else(|| panic!("no `{id}` in {rel}:\n{}", ws.read(rel)))
        .clone()
}

/// Base64url without padding (RFC 4648 §5), for `ni:` IRIs.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// The RFC 6920 IRI W3C targets name a text by.
fn ni(text: &[u8]) -> String {
    format!("ni:///sha-256;{}", base64url(&Sha256::digest(text)))
}

/// One W3C annotation tagged `claim` on `source` with these selectors.
fn w3c_annotation(id: &str, source: &str, selectors: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "type": "Annotation",
        "body": {"type": "TextualBody", "purpose": "tagging", "value": "claim"},
        "target": {"type": "SpecificResource", "source": source, "selector": selectors},
    })
}

fn quote(exact: &str) -> serde_json::Value {
    serde_json::json!({"type": "TextQuoteSelector", "exact": exact})
}

fn position(start: usize, end: usize) -> serde_json::Value {
    serde_json::json!({"type": "TextPositionSelector", "start": start, "end": end})
}

// ---------------------------------------------------------------- brat

#[test]
fn brat_malformed_lines_are_listed_by_line_and_the_good_ones_imported() {
    let ws = Ws::new();
    let input = Input::new();
    input.write("d.txt", "The cat sat.\n");
    input.write(
        "d.ann",
        "T1\tclaim 0 3\tThe\n\
         T2 claim 4 7 cat\n\
         T3\tclaim four 7\tcat\n\
         R1\tcontradicts Arg1:T1\n\
         T4\tclaim 8 11\tsat\n\
         R2\tcontradicts Arg1:T1 Arg2:T4\n",
    );
    let run = import_adding(
        &ws,
        "brat",
        input.arg(),
        &["annotations/d.yaml", "seeds/d.txt"],
    );
    assert_status(&run, 1);
    let ann = input.at("d.ann");
    assert_dropped(
        &run,
        &format!("{ann}:2"),
        &["a line without a tab after its id", "`ID<TAB>…`"],
    );
    assert_dropped(
        &run,
        &format!("{ann}:3"),
        &["T3: `four 7`: offsets must be non-negative integers"],
    );
    assert_dropped(
        &run,
        &format!("{ann}:4"),
        &["R1: a relation line must read `R1<TAB>TYPE Arg1:T1 Arg2:T2`"],
    );
    assert_summary(&run, 2, 3);
    assert_eq!(ws.read("seeds/d.txt"), "The cat sat.\n");
    assert_eq!(ids(&ws, "annotations/d.yaml"), ["d.T1", "d.T4"]);
    let t1 = annotation(&ws, "annotations/d.yaml", "d.T1");
    assert_eq!(t1["quote"].as_str(), Some("The"));
    assert_eq!(t1["links"][0]["rel"].as_str(), Some("contradicts"));
    assert_eq!(t1["links"][0]["target"].as_str(), Some("d.T4"));
    assert_valid(&ws);
}

#[test]
fn brat_offsets_beyond_the_text_are_refused() {
    let ws = Ws::new();
    let input = Input::new();
    input.write("d.txt", "The cat.\n");
    input.write("d.ann", "T1\tclaim 4 40\tcat.\n");
    let run = import_refused(&ws, "brat", input.arg());
    assert_status(&run, 1);
    assert_dropped(
        &run,
        &format!("{}:1", input.at("d.ann")),
        &["T1: the span 4..40 goes beyond the end of the text (9 characters)"],
    );
    assert_summary(&run, 0, 1);
}

#[test]
fn brat_offsets_counted_in_bytes_are_refused() {
    let ws = Ws::new();
    let input = Input::new();
    let word = "Zażółć";
    input.write("d.txt", "Zażółć gęślą jaźń.\n");
    // The word's length in bytes (10), not in code points (6).
    input.write("d.ann", format!("T1\tclaim 0 {}\t{word}\n", word.len()));
    let run = import_refused(&ws, "brat", input.arg());
    assert_status(&run, 1);
    assert_dropped(
        &run,
        &format!("{}:1", input.at("d.ann")),
        &[
            "T1: its text \"Zażółć\" is not the text at its span, \"Zażółć gęś\"",
            "are the offsets in code points of the .txt?",
        ],
    );
    assert_summary(&run, 0, 1);
}

#[test]
fn brat_an_ann_without_its_txt_is_refused() {
    let ws = Ws::new();
    let input = Input::new();
    input.write("lone.ann", "T1\tclaim 0 3\tThe\n");
    let run = import_refused(&ws, "brat", input.arg());
    assert_status(&run, 1);
    assert_dropped(
        &run,
        &input.at("lone.ann"),
        &[
            "has no lone.txt beside it",
            "none of its annotations were imported",
        ],
    );
    assert_summary(&run, 0, 1);
}

#[test]
fn brat_a_txt_that_is_not_utf8_is_refused_with_its_byte_offset() {
    let ws = Ws::new();
    let input = Input::new();
    input.write("bad.txt", b"caf\xe9");
    input.write("bad.ann", "T1\tclaim 0 3\tcaf\n");
    let run = import_refused(&ws, "brat", input.arg());
    assert_status(&run, 1);
    assert_dropped(
        &run,
        &input.at("bad.txt"),
        &[
            "is not valid UTF-8 (byte 0xe9 at byte offset 3)",
            "none of the annotations of bad.ann were imported",
        ],
    );
    assert_summary(&run, 0, 1);
}

/// A folder outside both the workspace and the brat folder, holding a
/// document the import must not read.
fn outside() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.txt"), "secret text\n").unwrap();
    std::fs::write(dir.path().join("s.ann"), "T1\tclaim 0 6\tsecret\n").unwrap();
    dir
}

/// No file of the workspace holds the outside document's text.
fn assert_secret_absent(ws: &Ws) {
    for (path, bytes) in snapshot(ws.path()) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains("secret"),
            "{path} holds the text of a file outside the brat folder"
        );
    }
}

#[test]
fn brat_a_symlinked_txt_out_of_the_folder_is_not_read() {
    let ws = Ws::new();
    let out = outside();
    let input = Input::new();
    std::os::unix::fs::symlink(out.path().join("s.txt"), input.path().join("link.txt")).unwrap();
    input.write("link.ann", "T1\tclaim 0 6\tsecret\n");
    let run = import_refused(&ws, "brat", input.arg());
    assert_status(&run, 1);
    assert_dropped(
        &run,
        &input.at("link.txt"),
        &[
            "is a symbolic link",
            "annot imports only files inside the folder",
        ],
    );
    assert!(
        run.stderr
            .lines()
            .last()
            .unwrap()
            .starts_with("imported 0 annotations; "),
        "{}",
        shown(&run)
    );
    assert_secret_absent(&ws);
}

#[test]
fn brat_a_symlinked_txt_is_listed_once() {
    let ws = Ws::new();
    let out = outside();
    let input = Input::new();
    std::os::unix::fs::symlink(out.path().join("s.txt"), input.path().join("link.txt")).unwrap();
    input.write("link.ann", "T1\tclaim 0 6\tsecret\n");
    let run = import_refused(&ws, "brat", input.arg());
    assert_status(&run, 1);
    assert_eq!(
        dropped_count(&run, &input.at("link.txt")),
        1,
        "{}",
        shown(&run)
    );
    assert_summary(&run, 0, 1);
}

#[test]
fn brat_a_symlinked_ann_out_of_the_folder_is_not_read() {
    let ws = Ws::new();
    let out = outside();
    let input = Input::new();
    std::os::unix::fs::symlink(out.path().join("s.ann"), input.path().join("link.ann")).unwrap();
    input.write("link.txt", "secret text\n");
    // A good document beside it is imported.
    input.write("good.txt", "The cat.\n");
    input.write("good.ann", "T1\tclaim 4 7\tcat\n");
    let run = import_adding(
        &ws,
        "brat",
        input.arg(),
        &["annotations/good.yaml", "seeds/good.txt"],
    );
    assert_status(&run, 1);
    assert_dropped(
        &run,
        &input.at("link.ann"),
        &[
            "is a symbolic link",
            "annot imports only files inside the folder, not what links point at",
        ],
    );
    assert_summary(&run, 1, 1);
    assert_secret_absent(&ws);
    assert_valid(&ws);
}

#[test]
fn brat_a_symlinked_ann_named_directly_is_not_read() {
    let ws = Ws::new();
    let out = outside();
    let input = Input::new();
    std::os::unix::fs::symlink(out.path().join("s.ann"), input.path().join("link.ann")).unwrap();
    input.write("link.txt", "secret text\n");
    let link = input.at("link.ann");
    let run = import_refused(&ws, "brat", &link);
    assert_status(&run, 2);
    assert!(
        run.stderr
            .contains("it is a symbolic link; annot imports only the files"),
        "{}",
        shown(&run)
    );
}

#[test]
fn brat_a_folder_of_only_symlinks_says_why() {
    let ws = Ws::new();
    let out = outside();
    let input = Input::new();
    std::os::unix::fs::symlink(out.path().join("s.ann"), input.path().join("s.ann")).unwrap();
    std::os::unix::fs::symlink(out.path().join("s.txt"), input.path().join("s.txt")).unwrap();
    let run = import_refused(&ws, "brat", input.arg());
    assert!(run.stderr.contains("symbolic link"), "{}", shown(&run));
}

#[test]
fn brat_what_annot_cannot_hold_is_listed_line_by_line() {
    let ws = Ws::new();
    let input = Input::new();
    input.write("d.txt", "The cat sat.\nThe dog ran.\n");
    input.write(
        "d.ann",
        "T1\tclaim 0 3\tThe\n\
         T2\tclaim 0 3;8 11\tThe sat\n\
         E1\tclaim:T1\n\
         *\tcontradicts T1 T1\n\
         N1\tReference T1 Wikipedia:123\tcat\n",
    );
    let run = import_adding(
        &ws,
        "brat",
        input.arg(),
        &["annotations/d.yaml", "seeds/d.txt"],
    );
    assert_status(&run, 1);
    let ann = input.at("d.ann");
    assert_dropped(
        &run,
        &format!("{ann}:2"),
        &["T2: a discontinuous span (2 fragments with text between them); annot spans are continuous"],
    );
    assert_dropped(
        &run,
        &format!("{ann}:3"),
        &["E1: a brat event; annot has no events"],
    );
    assert_dropped(
        &run,
        &format!("{ann}:4"),
        &["an equivalence (`*`); annot has no equivalence sets"],
    );
    assert_dropped(
        &run,
        &format!("{ann}:5"),
        &["N1: a normalisation; annot has no references to external databases"],
    );
    assert_summary(&run, 1, 4);
    assert_eq!(ids(&ws, "annotations/d.yaml"), ["d.T1"]);
    assert_valid(&ws);
}

// ---------------------------------------------------------------- JSON Lines

#[test]
fn jsonl_a_line_that_is_not_json_is_listed_and_the_others_imported() {
    let ws = Ws::new();
    let input = Input::new();
    let file = input.write(
        "in.jsonl",
        concat!(
            r#"{"text":"One cat.","spans":[{"start":4,"end":7,"label":"claim","text":"cat"}],"meta":{"source":"seeds/one.txt"}}"#,
            "\n",
            r#"{"text": not json"#,
            "\n",
            r#"{"text":"Three dogs.","spans":[{"start":6,"end":10,"label":"claim","text":"dogs","id":"d1"}],"meta":{"source":"three.txt"}}"#,
            "\n",
        ),
    );
    let file = file.to_str().unwrap();
    let run = import_adding(
        &ws,
        "jsonl",
        file,
        &[
            "annotations/one.yaml",
            "annotations/three.yaml",
            "seeds/one.txt",
            "seeds/three.txt",
        ],
    );
    assert_status(&run, 1);
    assert_dropped(
        &run,
        &format!("{file}:2"),
        &["the line is not JSON (at column 11: expected ident)"],
    );
    assert_eq!(dropped_count(&run, &format!("{file}:1")), 0);
    assert_eq!(dropped_count(&run, &format!("{file}:3")), 0);
    assert_summary(&run, 2, 1);
    assert_eq!(ws.read("seeds/one.txt"), "One cat.");
    assert_eq!(ws.read("seeds/three.txt"), "Three dogs.");
    assert_eq!(ids(&ws, "annotations/one.yaml"), ["line1.span-1"]);
    assert_eq!(ids(&ws, "annotations/three.yaml"), ["d1"]);
    assert_valid(&ws);
}

/// A JSON Lines file with one document whose `meta.source` is `source`.
fn jsonl_with_source(input: &Input, source: &str) -> String {
    let line = serde_json::json!({
        "text": "pwned\n",
        "spans": [{"start": 0, "end": 5, "label": "claim", "text": "pwned"}],
        "meta": {"source": source},
    });
    let file = input.write("in.jsonl", format!("{line}\n"));
    file.to_str().unwrap().to_string()
}

/// What is at `path` now (`None`: nothing).
fn state(path: &Path) -> Option<Vec<u8>> {
    std::fs::symlink_metadata(path).ok()?;
    Some(std::fs::read(path).unwrap_or_default())
}

#[test]
fn jsonl_a_source_with_dot_dot_is_refused_and_written_nowhere() {
    let ws = Ws::new();
    let input = Input::new();
    let file = jsonl_with_source(&input, "../../etc/passwd");
    // Where `seeds/../../etc/passwd` would land.
    let escaped = ws.path().parent().unwrap().join("etc/passwd");
    let (escaped_before, passwd_before) = (state(&escaped), state(Path::new("/etc/passwd")));
    let run = import_refused(&ws, "jsonl", &file);
    assert_status(&run, 1);
    assert_dropped(
        &run,
        &format!("{file}:1"),
        &[
            "its path `../../etc/passwd` is absolute or climbs out with `..`; sources stay inside seeds/",
            "1 annotation not imported",
        ],
    );
    assert_summary(&run, 0, 1);
    assert_eq!(state(&escaped), escaped_before);
    assert_eq!(state(Path::new("/etc/passwd")), passwd_before);
}

#[test]
fn jsonl_an_absolute_source_is_refused_and_written_nowhere() {
    let ws = Ws::new();
    let input = Input::new();
    let target = input.path().join("abs/path");
    let source = target.to_str().unwrap();
    let file = jsonl_with_source(&input, source);
    let run = import_refused(&ws, "jsonl", &file);
    assert_status(&run, 1);
    assert_dropped(
        &run,
        &format!("{file}:1"),
        &["its path `", "1 annotation not imported"],
    );
    assert_summary(&run, 0, 1);
    assert!(!target.exists(), "{source} was written");
    assert!(!input.path().join("abs").exists());
}

#[test]
fn jsonl_an_absolute_source_is_called_absolute() {
    let ws = Ws::new();
    let input = Input::new();
    let file = jsonl_with_source(&input, "/abs/path");
    let run = import_refused(&ws, "jsonl", &file);
    assert_status(&run, 1);
    assert_dropped(
        &run,
        &format!("{file}:1"),
        &["`/abs/path`", "is absolute or climbs out with `..`"],
    );
}

#[test]
fn jsonl_offsets_in_utf16_units_are_refused_with_a_hint() {
    let ws = Ws::new();
    let input = Input::new();
    let text = "I 😀 love cats.";
    let byte = text.find("cats").unwrap();
    let start = text[..byte].encode_utf16().count();
    let end = start + "cats".encode_utf16().count();
    let chars = text[..byte].chars().count();
    assert_ne!(start, chars, "the emoji must make the units differ");
    let line = serde_json::json!({
        "text": text,
        "spans": [{"start": start, "end": end, "label": "claim", "text": "cats"}],
        "meta": {"source": "seeds/u.txt"},
    });
    let file = input.write("in.jsonl", format!("{line}\n"));
    let file = file.to_str().unwrap();
    let run = import_refused(&ws, "jsonl", file);
    assert_status(&run, 1);
    assert_dropped(
        &run,
        &format!("{file}:1: spans[0]"),
        &[
            &format!(
                "`line1.span-1`: the text at {start}..{end} is \"ats.\", not its `text` \"cats\""
            ),
            &format!("the text occurs at {chars}..{}", chars + 4),
            "were the offsets counted in UTF-16 units or bytes instead of code points?",
        ],
    );
    assert_summary(&run, 0, 1);
}

#[test]
fn jsonl_never_writes_over_a_seed_with_another_text() {
    let ws = Ws::new();
    let input = Input::new();
    let line = serde_json::json!({
        "text": "Another text.",
        "spans": [{"start": 0, "end": 7, "label": "claim", "text": "Another"}],
        "meta": {"source": SEED_PATH},
    });
    let file = input.write("in.jsonl", format!("{line}\n"));
    let file = file.to_str().unwrap();
    let run = import_refused(&ws, "jsonl", file);
    assert_status(&run, 1);
    assert_dropped(
        &run,
        &format!("{file}:1"),
        &[
            "seeds/a.txt already exists with a different text; annot never writes over a source",
            "rename the document, or move the seed",
        ],
    );
    assert_summary(&run, 0, 1);
    assert_eq!(ws.read(SEED_PATH), SEED);
}

// ---------------------------------------------------------------- W3C

#[test]
fn w3c_a_hundred_thousand_annotations_are_all_imported() {
    // The encoder agrees with RFC 4648's test vectors and a known hash.
    assert_eq!(base64url(b"foob"), "Zm9vYg");
    assert_eq!(base64url(b"fooba"), "Zm9vYmE");
    assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    assert_eq!(
        ni(b""),
        "ni:///sha-256;47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"
    );

    let ws = Ws::empty();
    ws.write(".gitattributes", "seeds/** -text\n");
    ws.write(
        "schema/vocabulary.yaml",
        "kinds:\n  claim: {anchored: true}\nrelations: {}\n",
    );
    let sentences: Vec<String> = (0..300)
        .map(|i| format!("Zdanie {i}: zażółć gęślą jaźń, temat {}.", i * 7 % 13))
        .collect();
    let mut text = String::new();
    let mut spans = Vec::new();
    for s in &sentences {
        let start = text.chars().count();
        spans.push((start, start + s.chars().count()));
        text.push_str(s);
        text.push('\n');
    }
    ws.write("seeds/big.txt", &text);
    let source = ni(text.as_bytes());
    const N: usize = 100_000;
    let mut json = String::from("[");
    for n in 0..N {
        let i = n % sentences.len();
        if n > 0 {
            json.push(',');
        }
        let a = w3c_annotation(
            &format!("urn:x:{n}"),
            &source,
            serde_json::json!([quote(&sentences[i]), position(spans[i].0, spans[i].1)]),
        );
        json.push_str(&a.to_string());
    }
    json.push(']');
    let input = Input::new();
    let file = input.write("big.json", json);
    let run = import_adding(
        &ws,
        "w3c",
        file.to_str().unwrap(),
        &["annotations/big.yaml"],
    );
    assert_status(&run, 0);
    assert!(!run.stderr.contains("not carried over"), "{}", shown(&run));
    assert_summary(&run, N, 0);
    let file = yaml(&ws, "annotations/big.yaml");
    let list = file["annotations"].as_sequence().unwrap();
    assert_eq!(list.len(), N);
    assert_eq!(file["source"].as_str(), Some("seeds/big.txt"));
    for a in list {
        let id = a["id"].as_str().unwrap();
        let n: usize = id.strip_prefix("urn:x:").unwrap().parse().unwrap();
        let i = n % sentences.len();
        assert_eq!(a["quote"].as_str(), Some(sentences[i].as_str()), "{id}");
        assert_eq!(a["start"].as_u64(), Some(spans[i].0 as u64), "{id}");
    }
    assert_valid(&ws);
}

#[test]
fn w3c_an_ambiguous_quote_is_refused_naming_both_places() {
    let ws = Ws::new();
    let input = Input::new();
    let source = ni(SEED.as_bytes());
    let items = serde_json::json!([w3c_annotation("urn:x:1", &source, quote("The cat"))]);
    let file = input.write("in.json", items.to_string());
    let file = file.to_str().unwrap();
    let run = import_refused(&ws, "w3c", file);
    assert_status(&run, 1);
    assert_dropped(
        &run,
        &format!("{file}: annotation 1"),
        &[
            "`urn:x:1`: its quote fits 2 places in seeds/a.txt (0..7, 24..31); not guessed",
            "give a longer prefix/suffix or a TextPositionSelector that names one of them",
        ],
    );
    assert_summary(&run, 0, 1);
}

#[test]
fn w3c_an_ambiguous_quote_with_a_position_is_imported_there() {
    let ws = Ws::new();
    let input = Input::new();
    let source = ni(SEED.as_bytes());
    let items = serde_json::json!([w3c_annotation(
        "urn:x:1",
        &source,
        serde_json::json!([quote("The cat"), position(24, 31)])
    )]);
    let file = input.write("in.json", items.to_string());
    let run = import_adding(&ws, "w3c", file.to_str().unwrap(), &["annotations/a.yaml"]);
    assert_status(&run, 0);
    assert_summary(&run, 1, 0);
    let a = annotation(&ws, "annotations/a.yaml", "urn:x:1");
    assert_eq!(a["quote"].as_str(), Some("The cat"));
    assert_eq!(a["start"].as_u64(), Some(24));
    assert_eq!(a["end"].as_u64(), Some(31));
    assert_eq!(a["kind"].as_str(), Some("claim"));
    assert_valid(&ws);
}

#[test]
fn w3c_a_quote_that_does_not_occur_is_refused_naming_the_seed() {
    let ws = Ws::new();
    let input = Input::new();
    let source = ni(SEED.as_bytes());
    let items = serde_json::json!([w3c_annotation("urn:x:1", &source, quote("zebra crossing"))]);
    let file = input.write("in.json", items.to_string());
    let file = file.to_str().unwrap();
    let run = import_refused(&ws, "w3c", file);
    assert_status(&run, 1);
    assert_dropped(
        &run,
        &format!("{file}: annotation 1"),
        &["`urn:x:1`: its quote does not occur in seeds/a.txt"],
    );
    assert_summary(&run, 0, 1);
}

#[test]
fn w3c_a_file_that_is_not_json_cannot_run() {
    let ws = Ws::new();
    let input = Input::new();
    let file = input.write("in.json", "{\"a\": [1, 2,\n  oops]}");
    let file = file.to_str().unwrap();
    let before = snapshot(ws.path());
    // Wide, so that the message is on one line.
    let run = ws.run_with(&["import", "w3c", file], &[("COLUMNS", "1000")]);
    assert_unchanged(&ws, &before, &run);
    assert_status(&run, 2);
    assert!(
        run.stderr.contains(&format!(
            "cannot import {file}: it is not JSON (line 2, column 3: "
        )),
        "{}",
        shown(&run)
    );
    assert!(
        run.stderr.contains("; nothing was imported"),
        "{}",
        shown(&run)
    );
    assert!(!run.stderr.contains("imported 0"), "{}", shown(&run));
}

#[test]
fn w3c_an_annotation_with_only_a_fragment_selector_is_listed() {
    let ws = Ws::new();
    let input = Input::new();
    let source = ni(SEED.as_bytes());
    let items = serde_json::json!([w3c_annotation(
        "urn:x:4",
        &source,
        serde_json::json!({"type": "FragmentSelector", "value": "char=0,3"})
    )]);
    let file = input.write("in.json", items.to_string());
    let file = file.to_str().unwrap();
    let run = import_refused(&ws, "w3c", file);
    assert_status(&run, 1);
    assert_dropped(
        &run,
        &format!("{file}: annotation 1"),
        &["`urn:x:4` has no TextQuoteSelector (only FragmentSelector); annot anchors by the quoted text"],
    );
    assert_summary(&run, 0, 1);
}

// ---------------------------------------------------------------- all formats

#[test]
fn dry_run_says_what_it_would_write_and_writes_nothing() {
    let ws = Ws::new();
    let input = Input::new();
    input.write("d.txt", "Ada met the cat.\n");
    input.write(
        "d.ann",
        "T1\tPerson 0 3\tAda\nT2\tclaim 4 16\tmet the cat.\n",
    );
    let before = snapshot(ws.path());
    let run = ws.run(&["import", "brat", input.arg(), "--dry-run"]);
    assert_unchanged(&ws, &before, &run);
    assert_status(&run, 0);
    for line in [
        "would write seeds/d.txt: new source (17 bytes)",
        "would write annotations/d.yaml: 2 annotations on seeds/d.txt",
        "would write schema/vocabulary.yaml: declares kind Person",
    ] {
        assert!(
            run.stderr.lines().any(|l| l == line),
            "{line}\n{}",
            shown(&run)
        );
    }
    assert_eq!(
        run.stderr.lines().last(),
        Some("would import 2 annotations (dry run: nothing was changed); 0 not imported"),
        "{}",
        shown(&run)
    );
    assert!(!run.stderr.contains("wrote "), "{}", shown(&run));
}

#[test]
fn a_taken_id_is_renamed_and_links_follow_it() {
    let ws = Ws::new();
    ws.annotations(
        "annotations/a.yaml",
        "  - {id: a.T1, kind: claim, quote: cat sat, start: 4, end: 11}\n",
    );
    let input = Input::new();
    input.write("a.txt", SEED);
    input.write(
        "a.ann",
        "T1\tclaim 28 31\tcat\nT2\tclaim 0 7\tThe cat\nR1\tcontradicts Arg1:T2 Arg2:T1\n",
    );
    let run = import_adding(&ws, "brat", input.arg(), &["annotations/a.imported.yaml"]);
    assert_status(&run, 0);
    assert_noted(
        &run,
        &format!("{}:1", input.at("a.ann")),
        &["the id `a.T1` is taken; imported as `a.T1-2`"],
    );
    assert_summary(&run, 2, 0);
    let file = "annotations/a.imported.yaml";
    assert_eq!(yaml(&ws, file)["source"].as_str(), Some(SEED_PATH));
    let renamed = annotation(&ws, file, "a.T1-2");
    assert_eq!(renamed["start"].as_u64(), Some(28));
    let t2 = annotation(&ws, file, "a.T2");
    assert_eq!(t2["links"][0]["target"].as_str(), Some("a.T1-2"));
    // The annotation that had the id is untouched.
    assert_eq!(ids(&ws, "annotations/a.yaml"), ["a.T1"]);
    assert_valid(&ws);
}

#[test]
fn an_existing_kind_keeps_its_declaration_and_an_undeclared_attr_is_listed() {
    let ws = Ws::new();
    let input = Input::new();
    input.write("a.txt", SEED);
    input.write(
        "a.ann",
        "T1\tclaim 28 31\tcat\n\
         A1\ttopic T1 animals\n\
         A2\tmood T1 happy\n\
         T2\tPerson 37 43\tZażółć\n\
         A3\tfigure T1 12\n",
    );
    let run = import_changing(
        &ws,
        "brat",
        input.arg(),
        &["annotations/a.yaml"],
        &["schema/vocabulary.yaml"],
    );
    assert_status(&run, 1);
    assert_dropped(
        &run,
        &format!("{}:3", input.at("a.ann")),
        &[
            "`a.T1`: the kind `claim` declares no attr `mood`",
            "annot does not change a declaration that exists (add it to the vocabulary and import again)",
        ],
    );
    assert_summary(&run, 2, 1);
    // The vocabulary gained the new kind and nothing else: every line of
    // it as it was, in order.
    let vocabulary = ws.read("schema/vocabulary.yaml");
    assert_eq!(
        vocabulary.replacen("  Person: {anchored: true}\n", "", 1),
        VOCABULARY,
        "{vocabulary}"
    );
    let t1 = annotation(&ws, "annotations/a.yaml", "a.T1");
    assert_eq!(t1["attrs"]["topic"].as_str(), Some("animals"));
    assert_eq!(t1["attrs"]["figure"].as_u64(), Some(12));
    assert!(t1["attrs"].get("mood").is_none());
    assert_valid(&ws);
}

#[test]
fn an_undeclared_attr_is_listed_at_its_attribute_line() {
    let ws = Ws::new();
    let input = Input::new();
    input.write("a.txt", SEED);
    input.write(
        "a.ann",
        "T1\tclaim 28 31\tcat\nA1\ttopic T1 animals\nA2\tmood T1 happy\n",
    );
    let run = ws.run(&["import", "brat", input.arg()]);
    assert_status(&run, 1);
    assert_dropped(
        &run,
        &format!("{}:3", input.at("a.ann")),
        &["declares no attr `mood`"],
    );
}

#[test]
fn an_attr_declaration_for_an_existing_kind_is_listed() {
    let ws = Ws::new();
    let input = Input::new();
    input.write("a.txt", SEED);
    input.write("a.ann", "T1\tclaim 28 31\tcat\n");
    input.write(
        "annotation.conf",
        "[entities]\nclaim\n[attributes]\nmood\tArg:claim, Value:happy|sad\n",
    );
    let run = ws.run(&["import", "brat", input.arg()]);
    assert!(
        run.stderr
            .lines()
            .any(|l| l.contains("annotation.conf") && l.contains("mood")),
        "{}",
        shown(&run)
    );
}
