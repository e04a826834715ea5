//! Adding a step: `step NAME = OP()` with a name derived from the op's, in the body and at
//! the position asked for. Inputs with defaults are left out and required ones left missing,
//! so that the checker marks what is still to connect. An op of a workspace file the
//! document does not import yet comes with its `import`.

use std::path::Path;

use mlforge_analysis::items::{find_item, imports, resolve_callee, CalleeRef};
use mlforge_syntax::ast::{self, Item, Name, SmolStr};
use mlforge_syntax::Span;

use super::args::outcome;
use super::locate::Instance;
use super::text::{
    align_assign, assign_column, body_indent, default_index, insert_statement, layout,
};
use super::{EditOutcome, Refusal};
use crate::base::{is_identifier, is_keyword};
use crate::defs::visit_steps;
use crate::imports::{import_insert_point, import_line, stem};

pub(crate) struct Request<'a> {
    pub op: &'a str,
    pub name: Option<&'a str>,
    pub block: Option<&'a str>,
    pub index: Option<usize>,
    pub import: Option<&'a str>,
}

pub(crate) fn add_step(top: &Instance<'_>, request: Request<'_>) -> Result<EditOutcome, Refusal> {
    let (instance, body) = top.body_for(request.block)?;
    let (namespace, op) = match request.op.split_once('.') {
        Some((ns, op)) => (Some(ns), op),
        None => (None, request.op),
    };
    let mut edits = Vec::new();
    let callee = match request.import {
        Some(path) => {
            let (callee, import) = imported_callee(top, &instance, namespace, op, path)?;
            edits.extend(import);
            callee
        }
        None => callee_in(top, &instance, namespace, op)?,
    };

    let taken = taken_names(&instance);
    let name = match request.name {
        Some(name) if !is_identifier(name) || is_keyword(name) => {
            return Err(Refusal::invalid(format!(
                "`{name}` cannot name a step; use letters, digits and `_`, not starting with a digit, and no keyword"
            )))
        }
        Some(name) if taken.iter().any(|t| t == name) => {
            return Err(Refusal::invalid(format!(
                "`{name}` already names a step, param or loop variable of this pipeline; choose another name"
            )))
        }
        Some(name) => name.to_string(),
        None => (1..)
            .map(|n| if n == 1 { op.to_string() } else { format!("{op}{n}") })
            .find(|candidate| !taken.contains(candidate) && !is_keyword(candidate))
            .expect("some suffix is free"),
    };

    let index = match request.index {
        Some(index) if index > body.stmts.len() => {
            return Err(Refusal::invalid(format!(
                "position {index} is past the end of that body, which holds {} statements",
                body.stmts.len()
            )))
        }
        Some(index) => index,
        None => default_index(&body),
    };
    // Lined up with the step it is written next to, as the formatter lines up a run.
    let neighbour = index
        .checked_sub(1)
        .and_then(|i| body.stmts.get(i))
        .into_iter()
        .chain(body.stmts.get(index))
        .find_map(|s| match s {
            ast::Stmt::Step(step) => Some(step),
            _ => None,
        });
    let column = neighbour.and_then(|s| assign_column(&instance.text[s.span.range()]));
    let statement = align_assign(
        layout(
            &format!("step {name} = {callee}()"),
            body_indent(instance.text, &body),
        )?,
        column,
    );
    edits.push(insert_statement(
        instance.text,
        instance.comments(),
        &body,
        index,
        &statement,
    ));
    Ok(outcome(
        &instance,
        edits,
        Some(format!("{}{name}", instance.prefix)),
    ))
}

/// Names a new step may not take: the pipeline's steps, params and loop variables.
fn taken_names(instance: &Instance<'_>) -> Vec<String> {
    let mut taken: Vec<String> = instance
        .pipeline
        .params
        .iter()
        .map(|p| p.name.text.to_string())
        .collect();
    visit_steps(&instance.pipeline.body, &mut |s| {
        taken.push(s.name.text.to_string())
    });
    fn loop_vars(stmts: &[ast::Stmt], out: &mut Vec<String>) {
        for stmt in stmts {
            match stmt {
                ast::Stmt::For(f) => {
                    out.push(f.var.text.to_string());
                    loop_vars(&f.body, out);
                }
                ast::Stmt::If(i) => {
                    loop_vars(&i.then_body, out);
                    loop_vars(i.else_body.as_deref().unwrap_or_default(), out);
                }
                _ => {}
            }
        }
    }
    loop_vars(&instance.pipeline.body, &mut taken);
    taken
}

/// How the file of `instance` calls `op` (named as the document `top` names it).
fn callee_in(
    top: &Instance<'_>,
    instance: &Instance<'_>,
    namespace: Option<&str>,
    op: &str,
) -> Result<String, Refusal> {
    let name = |text: &str| Name {
        text: SmolStr::new(text),
        span: Span::empty(0),
    };
    let callee = ast::Callee {
        namespace: namespace.map(name),
        name: name(op),
        span: Span::empty(0),
    };
    let written = match namespace {
        Some(ns) => format!("{ns}.{op}"),
        None => op.to_string(),
    };
    let resolved: CalleeRef = resolve_callee(top.db, top.file, &callee).map_err(|_| {
        Refusal::not_found(format!(
            "there is no op or pipeline `{written}` this file can call; choose one from the op catalog"
        ))
    })?;
    if instance.file == top.file {
        return Ok(written);
    }
    // A sub-pipeline of another file: name the op as that file does.
    if resolved.file == instance.file {
        return Ok(op.to_string());
    }
    match imports(top.db, instance.file)
        .iter()
        .find(|i| i.target == Some(resolved.file))
    {
        Some(import) => Ok(format!("{}.{op}", import.namespace)),
        None => Err(Refusal::invalid(format!(
            "the pipeline `{}` lives in another file, which does not import `{written}`; add the step in that file",
            instance.pipeline.name.text
        ))),
    }
}

/// The callee for `ns.op` of the file at `path` (relative to the document), and the import
/// to add when the document does not import that file yet.
fn imported_callee(
    top: &Instance<'_>,
    instance: &Instance<'_>,
    namespace: Option<&str>,
    op: &str,
    path: &str,
) -> Result<(String, Option<crate::TextEdit>), Refusal> {
    let (db, file) = (top.db, top.file);
    if instance.file != file {
        return Err(Refusal::invalid(format!(
            "the pipeline `{}` lives in another file; add steps that need a new import in that file",
            instance.pipeline.name.text
        )));
    }
    let target = match path.strip_prefix("std/") {
        // A module of the op library: `std/io` (as the op catalog names it) or `std/io.mlf`.
        Some(module) => {
            let module = module.strip_suffix(".mlf").unwrap_or(module);
            db.std_file(module).ok_or_else(|| {
                Refusal::not_found(format!(
                    "the op library has no module `{path}`; ask the op catalog again"
                ))
            })?
        }
        None => {
            if !path.ends_with(".mlf") {
                return Err(Refusal::invalid(format!(
                    "`{path}` is not a .mlf file, so it cannot be imported"
                )));
            }
            let dir = file
                .path(db)
                .parent()
                .unwrap_or(Path::new(""))
                .to_path_buf();
            db.file_from(&dir.join(path), file.path(db))
        }
    };
    let defined = target.text(db).is_some()
        && matches!(
            find_item(db, target, op),
            Some(Item::Op(_) | Item::Pipeline(_))
        );
    if !defined {
        return Err(Refusal::not_found(format!(
            "`{path}` has no op or pipeline `{op}`; ask the op catalog again"
        )));
    }
    if let Some(existing) = imports(db, file).iter().find(|i| i.target == Some(target)) {
        return Ok((format!("{}.{op}", existing.namespace), None));
    }
    let stem = stem(db, target).unwrap_or_default();
    let namespace = namespace.unwrap_or(&stem);
    if !is_identifier(namespace) || is_keyword(namespace) {
        return Err(Refusal::invalid(format!(
            "`{namespace}` cannot name an import; name the op as the op catalog does"
        )));
    }
    if imports(db, file).iter().any(|i| i.namespace == namespace) {
        return Err(Refusal::invalid(format!(
            "this file already imports another file as `{namespace}`; ask the op catalog again"
        )));
    }
    let alias = (namespace != stem).then_some(namespace);
    let edit = crate::TextEdit {
        span: import_insert_point(db, file),
        new_text: import_line(db, file, path, alias),
    };
    Ok((format!("{namespace}.{op}"), Some(edit)))
}
