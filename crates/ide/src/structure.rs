//! Folding ranges and selection ranges: the file's nested structure.

use mlforge_analysis::{Db, SourceFile};
use mlforge_syntax::ast::{self, AttrValue, BodySource, Expr, ExprKind, Item, Stmt, TypeRef};
use mlforge_syntax::{CommentKind, Span};

use crate::base::{clamp, has_newline, text, tree};
use crate::FoldKind;

pub(crate) fn folding_ranges(db: &dyn Db, file: SourceFile) -> Vec<(Span, FoldKind)> {
    let text = text(db, file);
    let parsed = tree(db, file);
    let multiline = |s: Span| has_newline(text, s.start as usize, s.end as usize);
    let mut out = Vec::new();
    // Runs of imports.
    let mut run: Option<Span> = None;
    let flush = |run: &mut Option<Span>, out: &mut Vec<(Span, FoldKind)>| {
        if let Some(span) = run.take() {
            if multiline(span) {
                out.push((span, FoldKind::Imports));
            }
        }
    };
    for item in &parsed.file.items {
        match item {
            Item::Import(import) => {
                run = Some(run.map_or(import.span, |r| r.cover(import.span)));
                continue;
            }
            _ => flush(&mut run, &mut out),
        }
        match item {
            Item::Op(op) => {
                if multiline(op.span) {
                    out.push((op.span, FoldKind::Region));
                }
                attrs_folds(&op.attrs, &multiline, &mut out);
                for body in &op.bodies {
                    if multiline(body.span) {
                        out.push((body.span, FoldKind::Region));
                    }
                }
            }
            Item::Pipeline(p) => {
                if multiline(p.span) {
                    out.push((p.span, FoldKind::Region));
                }
                attrs_folds(&p.attrs, &multiline, &mut out);
                stmt_folds(&p.body, &multiline, &mut out);
            }
            _ => {}
        }
    }
    flush(&mut run, &mut out);
    // Runs of line comments, and block comments.
    let mut comment_run: Option<(Span, CommentKind)> = None;
    for comment in &parsed.comments {
        if comment.kind == CommentKind::Block {
            if multiline(comment.span) {
                out.push((comment.span, FoldKind::Comment));
            }
            continue;
        }
        match &mut comment_run {
            Some((span, kind))
                if *kind == comment.kind
                    && text
                        .get(span.end as usize..comment.span.start as usize)
                        .is_some_and(|gap| {
                            gap.trim().is_empty() && gap.matches('\n').count() == 1
                        }) =>
            {
                *span = span.cover(comment.span);
            }
            _ => {
                if let Some((span, _)) = comment_run.take() {
                    if multiline(span) {
                        out.push((span, FoldKind::Comment));
                    }
                }
                comment_run = Some((comment.span, comment.kind));
            }
        }
    }
    if let Some((span, _)) = comment_run {
        if multiline(span) {
            out.push((span, FoldKind::Comment));
        }
    }
    out.sort_by_key(|(s, _)| (s.start, std::cmp::Reverse(s.end)));
    out
}

fn attrs_folds(
    attrs: &[ast::Attribute],
    multiline: &impl Fn(Span) -> bool,
    out: &mut Vec<(Span, FoldKind)>,
) {
    for attr in attrs {
        if matches!(attr.value, AttrValue::Block(_)) && multiline(attr.span) {
            out.push((attr.span, FoldKind::Region));
        }
    }
}

fn stmt_folds(stmts: &[Stmt], multiline: &impl Fn(Span) -> bool, out: &mut Vec<(Span, FoldKind)>) {
    for stmt in stmts {
        match stmt {
            Stmt::Step(s) => {
                if multiline(s.args_span) {
                    out.push((s.span, FoldKind::Region));
                }
            }
            Stmt::For(f) => {
                if multiline(f.span) {
                    out.push((f.span, FoldKind::Region));
                }
                stmt_folds(&f.body, multiline, out);
            }
            Stmt::If(i) => {
                if multiline(i.span) {
                    out.push((i.span, FoldKind::Region));
                }
                stmt_folds(&i.then_body, multiline, out);
                stmt_folds(i.else_body.as_deref().unwrap_or_default(), multiline, out);
            }
            Stmt::Output(_) | Stmt::Error(_) => {}
        }
    }
}

/// Spans around `offset`, innermost first, each containing the one before.
pub(crate) fn selection_ranges(db: &dyn Db, file: SourceFile, offset: usize) -> Vec<Span> {
    let text = text(db, file);
    let offset = clamp(text, offset);
    let mut spans: Vec<Span> = Vec::new();
    let (toks, i) = crate::context::tokens_around(db, file, offset);
    // A code body is lexed only to the end of the line here; the tree has its span.
    if let Some(tok) = i
        .map(|i| toks[i])
        .filter(|t| t.kind != crate::base::TK::Body)
    {
        spans.push(tok.span);
    }
    for comment in &tree(db, file).comments {
        if comment.span.contains(offset) {
            spans.push(comment.span);
        }
    }
    let mut c = Collect { offset, spans };
    for item in &tree(db, file).file.items {
        if item.span().contains(offset) {
            c.add(item.span());
            c.item(item);
        }
    }
    let mut spans = c.spans;
    spans.push(Span::new(0, text.len()));
    spans.sort_by_key(|s| (s.len(), s.start));
    let mut out: Vec<Span> = Vec::new();
    for s in spans {
        if !s.contains(offset) {
            continue;
        }
        match out.last() {
            Some(last) if *last == s => {}
            Some(last) if !(s.start <= last.start && last.end <= s.end) => {}
            _ => out.push(s),
        }
    }
    out
}

struct Collect {
    offset: usize,
    spans: Vec<Span>,
}

impl Collect {
    fn add(&mut self, span: Span) {
        if span.contains(self.offset) {
            self.spans.push(span);
        }
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Import(i) => {
                self.add(i.path.span);
                if let Some(a) = &i.alias {
                    self.add(a.span);
                }
            }
            Item::Artifact(a) => {
                self.add(a.name.span);
                if let Some(b) = &a.base {
                    self.ty(b);
                }
            }
            Item::Record(r) => {
                self.add(r.name.span);
                for field in &r.fields {
                    if field.span.contains(self.offset) {
                        self.add(field.span);
                        self.add(field.name.span);
                        self.ty(&field.ty);
                    }
                }
            }
            Item::Op(op) => {
                self.add(op.name.span);
                self.params(&op.params);
                self.outputs(&op.outputs);
                self.attrs(&op.attrs);
                for body in &op.bodies {
                    self.add(body.span);
                    if let BodySource::Inline { text, text_span } = &body.source {
                        let quoted = Span::new(
                            (text_span.start as usize).saturating_sub(3),
                            body.span.end as usize,
                        );
                        self.add(quoted);
                        if text_span.contains(self.offset) {
                            self.add(*text_span);
                            for found in mlforge_syntax::body::interpolations(text) {
                                let at = text_span.start as usize;
                                self.add(Span::new(at + found.range.start, at + found.range.end));
                                self.add(Span::new(
                                    at + found.name_range.start,
                                    at + found.name_range.end,
                                ));
                            }
                        }
                    }
                }
            }
            Item::Pipeline(p) => {
                self.add(p.name.span);
                self.params(&p.params);
                self.outputs(p.outputs.as_deref().unwrap_or_default());
                self.attrs(&p.attrs);
                self.stmts(&p.body);
            }
            Item::Error(_) => {}
        }
    }

    fn params(&mut self, params: &[ast::Param]) {
        if let (Some(first), Some(last)) = (params.first(), params.last()) {
            self.add(first.span.cover(last.span));
        }
        for p in params {
            if p.span.contains(self.offset) {
                self.add(p.span);
                self.add(p.name.span);
                self.ty(&p.ty);
                if let Some(d) = &p.default {
                    self.expr(d);
                }
            }
        }
    }

    fn outputs(&mut self, outputs: &[ast::OutputDecl]) {
        if let (Some(first), Some(last)) = (outputs.first(), outputs.last()) {
            self.add(first.span.cover(last.span));
        }
        for o in outputs {
            if o.span.contains(self.offset) {
                self.add(o.span);
                self.add(o.name.span);
                self.ty(&o.ty);
            }
        }
    }

    fn attrs(&mut self, attrs: &[ast::Attribute]) {
        for a in attrs {
            if !a.span.contains(self.offset) {
                continue;
            }
            self.add(a.span);
            match &a.value {
                AttrValue::Expr(e) => self.expr(e),
                AttrValue::Block(entries) => self.attrs(entries),
                AttrValue::Secret(secret) => self.add(secret.span),
            }
        }
    }

    fn ty(&mut self, ty: &TypeRef) {
        if !ty.span().contains(self.offset) {
            return;
        }
        self.add(ty.span());
        match ty {
            TypeRef::List { elem, .. } | TypeRef::Dict { value: elem, .. } => self.ty(elem),
            TypeRef::Optional { inner, .. } => self.ty(inner),
            TypeRef::Named {
                namespace, name, ..
            } => {
                if let Some(ns) = namespace {
                    self.add(ns.span);
                }
                self.add(name.span);
            }
            TypeRef::Error(_) => {}
        }
    }

    fn stmts(&mut self, stmts: &[Stmt]) {
        for stmt in stmts {
            if !stmt.span().contains(self.offset) {
                continue;
            }
            self.add(stmt.span());
            match stmt {
                Stmt::Step(s) => {
                    self.add(s.name.span);
                    self.add(s.callee.span);
                    self.add(s.args_span);
                    if let (Some(first), Some(last)) = (s.args.first(), s.args.last()) {
                        self.add(first.span.cover(last.span));
                    }
                    for arg in &s.args {
                        if arg.span.contains(self.offset) {
                            self.add(arg.span);
                            self.add(arg.name.span);
                            self.expr(&arg.value);
                        }
                    }
                    for a in &s.after {
                        self.add(a.span);
                    }
                }
                Stmt::For(f) => {
                    self.add(f.var.span);
                    self.expr(&f.iter);
                    self.block(&f.body);
                }
                Stmt::If(i) => {
                    self.expr(&i.cond);
                    self.block(&i.then_body);
                    if let Some(e) = &i.else_body {
                        self.block(e);
                    }
                }
                Stmt::Output(o) => {
                    self.add(o.name.span);
                    self.expr(&o.value);
                }
                Stmt::Error(_) => {}
            }
        }
    }

    fn block(&mut self, body: &[Stmt]) {
        if let (Some(first), Some(last)) = (body.first(), body.last()) {
            self.add(first.span().cover(last.span()));
        }
        self.stmts(body);
    }

    fn expr(&mut self, e: &Expr) {
        if !e.span.contains(self.offset) {
            return;
        }
        self.add(e.span);
        match &e.kind {
            ExprKind::Name(n) => self.add(n.span),
            ExprKind::Field { base, field } => {
                self.add(base.span);
                self.add(field.span);
            }
            ExprKind::List(items) => items.iter().for_each(|i| self.expr(i)),
            ExprKind::Unary { operand, .. } => self.expr(operand),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
            _ => {}
        }
    }
}
