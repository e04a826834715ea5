//! Formatting through `mlforge_fmt`: the whole document, or the whole items a range touches
//! (`mlforge_fmt::format_items`). The formatter refuses files with syntax errors and any
//! result that would lose or move a comment, and `mlforge_fmt::same_ir` any that would
//! compile to a different pipeline (as `mlforge fmt` does before it writes); the server
//! then answers with an error carrying the formatter's message, and the document is left
//! as it is.

use std::sync::Arc;

use mlforge_analysis::DiskLoader;
use mlforge_fmt::RangeError;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types as lsp;

use crate::handlers::{doc, request_failed, Doc};
use crate::position;
use crate::to_proto::minimal_edit;
use crate::world::Snapshot;

fn refused(error: impl std::fmt::Display) -> tower_lsp_server::jsonrpc::Error {
    request_failed(format!("mlforge fmt: {error}"))
}

/// Refuses a result that would compile to a different pipeline; imports are read from disk.
fn guard(snap: &Snapshot, doc: &Doc, before: &str, after: &str) -> Result<()> {
    let path = doc.file.path(&snap.db);
    mlforge_fmt::same_ir(Arc::new(DiskLoader), path, before, after).map_err(refused)
}

pub fn format_document(
    snap: &Snapshot,
    params: lsp::DocumentFormattingParams,
) -> Result<Option<Vec<lsp::TextEdit>>> {
    let doc = doc(snap, &params.text_document.uri)?;
    let text = doc.rope.to_string();
    let formatted = mlforge_fmt::format(&text).map_err(refused)?;
    let Some((start, end, new_text)) = minimal_edit(&text, &formatted) else {
        return Ok(Some(Vec::new()));
    };
    guard(snap, &doc, &text, &formatted)?;
    Ok(Some(vec![lsp::TextEdit::new(
        position::lsp_range(&doc.rope, start, end, snap.config.encoding),
        new_text,
    )]))
}

/// Formats the items that `range` touches; the text between items is left alone.
pub fn format_range(
    snap: &Snapshot,
    params: lsp::DocumentRangeFormattingParams,
) -> Result<Option<Vec<lsp::TextEdit>>> {
    let doc = doc(snap, &params.text_document.uri)?;
    let encoding = snap.config.encoding;
    let text = doc.rope.to_string();
    let (start, end) = position::range_clamped(&doc.rope, params.range, encoding);
    let items = mlforge_fmt::format_items(&text, start, end).map_err(|e| match e {
        RangeError::CommentMoves { offset } => refused(format!(
            "formatting the item at line {} alone would move a comment out of it; format the whole document instead",
            position::position(&doc.rope, offset, encoding).line + 1
        )),
        other => refused(other),
    })?;
    let mut edits = Vec::new();
    let mut after = text.clone();
    for item in items.iter().rev() {
        after.replace_range(item.span.range(), &item.text);
    }
    if after != text {
        guard(snap, &doc, &text, &after)?;
    }
    for item in &items {
        let old_text = &text[item.span.range()];
        if let Some((s, e, replacement)) = minimal_edit(old_text, &item.text) {
            let base = item.span.start as usize;
            edits.push(lsp::TextEdit::new(
                position::lsp_range(&doc.rope, base + s, base + e, encoding),
                replacement,
            ));
        }
    }
    Ok(Some(edits))
}
