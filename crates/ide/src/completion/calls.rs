//! Callees after `step x =` and argument names inside a call.

use mlforge_analysis::items::{find_item, imports, namespace_target, parse, resolve_callee};
use mlforge_analysis::{Db, SourceFile};
use mlforge_syntax::ast::{self, Item, Stmt};
use mlforge_syntax::Span;

use crate::base::{slice, text};
use crate::context::{call_callee, Scan};
use crate::render::{item_signature, param_text};
use crate::scope::{item_at, pipeline_at};
use crate::CompletionKind;

use super::out::Out;

pub(super) fn callees(
    db: &dyn Db,
    file: SourceFile,
    offset: usize,
    namespace: Option<&str>,
    out: &mut Out,
) {
    let target = match namespace {
        None => file,
        Some(ns) => match namespace_target(db, file, ns) {
            Some(Some(target)) => target,
            _ => return,
        },
    };
    let current = match item_at(db, file, offset) {
        Some(Item::Pipeline(p)) if namespace.is_none() => Some(p.name.text.as_str()),
        _ => None,
    };
    let add_parens = out.next_char != Some('(');
    for item in &parse(db, target).file.items {
        let (kind, name) = match item {
            Item::Op(op) => (CompletionKind::Op, &op.name.text),
            Item::Pipeline(p) if Some(p.name.text.as_str()) != current => {
                (CompletionKind::Pipeline, &p.name.text)
            }
            _ => continue,
        };
        let sig = item_signature(db, target, name);
        let (detail, doc) = match &sig {
            Some(sig) => (
                Some(format!("{} {}", sig.keyword, sig.label)),
                sig.doc.clone(),
            ),
            None => (None, None),
        };
        out.add(name.clone(), kind, detail, doc, 0);
        if add_parens {
            let required = required_inputs(db, target, name);
            let args: Vec<String> = required
                .iter()
                .enumerate()
                .map(|(i, n)| format!("{n}: ${{{}:{n}}}", i + 1))
                .collect();
            out.insert(&format!("{name}({})$0", args.join(", ")));
        }
    }
    if namespace.is_none() {
        for import in imports(db, file) {
            out.add(
                import.namespace.clone(),
                CompletionKind::Namespace,
                Some(format!(
                    "import {}",
                    slice(text(db, file), import.path_span)
                )),
                None,
                1,
            );
        }
    }
}
pub(super) fn required_inputs(db: &dyn Db, file: SourceFile, name: &str) -> Vec<String> {
    let params = match find_item(db, file, name) {
        Some(Item::Op(op)) => &op.params,
        Some(Item::Pipeline(p)) => &p.params,
        _ => return Vec::new(),
    };
    params
        .iter()
        .filter(|p| p.default.is_none() && !matches!(p.ty, ast::TypeRef::Optional { .. }))
        .map(|p| p.name.text.to_string())
        .collect()
}
pub(super) fn arg_names(
    db: &dyn Db,
    file: SourceFile,
    offset: usize,
    scan: &Scan<'_>,
    frame: &crate::context::Frame,
    out: &mut Out,
) {
    let Some((namespace, name, _step)) = call_callee(scan, frame) else {
        return;
    };
    let Some(target) = resolve_written_callee(db, file, namespace, name) else {
        return;
    };
    let params = match find_item(db, target.file, &target.name) {
        Some(Item::Op(op)) => &op.params,
        Some(Item::Pipeline(p)) => &p.params,
        _ => return,
    };
    // Arguments already written: in the tree, and in the tokens before the offset.
    let mut given: Vec<String> = Vec::new();
    if let Some(at) = pipeline_at(db, file, offset) {
        if let Some(Stmt::Step(step)) = at.stmt {
            given.extend(step.args.iter().map(|a| a.name.text.to_string()));
        }
    }
    given.extend(scan.names_given().into_iter().map(str::to_string));
    let ttext = text(db, target.file);
    let typed = slice(scan.text, out.replace);
    for param in params {
        let pname = &param.name.text;
        let is_given = given.iter().any(|g| g == pname) && pname != typed;
        let required =
            param.default.is_none() && !matches!(param.ty, ast::TypeRef::Optional { .. });
        let priority = match (is_given, required) {
            (false, true) => 0,
            (false, false) => 1,
            (true, _) => 2,
        };
        let mut detail = param_text(ttext, param);
        if required {
            detail.push_str("  (required)");
        }
        if is_given {
            detail.push_str("  (already given)");
        }
        out.add(
            pname.clone(),
            CompletionKind::Argument,
            Some(detail),
            param.doc.clone(),
            priority,
        );
        out.insert(&format!("{pname}: $0"));
    }
}
pub(crate) fn resolve_written_callee(
    db: &dyn Db,
    file: SourceFile,
    namespace: Option<&str>,
    name: &str,
) -> Option<mlforge_analysis::items::CalleeRef> {
    let name_of = |text: &str| ast::Name {
        text: text.into(),
        span: Span::default(),
    };
    let callee = ast::Callee {
        namespace: namespace.map(name_of),
        name: name_of(name),
        span: Span::default(),
    };
    resolve_callee(db, file, &callee).ok()
}
