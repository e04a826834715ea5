//! Type names: scalars, artifact kinds and the types of imported modules.

use mlforge_analysis::items::{imports, namespace_target, parse};
use mlforge_analysis::types::{BUILTIN_KINDS, SCALARS};
use mlforge_analysis::{Db, SourceFile};
use mlforge_syntax::ast::Item;

use crate::base::{slice, text};
use crate::render::builtin_type_doc;
use crate::CompletionKind;

use super::out::Out;

pub(super) fn types(
    db: &dyn Db,
    file: SourceFile,
    namespace: Option<&str>,
    kinds_only: bool,
    out: &mut Out,
) {
    if let Some(ns) = namespace {
        if let Some(Some(target)) = namespace_target(db, file, ns) {
            declared_kinds(db, target, out);
        }
        return;
    }
    if !kinds_only {
        for scalar in SCALARS {
            out.add(
                *scalar,
                CompletionKind::Type,
                Some("scalar".to_string()),
                builtin_type_doc(scalar).map(str::to_string),
                0,
            );
        }
        out.add(
            "list<…>",
            CompletionKind::Type,
            Some("list<T>".to_string()),
            builtin_type_doc("list").map(str::to_string),
            2,
        );
        out.insert("list<$1>$0");
    }
    for (kind, _) in BUILTIN_KINDS {
        out.add(
            *kind,
            CompletionKind::Type,
            Some("artifact kind".to_string()),
            builtin_type_doc(kind).map(str::to_string),
            1,
        );
    }
    declared_kinds(db, file, out);
    for import in imports(db, file) {
        out.add(
            import.namespace.clone(),
            CompletionKind::Namespace,
            Some(format!(
                "import {}",
                slice(text(db, file), import.path_span)
            )),
            None,
            3,
        );
    }
}
pub(super) fn declared_kinds(db: &dyn Db, file: SourceFile, out: &mut Out) {
    let text = text(db, file);
    for item in &parse(db, file).file.items {
        if let Item::Artifact(a) = item {
            let base = a.base.as_ref().map_or("File", |b| slice(text, b.span()));
            out.add(
                a.name.text.to_string(),
                CompletionKind::Type,
                Some(format!("artifact {}: {base}", a.name.text)),
                a.doc.clone(),
                1,
            );
        }
    }
}
