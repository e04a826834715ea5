//! Finding what an edit names: the pipeline instance a node or cluster id lies in (through
//! the steps that call sub-pipelines), a step and the body holding it, a block's body and
//! its braces.

use std::sync::Arc;

use mlforge_analysis::graph::{numbered_blocks, BlockStmt};
use mlforge_analysis::items::{find_pipeline, resolve_callee, CalleeKind, ItemKey};
use mlforge_analysis::pipeline::{analyze_pipeline, PipelineAnalysis};
use mlforge_analysis::{Db, SourceFile};
use mlforge_syntax::ast::{self, Stmt};

use super::Refusal;
use crate::base::{lex_range, text, tree, TK};
use crate::defs::visit_steps;

/// One pipeline as the graph draws it: the top pipeline, or a sub-pipeline inlined under
/// the steps of `prefix`.
pub(crate) struct Instance<'db> {
    pub db: &'db dyn Db,
    pub file: SourceFile,
    pub text: &'db str,
    pub pipeline: &'db ast::Pipeline,
    /// `te.` for the pipeline the step `te` calls; empty for the top pipeline.
    pub prefix: String,
}

/// A statement list between braces: a pipeline's body or a block's.
#[derive(Clone, Copy)]
pub(crate) struct Body<'db> {
    pub stmts: &'db [Stmt],
    /// The offsets of `{` and `}`.
    pub open: usize,
    pub close: usize,
    /// For a pipeline's body: where its last attribute ends (statements go after it).
    pub attrs_end: Option<usize>,
}

/// A step and where it stands.
pub(crate) struct StepAt<'db> {
    pub step: &'db ast::Step,
    pub body: Body<'db>,
}

impl<'db> Instance<'db> {
    pub fn top(db: &'db dyn Db, file: SourceFile, name: &str) -> Result<Instance<'db>, Refusal> {
        let pipeline = find_pipeline(db, file, name).ok_or_else(|| {
            Refusal::not_found(format!(
                "this file has no pipeline `{name}`; it may have been renamed, so redraw the graph"
            ))
        })?;
        Ok(Instance {
            db,
            file,
            text: text(db, file),
            pipeline,
            prefix: String::new(),
        })
    }

    /// The instance holding the node or cluster `id`, and the id's last part (a step name,
    /// or a block's `for#1`).
    pub fn holding<'a>(&self, id: &'a str) -> Result<(Instance<'db>, &'a str), Refusal> {
        let mut parts: Vec<&str> = id.split('.').collect();
        let last = parts.pop().unwrap_or("");
        let mut instance = self.again();
        for part in parts {
            instance = instance.callee_of(part, id)?;
        }
        Ok((instance, last))
    }

    fn again(&self) -> Instance<'db> {
        Instance {
            db: self.db,
            file: self.file,
            text: self.text,
            pipeline: self.pipeline,
            prefix: self.prefix.clone(),
        }
    }

    /// The pipeline that the step `name` of this instance calls.
    fn callee_of(&self, name: &str, id: &str) -> Result<Instance<'db>, Refusal> {
        let step = self.find_step(name).ok_or_else(|| self.no_step(id))?.step;
        let callee = resolve_callee(self.db, self.file, &step.callee)
            .ok()
            .filter(|c| c.kind == CalleeKind::Pipeline)
            .ok_or_else(|| {
                Refusal::not_found(format!(
                    "the step `{}{name}` does not call a pipeline, so it has no step `{id}`",
                    self.prefix
                ))
            })?;
        let pipeline = find_pipeline(self.db, callee.file, &callee.name).ok_or_else(|| {
            Refusal::not_found(format!("the pipeline `{}` no longer exists", callee.name))
        })?;
        Ok(Instance {
            db: self.db,
            file: callee.file,
            text: text(self.db, callee.file),
            pipeline,
            prefix: format!("{}{name}.", self.prefix),
        })
    }

    pub fn no_step(&self, id: &str) -> Refusal {
        Refusal::not_found(format!(
            "there is no step `{id}` in the pipeline `{}`; the graph may be out of date, so redraw it",
            self.pipeline.name.text
        ))
    }

    pub fn analysis(&self) -> Arc<PipelineAnalysis> {
        let key = ItemKey::new(self.db, self.file, self.pipeline.name.text.to_string());
        analyze_pipeline(self.db, key).clone()
    }

    /// Every step of the pipeline, in source order.
    pub fn steps(&self) -> Vec<&'db ast::Step> {
        let mut steps = Vec::new();
        visit_steps(&self.pipeline.body, &mut |s| steps.push(s));
        steps
    }

    /// The step named `name` (the first, if two have the name) and its body.
    pub fn find_step(&self, name: &str) -> Option<StepAt<'db>> {
        self.bodies().into_iter().find_map(|(_, body)| {
            body.stmts.iter().find_map(|s| match s {
                Stmt::Step(step) if step.name.text == name => Some(StepAt { step, body }),
                _ => None,
            })
        })
    }

    /// The step of the node id `id` (a full id, from the top pipeline), which must lie in
    /// this very instance.
    pub fn step_here(&self, id: &str) -> Result<StepAt<'db>, Refusal> {
        let local = id
            .strip_prefix(self.prefix.as_str())
            .filter(|rest| !rest.contains('.'))
            .ok_or_else(|| {
                Refusal::invalid(format!(
                    "`{id}` lies in another pipeline than the steps it is edited with; edit the steps of one pipeline together"
                ))
            })?;
        self.find_step(local).ok_or_else(|| self.no_step(id))
    }

    /// The pipeline's body and every block's, with their ids (`None` for the pipeline's).
    pub fn bodies(&self) -> Vec<(Option<String>, Body<'db>)> {
        let mut out = Vec::new();
        if let Some(body) = self.pipeline_body() {
            out.push((None, body));
        }
        for (id, block) in numbered_blocks(&self.pipeline.body) {
            if let Some(body) = self.block_body(block) {
                out.push((Some(id), body));
            }
        }
        out
    }

    /// The body a statement goes into: the block `block` (a cluster id of this graph), or
    /// the pipeline's own body.
    pub fn body_for(&self, block: Option<&str>) -> Result<(Instance<'db>, Body<'db>), Refusal> {
        let Some(id) = block else {
            let body = self.pipeline_body().ok_or_else(unclosed)?;
            return Ok((self.again(), body));
        };
        let (instance, last) = self.holding(id)?;
        if !last.contains('#') {
            // A step calling a pipeline: that pipeline's own body.
            let inner = instance.callee_of(last, id)?;
            let body = inner.pipeline_body().ok_or_else(unclosed)?;
            return Ok((inner, body));
        }
        let found = instance
            .bodies()
            .into_iter()
            .find(|(b, _)| b.as_deref() == Some(last));
        match found {
            Some((_, body)) => Ok((instance, body)),
            None => Err(Refusal::not_found(format!(
                "there is no block `{id}` in the pipeline `{}`; the graph may be out of date, so redraw it",
                self.pipeline.name.text
            ))),
        }
    }

    fn pipeline_body(&self) -> Option<Body<'db>> {
        let p = self.pipeline;
        let open = first_brace(self.text, p.name.span.end as usize, p.span.end as usize)?;
        let close = closing(self.text, p.span.end as usize)?;
        Some(Body {
            stmts: &p.body,
            open,
            close,
            attrs_end: p.attrs.iter().map(|a| a.span.end as usize).max(),
        })
    }

    /// A block's body; `None` for an `else if` (its body is the inner `if`, with no braces
    /// of its own) and for broken text.
    pub fn block_body(&self, block: BlockStmt<'db>) -> Option<Body<'db>> {
        let text = self.text;
        let (open, close) = match block {
            BlockStmt::For(f) => (
                first_brace(text, f.iter.span.end as usize, f.span.end as usize)?,
                closing(text, f.span.end as usize)?,
            ),
            BlockStmt::Then(i) => {
                let open = first_brace(text, i.cond.span.end as usize, i.span.end as usize)?;
                (open, matching_brace(text, open, i.span.end as usize)?)
            }
            BlockStmt::Else(i) => {
                let then_open = first_brace(text, i.cond.span.end as usize, i.span.end as usize)?;
                let then_close = matching_brace(text, then_open, i.span.end as usize)?;
                let toks = lex_range(text, then_close + 1, i.span.end as usize);
                // `else {`, not `else if`.
                match toks.get(1) {
                    Some(t) if t.kind == TK::LBrace => {
                        (t.span.start as usize, closing(text, i.span.end as usize)?)
                    }
                    _ => return None,
                }
            }
        };
        Some(Body {
            stmts: block.body(),
            open,
            close,
            attrs_end: None,
        })
    }

    /// The comments of this instance's file.
    pub fn comments(&self) -> &'db [mlforge_syntax::Comment] {
        &tree(self.db, self.file).comments
    }
}

fn unclosed() -> Refusal {
    Refusal::invalid("the pipeline's body is not closed with `}`; fix the text first")
}

fn first_brace(text: &str, from: usize, to: usize) -> Option<usize> {
    lex_range(text, from, to)
        .iter()
        .find(|t| t.kind == TK::LBrace)
        .map(|t| t.span.start as usize)
}

/// The `}` that ends a construct whose span ends at `end`.
fn closing(text: &str, end: usize) -> Option<usize> {
    (end > 0 && text.as_bytes().get(end - 1) == Some(&b'}')).then(|| end - 1)
}

fn matching_brace(text: &str, open: usize, to: usize) -> Option<usize> {
    let mut depth = 0usize;
    for t in lex_range(text, open, to) {
        match t.kind {
            TK::LBrace => depth += 1,
            TK::RBrace => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(t.span.start as usize);
                }
            }
            _ => {}
        }
    }
    None
}
