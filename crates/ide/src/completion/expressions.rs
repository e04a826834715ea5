//! Expressions: params, loop variables, steps and their outputs, fields after `.`.

use mlforge_analysis::items::{find_item, ItemKey};
use mlforge_analysis::signature::{callee_signature, pipeline_signature};
use mlforge_analysis::types::Ty;
use mlforge_analysis::{Db, SourceFile};
use mlforge_syntax::ast::{self, Item, Stmt};

use crate::base::{slice, text, TK};
use crate::context::Scan;
use crate::defs::visit_steps;
use crate::render::param_text;
use crate::scope::{pipeline_at, PipelineAt};
use crate::CompletionKind;

use super::calls::resolve_written_callee;
use super::out::Out;

pub(super) fn expressions(
    db: &dyn Db,
    file: SourceFile,
    offset: usize,
    scan: &Scan<'_>,
    out: &mut Out,
) {
    if let Some(at) = pipeline_at(db, file, offset) {
        let text = text(db, file);
        for (var, ty) in at.loop_vars.iter().rev() {
            out.add(
                var.text.to_string(),
                CompletionKind::LoopVar,
                Some(format!("{ty}  (loop variable)")),
                None,
                0,
            );
        }
        for param in &at.pipeline.params {
            if at.loop_vars.iter().any(|(v, _)| v.text == param.name.text) {
                continue;
            }
            out.add(
                param.name.text.to_string(),
                CompletionKind::Param,
                Some(param_text(text, param)),
                param.doc.clone(),
                1,
            );
        }
        step_names(db, &at, scan, out);
    } else {
        scanned_step_names(scan, out);
    }
    for kw in ["true", "false", "not"] {
        out.keyword(kw, 3);
    }
}
/// The steps of the pipeline, but the one the offset is in.
pub(super) fn step_names(db: &dyn Db, at: &PipelineAt<'_>, scan: &Scan<'_>, out: &mut Out) {
    let text = text(db, at.file);
    let current = match at.stmt {
        Some(Stmt::Step(s)) => Some(s.name.text.as_str()),
        _ => scan.current_step(),
    };
    let mut seen = std::collections::HashSet::new();
    visit_steps(&at.pipeline.body, &mut |step: &ast::Step| {
        if Some(step.name.text.as_str()) == current || !seen.insert(step.name.text.as_str()) {
            return;
        }
        let detail = format!("step = {}(…)", slice(text, step.callee.span));
        out.add(
            step.name.text.to_string(),
            CompletionKind::Step,
            Some(detail),
            step.doc.clone(),
            2,
        );
    });
}
pub(super) fn scanned_step_names(scan: &Scan<'_>, out: &mut Out) {
    let current = scan.current_step();
    let mut names = scan.scanned_steps();
    names.retain(|n| Some(*n) != current);
    names.sort_unstable();
    names.dedup();
    for name in names {
        out.add(
            name,
            CompletionKind::Step,
            Some("step".to_string()),
            None,
            2,
        );
    }
}
pub(super) fn fields(
    db: &dyn Db,
    file: SourceFile,
    offset: usize,
    scan: &Scan<'_>,
    base: &str,
    out: &mut Out,
) {
    if let Some(at) = pipeline_at(db, file, offset) {
        if let Some(Ty::Record(record)) = value_type(db, &at, scan, base) {
            for field in &record.fields {
                out.add(
                    field.name.clone(),
                    CompletionKind::Field,
                    Some(field.ty.to_string()),
                    None,
                    0,
                );
            }
            return;
        }
        if let Some(i) = at.step(base) {
            let Some(callee) = &at.analysis.graph.steps[i].callee else {
                return;
            };
            let Some(signature) = callee_signature(db, callee) else {
                return;
            };
            for output in &signature.outputs {
                let ty = at.seen_from_here(i, output.ty.clone());
                let doc = output_doc(db, callee.file, &callee.name, &output.name);
                out.add(
                    output.name.clone(),
                    CompletionKind::Output,
                    Some(ty.to_string()),
                    doc,
                    0,
                );
            }
            return;
        }
    }
    // The pipeline is too broken to analyse: find the step in the tokens read.
    let Some((namespace, name)) = scan.scanned_callee(base) else {
        return;
    };
    let Some(callee) = resolve_written_callee(db, file, namespace, name) else {
        return;
    };
    if let Some(signature) = callee_signature(db, &callee) {
        for output in &signature.outputs {
            let doc = output_doc(db, callee.file, &callee.name, &output.name);
            out.add(
                output.name.clone(),
                CompletionKind::Output,
                Some(output.ty.to_string()),
                doc,
                0,
            );
        }
    }
}
/// The type of the value `base` names before a `.`: a loop variable, a param, or a step's
/// output when the text reads `step.base.` (none for a step itself).
fn value_type(db: &dyn Db, at: &PipelineAt<'_>, scan: &Scan<'_>, base: &str) -> Option<Ty> {
    if scan.last_is(2, TK::Dot, None) {
        let step = at.step(scan.last(3)?.1)?;
        let callee = at.analysis.graph.steps[step].callee.as_ref()?;
        let output = callee_signature(db, callee)?.output(base)?;
        return Some(at.seen_from_here(step, output.ty.clone()));
    }
    if let Some((_, ty)) = at.loop_vars.iter().rev().find(|(v, _)| v.text == base) {
        return Some(ty.clone());
    }
    let key = ItemKey::new(db, at.file, at.pipeline.name.text.to_string());
    let signature = pipeline_signature(db, key).as_ref()?;
    Some(signature.input(base)?.ty.clone())
}

pub(crate) fn output_doc(db: &dyn Db, file: SourceFile, owner: &str, name: &str) -> Option<String> {
    match find_item(db, file, owner)? {
        Item::Op(op) => op.outputs.iter().find(|o| o.name.text == name)?.doc.clone(),
        Item::Pipeline(p) => p
            .outputs
            .as_ref()?
            .iter()
            .find(|o| o.name.text == name)?
            .doc
            .clone(),
        _ => None,
    }
}
