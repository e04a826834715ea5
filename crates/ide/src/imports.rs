//! Importing another file of the workspace: the path to write, the namespace its items
//! will have, and where the `import` line goes. Used by the quick fix for an unknown op,
//! the op catalog and the graph edit that adds a step calling an op of another file.

use std::path::{Component, Path, PathBuf};

use mlforge_analysis::items::imports;
use mlforge_analysis::{Db, SourceFile};
use mlforge_syntax::ast::Item;
use mlforge_syntax::Span;

use crate::base::{is_identifier, line_start, text, tree};
use crate::TextEdit;

/// How `file` would import `other`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ImportPlan {
    /// `other` relative to `file`'s folder, as the `import` writes it.
    pub path: String,
    /// The namespace `other`'s items get: its stem, or the alias.
    pub namespace: String,
    /// The `import` line, inserted where imports go.
    pub edit: TextEdit,
}

/// How `file` would import `other` (not imported yet): under its stem when that is a free
/// identifier, else under an alias made from it. `None` when `other` has no file name.
/// A std module is imported as `std/NAME`.
pub(crate) fn plan_import(db: &dyn Db, file: SourceFile, other: SourceFile) -> Option<ImportPlan> {
    let path = match crate::std_lib::module_of(db, other) {
        Some(module) => format!("std/{}", module.name),
        None => relative_path(file.path(db), other.path(db)),
    };
    let stem = stem(db, other)?;
    let taken = |n: &str| imports(db, file).iter().any(|i| i.namespace == n);
    let (namespace, alias) = if is_identifier(&stem) && !taken(&stem) {
        (stem.clone(), None)
    } else {
        let base: String = stem
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let base = if base.starts_with(|c: char| c.is_ascii_digit()) {
            format!("m_{base}")
        } else {
            base
        };
        let mut candidate = base.clone();
        let mut n = 2;
        while taken(&candidate) || crate::base::is_keyword(&candidate) {
            candidate = format!("{base}{n}");
            n += 1;
        }
        (candidate.clone(), Some(candidate))
    };
    let edit = TextEdit {
        span: import_insert_point(db, file),
        new_text: import_line(db, file, &path, alias.as_deref()),
    };
    Some(ImportPlan {
        path,
        namespace,
        edit,
    })
}

pub(crate) fn stem(db: &dyn Db, file: SourceFile) -> Option<String> {
    file.path(db)
        .file_stem()
        .and_then(|s| s.to_str())
        .map(str::to_string)
}

/// `to` relative to the folder of `from`, with `/` separators.
pub(crate) fn relative_path(from: &Path, to: &Path) -> String {
    let from_dir: Vec<Component> = from
        .parent()
        .unwrap_or(Path::new(""))
        .components()
        .collect();
    let to_parts: Vec<Component> = to.components().collect();
    let common = from_dir
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut rel = PathBuf::new();
    for _ in common..from_dir.len() {
        rel.push("..");
    }
    for part in &to_parts[common..] {
        rel.push(part.as_os_str());
    }
    rel.to_string_lossy().replace('\\', "/")
}

/// Where a new import goes: after the last import, or before the first item (and the
/// doc comment above it).
pub(crate) fn import_insert_point(db: &dyn Db, file: SourceFile) -> Span {
    let parsed = tree(db, file);
    if let Some(last) = parsed
        .file
        .items
        .iter()
        .rfind(|i| matches!(i, Item::Import(_)))
    {
        return Span::empty(last.span().end as usize);
    }
    let Some(first) = parsed.file.items.first() else {
        return Span::empty(text(db, file).len());
    };
    let mut at = first.span().start as usize;
    for comment in parsed.comments.iter().rev() {
        if (comment.span.end as usize) > at {
            continue;
        }
        let gap = &text(db, file)[comment.span.end as usize..at];
        if comment.kind == mlforge_syntax::CommentKind::Doc
            && gap.trim().is_empty()
            && gap.matches('\n').count() <= 1
        {
            at = comment.span.start as usize;
        } else {
            break;
        }
    }
    Span::empty(line_start(text(db, file), at))
}

pub(crate) fn import_line(db: &dyn Db, file: SourceFile, rel: &str, alias: Option<&str>) -> String {
    let alias = alias.map_or(String::new(), |a| format!(" as {a}"));
    let has_imports = tree(db, file)
        .file
        .items
        .iter()
        .any(|i| matches!(i, Item::Import(_)));
    if has_imports {
        format!("\nimport \"{rel}\"{alias}")
    } else {
        format!("import \"{rel}\"{alias}\n\n")
    }
}
