//! Moving the spans of a tree after an edit: every offset at or past the end of the edited
//! region moves by the edit's change in length. Offsets before it stay.
//!
//! The walk must reach every span of the tree; the re-parse test (`tests/reparse.rs`)
//! compares re-parsed trees with fresh ones, so a span missed here fails it.

use crate::ast::*;
use crate::span::Span;

/// Offsets `>= from` move by `delta`.
#[derive(Clone, Copy)]
pub(crate) struct Shift {
    pub from: u32,
    pub delta: i64,
}

impl Shift {
    /// `span` with its offsets moved.
    pub(crate) fn moved(self, mut span: Span) -> Span {
        self.span(&mut span);
        span
    }

    fn span(self, span: &mut Span) {
        *span = span.after_edit(self.from, self.delta);
    }

    /// Whether nothing in a node ending at `end` moves: nodes before the edit are skipped
    /// whole, which keeps an edit near the end of a file cheap.
    fn untouched(self, end: Span) -> bool {
        end.end < self.from
    }

    pub(crate) fn items(self, items: &mut [Item]) {
        for item in items {
            if self.untouched(item.span()) {
                continue;
            }
            match item {
                Item::Import(i) => {
                    self.str_lit(&mut i.path);
                    if let Some(alias) = &mut i.alias {
                        self.name(alias);
                    }
                    self.span(&mut i.span);
                }
                Item::Artifact(a) => {
                    self.name(&mut a.name);
                    if let Some(base) = &mut a.base {
                        self.type_ref(base);
                    }
                    self.span(&mut a.span);
                }
                Item::Op(op) => {
                    self.name(&mut op.name);
                    self.params(&mut op.params);
                    self.outputs(&mut op.outputs);
                    self.attributes(&mut op.attrs);
                    for body in &mut op.bodies {
                        self.body(body);
                    }
                    self.span(&mut op.span);
                }
                Item::Pipeline(p) => {
                    self.name(&mut p.name);
                    self.params(&mut p.params);
                    if let Some(outputs) = &mut p.outputs {
                        self.outputs(outputs);
                    }
                    self.attributes(&mut p.attrs);
                    self.stmts(&mut p.body);
                    self.span(&mut p.span);
                }
                Item::Record(r) => {
                    self.name(&mut r.name);
                    self.params(&mut r.fields);
                    self.span(&mut r.span);
                }
                Item::Error(span) => self.span(span),
            }
        }
    }

    pub(crate) fn stmts(self, stmts: &mut [Stmt]) {
        for stmt in stmts {
            if self.untouched(stmt.span()) {
                continue;
            }
            match stmt {
                Stmt::Step(s) => {
                    self.name(&mut s.name);
                    if let Some(ns) = &mut s.callee.namespace {
                        self.name(ns);
                    }
                    self.name(&mut s.callee.name);
                    self.span(&mut s.callee.span);
                    for arg in &mut s.args {
                        self.name(&mut arg.name);
                        self.expr(&mut arg.value);
                        self.span(&mut arg.span);
                    }
                    self.span(&mut s.args_span);
                    for name in &mut s.after {
                        self.name(name);
                    }
                    self.span(&mut s.span);
                }
                Stmt::For(f) => {
                    self.name(&mut f.var);
                    if let Some(second) = &mut f.second {
                        self.name(second);
                    }
                    self.expr(&mut f.iter);
                    self.stmts(&mut f.body);
                    self.span(&mut f.span);
                }
                Stmt::If(i) => {
                    self.expr(&mut i.cond);
                    self.stmts(&mut i.then_body);
                    if let Some(else_body) = &mut i.else_body {
                        self.stmts(else_body);
                    }
                    self.span(&mut i.span);
                }
                Stmt::Output(o) => {
                    self.name(&mut o.name);
                    self.expr(&mut o.value);
                    self.span(&mut o.span);
                }
                Stmt::Error(span) => self.span(span),
            }
        }
    }

    fn name(self, name: &mut Name) {
        self.span(&mut name.span);
    }

    fn str_lit(self, lit: &mut StrLit) {
        self.span(&mut lit.span);
    }

    fn params(self, params: &mut [Param]) {
        for p in params {
            self.name(&mut p.name);
            self.type_ref(&mut p.ty);
            if let Some(default) = &mut p.default {
                self.expr(default);
            }
            self.span(&mut p.span);
        }
    }

    fn outputs(self, outputs: &mut [OutputDecl]) {
        for o in outputs {
            self.name(&mut o.name);
            self.type_ref(&mut o.ty);
            self.span(&mut o.span);
        }
    }

    fn attributes(self, attrs: &mut [Attribute]) {
        for a in attrs {
            self.name(&mut a.name);
            match &mut a.value {
                AttrValue::Expr(e) => self.expr(e),
                AttrValue::Block(inner) => self.attributes(inner),
                AttrValue::Secret(secret) => {
                    self.str_lit(&mut secret.name);
                    self.span(&mut secret.span);
                }
            }
            self.span(&mut a.span);
        }
    }

    fn body(self, body: &mut Body) {
        match &mut body.source {
            BodySource::Inline { text_span, .. } => self.span(text_span),
            BodySource::File(path) => self.str_lit(path),
        }
        self.span(&mut body.span);
    }

    fn type_ref(self, ty: &mut TypeRef) {
        match ty {
            TypeRef::Named {
                namespace,
                name,
                span,
            } => {
                if let Some(ns) = namespace {
                    self.name(ns);
                }
                self.name(name);
                self.span(span);
            }
            TypeRef::List { elem: inner, span }
            | TypeRef::Dict { value: inner, span }
            | TypeRef::Optional { inner, span } => {
                self.type_ref(inner);
                self.span(span);
            }
            TypeRef::Error(span) => self.span(span),
        }
    }

    fn expr(self, expr: &mut Expr) {
        if self.untouched(expr.span) {
            return;
        }
        match &mut expr.kind {
            ExprKind::List(elems) => elems.iter_mut().for_each(|e| self.expr(e)),
            ExprKind::Record(fields) => {
                for f in fields {
                    self.name(&mut f.name);
                    self.expr(&mut f.value);
                    self.span(&mut f.span);
                }
            }
            ExprKind::Dict(entries) => {
                for e in entries {
                    self.str_lit(&mut e.key);
                    self.expr(&mut e.value);
                    self.span(&mut e.span);
                }
            }
            ExprKind::Member { base, field } => {
                self.expr(base);
                self.name(field);
            }
            ExprKind::Index { base, index } => {
                self.expr(base);
                self.expr(index);
            }
            ExprKind::Call { func, args } => {
                self.name(func);
                args.iter_mut().for_each(|e| self.expr(e));
            }
            ExprKind::Name(name) => self.name(name),
            ExprKind::Field { base, field } => {
                self.name(base);
                self.name(field);
            }
            ExprKind::Unary { operand, .. } => self.expr(operand),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
            ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::Duration(_)
            | ExprKind::Error => {}
        }
        self.span(&mut expr.span);
    }
}
