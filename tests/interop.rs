//! `annot export` and `annot import` end to end: round trips of this
//! repository's workspace through every format, seeds with CRLF, a BOM,
//! emoji, NFD and line breaks inside quotes, and brat's own example data.

mod common;

use annot::workspace::{Tree, Workspace};
use common::{run_in, Run};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// An anchored annotation's source, span and kind.
type SpanKey = (Option<String>, Option<(u64, u64)>, String);
/// A span and its quote.
type SpanAndQuote = (Option<(u64, u64)>, Option<String>);

/// What a format may keep of an annotation.
#[derive(Debug, Clone, PartialEq)]
struct Kept {
    kind: String,
    source: Option<String>,
    span: Option<(u64, u64)>,
    quote: Option<String>,
    attrs: Vec<(String, Value)>,
    note: Option<String>,
    links: Vec<(String, String, Option<String>)>,
}

fn annotations(root: &Path) -> BTreeMap<String, Kept> {
    let ws = Workspace::load(root, &Tree::WorkTree).unwrap();
    let mut out = BTreeMap::new();
    for file in &ws.files {
        for a in &file.annotations {
            let mut attrs: Vec<(String, Value)> = a
                .attrs
                .iter()
                .map(|(k, v)| (k.value.clone(), v.to_json()))
                .collect();
            attrs.sort_by(|x, y| x.0.cmp(&y.0));
            out.insert(
                a.id.value.clone(),
                Kept {
                    kind: a.kind.value.clone(),
                    source: file.source.as_ref().map(|s| s.value.clone()),
                    span: a.span(),
                    quote: a.quote.as_ref().map(|q| q.value.clone()),
                    attrs,
                    note: a.note.as_ref().map(|n| n.value.clone()),
                    links: a
                        .links
                        .iter()
                        .map(|l| (l.rel.value.clone(), l.target.value.clone(), l.note.clone()))
                        .collect(),
                },
            );
        }
    }
    out
}

/// A fresh workspace holding `seeds` (copied) and an empty vocabulary.
fn fresh_with_seeds(seeds: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let init = run_in(dir.path(), &["init"]);
    assert_eq!(init.status, 0, "{}", init.stderr);
    copy_dir(seeds, &dir.path().join("seeds"));
    fs::write(
        dir.path().join("schema/vocabulary.yaml"),
        "kinds: {}\nrelations: {}\n",
    )
    .unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn assert_clean(root: &Path) {
    let v = run_in(root, &["validate", "--format", "json"]);
    assert_eq!(v.status, 0, "validate is not clean:\n{}", v.stdout);
}

fn export(root: &Path, args: &[&str]) -> Run {
    let mut all = vec!["export"];
    all.extend_from_slice(args);
    let run = run_in(root, &all);
    assert_eq!(run.status, 0, "{}", run.stderr);
    run
}

/// The last line of stderr: the summary.
fn summary(run: &Run) -> &str {
    run.stderr.lines().last().unwrap_or("")
}

#[test]
fn w3c_round_trip_keeps_everything() {
    let original = annotations(&repo());
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("w3c.json");
    let run = export(
        &repo(),
        &["--format", "w3c", "--out", file.to_str().unwrap()],
    );
    assert!(
        summary(&run).ends_with("; 0 not exported"),
        "{}",
        run.stderr
    );

    let ws = fresh_with_seeds(&repo().join("seeds"));
    let import = run_in(ws.path(), &["import", "w3c", file.to_str().unwrap()]);
    assert_eq!(import.status, 0, "{}", import.stderr);
    assert_eq!(
        summary(&import),
        format!("imported {} annotations; 0 not imported", original.len())
    );
    assert_clean(ws.path());
    let imported = annotations(ws.path());
    assert_eq!(imported.len(), original.len());
    for (id, kept) in &original {
        let mut got = imported[id].clone();
        // The files are new; the sources are the same.
        assert_eq!(got.source, kept.source, "{id}");
        got.source = kept.source.clone();
        assert_eq!(&got, kept, "{id}");
    }
}

#[test]
fn jsonl_round_trip_keeps_spans_attrs_notes_and_links_within_a_text() {
    let original = annotations(&repo());
    let run = export(&repo(), &["--format", "jsonl"]);
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("x.jsonl");
    fs::write(&file, &run.stdout).unwrap();
    // One line per source; Python's slicing gives every quote.
    let lines: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5);
    for line in &lines {
        let text: Vec<char> = line["text"].as_str().unwrap().chars().collect();
        for span in line["spans"].as_array().unwrap() {
            let (s, e) = (
                span["start"].as_u64().unwrap(),
                span["end"].as_u64().unwrap(),
            );
            let slice: String = text[s as usize..e as usize].iter().collect();
            assert_eq!(slice, span["text"].as_str().unwrap());
        }
    }

    let ws = fresh_with_seeds(&repo().join("seeds"));
    let import = run_in(ws.path(), &["import", "jsonl", file.to_str().unwrap()]);
    assert_eq!(import.status, 0, "{}", import.stderr);
    assert_clean(ws.path());
    let imported = annotations(ws.path());
    let anchored: Vec<(&String, &Kept)> =
        original.iter().filter(|(_, k)| k.span.is_some()).collect();
    assert_eq!(imported.len(), anchored.len());
    for (id, kept) in anchored {
        let got = &imported[id];
        let mut expected = kept.clone();
        // Links to other texts and to source-less items are not held.
        expected
            .links
            .retain(|l| original.get(&l.1).and_then(|t| t.source.as_ref()) == kept.source.as_ref());
        assert_eq!(got, &expected, "{id}");
    }
}

#[test]
fn brat_round_trip_keeps_kinds_spans_attrs_notes_and_links_within_a_text() {
    let original = annotations(&repo());
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("brat");
    let run = export(
        &repo(),
        &["--format", "brat", "--out", dir.to_str().unwrap()],
    );
    assert!(run.stderr.contains("not exported"), "{}", run.stderr);
    for name in [
        "annotation.conf",
        "visual.conf",
        "000_58609d336a8452fe.txt",
        "000_58609d336a8452fe.ann",
    ] {
        assert!(dir.join(name).is_file(), "{name}");
    }
    check_as_brat_reads(&dir);

    let ws = fresh_with_seeds(&repo().join("seeds"));
    let import = run_in(ws.path(), &["import", "brat", dir.to_str().unwrap()]);
    assert_eq!(import.status, 0, "{}", import.stderr);
    assert_clean(ws.path());
    // brat has no names for annotations: match them by source and span.
    let imported = annotations(ws.path());
    let by_span: BTreeMap<SpanKey, &String> = original
        .iter()
        .map(|(id, k)| ((k.source.clone(), k.span, k.kind.clone()), id))
        .collect();
    let id_of = |k: &Kept| by_span[&(k.source.clone(), k.span, k.kind.clone())].clone();
    let anchored = original.values().filter(|k| k.span.is_some()).count();
    assert_eq!(imported.len(), anchored);
    let new_to_old: BTreeMap<&String, String> =
        imported.iter().map(|(id, k)| (id, id_of(k))).collect();
    for (new_id, got) in &imported {
        let old = &original[&new_to_old[new_id]];
        assert_eq!(got.quote, old.quote);
        assert_eq!(got.attrs, old.attrs, "{new_id}");
        assert_eq!(got.note, old.note, "{new_id}");
        let links: Vec<(String, String, Option<String>)> = got
            .links
            .iter()
            .map(|(r, t, n)| (r.clone(), new_to_old[t].clone(), n.clone()))
            .collect();
        let mut expected = old.links.clone();
        expected.retain(|l| original[&l.1].source == old.source);
        assert_eq!(links, expected, "{new_id}");
    }
}

/// Reads a brat folder as brat's server does: the `.txt` as UTF-8 with
/// its newlines as they are, the `.ann` split where Python's `splitlines`
/// splits, and each text-bound line's text equal to its fragments' text
/// joined by spaces.
fn check_as_brat_reads(dir: &Path) {
    let breaks = [
        '\n', '\r', '\u{0b}', '\u{0c}', '\u{1c}', '\u{1d}', '\u{1e}', '\u{85}', '\u{2028}',
        '\u{2029}',
    ];
    let mut seen = 0;
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "ann") {
            continue;
        }
        let text: Vec<char> = fs::read_to_string(path.with_extension("txt"))
            .unwrap()
            .chars()
            .collect();
        let ann = fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains(&'\r'),
            "{}: the .txt keeps a CR",
            path.display()
        );
        for line in ann.split(&breaks[..]).filter(|l| l.starts_with('T')) {
            let parts: Vec<&str> = line.splitn(3, '\t').collect();
            let (kind_offsets, shown) = (parts[1], parts[2]);
            let offsets = kind_offsets.split_once(' ').unwrap().1;
            let fragments: Vec<String> = offsets
                .split(';')
                .map(|f| {
                    let (s, e) = f.split_once(' ').unwrap();
                    text[s.parse::<usize>().unwrap()..e.parse::<usize>().unwrap()]
                        .iter()
                        .collect()
                })
                .collect();
            assert_eq!(fragments.join(" "), shown, "{}: {line}", path.display());
            seen += 1;
        }
    }
    assert!(seen > 0);
}

/// A workspace whose seeds are what real documents hold: CRLF, a BOM,
/// emoji, decomposed accents and a Unicode line separator, with quotes
/// across line breaks.
fn awkward_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    assert_eq!(run_in(root, &["init"]).status, 0);
    let crlf =
        "\u{feff}First line 😀 here.\r\nSecond line, cafe\u{301}.\r\n\r\nThird\u{2028}part.\r\n";
    fs::write(root.join("seeds/crlf.txt"), crlf).unwrap();
    fs::write(
        root.join("schema/vocabulary.yaml"),
        "kinds:\n  claim: {anchored: true, attrs: {n: {type: integer}, tags: {type: string}}}\n  entity: {anchored: false}\nrelations:\n  cites: {from: [claim], to: [claim, entity]}\n",
    )
    .unwrap();
    fs::write(
        root.join("annotations/crlf.yaml"),
        "source: seeds/crlf.txt\nannotations:\n  - id: c.emoji\n    kind: claim\n    quote: \"😀 here.\"\n    attrs: {n: 3, tags: [a, b]}\n    note: \"two\\nlines\"\n  - id: c.across\n    kind: claim\n    quote: \"here.\\r\\nSecond\"\n    links: [{rel: cites, target: c.emoji, note: why}]\n  - id: c.cafe\n    kind: claim\n    quote: \"cafe\\u0301\"\n  - id: c.sep\n    kind: claim\n    quote: \"Third\\u2028part\"\n    links: [{rel: cites, target: e.x}]\n",
    )
    .unwrap();
    fs::write(
        root.join("annotations/items.yaml"),
        "annotations:\n  - id: e.x\n    kind: entity\n",
    )
    .unwrap();
    let anchor = run_in(root, &["anchor"]);
    assert_eq!(anchor.status, 0, "{}{}", anchor.stdout, anchor.stderr);
    assert_clean(root);
    dir
}

#[test]
fn brat_export_of_crlf_bom_and_line_breaks_reads_back_as_brat_reads_it() {
    let ws = awkward_workspace();
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("b");
    let run = export(
        ws.path(),
        &["--format", "brat", "--out", dir.to_str().unwrap()],
    );
    check_as_brat_reads(&dir);
    let txt = fs::read_to_string(dir.join("crlf.txt")).unwrap();
    assert!(txt.starts_with('\u{feff}') && txt.contains("here.\nSecond"));
    assert!(
        run.stderr.contains("note: annotations/crlf.yaml:11: `c.across` quotes text across line breaks: written as 2 brat fragments, split at the breaks"),
        "{}",
        run.stderr
    );
    assert!(run
        .stderr
        .contains("`c.sep` quotes text across line breaks"));
    assert!(
        run.stderr
            .contains("not carried over: annotations/items.yaml:2: `e.x` is not on a source"),
        "{}",
        run.stderr
    );
    assert_eq!(
        summary(&run),
        format!(
            "exported 4 annotations of 1 source to {}; 2 not exported",
            dir.display()
        )
    );

    // Back into a workspace with the same seed: the spans land where they
    // were in the CRLF text.
    let fresh = fresh_with_seeds(&ws.path().join("seeds"));
    let import = run_in(fresh.path(), &["import", "brat", dir.to_str().unwrap()]);
    assert_eq!(import.status, 0, "{}", import.stderr);
    assert_clean(fresh.path());
    let before = annotations(ws.path());
    let after = annotations(fresh.path());
    let spans = |m: &BTreeMap<String, Kept>| {
        let mut v: Vec<SpanAndQuote> = m
            .values()
            .filter(|k| k.span.is_some())
            .map(|k| (k.span, k.quote.clone()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(spans(&after), spans(&before));
}

#[test]
fn jsonl_and_w3c_keep_crlf_bom_and_nfd_exactly() {
    let ws = awkward_workspace();
    let jsonl = export(ws.path(), &["--format", "jsonl"]);
    let line: Value = serde_json::from_str(jsonl.stdout.lines().next().unwrap()).unwrap();
    let seed = fs::read_to_string(ws.path().join("seeds/crlf.txt")).unwrap();
    assert_eq!(line["text"].as_str().unwrap(), seed);
    assert_eq!(line["meta"]["source"], "seeds/crlf.txt");
    let w3c = export(ws.path(), &["--format", "w3c"]);
    let before = annotations(ws.path());
    for (format, bytes) in [("jsonl", &jsonl.stdout), ("w3c", &w3c.stdout)] {
        let out = tempfile::tempdir().unwrap();
        let file = out.path().join("in");
        fs::write(&file, bytes).unwrap();
        let fresh = fresh_with_seeds(&ws.path().join("seeds"));
        let import = run_in(fresh.path(), &["import", format, file.to_str().unwrap()]);
        assert_eq!(import.status, 0, "{format}: {}", import.stderr);
        assert_clean(fresh.path());
        let after = annotations(fresh.path());
        for (id, kept) in &after {
            let old = &before[id];
            assert_eq!(
                (kept.span, &kept.quote, &kept.attrs, &kept.note),
                (old.span, &old.quote, &old.attrs, &old.note),
                "{format} {id}"
            );
        }
    }
}

#[test]
fn python_slices_every_jsonl_span_to_its_text() {
    let Ok(python) = which_python() else {
        eprintln!("python3 not found: skipped");
        return;
    };
    let ws = awkward_workspace();
    let jsonl = export(ws.path(), &["--format", "jsonl"]);
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("x.jsonl");
    fs::write(&file, &jsonl.stdout).unwrap();
    let script = "import json,sys\nn=0\nfor line in open(sys.argv[1],encoding='utf-8',newline=''):\n    d=json.loads(line)\n    for s in d['spans']:\n        assert d['text'][s['start']:s['end']]==s['text'], s\n        n+=1\nprint(n)\n";
    let output = std::process::Command::new(python)
        .args(["-c", script, file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "4");
}

fn which_python() -> Result<&'static str, ()> {
    std::process::Command::new("python3")
        .arg("--version")
        .output()
        .map(|_| "python3")
        .map_err(|_| ())
}

#[test]
fn brat_example_data_imports_validates_and_exports_span_by_span() {
    let fixtures = repo().join("tests/fixtures/brat-example");
    for (corpus, doc, expected_status) in [("ge", "PMID-10364260", 1), ("ncbi", "PMID-10429004", 0)]
    {
        let ws = tempfile::tempdir().unwrap();
        assert_eq!(run_in(ws.path(), &["init"]).status, 0);
        fs::write(
            ws.path().join("schema/vocabulary.yaml"),
            "kinds: {}\nrelations: {}\n",
        )
        .unwrap();
        let input = fixtures.join(corpus);
        let import = run_in(ws.path(), &["import", "brat", input.to_str().unwrap()]);
        assert_eq!(
            import.status, expected_status,
            "{corpus}: {}",
            import.stderr
        );
        if corpus == "ge" {
            // Events are listed, one by one, with their line.
            let ann = input.join(format!("{doc}.ann"));
            assert!(
                import.stderr.contains(&format!(
                    "not carried over: {}:11: E1: a brat event; annot has no events",
                    ann.display()
                )),
                "{}",
                import.stderr
            );
            assert_eq!(summary(&import), "imported 10 annotations; 5 not imported");
        }
        assert_clean(ws.path());
        // The text came over byte for byte.
        assert_eq!(
            fs::read(ws.path().join(format!("seeds/{doc}.txt"))).unwrap(),
            fs::read(input.join(format!("{doc}.txt"))).unwrap()
        );
        let out = tempfile::tempdir().unwrap();
        let dir = out.path().join("again");
        export(
            ws.path(),
            &["--format", "brat", "--out", dir.to_str().unwrap()],
        );
        check_as_brat_reads(&dir);
        let t_lines = |path: &Path| {
            let mut v: Vec<String> = fs::read_to_string(path)
                .unwrap()
                .lines()
                .filter(|l| l.starts_with('T'))
                .map(|l| l.split_once('\t').unwrap().1.to_string())
                .collect();
            v.sort();
            v
        };
        assert_eq!(
            t_lines(&dir.join(format!("{doc}.ann"))),
            t_lines(&input.join(format!("{doc}.ann"))),
            "{corpus}"
        );
        if corpus == "ncbi" {
            let attrs = |path: &Path| {
                fs::read_to_string(path)
                    .unwrap()
                    .lines()
                    .filter(|l| l.starts_with('A'))
                    .count()
            };
            assert_eq!(
                attrs(&dir.join(format!("{doc}.ann"))),
                attrs(&input.join(format!("{doc}.ann")))
            );
            let vocabulary = fs::read_to_string(ws.path().join("schema/vocabulary.yaml")).unwrap();
            assert!(
                vocabulary.contains("Disease: {anchored: true, attrs: {Category: {values: [SpecificDisease, Modifier, DiseaseClass, CompositeMention]}}}"),
                "{vocabulary}"
            );
        }
    }
}

#[test]
fn export_of_one_source_and_refusals() {
    let run = export(
        &repo(),
        &["--format", "jsonl", "seeds/000_58609d336a8452fe.txt"],
    );
    assert_eq!(run.stdout.lines().count(), 1);
    let unknown = run_in(&repo(), &["export", "--format", "jsonl", "seeds/nope.txt"]);
    assert_eq!(unknown.status, 2);
    assert!(
        unknown
            .stderr
            .contains("no annotation file is on `seeds/nope.txt`"),
        "{}",
        unknown.stderr
    );
    let no_out = run_in(&repo(), &["export", "--format", "brat"]);
    assert_eq!(no_out.status, 2);
    assert!(
        no_out.stderr.contains("give it with `--out DIR`"),
        "{}",
        no_out.stderr
    );
    // Never onto the workspace's own files.
    let ws = awkward_workspace();
    let before = fs::read(ws.path().join("annotations/crlf.yaml")).unwrap();
    let onto = run_in(
        ws.path(),
        &[
            "export",
            "--format",
            "w3c",
            "--out",
            "annotations/crlf.yaml",
        ],
    );
    assert_eq!(onto.status, 2);
    assert!(
        onto.stderr.contains("it lies inside annotations/"),
        "{}",
        onto.stderr
    );
    assert_eq!(
        fs::read(ws.path().join("annotations/crlf.yaml")).unwrap(),
        before
    );
    let into_seeds = run_in(
        ws.path(),
        &["export", "--format", "brat", "--out", "seeds/brat"],
    );
    assert_eq!(into_seeds.status, 2);
    assert!(!ws.path().join("seeds/brat").exists());
    let busy = tempfile::tempdir().unwrap();
    fs::write(busy.path().join("keep.ann"), "mine").unwrap();
    let refused = run_in(
        &repo(),
        &[
            "export",
            "--format",
            "brat",
            "--out",
            busy.path().to_str().unwrap(),
        ],
    );
    assert_eq!(refused.status, 2);
    assert!(
        refused.stderr.contains("is not an empty folder"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        fs::read_to_string(busy.path().join("keep.ann")).unwrap(),
        "mine"
    );
}

#[test]
fn a_hypothesis_export_is_anchored_by_quote_with_its_url_and_first_declared_tag() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    assert_eq!(run_in(root, &["init"]).status, 0);
    fs::write(
        root.join("seeds/a.txt"),
        "The cat sat on the mat. The cat ran.\n",
    )
    .unwrap();
    fs::write(
        root.join("seeds/sources.yaml"),
        "seeds/a.txt:\n  url: https://example.org/cats\n",
    )
    .unwrap();
    let url = "https://example.org/cats";
    let row = |id: &str, tags: &str, selectors: &str| {
        format!(
            r#"{{"id": "{id}", "uri": "{url}", "text": "a note", "tags": [{tags}], "target": [{{"source": "{url}", "selector": [{selectors}]}}]}}"#
        )
    };
    let range = r#"{"type": "RangeSelector", "startContainer": "/p[1]", "startOffset": 0, "endContainer": "/p[1]", "endOffset": 3}"#;
    let rows = [
        // The second "cat", told apart by its prefix; RangeSelector ignored.
        row(
            "h1",
            r#""todo", "claim""#,
            &format!(
                r#"{range}, {{"type": "TextQuoteSelector", "exact": "cat", "prefix": "mat. The ", "suffix": " ran"}}"#
            ),
        ),
        // Ambiguous: refused with both places.
        row(
            "h2",
            r#""claim""#,
            r#"{"type": "TextQuoteSelector", "exact": "cat"}"#,
        ),
        // Whole-page note: no quote.
        row("h3", r#""claim""#, range),
    ];
    let input = root.join("hypothesis.json");
    fs::write(
        &input,
        format!("{{\"total\": 3, \"rows\": [{}]}}", rows.join(",")),
    )
    .unwrap();
    let run = run_in(root, &["import", "w3c", input.to_str().unwrap()]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    let shown = input.display().to_string();
    for expected in [
        format!("not carried over: {shown}: annotation 1: `h1`: its tags todo are not kept (annot keeps one tag, as the kind `claim`)"),
        format!("not carried over: {shown}: annotation 2: `h2`: its quote fits 2 places in seeds/a.txt (4..7, 28..31); not guessed"),
        format!("not carried over: {shown}: annotation 3: `h3` has no TextQuoteSelector (only RangeSelector)"),
    ] {
        assert!(run.stderr.contains(&expected), "missing {expected}\n{}", run.stderr);
    }
    assert_eq!(summary(&run), "imported 1 annotation; 3 not imported");
    assert_clean(root);
    let got = annotations(root);
    assert_eq!(got["h1"].span, Some((28, 31)));
    assert_eq!(got["h1"].note.as_deref(), Some("a note"));
}

#[test]
fn export_lists_every_annotation_it_cannot_vouch_for_and_writes_the_rest() {
    let ws = common::Ws::new();
    let sha = common::sha256(common::SEED.as_bytes());
    // The drifted one needs its pin's text: write it whole.
    ws.write(
        "annotations/a.yaml",
        format!(
            "source: seeds/a.txt\nsha256: {sha}\nannotations:\n  - {{id: a.ok, kind: claim, quote: sat, start: 8, end: 11}}\n  - {{id: a.off, kind: claim, quote: sat, start: 9, end: 12}}\n  - {{id: a.twice, kind: claim, quote: mat, start: 19, end: 22}}\n  - id: a.drifted\n    kind: claim\n    quote: ran\n    start: 32\n    end: 35\n    drift: {{status: deleted, from_sha256: {sha}, old_start: 32, old_end: 35, old_quote: ran}}\n"
        ),
    );
    ws.write(
        "annotations/b.yaml",
        format!("source: seeds/a.txt\nsha256: {}\nannotations:\n  - {{id: a.twice, kind: claim, quote: cat, start: 4, end: 7}}\n", "f".repeat(64)),
    );
    ws.write("annotations/c.yaml", "annotations:\n  - id: [oops\n");
    let run = ws.run(&["export", "--format", "jsonl"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    for expected in [
        "not carried over: annotations/a.yaml:5: `a.off`: the text at 9..12 is not its quote; run `annot validate`",
        "not carried over: annotations/a.yaml:6: `a.twice` is defined more than once; run `annot validate`",
        "not carried over: annotations/a.yaml:7: `a.drifted` has an unresolved `drift:`",
        "not carried over: annotations/b.yaml:1: 1 annotation: seeds/a.txt is not the version of the source they were made on",
        "not carried over: annotations/c.yaml:2: none of this file's annotations: it cannot be read",
    ] {
        assert!(run.stderr.contains(expected), "missing {expected}\n{}", run.stderr);
    }
    assert_eq!(
        summary(&run),
        "exported 1 annotation of 1 source to stdout; 5 not exported"
    );
    let line: Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(line["spans"].as_array().unwrap().len(), 1);
    assert_eq!(line["spans"][0]["id"], "a.ok");
}

#[test]
fn import_into_a_workspace_whose_vocabulary_does_not_read_changes_nothing() {
    let ws = common::Ws::new();
    ws.write("schema/vocabulary.yaml", "kinds: [oops\n");
    let input = ws.write(
        "in.jsonl",
        r#"{"text": "x y", "spans": [{"start": 0, "end": 1, "label": "claim"}], "meta": {"source": "seeds/n.txt"}}"#,
    );
    let run = ws.run_with(
        &["import", "jsonl", input.to_str().unwrap()],
        &[("COLUMNS", "1000")],
    );
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "schema/vocabulary.yaml cannot be read (unclosed bracket '[', line 1); fix it first"
        ),
        "{}",
        run.stderr
    );
    assert!(!ws.path().join("seeds/n.txt").exists());
    assert_eq!(ws.read("schema/vocabulary.yaml"), "kinds: [oops\n");
}
