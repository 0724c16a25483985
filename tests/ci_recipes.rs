//! The CI recipes of docs/ci.md: both files parse as YAML, hold the steps
//! the docs promise, install from the address annot's SARIF links to, and
//! appear in docs/ci.md exactly as shipped.

use serde_yaml_ng::Value;
use std::path::Path;

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel))
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn yaml(rel: &str) -> Value {
    serde_yaml_ng::from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel} is not YAML: {e}"))
}

fn install_line() -> String {
    format!(
        "cargo install --git {} --locked annot",
        annot::report::sarif::REPOSITORY
    )
}

#[test]
fn docs_show_both_files_verbatim() {
    let doc = read("docs/ci.md");
    for rel in ["docs/ci/annot.yml", "docs/ci/gitlab-ci.yml"] {
        let text = read(rel);
        assert!(
            doc.contains(&format!("```yaml\n{text}```\n")),
            "docs/ci.md does not show {rel} as it is"
        );
    }
}

#[test]
fn the_github_workflow_has_the_steps_that_matter() {
    let workflow = yaml("docs/ci/annot.yml");
    let permissions = &workflow["permissions"];
    assert_eq!(permissions["security-events"], "write");
    assert_eq!(permissions["pull-requests"], "write");
    assert_eq!(permissions["contents"], "read");
    let on = workflow
        .get("on")
        .or_else(|| workflow.get(Value::Bool(true)))
        .expect("an `on:` trigger");
    assert!(on.get("pull_request").is_some(), "runs on pull requests");

    let steps = workflow["jobs"]["annot"]["steps"].as_sequence().unwrap();
    let checkout = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/checkout@"))
        })
        .expect("a checkout");
    assert_eq!(checkout["with"]["fetch-depth"], 0);
    let run = |needle: &str| -> &Value {
        steps
            .iter()
            .find(|s| s["run"].as_str().is_some_and(|r| r.contains(needle)))
            .unwrap_or_else(|| panic!("no step runs {needle}"))
    };
    run(&install_line());
    run("annot validate --format github");
    run("annot validate --format sarif > annot.sarif");
    let upload = steps
        .iter()
        .find(|s| s["uses"] == "github/codeql-action/upload-sarif@v3")
        .expect("a SARIF upload");
    assert_eq!(upload["with"]["sarif_file"], "annot.sarif");

    let drift = run("--format markdown > drift.md");
    assert_eq!(drift["id"], "drift");
    let drift_script = drift["run"].as_str().unwrap();
    assert!(drift_script.contains("git merge-base \"origin/$BASE_REF\" HEAD"));
    assert!(drift_script.contains(">> \"$GITHUB_STEP_SUMMARY\""));
    assert!(drift["if"]
        .as_str()
        .unwrap()
        .contains("github.event_name == 'pull_request'"));

    let comment = run("<!-- annot-drift -->");
    let script = comment["run"].as_str().unwrap();
    assert!(script.contains("gh api --paginate \"repos/$GITHUB_REPOSITORY/issues/$PR/comments\""));
    assert!(script.contains("--method PATCH \"repos/$GITHUB_REPOSITORY/issues/comments/$id\""));
    assert!(script.contains("--method POST \"repos/$GITHUB_REPOSITORY/issues/$PR/comments\""));
    assert_eq!(comment["env"]["GH_TOKEN"], "${{ github.token }}");
}

#[test]
fn the_gitlab_job_keeps_its_reports() {
    let ci = yaml("docs/ci/gitlab-ci.yml");
    let job = &ci["annot"];
    assert_eq!(job["variables"]["GIT_DEPTH"], "0");
    let lines: Vec<&str> = job["before_script"]
        .as_sequence()
        .unwrap()
        .iter()
        .chain(job["script"].as_sequence().unwrap())
        .filter_map(Value::as_str)
        .collect();
    let has = |needle: &str| {
        assert!(
            lines.iter().any(|l| l.contains(needle)),
            "no line runs {needle}"
        )
    };
    has(&install_line());
    has("annot validate --format json > annot-validate.json");
    has("annot validate --format sarif > annot.sarif");
    has("> gl-code-quality.json");
    has("annot diff \"$CI_MERGE_REQUEST_DIFF_BASE_SHA\" HEAD --format markdown > annot-drift.md");
    assert!(lines.contains(&"annot validate"));
    let artifacts = &job["artifacts"];
    assert_eq!(artifacts["when"], "always");
    let paths: Vec<&str> = artifacts["paths"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        paths,
        ["annot-validate.json", "annot.sarif", "annot-drift.md"]
    );
    assert_eq!(artifacts["reports"]["codequality"], "gl-code-quality.json");
}
