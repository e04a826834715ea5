//! Which step of the old version is which step of the new one.
//!
//! 1. The same id is the same step.
//! 2. A step whose op (by content hash) and arguments (read in the new names) equal an
//!    unmatched old step's is that step renamed.
//! 3. A rename that also changed something: an unmatched old and new step read by the same
//!    input of a matched step (or the same pipeline output), or the only unmatched old and
//!    new steps calling one op, with at least half of their arguments equal.
//!
//! Rounds repeat while they find pairs, since a pair renames what later keys read.

use std::collections::HashMap;

use mlforge_ir::{BindingValue, Expr, Program, Step};

use crate::expr::Renames;

pub(crate) struct Matching {
    /// For each old step, the new step it is.
    pub old_to_new: Vec<Option<usize>>,
    pub new_to_old: Vec<Option<usize>>,
    pub renames: Renames,
}

pub(crate) fn op_hash<'p>(program: &'p Program, step: &Step) -> &'p str {
    program.ops.get(&step.op).map_or("", |op| op.hash.as_str())
}

/// A binding as the runner sees it: a literal passed equals the same default.
fn resolved(value: &BindingValue) -> BindingValue {
    match value {
        BindingValue::Given {
            expr: Expr::Literal { value, .. },
        } => BindingValue::Default {
            value: value.clone(),
        },
        other => other.clone(),
    }
}

fn content_key(program: &Program, step: &Step, renames: &Renames) -> String {
    let bindings: Vec<(&str, BindingValue)> = step
        .bindings
        .iter()
        .map(|b| (b.input.as_str(), resolved(&renames.binding(&b.value))))
        .collect();
    serde_json::to_string(&(op_hash(program, step), bindings)).expect("IR values serialize")
}

impl Matching {
    pub fn new(old: &Program, new: &Program) -> Matching {
        let mut m = Matching {
            old_to_new: vec![None; old.steps.len()],
            new_to_old: vec![None; new.steps.len()],
            renames: Renames::default(),
        };
        let new_ids: HashMap<&str, usize> = new
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.as_str(), i))
            .collect();
        for (o, step) in old.steps.iter().enumerate() {
            if let Some(&n) = new_ids.get(step.id.as_str()) {
                m.pair(old, new, o, n);
            }
        }
        loop {
            let found = m.exact_renames(old, new)
                + m.read_by_the_same_input(old, new)
                + m.only_callers_of_one_op(old, new);
            if found == 0 {
                break;
            }
        }
        m
    }

    fn pair(&mut self, old: &Program, new: &Program, o: usize, n: usize) {
        self.old_to_new[o] = Some(n);
        self.new_to_old[n] = Some(o);
        let (a, b) = (&old.steps[o], &new.steps[n]);
        if a.id != b.id {
            self.renames.steps.insert(a.id.clone(), b.id.clone());
        }
        // Blocks are matched through the steps they hold: the first pair decides.
        if a.scope.len() == b.scope.len() {
            for (x, y) in a.scope.iter().zip(&b.scope) {
                let same_kind = match (old.blocks.get(x), new.blocks.get(y)) {
                    (Some(p), Some(q)) => crate::expr::block_kind(p) == crate::expr::block_kind(q),
                    _ => false,
                };
                if same_kind && !self.renames.blocks.contains_key(x) {
                    self.renames.blocks.insert(x.clone(), y.clone());
                }
            }
        }
    }

    fn unmatched_old(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.old_to_new.len()).filter(|&o| self.old_to_new[o].is_none())
    }

    fn unmatched_new(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.new_to_old.len()).filter(|&n| self.new_to_old[n].is_none())
    }

    fn exact_renames(&mut self, old: &Program, new: &Program) -> usize {
        let identity = Renames::default();
        let mut wanted: HashMap<String, Vec<usize>> = HashMap::new();
        for n in self.unmatched_new().collect::<Vec<_>>().into_iter().rev() {
            wanted
                .entry(content_key(new, &new.steps[n], &identity))
                .or_default()
                .push(n);
        }
        if wanted.is_empty() {
            return 0;
        }
        let mut found = 0;
        for o in self.unmatched_old().collect::<Vec<_>>() {
            let key = content_key(old, &old.steps[o], &self.renames);
            if let Some(n) = wanted.get_mut(&key).and_then(Vec::pop) {
                self.pair(old, new, o, n);
                found += 1;
            }
        }
        found
    }

    fn read_by_the_same_input(&mut self, old: &Program, new: &Program) -> usize {
        let mut candidates: Vec<(&str, &str, &str, &str)> = Vec::new();
        for (o, n) in self
            .old_to_new
            .iter()
            .enumerate()
            .filter_map(|(o, n)| Some((o, (*n)?)))
        {
            for b in &new.steps[n].bindings {
                if let Some(a) = old.steps[o].bindings.iter().find(|a| a.input == b.input) {
                    if let (Some(x), Some(y)) = (read_step(&a.value), read_step(&b.value)) {
                        candidates.push((x.0, x.1, y.0, y.1));
                    }
                }
            }
        }
        for output in &new.outputs {
            if let Some(before) = old.outputs.iter().find(|o| o.name == output.name) {
                if let (
                    Expr::StepOutput {
                        step: x, output: p, ..
                    },
                    Expr::StepOutput {
                        step: y, output: q, ..
                    },
                ) = (&before.value, &output.value)
                {
                    candidates.push((x, p, y, q));
                }
            }
        }
        let old_index = index(old);
        let new_index = index(new);
        let mut pairs = Vec::new();
        for (x, p, y, q) in candidates {
            if p != q {
                continue;
            }
            if let (Some(&o), Some(&n)) = (old_index.get(x), new_index.get(y)) {
                if self.old_to_new[o].is_none() && self.new_to_old[n].is_none() {
                    pairs.push((o, n));
                }
            }
        }
        let mut found = 0;
        for (o, n) in pairs {
            if self.old_to_new[o].is_none() && self.new_to_old[n].is_none() {
                self.pair(old, new, o, n);
                found += 1;
            }
        }
        found
    }

    fn only_callers_of_one_op(&mut self, old: &Program, new: &Program) -> usize {
        let mut by_op: HashMap<&str, (Vec<usize>, Vec<usize>)> = HashMap::new();
        for o in self.unmatched_old() {
            by_op.entry(&old.steps[o].op).or_default().0.push(o);
        }
        for n in self.unmatched_new() {
            by_op.entry(&new.steps[n].op).or_default().1.push(n);
        }
        let mut pairs: Vec<(usize, usize)> = by_op
            .into_values()
            .filter_map(|(os, ns)| match (os.as_slice(), ns.as_slice()) {
                ([o], [n]) => Some((*o, *n)),
                _ => None,
            })
            .filter(|&(o, n)| self.similar(&old.steps[o], &new.steps[n]))
            .collect();
        pairs.sort_unstable();
        for &(o, n) in &pairs {
            self.pair(old, new, o, n);
        }
        pairs.len()
    }

    /// At least half of the arguments equal (read in the new names).
    fn similar(&self, a: &Step, b: &Step) -> bool {
        let same = b
            .bindings
            .iter()
            .filter(|y| {
                a.bindings
                    .iter()
                    .any(|x| x.input == y.input && self.renames.same_binding(&x.value, &y.value))
            })
            .count();
        let total = a.bindings.len().max(b.bindings.len());
        total == 0 || 2 * same >= total
    }
}

fn read_step(value: &BindingValue) -> Option<(&str, &str)> {
    match value {
        BindingValue::Given {
            expr: Expr::StepOutput { step, output, .. },
        } => Some((step, output)),
        _ => None,
    }
}

pub(crate) fn index(program: &Program) -> HashMap<&str, usize> {
    program
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect()
}
