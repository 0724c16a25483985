//! `annot export --format w3c` against the MUSTs of the W3C Web Annotation
//! Data Model (https://www.w3.org/TR/annotation-model/).
//!
//! The rules are our own reading of the model and of the W3C's test
//! assertions for it, written out in plain Rust over `serde_json::Value`
//! (no schema is copied): [`annotation_must_violations`] checks one
//! Annotation, [`collection_must_violations`] an AnnotationCollection and
//! its embedded first AnnotationPage. Each violation names the JSON path
//! and the rule broken. The unit tests prove every rule on hand-written
//! annotations; the end-to-end test checks the export of this repository,
//! and every text selector in it against the seed its target names by a
//! `ni:///sha-256;…` IRI (RFC 6920).
//!
//! Where the model only says SHOULD, a few rules here are stricter on
//! purpose, for what our export promises: `purpose` and `motivation` come
//! from the model's list of motivations, a TextualBody's `format` and
//! `language` are single strings, `id` is a plain string, and a
//! TextPositionSelector's `start` is not after its `end`.

mod common;
use common::*;

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Object = Map<String, Value>;

const ANNO_CONTEXT: &str = "http://www.w3.org/ns/anno.jsonld";

/// The model's motivations (3.3.5): the values of `motivation` and `purpose`.
const MOTIVATIONS: [&str; 13] = [
    "assessing",
    "bookmarking",
    "classifying",
    "commenting",
    "describing",
    "editing",
    "highlighting",
    "identifying",
    "linking",
    "moderating",
    "questioning",
    "replying",
    "tagging",
];

const TEXT_DIRECTIONS: [&str; 3] = ["ltr", "rtl", "auto"];

/// The selector classes of the model (4.2).
const SELECTORS: [&str; 8] = [
    "FragmentSelector",
    "CssSelector",
    "XPathSelector",
    "TextQuoteSelector",
    "TextPositionSelector",
    "DataPositionSelector",
    "SvgSelector",
    "RangeSelector",
];

const IRI: &str = "must be an IRI (a scheme followed by `:`)";

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

/// An IRI as the model needs one: absolute, so a scheme (a letter, then
/// letters, digits, `+`, `-` or `.`) and `:`, and no character that an IRI
/// can never hold (spaces, controls, `<>"{}|\^` and backquote).
fn is_iri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>\"{}|\\^`".contains(c))
}

/// An `xsd:dateTime`: `-?YYYY-MM-DDThh:mm:ss(.s+)?` and an optional zone,
/// `Z` or `±hh:mm`, every field in range (24:00:00 is the next midnight).
fn is_xsd_datetime(s: &str) -> bool {
    datetime_fields(s).is_some()
}

fn datetime_fields(s: &str) -> Option<()> {
    let s = s.strip_prefix('-').unwrap_or(s);
    let year_len = s.bytes().take_while(u8::is_ascii_digit).count();
    if year_len < 4 || (year_len > 4 && s.starts_with('0')) {
        return None;
    }
    let year: u64 = s[..year_len].parse().ok()?;
    let mut rest = &s[year_len..];
    let month = field(&mut rest, '-')?;
    let day = field(&mut rest, '-')?;
    let hour = field(&mut rest, 'T')?;
    let minute = field(&mut rest, ':')?;
    let second = field(&mut rest, ':')?;
    let mut fraction_is_zero = true;
    if let Some(after) = rest.strip_prefix('.') {
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        fraction_is_zero = after[..digits].bytes().all(|b| b == b'0');
        rest = &after[digits..];
    }
    if !rest.is_empty() && rest != "Z" {
        let mut zone = rest.strip_prefix(['+', '-'])?;
        let zone_hour = two_digits(&mut zone)?;
        let zone_minute = field(&mut zone, ':')?;
        if !zone.is_empty() || zone_minute > 59 || zone_hour * 60 + zone_minute > 14 * 60 {
            return None;
        }
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    let next_midnight = hour == 24 && minute == 0 && second == 0 && fraction_is_zero;
    ((1..=days).contains(&day) && (hour < 24 || next_midnight) && minute < 60 && second < 60)
        .then_some(())
}

/// `sep` and then two digits.
fn field(rest: &mut &str, sep: char) -> Option<u32> {
    *rest = rest.strip_prefix(sep)?;
    two_digits(rest)
}

fn two_digits(rest: &mut &str) -> Option<u32> {
    let digits = rest.get(..2)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    *rest = &rest[2..];
    digits.parse().ok()
}

/// `v` as one value: itself, or the only element of a one-element array
/// (in JSON-LD both spell one value).
fn single(v: &Value) -> Option<&Value> {
    match v {
        Value::Array(items) if items.len() == 1 => items.first(),
        Value::Array(_) => None,
        other => Some(other),
    }
}

/// Every value of `v` with its path: each element of an array, or `v`.
fn each<'a>(path: &str, v: &'a Value) -> Vec<(String, &'a Value)> {
    match v {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| (format!("{path}[{i}]"), item))
            .collect(),
        other => vec![(path.to_string(), other)],
    }
}

/// The path of `key` inside the object at `path` (`""` is the top).
fn at(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Whether the object's `type` is `class` or an array that includes it.
fn has_type(o: &Object, class: &str) -> bool {
    match o.get("type") {
        Some(Value::String(s)) => s == class,
        Some(Value::Array(types)) => types.iter().any(|t| t.as_str() == Some(class)),
        _ => false,
    }
}

/// The `type` of a selector or a state: one string.
fn class_of(o: &Object) -> Option<&str> {
    o.get("type").and_then(single).and_then(Value::as_str)
}

fn is_single_string(v: &Value) -> bool {
    single(v).is_some_and(Value::is_string)
}

fn is_single_iri(v: &Value) -> bool {
    single(v).and_then(Value::as_str).is_some_and(is_iri)
}

// ---------------------------------------------------------------------------
// The checker
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Body,
    Target,
}

#[derive(Default)]
struct Checker {
    out: Vec<String>,
    /// Some body or target has a `styleClass`: the annotation then needs a
    /// `stylesheet`.
    style_class: bool,
}

impl Checker {
    fn add(&mut self, path: &str, rule: impl std::fmt::Display) {
        self.out.push(format!("{path}: {rule}"));
    }

    /// `f` on every value of `v`, which, as an array, must not be empty.
    fn many(&mut self, path: &str, v: &Value, mut f: impl FnMut(&mut Self, &str, &Value)) {
        if v.as_array().is_some_and(Vec::is_empty) {
            self.add(path, "must have at least one value");
        }
        for (p, item) in each(path, v) {
            f(self, &p, item);
        }
    }

    /// 1 or more `@context` values, the Web Annotation context among them,
    /// and one value as a string (3.1, 5.1).
    fn context(&mut self, o: &Object) {
        match o.get("@context") {
            None => self.add("@context", "is required"),
            Some(Value::String(s)) if s == ANNO_CONTEXT => {}
            Some(Value::Array(items)) if items.len() == 1 && items[0] == ANNO_CONTEXT => self.add(
                "@context",
                "one value must be given as a string, not an array",
            ),
            Some(Value::Array(items)) if items.iter().any(|c| c == ANNO_CONTEXT) => {}
            Some(_) => self.add(
                "@context",
                format!("must be \"{ANNO_CONTEXT}\" or an array that includes it"),
            ),
        }
    }

    /// Exactly 1 IRI that identifies the object.
    fn id(&mut self, path: &str, o: &Object) {
        let p = at(path, "id");
        match o.get("id") {
            None => self.add(&p, "is required"),
            Some(id) => self.iri(&p, id),
        }
    }

    fn iri(&mut self, path: &str, v: &Value) {
        if !v.as_str().is_some_and(is_iri) {
            self.add(path, IRI);
        }
    }

    /// 1 or more types, `class` among them.
    fn type_includes(&mut self, path: &str, o: &Object, class: &str) {
        let p = at(path, "type");
        if !o.contains_key("type") {
            self.add(&p, "is required");
        } else if !has_type(o, class) {
            self.add(&p, format!("must be or include \"{class}\""));
        }
    }

    fn single_iri(&mut self, path: &str, o: &Object, key: &str) {
        if let Some(v) = o.get(key) {
            if !is_single_iri(v) {
                self.add(
                    &at(path, key),
                    "must be a single IRI (a scheme followed by `:`)",
                );
            }
        }
    }

    /// 1 or more IRIs, if present.
    fn iris(&mut self, path: &str, o: &Object, key: &str) {
        if let Some(v) = o.get(key) {
            self.many(&at(path, key), v, |c, p, iri| c.iri(p, iri));
        }
    }

    fn single_string(&mut self, path: &str, o: &Object, key: &str) {
        if let Some(v) = o.get(key) {
            if !is_single_string(v) {
                self.add(&at(path, key), "must be a single string");
            }
        }
    }

    fn datetime(&mut self, path: &str, o: &Object, key: &str) {
        if let Some(v) = o.get(key) {
            if !single(v)
                .and_then(Value::as_str)
                .is_some_and(is_xsd_datetime)
            {
                self.add(
                    &at(path, key),
                    "must be a single xsd:dateTime (like 2026-01-31T12:00:00Z)",
                );
            }
        }
    }

    /// Lifecycle (3.3.1), rights (3.3.6) and other identities (3.3.7).
    fn other_properties(&mut self, path: &str, o: &Object) {
        self.datetime(path, o, "created");
        self.datetime(path, o, "modified");
        self.iris(path, o, "rights");
        self.single_iri(path, o, "canonical");
        self.iris(path, o, "via");
    }

    fn text_direction(&mut self, path: &str, o: &Object) {
        if let Some(v) = o.get("textDirection") {
            let ok = single(v)
                .and_then(Value::as_str)
                .is_some_and(|d| TEXT_DIRECTIONS.contains(&d));
            if !ok {
                self.add(
                    &at(path, "textDirection"),
                    "must be a single one of \"ltr\", \"rtl\", \"auto\"",
                );
            }
        }
    }

    /// `motivation` or `purpose`: 1 or more of the model's motivations.
    fn motivations(&mut self, path: &str, o: &Object, key: &str) {
        if let Some(v) = o.get(key) {
            self.many(&at(path, key), v, |c, p, m| match m.as_str() {
                Some(m) if MOTIVATIONS.contains(&m) => {}
                Some(m) => c.add(p, format!("\"{m}\" is not one of the model's motivations")),
                None => c.add(p, "must be a string, one of the model's motivations"),
            });
        }
    }

    /// A body or a target (3.2): an IRI, or a Choice, a TextualBody (bodies
    /// only), a SpecificResource or an External Web Resource.
    fn resource(&mut self, path: &str, v: &Value, role: Role) {
        let o = match v {
            Value::String(_) => return self.iri(path, v),
            Value::Object(o) => o,
            _ => return self.unrecognized(path, role),
        };
        if has_type(o, "Choice") {
            self.choice(path, o, role);
        } else if has_type(o, "TextualBody") && role == Role::Body {
            self.textual_body(path, o);
        } else if has_type(o, "TextualBody") && !o.contains_key("id") {
            self.add(path, "a target cannot be a TextualBody");
        } else if o.contains_key("source") || has_type(o, "SpecificResource") {
            self.specific_resource(path, o);
        } else if o.contains_key("value") && role == Role::Body {
            self.textual_body(path, o);
        } else if o.contains_key("id") {
            self.external(path, o);
        } else {
            self.unrecognized(path, role);
        }
    }

    fn unrecognized(&mut self, path: &str, role: Role) {
        let textual = if role == Role::Body {
            ", a TextualBody (with `value`)"
        } else {
            ""
        };
        self.add(
            path,
            format!("must be an IRI, a SpecificResource (with `source`), a Choice (with `items`){textual} or an External Web Resource (with `id`)"),
        );
    }

    fn cannot_have(&mut self, path: &str, o: &Object, what: &str, keys: &[&str]) {
        for key in keys {
            if o.contains_key(*key) {
                self.add(path, format!("{what} cannot have `{key}`"));
            }
        }
    }

    /// A Choice (3.2.7): 1 or more items, no value, source or purpose.
    fn choice(&mut self, path: &str, o: &Object, role: Role) {
        match o.get("items") {
            Some(Value::Array(items)) if !items.is_empty() => {
                for (i, item) in items.iter().enumerate() {
                    self.resource(&format!("{path}.items[{i}]"), item, role);
                }
            }
            _ => self.add(path, "a Choice needs `items`, a non-empty array"),
        }
        self.cannot_have(path, o, "a Choice", &["value", "source", "purpose"]);
        self.text_direction(path, o);
        self.other_properties(path, o);
    }

    /// An embedded TextualBody (3.2.4): exactly 1 value, a string.
    fn textual_body(&mut self, path: &str, o: &Object) {
        match o.get("value") {
            None => self.add(path, "a TextualBody needs `value`"),
            Some(v) if !is_single_string(v) => {
                self.add(&at(path, "value"), "must be a single string")
            }
            Some(_) => {}
        }
        self.cannot_have(path, o, "a TextualBody", &["source", "items"]);
        if let Some(id) = o.get("id") {
            self.iri(&at(path, "id"), id);
        }
        self.single_string(path, o, "format");
        self.single_string(path, o, "language");
        self.motivations(path, o, "purpose");
        self.text_direction(path, o);
        self.other_properties(path, o);
    }

    /// An External Web Resource (3.2.1): an IRI `id`, no items or purpose.
    fn external(&mut self, path: &str, o: &Object) {
        self.id(path, o);
        self.cannot_have(path, o, "an External Web Resource", &["items", "purpose"]);
        self.text_direction(path, o);
        self.other_properties(path, o);
    }

    /// A SpecificResource (4): exactly 1 source, no items or value; its
    /// selectors, states, style classes and scope.
    fn specific_resource(&mut self, path: &str, o: &Object) {
        let source_path = at(path, "source");
        match o.get("source").map(single) {
            None => self.add(path, "a SpecificResource needs `source`"),
            Some(Some(Value::String(s))) if is_iri(s) => {}
            Some(Some(Value::Object(source)))
                if source.get("id").and_then(Value::as_str).is_some_and(is_iri)
                    && !source.contains_key("source") =>
            {
                self.text_direction(&source_path, source);
                self.other_properties(&source_path, source);
            }
            _ => self.add(
                &source_path,
                "must be one IRI or one External Web Resource (an object with an IRI `id`)",
            ),
        }
        self.cannot_have(path, o, "a SpecificResource", &["items", "value"]);
        self.motivations(path, o, "purpose");
        if let Some(v) = o.get("selector") {
            self.many(&at(path, "selector"), v, Checker::selector);
        }
        if let Some(v) = o.get("state") {
            self.many(&at(path, "state"), v, Checker::state);
        }
        if let Some(v) = o.get("styleClass") {
            self.style_class = true;
            self.many(&at(path, "styleClass"), v, |c, p, class| {
                if !class.is_string() {
                    c.add(p, "must be a string");
                }
            });
        }
        self.iris(path, o, "scope");
        self.text_direction(path, o);
        self.other_properties(path, o);
    }

    fn needs_string(&mut self, path: &str, o: &Object, class: &str, key: &str) {
        match o.get(key) {
            None => self.add(path, format!("a {class} needs `{key}`")),
            Some(v) if !v.is_string() => self.add(&at(path, key), "must be a string"),
            Some(_) => {}
        }
    }

    fn optional_string(&mut self, path: &str, o: &Object, key: &str) {
        if o.get(key).is_some_and(|v| !v.is_string()) {
            self.add(&at(path, key), "must be a string");
        }
    }

    /// A selector (4.2): an IRI, an object with an IRI `id`, or one of the
    /// model's selectors with what that class requires; and its refinements.
    fn selector(&mut self, path: &str, v: &Value) {
        let o = match v {
            Value::String(_) => return self.iri(path, v),
            Value::Object(o) => o,
            _ => return self.add(path, "must be an IRI or a selector object"),
        };
        match class_of(o) {
            Some(class @ ("FragmentSelector" | "CssSelector" | "XPathSelector")) => {
                self.needs_string(path, o, class, "value");
                if class == "FragmentSelector" {
                    self.single_iri(path, o, "conformsTo");
                }
            }
            Some("TextQuoteSelector") => {
                self.needs_string(path, o, "TextQuoteSelector", "exact");
                self.optional_string(path, o, "prefix");
                self.optional_string(path, o, "suffix");
            }
            Some(class @ ("TextPositionSelector" | "DataPositionSelector")) => {
                self.positions(path, o, class)
            }
            Some("SvgSelector") => {
                if o.contains_key("value") == o.contains_key("id") {
                    self.add(path, "an SvgSelector needs exactly one of `value` and `id`");
                }
                self.optional_string(path, o, "value");
                if let Some(id) = o.get("id") {
                    self.iri(&at(path, "id"), id);
                }
            }
            Some("RangeSelector") => {
                for key in ["startSelector", "endSelector"] {
                    match o.get(key) {
                        None => self.add(path, format!("a RangeSelector needs `{key}`")),
                        Some(end @ Value::Object(inner))
                            if class_of(inner).is_some_and(|c| {
                                c != "RangeSelector" && SELECTORS.contains(&c)
                            }) =>
                        {
                            self.selector(&at(path, key), end)
                        }
                        Some(_) => self.add(
                            &at(path, key),
                            "must be one selector object, of a class other than RangeSelector",
                        ),
                    }
                }
            }
            _ => match o.get("id") {
                Some(id) => self.iri(&at(path, "id"), id),
                None => self.add(
                    path,
                    format!(
                        "must be an IRI, an object with `id`, or one of {}",
                        SELECTORS.join(", ")
                    ),
                ),
            },
        }
        if let Some(v) = o.get("refinedBy") {
            self.many(&at(path, "refinedBy"), v, Checker::refinement);
        }
    }

    /// `start` and `end` of a Text or DataPositionSelector (4.2.5, 4.2.6).
    fn positions(&mut self, path: &str, o: &Object, class: &str) {
        let mut ends = Vec::new();
        for key in ["start", "end"] {
            match o.get(key) {
                None => self.add(path, format!("a {class} needs `{key}`")),
                Some(v) => match v.as_u64() {
                    Some(n) => ends.push(n),
                    None => self.add(&at(path, key), "must be a non-negative integer"),
                },
            }
        }
        if let [start, end] = ends[..] {
            if start > end {
                self.add(
                    path,
                    format!("`start` ({start}) must not be after `end` ({end})"),
                );
            }
        }
    }

    /// A state (4.3): an IRI, an object with an IRI `id`, a TimeState or an
    /// HttpRequestState; and its refinements.
    fn state(&mut self, path: &str, v: &Value) {
        let o = match v {
            Value::String(_) => return self.iri(path, v),
            Value::Object(o) => o,
            _ => return self.add(path, "must be an IRI or a state object"),
        };
        match class_of(o) {
            Some("TimeState") => self.time_state(path, o),
            Some("HttpRequestState") => self.needs_string(path, o, "HttpRequestState", "value"),
            _ => match o.get("id") {
                Some(id) => self.iri(&at(path, "id"), id),
                None => self.add(
                    path,
                    "must be an IRI, an object with `id`, a TimeState or an HttpRequestState",
                ),
            },
        }
        if let Some(v) = o.get("refinedBy") {
            self.many(&at(path, "refinedBy"), v, Checker::refinement);
        }
    }

    /// A TimeState (4.3.1): 1 or more `sourceDate`s, or both
    /// `sourceDateStart` and `sourceDateEnd`, never both kinds.
    fn time_state(&mut self, path: &str, o: &Object) {
        let date = o.contains_key("sourceDate");
        let start = o.contains_key("sourceDateStart");
        let end = o.contains_key("sourceDateEnd");
        if date && (start || end) {
            self.add(
                path,
                "a TimeState with `sourceDate` cannot have `sourceDateStart` or `sourceDateEnd`",
            );
        } else if !(date || (start && end)) {
            self.add(
                path,
                "a TimeState needs `sourceDate`, or both `sourceDateStart` and `sourceDateEnd`",
            );
        }
        if let Some(v) = o.get("sourceDate") {
            self.many(&at(path, "sourceDate"), v, |c, p, d| {
                if !d.as_str().is_some_and(is_xsd_datetime) {
                    c.add(p, "must be an xsd:dateTime (like 2026-01-31T12:00:00Z)");
                }
            });
        }
        self.datetime(path, o, "sourceDateStart");
        self.datetime(path, o, "sourceDateEnd");
        self.iris(path, o, "cached");
    }

    /// A `refinedBy` value (4.2.9): a selector or a state.
    fn refinement(&mut self, path: &str, v: &Value) {
        let is_state = v
            .as_object()
            .and_then(class_of)
            .is_some_and(|c| c == "TimeState" || c == "HttpRequestState");
        if is_state {
            self.state(path, v);
        } else {
            self.selector(path, v);
        }
    }

    /// What a Collection and the description of one in a Page's `partOf`
    /// may have (5.1).
    fn collection_properties(&mut self, path: &str, o: &Object) {
        if let Some(v) = o.get("label") {
            self.many(&at(path, "label"), v, |c, p, label| {
                if !label.is_string() {
                    c.add(p, "must be a string");
                }
            });
        }
        if o.get("total")
            .is_some_and(|t| single(t).and_then(Value::as_u64).is_none())
        {
            self.add(&at(path, "total"), "must be a single non-negative integer");
        }
        self.single_iri(path, o, "last");
        self.datetime(path, o, "created");
        self.datetime(path, o, "modified");
        self.iris(path, o, "rights");
    }

    /// An AnnotationPage (5.2).
    fn page(&mut self, path: &str, o: &Object) {
        self.id(path, o);
        self.type_includes(path, o, "AnnotationPage");
        let items_path = at(path, "items");
        match o.get("items") {
            None => self.add(&items_path, "is required"),
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let ok = match item {
                        Value::String(s) => is_iri(s),
                        Value::Object(a) => has_type(a, "Annotation"),
                        _ => false,
                    };
                    if !ok {
                        self.add(
                            &format!("{items_path}[{i}]"),
                            "must be an Annotation (an object whose `type` includes \"Annotation\") or an IRI",
                        );
                    }
                }
            }
            Some(_) => self.add(&items_path, "must be an array"),
        }
        if o.get("startIndex")
            .is_some_and(|s| single(s).and_then(Value::as_u64).is_none())
        {
            self.add(
                &at(path, "startIndex"),
                "must be a single non-negative integer",
            );
        }
        if let Some(v) = o.get("partOf") {
            let part_of = at(path, "partOf");
            match single(v) {
                Some(Value::String(s)) if is_iri(s) => {}
                Some(Value::Object(c))
                    if c.get("id").and_then(Value::as_str).is_some_and(is_iri) =>
                {
                    self.collection_properties(&part_of, c);
                    if let Some(first) = c.get("first") {
                        let ok = match single(first) {
                            Some(Value::String(s)) => is_iri(s),
                            Some(Value::Object(p)) => has_type(p, "AnnotationPage"),
                            _ => false,
                        };
                        if !ok {
                            self.add(
                                &at(&part_of, "first"),
                                "must be one IRI or one AnnotationPage",
                            );
                        }
                    }
                }
                _ => self.add(&part_of, "must be one IRI or one object with an IRI `id`"),
            }
        }
        self.single_iri(path, o, "next");
        self.single_iri(path, o, "prev");
        self.datetime(path, o, "created");
        self.datetime(path, o, "modified");
        self.iris(path, o, "rights");
    }
}

/// Every MUST of the model that one Annotation breaks, as
/// `"<JSON path>: <rule>"`.
fn annotation_must_violations(a: &Value) -> Vec<String> {
    let Some(o) = a.as_object() else {
        return vec!["(annotation): must be a JSON object".to_string()];
    };
    let mut c = Checker::default();
    c.context(o);
    c.id("", o);
    c.type_includes("", o, "Annotation");
    match o.get("target") {
        None => c.add("target", "is required"),
        Some(t) => c.many("target", t, |c, p, v| c.resource(p, v, Role::Target)),
    }
    if let Some(b) = o.get("body") {
        c.many("body", b, |c, p, v| c.resource(p, v, Role::Body));
    }
    if let Some(v) = o.get("bodyValue") {
        if o.contains_key("body") {
            c.add("bodyValue", "cannot be used together with `body`");
        }
        if !is_single_string(v) {
            c.add("bodyValue", "must be a single string");
        }
    }
    c.motivations("", o, "motivation");
    c.other_properties("", o);
    c.datetime("", o, "generated");
    if c.style_class && !o.contains_key("stylesheet") {
        c.add(
            "stylesheet",
            "is required when a body or target has a `styleClass`",
        );
    }
    c.out
}

/// Every MUST of the model that an AnnotationCollection, or its embedded
/// `first` AnnotationPage, breaks, as `"<JSON path>: <rule>"`. The
/// annotations in the page are checked only for being Annotations: give
/// each to [`annotation_must_violations`].
fn collection_must_violations(c: &Value) -> Vec<String> {
    let Some(o) = c.as_object() else {
        return vec!["(collection): must be a JSON object".to_string()];
    };
    let mut k = Checker::default();
    k.context(o);
    k.id("", o);
    k.type_includes("", o, "AnnotationCollection");
    k.collection_properties("", o);
    let total = o.get("total").and_then(single).and_then(Value::as_u64);
    match o.get("first") {
        None if total.is_some_and(|t| t > 0) => {
            k.add("first", "is required when `total` is more than 0")
        }
        None => {}
        Some(first) => match single(first) {
            Some(Value::String(s)) if is_iri(s) => {}
            Some(Value::Object(page)) => k.page("first", page),
            _ => k.add("first", "must be one IRI or one embedded AnnotationPage"),
        },
    }
    k.out
}

// ---------------------------------------------------------------------------
// Seeds by their ni: IRI
// ---------------------------------------------------------------------------

/// Base64url without padding (RFC 4648 §5), as RFC 6920 names digests.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let mut n = 0u32;
        for i in 0..3 {
            n = (n << 8) | u32::from(chunk.get(i).copied().unwrap_or(0));
        }
        for i in 0..=chunk.len() {
            let sextet = (n >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(ALPHABET[sextet as usize]));
        }
    }
    out
}

/// The `ni:///sha-256;…` IRI of some bytes (RFC 6920).
fn ni_sha256(bytes: &[u8]) -> String {
    format!("ni:///sha-256;{}", base64url(&Sha256::digest(bytes)))
}

/// Every file under `dir`, by its ni IRI: its path and text.
fn files_by_ni(dir: &Path, found: &mut BTreeMap<String, (String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files_by_ni(&path, found);
        } else {
            let bytes = std::fs::read(&path).unwrap();
            let text = String::from_utf8_lossy(&bytes).into_owned();
            found.insert(ni_sha256(&bytes), (path.display().to_string(), text));
        }
    }
}

/// Code points `from..to` of `text`, if in range.
fn code_points(text: &[char], from: usize, to: usize) -> Option<String> {
    text.get(from..to).map(|cs| cs.iter().collect())
}

/// What is wrong with one target's TextPositionSelector against the seed
/// text it names, and its TextQuoteSelector; `None` when the target has no
/// TextPositionSelector.
fn anchoring_problems(
    target: &Value,
    seeds: &BTreeMap<String, (String, String)>,
) -> Option<Vec<String>> {
    let selectors = target.get("selector")?;
    let selectors: Vec<&Value> = match selectors {
        Value::Array(items) => items.iter().collect(),
        one => vec![one],
    };
    let of_class = |class: &str| {
        selectors
            .iter()
            .copied()
            .find(|s| s.get("type").and_then(Value::as_str) == Some(class))
    };
    let position = of_class("TextPositionSelector")?;
    let mut problems = Vec::new();
    let source = target["source"].as_str().unwrap_or_default();
    let Some((file, text)) = seeds.get(source) else {
        return Some(vec![format!("source {source} is no file under seeds/")]);
    };
    let text: Vec<char> = text.chars().collect();
    let (Some(start), Some(end)) = (position["start"].as_u64(), position["end"].as_u64()) else {
        return Some(vec![
            "the TextPositionSelector has no start and end".to_string()
        ]);
    };
    let (start, end) = (start as usize, end as usize);
    let Some(slice) = code_points(&text, start, end) else {
        return Some(vec![format!(
            "{start}..{end} is outside {file} ({} code points)",
            text.len()
        )]);
    };
    let Some(quote) = of_class("TextQuoteSelector") else {
        return Some(vec![
            "a TextPositionSelector without a TextQuoteSelector".to_string()
        ]);
    };
    if quote["exact"].as_str() != Some(slice.as_str()) {
        problems.push(format!(
            "exact {} but {file} has {slice:?} at {start}..{end}",
            quote["exact"]
        ));
    }
    if let Some(prefix) = quote.get("prefix").and_then(Value::as_str) {
        let n = prefix.chars().count();
        let before = start
            .checked_sub(n)
            .and_then(|from| code_points(&text, from, start));
        if before.as_deref() != Some(prefix) {
            problems.push(format!(
                "prefix {prefix:?} but {file} has {before:?} before {start}"
            ));
        }
    }
    if let Some(suffix) = quote.get("suffix").and_then(Value::as_str) {
        let after = code_points(&text, end, end + suffix.chars().count());
        if after.as_deref() != Some(suffix) {
            problems.push(format!(
                "suffix {suffix:?} but {file} has {after:?} after {end}"
            ));
        }
    }
    Some(problems)
}

// ---------------------------------------------------------------------------
// End to end
// ---------------------------------------------------------------------------

#[test]
fn the_w3c_export_of_this_repository_meets_the_model_and_quotes_its_seeds() {
    let root = env!("CARGO_MANIFEST_DIR");
    let run = Run::of(annot_in(
        Path::new(root),
        &["-C", root, "export", "--format", "w3c"],
        &[],
    ));
    assert_eq!(
        run.status, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    let collection = run.json();
    let mut problems: Vec<String> = collection_must_violations(&collection)
        .into_iter()
        .map(|v| format!("collection: {v}"))
        .collect();

    let items = collection["first"]["items"]
        .as_array()
        .expect("an embedded first page with items");
    assert!(!items.is_empty(), "the export has no annotations");
    if let Some(total) = collection.get("total") {
        if collection["first"].get("next").is_none() && total.as_u64() != Some(items.len() as u64) {
            problems.push(format!(
                "collection: total {total} but the only page has {} items",
                items.len()
            ));
        }
    }
    if let Some(start) = collection["first"].get("startIndex") {
        if start.as_u64() != Some(0) {
            problems.push(format!(
                "collection: the first page's startIndex is {start}, not 0"
            ));
        }
    }

    let mut seeds = BTreeMap::new();
    files_by_ni(&Path::new(root).join("seeds"), &mut seeds);
    let mut ids = BTreeSet::new();
    let mut anchored = 0;
    for (i, item) in items.iter().enumerate() {
        let name = match item.get("id").and_then(Value::as_str) {
            Some(id) => id.to_string(),
            None => format!("items[{i}]"),
        };
        if !ids.insert(name.clone()) {
            problems.push(format!("{name}: a second annotation with this id"));
        }
        if let Some(Value::Array(context)) = item.get("@context") {
            if context.first().and_then(Value::as_str) != Some(ANNO_CONTEXT) {
                problems.push(format!(
                    "{name}: @context must start with \"{ANNO_CONTEXT}\""
                ));
            }
        }
        for v in annotation_must_violations(item) {
            problems.push(format!("{name}: {v}"));
        }
        let targets: Vec<&Value> = match &item["target"] {
            Value::Array(targets) => targets.iter().collect(),
            one => vec![one],
        };
        for target in targets {
            if let Some(found) = anchoring_problems(target, &seeds) {
                anchored += 1;
                for problem in found {
                    problems.push(format!("{name}: target: {problem}"));
                }
            }
        }
    }
    assert!(anchored > 0, "no target has a TextPositionSelector");
    assert!(
        problems.is_empty(),
        "{} problems in the export:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

// ---------------------------------------------------------------------------
// The checker itself
// ---------------------------------------------------------------------------

/// An annotation shaped like the export's, and valid.
fn valid() -> Value {
    json!({
        "@context": ANNO_CONTEXT,
        "id": "urn:annot:tass.lead",
        "type": "Annotation",
        "motivation": "describing",
        "created": "2026-12-03T12:00:00Z",
        "body": [
            {"type": "TextualBody", "purpose": "tagging", "value": "claim"},
            {"type": "TextualBody", "purpose": "describing", "value": "topic: sappers",
             "format": "text/plain", "language": "en"},
            {"type": "SpecificResource", "purpose": "linking", "source": "urn:annot:ent.shoigu"}
        ],
        "target": {
            "type": "SpecificResource",
            "source": ni_sha256(b"The cat sat on the mat."),
            "selector": [
                {"type": "TextQuoteSelector", "exact": "cat sat", "prefix": "The ", "suffix": " on"},
                {"type": "TextPositionSelector", "start": 4, "end": 11}
            ]
        }
    })
}

type Edit = (&'static str, Option<Value>);

fn set(pointer: &'static str, value: Value) -> Edit {
    (pointer, Some(value))
}

fn del(pointer: &'static str) -> Edit {
    (pointer, None)
}

/// `value` with each JSON pointer set to its value (an array index one
/// past the end appends) or removed.
fn edited(mut value: Value, edits: &[Edit]) -> Value {
    for (pointer, new) in edits {
        let (parent, key) = pointer.rsplit_once('/').expect("a JSON pointer");
        let parent = value
            .pointer_mut(parent)
            .unwrap_or_else(|| panic!("nothing at {parent}"));
        match (parent, new) {
            (Value::Object(o), Some(new)) => {
                o.insert(key.to_string(), new.clone());
            }
            (Value::Object(o), None) => {
                o.remove(key);
            }
            (Value::Array(items), new) => {
                let i: usize = key.parse().expect("an array index");
                match new {
                    Some(new) if i == items.len() => items.push(new.clone()),
                    Some(new) => items[i] = new.clone(),
                    None => {
                        items.remove(i);
                    }
                }
            }
            (other, _) => panic!("{pointer}: {other} is no object or array"),
        }
    }
    value
}

/// Each case's edits of `base`, checked by `check`, give exactly its
/// violations; all mismatches are reported together.
fn assert_cases(
    base: fn() -> Value,
    check: fn(&Value) -> Vec<String>,
    cases: &[(Vec<Edit>, &[&str])],
) {
    assert_eq!(
        check(&base()),
        Vec::<String>::new(),
        "the base case is valid"
    );
    let mut wrong = Vec::new();
    for (edits, expected) in cases {
        let got = check(&edited(base(), edits));
        if got != *expected {
            wrong.push(format!(
                "{edits:?}\n  expected {expected:?}\n  got      {got:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

fn annotation_cases(cases: &[(Vec<Edit>, &[&str])]) {
    assert_cases(valid, annotation_must_violations, cases);
}

#[test]
fn valid_annotations_have_no_violations() {
    let rich = json!({
        "@context": [ANNO_CONTEXT, {"annot": "https://example.org/annot#"}],
        "id": "https://example.org/anno/1",
        "type": ["Annotation", "annot:Claim"],
        "motivation": ["describing", "linking"],
        "created": "2026-12-03T12:00:00.250+01:00",
        "modified": ["2026-12-03T12:00:00"],
        "generated": "2026-12-03T12:00:00Z",
        "rights": ["https://creativecommons.org/licenses/by/4.0/"],
        "canonical": "urn:uuid:dbfb1861-0ecf-41ad-be94-a584e5c4f1df",
        "via": "https://example.org/elsewhere/1",
        "stylesheet": "https://example.org/style.css",
        "body": [
            "https://example.org/post1",
            {"id": "https://example.org/image1", "type": "Image", "textDirection": "ltr"},
            {"type": "TextualBody", "value": "<p>j'adore</p>", "format": "text/html",
             "language": ["fr"], "textDirection": "auto", "purpose": ["commenting"]},
            {"type": "Choice", "items": [
                {"type": "TextualBody", "value": "one"},
                "https://example.org/two"
            ]}
        ],
        "target": [
            "ni:///sha-256;f4OxZX_x_FO5LcGBSKHWXfwtSx-j1ncoSt3SABJtkGk",
            {"source": {"id": "https://example.org/page1", "created": "2016-01-01T00:00:00Z",
                        "textDirection": "rtl"},
             "styleClass": ["red"],
             "scope": "https://example.org/index",
             "state": [
                 {"type": "TimeState", "sourceDate": ["2015-01-01T00:00:00Z"],
                  "cached": "https://archive.example.org/copy1"},
                 {"type": "TimeState", "sourceDateStart": "2015-01-01T00:00:00Z",
                  "sourceDateEnd": "2015-02-01T00:00:00Z"},
                 {"type": "HttpRequestState", "value": "Accept: application/pdf"},
                 "https://example.org/state1",
                 {"id": "https://example.org/state2"}
             ],
             "selector": [
                 {"type": "FragmentSelector", "value": "xywh=50,50,640,480",
                  "conformsTo": "http://www.w3.org/TR/media-frags/"},
                 {"type": "CssSelector", "value": "#elemid > .elemclass + p"},
                 {"type": "XPathSelector", "value": "/html/body/p[2]/table/tr[2]/td[3]/span"},
                 {"type": "TextQuoteSelector", "exact": "anotation"},
                 {"type": "TextPositionSelector", "start": 412, "end": 412},
                 {"type": "DataPositionSelector", "start": 0, "end": 4096},
                 {"type": "SvgSelector", "value": "<svg/>"},
                 {"type": "SvgSelector", "id": "https://example.org/svg1"},
                 {"type": "RangeSelector",
                  "startSelector": {"type": "XPathSelector", "value": "//table[1]/tr[1]/td[2]"},
                  "endSelector": {"type": "XPathSelector", "value": "//table[1]/tr[1]/td[4]"}},
                 {"type": "FragmentSelector", "value": "para5",
                  "refinedBy": {"type": "TextPositionSelector", "start": 1, "end": 2,
                                "refinedBy": {"type": "TimeState",
                                              "sourceDate": "2015-01-01T00:00:00Z"}}},
                 "https://example.org/selector1",
                 {"id": "https://example.org/selector2", "type": "annot:Mine"}
             ]},
            {"type": "Choice", "items": [{"source": "https://example.org/a", "purpose": "tagging"}]}
        ]
    });
    assert_eq!(annotation_must_violations(&valid()), Vec::<String>::new());
    assert_eq!(annotation_must_violations(&rich), Vec::<String>::new());
    let minimal = json!({
        "@context": ANNO_CONTEXT, "id": "urn:x:1", "type": "Annotation",
        "bodyValue": "Comment text", "target": "http://example.org/target1"
    });
    assert_eq!(annotation_must_violations(&minimal), Vec::<String>::new());
    // Neither body nor bodyValue: a bookmark or a highlight.
    let bare = edited(minimal, &[del("/bodyValue")]);
    assert_eq!(annotation_must_violations(&bare), Vec::<String>::new());
}

#[test]
fn the_annotation_itself() {
    annotation_cases(&[
        (vec![del("/@context")], &["@context: is required"]),
        (
            vec![set("/@context", json!("http://www.w3.org/ns/oa.jsonld"))],
            &["@context: must be \"http://www.w3.org/ns/anno.jsonld\" or an array that includes it"],
        ),
        (
            vec![set("/@context", json!(["https://example.org/ctx"]))],
            &["@context: must be \"http://www.w3.org/ns/anno.jsonld\" or an array that includes it"],
        ),
        (
            vec![set("/@context", json!([ANNO_CONTEXT]))],
            &["@context: one value must be given as a string, not an array"],
        ),
        (vec![del("/id")], &["id: is required"]),
        (vec![set("/id", json!("tass.lead"))], &["id: must be an IRI (a scheme followed by `:`)"]),
        (vec![set("/id", json!("urn:annot:a b"))], &["id: must be an IRI (a scheme followed by `:`)"]),
        (vec![set("/id", json!(["urn:annot:a"]))], &["id: must be an IRI (a scheme followed by `:`)"]),
        (vec![del("/type")], &["type: is required"]),
        (vec![set("/type", json!("Note"))], &["type: must be or include \"Annotation\""]),
        (vec![set("/type", json!(["Note"]))], &["type: must be or include \"Annotation\""]),
        (vec![del("/target")], &["target: is required"]),
        (vec![set("/target", json!([]))], &["target: must have at least one value"]),
        (
            vec![set("/bodyValue", json!("text"))],
            &["bodyValue: cannot be used together with `body`"],
        ),
        (
            vec![del("/body"), set("/bodyValue", json!(["a", "b"]))],
            &["bodyValue: must be a single string"],
        ),
        (
            vec![set("/motivation", json!(["describing", "flagging"]))],
            &["motivation[1]: \"flagging\" is not one of the model's motivations"],
        ),
        (
            vec![set("/created", json!("2026-12-03 12:00:00"))],
            &["created: must be a single xsd:dateTime (like 2026-01-31T12:00:00Z)"],
        ),
        (
            vec![set("/modified", json!(["2026-12-03T12:00:00Z", "2026-12-04T12:00:00Z"]))],
            &["modified: must be a single xsd:dateTime (like 2026-01-31T12:00:00Z)"],
        ),
        (
            vec![set("/generated", json!("2026-02-30T12:00:00Z"))],
            &["generated: must be a single xsd:dateTime (like 2026-01-31T12:00:00Z)"],
        ),
        (
            vec![set("/rights", json!(["https://example.org/l", "CC-BY"]))],
            &["rights[1]: must be an IRI (a scheme followed by `:`)"],
        ),
        (
            vec![set("/canonical", json!(["urn:a:1", "urn:a:2"]))],
            &["canonical: must be a single IRI (a scheme followed by `:`)"],
        ),
        (vec![set("/via", json!("elsewhere"))], &["via: must be an IRI (a scheme followed by `:`)"]),
        (
            vec![set("/target/styleClass", json!("red"))],
            &["stylesheet: is required when a body or target has a `styleClass`"],
        ),
    ]);
    assert_eq!(
        annotation_must_violations(&json!([valid()])),
        ["(annotation): must be a JSON object"]
    );
}

#[test]
fn bodies() {
    annotation_cases(&[
        (vec![set("/body", json!([]))], &["body: must have at least one value"]),
        (vec![set("/body/0", json!("claim"))], &["body[0]: must be an IRI (a scheme followed by `:`)"]),
        (
            vec![set("/body/0", json!(7))],
            &["body[0]: must be an IRI, a SpecificResource (with `source`), a Choice (with `items`), a TextualBody (with `value`) or an External Web Resource (with `id`)"],
        ),
        (
            vec![set("/body/0", json!({"purpose": "tagging"}))],
            &["body[0]: must be an IRI, a SpecificResource (with `source`), a Choice (with `items`), a TextualBody (with `value`) or an External Web Resource (with `id`)"],
        ),
        // TextualBody
        (vec![del("/body/0/value")], &["body[0]: a TextualBody needs `value`"]),
        (vec![set("/body/0/value", json!(1))], &["body[0].value: must be a single string"]),
        (
            vec![set("/body/0/source", json!("urn:a:b"))],
            &["body[0]: a TextualBody cannot have `source`"],
        ),
        (vec![set("/body/0/items", json!([]))], &["body[0]: a TextualBody cannot have `items`"]),
        (
            vec![set("/body/1/format", json!(["text/plain", "text/html"]))],
            &["body[1].format: must be a single string"],
        ),
        (vec![set("/body/1/language", json!(5))], &["body[1].language: must be a single string"]),
        (
            vec![set("/body/0/purpose", json!("labelling"))],
            &["body[0].purpose: \"labelling\" is not one of the model's motivations"],
        ),
        (
            vec![set("/body/0/purpose", json!([]))],
            &["body[0].purpose: must have at least one value"],
        ),
        (
            vec![set("/body/0/purpose", json!([true]))],
            &["body[0].purpose[0]: must be a string, one of the model's motivations"],
        ),
        (
            vec![set("/body/0/textDirection", json!("up"))],
            &["body[0].textDirection: must be a single one of \"ltr\", \"rtl\", \"auto\""],
        ),
        (
            vec![set("/body/0/textDirection", json!(["ltr", "rtl"]))],
            &["body[0].textDirection: must be a single one of \"ltr\", \"rtl\", \"auto\""],
        ),
        (
            vec![set("/body/0/created", json!("yesterday"))],
            &["body[0].created: must be a single xsd:dateTime (like 2026-01-31T12:00:00Z)"],
        ),
        (
            vec![set("/body/0/id", json!("b1"))],
            &["body[0].id: must be an IRI (a scheme followed by `:`)"],
        ),
        // SpecificResource
        (
            vec![set("/body/2/source", json!("ent.shoigu"))],
            &["body[2].source: must be one IRI or one External Web Resource (an object with an IRI `id`)"],
        ),
        (
            vec![set("/body/2/source", json!(["urn:a:1", "urn:a:2"]))],
            &["body[2].source: must be one IRI or one External Web Resource (an object with an IRI `id`)"],
        ),
        (
            vec![set("/body/2/source", json!({"type": "Text"}))],
            &["body[2].source: must be one IRI or one External Web Resource (an object with an IRI `id`)"],
        ),
        (
            vec![set("/body/2/source", json!({"id": "urn:a:1", "rights": "free"}))],
            &["body[2].source.rights: must be an IRI (a scheme followed by `:`)"],
        ),
        (vec![set("/body/2/value", json!("x"))], &["body[2]: a SpecificResource cannot have `value`"]),
        (vec![set("/body/2/items", json!(["urn:a:1"]))], &["body[2]: a SpecificResource cannot have `items`"]),
        (
            vec![set("/body/2/purpose", json!("refers-to"))],
            &["body[2].purpose: \"refers-to\" is not one of the model's motivations"],
        ),
        (
            vec![set("/body/2/scope", json!(["urn:a:1", "page"]))],
            &["body[2].scope[1]: must be an IRI (a scheme followed by `:`)"],
        ),
        // External Web Resource
        (
            vec![set("/body/2", json!({"id": "urn:a:1", "purpose": "linking"}))],
            &["body[2]: an External Web Resource cannot have `purpose`"],
        ),
        (
            vec![set("/body/2", json!({"id": "urn:a:1", "items": []}))],
            &["body[2]: an External Web Resource cannot have `items`"],
        ),
        (
            vec![set("/body/2", json!({"id": "urn:a:1", "canonical": "c"}))],
            &["body[2].canonical: must be a single IRI (a scheme followed by `:`)"],
        ),
        (
            vec![set("/body/2", json!({"id": "urn:a:1", "via": ["v"]}))],
            &["body[2].via[0]: must be an IRI (a scheme followed by `:`)"],
        ),
        (
            vec![set("/body/2", json!({"id": "urn:a:1", "modified": "2026-13-01T00:00:00Z"}))],
            &["body[2].modified: must be a single xsd:dateTime (like 2026-01-31T12:00:00Z)"],
        ),
        // Choice
        (
            vec![set("/body/2", json!({"type": "Choice"}))],
            &["body[2]: a Choice needs `items`, a non-empty array"],
        ),
        (
            vec![set("/body/2", json!({"type": "Choice", "items": []}))],
            &["body[2]: a Choice needs `items`, a non-empty array"],
        ),
        (
            vec![set("/body/2", json!({"type": "Choice", "items": ["urn:a:1"], "value": "v"}))],
            &["body[2]: a Choice cannot have `value`"],
        ),
        (
            vec![set("/body/2", json!({"type": "Choice", "items": ["urn:a:1"], "source": "urn:a:2"}))],
            &["body[2]: a Choice cannot have `source`"],
        ),
        (
            vec![set("/body/2", json!({"type": "Choice", "items": ["urn:a:1"], "purpose": "tagging"}))],
            &["body[2]: a Choice cannot have `purpose`"],
        ),
        (
            vec![set("/body/2", json!({"type": "Choice", "items": [{"type": "TextualBody"}]}))],
            &["body[2].items[0]: a TextualBody needs `value`"],
        ),
    ]);
}

#[test]
fn targets_and_specific_resources() {
    annotation_cases(&[
        (
            vec![set("/target", json!("seeds/000.txt"))],
            &["target: must be an IRI (a scheme followed by `:`)"],
        ),
        (
            vec![set("/target", json!({"type": "TextualBody", "value": "x"}))],
            &["target: a target cannot be a TextualBody"],
        ),
        (
            vec![set("/target", json!({"value": "x"}))],
            &["target: must be an IRI, a SpecificResource (with `source`), a Choice (with `items`) or an External Web Resource (with `id`)"],
        ),
        (
            vec![set("/target", json!([valid()["target"], "x"]))],
            &["target[1]: must be an IRI (a scheme followed by `:`)"],
        ),
        (
            vec![del("/target/source"), set("/target/selector/1/end", json!(2))],
            &[
                "target: a SpecificResource needs `source`",
                "target.selector[1]: `start` (4) must not be after `end` (2)",
            ],
        ),
        (
            vec![set("/target", json!({"selector": "urn:sel:1"}))],
            &["target: must be an IRI, a SpecificResource (with `source`), a Choice (with `items`) or an External Web Resource (with `id`)"],
        ),
        (
            vec![set("/target/source", json!("sha-256;abc"))],
            &["target.source: must be one IRI or one External Web Resource (an object with an IRI `id`)"],
        ),
        (vec![set("/target/value", json!("x"))], &["target: a SpecificResource cannot have `value`"]),
        (vec![set("/target/items", json!([]))], &["target: a SpecificResource cannot have `items`"]),
        (
            vec![set("/target/textDirection", json!("ltr "))],
            &["target.textDirection: must be a single one of \"ltr\", \"rtl\", \"auto\""],
        ),
        (
            vec![set("/target/source", json!({"id": "urn:a:1", "textDirection": "down"}))],
            &["target.source.textDirection: must be a single one of \"ltr\", \"rtl\", \"auto\""],
        ),
        (
            vec![set("/target/source", json!({"id": "urn:a:1", "created": "2026-12-03"}))],
            &["target.source.created: must be a single xsd:dateTime (like 2026-01-31T12:00:00Z)"],
        ),
        (
            vec![set("/target/styleClass", json!([1])), set("/stylesheet", json!("urn:css:1"))],
            &["target.styleClass[0]: must be a string"],
        ),
        (
            vec![set("/target", json!({"id": "urn:a:1", "purpose": "tagging"}))],
            &["target: an External Web Resource cannot have `purpose`"],
        ),
        (
            vec![set("/target", json!({"type": "Choice", "items": [{"source": "x"}]}))],
            &["target.items[0].source: must be one IRI or one External Web Resource (an object with an IRI `id`)"],
        ),
    ]);
}

#[test]
fn selectors() {
    annotation_cases(&[
        (vec![set("/target/selector", json!([]))], &["target.selector: must have at least one value"]),
        (
            vec![set("/target/selector/1", json!(4))],
            &["target.selector[1]: must be an IRI or a selector object"],
        ),
        (
            vec![set("/target/selector/1", json!("#chars=4,11"))],
            &["target.selector[1]: must be an IRI (a scheme followed by `:`)"],
        ),
        (
            vec![set("/target/selector/1", json!({"type": "CharSelector", "start": 4}))],
            &["target.selector[1]: must be an IRI, an object with `id`, or one of FragmentSelector, CssSelector, XPathSelector, TextQuoteSelector, TextPositionSelector, DataPositionSelector, SvgSelector, RangeSelector"],
        ),
        (
            vec![set("/target/selector/1", json!({"id": "sel1"}))],
            &["target.selector[1].id: must be an IRI (a scheme followed by `:`)"],
        ),
        // TextQuoteSelector
        (
            vec![del("/target/selector/0/exact")],
            &["target.selector[0]: a TextQuoteSelector needs `exact`"],
        ),
        (
            vec![set("/target/selector/0/exact", json!(["cat sat"]))],
            &["target.selector[0].exact: must be a string"],
        ),
        (
            vec![set("/target/selector/0/prefix", json!(null))],
            &["target.selector[0].prefix: must be a string"],
        ),
        (
            vec![set("/target/selector/0/suffix", json!(3))],
            &["target.selector[0].suffix: must be a string"],
        ),
        // TextPositionSelector
        (
            vec![del("/target/selector/1/end")],
            &["target.selector[1]: a TextPositionSelector needs `end`"],
        ),
        (
            vec![del("/target/selector/1/start")],
            &["target.selector[1]: a TextPositionSelector needs `start`"],
        ),
        (
            vec![set("/target/selector/1/start", json!(-1))],
            &["target.selector[1].start: must be a non-negative integer"],
        ),
        (
            vec![set("/target/selector/1/end", json!(11.0))],
            &["target.selector[1].end: must be a non-negative integer"],
        ),
        (
            vec![set("/target/selector/1/end", json!("11"))],
            &["target.selector[1].end: must be a non-negative integer"],
        ),
        (
            vec![set("/target/selector/1/start", json!(12))],
            &["target.selector[1]: `start` (12) must not be after `end` (11)"],
        ),
        (
            vec![set("/target/selector/1", json!({"type": "DataPositionSelector", "start": 1}))],
            &["target.selector[1]: a DataPositionSelector needs `end`"],
        ),
        // Fragment, Css, XPath, Svg
        (
            vec![set("/target/selector/1", json!({"type": "FragmentSelector"}))],
            &["target.selector[1]: a FragmentSelector needs `value`"],
        ),
        (
            vec![set("/target/selector/1", json!({"type": "FragmentSelector", "value": "p", "conformsTo": "rfc3236"}))],
            &["target.selector[1].conformsTo: must be a single IRI (a scheme followed by `:`)"],
        ),
        (
            vec![set("/target/selector/1", json!({"type": "CssSelector", "value": 1}))],
            &["target.selector[1].value: must be a string"],
        ),
        (
            vec![set("/target/selector/1", json!({"type": "XPathSelector"}))],
            &["target.selector[1]: a XPathSelector needs `value`"],
        ),
        (
            vec![set("/target/selector/1", json!({"type": "SvgSelector"}))],
            &["target.selector[1]: an SvgSelector needs exactly one of `value` and `id`"],
        ),
        (
            vec![set("/target/selector/1", json!({"type": "SvgSelector", "value": "<svg/>", "id": "urn:svg:1"}))],
            &["target.selector[1]: an SvgSelector needs exactly one of `value` and `id`"],
        ),
        (
            vec![set("/target/selector/1", json!({"type": "SvgSelector", "id": "svg1"}))],
            &["target.selector[1].id: must be an IRI (a scheme followed by `:`)"],
        ),
        // RangeSelector
        (
            vec![set("/target/selector/1", json!({"type": "RangeSelector",
                "startSelector": {"type": "TextPositionSelector", "start": 1, "end": 2}}))],
            &["target.selector[1]: a RangeSelector needs `endSelector`"],
        ),
        (
            vec![set("/target/selector/1", json!({"type": "RangeSelector",
                "startSelector": {"type": "TextPositionSelector", "start": 1},
                "endSelector": {"type": "RangeSelector"}}))],
            &[
                "target.selector[1].startSelector: a TextPositionSelector needs `end`",
                "target.selector[1].endSelector: must be one selector object, of a class other than RangeSelector",
            ],
        ),
        // refinedBy
        (
            vec![set("/target/selector/1/refinedBy", json!({"type": "TextQuoteSelector"}))],
            &["target.selector[1].refinedBy: a TextQuoteSelector needs `exact`"],
        ),
        (
            vec![set("/target/selector/1/refinedBy", json!([{"type": "TimeState"}]))],
            &["target.selector[1].refinedBy[0]: a TimeState needs `sourceDate`, or both `sourceDateStart` and `sourceDateEnd`"],
        ),
    ]);
}

#[test]
fn states() {
    annotation_cases(&[
        (vec![set("/target/state", json!([]))], &["target.state: must have at least one value"]),
        (vec![set("/target/state", json!(true))], &["target.state: must be an IRI or a state object"]),
        (
            vec![set("/target/state", json!({"type": "FrozenState"}))],
            &["target.state: must be an IRI, an object with `id`, a TimeState or an HttpRequestState"],
        ),
        (
            vec![set("/target/state", json!({"type": "TimeState"}))],
            &["target.state: a TimeState needs `sourceDate`, or both `sourceDateStart` and `sourceDateEnd`"],
        ),
        (
            vec![set("/target/state", json!({"type": "TimeState", "sourceDateStart": "2015-01-01T00:00:00Z"}))],
            &["target.state: a TimeState needs `sourceDate`, or both `sourceDateStart` and `sourceDateEnd`"],
        ),
        (
            vec![set("/target/state", json!({"type": "TimeState", "sourceDate": "2015-01-01T00:00:00Z",
                "sourceDateEnd": "2015-02-01T00:00:00Z"}))],
            &["target.state: a TimeState with `sourceDate` cannot have `sourceDateStart` or `sourceDateEnd`"],
        ),
        (
            vec![set("/target/state", json!({"type": "TimeState", "sourceDate": ["2015-01-01T00:00:00Z", "2015"]}))],
            &["target.state.sourceDate[1]: must be an xsd:dateTime (like 2026-01-31T12:00:00Z)"],
        ),
        (
            vec![set("/target/state", json!({"type": "TimeState", "sourceDateStart": "2015-01-01T00:00:00Z",
                "sourceDateEnd": "2015-02-01T25:00:00Z"}))],
            &["target.state.sourceDateEnd: must be a single xsd:dateTime (like 2026-01-31T12:00:00Z)"],
        ),
        (
            vec![set("/target/state", json!({"type": "TimeState", "sourceDate": "2015-01-01T00:00:00Z",
                "cached": "copy1"}))],
            &["target.state.cached: must be an IRI (a scheme followed by `:`)"],
        ),
        (
            vec![set("/target/state", json!({"type": "HttpRequestState"}))],
            &["target.state: a HttpRequestState needs `value`"],
        ),
        (
            vec![set("/target/state", json!({"type": "HttpRequestState", "value": "Accept: text/plain",
                "refinedBy": {"type": "CssSelector"}}))],
            &["target.state.refinedBy: a CssSelector needs `value`"],
        ),
    ]);
}

/// A collection shaped like the export's, and valid.
fn valid_collection() -> Value {
    json!({
        "@context": ANNO_CONTEXT,
        "id": "urn:annot:export",
        "type": "AnnotationCollection",
        "label": "annot export",
        "total": 1,
        "first": {
            "id": "urn:annot:export#page1",
            "type": "AnnotationPage",
            "startIndex": 0,
            "items": [valid()]
        }
    })
}

#[test]
fn collections_and_pages() {
    let by_iri = json!({
        "@context": [ANNO_CONTEXT, {"x": "urn:x:"}], "id": "https://example.org/c",
        "type": ["AnnotationCollection", "x:Mine"], "label": ["a", "b"], "total": [42023],
        "first": "https://example.org/c/page1", "last": "https://example.org/c/page42",
        "created": "2026-12-03T12:00:00Z", "rights": "https://example.org/licence"
    });
    assert_eq!(collection_must_violations(&by_iri), Vec::<String>::new());
    let empty = json!({"@context": ANNO_CONTEXT, "id": "urn:c:1", "type": "AnnotationCollection", "total": 0});
    assert_eq!(collection_must_violations(&empty), Vec::<String>::new());
    let partof = edited(
        valid_collection(),
        &[
            set(
                "/first/partOf",
                json!({"id": "urn:annot:export", "total": 1, "first": "urn:p:1"}),
            ),
            set("/first/next", json!("urn:annot:export#page2")),
            set("/first/items/1", json!("urn:annot:other")),
        ],
    );
    assert_eq!(collection_must_violations(&partof), Vec::<String>::new());
    assert_eq!(
        collection_must_violations(&json!("urn:c:1")),
        ["(collection): must be a JSON object"]
    );

    assert_cases(valid_collection, collection_must_violations, &[
        (vec![del("/@context")], &["@context: is required"]),
        (
            vec![set("/@context", json!([ANNO_CONTEXT]))],
            &["@context: one value must be given as a string, not an array"],
        ),
        (
            vec![set("/@context", json!("http://iiif.io/api/presentation/3/context.json"))],
            &["@context: must be \"http://www.w3.org/ns/anno.jsonld\" or an array that includes it"],
        ),
        (vec![del("/id")], &["id: is required"]),
        (vec![set("/id", json!("export"))], &["id: must be an IRI (a scheme followed by `:`)"]),
        (vec![del("/type")], &["type: is required"]),
        (
            vec![set("/type", json!("OrderedCollection"))],
            &["type: must be or include \"AnnotationCollection\""],
        ),
        (vec![set("/label", json!(["ok", 2]))], &["label[1]: must be a string"]),
        (vec![set("/total", json!(-1))], &["total: must be a single non-negative integer"]),
        (vec![set("/total", json!([1, 2]))], &["total: must be a single non-negative integer"]),
        (vec![set("/total", json!("1"))], &["total: must be a single non-negative integer"]),
        (vec![del("/first")], &["first: is required when `total` is more than 0"]),
        (vec![set("/first", json!("page1"))], &["first: must be one IRI or one embedded AnnotationPage"]),
        (
            vec![set("/first", json!(["urn:p:1", "urn:p:2"]))],
            &["first: must be one IRI or one embedded AnnotationPage"],
        ),
        (vec![set("/last", json!({"id": "urn:p:1"}))], &["last: must be a single IRI (a scheme followed by `:`)"]),
        (
            vec![set("/created", json!("2026-12-03T12:00:00+15:00"))],
            &["created: must be a single xsd:dateTime (like 2026-01-31T12:00:00Z)"],
        ),
        (vec![set("/rights", json!("CC-BY"))], &["rights: must be an IRI (a scheme followed by `:`)"]),
        // The embedded first page
        (vec![del("/first/id")], &["first.id: is required"]),
        (vec![set("/first/id", json!("#page1"))], &["first.id: must be an IRI (a scheme followed by `:`)"]),
        (vec![del("/first/type")], &["first.type: is required"]),
        (vec![set("/first/type", json!("Page"))], &["first.type: must be or include \"AnnotationPage\""]),
        (vec![del("/first/items")], &["first.items: is required"]),
        (vec![set("/first/items", json!({}))], &["first.items: must be an array"]),
        (
            vec![set("/first/items/0/type", json!("Note"))],
            &["first.items[0]: must be an Annotation (an object whose `type` includes \"Annotation\") or an IRI"],
        ),
        (
            vec![set("/first/items/1", json!("anno2"))],
            &["first.items[1]: must be an Annotation (an object whose `type` includes \"Annotation\") or an IRI"],
        ),
        (vec![set("/first/startIndex", json!(-1))], &["first.startIndex: must be a single non-negative integer"]),
        (vec![set("/first/startIndex", json!(0.5))], &["first.startIndex: must be a single non-negative integer"]),
        (vec![set("/first/partOf", json!("export"))], &["first.partOf: must be one IRI or one object with an IRI `id`"]),
        (
            vec![set("/first/partOf", json!({"id": "urn:annot:export", "total": -3}))],
            &["first.partOf.total: must be a single non-negative integer"],
        ),
        (
            vec![set("/first/partOf", json!({"id": "urn:annot:export", "first": {"type": "Page"}}))],
            &["first.partOf.first: must be one IRI or one AnnotationPage"],
        ),
        (
            vec![set("/first/partOf", json!({"id": "urn:annot:export", "label": 1, "modified": "now"}))],
            &[
                "first.partOf.label: must be a string",
                "first.partOf.modified: must be a single xsd:dateTime (like 2026-01-31T12:00:00Z)",
            ],
        ),
        (vec![set("/first/next", json!("page2"))], &["first.next: must be a single IRI (a scheme followed by `:`)"]),
        (vec![set("/first/prev", json!(["urn:p:0", "urn:p:1"]))], &["first.prev: must be a single IRI (a scheme followed by `:`)"]),
        (vec![set("/first/rights", json!([]))], &["first.rights: must have at least one value"]),
    ]);
}

#[test]
fn iris_and_datetimes() {
    for iri in [
        "https://example.org/a?b=c#d",
        "urn:annot:tass.lead",
        "ni:///sha-256;f4OxZX_x_FO5LcGBSKHWXfwtSx-j1ncoSt3SABJtkGk",
        "mailto:ada@example.org",
        "x-y.z+w:",
        "https://example.org/żółć",
    ] {
        assert!(is_iri(iri), "{iri}");
    }
    for not_iri in [
        "",
        "seeds/a.txt",
        ":x",
        "1http://x",
        "ht tp://x",
        "http://x y",
        "http://x<y>",
        "urn:a\n",
    ] {
        assert!(!is_iri(not_iri), "{not_iri:?}");
    }
    for datetime in [
        "2026-12-03T12:00:00Z",
        "2026-12-03T12:00:00",
        "2026-12-03T12:00:00.123456+05:30",
        "2024-02-29T23:59:59-14:00",
        "2026-12-03T24:00:00Z",
        "-0044-03-15T12:00:00Z",
        "12026-01-01T00:00:00Z",
    ] {
        assert!(is_xsd_datetime(datetime), "{datetime}");
    }
    for not_datetime in [
        "2026-12-03",
        "2026-12-03 12:00:00Z",
        "2026-12-03t12:00:00Z",
        "26-12-03T12:00:00Z",
        "02026-12-03T12:00:00Z",
        "2026-12-3T12:00:00Z",
        "2026-00-03T12:00:00Z",
        "2025-02-29T12:00:00Z",
        "2026-04-31T12:00:00Z",
        "2026-12-03T24:00:01Z",
        "2026-12-03T12:60:00Z",
        "2026-12-03T12:00:60Z",
        "2026-12-03T12:00:00.Z",
        "2026-12-03T12:00:00+14:01",
        "2026-12-03T12:00:00+0100",
        "2026-12-03T12:00:00z",
        "2026-12-03T12:00:00Z ",
    ] {
        assert!(!is_xsd_datetime(not_datetime), "{not_datetime}");
    }
}

#[test]
fn ni_iris_name_sha256_digests_in_base64url() {
    for (bytes, encoded) in [
        (&b""[..], ""),
        (b"f", "Zg"),
        (b"fo", "Zm8"),
        (b"foo", "Zm9v"),
        (b"foob", "Zm9vYg"),
        (b"fooba", "Zm9vYmE"),
        (b"foobar", "Zm9vYmFy"),
        (&[0xfb, 0xff], "-_8"),
    ] {
        assert_eq!(base64url(bytes), encoded, "{bytes:?}");
    }
    // The example of RFC 6920, section 3.
    assert_eq!(
        ni_sha256(b"Hello World!"),
        "ni:///sha-256;f4OxZX_x_FO5LcGBSKHWXfwtSx-j1ncoSt3SABJtkGk"
    );
}

#[test]
fn text_selectors_are_checked_against_the_seed_text() {
    let text = "Zażółć gęślą jaźń — “quoted” here.";
    let ni = ni_sha256(text.as_bytes());
    let seeds = BTreeMap::from([(ni.clone(), ("seeds/pl.txt".to_string(), text.to_string()))]);
    let target = |exact: &str, prefix: &str, suffix: &str, start: u64, end: u64| {
        json!({"type": "SpecificResource", "source": ni, "selector": [
            {"type": "TextQuoteSelector", "exact": exact, "prefix": prefix, "suffix": suffix},
            {"type": "TextPositionSelector", "start": start, "end": end}
        ]})
    };
    let good = target("gęślą", "żółć ", " jaźń", 7, 12);
    assert_eq!(anchoring_problems(&good, &seeds), Some(vec![]));
    assert_eq!(
        anchoring_problems(&target("gęślą", "", "", 7, 11), &seeds),
        Some(vec![
            "exact \"gęślą\" but seeds/pl.txt has \"gęśl\" at 7..11".to_string()
        ])
    );
    assert_eq!(
        anchoring_problems(&target("gęślą", "ółć ", "jaźń", 7, 12), &seeds),
        Some(vec![
            "suffix \"jaźń\" but seeds/pl.txt has Some(\" jaź\") after 12".to_string()
        ])
    );
    assert_eq!(
        anchoring_problems(&target("Za", "x", "", 0, 2), &seeds),
        Some(vec![
            "prefix \"x\" but seeds/pl.txt has None before 0".to_string()
        ])
    );
    assert_eq!(
        anchoring_problems(&target("", "", "", 40, 40), &seeds),
        Some(vec![
            "40..40 is outside seeds/pl.txt (34 code points)".to_string()
        ])
    );
    let elsewhere = edited(good.clone(), &[set("/source", json!(ni_sha256(b"other")))]);
    assert_eq!(
        anchoring_problems(&elsewhere, &seeds),
        Some(vec![format!(
            "source {} is no file under seeds/",
            ni_sha256(b"other")
        )])
    );
    let quote_only = edited(good, &[del("/selector/1")]);
    assert_eq!(anchoring_problems(&quote_only, &seeds), None);
}
