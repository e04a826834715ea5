//! Re-analysing a pipeline after an edit inside one step, by patching the previous analysis.
//!
//! Typing inside a step's arguments changes that step and nothing the rest of the pipeline
//! sees, as long as the step keeps its name, its callee, its argument names and the names
//! it refers to. Then the new analysis is the previous one with every later span moved by
//! the edit's change in length, and with the step itself checked again: its node, the edges
//! into it and its diagnostics. [`patch`] does that and returns `None` whenever the edit
//! does not fit, and the caller checks the whole pipeline. The tests in
//! `tests/pipeline_patch.rs` compare patched analyses with whole checks. An edit inside a
//! `//` comment changes no token at all: the previous analysis with its spans moved.

use mlforge_syntax::ast::{self, Expr, Stmt};
use mlforge_syntax::Span;

use crate::diagnostic::Diagnostic;
use crate::pipeline::{recheck_step, visit_steps, PipelineAnalysis};
use crate::{Db, SourceFile};

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
    let touches_step = |span: Span| span.start < old_span.end && old_span.start < span.end;
    let diagnostics_clear = old.diagnostics.iter().all(|d| {
        !(d.file == file && touches_step(d.span))
            && d.related
                .iter()
                .all(|r| r.file != file || !touches_step(r.span))
    });
    if !diagnostics_clear {
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
    if !same_interface(&old_step, new_step) {
        return None;
    }

    let mut patched = moved.analysis(old, file);
    let (graph, diagnostics) = recheck_step(
        db,
        file,
        pipeline,
        &new_steps,
        i,
        std::mem::take(&mut patched.graph),
    );
    patched.graph = graph;
    if !diagnostics.is_empty() {
        // Where a new diagnostic goes among the others is the whole check's business.
        return None;
    }
    Some(patched)
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

/// Whether the rest of the pipeline sees the two steps alike: the same name, callee,
/// argument names, `after` list, and names read by each argument.
fn same_interface(old: &ast::Step, new: &ast::Step) -> bool {
    let callee = |s: &ast::Step| {
        (
            s.callee.namespace.as_ref().map(|n| n.text.to_string()),
            s.callee.name.text.to_string(),
        )
    };
    old.name.text == new.name.text
        && callee(old) == callee(new)
        && old.args_broken == new.args_broken
        && old.args.len() == new.args.len()
        && old.args.iter().zip(&new.args).all(|(a, b)| {
            a.name.text == b.name.text && read_texts(&a.value) == read_texts(&b.value)
        })
        && old
            .after
            .iter()
            .map(|n| &n.text)
            .eq(new.after.iter().map(|n| &n.text))
}

/// What an expression reads, as text (spans aside).
fn read_texts(expr: &Expr) -> Vec<(&str, Option<&str>)> {
    expr.names_read()
        .into_iter()
        .map(|(name, field)| (name.text.as_str(), field.map(|f| f.text.as_str())))
        .collect()
}
