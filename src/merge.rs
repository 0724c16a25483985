//! A three-way merge of annotation files keyed by annotation id, for
//! `annot merge-driver` (SPEC §13). Each version of the file is cut into
//! pieces of its own text: the file-level fields, one piece per annotation
//! (the comment lines above it included) and, inside an annotation, one
//! piece per field. Pieces are matched by key (field name or id) and merged
//! by the three-way rule: a piece one side left as it was takes the other
//! side's text; a piece both sides changed alike (as YAML reads it, and
//! with the same comments and layout) keeps ours; anything else is a conflict, marked
//! around that annotation (or file-level field) only. Every byte of every
//! piece comes from one of the three versions.

use crate::edit;
use crate::yaml::{self, Node, Value};
use std::collections::{HashMap, HashSet};
use std::ops::Range;

/// The result of a merge by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    pub text: String,
    /// The ids (or file-level field names) that conflict, in file order.
    pub conflicts: Vec<String>,
}

/// Merges `ours` and `theirs`, both made from `base`. `None` when one of
/// them is not an annotation file this merge can cut into pieces (not
/// valid YAML, annotations written in flow style, an annotation without a
/// string id, one id twice): the caller falls back to a line merge.
pub fn merge(base: &str, ours: &str, theirs: &str, marker_size: usize) -> Option<Merged> {
    let (o, (a, b)) = rayon::join(
        || Doc::read(base),
        || rayon::join(|| Doc::read(ours), || Doc::read(theirs)),
    );
    let (o, a, b) = (o?, a?, b?);
    let eol = if ours.contains("\r\n") || (ours.is_empty() && theirs.contains("\r\n")) {
        "\r\n"
    } else {
        "\n"
    };
    let markers = Markers {
        size: marker_size.max(1),
        eol,
    };
    let mut out = Output::default();
    let roots = merge_keyed(&o.fields, &a.fields, &b.fields, |o, a, b| {
        Some(merge_piece(o, a, b))
    })?;
    let mut items_done = false;
    for (key, outcome) in roots {
        out.push(&key, outcome, &markers);
        if key == ANNOTATIONS && !items_done {
            items_done = true;
            let items = merge_keyed(&o.items, &a.items, &b.items, merge_item)?;
            for (id, outcome) in items {
                out.push(&id, outcome, &markers);
            }
        }
    }
    // Annotations left without the `annotations:` key that holds them
    // (one side removed it): no merge by id can place them.
    let has_items = !a.items.is_empty() || !b.items.is_empty();
    if has_items && !items_done {
        return None;
    }
    let tail = three_way_text(&o.tail, &a.tail, &b.tail);
    out.push("(end of file)", tail, &markers);
    let mut text = out.text;
    if !ours.is_empty() && !ours.ends_with('\n') {
        if let Some(stripped) = text.strip_suffix(eol) {
            text.truncate(stripped.len());
        }
    }
    Some(Merged {
        text,
        conflicts: out.conflicts,
    })
}

const ANNOTATIONS: &str = "annotations";

/// One keyed piece of a file: a file-level field, an annotation or a field
/// of one. `text` ends with a line break (one is added at the end of a
/// file that has none).
#[derive(Debug, Clone)]
struct Piece {
    key: String,
    text: String,
    /// The value as YAML reads it, to tell a change from a new spelling.
    value: serde_json::Value,
    /// The piece's text with its value's text cut out: keys, layout and
    /// comments (whole-line and trailing). Two pieces with the same value
    /// differ only in spelling when their frames are the same too.
    frame: String,
    /// An annotation's parts, when it is a block mapping after `- `.
    parts: Option<Parts>,
}

/// An annotation cut into its fields: `lead` (the lines above the item's
/// dash), then the fields, the first with its dash turned into a space.
#[derive(Debug, Clone)]
struct Parts {
    lead: String,
    /// Byte offset of the dash in the first field's first line.
    dash: usize,
    fields: Vec<Piece>,
}

impl Parts {
    fn join(&self, fields: &[String]) -> Option<String> {
        let mut text = self.lead.clone();
        let mut first = fields.iter().find(|f| !f.is_empty())?.clone();
        if first.as_bytes().get(self.dash) != Some(&b' ') {
            return None;
        }
        first.replace_range(self.dash..self.dash + 1, "-");
        let mut placed = false;
        for field in fields {
            if field.is_empty() {
                continue;
            }
            if placed {
                text.push_str(field);
            } else {
                text.push_str(&first);
                placed = true;
            }
        }
        Some(text)
    }
}

/// A file cut into pieces.
struct Doc {
    fields: Vec<Piece>,
    items: Vec<Piece>,
    tail: String,
}

impl Doc {
    fn read(text: &str) -> Option<Doc> {
        // `parse` holds the file to the loader's size limit.
        let root = yaml::parse(text.as_bytes()).ok()?;
        let entries = match &root.value {
            Value::Map(entries) => entries.as_slice(),
            Value::Null => &[],
            _ => return None,
        };
        let mut doc = Doc {
            fields: Vec::new(),
            items: Vec::new(),
            tail: String::new(),
        };
        let mut at = 0;
        for (key, value) in entries {
            if key.name == ANNOTATIONS {
                if doc.fields.iter().any(|f| f.key == ANNOTATIONS) {
                    return None;
                }
                at = doc.read_items(text, at, key, value)?;
                continue;
            }
            let end = line_after(text, edit::entry_end(text, key, value));
            let range = value_range(text, value, at, end);
            doc.fields
                .push(piece(&key.name, &text[at..end], value.to_json(), range));
            at = end;
        }
        doc.tail = with_line_break(&text[at..]);
        Some(doc)
    }

    /// Reads the `annotations:` entry from `at`: its key line becomes a
    /// field, each item a piece. Returns where the entry ends.
    fn read_items(
        &mut self,
        text: &str,
        at: usize,
        key: &yaml::Key,
        value: &Node,
    ) -> Option<usize> {
        let items = match &value.value {
            Value::Seq(items) if !items.is_empty() && value.is_flow_collection(text) => {
                return None
            }
            Value::Seq(items) => items.as_slice(),
            Value::Null => &[],
            _ => return None,
        };
        let key_end = if items.is_empty() {
            line_after(text, edit::entry_end(text, key, value))
        } else {
            line_after(text, key.pos.end)
        };
        self.fields.push(piece(
            ANNOTATIONS,
            &text[at..key_end],
            serde_json::Value::Null,
            None,
        ));
        let mut at = key_end;
        let mut seen = HashSet::new();
        for item in items {
            let Value::Map(fields) = &item.value else {
                return None;
            };
            let id = fields
                .iter()
                .find(|(k, _)| k.name == "id")
                .and_then(|(_, v)| v.as_str())?;
            if !seen.insert(id.to_string()) {
                return None;
            }
            let end = comments_below(
                text,
                line_after(text, edit::content_end(text, item)),
                item.pos.column,
            );
            if end <= at {
                return None;
            }
            let mut whole = piece(id, &text[at..end], item.to_json(), None);
            whole.parts = item_parts(text, at, end, item);
            self.items.push(whole);
            at = end;
        }
        Some(at)
    }
}

/// An item `text[start..end]` cut into its lead and fields, when it is a
/// block mapping whose first key follows the dash on the dash's line.
fn item_parts(text: &str, start: usize, end: usize, item: &Node) -> Option<Parts> {
    let Value::Map(fields) = &item.value else {
        return None;
    };
    if item.is_flow_collection(text) || fields.is_empty() {
        return None;
    }
    let first_key = fields[0].0.pos.start;
    let line = text[..first_key].rfind('\n').map_or(0, |i| i + 1);
    if line < start {
        return None;
    }
    let before = &text[line..first_key];
    let dash = before.find('-')?;
    if !before[..dash].bytes().all(|b| b == b' ') || !before[dash + 1..].bytes().all(|b| b == b' ')
    {
        return None;
    }
    let mut pieces = Vec::with_capacity(fields.len());
    let mut at = line;
    for (i, (key, value)) in fields.iter().enumerate() {
        let field_end = if i + 1 == fields.len() {
            end
        } else {
            line_after(text, edit::entry_end(text, key, value))
        };
        if field_end <= at || field_end > end {
            return None;
        }
        let mut field_text = with_line_break(&text[at..field_end]);
        if i == 0 {
            field_text.replace_range(dash..dash + 1, " ");
        }
        let range = value_range(text, value, at, field_end);
        let mut field = piece(&key.name, "", value.to_json(), None);
        field.frame = frame(&field_text, range);
        field.text = field_text;
        pieces.push(field);
        at = field_end;
    }
    let mut seen = HashSet::new();
    if !pieces.iter().all(|p| seen.insert(p.key.clone())) {
        return None;
    }
    Some(Parts {
        lead: text[start..line].to_string(),
        dash,
        fields: pieces,
    })
}

/// Extends an item that ends at `end` over the comment lines right below
/// it that are indented like its fields (deeper than the dash), which
/// belong to it rather than to the next item. `column` is the 1-based
/// column of the item's first key.
fn comments_below(text: &str, mut end: usize, column: u32) -> usize {
    while end < text.len() {
        let next = line_after(text, end);
        let line = &text[end..next];
        let indent = line.len() - line.trim_start_matches(' ').len();
        if !line.trim_start_matches(' ').starts_with('#') || indent + 1 < column as usize {
            break;
        }
        end = next;
    }
    end
}

/// A piece of `text`; `range` is where its value's text lies in it (none
/// for a whole annotation: its frame is all of it).
fn piece(key: &str, text: &str, value: serde_json::Value, range: Option<Range<usize>>) -> Piece {
    let text = with_line_break(text);
    Piece {
        key: key.to_string(),
        frame: frame(&text, range),
        text,
        value,
        parts: None,
    }
}

/// Where `value`'s text lies in the piece `text[start..end]`, relative to
/// the piece; none when it does not lie wholly inside.
fn value_range(text: &str, value: &Node, start: usize, end: usize) -> Option<Range<usize>> {
    let value_end = edit::content_end(text, value);
    (start <= value.pos.start && value.pos.start <= value_end && value_end <= end)
        .then(|| value.pos.start - start..value_end - start)
}

/// `text` with `range` cut out (all of `text` without a range).
fn frame(text: &str, range: Option<Range<usize>>) -> String {
    match range {
        Some(r)
            if r.end <= text.len()
                && text.is_char_boundary(r.start)
                && text.is_char_boundary(r.end) =>
        {
            format!("{}\u{0}{}", &text[..r.start], &text[r.end..])
        }
        _ => text.to_string(),
    }
}

/// The offset just after the line break that ends the line holding
/// `offset` (the end of the text on the last line).
fn line_after(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    memchr::memchr(b'\n', &text.as_bytes()[offset..]).map_or(text.len(), |i| offset + i + 1)
}

fn with_line_break(text: &str) -> String {
    let mut text = text.to_string();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push_str(if text.contains("\r\n") { "\r\n" } else { "\n" });
    }
    text
}

/// How one key came out of the merge.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Clean(String),
    /// Ours, theirs; an empty side is a removal.
    Conflict(String, String),
}

/// The three-way rule on text alone.
fn three_way_text(o: &str, a: &str, b: &str) -> Outcome {
    if a == o || a == b {
        Outcome::Clean(b.to_string())
    } else if b == o {
        Outcome::Clean(a.to_string())
    } else {
        Outcome::Conflict(a.to_string(), b.to_string())
    }
}

/// Whether two pieces say the same: the same value as YAML reads it, and
/// the same comments.
fn same(x: &Piece, y: &Piece) -> bool {
    x.value == y.value && x.frame == y.frame
}

/// The three-way rule for one piece: text first, then meaning.
fn merge_piece(o: Option<&Piece>, a: &Piece, b: &Piece) -> Outcome {
    let Some(o) = o else {
        return if a.text == b.text || same(a, b) {
            Outcome::Clean(a.text.clone())
        } else {
            Outcome::Conflict(a.text.clone(), b.text.clone())
        };
    };
    if a.text == o.text {
        Outcome::Clean(b.text.clone())
    } else if b.text == o.text || a.text == b.text || same(a, b) {
        Outcome::Clean(a.text.clone())
    } else if same(a, o) {
        Outcome::Clean(b.text.clone())
    } else if same(b, o) {
        Outcome::Clean(a.text.clone())
    } else {
        Outcome::Conflict(a.text.clone(), b.text.clone())
    }
}

/// An annotation both sides kept: whole when one side left it alone,
/// field by field when both changed it.
fn merge_item(o: Option<&Piece>, a: &Piece, b: &Piece) -> Option<Outcome> {
    let whole = merge_piece(o, a, b);
    if !matches!(whole, Outcome::Conflict(..)) {
        return Some(whole);
    }
    let (Some(op), Some(ap), Some(bp)) = (o.and_then(|o| o.parts.as_ref()), &a.parts, &b.parts)
    else {
        return Some(whole);
    };
    let lead = three_way_text(&op.lead, &ap.lead, &bp.lead);
    let fields = merge_keyed(&op.fields, &ap.fields, &bp.fields, |o, a, b| {
        Some(merge_piece(o, a, b))
    })?;
    let mut ours = Vec::with_capacity(fields.len());
    let mut theirs = Vec::with_capacity(fields.len());
    let mut conflicted = false;
    for (_, outcome) in fields {
        match outcome {
            Outcome::Clean(text) => {
                ours.push(text.clone());
                theirs.push(text);
            }
            Outcome::Conflict(x, y) => {
                conflicted = true;
                ours.push(x);
                theirs.push(y);
            }
        }
    }
    let (lead_ours, lead_theirs) = match lead {
        Outcome::Clean(text) => (text.clone(), text),
        Outcome::Conflict(x, y) => {
            conflicted = true;
            (x, y)
        }
    };
    let ours_parts = Parts {
        lead: lead_ours,
        ..ap.clone()
    };
    let theirs_parts = Parts {
        lead: lead_theirs,
        ..bp.clone()
    };
    let ours_text = ours_parts.join(&ours)?;
    if !conflicted {
        return Some(Outcome::Clean(ours_text));
    }
    // Each side of the conflict is a whole annotation in that side's own
    // indentation, with every field that merged cleanly already merged.
    let theirs_text = theirs_parts.join(&theirs)?;
    Some(Outcome::Conflict(ours_text, theirs_text))
}

/// Matches the pieces of three versions by key and merges each; the
/// result is in ours' order, with pieces only theirs has placed after the
/// piece that comes before them in theirs (after ours' own new pieces at
/// the same place). `None` when `merge_one` cannot cut a piece.
fn merge_keyed(
    o: &[Piece],
    a: &[Piece],
    b: &[Piece],
    mut merge_one: impl FnMut(Option<&Piece>, &Piece, &Piece) -> Option<Outcome>,
) -> Option<Vec<(String, Outcome)>> {
    let index = |pieces: &[Piece]| -> HashMap<String, usize> {
        pieces
            .iter()
            .enumerate()
            .map(|(i, p)| (p.key.clone(), i))
            .collect()
    };
    let (oi, ai, bi) = (index(o), index(a), index(b));
    // Theirs' pieces that ours lacks, by the place they go: `after[i]`
    // comes just before ours' piece `i`.
    let mut after: Vec<Vec<(String, Outcome)>> = vec![Vec::new(); a.len() + 1];
    let ours_new = |i: usize| !oi.contains_key(&a[i].key) && !bi.contains_key(&a[i].key);
    let mut place = 0;
    while place < a.len() && ours_new(place) {
        place += 1;
    }
    for piece in b {
        if let Some(&i) = ai.get(&piece.key) {
            place = i + 1;
            while place < a.len() && ours_new(place) {
                place += 1;
            }
            continue;
        }
        let outcome = match oi.get(&piece.key) {
            None => Outcome::Clean(piece.text.clone()),
            Some(&i) if o[i].text == piece.text => continue,
            Some(_) => Outcome::Conflict(String::new(), piece.text.clone()),
        };
        after[place].push((piece.key.clone(), outcome));
    }
    let mut out = Vec::with_capacity(a.len() + b.len());
    for (i, piece) in a.iter().enumerate() {
        out.append(&mut after[i]);
        let base = oi.get(&piece.key).map(|&j| &o[j]);
        let outcome = match (bi.get(&piece.key), base) {
            (Some(&j), base) => merge_one(base, piece, &b[j])?,
            (None, None) => Outcome::Clean(piece.text.clone()),
            (None, Some(base)) if base.text == piece.text => continue,
            (None, Some(_)) => Outcome::Conflict(piece.text.clone(), String::new()),
        };
        out.push((piece.key.clone(), outcome));
    }
    out.append(&mut after[a.len()]);
    Some(out)
}

struct Markers {
    size: usize,
    eol: &'static str,
}

#[derive(Default)]
struct Output {
    text: String,
    conflicts: Vec<String>,
}

impl Output {
    fn push(&mut self, key: &str, outcome: Outcome, markers: &Markers) {
        match outcome {
            Outcome::Clean(text) => self.text.push_str(&text),
            Outcome::Conflict(ours, theirs) => {
                let (size, eol) = (markers.size, markers.eol);
                self.conflicts.push(key.to_string());
                self.text
                    .push_str(&format!("{} ours{eol}", "<".repeat(size)));
                self.text.push_str(&ours);
                self.text.push_str(&format!("{}{eol}", "=".repeat(size)));
                self.text.push_str(&theirs);
                self.text
                    .push_str(&format!("{} theirs{eol}", ">".repeat(size)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "\
# header comment
source: seeds/a.txt
sha256: \"00\"
annotations:
  - id: a.1
    kind: claim
    quote: one
  # about two
  - id: a.2
    kind: claim
    quote: two
    note: first note
";

    fn clean(o: &str, a: &str, b: &str) -> String {
        let merged = merge(o, a, b, 7).expect("merges by id");
        assert_eq!(merged.conflicts, Vec::<String>::new(), "{}", merged.text);
        merged.text
    }

    #[test]
    fn unchanged_sides_give_the_base_byte_for_byte() {
        assert_eq!(clean(BASE, BASE, BASE), BASE);
    }

    #[test]
    fn additions_at_the_end_on_both_sides_are_all_kept_ours_first() {
        let a = format!("{BASE}  - id: a.3\n    kind: claim\n    quote: ours\n");
        let b = format!("{BASE}  - id: a.4\n    kind: claim\n    quote: theirs\n");
        assert_eq!(
            clean(BASE, &a, &b),
            format!("{BASE}  - id: a.3\n    kind: claim\n    quote: ours\n  - id: a.4\n    kind: claim\n    quote: theirs\n")
        );
    }

    #[test]
    fn different_fields_of_one_annotation_merge() {
        let a = BASE.replace("note: first note", "note: ours");
        let b = BASE.replace(
            "    quote: two\n",
            "    quote: two\n    start: 4\n    end: 7\n",
        );
        assert_eq!(
            clean(BASE, &a, &b),
            BASE.replace(
                "    quote: two\n    note: first note",
                "    quote: two\n    start: 4\n    end: 7\n    note: ours"
            )
        );
    }

    #[test]
    fn the_same_field_changed_differently_conflicts_around_that_annotation_only() {
        let a = BASE.replace("note: first note", "note: ours");
        let b = BASE.replace("note: first note", "note: theirs");
        let merged = merge(BASE, &a, &b, 7).unwrap();
        assert_eq!(merged.conflicts, vec!["a.2".to_string()]);
        let head = BASE.split("  # about two").next().unwrap();
        assert!(
            merged
                .text
                .starts_with(&format!("{head}<<<<<<< ours\n  # about two\n  - id: a.2")),
            "{}",
            merged.text
        );
        assert!(
            merged.text.ends_with("note: theirs\n>>>>>>> theirs\n"),
            "{}",
            merged.text
        );
    }

    #[test]
    fn a_new_spelling_of_the_same_value_is_no_conflict_and_keeps_ours() {
        let a = BASE.replace("quote: two", "quote: \"two\"");
        let b = BASE.replace("quote: two", "quote: 'two'");
        assert_eq!(clean(BASE, &a, &b), a);
    }

    #[test]
    fn a_change_against_a_removal_conflicts_with_an_empty_side() {
        let a = BASE.replace("    quote: one\n", "    quote: uno\n");
        let b = BASE.replace("  - id: a.1\n    kind: claim\n    quote: one\n", "");
        let merged = merge(BASE, &a, &b, 7).unwrap();
        assert_eq!(merged.conflicts, vec!["a.1".to_string()]);
        assert!(merged.text.contains("<<<<<<< ours\n  - id: a.1\n    kind: claim\n    quote: uno\n=======\n>>>>>>> theirs\n"), "{}", merged.text);
    }

    #[test]
    fn crlf_files_keep_their_line_endings() {
        let crlf = |s: &str| s.replace('\n', "\r\n");
        let a = crlf(&BASE.replace("note: first note", "note: ours"));
        let b = crlf(&format!("{BASE}  - id: a.4\n    kind: claim\n"));
        assert_eq!(
            clean(&crlf(BASE), &a, &b),
            crlf(&format!(
                "{}  - id: a.4\n    kind: claim\n",
                BASE.replace("note: first note", "note: ours")
            ))
        );
    }

    #[test]
    fn what_is_not_valid_yaml_is_left_to_a_line_merge() {
        assert_eq!(merge(BASE, "annotations: [\n", BASE, 7), None);
    }

    #[test]
    fn a_file_added_on_both_sides_merges_from_an_empty_base() {
        let a = format!("{BASE}  - id: a.3\n    kind: claim\n");
        let merged = clean("", &a, BASE);
        assert_eq!(merged, a);
    }

    #[test]
    fn files_that_cannot_be_cut_by_id_are_left_to_a_line_merge() {
        let no_id = "annotations:\n  - kind: claim\n";
        let twice = "annotations:\n  - id: x\n    kind: a\n  - id: x\n    kind: b\n";
        let flow = "annotations: [{id: x, kind: claim}]\n";
        for other in [no_id, twice, flow] {
            assert_eq!(merge(BASE, other, BASE, 7), None, "{other}");
            assert_eq!(merge(BASE, BASE, other, 7), None, "{other}");
        }
    }

    #[test]
    fn a_comment_under_an_annotation_stays_with_it() {
        let a = BASE.replace("    quote: one\n", "    quote: one\n    # checked\n");
        let b = BASE.replace("  # about two\n", "  # about the second\n");
        assert_eq!(
            clean(BASE, &a, &b),
            a.replace("  # about two\n", "  # about the second\n")
        );
    }

    /// Random edits of a random file on each side: a clean merge holds
    /// exactly the annotations the edits call for, each with the note of
    /// the side that changed it; a conflict arises only where both sides
    /// touched the same annotation; a side left as the base gives the other
    /// side byte for byte.
    #[test]
    fn random_edits_on_both_sides_merge_as_the_three_way_rule_says() {
        let mut seed: u64 = 0x5eed;
        let mut next = move |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let item =
            |id: &str, note: &str| format!("  - id: {id}\n    kind: claim\n    note: {note}\n");
        let file = |items: &[(String, String)]| {
            let body: String = items.iter().map(|(id, note)| item(id, note)).collect();
            format!("source: seeds/a.txt\nannotations:\n{body}")
        };
        for round in 0..300 {
            let base: Vec<(String, String)> = (0..1 + next(8))
                .map(|i| (format!("x.{i}"), format!("base{i}")))
                .collect();
            // Each side edits, removes or keeps each annotation, and may add one.
            let mut side = |name: &str| {
                let mut items = Vec::new();
                let mut touched = HashMap::new();
                for (id, note) in &base {
                    match next(5) {
                        0 => {
                            touched.insert(id.clone(), None);
                        }
                        1 => {
                            let note = format!("{name}{round}");
                            touched.insert(id.clone(), Some(note.clone()));
                            items.push((id.clone(), note));
                        }
                        _ => items.push((id.clone(), note.clone())),
                    }
                }
                if next(2) == 0 {
                    let id = format!("{name}.new");
                    items.insert(
                        next(items.len() as u64 + 1) as usize,
                        (id.clone(), name.to_string()),
                    );
                    touched.insert(id, Some(name.to_string()));
                }
                (items, touched)
            };
            let (ours, ours_touched) = side("ours");
            let (theirs, theirs_touched) = side("theirs");
            let (o, a, b) = (file(&base), file(&ours), file(&theirs));
            let merged = merge(&o, &a, &b, 7).expect("plain files merge by id");
            assert_eq!(merge(&o, &o, &b, 7).unwrap().text, b, "round {round}");
            assert_eq!(merge(&o, &a, &o, 7).unwrap().text, a, "round {round}");
            let both: Vec<&String> = ours_touched
                .keys()
                .filter(|id| theirs_touched.contains_key(*id))
                .filter(|id| !(ours_touched[*id].is_none() && theirs_touched[*id].is_none()))
                .collect();
            if !merged.conflicts.is_empty() {
                for id in &merged.conflicts {
                    assert!(
                        both.contains(&id),
                        "round {round}: {id} conflicts, though one side left it\n{}",
                        merged.text
                    );
                }
                continue;
            }
            assert!(
                both.is_empty(),
                "round {round}: {both:?} touched on both sides, merged clean\n{}",
                merged.text
            );
            let root = yaml::parse_str(&merged.text).expect("a clean merge is YAML");
            let got: Vec<(String, String)> = match &root.to_json()["annotations"] {
                serde_json::Value::Array(items) => items
                    .iter()
                    .map(|i| {
                        (
                            i["id"].as_str().unwrap().to_string(),
                            i["note"].as_str().unwrap().to_string(),
                        )
                    })
                    .collect(),
                _ => Vec::new(),
            };
            let mut want: Vec<(String, String)> = base
                .iter()
                .filter_map(
                    |(id, note)| match (ours_touched.get(id), theirs_touched.get(id)) {
                        (Some(None), _) | (_, Some(None)) => None,
                        (Some(Some(n)), _) | (_, Some(Some(n))) => Some((id.clone(), n.clone())),
                        (None, None) => Some((id.clone(), note.clone())),
                    },
                )
                .collect();
            for name in ["ours", "theirs"] {
                if ours
                    .iter()
                    .chain(&theirs)
                    .any(|(id, _)| *id == format!("{name}.new"))
                {
                    want.push((format!("{name}.new"), name.to_string()));
                }
            }
            let mut sorted_got = got.clone();
            sorted_got.sort();
            want.sort();
            assert_eq!(sorted_got, want, "round {round}\n{}", merged.text);
            // Ours' order is kept for what ours has.
            let ours_order: Vec<&String> = ours
                .iter()
                .map(|(id, _)| id)
                .filter(|id| got.iter().any(|(g, _)| g == *id))
                .collect();
            let got_order: Vec<&String> = got
                .iter()
                .map(|(id, _)| id)
                .filter(|id| ours.iter().any(|(o, _)| o == *id))
                .collect();
            assert_eq!(got_order, ours_order, "round {round}\n{}", merged.text);
        }
    }

    #[test]
    fn a_changed_trailing_comment_is_never_dropped_for_the_other_sides_value() {
        let a = BASE.replace("note: first note", "note: first note  # ours: checked");
        let b = BASE.replace("note: first note", "note: theirs");
        let merged = merge(BASE, &a, &b, 7).unwrap();
        assert_eq!(merged.conflicts, vec!["a.2".to_string()], "{}", merged.text);
        assert!(merged.text.contains("# ours: checked"), "{}", merged.text);
        // A new spelling alone still gives way to the other side's change.
        let requoted = BASE.replace("note: first note", "note: \"first note\"");
        assert_eq!(clean(BASE, &requoted, &b), b);
    }
}
