//! What a step's memoization key is made of, known at export time: its content hash
//! (`Step::hash`), the `for`/`if` blocks around it, and the same key of every step it
//! waits for, so a change upstream changes the key downstream (as the runner's cache keys
//! change with their inputs). The run's params enter at run time (`run-key`).

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use crate::plan::Plan;
use crate::ExportError;

/// Bumped when the way the exporter lays out data changes, so old cache entries (which
/// point at the old layout) are not reused.
const LAYOUT_VERSION: &str = "mlforge-argo-1";

pub(crate) struct Statics<'p> {
    /// Per step: the first 16 hex digits of its static key, and whether it may be
    /// memoized (its op caches, and so does every step it waits for).
    keys: HashMap<&'p str, (String, bool)>,
    /// Per block: its expressions as JSON, which enter the key of every step inside it.
    block_exprs: HashMap<&'p str, Vec<u8>>,
}

impl<'p> Statics<'p> {
    pub fn new(plan: &Plan<'p>) -> Result<Statics<'p>, ExportError> {
        let mut statics = Statics {
            keys: HashMap::with_capacity(plan.tasks.len()),
            block_exprs: plan
                .blocks
                .iter()
                .map(|(id, block)| {
                    let exprs =
                        serde_json::to_vec(&block.block.exprs()).expect("IR values serialize");
                    (*id, exprs)
                })
                .collect(),
        };
        for task in &plan.tasks {
            statics.compute(plan, task.id(), 0)?;
        }
        Ok(statics)
    }

    fn compute(&mut self, plan: &Plan<'p>, step: &'p str, depth: usize) -> Result<(), ExportError> {
        if self.keys.contains_key(step) {
            return Ok(());
        }
        if depth > plan.tasks.len() {
            return Err(ExportError::BadIr(format!(
                "step `{step}` waits for itself"
            )));
        }
        let task = plan.task(step).ok_or_else(|| {
            ExportError::BadIr(format!("a step waits for an unknown step `{step}`"))
        })?;
        let mut upstream: Vec<&'p str> = task.deps.iter().map(|d| d.step).collect();
        let mut hasher = Sha256::new();
        hasher.update(LAYOUT_VERSION);
        hasher.update(b"\n");
        hasher.update(&task.step.hash);
        for block in &task.step.scope {
            upstream.extend(plan.blocks[block.as_str()].deps.iter().copied());
            hasher.update(b"\n");
            hasher.update(&self.block_exprs[block.as_str()]);
        }
        upstream.sort_unstable();
        upstream.dedup();
        // `uses` files enter the runner's key by content, which a pod cannot see: never reuse.
        let mut memo = task.op.cache && task.op.uses.is_empty();
        for up in upstream {
            self.compute(plan, up, depth + 1)?;
            let (key, up_memo) = &self.keys[up];
            hasher.update(b"\n");
            hasher.update(key);
            memo &= *up_memo;
        }
        let digest = hasher.finalize();
        let key: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        self.keys.insert(step, (key, memo));
        Ok(())
    }

    /// The memoization key's static part, when the step may be memoized.
    pub fn memo(&self, step: &str) -> Option<&str> {
        self.keys
            .get(step)
            .filter(|(_, memo)| *memo)
            .map(|(key, _)| key.as_str())
    }
}
