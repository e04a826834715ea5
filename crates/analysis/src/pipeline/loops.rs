//! `for` headers: the list walked (`zip` and `range` included), the loop variables, and an
//! `output`'s value typed by the declared output.

use mlforge_syntax::ast::{self, Expr, ExprKind};

use crate::codes::Code;
use crate::diagnostic::Sink;
use crate::types::Ty;
use crate::values::{check_value, zip_types};

use super::Checker;

impl<'a> Checker<'a> {
    /// Types the header of `for` block `id` and records what the graph shows of it. The
    /// element type is a `Ty::Pair` for `for x, y in zip(a, b)`.
    pub(super) fn loop_header(&mut self, id: usize, block: &'a ast::For) -> Ty {
        let zip_args = match &block.iter.kind {
            ExprKind::Call { func, args } if func.text == "zip" => Some(args),
            _ => None,
        };
        let elem = match (&block.second, zip_args) {
            (Some(_), Some(args)) => {
                let (a, b) = self.zip_with_deps(&block.iter, args);
                Ty::Pair(Box::new(a), Box::new(b))
            }
            (Some(second), None) => {
                self.infer_with_deps(&block.iter);
                let d = self
                    .sink
                    .at(
                        Code::BadCall,
                        second.span,
                        "two loop variables walk two lists together, through `zip`",
                    )
                    .with_help(format!(
                        "write `for {}, {} in zip(a, b)`, or keep one variable",
                        block.var.text, second.text
                    ));
                self.sink.push(d);
                Ty::Unknown
            }
            (None, Some(args)) => {
                self.zip_with_deps(&block.iter, args);
                let d = self
                    .sink
                    .at(
                        Code::BadCall,
                        block.var.span,
                        "`zip` gives pairs: name a loop variable for each list",
                    )
                    .with_help(format!("write `for {}, other in zip(…)`", block.var.text));
                self.sink.push(d);
                Ty::Unknown
            }
            (None, None) => {
                let iter_ty = self.infer_with_deps(&block.iter);
                match iter_ty.element() {
                    Some(elem) => elem,
                    None => {
                        let d = self
                            .sink
                            .at(Code::ListMisuse, block.iter.span, format!("`for` needs a list to go over, but this is `{iter_ty}`"))
                            .with_help("loop over a list param, a list literal like [1, 2], `range(n)`, or the output of a step inside another `for`");
                        self.sink.push(d);
                        Ty::Unknown
                    }
                }
            }
        };
        self.block_depends_on_deps(id);
        self.graph.blocks[id].label = self.source_text(block.iter.span);
        self.graph.blocks[id].size = self.list_size(&block.iter);
        for var in std::iter::once(&block.var).chain(&block.second) {
            if let Some((param, _)) = self.params.get(var.text.as_str()) {
                self.sink.twice(
                    Code::ShadowedParam,
                    var.span,
                    format!(
                        "the loop variable `{}` hides the param of the same name",
                        var.text
                    ),
                    param.name.span,
                    "the param is declared here",
                    "rename the loop variable",
                );
            }
        }
        elem
    }

    /// The element types of a loop header's `zip(a, b)`, leaving the steps it reads in
    /// `self.deps`.
    fn zip_with_deps(&mut self, call: &Expr, args: &[Expr]) -> (Ty, Ty) {
        self.deps.clear();
        let mut sink = std::mem::replace(&mut self.sink, Sink::new(self.file));
        let types = zip_types(call, args, self, &mut sink);
        self.sink = sink;
        types
    }

    /// Puts the loop variables of `block` in scope, given its element type; returns how
    /// many.
    pub(super) fn bind_loop_vars(&mut self, block: &'a ast::For, elem: Ty) -> usize {
        match (&block.second, elem) {
            (Some(second), Ty::Pair(a, b)) => {
                self.loop_vars.push((&block.var, *a));
                self.loop_vars.push((second, *b));
                2
            }
            (Some(second), _) => {
                self.loop_vars.push((&block.var, Ty::Unknown));
                self.loop_vars.push((second, Ty::Unknown));
                2
            }
            (None, elem) => {
                self.loop_vars.push((&block.var, elem));
                1
            }
        }
    }

    /// The type of an `output` statement's value: a declared output's type when the value
    /// needs one (a record literal); otherwise its own. A record literal with no record
    /// to take is reported.
    pub(super) fn output_value(&mut self, output: &'a ast::OutputStmt) -> Ty {
        let declared = self
            .pipeline
            .outputs
            .as_ref()
            .and_then(|decls| decls.iter().find(|d| d.name.text == output.name.text))
            .map(|d| crate::signature::resolve_type(self.db, self.file, &d.ty, None));
        let Some(declared) = declared else {
            let ty = self.infer_with_deps(&output.value);
            if holds_literal(&ty) {
                let d = self
                    .sink
                    .at(
                        Code::UntypedLiteral,
                        output.value.span,
                        "this record literal names no record, and nothing here says which one it is",
                    )
                    .with_help(format!(
                        "declare the output with its record type, as `-> ({}: RECORD)`",
                        output.name.text
                    ));
                self.sink.push(d);
                return Ty::Unknown;
            }
            return ty;
        };
        self.check_with_deps(&output.value, &declared)
    }

    /// Like `infer_with_deps`, for a value where a `expected` is wanted (see
    /// `values::check_value`).
    pub(super) fn check_with_deps(&mut self, expr: &Expr, expected: &Ty) -> Ty {
        self.deps.clear();
        let mut sink = std::mem::replace(&mut self.sink, Sink::new(self.file));
        let ty = check_value(expr, expected, self, &mut sink);
        self.sink = sink;
        ty
    }
}

/// Whether a type holds the type of a record literal that met no record.
fn holds_literal(ty: &Ty) -> bool {
    match ty {
        Ty::Literal(_) => true,
        Ty::List(inner) | Ty::Optional(inner) | Ty::Dict(inner) => holds_literal(inner),
        _ => false,
    }
}
