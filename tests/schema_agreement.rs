//! The JSON Schemas in `schema/` and `annot` agree on structural validity:
//! every fixture under tests/fixtures/schema/ (named `valid-*` or
//! `invalid-*`), and every file of this repository's own workspace, is
//! judged the same way by both.

use annot::load;
use annot::yaml;
use std::path::{Path, PathBuf};

fn schema(name: &str) -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schema")
        .join(name);
    let value: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    jsonschema::draft7::new(&value)
        .unwrap_or_else(|e| panic!("{} is not a valid schema: {e}", path.display()))
}

/// Whether annot reads the file without a structural finding.
fn annot_accepts(kind: &str, path: &str, bytes: &[u8]) -> bool {
    let findings = match kind {
        "annotations" => load::annotation_file(path, bytes).findings,
        "vocabulary" => load::vocabulary(path, bytes).findings,
        "sources" => load::sources_meta(path, bytes).findings,
        other => panic!("no loader for {other}"),
    };
    !findings.iter().any(|f| f.code.is_structural())
}

/// Whether the JSON Schema accepts the file; YAML that does not parse has no
/// JSON form, and both sides reject it.
fn schema_accepts(validator: &jsonschema::Validator, bytes: &[u8]) -> bool {
    match yaml::parse(bytes) {
        Ok(node) => validator.is_valid(&node.to_json()),
        Err(_) => false,
    }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    out.sort();
    out
}

#[test]
fn schemas_and_annot_agree_on_every_fixture() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema");
    let mut disagreements = Vec::new();
    let mut checked = 0;
    for (kind, schema_file) in [
        ("annotations", "annotations.schema.json"),
        ("vocabulary", "vocabulary.schema.json"),
        ("sources", "sources.schema.json"),
    ] {
        let validator = schema(schema_file);
        for path in files(&root.join(kind)) {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let expected = name.starts_with("valid-");
            assert!(
                expected || name.starts_with("invalid-"),
                "fixture {name} must start with valid- or invalid-"
            );
            let bytes = std::fs::read(&path).unwrap();
            let by_annot = annot_accepts(kind, &format!("{kind}/{name}"), &bytes);
            let by_schema = schema_accepts(&validator, &bytes);
            if by_annot != expected || by_schema != expected {
                disagreements.push(format!(
                    "{kind}/{name}: expected {expected}, annot {by_annot}, schema {by_schema}"
                ));
            }
            checked += 1;
        }
    }
    assert!(checked >= 50, "only {checked} fixtures");
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

#[test]
fn this_repository_s_files_satisfy_the_schemas() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let annotations = schema("annotations.schema.json");
    for path in files(&repo.join("annotations")) {
        let bytes = std::fs::read(&path).unwrap();
        assert!(schema_accepts(&annotations, &bytes), "{}", path.display());
    }
    let vocabulary = std::fs::read(repo.join("schema/vocabulary.yaml")).unwrap();
    assert!(schema_accepts(
        &schema("vocabulary.schema.json"),
        &vocabulary
    ));
    let sources = std::fs::read(repo.join("seeds/sources.yaml")).unwrap();
    assert!(schema_accepts(&schema("sources.schema.json"), &sources));
}

#[test]
fn every_file_names_its_schema() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for path in files(&repo.join("annotations")) {
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("# yaml-language-server: $schema=../schema/annotations.schema.json\n"),
            "{} lacks the modeline",
            path.display()
        );
    }
    assert!(std::fs::read_to_string(repo.join("schema/vocabulary.yaml"))
        .unwrap()
        .starts_with("# yaml-language-server: $schema=vocabulary.schema.json"));
    assert!(std::fs::read_to_string(repo.join("seeds/sources.yaml"))
        .unwrap()
        .starts_with("# yaml-language-server: $schema=../schema/sources.schema.json"));
}
