//! Setting a literal argument from a form (or clearing it): the value is written as the
//! literal of the input's type (an integer given to a `float` input is written `3.0`, a
//! string given to a `duration` input is written as the duration), and the checker refuses
//! what the input does not take.

use mlforge_analysis::types::Ty;
use mlforge_syntax::lexer::{self, Token};

use super::args::{checked_outcome, listing, outcome, set_argument, signature_of};
use super::locate::Instance;
use super::{ArgValue, EditOutcome, Refusal, RefusalReason};

pub(crate) fn set_arg(
    top: &Instance<'_>,
    step: &str,
    input: &str,
    value: Option<&ArgValue>,
) -> Result<EditOutcome, Refusal> {
    let (instance, _) = top.holding(step)?;
    let target = instance.step_here(step)?;
    let signature = signature_of(&instance, &target);
    if let Some(signature) = signature.filter(|s| s.input(input).is_none()) {
        let inputs: Vec<&str> = signature.inputs.iter().map(|i| i.name.as_str()).collect();
        return Err(Refusal::not_found(format!(
            "`{}` has no input `{input}`; its inputs are {}",
            target.step.callee.name.text,
            listing(&inputs)
        )));
    }
    let Some(value) = value else {
        if !target.step.args.iter().any(|a| a.name.text == input) {
            return Ok(outcome(&instance, Vec::new(), None));
        }
        let edit = set_argument(&instance, &target, input, None)?;
        return Ok(outcome(&instance, vec![edit], None));
    };
    let ty = signature.and_then(|s| s.input(input)).map(|i| i.ty.clone());
    let literal = literal(value, ty.as_ref())?;
    let edit = set_argument(&instance, &target, input, Some(&literal))?;
    checked_outcome(&instance, &target, input, edit, &format!("`{literal}`"))
}

/// `value` as a literal for an input of type `ty` (unknown: as the value comes).
pub(crate) fn literal(value: &ArgValue, ty: Option<&Ty>) -> Result<String, Refusal> {
    let ty = match ty {
        Some(Ty::Optional(inner)) => Some(&**inner),
        other => other,
    };
    Ok(match value {
        ArgValue::Int(n) if matches!(ty, Some(Ty::Float)) => format!("{n}.0"),
        ArgValue::Int(n) => n.to_string(),
        ArgValue::Float(x) if !x.is_finite() => {
            return Err(Refusal::invalid(format!(
                "{x} is not a number a program can hold; give a finite number"
            )))
        }
        ArgValue::Float(x) if matches!(ty, Some(Ty::Int)) && x.fract() == 0.0 && x.abs() < 9e15 => {
            format!("{}", *x as i64)
        }
        ArgValue::Float(x) => {
            let text = format!("{x:?}");
            if text.contains(['.', 'e', 'E']) {
                text
            } else {
                format!("{text}.0")
            }
        }
        ArgValue::Bool(b) => b.to_string(),
        ArgValue::Str(s) if matches!(ty, Some(Ty::Duration)) && is_duration(s) => s.clone(),
        ArgValue::Str(s) => quoted(s),
        ArgValue::Duration(d) if is_duration(d) => d.clone(),
        ArgValue::Duration(d) => {
            return Err(Refusal::new(
                RefusalReason::TypeMismatch,
                format!(
                    "`{d}` is not a duration; write a number and a unit, like `30s`, `10m` or `2h`"
                ),
            ))
        }
        ArgValue::List(items) => {
            let elem = match ty {
                Some(Ty::List(elem)) => Some(&**elem),
                _ => None,
            };
            let items: Result<Vec<String>, Refusal> =
                items.iter().map(|item| literal(item, elem)).collect();
            format!("[{}]", items?.join(", "))
        }
    })
}

fn is_duration(text: &str) -> bool {
    let lexed = lexer::lex(text);
    matches!(lexed.tokens.as_slice(), [(Token::Duration(_), _)]) && lexed.errors.is_empty()
}

/// A string literal holding `value`.
fn quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_follow_the_input_type() {
        let f = |v: ArgValue, ty: Option<Ty>| literal(&v, ty.as_ref()).unwrap();
        assert_eq!(f(ArgValue::Int(3), Some(Ty::Float)), "3.0");
        assert_eq!(f(ArgValue::Float(2.0), Some(Ty::Int)), "2");
        assert_eq!(f(ArgValue::Float(0.1), Some(Ty::Float)), "0.1");
        assert_eq!(f(ArgValue::Float(1e-9), None), "1e-9");
        assert_eq!(f(ArgValue::Str("10m".into()), Some(Ty::Duration)), "10m");
        assert_eq!(
            f(ArgValue::Str("a\"b\\\n".into()), Some(Ty::Str)),
            "\"a\\\"b\\\\\\n\""
        );
        assert_eq!(
            f(
                ArgValue::List(vec![ArgValue::Int(1), ArgValue::Float(0.5)]),
                Some(Ty::list(Ty::Float))
            ),
            "[1.0, 0.5]"
        );
        assert!(literal(&ArgValue::Duration("ten".into()), None).is_err());
        assert!(literal(&ArgValue::Float(f64::NAN), None).is_err());
    }
}
