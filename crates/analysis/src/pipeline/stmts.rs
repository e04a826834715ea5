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
                    let elem = self.loop_header(id, block);
                    self.path.push(id);
                    self.graph.blocks[id].elem_ty = Some(elem.clone());
                    let bound = self.bind_loop_vars(block, elem);
                    self.check_stmts_at(&block.body, step_no, block_no);
                    self.loop_vars.truncate(self.loop_vars.len() - bound);
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
                    let ty = self.output_value(output);
                    self.output_types.insert(output.span.start, ty);
                    let deps: Vec<_> = self.deps.drain(..).map(|r| r.step).collect();
                    self.output_deps.extend(deps);
                }
                Stmt::Error(_) => {}
            }
        }
    }

    /// The number of elements of a `for` list, when the text says it: a list literal, a
    /// param whose default is one (a run may pass another list), `range` of a literal, or
    /// `zip` of lists whose sizes are known (the shorter, should they differ).
    pub(super) fn list_size(&self, list: &Expr) -> Option<usize> {
        match &list.kind {
            ExprKind::List(items) => Some(items.len()),
            ExprKind::Call { func, args } if func.text == "range" && args.len() == 1 => {
                crate::values::constant_int(&args[0]).map(|n| n.max(0) as usize)
            }
            ExprKind::Call { func, args } if func.text == "zip" && !args.is_empty() => args
                .iter()
                .map(|a| self.list_size(a))
                .collect::<Option<Vec<_>>>()
                .and_then(|sizes| sizes.into_iter().min()),
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
