//! Items: imports, artifacts, records, ops (params, outputs, attributes, bodies) and
//! pipelines.

use proptest::prelude::*;

use super::stmts::stmt;
use super::{expr_toks, ident, parenthesized, t, ty, Tokens};

/// `name: T [= default]`: a param, or a record's field.
fn param() -> impl Strategy<Value = Tokens> {
    (ident(), ty(), prop::option::of(expr_toks())).prop_map(|(n, mut ty, d)| {
        let mut out = vec![n, t(":")];
        out.append(&mut ty);
        if let Some(mut d) = d {
            out.push(t("="));
            out.append(&mut d);
        }
        out
    })
}

fn params() -> impl Strategy<Value = Tokens> {
    (prop::collection::vec(param(), 0..5), any::<bool>())
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

/// `record NAME { field: T [= default] [,] … }`: fields separated by commas or not.
fn record() -> impl Strategy<Value = Tokens> {
    (
        ident(),
        prop::collection::vec((param(), any::<bool>()), 0..5),
    )
        .prop_map(|(name, fields)| {
            let mut out = vec![t("record"), name, t("{")];
            for (mut field, comma) in fields {
                out.append(&mut field);
                if comma {
                    out.push(t(","));
                }
            }
            out.push(t("}"));
            out
        })
}

/// `secret("NAME")`, an attribute's value.
fn secret() -> impl Strategy<Value = Tokens> {
    prop::sample::select(vec!["\"API_TOKEN\"", "\"X\"", "\"\""])
        .prop_map(|name| vec![t("secret"), t("("), t(name), t(")")])
}

/// The attributes the language knows, with values of their kind.
fn known_attribute() -> impl Strategy<Value = Tokens> {
    let string_list = prop::collection::vec(
        prop::sample::select(vec!["\"src/helpers.py\"", "\"lib/\"", "\"pandas>=2.1\""]),
        0..3,
    )
    .prop_map(|items| {
        let items = items.into_iter().map(|i| vec![t(i)]).collect();
        parenthesized(items, false, "[", "]")
    });
    let value = |v: &'static str| Just(vec![t(v)]);
    let named = |name: &'static str, value: BoxedStrategy<Tokens>| {
        value.prop_map(move |mut v| {
            let mut out = vec![t(name), t("=")];
            out.append(&mut v);
            out
        })
    };
    let env_entry = (
        prop::sample::select(vec!["TOKEN", "MODE", "KEY"]),
        prop_oneof![secret(), expr_toks()],
    )
        .prop_map(|(name, mut v)| {
            let mut out = vec![t(name), t("=")];
            out.append(&mut v);
            out
        });
    let env = prop::collection::vec(env_entry, 0..3).prop_map(|entries| {
        let mut out = vec![t("env"), t("{")];
        entries.into_iter().for_each(|mut e| out.append(&mut e));
        out.push(t("}"));
        out
    });
    prop_oneof![
        named("uses", string_list.clone().boxed()),
        named("requires", string_list.clone().boxed()),
        named("tags", string_list.boxed()),
        named("interpreter", value("\"envs/eval/bin/python\"").boxed()),
        named("start_date", value("\"2024-01-01\"").boxed()),
        named(
            "catchup",
            prop_oneof![value("false"), value("true")].boxed()
        ),
        named("owner", value("\"ml-team\"").boxed()),
        named("schedule", value("\"@daily\"").boxed()),
        named("cache", value("false").boxed()),
        env,
    ]
}

fn attribute() -> impl Strategy<Value = Tokens> {
    let simple = (ident(), prop_oneof![4 => expr_toks(), 1 => secret()]).prop_map(|(n, mut e)| {
        let mut out = vec![n, t("=")];
        out.append(&mut e);
        out
    });
    let any_name = simple.prop_recursive(2, 8, 4, |inner| {
        (ident(), prop::collection::vec((inner, any::<bool>()), 0..4)).prop_map(|(n, entries)| {
            let mut out = vec![n, t("{")];
            for (mut entry, comma) in entries {
                out.append(&mut entry);
                if comma {
                    out.push(t(","));
                }
            }
            out.push(t("}"));
            out
        })
    });
    prop_oneof![any_name, known_attribute()]
}

fn body() -> impl Strategy<Value = Tokens> {
    let line = (
        0usize..3,
        prop::sample::select(vec![
            "import os",
            "x = ${a} + 1",
            "// not a comment, ${b}",
            "echo \"$${HOME}\"",
            "return {\"size\": n}",
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
        prop::sample::select(vec!["python", "python def", "shell"]),
        prop_oneof![
            3 => inline.prop_map(|b| vec![b]),
            1 => Just(vec![t("file"), t("\"run.py\"")]),
        ],
    )
        .prop_map(|(lang, mut source)| {
            let mut out: Tokens = lang.split(' ').map(t).collect();
            if out.len() == 2 && source[0] == "file" {
                // `def` takes an inline body only.
                out.pop();
            }
            out.append(&mut source);
            out
        })
}

/// `KEYWORD name (params) [-> (outputs)] { members }`.
fn callable(keyword: &'static str, member: BoxedStrategy<Tokens>) -> impl Strategy<Value = Tokens> {
    (
        ident(),
        params(),
        prop::option::of(outputs()),
        prop::collection::vec(member, 0..7),
    )
        .prop_map(move |(n, mut ps, os, members)| {
            let mut out = vec![t(keyword), n];
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
        })
}

pub(super) fn item() -> impl Strategy<Value = Tokens> {
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
    let op_member = prop_oneof![attribute(), body()].boxed();
    let pipeline_member = prop_oneof![1 => attribute(), 3 => stmt()].boxed();
    prop_oneof![
        1 => import,
        1 => artifact,
        1 => record(),
        2 => callable("op", op_member),
        3 => callable("pipeline", pipeline_member),
    ]
}
