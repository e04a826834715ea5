//! Re-analysing a pipeline after an edit inside one step, by patching the previous analysis.
//!
//! Typing inside a step's arguments changes that step, and of the rest of the pipeline
//! only what reads the step graph as a whole, as long as the step keeps its name and its
//! callee (so its outputs keep their types). Then the new analysis is the previous one with
//! every later span moved by the edit's change in length, and with:
//! - the step itself checked again: its node, the edges into it and its diagnostics;
//! - the warnings about unused params and steps brought up to date where the step's reads
//!   changed (and the whole check done instead where the previous analysis cannot tell);
//! - the dependency cycles found again when the edges into the step changed.
//!
//! [`patch`] does that and returns `None` whenever the edit does not fit, and the caller
//! checks the whole pipeline. The tests in `tests/pipeline_patch.rs` compare patched
//! analyses with whole checks, by proptest. An edit inside a `//` comment changes no token
//! at all: the previous analysis with its spans moved.

use mlforge_syntax::ast::{self, Stmt};
use mlforge_syntax::Span;

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Sink};
use crate::graph::{Edge, EdgeKind, StepGraph};
use crate::pipeline::{
    diagnostic_order, recheck_step, sort_diagnostics, visit_steps, PipelineAnalysis, Rechecked,
};
use crate::{Db, SourceFile};

/// Diagnostics in a step that come from passes over the whole pipeline rather than from
/// checking the step: the step's name defined twice, its callee unresolved or recursive.
/// The step keeps its name and callee, so they stay as they are.
const FROM_WHOLE_PASSES: &[Code] = &[
    Code::Duplicate,
    Code::UnresolvedCallee,
    Code::RecursivePipeline,
];

/// The analysis of `pipeline` (in `new_text`) made from `old`, the analysis of the same
/// pipeline in `old_text`, or `None` when the edit between the texts does not fit.
pub fn patch(
    db: &dyn Db,
    file: SourceFile,
    pipeline: &ast::Pipeline,
    old_text: &str,
    new_text: &str,
    old: &PipelineAnalysis,
) -> Option<PipelineAnalysis> {
    let (from, to) = mlforge_syntax::changed_region(old_text, new_text);
    let delta = new_text.len() as i64 - old_text.len() as i64;
    let moved = Shift {
        from: to as u32,
        delta,
    };
    // Inside a comment, the tokens are the same: only the spans move.
    let new_to = (to as i64 + delta) as usize;
    let comments = &crate::items::parse(db, file).comments;
    let (old_changed, new_changed) = (&old_text[from..to], &new_text[from..new_to]);
    if mlforge_syntax::edit_inside_comment(comments, from, new_to, old_changed, new_changed)
        .is_some()
    {
        return Some(moved.analysis(old, file));
    }
    let (from, to) = (from as u32, to as u32);
    // Syntax errors hold back warnings about the whole pipeline (`unused.rs`): a patch
    // could not tell when that starts or ends.
    if old.held_back || !crate::items::parse(db, file).errors.is_empty() {
        return None;
    }

    // The edited step: the change lies strictly inside it.
    let steps = &old.graph.steps;
    let i = steps
        .partition_point(|s| s.span.start < from)
        .checked_sub(1)?;
    let old_span = steps[i].span;
    if to >= old_span.end {
        return None;
    }
    // A span across the edit cannot be moved: only the step's own diagnostics, which are
    // made again, may hold one.
    let inside_old_step = |d: &Diagnostic| {
        d.file == file && old_span.start <= d.span.start && d.span.end <= old_span.end
    };
    let across_edit = |span: Span| span.start < to && from < span.end;
    let kept_across_edit = old.diagnostics.iter().any(|d| {
        let remade = inside_old_step(d) && !FROM_WHOLE_PASSES.contains(&d.code);
        (!remade && d.file == file && across_edit(d.span))
            || (d.code != Code::DependencyCycle
                && d.related
                    .iter()
                    .any(|r| r.file == file && across_edit(r.span)))
    });
    if kept_across_edit {
        return None;
    }

    // The same step in the new tree, and in the old text.
    let mut new_steps = Vec::with_capacity(steps.len());
    visit_steps(&pipeline.body, &mut |s| new_steps.push(s));
    let new_step = *new_steps
        .get(i)
        .filter(|_| new_steps.len() == steps.len())?;
    if new_step.span != moved.span(old_span) {
        return None;
    }
    let Stmt::Step(old_step) = mlforge_syntax::parse_statement_at(old_text, old_span)? else {
        return None;
    };
    if !same_identity(&old_step, new_step) {
        return None;
    }

    let mut patched = moved.analysis(old, file);
    let old_edges = edges_into(&patched.graph, i);
    let Rechecked {
        graph,
        diagnostics: step_diagnostics,
        used_params,
    } = recheck_step(
        db,
        file,
        pipeline,
        &new_steps,
        i,
        std::mem::take(&mut patched.graph),
    );
    patched.graph = graph;
    let new_span = new_step.span;
    let inside_new_step = |d: &Diagnostic| {
        d.file == file && new_span.start <= d.span.start && d.span.end <= new_span.end
    };
    if !step_diagnostics.iter().all(inside_new_step) {
        return None;
    }
    let new_edges = edges_into(&patched.graph, i);
    let edges_changed = old_edges != new_edges;
    // A cycle's diagnostic points at the references that make it, which may have moved.
    let find_cycles = edges_changed
        || old
            .diagnostics
            .iter()
            .any(|d| d.code == Code::DependencyCycle);

    // Which diagnostics are made again is read from their spans before the move: a span
    // inside the text the edit removed has no place after it.
    let mut diagnostics: Vec<Diagnostic> = old
        .diagnostics
        .iter()
        .zip(std::mem::take(&mut patched.diagnostics))
        .filter(|(d, _)| {
            let remade = inside_old_step(d) && !FROM_WHOLE_PASSES.contains(&d.code);
            let cycle = d.code == Code::DependencyCycle && find_cycles;
            !(remade || cycle) || d.code == Code::UnusedStep
        })
        .map(|(_, moved)| moved)
        .collect();
    unused_params(pipeline, &old_step, &used_params, &mut diagnostics)?;
    if pipeline.outputs.is_some() && edges_changed {
        let waited_for = patched.graph.steps_with_dependents();
        let reads = old_edges.iter().chain(&new_edges).map(|(from, _)| *from);
        for k in reads {
            let name_span = patched.graph.steps[k].name_span;
            let warned = |d: &Diagnostic| d.code == Code::UnusedStep && d.span == name_span;
            if waited_for[k] {
                diagnostics.retain(|d| !warned(d));
            } else if !diagnostics.iter().any(warned) && old_edges.iter().any(|(f, _)| *f == k) {
                // The step waited for `k` and nothing does now (only the edges into the
                // step changed); whether an output of the pipeline does is known only to a
                // whole check.
                return None;
            }
        }
    }
    if find_cycles {
        let mut sink = Sink::new(file);
        patched.graph.report_cycles(&mut sink);
        diagnostics.extend(sink.diagnostics);
    }
    // Where a new diagnostic ties with another, their order is the whole check's business.
    let mut keys: Vec<_> = diagnostics.iter().map(diagnostic_order).collect();
    keys.sort_unstable();
    if step_diagnostics
        .iter()
        .any(|d| keys.binary_search(&diagnostic_order(d)).is_ok())
    {
        return None;
    }
    diagnostics.extend(step_diagnostics);
    sort_diagnostics(&mut diagnostics);
    patched.diagnostics = diagnostics;
    Some(patched)
}

/// The edges into step `i`, spans aside: where the step reads from, and how.
fn edges_into(graph: &StepGraph, i: usize) -> Vec<(usize, EdgeKind)> {
    let mut edges: Vec<_> = graph
        .edges
        .iter()
        .filter(|e: &&Edge| e.to == i)
        .map(|e| (e.from, e.kind.clone()))
        .collect();
    edges.sort_by_key(|&(from, _)| from);
    edges
}

/// Brings the "param never used" warnings up to date for the params the step now reads
/// (`used`), or returns `None` when a param the step may have stopped reading might now be
/// unused: only a whole check knows whether another statement reads it.
fn unused_params(
    pipeline: &ast::Pipeline,
    old_step: &ast::Step,
    used: &[String],
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<()> {
    let old_names: Vec<String> = old_step
        .args
        .iter()
        .flat_map(|a| a.value.names_read())
        .map(|(name, _)| name.text.to_string())
        .collect();
    for param in &pipeline.params {
        let name = param.name.text.as_str();
        let warned = |d: &Diagnostic| d.code == Code::UnusedParam && d.span == param.name.span;
        let now = used.iter().any(|u| u == name);
        let maybe_before = old_names.iter().any(|n| n == name);
        if now {
            diagnostics.retain(|d| !warned(d));
        } else if maybe_before && !diagnostics.iter().any(warned) {
            return None;
        }
    }
    Some(())
}

/// Offsets at or past `from` (the end of the edit, in the old text) move by `delta`.
#[derive(Clone, Copy)]
struct Shift {
    from: u32,
    delta: i64,
}

impl Shift {
    fn span(self, span: Span) -> Span {
        span.after_edit(self.from, self.delta)
    }

    /// A copy of `old` with every span in `file` moved.
    fn analysis(self, old: &PipelineAnalysis, file: SourceFile) -> PipelineAnalysis {
        let mut graph = old.graph.clone();
        for step in &mut graph.steps {
            step.name_span = self.span(step.name_span);
            step.span = self.span(step.span);
        }
        for block in &mut graph.blocks {
            block.span = self.span(block.span);
            for (_, span) in &mut block.deps {
                *span = self.span(*span);
            }
        }
        for edge in &mut graph.edges {
            edge.span = self.span(edge.span);
        }
        PipelineAnalysis {
            diagnostics: old
                .diagnostics
                .iter()
                .map(|d| self.diagnostic(d, file))
                .collect(),
            graph,
            outputs: old.outputs.clone(),
            held_back: old.held_back,
        }
    }

    fn diagnostic(self, d: &Diagnostic, file: SourceFile) -> Diagnostic {
        let mut d = d.clone();
        if d.file == file {
            d.span = self.span(d.span);
        }
        for related in &mut d.related {
            if related.file == file {
                related.span = self.span(related.span);
            }
        }
        d
    }
}

/// Whether the two steps are the same step to the rest of the pipeline: the same name
/// and callee (so the same outputs, of the same types), both with arguments that parse.
fn same_identity(old: &ast::Step, new: &ast::Step) -> bool {
    let callee = |s: &ast::Step| {
        (
            s.callee.namespace.as_ref().map(|n| n.text.to_string()),
            s.callee.name.text.to_string(),
        )
    };
    old.name.text == new.name.text
        && callee(old) == callee(new)
        && old.args_broken == new.args_broken
}
