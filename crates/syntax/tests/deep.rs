//! Input nested as deep as the parser accepts parses without an error, one level more is
//! one "nested too deeply" error, and input far past the limit (the sizes that used to
//! overflow the stack) gets such errors and no other, on a test thread's small stack.

use mlforge_syntax::{parse, reparse, SyntaxErrorKind, MAX_NESTING};

/// A pipeline whose step passes `expr` as an argument: the argument sits 3 levels deep
/// (the file, the pipeline's braces, the argument list).
fn in_argument(expr: &str) -> String {
    format!("pipeline p() {{\n  step s = f(x: {expr})\n}}\n")
}

fn nested(open: &str, inner: &str, close: &str, n: usize) -> String {
    format!("{}{inner}{}", open.repeat(n), close.repeat(n))
}

fn chain(term: &str, op: &str, n: usize) -> String {
    vec![term; n].join(op)
}

fn ifs(n: usize) -> String {
    format!(
        "pipeline p() {{\n{}step s = f()\n{}}}\n",
        "if a {\n".repeat(n),
        "}\n".repeat(n)
    )
}

fn fors(n: usize) -> String {
    format!(
        "pipeline p() {{\n{}step s = f()\n{}}}\n",
        "for x in xs {\n".repeat(n),
        "}\n".repeat(n)
    )
}

fn else_ifs(n: usize) -> String {
    let mut text = String::from("pipeline p() {\n  if a { step s = f() }");
    for _ in 0..n {
        text.push_str(" else if a { step s = f() }");
    }
    text.push_str("\n}\n");
    text
}

fn list_type(n: usize) -> String {
    format!(
        "op o(x: {}) {{ python \"\"\"\"\"\" }}\n",
        nested("list<", "int", ">", n)
    )
}

/// The shapes, each with the largest size the limit allows.
type Shape = (&'static str, Box<dyn Fn(usize) -> String>, usize);

fn shapes() -> Vec<Shape> {
    let m = MAX_NESTING;
    vec![
        (
            "parentheses",
            Box::new(|n| in_argument(&nested("(", "1", ")", n))),
            m - 3,
        ),
        (
            "lists",
            Box::new(|n| in_argument(&nested("[", "1", "]", n))),
            m - 3,
        ),
        (
            "a sum",
            Box::new(|n| in_argument(&chain("1", " + ", n))),
            m - 2,
        ),
        (
            "`not`s",
            Box::new(|n| in_argument(&format!("{}true", "not ".repeat(n)))),
            m - 3,
        ),
        (
            "minus signs",
            Box::new(|n| in_argument(&format!("{}1", "-".repeat(n)))),
            m - 3,
        ),
        (
            "`and`s",
            Box::new(|n| in_argument(&chain("true", " and ", n))),
            m - 2,
        ),
        ("`if` blocks", Box::new(ifs), m - 3),
        ("`for` blocks", Box::new(fors), m - 3),
        ("an `else if` chain", Box::new(else_ifs), m - 4),
        ("list types", Box::new(list_type), m - 2),
    ]
}

fn too_deep(text: &str) -> usize {
    let parse = parse(text);
    for e in &parse.errors {
        assert_eq!(e.kind, SyntaxErrorKind::TooDeep, "{e:?} in {}", &text[..80]);
    }
    parse.errors.len()
}

#[test]
fn at_the_limit_parses_clean_and_one_past_it_is_one_error() {
    for (what, make, most) in shapes() {
        let ok = parse(&make(most));
        assert!(ok.errors.is_empty(), "{what} at {most}: {:?}", ok.errors);
        assert_eq!(too_deep(&make(most + 1)), 1, "{what} at {}", most + 1);
    }
}

#[test]
fn far_past_the_limit_is_one_error_and_no_crash() {
    for (what, make, _) in shapes() {
        for n in [3_000, 20_000] {
            let text = make(n);
            // One error, or two where a statement's argument list and the rest of a chain
            // are dropped separately.
            let errors = too_deep(&text);
            assert!((1..=2).contains(&errors), "{what} at {n}: {errors} errors");
        }
    }
    assert_eq!(too_deep(&in_argument(&chain("1", " + ", 100_000))), 1);
    assert_eq!(
        too_deep(&in_argument(&format!("{}true", "not ".repeat(100_000)))),
        1
    );
}

#[test]
fn unclosed_deep_nesting_is_reported_without_a_crash() {
    let parse = parse(&format!(
        "pipeline p() {{ step s = f(x: {}",
        "(".repeat(50_000)
    ));
    assert!(parse
        .errors
        .iter()
        .any(|e| e.kind == SyntaxErrorKind::TooDeep));
    let parse = mlforge_syntax::parse(&"{".repeat(50_000));
    assert!(parse
        .errors
        .iter()
        .any(|e| e.kind == SyntaxErrorKind::TooDeep));
}

/// An edit inside deeply nested blocks re-parses to what a full parse gives, also when it
/// takes the nesting past the limit.
#[test]
fn reparse_agrees_with_the_limit() {
    let n = MAX_NESTING - 4;
    let old = ifs(n);
    let old_parse = parse(&old);
    assert!(old_parse.errors.is_empty());
    let edits = [("f()", "g()"), ("f()", "f(x: (1))"), ("f()", "f(x: ((1)))")];
    for (from, to) in edits {
        let new = old.replacen(from, to, 1);
        assert_eq!(reparse(&old_parse, &old, &new), parse(&new), "{to}");
    }
    assert_eq!(too_deep(&old.replacen("f()", "f(x: ((1)))", 1)), 1);
}
