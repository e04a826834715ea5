//! `reparse` must always give exactly what a full parse gives, and must take its fast path
//! (re-parsing only the edited statements) for the edits of everyday typing.

use mlforge_syntax::{parse, reparse, reparse_edited_statements};
use proptest::prelude::*;

/// The spec examples and a generated program with `for`, `if`, comments and doc comments.
fn corpus() -> &'static [String] {
    static CORPUS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    CORPUS.get_or_init(load_corpus)
}

fn load_corpus() -> Vec<String> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");
    let mut texts = vec![
        std::fs::read_to_string(format!("{root}/quickstart.mlf")).unwrap(),
        std::fs::read_to_string(format!("{root}/compose.mlf")).unwrap(),
    ];
    let synth = mlforge_synth::generate(60);
    texts.extend(synth.into_iter().map(|(_, text)| text));
    // Doc comments inside blocks, and a statement after an attribute.
    texts.push(
        "op f(x: int) -> (y: int) { python \"\"\"print(1)\"\"\" }\n\
         pipeline p(n: int = 1) {\n  /// first\n  step a = f(x: n)\n  retries = 2\n  \
         for i in [1, 2] {\n    /// inner\n    step b = f(x: i) // trailing\n    step c = f(x: a.y)\n  }\n  \
         if n > 0 {\n    step d = f(x: 1)\n  } else {\n    step e = f(x: 2) after a\n  }\n  \
         output o = a.y\n}\n"
            .to_string(),
    );
    texts
}

/// Applies the edit and checks the re-parse against a full parse of the result.
fn assert_reparse_matches(old: &str, new: &str) {
    let old_parse = parse(old);
    let expected = parse(new);
    let got = reparse(&old_parse, old, new);
    assert_eq!(
        got, expected,
        "re-parse differs after editing\n{old}\n-- into --\n{new}"
    );
}

/// What typing inserts: characters that open and close strings, comments and blocks, names,
/// numbers, whole statements and Unicode.
const SNIPPETS: &[&str] = &[
    "",
    "1",
    "x",
    "_",
    " ",
    "\n",
    "(",
    ")",
    "{",
    "}",
    "\"",
    ",",
    ":",
    ".",
    "=",
    "//",
    "/*",
    "*/",
    "///doc\n",
    "\"\"\"",
    "after a",
    "step z = f(x: 1)\n",
    "é",
    "è",
    "ü café",
    "0.5",
    "30m",
    "for",
    "if",
    "  step q = ops.load(seed: 1, rows: 2)\n",
    "output w = 1\n",
    "retries = 3\n",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn reparse_equals_a_full_parse(
        which in 0usize..64,
        at in 0.0f64..1.0,
        delete in prop_oneof![Just(0usize), 0usize..3, 0usize..40],
        snippet in 0usize..SNIPPETS.len(),
    ) {
        let old = &corpus()[which % corpus().len()];
        let new = mlforge_synth::edited(old, (at * old.len() as f64) as usize, delete, SNIPPETS[snippet]);
        assert_reparse_matches(old, &new);
        // And back, from a text that may have errors.
        assert_reparse_matches(&new, old);
    }
}

fn replace_first(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} is in the text");
    text.replacen(from, to, 1)
}

/// The everyday edits take the fast path, and it agrees with a full parse.
#[test]
fn typing_inside_statements_reparses_only_them() {
    let synth = mlforge_synth::generate(60);
    let main = &synth.iter().find(|(n, _)| n == "main.mlf").unwrap().1;
    let edits = [
        ("a digit added to an argument", "rows: 500)", "rows: 5001)"),
        ("a digit removed", "rows: 500)", "rows: 50)"),
        ("a step renamed", "step s1_3 =", "step s1_3x ="),
        (
            "an argument added",
            "how: \"left\")",
            "how: \"left\", extra: 1)",
        ),
        (
            "inside a `for` body",
            "step s2_4 = ops.train(data: s1_4.table",
            "step s2_4 = ops.train(data: s1_5.table",
        ),
        (
            "a new step between two",
            "  step s0_4 =",
            "  step n = ops.load(seed: 1, rows: 2)\n  step s0_4 =",
        ),
        (
            "a comment inside a step",
            "rows: 300)",
            "rows: /* three hundred */ 300)",
        ),
    ];
    for (what, from, to) in edits {
        let new = replace_first(main, from, to);
        let old_parse = parse(main);
        let fast = reparse_edited_statements(&old_parse, main, &new);
        assert!(fast.is_some(), "{what}: the fast path was taken");
        assert_eq!(fast.unwrap(), parse(&new), "{what}");
    }
}

/// A change inside a multi-byte character (`é` → `è` differ in the second byte) is a change
/// of the whole character, in statements and in comments.
#[test]
fn changes_inside_multibyte_characters_are_whole_characters() {
    use mlforge_syntax::changed_region;
    assert_eq!(changed_region("a é b", "a è b"), (2, 4));
    assert_eq!(changed_region("éé", "éè"), (2, 4));
    assert_eq!(changed_region("x", "x"), (1, 1));
    let text = "op f(x: string) -> (y: int) { python \"\"\"print(1)\"\"\" }\n\
                pipeline p() {\n  // café\n  step a = f(x: \"é\")\n  step b = f(x: \"ü\")\n}\n";
    for (from, to) in [
        ("café", "cafè"),
        ("x: \"é\"", "x: \"è\""),
        ("\"ü\"", "\"ä\""),
    ] {
        assert_reparse_matches(text, &text.replacen(from, to, 1));
    }
}

/// Edits outside statements, or that leave an error, need the full parse.
#[test]
fn edits_outside_statements_or_with_errors_parse_the_whole_file() {
    let synth = mlforge_synth::generate(60);
    let main = &synth.iter().find(|(n, _)| n == "main.mlf").unwrap().1;
    let edits = [
        ("a pipeline parameter", "seed: int = 7", "seed: int = 8"),
        ("an attribute of the pipeline", "retries = 1", "retries = 2"),
        ("a broken argument list", "rows: 500)", "rows: 500"),
        ("an unterminated string", "how: \"left\")", "how: \"left)"),
        (
            "a comment that swallows the closing parenthesis",
            "rows: 500)",
            "rows: 500 //)",
        ),
    ];
    for (what, from, to) in edits {
        let new = replace_first(main, from, to);
        assert!(
            reparse_edited_statements(&parse(main), main, &new).is_none(),
            "{what}: a full parse is needed"
        );
        assert_reparse_matches(main, &new);
    }
}
