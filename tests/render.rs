//! `annot render`: the pages read back without a browser — the page text is
//! the seed's, every highlight's text is its quote, everything from a file
//! is shown literally, the output is the same for the same input, and
//! places the report must not go are refused (exit 2).

mod common;

use common::hostile::{self, hostile};
use common::html;
use common::{git, Ws, SEED, SEED_PATH};
use std::collections::BTreeMap;
use std::path::Path;

fn render(ws: &Ws, args: &[&str]) -> common::Run {
    let mut all = vec!["render"];
    all.extend_from_slice(args);
    ws.run(&all)
}

fn files_of(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

fn page(ws: &Ws, rel: &str) -> String {
    ws.read(&format!("annot-report/{rel}"))
}

#[test]
fn hostile_page_text_is_the_seed_and_highlights_are_the_quotes() {
    let h = hostile();
    let run = render(&h.ws, &[]);
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    let html_text = page(&h.ws, "sources/hostile.txt.html");
    let text = html::text_of(&html_text, "source-text", "data-annot-id").unwrap();
    assert_eq!(text.text, hostile::SEED);
    let mut expected = h.quotes.clone();
    expected.remove("p.ab");
    assert_eq!(text.highlights, expected);
    // Overlaps split spans into several elements, each carrying the id.
    let parts = |id: &str| text.marks.iter().filter(|(i, _, _)| i == id).count();
    assert_eq!(parts("h.bg"), 2);
    assert_eq!(parts("h.ab"), 1);
    assert!(parts("h:colon") >= 1);
    // The seed's markup, the CR and the BOM are all character references.
    assert!(html_text.contains("&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;"));
    assert!(html_text.contains("3.&#13;\n"));
    assert!(html_text.contains("&#xFEFF;Breaking"));
    // Annotation ids never meet the page's own element ids.
    for id in ["main", "findings"] {
        assert_eq!(
            html_text.matches(&format!(" id=\"{id}\"")).count(),
            1,
            "{id}"
        );
        assert_eq!(
            html_text.matches(&format!(" id=\"_{id}\"")).count(),
            1,
            "_{id}"
        );
    }
    let plain = page(&h.ws, "sources/plain_one.txt-6d31f74802.html");
    let text = html::text_of(&plain, "source-text", "data-annot-id").unwrap();
    assert_eq!(text.text, hostile::PLAIN);
    assert_eq!(
        text.highlights,
        BTreeMap::from([("p.ab".to_string(), "alpha beta".to_string())])
    );
}

#[test]
fn what_files_say_is_shown_literally_and_never_runs() {
    let h = hostile();
    assert_eq!(render(&h.ws, &[]).status, 0);
    let site = files_of(&h.ws.path().join("annot-report"));
    for (rel, bytes) in &site {
        if !rel.ends_with(".html") {
            continue;
        }
        let page = String::from_utf8(bytes.clone()).unwrap();
        // The only script is the report's own file; no element or
        // attribute comes from a file's text.
        assert_eq!(page.matches("<script").count(), 1, "{rel}");
        assert!(
            page.contains("<script src=\"../assets/report.js\"></script>")
                || page.contains("<script src=\"assets/report.js\"></script>"),
            "{rel}"
        );
        for bad in ["<img", "<i>Title", "<b>bold", "<b>not", "<script>alert"] {
            assert!(!page.contains(bad), "{rel} contains {bad}");
        }
        assert!(!page.contains("href=\"javascript"), "{rel}");
        for url in page
            .match_indices("href=\"")
            .map(|(at, m)| &page[at + m.len()..])
        {
            let url = &url[..url.find('"').unwrap()];
            let head = url.split(['/', '#', '?']).next().unwrap_or_default();
            assert!(
                !head.contains(':') || url.starts_with("https://") || url.starts_with("data:"),
                "{rel}: {url}"
            );
        }
    }
    let index = String::from_utf8(site["index.html"].clone()).unwrap();
    // Shown as text, escaped for its context.
    assert!(index.contains("javascript:alert(document.cookie)"));
    assert!(index.contains("&#60;i&#62;Title&#60;/i&#62; &#34;q&#34; &#39;x&#39;"));
    assert!(index.contains("Pub &#38; &#60;Co&#62;"));
    assert!(index.contains("<a href=\"https://example.org/a?b=1&#38;c=&#34;2&#34;\">"));
    let source = String::from_utf8(site["sources/hostile.txt.html"].clone()).unwrap();
    assert!(source.contains(
        "&#60;script&#62;alert(1)&#60;/script&#62; &#34;&#39;&#62;&#60;img src=x onerror=alert(2)&#62;"
    ));
    assert!(source.contains("&#60;/li&#62;&#60;script&#62;alert(3)&#60;/script&#62;"));
    let item = String::from_utf8(site["items/ent.x.html"].clone()).unwrap();
    assert!(item.contains("<title>ent.x · annot report</title>"));
    assert!(item.contains("&#60;b&#62;bold&#60;/b&#62; &#38; &#34;quoted&#34;"));
}

#[test]
fn a_broken_annotation_is_shown_with_its_finding() {
    let h = hostile();
    assert_eq!(render(&h.ws, &[]).status, 0);
    let source = page(&h.ws, "sources/hostile.txt.html");
    assert!(!html::annot_ids(&source).contains(&"h.broken".to_string()));
    let at = source
        .find("<article class=\"ann\" id=\"h.broken\"")
        .unwrap();
    let article = &source[at..at + source[at..].find("</article>").unwrap()];
    assert!(
        article.contains("not highlighted: the text at 1–9 is “Breaking”, not the quote"),
        "{article}"
    );
    assert!(
        article.contains("<code class=\"code\">quote-mismatch</code>"),
        "{article}"
    );
    let index = page(&h.ws, "index.html");
    assert!(index.contains("<code class=\"code\">quote-mismatch</code> <code class=\"where\">annotations/hostile.yaml:"));
    assert!(index.contains("<a href=\"sources/hostile.txt.html#h.broken\">h.broken</a>"));
}

#[test]
fn item_pages_show_evidence_by_source_and_contradictions() {
    let h = hostile();
    assert_eq!(render(&h.ws, &[]).status, 0);
    let item = page(&h.ws, "items/ent.x.html");
    assert!(
        item.contains("<h1><span class=\"badge k1\">entity</span> ent.x</h1>"),
        "{item}"
    );
    // One group per source, under its publisher (the title is not shown as
    // markup), each quote a highlight equal to the quote.
    let heading = "<h3 id=\"_g1\"><a href=\"../sources/hostile.txt.html\">&#60;i&#62;Title&#60;/i&#62; &#34;q&#34; &#39;x&#39;</a></h3>";
    assert!(item.contains(heading), "{item}");
    assert!(
        item.contains(
            "<h3 id=\"_g2\"><a href=\"../sources/plain_one.txt-6d31f74802.html\">Plain</a></h3>"
        ),
        "{item}"
    );
    assert!(item.contains("<mark class=\"hl k0 d0\" data-annot-id=\"h.ab\" data-kind=\"claim\">alpha beta gamma</mark>"));
    assert!(item.contains(
        "<mark class=\"hl k0 d0\" data-annot-id=\"p.ab\" data-kind=\"claim\">alpha beta</mark>"
    ));
    // h.ab contradicts h.bg (its own link) and p.ab (p.ab's link to it).
    let at = item.find("data-annot-id=\"h.ab\"").unwrap();
    let figure = &item[at..at + item[at..].find("</figure>").unwrap()];
    assert!(figure.contains("<li class=\"link contradicts\"><span class=\"rel\">contradicts</span> <a href=\"../sources/hostile.txt.html#h.bg\">h.bg</a>"), "{figure}");
    assert!(
        figure.contains("<a href=\"../sources/plain_one.txt-6d31f74802.html#p.ab\">p.ab</a>"),
        "{figure}"
    );
}

#[test]
fn the_same_workspace_gives_the_same_bytes() {
    let h = hostile();
    assert_eq!(render(&h.ws, &["--out", "one"]).status, 0);
    assert_eq!(render(&h.ws, &["--out", "two"]).status, 0);
    let one = files_of(&h.ws.path().join("one"));
    let two = files_of(&h.ws.path().join("two"));
    assert_eq!(
        one.keys().collect::<Vec<_>>(),
        two.keys().collect::<Vec<_>>()
    );
    assert_eq!(one, two);
    assert_eq!(one.len(), 8, "{:?}", one.keys());
    assert!(
        one.contains_key("sources/sub_unnamed.txt-44ffb6d657.html"),
        "{:?}",
        one.keys()
    );
}

#[test]
fn a_second_run_replaces_its_own_report_only() {
    let h = hostile();
    assert_eq!(render(&h.ws, &[]).status, 0);
    h.ws.write("annot-report/stale.html", "old");
    let run = render(&h.ws, &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(!h.ws.path().join("annot-report/stale.html").exists());
    assert!(
        run.stdout
            .starts_with("wrote 5 pages (2 findings shown) to "),
        "{}",
        run.stdout
    );
    // No temporary folder is left beside it.
    let beside: Vec<String> = std::fs::read_dir(h.ws.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("annot-"))
        .collect();
    assert_eq!(beside, vec!["annot-report".to_string()]);
}

#[test]
fn places_the_report_must_not_go_are_refused() {
    let h = hostile();
    h.ws.write("notes/mine.txt", "keep me");
    h.ws.write("a-file", "x");
    std::os::unix::fs::symlink(h.ws.path().join("notes"), h.ws.path().join("link")).unwrap();
    for (out, why) in [
        ("a-file", "it is a file, not a folder"),
        ("seeds/report", "it lies inside seeds/"),
        ("annotations", "it lies inside annotations/"),
        (".", "it holds the workspace itself"),
        ("notes", "it is a folder that `annot render` did not write"),
        ("a-file/sub", "cannot write"),
        ("link", "it is a symbolic link"),
    ] {
        let run = render(&h.ws, &["--out", out]);
        assert_eq!(run.status, 2, "{out}: {}{}", run.stdout, run.stderr);
        let said: Vec<&str> = run
            .stderr
            .split_whitespace()
            .filter(|w| *w != "│")
            .collect();
        let said = said.join(" ");
        assert!(said.contains(why), "{out}: {}", run.stderr);
        assert!(
            said.contains(out.trim_start_matches('.')),
            "{out}: {}",
            run.stderr
        );
    }
    assert_eq!(h.ws.read("notes/mine.txt"), "keep me");
    assert_eq!(h.ws.read("a-file"), "x");
    assert!(!h.ws.path().join("seeds/report").exists());
}

#[test]
fn outside_a_workspace_render_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let run = common::run_in(dir.path(), &["render"]);
    assert_eq!(run.status, 2);
    assert!(
        run.stderr.contains("no annot workspace found"),
        "{}",
        run.stderr
    );
}

#[test]
fn base_shows_old_and_new_text_and_each_drift_status() {
    let ws = Ws::new();
    let old = SEED;
    ws.annotations(
        "annotations/a.yaml",
        "  - id: a.sat\n    kind: claim\n    quote: sat on the mat\n    start: 8\n    end: 22\n  - id: a.ran\n    kind: claim\n    quote: The cat ran.\n    start: 24\n    end: 36\n",
    );
    git(ws.path(), &["init", "-q"]);
    git(ws.path(), &["add", "-A"]);
    git(
        ws.path(),
        &[
            "-c",
            "user.name=T",
            "-c",
            "user.email=t@example.org",
            "commit",
            "-qm",
            "base",
        ],
    );
    let new = format!("Intro line.\n{}", old.replace(" The cat ran.", ""));
    ws.write(SEED_PATH, &new);
    let run = render(&ws, &["--base", "HEAD"]);
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    let page = page(&ws, "sources/a.txt.html");
    let now = html::text_of(&page, "source-text", "data-annot-id").unwrap();
    let then = html::text_of(&page, "base-text", "data-base-annot-id").unwrap();
    assert_eq!(now.text, new);
    // Still pinned to the old text, a.sat is highlighted where drift safely
    // carries it; a.ran, deleted, is not.
    assert_eq!(
        now.highlights,
        BTreeMap::from([("a.sat".to_string(), "sat on the mat".to_string())])
    );
    assert_eq!(now.marks[0].2.as_deref(), Some("shifted"));
    assert_eq!(then.text, old);
    assert_eq!(
        then.highlights,
        BTreeMap::from([
            ("a.ran".to_string(), "The cat ran.".to_string()),
            ("a.sat".to_string(), "sat on the mat".to_string()),
        ])
    );
    assert!(page.contains("<li id=\"_drift-a.sat\" data-drift-status=\"shifted\"><span class=\"status status-shifted\">shifted</span>"), "{page}");
    assert!(page.contains("<li id=\"_drift-a.ran\" data-drift-status=\"deleted\"><span class=\"status status-deleted\">deleted</span>"), "{page}");
    let index = self::page(&ws, "index.html");
    assert!(
        index.contains("<span class=\"status status-deleted\">1 deleted</span>"),
        "{index}"
    );
    // A revision that does not exist cannot be rendered against.
    let run = render(&ws, &["--base", "no-such-rev"]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("no-such-rev"), "{}", run.stderr);
}

#[test]
fn init_ignores_the_report_and_keeps_what_gitignore_had() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".gitignore"), "target\n*.log").unwrap();
    let run = common::run_in(dir.path(), &["init"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("added `annot-report/` to .gitignore"),
        "{}",
        run.stdout
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".gitignore")).unwrap(),
        "target\n*.log\nannot-report/\n"
    );
    let run = common::run_in(dir.path(), &["init"]);
    assert!(
        run.stdout.contains("kept (already there) .gitignore"),
        "{}",
        run.stdout
    );
    let fresh = tempfile::tempdir().unwrap();
    assert_eq!(common::run_in(fresh.path(), &["init"]).status, 0);
    assert_eq!(
        std::fs::read_to_string(fresh.path().join(".gitignore")).unwrap(),
        "annot-report/\n"
    );
}
