//! Arguments of a step: the splice that adds, replaces or removes one (shared by
//! connections and literals), the check of what it writes, and the callee's signature.

use mlforge_analysis::items::resolve_callee;
use mlforge_analysis::signature::{callee_signature, Signature};

use super::check::{recheck, refuse_errors_in};
use super::locate::{Instance, StepAt};
use super::text::{align_assign, assign_column, kept_comments, layout, statement_indent, Splice};
use super::{EditOutcome, Refusal};
use crate::base::is_identifier;
use crate::{FileEdits, TextEdit};

/// The edit and its check shared by connections and literals: refused when the checker
/// finds an error in the new argument.
pub(crate) fn checked_outcome(
    instance: &Instance<'_>,
    target: &StepAt<'_>,
    input: &str,
    edit: TextEdit,
    what: &str,
) -> Result<EditOutcome, Refusal> {
    let checked = recheck(instance, std::slice::from_ref(&edit), what)?;
    let written = checked
        .step(&target.step.name.text)
        .and_then(|s| s.args.iter().find(|a| a.name.text == input))
        .map(|a| a.span);
    if let Some(span) = written {
        refuse_errors_in(&checked, span)?;
    }
    Ok(outcome(instance, vec![edit], None))
}

pub(crate) fn outcome(
    instance: &Instance<'_>,
    mut edits: Vec<TextEdit>,
    select: Option<String>,
) -> EditOutcome {
    edits.sort_by_key(|e| (e.span.start, e.span.end));
    EditOutcome {
        edits: vec![FileEdits {
            file: instance.file,
            edits,
        }],
        select,
    }
}

/// The signature of the op or pipeline a step calls, when it resolves.
pub(crate) fn signature_of<'db>(
    instance: &Instance<'db>,
    at: &StepAt<'_>,
) -> Option<&'db Signature> {
    let callee = resolve_callee(instance.db, instance.file, &at.step.callee).ok()?;
    callee_signature(instance.db, &callee)
}

pub(crate) fn listing(names: &[&str]) -> String {
    if names.is_empty() {
        return "none".to_string();
    }
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The step's statement with the argument `input` set to `value` (added in the order of
/// the callee's inputs, or replaced), or removed (`None`), laid out again. Comments in the
/// text replaced stay.
pub(crate) fn set_argument(
    instance: &Instance<'_>,
    at: &StepAt<'_>,
    input: &str,
    value: Option<&str>,
) -> Result<TextEdit, Refusal> {
    let (text, step) = (instance.text, at.step);
    let name = &step.name.text;
    if step.args_broken {
        return Err(Refusal::invalid(format!(
            "the arguments of `{name}` do not parse; fix them in the text first"
        )));
    }
    if !is_identifier(input) {
        return Err(Refusal::not_found(format!(
            "`{}` has no input `{input}`",
            step.callee.name.text
        )));
    }
    let signature = signature_of(instance, at);
    if let (Some(signature), Some(_)) = (signature, value) {
        if signature.input(input).is_none() {
            let inputs: Vec<&str> = signature.inputs.iter().map(|i| i.name.as_str()).collect();
            return Err(Refusal::not_found(format!(
                "`{}` has no input `{input}`; its inputs are {}",
                step.callee.name.text,
                listing(&inputs)
            )));
        }
    }
    let indent = " ".repeat(statement_indent(text, &at.body, step.span.start as usize) + 2);
    let comments = instance.comments();
    let mut splice = Splice::new(text, step.span);
    let existing = step.args.iter().position(|a| a.name.text == input);
    match (existing, value) {
        (Some(i), Some(value)) => {
            let old = step.args[i].value.span;
            let (s, e) = (old.start as usize, old.end as usize);
            let kept = kept_comments(text, comments, s, e, &indent);
            splice.replace(s, e, format!("{kept}{value}"));
        }
        (None, Some(value)) => {
            let order = |n: &str| signature.and_then(|s| s.inputs.iter().position(|i| i.name == n));
            let mine = order(input);
            let before = step
                .args
                .iter()
                .find(|a| matches!((order(&a.name.text), mine), (Some(o), Some(m)) if o > m));
            match (before, step.args.last()) {
                (Some(next), _) => {
                    splice.insert(next.span.start as usize, format!("{input}: {value}, "))
                }
                (None, Some(last)) => {
                    splice.insert(last.span.end as usize, format!(", {input}: {value}"))
                }
                (None, None) => splice.insert(
                    step.args_span.start as usize + 1,
                    format!("{input}: {value}"),
                ),
            }
        }
        (Some(i), None) => {
            let arg = step.args[i].span;
            let (s, e) = match (
                step.args.get(i + 1),
                i.checked_sub(1).map(|p| &step.args[p]),
            ) {
                (Some(next), _) => (arg.start, next.span.start),
                (None, Some(previous)) => (previous.span.end, arg.end),
                // The only argument: everything between the parentheses goes (a trailing
                // comma alone would not parse).
                (None, None) => (step.args_span.start + 1, step.args_span.end - 1),
            };
            let (s, e) = (s as usize, e as usize);
            splice.replace(s, e, kept_comments(text, comments, s, e, &indent));
        }
        (None, None) => {}
    }
    let statement = splice.result();
    let base = statement_indent(text, &at.body, step.span.start as usize);
    let column = assign_column(&text[step.span.range()]);
    Ok(TextEdit {
        span: step.span,
        new_text: align_assign(layout(&statement, base)?, column),
    })
}
