//! Attaches `///` doc comments to the items, params, outputs and steps that follow them.
//!
//! The lexer records each doc block under the start offset of the token right after it;
//! a node whose span starts at that offset owns the doc.

use std::collections::HashMap;

use crate::ast::*;

pub(crate) fn attach(file: &mut SourceFile, docs: &HashMap<u32, String>) {
    if docs.is_empty() {
        return;
    }
    let doc_at = |start: u32| docs.get(&start).cloned();
    for item in &mut file.items {
        match item {
            Item::Artifact(a) => a.doc = doc_at(a.span.start),
            Item::Op(op) => {
                op.doc = doc_at(op.span.start);
                attach_params(&mut op.params, &doc_at);
                attach_outputs(&mut op.outputs, &doc_at);
            }
            Item::Pipeline(p) => {
                p.doc = doc_at(p.span.start);
                attach_params(&mut p.params, &doc_at);
                attach_outputs(p.outputs.iter_mut().flatten(), &doc_at);
                attach_stmts(&mut p.body, &doc_at);
            }
            Item::Record(r) => {
                r.doc = doc_at(r.span.start);
                attach_params(&mut r.fields, &doc_at);
            }
            Item::Import(_) | Item::Error(_) => {}
        }
    }
}

fn attach_params(params: &mut [Param], doc_at: &impl Fn(u32) -> Option<String>) {
    for p in params {
        p.doc = doc_at(p.span.start);
    }
}

fn attach_outputs<'a>(
    outputs: impl IntoIterator<Item = &'a mut OutputDecl>,
    doc_at: &impl Fn(u32) -> Option<String>,
) {
    for o in outputs {
        o.doc = doc_at(o.span.start);
    }
}

/// Attaches docs to statements parsed on their own (see `reparse`).
pub(crate) fn attach_to_stmts(stmts: &mut [Stmt], docs: &HashMap<u32, String>) {
    if !docs.is_empty() {
        attach_stmts(stmts, &|start| docs.get(&start).cloned());
    }
}

/// Gives `to` the doc comment of `from`, the statement it replaces at the same place.
pub(crate) fn copy_doc(from: &Stmt, to: &mut Stmt) {
    match (from, to) {
        (Stmt::Step(a), Stmt::Step(b)) => b.doc = a.doc.clone(),
        (Stmt::Output(a), Stmt::Output(b)) => b.doc = a.doc.clone(),
        _ => {}
    }
}

fn attach_stmts(stmts: &mut [Stmt], doc_at: &impl Fn(u32) -> Option<String>) {
    for stmt in stmts {
        match stmt {
            Stmt::Step(s) => s.doc = doc_at(s.span.start),
            Stmt::Output(o) => o.doc = doc_at(o.span.start),
            Stmt::For(f) => attach_stmts(&mut f.body, doc_at),
            Stmt::If(i) => {
                attach_stmts(&mut i.then_body, doc_at);
                if let Some(else_body) = &mut i.else_body {
                    attach_stmts(else_body, doc_at);
                }
            }
            Stmt::Error(_) => {}
        }
    }
}
