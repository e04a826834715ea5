//! An ordering edge: `step … after other`, refused when it would make a cycle.

use super::args::outcome;
use super::check::recheck;
use super::locate::Instance;
use super::text::{align_assign, assign_column, layout, statement_indent, Splice};
use super::{EditOutcome, Refusal};
use crate::TextEdit;

pub(crate) fn add_after(
    top: &Instance<'_>,
    step: &str,
    after: &str,
) -> Result<EditOutcome, Refusal> {
    let (instance, _) = top.holding(step)?;
    let target = instance.step_here(step)?;
    let before = instance.step_here(after)?;
    let (name, other) = (&target.step.name.text, &before.step.name.text);
    if name == other {
        return Err(Refusal::invalid(format!("`{step}` cannot wait for itself")));
    }
    if target.step.after.iter().any(|a| a.text == *other) {
        return Ok(outcome(&instance, Vec::new(), None));
    }
    let text = instance.text;
    let mut splice = Splice::new(text, target.step.span);
    match target.step.after.last() {
        Some(last) => splice.insert(last.span.end as usize, format!(", {other}")),
        None => splice.insert(
            target.step.args_span.end as usize,
            format!(" after {other}"),
        ),
    }
    let indent = statement_indent(text, &target.body, target.step.span.start as usize);
    let edit = TextEdit {
        span: target.step.span,
        new_text: align_assign(
            layout(&splice.result(), indent)?,
            assign_column(&text[target.step.span.range()]),
        ),
    };
    recheck(
        &instance,
        std::slice::from_ref(&edit),
        &format!("`{name}` after `{other}`"),
    )?;
    Ok(outcome(&instance, vec![edit], None))
}
