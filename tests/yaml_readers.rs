//! The fast reader of plain YAML must agree with the full parser: whenever
//! it reads a file, the tree (values and every position) is the one the
//! full parser builds. Checked on every YAML file of the repository and on
//! generated documents in and around the plain shape, with random edits.

use annot::yaml::{self, Value};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

fn agree(text: &str) -> bool {
    match yaml::parse_plain(text) {
        None => true,
        Some(fast) => match yaml::parse_full(text) {
            Ok(full) => {
                assert_eq!(fast, full, "the readers disagree on:\n{text}");
                true
            }
            Err(err) => {
                panic!("the fast reader read a file the full parser refuses ({err:?}):\n{text}")
            }
        },
    }
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
}

#[test]
fn the_readers_agree_on_every_yaml_file_of_the_repository() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["annotations", "schema", "seeds", "tests/fixtures"] {
        yaml_files(&repo.join(dir), &mut files);
    }
    assert!(files.len() > 60, "found {} files", files.len());
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        assert!(agree(&text), "{}", file.display());
    }
}

#[test]
fn the_fast_reader_reads_the_example_workspace() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    yaml_files(&repo.join("annotations"), &mut files);
    files.push(repo.join("seeds/sources.yaml"));
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            yaml::parse_plain(&text).is_some(),
            "{} is not read by the fast reader",
            file.display()
        );
    }
}

#[test]
fn shapes_the_fast_reader_leaves_to_the_full_parser() {
    for text in [
        "a:\n",
        "a: ~\n",
        "a: |\n  x\n",
        "a: >\n  x\n",
        "a: \"x\n  y\"\n",
        "a: x\n  y\n",
        "a:\tx\n",
        "a: x\r\n",
        "a: &x 1\n",
        "a: *x\n",
        "a:\n  <<: {b: 1}\n  c: 2\n",
        "a: !tag 1\n",
        "---\na: 1\n",
        "a: 1\n...\n",
        "? a\n: 1\n",
        "a: 012\n",
        "a: 1.5\n",
        "a: 0x10\n",
        "a: True\n",
        "a: NULL\n",
        "\"a\": 1\n",
        "a: 1\na: 2\n",
        "a: {b: 1,}\n",
        "a: [1,\n  2]\n",
        "\u{feff}a: 1\n",
        "a: \"\\e\"\n",
        "a: x: y\n",
        "",
        "# only a comment\n",
    ] {
        assert_eq!(yaml::parse_plain(text), None, "{text:?}");
        agree(text);
    }
}

#[test]
fn the_fast_reader_keeps_positions_in_characters() {
    let text = "a: {é: 1}\n";
    assert_eq!(
        yaml::parse_plain(text),
        None,
        "non-ASCII keys are not plain"
    );
    let text = "a: \"żółw\"  # é\nb: [\"ą\", x]\n";
    let node = yaml::parse_plain(text).unwrap();
    let Value::Map(entries) = &node.value else {
        panic!()
    };
    let Value::Seq(items) = &entries[1].1.value else {
        panic!()
    };
    assert_eq!((items[1].pos.line, items[1].pos.column), (2, 10));
    assert!(agree(text));
}

/// A tiny deterministic generator of YAML-ish documents.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.next() as usize % items.len()]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const KEYS: &[&str] = &[
    "seeds/a.txt",
    "a.b",
    "id",
    "kind",
    "quote",
    "start",
    "end",
    "attrs",
    "links",
    "note",
    "a",
    "b_c",
    "x-y",
    "true",
    "Null",
    "n",
    "y",
    "on",
    "k1",
];

const SCALARS: &[&str] = &[
    "plain",
    "two words",
    "a:b",
    "a: b",
    "x #y",
    "x#y",
    "12",
    "0",
    "-7",
    "-0",
    "012",
    "1.5",
    "1e3",
    "0x1f",
    "1_000",
    "2024-03-05",
    "2024-3-5",
    "12:30",
    "true",
    "True",
    "FALSE",
    "null",
    "~",
    "yes",
    "No",
    "nan",
    ".inf",
    "-a",
    "- a",
    "é",
    "żółw x",
    "“quoted”",
    "Пхеньян",
    "\"dq\"",
    "\"esc \\\" \\\\ \\n \\t \\x41 \\u00e9 \\U0001F600\"",
    "\"bad \\q\"",
    "\"surrogate \\ud800\"",
    "'sq'",
    "'it''s'",
    "''",
    "\"\"",
    "'x",
    "\"x",
    "a, b",
    "a]",
    "{b: 1}",
    "[1, 2]",
    "[]",
    "{}",
    "{a: [x, {b: c}]}",
    "[a, 'b', \"c\", 3]",
    "{a: 1, a: 2}",
    "{a:1}",
    "{a: }",
    "[a,]",
    "&anc x",
    "*al",
    "!t x",
    "|",
    ">",
    "%x",
    "@x",
    "`x",
    "?x",
    "? x",
    "/path/x",
    "_x",
    "(x)",
    "9223372036854775807",
    "999999999999999999",
    "-999999999999999999",
    "\u{a0}x",
    "x\u{a0}",
    "a\u{2028}b",
    "\u{85}",
    "x ",
    "x  # c",
    "#",
    "x\t",
    "'a\\b'",
    "\"a\\\nb\"",
    "[a, b",
    "{a: b",
    "a # b # c",
    "4ece52730165a97593768aa6387ce0e7a6752b0e9c9f0987a0d06b8efcfb3466",
    "12e45",
    "1e999",
    "12e4a",
    "0a",
    "0x1F",
    "0X1F",
    "0o17",
    "0b101",
    "+12",
    "+x",
    ".x",
    ".5",
    "1.",
    "1_0",
    "12:30:00",
    "2024-03-05T10:00:00Z",
    "-1a",
    "1-a",
    "9.9.9",
    "inf",
    "-inf",
    "Infinity",
    "NaN",
    "-.nan",
];

/// Scalars of the plain shape, so that a fair share of documents is read
/// by the fast reader.
const PLAIN_SCALARS: &[&str] = &[
    "plain",
    "two words",
    "12",
    "0",
    "-7",
    "\"dq\"",
    "'sq'",
    "é ż",
    "[a, b]",
    "{k: v, n: 1}",
    "seeds/a.txt",
    "\"x \\\" y\"",
    "4ece5273",
    "2024-03-05",
];

fn scalar(g: &mut Gen) -> String {
    if g.chance(70) {
        g.pick(PLAIN_SCALARS).to_string()
    } else {
        g.pick(SCALARS).to_string()
    }
}

fn block(g: &mut Gen, indent: usize, depth: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    let entries = 1 + g.next() % 4;
    let as_seq = g.chance(35);
    for _ in 0..entries {
        if g.chance(10) {
            out.push_str(g.pick(&["\n", "# comment\n", "   \n", "  # indented comment\n"]));
        }
        if as_seq {
            out.push_str(&pad);
            out.push_str(g.pick(&["- ", "- ", "-  ", "-"]));
            if depth < 4 && g.chance(40) {
                if out.ends_with('-') || g.chance(30) {
                    out.push('\n');
                    let deeper = indent + 2 + (g.next() % 3) as usize;
                    block(g, deeper, depth + 1, out);
                } else {
                    // Compact: the first entry on the dash's line.
                    let column = out.len() - out.rfind('\n').map_or(0, |i| i + 1);
                    let mut inner = String::new();
                    block(g, column, depth + 1, &mut inner);
                    out.push_str(inner.trim_start_matches(' '));
                }
            } else {
                if out.ends_with('-') {
                    out.push(' ');
                }
                out.push_str(&scalar(g));
                out.push('\n');
            }
        } else {
            out.push_str(&pad);
            out.push_str(g.pick(KEYS));
            out.push(':');
            if depth < 4 && g.chance(40) {
                if g.chance(10) {
                    out.push_str(" # c");
                }
                out.push('\n');
                let deeper = if g.chance(20) {
                    indent
                } else {
                    indent + 1 + (g.next() % 4) as usize
                };
                block(g, deeper, depth + 1, out);
            } else {
                out.push_str(g.pick(&[" ", " ", "  ", ""]));
                out.push_str(&scalar(g));
                if g.chance(10) {
                    out.push_str(" # trailing");
                }
                out.push('\n');
            }
        }
    }
}

fn document(seed: u64) -> String {
    let mut g = Gen(seed);
    let mut out = String::new();
    if g.chance(20) {
        out.push_str("# header\n");
    }
    block(&mut g, 0, 0, &mut out);
    out
}

const EDITS: &[&str] = &[
    " ", "  ", "\n", "-", ":", ": ", "#", " #", "\"", "'", "{", "}", "[", "]", ",", "\t", "\r",
    "é", "&", "!", "*", "|", "\\", "x", "0", "---\n",
];

proptest! {
    // PROPTEST_CASES=1000000 for a longer search.
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(4000)
    ))]

    #[test]
    fn the_readers_agree_on_generated_documents(seed in any::<u64>()) {
        prop_assert!(agree(&document(seed)));
    }

    #[test]
    fn the_readers_agree_after_random_edits(seed in any::<u64>(), edits in prop::collection::vec((any::<usize>(), 0..EDITS.len(), 0usize..3), 1..4)) {
        let mut text = document(seed);
        for (at, edit, remove) in edits {
            let mut at = at % (text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let mut end = (at + remove).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            text.replace_range(at..end, EDITS[edit]);
        }
        prop_assert!(agree(&text));
    }
}

#[test]
fn generated_documents_are_often_plain() {
    // The generator is only useful if the fast reader takes a fair share of
    // its documents; otherwise the agreement tests would test nothing.
    let read = (0..2000u64)
        .filter(|&seed| yaml::parse_plain(&document(seed)).is_some())
        .count();
    assert!(read > 200, "the fast reader read only {read} of 2000");
}
