//! A run that finds only a few files changed since the last full run checks
//! only what they can affect. Here a workspace goes through a long series
//! of small random edits (ids that collide and part, links that point at
//! the wrong kind or at nothing, files that come and go, a source that
//! changes); after each one, the partial run must print exactly what a
//! full run without any cache prints.

mod common;
use common::*;
use std::path::Path;

/// A small deterministic random number generator (a 64-bit LCG).
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

#[derive(Clone)]
struct Note {
    id: String,
    kind: &'static str,
    links: Vec<(&'static str, String)>,
}

/// Annotation files by name; `entities` has no source.
struct Model {
    files: Vec<(String, Vec<Note>)>,
}

const ENTITIES: &str = "annotations/entities.yaml";

impl Model {
    fn write(&self, ws: &Ws) {
        for (path, notes) in &self.files {
            let mut body = String::new();
            for note in notes {
                let links: Vec<String> = note
                    .links
                    .iter()
                    .map(|(rel, target)| format!("{{rel: {rel}, target: {target}}}"))
                    .collect();
                let links = if links.is_empty() {
                    String::new()
                } else {
                    format!(", links: [{}]", links.join(", "))
                };
                if note.kind == "entity" {
                    body.push_str(&format!("  - {{id: {}, kind: entity{links}}}\n", note.id));
                } else {
                    body.push_str(&format!(
                        "  - {{id: {}, kind: claim, quote: cat sat, start: 4, end: 11{links}}}\n",
                        note.id
                    ));
                }
            }
            if path == ENTITIES {
                ws.write(path, format!("annotations:\n{body}"));
            } else {
                ws.annotations(path, &body);
            }
        }
    }

    fn random_note(&self, dice: &mut Dice) -> Note {
        let id = format!("c{}", dice.below(24));
        let mut links = Vec::new();
        for _ in 0..dice.below(3) {
            let rel = ["about", "contradicts"][dice.below(2)];
            let target = match dice.below(20) {
                0 => format!("missing{}", dice.below(3)),
                1..=9 => format!("e{}", dice.below(6)),
                _ => format!("c{}", dice.below(24)),
            };
            links.push((rel, target));
        }
        Note {
            id,
            kind: "claim",
            links,
        }
    }

    fn edit(&mut self, ws: &Ws, dice: &mut Dice) -> String {
        let pick = dice.below(self.files.len());
        let name = self.files[pick].0.clone();
        match dice.below(10) {
            0 if name != ENTITIES => {
                self.files.remove(pick);
                std::fs::remove_file(ws.path().join(&name)).unwrap();
                format!("removed {name}")
            }
            1 => {
                let name = format!("annotations/n{}.yaml", dice.below(1000));
                if self.files.iter().any(|(n, _)| *n == name) {
                    return "nothing".to_string();
                }
                let notes = (0..1 + dice.below(3))
                    .map(|_| self.random_note(dice))
                    .collect();
                self.files.push((name.clone(), notes));
                format!("added {name}")
            }
            2 if name == ENTITIES => {
                let entities = &mut self.files[pick].1;
                if entities.len() > 2 && dice.below(2) == 0 {
                    let gone = entities.remove(dice.below(entities.len()));
                    format!("entity {} removed", gone.id)
                } else {
                    let id = format!("e{}", dice.below(8));
                    entities.push(Note {
                        id: id.clone(),
                        kind: "entity",
                        links: Vec::new(),
                    });
                    format!("entity {id} added")
                }
            }
            2..=4 if name != ENTITIES => {
                let note = self.random_note(dice);
                let id = note.id.clone();
                self.files[pick].1.push(note);
                format!("{id} added to {name}")
            }
            5 if !self.files[pick].1.is_empty() => {
                let notes = &mut self.files[pick].1;
                let gone = notes.remove(dice.below(notes.len()));
                format!("{} removed from {name}", gone.id)
            }
            6 | 7 if !self.files[pick].1.is_empty() && name != ENTITIES => {
                let notes = &mut self.files[pick].1;
                let at = dice.below(notes.len());
                let fresh = self.random_note(dice);
                let note = &mut self.files[pick].1[at];
                note.links = fresh.links;
                format!("links of {} in {name} changed", note.id)
            }
            8 if !self.files[pick].1.is_empty() => {
                let notes = &mut self.files[pick].1;
                let at = dice.below(notes.len());
                let id = format!("{}{}", &notes[at].id[..1], dice.below(24));
                notes[at].id = id.clone();
                format!("an id in {name} became {id}")
            }
            9 => {
                // The source changes, or changes back.
                let seed = ws.read(SEED_PATH);
                if seed == SEED {
                    ws.write(SEED_PATH, SEED.replace("mat.", "rug."));
                } else {
                    ws.write(SEED_PATH, SEED);
                }
                "the source changed".to_string()
            }
            _ => "nothing".to_string(),
        }
    }
}

fn summary(ws: &Ws) -> Option<Vec<u8>> {
    std::fs::read(ws.path().join(".git/annot/summary")).ok()
}

/// Runs `annot` with a fresh cache, keeping the cache as it was.
fn run_without_cache(ws: &Ws, args: &[&str]) -> Run {
    let annot = ws.path().join(".git/annot");
    let aside = ws.path().join(".git/annot-aside");
    let _ = std::fs::remove_dir_all(&aside);
    if annot.exists() {
        std::fs::rename(&annot, &aside).unwrap();
    }
    let run = ws.run(args);
    std::fs::remove_dir_all(&annot).unwrap();
    if aside.exists() {
        std::fs::rename(&aside, &annot).unwrap();
    }
    run
}

fn start(ws: &Ws) -> Model {
    let mut dice = Dice(7);
    let mut model = Model {
        files: vec![(
            ENTITIES.to_string(),
            (0..5)
                .map(|i| Note {
                    id: format!("e{i}"),
                    kind: "entity",
                    links: Vec::new(),
                })
                .collect(),
        )],
    };
    for f in 0..8 {
        let notes = (0..4).map(|_| model.random_note(&mut dice)).collect();
        model.files.push((format!("annotations/f{f}.yaml"), notes));
    }
    model.write(ws);
    git(ws.path(), &["init", "-q"]);
    git(ws.path(), &["add", "-A"]);
    git(ws.path(), &["commit", "-qm", "first"]);
    model
}

fn same_output(ws: &Ws, args: &[&str], step: usize, what: &str) -> bool {
    let before = summary(ws);
    let partial = ws.run(args);
    let partial_ran = before.is_some() && summary(ws) == before;
    let full = run_without_cache(ws, args);
    assert_eq!(
        (partial.status, &partial.stdout),
        (full.status, &full.stdout),
        "step {step} ({what}), {args:?}: a run on the cache differs from a full one\nstderr: {}",
        partial.stderr
    );
    partial_ran
}

#[test]
fn a_partial_run_finds_what_a_full_run_finds() {
    let ws = Ws::new();
    let mut model = start(&ws);
    let mut dice = Dice(2026);
    ws.validate();
    let (mut partial_runs, mut steps) = (0, 0);
    let mut codes = std::collections::BTreeSet::new();
    for step in 0..60 {
        let what = model.edit(&ws, &mut dice);
        model.write(&ws);
        for code in ws.validate().findings().into_iter().map(|f| f.0) {
            codes.insert(code);
        }
        steps += 2;
        partial_runs += usize::from(same_output(
            &ws,
            &["validate", "--format", "json"],
            step,
            &what,
        ));
        git(ws.path(), &["add", "-A"]);
        partial_runs += usize::from(same_output(
            &ws,
            &["validate", "--staged", "--format", "json"],
            step,
            &what,
        ));
        if step % 15 == 14 {
            // A full run now and then: later edits build on a new summary.
            std::fs::remove_file(ws.path().join(".git/annot/summary")).unwrap();
            ws.validate();
        }
    }
    // The series reaches the findings about ids and links, and most runs
    // took the partial path (the rest had a dangling link to hint at).
    for code in [
        "duplicate-id",
        "rel-constraint",
        "dangling-link",
        "pin-mismatch",
    ] {
        assert!(codes.contains(code), "no {code} in the series: {codes:?}");
    }
    assert!(
        partial_runs * 2 > steps,
        "only {partial_runs} of {steps} runs were partial"
    );
}

#[test]
fn a_damaged_summary_counts_as_absent() {
    let ws = Ws::new();
    let _model = start(&ws);
    let clean = ws.validate();
    let path = ws.path().join(".git/annot/summary");
    let bytes = std::fs::read(&path).unwrap();
    for cut in [0, 10, bytes.len() / 2, bytes.len() - 1] {
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let run = ws.validate();
        assert_eq!((run.status, &run.stdout), (clean.status, &clean.stdout));
    }
    // A byte flipped anywhere: the run still gives the truth.
    let a = "annotations/f0.yaml";
    let text = ws.read(a);
    ws.write(a, text.replacen("id: c", "id: e", 1));
    let truth = run_without_cache(&ws, &["validate", "--format", "json"]);
    // Spread over the file, and closely over its end (head and trailer).
    let places = (0..bytes.len())
        .step_by(bytes.len() / 40)
        .chain((bytes.len() - 200..bytes.len()).step_by(7));
    for at in places {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x55;
        std::fs::write(&path, &damaged).unwrap();
        let run = ws.validate();
        assert_eq!((run.status, &run.stdout), (truth.status, &truth.stdout));
    }
    assert!(Path::new(&path).exists());
}
