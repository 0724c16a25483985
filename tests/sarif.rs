//! `--format sarif` of `annot validate` and `annot diff`: valid against the
//! official SARIF 2.1.0 schema (vendored in tests/fixtures/, so nothing is
//! downloaded), the same places and exit statuses as `--format json`, the
//! related locations a finding knows, and the drift that needs review.

mod common;
use common::*;
use serde_json::Value;
use std::path::Path;

const A: &str = "annotations/a.yaml";
const B: &str = "annotations/b.yaml";

fn schema() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sarif-schema-2.1.0.json");
    let value: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(&value)
        .expect("the SARIF schema compiles")
}

/// Whether a text is a URI reference (RFC 3986). The SARIF schema says so
/// in `format: uri-reference`, which its draft (4) does not define, so the
/// validator would not check it.
fn is_uri_reference(text: &str) -> bool {
    let schema = serde_json::json!({"type": "string", "format": "uri-reference"});
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
        .is_valid(&Value::from(text))
}

/// Every `uri` in a SARIF log.
fn uris(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("uri", Value::String(s)) => out.push(s.clone()),
                    _ => uris(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| uris(v, out)),
        _ => {}
    }
}

/// Parses SARIF output and asserts it is valid against the schema.
fn valid_sarif(run: &Run) -> Value {
    let log = run.json();
    let validator = schema();
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{}", run.stdout);
    let mut found = Vec::new();
    uris(&log, &mut found);
    for uri in found {
        assert!(is_uri_reference(&uri), "not a URI reference: {uri}");
    }
    assert!(
        !run.stdout.chars().any(|c| c.is_control() && c != '\n'),
        "raw control characters in {}",
        run.stdout
    );
    log
}

/// A workspace with a quote that is not at its span, one id defined in two
/// files, a link to nothing and a misspelt field.
fn broken() -> Ws {
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - {id: a1, kind: claim, quote: cat sat, start: 5, end: 12}\n  - {id: d1, kind: claim, quote: mat, start: 19, end: 22, links: [{rel: contradicts, target: nowhere}]}\n  - id: u1\n    kind: claim\n    qoute: cat ran\n",
    );
    ws.write(
        B,
        "annotations:\n  - id: e1\n    kind: entity\n  - id: d1\n    kind: note\n",
    );
    ws
}

fn results(log: &Value) -> &Vec<Value> {
    log["runs"][0]["results"].as_array().unwrap()
}

fn place(location: &Value) -> (String, u64, u64) {
    let p = &location["physicalLocation"];
    (
        p["artifactLocation"]["uri"].as_str().unwrap().to_string(),
        p["region"]["startLine"].as_u64().unwrap(),
        p["region"]["startColumn"].as_u64().unwrap_or(0),
    )
}

#[test]
fn validate_output_is_valid_sarif_with_the_places_of_json() {
    let ws = broken();
    let json = ws.run(&["validate", "--format", "json"]);
    let sarif = ws.run(&["validate", "--format", "sarif"]);
    let log = valid_sarif(&sarif);
    assert_eq!(sarif.status, json.status);
    assert_eq!(sarif.status, 1);
    let codes: Vec<String> = json.findings().iter().map(|f| f.0.clone()).collect();
    for code in ["quote-mismatch", "duplicate-id", "dangling-link", "schema"] {
        assert!(codes.iter().any(|c| c == code), "{code} missing: {codes:?}");
    }

    let expected: Vec<(String, String, u64, u64)> = json.findings();
    let got: Vec<(String, String, u64, u64)> = results(&log)
        .iter()
        .map(|r| {
            let (file, line, column) = place(&r["locations"][0]);
            (
                r["ruleId"].as_str().unwrap().to_string(),
                file,
                line,
                column,
            )
        })
        .collect();
    assert_eq!(got, expected);

    let run = &log["runs"][0];
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "annot");
    let version = ws.run(&["--version"]).stdout;
    assert_eq!(
        version.trim(),
        format!("annot {}", driver["version"].as_str().unwrap())
    );
    let rules = driver["rules"].as_array().unwrap();
    for (r, f) in results(&log)
        .iter()
        .zip(json.json()["findings"].as_array().unwrap())
    {
        let rule = &rules[r["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], r["ruleId"]);
        assert_eq!(r["level"], f["severity"]);
        assert!(rule["helpUri"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/docs/codes.md#{}", f["code"].as_str().unwrap())));
        assert!(rule["help"]["text"].as_str().unwrap().contains("*Cause:*"));
        assert!(r["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with(f["message"].as_str().unwrap()));
    }
}

#[test]
fn a_duplicate_id_points_at_its_other_definition() {
    let ws = broken();
    let log = valid_sarif(&ws.run(&["validate", "--format", "sarif"]));
    let duplicates: Vec<&Value> = results(&log)
        .iter()
        .filter(|r| r["ruleId"] == "duplicate-id")
        .collect();
    assert_eq!(duplicates.len(), 2, "reported at both definitions");
    let (here, there) = (duplicates[0], duplicates[1]);
    assert_eq!(place(&here["locations"][0]).0, A);
    assert_eq!(place(&there["locations"][0]).0, B);
    // Each names the other: its related location is the other's place.
    assert_eq!(
        place(&here["relatedLocations"][0]),
        place(&there["locations"][0])
    );
    assert_eq!(
        place(&there["relatedLocations"][0]),
        place(&here["locations"][0])
    );
    assert_eq!(here["relatedLocations"][0]["id"], 1);
    assert_eq!(here["properties"]["id"], "d1");
}

#[test]
fn a_mismatched_quote_points_at_the_source_where_it_occurs() {
    let ws = broken();
    let log = valid_sarif(&ws.run(&["validate", "--format", "sarif"]));
    let mismatch = results(&log)
        .iter()
        .find(|r| r["ruleId"] == "quote-mismatch")
        .unwrap();
    let related = mismatch["relatedLocations"].as_array().unwrap();
    let places: Vec<(String, u64, u64)> = related.iter().map(place).collect();
    // The text at 5..12 (line 1, column 6) and the quote at 4..11.
    assert!(
        places.contains(&(SEED_PATH.to_string(), 1, 6)),
        "{places:?}"
    );
    assert!(
        places.contains(&(SEED_PATH.to_string(), 1, 5)),
        "{places:?}"
    );
    let occurs = related
        .iter()
        .find(|r| place(r) == (SEED_PATH.to_string(), 1, 5))
        .unwrap();
    assert_eq!(occurs["physicalLocation"]["region"]["endColumn"], 12);
    assert!(occurs["message"]["text"]
        .as_str()
        .unwrap()
        .contains("4..11"));
}

#[test]
fn clean_and_warning_only_runs_exit_as_json_does() {
    let ws = Ws::new();
    ws.annotations(
        A,
        "  - {id: c1, kind: claim, quote: cat, start: 4, end: 7}\n",
    );
    for extra in [&[][..], &["--deny-warnings"][..]] {
        let mut args = vec!["validate", "--format", "json"];
        args.extend(extra);
        let json = ws.run(&args);
        args[2] = "sarif";
        let sarif = ws.run(&args);
        let log = valid_sarif(&sarif);
        assert_eq!(sarif.status, json.status, "{extra:?}");
        assert_eq!(results(&log)[0]["ruleId"], "ambiguous-quote");
        assert_eq!(results(&log)[0]["level"], "warning");
    }
    ws.annotations(
        A,
        "  - {id: c1, kind: claim, quote: cat sat, start: 4, end: 11}\n",
    );
    let sarif = ws.run(&["validate", "--format", "sarif"]);
    assert_eq!(sarif.status, 0);
    assert!(results(&valid_sarif(&sarif)).is_empty());
}

#[test]
fn paths_are_percent_encoded_uri_references() {
    let ws = Ws::new();
    let odd = "annotations/odd name #1.yaml";
    ws.annotations(
        odd,
        "  - {id: o1, kind: claim, quote: cat sat, start: 5, end: 12}\n",
    );
    let log = valid_sarif(&ws.run(&["validate", "--format", "sarif"]));
    assert_eq!(
        place(&results(&log)[0]["locations"][0]).0,
        "annotations/odd%20name%20%231.yaml"
    );
}

const TEXT: &str = "The first paragraph tells of a cat.\n\nThe second paragraph says the dog barked twice.\n\nThe third paragraph ends the story.\n";

/// A committed workspace on TEXT with three annotations, then an edit that
/// changes p1's words, deletes p2's paragraph and moves p3's.
fn drifted() -> Ws {
    let ws = Ws::new();
    ws.write(SEED_PATH, TEXT);
    ws.write(
        A,
        format!(
            "source: {SEED_PATH}\nsha256: {}\nannotations:\n  - {{id: p1, kind: claim, quote: tells of a cat, start: 20, end: 34}}\n  - {{id: p2, kind: claim, quote: the dog barked twice, start: 63, end: 83}}\n  - {{id: p3, kind: claim, quote: ends the story, start: 106, end: 120}}\n",
            sha256(TEXT.as_bytes())
        ),
    );
    git(ws.path(), &["init", "-q"]);
    git(ws.path(), &["add", "-A"]);
    git(ws.path(), &["commit", "-qm", "first"]);
    ws.write(
        SEED_PATH,
        "The third paragraph ends the story.\n\nThe first paragraph tells of a kitten.\n",
    );
    ws
}

#[test]
fn diff_reports_the_drift_that_needs_review() {
    let ws = drifted();
    let json = ws.run(&["diff", "--format", "json"]);
    let sarif = ws.run(&["diff", "--format", "sarif"]);
    let log = valid_sarif(&sarif);
    assert_eq!(sarif.status, json.status);
    assert_eq!(sarif.status, 1);
    let got: Vec<(String, String, String, u64)> = results(&log)
        .iter()
        .map(|r| {
            let (file, line, _) = place(&r["locations"][0]);
            (
                r["ruleId"].as_str().unwrap().to_string(),
                r["level"].as_str().unwrap().to_string(),
                file,
                line,
            )
        })
        .collect();
    // One result per drift entry that is not safe, at its line in the YAML.
    let expected: Vec<(String, String, String, u64)> = json.json()["drift"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| ["edited", "deleted", "ambiguous"].contains(&d["status"].as_str().unwrap()))
        .map(|d| {
            (
                format!("drift-{}", d["status"].as_str().unwrap()),
                "warning".to_string(),
                d["file"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, expected);
    assert_eq!(
        got.iter().map(|g| g.0.as_str()).collect::<Vec<_>>(),
        ["drift-edited", "drift-deleted"]
    );
    assert_eq!(results(&log)[0]["properties"]["id"], "p1");
    let driver = &log["runs"][0]["tool"]["driver"];
    let rules = driver["rules"].as_array().unwrap();
    for r in results(&log) {
        let rule = &rules[r["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], r["ruleId"]);
        assert!(rule["helpUri"].as_str().unwrap().starts_with("https://"));
    }
}

#[test]
fn diff_of_an_ambiguous_span_and_of_nothing() {
    let ws = drifted();
    // Nothing changed yet against the working tree once it is restored.
    git(ws.path(), &["checkout", "-q", "--", "seeds"]);
    let sarif = ws.run(&["diff", "--format", "sarif"]);
    assert_eq!(sarif.status, 0);
    assert_eq!(sarif.status, ws.run(&["diff", "--format", "json"]).status);
    assert!(results(&valid_sarif(&sarif)).is_empty());

    ws.write(
        A,
        format!(
            "source: {SEED_PATH}\nsha256: {}\nannotations:\n  - {{id: c1, kind: claim, quote: cat, start: 31, end: 34}}\n",
            sha256(TEXT.as_bytes())
        ),
    );
    git(ws.path(), &["commit", "-qam", "one"]);
    ws.write(
        SEED_PATH,
        "A cat here.\n\nThe second paragraph says the dog barked twice.\n\nAnother cat there.\n",
    );
    let sarif = ws.run(&["diff", "--format", "sarif"]);
    let log = valid_sarif(&sarif);
    assert_eq!(sarif.status, ws.run(&["diff", "--format", "json"]).status);
    assert_eq!(results(&log).len(), 1);
    assert_eq!(results(&log)[0]["ruleId"], "drift-ambiguous");
    assert_eq!(results(&log)[0]["level"], "warning");
}

#[test]
fn output_is_the_same_each_run() {
    let ws = broken();
    let first = ws.run(&["validate", "--format", "sarif"]).stdout;
    assert_eq!(first, ws.run(&["validate", "--format", "sarif"]).stdout);
    let ws = drifted();
    let first = ws.run(&["diff", "--format", "sarif"]).stdout;
    assert_eq!(first, ws.run(&["diff", "--format", "sarif"]).stdout);
}

#[test]
fn the_schema_rejects_what_sarif_forbids() {
    // Without this the checks above could pass on a schema that accepts
    // anything.
    let validator = schema();
    let log = valid_sarif(&broken().run(&["validate", "--format", "sarif"]));
    assert!(validator.is_valid(&log));
    let mut zero_line = log.clone();
    zero_line["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        0.into();
    assert!(!validator.is_valid(&zero_line));
    let mut bad_level = log.clone();
    bad_level["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!validator.is_valid(&bad_level));
    assert!(!is_uri_reference("a b/%zz"));
    assert!(is_uri_reference("annotations/odd%20name%20%231.yaml"));
}
