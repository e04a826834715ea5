//! Dict keys after `d[` or inside `d["`, where the program says which keys `d` holds.

use mlforge_analysis::items::ItemKey;
use mlforge_analysis::signature::pipeline_signature;
use mlforge_analysis::types::Ty;
use mlforge_analysis::{Db, SourceFile};
use mlforge_syntax::ast::{self, Expr, ExprKind, Item, Stmt};
use mlforge_syntax::Span;

use crate::base::{slice, text, tree, TK};
use crate::context::{Frame, Scan};
use crate::defs::visit_steps;
use crate::records::{as_record, part_type, record_decl};
use crate::scope::{pipeline_at, PipelineAt};
use crate::CompletionKind;

use super::out::Out;

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

/// The literal values `path` (a pipeline param or loop variable, then fields) may hold as
/// far as the program says: see `root_values`, then, field by field, the literal's field or
/// else the record's default.
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
    let Some((mut ty, mut values)) = root_values(db, &at, first, at.loop_vars.len()) else {
        return Vec::new();
    };
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

/// What a name may hold: a param's default and the arguments of the steps in this file
/// calling the pipeline; a loop variable's, the elements of the list literals its loop
/// walks. With the name's type.
/// Only the first `visible` loop variables are in scope (a loop's list is read outside it).
fn root_values<'db>(
    db: &'db dyn Db,
    at: &PipelineAt<'db>,
    name: &str,
    visible: usize,
) -> Option<(Ty, Vec<(SourceFile, &'db Expr)>)> {
    let file = at.file;
    let vars = &at.loop_vars[..visible.min(at.loop_vars.len())];
    if let Some(j) = vars.iter().rposition(|(v, _)| v.text == name) {
        let (var, ty) = &vars[j];
        let walked = loop_of(&at.pipeline.body, var.span)?;
        let lists: Vec<(SourceFile, &Expr)> = match &walked.iter.kind {
            ExprKind::Name(list) => root_values(db, at, &list.text, j)?.1,
            _ => vec![(file, &walked.iter)],
        };
        let elements = lists
            .into_iter()
            .flat_map(|(source, list)| match &list.kind {
                ExprKind::List(items) => items.iter().map(|i| (source, i)).collect(),
                _ => Vec::new(),
            })
            .collect();
        return Some((ty.clone(), elements));
    }
    let param = at.pipeline.params.iter().find(|p| p.name.text == name)?;
    let pipeline = at.pipeline.name.text.as_str();
    let key = ItemKey::new(db, file, pipeline.to_string());
    let ty = pipeline_signature(db, key)
        .as_ref()?
        .input(name)?
        .ty
        .clone();
    let mut values: Vec<(SourceFile, &Expr)> = param.default.iter().map(|d| (file, d)).collect();
    values.extend(caller_args(db, file, pipeline, name));
    Some((ty, values))
}

/// The `for` statement whose variable is at `var`.
fn loop_of(stmts: &[Stmt], var: Span) -> Option<&ast::For> {
    stmts.iter().find_map(|stmt| match stmt {
        Stmt::For(f) if f.var.span == var => Some(f),
        Stmt::For(f) => loop_of(&f.body, var),
        Stmt::If(i) => loop_of(&i.then_body, var)
            .or_else(|| loop_of(i.else_body.as_deref().unwrap_or_default(), var)),
        _ => None,
    })
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
