//! Formatting through `mlforge_fmt`: the whole document, or the whole items a range touches.
//! The formatter refuses files with syntax errors (and any result that would lose or move a
//! comment); the server then answers with an error carrying the formatter's message, and the
//! document is left as it is.

use mlforge_syntax::{Comment, Span};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types as lsp;

use crate::handlers::{doc, request_failed};
use crate::position;
use crate::to_proto::minimal_edit;
use crate::world::Snapshot;

fn refused(error: mlforge_fmt::FormatError) -> tower_lsp_server::jsonrpc::Error {
    request_failed(format!("mlforge fmt: {error}"))
}

pub fn format_document(
    snap: &Snapshot,
    params: lsp::DocumentFormattingParams,
) -> Result<Option<Vec<lsp::TextEdit>>> {
    let doc = doc(snap, &params.text_document.uri)?;
    let text = doc.rope.to_string();
    let formatted = mlforge_fmt::format(&text).map_err(refused)?;
    Ok(Some(match minimal_edit(&text, &formatted) {
        None => Vec::new(),
        Some((start, end, new_text)) => vec![lsp::TextEdit::new(
            position::lsp_range(&doc.rope, start, end, snap.config.encoding),
            new_text,
        )],
    }))
}

/// The comments inside `span`, as text, in order.
fn comments_in<'a>(text: &'a str, comments: &[Comment], span: Span) -> Vec<&'a str> {
    comments
        .iter()
        .filter(|c| c.span.start >= span.start && c.span.end <= span.end)
        .map(|c| text[c.span.range()].trim_end())
        .collect()
}

/// Formats the items that `range` touches: the whole file is formatted (so that the layout
/// is the formatter's), then each touched item's text is replaced by its formatted text.
/// The text between items is left alone.
pub fn format_range(
    snap: &Snapshot,
    params: lsp::DocumentRangeFormattingParams,
) -> Result<Option<Vec<lsp::TextEdit>>> {
    let doc = doc(snap, &params.text_document.uri)?;
    let encoding = snap.config.encoding;
    let text = doc.rope.to_string();
    let (start, end) = position::range_clamped(&doc.rope, params.range, encoding);
    let formatted = mlforge_fmt::format(&text).map_err(refused)?;
    let before = mlforge_syntax::parse(&text);
    let after = mlforge_syntax::parse(&formatted);
    if before.file.items.len() != after.file.items.len() {
        return Err(request_failed(
            "mlforge fmt: the formatted file does not have the same items; format the whole document instead",
        ));
    }
    let mut edits = Vec::new();
    for (old, new) in before.file.items.iter().zip(&after.file.items) {
        let (old_span, new_span) = (old.span(), new.span());
        let touches = (old_span.start as usize) <= end.max(start + 1).saturating_sub(1)
            && (old_span.end as usize) >= start;
        if !touches {
            continue;
        }
        // Every comment of the item must come through, in order, or nothing is changed.
        if comments_in(&text, &before.comments, old_span)
            != comments_in(&formatted, &after.comments, new_span)
        {
            return Err(request_failed(format!(
                "mlforge fmt: formatting the item at line {} alone would move a comment out of it; format the whole document instead",
                position::position(&doc.rope, old_span.start as usize, encoding).line + 1
            )));
        }
        let old_text = &text[old_span.range()];
        let new_text = &formatted[new_span.range()];
        if let Some((s, e, replacement)) = minimal_edit(old_text, new_text) {
            let base = old_span.start as usize;
            edits.push(lsp::TextEdit::new(
                position::lsp_range(&doc.rope, base + s, base + e, encoding),
                replacement,
            ));
        }
    }
    Ok(Some(edits))
}
