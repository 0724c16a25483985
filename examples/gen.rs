//! Writes a generated, committed workspace for benchmarks (SPEC §8):
//!
//!   cargo run --release --example gen -- SIZE DIR
//!
//! SIZE is S (20 sources, 2,000 annotations), M (1,000 sources of ~10 KB,
//! 100,000 annotations), L (10,000 sources, 1,000,000 annotations) or
//! DRIFT (one ~1 MB source with 100,000 annotations, committed, then 1 %
//! of its words edited in the working tree). Text has some non-ASCII;
//! annotations link to entities in source-less files. The output is the
//! same for the same SIZE on every run. DIR must not exist yet.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const WORDS: &[&str] = &[
    "the",
    "report",
    "said",
    "that",
    "officials",
    "would",
    "send",
    "workers",
    "to",
    "help",
    "restore",
    "region",
    "after",
    "talks",
    "in",
    "capital",
    "minister",
    "council",
    "agreement",
    "partnership",
    "memorial",
    "museum",
    "soldiers",
    "zażółć",
    "gęślą",
    "jaźń",
    "“quoted”",
    "—",
    "year",
    "month",
    "visit",
    "second",
    "third",
    "thousand",
    "engineers",
    "builders",
    "security",
    "Пхеньян",
    "région",
    "café",
    "news",
    "agency",
    "according",
    "statement",
    "press",
    "service",
];
const ENTITIES: usize = 1_000;

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    annot::source::sha256_hex(bytes)
}

/// Text of about `bytes` bytes in lines of 10–20 words.
fn text(rng: &mut Lcg, bytes: usize) -> String {
    let mut out = String::with_capacity(bytes + 64);
    let mut in_line = 0;
    let mut line_len = 10 + rng.below(10);
    while out.len() < bytes {
        out.push_str(WORDS[rng.below(WORDS.len())]);
        in_line += 1;
        if in_line >= line_len {
            out.push_str(".\n");
            in_line = 0;
            line_len = 10 + rng.below(10);
        } else {
            out.push(' ');
        }
    }
    out
}

/// Spans of 4–8 whole words, as (start, end) in code points.
fn spans(rng: &mut Lcg, chars: &[char], n: usize) -> Vec<(usize, usize)> {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(
            chars
                .iter()
                .enumerate()
                .filter(|(_, c)| **c == ' ' || **c == '\n')
                .map(|(i, _)| i + 1),
        )
        .filter(|&i| i < chars.len())
        .collect();
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let first = rng.below(starts.len().saturating_sub(10).max(1));
        let last = (first + 4 + rng.below(5)).min(starts.len() - 1);
        let end = starts[last] - 1;
        out.push((starts[first], end.max(starts[first] + 1)));
    }
    out
}

fn annotation_file(
    source_path: &str,
    text: &str,
    prefix: &str,
    spans: &[(usize, usize)],
    rng: &mut Lcg,
) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = format!(
        "# yaml-language-server: $schema=../schema/annotations.schema.json\nsource: {source_path}\nsha256: {}\nannotations:\n",
        sha256_hex(text.as_bytes())
    );
    for (k, &(start, end)) in spans.iter().enumerate() {
        let quote: String = chars[start..end].iter().collect();
        let _ = writeln!(out, "  - id: {prefix}.a{k:05}");
        let _ = writeln!(out, "    kind: claim");
        let _ = writeln!(out, "    quote: {}", annot::yaml::quoted(&quote));
        let _ = writeln!(out, "    start: {start}");
        let _ = writeln!(out, "    end: {end}");
        if k % 3 == 0 {
            let _ = writeln!(
                out,
                "    attrs: {{topic: sappers, figure: {}}}",
                rng.below(10_000)
            );
        }
        let _ = writeln!(
            out,
            "    links:\n      - {{rel: attributed-to, target: ent.e{:04}}}",
            rng.below(ENTITIES)
        );
        if k % 5 == 0 {
            let _ = writeln!(out, "    note: generated note number {k}");
        }
    }
    out
}

fn write(root: &Path, rel: &str, content: impl AsRef<[u8]>) {
    let path = root.join(rel);
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).expect("create folder");
    }
    fs::write(path, content).expect("write file");
}

fn git(root: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args([
            "-c",
            "user.name=annot gen",
            "-c",
            "user.email=gen@example.org",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(root)
        .status()
        .expect("run git");
    assert!(status.success(), "git {args:?} failed");
}

fn common(root: &Path) {
    write(
        root,
        "schema/vocabulary.yaml",
        "kinds:\n  claim:\n    anchored: true\n    attrs:\n      topic: {values: [sappers, builders]}\n      figure: {type: number}\n  entity:\n    anchored: false\n    attrs:\n      type: {values: [person, org, place]}\nrelations:\n  attributed-to: {from: [claim], to: [entity]}\n",
    );
    write(root, ".gitattributes", "seeds/** -text\n");
    let mut entities = String::from("annotations:\n");
    for e in 0..ENTITIES {
        let _ = writeln!(
            entities,
            "  - id: ent.e{e:04}\n    kind: entity\n    attrs: {{type: person}}"
        );
    }
    write(root, "annotations/entities.yaml", entities);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(size), Some(dir)) = (args.first(), args.get(1)) else {
        eprintln!("usage: cargo run --release --example gen -- S|M|L|DRIFT DIR");
        std::process::exit(2);
    };
    let root = PathBuf::from(dir);
    if root.exists() {
        eprintln!("{dir} already exists; give a new folder");
        std::process::exit(2);
    }
    let mut rng = Lcg(2026);
    fs::create_dir_all(&root).expect("create workspace");
    common(&root);
    let (sources, per_source, bytes) = match size.as_str() {
        "S" => (20, 100, 10_000),
        "M" => (1_000, 100, 10_000),
        "L" => (10_000, 100, 10_000),
        "DRIFT" => (1, 100_000, 1_000_000),
        other => {
            eprintln!("unknown size {other}: use S, M, L or DRIFT");
            std::process::exit(2);
        }
    };
    let mut texts = Vec::new();
    for s in 0..sources {
        let seed = format!("seeds/s{s:05}.txt");
        let body = text(&mut rng, bytes);
        let chars: Vec<char> = body.chars().collect();
        let spans = spans(&mut rng, &chars, per_source);
        let file = annotation_file(&seed, &body, &format!("s{s:05}"), &spans, &mut rng);
        write(&root, &seed, &body);
        write(
            &root,
            &format!("annotations/{:03}/s{s:05}.yaml", s / 100),
            file,
        );
        texts.push((seed, body));
    }
    git(&root, &["init", "-q"]);
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "generated workspace"]);
    if size == "DRIFT" {
        // 1 % of the words replaced, scattered, in the working tree only.
        let (seed, body) = &texts[0];
        let edited: Vec<String> = body
            .split(' ')
            .map(|w| {
                if rng.below(100) == 0 {
                    WORDS[rng.below(WORDS.len())].to_string()
                } else {
                    w.to_string()
                }
            })
            .collect();
        write(&root, seed, edited.join(" "));
    }
    println!(
        "wrote {} ({size}): {sources} sources, {} annotations",
        root.display(),
        sources * per_source
    );
}
