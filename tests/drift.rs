//! `annot diff` and `annot reanchor` in real repositories: every status,
//! the JSON of SPEC §6, exit statuses, and writes that change nothing but
//! the promised scalars.

mod common;
use common::*;

const A: &str = "annotations/a.yaml";

const TEXT: &str = "The first paragraph tells of a cat.\n\nThe second paragraph says the dog barked twice.\n\nThe third paragraph ends the story.\n";

/// A committed workspace on TEXT with one annotation per paragraph.
fn repo(annotations: &str) -> Ws {
    let ws = Ws::new();
    ws.write(SEED_PATH, TEXT);
    ws.write(
        A,
        format!(
            "source: {SEED_PATH}\nsha256: {}\nannotations:\n{annotations}",
            sha256(TEXT.as_bytes())
        ),
    );
    git(ws.path(), &["init", "-q"]);
    git(ws.path(), &["add", "-A"]);
    git(ws.path(), &["commit", "-qm", "first"]);
    ws
}

const THREE: &str = "  - {id: p1, kind: claim, quote: tells of a cat, start: 20, end: 34}\n  - {id: p2, kind: claim, quote: the dog barked twice, start: 63, end: 83}\n  - {id: p3, kind: claim, quote: ends the story, start: 106, end: 120}\n";

fn drift(run: &Run) -> Vec<(String, String)> {
    run.json()["drift"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["id"].as_str().unwrap().to_string(),
                d["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn fixture_offsets_are_right() {
    let ws = repo(THREE);
    assert_findings(&ws.validate(), 0, &[]);
}

#[test]
fn inserted_text_shifts_and_the_json_follows_the_spec() {
    let ws = repo(THREE);
    ws.write(SEED_PATH, format!("A new opening line.\n{TEXT}"));
    let run = ws.run(&["diff", "--format", "json"]);
    assert_eq!(run.status, 0, "{}", run.stdout);
    let json = run.json();
    assert_eq!(json["schema"], "annot.diff/v1");
    assert_eq!(json["base"], "HEAD");
    assert_eq!(json["head"], "worktree");
    assert_eq!(json["sources"][0]["path"], SEED_PATH);
    assert_eq!(json["sources"][0]["old_sha256"], sha256(TEXT.as_bytes()));
    let first = &json["drift"][0];
    assert_eq!(first["id"], "p1");
    assert_eq!(first["file"], A);
    assert_eq!(first["line"], 4);
    assert_eq!(first["source"], SEED_PATH);
    assert_eq!(first["status"], "shifted");
    assert_eq!(first["confidence"], 1.0);
    assert_eq!(
        first["old"],
        serde_json::json!({"start": 20, "end": 34, "quote": "tells of a cat"})
    );
    assert_eq!(
        first["new"],
        serde_json::json!({"start": 40, "end": 54, "quote": "tells of a cat"})
    );
    assert_eq!(first["candidates"], serde_json::json!([]));
    assert_eq!(first["signals"]["diff"], "exact");
    assert_eq!(
        drift(&run),
        [("p1", "shifted"), ("p2", "shifted"), ("p3", "shifted")]
            .map(|(a, b)| (a.to_string(), b.to_string()))
    );
}

#[test]
fn edited_deleted_and_moved() {
    let ws = repo(THREE);
    // p1's words change, p2's paragraph goes, p3's paragraph moves first.
    ws.write(
        SEED_PATH,
        "The third paragraph ends the story.\n\nThe first paragraph tells of a kitten.\n",
    );
    let run = ws.run(&["diff", "--format", "json"]);
    assert_eq!(run.status, 1, "something needs review");
    let statuses = drift(&run);
    assert_eq!(statuses[0], ("p1".to_string(), "edited".to_string()));
    assert_eq!(statuses[1], ("p2".to_string(), "deleted".to_string()));
    assert!(
        statuses[2].1 == "moved" || statuses[2].1 == "shifted",
        "{statuses:?}"
    );
    let json = run.json();
    assert_eq!(json["drift"][0]["new"]["quote"], "tells of a kitten");
    assert!(json["drift"][1]["new"].is_null());
    assert_eq!(
        json["drift"][2]["new"],
        serde_json::json!({"start": 20, "end": 34, "quote": "ends the story"})
    );
}

#[test]
fn a_quote_mark_change_is_named() {
    let ws =
        repo("  - {id: q1, kind: claim, quote: \"the dog barked twice\", start: 63, end: 83}\n");
    ws.write(
        SEED_PATH,
        TEXT.replace("the dog barked twice", "the dog barked  twice"),
    );
    let run = ws.run(&["diff", "--format", "json"]);
    assert_eq!(run.json()["drift"][0]["status"], "edited");
    assert_eq!(run.json()["drift"][0]["reason"], "whitespace");
}

#[test]
fn an_equally_good_copy_makes_it_ambiguous() {
    let ws = repo("  - {id: c1, kind: claim, quote: cat, start: 31, end: 34}\n");
    // The span's own sentence is rewritten; "cat" now appears twice, in
    // places that keep none of its old context.
    ws.write(
        SEED_PATH,
        "A cat here.\n\nThe second paragraph says the dog barked twice.\n\nAnother cat there.\n",
    );
    let run = ws.run(&["diff", "--format", "json"]);
    let d = &run.json()["drift"][0];
    assert_eq!(d["status"], "ambiguous", "{d}");
    assert_eq!(d["candidates"].as_array().unwrap().len(), 2);
    assert!(d["new"].is_null());
    assert_eq!(run.status, 1);
}

#[test]
fn annotation_changes_are_listed_with_fields() {
    let ws = repo(THREE);
    let body = "  - {id: p1, kind: note, quote: tells of a cat, start: 20, end: 34}\n  - {id: p3, kind: claim, quote: ends the story, start: 106, end: 120}\n  - {id: p4, kind: claim, quote: The third, start: 86, end: 95}\n";
    ws.write(
        A,
        format!(
            "source: {SEED_PATH}\nsha256: {}\nannotations:\n{body}",
            sha256(TEXT.as_bytes())
        ),
    );
    let run = ws.run(&["diff", "--format", "json"]);
    assert_eq!(run.status, 0);
    assert_eq!(
        run.json()["changes"],
        serde_json::json!([
            {"id": "p1", "file": A, "change": "modified", "fields": ["kind"]},
            {"id": "p2", "file": A, "change": "removed", "fields": []},
            {"id": "p4", "file": A, "change": "added", "fields": []},
        ])
    );
    let human = ws.run(&["diff"]);
    assert!(
        human.stdout.contains("added     p4 [claim]"),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains("\"The third\""), "{}", human.stdout);
}

#[test]
fn changes_beside_a_file_that_did_not_change() {
    // The base of a diff reads only files that differ from the head; an
    // unchanged file must still count on both sides.
    let ws = repo(THREE);
    let entities = "annotations/entities.yaml";
    let moved = "annotations/moved.yaml";
    ws.write(
        entities,
        "annotations:\n  - {id: e1, kind: entity}\n  - {id: e2, kind: entity}\n",
    );
    ws.write(moved, "annotations:\n  - {id: e3, kind: entity}\n");
    git(ws.path(), &["add", "-A"]);
    git(ws.path(), &["commit", "-qm", "entities"]);
    // e3 moves into a.yaml's neighbour file; entities.yaml stays as it was.
    ws.write(moved, "annotations:\n  - {id: e4, kind: entity}\n");
    ws.write(
        "annotations/other.yaml",
        "annotations:\n  - {id: e3, kind: entity, note: moved here}\n",
    );
    let run = ws.run(&["diff", "--format", "json"]);
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert_eq!(
        run.json()["changes"],
        serde_json::json!([
            {"id": "e4", "file": moved, "change": "added", "fields": []},
            {"id": "e3", "file": "annotations/other.yaml", "change": "modified", "fields": ["file", "note"]},
        ])
    );
}

#[test]
fn staged_and_revisions() {
    let ws = repo(THREE);
    ws.write(SEED_PATH, format!("Staged line.\n{TEXT}"));
    git(ws.path(), &["add", SEED_PATH]);
    ws.write(SEED_PATH, TEXT);
    // The working tree is back to the committed text: nothing drifted.
    assert_eq!(
        ws.run(&["diff", "--format", "json"]).json()["drift"],
        serde_json::json!([])
    );
    let staged = ws.run(&["diff", "--staged", "--format", "json"]);
    assert_eq!(staged.json()["head"], "index");
    assert_eq!(drift(&staged)[0].1, "shifted");
    git(ws.path(), &["commit", "-qm", "second"]);
    let revs = ws.run(&["diff", "HEAD~1", "HEAD", "--format", "json"]);
    assert_eq!(revs.json()["sources"].as_array().unwrap().len(), 1);
    assert_eq!(drift(&revs)[0].1, "shifted");
    let bad = ws.run(&["diff", "nonsense"]);
    assert_eq!(bad.status, 2);
    assert!(
        bad.stderr.contains("`nonsense` is not a commit"),
        "{}",
        bad.stderr
    );
}

#[test]
fn markdown_and_github_formats() {
    let ws = repo(THREE);
    ws.write(
        SEED_PATH,
        "The third paragraph ends the story.\n\nThe first paragraph tells of a kitten.\n",
    );
    let md = ws.run(&["diff", "--format", "markdown"]);
    assert!(
        md.stdout.starts_with("### annot: annotation drift\n"),
        "{}",
        md.stdout
    );
    assert!(
        md.stdout.contains("| edited | 1 | **no: review** |"),
        "{}",
        md.stdout
    );
    assert!(
        md.stdout
            .contains("<details><summary><b>deleted</b> <code>p2</code>"),
        "{}",
        md.stdout
    );
    let gh = ws.run(&["diff", "--format", "github"]);
    assert!(
        gh.stdout.lines().any(|l| l.starts_with(
            "::warning file=annotations/a.yaml,line=4,title=annot drift%3A edited (p1)::"
        )),
        "{}",
        gh.stdout
    );
    assert!(gh
        .stdout
        .lines()
        .last()
        .unwrap()
        .starts_with("::notice title=annot diff::"));
}

#[test]
fn github_format_caps_warnings_at_ten() {
    let mut body = String::new();
    let mut text = String::new();
    for i in 0..15 {
        let line = format!("Line {i:02} says something particular.\n");
        let start = text.chars().count();
        body.push_str(&format!("  - {{id: l{i:02}, kind: claim, quote: \"Line {i:02} says\", start: {start}, end: {}}}\n", start + 13));
        text.push_str(&line);
    }
    let ws = Ws::new();
    ws.write(SEED_PATH, &text);
    ws.write(
        A,
        format!(
            "source: {SEED_PATH}\nsha256: {}\nannotations:\n{body}",
            sha256(text.as_bytes())
        ),
    );
    git(ws.path(), &["init", "-q"]);
    git(ws.path(), &["add", "-A"]);
    git(ws.path(), &["commit", "-qm", "first"]);
    ws.write(SEED_PATH, text.replace(" says ", " said "));
    let gh = ws.run(&["diff", "--format", "github"]);
    let warnings: Vec<&str> = gh
        .stdout
        .lines()
        .filter(|l| l.starts_with("::warning"))
        .collect();
    assert_eq!(warnings.len(), 11, "{}", gh.stdout);
    assert!(
        warnings[10].contains("5 more annotations need review"),
        "{}",
        warnings[10]
    );
}

#[test]
fn reanchor_without_write_changes_nothing() {
    let ws = repo(THREE);
    ws.write(SEED_PATH, format!("A new opening line.\n{TEXT}"));
    let before = ws.read(A);
    let run = ws.run(&["reanchor"]);
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert!(run.stdout.contains("nothing was written"), "{}", run.stdout);
    assert_eq!(ws.read(A), before);
}

#[test]
fn reanchor_write_changes_only_the_promised_scalars() {
    let ws = Ws::new();
    ws.write(SEED_PATH, TEXT);
    let old_pin = sha256(TEXT.as_bytes());
    let original = [
        "# a comment at the top\r\n",
        &format!("source: {SEED_PATH}   # where\r\n"),
        &format!("sha256: {old_pin}\r\n"),
        "\r\n",
        "annotations:\r\n",
        "  # the cat\r\n",
        "  - id: p1\r\n",
        "    kind: claim\r\n",
        "    quote: 'tells of a cat'   # single quotes\r\n",
        "    start: 20\r\n",
        "    end: 34\r\n",
        "\r\n",
        "  - {id: p2, kind: claim, quote: \"the dog barked twice\", start: 63, end: 83}  # flow\r\n",
        "  - id: p3\r\n",
        "    kind: claim\r\n",
        "    quote: ends the story\r\n",
        "    start: 106\r\n",
        "    end: 120\r\n",
        "    note: plain note\r\n",
    ]
    .concat();
    ws.write(A, &original);
    git(ws.path(), &["init", "-q"]);
    git(ws.path(), &["add", "-A"]);
    git(ws.path(), &["commit", "-qm", "first"]);
    let new_text = "A new opening line.\nThe first paragraph tells of a cat.\n\nThe second paragraph says the dog barked.\n\nThe third paragraph ends the story.\n";
    ws.write(SEED_PATH, new_text);
    let run = ws.run(&["reanchor", "--write"]);
    assert_eq!(run.status, 1, "p2 needs review: {}", run.stdout);
    let expected = [
        "# a comment at the top\r\n",
        &format!("source: {SEED_PATH}   # where\r\n"),
        &format!("sha256: {}\r\n", sha256(new_text.as_bytes())),
        "\r\n",
        "annotations:\r\n",
        "  # the cat\r\n",
        "  - id: p1\r\n",
        "    kind: claim\r\n",
        "    quote: 'tells of a cat'   # single quotes\r\n",
        "    start: 40\r\n",
        "    end: 54\r\n",
        "\r\n",
        &format!("  - {{id: p2, kind: claim, quote: \"the dog barked twice\", start: 63, end: 83, drift: {{status: edited, from_sha256: {old_pin}, old_start: 63, old_end: 83, old_quote: \"the dog barked twice\", new_start: 83, new_end: 97, new_quote: \"the dog barked\", confidence: 0.58}}}}  # flow\r\n"),
        "  - id: p3\r\n",
        "    kind: claim\r\n",
        "    quote: ends the story\r\n",
        "    start: 120\r\n",
        "    end: 134\r\n",
        "    note: plain note\r\n",
    ]
    .concat();
    assert_eq!(ws.read(A), expected);
    // Now only the flagged annotation needs a person.
    assert_findings(&ws.validate(), 1, &[("drift-unresolved", A, 13, 85)]);
}

#[test]
fn reanchor_block_annotation_gets_a_drift_line() {
    let ws = repo("  - id: p2\n    kind: claim\n    quote: the dog barked twice\n    start: 63\n    end: 83\n    note: keep\n");
    ws.write(
        SEED_PATH,
        TEXT.replace("the dog barked twice", "the dog barked once"),
    );
    assert_eq!(ws.run(&["reanchor", "--write"]).status, 1);
    let text = ws.read(A);
    assert!(
        text.contains("    note: keep\n    drift: {status: edited, from_sha256: "),
        "{text}"
    );
    assert_findings(&ws.validate(), 1, &[("drift-unresolved", A, 10, 12)]);
}
