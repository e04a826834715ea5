//! Connecting an output to an input (the argument `input: from.output` added or
//! replaced), and disconnecting (the argument removed).

use super::args::{checked_outcome, listing, outcome, set_argument, signature_of};
use super::locate::Instance;
use super::{EditOutcome, Refusal};
use crate::base::is_identifier;

pub(crate) fn connect(
    top: &Instance<'_>,
    from: &str,
    output: &str,
    to: &str,
    input: &str,
) -> Result<EditOutcome, Refusal> {
    let (instance, _) = top.holding(to)?;
    let target = instance.step_here(to)?;
    let source = instance.step_here(from)?;
    if source.step.name.text == target.step.name.text {
        return Err(Refusal::invalid(format!(
            "`{to}` cannot read its own output; connect another step's output"
        )));
    }
    if let Some(signature) = signature_of(&instance, &source) {
        if signature.output(output).is_none() {
            let outputs: Vec<&str> = signature.outputs.iter().map(|o| o.name.as_str()).collect();
            return Err(Refusal::not_found(format!(
                "`{from}` has no output `{output}`; its outputs are {}",
                listing(&outputs)
            )));
        }
    }
    if !is_identifier(output) {
        return Err(Refusal::not_found(format!(
            "`{from}` has no output `{output}`"
        )));
    }
    let value = format!("{}.{output}", source.step.name.text);
    let edit = set_argument(&instance, &target, input, Some(&value))?;
    checked_outcome(&instance, &target, input, edit, &format!("`{value}`"))
}

pub(crate) fn disconnect(
    top: &Instance<'_>,
    step: &str,
    input: &str,
) -> Result<EditOutcome, Refusal> {
    let (instance, _) = top.holding(step)?;
    let target = instance.step_here(step)?;
    if !target.step.args.iter().any(|a| a.name.text == input) {
        return Err(Refusal::not_found(format!(
            "`{step}` gives no argument `{input}`, so there is nothing to disconnect"
        )));
    }
    let edit = set_argument(&instance, &target, input, None)?;
    Ok(outcome(&instance, vec![edit], None))
}
