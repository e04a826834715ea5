//! Which steps a run computes again, by the runner's cache key (`crates/runner/src/key.rs`):
//! the op's content hash (code, signature, attributes), the input values, and the content
//! hashes of the input artifacts. So a step re-runs when its op's content or the values it
//! is given change, when a param it reads changes its default, when its `for` list changes, and when
//! a step it reads re-runs (its artifacts may differ). A step's name, its `after` list and
//! where it is written are not in the key: a renamed step, an added `after` or a moved
//! step is not re-run. A changed `if` condition (its text, or a param it reads) changes no
//! key; the steps under it are listed apart, since whether they run is decided at run time.

use std::collections::{HashMap, HashSet, VecDeque};

use mlforge_ir::{BindingValue, Block, Program};

use crate::expr::reads;
use crate::matching::Matching;
use crate::model::{LostOutput, Reason};

pub(crate) struct Impacts {
    /// Per new step, why it re-runs (empty: it does not, or it is new).
    pub reasons: Vec<Vec<Reason>>,
    /// New steps (of both versions) under a changed condition.
    pub conditional: HashSet<usize>,
}

/// What changed, as the new version names it.
pub(crate) struct Changed<'a> {
    /// Steps whose arguments (or the op they call) changed.
    pub keys: &'a HashSet<usize>,
    /// Steps whose op's content changed.
    pub ops: &'a HashSet<usize>,
    pub params: &'a HashSet<String>,
    /// Blocks whose list or condition changed.
    pub blocks: &'a HashSet<String>,
}

pub(crate) fn reruns(new: &Program, m: &Matching, changed: Changed<'_>) -> Impacts {
    let Changed {
        keys: key_changed,
        ops: op_changed,
        params: changed_params,
        blocks: changed_blocks,
    } = changed;
    let count = new.steps.len();
    let mut reasons: Vec<Vec<Reason>> = vec![Vec::new(); count];
    // Who reads what: steps read steps, blocks read steps, blocks hold steps.
    let mut readers: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut block_readers: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut members: HashMap<&str, Vec<usize>> = HashMap::new();
    let (mut steps, mut params) = (Vec::new(), Vec::new());
    for (n, step) in new.steps.iter().enumerate() {
        steps.clear();
        params.clear();
        for binding in &step.bindings {
            if let BindingValue::Given { expr } = &binding.value {
                reads(expr, &mut steps, &mut params);
            }
        }
        for s in &steps {
            readers.entry(s).or_default().push(n);
        }
        for p in &params {
            if changed_params.contains(*p) {
                push(
                    &mut reasons[n],
                    Reason::Param {
                        name: p.to_string(),
                    },
                );
            }
        }
        for block in &step.scope {
            members.entry(block).or_default().push(n);
        }
    }
    for (id, block) in &new.blocks {
        steps.clear();
        params.clear();
        for expr in block.exprs() {
            reads(expr, &mut steps, &mut params);
        }
        for s in &steps {
            block_readers.entry(s).or_default().push(id);
        }
    }
    for &n in key_changed {
        push(&mut reasons[n], Reason::Definition);
    }
    for &n in op_changed {
        let name = new.steps[n].op.clone();
        push(&mut reasons[n], Reason::Op { name });
    }
    let mut conditional: HashSet<usize> = HashSet::new();
    let mut blocks_done: HashSet<&str> = HashSet::new();
    let mut queue: VecDeque<usize> = VecDeque::new();
    let block_changed = |id: &str,
                         reasons: &mut Vec<Vec<Reason>>,
                         conditional: &mut HashSet<usize>,
                         queue: &mut VecDeque<usize>| {
        let inside = members.get(id).map(Vec::as_slice).unwrap_or_default();
        match new.blocks.get(id) {
            Some(Block::For { .. }) => {
                for &n in inside {
                    push(
                        &mut reasons[n],
                        Reason::ForList {
                            block: id.to_string(),
                        },
                    );
                    queue.push_back(n);
                }
            }
            _ => conditional.extend(inside.iter().copied()),
        }
    };
    for id in changed_blocks {
        if let Some((key, _)) = new.blocks.get_key_value(id) {
            blocks_done.insert(key);
            block_changed(key, &mut reasons, &mut conditional, &mut queue);
        }
    }
    queue.extend((0..count).filter(|&n| !reasons[n].is_empty()));
    let mut done = vec![false; count];
    while let Some(n) = queue.pop_front() {
        if std::mem::replace(&mut done[n], true) {
            continue;
        }
        let id = new.steps[n].id.as_str();
        for &r in readers.get(id).map(Vec::as_slice).unwrap_or_default() {
            push(
                &mut reasons[r],
                Reason::Upstream {
                    step: id.to_string(),
                },
            );
            queue.push_back(r);
        }
        // A `for` list read from a re-run step may differ; an `if` condition read from one
        // is not a changed condition (the steps under it are listed only when it is).
        for &block in block_readers.get(id).map(Vec::as_slice).unwrap_or_default() {
            let is_for = matches!(new.blocks.get(block), Some(Block::For { .. }));
            if is_for && blocks_done.insert(block) {
                block_changed(block, &mut reasons, &mut conditional, &mut queue);
            }
        }
    }
    // New steps run because they are new; they are not re-runs.
    for (n, r) in reasons.iter_mut().enumerate() {
        if m.new_to_old[n].is_none() {
            r.clear();
            conditional.remove(&n);
        }
    }
    Impacts {
        reasons,
        conditional,
    }
}

fn push(reasons: &mut Vec<Reason>, reason: Reason) {
    if !reasons.contains(&reason) {
        reasons.push(reason);
    }
}

/// Outputs no longer produced: a removed step's, those its op no longer has, and removed
/// pipeline outputs.
pub(crate) fn lost_outputs(old: &Program, new: &Program, m: &Matching) -> Vec<LostOutput> {
    let outputs = |p: &Program, op: &str| -> Vec<String> {
        p.ops
            .get(op)
            .map(|op| op.outputs.iter().map(|o| o.name.clone()).collect())
            .unwrap_or_default()
    };
    let mut lost = Vec::new();
    for (o, step) in old.steps.iter().enumerate() {
        let kept = match m.old_to_new[o] {
            None => Vec::new(),
            Some(n) => outputs(new, &new.steps[n].op),
        };
        for output in outputs(old, &step.op) {
            if !kept.contains(&output) {
                lost.push(LostOutput {
                    step: Some(step.id.clone()),
                    output,
                });
            }
        }
    }
    for output in &old.outputs {
        if !new.outputs.iter().any(|o| o.name == output.name) {
            lost.push(LostOutput {
                step: None,
                output: output.name.clone(),
            });
        }
    }
    lost
}
