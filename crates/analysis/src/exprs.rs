//! Typing of expressions: literals, lists, references and operators.

use mlforge_syntax::ast::{BinaryOp, Expr, ExprKind, Name, UnaryOp};

use crate::codes::Code;
use crate::diagnostic::Sink;
use crate::types::{Mismatch, Ty};
use crate::values;

/// What names mean where an expression stands.
pub(crate) trait Scope {
    /// The type of a bare name (a param or a loop variable); reports when unknown.
    fn name_type(&mut self, name: &Name, sink: &mut Sink) -> Ty;
    /// The type of `base.field` (a step's output); reports when unknown.
    fn field_type(&mut self, base: &Name, field: &Name, sink: &mut Sink) -> Ty;
}

pub(crate) fn infer(expr: &Expr, scope: &mut dyn Scope, sink: &mut Sink) -> Ty {
    match &expr.kind {
        ExprKind::Int(_) => Ty::Int,
        ExprKind::Float(_) => Ty::Float,
        ExprKind::Str(_) => Ty::Str,
        ExprKind::Bool(_) => Ty::Bool,
        ExprKind::Duration(_) => Ty::Duration,
        ExprKind::Error => Ty::Unknown,
        ExprKind::Name(name) => scope.name_type(name, sink),
        ExprKind::Field { base, field } => scope.field_type(base, field, sink),
        ExprKind::Record(fields) => values::literal_type(fields, scope, sink),
        ExprKind::Dict(entries) => values::dict_type(entries, scope, sink),
        ExprKind::Member { base, field } => {
            let base = infer(base, scope, sink);
            values::member_type(&base, field, sink)
        }
        ExprKind::Index { base, index } => values::index_type(base, index, scope, sink),
        ExprKind::Call { func, args } => values::call_type(expr, func, args, scope, sink),
        ExprKind::List(elems) => {
            let mut elem_ty = Ty::Unknown;
            for elem in elems {
                let ty = infer(elem, scope, sink);
                match elem_ty.join(&ty) {
                    Some(joined) => elem_ty = joined,
                    None => sink.error(
                        Code::TypeMismatch,
                        elem.span,
                        format!("a list's elements must have one type, but this is `{ty}` and the ones before are `{elem_ty}`"),
                    ),
                }
            }
            Ty::list(elem_ty)
        }
        ExprKind::Unary { op, operand } => {
            let ty = infer(operand, scope, sink);
            let (wanted, ok) = match op {
                UnaryOp::Neg => ("a number", ty.is_numeric()),
                UnaryOp::Not => ("a bool", matches!(ty, Ty::Bool | Ty::Unknown)),
            };
            if !ok {
                report_operand(
                    sink,
                    operand,
                    &ty,
                    wanted,
                    if *op == UnaryOp::Neg { "-" } else { "not" },
                );
                return Ty::Unknown;
            }
            match op {
                UnaryOp::Neg => ty,
                UnaryOp::Not => Ty::Bool,
            }
        }
        ExprKind::Binary { op, lhs, rhs } => {
            let l = infer(lhs, scope, sink);
            let r = infer(rhs, scope, sink);
            binary_type(*op, (lhs, &l), (rhs, &r), sink)
        }
    }
}

fn binary_type(
    op: BinaryOp,
    (lhs, l): (&Expr, &Ty),
    (rhs, r): (&Expr, &Ty),
    sink: &mut Sink,
) -> Ty {
    let symbol = op.symbol();
    match op {
        BinaryOp::And | BinaryOp::Or => {
            for (expr, ty) in [(lhs, l), (rhs, r)] {
                if !matches!(ty, Ty::Bool | Ty::Unknown) {
                    report_operand(sink, expr, ty, "a bool", symbol);
                }
            }
            Ty::Bool
        }
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => {
            let mut ok = true;
            for (expr, ty) in [(lhs, l), (rhs, r)] {
                if !ty.is_numeric() {
                    report_operand(sink, expr, ty, "a number", symbol);
                    ok = false;
                }
            }
            match (ok, l, r) {
                (false, _, _) | (_, Ty::Unknown, _) | (_, _, Ty::Unknown) => Ty::Unknown,
                (true, Ty::Int, Ty::Int) if op != BinaryOp::Div => Ty::Int,
                _ => Ty::Float,
            }
        }
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Eq | BinaryOp::Ne => {
            let ordered = !matches!(op, BinaryOp::Eq | BinaryOp::Ne);
            let comparable = |ty: &Ty| match ty {
                Ty::Int | Ty::Float | Ty::Str | Ty::Unknown => true,
                Ty::Bool => !ordered,
                _ => false,
            };
            let mut ok = true;
            for (expr, ty) in [(lhs, l), (rhs, r)] {
                if !comparable(ty) {
                    let wanted = if ordered {
                        "a number or a string"
                    } else {
                        "a number, a string or a bool"
                    };
                    report_operand(sink, expr, ty, wanted, symbol);
                    ok = false;
                }
            }
            let same_family = l.is_numeric() && r.is_numeric()
                || l == r
                || *l == Ty::Unknown
                || *r == Ty::Unknown;
            if ok && !same_family {
                sink.push(
                    sink.at(
                        Code::InvalidOperands,
                        lhs.span.cover(rhs.span),
                        format!("`{symbol}` cannot compare `{l}` with `{r}`"),
                    )
                    .with_help("compare values of the same type"),
                );
            }
            Ty::Bool
        }
    }
}

fn report_operand(sink: &mut Sink, expr: &Expr, ty: &Ty, wanted: &str, symbol: &str) {
    if *ty == Ty::Unknown {
        return;
    }
    let code = match ty {
        Ty::Optional(_) => Code::OptionalMisuse,
        _ => Code::InvalidOperands,
    };
    let mut d = sink.at(
        code,
        expr.span,
        format!("`{symbol}` needs {wanted}, but this is `{ty}`"),
    );
    if let Ty::Optional(_) = ty {
        d = d.with_help("the value may be absent: use it inside the `if` block that produces it");
    }
    sink.push(d);
}

/// Reports that a value of type `found` cannot go where `expected` is wanted.
pub(crate) fn report_mismatch(
    sink: &mut Sink,
    expr: &Expr,
    mismatch: Mismatch,
    found: &Ty,
    expected: &Ty,
    what: &str,
) -> crate::Diagnostic {
    let (message, help) = match mismatch {
        Mismatch::Different => (
            format!("{what} expects `{expected}`, but this is `{found}`"),
            None,
        ),
        // A list whose elements may be absent (the fan-in of a step inside an `if` inside a
        // `for`): making the list itself optional does not help.
        Mismatch::Optional if found.has_optional_elements() => (
            format!("{what} expects `{expected}`, but this is `{found}`, whose elements may be absent (they come from a step inside an `if` inside a `for`)"),
            Some("keep the values that are there with `present(…)`, or declare the input with optional elements, like `list<T?>`"),
        ),
        Mismatch::Optional => (
            format!("{what} requires a value, but this is `{found}`, which may be absent"),
            Some("its step is inside an `if`: use it inside that `if` block, or declare the input as optional (`T?`)"),
        ),
        Mismatch::List => match (found, expected) {
            (Ty::List(_), _) => (
                format!("{what} takes one `{expected}`, but this is a list, `{found}`"),
                Some("pass it to a `list<…>` input, or use one element inside a `for` over it (outputs of steps inside a `for` are lists outside it)"),
            ),
            _ => (
                format!("{what} takes a list, `{expected}`, but this is one `{found}`"),
                Some("wrap it in brackets to make a list of one: `[value]`"),
            ),
        },
    };
    let mut d = sink.at(mismatch.code(), expr.span, message);
    if let Some(help) = help {
        d = d.with_help(help);
    }
    d
}

/// Whether an expression is a constant: literals, lists of them, and arithmetic on them.
pub(crate) fn is_constant(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Name(_)
        | ExprKind::Field { .. }
        | ExprKind::Member { .. }
        | ExprKind::Index { .. }
        | ExprKind::Call { .. } => false,
        ExprKind::List(elems) => elems.iter().all(is_constant),
        ExprKind::Record(fields) => fields.iter().all(|f| is_constant(&f.value)),
        ExprKind::Dict(entries) => entries.iter().all(|e| is_constant(&e.value)),
        ExprKind::Unary { operand, .. } => is_constant(operand),
        ExprKind::Binary { lhs, rhs, .. } => is_constant(lhs) && is_constant(rhs),
        _ => true,
    }
}

/// Names nothing: used to type constant expressions (defaults, attributes).
pub(crate) struct NoNames;

impl Scope for NoNames {
    fn name_type(&mut self, _: &Name, _: &mut Sink) -> Ty {
        Ty::Unknown
    }
    fn field_type(&mut self, _: &Name, _: &Name, _: &mut Sink) -> Ty {
        Ty::Unknown
    }
}
