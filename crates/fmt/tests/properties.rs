//! Property tests of the formatter: for every input it formats,
//!
//! - formatting is idempotent: `format(format(x)) == format(x)`;
//! - the program is unchanged: the trees of input and output are equal once spans are
//!   erased and bodies de-indented (checked here independently of the crate's own check,
//!   through the trees' `Debug` text);
//! - the comments are the same, in the same order;
//!
//! over the examples (as they are, and with comments inserted at random token boundaries)
//! and over generated programs with random layout and comments scattered everywhere.

use std::path::{Path, PathBuf};

use mlforge_syntax::ast::{BodySource, Item, SourceFile};
use proptest::prelude::*;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The examples: name and text.
fn examples() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).expect("a readable folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "mlf") {
                let text = std::fs::read_to_string(&path).expect("an example is readable");
                out.push((path.display().to_string(), text));
            }
        }
    }
    let mut found = Vec::new();
    walk(&root().join("examples"), &mut found);
    found.sort();
    assert!(found.len() >= 4, "the examples are found");
    found
}

/// The examples of the grammar that are whole programs (all of them parse).
fn grammar_examples() -> Vec<String> {
    let grammar =
        std::fs::read_to_string(root().join("grammar/mlforge.ebnf")).expect("the grammar");
    let mut found = Vec::new();
    let mut rest = grammar.as_str();
    let open = concat!("(", "*> example\n");
    while let Some(start) = rest.find(open) {
        rest = &rest[start + open.len()..];
        let mut example = String::new();
        for line in rest.lines().take_while(|l| *l != "*)") {
            example.push_str(line);
            example.push('\n');
        }
        rest = &rest[example.len()..];
        found.push(example);
    }
    assert!(found.len() > 50, "the grammar's examples are found");
    found
}

/// The program of a file, as text: its tree's `Debug` with every span erased and every
/// inline body de-indented.
fn program(text: &str) -> String {
    let parse = mlforge_syntax::parse(text);
    assert!(parse.errors.is_empty(), "{:?}\n{text}", parse.errors);
    let mut file: SourceFile = parse.file;
    for item in &mut file.items {
        if let Item::Op(op) = item {
            for body in &mut op.bodies {
                if let BodySource::Inline { text, .. } = &mut body.source {
                    *text = mlforge_syntax::body::dedent(text);
                }
            }
        }
    }
    erase_spans(&format!("{file:?}"))
}

/// `Debug` text with every `START..END` (how a span prints) replaced by `_`.
fn erase_spans(debug: &str) -> String {
    let bytes = debug.as_bytes();
    let mut out = String::with_capacity(debug.len());
    let mut i = 0;
    while i < bytes.len() {
        let digits = |from: usize| {
            bytes[from..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count()
        };
        let a = digits(i);
        if a > 0 && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()) {
            let dots = i + a;
            if bytes[dots..].starts_with(b"..") {
                let b = digits(dots + 2);
                if b > 0 {
                    out.push('_');
                    i = dots + 2 + b;
                    continue;
                }
            }
        }
        let ch = debug[i..].chars().next().expect("a character");
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

fn comments(text: &str) -> Vec<String> {
    mlforge_syntax::parse(text)
        .comments
        .iter()
        .map(|c| text[c.span.range()].trim().to_string())
        .collect()
}

/// The three properties, as a test case result.
fn check(input: &str) -> Result<(), TestCaseError> {
    let output = match mlforge_fmt::format(input) {
        Ok(output) => output,
        Err(e) => return Err(TestCaseError::fail(format!("{e}\n--- input:\n{input}"))),
    };
    let again = mlforge_fmt::format(&output)
        .map_err(|e| TestCaseError::fail(format!("{e}\n--- output:\n{output}")))?;
    prop_assert_eq!(&again, &output, "not idempotent; input:\n{}", input);
    prop_assert_eq!(
        program(input),
        program(&output),
        "the program changed; input:\n{}\n--- output:\n{}",
        input,
        output
    );
    prop_assert_eq!(
        comments(input),
        comments(&output),
        "the comments changed; input:\n{}\n--- output:\n{}",
        input,
        output
    );
    Ok(())
}

#[test]
fn the_checks_can_fail() {
    // The program comparison sees a change of meaning, and not one of layout.
    assert_ne!(
        program("pipeline p() { output x = 1 + 2 * 3 }"),
        program("pipeline p() { output x = (1 + 2) * 3 }")
    );
    assert_eq!(
        program("pipeline p() { output x = 1 + 2 * 3 }"),
        program("pipeline p() {\n  output x = 1 + (2 * 3)\n}\n")
    );
    assert_ne!(
        program("op f() { shell \"\"\"\n  a\n    b\n\"\"\" }"),
        program("op f() { shell \"\"\"\n  a\n  b\n\"\"\" }")
    );
    assert_eq!(
        erase_spans("Span 12..345, x2..3 \"é\""),
        "Span _, x2..3 \"é\""
    );
    assert_eq!(comments("a /* b */ // c\n"), ["/* b */", "// c"]);
}

#[test]
fn examples_and_grammar_examples() {
    for (name, text) in examples() {
        check(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    for text in grammar_examples() {
        check(&text).unwrap_or_else(|e| panic!("{e}"));
    }
    // The diagnostic examples that parse (the others are refused: see `layout.rs`).
    let mut checked = 0;
    for code in std::fs::read_dir(root().join("docs/diagnostics")).expect("the error examples") {
        let code = code.expect("an entry").path();
        for file in std::fs::read_dir(&code).into_iter().flatten() {
            let path = file.expect("an entry").path();
            if path.extension().is_some_and(|e| e == "mlf") {
                let text = std::fs::read_to_string(&path).expect("readable");
                if mlforge_syntax::parse(&text).errors.is_empty() {
                    check(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 40, "the error examples are found ({checked})");
}

// ---- Comments at random token boundaries ----

/// Trivia inserted between two tokens: white space, or a comment with its white space. A
/// line comment is always followed by a line break.
fn trivia(id: usize, choice: u8) -> String {
    match choice % 16 {
        0 => format!(" /* c{id} */ "),
        1 => format!(" // c{id}\n"),
        2 => format!("\n// c{id}\n"),
        3 => format!("\n\n// c{id}\n\n"),
        4 => format!("\n/* c{id} */\n"),
        5 => format!(" /* c{id}\n   more */ "),
        6 => format!("\n/// d{id}\n"),
        7 => format!(" /// d{id}\n"),
        8 => format!("/*c{id}*/"),
        9 => format!("\n  /* c{id} */ /* c{id}b */ // c{id}c\n"),
        10 => "\n\n\n".to_string(),
        11 => "\n".to_string(),
        12 => "\t".to_string(),
        13 => "\n      ".to_string(),
        _ => " ".to_string(),
    }
}

/// `text` with trivia inserted after the tokens chosen by `plan` (one entry per token
/// boundary, cycled): `None` keeps the boundary as it is.
fn scatter(text: &str, plan: &[Option<u8>]) -> String {
    let tokens = mlforge_syntax::lexer::lex(text).tokens;
    let mut out = String::with_capacity(text.len() * 2);
    let mut at = 0;
    let mut id = 0;
    for (i, (_, span)) in tokens.iter().enumerate() {
        let start = span.start as usize;
        out.push_str(&text[at..start]);
        if let Some(Some(choice)) = plan.get(i % plan.len().max(1)) {
            id += 1;
            let t = trivia(id, *choice);
            // The trivia stands alone: a space on each side, so that nothing glues to a
            // neighbouring slash or star.
            out.push(' ');
            out.push_str(&t);
            out.push(' ');
        }
        out.push_str(&text[start..span.end as usize]);
        at = span.end as usize;
    }
    if let Some(Some(choice)) = plan.get(tokens.len() % plan.len().max(1)) {
        out.push(' ');
        out.push_str(&trivia(id + 1, *choice));
    }
    out.push_str(&text[at..]);
    out
}

fn plan() -> impl Strategy<Value = Vec<Option<u8>>> {
    prop::collection::vec(prop::option::weighted(0.25, any::<u8>()), 1..200)
}

proptest! {
    // 96 cases a test by default; `PROPTEST_CASES=10000` for a longer search.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(96),
        ..ProptestConfig::default()
    })]

    #[test]
    fn examples_with_scattered_comments(which in 0usize..64, plan in plan()) {
        let all = examples();
        let (_, text) = &all[which % all.len()];
        check(&scatter(text, &plan))?;
    }

    #[test]
    fn grammar_examples_with_scattered_comments(which in 0usize..96, plan in plan()) {
        let all = grammar_examples();
        check(&scatter(&all[which % all.len()], &plan))?;
    }

    #[test]
    fn generated_programs(program in gen::file(), plan in plan(), layout in any::<u64>()) {
        let text = gen::layout(&program, layout);
        check(&text)?;
        check(&scatter(&text, &plan))?;
    }
}

mod gen;

/// The generator writes every construct the properties are meant to cover: a construct it
/// stopped writing would leave the formatter untested there, silently.
#[test]
fn generated_programs_cover_the_language() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    );
    let strategy = gen::file();
    let mut seen = String::new();
    for _ in 0..400 {
        let tokens = strategy.new_tree(&mut runner).expect("a program").current();
        seen.push_str(&tokens.join(" "));
        seen.push('\n');
    }
    for construct in [
        "record ",
        "op ",
        "pipeline ",
        "artifact ",
        "import ",
        "python def \"\"\"",
        "shell ",
        "secret ( ",
        "uses = [",
        "requires = [",
        "interpreter = ",
        "env { ",
        "start_date = ",
        "catchup = ",
        "tags = [",
        "owner = ",
        "for ",
        " , ",
        " in zip ( ",
        " in range ( ",
        "present ( ",
        "[ - ",
        " . ",
        "dict < ",
        ": { ",
        "\" : ",
        "else if ",
    ] {
        assert!(
            seen.contains(construct),
            "no generated program has `{construct}`"
        );
    }
}
