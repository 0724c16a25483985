//! Common mistakes in annotation files, each fed to `annot validate
//! --format json`: one mistake gives one finding, at the place of the
//! mistake, and its message and help say in plain words what is wrong and
//! how to fix it.

mod common;
use common::*;

const A: &str = "annotations/a.yaml";

/// The message and help of the only finding.
fn words(run: &Run) -> (String, String) {
    let finding = &run.json()["findings"][0];
    (
        finding["message"].as_str().unwrap_or("").to_string(),
        finding["help"].as_str().unwrap_or("").to_string(),
    )
}

// YAML features annotation files refuse.

#[test]
fn a_merge_key_is_refused_like_an_alias() {
    let ws = Ws::new();
    ws.write(A, "annotations:\n  - id: e1\n    <<: {kind: entity}\n");
    let run = ws.validate();
    assert_findings(&run, 1, &[("yaml-unsupported", A, 3, 5)]);
    let (message, _) = words(&run);
    assert!(message.contains("merge keys (`<<`)"), "{message}");
}

// New files.

#[test]
fn a_new_file_with_an_empty_annotations_key_is_empty() {
    let ws = Ws::new();
    ws.annotations(A, "");
    assert!(ws.read(A).ends_with("annotations:\n"));
    let run = ws.validate();
    assert_findings(&run, 0, &[]);
    assert_eq!(run.json()["checked"]["annotations"], 0);
}

// Which files are annotation files.

#[test]
fn an_upper_case_yaml_ending_is_an_annotation_file() {
    let ws = Ws::new();
    ws.write(
        "annotations/b.YAML",
        "annotations:\n  - {id: e1, kind: entty}\n",
    );
    ws.write(
        "annotations/c.Yml",
        "annotations:\n  - {id: e2, kind: entity}\n",
    );
    let run = ws.validate();
    assert_findings(&run, 1, &[("unknown-kind", "annotations/b.YAML", 2, 20)]);
    assert_eq!(run.json()["checked"]["files"], 2);
}

#[test]
fn a_json_file_under_annotations_is_not_read_and_says_so() {
    let ws = Ws::new();
    ws.write("annotations/export.json", "{\"annotations\": []}\n");
    ws.write("annotations/notes.md", "notes for the team\n");
    let run = ws.validate();
    assert_findings(&run, 0, &[]);
    let json = run.json();
    let about_files: Vec<&str> = json["notices"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n.as_str())
        .filter(|n| n.contains("annotations/"))
        .collect();
    assert_eq!(
        about_files,
        ["annotations/export.json was not read: annotation files end in .yaml or .yml; rename it if it holds annotations"]
    );
}

#[test]
fn a_staged_json_file_under_annotations_is_noticed_too() {
    let ws = Ws::new();
    ws.write("annotations/export.json", "{\"annotations\": []}\n");
    ws.write(
        "annotations/b.YML",
        "annotations:\n  - {id: e1, kind: entty}\n",
    );
    git(ws.path(), &["init", "-q"]);
    git(ws.path(), &["add", "-A"]);
    let run = ws.run(&["validate", "--staged", "--format", "json"]);
    assert_findings(&run, 1, &[("unknown-kind", "annotations/b.YML", 2, 20)]);
    let json = run.json();
    assert!(
        json["notices"].as_array().unwrap().iter().any(|n| n
            .as_str()
            .unwrap_or("")
            .starts_with("annotations/export.json was not read")),
        "{json}"
    );
}

// One mistake, one finding.

#[test]
fn a_misspelt_quote_is_one_finding() {
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - id: a1\n    kind: claim\n    qoute: cat sat\n    start: 4\n    end: 11\n",
    );
    let run = ws.validate();
    assert_findings(&run, 1, &[("schema", A, 6, 5)]);
    let (message, help) = words(&run);
    assert_eq!(message, "unknown field `qoute` in an annotation");
    assert!(help.starts_with("did you mean `quote`?"), "{help}");
}

#[test]
fn a_misspelt_start_is_one_finding() {
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - id: a1\n    kind: claim\n    quote: cat sat\n    strat: 4\n    end: 11\n",
    );
    let run = ws.validate();
    assert_findings(&run, 1, &[("schema", A, 7, 5)]);
    assert!(words(&run).1.starts_with("did you mean `start`?"));
}

#[test]
fn a_misspelt_source_is_one_finding() {
    let ws = Ws::new();
    ws.write(
        A,
        format!(
            "sorce: {SEED_PATH}\nsha256: {}\nannotations:\n  - id: a1\n    kind: claim\n    quote: cat sat\n    start: 4\n    end: 11\n",
            sha256(SEED.as_bytes())
        ),
    );
    let run = ws.validate();
    assert_findings(&run, 1, &[("schema", A, 1, 1)]);
    assert!(words(&run).1.starts_with("did you mean `source`?"));
}

#[test]
fn an_unknown_kind_is_not_also_a_relation_problem() {
    let ws = Ws::new();
    ws.annotations(A, "  - {id: a1, kind: clam, quote: cat sat, start: 4, end: 11, links: [{rel: about, target: e1}]}\n");
    ws.write(
        "annotations/e.yaml",
        "annotations:\n  - {id: e1, kind: entity}\n",
    );
    assert_findings(&ws.validate(), 1, &[("unknown-kind", A, 4, 20)]);
}

#[test]
fn an_unknown_kind_of_a_link_target_is_not_also_a_relation_problem() {
    let ws = Ws::new();
    ws.annotations(A, "  - {id: a1, kind: claim, quote: cat sat, start: 4, end: 11, links: [{rel: about, target: e1}]}\n");
    ws.write(
        "annotations/e.yaml",
        "annotations:\n  - {id: e1, kind: entty}\n",
    );
    assert_findings(
        &ws.validate(),
        1,
        &[("unknown-kind", "annotations/e.yaml", 2, 20)],
    );
}

// YAML syntax, in plain words at the right place.

#[test]
fn a_tab_is_reported_on_its_own_line() {
    let ws = Ws::new();
    let mut body = String::new();
    for i in 0..13 {
        body.push_str(&format!("  - id: e{i}\n    kind: entity\n"));
    }
    // Line 30: the tab.
    body.push_str("  - id: e99\n\tkind: entity\n");
    ws.write(A, format!("# entities\nannotations:\n{body}"));
    assert_eq!(ws.read(A).lines().nth(29), Some("\tkind: entity"));
    let run = ws.validate();
    assert_findings(&run, 1, &[("yaml-syntax", A, 30, 1)]);
    let (message, help) = words(&run);
    assert!(message.contains("tab"), "{message}");
    assert!(help.contains("spaces"), "{help}");
}

#[test]
fn over_indentation_says_so() {
    let ws = Ws::new();
    ws.write(
        A,
        "annotations:\n  - id: e1\n    kind: entity\n      note: deeper\n",
    );
    let run = ws.validate();
    assert_findings(&run, 1, &[("yaml-syntax", A, 4, 7)]);
    let (message, help) = words(&run);
    assert!(
        message.contains("indented deeper than `kind` above it"),
        "{message}"
    );
    assert!(help.contains("same column as `kind`"), "{help}");
}

#[test]
fn a_colon_and_space_inside_a_plain_value_says_to_quote_it() {
    let ws = Ws::new();
    ws.write(
        A,
        "annotations:\n  - id: e1\n    kind: entity\n    note: the rule: never guess\n",
    );
    let run = ws.validate();
    assert_findings(&run, 1, &[("yaml-syntax", A, 4, 19)]);
    let (message, help) = words(&run);
    assert!(message.contains("`: `"), "{message}");
    assert!(help.contains("note: \"the rule: never guess\""), "{help}");
}

#[test]
fn a_double_quote_inside_double_quotes_says_it_ends_the_string() {
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - id: a1\n    kind: claim\n    quote: \"he said \"stop\" now\"\n",
    );
    let run = ws.validate();
    assert_findings(&run, 1, &[("yaml-syntax", A, 6, 21)]);
    let (message, help) = words(&run);
    assert!(
        message.contains("ends the quoted string early"),
        "{message}"
    );
    assert!(help.contains("\\\""), "{help}");
    assert!(help.contains("'he said \"stop\" now'"), "{help}");
}

#[test]
fn a_thousands_comma_in_a_flow_mapping_says_it_splits_the_mapping() {
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - id: a1\n    kind: claim\n    quote: cat sat\n    start: 4\n    end: 11\n    attrs: {topic: animals, figure: 14,000}\n",
    );
    let run = ws.validate();
    assert_findings(&run, 1, &[("schema", A, 9, 37)]);
    let (message, help) = words(&run);
    assert!(message.contains("a comma ends the value"), "{message}");
    assert!(help.contains("`figure: 14000`"), "{help}");
    assert!(help.contains("\"14,000\""), "{help}");
}

// Values that YAML reads as something else.

#[test]
fn a_sha256_that_reads_as_an_infinite_number_names_the_field() {
    let ws = Ws::new();
    let pin = format!("{}e{}", "1".repeat(31), "2".repeat(32));
    ws.write(
        A,
        format!("source: {SEED_PATH}\nsha256: {pin}\nannotations: []\n"),
    );
    let run = ws.validate();
    assert_findings(&run, 1, &[("yaml-syntax", A, 2, 9)]);
    let (message, help) = words(&run);
    assert!(message.starts_with("the value of `sha256`"), "{message}");
    assert!(!message.contains("policy"), "{message}");
    assert_eq!(help, format!("put it in quotes: `sha256: \"{pin}\"`"));
}

#[test]
fn a_sha256_that_reads_as_a_number_names_the_field() {
    let ws = Ws::new();
    let pin = "1234567890".repeat(6) + "1234";
    ws.write(
        A,
        format!("source: {SEED_PATH}\nsha256: {pin}\nannotations: []\n"),
    );
    let run = ws.validate();
    assert_findings(&run, 1, &[("schema", A, 2, 9)]);
    let (message, help) = words(&run);
    assert!(message.contains("reads as a number"), "{message}");
    assert_eq!(help, format!("put it in quotes: sha256: \"{pin}\""));
}

#[test]
fn a_number_with_a_thousands_separator_in_quotes_says_what_to_write() {
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - id: a1\n    kind: claim\n    quote: cat sat\n    start: 4\n    end: 11\n    attrs:\n      figure: \"14,000\"\n",
    );
    let run = ws.validate();
    assert_findings(&run, 1, &[("attr-value", A, 10, 15)]);
    assert_eq!(
        words(&run).1,
        "write the number without quotes or separators: `figure: 14000`"
    );
}

#[test]
fn a_decimal_comma_in_quotes_gets_no_wrong_number() {
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - id: a1\n    kind: claim\n    quote: cat sat\n    start: 4\n    end: 11\n    attrs:\n      figure: \"12,5\"\n",
    );
    let run = ws.validate();
    assert_findings(&run, 1, &[("attr-value", A, 10, 15)]);
    assert!(!words(&run).1.contains("125"), "{}", words(&run).1);
}

#[test]
fn a_language_name_is_not_a_language_tag() {
    let ws = Ws::new();
    ws.write("seeds/sources.yaml", "seeds/a.txt:\n  language: Polish\n");
    let run = ws.validate();
    assert_findings(&run, 1, &[("metadata", "seeds/sources.yaml", 2, 13)]);
    assert_eq!(words(&run).1, "write the tag, not the name: `language: pl`");
}
