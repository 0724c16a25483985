//! The git drivers with real git: `git merge`, `git rebase` and
//! `git cherry-pick` of annotation files through `annot merge-driver`, and
//! `git diff` / `git log -p` through `annot textconv`, each in a temporary
//! repository set up with `annot hook install --drivers` (SPEC §13).

mod common;

use common::{git, git_try, sha256, Run, Ws, SEED, SEED_PATH};

const FILE: &str = "annotations/a.yaml";

/// Two claims and an entity-free body on the default seed ("The cat sat on
/// the mat. The cat ran.").
fn base() -> String {
    format!(
        "# claims about the cat\nsource: {SEED_PATH}\nsha256: {}\nannotations:\n  - id: a.sat\n    kind: claim\n    quote: cat sat\n    start: 4\n    end: 11\n    note: first\n  # the mat\n  - id: a.mat\n    kind: claim\n    quote: the mat\n    start: 15\n    end: 22\n",
        sha256(SEED.as_bytes())
    )
}

fn add(text: &str, id: &str, quote: &str, start: u64) -> String {
    format!(
        "{text}  - id: {id}\n    kind: claim\n    quote: {quote}\n    start: {start}\n    end: {}\n",
        start + quote.chars().count() as u64
    )
}

/// A repository whose `main` holds `base` in annotations/a.yaml, with
/// annot's drivers installed.
fn repo(base: &str) -> Ws {
    let ws = Ws::new();
    git(ws.path(), &["init", "-q", "-b", "main"]);
    let install = ws.run(&["hook", "install", "--drivers"]);
    assert_eq!(install.status, 0, "{}{}", install.stdout, install.stderr);
    ws.write(FILE, base);
    git(ws.path(), &["add", "-A"]);
    git(ws.path(), &["commit", "-qm", "base", "--no-verify"]);
    ws
}

fn commit(ws: &Ws, text: &str, message: &str) {
    ws.write(FILE, text);
    git(ws.path(), &["commit", "-qam", message, "--no-verify"]);
}

enum Op {
    Merge,
    Rebase,
    CherryPick,
}

struct Outcome {
    clean: bool,
    text: String,
    said: String,
    ws: Ws,
}

/// `ours` committed on main, `theirs` on a branch, then merged into main
/// (or the branch rebased onto main, or its commit picked onto main).
fn run(base: &str, ours: &str, theirs: &str, op: Op) -> Outcome {
    let ws = repo(base);
    let dir = ws.path();
    git(dir, &["checkout", "-qb", "theirs"]);
    commit(&ws, theirs, "theirs");
    git(dir, &["checkout", "-q", "main"]);
    commit(&ws, ours, "ours");
    let (clean, said) = match op {
        Op::Merge => git_try(dir, &["merge", "--no-edit", "--no-verify", "theirs"]),
        Op::CherryPick => git_try(dir, &["cherry-pick", "theirs"]),
        Op::Rebase => {
            git(dir, &["checkout", "-q", "theirs"]);
            git_try(dir, &["rebase", "main"])
        }
    };
    let text = ws.read(FILE);
    Outcome {
        clean,
        text,
        said,
        ws,
    }
}

fn merged_clean(base: &str, ours: &str, theirs: &str) -> Outcome {
    let out = run(base, ours, theirs, Op::Merge);
    assert!(out.clean, "{}\n{}", out.said, out.text);
    let validate = out.ws.validate();
    assert_eq!(validate.status, 0, "{}\n{}", validate.stdout, out.text);
    out
}

/// Every conflict hunk resolved to one side (`ours` or not).
fn take_side(text: &str, ours: bool) -> String {
    let mut out = String::new();
    let mut state = 0; // 0 outside, 1 in ours, 2 in theirs
    for line in text.split_inclusive('\n') {
        if line.starts_with("<<<<<<<") {
            state = 1;
        } else if line.starts_with("=======") && state == 1 {
            state = 2;
        } else if line.starts_with(">>>>>>>") && state == 2 {
            state = 0;
        } else if state == 0 || (state == 1) == ours {
            out.push_str(line);
        }
    }
    out
}

/// A conflicting merge: git stops, the markers hold whole annotations, and
/// either side of every hunk leaves a file that validates.
fn merged_with_conflict(base: &str, ours: &str, theirs: &str) -> Outcome {
    let out = run(base, ours, theirs, Op::Merge);
    assert!(!out.clean, "a conflict was merged silently:\n{}", out.text);
    assert!(out.text.contains("<<<<<<< ours\n"), "{}", out.text);
    for side in [true, false] {
        let resolved = take_side(&out.text, side);
        out.ws.write(FILE, &resolved);
        let validate = out.ws.validate();
        assert_eq!(
            validate.status,
            0,
            "taking {} of every hunk:\n{resolved}\n{}",
            if side { "ours" } else { "theirs" },
            validate.stdout
        );
    }
    out.ws.write(FILE, &out.text);
    out
}

#[test]
fn annotations_added_at_the_end_on_both_sides_are_all_kept_ours_first() {
    let base = base();
    let ours = add(&base, "a.ran", "cat ran", 28);
    let theirs = add(&base, "a.the", "The cat", 0);
    let out = merged_clean(&base, &ours, &theirs);
    assert_eq!(out.text, add(&ours, "a.the", "The cat", 0));
}

#[test]
fn edits_of_different_annotations_merge() {
    let base = base();
    let ours = base.replace("note: first", "note: checked by us");
    let theirs = base.replace("    end: 22\n", "    end: 22\n    note: theirs\n");
    let out = merged_clean(&base, &ours, &theirs);
    assert_eq!(
        out.text,
        ours.replace("    end: 22\n", "    end: 22\n    note: theirs\n")
    );
}

#[test]
fn edits_of_different_fields_of_one_annotation_merge() {
    let base = base();
    let ours = base.replace("note: first", "note: ours");
    let theirs = base.replace(
        "    quote: cat sat\n",
        "    quote: cat sat\n    prefix: \"The \"\n",
    );
    let out = merged_clean(&base, &ours, &theirs);
    assert_eq!(
        out.text,
        ours.replace(
            "    quote: cat sat\n",
            "    quote: cat sat\n    prefix: \"The \"\n"
        )
    );
}

#[test]
fn the_same_field_changed_differently_is_a_conflict_around_that_annotation_only() {
    let base = base();
    let ours = add(
        &base.replace("note: first", "note: ours"),
        "a.ran",
        "cat ran",
        28,
    );
    let theirs = base.replace("note: first", "note: theirs");
    let out = merged_with_conflict(&base, &ours, &theirs);
    let expected = format!(
        "{}<<<<<<< ours\n  - id: a.sat\n    kind: claim\n    quote: cat sat\n    start: 4\n    end: 11\n    note: ours\n=======\n  - id: a.sat\n    kind: claim\n    quote: cat sat\n    start: 4\n    end: 11\n    note: theirs\n>>>>>>> theirs\n  # the mat\n",
        base.split("  - id: a.sat").next().unwrap()
    );
    assert!(out.text.starts_with(&expected), "{}", out.text);
    assert!(
        out.text.ends_with(
            "  - id: a.ran\n    kind: claim\n    quote: cat ran\n    start: 28\n    end: 35\n"
        ),
        "{}",
        out.text
    );
}

#[test]
fn a_change_against_a_removal_is_a_conflict_with_an_empty_side() {
    let base = base();
    let ours = base.replace("note: first", "note: ours");
    let theirs = base.replace(
        "  - id: a.sat\n    kind: claim\n    quote: cat sat\n    start: 4\n    end: 11\n    note: first\n",
        "",
    );
    let out = merged_with_conflict(&base, &ours, &theirs);
    assert!(
        out.text
            .contains("    note: ours\n=======\n>>>>>>> theirs\n"),
        "{}",
        out.text
    );
}

#[test]
fn one_new_id_with_different_content_on_both_sides_is_a_conflict() {
    let base = base();
    let ours = add(&base, "a.new", "cat ran", 28);
    let theirs = add(&base, "a.new", "The cat", 0);
    let out = merged_with_conflict(&base, &ours, &theirs);
    assert_eq!(out.text.matches("<<<<<<<").count(), 1, "{}", out.text);
}

#[test]
fn one_new_annotation_added_alike_on_both_sides_is_kept_once() {
    let base = base();
    let both = add(&base, "a.new", "cat ran", 28);
    let out = merged_clean(&base, &both, &both);
    assert_eq!(out.text, both);
}

#[test]
fn a_value_written_differently_but_read_alike_is_no_conflict_and_keeps_ours() {
    let base = base();
    let ours = base.replace("quote: the mat", "quote: \"the mat\"");
    let theirs = base.replace("quote: the mat", "quote: 'the mat'");
    let out = merged_clean(&base, &ours, &theirs);
    assert_eq!(out.text, ours);
}

#[test]
fn comments_added_on_both_sides_are_all_kept() {
    let base = base();
    let ours = base.replace(
        "    note: first\n",
        "    note: first\n    # ours: checked twice\n",
    );
    let theirs = base.replace("  # the mat\n", "  # the mat\n  # theirs: ask the desk\n");
    let out = merged_clean(&base, &ours, &theirs);
    assert!(out.text.contains("# ours: checked twice\n"), "{}", out.text);
    assert!(
        out.text.contains("# theirs: ask the desk\n"),
        "{}",
        out.text
    );
    assert!(out.text.starts_with("# claims about the cat\n"));
}

#[test]
fn a_reordering_against_an_edit_keeps_both() {
    let base = base();
    let sat = "  - id: a.sat\n    kind: claim\n    quote: cat sat\n    start: 4\n    end: 11\n    note: first\n";
    let mat = "  # the mat\n  - id: a.mat\n    kind: claim\n    quote: the mat\n    start: 15\n    end: 22\n";
    let head = base.split("  - id: a.sat").next().unwrap();
    let ours = format!("{head}{mat}{sat}");
    let theirs = base.replace("note: first", "note: theirs");
    let out = merged_clean(&base, &ours, &theirs);
    assert_eq!(
        out.text,
        format!("{head}{mat}{}", sat.replace("note: first", "note: theirs"))
    );
}

#[test]
fn crlf_files_merge_and_keep_their_line_endings() {
    let crlf = |s: &str| s.replace('\n', "\r\n");
    let base = base();
    let ours = crlf(&base.replace("note: first", "note: ours"));
    let theirs = crlf(&add(&base, "a.ran", "cat ran", 28));
    let out = run(&crlf(&base), &ours, &theirs, Op::Merge);
    assert!(out.clean, "{}", out.said);
    assert_eq!(
        out.text,
        crlf(&add(
            &base.replace("note: first", "note: ours"),
            "a.ran",
            "cat ran",
            28
        ))
    );
}

#[test]
fn a_reanchor_on_one_side_and_a_note_edit_on_the_other_merge() {
    // Ours: the seed gained a line before the cat, and `reanchor --write`
    // moved both spans and the pin; theirs: a note.
    let new_seed = format!("News.\n{SEED}");
    let base = base();
    let ws = repo(&base);
    let dir = ws.path();
    git(dir, &["checkout", "-qb", "theirs"]);
    commit(&ws, &base.replace("note: first", "note: theirs"), "theirs");
    git(dir, &["checkout", "-q", "main"]);
    ws.write(SEED_PATH, &new_seed);
    let reanchor = ws.run(&["reanchor", "--write"]);
    assert_eq!(reanchor.status, 0, "{}{}", reanchor.stdout, reanchor.stderr);
    let reanchored = ws.read(FILE);
    assert!(reanchored.contains("start: 10\n"), "{reanchored}");
    git(dir, &["commit", "-qam", "reanchor", "--no-verify"]);
    let (clean, said) = git_try(dir, &["merge", "--no-edit", "theirs"]);
    assert!(clean, "{said}");
    assert_eq!(
        ws.read(FILE),
        reanchored.replace("note: first", "note: theirs")
    );
    assert_eq!(ws.validate().status, 0);
}

#[test]
fn the_file_pin_changed_differently_on_both_sides_conflicts_on_that_line_only() {
    let base = base();
    let ours = base.replace(&sha256(SEED.as_bytes()), &"a".repeat(64));
    let theirs = base.replace(&sha256(SEED.as_bytes()), &"b".repeat(64));
    let out = run(&base, &ours, &theirs, Op::Merge);
    assert!(!out.clean);
    assert!(
        out.text.contains(&format!(
            "<<<<<<< ours\nsha256: {}\n=======\nsha256: {}\n>>>>>>> theirs\nannotations:\n",
            "a".repeat(64),
            "b".repeat(64)
        )),
        "{}",
        out.text
    );
}

#[test]
fn a_side_that_is_not_valid_yaml_falls_back_to_the_line_merge_and_stops() {
    let base = base();
    let ours = base.replace("note: first", "note: [unclosed");
    let theirs = add(&base, "a.ran", "cat ran", 28);
    let out = run(&base, &ours, &theirs, Op::Merge);
    // Clean as lines, but git must stop so that a person looks.
    assert!(!out.clean, "{}", out.said);
    assert_eq!(out.text, add(&ours, "a.ran", "cat ran", 28));
    assert!(
        out.said.contains("git's line merge was used"),
        "{}",
        out.said
    );
}

#[test]
fn a_rebase_replays_annotations_added_on_both_sides() {
    let base = base();
    let ours = add(&base, "a.ran", "cat ran", 28);
    let theirs = add(&base, "a.the", "The cat", 0);
    let out = run(&base, &ours, &theirs, Op::Rebase);
    assert!(out.clean, "{}", out.said);
    // In a rebase, "ours" is the branch being rebased onto (main).
    assert_eq!(out.text, add(&ours, "a.the", "The cat", 0));
}

#[test]
fn a_cherry_pick_brings_one_annotation_over_beside_ours() {
    let base = base();
    let ours = base.replace("note: first", "note: ours");
    let theirs = add(&base, "a.the", "The cat", 0);
    let out = run(&base, &ours, &theirs, Op::CherryPick);
    assert!(out.clean, "{}", out.said);
    assert_eq!(out.text, add(&ours, "a.the", "The cat", 0));
}

#[test]
fn the_merge_driver_alone_writes_ours_and_exits_by_the_outcome() {
    let ws = Ws::new();
    let base = base();
    let o = ws.write("o.yaml", &base);
    let a = ws.write("a.yaml", base.replace("note: first", "note: ours"));
    let b = ws.write("b.yaml", base.replace("note: first", "note: theirs"));
    let args = |marker: &str| {
        vec![
            "merge-driver".to_string(),
            o.display().to_string(),
            a.display().to_string(),
            b.display().to_string(),
            FILE.to_string(),
            marker.to_string(),
        ]
    };
    let run: Run = Run::of(common::annot_in(
        ws.path(),
        &args("10").iter().map(String::as_str).collect::<Vec<_>>(),
        &[],
    ));
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "annotations/a.yaml: merged by annotation id; 1 annotation or field conflict (a.sat)"
        ),
        "{}",
        run.stderr
    );
    let merged = ws.read("a.yaml");
    assert!(
        merged.contains("<<<<<<<<<< ours\n") && merged.contains(">>>>>>>>>> theirs\n"),
        "{merged}"
    );
}

#[test]
fn git_diff_and_log_show_one_line_per_annotation() {
    let base = base();
    let ws = repo(&base);
    commit(&ws, &base.replace("note: first", "note: second"), "note");
    let diff = git(ws.path(), &["diff", "HEAD~1", "HEAD"]);
    assert!(
        diff.contains("-a.sat claim 4..11 \"cat sat\" note=\"first\"\n+a.sat claim 4..11 \"cat sat\" note=\"second\"\n"),
        "{diff}"
    );
    let log = git(ws.path(), &["log", "-p", "-1"]);
    assert!(
        log.contains("+a.sat claim 4..11 \"cat sat\" note=\"second\""),
        "{log}"
    );
    // A file that is not valid YAML is shown as it is, and the diff goes on.
    commit(&ws, "annotations: [\n", "broken");
    let diff = git(ws.path(), &["diff", "HEAD~1", "HEAD"]);
    assert!(diff.contains("+annotations: [\n"), "{diff}");
}

#[test]
fn installing_the_drivers_twice_changes_nothing_and_a_foreign_driver_is_kept() {
    let ws = repo(&base());
    let attributes = ws.read(".gitattributes");
    let again = ws.run(&["hook", "install", "--drivers"]);
    assert_eq!(again.status, 0);
    assert!(again.stdout.contains("nothing changed"), "{}", again.stdout);
    assert_eq!(ws.read(".gitattributes"), attributes);
    assert_eq!(
        attributes.matches("merge=annot diff=annot").count(),
        2,
        "{attributes}"
    );
    git(
        ws.path(),
        &["config", "merge.annot.driver", "other-tool %O %A %B"],
    );
    let refused = ws.run(&["hook", "install", "--drivers"]);
    assert_eq!(refused.status, 2);
    assert!(
        refused.stderr.contains("annot::driver_foreign"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        git(ws.path(), &["config", "merge.annot.driver"]),
        "other-tool %O %A %B\n"
    );
    let forced = ws.run(&["hook", "install", "--drivers", "--force"]);
    assert_eq!(forced.status, 0, "{}", forced.stderr);
    assert!(
        git(ws.path(), &["config", "merge.annot.driver"]).contains(" merge-driver %O %A %B %P %L")
    );
}

#[test]
fn a_marker_size_out_of_range_is_refused_before_anything_is_written() {
    let ws = Ws::new();
    let base = base();
    let a = ws.write("a.yaml", &base);
    for size in ["0", "100000000"] {
        let run = Run::of(common::annot_in(
            ws.path(),
            &["merge-driver", "o.yaml", "a.yaml", "b.yaml", FILE, size],
            &[],
        ));
        assert_eq!(run.status, 2, "{}", run.stderr);
        assert!(
            run.stderr
                .contains(&format!("invalid value '{size}' for '[MARKER_SIZE]'")),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("1..=1000"), "{}", run.stderr);
    }
    assert_eq!(std::fs::read_to_string(a).unwrap(), base);
}
