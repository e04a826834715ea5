//! Inside literals: the fields of a record literal not given yet, and the keys of a dict
//! after `d[` or `d["` where the program says which keys it holds.

use mlforge_analysis::items::ItemKey;
use mlforge_analysis::signature::pipeline_signature;
use mlforge_analysis::{Db, SourceFile};
use mlforge_syntax::ast::{Expr, ExprKind, Item};

use crate::base::{slice, text, tree, TK};
use crate::context::{Frame, Scan};
use crate::defs::visit_steps;
use crate::expected::expected_type;
use crate::records::{as_record, part_type, record_decl};
use crate::render::param_text;
use crate::scope::pipeline_at;
use crate::CompletionKind;

use super::out::Out;

/// The fields of the record the literal opened by the innermost frame stands for, those
/// already given last.
pub(super) fn literal_fields(db: &dyn Db, file: SourceFile, scan: &Scan<'_>, out: &mut Out) {
    let Some(ty) = expected_type(db, file, scan, scan.frames.len() - 1) else {
        return;
    };
    let Some(record) = as_record(&ty) else {
        return;
    };
    let Some(decl) = record_decl(db, record) else {
        return;
    };
    let given = names_given(scan);
    let typed = slice(scan.text, out.replace);
    let decl_text = text(db, record.file);
    for field in &decl.fields {
        let name = &field.name.text;
        let is_given = given.contains(&name.as_str()) && name != typed;
        let mut detail = param_text(decl_text, field);
        if is_given {
            detail.push_str("  (already given)");
        }
        out.add(
            name.clone(),
            CompletionKind::Field,
            Some(detail),
            field.doc.clone(),
            if is_given { 2 } else { 0 },
        );
        out.insert(&format!("{name}: $0"));
    }
}

/// The names written as `name:` at the innermost frame's own depth before the offset.
pub(super) fn names_given<'a>(scan: &Scan<'a>) -> Vec<&'a str> {
    let mut depth = 0usize;
    let mut names = Vec::new();
    let tail = scan.tail();
    for (i, tok) in tail.iter().enumerate() {
        match tok.kind {
            TK::LParen | TK::LBracket | TK::LBrace => depth += 1,
            TK::RParen | TK::RBracket | TK::RBrace => depth = depth.saturating_sub(1),
            TK::Ident if depth == 0 => {
                let starts = i == 0 || tail[i - 1].kind == TK::Comma;
                if starts && tail.get(i + 1).is_some_and(|t| t.kind == TK::Colon) {
                    names.push(scan.tok_text(tok));
                }
            }
            _ => {}
        }
    }
    names
}

/// The keys of the dict indexed by the `[` opening `frame`, as `"key"` items, or as the
/// bare text of the key inside the string being typed (`quoted`).
pub(super) fn dict_keys(
    db: &dyn Db,
    file: SourceFile,
    offset: usize,
    scan: &Scan<'_>,
    frame: &Frame,
    quoted: bool,
    out: &mut Out,
) {
    let Some(path) = indexed_path(scan, frame) else {
        return;
    };
    let mut seen = std::collections::HashSet::new();
    for (source, value) in known_values(db, file, offset, &path) {
        let ExprKind::Dict(entries) = &value.kind else {
            continue;
        };
        for entry in entries {
            if !seen.insert(entry.key.value.as_str()) {
                continue;
            }
            let escaped = escape(&entry.key.value);
            let (label, insert) = if quoted {
                (entry.key.value.clone(), escaped)
            } else {
                let literal = format!("\"{escaped}\"");
                (literal.clone(), literal)
            };
            let detail = slice(text(db, source), entry.value.span).to_string();
            out.add(label, CompletionKind::Key, Some(detail), None, 0);
            out.set_plain_insert(insert);
        }
    }
}

/// `a.b.c` written before the `[` of `frame`, as its names.
fn indexed_path<'a>(scan: &Scan<'a>, frame: &Frame) -> Option<Vec<&'a str>> {
    let mut j = frame.open?.checked_sub(1)?;
    let mut path = Vec::new();
    loop {
        let tok = scan.toks.get(j).filter(|t| t.kind == TK::Ident)?;
        path.push(scan.tok_text(tok));
        if j >= 2 && scan.toks[j - 1].kind == TK::Dot {
            j -= 2;
        } else {
            break;
        }
    }
    path.reverse();
    Some(path)
}

/// The literal values `path` (a pipeline param, then fields) may hold as far as the program
/// says: the param's default and the arguments of the steps in this file calling the
/// pipeline, then, field by field, the literal's field or else the record's default.
fn known_values<'db>(
    db: &'db dyn Db,
    file: SourceFile,
    offset: usize,
    path: &[&str],
) -> Vec<(SourceFile, &'db Expr)> {
    let Some(at) = pipeline_at(db, file, offset) else {
        return Vec::new();
    };
    let Some((first, fields)) = path.split_first() else {
        return Vec::new();
    };
    if at.loop_vars.iter().any(|(v, _)| v.text == *first) {
        return Vec::new();
    }
    let Some(param) = at.pipeline.params.iter().find(|p| p.name.text == *first) else {
        return Vec::new();
    };
    let pipeline = at.pipeline.name.text.as_str();
    let key = ItemKey::new(db, file, pipeline.to_string());
    let Some(mut ty) = pipeline_signature(db, key)
        .as_ref()
        .and_then(|s| s.input(first))
        .map(|i| i.ty.clone())
    else {
        return Vec::new();
    };
    let mut values: Vec<(SourceFile, &Expr)> = param.default.iter().map(|d| (file, d)).collect();
    values.extend(caller_args(db, file, pipeline, first));
    for field in fields {
        let Some(record) = as_record(&ty) else {
            return Vec::new();
        };
        let default = record_decl(db, record)
            .and_then(|d| d.fields.iter().find(|f| f.name.text == *field))
            .and_then(|f| f.default.as_ref())
            .map(|e| (record.file, e));
        let mut next: Vec<(SourceFile, &Expr)> = values
            .iter()
            .filter_map(|(source, value)| match &value.kind {
                ExprKind::Record(args) => args
                    .iter()
                    .find(|a| a.name.text == *field)
                    .map(|a| (*source, &a.value))
                    .or(default),
                _ => None,
            })
            .collect();
        if next.is_empty() {
            next.extend(default);
        }
        values = next;
        let Some(inner) = part_type(&ty, field) else {
            return Vec::new();
        };
        ty = inner;
    }
    values
}

/// The arguments named `param` that steps of `file` pass to the pipeline `pipeline`.
fn caller_args<'db>(
    db: &'db dyn Db,
    file: SourceFile,
    pipeline: &str,
    param: &str,
) -> Vec<(SourceFile, &'db Expr)> {
    let mut out = Vec::new();
    for item in &tree(db, file).file.items {
        let Item::Pipeline(p) = item else { continue };
        visit_steps(&p.body, &mut |step| {
            if step.callee.namespace.is_none() && step.callee.name.text == pipeline {
                if let Some(arg) = step.args.iter().find(|a| a.name.text == param) {
                    out.push((file, &arg.value));
                }
            }
        });
    }
    out
}

/// A key as the text of a string literal.
fn escape(key: &str) -> String {
    key.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
