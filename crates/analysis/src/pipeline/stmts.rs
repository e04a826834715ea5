//! The second pass: statements in order, with the types of `for` lists, `if` conditions
//! and outputs.

use mlforge_syntax::ast::{Expr, ExprKind, Stmt};
use mlforge_syntax::Span;

use crate::codes::Code;
use crate::diagnostic::Sink;
use crate::exprs::infer;
use crate::types::Ty;

use super::Checker;

impl<'a> Checker<'a> {
    pub(super) fn check_stmts(&mut self, stmts: &'a [Stmt]) {
        let mut step_cursor = 0;
        let mut block_cursor = 0;
        self.check_stmts_at(stmts, &mut step_cursor, &mut block_cursor);
    }

    /// Walks statements in the order `collect` did, so step and block numbers line up.
    pub(super) fn check_stmts_at(
        &mut self,
        stmts: &'a [Stmt],
        step_no: &mut usize,
        block_no: &mut usize,
    ) {
        for stmt in stmts {
            match stmt {
                Stmt::Step(step) => {
                    let i = *step_no;
                    *step_no += 1;
                    self.check_step(i, step);
                }
                Stmt::For(block) => {
                    let id = *block_no;
                    *block_no += 1;
                    let iter_ty = self.infer_with_deps(&block.iter);
                    self.block_depends_on_deps(id);
                    let elem = match iter_ty.element() {
                        Some(elem) => elem,
                        None => {
                            let d = self
                                .sink
                                .at(Code::ListMisuse, block.iter.span, format!("`for` needs a list to go over, but this is `{iter_ty}`"))
                                .with_help("loop over a list param, a list literal like [1, 2], or the output of a step inside another `for`");
                            self.sink.push(d);
                            Ty::Unknown
                        }
                    };
                    self.graph.blocks[id].label = self.source_text(block.iter.span);
                    self.graph.blocks[id].size = self.list_size(&block.iter);
                    if let Some((param, _)) = self.params.get(block.var.text.as_str()) {
                        self.sink.twice(
                            Code::ShadowedParam,
                            block.var.span,
                            format!(
                                "the loop variable `{}` hides the param of the same name",
                                block.var.text
                            ),
                            param.name.span,
                            "the param is declared here",
                            "rename the loop variable",
                        );
                    }
                    self.path.push(id);
                    self.graph.blocks[id].elem_ty = Some(elem.clone());
                    self.loop_vars.push((&block.var, elem));
                    self.check_stmts_at(&block.body, step_no, block_no);
                    self.loop_vars.pop();
                    self.path.pop();
                }
                Stmt::If(block) => {
                    let then_id = *block_no;
                    *block_no += 1;
                    let cond_ty = self.infer_with_deps(&block.cond);
                    self.block_depends_on_deps(then_id);
                    self.check_condition(&block.cond, &cond_ty);
                    let label = self.source_text(block.cond.span);
                    self.graph.blocks[then_id].label = label.clone();
                    self.path.push(then_id);
                    self.check_stmts_at(&block.then_body, step_no, block_no);
                    self.path.pop();
                    if let Some(else_body) = &block.else_body {
                        let else_id = *block_no;
                        *block_no += 1;
                        self.graph.blocks[else_id].label = format!("not ({label})");
                        // The else branch waits for the same condition.
                        for dep in self.graph.block_deps(then_id) {
                            self.graph.add_block_dep(else_id, dep);
                        }
                        self.path.push(else_id);
                        self.check_stmts_at(else_body, step_no, block_no);
                        self.path.pop();
                    }
                }
                Stmt::Output(output) => {
                    if !self.path.is_empty() {
                        self.sink.error(
                            Code::PipelineOutputMismatch,
                            output.span,
                            "an `output` must stand at the top level of the pipeline, not inside a `for` or `if`",
                        );
                    }
                    let ty = self.infer_with_deps(&output.value);
                    self.output_types.insert(output.span.start, ty);
                    let deps: Vec<_> = self.deps.drain(..).map(|r| r.step).collect();
                    self.output_deps.extend(deps);
                }
                Stmt::Error(_) => {}
            }
        }
    }

    /// The number of elements of a `for` list, when the text says it: a list literal, or a
    /// param whose default is one (a run may pass another list).
    pub(super) fn list_size(&self, list: &Expr) -> Option<usize> {
        match &list.kind {
            ExprKind::List(items) => Some(items.len()),
            ExprKind::Name(name) if !self.loop_vars.iter().any(|(v, _)| v.text == name.text) => {
                let (param, _) = self.params.get(name.text.as_str())?;
                match &param.default.as_ref()?.kind {
                    ExprKind::List(items) => Some(items.len()),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    pub(super) fn check_condition(&mut self, cond: &Expr, ty: &Ty) {
        match ty {
            Ty::Bool | Ty::Unknown => {}
            Ty::Optional(inner) if **inner == Ty::Bool => {
                let d = self
                    .sink
                    .at(
                        Code::OptionalMisuse,
                        cond.span,
                        "this condition may be absent, because its step is inside another `if`",
                    )
                    .with_help("nest this `if` inside the one that produces the value");
                self.sink.push(d);
            }
            other => {
                let d = self
                    .sink
                    .at(
                        Code::ConditionNotBool,
                        cond.span,
                        format!("an `if` needs a bool condition, but this is `{other}`"),
                    )
                    .with_help("compare the value with something, like `best.score >= 0.9`");
                self.sink.push(d);
            }
        }
    }

    /// The source text of a span, for labels like a `for` block's list.
    pub(super) fn source_text(&self, span: Span) -> String {
        self.text.get(span.range()).unwrap_or("").to_string()
    }

    /// Infers an expression's type, leaving the steps it references in `self.deps`.
    pub(super) fn infer_with_deps(&mut self, expr: &Expr) -> Ty {
        self.deps.clear();
        let mut sink = std::mem::replace(&mut self.sink, Sink::new(self.file));
        let ty = infer(expr, self, &mut sink);
        self.sink = sink;
        ty
    }

    pub(super) fn block_depends_on_deps(&mut self, block: usize) {
        for reference in std::mem::take(&mut self.deps) {
            self.graph
                .add_block_dep(block, (reference.step, reference.span));
        }
    }
}
