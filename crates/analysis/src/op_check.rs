//! Checks of one op: its signature's types and defaults, attributes, and body.

use std::collections::HashMap;
use std::path::Path;

use mlforge_syntax::ast::{AttrValue, Body, BodyLang, BodySource, Name, Op};
use mlforge_syntax::body::interpolations;
use mlforge_syntax::Span;

use crate::attributes::{check_attributes, env_value_form, EnvForm, OP_ATTRIBUTES};
use crate::codes::Code;
use crate::diagnostic::{suggest, Diagnostic, Sink};
use crate::disk::LoadError;
use crate::exprs::{is_constant, report_mismatch, NoNames};
use crate::items::ItemKey;
use crate::signature::{op_syntax, resolve_type};
use crate::types::{assignable, Ty};
use crate::values::check_value;
use crate::Db;

/// Diagnostics of the op `key`, with spans relative to the op's start.
#[salsa::tracked(returns(ref))]
pub fn check_op(db: &dyn Db, key: ItemKey<'_>) -> Vec<Diagnostic> {
    let file = key.file(db);
    let mut sink = Sink::new(file);
    let Some(op) = op_syntax(db, key) else {
        return Vec::new();
    };
    check_names(op, &mut sink);
    let mut input_types: HashMap<&str, Ty> = HashMap::new();
    for param in &op.params {
        let ty = resolve_type(db, file, &param.ty, Some(&mut sink));
        input_types.insert(&param.name.text, ty.clone());
        let Some(default) = &param.default else {
            continue;
        };
        if ty.is_artifact() {
            sink.push(
                sink.at(
                    Code::InvalidDefault,
                    default.span,
                    format!("`{}` is an artifact (`{ty}`), and an op's artifact inputs cannot have defaults", param.name.text),
                )
                .with_help("remove the default; a step passes the artifact, and a pipeline param may have the path as its default"),
            );
        } else if !is_constant(default) {
            sink.push(
                sink.at(
                    Code::InvalidDefault,
                    default.span,
                    "a default must be a constant, like 0.5 or \"text\"",
                )
                .with_help(
                    "pass values that depend on other things as arguments of the step instead",
                ),
            );
        } else {
            let found = check_value(default, &ty, &mut NoNames, &mut sink);
            if let Err(mismatch) = assignable(&found, &ty) {
                let what = format!("the default of `{}`", param.name.text);
                let d = report_mismatch(&mut sink, default, mismatch, &found, &ty, &what)
                    .with_related(file, param.ty.span(), "the type is declared here");
                sink.push(d);
            }
        }
    }
    let mut output_types: HashMap<&str, Ty> = HashMap::new();
    for output in &op.outputs {
        let ty = resolve_type(db, file, &output.ty, Some(&mut sink));
        output_types.insert(&output.name.text, ty);
    }
    check_attributes(&op.attrs, OP_ATTRIBUTES, "ops", &mut sink);
    check_env_inputs(op, &input_types, &mut sink);
    if db.is_std(file) {
        check_std_op(op, &mut sink);
    }
    check_body(db, op, &output_types, &mut sink);
    sink.diagnostics
}

/// An op of the standard library names no file: it lives in no folder (its path is
/// virtual) and its body is inline, so nothing it does depends on the disk of the machine
/// that runs it. Reported only by the library's own tests: no user sees std diagnostics.
fn check_std_op(op: &Op, sink: &mut Sink) {
    for attr in &op.attrs {
        if matches!(&*attr.name.text, "uses" | "interpreter") {
            sink.error(
                Code::UnknownAttribute,
                attr.name.span,
                format!(
                    "an op of the standard library cannot set `{}`: it names a file, and a std module lives in no folder",
                    attr.name.text
                ),
            );
        }
    }
    for body in &op.bodies {
        if let BodySource::File(path) = &body.source {
            sink.error(
                Code::BodyFileNotFound,
                path.span,
                "an op of the standard library keeps its body inline: a std module lives in no folder",
            );
        }
    }
}

/// Inputs and outputs share one namespace: `${name}` must mean one thing.
fn check_names(op: &Op, sink: &mut Sink) {
    let mut seen: HashMap<&str, &Name> = HashMap::new();
    let names = op
        .params
        .iter()
        .map(|p| &p.name)
        .chain(op.outputs.iter().map(|o| &o.name));
    for name in names {
        if let Some(first) = seen.insert(&name.text, name) {
            sink.twice(
                Code::Duplicate,
                name.span,
                format!(
                    "`{}` is already an input or output of `{}`",
                    name.text, op.name.text
                ),
                first.span,
                "first defined here",
                "rename one of them",
            );
        }
    }
}

/// A name in an env value is one of the op's string inputs: its value, given by the step,
/// is then part of the step's inputs (and so of its cache key).
fn check_env_inputs(op: &Op, input_types: &HashMap<&str, Ty>, sink: &mut Sink) {
    let entries = op
        .attrs
        .iter()
        .filter(|a| a.name.text == "env")
        .filter_map(|a| match &a.value {
            AttrValue::Block(entries) => Some(entries),
            AttrValue::Expr(_) | AttrValue::Secret(_) => None,
        })
        .flatten();
    for entry in entries {
        let AttrValue::Expr(expr) = &entry.value else {
            continue;
        };
        let Some(EnvForm::Input(name)) = env_value_form(expr) else {
            continue;
        };
        match input_types.get(name.text.as_str()) {
            Some(Ty::Str | Ty::Unknown) => {}
            Some(ty) => sink.push(
                sink.at(
                    Code::InvalidEnvValue,
                    name.span,
                    format!(
                        "the input `{}` is `{ty}`, and an env value must be a string",
                        name.text
                    ),
                )
                .with_help(format!("declare `{}` as a `string` input", name.text)),
            ),
            None => {
                let inputs = op.params.iter().map(|p| p.name.text.as_str());
                let help = suggest(&name.text, inputs).unwrap_or_else(|| {
                    format!(
                        "to read the runner's environment variable when the step runs, write `secret(\"{}\")`; to pass a value, add a `string` input and name it here",
                        entry.name.text
                    )
                });
                sink.push(
                    sink.at(
                        Code::InvalidEnvValue,
                        name.span,
                        format!(
                            "`{}` is not an input of `{}`; an env value is a string in quotes, one of the op's string inputs, or `secret(\"NAME\")`",
                            name.text, op.name.text
                        ),
                    )
                    .with_help(help),
                );
            }
        }
    }
}

fn check_body(db: &dyn Db, op: &Op, output_types: &HashMap<&str, Ty>, sink: &mut Sink) {
    match op.bodies.as_slice() {
        [] => sink.push(
            sink.at(
                Code::BodyCount,
                op.name.span,
                format!("the op `{}` has no body", op.name.text),
            )
            .with_help(
                "add `python \"\"\"…\"\"\"`, `shell \"\"\"…\"\"\"`, or `python file \"script.py\"`",
            ),
        ),
        [_] => {}
        [first, rest @ ..] => {
            for extra in rest {
                sink.twice(
                    Code::BodyCount,
                    extra.span,
                    format!("the op `{}` has more than one body", op.name.text),
                    first.span,
                    "the first body is here",
                    "an op runs one program: keep one body, or split the op in two",
                );
            }
        }
    }
    let Some(body) = op.bodies.first() else {
        return;
    };
    match &body.source {
        BodySource::Inline { text, text_span } if body.function => {
            check_function_body(op, output_types, text, *text_span, sink)
        }
        BodySource::Inline { text, text_span } => {
            check_interpolations(op, body, text, *text_span, sink)
        }
        BodySource::File(_) if db.is_std(sink.file) => {} // `check_std_op` refuses it.
        BodySource::File(path) => {
            let file_path = sink
                .file
                .path(db)
                .parent()
                .unwrap_or(Path::new(""))
                .join(&path.value);
            let body_file = db.file_from(&file_path, sink.file.path(db));
            if body_file.text(db).is_none() {
                let why = body_file.problem(db).clone().unwrap_or(LoadError::NotFound);
                sink.push(
                    sink.at(
                        Code::BodyFileNotFound,
                        path.span,
                        format!("the body file `{}` {}", path.value, why.describe()),
                    )
                    .with_help(
                        "the path is relative to this .mlf file; create the file or fix the path",
                    ),
                );
            }
        }
    }
}

/// Whether `word` appears in `text` as a whole word.
fn has_word(text: &str, word: &str) -> bool {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

/// W0104 for a function body: an artifact output it never names cannot be written, and
/// without a `return` the other outputs are never given.
fn check_function_outputs(op: &Op, output_types: &HashMap<&str, Ty>, text: &str, sink: &mut Sink) {
    let returns = has_word(text, "return");
    for output in &op.outputs {
        let name = &output.name.text;
        let Some(ty) = output_types.get(name.as_str()) else {
            continue;
        };
        let (message, help) = if ty.is_artifact() {
            if has_word(text, name) {
                continue;
            }
            (
                format!("the body never mentions the output `{name}`, so it cannot write it"),
                format!("`{name}` is a `pathlib.Path`: write the output there"),
            )
        } else if *ty != Ty::Unknown && !returns {
            (
                format!("the body never returns, so the output `{name}` is never given"),
                "end the body with `return VALUE` (a dict by name when several outputs are returned)".to_string(),
            )
        } else {
            continue;
        };
        sink.push(
            sink.at(Code::OutputNotWritten, output.name.span, message)
                .with_help(help),
        );
    }
}

/// Python's reserved words: a function body cannot take a parameter by such a name.
const PYTHON_KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// `python def`: inputs and artifact outputs are parameters, `${…}` is not used.
fn check_function_body(
    op: &Op,
    output_types: &HashMap<&str, Ty>,
    text: &str,
    text_span: Span,
    sink: &mut Sink,
) {
    let names = op
        .params
        .iter()
        .map(|p| &p.name)
        .chain(op.outputs.iter().map(|o| &o.name));
    for name in names {
        if PYTHON_KEYWORDS.contains(&name.text.as_str()) {
            sink.push(
                sink.at(
                    Code::NotAPythonName,
                    name.span,
                    format!(
                        "`{}` is a Python keyword, so a `python def` body cannot take it as a parameter",
                        name.text
                    ),
                )
                .with_help(format!("rename it, for example to `{}_`", name.text)),
            );
        }
    }
    check_function_outputs(op, output_types, text, sink);
    for interp in interpolations(text) {
        let at = Span::new(
            text_span.start as usize + interp.range.start,
            text_span.start as usize + interp.range.end,
        );
        let help = if interp.unterminated {
            "in a `python def` body inputs are plain Python variables; write `$${` for a literal `${`".to_string()
        } else {
            format!(
                "in a `python def` body inputs are plain Python variables: write `{}`, or `$${{` for a literal `${{`",
                interp.name
            )
        };
        sink.push(
            sink.at(
                Code::FunctionBodyInterpolation,
                at,
                "a `python def` body does not use `${…}`",
            )
            .with_help(help),
        );
    }
}

fn check_interpolations(op: &Op, body: &Body, text: &str, text_span: Span, sink: &mut Sink) {
    let found = interpolations(text);
    let known = || {
        op.params
            .iter()
            .map(|p| p.name.text.as_str())
            .chain(op.outputs.iter().map(|o| o.name.text.as_str()))
    };
    let at = |range: std::ops::Range<usize>| {
        Span::new(
            text_span.start as usize + range.start,
            text_span.start as usize + range.end,
        )
    };
    for interp in &found {
        if interp.unterminated {
            sink.push(
                sink.at(
                    Code::UnknownInterpolation,
                    at(interp.range.clone()),
                    "this `${` is never closed",
                )
                .with_help("close it with `}` on the same line, or write `$${` for a literal `${`"),
            );
            continue;
        }
        if known().any(|n| n == interp.name) {
            continue;
        }
        let help = suggest(&interp.name, known()).unwrap_or_else(|| {
            let names: Vec<String> = known().map(|n| format!("`{n}`")).collect();
            let listed = if names.is_empty() {
                "this op has no inputs or outputs to interpolate".to_string()
            } else {
                format!(
                    "`${{…}}` can name this op's inputs and outputs: {}",
                    names.join(", ")
                )
            };
            let literal = match body.lang {
                BodyLang::Shell => format!(
                    "; to expand the shell variable, write `$${{{name}}}` (`$${{` is a literal `${{`) or `${name}`",
                    name = interp.name
                ),
                BodyLang::Python => "; write `$${` for a literal `${`".to_string(),
            };
            format!("{listed}{literal}")
        });
        sink.push(
            sink.at(
                Code::UnknownInterpolation,
                at(interp.range.clone()),
                format!(
                    "`{}` is not an input or output of `{}`",
                    interp.name, op.name.text
                ),
            )
            .with_help(help),
        );
    }
    for output in &op.outputs {
        if !found.iter().any(|i| i.name == output.name.text) {
            sink.push(
                sink.at(
                    Code::OutputNotWritten,
                    output.name.span,
                    format!(
                        "the body never mentions the output `{}`, so it cannot write it",
                        output.name.text
                    ),
                )
                .with_help(format!(
                    "write the output to the path `${{{}}}` in the body",
                    output.name.text
                )),
            );
        }
    }
}
