//! Code actions: quick fixes for diagnostics.

use mlforge_analysis::graph::{BlockKind, EdgeKind, StepGraph};
use mlforge_analysis::items::{find_item, imports, namespace_target, resolve_callee, ItemKey};
use mlforge_analysis::signature::{callee_signature, pipeline_signature};
use mlforge_analysis::types::{assignable, KindId, Ty};
use mlforge_analysis::{file_diagnostics, Code, Db, Diagnostic, SourceFile};
use mlforge_syntax::ast::{self, Expr, ExprKind, Item, Stmt};
use mlforge_syntax::Span;

use crate::base::{indent_of, is_identifier, lex_range, line_start, slice, text, tree, TK};
use crate::defs::visit_steps;
use crate::imports::{import_insert_point, import_line, plan_import, relative_path, stem};
use crate::scope::{pipeline_at, seen_from, PipelineAt};
use crate::{CodeAction, FileEdits, TextEdit};

pub(crate) fn code_actions(
    db: &dyn Db,
    file: SourceFile,
    range: Span,
    workspace: &[SourceFile],
) -> Vec<CodeAction> {
    let mut out = Vec::new();
    for d in file_diagnostics(db, file) {
        if d.span.end < range.start || d.span.start > range.end {
            continue;
        }
        match d.code {
            Code::UnresolvedCallee => unresolved_callee(db, file, d, workspace, &mut out),
            Code::MissingArgument => missing_arguments(db, file, d, &mut out),
            Code::UnknownArgument => unknown_argument(db, file, d, &mut out),
            Code::OptionalMisuse => optional_misuse(db, file, d, &mut out),
            _ => {}
        }
        did_you_mean(db, file, d, &mut out);
    }
    out
}

fn edit(file: SourceFile, span: Span, new_text: impl Into<String>) -> FileEdits {
    FileEdits {
        file,
        edits: vec![TextEdit {
            span,
            new_text: new_text.into(),
        }],
    }
}

fn quickfix(title: String, edits: Vec<FileEdits>, code: Code) -> CodeAction {
    CodeAction {
        title,
        kind: "quickfix",
        edits,
        fixes: Some(code),
    }
}

/// "did you mean `x`?" in a diagnostic's help, when its span is the misspelt word.
fn did_you_mean(db: &dyn Db, file: SourceFile, d: &Diagnostic, out: &mut Vec<CodeAction>) {
    let Some(help) = &d.help else { return };
    let Some(rest) = help.strip_prefix("did you mean `") else {
        return;
    };
    let Some(suggestion) = rest.strip_suffix("`?") else {
        return;
    };
    if !is_identifier(slice(text(db, file), d.span)) {
        return;
    }
    out.push(quickfix(
        format!("Change to `{suggestion}`"),
        vec![edit(file, d.span, suggestion)],
        d.code,
    ));
}

/// The step whose statement holds `offset`, with the pipeline around it.
fn step_at(db: &dyn Db, file: SourceFile, offset: usize) -> Option<(PipelineAt<'_>, &ast::Step)> {
    let at = pipeline_at(db, file, offset)?;
    let Some(Stmt::Step(step)) = at.stmt else {
        return None;
    };
    Some((at, step))
}

fn graph_index(graph: &StepGraph, step: &ast::Step) -> Option<usize> {
    graph.steps.iter().position(|s| s.span == step.span)
}

/// A type as it is written in `file`: declared kinds of other files through their
/// namespace, unknown types as `File`.
fn type_text(db: &dyn Db, file: SourceFile, ty: &Ty) -> String {
    match ty {
        Ty::Int => "int".into(),
        Ty::Float => "float".into(),
        Ty::Bool => "bool".into(),
        Ty::Str | Ty::Duration => "string".into(),
        Ty::List(elem) => format!("list<{}>", type_text(db, file, elem)),
        Ty::Optional(inner) => format!("{}?", type_text(db, file, inner)),
        Ty::Unknown => "File".into(),
        Ty::Dict(value) => format!("dict<{}>", type_text(db, file, value)),
        Ty::Record(record) if record.file == file => record.name.clone(),
        Ty::Record(record) => imports(db, file)
            .iter()
            .find(|i| i.target == Some(record.file))
            .map_or_else(
                || record.name.clone(),
                |i| format!("{}.{}", i.namespace, record.name),
            ),
        Ty::Literal(_) | Ty::Pair(..) => ty.to_string(),
        Ty::Artifact(kind) => {
            for id in kind.chain.iter() {
                match id {
                    KindId::Builtin(name) => return name.to_string(),
                    KindId::Declared { file: home, name } if *home == file => return name.clone(),
                    KindId::Declared { file: home, name } => {
                        if let Some(import) =
                            imports(db, file).iter().find(|i| i.target == Some(*home))
                        {
                            return format!("{}.{name}", import.namespace);
                        }
                    }
                }
            }
            "File".into()
        }
    }
}

fn unresolved_callee(
    db: &dyn Db,
    file: SourceFile,
    d: &Diagnostic,
    workspace: &[SourceFile],
    out: &mut Vec<CodeAction>,
) {
    let Some((at, step)) = step_at(db, file, d.span.start as usize) else {
        return;
    };
    let callee = &step.callee;
    let name = callee.name.text.as_str();
    if let Some(ns) = &callee.namespace {
        if ns.span == d.span {
            // An unknown namespace: import a known file, or the std module, of that stem.
            for other in crate::std_lib::with_std(db, workspace) {
                if other == file || stem(db, other).as_deref() != Some(ns.text.as_str()) {
                    continue;
                }
                let rel = match crate::std_lib::module_of(db, other) {
                    Some(module) => format!("std/{}", module.name),
                    None => relative_path(file.path(db), other.path(db)),
                };
                out.push(quickfix(
                    format!("Add `import \"{rel}\"`"),
                    vec![edit(
                        file,
                        import_insert_point(db, file),
                        import_line(db, file, &rel, None),
                    )],
                    d.code,
                ));
            }
            return;
        }
        if callee.name.span != d.span {
            return;
        }
        if let Some(Some(target)) = namespace_target(db, file, &ns.text) {
            if crate::std_lib::module_of(db, target).is_some() {
                // The op library is read-only: no stub there; a close name of it instead.
                for similar in similar_names(db, target, name) {
                    out.push(quickfix(
                        format!("Change to `{}.{similar}`", ns.text),
                        vec![edit(file, callee.name.span, similar)],
                        d.code,
                    ));
                }
            } else if find_item(db, target, name).is_none() {
                let stub = stub_op(db, &at, step, target);
                let end = text(db, target).len();
                out.push(quickfix(
                    format!("Create op `{name}` in `{}`", file_name(db, target)),
                    vec![edit(target, Span::empty(end), stub)],
                    d.code,
                ));
            }
        }
        return;
    }
    if callee.name.span != d.span {
        return;
    }
    if !d
        .help
        .as_deref()
        .is_some_and(|h| h.starts_with("did you mean"))
    {
        for similar in similar_names(db, file, name) {
            out.push(quickfix(
                format!("Change to `{similar}`"),
                vec![edit(file, callee.name.span, similar)],
                d.code,
            ));
        }
    }
    if find_item(db, file, name).is_none() {
        let stub = stub_op(db, &at, step, file);
        let end = text(db, file).len();
        out.push(quickfix(
            format!("Create op `{name}`"),
            vec![edit(file, Span::empty(end), stub)],
            d.code,
        ));
    }
    // Defined in another known file or in the op library: import it (or use the
    // existing import).
    for other in crate::std_lib::with_std(db, workspace) {
        if other == file
            || !matches!(
                find_item(db, other, name),
                Some(Item::Op(_) | Item::Pipeline(_))
            )
        {
            continue;
        }
        if let Some(import) = imports(db, file).iter().find(|i| i.target == Some(other)) {
            out.push(quickfix(
                format!("Use `{}.{name}`", import.namespace),
                vec![edit(
                    file,
                    callee.name.span,
                    format!("{}.{name}", import.namespace),
                )],
                d.code,
            ));
            continue;
        }
        let Some(plan) = plan_import(db, file, other) else {
            continue;
        };
        let rel = plan.path.clone();
        let mut edits = vec![
            plan.edit,
            TextEdit {
                span: callee.name.span,
                new_text: format!("{}.{name}", plan.namespace),
            },
        ];
        edits.sort_by_key(|e| e.span.start);
        out.push(quickfix(
            format!("Import `{name}` from `{rel}`"),
            vec![FileEdits { file, edits }],
            d.code,
        ));
    }
}

/// Ops and pipelines of `file` whose names are a typo away from `name` (a swap of two
/// neighbouring letters counts as one edit).
fn similar_names(db: &dyn Db, file: SourceFile, name: &str) -> Vec<String> {
    let limit = (name.chars().count() / 3).max(1) + 1;
    let mut found: Vec<(usize, String)> = tree(db, file)
        .file
        .items
        .iter()
        .filter(|i| matches!(i, Item::Op(_) | Item::Pipeline(_)))
        .filter_map(|i| i.name())
        .map(|n| (osa_distance(name, &n.text), n.text.to_string()))
        .filter(|(d, n)| *d <= limit && n != name)
        .collect();
    found.sort();
    found.dedup();
    found.into_iter().take(3).map(|(_, n)| n).collect()
}

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps of
/// neighbouring characters.
fn osa_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

fn file_name(db: &dyn Db, file: SourceFile) -> String {
    file.path(db)
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

/// A new op for a step whose callee does not exist: inputs from the step's arguments and
/// their types, outputs from the uses of `step.output` in the pipeline.
fn stub_op(db: &dyn Db, at: &PipelineAt<'_>, step: &ast::Step, target: SourceFile) -> String {
    let file = at.file;
    let graph = &at.analysis.graph;
    let index = graph_index(graph, step);
    let mut inputs = Vec::new();
    for arg in &step.args {
        let ty = index
            .and_then(|i| {
                graph.steps[i]
                    .arg_types
                    .iter()
                    .find(|(n, _)| *n == arg.name.text)
            })
            .map_or(Ty::Unknown, |(_, t)| t.clone());
        if !inputs
            .iter()
            .any(|(n, _): &(String, String)| *n == arg.name.text)
        {
            inputs.push((arg.name.text.to_string(), type_text(db, target, &ty)));
        }
    }
    // Outputs: every `step.field` the pipeline reads, typed by the input it feeds.
    let mut outputs: Vec<(String, String)> = Vec::new();
    let in_block = index.and_then(|i| graph.steps[i].block).is_some();
    visit_steps(&at.pipeline.body, &mut |user: &ast::Step| {
        let user_sig = resolve_callee(db, file, &user.callee)
            .ok()
            .and_then(|c| callee_signature(db, &c));
        for arg in &user.args {
            let mut fields = Vec::new();
            fields_of(&arg.value, &step.name.text, &mut fields);
            for field in fields {
                if outputs.iter().any(|(n, _)| *n == field) {
                    continue;
                }
                let ty = user_sig
                    .and_then(|s| s.input(&arg.name.text))
                    .map(|i| match &i.ty {
                        Ty::Optional(inner) => (**inner).clone(),
                        Ty::List(elem) if in_block => (**elem).clone(),
                        other => other.clone(),
                    })
                    .unwrap_or(Ty::Unknown);
                outputs.push((field, type_text(db, target, &ty)));
            }
        }
    });
    let mut others = Vec::new();
    collect_other_fields(&at.pipeline.body, &step.name.text, &mut others);
    for field in others {
        if !outputs.iter().any(|(n, _)| *n == field) {
            outputs.push((field, "File".to_string()));
        }
    }
    let list = |items: &[(String, String)]| {
        items
            .iter()
            .map(|(n, t)| format!("{n}: {t}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mentions: Vec<String> = inputs
        .iter()
        .chain(&outputs)
        .map(|(n, _)| format!("${{{n}}}"))
        .collect();
    let todo = if mentions.is_empty() {
        "# TODO".to_string()
    } else {
        format!("# TODO: use {}", mentions.join(", "))
    };
    let ttext = text(db, target);
    let lead = if ttext.is_empty() || ttext.ends_with("\n\n") {
        ""
    } else if ttext.ends_with('\n') {
        "\n"
    } else {
        "\n\n"
    };
    let arrow = if outputs.is_empty() {
        String::new()
    } else {
        format!(" -> ({})", list(&outputs))
    };
    format!(
        "{lead}op {}({}){arrow} {{\n  python \"\"\"\n    {todo}\n  \"\"\"\n}}\n",
        step.callee.name.text,
        list(&inputs),
    )
}

fn fields_of(expr: &Expr, base: &str, out: &mut Vec<String>) {
    match &expr.kind {
        ExprKind::Field { base: b, field } if b.text == base => out.push(field.text.to_string()),
        ExprKind::List(items) => items.iter().for_each(|e| fields_of(e, base, out)),
        ExprKind::Unary { operand, .. } => fields_of(operand, base, out),
        ExprKind::Binary { lhs, rhs, .. } => {
            fields_of(lhs, base, out);
            fields_of(rhs, base, out);
        }
        _ => {}
    }
}

/// `step.field` in conditions, loop lists and outputs.
fn collect_other_fields(stmts: &[Stmt], base: &str, out: &mut Vec<String>) {
    for stmt in stmts {
        match stmt {
            Stmt::For(f) => {
                fields_of(&f.iter, base, out);
                collect_other_fields(&f.body, base, out);
            }
            Stmt::If(i) => {
                fields_of(&i.cond, base, out);
                collect_other_fields(&i.then_body, base, out);
                collect_other_fields(i.else_body.as_deref().unwrap_or_default(), base, out);
            }
            Stmt::Output(o) => fields_of(&o.value, base, out),
            Stmt::Step(_) | Stmt::Error(_) => {}
        }
    }
}

fn missing_arguments(db: &dyn Db, file: SourceFile, d: &Diagnostic, out: &mut Vec<CodeAction>) {
    let Some((at, step)) = step_at(db, file, d.span.start as usize) else {
        return;
    };
    if step.args_span != d.span {
        return;
    }
    let Ok(callee) = resolve_callee(db, file, &step.callee) else {
        return;
    };
    let Some(signature) = callee_signature(db, &callee) else {
        return;
    };
    let missing: Vec<_> = signature
        .inputs
        .iter()
        .filter(|i| i.is_required() && !step.args.iter().any(|a| a.name.text == i.name))
        .collect();
    if missing.is_empty() {
        return;
    }
    let index = graph_index(&at.analysis.graph, step);
    let args: Vec<String> = missing
        .iter()
        .map(|i| {
            format!(
                "{}: {}",
                i.name,
                placeholder(db, &at, index, &i.ty, &i.name)
            )
        })
        .collect();
    let (span, new_text) = match step.args.last() {
        Some(last) => (
            Span::empty(last.span.end as usize),
            format!(", {}", args.join(", ")),
        ),
        None => (
            Span::empty(step.args_span.start as usize + 1),
            args.join(", "),
        ),
    };
    let names: Vec<String> = missing.iter().map(|i| format!("`{}`", i.name)).collect();
    let title = if names.len() == 1 {
        format!("Add missing argument {}", names[0])
    } else {
        format!("Add missing arguments {}", names.join(", "))
    };
    out.push(quickfix(title, vec![edit(file, span, new_text)], d.code));
}

/// A value of type `ty` for a new argument: a literal for scalars, else a param, loop
/// variable or earlier step output of a fitting type, else the input's name.
fn placeholder(
    db: &dyn Db,
    at: &PipelineAt<'_>,
    index: Option<usize>,
    ty: &Ty,
    name: &str,
) -> String {
    match ty {
        Ty::Int => return "0".into(),
        Ty::Float => return "0.0".into(),
        Ty::Bool => return "false".into(),
        Ty::Str => return "\"\"".into(),
        Ty::List(elem) if elem.is_scalar() => return "[]".into(),
        _ => {}
    }
    for (var, var_ty) in at.loop_vars.iter().rev() {
        if assignable(var_ty, ty).is_ok() && *var_ty != Ty::Unknown {
            return var.text.to_string();
        }
    }
    let key = ItemKey::new(db, at.file, at.pipeline.name.text.to_string());
    if let Some(sig) = pipeline_signature(db, key) {
        if let Some(p) = sig
            .inputs
            .iter()
            .find(|p| p.ty != Ty::Unknown && assignable(&p.ty, ty).is_ok())
        {
            return p.name.clone();
        }
    }
    let graph = &at.analysis.graph;
    let here: Vec<usize> = index
        .map(|i| graph.block_path(graph.steps[i].block))
        .unwrap_or_default();
    let limit = index.unwrap_or(graph.steps.len());
    for j in (0..limit).rev() {
        let Some(sig) = graph.steps[j]
            .callee
            .as_ref()
            .and_then(|c| callee_signature(db, c))
        else {
            continue;
        };
        for output in &sig.outputs {
            let seen = seen_from(graph, j, &here, output.ty.clone());
            if seen != Ty::Unknown && assignable(&seen, ty).is_ok() {
                return format!("{}.{}", graph.steps[j].name, output.name);
            }
        }
    }
    name.to_string()
}

fn unknown_argument(db: &dyn Db, file: SourceFile, d: &Diagnostic, out: &mut Vec<CodeAction>) {
    let Some((_, step)) = step_at(db, file, d.span.start as usize) else {
        return;
    };
    let Some(k) = step.args.iter().position(|a| a.name.span == d.span) else {
        return;
    };
    let arg = &step.args[k];
    let text = text(db, file);
    let toks = lex_range(text, arg.span.end as usize, step.span.end as usize);
    let comma_after = toks.first().filter(|t| t.kind == TK::Comma);
    let line = line_start(text, arg.span.start as usize);
    let after = comma_after.map_or(arg.span.end, |c| c.span.end) as usize;
    let line_end = text[after..].find('\n').map(|i| after + i + 1);
    let alone = text[line..arg.span.start as usize].trim().is_empty()
        && line_end.is_some_and(|e| text[after..e].trim().is_empty());
    let span = if let (true, Some(line_end)) = (alone, line_end) {
        // The argument has its own line: remove the line.
        Span::new(line, line_end)
    } else if let Some(following) = step.args.get(k + 1) {
        Span::new(arg.span.start as usize, following.span.start as usize)
    } else if k > 0 {
        let end = comma_after.map_or(arg.span.end, |c| c.span.end);
        Span::new(step.args[k - 1].span.end as usize, end as usize)
    } else {
        let end = comma_after.map_or(arg.span.end, |c| c.span.end);
        Span::new(arg.span.start as usize, end as usize)
    };
    out.push(quickfix(
        format!("Remove the argument `{}`", arg.name.text),
        vec![edit(file, span, "")],
        d.code,
    ));
}

/// `T?` used where `T` is required: move the step into the `if` block of the step that
/// produces the value, where the value is certain to exist.
fn optional_misuse(db: &dyn Db, file: SourceFile, d: &Diagnostic, out: &mut Vec<CodeAction>) {
    let Some((at, step)) = step_at(db, file, d.span.start as usize) else {
        return;
    };
    let graph = &at.analysis.graph;
    let Some(index) = graph_index(graph, step) else {
        return;
    };
    let producer = graph.edges.iter().find_map(|e| match &e.kind {
        EdgeKind::Data {
            ty: Ty::Optional(_),
            ..
        } if e.to == index && d.span.start <= e.span.start && e.span.end <= d.span.end => {
            Some(e.from)
        }
        _ => None,
    });
    let Some(producer) = producer else { return };
    let consumer_path = graph.block_path(graph.steps[index].block);
    let producer_path = graph.block_path(graph.steps[producer].block);
    let common = consumer_path
        .iter()
        .zip(&producer_path)
        .take_while(|(a, b)| a == b)
        .count();
    let Some(&block) = producer_path[common..]
        .iter()
        .rev()
        .find(|&&b| matches!(graph.blocks[b].kind, BlockKind::Then | BlockKind::Else))
    else {
        return;
    };
    let b = &graph.blocks[block];
    if b.span.contains(step.span.start as usize) {
        return;
    }
    let Some(if_stmt) = find_if(&at.pipeline.body, b.span) else {
        return;
    };
    let text = text(db, file);
    let close = match b.kind {
        BlockKind::Then => then_close(db, file, if_stmt),
        _ => {
            let is_else_if = matches!(if_stmt.else_body.as_deref(), Some([Stmt::If(inner)]) if inner.span.end == if_stmt.span.end);
            if is_else_if {
                None
            } else {
                Some(if_stmt.span.end as usize - 1)
            }
        }
    };
    let Some(close) = close else { return };
    // The step's lines, re-indented for the block.
    let step_line = line_start(text, step.span.start as usize);
    let own_indent = indent_of(text, step.span.start as usize);
    let whole_lines = text[step_line..step.span.start as usize].trim().is_empty();
    let line_end = text[step.span.end as usize..]
        .find('\n')
        .map_or(text.len(), |i| step.span.end as usize + i + 1);
    let rest_blank = text[step.span.end as usize..line_end].trim().is_empty();
    let delete = if whole_lines && rest_blank {
        Span::new(step_line, line_end)
    } else {
        step.span
    };
    let close_line = line_start(text, close);
    let close_indent = indent_of(text, close);
    let inner_indent = format!("{close_indent}  ");
    let moved: Vec<String> = slice(text, step.span)
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let line = if i == 0 {
                line
            } else {
                line.strip_prefix(own_indent).unwrap_or(line)
            };
            format!("{inner_indent}{line}")
        })
        .collect();
    let moved = moved.join("\n");
    let insert = if text[close_line..close].trim().is_empty() {
        TextEdit {
            span: Span::empty(close_line),
            new_text: format!("{moved}\n"),
        }
    } else {
        TextEdit {
            span: Span::empty(close),
            new_text: format!("\n{moved}\n{close_indent}"),
        }
    };
    let mut edits = vec![
        insert,
        TextEdit {
            span: delete,
            new_text: String::new(),
        },
    ];
    if edits[0].span.start <= delete.end && delete.start <= edits[0].span.end {
        return;
    }
    edits.sort_by_key(|e| e.span.start);
    let label = match b.kind {
        BlockKind::Then => format!("if {}", b.label),
        _ => format!("else of `if {}`", slice(text, if_stmt.cond.span)),
    };
    out.push(quickfix(
        format!("Move step `{}` into `{label}`", step.name.text),
        vec![FileEdits { file, edits }],
        d.code,
    ));
}

fn find_if(stmts: &[Stmt], span: Span) -> Option<&ast::If> {
    for stmt in stmts {
        match stmt {
            Stmt::If(i) if i.span == span => return Some(i),
            Stmt::If(i) => {
                if let Some(found) = find_if(&i.then_body, span)
                    .or_else(|| find_if(i.else_body.as_deref().unwrap_or_default(), span))
                {
                    return Some(found);
                }
            }
            Stmt::For(f) => {
                if let Some(found) = find_if(&f.body, span) {
                    return Some(found);
                }
            }
            _ => {}
        }
    }
    None
}

/// The offset of the `}` closing an `if`'s then-block.
fn then_close(db: &dyn Db, file: SourceFile, block: &ast::If) -> Option<usize> {
    let toks = lex_range(
        text(db, file),
        block.cond.span.end as usize,
        block.span.end as usize,
    );
    let mut i = 0;
    while i < toks.len() && toks[i].kind != TK::LBrace {
        i += 1;
    }
    let mut depth = 0usize;
    while i < toks.len() {
        match toks[i].kind {
            TK::LBrace => depth += 1,
            TK::RBrace => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(toks[i].span.start as usize);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}
