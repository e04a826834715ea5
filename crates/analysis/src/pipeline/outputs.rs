//! `output` statements against the pipeline's `-> (…)`.

use rustc_hash::FxHashMap as HashMap;

use mlforge_syntax::ast::{self, Stmt};

use crate::codes::Code;
use crate::exprs::report_mismatch;
use crate::signature::resolve_type;
use crate::types::{assignable, Ty};

use super::Checker;

impl<'a> Checker<'a> {
    pub(super) fn check_outputs(&mut self) {
        let stmts: Vec<&ast::OutputStmt> = self
            .pipeline
            .body
            .iter()
            .filter_map(|s| match s {
                Stmt::Output(o) => Some(o),
                _ => None,
            })
            .collect();
        let mut seen: HashMap<&str, &ast::OutputStmt> = HashMap::default();
        for output in &stmts {
            if let Some(first) = seen.insert(&output.name.text, output) {
                self.sink.twice(
                    Code::Duplicate,
                    output.name.span,
                    format!("the output `{}` is set twice", output.name.text),
                    first.name.span,
                    "first set here",
                    "remove one of them",
                );
            }
        }
        let Some(decls) = &self.pipeline.outputs else {
            return;
        };
        for output in &stmts {
            match decls.iter().find(|d| d.name.text == output.name.text) {
                None => {
                    let d = self
                        .sink
                        .at(
                            Code::PipelineOutputMismatch,
                            output.name.span,
                            format!(
                                "`{}` is not declared in this pipeline's `-> (…)`",
                                output.name.text
                            ),
                        )
                        .with_help(format!(
                            "add `{}: TYPE` to the outputs after `->`",
                            output.name.text
                        ));
                    self.sink.push(d);
                }
                Some(decl) => {
                    let declared = resolve_type(self.db, self.file, &decl.ty, None);
                    let found = self
                        .output_types
                        .get(&output.span.start)
                        .cloned()
                        .unwrap_or(Ty::Unknown);
                    if let Err(mismatch) = assignable(&found, &declared) {
                        let what = format!("the output `{}`", decl.name.text);
                        let d = report_mismatch(
                            &mut self.sink,
                            &output.value,
                            mismatch,
                            &found,
                            &declared,
                            &what,
                        )
                        .with_related(
                            self.file,
                            decl.ty.span(),
                            "the type is declared here",
                        );
                        self.sink.push(d);
                    }
                }
            }
        }
        for decl in decls {
            if !stmts.iter().any(|o| o.name.text == decl.name.text) {
                let d = self
                    .sink
                    .at(
                        Code::PipelineOutputMismatch,
                        decl.name.span,
                        format!("the output `{}` is declared but never set", decl.name.text),
                    )
                    .with_help(format!(
                        "add `output {} = step.output` to the pipeline",
                        decl.name.text
                    ));
                self.sink.push(d);
            }
        }
    }
}
