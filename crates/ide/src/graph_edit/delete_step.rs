//! Deleting a step: refused while anything reads it (steps, through data or `after`; blocks
//! whose list or condition reads it; the pipeline's outputs), unless the request cascades,
//! which deletes all of those too, transitively. The refusal lists what a cascade would
//! delete.

use std::collections::BTreeSet;

use mlforge_syntax::ast::Stmt;
use mlforge_syntax::Span;

use super::args::{listing, outcome};
use super::locate::{Body, Instance};
use super::text::remove_statement;
use super::{EditOutcome, Refusal, RefusalReason};
use crate::TextEdit;

pub(crate) fn delete_step(
    top: &Instance<'_>,
    step: &str,
    cascade: bool,
) -> Result<EditOutcome, Refusal> {
    let (instance, name) = top.holding(step)?;
    let at = instance.find_step(name).ok_or_else(|| top.no_step(step))?;
    let analysis = instance.analysis();
    let graph = &analysis.graph;
    let Some(start) = graph
        .steps
        .iter()
        .position(|s| s.name == name && s.span == at.step.span)
    else {
        return Err(Refusal::invalid(format!(
            "the step `{step}` is not in the pipeline's graph yet; wait for the analysis and try again"
        )));
    };

    // Everything that reads the step, transitively: steps, and blocks (with their steps).
    let mut doomed: BTreeSet<usize> = BTreeSet::from([start]);
    let mut doomed_blocks: BTreeSet<usize> = BTreeSet::new();
    loop {
        let before = (doomed.len(), doomed_blocks.len());
        for edge in &graph.edges {
            if doomed.contains(&edge.from) {
                doomed.insert(edge.to);
            }
        }
        for (b, block) in graph.blocks.iter().enumerate() {
            if block.deps.iter().any(|(dep, _)| doomed.contains(dep)) {
                doomed_blocks.insert(b);
            }
        }
        for (i, s) in graph.steps.iter().enumerate() {
            if graph
                .block_path(s.block)
                .iter()
                .any(|b| doomed_blocks.contains(b))
            {
                doomed.insert(i);
            }
        }
        if (doomed.len(), doomed_blocks.len()) == before {
            break;
        }
    }
    let doomed_names: BTreeSet<&str> = doomed
        .iter()
        .map(|&i| graph.steps[i].name.as_str())
        .collect();
    let outputs: Vec<_> = instance
        .pipeline
        .body
        .iter()
        .filter_map(|s| match s {
            Stmt::Output(o)
                if o.value.names_read().iter().any(|(base, field)| {
                    field.is_some() && doomed_names.contains(base.text.as_str())
                }) =>
            {
                Some(o)
            }
            _ => None,
        })
        .collect();

    let dependants: Vec<String> = doomed
        .iter()
        .filter(|&&i| i != start)
        .map(|&i| format!("{}{}", instance.prefix, graph.steps[i].name))
        .collect();
    if !cascade && (!dependants.is_empty() || !outputs.is_empty()) {
        let mut readers: Vec<String> = dependants.iter().map(|d| format!("`{d}`")).collect();
        readers.extend(
            outputs
                .iter()
                .map(|o| format!("the output `{}`", o.name.text)),
        );
        let mut refusal = Refusal::new(
            RefusalReason::Dependants,
            format!(
                "`{step}` is read by {}; delete those too, or disconnect them first",
                readers.join(", ")
            ),
        );
        refusal.dependants = dependants;
        return Err(refusal);
    }

    // The statements to remove, each with the body holding it; nested ones go with the
    // block around them.
    let bodies = instance.bodies();
    let body_of = |span: Span| -> Option<Body<'_>> {
        bodies
            .iter()
            .filter(|(_, b)| b.stmts.iter().any(|s| s.span() == span))
            .map(|(_, b)| *b)
            .next()
    };
    let mut spans: Vec<Span> = doomed.iter().map(|&i| graph.steps[i].span).collect();
    for &b in &doomed_blocks {
        // The `if` statement for both of its branches.
        if let Some(stmt) = statement_of_block(&instance.pipeline.body, graph.blocks[b].span) {
            spans.push(stmt);
        }
    }
    spans.extend(outputs.iter().map(|o| o.span));
    spans.sort_by_key(|s| (s.start, std::cmp::Reverse(s.end)));
    let mut kept: Vec<Span> = Vec::new();
    for span in spans {
        if !kept
            .iter()
            .any(|k| k.start <= span.start && span.end <= k.end)
        {
            kept.push(span);
        }
    }
    let comments = instance.comments();
    let mut edits = Vec::new();
    // A body left with nothing in it becomes `{}`, as the formatter writes it.
    for (_, body) in &bodies {
        let emptied = !body.stmts.is_empty()
            && body.attrs_end.is_none()
            && body.stmts.iter().all(|s| kept.contains(&s.span()))
            && !comments
                .iter()
                .any(|c| body.open < c.span.start as usize && (c.span.end as usize) <= body.close);
        if emptied {
            kept.retain(|k| !body.stmts.iter().any(|s| s.span() == *k));
            edits.push(TextEdit {
                span: Span::new(body.open + 1, body.close),
                new_text: String::new(),
            });
        }
    }
    for span in kept {
        let Some(body) = body_of(span) else {
            let names: Vec<&str> = doomed_names.iter().copied().collect();
            return Err(Refusal::invalid(format!(
                "the statements of {} could not be found in the text; redraw the graph and try again",
                listing(&names)
            )));
        };
        edits.push(remove_statement(instance.text, comments, &body, span));
    }
    Ok(outcome(&instance, edits, None))
}

/// The span of the `for` or `if` statement whose block has the span `block` (an `else`
/// branch's block has its `if`'s span).
fn statement_of_block(stmts: &[Stmt], block: Span) -> Option<Span> {
    stmts.iter().find_map(|s| match s {
        Stmt::For(f) if f.span == block => Some(f.span),
        Stmt::If(i) if i.span == block => Some(i.span),
        Stmt::For(f) => statement_of_block(&f.body, block),
        Stmt::If(i) => statement_of_block(&i.then_body, block).or_else(|| {
            i.else_body
                .as_deref()
                .and_then(|b| statement_of_block(b, block))
        }),
        _ => None,
    })
}
