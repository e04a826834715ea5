//! What the editor says about the op library's modules (`import "std/NAME"`): a module's
//! one-line summary and a short description, read from its text.

use mlforge_analysis::{Db, SourceFile};
use mlforge_stdlib::Module;
use mlforge_syntax::ast::Item;

/// The std module `file` is, if it is one.
pub(crate) fn module_of(db: &dyn Db, file: SourceFile) -> Option<&'static Module> {
    mlforge_analysis::std_module(db, file)
}

/// How hover names a std module: "the op library's `std/NAME` (SUMMARY)"; `None` for
/// other files.
pub(crate) fn describe(db: &dyn Db, file: SourceFile) -> Option<String> {
    let module = module_of(db, file)?;
    Some(match summary(module) {
        Some(summary) => format!("the op library's `std/{}` ({summary})", module.name),
        None => format!("the op library's `std/{}`", module.name),
    })
}

/// The library's modules as files of the database (text from the library, never a disk).
pub(crate) fn files(db: &dyn Db) -> impl Iterator<Item = SourceFile> + '_ {
    mlforge_stdlib::modules()
        .iter()
        .filter_map(|m| db.std_file(m.name))
}

/// `workspace` and then the library's modules, each once.
pub(crate) fn with_std(db: &dyn Db, workspace: &[SourceFile]) -> Vec<SourceFile> {
    let mut out = workspace.to_vec();
    for file in files(db) {
        if !out.contains(&file) {
            out.push(file);
        }
    }
    out
}

/// The leading `//` comment of a module, line by line, without the `//` (a `///` line
/// documents the first item, not the module, and ends it).
fn header(source: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    for line in source.lines() {
        let line = line.trim();
        if line.starts_with("///") {
            break;
        }
        let Some(text) = line.strip_prefix("//") else {
            if line.is_empty() && lines.is_empty() {
                continue;
            }
            break;
        };
        lines.push(text.strip_prefix('!').unwrap_or(text).trim());
    }
    lines
}

/// The module's one-line summary: the first line of its leading `//` comment (the same
/// as `mlforge std` shows).
pub(crate) fn summary(module: &Module) -> Option<String> {
    mlforge_analysis::std_docs::summary(module)
}

/// Markdown: the module's leading comment, then the ops and pipelines it defines.
pub(crate) fn module_doc(module: &Module) -> Option<String> {
    let mut out = header(module.source).join("\n").trim().to_string();
    let parsed = mlforge_syntax::parse(module.source);
    let names: Vec<String> = parsed
        .file
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Op(op) => Some(format!("`{}`", op.name.text)),
            Item::Pipeline(p) => Some(format!("`{}`", p.name.text)),
            _ => None,
        })
        .collect();
    if !names.is_empty() {
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(&format!(
            "`import \"std/{}\"` gives {}",
            module.name,
            names.join(", ")
        ));
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_the_leading_comment() {
        let source = "\n// Reading and writing files.\n// More words.\n\n/// Writes.\nop w() {}\n";
        assert_eq!(
            header(source),
            ["Reading and writing files.", "More words."]
        );
        assert!(header("/// The op's doc, not the module's.\nop f() {}\n").is_empty());
        assert!(header("op f() {}\n// late\n").is_empty());
    }

    #[test]
    fn every_shipped_module_has_a_summary() {
        for module in mlforge_stdlib::modules() {
            assert!(
                summary(module).is_some(),
                "std/{} starts with no `// summary` line",
                module.name
            );
        }
    }
}
