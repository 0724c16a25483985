//! What `annot export` and `annot import` tell the person on stderr: each
//! thing a format could not carry as it was, then one summary line.

use super::visible;
use crate::interop::plan::count;
use crate::interop::{Exported, Imported, Listed};

fn listing(listed: &[Listed], out: &mut String) {
    for l in listed {
        let label = if l.dropped {
            "not carried over"
        } else {
            "note"
        };
        out.push_str(&format!(
            "{label}: {}: {}\n",
            visible(&l.place),
            visible(&l.what)
        ));
    }
}

pub fn export_summary(exported: &Exported) -> String {
    let mut out = String::new();
    listing(&exported.listed, &mut out);
    let dropped = exported.listed.iter().filter(|l| l.dropped).count();
    let to = exported
        .written
        .as_deref()
        .map_or("stdout".to_string(), visible);
    out.push_str(&format!(
        "exported {} of {} to {to}; {dropped} not exported\n",
        count(exported.annotations, "annotation"),
        count(exported.documents, "source")
    ));
    out
}

pub fn import_summary(imported: &Imported, dry_run: bool) -> String {
    let mut out = String::new();
    listing(&imported.listed, &mut out);
    let verb = if dry_run {
        "would write"
    } else if imported.written {
        "wrote"
    } else {
        "nothing to write:"
    };
    for f in &imported.files {
        if dry_run || imported.written {
            out.push_str(&format!(
                "{verb} {}: {}\n",
                visible(&f.path),
                visible(&f.what)
            ));
        }
    }
    let done = if dry_run { "would import" } else { "imported" };
    out.push_str(&format!(
        "{done} {}{}; {} not imported\n",
        count(imported.annotations, "annotation"),
        if dry_run {
            " (dry run: nothing was changed)"
        } else {
            ""
        },
        imported.not_imported()
    ));
    out
}
