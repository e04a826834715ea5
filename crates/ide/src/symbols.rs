//! Document symbols (the outline) and workspace symbols.

use mlforge_analysis::items::imports;
use mlforge_analysis::{Db, SourceFile};
use mlforge_syntax::ast::{self, Item, Stmt};
use mlforge_syntax::Span;

use crate::base::{slice, text, tree};
use crate::render::{item_signature, param_text};
use crate::{Symbol, SymbolKind};

pub(crate) fn document_symbols(db: &dyn Db, file: SourceFile) -> Vec<Symbol> {
    let text = text(db, file);
    let resolved = imports(db, file);
    let mut out = Vec::new();
    let mut import_no = 0;
    for item in &tree(db, file).file.items {
        match item {
            Item::Import(import) => {
                let namespace = resolved.get(import_no).map(|r| r.namespace.clone());
                import_no += 1;
                out.push(Symbol {
                    name: namespace.unwrap_or_else(|| import.path.value.clone()),
                    kind: SymbolKind::Import,
                    detail: Some(format!("import {}", slice(text, import.path.span))),
                    span: import.span,
                    selection: import.alias.as_ref().map_or(import.path.span, |a| a.span),
                    children: Vec::new(),
                });
            }
            Item::Artifact(a) => out.push(Symbol {
                name: a.name.text.to_string(),
                kind: SymbolKind::Artifact,
                detail: Some(format!(
                    ": {}",
                    a.base.as_ref().map_or("File", |b| slice(text, b.span()))
                )),
                span: a.span,
                selection: a.name.span,
                children: Vec::new(),
            }),
            Item::Record(r) => out.push(Symbol {
                name: r.name.text.to_string(),
                kind: SymbolKind::Record,
                detail: Some("record".to_string()),
                span: r.span,
                selection: r.name.span,
                children: params(text, &r.fields),
            }),
            Item::Op(op) => {
                let mut children = params(text, &op.params);
                children.extend(outputs(text, &op.outputs));
                out.push(Symbol {
                    name: op.name.text.to_string(),
                    kind: SymbolKind::Op,
                    detail: item_signature(db, file, &op.name.text).map(|s| s.label),
                    span: op.span,
                    selection: op.name.span,
                    children,
                });
            }
            Item::Pipeline(p) => {
                let mut children = params(text, &p.params);
                children.extend(outputs(text, p.outputs.as_deref().unwrap_or_default()));
                children.extend(stmts(text, &p.body));
                out.push(Symbol {
                    name: p.name.text.to_string(),
                    kind: SymbolKind::Pipeline,
                    detail: item_signature(db, file, &p.name.text).map(|s| s.label),
                    span: p.span,
                    selection: p.name.span,
                    children,
                });
            }
            Item::Error(_) => {}
        }
    }
    out
}

fn leaf(name: &str, kind: SymbolKind, detail: String, span: Span, selection: Span) -> Symbol {
    Symbol {
        name: name.to_string(),
        kind,
        detail: Some(detail),
        span,
        selection,
        children: Vec::new(),
    }
}

fn params(text: &str, params: &[ast::Param]) -> Vec<Symbol> {
    params
        .iter()
        .map(|p| {
            leaf(
                &p.name.text,
                SymbolKind::Param,
                param_text(text, p),
                p.span,
                p.name.span,
            )
        })
        .collect()
}

fn outputs(text: &str, outputs: &[ast::OutputDecl]) -> Vec<Symbol> {
    outputs
        .iter()
        .map(|o| {
            leaf(
                &o.name.text,
                SymbolKind::Output,
                slice(text, o.ty.span()).to_string(),
                o.span,
                o.name.span,
            )
        })
        .collect()
}

fn keyword_span(span: Span, len: usize) -> Span {
    Span::new(span.start as usize, span.start as usize + len)
}

fn stmts(text: &str, stmts: &[Stmt]) -> Vec<Symbol> {
    let mut out = Vec::new();
    for stmt in stmts {
        match stmt {
            Stmt::Step(s) => out.push(leaf(
                &s.name.text,
                SymbolKind::Step,
                format!("{}(…)", slice(text, s.callee.span)),
                s.span,
                s.name.span,
            )),
            Stmt::Output(o) => out.push(leaf(
                &o.name.text,
                SymbolKind::Output,
                format!("= {}", slice(text, o.value.span)),
                o.span,
                o.name.span,
            )),
            Stmt::For(f) => out.push(Symbol {
                name: format!("for {} in {}", f.var.text, slice(text, f.iter.span)),
                kind: SymbolKind::For,
                detail: None,
                span: f.span,
                selection: keyword_span(f.span, 3),
                children: stmts_rec(text, &f.body),
            }),
            Stmt::If(i) => {
                out.push(Symbol {
                    name: format!("if {}", slice(text, i.cond.span)),
                    kind: SymbolKind::If,
                    detail: None,
                    span: i.span,
                    selection: keyword_span(i.span, 2),
                    children: stmts_rec(text, &i.then_body),
                });
                if let Some(else_body) = &i.else_body {
                    let last = out.last_mut().expect("just pushed");
                    // The `else` keyword: the last one between the condition and the
                    // else body.
                    let from =
                        i.then_body.last().map_or(i.cond.span.end, |s| s.span().end) as usize;
                    let to = else_body.first().map_or(i.span.end, |s| s.span().start) as usize;
                    let at = text
                        .get(from..to)
                        .and_then(|gap| gap.find("else"))
                        .map_or(to, |k| from + k);
                    let else_span = Span::new(at, i.span.end as usize);
                    last.children.push(Symbol {
                        name: "else".to_string(),
                        kind: SymbolKind::If,
                        detail: None,
                        span: else_span,
                        selection: keyword_span(else_span, 4.min(else_span.len())),
                        children: stmts_rec(text, else_body),
                    });
                }
            }
            Stmt::Error(_) => {}
        }
    }
    out
}

fn stmts_rec(text: &str, body: &[Stmt]) -> Vec<Symbol> {
    stmts(text, body)
}

/// Case-insensitive subsequence match; a smaller score is a better match.
fn score(name: &str, query: &str) -> Option<(u8, usize)> {
    if query.is_empty() {
        return Some((3, name.len()));
    }
    let lname = name.to_ascii_lowercase();
    let lquery = query.to_ascii_lowercase();
    if lname == lquery {
        return Some((0, name.len()));
    }
    if lname.starts_with(&lquery) {
        return Some((1, name.len()));
    }
    if lname.contains(&lquery) {
        return Some((2, name.len()));
    }
    let mut chars = lname.chars();
    lquery
        .chars()
        .all(|q| chars.any(|c| c == q))
        .then_some((3, name.len()))
}

pub(crate) fn workspace_symbols(
    db: &dyn Db,
    files: &[SourceFile],
    query: &str,
) -> Vec<(SourceFile, Symbol)> {
    let mut found: Vec<((u8, usize), String, SourceFile, Symbol)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for &file in files {
        if !seen.insert(file) {
            continue;
        }
        let mut stack = document_symbols(db, file);
        while let Some(mut symbol) = stack.pop() {
            stack.extend(std::mem::take(&mut symbol.children));
            if matches!(
                symbol.kind,
                SymbolKind::For | SymbolKind::If | SymbolKind::Param
            ) {
                continue;
            }
            if let Some(s) = score(&symbol.name, query) {
                found.push((s, file.path(db).display().to_string(), file, symbol));
            }
        }
    }
    found.sort_by(|a, b| (a.0, &a.1, a.3.span.start).cmp(&(b.0, &b.1, b.3.span.start)));
    found.into_iter().map(|(_, _, f, s)| (f, s)).collect()
}
