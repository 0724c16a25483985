//! `annot diff` and `annot reanchor` in real repositories: every status,
//! the JSON of SPEC §6, exit statuses, and writes that change nothing but
//! the promised scalars.

mod common;
use common::*;

const A: &str = "annotations/a.yaml";

const TEXT: &str = "The first paragraph tells of a cat.\n\nThe second paragraph says the dog barked twice.\n\nThe third paragraph ends the story.\n";

/// A committed workspace on TEXT with one annotation per paragraph.
fn repo(annotations: &str) -> Ws {
    repo_on(TEXT, annotations)
}

/// A committed workspace whose seed is `text`, with `annotations` (the
/// items of annotations/a.yaml) pinned to it and validating clean.
fn repo_on(text: &str, annotations: &str) -> Ws {
    let ws = Ws::new();
    ws.write(SEED_PATH, text);
    ws.write(
        A,
        format!(
            "source: {SEED_PATH}\nsha256: {}\nannotations:\n{annotations}",
            sha256(text.as_bytes())
        ),
    );
    assert_findings(&ws.validate(), 0, &[]);
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
        &format!("  - {{id: p2, kind: claim, quote: \"the dog barked twice\", start: 63, end: 83, drift: {{status: edited, from_sha256: {old_pin}, old_start: 63, old_end: 83, old_quote: \"the dog barked twice\", new_start: 83, new_end: 97, new_quote: \"the dog barked\", confidence: 0.59}}}}  # flow\r\n"),
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

/// A committed copy of this repository's own workspace.
fn this_workspace() -> Ws {
    fn copy(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let ws = Ws::empty();
    for dir in ["seeds", "annotations", "schema"] {
        copy(&repo.join(dir), &ws.path().join(dir));
    }
    std::fs::copy(
        repo.join(".gitattributes"),
        ws.path().join(".gitattributes"),
    )
    .unwrap();
    git(ws.path(), &["init", "-q"]);
    git(ws.path(), &["add", "-A"]);
    git(ws.path(), &["commit", "-qm", "the workspace"]);
    ws
}

/// The status, confidence and reason of one annotation's drift.
fn status_of(run: &Run, id: &str) -> (String, f64, Option<String>) {
    let json = run.json();
    let entry = json["drift"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == id)
        .unwrap_or_else(|| panic!("no drift for {id}:\n{}", run.stdout))
        .clone();
    (
        entry["status"].as_str().unwrap().to_string(),
        entry["confidence"].as_f64().unwrap(),
        entry["reason"].as_str().map(str::to_string),
    )
}

const CLAIM: &str = "Officials met on Monday.\nKim will send 5,000 military builders to Kursk, the council said.\nThe talks went on.\n";
const C1: &str =
    "  - {id: c1, kind: claim, quote: \"5,000 military builders\", start: 39, end: 62}\n";

/// A sentence replaced by another that reuses its words to say something
/// else: never safe, offered as a proposal with a low confidence, and
/// `reanchor --write` leaves it for a person.
fn reused_words_are_not_the_claim(new_sentence: &str) {
    let ws = repo_on(CLAIM, C1);
    let sentence = "Kim will send 5,000 military builders to Kursk, the council said.\n";
    ws.write(SEED_PATH, CLAIM.replace(sentence, new_sentence));
    let run = ws.run(&["diff", "--format", "json"]);
    assert_eq!(run.status, 1, "needs review: {}", run.stdout);
    let (status, confidence, reason) = status_of(&run, "c1");
    assert_eq!(status, "edited", "{}", run.stdout);
    assert_eq!(reason.as_deref(), Some("context"));
    assert!(confidence < 0.5, "{confidence}");
    let write = ws.run(&["reanchor", "--write"]);
    assert_eq!(write.status, 1, "{}{}", write.stdout, write.stderr);
    let after = ws.read(A);
    assert!(after.contains("start: 39, end: 62"), "{after}");
    assert!(after.contains("drift: {status: edited"), "{after}");
    let validate = ws.run(&["validate", "--format", "json"]);
    assert_eq!(validate.findings()[0].0, "drift-unresolved");
}

#[test]
fn a_denial_is_not_the_claim() {
    reused_words_are_not_the_claim(
        "A Kremlin spokesman denied that 5,000 military builders would be sent.\n",
    );
}

#[test]
fn another_speaker_is_not_the_claim() {
    reused_words_are_not_the_claim(
        "An unnamed blogger wrote that 5,000 military builders had already left.\n",
    );
}

#[test]
fn a_rumour_is_not_the_claim() {
    reused_words_are_not_the_claim("Rumours say 5,000 military builders may go.\n");
}

#[test]
fn a_question_is_not_the_claim() {
    reused_words_are_not_the_claim("Will Kim really send 5,000 military builders?\n");
}

#[test]
fn an_edit_in_the_span_s_sentence_is_for_a_person_one_beside_it_is_not() {
    let ws = repo_on(CLAIM, C1);
    // The sentence before changes and a line is inserted: the claim's own
    // sentence is whole, so it is carried.
    ws.write(
        SEED_PATH,
        format!(
            "A new first line.\n{}",
            CLAIM.replace("met on Monday", "met on Tuesday")
        ),
    );
    let run = ws.run(&["diff", "--format", "json"]);
    assert_eq!(status_of(&run, "c1").0, "shifted", "{}", run.stdout);
    // Its attribution changes: the same words, another claim perhaps.
    ws.write(
        SEED_PATH,
        CLAIM.replace("the council said.", "a blogger claimed."),
    );
    let run = ws.run(&["diff", "--format", "json"]);
    let (status, confidence, reason) = status_of(&run, "c1");
    assert_eq!(
        (status.as_str(), reason.as_deref()),
        ("edited", Some("context"))
    );
    assert!(confidence <= 0.5, "{confidence}");
    assert_eq!(run.json()["drift"][0]["new"]["start"], 39);
}

/// The combined edit a fact-checker tried on this workspace: "agreement"
/// capitalised, a paragraph inserted, the "He explained…" sentence
/// deleted, two paragraphs swapped, straight quotes made curly.
#[test]
fn the_tass_edit_moves_no_claim_out_of_its_sentence() {
    let ws = this_workspace();
    let seed = "seeds/000_58609d336a8452fe.txt";
    let mut text = ws.read(seed);
    text = text.replace(
        "Comprehensive Strategic Partnership agreement,",
        "Comprehensive Strategic Partnership Agreement,",
    );
    let from = text.find("He explained this frequency").unwrap();
    let to = from + text[from..].find("\"First of all").unwrap();
    text.replace_range(from..to, "");
    text = text.replace(
        "High-level collaboration\n",
        "High-level collaboration\n\nA paragraph the editor inserted about the talks.\n",
    );
    let mut paragraphs: Vec<String> = text.split("\n\n").map(str::to_string).collect();
    let air = paragraphs
        .iter()
        .position(|p| p == "Resumption of air travel")
        .unwrap();
    paragraphs.swap(air + 1, air + 2);
    text = paragraphs
        .join("\n\n")
        .replace("\"Chairman", "“Chairman")
        .replace("occupiers,\" he", "occupiers,” he");
    ws.write(seed, &text);
    let run = ws.run(&["diff", "--format", "json"]);
    assert_eq!(run.status, 1);
    let (status, confidence, reason) = status_of(&run, "tass.mention-partnership");
    assert_eq!(
        (status.as_str(), reason.as_deref()),
        ("edited", Some("context"))
    );
    assert!(confidence < 0.5, "{confidence}");
    assert_eq!(status_of(&run, "tass.partnership-pace").0, "deleted");
    // Curly quotes around a quotation do not change its claim.
    assert_eq!(status_of(&run, "tass.quote-sappers-builders").0, "intact");
    // Every safe status quotes its old text exactly at its new place.
    let json = run.json();
    for d in json["drift"].as_array().unwrap() {
        if ["intact", "shifted", "moved"].contains(&d["status"].as_str().unwrap()) {
            let (s, e) = (
                d["new"]["start"].as_u64().unwrap() as usize,
                d["new"]["end"].as_u64().unwrap() as usize,
            );
            let at: String = text.chars().skip(s).take(e - s).collect();
            assert_eq!(at, d["old"]["quote"].as_str().unwrap(), "{d}");
        }
    }
}

const UPI: &str = "seeds/002_3861d88ad1879eea.txt";

#[test]
fn a_deleted_seed_needs_review_in_every_format() {
    let ws = this_workspace();
    assert!(
        ws.path().join(UPI).exists(),
        "the fixture names the UPI seed"
    );
    git(ws.path(), &["rm", "-q", UPI]);
    let json = ws.run(&["diff", "--format", "json"]);
    assert_eq!(json.status, 1, "{}", json.stdout);
    let missing = &json.json()["missing"];
    assert_eq!(missing.as_array().unwrap().len(), 1, "{missing}");
    assert_eq!(missing[0]["source"], UPI);
    assert_eq!(missing[0]["file"], "annotations/upi.yaml");
    assert_eq!(missing[0]["line"], 8);
    assert!(missing[0]["renamed_to"].is_null());
    assert!(missing[0]["annotations"].as_u64().unwrap() > 30);
    let md = ws.run(&["diff", "--format", "markdown"]);
    assert_eq!(md.status, 1);
    assert!(!md.stdout.contains("nothing needs review"), "{}", md.stdout);
    assert!(md.stdout.contains("#### Needs review"), "{}", md.stdout);
    assert!(
        md.stdout.contains("restore the file"),
        "a next step: {}",
        md.stdout
    );
    let human = ws.run(&["diff"]);
    assert_eq!(human.status, 1);
    assert!(
        human.stdout.contains("sources missing:"),
        "{}",
        human.stdout
    );
    let gh = ws.run(&["diff", "--format", "github"]);
    assert!(
        gh.stdout.lines().any(|l| l.starts_with(
            "::warning file=annotations/upi.yaml,line=8,title=annot%3A source missing::"
        )),
        "{}",
        gh.stdout
    );
}

#[test]
fn a_renamed_seed_is_found_by_its_hash() {
    let ws = this_workspace();
    git(ws.path(), &["mv", UPI, "seeds/upi.txt"]);
    let run = ws.run(&["diff", "--format", "json"]);
    assert_eq!(run.status, 1);
    assert_eq!(run.json()["missing"][0]["renamed_to"], "seeds/upi.txt");
    let md = ws.run(&["diff", "--format", "markdown"]);
    assert!(
        md.stdout
            .contains("<code>seeds/upi.txt</code> holds exactly the pinned text"),
        "{}",
        md.stdout
    );
}

#[test]
fn drift_left_after_reanchor_still_needs_review() {
    let ws = repo(THREE);
    ws.write(
        SEED_PATH,
        "The third paragraph ends the story.\n\nThe first paragraph tells of a kitten.\n",
    );
    let write = ws.run(&["reanchor", "--write"]);
    assert!(
        write.stdout.starts_with("annot reanchor "),
        "headed as reanchor: {}",
        write.stdout
    );
    git(ws.path(), &["commit", "-qam", "reanchored"]);
    let md = ws.run(&["diff", "--format", "markdown"]);
    assert_eq!(md.status, 1, "{}", md.stdout);
    assert!(!md.stdout.contains("nothing needs review"), "{}", md.stdout);
    assert!(md.stdout.contains("still carry `drift:`"), "{}", md.stdout);
    let json = ws.run(&["diff", "--format", "json"]).json();
    let ids: Vec<&str> = json["unresolved"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["p1", "p2"]);
    assert_eq!(json["unresolved"][1]["status"], "deleted");
}

#[test]
fn markdown_names_each_changed_source_with_its_statuses() {
    let ws = this_workspace();
    let tass = "seeds/000_58609d336a8452fe.txt";
    let text = ws.read(tass);
    ws.write(
        tass,
        text.replace("North Korean leader Kim Jong Un will", "It will"),
    );
    let md = ws.run(&["diff", "--format", "markdown"]).stdout;
    assert!(md.contains("#### Sources changed"), "{md}");
    let row = md
        .lines()
        .find(|l| l.starts_with("| <code>seeds/000&#95;58609d336a8452fe.txt</code> |"))
        .unwrap_or_else(|| panic!("no row for {tass}:\n{md}"));
    // intact, shifted, moved, edited, deleted, ambiguous
    // Every span in the lead sentence, whose subject changed, is for a
    // person; the rest of the report is carried.
    assert!(row.ends_with("| 1 | 20 | · | **6** | **1** | · |"), "{row}");
    // Needs review comes before what was carried safely.
    let review = md.find("#### Needs review").unwrap();
    assert!(review < md.find("#### Sources changed").unwrap());
    assert!(review < md.find("carried over safely").unwrap());
}

#[test]
fn an_edit_inside_a_long_quote_is_shown_word_by_word() {
    let ws = this_workspace();
    let tass = "seeds/000_58609d336a8452fe.txt";
    let text = ws.read(tass);
    assert!(text.contains("we are talking about the unveiling"));
    let edited = text.replacen(
        "Specifically, we are talking about",
        "Specifically, we were talking about",
        1,
    );
    ws.write(tass, edited);
    let human = ws.run(&["diff"]).stdout;
    assert!(
        human.contains("edit …") && human.contains("we [-are-]{+were+} talking"),
        "{human}"
    );
    let md = ws.run(&["diff", "--format", "markdown"]).stdout;
    assert!(
        md.contains("we <del>are</del><ins>were</ins> talking"),
        "{md}"
    );
}

#[test]
fn markdown_shows_backticks_and_pipes_as_written() {
    let text = "Intro line.\nHe wrote `rm -rf` | grep *bold* <b>x</b> @team #12 today.\nEnd.\n";
    let quote = "`rm -rf` | grep *bold* <b>x</b> @team #12";
    let ws = repo_on(
        text,
        &format!(
            "  - id: c1\n    kind: claim\n    quote: '{quote}'\n    start: 21\n    end: {}\n",
            21 + quote.chars().count()
        ),
    );
    ws.write(SEED_PATH, text.replace("grep", "grep -v"));
    let md = ws.run(&["diff", "--format", "markdown"]).stdout;
    assert!(md.contains("- was 21..62: <code>&#96;rm"), "{md}");
    assert!(md.contains("grep <ins>-v </ins>&#42;bold"), "{md}");
    let expected = "<code>&#96;rm -rf&#96; &#124; grep &#42;bold&#42; &#60;b&#62;x&#60;/b&#62; &#64;team &#35;12</code>";
    assert!(md.contains(expected), "{md}");
    assert!(!md.contains('ˋ') && !md.contains("\\|"), "{md}");
}

#[test]
fn an_unreadable_annotation_file_is_a_problem_not_removed_annotations() {
    let ws = repo(THREE);
    ws.write(SEED_PATH, format!("A new opening line.\n{TEXT}"));
    let text = ws.read(A);
    ws.write(
        A,
        text.replace("quote: tells of a cat", "quote: [tells of a cat"),
    );
    let run = ws.run(&["diff", "--format", "json"]);
    assert_eq!(run.status, 1, "{}", run.stdout);
    let json = run.json();
    assert_eq!(
        json["changes"],
        serde_json::json!([]),
        "nothing was removed"
    );
    assert_eq!(json["sources"], serde_json::json!([]), "{json}");
    let problem = json["problems"][0].as_str().unwrap();
    assert!(
        problem.starts_with("annotations/a.yaml:4:") && problem.contains("could not be read"),
        "{problem}"
    );
    let reanchor = ws.run(&["reanchor"]);
    assert_eq!(reanchor.status, 1);
    assert!(
        !reanchor.stdout.contains("nothing to reanchor"),
        "{}",
        reanchor.stdout
    );
}

#[test]
fn a_source_pointed_at_a_renamed_seed_is_a_change() {
    let ws = this_workspace();
    git(ws.path(), &["mv", UPI, "seeds/upi.txt"]);
    let text = ws.read("annotations/upi.yaml");
    ws.write(
        "annotations/upi.yaml",
        text.replace(&format!("source: {UPI}"), "source: seeds/upi.txt"),
    );
    let json = ws.run(&["diff", "--format", "json"]).json();
    let changes = json["changes"].as_array().unwrap();
    assert!(!changes.is_empty());
    assert!(
        changes.iter().all(|c| c["fields"][0] == "source"),
        "{changes:?}"
    );
    assert_eq!(json["missing"], serde_json::json!([]));
}

#[test]
fn reanchor_names_a_missing_seed_instead_of_nothing_to_do() {
    let ws = this_workspace();
    git(ws.path(), &["rm", "-q", UPI]);
    let run = ws.run(&["reanchor"]);
    assert_eq!(run.status, 1);
    assert!(run.stdout.contains("sources missing:"), "{}", run.stdout);
    assert!(
        !run.stdout.contains("nothing to reanchor"),
        "{}",
        run.stdout
    );
}

#[test]
fn safe_drift_still_names_the_command_that_settles_the_pins() {
    let ws = repo(THREE);
    ws.write(SEED_PATH, format!("A new opening line.\n{TEXT}"));
    let run = ws.run(&["diff"]);
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("can be carried safely, but their files still pin the old text")
            && run.stdout.contains("run `annot reanchor --write`"),
        "{}",
        run.stdout
    );
}

#[test]
fn invisible_characters_in_quotes_are_shown_escaped() {
    let text = "Intro line.\nHe said: zero\u{200b}width and \u{202e}reversed words here.\nEnd.\n";
    let quote = "zero\u{200b}width and \u{202e}reversed";
    let ws = repo_on(
        text,
        &format!(
            "  - {{id: c1, kind: claim, quote: \"zero\\u200Bwidth and \\u202Ereversed\", start: 21, end: {}}}\n",
            21 + quote.chars().count()
        ),
    );
    ws.write(SEED_PATH, text.replace("words", "letters"));
    for format in ["human", "markdown", "github"] {
        let out = ws.run(&["diff", "--format", format]).stdout;
        assert!(
            !out.contains('\u{200b}') && !out.contains('\u{202e}'),
            "{format}: {out}"
        );
        // Markdown writes the backslash as a character reference.
        let escape = if format == "markdown" {
            "&#92;u"
        } else {
            "\\u"
        };
        assert!(
            out.contains(&format!("{escape}{{200b}}"))
                && out.contains(&format!("{escape}{{202e}}")),
            "{format}: {out}"
        );
    }
}

#[test]
fn a_re_spanned_annotation_shows_its_old_and_new_span() {
    let ws = repo(THREE);
    let text = ws.read(A);
    ws.write(
        A,
        text.replace(
            "quote: tells of a cat, start: 20, end: 34",
            "quote: tells of a, start: 20, end: 30",
        ),
    );
    let human = ws.run(&["diff"]).stdout;
    assert!(human.contains("span 20..34 → 20..30"), "{human}");
    let md = ws.run(&["diff", "--format", "markdown"]).stdout;
    assert!(md.contains("| quote, span 20..34 → 20..30 |"), "{md}");
}

#[test]
fn next_steps_name_the_ids_to_accept() {
    let ws = repo(THREE);
    ws.write(
        SEED_PATH,
        "The third paragraph ends the story.\n\nThe first paragraph tells of a kitten.\n",
    );
    let human = ws.run(&["diff"]).stdout;
    assert!(
        human.contains("check its proposal and accept it with `annot reanchor --accept p1`"),
        "{human}"
    );
}
