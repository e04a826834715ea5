//! Random well-formed programs, as token lists joined with random white space, for the
//! formatter's properties: every construct of the language, the second edition's
//! (LANGUAGE.md §6) included.

mod exprs;
mod items;
mod stmts;

use proptest::prelude::*;

pub(crate) use exprs::expr_toks;

/// A program: its tokens, in order.
pub type Tokens = Vec<String>;

pub(crate) fn t(s: &str) -> String {
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

pub(crate) fn ident() -> impl Strategy<Value = String> {
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

pub(crate) fn literal() -> impl Strategy<Value = String> {
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

pub(crate) fn ty() -> impl Strategy<Value = Tokens> {
    let named = prop_oneof![
        prop::sample::select(vec![
            "int", "float", "string", "Dataset", "Model", "list", "Opts"
        ])
        .prop_map(|n| vec![t(n)]),
        ident().prop_map(|ns| vec![ns, t("."), t("Kind")]),
    ];
    named.prop_recursive(2, 6, 1, |inner| {
        let wrapped = |name: &'static str| {
            move |mut ty: Tokens| {
                let mut out = vec![t(name), t("<")];
                out.append(&mut ty);
                out.push(t(">"));
                out
            }
        };
        prop_oneof![
            inner.clone().prop_map(wrapped("list")),
            inner.clone().prop_map(wrapped("dict")),
            inner.prop_map(|mut ty| {
                ty.push(t("?"));
                ty
            }),
        ]
    })
}

/// `( items )` with commas and maybe a trailing comma.
pub(crate) fn parenthesized(items: Vec<Tokens>, trailing: bool, open: &str, close: &str) -> Tokens {
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

pub fn file() -> impl Strategy<Value = Tokens> {
    prop::collection::vec(items::item(), 0..5).prop_map(|items| items.concat())
}
