//! One or more fixtures for every finding code: each feeds a broken
//! workspace to `annot validate --format json` and asserts the exact code,
//! file, line, column and exit status.

mod common;
use common::*;

const A: &str = "annotations/a.yaml";

#[test]
fn clean_workspace_passes() {
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - {id: a1, kind: claim, quote: cat sat, start: 4, end: 11}\n",
    );
    ws.write(
        "annotations/entities.yaml",
        "annotations:\n  - id: e1\n    kind: entity\n    attrs: {type: animal}\n",
    );
    let run = ws.validate();
    assert_findings(&run, 0, &[]);
    assert_eq!(
        run.json()["checked"],
        serde_json::json!({"files": 2, "sources": 1, "annotations": 2})
    );
}

#[test]
fn yaml_syntax() {
    let ws = Ws::new();
    ws.write(A, "annotations:\n  - id: a1\n    kind: [claim\n");
    assert_findings(&ws.validate(), 1, &[("yaml-syntax", A, 3, 11)]);
}

#[test]
fn yaml_syntax_for_non_utf8_annotation_file() {
    let ws = Ws::new();
    ws.write(A, b"annotations:\n  - id: a\xe91\n".as_slice());
    let run = ws.validate();
    assert_findings(&run, 1, &[("yaml-syntax", A, 2, 10)]);
    let json = run.json();
    let finding = &json["findings"][0];
    assert_eq!(
        finding["message"],
        "the file is not valid UTF-8: byte 0xe9 at byte offset 22"
    );
    assert_eq!(
        finding["help"],
        "annotation files are UTF-8 text: save the file as UTF-8 in your editor (or convert it with `iconv -t UTF-8`)"
    );
}

#[test]
fn yaml_unsupported_anchor() {
    let ws = Ws::new();
    ws.write(A, "annotations:\n  - &x {id: a1, kind: note}\n");
    assert_findings(&ws.validate(), 1, &[("yaml-unsupported", A, 2, 5)]);
}

#[test]
fn yaml_unsupported_alias() {
    // An alias needs an anchor first; the anchor is what is refused.
    let ws = Ws::new();
    ws.write(
        A,
        "annotations:\n  - id: a1\n    kind: &k note\n  - id: a2\n    kind: *k\n",
    );
    assert_findings(&ws.validate(), 1, &[("yaml-unsupported", A, 3, 11)]);
}

#[test]
fn yaml_unsupported_tag() {
    let ws = Ws::new();
    ws.write(A, "annotations:\n  - id: a1\n    kind: !!str note\n");
    assert_findings(&ws.validate(), 1, &[("yaml-unsupported", A, 3, 11)]);
}

#[test]
fn yaml_unsupported_custom_tag() {
    let ws = Ws::new();
    ws.write(A, "annotations:\n  - !include other.yaml\n");
    assert_findings(&ws.validate(), 1, &[("yaml-unsupported", A, 2, 5)]);
}

#[test]
fn yaml_unsupported_several_documents() {
    let ws = Ws::new();
    ws.write(A, "annotations: []\n---\nannotations: []\n");
    let run = ws.validate();
    assert_eq!(run.findings()[0].0, "yaml-unsupported", "{}", run.stdout);
    assert_eq!(run.status, 1);
}

#[test]
fn yaml_limit_deep_nesting() {
    let ws = Ws::new();
    let deep = format!(
        "annotations:\n  - id: a1\n    kind: note\n    attrs: {{x: {}1{}}}\n",
        "[".repeat(100),
        "]".repeat(100)
    );
    ws.write(A, deep);
    let run = ws.validate();
    assert_eq!(run.findings()[0].0, "yaml-limit", "{}", run.stdout);
    assert_eq!(run.findings()[0].2, 4);
    assert_eq!(run.status, 1);
}

#[test]
fn yaml_limit_alias_bomb_fails_fast() {
    let ws = Ws::new();
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
    for i in 0..9 {
        bomb.push_str(&format!(
            "{}: &{} [*{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}]\n",
            (b'b' + i) as char,
            (b'b' + i) as char,
            (b'a' + i) as char,
            (b'a' + i) as char,
            (b'a' + i) as char,
            (b'a' + i) as char,
            (b'a' + i) as char,
            (b'a' + i) as char,
            (b'a' + i) as char,
            (b'a' + i) as char,
            (b'a' + i) as char
        ));
    }
    ws.write(A, bomb);
    assert_findings(&ws.validate(), 1, &[("yaml-unsupported", A, 1, 4)]);
}

#[test]
fn schema_unknown_field_with_hint() {
    let ws = Ws::new();
    ws.annotations(A, "  - id: a1\n    kind: claim\n    qoute: cat sat\n");
    let run = ws.validate();
    assert_findings(&run, 1, &[("schema", A, 6, 5)]);
    let finding = &run.json()["findings"][0];
    assert_eq!(finding["id"], "a1");
    assert!(finding["help"]
        .as_str()
        .unwrap()
        .starts_with("did you mean `quote`?"));
}

#[test]
fn schema_missing_required_fields() {
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - id: a1\n    quote: cat sat\n    start: 4\n    end: 11\n",
    );
    assert_findings(&ws.validate(), 1, &[("schema", A, 4, 5)]);
}

#[test]
fn schema_wrong_types() {
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - id: a1\n    kind: claim\n    quote: cat sat\n    start: \"4\"\n    end: 11.0\n",
    );
    assert_findings(
        &ws.validate(),
        1,
        &[("schema", A, 7, 12), ("schema", A, 8, 10)],
    );
}

#[test]
fn schema_negative_offset() {
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - {id: a1, kind: claim, quote: cat sat, start: -4, end: 11}\n",
    );
    assert_findings(&ws.validate(), 1, &[("schema", A, 4, 50)]);
}

#[test]
fn schema_start_without_end() {
    let ws = Ws::new();
    ws.annotations(A, "  - {id: a1, kind: claim, quote: cat sat, start: 4}\n");
    assert_findings(&ws.validate(), 1, &[("schema", A, 4, 43)]);
}

#[test]
fn schema_sha256_without_source() {
    let ws = Ws::new();
    ws.write(
        A,
        format!("sha256: {}\nannotations: []\n", sha256(SEED.as_bytes())),
    );
    assert_findings(&ws.validate(), 1, &[("schema", A, 1, 1)]);
}

#[test]
fn schema_bad_sha256() {
    let ws = Ws::new();
    ws.write(
        A,
        format!(
            "source: {SEED_PATH}\nsha256: {}\nannotations: []\n",
            sha256(SEED.as_bytes()).to_uppercase()
        ),
    );
    assert_findings(&ws.validate(), 1, &[("schema", A, 2, 9)]);
}

#[test]
fn schema_quote_in_sourceless_file() {
    let ws = Ws::new();
    ws.write(
        A,
        "annotations:\n  - id: e1\n    kind: entity\n    quote: cat\n",
    );
    assert_findings(&ws.validate(), 1, &[("schema", A, 4, 5)]);
}

#[test]
fn schema_bad_id() {
    let ws = Ws::new();
    ws.write(A, "annotations:\n  - id: \"-bad id\"\n    kind: note\n");
    assert_findings(&ws.validate(), 1, &[("schema", A, 2, 9)]);
}

#[test]
fn schema_empty_file() {
    let ws = Ws::new();
    ws.write(A, "# nothing yet\n");
    assert_findings(&ws.validate(), 1, &[("schema", A, 1, 1)]);
}

#[test]
fn schema_link_shape() {
    let ws = Ws::new();
    ws.write(
        A,
        "annotations:\n  - id: e1\n    kind: entity\n    links:\n      - {rel: about, to: e1}\n",
    );
    // `to` is unknown (did you mean target?) and `target` is missing.
    assert_findings(
        &ws.validate(),
        1,
        &[("schema", A, 5, 9), ("schema", A, 5, 22)],
    );
}

#[test]
fn duplicate_id_shows_both_places() {
    let ws = Ws::new();
    ws.write(
        "annotations/b.yaml",
        "annotations:\n  - {id: e1, kind: entity}\n",
    );
    ws.write(
        "annotations/c.yaml",
        "annotations:\n  - {id: e2, kind: entity}\n  - {id: e1, kind: entity}\n",
    );
    let run = ws.validate();
    // Neither file is blamed alone: each definition names the other.
    assert_findings(
        &run,
        1,
        &[
            ("duplicate-id", "annotations/b.yaml", 2, 10),
            ("duplicate-id", "annotations/c.yaml", 3, 10),
        ],
    );
    let json = run.json();
    let messages: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        [
            "id `e1` is also defined in annotations/c.yaml:3",
            "id `e1` is also defined in annotations/b.yaml:2",
        ]
    );
}

#[test]
fn unknown_kind() {
    let ws = Ws::new();
    ws.write(A, "annotations:\n  - {id: e1, kind: entty}\n");
    let run = ws.validate();
    assert_findings(&run, 1, &[("unknown-kind", A, 2, 20)]);
    assert!(run.json()["findings"][0]["help"]
        .as_str()
        .unwrap()
        .starts_with("did you mean `entity`?"));
}

#[test]
fn unknown_rel() {
    let ws = Ws::new();
    ws.annotations(A, "  - {id: a1, kind: claim, quote: cat sat, start: 4, end: 11, links: [{rel: abut, target: e1}]}\n");
    ws.write(
        "annotations/e.yaml",
        "annotations:\n  - {id: e1, kind: entity}\n",
    );
    assert_findings(&ws.validate(), 1, &[("unknown-rel", A, 4, 76)]);
}

#[test]
fn unknown_attr() {
    let ws = Ws::new();
    ws.annotations(A, "  - id: a1\n    kind: claim\n    quote: cat sat\n    start: 4\n    end: 11\n    attrs: {topik: animals}\n");
    assert_findings(&ws.validate(), 1, &[("unknown-attr", A, 9, 13)]);
}

#[test]
fn attr_value_not_allowed_and_wrong_type() {
    let ws = Ws::new();
    ws.annotations(A, "  - id: a1\n    kind: claim\n    quote: cat sat\n    start: 4\n    end: 11\n    attrs: {topic: cars, figure: \"12\"}\n");
    assert_findings(
        &ws.validate(),
        1,
        &[("attr-value", A, 9, 20), ("attr-value", A, 9, 34)],
    );
}

#[test]
fn kind_anchoring_anchored_kind_without_source() {
    let ws = Ws::new();
    ws.write(A, "annotations:\n  - {id: c1, kind: claim}\n");
    assert_findings(&ws.validate(), 1, &[("kind-anchoring", A, 2, 20)]);
}

#[test]
fn kind_anchoring_unanchored_kind_in_source_file() {
    let ws = Ws::new();
    ws.annotations(A, "  - {id: e1, kind: entity}\n");
    assert_findings(&ws.validate(), 1, &[("kind-anchoring", A, 4, 20)]);
}

#[test]
fn kind_anchoring_claim_without_quote() {
    let ws = Ws::new();
    ws.annotations(A, "  - {id: a1, kind: claim}\n");
    assert_findings(&ws.validate(), 1, &[("kind-anchoring", A, 4, 20)]);
}

#[test]
fn rel_constraint() {
    let ws = Ws::new();
    ws.annotations(A, "  - {id: a1, kind: claim, quote: cat sat, start: 4, end: 11, links: [{rel: about, target: a2}]}\n  - {id: a2, kind: claim, quote: mat, start: 19, end: 22}\n");
    assert_findings(&ws.validate(), 1, &[("rel-constraint", A, 4, 76)]);
}

#[test]
fn symmetric_relation_accepts_either_direction() {
    let ws = Ws::new();
    ws.annotations(A, "  - {id: a1, kind: claim, quote: cat sat, start: 4, end: 11, links: [{rel: contradicts, target: a2}]}\n  - {id: a2, kind: claim, quote: mat, start: 19, end: 22}\n");
    assert_findings(&ws.validate(), 0, &[]);
}

#[test]
fn dangling_link() {
    let ws = Ws::new();
    ws.annotations(A, "  - id: a1\n    kind: claim\n    quote: cat sat\n    start: 4\n    end: 11\n    links:\n      - rel: about\n        target: e9\n");
    assert_findings(&ws.validate(), 1, &[("dangling-link", A, 11, 17)]);
}

#[test]
fn dangling_link_to_a_very_long_id_gets_its_hint_at_once() {
    // A hostile file: three links whose targets are 100,000-character ids
    // one character off the real one. The hint is found in linear time.
    let ws = Ws::new();
    let long = format!("e{}", "x".repeat(100_000));
    let mut body = format!("  - {{id: {long}, kind: entity}}\n");
    ws.write("annotations/entities.yaml", format!("annotations:\n{body}"));
    body = String::from(
        "  - id: a1\n    kind: claim\n    quote: cat sat\n    start: 4\n    end: 11\n    links:\n",
    );
    for tail in ["y", "z", "w"] {
        body.push_str(&format!("      - {{rel: about, target: {long}{tail}}}\n"));
    }
    ws.annotations(A, &body);
    let run = ws.validate();
    assert_findings(
        &run,
        1,
        &[
            ("dangling-link", A, 10, 30),
            ("dangling-link", A, 11, 30),
            ("dangling-link", A, 12, 30),
        ],
    );
    // Neither name is printed whole: where they differ is.
    let json = run.json();
    assert_eq!(
        json["findings"][0]["message"],
        "link target `exxxxxxxxxxxxxxxxxxxxxxx…xxxxxxxxxxxxxxxxxxxxxxxy` (100002 characters) does not exist in any annotation file"
    );
    assert_eq!(
        json["findings"][0]["help"],
        "did you mean the id of 100001 characters that differs from the target only at character 100002: `…xxxxxxxxxxxx` where the target has `…xxxxxxxxxxxxy`? a target is the `id` of an annotation anywhere in the workspace"
    );
}

#[test]
fn links_into_an_unreadable_file_are_not_reported_as_dangling() {
    // One syntax error in the entity file: one finding, not one per link
    // into it with hints at other ids.
    let ws = Ws::new();
    ws.write(
        "annotations/entities.yaml",
        "annotations:\n  - {id: e1, kind: entity}\n  - id: e2\n\tkind: entity\n",
    );
    ws.annotations(A, "  - id: a1\n    kind: claim\n    quote: cat sat\n    start: 4\n    end: 11\n    links:\n      - rel: about\n        target: e1\n");
    let run = ws.validate();
    assert_findings(
        &run,
        1,
        &[("yaml-syntax", "annotations/entities.yaml", 4, 1)],
    );
    let json = run.json();
    let notices: Vec<&str> = json["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        notices.contains(&"1 link(s) to ids not found were not reported: annotations/entities.yaml could not be read, and the ids may be defined there; fix it and run again"),
        "{notices:?}"
    );
}

#[test]
fn vocabulary_missing() {
    let ws = Ws::new();
    std::fs::remove_file(ws.path().join("schema/vocabulary.yaml")).unwrap();
    assert_findings(
        &ws.validate(),
        1,
        &[("vocabulary", "schema/vocabulary.yaml", 1, 1)],
    );
}

#[test]
fn vocabulary_relation_names_undeclared_kind() {
    let ws = Ws::new();
    ws.write(
        "schema/vocabulary.yaml",
        "kinds:\n  claim: {anchored: true}\nrelations:\n  about: {from: [claim], to: [entty]}\n",
    );
    assert_findings(
        &ws.validate(),
        1,
        &[("vocabulary", "schema/vocabulary.yaml", 4, 31)],
    );
}

#[test]
fn vocabulary_structure_is_schema() {
    let ws = Ws::new();
    ws.write(
        "schema/vocabulary.yaml",
        "kinds:\n  claim: {anchored: maybe, colour: red}\n",
    );
    assert_findings(
        &ws.validate(),
        1,
        &[
            ("schema", "schema/vocabulary.yaml", 2, 21),
            ("schema", "schema/vocabulary.yaml", 2, 28),
        ],
    );
}

#[test]
fn metadata_problems() {
    let ws = Ws::new();
    ws.write(
        "seeds/sources.yaml",
        "seeds/a.txt:\n  language: polish language\n  published: 2025-02-30\n  derived_from: seeds/a.txt\nseeds/b.txt:\n  publisher: X\n",
    );
    assert_findings(
        &ws.validate(),
        1,
        &[
            ("metadata", "seeds/sources.yaml", 2, 13),
            ("metadata", "seeds/sources.yaml", 3, 14),
            ("metadata", "seeds/sources.yaml", 4, 17),
            ("metadata", "seeds/sources.yaml", 5, 1),
        ],
    );
}

#[test]
fn metadata_of_a_renamed_seed_points_at_the_seed_it_does_not_describe() {
    let ws = Ws::new();
    ws.write("seeds/b.txt", "Another report.\n");
    ws.write(
        "seeds/sources.yaml",
        "seeds/old-name.txt:\n  publisher: X\nseeds/b.txt:\n  publisher: Y\n",
    );
    let run = ws.validate();
    assert_findings(&run, 1, &[("metadata", "seeds/sources.yaml", 1, 1)]);
    assert_eq!(
        run.json()["findings"][0]["help"],
        "seeds/a.txt is the one seed this file does not describe: if the seed was renamed, write `seeds/a.txt:` here"
    );
}

#[test]
fn a_field_indented_under_a_quoted_value_is_named() {
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - id: a1\n    kind: claim\n    quote: \"cat sat\"\n      start: 4\n    end: 11\n",
    );
    let run = ws.validate();
    assert_findings(&run, 1, &[("yaml-syntax", A, 7, 7)]);
    let json = run.json();
    assert_eq!(
        json["findings"][0]["message"],
        "`start` is indented deeper than `quote` above it, where YAML expects the next field of the same mapping"
    );
    assert_eq!(
        json["findings"][0]["help"],
        "indent `start` to the same column as `quote` (column 5); a field goes further in only under a key that ends its line with `:`"
    );
}

#[test]
fn a_control_character_is_named_where_it_is() {
    let ws = Ws::new();
    ws.write(A, "source: seeds/a\x1b[31m.txt\nannotations: []\n");
    let run = ws.validate();
    assert_findings(&run, 1, &[("yaml-syntax", A, 1, 16)]);
    let json = run.json();
    assert_eq!(
        json["findings"][0]["message"],
        "a control character, U+001B, which YAML does not allow in a file"
    );
    assert_eq!(
        json["findings"][0]["help"],
        "remove it; to keep it in a value, write it as `\\x1b` inside double quotes"
    );
}

#[test]
fn metadata_unknown_field_is_schema() {
    let ws = Ws::new();
    ws.write("seeds/sources.yaml", "seeds/a.txt:\n  publsher: X\n");
    assert_findings(&ws.validate(), 1, &[("schema", "seeds/sources.yaml", 2, 3)]);
}

#[cfg(unix)]
#[test]
fn file_outside_workspace() {
    let ws = Ws::new();
    let outside = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(outside.path(), "annotations: []\n").unwrap();
    std::os::unix::fs::symlink(outside.path(), ws.path().join("annotations/link.yaml")).unwrap();
    assert_findings(
        &ws.validate(),
        1,
        &[("file-outside-workspace", "annotations/link.yaml", 1, 1)],
    );
}

#[test]
fn source_missing_points_at_the_seed_with_the_pinned_text() {
    // The seed was renamed; another seed has the closer name but other text.
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - {id: a1, kind: claim, quote: cat sat, start: 4, end: 11}\n",
    );
    std::fs::rename(ws.path().join(SEED_PATH), ws.path().join("seeds/upi.txt")).unwrap();
    ws.write("seeds/b.txt", "Another report.\n");
    let run = ws.validate();
    assert_findings(&run, 1, &[("source-missing", A, 1, 9)]);
    assert_eq!(
        run.json()["findings"][0]["help"],
        format!(
            "seeds/upi.txt has exactly the pinned text (sha256 {}): if the seed was renamed, write `source: seeds/upi.txt`",
            sha256(SEED.as_bytes())
        )
    );
    // Without a seed of that text, the closest name, said not to be the pin.
    std::fs::remove_file(ws.path().join("seeds/upi.txt")).unwrap();
    let run = ws.validate();
    assert_findings(&run, 1, &[("source-missing", A, 1, 9)]);
    assert_eq!(
        run.json()["findings"][0]["help"],
        "did you mean `seeds/b.txt`? (its text is not the pinned version)"
    );
}

#[test]
fn source_missing_with_hint() {
    let ws = Ws::new();
    ws.write(A, "source: seeds/b.txt\nannotations: []\n");
    let run = ws.validate();
    assert_findings(&run, 1, &[("source-missing", A, 1, 9)]);
    assert_eq!(
        run.json()["findings"][0]["help"],
        "did you mean `seeds/a.txt`?"
    );
}

#[test]
fn source_outside_seeds_by_dot_dot() {
    let ws = Ws::new();
    ws.write(
        A,
        "source: seeds/../schema/vocabulary.yaml\nannotations: []\n",
    );
    assert_findings(&ws.validate(), 1, &[("source-outside-seeds", A, 1, 9)]);
}

#[test]
fn source_outside_seeds_absolute() {
    let ws = Ws::new();
    ws.write(A, "source: /etc/passwd\nannotations: []\n");
    assert_findings(&ws.validate(), 1, &[("source-outside-seeds", A, 1, 9)]);
}

#[cfg(unix)]
#[test]
fn source_outside_seeds_by_symlink() {
    let ws = Ws::new();
    std::os::unix::fs::symlink("/etc/hostname", ws.path().join("seeds/host.txt")).unwrap();
    ws.write(A, "source: seeds/host.txt\nannotations: []\n");
    assert_findings(&ws.validate(), 1, &[("source-outside-seeds", A, 1, 9)]);
}

#[test]
fn source_not_utf8_names_the_byte() {
    let ws = Ws::new();
    ws.write("seeds/latin1.txt", b"caf\xe9\n".as_slice());
    ws.write(A, "source: seeds/latin1.txt\nannotations: []\n");
    let run = ws.validate();
    assert_findings(&run, 1, &[("source-not-utf8", A, 1, 9)]);
    assert!(run.json()["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("byte 0xe9 at byte offset 3"));
}

#[test]
fn span_range_start_not_before_end() {
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - {id: a1, kind: claim, quote: cat sat, start: 11, end: 4}\n",
    );
    assert_findings(&ws.validate(), 1, &[("span-range", A, 4, 50)]);
}

#[test]
fn span_range_beyond_text() {
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - {id: a1, kind: claim, quote: cat sat, start: 4, end: 79}\n",
    );
    assert_findings(&ws.validate(), 1, &[("span-range", A, 4, 58)]);
}

#[test]
fn span_at_very_end_is_in_range() {
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - {id: a1, kind: claim, quote: \" here.\\n\", start: 71, end: 78}\n",
    );
    assert_findings(&ws.validate(), 0, &[]);
}

#[test]
fn quote_mismatch_says_where_the_quote_is() {
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - id: a1\n    kind: claim\n    quote: Zażółć\n    start: 38\n    end: 44\n",
    );
    let run = ws.validate();
    assert_findings(&run, 1, &[("quote-mismatch", A, 6, 12)]);
    assert_eq!(
        run.json()["findings"][0]["help"],
        "the quote occurs once, at 37..43: set `start: 37` and `end: 43`"
    );
}

#[test]
fn quote_mismatch_names_a_punctuation_difference() {
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - {id: a1, kind: claim, quote: '\"quoted\"', start: 57, end: 65}\n",
    );
    let run = ws.validate();
    assert_findings(&run, 1, &[("quote-mismatch", A, 4, 34)]);
    let message = run.json()["findings"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("differ only in quote marks, apostrophes or dashes"),
        "{message}"
    );
}

#[test]
fn quote_mismatch_with_offsets_off_by_one_says_so_not_whitespace() {
    // " cat sat" differs from the quote only in a space, but the fix is the
    // offsets, not the quote.
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - {id: a1, kind: claim, quote: cat sat, start: 3, end: 11}\n",
    );
    let run = ws.validate();
    assert_findings(&run, 1, &[("quote-mismatch", A, 4, 34)]);
    let json = run.json();
    assert_eq!(
        json["findings"][0]["message"],
        "the text at 3..11 is \" cat sat\", not the quote (the offsets are off: the quote is at 4..11)"
    );
    assert_eq!(
        json["findings"][0]["help"],
        "the quote occurs once, at 4..11: set `start: 4` and `end: 11`"
    );
}

/// A seed with an emoji (two UTF-16 units) and Polish letters (two bytes).
const EMOJI_SEED: &str = "Kto 😀 powiedział: „Zażółć gęślą”.\n";

fn emoji_workspace(start: u32, end: u32) -> Ws {
    let ws = Ws::new();
    ws.write("seeds/e.txt", EMOJI_SEED);
    ws.write(
        A,
        format!(
            "source: seeds/e.txt\nsha256: {}\nannotations:\n  - {{id: a1, kind: claim, quote: Zażółć gęślą, start: {start}, end: {end}}}\n",
            sha256(EMOJI_SEED.as_bytes())
        ),
    );
    ws
}

#[test]
fn offsets_in_utf8_bytes_are_recognised() {
    let run = emoji_workspace(25, 44).validate();
    assert_findings(&run, 1, &[("span-range", A, 4, 64)]);
    assert_eq!(
        run.json()["findings"][0]["help"],
        "25..44 are the quote's UTF-8 byte offsets; annot counts Unicode code points: set `start: 19` and `end: 31`"
    );
}

#[test]
fn offsets_in_utf16_units_are_recognised() {
    let run = emoji_workspace(20, 32).validate();
    assert_findings(&run, 1, &[("quote-mismatch", A, 4, 34)]);
    assert_eq!(
        run.json()["findings"][0]["help"],
        "20..32 are the quote's UTF-16 offsets (as JavaScript counts); annot counts Unicode code points: set `start: 19` and `end: 31`"
    );
    assert!(emoji_workspace(19, 31).validate().findings().is_empty());
}

#[test]
fn offsets_count_code_points_not_bytes() {
    let ws = Ws::new();
    // Byte offsets of "quoted" would be far larger; code points are 57..65.
    ws.annotations(
        A,
        "  - {id: a1, kind: claim, quote: \"“quoted”\", start: 57, end: 65}\n",
    );
    assert_findings(&ws.validate(), 0, &[]);
}

#[test]
fn context_mismatch_prefix_and_suffix() {
    let ws = Ws::new();
    ws.annotations(A, "  - id: a1\n    kind: claim\n    quote: cat sat\n    start: 4\n    end: 11\n    prefix: \"A \"\n    suffix: \" in\"\n");
    assert_findings(
        &ws.validate(),
        1,
        &[
            ("context-mismatch", A, 9, 13),
            ("context-mismatch", A, 10, 13),
        ],
    );
}

#[test]
fn context_longer_than_the_text_before() {
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - {id: a1, kind: claim, quote: cat sat, start: 4, end: 11, prefix: \"Once, The \"}\n",
    );
    assert_findings(&ws.validate(), 1, &[("context-mismatch", A, 4, 70)]);
}

#[test]
fn unanchored_quote_without_offsets() {
    let ws = Ws::new();
    ws.annotations(A, "  - {id: a1, kind: claim, quote: cat sat}\n");
    let run = ws.validate();
    assert_findings(&run, 1, &[("unanchored", A, 4, 34)]);
    assert!(run.json()["findings"][0]["help"]
        .as_str()
        .unwrap()
        .contains("annot anchor"));
}

#[test]
fn unanchored_file_without_pin() {
    let ws = Ws::new();
    ws.write(A, format!("source: {SEED_PATH}\nannotations: []\n"));
    assert_findings(&ws.validate(), 1, &[("unanchored", A, 1, 9)]);
}

#[test]
fn pin_mismatch_when_the_source_changed() {
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - {id: a1, kind: claim, quote: cat sat, start: 4, end: 11}\n",
    );
    ws.write(SEED_PATH, format!("Now: {SEED}"));
    let run = ws.validate();
    assert_findings(&run, 1, &[("pin-mismatch", A, 2, 9)]);
    assert!(run.json()["findings"][0]["help"]
        .as_str()
        .unwrap()
        .contains("annot reanchor --write"));
}

#[test]
fn drift_unresolved() {
    let ws = Ws::new();
    let old = sha256(b"old");
    ws.annotations(
        A,
        &format!("  - id: a1\n    kind: claim\n    quote: cat sat\n    start: 4\n    end: 11\n    drift: {{status: edited, from_sha256: {old}, old_start: 1, old_end: 8, old_quote: cat sits}}\n"),
    );
    assert_findings(&ws.validate(), 1, &[("drift-unresolved", A, 9, 12)]);
}

/// An annotation on the default seed whose `drift:` ends with `extra`.
fn drifted(status: &str, extra: &str) -> Ws {
    let ws = Ws::new();
    let old = sha256(b"old");
    ws.annotations(
        A,
        &format!("  - id: a1\n    kind: claim\n    quote: cat sat\n    start: 4\n    end: 11\n    drift: {{status: {status}, from_sha256: {old}, old_start: 1, old_end: 8, old_quote: cat sits{extra}}}\n"),
    );
    ws
}

fn first_help(run: &Run) -> (String, String) {
    let f = &run.json()["findings"][0];
    (
        f["message"].as_str().unwrap().to_string(),
        f["help"].as_str().unwrap().to_string(),
    )
}

#[test]
fn drift_unresolved_shows_the_proposal_and_how_to_accept_it() {
    let ws = drifted(
        "edited",
        ", new_start: 4, new_end: 11, new_quote: cat sat, confidence: 1, reason: punctuation",
    );
    let run = ws.validate();
    assert_findings(&run, 1, &[("drift-unresolved", A, 9, 12)]);
    let (message, help) = first_help(&run);
    assert!(
        message.ends_with("proposed: 4..11 \"cat sat\" (confidence 1.00, only punctuation)"),
        "{message}"
    );
    assert!(help.contains("annot reanchor --accept a1"), "{help}");
}

#[test]
fn drift_unresolved_says_when_the_proposal_no_longer_matches() {
    let ws = drifted(
        "edited",
        ", new_start: 4, new_end: 12, new_quote: cat sat, confidence: 0.8",
    );
    let run = ws.validate();
    assert_findings(&run, 1, &[("drift-unresolved", A, 9, 12)]);
    let (_, help) = first_help(&run);
    assert!(
        help.starts_with(
            "the proposal no longer matches the source: its text at 4..12 is now \"cat sat \""
        ),
        "{help}"
    );
}

#[test]
fn drift_unresolved_without_a_proposal_says_what_to_do() {
    let run = drifted("deleted", "").validate();
    assert_findings(&run, 1, &[("drift-unresolved", A, 9, 12)]);
    assert!(first_help(&run).1.starts_with("there is no proposal"));
    let run = drifted(
        "ambiguous",
        ", candidates: [{start: 4, end: 11}, {start: 24, end: 31}]",
    )
    .validate();
    assert_findings(&run, 1, &[("drift-unresolved", A, 9, 12)]);
    assert!(first_help(&run).1.contains("(4..11, 24..31)"));
}

#[test]
fn drift_proposal_with_a_missing_field() {
    let run = drifted(
        "edited",
        ", new_start: 4, new_quote: cat sat, confidence: 0.5",
    )
    .validate();
    assert_findings(&run, 1, &[("schema", A, 9, 155)]);
    assert!(first_help(&run).0.contains("but not `new_end`"));
}

#[test]
fn drift_confidence_outside_zero_to_one() {
    let run = drifted(
        "edited",
        ", new_start: 4, new_end: 11, new_quote: cat sat, confidence: 1.5",
    )
    .validate();
    assert_findings(&run, 1, &[("schema", A, 9, 214)]);
}

#[test]
fn drift_reason_unknown() {
    let run = drifted(
        "edited",
        ", new_start: 4, new_end: 11, new_quote: cat sat, confidence: 0.5, reason: typo",
    )
    .validate();
    assert_findings(&run, 1, &[("schema", A, 9, 227)]);
}

#[test]
fn drift_proposal_on_deleted() {
    let run = drifted(
        "deleted",
        ", new_start: 4, new_end: 11, new_quote: cat sat, confidence: 0.5",
    )
    .validate();
    assert_findings(&run, 1, &[("schema", A, 9, 156)]);
}

#[test]
fn drift_candidates_on_edited() {
    let run = drifted("edited", ", candidates: [{start: 4, end: 11}]").validate();
    assert_findings(&run, 1, &[("schema", A, 9, 155)]);
}

#[test]
fn ambiguous_quote_is_a_warning() {
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - {id: a1, kind: claim, quote: cat, start: 4, end: 7}\n",
    );
    assert_findings(&ws.validate(), 0, &[("ambiguous-quote", A, 4, 34)]);
    let denied = ws.run(&["validate", "--format", "json", "--deny-warnings"]);
    assert_eq!(denied.status, 1);
}

#[test]
fn context_resolves_ambiguity() {
    let ws = Ws::new();
    ws.annotations(A, "  - {id: a1, kind: claim, quote: cat, start: 28, end: 31, prefix: \"The \", suffix: \" ran\"}\n");
    assert_findings(&ws.validate(), 0, &[]);
}

#[test]
fn span_splits_grapheme() {
    let ws = Ws::new();
    // "cafe" without its combining accent (which is code point 70).
    ws.annotations(
        A,
        "  - {id: a1, kind: claim, quote: cafe, start: 66, end: 70}\n",
    );
    assert_findings(&ws.validate(), 0, &[("span-splits-grapheme", A, 4, 56)]);
}

#[test]
fn eol_unprotected() {
    let ws = Ws::new();
    std::fs::remove_file(ws.path().join(".gitattributes")).unwrap();
    ws.annotations(
        A,
        "  - {id: a1, kind: claim, quote: cat sat, start: 4, end: 11}\n",
    );
    assert_findings(
        &ws.validate(),
        0,
        &[("eol-unprotected", ".gitattributes", 1, 1)],
    );
}

#[test]
fn bom_counts_as_a_character() {
    let ws = Ws::new();
    ws.write("seeds/bom.txt", "\u{feff}Hello");
    ws.write(
        A,
        format!("source: seeds/bom.txt\nsha256: {}\nannotations:\n  - {{id: a1, kind: claim, quote: Hello, start: 1, end: 6}}\n", sha256("\u{feff}Hello".as_bytes())),
    );
    assert_findings(&ws.validate(), 0, &[]);
}

#[test]
fn crlf_is_not_normalised() {
    let ws = Ws::new();
    let text = "one\r\ntwo\r\n";
    ws.write("seeds/crlf.txt", text);
    ws.write(
        A,
        format!("source: seeds/crlf.txt\nsha256: {}\nannotations:\n  - {{id: a1, kind: claim, quote: two, start: 5, end: 8}}\n", sha256(text.as_bytes())),
    );
    assert_findings(&ws.validate(), 0, &[]);
}

#[test]
fn exit_2_outside_a_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_annot"))
        .arg("validate")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no annot workspace found"), "{stderr}");
    assert!(stderr.contains("annot init"), "{stderr}");
}

#[test]
fn exit_2_on_bad_arguments() {
    let ws = Ws::new();
    assert_eq!(ws.run(&["validate", "--format", "xml"]).status, 2);
    assert_eq!(ws.run(&["validate", "-C", "/nonexistent/dir"]).status, 2);
}

#[test]
fn dash_c_names_the_workspace() {
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - {id: a1, kind: claim, quote: cat sat, start: 4, end: 11}\n",
    );
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_annot"))
        .args([
            "-C",
            ws.path().to_str().unwrap(),
            "validate",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn workspace_found_from_a_subfolder() {
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - {id: a1, kind: claim, quote: cat sat, start: 4, end: 11}\n",
    );
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_annot"))
        .args(["validate", "--format", "json"])
        .current_dir(ws.path().join("seeds"))
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn github_format_escapes_and_locates() {
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - {id: a1, kind: claim, quote: cat sat, start: 5, end: 12}\n",
    );
    let run = ws.run(&["validate", "--format", "github"]);
    assert_eq!(run.status, 1);
    let mut lines = run.stdout.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("::notice title=annot::not a git repository"),
        "{}",
        run.stdout
    );
    let first = lines.next().unwrap();
    assert!(
        first.starts_with(
            "::error file=annotations/a.yaml,line=4,col=34,title=annot quote-mismatch (a1)::"
        ),
        "{first}"
    );
    assert!(run.stdout.lines().last().unwrap().contains("1 error"));
}

#[cfg(unix)]
#[test]
fn seeds_folder_linked_outside_is_refused() {
    let ws = Ws::new();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "secret").unwrap();
    std::fs::remove_dir_all(ws.path().join("seeds")).unwrap();
    std::os::unix::fs::symlink(outside.path(), ws.path().join("seeds")).unwrap();
    ws.write(A, "source: seeds/secret.txt\nannotations: []\n");
    let run = ws.validate();
    assert_findings(&run, 1, &[("source-outside-seeds", A, 1, 9)]);
    assert!(!run.stdout.contains("\"secret\""), "{}", run.stdout);
}

#[cfg(unix)]
#[test]
fn annotations_folder_linked_outside_is_not_read() {
    let ws = Ws::new();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("x.yaml"), "password: hunter2: [\n").unwrap();
    std::fs::remove_dir_all(ws.path().join("annotations")).unwrap();
    std::os::unix::fs::symlink(outside.path(), ws.path().join("annotations")).unwrap();
    let run = ws.validate();
    assert_findings(&run, 1, &[("file-outside-workspace", "annotations", 1, 1)]);
    assert!(!run.stdout.contains("hunter2"));
}

#[cfg(unix)]
#[test]
fn a_pipe_named_like_an_annotation_file_is_not_read() {
    let ws = Ws::new();
    let fifo = ws.path().join("annotations/pipe.yaml");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    assert_findings(
        &ws.validate(),
        1,
        &[("file-outside-workspace", "annotations/pipe.yaml", 1, 1)],
    );
}

#[test]
fn oversized_annotation_file_is_not_read() {
    let ws = Ws::new();
    let file = std::fs::File::create(ws.path().join(A)).unwrap();
    file.set_len(65 * 1024 * 1024).unwrap();
    assert_findings(&ws.validate(), 1, &[("yaml-limit", A, 1, 1)]);
}

#[test]
fn a_misspelt_required_field_is_one_finding() {
    let ws = Ws::new();
    ws.write(A, "annotation: []\n");
    let run = ws.validate();
    assert_findings(&run, 1, &[("schema", A, 1, 1)]);
    assert!(run.json()["findings"][0]["help"]
        .as_str()
        .unwrap()
        .starts_with("did you mean `annotations`?"));
}

#[test]
fn duplicate_mapping_key() {
    let ws = Ws::new();
    ws.write(
        A,
        "annotations:\n  - id: a1\n    kind: note\n    kind: claim\n",
    );
    assert_findings(&ws.validate(), 1, &[("yaml-syntax", A, 4, 5)]);
}

#[test]
fn byte_order_mark_in_an_annotation_file_is_fine() {
    let ws = Ws::new();
    ws.write(A, "\u{feff}annotations:\n  - {id: n1, kind: note}\n");
    assert_findings(&ws.validate(), 0, &[]);
}

#[test]
fn huge_and_fractional_offsets_are_schema_errors() {
    let ws = Ws::new();
    ws.annotations(A, "  - id: a1\n    kind: claim\n    quote: cat sat\n    start: 99999999999999999999999\n    end: 1e3\n");
    assert_findings(
        &ws.validate(),
        1,
        &[("schema", A, 7, 12), ("schema", A, 8, 10)],
    );
}

#[test]
fn top_level_list_is_a_schema_error() {
    let ws = Ws::new();
    ws.write(A, "- id: a1\n  kind: note\n");
    assert_findings(&ws.validate(), 1, &[("schema", A, 1, 1)]);
}

#[test]
fn tab_indentation_is_a_syntax_error() {
    let ws = Ws::new();
    ws.write(A, "annotations:\n\t- id: a1\n");
    let run = ws.validate();
    assert_eq!(run.findings()[0].0, "yaml-syntax", "{}", run.stdout);
    assert_eq!(run.findings()[0].2, 2);
}

#[test]
fn null_and_number_quotes_say_what_was_found() {
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - {id: a1, kind: claim, quote: ~}\n  - {id: a2, kind: claim, quote: 2024}\n",
    );
    let run = ws.validate();
    assert_findings(&run, 1, &[("schema", A, 4, 34), ("schema", A, 5, 34)]);
    let messages: Vec<String> = run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        messages,
        [
            "`quote` must be a string, found nothing (null)",
            "`quote` must be a string, found an integer"
        ]
    );
}
