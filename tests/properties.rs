//! Property tests: anchoring any substring of a real seed and validating
//! passes; changing any one character of the quote fails with
//! `quote-mismatch`; no input makes the loader panic.

use annot::commands;
use annot::finding::{Code, Severity};
use annot::yaml;
use proptest::prelude::*;
use std::path::Path;

const SEEDS: &[&str] = &[
    "000_58609d336a8452fe.txt",
    "001_103467036a155fe5.txt",
    "002_3861d88ad1879eea.txt",
    "003_6d7181ade73e1d6e.txt",
    "004_18b42087b80df9f9.txt",
];

struct Fixture {
    dir: tempfile::TempDir,
    texts: Vec<Vec<char>>,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("annotations")).unwrap();
    std::fs::create_dir_all(root.join("seeds")).unwrap();
    std::fs::create_dir_all(root.join("schema")).unwrap();
    std::fs::write(
        root.join("schema/vocabulary.yaml"),
        "kinds: {claim: {anchored: true}}\n",
    )
    .unwrap();
    std::fs::write(root.join(".gitattributes"), "seeds/** -text\n").unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut texts = Vec::new();
    for seed in SEEDS {
        let text = std::fs::read_to_string(repo.join("seeds").join(seed)).unwrap();
        std::fs::write(root.join("seeds").join(seed), &text).unwrap();
        texts.push(text.chars().collect());
    }
    Fixture { dir, texts }
}

fn write_annotation(root: &Path, seed: &str, fields: &str) {
    std::fs::write(
        root.join("annotations/p.yaml"),
        format!("source: seeds/{seed}\nannotations:\n  - id: p1\n    kind: claim\n{fields}"),
    )
    .unwrap();
}

fn errors(root: &Path) -> Vec<(Code, String)> {
    commands::validate(root, false)
        .unwrap()
        .findings
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| (f.code, f.message))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn anchoring_any_substring_then_validating_passes(seed in 0..SEEDS.len(), a in 0.0f64..1.0, len in 1usize..120) {
        let fx = fixture();
        let root = fx.dir.path();
        let chars = &fx.texts[seed];
        let start = ((chars.len() - 1) as f64 * a) as usize;
        let end = (start + len).min(chars.len());
        let quote: String = chars[start..end].iter().collect();
        write_annotation(root, SEEDS[seed], &format!("    quote: {}\n", yaml::quoted(&quote)));
        let anchoring = commands::anchor(root, &[], false).unwrap();
        if anchoring.findings.iter().any(|f| f.code == Code::AmbiguousQuote) {
            // Not unique: give the offsets, and anchor adds the context.
            write_annotation(root, SEEDS[seed], &format!("    quote: {}\n    start: {start}\n    end: {end}\n", yaml::quoted(&quote)));
            let anchoring = commands::anchor(root, &[], false).unwrap();
            prop_assert!(anchoring.findings.is_empty(), "{:?}", anchoring.findings);
        } else {
            prop_assert!(anchoring.findings.is_empty(), "{:?}", anchoring.findings);
        }
        prop_assert_eq!(errors(root), vec![]);
        let validation = commands::validate(root, false).unwrap();
        prop_assert!(
            !validation.findings.iter().any(|f| f.code == Code::AmbiguousQuote),
            "{:?}", validation.findings
        );
    }

    #[test]
    fn changing_one_character_of_the_quote_fails(seed in 0..SEEDS.len(), a in 0.0f64..1.0, len in 1usize..80, at in 0.0f64..1.0, replacement in prop::char::any()) {
        let fx = fixture();
        let root = fx.dir.path();
        let chars = &fx.texts[seed];
        let start = ((chars.len() - 1) as f64 * a) as usize;
        let end = (start + len).min(chars.len());
        let mut quote: Vec<char> = chars[start..end].to_vec();
        let i = ((quote.len() - 1) as f64 * at) as usize;
        prop_assume!(quote[i] != replacement);
        quote[i] = replacement;
        let quote: String = quote.into_iter().collect();
        let sha = annot::source::sha256_hex(&std::fs::read(root.join("seeds").join(SEEDS[seed])).unwrap());
        std::fs::write(
            root.join("annotations/p.yaml"),
            format!("source: seeds/{}\nsha256: {sha}\nannotations:\n  - id: p1\n    kind: claim\n    quote: {}\n    start: {start}\n    end: {end}\n", SEEDS[seed], yaml::quoted(&quote)),
        ).unwrap();
        let codes: Vec<Code> = errors(root).into_iter().map(|(c, _)| c).collect();
        prop_assert_eq!(codes, vec![Code::QuoteMismatch]);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = annot::load::annotation_file("annotations/x.yaml", &bytes);
        let _ = annot::load::vocabulary("schema/vocabulary.yaml", &bytes);
        let _ = annot::load::sources_meta("seeds/sources.yaml", &bytes);
    }

    #[test]
    fn yaml_like_text_never_panics(text in "[a-z:{}\\[\\]\\-&*!|>'\" \n#,0-9]{0,300}") {
        let _ = annot::load::annotation_file("annotations/x.yaml", text.as_bytes());
    }
}
