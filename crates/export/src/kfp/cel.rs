//! `if` conditions as CEL, the language of KFP's `triggerPolicy.condition`. The condition
//! task's inputs are read as `inputs.parameter_values['key']`. KFP hands every number to
//! CEL as a JSON number, a double, so constants are written as doubles too (`1.0`): CEL
//! never compares an int with a double, and `int`/`float` mixes mean what they mean in
//! the runner, which widens `int` to `float` when they meet.

use std::fmt::Write;

use mlforge_ir::{BinaryOperator, Expr, UnaryOperator, Value};

/// A part of a condition CEL cannot say the way the runner means it.
#[derive(Debug, PartialEq, Eq)]
pub struct Unsupported(pub String);

/// The CEL text of `expr`. `key` names the condition task's input that holds the value of
/// a param, loop variable or step output the condition reads.
pub fn condition(expr: &Expr, key: &mut dyn FnMut(&Expr) -> String) -> Result<String, Unsupported> {
    let mut out = String::new();
    write_expr(&mut out, expr, key)?;
    Ok(out)
}

fn write_expr(
    out: &mut String,
    expr: &Expr,
    key: &mut dyn FnMut(&Expr) -> String,
) -> Result<(), Unsupported> {
    match expr {
        Expr::Literal { value, .. } => write_value(out, value),
        Expr::Param { .. } | Expr::LoopVar { .. } | Expr::StepOutput { .. } => {
            // Keys are the exporter's own channel names (`pipelinechannel--…`, letters,
            // digits, `-`, `_`), quoted with `'` as the KFP SDK writes them.
            let name = key(expr);
            out.push_str("inputs.parameter_values['");
            out.extend(
                name.chars()
                    .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')),
            );
            out.push_str("']");
            Ok(())
        }
        Expr::Field { of, field, .. } => {
            let mut inner = String::new();
            write_expr(&mut inner, of, key)?;
            inner.push('[');
            write_string(&mut inner, field);
            inner.push(']');
            out.push_str(&inner);
            Ok(())
        }
        Expr::Index { of, index, .. } => {
            let mut base = String::new();
            write_expr(&mut base, of, key)?;
            let inner = match index.as_ref() {
                Expr::Literal {
                    value: Value::Int(i),
                    ..
                } if *i >= 0 => format!("{base}[{i}]"),
                // A negative index counts from the end, as in the runner.
                Expr::Literal {
                    value: Value::Int(i),
                    ..
                } => format!("{base}[size({base}) - {}]", i.unsigned_abs()),
                Expr::Literal {
                    value: Value::String(k),
                    ..
                } => {
                    let mut text = base;
                    text.push('[');
                    write_string(&mut text, k);
                    text.push(']');
                    text
                }
                _ => {
                    return Err(Unsupported(
                        "an index computed at run time (only constant indexes and keys are supported in conditions)".into(),
                    ))
                }
            };
            out.push_str(&inner);
            Ok(())
        }
        Expr::Unary { op, operand } => {
            out.push_str(match op {
                UnaryOperator::Neg => "-(",
                UnaryOperator::Not => "!(",
            });
            write_expr(out, operand, key)?;
            out.push(')');
            Ok(())
        }
        Expr::Binary { op, lhs, rhs } => {
            let symbol = match op {
                BinaryOperator::Or => "||",
                BinaryOperator::And => "&&",
                BinaryOperator::Eq => "==",
                BinaryOperator::Ne => "!=",
                BinaryOperator::Lt => "<",
                BinaryOperator::Le => "<=",
                BinaryOperator::Gt => ">",
                BinaryOperator::Ge => ">=",
                BinaryOperator::Add => "+",
                BinaryOperator::Sub => "-",
                BinaryOperator::Mul => "*",
                BinaryOperator::Div => "/",
            };
            out.push('(');
            write_expr(out, lhs, key)?;
            let _ = write!(out, " {symbol} ");
            write_expr(out, rhs, key)?;
            out.push(')');
            Ok(())
        }
        Expr::List { .. } | Expr::Map { .. } => Err(Unsupported(
            "a list or record built in the condition".into(),
        )),
        Expr::Call { function, .. } => Err(Unsupported(format!(
            "the built-in `{}`",
            match function {
                mlforge_ir::Function::Range => "range",
                mlforge_ir::Function::Present => "present",
            }
        ))),
    }
}

fn write_value(out: &mut String, value: &Value) -> Result<(), Unsupported> {
    match value {
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(n) => {
            let _ = write!(out, "{n}.0");
        }
        Value::Float(f) if f.is_finite() => {
            let text = format!("{f:?}");
            out.push_str(&text);
            if !text.contains(['.', 'e', 'E']) {
                out.push_str(".0");
            }
        }
        Value::String(s) => write_string(out, s),
        Value::Float(_) | Value::List(_) | Value::Map(_) | Value::Null(()) => {
            return Err(Unsupported(
                "a constant list, record, absent value or non-finite number in the condition"
                    .into(),
            ))
        }
    }
    Ok(())
}

/// A CEL double-quoted string: quotes and backslashes escaped, everything outside
/// printable ASCII (and braces) as a `\u`/`\U` escape, so the text can never end the string.
pub fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            // Braces too: no text of a program can form a `{{$…}}` placeholder anywhere.
            ' '..='~' if c != '{' && c != '}' => out.push(c),
            c if (c as u32) <= 0xFFFF => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlforge_ir::Type;

    fn param(name: &str, ty: Type) -> Expr {
        Expr::Param {
            name: name.into(),
            ty,
        }
    }

    #[test]
    fn numbers_compare_as_doubles() {
        let expr = Expr::Binary {
            op: BinaryOperator::Le,
            lhs: Box::new(Expr::StepOutput {
                step: "best".into(),
                output: "mse".into(),
                ty: Type::Float,
            }),
            rhs: Box::new(Expr::Literal {
                value: Value::Int(1),
                ty: Type::Int,
            }),
        };
        let text = condition(&expr, &mut |_| "in-best-mse".into()).unwrap();
        assert_eq!(text, "(inputs.parameter_values['in-best-mse'] <= 1.0)");
    }

    #[test]
    fn strings_stay_inside_their_quotes() {
        let expr = Expr::Binary {
            op: BinaryOperator::Eq,
            lhs: Box::new(param("mode", Type::String)),
            rhs: Box::new(Expr::Literal {
                value: Value::String("a\" || true || \"\\\n{{$}}é".into()),
                ty: Type::String,
            }),
        };
        let text = condition(&expr, &mut |_| "p".into()).unwrap();
        assert_eq!(
            text,
            r#"(inputs.parameter_values['p'] == "a\" || true || \"\\\u000a\u007b\u007b$\u007d\u007d\u00e9")"#
        );
    }

    #[test]
    fn negative_indexes_count_from_the_end() {
        let expr = Expr::Index {
            of: Box::new(param(
                "xs",
                Type::List {
                    of: Box::new(Type::Int),
                },
            )),
            index: Box::new(Expr::Literal {
                value: Value::Int(-1),
                ty: Type::Int,
            }),
            ty: Type::Int,
        };
        let text = condition(&expr, &mut |_| "xs".into()).unwrap();
        assert_eq!(
            text,
            "inputs.parameter_values['xs'][size(inputs.parameter_values['xs']) - 1]"
        );
    }
}
