//! The first pass: blocks and steps registered, callees resolved.

use rustc_hash::FxHashMap as HashMap;

use mlforge_syntax::ast::{self, Stmt};

use crate::codes::Code;
use crate::diagnostic::suggest;
use crate::graph::BlockKind;
use crate::items::{resolve_callee, CalleeError};
use crate::signature::callee_signature;

use super::{Checker, ResolvedCallees, StepEntry};

impl<'a> Checker<'a> {
    /// Registers blocks and steps, reporting duplicate step names.
    pub(super) fn collect(&mut self, stmts: &'a [Stmt]) {
        for stmt in stmts {
            match stmt {
                Stmt::Step(step) => {
                    if let Some(&first) = self.step_index.get(step.name.text.as_str()) {
                        self.sink.twice(
                            Code::Duplicate,
                            step.name.span,
                            format!(
                                "a step named `{}` already exists in this pipeline",
                                step.name.text
                            ),
                            self.steps[first].ast.name.span,
                            "first defined here",
                            "step names are unique in a pipeline, blocks included: rename this one",
                        );
                    } else {
                        self.step_index.insert(&step.name.text, self.steps.len());
                    }
                    // Names resolve to steps first, so `train.seed` would read an output of
                    // the step `train`, and the param would look unused.
                    if let Some((param, _)) = self.params.get(step.name.text.as_str()) {
                        self.sink.twice(
                            Code::ShadowedParam,
                            step.name.span,
                            format!(
                                "the step `{}` hides the param of the same name: in this pipeline `{}` means the step",
                                step.name.text, step.name.text
                            ),
                            param.name.span,
                            "the param is declared here",
                            "rename the step",
                        );
                    }
                    self.graph
                        .add_step(&step.name, step.span, self.path.last().copied());
                    self.steps.push(StepEntry {
                        ast: step,
                        callee: None,
                        signature: None,
                    });
                }
                Stmt::For(block) => {
                    let id = self.graph.add_block(
                        BlockKind::For {
                            var: block.var.text.to_string(),
                            second: block.second.as_ref().map(|s| s.text.to_string()),
                        },
                        block.span,
                        self.path.last().copied(),
                    );
                    self.path.push(id);
                    self.collect(&block.body);
                    self.path.pop();
                }
                Stmt::If(block) => {
                    let then_id = self.graph.add_block(
                        BlockKind::Then,
                        block.span,
                        self.path.last().copied(),
                    );
                    self.path.push(then_id);
                    self.collect(&block.then_body);
                    self.path.pop();
                    if let Some(else_body) = &block.else_body {
                        let else_id = self.graph.add_block(
                            BlockKind::Else,
                            block.span,
                            self.path.last().copied(),
                        );
                        self.path.push(else_id);
                        self.collect(else_body);
                        self.path.pop();
                    }
                }
                Stmt::Output(_) | Stmt::Error(_) => {}
            }
        }
    }

    pub(super) fn resolve_callees(&mut self) {
        // Thousands of steps call a handful of ops: resolve each distinct name once.
        let mut resolved = HashMap::default();
        for i in 0..self.steps.len() {
            self.resolve_step(i, &mut resolved);
        }
    }

    pub(super) fn resolve_step(&mut self, i: usize, resolved: &mut ResolvedCallees<'a>) {
        let callee = &self.steps[i].ast.callee;
        let name = (
            callee.namespace.as_ref().map(|ns| ns.text.as_str()),
            callee.name.text.as_str(),
        );
        let (db, file) = (self.db, self.file);
        let outcome = resolved.entry(name).or_insert_with(|| {
            resolve_callee(db, file, callee).map(|target| {
                let signature = callee_signature(db, &target);
                (target, signature)
            })
        });
        match outcome.clone() {
            Ok((target, signature)) => {
                self.steps[i].signature = signature;
                self.graph.steps[i].callee = Some(target.clone());
                self.steps[i].callee = Some(target);
            }
            Err(error) => self.report_callee(callee, error),
        }
    }

    pub(super) fn report_callee(&mut self, callee: &ast::Callee, error: CalleeError) {
        let name = &callee.name.text;
        let d = match error {
            CalleeError::BrokenImport => return,
            CalleeError::NotFound { candidates } => {
                let place = match &callee.namespace {
                    Some(ns) => format!("`{}`", ns.text),
                    None => "this file".to_string(),
                };
                let d = self.sink.at(
                    Code::UnresolvedCallee,
                    callee.name.span,
                    format!("there is no op or pipeline named `{name}` in {place}"),
                );
                match suggest(name, candidates.iter().map(String::as_str)) {
                    Some(help) => d.with_help(help),
                    None if callee.namespace.is_none() => {
                        d.with_help("define it with `op`, or import the file that defines it and write `namespace.name`")
                    }
                    None => d,
                }
            }
            CalleeError::UnknownNamespace { candidates } => {
                let ns = callee.namespace.as_ref().map_or("", |n| n.text.as_str());
                let span = callee.namespace.as_ref().map_or(callee.span, |n| n.span);
                let d = self.sink.at(
                    Code::UnresolvedCallee,
                    span,
                    format!("there is no import named `{ns}`"),
                );
                match suggest(ns, candidates.iter().map(String::as_str)) {
                    Some(help) => d.with_help(help),
                    None => {
                        d.with_help(format!("add `import \"{ns}.mlf\"` at the top of the file"))
                    }
                }
            }
            CalleeError::NotCallable { what } => self.sink.at(
                Code::UnresolvedCallee,
                callee.name.span,
                format!("`{name}` is {what}; a step runs an op or a pipeline"),
            ),
        };
        self.sink.push(d);
    }
}
