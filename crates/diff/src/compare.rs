//! Two compiled pipelines compared: steps paired ([`Matching`]), each pair's changes, the
//! other parts ([`crate::parts`]), and the impact on a run ([`crate::impact`]).

use std::collections::{BTreeMap, HashSet};

use mlforge_ir::{Program, Source, Step};

use crate::expr::{binding_text, block_text, Renames};
use crate::impact::{self, Impacts};
use crate::matching::{op_hash, Matching};
use crate::model::{Change, Counts, EdgeRef, Location, PipelineDiff, Status, StepChange, StepDiff};
use crate::parts;

/// A program with no steps, standing for the side where a pipeline does not exist.
pub fn empty_program(like: &Program) -> Program {
    Program {
        version: like.version.clone(),
        pipeline: like.pipeline.clone(),
        file: like.file.clone(),
        doc: None,
        schedule: None,
        scheduling: Default::default(),
        params: Vec::new(),
        outputs: Vec::new(),
        ops: BTreeMap::new(),
        blocks: BTreeMap::new(),
        steps: Vec::new(),
    }
}

/// Compares one pipeline's versions; `None` is a side where it does not exist. Also
/// returns every edge of the new version.
pub fn compare(old: Option<&Program>, new: Option<&Program>) -> (PipelineDiff, Vec<EdgeRef>) {
    match (old, new) {
        (Some(a), Some(b)) => compare_programs(a, b, Status::Changed),
        (None, Some(b)) => compare_programs(&empty_program(b), b, Status::Added),
        (Some(a), None) => compare_programs(a, &empty_program(a), Status::Removed),
        (None, None) => panic!("compare needs at least one version"),
    }
}

fn location(source: &Source) -> Location {
    Location {
        file: source.file.to_string(),
        line: source.line,
        column: source.column,
    }
}

/// How a paired step's definition changed.
struct StepChanges {
    changes: Vec<StepChange>,
    /// The values it is given, or the op it calls, changed: its cache key changes.
    key_changed: bool,
    /// It calls the same op (or that op renamed), whose content changed: its cache key
    /// changes, but the step itself did not (the op is reported once, in `ops`).
    op_changed: bool,
}

fn step_changes(
    old: &Program,
    new: &Program,
    a: &Step,
    b: &Step,
    renames: &Renames,
    same_op: &HashSet<(&str, &str)>,
) -> StepChanges {
    let mut changes = Vec::new();
    let mut key_changed = false;
    let (x, y) = (op_hash(old, a), op_hash(new, b));
    let op_changed = same_op.contains(&(a.op.as_str(), b.op.as_str())) && x != y;
    if !same_op.contains(&(a.op.as_str(), b.op.as_str())) {
        key_changed |= x != y;
        changes.push(StepChange::Op {
            old: a.op.clone(),
            new: b.op.clone(),
            content_changed: x != y,
        });
    }
    for binding in &b.bindings {
        match a.bindings.iter().find(|p| p.input == binding.input) {
            Some(before) => {
                if !renames.same_binding(&before.value, &binding.value) {
                    key_changed = true;
                    changes.push(StepChange::Argument {
                        input: binding.input.clone(),
                        old: Some(binding_text(&before.value)),
                        new: Some(binding_text(&binding.value)),
                    });
                }
            }
            None => {
                key_changed = true;
                changes.push(StepChange::Argument {
                    input: binding.input.clone(),
                    old: None,
                    new: Some(binding_text(&binding.value)),
                });
            }
        }
    }
    for before in &a.bindings {
        if !b.bindings.iter().any(|p| p.input == before.input) {
            key_changed = true;
            changes.push(StepChange::Argument {
                input: before.input.clone(),
                old: Some(binding_text(&before.value)),
                new: None,
            });
        }
    }
    let was: Vec<&str> = a.after.iter().map(|s| renames.step(s)).collect();
    let added: Vec<String> = b
        .after
        .iter()
        .filter(|s| !was.contains(&s.as_str()))
        .cloned()
        .collect();
    let removed: Vec<String> = was
        .iter()
        .filter(|s| !b.after.iter().any(|t| t == *s))
        .map(|s| s.to_string())
        .collect();
    if !added.is_empty() || !removed.is_empty() {
        changes.push(StepChange::After { added, removed });
    }
    let scope_was: Vec<&str> = a.scope.iter().map(|s| renames.block(s)).collect();
    if scope_was != b.scope.iter().map(String::as_str).collect::<Vec<_>>() {
        let texts = |p: &Program, scope: &[String]| -> Vec<String> {
            scope
                .iter()
                .filter_map(|id| p.blocks.get(id).map(block_text))
                .collect()
        };
        changes.push(StepChange::Scope {
            old: texts(old, &a.scope),
            new: texts(new, &b.scope),
        });
    }
    StepChanges {
        changes,
        key_changed,
        op_changed,
    }
}

fn compare_programs(old: &Program, new: &Program, status: Status) -> (PipelineDiff, Vec<EdgeRef>) {
    let m = Matching::new(old, new);
    let renames = &m.renames;
    let mut steps: BTreeMap<String, StepDiff> = BTreeMap::new();
    let mut key_changed: HashSet<usize> = HashSet::new();
    let mut op_changed: HashSet<usize> = HashSet::new();
    let (op_pairs, _, _) = parts::op_pairs(old, new, &m);
    let same_op: HashSet<(&str, &str)> = op_pairs.iter().copied().collect();
    for (n, b) in new.steps.iter().enumerate() {
        let (status, renamed_from, changes) = match m.new_to_old[n] {
            None => (Status::Added, None, Vec::new()),
            Some(o) => {
                let a = &old.steps[o];
                let found = step_changes(old, new, a, b, renames, &same_op);
                if found.key_changed {
                    key_changed.insert(n);
                }
                if found.op_changed {
                    op_changed.insert(n);
                }
                let changes = found.changes;
                let renamed = (a.id != b.id).then(|| a.id.clone());
                let status = match (changes.is_empty(), renamed.is_some()) {
                    (false, _) => Status::Changed,
                    (true, true) => Status::Renamed,
                    (true, false) => Status::Unchanged,
                };
                (status, renamed, changes)
            }
        };
        steps.insert(
            b.id.clone(),
            StepDiff {
                status,
                renamed_from,
                op: b.op.clone(),
                changes,
                rerun: false,
                reasons: Vec::new(),
                condition_changed: false,
                source: location(&b.source),
            },
        );
    }
    for (o, a) in old.steps.iter().enumerate() {
        if m.old_to_new[o].is_none() {
            steps.insert(
                a.id.clone(),
                StepDiff {
                    status: Status::Removed,
                    renamed_from: None,
                    op: a.op.clone(),
                    changes: Vec::new(),
                    rerun: false,
                    reasons: Vec::new(),
                    condition_changed: false,
                    source: location(&a.source),
                },
            );
        }
    }
    let (ops, defaults) = parts::ops(old, new, &m);
    let (params, changed_params) = parts::params(old, new);
    let outputs = parts::outputs(old, new, renames);
    let (edges, new_edges) = parts::edges(old, new, renames);
    let (blocks, changed_blocks) = parts::blocks(old, new, renames, &changed_params);
    let Impacts {
        reasons,
        conditional,
    } = impact::reruns(
        new,
        &m,
        impact::Changed {
            keys: &key_changed,
            ops: &op_changed,
            params: &changed_params,
            blocks: &changed_blocks,
        },
    );
    for (n, why) in reasons.iter().enumerate() {
        let entry = steps
            .get_mut(&new.steps[n].id)
            .expect("every new step is listed");
        entry.rerun = !why.is_empty();
        entry.reasons = why.clone();
        entry.condition_changed = conditional.contains(&n);
    }
    let lost_outputs = impact::lost_outputs(old, new, &m);
    let schedule = (old.schedule != new.schedule).then(|| Change {
        old: old.schedule.clone(),
        new: new.schedule.clone(),
    });
    steps.retain(|_, s| s.status != Status::Unchanged || s.rerun || s.condition_changed);
    let mut counts = Counts::default();
    for s in steps.values() {
        match s.status {
            Status::Added => counts.added += 1,
            Status::Removed => counts.removed += 1,
            Status::Changed => counts.changed += 1,
            Status::Renamed | Status::Unchanged => {}
        }
        counts.renamed += usize::from(s.renamed_from.is_some());
        counts.rerun += usize::from(s.rerun);
    }
    counts.other =
        ops.len() + params.len() + outputs.len() + blocks.len() + usize::from(schedule.is_some());
    let rerun = new
        .steps
        .iter()
        .filter(|s| steps.get(&s.id).is_some_and(|d| d.rerun))
        .map(|s| s.id.clone())
        .collect();
    let conditional = new
        .steps
        .iter()
        .filter(|s| steps.get(&s.id).is_some_and(|d| d.condition_changed))
        .map(|s| s.id.clone())
        .collect();
    let changed = counts.any() || !edges.added.is_empty() || !edges.removed.is_empty();
    let diff = PipelineDiff {
        pipeline: new.pipeline.clone(),
        file: new.file.clone(),
        status: match status {
            Status::Changed if !changed => Status::Unchanged,
            other => other,
        },
        changed,
        summary: counts.summary(),
        counts,
        steps,
        ops,
        params,
        outputs,
        edges,
        blocks,
        schedule,
        defaults,
        impact: crate::model::Impact {
            rerun,
            conditional,
            lost_outputs,
        },
    };
    (diff, new_edges)
}
