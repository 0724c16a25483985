//! `annot reanchor --write` and `--accept` edit every layout a person or
//! `annot anchor` writes: block and flow annotations in any field order,
//! any kind of last field (block or flow list and mapping, block scalar,
//! plain or quoted scalar), comments between and after items, CRLF or LF,
//! with or without a final newline. Each case is a real git workspace: the
//! seed is committed, edited, and the real rewrite runs on it. Besides the
//! property, fixed cases pin the refusals and the errors of `--accept`.

mod common;
use annot::finding::Code;
use annot::review::{self, Accept};
use common::*;
use proptest::prelude::*;

/// A finding's code and place, to compare in one assertion.
fn where_(f: &annot::finding::Finding) -> (Code, &str, u32, u32) {
    (f.code, f.place.file.as_str(), f.place.line, f.place.column)
}

const A: &str = "annotations/a.yaml";
/// Distinct words, so a quote occurs once and the drift of each line is
/// decided by its own edit.
const WORDS: &[&str] = &[
    "amber", "birch", "cedar", "dune", "ember", "fjord", "grove", "heath", "inlet", "juniper",
    "kelp", "larch", "marsh", "nettle", "oak", "peat", "quartz", "reed",
];

/// What happens to one line of the seed.
#[derive(Debug, Clone, Copy, PartialEq)]
enum LineEdit {
    Keep,
    /// The word before the span changes: the span shifts, its stored
    /// prefix no longer matches.
    Reword,
    /// A word inside the span changes: `edited`, with a proposal.
    Change,
    /// The line goes: `deleted`.
    Delete,
}

#[derive(Debug, Clone, Copy)]
enum Quoting {
    Plain,
    Single,
    Double,
}

impl Quoting {
    fn write(self, s: &str) -> String {
        match self {
            Quoting::Plain => s.to_string(),
            Quoting::Single => format!("'{}'", s.replace('\'', "''")),
            Quoting::Double => format!("\"{s}\""),
        }
    }
}

/// The optional fields of an annotation, in the forms people write.
#[derive(Debug, Clone, Copy)]
enum Extra {
    NotePlain,
    NoteLiteral,
    NoteFolded,
    AttrsBlock,
    AttrsFlow,
    LinksBlock,
    LinksFlow,
    LinksBlockOfBlocks,
    Prefix(Quoting),
    Suffix(Quoting),
}

#[derive(Debug, Clone)]
struct Item {
    flow: bool,
    quote: Quoting,
    /// Order of the fields: indices into the field list built for the item.
    order: Vec<usize>,
    extras: Vec<Extra>,
    comment_before: bool,
    comment_after_last: bool,
    blank_after: bool,
    trailing_comment: bool,
}

#[derive(Debug, Clone)]
struct Case {
    lines: Vec<(usize, LineEdit)>,
    items: Vec<Item>,
    crlf: bool,
    final_newline: bool,
    sha_quoting: Quoting,
    head_comment: bool,
    new_first_line: bool,
}

fn quoting() -> impl Strategy<Value = Quoting> {
    prop_oneof![
        Just(Quoting::Plain),
        Just(Quoting::Single),
        Just(Quoting::Double)
    ]
}

fn extra() -> impl Strategy<Value = Extra> {
    prop_oneof![
        Just(Extra::NotePlain),
        Just(Extra::NoteLiteral),
        Just(Extra::NoteFolded),
        Just(Extra::AttrsBlock),
        Just(Extra::AttrsFlow),
        Just(Extra::LinksBlock),
        Just(Extra::LinksFlow),
        Just(Extra::LinksBlockOfBlocks),
        prop_oneof![Just(Quoting::Single), Just(Quoting::Double)].prop_map(Extra::Prefix),
        prop_oneof![Just(Quoting::Single), Just(Quoting::Double)].prop_map(Extra::Suffix),
    ]
}

fn item() -> impl Strategy<Value = Item> {
    (
        any::<bool>(),
        quoting(),
        prop::collection::vec(extra(), 0..4),
        Just((0..16).collect::<Vec<usize>>()).prop_shuffle(),
        (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
    )
        .prop_map(
            |(flow, quote, extras, order, (before, after, blank, trailing))| Item {
                flow,
                quote,
                order,
                extras,
                comment_before: before,
                comment_after_last: after,
                blank_after: blank,
                trailing_comment: trailing,
            },
        )
}

fn line_edit() -> impl Strategy<Value = LineEdit> {
    prop_oneof![
        2 => Just(LineEdit::Keep),
        1 => Just(LineEdit::Reword),
        2 => Just(LineEdit::Change),
        1 => Just(LineEdit::Delete),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (1usize..5)
        .prop_flat_map(|n| {
            (
                prop::collection::vec(line_edit(), n),
                prop::collection::vec(item(), n),
                any::<bool>(),
                any::<bool>(),
                quoting(),
                any::<bool>(),
                any::<bool>(),
            )
        })
        .prop_map(
            |(edits, items, crlf, final_newline, sha, head, first)| Case {
                lines: edits.into_iter().enumerate().collect(),
                items,
                crlf,
                final_newline,
                sha_quoting: sha,
                head_comment: head,
                new_first_line: first,
            },
        )
}

/// The three words a line quotes.
fn words(line: usize) -> [&'static str; 3] {
    [WORDS[line * 3], WORDS[line * 3 + 1], WORDS[line * 3 + 2]]
}

fn seed_line(line: usize, verb: &str) -> String {
    let [a, b, c] = words(line);
    format!("Line {line} {verb} that {a} {b} {c} grew here.\n")
}

fn old_seed(case: &Case) -> String {
    case.lines
        .iter()
        .map(|(i, _)| seed_line(*i, "tells"))
        .collect()
}

fn new_seed(case: &Case) -> String {
    let mut out = String::new();
    if case.new_first_line {
        out.push_str("A new opening line.\n");
    }
    for (i, edit) in &case.lines {
        match edit {
            LineEdit::Keep => out.push_str(&seed_line(*i, "tells")),
            LineEdit::Reword => out.push_str(&seed_line(*i, "shows")),
            LineEdit::Change => {
                let [a, _, c] = words(*i);
                out.push_str(&format!("Line {i} tells that {a} moss {c} grew here.\n"));
            }
            LineEdit::Delete => {}
        }
    }
    out
}

/// The annotation file of a case, on the old seed.
fn annotation_file(case: &Case, seed: &str) -> String {
    let nl = if case.crlf { "\r\n" } else { "\n" };
    let mut out = String::new();
    if case.head_comment {
        out.push_str(&format!("# annotations of the seed{nl}"));
    }
    out.push_str(&format!("source: {SEED_PATH}{nl}"));
    out.push_str(&format!(
        "sha256: {}{nl}",
        case.sha_quoting.write(&sha256(seed.as_bytes()))
    ));
    out.push_str(&format!("annotations:{nl}"));
    let chars: Vec<char> = seed.chars().collect();
    for ((line, _), item) in case.lines.iter().zip(&case.items) {
        let quote = words(*line).join(" ");
        let start = find(&chars, &quote);
        let end = start + quote.chars().count();
        let mut fields: Vec<Vec<String>> = vec![
            vec![format!("id: a{line}")],
            vec!["kind: claim".to_string()],
            vec![format!("quote: {}", item.quote.write(&quote))],
            vec![format!("start: {start}")],
            vec![format!("end: {end}")],
        ];
        let mut has = std::collections::BTreeSet::new();
        for extra in &item.extras {
            let name = match extra {
                Extra::NotePlain | Extra::NoteLiteral | Extra::NoteFolded => "note",
                Extra::AttrsBlock | Extra::AttrsFlow => "attrs",
                Extra::LinksBlock | Extra::LinksFlow | Extra::LinksBlockOfBlocks => "links",
                Extra::Prefix(_) => "prefix",
                Extra::Suffix(_) => "suffix",
            };
            if !has.insert(name) {
                continue;
            }
            // Block forms inside a flow annotation are not YAML; they
            // become their flow form there.
            let lines: Vec<String> = match (extra, item.flow) {
                (Extra::NotePlain, _) => vec!["note: a plain note".into()],
                (Extra::NoteLiteral | Extra::NoteFolded, true) => {
                    vec!["note: \"two lines\\nof note\"".into()]
                }
                (Extra::NoteLiteral, false) => vec![
                    "note: |".into(),
                    "  first line".into(),
                    "".into(),
                    "  # not a comment, note text".into(),
                ],
                (Extra::NoteFolded, false) => {
                    vec!["note: >-".into(), "  folded".into(), "  note".into()]
                }
                (Extra::AttrsBlock, false) => {
                    vec![
                        "attrs:".into(),
                        "  topic: places".into(),
                        "  figure: 3".into(),
                    ]
                }
                (Extra::AttrsBlock | Extra::AttrsFlow, _) => {
                    vec!["attrs: {topic: places, figure: 3}".into()]
                }
                (Extra::LinksBlock, false) => vec![
                    "links:".into(),
                    "  - {rel: about, target: e1}".into(),
                    "  - {rel: about, target: e2}".into(),
                ],
                (Extra::LinksBlockOfBlocks, false) => vec![
                    "links:".into(),
                    "  - rel: about".into(),
                    "    target: e1".into(),
                ],
                (Extra::LinksBlock | Extra::LinksFlow | Extra::LinksBlockOfBlocks, _) => {
                    vec!["links: [{rel: about, target: e1}]".into()]
                }
                (Extra::Prefix(q), _) => {
                    vec![format!(
                        "prefix: {}",
                        q.write(&format!("{line} tells that "))
                    )]
                }
                (Extra::Suffix(q), _) => vec![format!("suffix: {}", q.write(" grew"))],
            };
            fields.push(lines);
        }
        let mut order: Vec<usize> = item
            .order
            .iter()
            .copied()
            .filter(|i| *i < fields.len())
            .collect();
        order.dedup();
        if item.comment_before {
            out.push_str(&format!("  # about a{line}{nl}"));
        }
        if item.flow {
            let inner: Vec<String> = order.iter().map(|i| fields[*i][0].clone()).collect();
            out.push_str(&format!("  - {{{}}}", inner.join(", ")));
            if item.trailing_comment {
                out.push_str(" # flow item");
            }
            out.push_str(nl);
        } else {
            for (n, i) in order.iter().enumerate() {
                for (k, text) in fields[*i].iter().enumerate() {
                    let lead = if n == 0 && k == 0 { "  - " } else { "    " };
                    if text.is_empty() {
                        out.push_str(nl);
                    } else {
                        out.push_str(&format!("{lead}{text}"));
                        if item.trailing_comment && k == 0 && fields[*i].len() == 1 {
                            out.push_str(" # c");
                        }
                        out.push_str(nl);
                    }
                }
            }
        }
        if item.comment_after_last {
            out.push_str(&format!("    # after a{line}, about what follows{nl}"));
        }
        if item.blank_after {
            out.push_str(nl);
        }
    }
    if case.head_comment {
        out.push_str(&format!("# the end{nl}"));
    }
    if !case.final_newline {
        while out.ends_with('\n') {
            out.truncate(out.len() - if out.ends_with("\r\n") { 2 } else { 1 });
        }
    }
    out
}

fn find(chars: &[char], quote: &str) -> usize {
    let q: Vec<char> = quote.chars().collect();
    chars
        .windows(q.len())
        .position(|w| w == q.as_slice())
        .unwrap()
}

/// A committed workspace on the old seed, with the seed then edited.
fn workspace(case: &Case) -> Ws {
    let ws = Ws::new();
    let seed = old_seed(case);
    ws.write(SEED_PATH, &seed);
    ws.write(
        "annotations/entities.yaml",
        "annotations:\n  - {id: e1, kind: entity}\n  - {id: e2, kind: entity}\n",
    );
    ws.write(A, annotation_file(case, &seed));
    git(ws.path(), &["init", "-q"]);
    git(ws.path(), &["add", "-A"]);
    git(ws.path(), &["commit", "-qm", "first"]);
    ws.write(SEED_PATH, new_seed(case));
    ws
}

/// The text with every `drift:` that annot adds taken out: whole lines in
/// block style, `, drift: {...}` inside a flow annotation.
fn without_drift(text: &str) -> String {
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with("drift: {") {
            continue;
        }
        let mut line = line.to_string();
        while let Some(at) = line.find(", drift: {") {
            let close = flow_end(&line, at + ", drift: ".len());
            line.replace_range(at..close, "");
        }
        out.push_str(&line);
    }
    // A drift line added at the very end of a file without a final newline
    // leaves the line break before it.
    if !text.ends_with('\n') && out.ends_with('\n') {
        out.truncate(out.len() - if out.ends_with("\r\n") { 2 } else { 1 });
    }
    out
}

/// The byte after the flow collection that opens at `open`.
fn flow_end(text: &str, open: usize) -> usize {
    let bytes = text.as_bytes();
    let (mut depth, mut i, mut quote) = (0, open, None::<u8>);
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(b'"') if b == b'\\' => i += 1,
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None => match b {
                b'"' | b'\'' => quote = Some(b),
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        return i + 1;
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    bytes.len()
}

/// The text with the values of `keys` replaced by `_`, so that texts that
/// differ only there compare equal.
fn masked(text: &str, keys: &[&str]) -> String {
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    'scan: while i < bytes.len() {
        let boundary = i == 0 || matches!(bytes[i - 1], b' ' | b'{' | b',' | b'\n');
        if boundary {
            for key in keys {
                let pattern = format!("{key}: ");
                if text[i..].starts_with(&pattern) {
                    out.push_str(&pattern);
                    i += pattern.len();
                    let end = match bytes.get(i) {
                        Some(b'"') => {
                            let mut j = i + 1;
                            while bytes[j] != b'"' {
                                j += if bytes[j] == b'\\' { 2 } else { 1 };
                            }
                            j + 1
                        }
                        Some(b'\'') => {
                            let mut j = i + 1;
                            loop {
                                if bytes[j] == b'\'' {
                                    if bytes.get(j + 1) == Some(&b'\'') {
                                        j += 2;
                                        continue;
                                    }
                                    break j + 1;
                                }
                                j += 1;
                            }
                        }
                        _ => {
                            let mut j = i;
                            while j < bytes.len()
                                && !matches!(bytes[j], b',' | b'}' | b'\r' | b'\n')
                                && !text[j..].starts_with(" #")
                            {
                                j += 1;
                            }
                            j
                        }
                    };
                    out.push('_');
                    out.push_str(match bytes[i] {
                        b'"' => "\"",
                        b'\'' => "'",
                        _ => "",
                    });
                    i = end;
                    continue 'scan;
                }
            }
        }
        let c = text[i..].chars().next().unwrap();
        out.push(c);
        i += c.len_utf8();
    }
    out
}

const SPAN_KEYS: &[&str] = &["start", "end", "sha256", "prefix", "suffix"];

/// Findings of `validate` other than `drift-unresolved`, and how many of
/// those there are.
fn validate(ws: &Ws) -> (Vec<String>, usize) {
    let validation = annot::commands::validate(ws.path(), false).unwrap();
    let mut others = Vec::new();
    let mut drift = 0;
    for f in &validation.findings {
        if f.code == Code::DriftUnresolved {
            drift += 1;
        } else {
            others.push(format!(
                "{} {}:{}:{} {}",
                f.code.as_str(),
                f.place.file,
                f.place.line,
                f.place.column,
                f.message
            ));
        }
    }
    (others, drift)
}

fn check(case: &Case) -> Result<(), TestCaseError> {
    let ws = workspace(case);
    let original = ws.read(A);
    let done = review::reanchor(ws.path(), &[], true).unwrap();
    prop_assert!(
        done.refusals.is_empty(),
        "refused:\n{:?}\n{original}",
        done.refusals
    );
    prop_assert!(done.failures.is_empty(), "{:?}", done.failures);
    let written = ws.read(A);
    let unsafe_count = done
        .review
        .drift
        .iter()
        .filter(|d| !d.outcome.status.is_safe())
        .count();
    if done.review.drift.is_empty() {
        // The seed did not change.
        prop_assert!(done.rewritten.is_empty());
        prop_assert_eq!(written, original);
        return Ok(());
    }
    prop_assert_eq!(done.rewritten.len(), 1);

    // It loads cleanly: only the drift of the unsafe spans is left.
    let (others, drift) = validate(&ws);
    prop_assert!(others.is_empty(), "{others:?}\n{written}");
    prop_assert_eq!(drift, unsafe_count, "{}", written);

    // Nothing changed but the promised scalars and the added `drift:`.
    prop_assert_eq!(
        masked(&without_drift(&written), SPAN_KEYS),
        masked(&original, SPAN_KEYS),
        "\noriginal:\n{}\nwritten:\n{}",
        original,
        written
    );
    // A `drift:` line follows the annotation's last field directly, never
    // a comment or blank line that belongs to what follows.
    let lines: Vec<&str> = written.split_inclusive('\n').collect();
    for (n, line) in lines.iter().enumerate() {
        if line.trim_start().starts_with("drift: {") {
            let before = lines[n - 1].trim();
            prop_assert!(
                !before.is_empty() && !before.starts_with('#')
                    || before.starts_with("# not a comment"),
                "drift after {before:?}:\n{written}"
            );
        }
    }
    // The pin keeps its quotes.
    let pin_line = |t: &str| {
        t.lines()
            .find(|l| l.starts_with("sha256: "))
            .map(|l| l.as_bytes()[8])
            .filter(|b| matches!(b, b'"' | b'\''))
    };
    prop_assert_eq!(pin_line(&written), pin_line(&original));

    // Accepting every proposal leaves only the drift without one, and the
    // file differs from the original only in the promised scalars.
    let proposals = done
        .review
        .drift
        .iter()
        .filter(|d| d.outcome.status == annot::drift::Status::Edited && d.outcome.new.is_some())
        .count();
    let accepted = review::accept(
        ws.path(),
        &[],
        &Accept::AllEdited {
            min_confidence: 0.0,
        },
    )
    .unwrap();
    prop_assert!(accepted.refusals.is_empty(), "{:?}", accepted.refusals);
    prop_assert!(accepted.failures.is_empty(), "{:?}", accepted.failures);
    let after = ws.read(A);
    let (others, drift) = validate(&ws);
    prop_assert!(others.is_empty(), "{others:?}\n{after}");
    prop_assert_eq!(drift, unsafe_count - proposals, "{}", after);
    let keys: Vec<&str> = SPAN_KEYS.iter().copied().chain(["quote"]).collect();
    prop_assert_eq!(
        masked(&without_drift(&after), &keys),
        masked(&original, &keys),
        "\noriginal:\n{}\naccepted:\n{}",
        original,
        after
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn reanchor_write_and_accept_edit_every_layout(case in case()) {
        check(&case)?;
    }
}

/// One annotation in block style, pinned to TEXT.
const TEXT: &str = "The first line tells of a cat.\nThe second line says the dog barked twice.\n";

fn repo(body: &str) -> Ws {
    let ws = Ws::new();
    ws.write(SEED_PATH, TEXT);
    ws.write(
        A,
        format!(
            "source: {SEED_PATH}\nsha256: {}\nannotations:\n{body}",
            sha256(TEXT.as_bytes())
        ),
    );
    git(ws.path(), &["init", "-q"]);
    git(ws.path(), &["add", "-A"]);
    git(ws.path(), &["commit", "-qm", "first"]);
    ws
}

const DOG: &str = "  - id: dog\n    kind: claim\n    quote: the dog barked twice\n    start: 52\n    end: 72\n    links:\n      - {rel: about, target: e1}\n";

#[test]
fn fixture_offsets_are_right() {
    let ws = repo(DOG);
    ws.write(
        "annotations/e.yaml",
        "annotations:\n  - {id: e1, kind: entity}\n",
    );
    assert_findings(&ws.validate(), 0, &[]);
}

#[test]
fn a_duplicate_id_is_refused_naming_it_and_the_other_files_are_written() {
    let ws = repo(&format!(
        "{DOG}  - id: dog\n    kind: claim\n    quote: tells of a cat\n    start: 15\n    end: 29\n"
    ));
    let other = format!(
        "source: {SEED_PATH}\nsha256: {}\nannotations:\n  - {{id: cat, kind: claim, quote: tells of a cat, start: 15, end: 29}}\n",
        sha256(TEXT.as_bytes())
    );
    ws.write("annotations/b.yaml", &other);
    git(ws.path(), &["add", "-A"]);
    git(ws.path(), &["commit", "-qm", "second"]);
    ws.write(SEED_PATH, format!("New first line.\n{TEXT}"));
    let before = ws.read(A);
    let run = ws.run(&["reanchor", "--write"]);
    assert_eq!(run.status, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains("this file was not changed: annotation `dog` (line 11): the id is also defined on line 4 of this file"),
        "{}",
        run.stdout
    );
    assert_eq!(ws.read(A), before, "the refused file is untouched");
    assert!(
        ws.read("annotations/b.yaml").contains("start: 31, end: 45"),
        "{}",
        ws.read("annotations/b.yaml")
    );
    let done = review::reanchor(ws.path(), &[], true).unwrap();
    let refusal = &done.refusals[0];
    assert_eq!(refusal.code, Code::YamlUnsupported);
    assert_eq!(
        (
            refusal.place.file.as_str(),
            refusal.place.line,
            refusal.place.column
        ),
        (A, 11, 9)
    );
    assert_eq!(refusal.id.as_deref(), Some("dog"));
}

/// The dog annotation after `reanchor --write` on a changed second line.
fn drifted() -> Ws {
    let ws = repo(DOG);
    ws.write(
        "annotations/e.yaml",
        "annotations:\n  - {id: e1, kind: entity}\n",
    );
    ws.write(SEED_PATH, TEXT.replace("barked twice", "barked thrice"));
    ws
}

#[test]
fn write_records_the_proposal_and_accept_applies_it() {
    let ws = repo("  - id: dog\n    kind: claim\n    quote: \"the dog barked twice\"\n    start: 52\n    end: 72\n    links:\n      - {rel: about, target: e1}\n    # about the next one\n");
    ws.write(
        "annotations/e.yaml",
        "annotations:\n  - {id: e1, kind: entity}\n",
    );
    let new = TEXT.replace("the dog barked twice", "the dog barked once");
    ws.write(SEED_PATH, &new);
    assert_eq!(ws.run(&["reanchor", "--write"]).status, 1);
    let written = ws.read(A);
    let old_pin = sha256(TEXT.as_bytes());
    assert!(
        written.ends_with(&format!("      - {{rel: about, target: e1}}\n    drift: {{status: edited, from_sha256: {old_pin}, old_start: 52, old_end: 72, old_quote: \"the dog barked twice\", new_start: 52, new_end: 71, new_quote: \"the dog barked once\", confidence: 0.78}}\n    # about the next one\n")),
        "{written}"
    );
    let run = ws.validate();
    assert_findings(&run, 1, &[("drift-unresolved", A, 11, 12)]);
    let help = run.json()["findings"][0]["help"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(help.contains("`annot reanchor --accept dog`"), "{help}");

    let run = ws.run(&["reanchor", "--accept", "dog"]);
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.stdout,
        "wrote annotations/a.yaml: accepted the proposal of dog and removed its `drift:`\n"
    );
    assert_eq!(
        ws.read(A),
        format!("source: {SEED_PATH}\nsha256: {}\nannotations:\n  - id: dog\n    kind: claim\n    quote: \"the dog barked once\"\n    start: 52\n    end: 71\n    links:\n      - {{rel: about, target: e1}}\n    # about the next one\n", sha256(new.as_bytes()))
    );
    assert_findings(&ws.validate(), 0, &[]);
}

#[test]
fn accept_all_edited_keeps_those_below_the_confidence() {
    let ws = drifted();
    assert_eq!(ws.run(&["reanchor", "--write"]).status, 1);
    let written = ws.read(A);
    let run = ws.run(&["reanchor", "--accept-all-edited", "--min-confidence", "1"]);
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("left for a person: dog (confidence 0.88)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.starts_with("nothing to accept"),
        "{}",
        run.stdout
    );
    assert_eq!(ws.read(A), written);
    let run = ws.run(&["reanchor", "--accept-all-edited", "--min-confidence", "0.5"]);
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert_findings(&ws.validate(), 0, &[]);
}

#[test]
fn accept_refuses_a_proposal_that_no_longer_matches() {
    let ws = drifted();
    assert_eq!(ws.run(&["reanchor", "--write"]).status, 1);
    // The source changes again after the proposal was recorded, keeping
    // its length, and the pin is moved by hand.
    let again = TEXT.replace("barked twice", "barked Thrice");
    ws.write(SEED_PATH, &again);
    let written = ws.read(A).replace(
        &sha256(TEXT.replace("barked twice", "barked thrice").as_bytes()),
        &sha256(again.as_bytes()),
    );
    ws.write(A, &written);
    let run = ws.run(&["reanchor", "--accept", "dog"]);
    assert_eq!(run.status, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains("`dog` was not accepted: its proposal 52..73 \"the dog barked thrice\" no longer matches the source (the text there is now \"the dog barked Thrice\")"),
        "{}",
        run.stdout
    );
    assert_eq!(ws.read(A), written);
    let accepted = review::accept(ws.path(), &[], &Accept::Ids(vec!["dog".into()])).unwrap();
    let refusal = &accepted.refusals[0];
    assert_eq!(where_(refusal), (Code::DriftUnresolved, A, 11, 12));
    assert!(accepted.files.is_empty());
}

#[test]
fn accept_refuses_a_file_not_pinned_to_the_current_text() {
    let ws = drifted();
    assert_eq!(ws.run(&["reanchor", "--write"]).status, 1);
    ws.write(SEED_PATH, format!("{TEXT}more\n"));
    let written = ws.read(A);
    let run = ws.run(&["reanchor", "--accept", "dog"]);
    assert_eq!(run.status, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains(
            "`dog` was not accepted: the file is not pinned to the current text of its source"
        ),
        "{}",
        run.stdout
    );
    assert_eq!(ws.read(A), written);
    let accepted = review::accept(ws.path(), &[], &Accept::Ids(vec!["dog".into()])).unwrap();
    let refusal = &accepted.refusals[0];
    assert_eq!(where_(refusal), (Code::DriftUnresolved, A, 2, 9));
}

#[test]
fn accept_of_an_unknown_id_or_one_without_a_proposal_is_an_error() {
    let ws = drifted();
    assert_eq!(ws.run(&["reanchor", "--write"]).status, 1);
    let written = ws.read(A);
    for (ids, wanted) in [
        (vec!["dgo"], "no annotation has the id `dgo`"),
        (
            vec!["e1"],
            "there is nothing to accept for `e1`: it carries no `drift:` (annotations/e.yaml:2)",
        ),
        (vec!["dog", "dgo"], "no annotation has the id `dgo`"),
    ] {
        let ids: Vec<String> = ids.into_iter().map(String::from).collect();
        let err = review::accept(ws.path(), &[], &Accept::Ids(ids.clone())).unwrap_err();
        assert_eq!(err.to_string(), wanted);
        let mut args = vec!["reanchor", "--accept"];
        args.extend(ids.iter().map(String::as_str));
        let run = ws.run(&args);
        assert_eq!(run.status, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("nothing to accept")
                || run.stderr.contains("no annotation has the id"),
            "{args:?}: {}",
            run.stderr
        );
        assert_eq!(ws.read(A), written, "nothing is written");
    }
    let run = ws.run(&["reanchor", "--accept", "dogg"]);
    assert!(run.stderr.contains("did you mean `dog`?"), "{}", run.stderr);

    let deleted = repo(DOG);
    deleted.write(
        "annotations/e.yaml",
        "annotations:\n  - {id: e1, kind: entity}\n",
    );
    deleted.write(SEED_PATH, "The first line tells of a cat.\n");
    assert_eq!(deleted.run(&["reanchor", "--write"]).status, 1);
    assert_eq!(deleted.run(&["reanchor", "--accept", "dog"]).status, 2);
    let err = review::accept(deleted.path(), &[], &Accept::Ids(vec!["dog".into()])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "there is nothing to accept for `dog`: its drift is `deleted` and records no proposed new span (annotations/a.yaml:4)"
    );
}

#[test]
fn min_confidence_outside_zero_to_one_is_a_usage_error() {
    let ws = drifted();
    for bad in ["1.5", "-0.1", "high", "NaN"] {
        let flag = format!("--min-confidence={bad}");
        let run = ws.run(&["reanchor", "--accept-all-edited", &flag]);
        assert_eq!(run.status, 2, "{bad}");
        assert!(
            run.stderr.contains("is not a number from 0 to 1"),
            "{bad}: {}",
            run.stderr
        );
    }
    let run = ws.run(&["reanchor", "--accept-all-edited"]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("--min-confidence"), "{}", run.stderr);
    let run = ws.run(&["reanchor", "--write", "--accept", "dog"]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
}

#[test]
fn accept_of_a_malformed_drift_says_what_is_wrong_with_it() {
    let ws = drifted();
    assert_eq!(ws.run(&["reanchor", "--write"]).status, 1);
    let written = ws.read(A);
    let at = written
        .find("confidence: 0.")
        .expect("a recorded confidence");
    let broken = format!(
        "{}confidence: 1.5{}",
        &written[..at],
        &written[at + "confidence: 0.88".len()..]
    );
    ws.write(A, &broken);
    let run = ws.run(&["reanchor", "--accept", "dog"]);
    assert_eq!(run.status, 2, "{}{}", run.stdout, run.stderr);
    let err = review::accept(ws.path(), &[], &Accept::Ids(vec!["dog".to_string()])).unwrap_err();
    assert!(
        err.to_string().starts_with("there is nothing to accept for `dog`: its entry cannot be read whole, so neither can a `drift:` in it (annotations/a.yaml:11:")
            && err.to_string().ends_with("): `confidence` must be a number from 0 to 1, found 1.5"),
        "{err}"
    );
    assert_eq!(ws.read(A), broken, "nothing is written");
}
