//! The pipeline's params and their defaults.

use mlforge_syntax::ast::{self, Expr, ExprKind};

use crate::codes::Code;
use crate::exprs::{is_constant, report_mismatch, NoNames};
use crate::signature::resolve_type;
use crate::types::{assignable, Ty};
use crate::values::check_value;

use super::Checker;

impl<'a> Checker<'a> {
    pub(super) fn check_params(&mut self) {
        for param in &self.pipeline.params {
            let ty = resolve_type(self.db, self.file, &param.ty, Some(&mut self.sink));
            if let Some((first, _)) = self.params.get(param.name.text.as_str()) {
                self.sink.twice(
                    Code::Duplicate,
                    param.name.span,
                    format!("the param `{}` is defined twice", param.name.text),
                    first.name.span,
                    "first defined here",
                    "remove one of them",
                );
                continue;
            }
            if let Some(default) = &param.default {
                self.check_default(param, default, &ty);
            }
            self.params.insert(&param.name.text, (param, ty));
        }
    }

    pub(super) fn check_default(&mut self, param: &ast::Param, default: &Expr, ty: &Ty) {
        if ty.is_artifact() {
            // An artifact's default is a path relative to this file (a list of them for
            // a list of artifacts); the runner imports it when no value is given.
            if !is_path_default(default, ty) {
                let example = if matches!(ty, Ty::List(_)) {
                    "[\"data/a.csv\", \"data/b.csv\"]"
                } else {
                    "\"data/raw.csv\""
                };
                let d = self
                    .sink
                    .at(
                        Code::InvalidDefault,
                        default.span,
                        format!(
                            "`{}` is an artifact (`{ty}`): its default is a path relative to this file, like {example}",
                            param.name.text
                        ),
                    )
                    .with_help("write the path as a string, or remove the default and pass the artifact at run time with --param");
                self.sink.push(d);
            }
        } else if !is_constant(default) {
            self.sink.error(
                Code::InvalidDefault,
                default.span,
                "a default must be a constant, like 0.5 or [1, 2]",
            );
        } else {
            let found = check_value(default, ty, &mut NoNames, &mut self.sink);
            if let Err(mismatch) = assignable(&found, ty) {
                let what = format!("the default of `{}`", param.name.text);
                let d = report_mismatch(&mut self.sink, default, mismatch, &found, ty, &what)
                    .with_related(self.file, param.ty.span(), "the type is declared here");
                self.sink.push(d);
            }
        }
    }
}

/// Whether `default` is a path (or, for a list of artifacts, a list of paths).
fn is_path_default(default: &Expr, ty: &Ty) -> bool {
    match (&default.kind, ty) {
        (ExprKind::Str(path), Ty::Artifact(_) | Ty::Optional(_)) => !path.is_empty(),
        (ExprKind::List(items), Ty::List(elem)) => {
            items.iter().all(|item| is_path_default(item, elem))
        }
        _ => false,
    }
}
