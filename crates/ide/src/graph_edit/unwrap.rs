//! Unwrapping a block: its statements take its place (an `else`'s follow the `if`), with
//! the comments of the braces and the header kept.

use mlforge_analysis::graph::{numbered_blocks, BlockStmt};

use super::args::outcome;
use super::locate::Instance;
use super::text::{kept_comments, layout, remove_statement, statement_indent};
use super::wrap::block_span;
use super::{EditOutcome, Refusal};
use crate::TextEdit;

pub(crate) fn unwrap(top: &Instance<'_>, block: &str) -> Result<EditOutcome, Refusal> {
    let (instance, last) = top.holding(block)?;
    let not_found = || {
        Refusal::not_found(format!(
            "there is no block `{block}` in the pipeline `{}`; the graph may be out of date, so redraw it",
            top.pipeline.name.text
        ))
    };
    let (_, found) = numbered_blocks(&instance.pipeline.body)
        .into_iter()
        .find(|(id, _)| id == last)
        .ok_or_else(not_found)?;
    let text = instance.text;
    let comments = instance.comments();
    let bodies = instance.bodies();
    // The body holding the block's statement, for its indentation.
    let span = block_span(found);
    let outer = bodies
        .iter()
        .map(|(_, b)| *b)
        .find(|b| b.stmts.iter().any(|s| s.span() == span))
        .ok_or_else(not_found)?;
    let indent = statement_indent(text, &outer, span.start as usize);
    let pad = " ".repeat(indent);
    let (start, end) = (span.start as usize, span.end as usize);
    let new_text = match found {
        BlockStmt::For(_) => {
            let own = instance.block_body(found).ok_or_else(not_found)?;
            contents(text, comments, start, own.open, own.close, end, &pad)
        }
        BlockStmt::Then(i) if i.else_body.is_some() => {
            return Err(Refusal::invalid(format!(
                "`{block}` has an `else`; unwrap the `else` first (its steps then follow the `if`)"
            )))
        }
        BlockStmt::Then(_) => {
            let own = instance.block_body(found).ok_or_else(not_found)?;
            contents(text, comments, start, own.open, own.close, end, &pad)
        }
        BlockStmt::Else(i) => {
            let then = instance
                .block_body(BlockStmt::Then(i))
                .ok_or_else(not_found)?;
            let else_body = i.else_body.as_deref().unwrap_or_default();
            // `else { … }` has braces of its own; `else if …` is one statement.
            let (open, close) = match instance.block_body(found) {
                Some(own) => (own.open, own.close),
                None => match (else_body.first(), else_body.last()) {
                    (Some(a), Some(b)) => (a.span().start as usize - 1, b.span().end as usize),
                    _ => return Err(not_found()),
                },
            };
            let moved = contents(text, comments, then.close + 1, open, close, end, &pad);
            format!("{}\n{moved}", &text[start..=then.close])
        }
    };
    let edit = if new_text.trim().is_empty() {
        remove_statement(text, comments, &outer, span)
    } else {
        TextEdit {
            span,
            new_text: layout(&new_text, indent)?,
        }
    };
    Ok(outcome(&instance, vec![edit], None))
}

/// What a block leaves when its braces go: the comments of its header (`start..open`),
/// the text between the braces, and the comments after the closing one (up to `end`).
fn contents(
    text: &str,
    comments: &[mlforge_syntax::Comment],
    start: usize,
    open: usize,
    close: usize,
    end: usize,
    pad: &str,
) -> String {
    let header = kept_comments(text, comments, start, open, pad);
    let footer = kept_comments(text, comments, close, end, pad);
    format!("{header}{}{footer}", text[open + 1..close].trim())
}
