//! All diagnostics of one file: syntax, imports, items, and the per-op and per-pipeline
//! checks, gathered in source order.

use std::collections::{HashMap, HashSet};

use mlforge_syntax::ast::{self, Item, TypeRef};
use mlforge_syntax::Span;

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Sink};
use crate::exprs::{is_constant, report_mismatch, NoNames};
use crate::items::{import_cycle, imports, parse, ImportProblem, ItemKey};
use crate::op_check::check_op;
use crate::pipeline::analyze_pipeline;
use crate::signature::{declared_kind, record_named, resolve_type, TypeProblem};
use crate::types::{assignable, Mismatch};
use crate::values::check_value;
use crate::{Db, SourceFile};

#[salsa::tracked(returns(ref))]
pub fn file_diagnostics(db: &dyn Db, file: SourceFile) -> Vec<Diagnostic> {
    let mut sink = Sink::new(file);
    if file.text(db).is_none() {
        let why = file
            .problem(db)
            .clone()
            .unwrap_or(crate::disk::LoadError::NotFound);
        sink.error(
            Code::ImportNotFound,
            Span::default(),
            format!("this file {}", why.describe()),
        );
        return sink.diagnostics;
    }
    let parsed = parse(db, file);
    for error in &parsed.errors {
        sink.error(
            Code::of_syntax_error(error.kind),
            error.span,
            error.message.clone(),
        );
    }
    check_imports(db, file, &mut sink);
    check_item_names(db, file, &mut sink);

    let mut defined = HashSet::new();
    for item in &parsed.file.items {
        let Some(name) = item.name() else { continue };
        if !defined.insert(name.text.as_str()) {
            continue;
        }
        let key = ItemKey::new(db, file, name.text.to_string());
        match item {
            Item::Op(op) => {
                let offset = op.span.start as i64;
                sink.diagnostics
                    .extend(check_op(db, key).iter().map(|d| d.clone().shifted(offset)));
            }
            Item::Pipeline(_) => sink
                .diagnostics
                .extend(analyze_pipeline(db, key).diagnostics.iter().cloned()),
            Item::Artifact(artifact) => {
                if let Err(TypeProblem::Invalid(message) | TypeProblem::Unknown(message)) =
                    declared_kind(db, file, &artifact.name.text)
                {
                    let span = artifact
                        .base
                        .as_ref()
                        .map_or(artifact.name.span, TypeRef::span);
                    sink.error(Code::UnresolvedType, span, message);
                }
            }
            Item::Record(record) => check_record(db, file, record, &mut sink),
            Item::Import(_) | Item::Error(_) => {}
        }
    }
    let mut diagnostics = sink.diagnostics;
    crate::pipeline::sort_diagnostics(&mut diagnostics);
    diagnostics
}

fn check_imports(db: &dyn Db, file: SourceFile, sink: &mut Sink) {
    let resolved = imports(db, file);
    let mut seen: HashMap<&str, Span> = HashMap::new();
    for (index, import) in resolved.iter().enumerate() {
        if let Some(first) = seen.insert(&import.namespace, import.namespace_span) {
            sink.twice(
                Code::Duplicate,
                import.namespace_span,
                format!("the namespace `{}` is already imported", import.namespace),
                first,
                "first imported here",
                "give one of them another name with `as NAME`",
            );
        }
        match &import.problem {
            Some(ImportProblem::Unreadable(why)) => {
                let d = sink
                    .at(
                        Code::ImportNotFound,
                        import.path_span,
                        format!("this file {}", why.describe()),
                    )
                    .with_help("import paths are relative to the importing file");
                sink.push(d);
            }
            Some(ImportProblem::UnknownStdModule(name)) => {
                let d = sink
                    .at(
                        Code::ImportNotFound,
                        import.path_span,
                        format!(
                            "the standard library has no module `std/{name}`; its modules are {}",
                            std_module_list()
                        ),
                    )
                    .with_help(std_help(name));
                sink.push(d);
            }
            Some(ImportProblem::BadNamespace) => {
                let d = sink
                    .at(
                        Code::SyntaxError,
                        import.path_span,
                        format!(
                            "the file name `{}` cannot be used as a namespace",
                            import.namespace
                        ),
                    )
                    .with_help("name the namespace with `as NAME`, using letters, digits and `_`");
                sink.push(d);
            }
            None => {}
        }
        if let Some(cycle) = import_cycle(db, file, index) {
            let names: Vec<String> = cycle
                .iter()
                .map(|f| {
                    f.path(db)
                        .file_name()
                        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
                })
                .collect();
            let d = sink
                .at(
                    Code::ImportCycle,
                    import.path_span,
                    format!("this import makes a cycle: {}", names.join(" → ")),
                )
                .with_help("move what both files need into a third file that both import");
            sink.push(d);
        }
    }
    warn_unused_imports(db, file, sink);
}

/// What to do about an unknown std module: the module meant, when one is close.
fn std_help(name: &str) -> String {
    let list =
        "`mlforge std` lists what each module holds; paths that begin with `std/` name only these";
    let wanted = format!("std/{name}");
    let modules: Vec<String> = mlforge_stdlib::modules()
        .iter()
        .map(|m| format!("std/{}", m.name))
        .collect();
    match crate::diagnostic::suggest(&wanted, modules.iter().map(String::as_str)) {
        Some(close) => format!("{close} {list}"),
        None => list.to_string(),
    }
}

/// `std/data`, `std/eval`, … and `std/xgboost`.
fn std_module_list() -> String {
    let names: Vec<String> = mlforge_stdlib::modules()
        .iter()
        .map(|m| format!("`std/{}`", m.name))
        .collect();
    match names.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => "none".to_string(),
    }
}

fn warn_unused_imports(db: &dyn Db, file: SourceFile, sink: &mut Sink) {
    let mut used: HashSet<&str> = HashSet::new();
    let note_type = |ty: &'_ TypeRef, used: &mut HashSet<String>| {
        let mut stack = vec![ty];
        while let Some(ty) = stack.pop() {
            match ty {
                TypeRef::Named {
                    namespace: Some(ns),
                    ..
                } => {
                    used.insert(ns.text.to_string());
                }
                TypeRef::List { elem, .. } | TypeRef::Dict { value: elem, .. } => stack.push(elem),
                TypeRef::Optional { inner, .. } => stack.push(inner),
                _ => {}
            }
        }
    };
    let mut used_owned: HashSet<String> = HashSet::new();
    for item in &parse(db, file).file.items {
        match item {
            Item::Op(op) => {
                for p in &op.params {
                    note_type(&p.ty, &mut used_owned);
                }
                for o in &op.outputs {
                    note_type(&o.ty, &mut used_owned);
                }
            }
            Item::Pipeline(p) => {
                for param in &p.params {
                    note_type(&param.ty, &mut used_owned);
                }
                for o in p.outputs.iter().flatten() {
                    note_type(&o.ty, &mut used_owned);
                }
                crate::pipeline::visit_steps(&p.body, &mut |step| {
                    if let Some(ns) = &step.callee.namespace {
                        used.insert(ns.text.as_str());
                    }
                });
            }
            Item::Artifact(a) => {
                if let Some(base) = &a.base {
                    note_type(base, &mut used_owned);
                }
            }
            Item::Record(r) => {
                for field in &r.fields {
                    note_type(&field.ty, &mut used_owned);
                }
            }
            Item::Import(_) | Item::Error(_) => {}
        }
    }
    for import in imports(db, file) {
        if import.problem.is_none()
            && !used.contains(import.namespace.as_str())
            && !used_owned.contains(&import.namespace)
        {
            let d = sink
                .at(
                    Code::UnusedImport,
                    import.span,
                    format!("the import `{}` is never used", import.namespace),
                )
                .with_help("remove it, or use its ops as `namespace.op`");
            sink.push(d);
        }
    }
}

/// Ops, pipelines and artifact kinds share one namespace per file.
fn check_item_names(db: &dyn Db, file: SourceFile, sink: &mut Sink) {
    let mut seen: HashMap<&str, (&'static str, Span)> = HashMap::new();
    for item in &parse(db, file).file.items {
        let (Some(name), kind) = (item.name(), item_kind(item)) else {
            continue;
        };
        if let Some((first_kind, first_span)) = seen.get(name.text.as_str()) {
            sink.twice(
                Code::Duplicate,
                name.span,
                format!(
                    "`{}` is already defined in this file, as {first_kind}",
                    name.text
                ),
                *first_span,
                "first defined here",
                "rename one of them",
            );
        } else {
            seen.insert(&name.text, (kind, name.span));
        }
    }
}

fn item_kind(item: &Item) -> &'static str {
    match item {
        Item::Op(_) => "an op",
        Item::Pipeline(_) => "a pipeline",
        Item::Artifact(_) => "an artifact kind",
        Item::Record(_) => "a record",
        Item::Import(_) | Item::Error(_) => "an import",
    }
}

/// A record declaration: its fields' types (values, not artifacts), defaults, duplicate
/// fields, and a record that contains itself.
fn check_record(db: &dyn Db, file: SourceFile, record: &ast::Record, sink: &mut Sink) {
    let key = ItemKey::new(db, file, record.name.text.to_string());
    if let Err(TypeProblem::Invalid(message) | TypeProblem::Unknown(message)) =
        record_named(db, key)
    {
        sink.error(Code::UnresolvedType, record.name.span, message.clone());
        return;
    }
    let mut seen: HashMap<&str, Span> = HashMap::new();
    for field in &record.fields {
        if let Some(first) = seen.get(field.name.text.as_str()) {
            sink.twice(
                Code::Duplicate,
                field.name.span,
                format!(
                    "the record `{}` declares the field `{}` twice",
                    record.name.text, field.name.text
                ),
                *first,
                "first declared here",
                "remove one of them",
            );
            continue;
        }
        seen.insert(&field.name.text, field.name.span);
        let ty = resolve_type(db, file, &field.ty, Some(sink));
        if ty.is_artifact() {
            let d = sink
                .at(
                    Code::TypeMismatch,
                    field.ty.span(),
                    format!("a record holds values, but `{ty}` is an artifact"),
                )
                .with_help("pass artifacts as inputs of their own; a record may hold their names or paths as strings");
            sink.push(d);
            continue;
        }
        let Some(default) = &field.default else {
            continue;
        };
        if !is_constant(default) {
            sink.error(
                Code::InvalidDefault,
                default.span,
                "a field's default must be a constant, like 0.5 or [1, 2]",
            );
            continue;
        }
        let found = check_value(default, &ty, &mut NoNames, sink);
        if let Err(mismatch) = assignable(&found, &ty) {
            let what = format!("the default of the field `{}`", field.name.text);
            let mut d = report_mismatch(sink, default, mismatch, &found, &ty, &what).with_related(
                file,
                field.ty.span(),
                "the type is declared here",
            );
            if mismatch == Mismatch::Different {
                d.code = Code::FieldType;
            }
            sink.push(d);
        }
    }
}
