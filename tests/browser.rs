//! `annot render` in a real browser (headless Chromium, driven by
//! tests/browser/check.py over the DevTools protocol): every page of this
//! repository's report, of a hostile workspace and of a `--base` report
//! loads with no console message and no request that leaves the disk; a
//! source page's text is its seed's; every highlight's text is its quote;
//! nothing scrolls sideways at 390 or 320 CSS px; the first highlight's
//! marker opens the details and Escape closes them; with
//! `ANNOT_AXE=…/axe.min.js` (axe-core, which `.ci/run` installs from npm),
//! no serious or critical WCAG 2.1 A/AA violation on any page.
//!
//! Ignored by default (it needs `chromium`); `.ci/run` runs it with
//! `-- --ignored`. With `ANNOT_SCREENSHOTS=DIR` it also writes screenshots
//! of each page kind, desktop and phone, into DIR (docs/render/ holds them).

mod common;

use annot::render::view::source_page;
use annot::workspace::{Tree, Workspace};
use common::{git, Ws, SEED, SEED_PATH};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What a site's pages should show: seed text by page, quotes by id (the
/// first definition's, as the report highlights only that one).
struct Expected {
    out: PathBuf,
    seeds: BTreeMap<String, String>,
    quotes: BTreeMap<String, String>,
    /// How many annotations each source page has.
    annotated: BTreeMap<String, usize>,
}

fn expected(root: &Path, out: PathBuf) -> Expected {
    let ws = Workspace::load(root, &Tree::WorkTree).unwrap();
    let mut seeds = BTreeMap::new();
    for (path, text) in &ws.sources {
        if let Ok(text) = text {
            seeds.insert(source_page(path), text.text().to_string());
        }
    }
    let mut quotes = BTreeMap::new();
    let mut annotated = BTreeMap::new();
    for file in &ws.files {
        if let Some(source) = &file.source {
            *annotated.entry(source_page(&source.value)).or_insert(0) += file.annotations.len();
        }
        for a in &file.annotations {
            if let Some(q) = &a.quote {
                quotes
                    .entry(a.id.value.clone())
                    .or_insert_with(|| q.value.clone());
            }
        }
    }
    Expected {
        out,
        seeds,
        quotes,
        annotated,
    }
}

fn render(dir: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec!["render", "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let run = common::run_in(dir, &args);
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
}

fn html_pages(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for sub in ["", "sources", "items"] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for entry in entries {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if name.ends_with(".html") {
                out.push(if sub.is_empty() {
                    name
                } else {
                    format!("{sub}/{name}")
                });
            }
        }
    }
    out.sort();
    out
}

fn url(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn chromium() -> String {
    let name = std::env::var("ANNOT_CHROMIUM").unwrap_or_else(|_| "chromium".to_string());
    let found = Command::new(&name).arg("--version").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "`{name}` cannot be run: install Debian's chromium (`apt-get install -y chromium`) or set ANNOT_CHROMIUM to a Chromium binary"
    );
    name
}

#[test]
#[ignore = "needs chromium; .ci/run runs it"]
fn every_page_reads_right_in_chromium() {
    let temp = tempfile::tempdir().unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));

    let repo_out = temp.path().join("repo");
    render(repo, &repo_out, &[]);
    let hostile = common::hostile::hostile();
    let hostile_out = temp.path().join("hostile");
    render(hostile.ws.path(), &hostile_out, &[]);
    let base = base_workspace();
    let base_out = temp.path().join("base");
    render(base.path(), &base_out, &["--base", "HEAD"]);

    let sites = [
        expected(repo, repo_out.clone()),
        expected(hostile.ws.path(), hostile_out.clone()),
        expected(base.path(), base_out.clone()),
    ];
    let mut pages = Vec::new();
    for site in &sites {
        for page in html_pages(&site.out) {
            pages.push(json!({
                "url": url(&site.out.join(&page)),
                "page": page,
                "seed": site.seeds.get(&page),
                "quotes": site.quotes,
                "annotated": site.annotated.get(&page).copied().unwrap_or(0),
            }));
        }
    }
    let mut screenshots = Vec::new();
    if let Some(dir) = std::env::var_os("ANNOT_SCREENSHOTS") {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        let kinds = [
            ("index", repo_out.join("index.html"), None),
            (
                "source",
                repo_out.join("sources/000_58609d336a8452fe.txt.html"),
                None,
            ),
            (
                "details",
                repo_out.join("sources/000_58609d336a8452fe.txt.html"),
                Some("[data-annot-id=\"tass.sappers\"] a.ref"),
            ),
            ("item", repo_out.join("items/prop.sappers-1000.html"), None),
            (
                "contradicts",
                repo_out.join("items/prop.role-defmin-current.html"),
                None,
            ),
            (
                "hostile",
                hostile_out.join("sources/hostile.txt.html"),
                None,
            ),
            ("base", base_out.join("sources/a.txt.html"), None),
        ];
        for (name, page, click) in kinds {
            for (form, width, height, mobile) in
                [("desktop", 1280, 900, false), ("phone", 390, 844, true)]
            {
                screenshots.push(json!({
                    "url": url(&page),
                    "path": dir.join(format!("{name}-{form}.png")),
                    "width": width, "height": height, "mobile": mobile,
                    "click": click,
                }));
            }
        }
    }
    let job = temp.path().join("job.json");
    std::fs::write(
        &job,
        serde_json::to_vec(&json!({
            "chromium": chromium(),
            "axe": std::env::var_os("ANNOT_AXE").map(PathBuf::from),
            "pages": pages,
            "screenshots": screenshots,
        }))
        .unwrap(),
    )
    .unwrap();
    let output = Command::new("python3")
        .arg(repo.join("tests/browser/check.py"))
        .arg(&job)
        .output()
        .expect("python3 runs tests/browser/check.py");
    assert!(
        output.status.success(),
        "check.py failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let results = report["pages"].as_array().unwrap();
    assert_eq!(results.len(), pages.len());
    let mut kinds_seen = BTreeMap::new();
    for (page, got) in pages.iter().zip(results) {
        let name = page["page"].as_str().unwrap();
        let what = format!("{}: {got}", page["url"]);
        assert_eq!(got["console"], json!([]), "{what}");
        assert_eq!(got["outside"], json!([]), "{what}");
        assert_eq!(got["failed"], json!([]), "{what}");
        assert_eq!(got["mismatches"], json!([]), "{what}");
        assert_eq!(
            got["overflow"],
            json!({"390": false, "320": false}),
            "{what}"
        );
        assert_eq!(got["unlabelled_refs"], json!(0), "{what}");
        if std::env::var_os("ANNOT_AXE").is_some() {
            assert_eq!(got["axe"], json!([]), "{what}");
        }
        let kind = name.split('/').next().unwrap();
        *kinds_seen.entry(kind.to_string()).or_insert(0) += 1;
        if page["seed"].is_string() {
            assert_eq!(got["text_equal"], json!(true), "{what}");
            assert_eq!(got["white_space"], json!("pre-wrap"), "{what}");
            // One keyboard stop (a labelled link) per highlighted annotation.
            assert_eq!(got["text_refs"], got["text_ids"], "{what}");
            if page["annotated"].as_u64().unwrap() > 0 {
                assert!(got["highlights"].as_u64().unwrap() > 0, "{what}");
                assert_eq!(got["panel_opened"], json!(true), "{what}");
                assert_eq!(got["panel_closed"], json!(true), "{what}");
            } else {
                assert_eq!(got["highlights"], json!(0), "{what}");
            }
        }
    }
    // Every page kind was loaded: the three indexes, the sources (5 + 3 + 1)
    // and the items.
    assert_eq!(kinds_seen["index.html"], 3);
    assert_eq!(kinds_seen["sources"], 9);
    assert!(kinds_seen["items"] > 40, "{kinds_seen:?}");
}

/// A repository whose one source changed since HEAD: a line before it,
/// one sentence gone.
fn base_workspace() -> Ws {
    let ws = Ws::new();
    ws.annotations(
        "annotations/a.yaml",
        "  - id: a.sat\n    kind: claim\n    quote: sat on the mat\n    start: 8\n    end: 22\n  - id: a.ran\n    kind: claim\n    quote: The cat ran.\n    start: 24\n    end: 36\n  - id: a.cat\n    kind: note\n    quote: cat sat\n    start: 4\n    end: 11\n",
    );
    git(ws.path(), &["init", "-q"]);
    git(ws.path(), &["add", "-A"]);
    git(ws.path(), &["commit", "-qm", "base"]);
    ws.write(
        SEED_PATH,
        format!("Intro line.\n{}", SEED.replace(" The cat ran.", "")),
    );
    ws
}
