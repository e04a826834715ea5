//! Pipeline statements: steps, outputs, `for` (one variable, or two over `zip`, or over
//! `range`) and `if`/`else if`/`else`, nested.

use proptest::prelude::*;

use super::{expr_toks, ident, parenthesized, t, Tokens};

fn step() -> impl Strategy<Value = Tokens> {
    let arg = (ident(), expr_toks()).prop_map(|(n, mut e)| {
        let mut out = vec![n, t(":")];
        out.append(&mut e);
        out
    });
    (
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
        })
}

/// What a `for` walks: any expression, `zip(a, b)` or `range(n)`.
fn loop_header() -> impl Strategy<Value = Tokens> {
    let zip = (ident(), prop::option::of(ident()), expr_toks(), expr_toks()).prop_map(
        |(x, y, mut a, mut b)| {
            let mut out = vec![t("for"), x];
            if let Some(y) = y {
                out.push(t(","));
                out.push(y);
            }
            out.extend([t("in"), t("zip"), t("(")]);
            out.append(&mut a);
            out.push(t(","));
            out.append(&mut b);
            out.push(t(")"));
            out
        },
    );
    let range = (ident(), expr_toks()).prop_map(|(i, mut n)| {
        let mut out = vec![t("for"), i, t("in"), t("range"), t("(")];
        out.append(&mut n);
        out.push(t(")"));
        out
    });
    let plain = (ident(), expr_toks()).prop_map(|(v, mut e)| {
        let mut out = vec![t("for"), v, t("in")];
        out.append(&mut e);
        out
    });
    prop_oneof![2 => plain, 1 => zip, 1 => range]
}

pub(super) fn stmt() -> impl Strategy<Value = Tokens> {
    let output = (ident(), expr_toks()).prop_map(|(n, mut e)| {
        let mut out = vec![t("output"), n, t("=")];
        out.append(&mut e);
        out
    });
    let leaf = prop_oneof![3 => step(), 1 => output];
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
            (loop_header(), block.clone()).prop_map(|(mut header, mut b)| {
                header.append(&mut b);
                header
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
