//! Warnings about params and steps nothing uses.

use mlforge_syntax::ast::{self};

use crate::codes::Code;

use super::Checker;

impl<'a> Checker<'a> {
    pub(super) fn warn_unused(&mut self) {
        let mut unused: Vec<&ast::Param> = self
            .params
            .values()
            .filter(|(p, _)| !self.used_params.contains(p.name.text.as_str()))
            .map(|(p, _)| *p)
            .collect();
        unused.sort_by_key(|p| p.span.start);
        for param in unused {
            let d = self
                .sink
                .at(
                    Code::UnusedParam,
                    param.name.span,
                    format!("the param `{}` is never used", param.name.text),
                )
                .with_help("pass it to a step, or remove it");
            self.sink.push(d);
        }
        if self.pipeline.outputs.is_some() {
            let waited_for = self.graph.steps_with_dependents();
            for (i, entry) in self.steps.iter().enumerate() {
                if waited_for[i] || self.output_deps.contains(&i) {
                    continue;
                }
                let d = self
                    .sink
                    .at(
                        Code::UnusedStep,
                        entry.ast.name.span,
                        format!(
                            "the step `{}` contributes to no output of this pipeline",
                            entry.ast.name.text
                        ),
                    )
                    .with_help("use its outputs, declare an output for them, or remove the step");
                self.sink.push(d);
            }
        }
    }
}
