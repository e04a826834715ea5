//! IR values, types and expressions written as in the language, and expressions of the old
//! version read in the new version's names (so that a renamed step is not a change of
//! every step that reads it).

use std::collections::HashMap;
use std::fmt::Write;

use mlforge_ir::{BindingValue, Block, Branch, Expr, Value};

/// Old ids to new ids, for steps and for blocks.
#[derive(Default)]
pub(crate) struct Renames {
    pub steps: HashMap<String, String>,
    pub blocks: HashMap<String, String>,
}

impl Renames {
    pub fn step<'a>(&'a self, old: &'a str) -> &'a str {
        self.steps.get(old).map_or(old, String::as_str)
    }

    pub fn block<'a>(&'a self, old: &'a str) -> &'a str {
        self.blocks.get(old).map_or(old, String::as_str)
    }

    /// An old expression in the new version's names.
    pub fn expr(&self, expr: &Expr) -> Expr {
        match expr {
            Expr::StepOutput { step, output, ty } => Expr::StepOutput {
                step: self.step(step).to_string(),
                output: output.clone(),
                ty: ty.clone(),
            },
            Expr::LoopVar { block, name, ty } => Expr::LoopVar {
                block: self.block(block).to_string(),
                name: name.clone(),
                ty: ty.clone(),
            },
            Expr::List { items } => Expr::List {
                items: items.iter().map(|e| self.expr(e)).collect(),
            },
            Expr::Unary { op, operand } => Expr::Unary {
                op: *op,
                operand: Box::new(self.expr(operand)),
            },
            Expr::Binary { op, lhs, rhs } => Expr::Binary {
                op: *op,
                lhs: Box::new(self.expr(lhs)),
                rhs: Box::new(self.expr(rhs)),
            },
            Expr::Map { entries, ty } => Expr::Map {
                entries: entries
                    .iter()
                    .map(|(k, e)| (k.clone(), self.expr(e)))
                    .collect(),
                ty: ty.clone(),
            },
            Expr::Field { of, field, ty } => Expr::Field {
                of: Box::new(self.expr(of)),
                field: field.clone(),
                ty: ty.clone(),
            },
            Expr::Index { of, index, ty } => Expr::Index {
                of: Box::new(self.expr(of)),
                index: Box::new(self.expr(index)),
                ty: ty.clone(),
            },
            Expr::Call { function, args, ty } => Expr::Call {
                function: *function,
                args: args.iter().map(|e| self.expr(e)).collect(),
                ty: ty.clone(),
            },
            Expr::Literal { .. } | Expr::Param { .. } => expr.clone(),
        }
    }

    /// Whether the old expression, read in the new names, equals the new one (what
    /// `self.expr(old) == *new` says, without building the copy).
    pub fn same_expr(&self, old: &Expr, new: &Expr) -> bool {
        match (old, new) {
            (
                Expr::StepOutput { step, output, ty },
                Expr::StepOutput {
                    step: s,
                    output: o,
                    ty: t,
                },
            ) => self.step(step) == s && output == o && ty == t,
            (
                Expr::LoopVar { block, name, ty },
                Expr::LoopVar {
                    block: b,
                    name: n,
                    ty: t,
                },
            ) => self.block(block) == b && name == n && ty == t,
            (Expr::List { items }, Expr::List { items: others }) => {
                items.len() == others.len()
                    && items.iter().zip(others).all(|(a, b)| self.same_expr(a, b))
            }
            (Expr::Unary { op, operand }, Expr::Unary { op: p, operand: q }) => {
                op == p && self.same_expr(operand, q)
            }
            (
                Expr::Binary { op, lhs, rhs },
                Expr::Binary {
                    op: p,
                    lhs: l,
                    rhs: r,
                },
            ) => op == p && self.same_expr(lhs, l) && self.same_expr(rhs, r),
            (Expr::Literal { .. }, _) | (Expr::Param { .. }, _) => old == new,
            (Expr::Map { .. } | Expr::Field { .. } | Expr::Index { .. } | Expr::Call { .. }, _) => {
                self.expr(old) == *new
            }
            _ => false,
        }
    }

    /// Whether an old binding gives the same value as a new one, as the runner sees it (a
    /// literal passed equals the same default).
    pub fn same_binding(&self, old: &BindingValue, new: &BindingValue) -> bool {
        let literal = |v: &BindingValue| match v {
            BindingValue::Given {
                expr: Expr::Literal { value, .. },
            }
            | BindingValue::Default { value } => Some(value.clone()),
            _ => None,
        };
        match (old, new) {
            (BindingValue::Given { expr: a }, BindingValue::Given { expr: b }) => {
                self.same_expr(a, b)
            }
            (BindingValue::Absent, BindingValue::Absent) => true,
            _ => literal(old).is_some() && literal(old) == literal(new),
        }
    }

    pub fn binding(&self, value: &BindingValue) -> BindingValue {
        match value {
            BindingValue::Given { expr } => BindingValue::Given {
                expr: self.expr(expr),
            },
            other => other.clone(),
        }
    }
}

/// Every step and param an expression reads.
pub(crate) fn reads<'e>(expr: &'e Expr, steps: &mut Vec<&'e str>, params: &mut Vec<&'e str>) {
    match expr {
        Expr::StepOutput { step, .. } => steps.push(step),
        Expr::Param { name, .. } => params.push(name),
        _ => {}
    }
    for child in expr.children() {
        reads(child, steps, params);
    }
}

pub(crate) fn value_text(value: &Value) -> String {
    let mut out = String::new();
    push_value(&mut out, value);
    out
}

fn push_value(out: &mut String, value: &Value) {
    match value {
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => out.push_str(&serde_json::to_string(f).unwrap_or_default()),
        Value::String(s) => out.push_str(&serde_json::to_string(s).unwrap_or_default()),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                push_value(out, item);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            out.push('{');
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&serde_json::to_string(key).unwrap_or_default());
                out.push_str(": ");
                push_value(out, item);
            }
            out.push('}');
        }
        Value::Null(()) => out.push_str("none"),
    }
}

pub(crate) fn expr_text(expr: &Expr) -> String {
    let mut out = String::new();
    push_expr(&mut out, expr, false);
    out
}

fn push_expr(out: &mut String, expr: &Expr, nested: bool) {
    match expr {
        Expr::Literal { value, .. } => push_value(out, value),
        Expr::Param { name, .. } | Expr::LoopVar { name, .. } => out.push_str(name),
        Expr::StepOutput { step, output, .. } => {
            let _ = write!(out, "{step}.{output}");
        }
        Expr::List { items } => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                push_expr(out, item, false);
            }
            out.push(']');
        }
        Expr::Map { entries, .. } => {
            out.push('{');
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "{key}: ");
                push_expr(out, item, false);
            }
            out.push('}');
        }
        Expr::Field { of, field, .. } => {
            push_expr(out, of, true);
            let _ = write!(out, ".{field}");
        }
        Expr::Index { of, index, .. } => {
            push_expr(out, of, true);
            out.push('[');
            push_expr(out, index, false);
            out.push(']');
        }
        Expr::Call { function, args, .. } => {
            out.push_str(match function {
                mlforge_ir::Function::Range => "range",
                mlforge_ir::Function::Present => "present",
            });
            out.push('(');
            for (i, arg) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                push_expr(out, arg, false);
            }
            out.push(')');
        }
        Expr::Unary { op, operand } => {
            out.push_str(op.symbol());
            if op.symbol().ends_with(char::is_alphabetic) {
                out.push(' ');
            }
            push_expr(out, operand, true);
        }
        Expr::Binary { op, lhs, rhs } => {
            if nested {
                out.push('(');
            }
            push_expr(out, lhs, true);
            let _ = write!(out, " {} ", op.symbol());
            push_expr(out, rhs, true);
            if nested {
                out.push(')');
            }
        }
    }
}

pub(crate) fn binding_text(value: &BindingValue) -> String {
    match value {
        BindingValue::Given { expr } => expr_text(expr),
        BindingValue::Default { value } => format!("default {}", value_text(value)),
        BindingValue::Absent => "absent".into(),
    }
}

/// `for lr in rates`, `if best.mse <= max_mse`, `else of if best.mse <= max_mse`.
pub(crate) fn block_text(block: &Block) -> String {
    match block {
        Block::For {
            var,
            over,
            second_var: Some(second),
            second_over: Some(second_over),
            ..
        } => format!(
            "for {var}, {second} in zip({}, {})",
            expr_text(over),
            expr_text(second_over)
        ),
        Block::For { var, over, .. } => format!("for {var} in {}", expr_text(over)),
        Block::If {
            condition, branch, ..
        } => match branch {
            Branch::Then => format!("if {}", expr_text(condition)),
            Branch::Else => format!("else of if {}", expr_text(condition)),
        },
    }
}

pub(crate) fn block_kind(block: &Block) -> &'static str {
    match block {
        Block::For { .. } => "for",
        Block::If {
            branch: Branch::Then,
            ..
        } => "if",
        Block::If {
            branch: Branch::Else,
            ..
        } => "else",
    }
}
