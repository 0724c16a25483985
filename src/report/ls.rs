//! `annot ls`: the list of annotations, as aligned columns, bare ids (for
//! shell completion) or JSON.

use super::text::{visible, width};
use crate::commands::Listing;

/// `ID  KIND  FILE:LINE`, one annotation a line, columns aligned.
pub fn human(listing: &Listing) -> String {
    let column_width = |f: &dyn Fn(&crate::commands::Listed) -> usize| {
        listing.annotations.iter().map(f).max().unwrap_or(0)
    };
    let id_width = column_width(&|a: &crate::commands::Listed| width(&visible(&a.id)));
    let kind_width = column_width(&|a: &crate::commands::Listed| width(&visible(&a.kind)));
    let pad = |text: String, to: usize| {
        let gap = to.saturating_sub(width(&text));
        format!("{text}{}", " ".repeat(gap))
    };
    let mut out = String::new();
    for a in &listing.annotations {
        out.push_str(&format!(
            "{}  {}  {}:{}\n",
            pad(visible(&a.id), id_width),
            pad(visible(&a.kind), kind_width),
            visible(&a.file),
            a.line
        ));
    }
    out
}

/// One id a line, nothing else: what a completion script reads.
pub fn ids(listing: &Listing) -> String {
    listing
        .annotations
        .iter()
        .map(|a| format!("{}\n", visible(&a.id)))
        .collect()
}

/// `{"schema":"annot.ls/v1","annotations":[{id,kind,file,line}],"unreadable":[{file,line,column,message}]}`.
pub fn json(listing: &Listing) -> String {
    let mut value = serde_json::json!({"schema": "annot.ls/v1"});
    value["annotations"] = serde_json::to_value(&listing.annotations).unwrap_or_default();
    value["unreadable"] = serde_json::to_value(&listing.unreadable).unwrap_or_default();
    format!("{}\n", super::json::to_string_pretty(&value))
}

/// What stderr says of each file that could not be listed.
pub fn unreadable(listing: &Listing) -> String {
    listing
        .unreadable
        .iter()
        .map(|u| {
            format!(
                "warning: {}:{}:{}: {}; its annotations are not listed (`annot validate` shows what is wrong)\n",
                visible(&u.file),
                u.line,
                u.column,
                visible(&u.message)
            )
        })
        .collect()
}
