//! Rules about names: ids unique across the workspace, kinds, attributes and
//! relations declared in the vocabulary, links that reach an existing
//! annotation of an allowed kind, and a vocabulary that is consistent in
//! itself.

use super::{Entry, FileResult, LinkEntry};
use crate::finding::{Code, Finding, Place};
use crate::load::{did_you_mean, place, COMPARED_CHARS};
use crate::model::{Anchored, Annotation, AnnotationFile, AttrType, Vocabulary};
use crate::workspace::at;
use crate::yaml::{Node, Value};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// The checks of one file's annotations against the vocabulary: kinds,
/// where they may live, and their attributes.
pub fn check_kinds(vocabulary: &Vocabulary, file: &AnnotationFile) -> Vec<Finding> {
    let mut findings = Vec::new();
    for annotation in &file.annotations {
        check_kind(vocabulary, file, annotation, &mut findings);
    }
    findings
}

/// A finding about ids or links, with its topic: the [`topic`] of the id
/// it is about (a duplicate id) or of the target it links to. A later run
/// that changes only a few files uses the topic to tell which findings the
/// change can affect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tagged {
    pub topic: u64,
    pub finding: Finding,
}

/// A short, stable hash of an id, the same in every run (FNV-1a).
/// Two ids may share one; that only makes a partial run check more.
pub fn topic(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// What a partial run checks again: duplicates of the ids whose topic is
/// listed; every link of the listed files, and links whose target's topic
/// is listed. The results given must hold every file that defines an id of
/// these topics or links to one.
pub struct Scope<'a> {
    pub topics: &'a HashSet<u64>,
    pub whole_files: &'a HashSet<&'a str>,
}

/// The checks across files: ids unique in the workspace, links that reach
/// an existing annotation of an allowed kind.
pub fn check_ids_and_links(vocabulary: Option<&Vocabulary>, results: &[FileResult]) -> Vec<Tagged> {
    let mut findings = Vec::new();
    let index = index_ids(results, None, &mut findings);
    let mut hints = Hints::default();
    for result in results {
        for entry in &result.entries {
            for link in &entry.links {
                let dangling = check_link(vocabulary, &index, result, entry, link, &mut findings);
                if dangling {
                    let hint = hints.for_target(&index, &link.target.value);
                    findings.push(dangling_link(hint, result, entry, link));
                }
            }
        }
    }
    findings
}

/// The same checks as [`check_ids_and_links`], for what `scope` names only;
/// `None` when a link turns out to dangle, as its hint needs every id of
/// the workspace.
pub fn recheck_ids_and_links(
    vocabulary: Option<&Vocabulary>,
    results: &[FileResult],
    scope: &Scope,
) -> Option<Vec<Tagged>> {
    let mut findings = Vec::new();
    let index = index_ids(results, Some(scope), &mut findings);
    for result in results {
        let whole = scope.whole_files.contains(result.path.as_str());
        for entry in &result.entries {
            for link in &entry.links {
                let judged = whole || scope.topics.contains(&topic(&link.target.value));
                if judged && check_link(vocabulary, &index, result, entry, link, &mut findings) {
                    return None;
                }
            }
        }
    }
    Some(findings)
}

/// The checks of the vocabulary itself.
pub fn check_vocabulary(vocabulary: &Vocabulary) -> Vec<Finding> {
    let mut findings = Vec::new();
    check_relations_name_kinds(vocabulary, &mut findings);
    findings
}

type Index<'w> = foldhash::HashMap<&'w str, (&'w FileResult, &'w Entry)>;

/// The first definition of each id, in the order of the results. A
/// duplicate is reported at both places, each naming the other: which of
/// the two is the mistake (often the one just added) is for a person to say,
/// so neither is blamed alone. Later copies each name the first; only ids of
/// the scope's topics are reported, if a scope is given.
fn index_ids<'w>(
    results: &'w [FileResult],
    scope: Option<&Scope>,
    findings: &mut Vec<Tagged>,
) -> Index<'w> {
    let mut index: Index = foldhash::HashMap::with_capacity_and_hasher(
        results.iter().map(|r| r.entries.len()).sum(),
        Default::default(),
    );
    let mut reported_first: foldhash::HashSet<&str> = Default::default();
    for result in results {
        for entry in &result.entries {
            let id = entry.id.value.as_str();
            if let Some((first_file, first)) = index.get(id) {
                let topic = topic(id);
                if scope.is_some_and(|scope| !scope.topics.contains(&topic)) {
                    continue;
                }
                let first_place = place(&first_file.path, first.id.pos);
                let this_place = place(&result.path, entry.id.pos);
                if reported_first.insert(id) {
                    findings.push(Tagged {
                        topic,
                        finding: duplicate(id, first_place.clone(), this_place.clone()),
                    });
                }
                findings.push(Tagged {
                    topic,
                    finding: duplicate(id, this_place, first_place),
                });
            } else {
                index.insert(id, (result, entry));
            }
        }
    }
    index
}

/// The finding at one definition of a duplicate id, naming the other.
fn duplicate(id: &str, here: Place, other: Place) -> Finding {
    Finding::new(
        Code::DuplicateId,
        here,
        format!("id `{id}` is also defined in {}:{}", other.file, other.line),
    )
    .with_id(id)
    .with_label("defined here")
    .with_related(other, "the other definition")
    .with_help("ids are unique across the whole workspace: rename one of them (and the links that point to it)")
}

/// The "did you mean" of dangling links. Each weighs every id of the
/// workspace, so a hint is worked out once per target, and only while the
/// run has compared fewer than [`HINT_COMPARISONS`] ids: a workspace whose
/// entity file was deleted has as many dangling links as annotations, and
/// hinting at each would take hours. Later targets get no hint.
struct Hints<'w> {
    /// Every id, sorted, so that a hint never depends on the order of a map.
    ids: Option<Vec<&'w str>>,
    known: HashMap<String, Option<&'w str>>,
    compared: usize,
    budget: usize,
}

impl Default for Hints<'_> {
    fn default() -> Self {
        Hints {
            ids: None,
            known: HashMap::new(),
            compared: 0,
            budget: HINT_COMPARISONS,
        }
    }
}

const HINT_COMPARISONS: usize = 20_000_000;

impl<'w> Hints<'w> {
    fn for_target(&mut self, index: &Index<'w>, target: &str) -> Option<&'w str> {
        if let Some(known) = self.known.get(target) {
            return *known;
        }
        let ids = self.ids.get_or_insert_with(|| {
            let mut ids: Vec<&str> = index.keys().copied().collect();
            ids.sort_unstable();
            ids
        });
        let hint = if self.compared + ids.len() <= self.budget {
            self.compared += ids.len();
            did_you_mean(target, ids)
        } else {
            None
        };
        self.known.insert(target.to_string(), hint);
        hint
    }
}

fn kind_names(vocabulary: &Vocabulary) -> Vec<&str> {
    vocabulary.kinds.keys().map(String::as_str).collect()
}

fn check_relations_name_kinds(vocabulary: &Vocabulary, findings: &mut Vec<Finding>) {
    let kinds = kind_names(vocabulary);
    for (name, relation) in &vocabulary.relations {
        for kind in relation.from.iter().chain(&relation.to) {
            if !vocabulary.kinds.contains_key(&kind.value) {
                let hint = did_you_mean(&kind.value, &kinds)
                    .map(|k| format!("did you mean `{k}`? "))
                    .unwrap_or_default();
                findings.push(
                    Finding::new(
                        Code::Vocabulary,
                        place(&vocabulary.path, kind.pos),
                        format!("relation `{name}` names kind `{}`, which is not declared under `kinds`", kind.value),
                    )
                    .with_help(format!("{hint}declared kinds: {}", kinds.join(", "))),
                );
            }
        }
    }
}

fn check_kind(
    vocabulary: &Vocabulary,
    file: &AnnotationFile,
    annotation: &Annotation,
    findings: &mut Vec<Finding>,
) {
    let id = annotation.id.value.as_str();
    let kind_name = annotation.kind.value.as_str();
    let Some(kind) = vocabulary.kinds.get(kind_name) else {
        let kinds = kind_names(vocabulary);
        let hint = did_you_mean(kind_name, &kinds)
            .map(|k| format!("did you mean `{k}`? "))
            .unwrap_or_default();
        findings.push(
            Finding::new(
                Code::UnknownKind,
                at(file, annotation.kind.pos),
                format!("kind `{kind_name}` is not declared in {}", vocabulary.path),
            )
            .with_id(id)
            .with_help(format!(
                "{hint}declared kinds: {}; or add `{kind_name}` under `kinds:` in {}",
                kinds.join(", "),
                vocabulary.path
            )),
        );
        return;
    };

    match (kind.anchored, file.is_anchored()) {
        // A file whose `source` could not be read (misspelt, not a string)
        // has that finding; its claims are not also in the wrong file.
        (Anchored::Always, false) if file.complete => findings.push(
            Finding::new(
                Code::KindAnchoring,
                at(file, annotation.kind.pos),
                format!("kind `{kind_name}` quotes a span of a source, but this file has no `source`"),
            )
            .with_id(id)
            .with_help("move the annotation into the annotation file of its source, or use a kind declared with `anchored: false`"),
        ),
        (Anchored::Never, true) => findings.push(
            Finding::new(
                Code::KindAnchoring,
                at(file, annotation.kind.pos),
                format!("kind `{kind_name}` is not anchored to text, but this file annotates {}", file.source.as_ref().map_or("a source", |s| s.value.as_str())),
            )
            .with_id(id)
            .with_help("move the annotation into a file without `source` (e.g. annotations/entities.yaml)"),
        ),
        (Anchored::Always, true) if annotation.quote.is_none() && annotation.complete => findings.push(
            Finding::new(
                Code::KindAnchoring,
                at(file, annotation.kind.pos),
                format!("kind `{kind_name}` quotes a span of a source, but annotation `{id}` has no `quote`"),
            )
            .with_id(id)
            .with_help("add `quote:` with the exact text, then run `annot anchor` to fill in `start` and `end`"),
        ),
        _ => {}
    }

    for (name, value) in &annotation.attrs {
        let Some(def) = kind.attrs.get(&name.value) else {
            let declared: Vec<&str> = kind.attrs.keys().map(String::as_str).collect();
            let help = match (did_you_mean(&name.value, &declared), declared.is_empty()) {
                (_, true) => format!("kind `{kind_name}` declares no attributes; add them under `attrs:` of `{kind_name}` in {}", vocabulary.path),
                (Some(best), _) => format!("did you mean `{best}`? kind `{kind_name}` declares: {}", declared.join(", ")),
                (None, _) => format!("kind `{kind_name}` declares: {}", declared.join(", ")),
            };
            findings.push(
                Finding::new(
                    Code::UnknownAttr,
                    at(file, name.pos),
                    format!(
                        "attribute `{}` is not declared for kind `{kind_name}`",
                        name.value
                    ),
                )
                .with_id(id)
                .with_help(help),
            );
            continue;
        };
        let items: Vec<&Node> = match &value.value {
            Value::Seq(items) => items.iter().collect(),
            _ => vec![value],
        };
        for item in items {
            if let Some(problem) = attr_value_problem(def.value_type, def.values.as_deref(), item) {
                let help = match number_in_text(def.value_type, item) {
                    Some(number) => format!(
                        "write the number without quotes or separators: `{}: {number}`",
                        name.value
                    ),
                    None => format!(
                        "see `{}` under kind `{kind_name}` in {}",
                        name.value, vocabulary.path
                    ),
                };
                findings.push(
                    Finding::new(
                        Code::AttrValue,
                        at(file, item.pos),
                        format!("attribute `{}` of `{id}`: {problem}", name.value),
                    )
                    .with_id(id)
                    .with_help(help),
                );
            }
        }
    }
}

pub fn attr_value_problem(
    ty: Option<AttrType>,
    values: Option<&[Node]>,
    item: &Node,
) -> Option<String> {
    if let Some(ty) = ty {
        let ok = matches!(
            (&item.value, ty),
            (Value::Str(_), AttrType::String)
                | (
                    Value::Int(_) | Value::BigUint(_),
                    AttrType::Integer | AttrType::Number
                )
                | (Value::Float(_), AttrType::Number)
                | (Value::Bool(_), AttrType::Boolean)
        );
        if !ok {
            return Some(format!(
                "expected a {}, found {}",
                ty.as_str(),
                item.type_name()
            ));
        }
    }
    if let Some(values) = values {
        if !values.iter().any(|v| v.value == item.value) {
            let allowed: Vec<String> = values.iter().map(scalar_text).collect();
            return Some(format!(
                "{} is not one of the allowed values: {}",
                scalar_text(item),
                allowed.join(", ")
            ));
        }
    }
    None
}

/// The number a string means, when a number is wanted and the string is
/// one in quotes or with thousands separators (`"12"`, `"14,000"`,
/// `"14 000"`, `"14_000"`): what to write instead. Only separators between
/// groups of three digits count, so `"12,5"` (a decimal comma) is left
/// alone.
fn number_in_text(ty: Option<AttrType>, item: &Node) -> Option<String> {
    let Value::Str(text) = &item.value else {
        return None;
    };
    let text = text.trim();
    let (sign, unsigned) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let is_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let groups: Vec<&str> = whole
        .split([',', '_', ' ', '\u{a0}', '\u{202f}', '\''])
        .collect();
    let grouped = groups.iter().all(|g| is_digits(g))
        && (groups.len() == 1 || groups[0].len() <= 3)
        && groups[1..].iter().all(|g| g.len() == 3);
    if !grouped || fraction.is_some_and(|f| !is_digits(f)) {
        return None;
    }
    let number = format!(
        "{sign}{}{}",
        groups.concat(),
        fraction.map(|f| format!(".{f}")).unwrap_or_default()
    );
    match ty? {
        AttrType::Integer if fraction.is_none() => Some(number),
        AttrType::Number => Some(number),
        _ => None,
    }
}

fn scalar_text(node: &Node) -> String {
    match &node.value {
        Value::Str(s) => s.clone(),
        other => Node {
            value: other.clone(),
            pos: node.pos,
        }
        .to_json()
        .to_string(),
    }
}

/// Checks one link; `true` when its target does not exist, which the
/// caller reports (the hint needs every id).
fn check_link(
    vocabulary: Option<&Vocabulary>,
    index: &Index,
    result: &FileResult,
    entry: &Entry,
    link: &LinkEntry,
    findings: &mut Vec<Tagged>,
) -> bool {
    let id = entry.id.value.as_str();
    let topic = topic(&link.target.value);
    let relation = match vocabulary {
        Some(vocabulary) => match vocabulary.relations.get(&link.rel.value) {
            Some(relation) => Some(relation),
            None => {
                let names: Vec<&str> = vocabulary.relations.keys().map(String::as_str).collect();
                let hint = did_you_mean(&link.rel.value, &names)
                    .map(|r| format!("did you mean `{r}`? "))
                    .unwrap_or_default();
                findings.push(Tagged {
                    topic,
                    finding: Finding::new(
                        Code::UnknownRel,
                        place(&result.path, link.rel.pos),
                        format!(
                            "relation `{}` is not declared in {}",
                            link.rel.value, vocabulary.path
                        ),
                    )
                    .with_id(id)
                    .with_help(format!("{hint}declared relations: {}", names.join(", "))),
                });
                None
            }
        },
        None => None,
    };
    let Some((target_file, target)) = index.get(link.target.value.as_str()) else {
        return true;
    };
    let Some(relation) = relation else {
        return false;
    };
    // An undeclared kind has its `unknown-kind` finding; what a relation
    // allows for it is not also reported.
    let declared = |kind: &str| vocabulary.is_some_and(|v| v.kinds.contains_key(kind));
    if !declared(&entry.kind.value) || !declared(&target.kind.value) {
        return false;
    }
    let from_ok = relation.from.iter().any(|k| k.value == entry.kind.value);
    let to_ok = relation.to.iter().any(|k| k.value == target.kind.value);
    let reverse_ok = relation.symmetric
        && relation.from.iter().any(|k| k.value == target.kind.value)
        && relation.to.iter().any(|k| k.value == entry.kind.value);
    if !(reverse_ok || from_ok && to_ok) {
        let kinds = |list: &[crate::model::At<String>]| {
            list.iter()
                .map(|k| k.value.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let message = if !from_ok {
            format!(
                "relation `{}` cannot start from a `{}`: it goes from {}",
                link.rel.value,
                entry.kind.value,
                kinds(&relation.from)
            )
        } else {
            format!(
                "relation `{}` cannot point at `{}`, a `{}`: it points at {}",
                link.rel.value,
                target.id.value,
                target.kind.value,
                kinds(&relation.to)
            )
        };
        findings.push(Tagged {
            topic,
            finding: Finding::new(Code::RelConstraint, place(&result.path, link.rel.pos), message)
                .with_id(id)
                .with_related(place(&target_file.path, target.kind.pos), format!("`{}` is a `{}`", target.id.value, target.kind.value))
                .with_help("use a relation that fits both kinds, or widen `from`/`to` of the relation in the vocabulary"),
        });
    }
    false
}

fn dangling_link(
    hint: Option<&str>,
    result: &FileResult,
    entry: &Entry,
    link: &LinkEntry,
) -> Tagged {
    let target = link.target.value.as_str();
    let hint = hint.map(|t| long_name_hint(target, t)).unwrap_or_default();
    Tagged {
        topic: topic(target),
        finding: Finding::new(
            Code::DanglingLink,
            place(&result.path, link.target.pos),
            format!(
                "link target {} does not exist in any annotation file",
                shortened(target)
            ),
        )
        .with_id(entry.id.value.as_str())
        .with_help(format!(
            "{hint}a target is the `id` of an annotation anywhere in the workspace"
        )),
    }
}

/// A name as a message shows it, in backticks: whole up to
/// [`COMPARED_CHARS`] characters, else its ends and its length.
fn shortened(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    if chars.len() <= COMPARED_CHARS {
        return format!("`{name}`");
    }
    let head: String = chars[..24].iter().collect();
    let tail: String = chars[chars.len() - 24..].iter().collect();
    format!("`{head}…{tail}` ({} characters)", chars.len())
}

/// "did you mean `x`?" — for a long name, where the two differ, since
/// neither could be read whole.
fn long_name_hint(given: &str, best: &str) -> String {
    let (g, b): (Vec<char>, Vec<char>) = (given.chars().collect(), best.chars().collect());
    if b.len() <= COMPARED_CHARS {
        return format!("did you mean `{best}`? ");
    }
    let at = g.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let around = |s: &[char]| -> String {
        let from = at.saturating_sub(12);
        let to = (at + 12).min(s.len());
        let lead = if from > 0 { "…" } else { "" };
        let trail = if to < s.len() { "…" } else { "" };
        format!("{lead}{}{trail}", s[from..to].iter().collect::<String>())
    };
    format!(
        "did you mean the id of {} characters that differs from the target only at character {}: `{}` where the target has `{}`? ",
        b.len(),
        at + 1,
        around(&b),
        around(&g)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::At;
    use crate::yaml::Pos;

    #[test]
    fn dangling_link_hints_stop_at_their_budget() {
        let pos = Pos {
            line: 1,
            column: 1,
            start: 0,
            end: 1,
        };
        let entry = |id: &str| Entry {
            id: At::new(id.to_string(), pos),
            kind: At::new("claim".to_string(), pos),
            links: Vec::new(),
        };
        let result = FileResult {
            path: "annotations/a.yaml".to_string(),
            findings: Vec::new(),
            entries: vec![entry("alpha-1"), entry("beta-1"), entry("gamma-1")],
            source: None,
            source_sha256: None,
            stale_pin: None,
            annotations: 3,
        };
        let results = [result];
        let index = index_ids(&results, None, &mut Vec::new());
        // Room for two targets of three ids each.
        let mut hints = Hints {
            budget: 6,
            ..Hints::default()
        };
        assert_eq!(hints.for_target(&index, "alpha-2"), Some("alpha-1"));
        assert_eq!(hints.for_target(&index, "alpha-2"), Some("alpha-1"));
        assert_eq!(hints.compared, 3, "a target is weighed once");
        assert_eq!(hints.for_target(&index, "beta-2"), Some("beta-1"));
        assert_eq!(hints.for_target(&index, "gamma-2"), None, "over budget");
        assert_eq!(hints.compared, 6);
    }
}
