//! Checking an edit before answering it: the file as the edit would leave it is parsed and
//! the edited pipeline checked, and errors the edit itself would cause (a connection of the
//! wrong type, a cycle, an expression that does not parse) refuse it, in the checker's
//! words.

use mlforge_analysis::codes::Code;
use mlforge_analysis::pipeline::check_pipeline;
use mlforge_analysis::{Diagnostic, Severity};
use mlforge_syntax::ast::{self, Item, Stmt};
use mlforge_syntax::{Parse, Span};

use super::locate::Instance;
use super::text::apply;
use super::{Refusal, RefusalReason};
use crate::base::tree;
use crate::defs::visit_steps;
use crate::TextEdit;

/// The edited file, parsed, with the edited pipeline's diagnostics.
pub(crate) struct Checked {
    pub parse: Parse,
    pub diagnostics: Vec<Diagnostic>,
    name: String,
}

impl Checked {
    pub fn pipeline(&self) -> Option<&ast::Pipeline> {
        self.parse.file.items.iter().find_map(|i| match i {
            Item::Pipeline(p) if p.name.text == self.name => Some(p),
            _ => None,
        })
    }

    /// The step `name` of the edited pipeline.
    pub fn step(&self, name: &str) -> Option<&ast::Step> {
        let mut found = None;
        visit_steps(&self.pipeline()?.body, &mut |s| {
            if found.is_none() && s.name.text == name {
                found = Some(s);
            }
        });
        found
    }

    /// The first error inside `span`.
    pub fn error_in(&self, span: Span) -> Option<&Diagnostic> {
        self.diagnostics.iter().find(|d| {
            d.severity == Severity::Error && span.start <= d.span.start && d.span.end <= span.end
        })
    }

    /// The statement of the edited pipeline's body (at any depth) starting at `start`.
    pub fn statement_at(&self, start: usize) -> Option<&Stmt> {
        fn find(stmts: &[Stmt], start: u32) -> Option<&Stmt> {
            stmts.iter().find_map(|s| {
                if s.span().start == start {
                    return Some(s);
                }
                match s {
                    Stmt::For(f) => find(&f.body, start),
                    Stmt::If(i) => find(&i.then_body, start)
                        .or_else(|| i.else_body.as_deref().and_then(|b| find(b, start))),
                    _ => None,
                }
            })
        }
        find(&self.pipeline()?.body, start as u32)
    }
}

/// `instance`'s file with `edits` made, parsed and its pipeline checked. Refused when the
/// edit adds a syntax error (`what` says what the user gave that did not parse) or a
/// dependency cycle.
pub(crate) fn recheck(
    instance: &Instance<'_>,
    edits: &[TextEdit],
    what: &str,
) -> Result<Checked, Refusal> {
    let new_text = apply(instance.text, edits);
    let parse = mlforge_syntax::parse(&new_text);
    let old_errors = tree(instance.db, instance.file).errors.len();
    if parse.errors.len() > old_errors {
        let first = &parse.errors[0];
        return Err(Refusal::invalid(format!(
            "{what} does not parse: {}",
            first.message
        )));
    }
    let name = instance.pipeline.name.text.to_string();
    let mut checked = Checked {
        parse,
        diagnostics: Vec::new(),
        name,
    };
    let Some(pipeline) = checked.pipeline() else {
        return Err(Refusal::invalid(format!(
            "{what} would end the pipeline `{}`; this is a bug in the graph editor, please report it",
            checked.name
        )));
    };
    let mut analysis = check_pipeline(instance.db, instance.file, pipeline);
    let cycles = |ds: &[Diagnostic]| {
        ds.iter()
            .filter(|d| d.code == Code::DependencyCycle)
            .count()
    };
    if cycles(&analysis.diagnostics) > cycles(&instance.analysis().diagnostics) {
        let cycle = analysis
            .diagnostics
            .iter()
            .find(|d| d.code == Code::DependencyCycle)
            .expect("counted above");
        return Err(Refusal::invalid(format!(
            "{what} would make a cycle: {}",
            cycle.message
        )));
    }
    checked.diagnostics = std::mem::take(&mut analysis.diagnostics);
    Ok(checked)
}

/// Refuses when an error of `checked` lies in `span` (what the edit wrote), with its message.
pub(crate) fn refuse_errors_in(checked: &Checked, span: Span) -> Result<(), Refusal> {
    match checked.error_in(span) {
        None => Ok(()),
        Some(d) => {
            let types = [Code::TypeMismatch, Code::OptionalMisuse, Code::ListMisuse];
            let reason = if types.contains(&d.code) {
                RefusalReason::TypeMismatch
            } else {
                RefusalReason::Invalid
            };
            let mut message = d.message.clone();
            if let Some(help) = &d.help {
                message.push_str(&format!("; {help}"));
            }
            Err(Refusal::new(reason, message))
        }
    }
}
