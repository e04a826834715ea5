//! The parts of a pipeline other than its steps: ops, params, outputs, edges, blocks.

use std::collections::{HashMap, HashSet};

use mlforge_ir::{Op, Program};
use similar::TextDiff;

use crate::expr::{block_kind, block_text, expr_text, reads, value_text, Renames};
use crate::matching::Matching;
use crate::model::{
    AttributeChange, BlockDiff, EdgeDiff, EdgeKind, EdgeRef, OpChange, OpDiff, OutputDiff,
    ParamDiff, Status,
};

/// Ops of both versions, paired: the same id, then the ops of paired steps, then the same
/// content under another name.
pub(crate) fn op_pairs<'p>(
    old: &'p Program,
    new: &'p Program,
    m: &Matching,
) -> (Vec<(&'p str, &'p str)>, Vec<&'p str>, Vec<&'p str>) {
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    let mut old_left: Vec<&str> = old
        .ops
        .keys()
        .map(String::as_str)
        .filter(|k| !new.ops.contains_key(*k))
        .collect();
    let mut new_left: Vec<&str> = new
        .ops
        .keys()
        .map(String::as_str)
        .filter(|k| !old.ops.contains_key(*k))
        .collect();
    for key in old.ops.keys().filter(|k| new.ops.contains_key(*k)) {
        pairs.push((key, key));
    }
    for (o, n) in m
        .old_to_new
        .iter()
        .enumerate()
        .filter_map(|(o, n)| Some((o, (*n)?)))
    {
        let (a, b) = (old.steps[o].op.as_str(), new.steps[n].op.as_str());
        if let (Some(i), Some(j)) = (
            old_left.iter().position(|k| *k == a),
            new_left.iter().position(|k| *k == b),
        ) {
            pairs.push((old_left.remove(i), new_left.remove(j)));
        }
    }
    let mut i = 0;
    while i < old_left.len() {
        let hash = &old.ops[old_left[i]].hash;
        if let Some(j) = new_left.iter().position(|k| &new.ops[*k].hash == hash) {
            pairs.push((old_left.remove(i), new_left.remove(j)));
        } else {
            i += 1;
        }
    }
    pairs.sort_unstable_by(|x, y| x.1.cmp(y.1));
    (pairs, old_left, new_left)
}

pub(crate) fn ops(
    old: &Program,
    new: &Program,
    m: &Matching,
) -> (Vec<OpDiff>, Vec<AttributeChange>) {
    let (pairs, removed, added) = op_pairs(old, new, m);
    let mut diffs = Vec::new();
    let mut per_pair: Vec<Vec<AttributeChange>> = Vec::new();
    for (a, b) in &pairs {
        let (x, y) = (&old.ops[*a], &new.ops[*b]);
        let changes = op_changes(a, b, x, y);
        per_pair.push(
            changes
                .iter()
                .filter_map(|c| match c {
                    OpChange::Attribute(a) => Some(a.clone()),
                    _ => None,
                })
                .collect(),
        );
        let renamed = a != b;
        if changes.is_empty() && !renamed {
            continue;
        }
        diffs.push(OpDiff {
            name: b.to_string(),
            status: if changes.is_empty() {
                Status::Renamed
            } else {
                Status::Changed
            },
            renamed_from: renamed.then(|| a.to_string()),
            changes,
        });
    }
    for (name, status) in added
        .iter()
        .map(|n| (n, Status::Added))
        .chain(removed.iter().map(|n| (n, Status::Removed)))
    {
        diffs.push(OpDiff {
            name: name.to_string(),
            status,
            renamed_from: None,
            changes: Vec::new(),
        });
    }
    // A change shared by every op, as a pipeline default makes; one op proves nothing.
    let defaults = match per_pair.split_first() {
        Some((first, rest)) if !rest.is_empty() => first
            .iter()
            .filter(|c| rest.iter().all(|others| others.contains(c)))
            .cloned()
            .collect(),
        _ => Vec::new(),
    };
    (diffs, defaults)
}

fn op_changes(a: &str, b: &str, x: &Op, y: &Op) -> Vec<OpChange> {
    let mut changes = Vec::new();
    if x.hash == y.hash {
        return changes;
    }
    if x.body.text != y.body.text {
        let diff = TextDiff::from_lines(&x.body.text, &y.body.text)
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{a}"), &format!("b/{b}"))
            .to_string();
        changes.push(OpChange::Body { diff });
    }
    if x.body.path != y.body.path {
        changes.push(OpChange::BodyFile {
            old: x.body.path.clone(),
            new: y.body.path.clone(),
        });
    }
    if x.interpreter != y.interpreter {
        let name = |i| {
            serde_json::to_value(i)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
        };
        changes.push(OpChange::Interpreter {
            old: name(x.interpreter).unwrap_or_default(),
            new: name(y.interpreter).unwrap_or_default(),
        });
    }
    let inputs = |op: &Op| -> Vec<String> {
        op.inputs
            .iter()
            .map(|i| match &i.default {
                Some(d) => format!("{}: {} = {}", i.name, i.ty, value_text(d)),
                None => format!("{}: {}", i.name, i.ty),
            })
            .collect()
    };
    if inputs(x) != inputs(y) {
        changes.push(OpChange::Inputs {
            old: inputs(x),
            new: inputs(y),
        });
    }
    let outputs = |op: &Op| -> Vec<String> {
        op.outputs
            .iter()
            .map(|o| format!("{}: {}", o.name, o.ty))
            .collect()
    };
    if outputs(x) != outputs(y) {
        changes.push(OpChange::Outputs {
            old: outputs(x),
            new: outputs(y),
        });
    }
    let attributes = |op: &Op| -> [(&'static str, serde_json::Value); 9] {
        use serde_json::to_value as v;
        [
            ("image", v(&op.image).unwrap_or_default()),
            ("retries", v(op.retries).unwrap_or_default()),
            ("timeout_seconds", v(op.timeout_seconds).unwrap_or_default()),
            ("cache", v(op.cache).unwrap_or_default()),
            ("resources", v(&op.resources).unwrap_or_default()),
            ("env", v(&op.env).unwrap_or_default()),
            ("uses", v(&op.uses).unwrap_or_default()),
            ("requires", v(&op.requires).unwrap_or_default()),
            ("interpreter", v(&op.python).unwrap_or_default()),
        ]
    };
    for ((name, old), (_, new)) in attributes(x).into_iter().zip(attributes(y)) {
        if old != new {
            changes.push(OpChange::Attribute(AttributeChange {
                name: name.to_string(),
                old,
                new,
            }));
        }
    }
    changes
}

/// Params by name, and the names whose default or type changed (what a run reads).
pub(crate) fn params(old: &Program, new: &Program) -> (Vec<ParamDiff>, HashSet<String>) {
    let mut diffs = Vec::new();
    let mut changed = HashSet::new();
    for p in &new.params {
        let before = old.params.iter().find(|q| q.name == p.name);
        let status = match before {
            None => Status::Added,
            Some(q) if q.ty != p.ty || q.default != p.default => Status::Changed,
            Some(_) => continue,
        };
        changed.insert(p.name.clone());
        diffs.push(ParamDiff {
            name: p.name.clone(),
            status,
            old_type: before.map(|q| q.ty.to_string()),
            new_type: Some(p.ty.to_string()),
            old_default: before.and_then(|q| q.default.as_ref().map(value_text)),
            new_default: p.default.as_ref().map(value_text),
        });
    }
    for q in old
        .params
        .iter()
        .filter(|q| !new.params.iter().any(|p| p.name == q.name))
    {
        changed.insert(q.name.clone());
        diffs.push(ParamDiff {
            name: q.name.clone(),
            status: Status::Removed,
            old_type: Some(q.ty.to_string()),
            new_type: None,
            old_default: q.default.as_ref().map(value_text),
            new_default: None,
        });
    }
    (diffs, changed)
}

pub(crate) fn outputs(old: &Program, new: &Program, renames: &Renames) -> Vec<OutputDiff> {
    let text =
        |o: &mlforge_ir::PipelineOutput| format!("{}: {} = {}", o.name, o.ty, expr_text(&o.value));
    let mut diffs = Vec::new();
    for o in &new.outputs {
        let before = old.outputs.iter().find(|p| p.name == o.name);
        let status = match before {
            None => Status::Added,
            Some(p) if p.ty != o.ty || !renames.same_expr(&p.value, &o.value) => Status::Changed,
            Some(_) => continue,
        };
        diffs.push(OutputDiff {
            name: o.name.clone(),
            status,
            old: before.map(text),
            new: Some(text(o)),
        });
    }
    for p in old
        .outputs
        .iter()
        .filter(|p| !new.outputs.iter().any(|o| o.name == p.name))
    {
        diffs.push(OutputDiff {
            name: p.name.clone(),
            status: Status::Removed,
            old: Some(text(p)),
            new: None,
        });
    }
    diffs
}

/// Every edge between steps, in the names `renames` gives.
pub(crate) fn edge_set(program: &Program, renames: &Renames) -> Vec<EdgeRef> {
    let mut edges = Vec::new();
    let mut steps = Vec::new();
    for step in &program.steps {
        let to = renames.step(&step.id);
        for binding in &step.bindings {
            if let mlforge_ir::BindingValue::Given { expr } = &binding.value {
                steps.clear();
                collect_outputs(expr, &mut steps);
                for (from, output) in &steps {
                    edges.push(EdgeRef {
                        from: renames.step(from).to_string(),
                        to: to.to_string(),
                        kind: EdgeKind::Data,
                        output: Some(output.to_string()),
                        input: Some(binding.input.clone()),
                    });
                }
            }
        }
        for from in &step.after {
            edges.push(EdgeRef {
                from: renames.step(from).to_string(),
                to: to.to_string(),
                kind: EdgeKind::After,
                output: None,
                input: None,
            });
        }
    }
    edges.sort_unstable();
    edges.dedup();
    edges
}

fn collect_outputs<'e>(expr: &'e mlforge_ir::Expr, out: &mut Vec<(&'e str, &'e str)>) {
    if let mlforge_ir::Expr::StepOutput { step, output, .. } = expr {
        out.push((step, output));
    }
    for child in expr.children() {
        collect_outputs(child, out);
    }
}

/// The edges added and removed, and every edge of the new version (the merged graph
/// draws them).
pub(crate) fn edges(old: &Program, new: &Program, renames: &Renames) -> (EdgeDiff, Vec<EdgeRef>) {
    let before = edge_set(old, renames);
    let after = edge_set(new, &Renames::default());
    let before_set: HashSet<&EdgeRef> = before.iter().collect();
    let after_set: HashSet<&EdgeRef> = after.iter().collect();
    let diff = EdgeDiff {
        added: after
            .iter()
            .filter(|e| !before_set.contains(e))
            .cloned()
            .collect(),
        removed: before
            .iter()
            .filter(|e| !after_set.contains(e))
            .cloned()
            .collect(),
    };
    (diff, after)
}

/// Blocks paired through their steps, and the new blocks whose list or condition changed
/// (in the new names) or that read a changed param.
pub(crate) fn blocks(
    old: &Program,
    new: &Program,
    renames: &Renames,
    changed_params: &HashSet<String>,
) -> (Vec<BlockDiff>, HashSet<String>) {
    let new_to_old: HashMap<&str, &str> = renames
        .blocks
        .iter()
        .map(|(o, n)| (n.as_str(), o.as_str()))
        .collect();
    let mut diffs = Vec::new();
    let mut changed = HashSet::new();
    for (id, block) in &new.blocks {
        let before = new_to_old.get(id.as_str()).and_then(|o| old.blocks.get(*o));
        let mut steps = Vec::new();
        let mut params = Vec::new();
        for expr in block.exprs() {
            reads(expr, &mut steps, &mut params);
        }
        if params.iter().any(|p| changed_params.contains(*p)) {
            changed.insert(id.clone());
        }
        match before {
            None => diffs.push(BlockDiff {
                id: id.clone(),
                kind: block_kind(block).into(),
                status: Status::Added,
                old: None,
                new: Some(block_text(block)),
            }),
            Some(b)
                if b.exprs().len() != block.exprs().len()
                    || !b
                        .exprs()
                        .iter()
                        .zip(block.exprs())
                        .all(|(o, n)| renames.same_expr(o, n)) =>
            {
                changed.insert(id.clone());
                diffs.push(BlockDiff {
                    id: id.clone(),
                    kind: block_kind(block).into(),
                    status: Status::Changed,
                    old: Some(block_text(b)),
                    new: Some(block_text(block)),
                });
            }
            Some(_) => {}
        }
    }
    let mut removed: Vec<&String> = old
        .blocks
        .keys()
        .filter(|o| !renames.blocks.contains_key(*o))
        .collect();
    removed.sort();
    for o in removed {
        diffs.push(BlockDiff {
            id: o.clone(),
            kind: block_kind(&old.blocks[o]).into(),
            status: Status::Removed,
            old: Some(block_text(&old.blocks[o])),
            new: None,
        });
    }
    (diffs, changed)
}
