//! Random expressions, printed with the parentheses precedence needs (and some more):
//! operators, lists, record and dict literals, field access, indexing (negative too) and
//! the built-in functions.

use proptest::prelude::*;

use super::{ident, literal, t, Tokens};

#[derive(Clone, Debug)]
pub enum E {
    Leaf(Vec<String>),
    List(Vec<E>),
    /// `{name: value, …}`, maybe with a trailing comma.
    Record(Vec<(String, E)>, bool),
    /// `{"key": value, …}`, maybe with a trailing comma.
    Dict(Vec<(String, E)>, bool),
    /// `base.field` on any primary.
    Member(Box<E>, String),
    /// `base[index]`.
    Index(Box<E>, Box<E>),
    /// `zip(a, b)`, `range(n)`, `present(xs)`, or another name.
    Call(String, Vec<E>),
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

/// `items` separated by commas, maybe with a trailing one.
fn separated(items: &[(String, E)], trailing: bool, key: fn(&str) -> String, out: &mut Tokens) {
    for (i, (name, value)) in items.iter().enumerate() {
        if i > 0 {
            out.push(t(","));
        }
        out.push(key(name));
        out.push(t(":"));
        expr_tokens(value, 0, out);
    }
    if trailing && !items.is_empty() {
        out.push(t(","));
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
        E::Record(fields, trailing) => {
            out.push(t("{"));
            separated(fields, *trailing, |n| n.to_string(), out);
            out.push(t("}"));
        }
        E::Dict(entries, trailing) => {
            out.push(t("{"));
            separated(entries, *trailing, |k| format!("{k:?}"), out);
            out.push(t("}"));
        }
        E::Member(base, field) => {
            expr_tokens(base, 8, out);
            out.push(t("."));
            out.push(field.clone());
        }
        E::Index(base, index) => {
            expr_tokens(base, 8, out);
            out.push(t("["));
            expr_tokens(index, 0, out);
            out.push(t("]"));
        }
        E::Call(name, args) => {
            out.push(name.clone());
            out.push(t("("));
            for (i, arg) in args.iter().enumerate() {
                if i > 0 {
                    out.push(t(","));
                }
                expr_tokens(arg, 0, out);
            }
            out.push(t(")"));
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

fn key() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "a",
        "low",
        "with space",
        "q\"uote",
        "",
        "é",
        "a key long enough to need its own line",
    ])
    .prop_map(String::from)
}

pub fn expr() -> impl Strategy<Value = E> {
    let leaf = prop_oneof![
        literal().prop_map(|l| E::Leaf(vec![l])),
        ident().prop_map(|n| E::Leaf(vec![n])),
        (ident(), ident()).prop_map(|(a, b)| E::Leaf(vec![a, t("."), b])),
        Just(E::Record(Vec::new(), false)),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        let entries = |name: BoxedStrategy<String>, inner: BoxedStrategy<E>| {
            (prop::collection::vec((name, inner), 1..6), any::<bool>())
        };
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(E::List),
            entries(ident().boxed(), inner.clone().boxed()).prop_map(|(f, tr)| E::Record(f, tr)),
            entries(key().boxed(), inner.clone().boxed()).prop_map(|(d, tr)| E::Dict(d, tr)),
            (inner.clone(), ident()).prop_map(|(b, f)| E::Member(Box::new(b), f)),
            (inner.clone(), inner.clone()).prop_map(|(b, i)| E::Index(Box::new(b), Box::new(i))),
            (ident(), 0i64..3).prop_map(|(b, i)| E::Index(
                Box::new(E::Leaf(vec![b])),
                Box::new(E::Neg(Box::new(E::Leaf(vec![i.to_string()])))),
            )),
            (
                prop::sample::select(vec!["zip", "range", "present", "other"]),
                prop::collection::vec(inner.clone(), 0..3)
            )
                .prop_map(|(f, args)| E::Call(f.to_string(), args)),
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

pub fn expr_toks() -> impl Strategy<Value = Tokens> {
    expr().prop_map(|e| {
        let mut out = Vec::new();
        expr_tokens(&e, 0, &mut out);
        out
    })
}
