//! The hot functions of `annot validate`, one at a time (divan): reading a
//! plain YAML annotation file, building its model, checking its spans
//! against the source, and the checks of ids and links across a workspace.
//! Whole commands are timed by `bench/scale.sh`.
//!
//! Run: `cargo bench --bench hot`

use annot::rules::{self, FileResult};
use annot::source::{sha256_hex, SourceText};
use annot::{load, yaml};
use std::sync::Arc;

fn main() {
    divan::main();
}

const WORDS: &[&str] = &[
    "sappers",
    "memorial",
    "zażółć",
    "museum",
    "builders",
    "région",
    "gęślą",
    "capital",
    "agreement",
    "soldiers",
    "jaźń",
    "café",
    "report",
    "engineers",
    "second",
    "third",
];

/// A deterministic source of about `chars` code points, some non-ASCII.
fn source_text(chars: usize) -> String {
    let mut text = String::new();
    let mut x: u64 = 7;
    while text.chars().count() < chars {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        text.push_str(WORDS[(x >> 33) as usize % WORDS.len()]);
        text.push(if (x >> 20) % 11 == 0 { '\n' } else { ' ' });
    }
    text
}

/// An annotation file of `n` annotations, each quoting three words of
/// `text` at their right code-point offsets.
fn annotation_file(text: &str, n: usize) -> String {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(
            text.chars()
                .enumerate()
                .filter(|(_, c)| *c == ' ' || *c == '\n')
                .map(|(i, _)| i + 1),
        )
        .collect();
    let chars: Vec<char> = text.chars().collect();
    let mut out = format!(
        "source: seeds/s.txt\nsha256: {}\nannotations:\n",
        sha256_hex(text.as_bytes())
    );
    for i in 0..n {
        let at = (i * 7919) % (starts.len() - 4);
        let (start, end) = (starts[at], starts[at + 3] - 1);
        let quote: String = chars[start..end].iter().collect();
        out.push_str(&format!(
            "  - id: s.a{i:05}\n    kind: claim\n    quote: {}\n    start: {start}\n    end: {end}\n    attrs: {{topic: sappers, figure: {}}}\n    links:\n      - {{rel: attributed-to, target: ent.e{}}}\n",
            serde_json::to_string(&quote).unwrap(),
            i % 5000,
            i % 1000
        ));
    }
    out
}

struct Case {
    yaml: String,
    source: Arc<SourceText>,
}

fn case() -> Case {
    let text = source_text(10_000);
    Case {
        yaml: annotation_file(&text, 100),
        source: Arc::new(SourceText::from_bytes(text.into_bytes()).unwrap()),
    }
}

/// The plain-YAML reader on one annotation file (100 annotations, ~18 KB).
#[divan::bench]
fn read_plain_yaml(bencher: divan::Bencher) {
    let case = case();
    bencher
        .counter(divan::counter::BytesCount::of_str(&case.yaml))
        .bench(|| yaml::parse_plain(divan::black_box(&case.yaml)).unwrap());
}

/// Reading and building the model of the same file.
#[divan::bench]
fn load_annotation_file(bencher: divan::Bencher) {
    let case = case();
    bencher
        .counter(divan::counter::BytesCount::of_str(&case.yaml))
        .bench(|| load::annotation_file("annotations/s.yaml", case.yaml.as_bytes()));
}

/// Checking its 100 spans against a 10,000-character source.
#[divan::bench]
fn check_file(bencher: divan::Bencher) {
    let case = case();
    let source = Ok(Arc::clone(&case.source));
    bencher
        .with_inputs(|| load::annotation_file("annotations/s.yaml", case.yaml.as_bytes()))
        .bench_values(|loaded| {
            rules::check_file(
                "annotations/s.yaml",
                loaded,
                None,
                Some(&source),
                rules::Seeds::NONE,
            )
        });
}

/// Unique ids and links across 1,000 files of 100 annotations each, all
/// linking into an entity file.
#[divan::bench]
fn ids_and_links_of_100_000(bencher: divan::Bencher) {
    let case = case();
    let loaded = load::annotation_file("annotations/s.yaml", case.yaml.as_bytes());
    let source = Ok(Arc::clone(&case.source));
    let one = rules::check_file(
        "annotations/s.yaml",
        loaded,
        None,
        Some(&source),
        rules::Seeds::NONE,
    );
    // The entities every annotation links to, in a file of their own.
    let entities: String = (0..1000)
        .map(|e| format!("  - {{id: ent.e{e}, kind: entity}}\n"))
        .collect();
    let entities = load::annotation_file(
        "annotations/entities.yaml",
        format!("annotations:\n{entities}").as_bytes(),
    );
    let entities = rules::check_file(
        "annotations/entities.yaml",
        entities,
        None,
        None,
        rules::Seeds::NONE,
    );
    let results: Vec<FileResult> = std::iter::once(entities)
        .chain((0..1000).map(|f| {
            let mut result = one.clone();
            result.path = format!("annotations/{f:04}.yaml");
            for entry in &mut result.entries {
                entry.id.value = format!("f{f}.{}", entry.id.value);
            }
            result
        }))
        .collect();
    bencher.bench(|| rules::check_ids_and_links(None, divan::black_box(&results)));
}
