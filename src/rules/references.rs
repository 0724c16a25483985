//! Rules about names: ids unique across the workspace, kinds, attributes and
//! relations declared in the vocabulary, links that reach an existing
//! annotation of an allowed kind, and a vocabulary that is consistent in
//! itself.

use super::{Entry, FileResult};
use crate::finding::{Code, Finding};
use crate::load::{did_you_mean, place};
use crate::model::{Anchored, Annotation, AnnotationFile, AttrType, Vocabulary};
use crate::workspace::at;
use crate::yaml::{Node, Value};
use std::collections::HashMap;

/// The checks of one file's annotations against the vocabulary: kinds,
/// where they may live, and their attributes.
pub fn check_kinds(vocabulary: &Vocabulary, file: &AnnotationFile) -> Vec<Finding> {
    let mut findings = Vec::new();
    for annotation in &file.annotations {
        check_kind(vocabulary, file, annotation, &mut findings);
    }
    findings
}

/// The checks across files: ids unique in the workspace, links that reach
/// an existing annotation of an allowed kind; and the vocabulary itself.
pub fn check_across(vocabulary: Option<&Vocabulary>, results: &[FileResult]) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let Some(vocabulary) = vocabulary {
        check_vocabulary(vocabulary, &mut findings);
    }
    let index = index_ids(results, &mut findings);
    let mut ids: Option<Vec<&str>> = None;
    for result in results {
        for entry in &result.entries {
            check_links(vocabulary, &index, &mut ids, result, entry, &mut findings);
        }
    }
    findings
}

type Index<'w> = HashMap<&'w str, (&'w FileResult, &'w Entry)>;

fn index_ids<'w>(results: &'w [FileResult], findings: &mut Vec<Finding>) -> Index<'w> {
    let mut index: Index = HashMap::with_capacity(results.iter().map(|r| r.entries.len()).sum());
    for result in results {
        for entry in &result.entries {
            let id = entry.id.value.as_str();
            if let Some((first_file, first)) = index.get(id) {
                findings.push(
                    Finding::new(
                        Code::DuplicateId,
                        place(&result.path, entry.id.pos),
                        format!("id `{id}` is already defined in {}:{}", first_file.path, first.id.pos.line),
                    )
                    .with_id(id)
                    .with_label("defined again here")
                    .with_related(place(&first_file.path, first.id.pos), "first defined here")
                    .with_help("ids are unique across the whole workspace: rename one of them (and the links that point to it)"),
                );
            } else {
                index.insert(id, (result, entry));
            }
        }
    }
    index
}

fn kind_names(vocabulary: &Vocabulary) -> Vec<&str> {
    vocabulary.kinds.keys().map(String::as_str).collect()
}

fn check_vocabulary(vocabulary: &Vocabulary, findings: &mut Vec<Finding>) {
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
        (Anchored::Always, false) => findings.push(
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
                findings.push(
                    Finding::new(
                        Code::AttrValue,
                        at(file, item.pos),
                        format!("attribute `{}` of `{id}`: {problem}", name.value),
                    )
                    .with_id(id)
                    .with_help(format!(
                        "see `{}` under kind `{kind_name}` in {}",
                        name.value, vocabulary.path
                    )),
                );
            }
        }
    }
}

fn attr_value_problem(
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

fn check_links<'w>(
    vocabulary: Option<&Vocabulary>,
    index: &Index<'w>,
    ids: &mut Option<Vec<&'w str>>,
    result: &FileResult,
    entry: &Entry,
    findings: &mut Vec<Finding>,
) {
    let id = entry.id.value.as_str();
    for link in &entry.links {
        let relation = match vocabulary {
            Some(vocabulary) => match vocabulary.relations.get(&link.rel.value) {
                Some(relation) => Some(relation),
                None => {
                    let names: Vec<&str> =
                        vocabulary.relations.keys().map(String::as_str).collect();
                    let hint = did_you_mean(&link.rel.value, &names)
                        .map(|r| format!("did you mean `{r}`? "))
                        .unwrap_or_default();
                    findings.push(
                        Finding::new(
                            Code::UnknownRel,
                            place(&result.path, link.rel.pos),
                            format!(
                                "relation `{}` is not declared in {}",
                                link.rel.value, vocabulary.path
                            ),
                        )
                        .with_id(id)
                        .with_help(format!("{hint}declared relations: {}", names.join(", "))),
                    );
                    None
                }
            },
            None => None,
        };
        let Some((target_file, target)) = index.get(link.target.value.as_str()) else {
            // Every id, for the hint; gathered once, and only when needed.
            let ids = ids.get_or_insert_with(|| index.keys().copied().collect());
            let hint = did_you_mean(&link.target.value, ids)
                .map(|t| format!("did you mean `{t}`? "))
                .unwrap_or_default();
            findings.push(
                Finding::new(
                    Code::DanglingLink,
                    place(&result.path, link.target.pos),
                    format!(
                        "link target `{}` does not exist in any annotation file",
                        link.target.value
                    ),
                )
                .with_id(id)
                .with_help(format!(
                    "{hint}a target is the `id` of an annotation anywhere in the workspace"
                )),
            );
            continue;
        };
        let Some(relation) = relation else { continue };
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
            findings.push(
                Finding::new(Code::RelConstraint, place(&result.path, link.rel.pos), message)
                    .with_id(id)
                    .with_related(place(&target_file.path, target.kind.pos), format!("`{}` is a `{}`", target.id.value, target.kind.value))
                    .with_help("use a relation that fits both kinds, or widen `from`/`to` of the relation in the vocabulary"),
            );
        }
    }
}
