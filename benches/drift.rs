//! Drift speed (SPEC §8): 100,000 annotations on a 1 MB source with 1 %
//! scattered edits, and two pathological rewrites (the text reversed,
//! every line changed) that must end within the diff deadline with honest
//! statuses.
//!
//! Run: `cargo bench --bench drift`

use annot::drift::{carry, OldSpan, Status, DEFAULT_DEADLINE};
use annot::source::SourceText;
use std::collections::BTreeMap;
use std::time::Instant;

// The allocator `annot` itself runs with (src/main.rs): the bench measures
// what the command does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    "news",
];

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

fn text(rng: &mut Lcg, bytes: usize) -> String {
    let mut out = String::with_capacity(bytes + 100);
    let mut in_line = 0;
    while out.len() < bytes {
        out.push_str(WORDS[rng.below(WORDS.len())]);
        in_line += 1;
        if in_line >= 12 + rng.below(8) {
            out.push_str(".\n");
            in_line = 0;
        } else {
            out.push(' ');
        }
    }
    out
}

fn spans(rng: &mut Lcg, source: &SourceText, n: usize) -> Vec<OldSpan> {
    let chars: Vec<char> = source.text().chars().collect();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let start = rng.below(chars.len() - 100);
        if start > 0 && chars[start - 1] != ' ' && chars[start - 1] != '\n' {
            continue;
        }
        let mut end = start;
        let mut words = 0;
        let want = 2 + rng.below(5);
        while end < chars.len() && words < want {
            end += 1;
            if end < chars.len() && (chars[end] == ' ' || chars[end] == '\n') {
                words += 1;
            }
        }
        out.push(OldSpan {
            start,
            end,
            quote: chars[start..end].iter().collect(),
            prefix: None,
            suffix: None,
        });
    }
    out
}

/// Replaces about 1 % of the words with other words.
fn scattered_edits(rng: &mut Lcg, text: &str) -> String {
    text.split(' ')
        .map(|w| {
            if rng.below(100) == 0 {
                WORDS[rng.below(WORDS.len())].to_string()
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn run(name: &str, old: &SourceText, new_text: &str, spans: &[OldSpan], runs: usize) {
    let new = SourceText::from_bytes(new_text.as_bytes().to_vec()).unwrap();
    let started = Instant::now();
    let mapping = annot::drift::Mapping::new(old.text(), new.text(), DEFAULT_DEADLINE);
    println!(
        "  {name}: the diff mapping alone {:.1} ms (deadline hit: {})",
        started.elapsed().as_secs_f64() * 1e3,
        mapping.timed_out
    );
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let started = Instant::now();
        let result = carry(old, &new, spans, DEFAULT_DEADLINE);
        times.push(started.elapsed().as_secs_f64());
        last = Some(result);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let (outcomes, timed_out) = last.unwrap();
    let mut counts: BTreeMap<Status, usize> = BTreeMap::new();
    for o in &outcomes {
        *counts.entry(o.status).or_default() += 1;
    }
    let safe_wrong = outcomes
        .iter()
        .zip(spans)
        .filter(|(o, s)| {
            o.status.is_safe()
                && o.new.as_ref().and_then(|n| new.slice(n.start, n.end)) != Some(s.quote.as_str())
        })
        .count();
    println!(
        "{name:<34} median {:>8.1} ms  min {:>8.1} ms  max {:>8.1} ms  deadline hit: {timed_out:<5}  {:?}  safe-but-different: {safe_wrong}",
        times[times.len() / 2] * 1e3,
        times[0] * 1e3,
        times[times.len() - 1] * 1e3,
        counts.iter().map(|(s, n)| format!("{} {n}", s.as_str())).collect::<Vec<_>>()
    );
}

fn main() {
    let mut rng = Lcg(7);
    let old_text = text(&mut rng, 1_000_000);
    let old = SourceText::from_bytes(old_text.clone().into_bytes()).unwrap();
    let spans = spans(&mut rng, &old, 100_000);
    println!(
        "source: {} bytes, {} code points; {} annotations",
        old_text.len(),
        old.char_len(),
        spans.len()
    );
    let edited = scattered_edits(&mut rng, &old_text);
    run("1% scattered word edits", &old, &edited, &spans, 7);
    if std::env::args().any(|a| a == "--only-scattered") {
        return;
    }
    let reversed: String = old_text.chars().rev().collect();
    run("pathological: text reversed", &old, &reversed, &spans, 3);
    let every_line: String = old_text
        .lines()
        .map(|l| format!("Changed: {l}\n"))
        .collect();
    run(
        "pathological: every line changed",
        &old,
        &every_line,
        &spans,
        3,
    );
}
