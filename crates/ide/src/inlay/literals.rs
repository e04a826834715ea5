//! Hints on record literals typed from context: the record before the `{` (`Opts {…}`),
//! and the fields left to their defaults after the last one given.

use mlforge_analysis::items::{resolve_callee, ItemKey};
use mlforge_analysis::signature::{callee_signature, op_signature, pipeline_signature, Signature};
use mlforge_analysis::types::{RecordTy, Ty};
use mlforge_analysis::{Db, SourceFile};
use mlforge_syntax::ast::{self, Expr, ExprKind, Item, Stmt};
use mlforge_syntax::Span;

use crate::base::{slice, text};
use crate::records::{as_record, element_type, part_type, record_decl};
use crate::{InlayHint, InlayKind};

/// At most this many defaults are listed, each at most this long; more reads as `…`.
const MAX_DEFAULTS: usize = 3;
const MAX_DEFAULT_CHARS: usize = 16;

struct Walk<'a> {
    db: &'a dyn Db,
    range: Span,
    hints: &'a mut Vec<InlayHint>,
}

pub(super) fn literal_hints(
    db: &dyn Db,
    file: SourceFile,
    item: &Item,
    range: Span,
    hints: &mut Vec<InlayHint>,
) {
    let mut walk = Walk { db, range, hints };
    let (params, signature) = match item {
        Item::Op(op) => {
            let key = ItemKey::new(db, file, op.name.text.to_string());
            (&op.params, op_signature(db, key))
        }
        Item::Pipeline(p) => {
            let key = ItemKey::new(db, file, p.name.text.to_string());
            (&p.params, pipeline_signature(db, key))
        }
        _ => return,
    };
    let Some(signature) = signature else { return };
    for param in params {
        if let (Some(default), Some(input)) = (&param.default, signature.input(&param.name.text)) {
            // The param's type is written just before its default: no name there.
            walk.expr(default, &input.ty, false);
        }
    }
    if let Item::Pipeline(p) = item {
        walk.stmts(file, &p.body, signature);
    }
}

impl Walk<'_> {
    fn overlaps(&self, span: Span) -> bool {
        span.start <= self.range.end && self.range.start <= span.end
    }

    fn stmts(&mut self, file: SourceFile, stmts: &[Stmt], own: &Signature) {
        for stmt in stmts {
            if !self.overlaps(stmt.span()) {
                continue;
            }
            match stmt {
                Stmt::Step(step) => self.step(file, step),
                Stmt::Output(output) => {
                    if let Some(declared) = own.output(&output.name.text) {
                        self.expr(&output.value, &declared.ty, true);
                    }
                }
                Stmt::For(block) => self.stmts(file, &block.body, own),
                Stmt::If(block) => {
                    self.stmts(file, &block.then_body, own);
                    self.stmts(file, block.else_body.as_deref().unwrap_or_default(), own);
                }
                Stmt::Error(_) => {}
            }
        }
    }

    fn step(&mut self, file: SourceFile, step: &ast::Step) {
        if !step.args.iter().any(|a| holds_literal(&a.value)) {
            return;
        }
        let Ok(callee) = resolve_callee(self.db, file, &step.callee) else {
            return;
        };
        let Some(signature) = callee_signature(self.db, &callee) else {
            return;
        };
        for arg in &step.args {
            if let Some(input) = signature.input(&arg.name.text) {
                self.expr(&arg.value, &input.ty, true);
            }
        }
    }

    /// Hints inside `expr`, standing where a `ty` is wanted (`named`: with the record's
    /// name when `expr` is a record literal).
    fn expr(&mut self, expr: &Expr, ty: &Ty, named: bool) {
        if !self.overlaps(expr.span) {
            return;
        }
        match &expr.kind {
            ExprKind::Record(fields) => {
                if let Some(record) = as_record(ty) {
                    if named {
                        self.push(
                            expr.span.start as usize,
                            record.name.clone(),
                            InlayKind::RecordName,
                        );
                    }
                    self.defaults(expr, fields, record);
                }
                for field in fields {
                    if let Some(inner) = part_type(ty, &field.name.text) {
                        self.expr(&field.value, &inner, true);
                    }
                }
            }
            ExprKind::List(items) => {
                if let Some(elem) = element_type(ty) {
                    items.iter().for_each(|item| self.expr(item, &elem, true));
                }
            }
            ExprKind::Dict(entries) => {
                if let Some(value) = part_type(ty, "") {
                    entries
                        .iter()
                        .for_each(|e| self.expr(&e.value, &value, true));
                }
            }
            _ => {}
        }
    }

    fn defaults(&mut self, expr: &Expr, fields: &[ast::Arg], record: &RecordTy) {
        let Some(decl) = record_decl(self.db, record) else {
            return;
        };
        let decl_text = text(self.db, record.file);
        let left: Vec<String> = decl
            .fields
            .iter()
            .filter(|f| !fields.iter().any(|g| g.name.text == f.name.text))
            .filter_map(|f| {
                let default = f.default.as_ref()?;
                Some(format!(
                    "{}: {}",
                    f.name.text,
                    short(slice(decl_text, default.span))
                ))
            })
            .collect();
        if left.is_empty() {
            return;
        }
        let mut label = left[..left.len().min(MAX_DEFAULTS)].join(", ");
        if left.len() > MAX_DEFAULTS {
            label.push_str(", …");
        }
        let offset = match fields.last() {
            Some(last) => {
                label.insert_str(0, ", ");
                last.value.span.end as usize
            }
            None => expr.span.start as usize + 1,
        };
        self.push(offset, label, InlayKind::Defaults);
    }

    fn push(&mut self, offset: usize, label: String, kind: InlayKind) {
        if offset >= self.range.start as usize && offset <= self.range.end as usize {
            self.hints.push(InlayHint {
                offset,
                label,
                kind,
            });
        }
    }
}

/// Whether a record literal is anywhere in `expr` (most arguments hold none, and then the
/// callee need not be resolved).
fn holds_literal(expr: &Expr) -> bool {
    matches!(expr.kind, ExprKind::Record(_)) || expr.children().into_iter().any(holds_literal)
}

/// A default's text, cut to stay a glance long: a long list, dict or string as `[…]`,
/// `{…}` or `"…"`.
fn short(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= MAX_DEFAULT_CHARS {
        return one_line;
    }
    match one_line.chars().next() {
        Some('[') => "[…]".to_string(),
        Some('{') => "{…}".to_string(),
        Some('"') => "\"…\"".to_string(),
        _ => {
            let cut: String = one_line.chars().take(MAX_DEFAULT_CHARS - 1).collect();
            format!("{cut}…")
        }
    }
}
