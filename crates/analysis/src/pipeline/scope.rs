//! What names mean inside a pipeline: loop variables, params and step outputs, typed as
//! seen from the statement being checked.

use std::sync::Arc;

use mlforge_syntax::ast::Name;

use crate::codes::Code;
use crate::diagnostic::{suggest, Sink};
use crate::exprs::Scope;
use crate::graph::BlockKind;
use crate::items::imports;
use crate::types::Ty;

use super::{Checker, Reference};

impl<'a> Checker<'a> {
    /// The type of a step's output seen from the current position: one `list<…>` per `for`
    /// and one `?` per `if` that holds the step but not the position.
    pub(super) fn seen_from_here(&self, step: usize, mut ty: Ty) -> Ty {
        // From the step's innermost block outwards, up to the first block that also holds
        // the statement being checked: each `for` left makes a list, each branch an option.
        // (A block's ancestors are unique, so the first shared block ends the walk.)
        let mut block = self.graph.steps[step].block;
        while let Some(b) = block.filter(|b| !self.path.contains(b)) {
            ty = match self.graph.blocks[b].kind {
                BlockKind::For { .. } => Ty::list(ty),
                BlockKind::Then | BlockKind::Else => Ty::optional(ty),
            };
            block = self.graph.blocks[b].parent;
        }
        ty
    }
}

impl Scope for Checker<'_> {
    fn name_type(&mut self, name: &Name, sink: &mut Sink) -> Ty {
        if let Some((_, ty)) = self
            .loop_vars
            .iter()
            .rev()
            .find(|(v, _)| v.text == name.text)
        {
            return ty.clone();
        }
        if let Some((param, ty)) = self.params.get(name.text.as_str()) {
            let param_name: &str = &param.name.text;
            self.used_params.insert(param_name);
            return ty.clone();
        }
        let d = if let Some(&step) = self.step_index.get(name.text.as_str()) {
            let example = self.graph.steps[step]
                .outputs
                .first()
                .map(|(o, _)| o.clone())
                .or_else(|| {
                    self.steps[step]
                        .signature
                        .and_then(|s| s.outputs.first())
                        .map(|o| o.name.clone())
                })
                .unwrap_or_else(|| "output".to_string());
            sink.at(
                Code::UnresolvedName,
                name.span,
                format!("`{}` is a step, not a value", name.text),
            )
            .with_help(format!(
                "use one of its outputs, like `{}.{example}`",
                name.text
            ))
        } else {
            let candidates: Vec<&str> = self
                .loop_vars
                .iter()
                .map(|(v, _)| v.text.as_str())
                .chain(self.params.keys().copied())
                .collect();
            let d = sink.at(
                Code::UnresolvedName,
                name.span,
                format!("there is no param or loop variable named `{}`", name.text),
            );
            match suggest(&name.text, candidates) {
                Some(help) => d.with_help(help),
                None => d.with_help("declare it as a param of the pipeline, or use a step's output as `step.output`"),
            }
        };
        sink.push(d);
        Ty::Unknown
    }

    fn field_type(&mut self, base: &Name, field: &Name, sink: &mut Sink) -> Ty {
        let span = base.span.cover(field.span);
        if let Some(&step) = self.step_index.get(base.text.as_str()) {
            let ty = match self.steps[step]
                .signature
                .map(|s| (s, s.output(&field.text)))
            {
                None => Ty::Unknown,
                Some((_, Some(output))) => self.seen_from_here(step, output.ty.clone()),
                Some((signature, None)) => {
                    let callee = &self.steps[step].ast.callee.name.text;
                    let names: Vec<&str> =
                        signature.outputs.iter().map(|o| o.name.as_str()).collect();
                    let help =
                        suggest(&field.text, names.iter().copied()).unwrap_or_else(|| match names
                            .as_slice()
                        {
                            [] => format!("`{callee}` has no outputs"),
                            _ => format!(
                                "the outputs of `{callee}` are {}",
                                names
                                    .iter()
                                    .map(|n| format!("`{n}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        });
                    sink.push(
                        sink.at(
                            Code::UnknownOutput,
                            field.span,
                            format!(
                                "the step `{}` (`{callee}`) has no output named `{}`",
                                base.text, field.text
                            ),
                        )
                        .with_help(help),
                    );
                    Ty::Unknown
                }
            };
            self.deps.push(Reference {
                step,
                output: Arc::from(field.text.as_str()),
                ty: ty.clone(),
                span,
            });
            return ty;
        }
        let is_value = self.loop_vars.iter().any(|(v, _)| v.text == base.text)
            || self.params.contains_key(base.text.as_str());
        let d = if is_value {
            sink.at(
                Code::UnresolvedName,
                span,
                format!(
                    "`{}` is a value, not a step, so `{}.{}` means nothing",
                    base.text, base.text, field.text
                ),
            )
        } else if imports(self.db, self.file)
            .iter()
            .any(|i| i.namespace == base.text)
        {
            sink.at(
                Code::UnresolvedName,
                span,
                format!("`{}` is an import namespace; values come from params, loop variables and step outputs", base.text),
            )
        } else {
            let d = sink.at(
                Code::UnresolvedName,
                base.span,
                format!("there is no step named `{}`", base.text),
            );
            // The graph names every step, also when only one step is being checked again.
            match suggest(&base.text, self.graph.steps.iter().map(|s| s.name.as_str())) {
                Some(help) => d.with_help(help),
                None => d,
            }
        };
        sink.push(d);
        Ty::Unknown
    }
}
