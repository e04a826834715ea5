//! Where an offset stands in the tree: the item around it and, in a pipeline, the blocks,
//! loop variables and statement around it, matched to the pipeline's `StepGraph`.

use mlforge_analysis::graph::{BlockKind, StepGraph};
use mlforge_analysis::items::ItemKey;
use mlforge_analysis::pipeline::{analyze_pipeline, PipelineAnalysis};
use mlforge_analysis::types::Ty;
use mlforge_analysis::{Db, SourceFile};
use mlforge_syntax::ast::{self, Item, Stmt};
use mlforge_syntax::Span;

use crate::base::{tree, TK};

/// The item whose span holds `offset` (a boundary touching the item counts).
pub(crate) fn item_at(db: &dyn Db, file: SourceFile, offset: usize) -> Option<&Item> {
    let items = &tree(db, file).file.items;
    let i = items.partition_point(|it| (it.span().start as usize) < offset);
    // `i - 1` starts before the offset; `i` may start exactly at it.
    let before = i.checked_sub(1).and_then(|j| items.get(j));
    match before {
        Some(item) if offset <= item.span().end as usize => Some(item),
        _ => items.get(i).filter(|it| it.span().start as usize == offset),
    }
}

/// The offset's place inside a pipeline.
pub(crate) struct PipelineAt<'a> {
    pub file: SourceFile,
    pub pipeline: &'a ast::Pipeline,
    pub analysis: &'a PipelineAnalysis,
    /// Graph blocks around the offset, outermost first.
    pub blocks: Vec<usize>,
    /// Loop variables in scope, outermost first, with their element type.
    pub loop_vars: Vec<(&'a ast::Name, Ty)>,
    /// The innermost statement (not a block) holding the offset.
    pub stmt: Option<&'a Stmt>,
}

pub(crate) fn pipeline_at(db: &dyn Db, file: SourceFile, offset: usize) -> Option<PipelineAt<'_>> {
    let Item::Pipeline(pipeline) = item_at(db, file, offset)? else {
        return None;
    };
    let key = ItemKey::new(db, file, pipeline.name.text.to_string());
    let analysis = analyze_pipeline(db, key);
    let mut at = PipelineAt {
        file,
        pipeline,
        analysis,
        blocks: Vec::new(),
        loop_vars: Vec::new(),
        stmt: None,
    };
    descend(db, &mut at, &pipeline.body, offset);
    Some(at)
}

/// The statement of `stmts` (sorted by start) whose span holds `offset`.
pub(crate) fn stmt_holding(stmts: &[Stmt], offset: usize) -> Option<&Stmt> {
    let i = stmts.partition_point(|s| (s.span().start as usize) < offset);
    let stmt = stmts.get(i.checked_sub(1)?)?;
    (offset <= stmt.span().end as usize).then_some(stmt)
}

fn descend<'a>(db: &dyn Db, at: &mut PipelineAt<'a>, stmts: &'a [Stmt], offset: usize) {
    let Some(stmt) = stmt_holding(stmts, offset) else {
        return;
    };
    let graph = &at.analysis.graph;
    match stmt {
        Stmt::For(block)
            if offset > block.iter.span.end as usize && offset < block.span.end as usize =>
        {
            if let Some(id) = find_block(graph, |k| matches!(k, BlockKind::For { .. }), block.span)
            {
                at.blocks.push(id);
                let elem = graph.blocks[id].elem_ty.clone().unwrap_or(Ty::Unknown);
                at.loop_vars.push((&block.var, elem));
            }
            descend(db, at, &block.body, offset);
        }
        Stmt::If(block)
            if offset > block.cond.span.end as usize && offset < block.span.end as usize =>
        {
            let in_else = in_else_branch(db, at.file, block, offset);
            let (kind, body): (fn(&BlockKind) -> bool, &'a [Stmt]) = if in_else {
                (
                    |k| matches!(k, BlockKind::Else),
                    block.else_body.as_deref().unwrap_or_default(),
                )
            } else {
                (|k| matches!(k, BlockKind::Then), &block.then_body)
            };
            if let Some(id) = find_block(graph, kind, block.span) {
                at.blocks.push(id);
            }
            descend(db, at, body, offset);
        }
        Stmt::For(_) | Stmt::If(_) => {}
        _ => at.stmt = Some(stmt),
    }
}

fn find_block(graph: &StepGraph, kind: fn(&BlockKind) -> bool, span: Span) -> Option<usize> {
    graph
        .blocks
        .iter()
        .position(|b| b.span == span && kind(&b.kind))
}

/// Whether `offset` (inside the `if` statement, after its condition) is in the `else` part.
pub(crate) fn in_else_branch(
    db: &dyn Db,
    file: SourceFile,
    block: &ast::If,
    offset: usize,
) -> bool {
    let Some(else_body) = &block.else_body else {
        return false;
    };
    if block.then_body.iter().any(|s| s.span().contains(offset)) {
        return false;
    }
    if else_body.iter().any(|s| s.span().contains(offset)) {
        return true;
    }
    // Between statements: find the `}` that closes the `then` block.
    let text = crate::base::text(db, file);
    let toks = crate::base::lex_range(text, block.cond.span.end as usize, block.span.end as usize);
    let mut depth = 0usize;
    for tok in &toks {
        match tok.kind {
            TK::LBrace => depth += 1,
            TK::RBrace => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return offset > tok.span.start as usize;
                }
            }
            _ => {}
        }
    }
    false
}

impl PipelineAt<'_> {
    /// The graph index of the step named `name`.
    pub(crate) fn step(&self, name: &str) -> Option<usize> {
        self.analysis
            .graph
            .steps
            .iter()
            .position(|s| s.name == name)
    }

    /// The type of an output of `step` as seen from the offset: one `list<…>` per `for` and
    /// one `?` per `if` that holds the step but not the offset.
    pub(crate) fn seen_from_here(&self, step: usize, ty: Ty) -> Ty {
        seen_from(&self.analysis.graph, step, &self.blocks, ty)
    }
}

pub(crate) fn seen_from(graph: &StepGraph, step: usize, here: &[usize], ty: Ty) -> Ty {
    let step_path = graph.block_path(graph.steps[step].block);
    let common = step_path
        .iter()
        .zip(here)
        .take_while(|(a, b)| a == b)
        .count();
    step_path[common..]
        .iter()
        .rev()
        .fold(ty, |ty, &block| match graph.blocks[block].kind {
            BlockKind::For { .. } => Ty::list(ty),
            BlockKind::Then | BlockKind::Else => Ty::optional(ty),
        })
}
