//! The `annot` command line: parses arguments, calls the library, picks a
//! renderer and sets the exit status (0 clean, 1 findings, 2 could not run).

use annot::commands::{self, HookInstall, HookUninstall, InitAction, MergeOutcome};
use annot::finding::Severity;
use annot::interop;
use annot::report::{
    self, github, human, json, ls as ls_report, review as review_report, sarif, show,
};
use annot::workspace::{self, WorkspaceError};
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

// Loading a large workspace makes millions of small allocations on two
// threads; mimalloc serves them markedly faster than the system allocator
// (docs/decisions.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "annot",
    version,
    about = "Provenance-tracked text annotation: prove every annotation still quotes its source"
)]
struct Cli {
    /// Run as if started in DIR (as `git -C`): paths are relative to it and
    /// the workspace is the first folder at or above it that holds
    /// `annotations/`.
    #[arg(short = 'C', global = true, value_name = "DIR")]
    directory: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check every annotation file against the vocabulary and its source.
    Validate {
        /// Report only on these annotation files or folders (the rest of
        /// the workspace is still read for ids and links).
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Exit with status 1 on warnings too.
        #[arg(long)]
        deny_warnings: bool,
        /// Check what is staged (the git index) instead of the working
        /// tree: what a pre-commit hook must check.
        #[arg(long)]
        staged: bool,
    },
    /// Fill in missing `start`/`end` from `quote` (and `sha256` of a new
    /// file); add `prefix`/`suffix` where a quote is not unique.
    Anchor {
        /// Annotation files or folders (default: all of annotations/).
        paths: Vec<PathBuf>,
        /// Show what would change without writing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Create a workspace: folders, vocabulary, schemas, .gitattributes.
    /// Never overwrites an existing file.
    Init {
        /// Where to create it (default: the current folder).
        dir: Option<PathBuf>,
    },
    /// Review what changed: where annotations on changed sources went
    /// (drift), and which annotations were added, removed or modified.
    /// Default: HEAD against the working tree.
    Diff {
        /// The revision to compare from (default: HEAD).
        base: Option<String>,
        /// The revision to compare to (default: the working tree).
        head: Option<String>,
        /// Compare HEAD with what is staged (the index).
        #[arg(long, conflicts_with = "head")]
        staged: bool,
        #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
        format: DiffFormat,
    },
    /// Carry annotations over to the new text of their sources: show what
    /// would happen, or with --write apply the safe moves in place and mark
    /// the rest with `drift:` for review.
    Reanchor {
        /// Annotation files or folders (default: all of annotations/).
        paths: Vec<PathBuf>,
        /// Update the files (otherwise only report).
        #[arg(long, conflicts_with_all = ["accept", "accept_all_edited"])]
        write: bool,
        /// Only report what --write would do (the default).
        #[arg(long, conflicts_with_all = ["write", "accept", "accept_all_edited"])]
        dry_run: bool,
        /// Apply the proposals that `--write` recorded in `drift:` of these
        /// annotations (start, end, quote) and remove their `drift:`.
        #[arg(long, value_name = "ID", num_args = 1.., conflicts_with_all = ["paths", "accept_all_edited"])]
        accept: Vec<String>,
        /// Apply every `edited` drift's proposal whose confidence is at
        /// least --min-confidence.
        #[arg(long, requires = "min_confidence")]
        accept_all_edited: bool,
        /// The lowest confidence --accept-all-edited accepts, from 0 to 1.
        #[arg(long, value_name = "X", requires = "accept_all_edited", value_parser = confidence, allow_negative_numbers = true)]
        min_confidence: Option<f64>,
    },
    /// Write a static HTML report of the workspace: every source with its
    /// highlights, every source-less item with its evidence, the findings.
    /// Opens from file:// with no network access.
    Render {
        /// The folder to write (default: annot-report/ at the workspace
        /// root). It is replaced as a whole, so it must be new, empty or an
        /// earlier report.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Also show, for each source whose text changed since REV, the old
        /// and new text side by side and every annotation's drift.
        #[arg(long, value_name = "REV")]
        base: Option<String>,
    },
    /// Run the language server (LSP over stdin/stdout) that shows in the
    /// editor what `annot validate` says, as you type; docs/editors.md
    /// sets it up for VS Code, Neovim, Helix, Zed and Emacs.
    Lsp,
    /// Show one annotation: its text in context, its links both ways, and
    /// the commits that introduced and changed it.
    Show {
        /// The annotation's id (`annot ls` lists them).
        id: String,
        #[arg(long, value_enum, default_value_t = ShowFormat::Human)]
        format: ShowFormat,
    },
    /// List annotations: id, kind and file:line, one a line (`--ids`: the
    /// ids alone, e.g. for shell completion).
    Ls {
        /// Annotation files or folders (default: all of annotations/).
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = ShowFormat::Human, conflicts_with = "ids")]
        format: ShowFormat,
        /// Print only the ids, one a line.
        #[arg(long)]
        ids: bool,
    },
    /// Merge an annotation file by annotation id, as git's merge driver
    /// (`annot hook install --drivers` sets it up): writes the result into
    /// OURS; exit 1 when annotations conflict.
    MergeDriver {
        /// The common ancestor (git's %O).
        base: PathBuf,
        /// Our version, which receives the result (git's %A).
        ours: PathBuf,
        /// Their version (git's %B).
        theirs: PathBuf,
        /// The file's path in the repository, for messages (git's %P).
        path: Option<String>,
        /// The length of conflict markers (git's %L), 1 to 1000.
        #[arg(default_value_t = 7, value_parser = clap::value_parser!(u16).range(1..=1000))]
        marker_size: u16,
    },
    /// Print an annotation file as one line per annotation (id, kind, span,
    /// quote, links), for `git diff` (a textconv driver).
    Textconv { file: PathBuf },
    /// Git hooks.
    Hook {
        #[command(subcommand)]
        action: HookAction,
    },
    /// Write the annotations in another tool's format.
    ///
    /// w3c: one W3C Web Annotation `AnnotationCollection` (JSON-LD) on
    /// stdout or in --out FILE; keeps ids, kinds, spans (TextQuoteSelector
    /// and TextPositionSelector on an `ni:` IRI that pins the version),
    /// attrs, notes, links, and source-less items.
    /// brat: a new folder (--out DIR) of .txt/.ann per source with
    /// annotation.conf and visual.conf; keeps kinds, spans (across line
    /// breaks as fragments), attrs, notes and links within one text; ids
    /// become T1, T2…; source-less items and other links are listed.
    /// jsonl: one JSON object per source (text, spans with code-point
    /// offsets, relations, meta); keeps ids, kinds, spans, attrs, notes and
    /// links within one text; source-less items are listed.
    ///
    /// What a format cannot hold is listed on stderr, which ends with
    /// `N not exported`.
    #[command(verbatim_doc_comment)]
    Export {
        #[arg(long, value_enum)]
        format: InteropFormat,
        /// Write to this file (w3c, jsonl; default stdout) or new folder
        /// (brat, required).
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
        /// Export only these sources (paths under seeds/).
        sources: Vec<PathBuf>,
    },
    /// Bring annotations made in another tool into the workspace.
    ///
    /// brat: a folder (or one .ann) with .txt beside each .ann; T, R, A/M
    /// and # lines are imported, annotation.conf declares kinds; events,
    /// equivalences, normalisations and discontinuous spans are listed.
    /// w3c: annot's, Hypothesis' or Recogito's JSON; each target is
    /// anchored from its TextQuoteSelector (prefix/suffix, position as a
    /// hint) in a seed found by its `ni:` IRI or its URL in
    /// seeds/sources.yaml; ambiguous or missing quotes are refused.
    /// jsonl: spaCy/Prodigy-style lines (text, spans, relations, meta).
    ///
    /// Sources are copied into seeds/ (an existing seed with the same text
    /// is reused, a different one never overwritten), annotation files are
    /// written anchored and pinned, and the vocabulary gains what is
    /// missing. Whatever cannot be represented is listed; stderr ends with
    /// `N not imported`, and the exit status is 1 when N > 0. All files are
    /// written or none.
    #[command(verbatim_doc_comment)]
    Import {
        #[arg(value_enum)]
        format: InteropFormat,
        /// The file (w3c, jsonl) or folder (brat) to import.
        path: PathBuf,
        /// Show what would be written, and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Put PREFIX before every imported id (`PREFIX.T1`).
        #[arg(long, value_name = "PREFIX")]
        prefix: Option<String>,
        /// The kind of a W3C annotation none of whose tags is a declared
        /// kind (Hypothesis tags).
        #[arg(long, value_name = "KIND")]
        default_kind: Option<String>,
    },
    /// Print a shell completion script.
    Completions { shell: clap_complete::Shell },
}

#[derive(Subcommand)]
enum HookAction {
    /// Write a git pre-commit hook that runs `annot validate --staged`.
    Install {
        /// Replace a pre-commit hook (and, with --drivers, merge and diff
        /// drivers named `annot`) that annot did not write.
        #[arg(long)]
        force: bool,
        /// Also set up annot's merge driver and diff textconv for
        /// annotation files: the `.gitattributes` lines and the
        /// repository's git config (which is not cloned: each clone runs
        /// this once).
        #[arg(long)]
        drivers: bool,
    },
    /// Stop checking this workspace before each commit: take it out of
    /// annot's pre-commit hook (and remove the hook when no workspace is
    /// left). A hook annot did not write is left alone.
    Uninstall,
}

#[derive(Clone, Copy, ValueEnum)]
enum DiffFormat {
    Human,
    Json,
    Markdown,
    Github,
    Sarif,
}

#[derive(Clone, Copy, ValueEnum)]
enum InteropFormat {
    W3c,
    Brat,
    Jsonl,
}

impl From<InteropFormat> for interop::Format {
    fn from(f: InteropFormat) -> interop::Format {
        match f {
            InteropFormat::W3c => interop::Format::W3c,
            InteropFormat::Brat => interop::Format::Brat,
            InteropFormat::Jsonl => interop::Format::Jsonl,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ShowFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
    Github,
    Sarif,
}

/// A confidence given on the command line: a number from 0 to 1.
fn confidence(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
        _ => Err(format!(
            "{text:?} is not a number from 0 to 1 (e.g. 0.9; proposals record their confidence in `drift:`)"
        )),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            // Errors name paths and ids from files: shown, like every
            // report, with their control characters made visible.
            let stderr = std::io::stderr().is_terminal();
            let style = report::Style::detect(
                stderr && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
                stderr,
            );
            let handler = miette::GraphicalReportHandler::new_themed(style.theme())
                .with_width(style.columns());
            let mut text = String::new();
            let shown = report::text::VisibleError::new(&err);
            if handler.render_report(&mut text, &shown).is_err() {
                text = shown.to_string();
            }
            eprint!("{}", style.for_terminal(text));
            ExitCode::from(2)
        }
    }
}

fn color_wanted() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Colour, width and character set of human output, from the terminal and
/// the environment (`COLUMNS`, `TERM`, the locale).
fn style() -> report::Style {
    report::Style::detect(color_wanted(), std::io::stdout().is_terminal())
}

fn root(cli_dir: Option<&Path>) -> Result<PathBuf, WorkspaceError> {
    match cli_dir {
        Some(dir) => workspace::root_from(dir),
        None => workspace::find_root(Path::new(".")),
    }
}

/// The workspaces a hook checks, for a message: `.`, `sub` and `other`.
fn workspace_list(workspaces: &[String]) -> String {
    let quoted: Vec<String> = workspaces.iter().map(|w| format!("`{w}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => quoted.join(""),
    }
}

/// Before a command writes annotation files: clears what an interrupted
/// run left, and says so.
fn clean_up_before_writing(root: &Path) {
    for path in commands::remove_stale_temps(root) {
        eprintln!("note: removed {path}, a temporary file an interrupted annot left behind");
    }
}

/// What `annot hook install --drivers` says it did.
fn drivers_message(done: &commands::DriversInstall) -> String {
    let mut out = String::new();
    if done.attributes_added.is_empty() {
        out.push_str(
            ".gitattributes already sends annotation files to annot's merge and diff drivers\n",
        );
    } else {
        for line in &done.attributes_added {
            out.push_str(&format!("added `{line}` to .gitattributes\n"));
        }
    }
    if done.config_written.is_empty() {
        out.push_str("the repository's git config already has annot's merge driver and textconv; nothing changed\n");
    } else {
        for (key, value) in &done.config_written {
            out.push_str(&format!(
                "set {key} to `{}` in the repository's git config\n",
                report::visible(value)
            ));
        }
        out.push_str("`git merge` now merges annotation files by id, and `git diff` shows them one annotation a line (git config is not cloned: each clone runs `annot hook install --drivers` once)\n");
    }
    out
}

fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    // A closed pipe (`annot validate | head`) is not an error worth a panic.
    let _ = out.write_all(text.as_bytes());
}

fn run(cli: Cli) -> Result<ExitCode, WorkspaceError> {
    if let Some(dir) = &cli.directory {
        workspace::enter(dir)?;
    }
    match cli.command {
        Command::Validate {
            paths,
            format,
            deny_warnings,
            staged,
        } => {
            let root = root(cli.directory.as_deref())?;
            let snippets = match format {
                // SARIF regions end where the finding's text ends.
                Format::Human | Format::Sarif => commands::Snippets::Read,
                Format::Json | Format::Github => commands::Snippets::Skip,
            };
            let validation = commands::validate_paths(&root, staged, &paths, snippets)?;
            let findings = &validation.findings;
            let notices = &validation.notices;
            let output = match format {
                Format::Human => {
                    let style = style();
                    let mut out = human::render(findings, &validation.texts, &style);
                    for notice in notices {
                        let notice = report::visible(notice);
                        out.push_str(&style.wrap(&notice, "note: ", "  "));
                        out.push('\n');
                    }
                    let summary = report::summary_line(&validation.checked, findings);
                    out.push_str(&style.wrap(&summary, "", ""));
                    out.push('\n');
                    style.for_terminal(out)
                }
                Format::Json => json::render(&validation.checked, findings, notices),
                Format::Github => github::render(&validation.checked, findings, notices),
                Format::Sarif => {
                    sarif::validate(&validation.checked, findings, notices, &validation.texts)
                }
            };
            print(&output);
            let failing = findings.iter().any(|f| {
                f.severity == Severity::Error || (deny_warnings && f.severity == Severity::Warning)
            });
            Ok(if failing {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Anchor { paths, dry_run } => {
            let root = root(cli.directory.as_deref())?;
            if !dry_run {
                clean_up_before_writing(&root);
            }
            let anchoring = commands::anchor(&root, &paths, dry_run)?;
            let mut out = human::render(&anchoring.findings, &anchoring.texts, &style());
            let verb = if dry_run { "would fill" } else { "filled" };
            for file in &anchoring.files {
                let mut parts = Vec::new();
                if file.pinned {
                    parts.push(format!(
                        "{} sha256",
                        if dry_run { "would pin" } else { "pinned" }
                    ));
                }
                if !file.anchored.is_empty() {
                    parts.push(format!(
                        "{verb} start/end of {}",
                        report::visible(&file.anchored.join(", "))
                    ));
                }
                if !file.contexted.is_empty() {
                    parts.push(format!(
                        "{} prefix/suffix to {}",
                        if dry_run { "would add" } else { "added" },
                        report::visible(&file.contexted.join(", "))
                    ));
                }
                out.push_str(&format!(
                    "{}: {}\n",
                    report::visible(&file.path),
                    parts.join("; ")
                ));
            }
            let refused = anchoring
                .findings
                .iter()
                .any(|f| f.severity == Severity::Error);
            if anchoring.files.is_empty() && !refused {
                out.push_str("nothing to anchor: every quote already has its offsets and every file its sha256\n");
            }
            print(&style().for_terminal(out));
            Ok(if refused {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Init { dir } => {
            let dir = dir.unwrap_or_else(|| PathBuf::from("."));
            let actions = commands::init(&dir)?;
            let mut out = String::new();
            for (path, action) in actions {
                let what = match action {
                    InitAction::Created => "created",
                    InitAction::Kept => "kept (already there)",
                    InitAction::Appended if path == ".gitignore" => "added `annot-report/` to",
                    InitAction::Appended => "added `seeds/** -text` to",
                };
                out.push_str(&format!("{what} {path}\n"));
            }
            match commands::drivers_install(&dir, false) {
                Ok(done) => out.push_str(&drivers_message(&done)),
                Err(WorkspaceError::ForeignDriver { key, value }) => out.push_str(&format!(
                    "left the repository's {key} as it is (`{}`, not annot's): `annot hook install --drivers --force` replaces it\n",
                    report::visible(&value)
                )),
                Err(_) => {
                    for line in commands::add_driver_attributes(&dir)? {
                        out.push_str(&format!("added `{line}` to .gitattributes\n"));
                    }
                    out.push_str("this folder is not in a git repository yet: after `git init`, run `annot hook install --drivers` to check commits and merge annotation files by id\n");
                }
            }
            out.push_str("next: put source documents in seeds/, write annotations in annotations/*.yaml, then run `annot anchor` and `annot validate`\n");
            print(&style().for_terminal(out));
            Ok(ExitCode::SUCCESS)
        }
        Command::Diff {
            base,
            head,
            staged,
            format,
        } => {
            let root = root(cli.directory.as_deref())?;
            let review = annot::review::diff(&root, base.as_deref(), head.as_deref(), staged)?;
            match format {
                DiffFormat::Human => {
                    let style = style();
                    print(&style.for_terminal(review_report::human(&review, &style)))
                }
                // Written as it is made: a drift of 100,000 spans is 60 MB.
                DiffFormat::Json => {
                    let _ = review_report::write_json(&review, std::io::stdout().lock());
                }
                DiffFormat::Markdown => print(&review_report::markdown(&review)),
                DiffFormat::Github => print(&review_report::github(&review)),
                DiffFormat::Sarif => print(&sarif::diff(&review)),
            }
            let code = if review.needs_review() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            };
            // The process ends here: freeing a large review one allocation
            // at a time would only delay the exit.
            std::mem::forget(review);
            Ok(code)
        }
        Command::Reanchor {
            paths,
            write,
            dry_run: _,
            accept,
            accept_all_edited,
            min_confidence,
        } => {
            let root = root(cli.directory.as_deref())?;
            if write || !accept.is_empty() || accept_all_edited {
                clean_up_before_writing(&root);
            }
            if !accept.is_empty() || accept_all_edited {
                let which = match min_confidence {
                    Some(min_confidence) if accept_all_edited => {
                        annot::review::Accept::AllEdited { min_confidence }
                    }
                    _ => annot::review::Accept::Ids(accept),
                };
                let accepted = annot::review::accept(&root, &paths, &which)?;
                let mut out = human::render(&accepted.refusals, &Default::default(), &style());
                out.push_str(&review_report::accept_summary(&accepted));
                print(&style().for_terminal(out));
                for failure in &accepted.failures {
                    eprintln!("error: {}", report::visible(failure));
                }
                return Ok(if !accepted.failures.is_empty() {
                    ExitCode::from(2)
                } else if !accepted.refusals.is_empty() {
                    ExitCode::from(1)
                } else {
                    ExitCode::SUCCESS
                });
            }
            let done = annot::review::reanchor(&root, &paths, write)?;
            let review = &done.review;
            let mut out = human::render(&done.refusals, &Default::default(), &style());
            out.push_str(&review_report::human(review, &style()));
            for file in &done.rewritten {
                out.push_str(&format!(
                    "wrote {}: {} span(s) carried over, {} marked with `drift:` for review\n",
                    report::visible(&file.path),
                    file.applied,
                    file.flagged
                ));
            }
            if !write && !review.drift.is_empty() {
                out.push_str("nothing was written: run `annot reanchor --write` to apply the safe moves and mark the rest\n");
            }
            if review.drift.is_empty() && !review.needs_review() {
                out.push_str("every annotation is pinned to the current text of its source: nothing to reanchor\n");
            }
            print(&style().for_terminal(out));
            for failure in &done.failures {
                eprintln!("error: {}", report::visible(failure));
            }
            let unresolved = review.needs_review() || !done.refusals.is_empty();
            Ok(if !done.failures.is_empty() {
                ExitCode::from(2)
            } else if unresolved {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Render { out, base } => {
            let root = root(cli.directory.as_deref())?;
            let done = annot::render::render(&root, out.as_deref(), base.as_deref())?;
            let index = done.out.join("index.html");
            print(&format!(
                "wrote {} pages ({} findings shown) to {}\nopen {}\n",
                done.pages,
                done.findings,
                report::visible(&done.out.display().to_string()),
                report::visible(&index.display().to_string()),
            ));
            Ok(ExitCode::SUCCESS)
        }
        Command::Lsp => Ok(ExitCode::from(annot::lsp::run() as u8)),
        Command::Show { id, format } => {
            let root = root(cli.directory.as_deref())?;
            let shown = commands::show(&root, &id)?;
            print(&match format {
                ShowFormat::Human => {
                    let style = style();
                    style.for_terminal(show::render(&shown, &style))
                }
                ShowFormat::Json => show::render_json(&shown),
            });
            Ok(ExitCode::SUCCESS)
        }
        Command::Hook {
            action: HookAction::Install { force, drivers },
        } => {
            let root = root(cli.directory.as_deref())?;
            let driver_message = if drivers {
                Some(drivers_message(&commands::drivers_install(&root, force)?))
            } else {
                None
            };
            let message = match commands::hook_install(&root, force)? {
                HookInstall::Installed(path) => format!(
                    "installed {}: each `git commit` now runs `annot validate --staged` first",
                    path.display()
                ),
                HookInstall::Replaced(path) => {
                    format!("replaced {} with annot's pre-commit hook", path.display())
                }
                HookInstall::AlreadyInstalled(path) => format!(
                    "{} is already annot's pre-commit hook; nothing changed",
                    path.display()
                ),
                HookInstall::Added { path, workspaces } => format!(
                    "added this workspace to annot's pre-commit hook {}: each `git commit` now checks {}",
                    path.display(),
                    workspace_list(&workspaces)
                ),
            };
            print(&format!("{message}\n"));
            if let Some(driver_message) = driver_message {
                print(&driver_message);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::MergeDriver {
            base,
            ours,
            theirs,
            path,
            marker_size,
        } => {
            let shown = report::visible(&path.unwrap_or_else(|| ours.display().to_string()));
            let outcome = commands::merge_driver(&base, &ours, &theirs, usize::from(marker_size))?;
            let (message, code) = match outcome {
                MergeOutcome::Clean => return Ok(ExitCode::SUCCESS),
                MergeOutcome::Conflicts(keys) => (
                    format!(
                        "annot merge-driver: {shown}: merged by annotation id; {} conflict ({}): each is marked around the whole annotation, so keep one side of each (or combine them), then run `annot validate`",
                        if keys.len() == 1 { "1 annotation or field".to_string() } else { format!("{} annotations or fields", keys.len()) },
                        keys.iter().map(|k| report::visible(k)).collect::<Vec<_>>().join(", ")
                    ),
                    1,
                ),
                MergeOutcome::LineMerge { conflicts } => (
                    format!(
                        "annot merge-driver: {shown}: a side is not an annotation file that can be merged by id (not valid YAML, annotations in flow style, an annotation without an id, or an id twice), so git's line merge was used ({conflicts} conflict{}); check the result and run `annot validate`",
                        if conflicts == 1 { "" } else { "s" }
                    ),
                    1,
                ),
            };
            eprintln!("{message}");
            Ok(ExitCode::from(code))
        }
        Command::Textconv { file } => {
            let bytes = commands::textconv(&file)?;
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(&bytes);
            Ok(ExitCode::SUCCESS)
        }
        Command::Hook {
            action: HookAction::Uninstall,
        } => {
            let root = root(cli.directory.as_deref())?;
            let message = match commands::hook_uninstall(&root)? {
                HookUninstall::Removed(path) => format!(
                    "removed {}: commits are no longer checked by annot",
                    path.display()
                ),
                HookUninstall::Kept { path, workspaces } => format!(
                    "took this workspace out of {}; it still checks {}",
                    path.display(),
                    workspace_list(&workspaces)
                ),
                HookUninstall::NotInstalled { path, workspaces } if workspaces.is_empty() => {
                    format!("there is no pre-commit hook at {}; nothing to remove", path.display())
                }
                HookUninstall::NotInstalled { path, workspaces } => format!(
                    "annot's pre-commit hook {} does not check this workspace (it checks {}); nothing changed",
                    path.display(),
                    workspace_list(&workspaces)
                ),
            };
            print(&format!("{message}\n"));
            Ok(ExitCode::SUCCESS)
        }
        Command::Ls { paths, format, ids } => {
            let root = root(cli.directory.as_deref())?;
            let listing = commands::ls(&root, &paths)?;
            print(&match (format, ids) {
                (_, true) => ls_report::ids(&listing),
                (ShowFormat::Json, _) => ls_report::json(&listing),
                (ShowFormat::Human, _) => ls_report::human(&listing),
            });
            if format == ShowFormat::Human {
                eprint!("{}", ls_report::unreadable(&listing));
            }
            Ok(if listing.unreadable.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Export {
            format,
            out,
            sources,
        } => {
            let root = root(cli.directory.as_deref())?;
            let exported = interop::export(&root, format.into(), out.as_deref(), &sources)?;
            if let Some(bytes) = &exported.stdout {
                let mut stdout = std::io::stdout().lock();
                let _ = stdout.write_all(bytes);
                let _ = stdout.flush();
            }
            eprint!("{}", report::interop::export_summary(&exported));
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            format,
            path,
            dry_run,
            prefix,
            default_kind,
        } => {
            let root = root(cli.directory.as_deref())?;
            let options = interop::ImportOptions {
                dry_run,
                prefix,
                default_kind,
            };
            let imported = interop::import(&root, format.into(), &path, &options)?;
            eprint!("{}", report::interop::import_summary(&imported, dry_run));
            Ok(if imported.not_imported() > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Completions { shell } => {
            let mut command = Cli::command();
            clap_complete::generate(shell, &mut command, "annot", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
    }
}
