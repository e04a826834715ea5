//! Attributes of ops and pipelines: which exist, and what values they take.

use std::collections::HashMap;

use mlforge_syntax::ast::{AttrValue, Attribute, Expr, ExprKind, UnaryOp};

use crate::codes::Code;
use crate::diagnostic::{suggest, Sink};

pub const OP_ATTRIBUTES: &[&str] = &[
    "image",
    "retries",
    "timeout",
    "cache",
    "resources",
    "env",
    "uses",
    "requires",
    "interpreter",
];
pub const PIPELINE_ATTRIBUTES: &[&str] = &[
    "schedule",
    "image",
    "retries",
    "timeout",
    "uses",
    "interpreter",
    "start_date",
    "catchup",
    "tags",
    "owner",
];
pub const RESOURCE_ENTRIES: &[&str] = &["cpu", "memory", "gpu"];

/// Checks a list of attributes, where `allowed` are the names valid in this place.
pub(crate) fn check_attributes(
    attrs: &[Attribute],
    allowed: &[&str],
    place: &str,
    sink: &mut Sink,
) {
    let mut seen: HashMap<&str, &Attribute> = HashMap::new();
    for attr in attrs {
        let name = attr.name.text.as_str();
        if let Some(first) = seen.insert(name, attr) {
            sink.twice(
                Code::Duplicate,
                attr.name.span,
                format!("the attribute `{name}` is set twice"),
                first.name.span,
                "first set here",
                "remove one of them",
            );
            continue;
        }
        if !allowed.contains(&name) {
            report_unknown(attr, allowed, place, sink);
            continue;
        }
        if let AttrValue::Secret(secret) = &attr.value {
            secret_elsewhere(secret, sink);
            continue;
        }
        match name {
            "image" => expect_string(
                attr,
                "a container image name, like \"python:3.12-slim\"",
                sink,
            ),
            "retries" => check_retries(attr, sink),
            "timeout" => check_timeout(attr, sink),
            "cache" | "catchup" => check_bool(attr, sink),
            "uses" => check_strings(
                attr,
                "a list of paths, like [\"src/helpers.py\", \"src/lib/\"]",
                sink,
                |_| None,
            ),
            "tags" => check_strings(
                attr,
                "a list of strings, like [\"ml\", \"nightly\"]",
                sink,
                |_| None,
            ),
            "requires" => check_strings(
                attr,
                "a list of Python requirements, like [\"pandas>=2.1\"]",
                sink,
                |text| requirement_problem(text).map(|problem| (Code::InvalidRequirement, problem)),
            ),
            "interpreter" => check_nonempty_string(
                attr,
                "the path or name of a Python, like \"envs/eval/bin/python\"",
                sink,
            ),
            "owner" => check_nonempty_string(attr, "a string, like \"ml-team\"", sink),
            "start_date" => check_date(attr, sink),
            "schedule" => check_schedule(attr, sink),
            "resources" => check_block(attr, sink, check_resources),
            // What a name in an env value means is the op's business (`op_check.rs`).
            "env" => check_block(attr, sink, |entries, sink| {
                check_duplicates(entries, sink);
                for entry in entries {
                    match &entry.value {
                        AttrValue::Expr(e) if env_value_form(e).is_some() => {}
                        AttrValue::Secret(secret) => check_secret_name(secret, sink),
                        _ => {
                            let span = value(entry).map_or(entry.span, |e| e.span);
                            sink.push(
                                sink.at(
                                    Code::InvalidEnvValue,
                                    span,
                                    format!(
                                        "the value of `{}` must be a string, the name of one of the op's string inputs, or `secret(\"NAME\")`",
                                        entry.name.text
                                    ),
                                )
                                .with_help("a secret is read from the runner's environment when the step runs, and is never stored"),
                            );
                        }
                    }
                }
            }),
            _ => {}
        }
    }
}

fn report_unknown(attr: &Attribute, allowed: &[&str], place: &str, sink: &mut Sink) {
    let name = &attr.name.text;
    let mut d = sink.at(
        Code::UnknownAttribute,
        attr.name.span,
        format!("{place} have no attribute `{name}`"),
    );
    d = d.with_help(match suggest(name, allowed.iter().copied()) {
        Some(s) => s,
        None => format!("the attributes here are {}", quoted_list(allowed)),
    });
    sink.push(d);
}

fn quoted_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn value(attr: &Attribute) -> Option<&Expr> {
    match &attr.value {
        AttrValue::Expr(e) => Some(e),
        AttrValue::Block(_) | AttrValue::Secret(_) => None,
    }
}

fn wrong_type(attr: &Attribute, wanted: &str, sink: &mut Sink) {
    let span = value(attr).map_or(attr.span, |e| e.span);
    sink.error(
        Code::AttributeType,
        span,
        format!("`{}` must be {wanted}", attr.name.text),
    );
}

fn expect_string(attr: &Attribute, wanted: &str, sink: &mut Sink) {
    match value(attr).map(|e| &e.kind) {
        Some(ExprKind::Str(_) | ExprKind::Error) => {}
        _ => wrong_type(attr, wanted, sink),
    }
}

/// The value of an integer literal, negative ones included.
fn int_value(expr: &Expr) -> Option<i64> {
    match &expr.kind {
        ExprKind::Int(v) => Some(*v),
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => int_value(operand).map(|v| -v),
        _ => None,
    }
}

fn number_value(expr: &Expr) -> Option<f64> {
    match &expr.kind {
        ExprKind::Int(v) => Some(*v as f64),
        ExprKind::Float(text) => Some(Expr::float_value(text)),
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => number_value(operand).map(|v| -v),
        _ => None,
    }
}

fn is_error(attr: &Attribute) -> bool {
    matches!(value(attr).map(|e| &e.kind), Some(ExprKind::Error))
}

fn check_retries(attr: &Attribute, sink: &mut Sink) {
    if is_error(attr) {
        return;
    }
    match value(attr).and_then(int_value) {
        Some(n) if n < 0 => sink.error(
            Code::OutOfRange,
            attr.span,
            format!("`retries` cannot be negative ({n}); use 0 for no retries"),
        ),
        Some(_) => {}
        None => wrong_type(attr, "a whole number of retries, like 2", sink),
    }
}

/// `secret(…)` where only an `env` entry may read one.
fn secret_elsewhere(secret: &mlforge_syntax::ast::Secret, sink: &mut Sink) {
    sink.push(
        sink.at(
            Code::AttributeType,
            secret.span,
            "a secret can only be the value of an `env` entry",
        )
        .with_help(
            "write `env { NAME = secret(\"NAME\") }`: the body reads it from its environment",
        ),
    );
}

/// A secret names an environment variable: letters, digits and `_`, not starting with a digit.
fn check_secret_name(secret: &mlforge_syntax::ast::Secret, sink: &mut Sink) {
    let name = &secret.name.value;
    let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        sink.push(
            sink.at(
                Code::InvalidEnvValue,
                secret.name.span,
                format!("\"{name}\" cannot be the name of an environment variable"),
            )
            .with_help("a secret names the runner's environment variable: letters, digits and `_`, not starting with a digit, like \"API_TOKEN\""),
        );
    }
}

/// What an env value is, when it has a form an env value may have.
pub(crate) enum EnvForm<'e> {
    Literal,
    Input(&'e mlforge_syntax::ast::Name),
}

pub(crate) fn env_value_form(expr: &Expr) -> Option<EnvForm<'_>> {
    match &expr.kind {
        ExprKind::Str(_) | ExprKind::Error => Some(EnvForm::Literal),
        ExprKind::Name(name) => Some(EnvForm::Input(name)),
        _ => None,
    }
}

fn check_nonempty_string(attr: &Attribute, wanted: &str, sink: &mut Sink) {
    match value(attr).map(|e| &e.kind) {
        Some(ExprKind::Str(s)) if s.trim().is_empty() => sink.error(
            Code::AttributeType,
            attr.span,
            format!("`{}` cannot be empty; it must be {wanted}", attr.name.text),
        ),
        _ => expect_string(attr, wanted, sink),
    }
}

/// A list of string literals, each checked by `problem` (a code and a message).
fn check_strings(
    attr: &Attribute,
    wanted: &str,
    sink: &mut Sink,
    problem: impl Fn(&str) -> Option<(Code, String)>,
) {
    let Some(expr) = value(attr) else {
        return wrong_type(attr, wanted, sink);
    };
    let items = match &expr.kind {
        ExprKind::Error => return,
        ExprKind::List(items) => items,
        _ => return wrong_type(attr, wanted, sink),
    };
    for item in items {
        match &item.kind {
            ExprKind::Error => {}
            ExprKind::Str(text) if text.trim().is_empty() => sink.error(
                Code::AttributeType,
                item.span,
                format!("an entry of `{}` cannot be empty", attr.name.text),
            ),
            ExprKind::Str(text) => {
                if let Some((code, message)) = problem(text) {
                    sink.error(code, item.span, message);
                }
            }
            _ => sink.error(
                Code::AttributeType,
                item.span,
                format!(
                    "every entry of `{}` must be a string in quotes",
                    attr.name.text
                ),
            ),
        }
    }
}

/// Why a Python requirement (PEP 508: a name, extras, version specifiers, a marker after
/// `;`) is not one, or `None`.
pub fn requirement_problem(text: &str) -> Option<String> {
    let (spec, _marker) = text.split_once(';').unwrap_or((text, ""));
    let spec = spec.trim();
    let name_len = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        .unwrap_or(spec.len());
    let (name, mut rest) = spec.split_at(name_len);
    let bad = |why: &str| {
        Some(format!(
            "\"{text}\" is not a Python requirement: {why}; write a package name and optional versions, like \"pandas>=2.1\" or \"scikit-learn>=1.5,<2\""
        ))
    };
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return bad("it must start with a package name");
    }
    rest = rest.trim_start();
    if let Some(extras) = rest.strip_prefix('[') {
        let Some((inside, after)) = extras.split_once(']') else {
            return bad("`[` opens extras that are never closed");
        };
        if inside.split(',').any(|e| {
            let e = e.trim();
            e.is_empty()
                || !e
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        }) {
            return bad("extras are names separated by commas, like `[sql,excel]`");
        }
        rest = after.trim_start();
    }
    if rest.is_empty() {
        return None;
    }
    for clause in rest.split(',') {
        let clause = clause.trim();
        let op_len = clause
            .find(|c: char| !matches!(c, '<' | '>' | '=' | '!' | '~'))
            .unwrap_or(clause.len());
        let (op, version) = clause.split_at(op_len);
        if !["==", "!=", "<=", ">=", "<", ">", "~=", "==="].contains(&op) {
            return bad(&format!(
                "`{clause}` does not start with a comparison like >= or =="
            ));
        }
        let version = version.trim();
        if version.is_empty()
            || !version.chars().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, '.' | '*' | '+' | '!' | '_' | '-')
            })
        {
            return bad(&format!("`{clause}` has no valid version after `{op}`"));
        }
    }
    None
}

/// `YYYY-MM-DD`, a real date.
fn check_date(attr: &Attribute, sink: &mut Sink) {
    let Some(expr) = value(attr) else {
        return wrong_type(attr, "a date in quotes, like \"2024-01-01\"", sink);
    };
    let text = match &expr.kind {
        ExprKind::Error => return,
        ExprKind::Str(text) => text,
        _ => return wrong_type(attr, "a date in quotes, like \"2024-01-01\"", sink),
    };
    if let Err(problem) = validate_date(text) {
        sink.push(
            sink.at(Code::InvalidDate, expr.span, problem)
                .with_help("write the date as year-month-day, like \"2024-01-01\""),
        );
    }
}

/// Checks a `YYYY-MM-DD` date.
pub fn validate_date(text: &str) -> Result<(), String> {
    let parts: Vec<&str> = text.split('-').collect();
    let number = |p: &str, len: usize| {
        (p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse::<u32>().ok())
            .flatten()
    };
    let [Some(year), Some(month), Some(day)] = (match parts.as_slice() {
        [y, m, d] => [number(y, 4), number(m, 2), number(d, 2)],
        _ => [None, None, None],
    }) else {
        return Err(format!("\"{text}\" is not a date written as YYYY-MM-DD"));
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(format!("\"{text}\": {month} is not a month (1-12)")),
    };
    if day == 0 || day > days {
        return Err(format!("\"{text}\": the month has no day {day}"));
    }
    Ok(())
}

fn check_bool(attr: &Attribute, sink: &mut Sink) {
    if !matches!(
        value(attr).map(|e| &e.kind),
        Some(ExprKind::Bool(_) | ExprKind::Error)
    ) {
        wrong_type(attr, "`true` or `false`", sink);
    }
}

/// A duration literal's length in seconds, or why it is not one.
pub fn duration_seconds(text: &str) -> Result<u64, String> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => {
            return Err(format!(
                "`{text}` is not a duration: `{unit}` is not a unit; use s, m, h or d, as in `30m`"
            ))
        }
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is too long a duration"))?;
    n.checked_mul(scale)
        .ok_or_else(|| format!("`{text}` is too long a duration"))
}

fn check_timeout(attr: &Attribute, sink: &mut Sink) {
    let Some(expr) = value(attr) else {
        return wrong_type(attr, "a duration, like 30m", sink);
    };
    let problem = match &expr.kind {
        ExprKind::Error => return,
        ExprKind::Duration(text) => match duration_seconds(text) {
            Ok(0) => {
                sink.error(
                    Code::OutOfRange,
                    expr.span,
                    "`timeout` must be longer than zero",
                );
                return;
            }
            Ok(_) => return,
            Err(message) => message,
        },
        ExprKind::Int(n) => format!("`{n}` has no unit; write a duration like `{n}s` or `{n}m`"),
        ExprKind::Str(s) => {
            format!("a duration is written without quotes, like `30m`, not \"{s}\"")
        }
        _ => return wrong_type(attr, "a duration, like 30m", sink),
    };
    sink.push(
        sink.at(Code::InvalidDuration, expr.span, problem)
            .with_help("durations are a whole number followed by s, m, h or d: 10s 30m 2h 1d"),
    );
}

const SCHEDULE_ALIASES: &[&str] = &[
    "@hourly",
    "@daily",
    "@weekly",
    "@monthly",
    "@yearly",
    "@annually",
];

fn check_schedule(attr: &Attribute, sink: &mut Sink) {
    let Some(expr) = value(attr) else {
        return wrong_type(
            attr,
            "a cron text or @hourly, @daily, @weekly or @monthly",
            sink,
        );
    };
    let text = match &expr.kind {
        ExprKind::Str(s) => s,
        ExprKind::Error => return,
        _ => {
            return wrong_type(
                attr,
                "a string: a cron text like \"0 3 * * *\" or \"@daily\"",
                sink,
            )
        }
    };
    if let Err(problem) = validate_schedule(text) {
        sink.push(
            sink.at(Code::InvalidSchedule, expr.span, problem).with_help(
                "use five cron fields (minute hour day-of-month month day-of-week), like \"0 3 * * *\", or one of @hourly @daily @weekly @monthly @yearly",
            ),
        );
    }
}

/// Checks a schedule: a five-field cron text or an `@` alias.
pub fn validate_schedule(text: &str) -> Result<(), String> {
    let text = text.trim();
    if text.starts_with('@') {
        return if SCHEDULE_ALIASES.contains(&text) {
            Ok(())
        } else {
            Err(format!("`{text}` is not a schedule alias"))
        };
    }
    let fields: Vec<&str> = text.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!(
            "\"{text}\" is not a schedule: a cron text has 5 fields, this has {}",
            fields.len()
        ));
    }
    const MONTHS: &[&str] = &[
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ];
    const DAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
    let specs: [(&str, u32, u32, &[&str], u32); 5] = [
        ("minute", 0, 59, &[], 0),
        ("hour", 0, 23, &[], 0),
        ("day of the month", 1, 31, &[], 0),
        ("month", 1, 12, MONTHS, 1),
        ("day of the week", 0, 7, DAYS, 0),
    ];
    for (field, (what, min, max, names, first)) in fields.iter().zip(specs) {
        validate_cron_field(field, min, max, names, first).map_err(|bad| {
            format!("\"{text}\": `{bad}` is not a valid {what} (allowed: {min}-{max})")
        })?;
    }
    Ok(())
}

fn validate_cron_field(
    field: &str,
    min: u32,
    max: u32,
    names: &[&str],
    first: u32,
) -> Result<(), String> {
    let value = |part: &str| -> Option<u32> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(part)) {
            return Some(i as u32 + first);
        }
        part.parse::<u32>().ok().filter(|v| (min..=max).contains(v))
    };
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => (range, Some(step)),
            None => (part, None),
        };
        if let Some(step) = step {
            if step.parse::<u32>().ok().filter(|s| *s > 0).is_none() {
                return Err(part.to_string());
            }
        }
        let ok = match range {
            "*" => true,
            _ => match range.split_once('-') {
                Some((a, b)) => matches!((value(a), value(b)), (Some(a), Some(b)) if a <= b),
                None => value(range).is_some(),
            },
        };
        if !ok {
            return Err(part.to_string());
        }
    }
    Ok(())
}

fn check_block(attr: &Attribute, sink: &mut Sink, check: impl FnOnce(&[Attribute], &mut Sink)) {
    match &attr.value {
        AttrValue::Block(entries) => check(entries, sink),
        AttrValue::Expr(expr) => sink.error(
            Code::AttributeType,
            expr.span,
            format!(
                "`{}` is a block of settings: write `{} {{ NAME = value }}`",
                attr.name.text, attr.name.text
            ),
        ),
        // Reported where secrets are looked at, in `check_attributes`.
        AttrValue::Secret(_) => {}
    }
}

fn check_duplicates(entries: &[Attribute], sink: &mut Sink) {
    let mut seen: HashMap<&str, &Attribute> = HashMap::new();
    for entry in entries {
        if let Some(first) = seen.insert(&entry.name.text, entry) {
            sink.twice(
                Code::Duplicate,
                entry.name.span,
                format!("`{}` is set twice", entry.name.text),
                first.name.span,
                "first set here",
                "remove one of them",
            );
        }
    }
}

fn check_resources(entries: &[Attribute], sink: &mut Sink) {
    check_duplicates(entries, sink);
    for entry in entries {
        let Some(expr) = value(entry) else {
            wrong_type(entry, "a single value", sink);
            continue;
        };
        if matches!(expr.kind, ExprKind::Error) {
            continue;
        }
        match entry.name.text.as_str() {
            "cpu" => match number_value(expr) {
                Some(n) if n <= 0.0 => sink.error(
                    Code::OutOfRange,
                    expr.span,
                    "`cpu` must be a positive number of cores, like 1 or 0.5",
                ),
                Some(_) => {}
                None => wrong_type(entry, "a number of cores, like 2 or 0.5", sink),
            },
            "gpu" => match int_value(expr) {
                Some(n) if n < 0 => sink.error(
                    Code::OutOfRange,
                    expr.span,
                    "`gpu` cannot be negative; use 0 for none",
                ),
                Some(_) => {}
                None => wrong_type(entry, "a whole number of GPUs, like 1", sink),
            },
            "memory" => match &expr.kind {
                ExprKind::Str(text) => {
                    if let Err(problem) = memory_bytes(text) {
                        sink.push(sink.at(Code::InvalidMemory, expr.span, problem).with_help(
                            "write a number and a unit in quotes, like \"512Mi\" or \"4Gi\"",
                        ));
                    }
                }
                _ => wrong_type(entry, "a quantity in quotes, like \"4Gi\"", sink),
            },
            _ => report_unknown(entry, RESOURCE_ENTRIES, "`resources`", sink),
        }
    }
}

/// The size a memory quantity like `"4Gi"` stands for, in bytes.
pub fn memory_bytes(text: &str) -> Result<u64, String> {
    let digits = text
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.')
        .count();
    let (number, unit) = text.split_at(digits);
    let scale: f64 = match unit {
        "" => 1.0,
        "K" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        _ => {
            return Err(format!(
                "\"{text}\" is not a memory quantity: the unit must be one of Ki Mi Gi Ti K M G T"
            ))
        }
    };
    match number.parse::<f64>() {
        Ok(n) if n > 0.0 => Ok((n * scale) as u64),
        Ok(_) => Err(format!(
            "\"{text}\" is not a memory quantity: it must be more than zero"
        )),
        Err(_) => Err(format!(
            "\"{text}\" is not a memory quantity: it must start with a number"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules() {
        for ok in [
            "@daily",
            "0 3 * * *",
            "*/15 0-6 1,15 JAN-MAR mon-fri",
            "0 0 * * 7",
        ] {
            assert_eq!(validate_schedule(ok), Ok(()), "{ok}");
        }
        for bad in [
            "every day",
            "61 * * * *",
            "* * * *",
            "@sometimes",
            "*/0 * * * *",
            "5-1 * * * *",
        ] {
            assert!(validate_schedule(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn requirements_and_dates() {
        for ok in [
            "pandas",
            "pandas>=2.1",
            "scikit-learn>=1.5,<2",
            "requests[socks,security]==2.31.0",
            "numpy~=1.26; python_version >= '3.9'",
            "torch==2.*",
        ] {
            assert_eq!(requirement_problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            ">=2",
            "pandas>>2",
            "pandas>=",
            "pandas[sql",
            "pan das",
            "pandas 2",
        ] {
            assert!(requirement_problem(bad).is_some(), "{bad}");
        }
        assert_eq!(validate_date("2024-02-29"), Ok(()));
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-1-01",
            "yesterday",
            "2024-04-31",
        ] {
            assert!(validate_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_and_memory() {
        assert_eq!(duration_seconds("30m"), Ok(1800));
        assert!(duration_seconds("10x").is_err());
        assert_eq!(memory_bytes("4Gi"), Ok(4 << 30));
        assert!(memory_bytes("4 gigs").is_err());
        assert!(memory_bytes("0Mi").is_err());
    }
}
