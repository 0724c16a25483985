//! Parse speed of the YAML crates considered for annot (docs/decisions.md
//! §1): serde_yaml_ng, serde-saphyr into a generic JSON value, and
//! serde-saphyr into annot's own spanned tree, and annot's reader of plain
//! YAML (src/yaml/plain.rs), on a generated 10 MB annotation file and on a
//! small file parsed 1,000 times.
//!
//! Run: `cargo bench --bench yaml_parse`
//! Peak memory of one parse: `cargo build --release --benches`, then
//! `/usr/bin/time -f %M target/release/deps/yaml_parse-* annot` (or `ng`,
//! `saphyr-json`, `annot-plain`).

use std::time::Instant;

fn generate(n: usize) -> String {
    let mut s = String::from("# yaml-language-server: $schema=../schema/annotations.schema.json\nsource: seeds/doc_0001.txt\nsha256: 4ece52730165a97593768aa6387ce0e7a6752b0e9c9f0987a0d06b8efcfb3466\nannotations:\n");
    let mut x: u64 = 42;
    for i in 0..n {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let start = (x >> 33) % 100_000;
        s.push_str(&format!(
            "  - id: doc1.claim-{i:06}\n    kind: claim\n    quote: \"send {} sappers to Russia to clear mines — zażółć gęślą {}\"\n    start: {start}\n    end: {}\n    prefix: \"decided to \"\n    attrs: {{topic: sappers, figure: {}}}\n    links:\n      - {{rel: attributed-to, target: ent.shoigu}}\n    note: free text for the reviewer, number {i}\n",
            x % 10_000, x % 97, start + 60, x % 5000
        ));
    }
    s
}

fn time<F: FnMut()>(label: &str, bytes: usize, reps: usize, mut f: F) {
    f();
    let mut times = Vec::new();
    for _ in 0..reps {
        let t = Instant::now();
        f();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let median = times[times.len() / 2];
    println!(
        "{label:<44} median {:>8.2} ms  min {:>8.2} ms  {:>6.1} MB/s",
        median * 1e3,
        times[0] * 1e3,
        bytes as f64 / median / 1e6
    );
}

fn saphyr_opts() -> serde_saphyr::Options {
    let mut o = serde_saphyr::options!();
    let mut b = serde_saphyr::Budget::default();
    b.max_events = 50_000_000;
    b.max_nodes = 50_000_000;
    b.max_total_scalar_bytes = 1 << 30;
    o.budget = Some(b);
    o
}

fn main() {
    // `cargo bench` passes `--bench`; a mode word selects one parse for
    // peak-memory measurement under /usr/bin/time.
    let mode = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_default();
    let big = generate(30_000);
    let small = generate(10);
    if !mode.is_empty() {
        // single run for peak-memory measurement
        match mode.as_str() {
            "ng" => {
                let _v: serde_yaml_ng::Value = serde_yaml_ng::from_str(&big).unwrap();
            }
            "saphyr-json" => {
                let _v: serde_json::Value =
                    serde_saphyr::from_str_with_options(&big, saphyr_opts()).unwrap();
            }
            "annot" => {
                let _v = annot::yaml::parse_full(&big).unwrap();
            }
            "annot-plain" => {
                let _v = annot::yaml::parse_plain(&big).unwrap();
            }
            _ => {}
        }
        return;
    }
    println!(
        "big file: {} bytes, 30,000 annotations; small file: {} bytes, 10 annotations",
        big.len(),
        small.len()
    );
    time("floor: copy the text (String::clone)", big.len(), 7, || {
        std::hint::black_box(big.clone());
    });
    time("serde_yaml_ng -> Value (big)", big.len(), 7, || {
        let _v: serde_yaml_ng::Value = serde_yaml_ng::from_str(&big).unwrap();
    });
    time(
        "serde-saphyr -> serde_json::Value (big)",
        big.len(),
        7,
        || {
            let _v: serde_json::Value =
                serde_saphyr::from_str_with_options(&big, saphyr_opts()).unwrap();
        },
    );
    time(
        "serde-saphyr -> annot spanned tree (big)",
        big.len(),
        7,
        || {
            let _v = annot::yaml::parse_full(&big).unwrap();
        },
    );
    time(
        "annot's plain reader -> spanned tree (big)",
        big.len(),
        7,
        || {
            let _v = annot::yaml::parse_plain(&big).unwrap();
        },
    );
    time(
        "serde_yaml_ng -> Value (small x1000)",
        small.len() * 1000,
        7,
        || {
            for _ in 0..1000 {
                let _v: serde_yaml_ng::Value = serde_yaml_ng::from_str(&small).unwrap();
            }
        },
    );
    time(
        "serde-saphyr -> serde_json::Value (small x1000)",
        small.len() * 1000,
        7,
        || {
            for _ in 0..1000 {
                let _v: serde_json::Value =
                    serde_saphyr::from_str_with_options(&small, saphyr_opts()).unwrap();
            }
        },
    );
    time(
        "serde-saphyr -> annot spanned tree (small x1000)",
        small.len() * 1000,
        7,
        || {
            for _ in 0..1000 {
                let _v = annot::yaml::parse_full(&small).unwrap();
            }
        },
    );
    time(
        "annot's plain reader -> spanned tree (small x1000)",
        small.len() * 1000,
        7,
        || {
            for _ in 0..1000 {
                let _v = annot::yaml::parse_plain(&small).unwrap();
            }
        },
    );
}
