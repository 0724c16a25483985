//! Rules for `seeds/sources.yaml`: every entry names an existing source, and
//! dates, language tags, URLs and `derived_from` are well formed.

use crate::finding::{Code, Finding};
use crate::load::{did_you_mean, place};
use crate::model::SourcesMeta;
use crate::workspace::check_source_path;
use std::collections::HashSet;

pub fn check(meta: Option<&SourcesMeta>, seeds: &[String]) -> Vec<Finding> {
    let Some(meta) = meta else {
        return Vec::new();
    };
    let names: Vec<&str> = seeds
        .iter()
        .map(String::as_str)
        .filter(|s| *s != crate::workspace::SOURCES_META_PATH)
        .collect();
    let known: HashSet<&str> = names.iter().copied().collect();
    let described: HashSet<&str> = meta.entries.iter().map(|e| e.path.value.as_str()).collect();
    // Seeds this file says nothing about: where a renamed seed went.
    let undescribed: Vec<&str> = names
        .iter()
        .copied()
        .filter(|s| !described.contains(s))
        .collect();
    let exists = |path: &str| check_source_path(path).is_ok() && known.contains(path);
    let mut findings = Vec::new();
    let mut problem = |pos, message: String, help: String| {
        findings
            .push(Finding::new(Code::Metadata, place(&meta.path, pos), message).with_help(help));
    };
    for entry in &meta.entries {
        let path = entry.path.value.as_str();
        if !exists(path) {
            let help = match (did_you_mean(path, &names), undescribed.as_slice()) {
                (Some(best), _) => format!("did you mean `{best}`?"),
                (None, [only]) => format!(
                    "{only} is the one seed this file does not describe: if the seed was renamed, write `{only}:` here"
                ),
                _ => format!("seeds/ holds: {}", names.join(", ")),
            };
            problem(
                entry.path.pos,
                format!("{path} is not a source in seeds/"),
                help,
            );
        }
        for (key, value) in &entry.fields {
            let v = value.value.as_str();
            match key.value.as_str() {
                "published" | "retrieved" if !is_date_or_datetime(v) => problem(
                    value.pos,
                    format!("`{}` is not a valid date: {v:?}", key.value),
                    "write a calendar date as YYYY-MM-DD (e.g. 2025-06-17), or a full RFC 3339 date-time".to_string(),
                ),
                "language" if !is_language_tag(v) => problem(
                    value.pos,
                    format!("`language` is not a BCP 47 language tag: {v:?}"),
                    match tag_for_language_name(v) {
                        Some(tag) => format!("write the tag, not the name: `language: {tag}`"),
                        None => "use a tag such as `en`, `pl`, `ru` or `pt-BR`".to_string(),
                    },
                ),
                "url" if !is_url(v) => problem(
                    value.pos,
                    format!("`url` is not an absolute URL: {v:?}"),
                    "write the full address, starting with https:// or http://".to_string(),
                ),
                "derived_from" if v == path => problem(
                    value.pos,
                    "a source cannot be derived from itself".to_string(),
                    "name the other source this one translates or re-reports".to_string(),
                ),
                "derived_from" if !exists(v) => problem(
                    value.pos,
                    format!("`derived_from` names {v}, which is not a source in seeds/"),
                    match did_you_mean(v, &names) {
                        Some(best) => format!("did you mean `{best}`?"),
                        None => "name another file under seeds/".to_string(),
                    },
                ),
                _ => {}
            }
        }
    }
    findings
}

fn digits(s: &str) -> Option<u32> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
}

/// `YYYY-MM-DD`, a real calendar date.
pub fn is_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return false;
    }
    let (Some(year), Some(month), Some(day)) = (digits(y), digits(m), digits(d)) else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// A date, or an RFC 3339 date-time such as `2025-06-17T10:30:00Z`.
pub fn is_date_or_datetime(s: &str) -> bool {
    if s.len() <= 10 {
        return is_date(s);
    }
    let (date, rest) = s.split_at(10);
    if !is_date(date) || !matches!(&rest[..1], "T" | "t" | " ") {
        return false;
    }
    let time = &rest[1..];
    let (clock, zone) = if let Some(stripped) = time.strip_suffix(['Z', 'z']) {
        (stripped, "")
    } else if let Some(idx) = time.rfind(['+', '-']) {
        (&time[..idx], &time[idx..])
    } else {
        return false;
    };
    let clock = clock.split('.').next().unwrap_or("");
    let hms: Vec<&str> = clock.split(':').collect();
    let ok_clock = hms.len() == 3
        && hms.iter().all(|p| p.len() == 2)
        && digits(hms[0]).is_some_and(|h| h < 24)
        && digits(hms[1]).is_some_and(|m| m < 60)
        && digits(hms[2]).is_some_and(|s| s <= 60);
    let ok_zone = zone.is_empty()
        || (zone.len() == 6
            && digits(&zone[1..3]).is_some_and(|h| h < 24)
            && &zone[3..4] == ":"
            && digits(&zone[4..6]).is_some_and(|m| m < 60));
    ok_clock && ok_zone
}

/// A BCP 47 tag in shape: a language subtag of two or three letters (the
/// ISO 639 codes; longer ones are reserved or registered for no language,
/// so `Polish` is a name, not a tag) or `x`/`i` for private and old tags,
/// then subtags of one to eight letters or digits.
pub fn is_language_tag(s: &str) -> bool {
    let mut parts = s.split('-');
    let first = parts.next().unwrap_or("");
    let language = (2..=3).contains(&first.len()) && first.bytes().all(|b| b.is_ascii_alphabetic());
    let private = first.eq_ignore_ascii_case("x") || first.eq_ignore_ascii_case("i");
    let mut rest = parts.peekable();
    (language || (private && rest.peek().is_some()))
        && rest.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// The tag of a language written by its English name (`Polish`, `polish
/// language`), for the languages of most news sources.
fn tag_for_language_name(name: &str) -> Option<&'static str> {
    const NAMES: &[(&str, &str)] = &[
        ("arabic", "ar"),
        ("belarusian", "be"),
        ("bulgarian", "bg"),
        ("chinese", "zh"),
        ("czech", "cs"),
        ("danish", "da"),
        ("dutch", "nl"),
        ("english", "en"),
        ("estonian", "et"),
        ("finnish", "fi"),
        ("french", "fr"),
        ("georgian", "ka"),
        ("german", "de"),
        ("greek", "el"),
        ("hebrew", "he"),
        ("hindi", "hi"),
        ("hungarian", "hu"),
        ("italian", "it"),
        ("japanese", "ja"),
        ("kazakh", "kk"),
        ("korean", "ko"),
        ("latvian", "lv"),
        ("lithuanian", "lt"),
        ("norwegian", "no"),
        ("persian", "fa"),
        ("polish", "pl"),
        ("portuguese", "pt"),
        ("romanian", "ro"),
        ("russian", "ru"),
        ("serbian", "sr"),
        ("slovak", "sk"),
        ("spanish", "es"),
        ("swedish", "sv"),
        ("turkish", "tr"),
        ("ukrainian", "uk"),
    ];
    let name = name.trim().to_ascii_lowercase();
    let name = name.strip_suffix(" language").unwrap_or(&name).trim();
    NAMES
        .iter()
        .find(|(english, _)| *english == name)
        .map(|(_, tag)| *tag)
}

fn is_url(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once("://") else {
        return false;
    };
    matches!(scheme, "http" | "https") && !rest.is_empty() && !s.contains(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert!(is_date("2025-06-17"));
        assert!(is_date("2024-02-29"));
        assert!(!is_date("2025-02-29"));
        assert!(!is_date("2025-13-01"));
        assert!(!is_date("17.06.2025"));
        assert!(is_date_or_datetime("2025-06-17T10:30:00Z"));
        assert!(is_date_or_datetime("2025-06-17T10:30:00.5+03:00"));
        assert!(!is_date_or_datetime("2025-06-17T25:30:00Z"));
    }

    #[test]
    fn languages() {
        assert!(is_language_tag("pl"));
        assert!(is_language_tag("pt-BR"));
        assert!(is_language_tag("zh-Hant-TW"));
        assert!(!is_language_tag("polish language"));
        assert!(!is_language_tag("p"));
        assert!(!is_language_tag("Polish"));
        assert!(is_language_tag("x-klingon"));
        assert!(!is_language_tag("x"));
        assert_eq!(tag_for_language_name("Polish"), Some("pl"));
        assert_eq!(tag_for_language_name("polish language"), Some("pl"));
        assert_eq!(tag_for_language_name("Klingon"), None);
    }
}
