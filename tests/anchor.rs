//! `annot anchor` and `annot init`: what they write, what they refuse, and
//! that nothing else in a file changes.

mod common;
use common::*;

const A: &str = "annotations/a.yaml";

#[test]
fn fills_offsets_and_pin_changing_nothing_else() {
    let ws = Ws::new();
    let before = [
        "# yaml-language-server: $schema=../schema/annotations.schema.json",
        "source: seeds/a.txt   # the test seed",
        "",
        "annotations:",
        "  # a comment about the first one",
        "  - id: a1",
        "    kind: claim",
        "    quote: 'cat sat'    # single-quoted on purpose",
        "    note: >",
        "      folded note",
        "",
        "  - {id: a2, kind: claim, quote: \"Zażółć\"}   # flow style",
        "",
    ]
    .join("\n");
    ws.write(A, &before);
    let run = ws.run(&["anchor"]);
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    let pin = format!("sha256: {}", sha256(SEED.as_bytes()));
    let expected = [
        "# yaml-language-server: $schema=../schema/annotations.schema.json",
        "source: seeds/a.txt   # the test seed",
        &pin,
        "",
        "annotations:",
        "  # a comment about the first one",
        "  - id: a1",
        "    kind: claim",
        "    quote: 'cat sat'    # single-quoted on purpose",
        "    start: 4",
        "    end: 11",
        "    note: >",
        "      folded note",
        "",
        "  - {id: a2, kind: claim, quote: \"Zażółć\", start: 37, end: 43}   # flow style",
        "",
    ]
    .join("\n");
    assert_eq!(ws.read(A), expected);
    assert!(
        run.stdout
            .contains("annotations/a.yaml: pinned sha256; filled start/end of a1, a2"),
        "{}",
        run.stdout
    );
    assert_findings(&ws.validate(), 0, &[]);
}

#[test]
fn keeps_crlf_line_endings() {
    let ws = Ws::new();
    let before = format!(
        "source: seeds/a.txt\r\nsha256: {}\r\nannotations:\r\n  - id: a1\r\n    kind: claim\r\n    quote: cat sat\r\n",
        sha256(SEED.as_bytes())
    );
    ws.write(A, &before);
    assert_eq!(ws.run(&["anchor"]).status, 0);
    assert_eq!(
        ws.read(A),
        format!("{before}    start: 4\r\n    end: 11\r\n")
    );
}

#[test]
fn refuses_an_ambiguous_quote_and_names_the_candidates() {
    let ws = Ws::new();
    ws.annotations(A, "  - id: a1\n    kind: claim\n    quote: cat\n");
    let before = ws.read(A);
    let run = ws.run(&["anchor"]);
    assert_eq!(run.status, 1);
    assert!(run.stdout.contains("ambiguous-quote"), "{}", run.stdout);
    assert!(
        run.stdout.contains("4..7 (line 1, column 5"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("28..31 (line 1, column 29"),
        "{}",
        run.stdout
    );
    assert_eq!(ws.read(A), before, "nothing written for a refused quote");
}

#[test]
fn a_given_prefix_chooses_the_occurrence() {
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - id: a1\n    kind: claim\n    quote: cat\n    suffix: \" ran\"\n",
    );
    assert_eq!(ws.run(&["anchor"]).status, 0);
    assert!(
        ws.read(A)
            .ends_with("    quote: cat\n    start: 28\n    end: 31\n    suffix: \" ran\"\n"),
        "{}",
        ws.read(A)
    );
    assert_findings(&ws.validate(), 0, &[]);
}

#[test]
fn adds_context_where_a_quote_is_not_unique() {
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - id: a1\n    kind: claim\n    quote: cat\n    start: 28\n    end: 31\n",
    );
    let run = ws.run(&["anchor"]);
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert!(
        run.stdout.contains("added prefix/suffix to a1"),
        "{}",
        run.stdout
    );
    assert!(
        ws.read(A).ends_with("    end: 31\n    suffix: \" ran.\"\n"),
        "{}",
        ws.read(A)
    );
    assert_findings(&ws.validate(), 0, &[]);
}

#[test]
fn quote_not_found_is_refused() {
    let ws = Ws::new();
    ws.annotations(A, "  - id: a1\n    kind: claim\n    quote: dog sat\n");
    let run = ws.run(&["anchor"]);
    assert_eq!(run.status, 1);
    assert!(
        run.stdout.contains("does not occur in the source"),
        "{}",
        run.stdout
    );
}

#[test]
fn refuses_files_it_cannot_read_completely() {
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - id: a1\n    kind: claim\n    quote: cat sat\n    qoute: x\n",
    );
    let before = ws.read(A);
    let run = ws.run(&["anchor"]);
    assert_eq!(run.status, 1);
    assert!(
        run.stdout
            .contains("was not changed: fix the problems above first"),
        "{}",
        run.stdout
    );
    assert_eq!(ws.read(A), before);
}

#[test]
fn refuses_to_anchor_on_a_changed_source() {
    let ws = Ws::new();
    ws.annotations(A, "  - id: a1\n    kind: claim\n    quote: cat sat\n");
    ws.write(SEED_PATH, format!("Now: {SEED}"));
    let before = ws.read(A);
    let run = ws.run(&["anchor"]);
    assert_eq!(run.status, 1);
    assert!(run.stdout.contains("pin-mismatch"), "{}", run.stdout);
    assert_eq!(ws.read(A), before);
}

#[test]
fn dry_run_writes_nothing() {
    let ws = Ws::new();
    ws.annotations(A, "  - id: a1\n    kind: claim\n    quote: cat sat\n");
    let before = ws.read(A);
    let run = ws.run(&["anchor", "--dry-run"]);
    assert_eq!(run.status, 0);
    assert!(
        run.stdout.contains("would fill start/end of a1"),
        "{}",
        run.stdout
    );
    assert_eq!(ws.read(A), before);
}

#[test]
fn only_named_paths_are_touched() {
    let ws = Ws::new();
    ws.annotations(A, "  - {id: a1, kind: claim, quote: cat sat}\n");
    ws.annotations(
        "annotations/sub/b.yaml",
        "  - {id: b1, kind: claim, quote: mat}\n",
    );
    let b_before = ws.read("annotations/sub/b.yaml");
    assert_eq!(ws.run(&["anchor", "annotations/a.yaml"]).status, 0);
    assert!(ws.read(A).contains("start: 4"));
    assert_eq!(ws.read("annotations/sub/b.yaml"), b_before);
    assert_eq!(ws.run(&["anchor", "annotations/sub"]).status, 0);
    assert!(ws.read("annotations/sub/b.yaml").contains("start: 19"));
}

#[test]
fn nothing_to_do_says_so() {
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - {id: a1, kind: claim, quote: cat sat, start: 4, end: 11}\n",
    );
    let run = ws.run(&["anchor"]);
    assert_eq!(run.status, 0);
    assert!(
        run.stdout.starts_with("nothing to anchor"),
        "{}",
        run.stdout
    );
}

#[test]
fn init_creates_a_workspace_that_validates() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_annot"))
        .args(["init", "ws"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let root = dir.path().join("ws");
    for file in [
        "annotations",
        "seeds",
        "schema/vocabulary.yaml",
        "schema/annotations.schema.json",
        ".gitattributes",
    ] {
        assert!(root.join(file).exists(), "{file}");
    }
    let validate = std::process::Command::new(env!("CARGO_BIN_EXE_annot"))
        .args(["validate"])
        .current_dir(&root)
        .output()
        .unwrap();
    assert_eq!(
        validate.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&validate.stdout)
    );
}

#[test]
fn init_never_overwrites() {
    let ws = Ws::new();
    ws.write("schema/vocabulary.yaml", "kinds: {mine: {anchored: any}}\n");
    ws.write(".gitattributes", "*.png binary\n");
    let run = ws.run(&["init", "."]);
    assert_eq!(run.status, 0);
    assert_eq!(
        ws.read("schema/vocabulary.yaml"),
        "kinds: {mine: {anchored: any}}\n"
    );
    // The user's line stays; annot's lines (SPEC §1 and §13) are added after it.
    assert_eq!(
        ws.read(".gitattributes"),
        "*.png binary\nseeds/** -text\nannotations/**/*.yaml merge=annot diff=annot\nannotations/**/*.yml merge=annot diff=annot\n"
    );
    assert!(
        run.stdout
            .contains("kept (already there) schema/vocabulary.yaml"),
        "{}",
        run.stdout
    );
}

#[test]
fn refuses_paths_that_are_not_annotation_files() {
    let ws = Ws::new();
    let run = ws.run(&["anchor", SEED_PATH]);
    assert_eq!(run.status, 2);
    assert!(
        run.stderr.contains("seeds/a.txt is not an annotation file"),
        "{}",
        run.stderr
    );
    let missing = ws.run(&["anchor", "annotations/none.yaml"]);
    assert_eq!(missing.status, 2);
    assert!(
        missing.stderr.contains("cannot read annotations/none.yaml"),
        "{}",
        missing.stderr
    );
}

/// What `annot anchor` says of the one annotation it could not anchor:
/// (code, line, column, message, help).
fn refusal(seed: &str, body: &str) -> (String, u32, u32, String, String) {
    let ws = Ws::new();
    ws.write("seeds/n.txt", seed);
    ws.write(A, format!("source: seeds/n.txt\nannotations:\n{body}"));
    let anchoring = annot::commands::anchor(ws.path(), &[], true).unwrap();
    let [finding] = anchoring.findings.as_slice() else {
        panic!("{:?}", anchoring.findings);
    };
    (
        finding.code.as_str().to_string(),
        finding.place.line,
        finding.place.column,
        finding.message.clone(),
        finding.help.clone().unwrap_or_default(),
    )
}

#[test]
fn a_straight_apostrophe_for_a_curly_one_gets_the_text_to_paste() {
    let (code, line, column, message, help) = refusal(
        "Russia\u{2019}s top general spoke.\n",
        "  - {id: a1, kind: claim, quote: \"Russia's top general\"}\n",
    );
    assert_eq!((code.as_str(), line, column), ("unanchored", 3, 34));
    assert_eq!(message, "the quote of `a1` does not occur in the source; at 0..20 (line 1, column 1) the source has \"Russia\u{2019}s top general\", which differs only in quote marks, apostrophes or dashes");
    assert_eq!(help, "copy the source's exact text into the file: `quote: \"Russia\u{2019}s top general\"`, then run `annot anchor annotations/a.yaml` again");
}

#[test]
fn a_hyphen_for_a_dash_is_named() {
    let (_, _, _, message, _) = refusal(
        "Kursk \u{2014} the region.\n",
        "  - {id: a1, kind: claim, quote: \"Kursk - the region\"}\n",
    );
    assert!(message.ends_with("the source has \"Kursk \u{2014} the region\", which differs only in quote marks, apostrophes or dashes"), "{message}");
}

#[test]
fn a_word_broken_at_a_line_end_is_named() {
    let (_, _, _, message, help) = refusal(
        "the construc-\ntion of memorials\n",
        "  - {id: a1, kind: claim, quote: construction of memorials}\n",
    );
    assert_eq!(message, "the quote of `a1` does not occur in the source; at 4..31 (line 1, column 5) the source has \"construc-\\ntion of memorials\", which differs only in a word the source breaks with a hyphen at the end of a line");
    assert!(help.starts_with("copy the source's exact text into the file: `quote: \"construc-\\ntion of memorials\"`"), "{help}");
    // The PDF kind of break, a hyphen and a space, too.
    let (_, _, _, message, _) = refusal(
        "the construc- tion of memorials\n",
        "  - {id: a1, kind: claim, quote: construction of memorials}\n",
    );
    assert!(
        message.contains("differs only in a word the source breaks with a hyphen"),
        "{message}"
    );
}

#[test]
fn a_newline_where_the_source_has_crlf_is_named() {
    let (_, _, _, message, help) = refusal(
        "first line\r\nsecond line\r\n",
        "  - {id: a1, kind: claim, quote: \"first line\\nsecond\"}\n",
    );
    assert_eq!(message, "the quote of `a1` does not occur in the source; at 0..18 (line 1, column 1) the source has \"first line\\r\\nsecond\", which differs only in line endings: the source ends its lines with CR LF (`\\r\\n`)");
    assert!(
        help.starts_with(
            "copy the source's exact text into the file: `quote: \"first line\\r\\nsecond\"`"
        ),
        "{help}"
    );
}

#[test]
fn the_newline_a_block_quote_keeps_is_named() {
    let (_, _, _, message, _) = refusal(
        "He said the council met.\n",
        "  - id: a1\n    kind: claim\n    quote: |\n      the council met\n",
    );
    assert!(message.ends_with("the source has \"the council met\", which differs only in the newline at the end of the quote (a `quote: |` block keeps it; write `quote: |-`, or the text on one line)"), "{message}");
}

#[test]
fn a_context_without_its_space_gets_the_exact_context() {
    let (code, _, _, message, help) = refusal(
        "The cat sat. The cat ran.\n",
        "  - {id: a1, kind: claim, quote: cat, suffix: ran}\n",
    );
    assert_eq!(code, "unanchored");
    assert_eq!(
        message,
        "the quote of `a1` occurs 2 times, but none has the given prefix/suffix"
    );
    assert_eq!(help, "the occurrence at 17..20 has this context but for the spaces next to the quote (a prefix ends exactly where the quote starts, a suffix starts where it ends): write `suffix: \" ran\"`");
}

#[test]
fn an_ambiguous_quote_lists_each_place_with_the_context_that_picks_it() {
    let (code, line, column, message, help) = refusal(
        "Hello world. Hello world.\n",
        "  - {id: a1, kind: claim, quote: Hello world}\n",
    );
    assert_eq!((code.as_str(), line, column), ("ambiguous-quote", 3, 34));
    assert_eq!(
        message,
        "the quote of `a1` occurs 2 times; annot cannot tell which one is meant:\n  \
         0..11 (line 1, column 1: [Hello world]. Hello world.\\n): `suffix: \". Hello\"`\n  \
         13..24 (line 1, column 14: Hello world. [Hello world].\\n): `prefix: \"world. \"`"
    );
    assert!(
        help.starts_with("add the `prefix:` or `suffix:` shown beside the one you mean"),
        "{help}"
    );
}
