//! Structured values (LANGUAGE.md §6.1, §6.2): record and dict literals checked against the
//! type expected where they stand, field access, indexing, and the built-in functions.

use mlforge_syntax::ast::{Arg, DictEntry, Expr, ExprKind, Name, UnaryOp};
use mlforge_syntax::Span;

use crate::codes::Code;
use crate::diagnostic::{suggest, Sink};
use crate::exprs::{infer, report_mismatch, Scope};
use crate::types::{assignable, name_list, Mismatch, RecordTy, Ty};

/// The built-in functions expressions may call.
pub const FUNCTIONS: &[&str] = &["zip", "range", "present"];

/// The type of `expr` where a value of type `expected` is wanted. Record and dict literals
/// (and lists of them) take their type from `expected` and are checked field by field, each
/// problem reported where it is; anything else is inferred, for the caller to compare with
/// `expected` (a literal checked here returns `expected`, so nothing is reported twice).
pub(crate) fn check_value(
    expr: &Expr,
    expected: &Ty,
    scope: &mut dyn Scope,
    sink: &mut Sink,
) -> Ty {
    match (&expr.kind, expected) {
        (_, Ty::Optional(inner)) if needs_context(expr) => {
            check_value(expr, inner, scope, sink);
            expected.clone()
        }
        (ExprKind::Record(fields), Ty::Record(record)) => {
            check_record(expr.span, fields, record, scope, sink);
            expected.clone()
        }
        (ExprKind::Record(fields), Ty::Dict(_)) if fields.is_empty() => expected.clone(),
        (ExprKind::Dict(entries), Ty::Dict(value)) => {
            check_duplicate_keys(entries, sink);
            for entry in entries {
                let what = format!("the value of {:?}", entry.key.value);
                check_against(&entry.value, value, &what, Code::TypeMismatch, scope, sink);
            }
            expected.clone()
        }
        (ExprKind::List(items), Ty::List(elem)) if needs_context(expr) => {
            for item in items {
                check_against(
                    item,
                    elem,
                    "a list element",
                    Code::TypeMismatch,
                    scope,
                    sink,
                );
            }
            expected.clone()
        }
        _ => infer(expr, scope, sink),
    }
}

/// Checks `expr` where `expected` is wanted, reporting a mismatch (a plain one with `code`).
fn check_against(
    expr: &Expr,
    expected: &Ty,
    what: &str,
    code: Code,
    scope: &mut dyn Scope,
    sink: &mut Sink,
) {
    let found = check_value(expr, expected, scope, sink);
    if let Err(mismatch) = assignable(&found, expected) {
        let mut d = report_mismatch(sink, expr, mismatch, &found, expected, what);
        if mismatch == Mismatch::Different {
            d.code = code;
        }
        sink.push(d);
    }
}

/// Whether the type of `expr` depends on where it stands: it holds a record literal.
fn needs_context(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Record(_) => true,
        ExprKind::List(items) => items.iter().any(needs_context),
        ExprKind::Dict(entries) => entries.iter().any(|e| needs_context(&e.value)),
        _ => false,
    }
}

fn check_record(
    span: Span,
    fields: &[Arg],
    record: &RecordTy,
    scope: &mut dyn Scope,
    sink: &mut Sink,
) {
    let mut given: Vec<&Name> = Vec::with_capacity(fields.len());
    for field in fields {
        if let Some(first) = given.iter().find(|n| n.text == field.name.text) {
            sink.twice(
                Code::Duplicate,
                field.name.span,
                format!("the field `{}` is given twice", field.name.text),
                first.span,
                "first given here",
                "remove one of them",
            );
            continue;
        }
        given.push(&field.name);
        match record.field(&field.name.text) {
            Some(declared) => {
                let what = format!("the field `{}` of `{}`", declared.name, record.name);
                check_against(
                    &field.value,
                    &declared.ty,
                    &what,
                    Code::FieldType,
                    scope,
                    sink,
                );
            }
            None => {
                infer(&field.value, scope, sink);
                report_unknown_field(record, &field.name, sink);
            }
        }
    }
    let missing: Vec<String> = record
        .fields
        .iter()
        .filter(|f| !f.has_default && !given.iter().any(|n| n.text == f.name))
        .map(|f| format!("`{}: {}`", f.name, f.ty))
        .collect();
    if !missing.is_empty() {
        let message = match missing.as_slice() {
            [one] => format!(
                "this `{}` lacks the field {one}, which has no default",
                record.name
            ),
            _ => format!(
                "this `{}` lacks the fields {}, which have no default",
                record.name,
                missing.join(", ")
            ),
        };
        let d = sink
            .at(Code::MissingField, span, message)
            .with_help(format!(
                "give every field without a default, as `name: value`, or give it a default in `record {}`",
                record.name
            ));
        sink.push(d);
    }
}

fn report_unknown_field(record: &RecordTy, field: &Name, sink: &mut Sink) {
    let help =
        suggest(&field.text, record.fields.iter().map(|f| f.name.as_str())).unwrap_or_else(|| {
            format!(
                "the fields of `{}` are {}",
                record.name,
                record.field_list()
            )
        });
    let d = sink
        .at(
            Code::UnknownField,
            field.span,
            format!("the record `{}` has no field `{}`", record.name, field.text),
        )
        .with_help(help);
    sink.push(d);
}

fn check_duplicate_keys(entries: &[DictEntry], sink: &mut Sink) {
    for (i, entry) in entries.iter().enumerate() {
        if let Some(first) = entries[..i].iter().find(|e| e.key.value == entry.key.value) {
            sink.twice(
                Code::Duplicate,
                entry.key.span,
                format!("the key {:?} is given twice", entry.key.value),
                first.key.span,
                "first given here",
                "remove one of them",
            );
        }
    }
}

/// A record literal standing where no record is expected: its fields' types.
pub(crate) fn literal_type(fields: &[Arg], scope: &mut dyn Scope, sink: &mut Sink) -> Ty {
    let mut types: Vec<(String, Ty)> = Vec::with_capacity(fields.len());
    for field in fields {
        let ty = infer(&field.value, scope, sink);
        if !types.iter().any(|(n, _)| *n == field.name.text) {
            types.push((field.name.text.to_string(), ty));
        }
    }
    Ty::Literal(types.into())
}

/// A dict literal's type: `dict<T>` of its values' common type.
pub(crate) fn dict_type(entries: &[DictEntry], scope: &mut dyn Scope, sink: &mut Sink) -> Ty {
    check_duplicate_keys(entries, sink);
    let mut value_ty = Ty::Unknown;
    for entry in entries {
        let ty = infer(&entry.value, scope, sink);
        match value_ty.join(&ty) {
            Some(joined) => value_ty = joined,
            None => sink.error(
                Code::TypeMismatch,
                entry.value.span,
                format!("a dict's values must have one type, but this is `{ty}` and the ones before are `{value_ty}`"),
            ),
        }
    }
    Ty::Dict(Box::new(value_ty))
}

/// The type of `.field` on a value of type `base`.
pub(crate) fn member_type(base: &Ty, field: &Name, sink: &mut Sink) -> Ty {
    let message = match base {
        Ty::Unknown => return Ty::Unknown,
        Ty::Record(record) => match record.field(&field.text) {
            Some(f) => return f.ty.clone(),
            None => {
                report_unknown_field(record, field, sink);
                return Ty::Unknown;
            }
        },
        Ty::Literal(fields) => match fields.iter().find(|(n, _)| *n == field.text) {
            Some((_, ty)) => return ty.clone(),
            None => format!("this record literal has no field `{}`", field.text),
        },
        Ty::Optional(inner) if matches!(**inner, Ty::Record(_)) => {
            let d = sink
                .at(
                    Code::OptionalMisuse,
                    field.span,
                    format!(
                        "this `{base}` may be absent, so `.{}` may read nothing",
                        field.text
                    ),
                )
                .with_help("read it inside the `if` block that produces it");
            sink.push(d);
            return Ty::Unknown;
        }
        Ty::Dict(_) => format!(
            "`.{}` reads a record field, but this is a `{base}`: read a dict by key, as `d[{:?}]`",
            field.text, field.text
        ),
        other => format!("`{other}` has no fields; only records do"),
    };
    sink.error(Code::UnknownField, field.span, message);
    Ty::Unknown
}

/// The type of `base[index]`: a list element or a dict value. A literal index into a list
/// literal, or a literal key into a dict literal, is checked here.
pub(crate) fn index_type(base: &Expr, index: &Expr, scope: &mut dyn Scope, sink: &mut Sink) -> Ty {
    let base_ty = infer(base, scope, sink);
    let index_ty = infer(index, scope, sink);
    let (wanted, result) = match &base_ty {
        Ty::Unknown => return Ty::Unknown,
        Ty::List(elem) => (Ty::Int, (**elem).clone()),
        Ty::Dict(value) => (Ty::Str, (**value).clone()),
        Ty::Optional(_) => {
            let d = sink
                .at(
                    Code::OptionalMisuse,
                    base.span,
                    format!("this `{base_ty}` may be absent, so it cannot be indexed"),
                )
                .with_help("index it inside the `if` block that produces it");
            sink.push(d);
            return Ty::Unknown;
        }
        other => {
            sink.error(
                Code::TypeMismatch,
                base.span,
                format!("`[…]` reads a list element or a dict value, but this is `{other}`"),
            );
            return Ty::Unknown;
        }
    };
    if assignable(&index_ty, &wanted).is_err() {
        let what = if wanted == Ty::Int {
            "a list index"
        } else {
            "a dict key"
        };
        sink.error(
            Code::TypeMismatch,
            index.span,
            format!("{what} is a `{wanted}`, but this is `{index_ty}`"),
        );
        return result;
    }
    match (&base.kind, &index.kind) {
        (ExprKind::List(items), _) => {
            if let Some(i) = constant_int(index) {
                let len = items.len() as i64;
                if i >= len || i < -len {
                    let range = if len == 0 {
                        "it is empty".to_string()
                    } else {
                        format!(
                            "its indexes are 0 to {} (or -{len} to -1 from the end)",
                            len - 1
                        )
                    };
                    sink.error(
                        Code::OutOfBounds,
                        index.span,
                        format!("index {i} is out of range for this list of {len}: {range}"),
                    );
                }
            }
        }
        (ExprKind::Dict(entries), ExprKind::Str(key))
            if !entries.iter().any(|e| e.key.value == *key) =>
        {
            let keys: Vec<String> = entries
                .iter()
                .map(|e| format!("{:?}", e.key.value))
                .collect();
            let d = sink
                .at(
                    Code::OutOfBounds,
                    index.span,
                    format!("this dict has no key {key:?}"),
                )
                .with_help(format!(
                    "its keys are {}",
                    name_list(keys.iter().map(String::as_str))
                ));
            sink.push(d);
        }
        _ => {}
    }
    result
}

/// An integer literal, negated or not.
pub(crate) fn constant_int(expr: &Expr) -> Option<i64> {
    match &expr.kind {
        ExprKind::Int(n) => Some(*n),
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => constant_int(operand).map(|n| -n),
        _ => None,
    }
}

/// The type of a call of a built-in function. `zip` is only for loop headers, which the
/// pipeline checker reads itself (`zip_types`).
pub(crate) fn call_type(
    call: &Expr,
    func: &Name,
    args: &[Expr],
    scope: &mut dyn Scope,
    sink: &mut Sink,
) -> Ty {
    let types: Vec<Ty> = args.iter().map(|a| infer(a, scope, sink)).collect();
    let one_argument = |sink: &mut Sink, usage: &str| {
        if args.len() == 1 {
            return true;
        }
        let d = sink
            .at(
                Code::BadCall,
                call.span,
                format!(
                    "`{}` takes one argument, but this gives {}",
                    func.text,
                    args.len()
                ),
            )
            .with_help(format!("write `{usage}`"));
        sink.push(d);
        false
    };
    match func.text.as_str() {
        "range" => {
            if one_argument(sink, "range(n)") && assignable(&types[0], &Ty::Int).is_err() {
                sink.error(
                    Code::BadCall,
                    args[0].span,
                    format!(
                        "`range` needs an `int`, the number of elements, but this is `{}`",
                        types[0]
                    ),
                );
            }
            Ty::list(Ty::Int)
        }
        "present" => {
            if !one_argument(sink, "present(xs)") {
                return Ty::Unknown;
            }
            match &types[0] {
                Ty::Unknown => Ty::Unknown,
                Ty::List(elem) => match &**elem {
                    Ty::Optional(inner) => Ty::list((**inner).clone()),
                    Ty::Unknown => Ty::list(Ty::Unknown),
                    _ => {
                        let d = sink
                            .at(
                                Code::NeedlessPresent,
                                call.span,
                                format!("`present` keeps the values of a list that are there, but no element of this `{}` can be absent", types[0]),
                            )
                            .with_help("remove `present(…)` around it");
                        sink.push(d);
                        types[0].clone()
                    }
                },
                other => {
                    sink.error(
                        Code::BadCall,
                        args[0].span,
                        format!("`present` needs a list of optional values (`list<T?>`), but this is `{other}`"),
                    );
                    Ty::Unknown
                }
            }
        }
        "zip" => {
            let d = sink
                .at(
                    Code::BadCall,
                    call.span,
                    "`zip` pairs the elements of two lists for a loop, and only a loop header can take the pairs apart",
                )
                .with_help("write `for x, y in zip(a, b) { … }`");
            sink.push(d);
            Ty::Unknown
        }
        other => {
            let help = suggest(other, FUNCTIONS.iter().copied()).unwrap_or_else(|| {
                format!(
                    "the built-in functions are {}",
                    name_list(FUNCTIONS.iter().copied())
                )
            });
            let d = sink
                .at(
                    Code::BadCall,
                    func.span,
                    format!("there is no function named `{other}`"),
                )
                .with_help(help);
            sink.push(d);
            Ty::Unknown
        }
    }
}

/// The element types of `zip(a, b)` in a loop header: one list each, of equal length when
/// both are literals.
pub(crate) fn zip_types(
    call: &Expr,
    args: &[Expr],
    scope: &mut dyn Scope,
    sink: &mut Sink,
) -> (Ty, Ty) {
    let mut elems: Vec<Ty> = Vec::with_capacity(2);
    for arg in args {
        let ty = infer(arg, scope, sink);
        match ty.element() {
            Some(elem) => elems.push(elem),
            None => {
                let d = sink
                    .at(Code::ListMisuse, arg.span, format!("`zip` needs two lists, but this is `{ty}`"))
                    .with_help("zip lists: params of list type, list literals, or outputs of steps inside a `for`");
                sink.push(d);
                elems.push(Ty::Unknown);
            }
        }
    }
    if args.len() != 2 {
        let d = sink
            .at(
                Code::BadCall,
                call.span,
                format!("`zip` takes two lists, but this gives {}", args.len()),
            )
            .with_help("write `for x, y in zip(a, b)`; to walk more lists, zip lists of records");
        sink.push(d);
        return (Ty::Unknown, Ty::Unknown);
    }
    if let (ExprKind::List(a), ExprKind::List(b)) = (&args[0].kind, &args[1].kind) {
        if a.len() != b.len() {
            let d = sink
                .at(
                    Code::ZipLength,
                    call.span,
                    format!(
                        "`zip` walks two lists together, but these have {} and {} elements",
                        a.len(),
                        b.len()
                    ),
                )
                .with_help("give both lists the same length, or nest two loops to try every pair");
            sink.push(d);
        }
    }
    let second = elems.pop().unwrap_or(Ty::Unknown);
    let first = elems.pop().unwrap_or(Ty::Unknown);
    (first, second)
}
