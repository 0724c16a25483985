//! `annot ls`: the list of annotations, as aligned columns, bare ids (for
//! shell completion) or JSON.

use crate::commands::Listing;

/// `ID  KIND  FILE:LINE`, one annotation a line, columns aligned.
pub fn human(listing: &Listing) -> String {
    let width = |f: fn(&crate::commands::Listed) -> usize| {
        listing.annotations.iter().map(f).max().unwrap_or(0)
    };
    let id_width = width(|a| a.id.chars().count());
    let kind_width = width(|a| a.kind.chars().count());
    let mut out = String::new();
    for a in &listing.annotations {
        out.push_str(&format!(
            "{:id_width$}  {:kind_width$}  {}:{}\n",
            a.id, a.kind, a.file, a.line
        ));
    }
    out
}

/// One id a line, nothing else: what a completion script reads.
pub fn ids(listing: &Listing) -> String {
    listing
        .annotations
        .iter()
        .map(|a| format!("{}\n", a.id))
        .collect()
}

/// `{"schema":"annot.ls/v1","annotations":[{id,kind,file,line}],"unreadable":[{file,line,column,message}]}`.
pub fn json(listing: &Listing) -> String {
    let mut value = serde_json::json!({"schema": "annot.ls/v1"});
    value["annotations"] = serde_json::to_value(&listing.annotations).unwrap_or_default();
    value["unreadable"] = serde_json::to_value(&listing.unreadable).unwrap_or_default();
    format!("{value}\n")
}

/// What stderr says of each file that could not be listed.
pub fn unreadable(listing: &Listing) -> String {
    listing
        .unreadable
        .iter()
        .map(|u| {
            format!(
                "warning: {}:{}:{}: {}; its annotations are not listed (`annot validate` shows what is wrong)\n",
                u.file, u.line, u.column, u.message
            )
        })
        .collect()
}
