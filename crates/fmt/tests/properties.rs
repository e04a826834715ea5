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

/// Random well-formed programs, as token lists joined with random white space.
mod gen {
    use proptest::prelude::*;

    /// A program: its tokens, in order.
    pub type Tokens = Vec<String>;

    fn t(s: &str) -> String {
        s.to_string()
    }

    /// The tokens joined by white space chosen from `seed`: spaces, tabs, line breaks,
    /// blank lines, deep or no indentation.
    pub fn layout(tokens: &Tokens, seed: u64) -> String {
        let mut state = seed | 1;
        let mut out = String::new();
        for (i, tok) in tokens.iter().enumerate() {
            if i > 0 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                out.push_str(match state % 11 {
                    0 => "\n",
                    1 => "\n\n",
                    2 => "\n\n\n    ",
                    3 => "\t",
                    4 => "\n        ",
                    5 => "  ",
                    _ => " ",
                });
            }
            out.push_str(tok);
        }
        out.push('\n');
        out
    }

    fn ident() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "a",
            "b",
            "data",
            "fit",
            "x1",
            "_y",
            "model",
            "rate",
            "list",
            "very_long_name_here",
        ])
        .prop_map(String::from)
    }

    fn literal() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "0",
            "42",
            "007",
            "1.5",
            "1e-3",
            "2.5E+4",
            "\"s\"",
            "\"a\\n\\\"b\\\" // not a comment\"",
            "\"\"",
            "true",
            "false",
            "30m",
            "1d",
        ])
        .prop_map(String::from)
    }

    /// An expression tree; printed with the parentheses precedence needs, and more.
    #[derive(Clone, Debug)]
    pub enum E {
        Leaf(Vec<String>),
        List(Vec<E>),
        Not(Box<E>),
        Neg(Box<E>),
        Bin(&'static str, Box<E>, Box<E>),
        Paren(Box<E>),
    }

    fn prec(op: &str) -> u8 {
        match op {
            "or" => 1,
            "and" => 2,
            "==" | "!=" | "<" | "<=" | ">" | ">=" => 4,
            "+" | "-" => 5,
            _ => 6,
        }
    }

    fn strength(e: &E) -> u8 {
        match e {
            E::Bin(op, ..) => prec(op),
            E::Not(_) => 3,
            E::Neg(_) => 7,
            _ => 8,
        }
    }

    pub fn expr_tokens(e: &E, min: u8, out: &mut Tokens) {
        let paren = strength(e) < min;
        if paren {
            out.push(t("("));
        }
        match e {
            E::Leaf(tokens) => out.extend(tokens.iter().cloned()),
            E::List(items) => {
                out.push(t("["));
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(t(","));
                    }
                    expr_tokens(item, 0, out);
                }
                out.push(t("]"));
            }
            E::Not(x) => {
                out.push(t("not"));
                expr_tokens(x, 3, out);
            }
            E::Neg(x) => {
                out.push(t("-"));
                expr_tokens(x, 7, out);
            }
            E::Bin(op, l, r) => {
                let p = prec(op);
                let (lp, rp) = if p == 4 { (5, 5) } else { (p, p + 1) };
                expr_tokens(l, lp, out);
                out.push(t(op));
                expr_tokens(r, rp, out);
            }
            E::Paren(x) => {
                out.push(t("("));
                expr_tokens(x, 0, out);
                out.push(t(")"));
            }
        }
        if paren {
            out.push(t(")"));
        }
    }

    pub fn expr() -> impl Strategy<Value = E> {
        let leaf = prop_oneof![
            literal().prop_map(|l| E::Leaf(vec![l])),
            ident().prop_map(|n| E::Leaf(vec![n])),
            (ident(), ident()).prop_map(|(a, b)| E::Leaf(vec![a, t("."), b])),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(E::List),
                inner.clone().prop_map(|e| E::Not(Box::new(e))),
                inner.clone().prop_map(|e| E::Neg(Box::new(e))),
                inner.clone().prop_map(|e| E::Paren(Box::new(e))),
                (
                    prop::sample::select(vec![
                        "or", "and", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/",
                    ]),
                    inner.clone(),
                    inner
                )
                    .prop_map(|(op, l, r)| E::Bin(op, Box::new(l), Box::new(r))),
            ]
        })
    }

    fn expr_toks() -> impl Strategy<Value = Tokens> {
        expr().prop_map(|e| {
            let mut out = Vec::new();
            expr_tokens(&e, 0, &mut out);
            out
        })
    }

    fn ty() -> impl Strategy<Value = Tokens> {
        let named = prop_oneof![
            prop::sample::select(vec!["int", "float", "Dataset", "Model", "list"])
                .prop_map(|n| vec![t(n)]),
            ident().prop_map(|ns| vec![ns, t("."), t("Kind")]),
        ];
        named.prop_recursive(2, 6, 1, |inner| {
            prop_oneof![
                inner.clone().prop_map(|mut ty| {
                    let mut out = vec![t("list"), t("<")];
                    out.append(&mut ty);
                    out.push(t(">"));
                    out
                }),
                inner.prop_map(|mut ty| {
                    ty.push(t("?"));
                    ty
                }),
            ]
        })
    }

    /// `( items )` with commas and maybe a trailing comma.
    fn parenthesized(items: Vec<Tokens>, trailing: bool, open: &str, close: &str) -> Tokens {
        let mut out = vec![t(open)];
        let n = items.len();
        for (i, mut item) in items.into_iter().enumerate() {
            out.append(&mut item);
            if i + 1 < n || trailing {
                out.push(t(","));
            }
        }
        out.push(t(close));
        out
    }

    fn params() -> impl Strategy<Value = Tokens> {
        let param = (ident(), ty(), prop::option::of(expr_toks())).prop_map(|(n, mut ty, d)| {
            let mut out = vec![n, t(":")];
            out.append(&mut ty);
            if let Some(mut d) = d {
                out.push(t("="));
                out.append(&mut d);
            }
            out
        });
        (prop::collection::vec(param, 0..5), any::<bool>())
            .prop_map(|(ps, trailing)| parenthesized(ps, trailing, "(", ")"))
    }

    fn outputs() -> impl Strategy<Value = Tokens> {
        let output = (ident(), ty()).prop_map(|(n, mut ty)| {
            let mut out = vec![n, t(":")];
            out.append(&mut ty);
            out
        });
        (prop::collection::vec(output, 0..4), any::<bool>()).prop_map(|(os, trailing)| {
            let mut out = vec![t("->")];
            out.append(&mut parenthesized(os, trailing, "(", ")"));
            out
        })
    }

    fn attribute() -> impl Strategy<Value = Tokens> {
        let simple = (ident(), expr_toks()).prop_map(|(n, mut e)| {
            let mut out = vec![n, t("=")];
            out.append(&mut e);
            out
        });
        simple.prop_recursive(2, 8, 4, |inner| {
            (ident(), prop::collection::vec((inner, any::<bool>()), 0..4)).prop_map(
                |(n, entries)| {
                    let mut out = vec![n, t("{")];
                    for (mut entry, comma) in entries {
                        out.append(&mut entry);
                        if comma {
                            out.push(t(","));
                        }
                    }
                    out.push(t("}"));
                    out
                },
            )
        })
    }

    fn body() -> impl Strategy<Value = Tokens> {
        let line = (
            0usize..3,
            prop::sample::select(vec![
                "import os",
                "x = ${a} + 1",
                "// not a comment, ${b}",
                "echo \"$${HOME}\"",
                "",
                "   ",
            ]),
        )
            .prop_map(|(depth, code)| format!("{}{}", "  ".repeat(depth), code));
        let inline = (
            prop::collection::vec(line, 0..5),
            0usize..8,
            0usize..6,
            any::<bool>(),
        )
            .prop_map(|(lines, indent, close_indent, one_line)| {
                if one_line {
                    return t("\"\"\" echo one \"\"\"");
                }
                let pad = " ".repeat(indent);
                let mut text = String::from("\"\"\"\n");
                for line in lines {
                    if !line.trim().is_empty() {
                        text.push_str(&pad);
                    }
                    text.push_str(&line);
                    text.push('\n');
                }
                text.push_str(&" ".repeat(close_indent));
                text.push_str("\"\"\"");
                text
            });
        (
            prop::sample::select(vec!["python", "shell"]),
            prop_oneof![
                3 => inline.prop_map(|b| vec![b]),
                1 => Just(vec![t("file"), t("\"run.py\"")]),
            ],
        )
            .prop_map(|(lang, mut source)| {
                let mut out = vec![t(lang)];
                out.append(&mut source);
                out
            })
    }

    fn stmt() -> impl Strategy<Value = Tokens> {
        let arg = (ident(), expr_toks()).prop_map(|(n, mut e)| {
            let mut out = vec![n, t(":")];
            out.append(&mut e);
            out
        });
        let step = (
            ident(),
            prop::option::of(ident()),
            ident(),
            prop::collection::vec(arg, 0..4),
            any::<bool>(),
            prop::collection::vec(ident(), 0..3),
        )
            .prop_map(|(name, ns, callee, args, trailing, after)| {
                let mut out = vec![t("step"), name, t("=")];
                if let Some(ns) = ns {
                    out.push(ns);
                    out.push(t("."));
                }
                out.push(callee);
                out.append(&mut parenthesized(args, trailing, "(", ")"));
                if !after.is_empty() {
                    out.push(t("after"));
                    for (i, a) in after.into_iter().enumerate() {
                        if i > 0 {
                            out.push(t(","));
                        }
                        out.push(a);
                    }
                }
                out
            });
        let output = (ident(), expr_toks()).prop_map(|(n, mut e)| {
            let mut out = vec![t("output"), n, t("=")];
            out.append(&mut e);
            out
        });
        let leaf = prop_oneof![3 => step, 1 => output];
        leaf.prop_recursive(3, 24, 5, |inner| {
            let block = prop::collection::vec(inner, 0..4).prop_map(|stmts| {
                let mut out = vec![t("{")];
                for mut s in stmts {
                    out.append(&mut s);
                }
                out.push(t("}"));
                out
            });
            prop_oneof![
                (ident(), expr_toks(), block.clone()).prop_map(|(v, mut e, mut b)| {
                    let mut out = vec![t("for"), v, t("in")];
                    out.append(&mut e);
                    out.append(&mut b);
                    out
                }),
                (
                    expr_toks(),
                    block.clone(),
                    prop::option::of(block.clone()),
                    prop::option::of((expr_toks(), block.clone()))
                )
                    .prop_map(|(mut c, mut b, else_block, else_if)| {
                        let mut out = vec![t("if")];
                        out.append(&mut c);
                        out.append(&mut b);
                        if let Some((mut c2, mut b2)) = else_if {
                            out.push(t("else"));
                            out.push(t("if"));
                            out.append(&mut c2);
                            out.append(&mut b2);
                        }
                        if let Some(mut e) = else_block {
                            out.push(t("else"));
                            out.append(&mut e);
                        }
                        out
                    }),
            ]
        })
    }

    fn item() -> impl Strategy<Value = Tokens> {
        let import = (
            prop::sample::select(vec!["\"ops.mlf\"", "\"../io.mlf\""]),
            prop::option::of(ident()),
        )
            .prop_map(|(path, alias)| {
                let mut out = vec![t("import"), t(path)];
                if let Some(alias) = alias {
                    out.push(t("as"));
                    out.push(alias);
                }
                out
            });
        let artifact = (ident(), prop::option::of(ty())).prop_map(|(n, base)| {
            let mut out = vec![t("artifact"), n];
            if let Some(mut base) = base {
                out.push(t(":"));
                out.append(&mut base);
            }
            out
        });
        let op_member = prop_oneof![attribute(), body()];
        let op = (
            ident(),
            params(),
            prop::option::of(outputs()),
            prop::collection::vec(op_member, 0..4),
        )
            .prop_map(|(n, mut ps, os, members)| {
                let mut out = vec![t("op"), n];
                out.append(&mut ps);
                if let Some(mut os) = os {
                    out.append(&mut os);
                }
                out.push(t("{"));
                for mut m in members {
                    out.append(&mut m);
                }
                out.push(t("}"));
                out
            });
        let pipeline_member = prop_oneof![1 => attribute(), 3 => stmt()];
        let pipeline = (
            ident(),
            params(),
            prop::option::of(outputs()),
            prop::collection::vec(pipeline_member, 0..7),
        )
            .prop_map(|(n, mut ps, os, members)| {
                let mut out = vec![t("pipeline"), n];
                out.append(&mut ps);
                if let Some(mut os) = os {
                    out.append(&mut os);
                }
                out.push(t("{"));
                for mut m in members {
                    out.append(&mut m);
                }
                out.push(t("}"));
                out
            });
        prop_oneof![1 => import, 1 => artifact, 2 => op, 3 => pipeline]
    }

    pub fn file() -> impl Strategy<Value = Tokens> {
        prop::collection::vec(item(), 0..5).prop_map(|items| items.concat())
    }
}
