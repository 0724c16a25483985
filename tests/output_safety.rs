//! What reaches a terminal: no text from a file may drive it (control
//! characters are shown, never written), a finding far out on a long line
//! is reported without a crash, hidden characters have one notation in
//! every report, and the output honours the terminal's width and
//! character set.

mod common;
use common::*;
use proptest::prelude::*;
use std::path::Path;

/// Whether a character would act on a terminal rather than show: C0
/// controls but tab and line feed, DEL, C1 controls, and the
/// bidirectional overrides that reorder a line.
fn acts_on_terminal(c: char) -> bool {
    (c < ' ' && c != '\t' && c != '\n')
        || ('\u{7f}'..='\u{9f}').contains(&c)
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Asserts that `out` holds no raw byte or character that acts on a
/// terminal.
fn assert_inert(what: &str, out: &[u8]) {
    let text = String::from_utf8_lossy(out);
    if let Some(b) = out
        .iter()
        .position(|b| (*b < 0x20 && *b != b'\t' && *b != b'\n') || *b == 0x7f)
    {
        panic!(
            "{what}: raw byte {:#04x} at {b}:\n{}",
            out[b],
            text.escape_debug()
        );
    }
    if let Some((i, c)) = text.char_indices().find(|(_, c)| acts_on_terminal(*c)) {
        panic!("{what}: raw {c:?} at {i}:\n{}", text.escape_debug());
    }
}

/// Removes the colour sequences annot itself writes (`ESC [ … m`).
fn strip_colours(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            let rest: String = chars.clone().skip(1).take(16).collect();
            if let Some(end) = rest.find('m') {
                if rest[..end].chars().all(|d| d.is_ascii_digit() || d == ';') {
                    for _ in 0..end + 2 {
                        chars.next();
                    }
                    continue;
                }
            }
        }
        out.push(c);
    }
    out
}

/// A string for YAML's double-quoted style: every character that is not
/// printable ASCII as an escape, so the file is valid YAML whatever the
/// value holds.
fn yq(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            c if (c as u32) <= 0xffff => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push_str(&format!("\\U{:08X}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// One piece of hostile text: a control character (C0 but NUL, DEL, C1),
/// a terminal escape sequence, or a bidirectional or zero-width character.
fn hostile_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        (1u32..0x20).prop_map(|c| char::from_u32(c).unwrap().to_string()),
        (0x7fu32..0xa0).prop_map(|c| char::from_u32(c).unwrap().to_string()),
        Just("\u{1b}[2J\u{1b}[H".to_string()),
        Just("\u{1b}]0;owned\u{7}".to_string()),
        Just("\u{1b}]8;;http://x.test/\u{1b}\\".to_string()),
        Just("\r\n".to_string()),
        Just("\u{202e}".to_string()),
        Just("\u{2066}".to_string()),
        Just("\u{200b}".to_string()),
        Just("\u{feff}".to_string()),
    ]
}

/// Text with at least one hostile piece among plain words.
fn hostile() -> impl Strategy<Value = String> {
    (
        "[a-z]{1,3}",
        hostile_piece(),
        prop::collection::vec(prop_oneof![hostile_piece(), "[a-z]{1,3}"], 0..4),
    )
        .prop_map(|(word, piece, rest)| format!("{word}{piece}{}", rest.concat()))
}

/// A name that can be a file name: no `/`, no NUL.
fn hostile_name() -> impl Strategy<Value = String> {
    hostile().prop_map(|s| s.replace(['/', '\0'], "_"))
}

#[derive(Debug, Clone)]
struct Hostile {
    file: String,
    seed_name: String,
    seed_text: String,
    field: String,
    kind: String,
    id: String,
    target: String,
    rel: String,
    note: String,
    quote: String,
    new_id: String,
}

fn hostile_workspace() -> impl Strategy<Value = Hostile> {
    (
        (hostile_name(), hostile_name(), hostile(), hostile()),
        (hostile(), hostile(), hostile(), hostile()),
        (hostile(), hostile(), hostile()),
    )
        .prop_map(
            |(
                (file, seed_name, seed_text, field),
                (kind, id, target, rel),
                (note, quote, new_id),
            )| Hostile {
                file,
                seed_name,
                seed_text,
                field,
                kind,
                id,
                target,
                rel,
                note,
                quote,
                new_id,
            },
        )
}

/// A committed workspace whose every kind of text holds `h`'s hostile
/// strings, then changed so that `annot diff` has drift and annotation
/// changes to show.
fn build(h: &Hostile) -> (Ws, String) {
    let ws = Ws::new();
    let seed_path = format!("seeds/{}.txt", h.seed_name);
    let seed = format!(
        "Intro {} the cat sat on the mat.\nSecond line {} here.\n",
        h.seed_text, h.note
    );
    ws.write(&seed_path, &seed);
    let start = "Intro ".chars().count();
    let quote = format!("{} the cat sat", h.seed_text);
    let end = start + quote.chars().count();
    let file = format!("annotations/{}.yaml", h.file);
    let text = format!(
        "source: {}\nsha256: {}\nannotations:\n  - id: c1\n    kind: claim\n    quote: {}\n    start: {start}\n    end: {end}\n    note: {}\n    links:\n      - {{rel: about, target: e1}}\n      - {{rel: about, target: {}}}\n      - {{rel: {}, target: e1}}\n  - id: {}\n    kind: {}\n    quote: {}\n    start: 0\n    end: 3\n    {}: 1\n  - id: c2\n    kind: claim\n    quote: {}\n",
        yq(&seed_path),
        sha256(seed.as_bytes()),
        yq(&quote),
        yq(&h.note),
        yq(&h.target),
        yq(&h.rel),
        yq(&h.id),
        yq(&h.kind),
        yq(&h.quote),
        yq(&h.field),
        yq(&h.seed_text),
    );
    ws.write(&file, text);
    ws.write(
        "annotations/items.yaml",
        format!(
            "annotations:\n  - id: e1\n    kind: entity\n    note: {}\n",
            yq(&h.note)
        ),
    );
    // Raw control characters in the YAML itself.
    ws.write(
        "annotations/raw.yaml",
        format!("annotations:\n  - {{id: r1, kind: {}}}\n", h.kind),
    );
    git(ws.path(), &["init", "-q"]);
    git(ws.path(), &["add", "-A"]);
    git(ws.path(), &["commit", "-qm", "first"]);
    ws.write(&seed_path, seed.replace("the cat sat", "the dog sat"));
    ws.write(
        "annotations/items.yaml",
        format!(
            "annotations:\n  - id: e1\n    kind: entity\n    note: {}\n  - id: {}\n    kind: {}\n",
            yq(&h.quote),
            yq(&h.new_id),
            yq(&h.kind)
        ),
    );
    (ws, file)
}

/// Every output format of every command that prints text from files.
const RUNS: &[&[&str]] = &[
    &["validate"],
    &["validate", "--format", "json"],
    &["validate", "--format", "github"],
    &["show", "c1"],
    &["show", "e1"],
    &["show", "c1", "--format", "json"],
    &["ls"],
    &["ls", "--ids"],
    &["ls", "--format", "json"],
    &["anchor", "--dry-run"],
    &["reanchor"],
    &["diff"],
    &["diff", "--format", "json"],
    &["diff", "--format", "markdown"],
    &["diff", "--format", "github"],
];

fn check_in_colour(root: &Path) {
    use annot::report::{human, show, Style};
    let style = Style {
        color: true,
        width: Some(80),
        ..Style::default()
    };
    let validation = annot::commands::validate(root, false).unwrap();
    let out = human::render(&validation.findings, &validation.texts, &style);
    assert_inert("validate in colour", strip_colours(&out).as_bytes());
    let shown = annot::commands::show(root, "c1").unwrap();
    let out = show::render(&shown, &style);
    assert_inert("show in colour", strip_colours(&out).as_bytes());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn no_control_character_from_a_file_reaches_the_output(h in hostile_workspace()) {
        let (ws, _) = build(&h);
        for args in RUNS {
            let output = ws.command(args, &[]).output().unwrap();
            let what = args.join(" ");
            prop_assert!(
                output.status.code().is_some_and(|c| c < 101),
                "{what} crashed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            assert_inert(&format!("{what} (stdout)"), &output.stdout);
            assert_inert(&format!("{what} (stderr)"), &output.stderr);
        }
        check_in_colour(ws.path());
        // The JSON keeps the true text.
        let json = ws.run(&["validate", "--format", "json"]).json();
        let messages: Vec<&str> = json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["message"].as_str())
            .collect();
        // (The kind: a link's target may be held back, since one file of
        // the workspace holds raw control bytes and cannot be read.)
        prop_assert!(
            messages.iter().any(|m| m.contains(&h.kind)),
            "{messages:?}"
        );
    }
}

/// An annotation file written as one line of minified JSON (valid YAML),
/// with a mistake past column 70,000.
fn one_line_json(ws: &Ws) -> u64 {
    let mut items: Vec<String> = (0..1500)
        .map(|i| {
            format!(
                r#"{{"id": "n{i}", "kind": "note", "note": "{}"}}"#,
                "x".repeat(40)
            )
        })
        .collect();
    items.push(r#"{"id": "bad", "kind": "nope"}"#.to_string());
    let text = format!(r#"{{"annotations": [{}]}}"#, items.join(", "));
    let column = text.find(r#""nope""#).unwrap() as u64 + 1;
    assert!(column > 70_000);
    ws.write("annotations/min.yaml", text);
    column
}

#[test]
fn a_finding_far_out_on_a_long_line_is_reported_without_a_crash() {
    let ws = Ws::new();
    let column = one_line_json(&ws);
    assert_findings(
        &ws.validate(),
        1,
        &[("unknown-kind", "annotations/min.yaml", 1, column)],
    );
    for env in [&[][..], &[("COLUMNS", "60")][..]] {
        let run = ws.run_with(&["validate"], env);
        assert_eq!(run.status, 1, "{env:?}\n{}{}", run.stdout, run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        assert!(run.stdout.contains("unknown-kind"), "{}", run.stdout);
        assert!(
            run.stdout
                .contains(&format!("[annotations/min.yaml:1:{column}]")),
            "{}",
            run.stdout
        );
        // The excerpt shows the mistake, shortened to the width (100
        // columns when it is not known).
        assert!(run.stdout.contains(r#""kind": "nope""#), "{}", run.stdout);
        let width: usize = env.first().map_or(100, |(_, w)| w.parse().unwrap());
        let widest = run
            .stdout
            .lines()
            .filter(|l| l.contains('│') || l.contains('·'))
            .map(|l| l.chars().count())
            .max();
        assert!(widest.unwrap_or(0) <= width, "{}", run.stdout);
    }
}

#[test]
fn the_pre_commit_check_survives_a_long_line_too() {
    let ws = Ws::new();
    let column = one_line_json(&ws);
    git(ws.path(), &["init", "-q"]);
    git(ws.path(), &["add", "-A"]);
    let run = ws.run(&["validate", "--staged"]);
    assert_eq!(run.status, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains(&format!("[annotations/min.yaml:1:{column}]")),
        "{}",
        run.stdout
    );
}

/// A seed with a carriage return, a tab and a zero-width space inside
/// the quoted text, quoted with a mistake so `validate` shows it.
const ODD: &str = "One\r\ntwo\tthree\u{200b}four five.\n";

#[test]
fn line_breaks_tabs_and_invisible_characters_look_the_same_in_every_report() {
    let ws = Ws::new();
    ws.write(SEED_PATH, ODD);
    let quote = "One\r\ntwo\tthree\u{200b}four";
    let body = |q: &str, end: usize| {
        format!(
            "source: {SEED_PATH}\nsha256: {}\nannotations:\n  - id: c1\n    kind: claim\n    quote: {}\n    start: 0\n    end: {end}\n    note: {}\n",
            sha256(ODD.as_bytes()),
            yq(q),
            yq("a\tnote\r\non two lines")
        )
    };
    let n = quote.chars().count();
    ws.write("annotations/a.yaml", body(quote, n));
    assert_findings(&ws.validate(), 0, &[]);
    let shown = "One\\r\\ntwo\\tthree\\u{200b}four";
    let show = ws.run(&["show", "c1"]);
    assert!(show.stdout.contains(shown), "{}", show.stdout);
    assert!(
        show.stdout.contains("a\\tnote\\r\\non two lines"),
        "{}",
        show.stdout
    );
    git(ws.path(), &["init", "-q"]);
    git(ws.path(), &["add", "-A"]);
    git(ws.path(), &["commit", "-qm", "first"]);
    // The quote loses its last letter: diff shows old and new quotes.
    ws.write("annotations/a.yaml", body(&quote[..quote.len() - 1], n - 1));
    let diff = ws.run(&["diff"]);
    assert!(
        diff.stdout
            .contains("One\\r\\ntwo\\tthree\\u{200b}[-four-]{+fou+}"),
        "{}",
        diff.stdout
    );
    // The span now ends a letter early: validate quotes the source text.
    ws.write("annotations/a.yaml", body(quote, n - 1));
    let validate = ws.run(&["validate"]);
    assert!(
        validate.stdout.contains("One\\r\\ntwo\\tthree\\u{200b}fou"),
        "{}",
        validate.stdout
    );
    for out in [&show.stdout, &diff.stdout, &validate.stdout] {
        assert!(
            !out.contains('\u{200b}') && !out.contains('\r') && !out.contains('⏎'),
            "{out}"
        );
    }
}

/// The line under an excerpt line: the column of its first `^` and the
/// number of them.
fn carets(out: &str, excerpt_starts: &str) -> (String, usize, usize) {
    let lines: Vec<&str> = out.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.contains(excerpt_starts))
        .unwrap_or_else(|| panic!("no line with {excerpt_starts:?} in\n{out}"));
    let under = lines[i + 1];
    let at = under
        .find('^')
        .unwrap_or_else(|| panic!("no carets in\n{out}"));
    let width = |s: &str| unicode_width_of(s);
    let marks = under[at..].chars().take_while(|c| *c == '^').count();
    (lines[i].to_string(), width(&under[..at]), marks)
}

/// Display width, counted by hand for the few characters these tests use:
/// CJK ideographs take two columns, combining marks none.
fn unicode_width_of(s: &str) -> usize {
    s.chars()
        .map(|c| match c {
            '\u{300}'..='\u{36f}' => 0,
            '\u{3040}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}' => 2,
            _ => 1,
        })
        .sum()
}

#[test]
fn carets_stand_under_the_display_columns_of_the_span() {
    let ws = Ws::new();
    let seed = "東京の猫 cafe\u{301} 東京 sat here.\n";
    ws.write(SEED_PATH, seed);
    // The span is right; the quote differs (one letter), so the report
    // shows the text at the span.
    let before = "東京の猫 cafe\u{301} ";
    let start = before.chars().count();
    let span = "東京 sat";
    let end = start + span.chars().count();
    ws.write(
        "annotations/a.yaml",
        format!(
            "source: {SEED_PATH}\nsha256: {}\nannotations:\n  - {{id: c1, kind: claim, quote: \"東京 sit\", start: {start}, end: {end}}}\n",
            sha256(seed.as_bytes())
        ),
    );
    let run = ws.run(&["validate"]);
    assert_eq!(run.status, 1, "{}", run.stdout);
    let (line, at, marks) = carets(&run.stdout, "東京の猫");
    let text_at = line.find("東京の猫").unwrap();
    assert_eq!(
        at - unicode_width_of(&line[..text_at]),
        unicode_width_of(before),
        "{}",
        run.stdout
    );
    assert_eq!(marks, unicode_width_of(span), "{}", run.stdout);
}

/// A workspace of ASCII text only, with a quote mismatch, committed and
/// then changed so that `diff` has something to show.
fn ascii_workspace() -> Ws {
    let ws = Ws::new();
    let seed = "The cat sat on the mat. The dog ran far away from home.\n";
    ws.write(SEED_PATH, seed);
    ws.write(
        "annotations/a.yaml",
        format!(
            "source: {SEED_PATH}\nsha256: {}\nannotations:\n  - {{id: c1, kind: claim, quote: cat sat, start: 4, end: 11}}\n  - {{id: c2, kind: claim, quote: dog ran far away, start: 28, end: 44}}\n",
            sha256(seed.as_bytes())
        ),
    );
    git(ws.path(), &["init", "-q"]);
    git(ws.path(), &["add", "-A"]);
    git(ws.path(), &["commit", "-qm", "first"]);
    ws.write(
        SEED_PATH,
        "A new first line.\nThe cat sat on the mat. The dog ran very far away from home.\n",
    );
    ws
}

#[test]
fn dumb_terminals_and_other_character_sets_get_ascii() {
    let ws = ascii_workspace();
    let ascii_envs: &[&[(&str, &str)]] = &[
        &[("TERM", "dumb")],
        &[("LC_ALL", "C")],
        &[
            ("LC_ALL", ""),
            ("LC_CTYPE", "POSIX"),
            ("LANG", "en_US.UTF-8"),
        ],
        &[("LC_ALL", ""), ("LANG", "de_DE.ISO-8859-1")],
    ];
    for env in ascii_envs {
        for args in [
            &["validate"][..],
            &["diff"],
            &["reanchor"],
            &["show", "c1"],
            &["show", "nothing"],
        ] {
            let run = ws.run_with(args, env);
            for (name, out) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
                assert!(
                    out.is_ascii(),
                    "{args:?} {env:?} {name}:\n{out}\n{:?}",
                    out.chars().filter(|c| !c.is_ascii()).collect::<String>()
                );
            }
        }
    }
    // A UTF-8 locale still gets the Unicode report.
    let run = ws.run_with(&["validate"], &[("LC_ALL", ""), ("LANG", "pl_PL.utf8")]);
    assert!(run.stdout.contains('╭'), "{}", run.stdout);
}

#[test]
fn text_beyond_ascii_is_escaped_only_where_the_locale_cannot_show_it() {
    let ws = Ws::new();
    // The span is one letter short: the report quotes the Polish text.
    ws.annotations(
        "annotations/a.yaml",
        "  - {id: c1, kind: claim, quote: \"Zażółć\", start: 37, end: 42}\n",
    );
    let c = ws.run_with(&["validate"], &[("LC_ALL", "C")]);
    assert!(c.stdout.is_ascii(), "{}", c.stdout);
    assert!(
        c.stdout.contains("Za\\u{17c}\\u{f3}\\u{142}"),
        "{}",
        c.stdout
    );
    let dumb = ws.run_with(&["validate"], &[("TERM", "dumb")]);
    assert!(dumb.stdout.contains("Zażół"), "{}", dumb.stdout);
    assert!(
        !dumb.stdout.contains(['╭', '│', '─', '×', '…', '→']),
        "{}",
        dumb.stdout
    );
}

#[test]
fn columns_sets_the_width_of_human_output() {
    let ws = ascii_workspace();
    let long = "word ".repeat(60);
    ws.write(
        "annotations/b.yaml",
        format!(
            "annotations:\n  - {{id: n1, kind: nope, note: {long}}}\n  - {{id: n2, kind: note, note: x, links: [{{rel: about, target: {}}}]}}\n",
            "t".repeat(150)
        ),
    );
    for columns in [50usize, 72] {
        let env = [("COLUMNS", columns.to_string())];
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        for args in [&["validate"][..], &["diff"]] {
            let run = ws.run_with(args, &env);
            for line in run.stdout.lines() {
                assert!(
                    unicode_width_of(line) <= columns,
                    "{args:?} COLUMNS={columns}: {line:?} is wider\n{}",
                    run.stdout
                );
            }
        }
    }
    let seed = "The cat sat on the mat. The dog ran very far away from home.\n";
    ws.write(
        "annotations/a.yaml",
        format!(
            "source: {SEED_PATH}\nsha256: {}\nannotations:\n  - {{id: c2, kind: claim, quote: dog ran very far away, start: 28, end: 49}}\n",
            sha256(seed.as_bytes())
        ),
    );
    ws.write(SEED_PATH, seed);
    let show = ws.run_with(&["show", "c2"], &[("COLUMNS", "40")]);
    let context = show
        .stdout
        .lines()
        .skip_while(|l| *l != "in context:")
        .nth(1)
        .unwrap_or_else(|| panic!("{}", show.stdout));
    assert!(
        context.contains("[[dog ran very far away]]") && context.chars().count() <= 40,
        "{}",
        show.stdout
    );
    // Without a width (a pipe) the output does not depend on it.
    let wide = ws.run(&["validate"]).stdout;
    assert!(wide.lines().any(|l| l.chars().count() > 100), "{wide}");
}

#[test]
fn show_highlights_a_span_only_where_it_still_quotes_its_text() {
    let ws = ascii_workspace();
    // The source changed: 28..44 is now other words.
    // What is highlighted is the pinned version, from git, said so.
    let run = ws.run(&["show", "c2"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("the text below is the pinned version, from git history")
            && run.stdout.contains("The [[dog ran far away]] from home."),
        "{}",
        run.stdout
    );
    // Without the pinned version, nothing is highlighted.
    std::fs::remove_dir_all(ws.path().join(".git")).unwrap();
    let run = ws.run(&["show", "c2"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(!run.stdout.contains("[["), "{}", run.stdout);
}
