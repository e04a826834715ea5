//! File paths inside `import "…"` and `python file "…"`.

use mlforge_analysis::{Db, SourceFile};
use mlforge_syntax::Span;

use super::closed;
use crate::base::{clamp, lex_range, slice, text, TK};
use crate::context::anchor;
use crate::{CompletionItem, CompletionKind};

/// See [`crate::path_completions`].
pub(crate) fn path_context(
    db: &dyn Db,
    file: SourceFile,
    offset: usize,
) -> Option<(bool, Span, String)> {
    let text = text(db, file);
    let offset = clamp(text, offset);
    let (at, _) = anchor(db, file, offset);
    let toks = lex_range(text, at, offset);
    let (tok, before) = toks.split_last()?;
    let raw = slice(text, tok.span);
    if tok.kind != TK::Str
        || tok.span.end as usize != offset
        || closed(raw, TK::Str)
        || raw.is_empty()
    {
        return None;
    }
    let import = match before.last().map(|p| (p.kind, slice(text, p.span))) {
        Some((TK::Keyword, "import")) => true,
        Some((TK::Keyword, "file")) => false,
        _ => return None,
    };
    let typed = &text[tok.span.start as usize + 1..offset];
    let dir = typed.rfind('/').map_or("", |i| &typed[..i + 1]).to_string();
    let seg_start = tok.span.start as usize + 1 + dir.len();
    let rest = &text[offset..];
    let seg_len = rest.find(['/', '"', '\n']).unwrap_or(rest.len());
    Some((import, Span::new(seg_start, offset + seg_len), dir))
}
pub(crate) fn path_completions(
    db: &dyn Db,
    file: SourceFile,
    offset: usize,
    entries: &[(String, bool)],
) -> Vec<CompletionItem> {
    let Some((import, replace, dir)) = path_context(db, file, offset) else {
        return Vec::new();
    };
    let own = file
        .path(db)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_string();
    let mut items = Vec::new();
    if import {
        match dir.as_str() {
            "" => items.push(CompletionItem {
                label: "std/".to_string(),
                kind: CompletionKind::File,
                detail: Some("the op library shipped with mlforge".to_string()),
                documentation: None,
                insert_text: "std/".to_string(),
                is_snippet: false,
                sort_text: "02std/".to_string(),
                replace,
            }),
            "std/" => items.extend(mlforge_stdlib::modules().iter().map(|m| CompletionItem {
                label: m.name.to_string(),
                kind: CompletionKind::Namespace,
                detail: crate::std_lib::summary(m),
                documentation: crate::std_lib::module_doc(m),
                insert_text: m.name.to_string(),
                is_snippet: false,
                sort_text: format!("00{}", m.name),
                replace,
            })),
            _ => {}
        }
        // `import "std/…"` always means the library, never a folder named `std`.
        if dir.starts_with("std/") {
            return items;
        }
    }
    for (name, is_dir) in entries {
        if name.starts_with('.') {
            continue;
        }
        if import && *is_dir && dir.is_empty() && name == "std" {
            continue;
        }
        if import && !is_dir && (!name.ends_with(".mlf") || (dir.is_empty() && *name == own)) {
            continue;
        }
        let (priority, detail) = if *is_dir { (1, "folder") } else { (0, "file") };
        items.push(CompletionItem {
            label: if *is_dir {
                format!("{name}/")
            } else {
                name.clone()
            },
            kind: CompletionKind::File,
            detail: Some(detail.to_string()),
            documentation: None,
            insert_text: if *is_dir {
                format!("{name}/")
            } else {
                name.clone()
            },
            is_snippet: false,
            sort_text: format!("{priority:02}{name}"),
            replace,
        });
    }
    items
}
