//! Argo Workflows: a `Workflow` (a `CronWorkflow` when the pipeline has a schedule) whose
//! entrypoint is a DAG. Each op is a script template running the shared task runtime, and
//! each step a DAG task calling it with its own spec; each `for` and `if` is a nested DAG
//! template, entered by one task with `withItems` / `withParam` or `when`, after a task
//! that evaluates its list or condition. Values travel
//! between pods as key-only artifacts in the default artifact repository (see [`keys`]),
//! never through Argo's `{{…}}` templating, so no user text can become a template
//! expression (see [`inert`]). The mapping table is `docs/argo.md`.

pub mod check;
mod dag;
pub mod inert;
pub mod keys;
mod leaf;
mod meta;
mod op;
mod pod;
mod reader;
mod statics;

use serde_json::{json, Value};

use crate::json_text::object;
use crate::names::{NameMap, Naming};
use crate::plan::Plan;
use crate::{ExportError, ExportOptions, ExportWarning, Exported, ExportedFile, Exporter};

pub use check::submit_problems;

/// The Argo exporter.
pub struct Argo;

/// The name of the exported file.
pub const FILE_NAME: &str = "workflow.yaml";

impl Exporter for Argo {
    fn export(&self, plan: &Plan, opts: &ExportOptions) -> Result<Exported, ExportError> {
        let (doc, warnings) = document(plan, opts)?;
        let text = crate::yaml::to_yaml(&doc);
        mlforge_syntax::drop_later::drop_later(doc);
        Ok(Exported {
            files: vec![ExportedFile {
                path: FILE_NAME.into(),
                text,
            }],
            warnings,
        })
    }
}

/// Names of everything the workflow names after the program.
pub(crate) struct Names {
    pub steps: NameMap,
    pub ops: NameMap,
    pub blocks: NameMap,
    pub params: NameMap,
    pub pipeline: String,
}

/// What the builders share.
pub(crate) struct Ctx<'a, 'p> {
    pub plan: &'a Plan<'p>,
    pub opts: &'a ExportOptions,
    pub names: Names,
    pub statics: statics::Statics<'p>,
    pub warnings: Vec<ExportWarning>,
    pub templates: Vec<Value>,
    /// The op templates the steps call, and what those steps need of them.
    pub op_uses: std::collections::BTreeMap<op::OpVariant, op::OpUse>,
}

/// The workflow document as a JSON value, and what it could not carry.
pub fn document(
    plan: &Plan,
    opts: &ExportOptions,
) -> Result<(Value, Vec<ExportWarning>), ExportError> {
    let program = plan.program;
    let names = Names {
        steps: NameMap::new(
            "step",
            Naming::Dns1123Label,
            plan.tasks.iter().map(|t| t.id()),
        )?,
        blocks: NameMap::new("block", Naming::Dns1123Label, plan.blocks.keys().copied())?,
        ops: NameMap::new(
            "op",
            Naming::Dns1123Label,
            program.ops.keys().map(String::as_str),
        )?,
        params: NameMap::new(
            "param",
            Naming::PythonIdentifier,
            plan.params.iter().map(|p| p.name.as_str()),
        )?,
        pipeline: Naming::Dns1123Label.apply(&program.pipeline),
    };
    let mut ctx = Ctx {
        plan,
        opts,
        statics: statics::Statics::new(plan)?,
        names,
        warnings: Vec::new(),
        templates: Vec::new(),
        op_uses: std::collections::BTreeMap::new(),
    };
    op_warnings(&mut ctx);
    let main = dag::level(&mut ctx, None)?;
    let mut templates = vec![main];
    templates.push(leaf::setup(&ctx)?);
    templates.append(&mut ctx.templates);
    for (variant, used) in &ctx.op_uses {
        templates.push(op::op_template(&ctx, variant, used)?);
    }
    // Templates in name order after the entrypoint and the setup: the file reads the same
    // whatever order the builders met them in.
    templates[2..].sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));

    let params = meta::params(&mut ctx)?;
    let mut spec = object([
        ("entrypoint", json!(keys::MAIN)),
        ("templates", Value::Array(templates)),
    ]);
    if !params.is_empty() {
        spec["arguments"] = object([("parameters", Value::Array(params))]);
    }
    let doc = meta::wrap(&mut ctx, spec)?;
    Ok((doc, ctx.warnings))
}

/// What an op asks of the machine it runs on that a pod's image decides instead.
fn op_warnings(ctx: &mut Ctx) {
    for op in ctx.plan.program.ops.values() {
        if !op.uses.is_empty() {
            ctx.warnings.push(
                ExportWarning::new(
                    "ARGO005",
                    format!(
                        "op `{}` lists files in `uses`; they are not shipped to the pods and their contents do not enter the memoization key, so put them in the image or pass them as artifacts",
                        op.name
                    ),
                )
                .at(&op.source),
            );
        }
        if let Some(python) = &op.python {
            ctx.warnings.push(
                ExportWarning::new(
                    "ARGO006",
                    format!("op `{}` names the interpreter {python:?}; in Argo the image's `python3` runs it, so pick an image with what it needs", op.name),
                )
                .at(&op.source),
            );
        }
        if !op.requires.is_empty() {
            ctx.warnings.push(
                ExportWarning::new(
                    "ARGO007",
                    format!(
                        "op `{}` requires {}; nothing checks that its image provides them before the run, so build or pick an image that does",
                        op.name,
                        op.requires.join(", ")
                    ),
                )
                .at(&op.source),
            );
        }
    }
}
