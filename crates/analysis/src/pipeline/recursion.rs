//! A pipeline that reaches itself through its steps' callees.

use rustc_hash::FxHashSet as HashSet;

use crate::codes::Code;
use crate::items::{CalleeKind, CalleeRef, ItemKey};
use crate::SourceFile;

use super::{pipeline_callees, Checker};

impl<'a> Checker<'a> {
    pub(super) fn check_recursion(&mut self) {
        let me = (self.file, self.pipeline.name.text.to_string());
        for i in 0..self.steps.len() {
            let Some(callee) = self.steps[i].callee.clone() else {
                continue;
            };
            if callee.kind != CalleeKind::Pipeline {
                continue;
            }
            if let Some(path) = self.path_back_to(&me, &callee) {
                let chain: Vec<String> = std::iter::once(me.1.clone()).chain(path).collect();
                let step = self.steps[i].ast;
                let d = self
                    .sink
                    .at(
                        Code::RecursivePipeline,
                        step.callee.span,
                        format!("the pipeline `{}` uses itself: {}", me.1, chain.join(" → ")),
                    )
                    .with_help("a pipeline is inlined into its caller, so it cannot contain itself; remove the step or split the pipeline");
                self.sink.push(d);
            }
        }
    }

    /// The names of pipelines from `start` back to `target`, if `start` reaches it.
    pub(super) fn path_back_to(
        &self,
        target: &(SourceFile, String),
        start: &CalleeRef,
    ) -> Option<Vec<String>> {
        let mut visited = HashSet::default();
        let mut stack = vec![(start.clone(), vec![start.name.clone()])];
        while let Some((current, path)) = stack.pop() {
            if (current.file, current.name.clone()) == *target {
                return Some(path);
            }
            if !visited.insert((current.file, current.name.clone())) {
                continue;
            }
            let key = ItemKey::new(self.db, current.file, current.name.clone());
            for next in pipeline_callees(self.db, key) {
                let mut next_path = path.clone();
                next_path.push(next.name.clone());
                stack.push((next.clone(), next_path));
            }
        }
        None
    }
}
