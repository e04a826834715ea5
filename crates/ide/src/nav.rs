//! Go to definition, references, highlights and rename, across files.

use std::collections::BTreeMap;

use mlforge_analysis::items::{find_item, find_pipeline, imports};
use mlforge_analysis::{Db, SourceFile};
use mlforge_syntax::ast::{Item, Stmt};
use mlforge_syntax::Span;

use crate::base::{clamp, is_identifier, is_keyword, slice, text, TK};
use crate::defs::{
    builtin_type, def_location, file_occurrences, occurrence_at, visit_steps, Def, Occ, Role,
};
use crate::{FileEdits, FileSpan, HighlightKind, TextEdit};

pub(crate) fn goto_definition(db: &dyn Db, file: SourceFile, offset: usize) -> Vec<FileSpan> {
    let offset = clamp(text(db, file), offset);
    let Some(occ) = occurrence_at(db, file, offset) else {
        return Vec::new();
    };
    def_location(db, &occ.def)
        .map(|(file, span)| FileSpan { file, span })
        .into_iter()
        .collect()
}

/// Every occurrence of `def` in `files` (and in its own file).
fn find_all(
    db: &dyn Db,
    def: &Def,
    from: SourceFile,
    workspace: &[SourceFile],
) -> Vec<(SourceFile, Occ)> {
    let mut files: Vec<SourceFile> = Vec::new();
    let home = def.home();
    if def.is_file_local() {
        files.extend(home.or(Some(from)));
    } else {
        files.push(from);
        files.extend(home);
        files.extend(workspace.iter().copied());
    }
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(*f));
    let needle = match def {
        Def::Path { .. } => None,
        other => Some(other.name()),
    };
    let mut found = Vec::new();
    for f in files {
        let Some(text) = f.text(db).as_deref() else {
            continue;
        };
        if needle.is_some_and(|n| !text.contains(n)) {
            continue;
        }
        found.extend(
            file_occurrences(db, f)
                .iter()
                .filter(|o| &o.def == def)
                .map(|o| (f, o.clone())),
        );
    }
    found
}

pub(crate) fn references(
    db: &dyn Db,
    file: SourceFile,
    offset: usize,
    include_declaration: bool,
    workspace: &[SourceFile],
) -> Vec<FileSpan> {
    let offset = clamp(text(db, file), offset);
    let Some(occ) = occurrence_at(db, file, offset) else {
        return Vec::new();
    };
    let mut out: Vec<FileSpan> = find_all(db, &occ.def, file, workspace)
        .into_iter()
        .filter(|(_, o)| include_declaration || o.role != Role::Decl)
        .map(|(file, o)| FileSpan { file, span: o.span })
        .collect();
    if include_declaration {
        // A namespace without `as` is declared by the import's path.
        if let Some((f, span)) = def_location(db, &occ.def) {
            if matches!(occ.def, Def::Namespace { .. }) {
                out.push(FileSpan { file: f, span });
            }
        }
    }
    sort_spans(db, &mut out);
    out
}

fn sort_spans(db: &dyn Db, spans: &mut Vec<FileSpan>) {
    spans.sort_by(|a, b| {
        (a.file.path(db), a.span.start, a.span.end).cmp(&(
            b.file.path(db),
            b.span.start,
            b.span.end,
        ))
    });
    spans.dedup();
}

pub(crate) fn document_highlights(
    db: &dyn Db,
    file: SourceFile,
    offset: usize,
) -> Vec<(Span, HighlightKind)> {
    let offset = clamp(text(db, file), offset);
    let Some(occ) = occurrence_at(db, file, offset) else {
        return Vec::new();
    };
    if matches!(occ.def, Def::Builtin(_) | Def::Path { .. }) {
        return Vec::new();
    }
    let mut out: Vec<(Span, HighlightKind)> = file_occurrences(db, file)
        .iter()
        .filter(|o| o.def == occ.def)
        .map(|o| {
            let kind = match o.role {
                Role::Decl | Role::Write => HighlightKind::Write,
                Role::Read => HighlightKind::Read,
            };
            (o.span, kind)
        })
        .collect();
    if let (Def::Namespace { .. }, Some((f, span))) = (&occ.def, def_location(db, &occ.def)) {
        if f == file && !out.iter().any(|(s, _)| *s == span) {
            out.push((span, HighlightKind::Write));
        }
    }
    out.sort_by_key(|(s, _)| (s.start, s.end));
    out
}

pub(crate) fn prepare_rename(db: &dyn Db, file: SourceFile, offset: usize) -> Result<Span, String> {
    let text = text(db, file);
    let offset = clamp(text, offset);
    if let Some(module) = crate::std_lib::module_of(db, file) {
        return Err(format!(
            "this is the op library's `std/{}`, which is read-only",
            module.name
        ));
    }
    if let Some(occ) = occurrence_at(db, file, offset) {
        if let Some(module) = occ
            .def
            .home()
            .and_then(|f| crate::std_lib::module_of(db, f))
        {
            return Err(format!(
                "`{}` is defined in the op library (`std/{}`), which is read-only",
                occ.def.name(),
                module.name
            ));
        }
        return match &occ.def {
            Def::Builtin(name) => Err(format!("`{name}` is a built-in type and cannot be renamed")),
            Def::Attribute { name, .. } => Err(format!(
                "`{name}` is an attribute name, fixed by the language, and cannot be renamed"
            )),
            Def::Path { .. } => {
                Err("this is a file path; rename the file itself, then edit the path".to_string())
            }
            _ => Ok(occ.span),
        };
    }
    let (toks, i) = crate::context::tokens_around(db, file, offset);
    let Some(tok) = i.map(|i| toks[i]) else {
        return Err("there is nothing to rename here".to_string());
    };
    let word = slice(text, tok.span);
    Err(match tok.kind {
        TK::Keyword if word == "true" || word == "false" => {
            "a literal cannot be renamed".to_string()
        }
        TK::Keyword => format!("`{word}` is a keyword and cannot be renamed"),
        TK::Number | TK::Str => "a literal cannot be renamed".to_string(),
        TK::Body => "there is nothing to rename here: this is code inside a body".to_string(),
        TK::Ident if word == "list" || builtin_type(word).is_some() => {
            format!("`{word}` is a built-in type and cannot be renamed")
        }
        TK::Ident => format!("`{word}` does not refer to anything known, so it cannot be renamed"),
        _ => "there is nothing to rename here".to_string(),
    })
}

pub(crate) fn rename(
    db: &dyn Db,
    file: SourceFile,
    offset: usize,
    new_name: &str,
    workspace: &[SourceFile],
) -> Result<Vec<FileEdits>, String> {
    prepare_rename(db, file, offset)?;
    let offset = clamp(text(db, file), offset);
    let occ = occurrence_at(db, file, offset).ok_or("there is nothing to rename here")?;
    let def = occ.def;
    if !is_identifier(new_name) {
        return Err(format!(
            "`{new_name}` is not a valid name: use letters, digits and `_`, not starting with a digit"
        ));
    }
    if is_keyword(new_name) {
        return Err(format!(
            "`{new_name}` is a keyword and cannot be used as a name"
        ));
    }
    if new_name == def.name() {
        return Ok(Vec::new());
    }
    check_collision(db, &def, new_name)?;
    let mut by_file: BTreeMap<String, (SourceFile, Vec<TextEdit>)> = BTreeMap::new();
    let mut add = |f: SourceFile, edit: TextEdit| {
        by_file
            .entry(f.path(db).display().to_string())
            .or_insert_with(|| (f, Vec::new()))
            .1
            .push(edit);
    };
    for (f, o) in find_all(db, &def, file, workspace) {
        add(
            f,
            TextEdit {
                span: o.span,
                new_text: new_name.to_string(),
            },
        );
    }
    if let Def::Namespace { file: home, name } = &def {
        let import = imports(db, *home).iter().find(|i| &i.namespace == name);
        if let Some(import) = import {
            if import.namespace_span == import.path_span {
                // `import "ops.mlf"` becomes `import "ops.mlf" as new_name`.
                add(
                    *home,
                    TextEdit {
                        span: Span::empty(import.path_span.end as usize),
                        new_text: format!(" as {new_name}"),
                    },
                );
            }
        }
    }
    // The op library is read-only: a rename never edits it (nor needs to: what it defines
    // was refused above, and nothing it holds names what a program defines).
    by_file.retain(|_, (f, _)| crate::std_lib::module_of(db, *f).is_none());
    Ok(by_file
        .into_values()
        .map(|(file, mut edits)| {
            edits.sort_by_key(|e| (e.span.start, e.span.end));
            edits.dedup();
            FileEdits { file, edits }
        })
        .collect())
}

fn check_collision(db: &dyn Db, def: &Def, new: &str) -> Result<(), String> {
    let taken = |what: String| Err(format!("cannot rename to `{new}`: {what}"));
    match def {
        Def::Item { file, kind, .. } => {
            if find_item(db, *file, new).is_some() {
                return taken(format!(
                    "`{}` already defines `{new}`",
                    file.path(db).display()
                ));
            }
            if matches!(
                kind,
                crate::defs::ItemKind::Artifact | crate::defs::ItemKind::Record
            ) && (builtin_type(new).is_some() || new == "list" || new == "dict")
            {
                return taken(format!("`{new}` is a built-in type"));
            }
        }
        Def::Namespace { file, .. } => {
            if imports(db, *file).iter().any(|i| i.namespace == new) {
                return taken(format!("another import is already named `{new}`"));
            }
        }
        Def::Param { file, owner, .. } | Def::Output { file, owner, .. } => {
            match find_item(db, *file, owner) {
                Some(Item::Op(op))
                    if op.params.iter().any(|p| p.name.text == new)
                        || op.outputs.iter().any(|o| o.name.text == new) =>
                {
                    return taken(format!(
                        "op `{owner}` already has an input or output named `{new}`"
                    ));
                }
                Some(Item::Pipeline(p)) => {
                    let is_param = matches!(def, Def::Param { .. });
                    if is_param && p.params.iter().any(|q| q.name.text == new) {
                        return taken(format!(
                            "pipeline `{owner}` already has a param named `{new}`"
                        ));
                    }
                    if is_param && loop_vars(p).iter().any(|v| v == new) {
                        return taken(format!(
                            "a loop variable of `{owner}` is already named `{new}`"
                        ));
                    }
                    let outputs_taken = p.outputs.iter().flatten().any(|o| o.name.text == new)
                        || p.body
                            .iter()
                            .any(|s| matches!(s, Stmt::Output(o) if o.name.text == new));
                    if !is_param && outputs_taken {
                        return taken(format!(
                            "pipeline `{owner}` already has an output named `{new}`"
                        ));
                    }
                }
                _ => {}
            }
        }
        Def::Step { file, pipeline, .. } => {
            if let Some(p) = find_pipeline(db, *file, pipeline) {
                let mut exists = false;
                visit_steps(&p.body, &mut |s| exists |= s.name.text == new);
                if exists {
                    return taken(format!(
                        "pipeline `{pipeline}` already has a step named `{new}`"
                    ));
                }
            }
        }
        Def::LoopVar { file, pipeline, .. } => {
            if let Some(p) = find_pipeline(db, *file, pipeline) {
                if p.params.iter().any(|q| q.name.text == new) {
                    return taken(format!("the pipeline has a param named `{new}`, which the loop variable would hide"));
                }
                if loop_vars(p).iter().any(|v| v == new) {
                    return taken(format!("another loop variable is already named `{new}`"));
                }
            }
        }
        Def::Path { .. } | Def::Builtin(_) | Def::Attribute { .. } => {}
    }
    Ok(())
}

fn loop_vars(p: &mlforge_syntax::ast::Pipeline) -> Vec<String> {
    fn walk(stmts: &[Stmt], out: &mut Vec<String>) {
        for s in stmts {
            match s {
                Stmt::For(f) => {
                    out.push(f.var.text.to_string());
                    walk(&f.body, out);
                }
                Stmt::If(i) => {
                    walk(&i.then_body, out);
                    walk(i.else_body.as_deref().unwrap_or_default(), out);
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(&p.body, &mut out);
    out
}
