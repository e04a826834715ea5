//! Checking one step again inside a previous step graph, for `pipeline_patch`.

use rustc_hash::FxHashMap as HashMap;

use mlforge_syntax::ast::{self, Stmt};
use mlforge_syntax::Span;

use crate::diagnostic::Diagnostic;
use crate::graph::{BlockKind, Edge, StepGraph};
use crate::types::Ty;
use crate::{Db, SourceFile};

use super::{Checker, StepEntry};

/// Checks step `i` of `pipeline` again, in `graph`: the pipeline's previous step graph,
/// with its spans already moved to the new text, for a pipeline whose steps are `steps`
/// (in `visit_steps` order) and whose structure has not changed. What the step reads (which
/// step a name means, the types of those steps and of the loop variables around it) comes
/// from that graph instead of a check of every step.
pub(crate) fn recheck_step<'a>(
    db: &'a dyn Db,
    file: SourceFile,
    pipeline: &'a ast::Pipeline,
    steps: &[&'a ast::Step],
    i: usize,
    graph: StepGraph,
) -> Rechecked {
    let mut checker = Checker::new(db, file, pipeline);
    checker.graph = graph;
    checker.check_params();
    checker.steps = steps
        .iter()
        .map(|&ast| StepEntry {
            ast,
            callee: None,
            signature: None,
        })
        .collect();
    let step = steps[i];
    // The names the step reads, each meaning the first step of that name, as in `collect`.
    let mut resolved = HashMap::default();
    checker.resolve_step(i, &mut resolved);
    let mut read: Vec<&str> = step.after.iter().map(|n| n.text.as_str()).collect();
    for arg in &step.args {
        read.extend(arg.value.names_read().iter().map(|(n, _)| n.text.as_str()));
    }
    for name in read {
        if checker.step_index.contains_key(name) {
            continue;
        }
        if let Some(j) = checker.graph.steps.iter().position(|s| s.name == name) {
            checker.step_index.insert(steps[j].name.text.as_str(), j);
            checker.resolve_step(j, &mut resolved);
        }
    }
    // The blocks around the step, outermost first, and the loop variables they bind.
    let mut around = Vec::new();
    let mut block = checker.graph.steps[i].block;
    while let Some(b) = block {
        around.push(b);
        block = checker.graph.blocks[b].parent;
    }
    for &b in around.iter().rev() {
        if let BlockKind::For { .. } = checker.graph.blocks[b].kind {
            let span = checker.graph.blocks[b].span;
            let elem = checker.graph.blocks[b]
                .elem_ty
                .clone()
                .unwrap_or(Ty::Unknown);
            if let Some(block) = find_for(&pipeline.body, span) {
                checker.loop_vars.push((&block.var, elem));
            }
        }
        checker.path.push(b);
    }
    let (edges_before, diagnostics_before) =
        (checker.graph.edges.len(), checker.sink.diagnostics.len());
    checker.check_step(i, step);
    let used_params = checker.used_params.iter().map(|p| p.to_string()).collect();
    let Checker {
        mut sink,
        mut graph,
        ..
    } = checker;
    // Edges are made step by step, so those into step `i` sit together, in step order.
    let new_edges: Vec<Edge> = graph.edges.drain(edges_before..).collect();
    let start = graph.edges.partition_point(|e| e.to < i);
    let end = graph.edges.partition_point(|e| e.to <= i);
    graph.edges.splice(start..end, new_edges);
    let diagnostics = sink.diagnostics.split_off(diagnostics_before);
    Rechecked {
        graph,
        diagnostics,
        used_params,
    }
}

/// What [`recheck_step`] found.
pub(crate) struct Rechecked {
    /// The graph given, with step `i`'s node and the edges into it replaced.
    pub graph: StepGraph,
    /// The step's diagnostics, in the order a whole check makes them.
    pub diagnostics: Vec<Diagnostic>,
    /// The params the step reads.
    pub used_params: Vec<String>,
}

/// The `for` statement with this span, looked for only inside statements that hold it.
fn find_for(stmts: &[Stmt], span: Span) -> Option<&ast::For> {
    let stmt = stmts
        .iter()
        .find(|s| s.span().start <= span.start && span.end <= s.span().end)?;
    match stmt {
        Stmt::For(f) if f.span == span => Some(f),
        Stmt::For(f) => find_for(&f.body, span),
        Stmt::If(i) => find_for(&i.then_body, span)
            .or_else(|| i.else_body.as_deref().and_then(|e| find_for(e, span))),
        _ => None,
    }
}
