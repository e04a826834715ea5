//! `${…}` inside a code body: the op's inputs and outputs.

use mlforge_analysis::{Db, SourceFile};
use mlforge_syntax::ast::Item;
use mlforge_syntax::Span;

use crate::base::{slice, text, word_at};
use crate::render::param_text;
use crate::scope::item_at;
use crate::{CompletionItem, CompletionKind};

pub(super) fn interpolations(
    db: &dyn Db,
    file: SourceFile,
    offset: usize,
    body: Span,
) -> Vec<CompletionItem> {
    let text = text(db, file);
    let content_start = (body.start as usize + 3).min(offset);
    let before = &text[content_start..offset];
    let Some(dollar) = before.rfind("${") else {
        return Vec::new();
    };
    if before[..dollar].ends_with('$') {
        return Vec::new();
    }
    let typed = &before[dollar + 2..];
    if !typed
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b' ')
    {
        return Vec::new();
    }
    let Some(Item::Op(op)) = item_at(db, file, offset) else {
        return Vec::new();
    };
    let word = word_at(text, offset);
    let closes = text[word.end as usize..].starts_with('}');
    let mut items = Vec::new();
    let mut add = |name: &str, detail: String, doc: Option<String>, priority: u8| {
        items.push(CompletionItem {
            label: name.to_string(),
            kind: CompletionKind::Interpolation,
            detail: Some(detail),
            documentation: doc,
            insert_text: if closes {
                name.to_string()
            } else {
                format!("{name}}}")
            },
            is_snippet: false,
            sort_text: format!("{priority:02}{name}"),
            replace: word,
        });
    };
    for param in &op.params {
        add(
            &param.name.text,
            format!("input: {}", param_text(text, param)),
            param.doc.clone(),
            0,
        );
    }
    for output in &op.outputs {
        add(
            &output.name.text,
            format!(
                "output: {}: {}  (the path to write)",
                output.name.text,
                slice(text, output.ty.span())
            ),
            output.doc.clone(),
            0,
        );
    }
    items
}
