//! Wrapping steps of one body in a new `for` or `if`.

use mlforge_analysis::graph::{numbered_blocks, BlockStmt};
use mlforge_syntax::ast::Stmt;
use mlforge_syntax::Span;

use super::args::outcome;
use super::check::{recheck, refuse_errors_in};
use super::locate::Instance;
use super::text::{layout, remove_statement, statement_indent};
use super::{EditOutcome, Refusal};
use crate::base::{is_identifier, is_keyword};
use crate::TextEdit;

pub(crate) enum Wrapper<'a> {
    For { var: &'a str, over: &'a str },
    If { condition: &'a str },
}

pub(crate) fn wrap(
    top: &Instance<'_>,
    steps: &[String],
    wrapper: Wrapper<'_>,
) -> Result<EditOutcome, Refusal> {
    let Some(first_id) = steps.first() else {
        return Err(Refusal::invalid("choose at least one step to wrap"));
    };
    let (instance, _) = top.holding(first_id)?;
    let first = instance.step_here(first_id)?;
    let body = first.body;
    let mut indices = Vec::new();
    for id in steps {
        let at = instance.step_here(id)?;
        if at.body.open != body.open {
            return Err(Refusal::invalid(format!(
                "`{id}` is in another block than `{first_id}`; wrap steps of one block together"
            )));
        }
        let index = body
            .stmts
            .iter()
            .position(|s| s.span() == at.step.span)
            .expect("a step is in its body");
        if !indices.contains(&index) {
            indices.push(index);
        }
    }
    indices.sort_unstable();
    let header = match wrapper {
        Wrapper::For { var, over } => {
            check_loop_var(&instance, var)?;
            if over.trim().is_empty() {
                return Err(Refusal::invalid(
                    "give the list to go over: a param or a list like `[1, 2]`",
                ));
            }
            format!("for {var} in {}", over.trim())
        }
        Wrapper::If { condition } => {
            if condition.trim().is_empty() {
                return Err(Refusal::invalid(
                    "give the condition, like `best.mse <= max_mse`",
                ));
            }
            format!("if {}", condition.trim())
        }
    };
    one_header(&header, &what_given(&wrapper))?;
    let text = instance.text;
    let comments = instance.comments();
    let (lo, hi) = (indices[0], *indices.last().expect("not empty"));
    let start = body.stmts[lo].span().start as usize;
    let contiguous = hi - lo + 1 == indices.len();
    let mut edits = Vec::new();
    let inner = if contiguous {
        text[start..body.stmts[hi].span().end as usize].to_string()
    } else {
        // Later steps move up into the block; what lies between stays where it is.
        for &i in &indices[1..] {
            edits.push(remove_statement(
                text,
                comments,
                &body,
                body.stmts[i].span(),
            ));
        }
        indices
            .iter()
            .map(|&i| &text[body.stmts[i].span().range()])
            .collect::<Vec<_>>()
            .join("\n")
    };
    let end = if contiguous {
        body.stmts[hi].span().end as usize
    } else {
        body.stmts[lo].span().end as usize
    };
    let indent = statement_indent(text, &body, start);
    let what = match wrapper {
        Wrapper::For { over, .. } => format!("the list `{over}`"),
        Wrapper::If { condition } => format!("the condition `{condition}`"),
    };
    // The steps parsed before; what does not parse now is the header the user gave.
    let block = layout(&format!("{header} {{\n{inner}\n}}"), indent)
        .map_err(|_| Refusal::invalid(format!("{what} does not parse; write a param, a list like `[1, 2]` or a condition like `best.mse <= 0.5`")))?;
    edits.push(TextEdit {
        span: Span::new(start, end),
        new_text: block,
    });
    edits.sort_by_key(|e| e.span.start);
    let checked = recheck(&instance, &edits, &what)?;
    // The block starts where the first step did (every other edit comes after it).
    let select = match checked.statement_at(start) {
        Some(stmt @ (Stmt::For(_) | Stmt::If(_))) => {
            let header = match stmt {
                Stmt::For(f) => f.iter.span,
                Stmt::If(i) => i.cond.span,
                _ => unreachable!("matched above"),
            };
            refuse_errors_in(&checked, header)?;
            let pipeline = checked.pipeline().expect("checked above");
            numbered_blocks(&pipeline.body)
                .into_iter()
                .find(|(_, b)| block_span(*b) == stmt.span())
                .map(|(id, _)| format!("{}{id}", instance.prefix))
        }
        _ => None,
    };
    Ok(outcome(&instance, edits, select))
}

fn what_given(wrapper: &Wrapper<'_>) -> String {
    match wrapper {
        Wrapper::For { over, .. } => over.trim().to_string(),
        Wrapper::If { condition } => condition.trim().to_string(),
    }
}

pub(crate) fn block_span(block: BlockStmt<'_>) -> Span {
    match block {
        BlockStmt::For(f) => f.span,
        BlockStmt::Then(i) | BlockStmt::Else(i) => i.span,
    }
}

fn check_loop_var(instance: &Instance<'_>, var: &str) -> Result<(), Refusal> {
    if !is_identifier(var) || is_keyword(var) {
        return Err(Refusal::invalid(format!(
            "`{var}` cannot name a loop variable; use letters, digits and `_`, not starting with a digit, and no keyword"
        )));
    }
    let taken = instance.pipeline.params.iter().any(|p| p.name.text == var)
        || instance.steps().iter().any(|s| s.name.text == var);
    if taken {
        return Err(Refusal::invalid(format!(
            "`{var}` already names a param or a step of this pipeline; choose another loop variable"
        )));
    }
    Ok(())
}

/// Refuses a `for`/`if` header that is not one expression (text that would close the block
/// and write statements of its own, say).
fn one_header(header: &str, given: &str) -> Result<(), Refusal> {
    let probe = format!("pipeline p() {{\n  {header} {{}}\n}}\n");
    let parse = mlforge_syntax::parse(&probe);
    let single = matches!(
        parse.file.items.as_slice(),
        [mlforge_syntax::ast::Item::Pipeline(p)] if p.body.len() == 1 && match &p.body[0] {
            Stmt::For(f) => f.body.is_empty(),
            Stmt::If(i) => i.then_body.is_empty() && i.else_body.is_none(),
            _ => false,
        }
    );
    if parse.errors.is_empty() && single && parse.comments.is_empty() {
        return Ok(());
    }
    Err(Refusal::invalid(format!(
        "`{given}` is not one expression; write a param, a list like `[1, 2]` or a condition like `best.mse <= 0.5`"
    )))
}
