//! One step: its arguments against its callee's inputs, its outputs, its `after` list.

use std::sync::Arc;

use mlforge_syntax::ast::{self};
use mlforge_syntax::Span;

use crate::codes::Code;
use crate::diagnostic::suggest;
use crate::exprs::report_mismatch;
use crate::graph::EdgeKind;
use crate::signature::Signature;
use crate::types::assignable;
use crate::SourceFile;

use super::Checker;

impl<'a> Checker<'a> {
    pub(super) fn check_step(&mut self, i: usize, step: &'a ast::Step) {
        let signature = self.steps[i].signature;
        let callee_name: &str = &step.callee.name.text;
        // A handful of arguments: a list beats a hash map.
        let mut given: Vec<(&str, &ast::Arg)> = Vec::with_capacity(step.args.len());
        let mut inputs = Vec::with_capacity(step.args.len());
        let mut args = Vec::with_capacity(step.args.len());
        let mut arg_types = Vec::with_capacity(step.args.len());
        for arg in &step.args {
            let ty = self.infer_with_deps(&arg.value);
            let input_name: Arc<str> = Arc::from(arg.name.text.as_str());
            for reference in std::mem::take(&mut self.deps) {
                let kind = EdgeKind::Data {
                    input: input_name.clone(),
                    output: reference.output,
                    ty: reference.ty,
                };
                self.graph.add_edge(reference.step, i, kind, reference.span);
            }
            arg_types.push((arg.name.text.to_string(), ty.clone()));
            args.push((arg.name.text.to_string(), self.source_text(arg.value.span)));
            if let Some(&(_, first)) = given.iter().find(|(name, _)| *name == arg.name.text) {
                self.sink.twice(
                    Code::DuplicateArgument,
                    arg.name.span,
                    format!("the argument `{}` is given twice", arg.name.text),
                    first.name.span,
                    "first given here",
                    "remove one of them",
                );
                continue;
            }
            given.push((&arg.name.text, arg));
            let Some(signature) = signature else { continue };
            match signature.input(&arg.name.text) {
                None => {
                    let names = signature.inputs.iter().map(|i| i.name.as_str());
                    let help = suggest(&arg.name.text, names)
                        .unwrap_or_else(|| describe_inputs(signature));
                    let d = self
                        .sink
                        .at(
                            Code::UnknownArgument,
                            arg.name.span,
                            format!("`{callee_name}` has no input named `{}`", arg.name.text),
                        )
                        .with_help(help);
                    self.sink.push(d);
                }
                Some(input) => {
                    inputs.push((arg.name.text.to_string(), input.ty.clone()));
                    if let Err(mismatch) = assignable(&ty, &input.ty) {
                        let what = format!("the input `{}` of `{callee_name}`", input.name);
                        let mut d = report_mismatch(
                            &mut self.sink,
                            &arg.value,
                            mismatch,
                            &ty,
                            &input.ty,
                            &what,
                        );
                        if let Some((file, span)) = self.input_decl_span(i, &input.name) {
                            d = d.with_related(
                                file,
                                span,
                                format!("`{}` is declared here", input.name),
                            );
                        }
                        self.sink.push(d);
                    }
                }
            }
        }
        let node = &mut self.graph.steps[i];
        node.inputs = inputs.into();
        node.args = args.into();
        node.arg_types = arg_types.into();
        if let Some(signature) = signature.filter(|_| !step.args_broken) {
            let missing: Vec<_> = signature
                .inputs
                .iter()
                .filter(|input| {
                    input.is_required() && !given.iter().any(|(name, _)| *name == input.name)
                })
                .collect();
            if !missing.is_empty() {
                let list: Vec<String> = missing
                    .iter()
                    .map(|m| format!("`{}: {}`", m.name, m.ty))
                    .collect();
                let message = match list.as_slice() {
                    [one] => format!("`{callee_name}` needs the argument {one}"),
                    _ => format!("`{callee_name}` needs the arguments {}", list.join(", ")),
                };
                let mut d = self
                    .sink
                    .at(Code::MissingArgument, step.args_span, message)
                    .with_help("pass every input that has no default, as `name: value`");
                if let Some((file, span)) = self.input_decl_span(i, &missing[0].name) {
                    d = d.with_related(
                        file,
                        span,
                        format!("`{}` is declared here", missing[0].name),
                    );
                }
                self.sink.push(d);
            }
        }
        // Outputs come from the callee alone: a step whose arguments do not parse still
        // has them, so the graph and completion keep showing what it produces.
        if let Some(signature) = signature {
            self.graph.steps[i].outputs = self
                .outputs_of
                .entry(std::ptr::from_ref(signature))
                .or_insert_with(|| {
                    signature
                        .outputs
                        .iter()
                        .map(|o| (o.name.clone(), o.ty.clone()))
                        .collect()
                })
                .clone();
        }
        for after in &step.after {
            match self.step_index.get(after.text.as_str()) {
                Some(&dep) => self.graph.add_edge(dep, i, EdgeKind::After, after.span),
                None => {
                    let help = suggest(&after.text, self.step_index.keys().copied());
                    let mut d = self.sink.at(
                        Code::UnresolvedName,
                        after.span,
                        format!("there is no step named `{}` to wait for", after.text),
                    );
                    if let Some(help) = help {
                        d = d.with_help(help);
                    }
                    self.sink.push(d);
                }
            }
        }
    }

    /// Where the callee of step `i` declares its input `name`.
    pub(super) fn input_decl_span(&self, i: usize, name: &str) -> Option<(SourceFile, Span)> {
        let callee = self.steps[i].callee.as_ref()?;
        let params = match crate::items::find_item(self.db, callee.file, &callee.name)? {
            ast::Item::Op(op) => &op.params,
            ast::Item::Pipeline(p) => &p.params,
            _ => return None,
        };
        let param = params.iter().find(|p| p.name.text == name)?;
        Some((callee.file, param.name.span))
    }
}

fn describe_inputs(signature: &Signature) -> String {
    if signature.inputs.is_empty() {
        return "it takes no inputs".to_string();
    }
    let names: Vec<String> = signature
        .inputs
        .iter()
        .map(|i| format!("`{}`", i.name))
        .collect();
    format!("its inputs are {}", names.join(", "))
}
