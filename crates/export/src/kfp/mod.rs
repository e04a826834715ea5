//! Kubeflow Pipelines v2: a PipelineSpec (schemaVersion 2.1.0) and, when an op needs what
//! only it holds (a timeout, secrets), the Kubernetes platform document, in one YAML file
//! as the KFP SDK writes them. The mapping table is `crates/export/docs/kfp.md`.
//!
//! Every export is checked by [`check`] (references, types, wiring) before it is written:
//! nothing in KFP's own SDK checks those.

mod build;
mod cel;
pub mod check;
mod component;
mod inert;
pub mod launch;
mod types;
mod wiring;

use serde_json::Value;

use crate::{ExportError, ExportOptions, Exported, ExportedFile, Exporter, Plan};

/// The Kubeflow Pipelines exporter.
pub struct Kfp;

/// An export before it is written as YAML: what [`check`] and tests read.
#[derive(Debug)]
pub struct Documents {
    pub pipeline_spec: Value,
    /// The `PlatformSpec` document, when an executor needs one.
    pub platform_spec: Option<Value>,
    pub warnings: Vec<crate::ExportWarning>,
}

/// The export's documents, checked.
pub fn documents(plan: &Plan, opts: &ExportOptions) -> Result<Documents, ExportError> {
    let docs = build::build(plan, opts)?;
    passes_checks(
        plan,
        check::check(&docs.pipeline_spec, docs.platform_spec.as_ref()),
    )?;
    Ok(docs)
}

/// The error when the export's own checks found `problems`.
fn passes_checks(plan: &Plan, problems: Vec<String>) -> Result<(), ExportError> {
    if problems.is_empty() {
        return Ok(());
    }
    Err(ExportError::BadIr(format!(
        "the Kubeflow export of `{}` failed its own checks: {}",
        plan.program.pipeline,
        problems.join("; ")
    )))
}

impl Exporter for Kfp {
    fn export(&self, plan: &Plan, opts: &ExportOptions) -> Result<Exported, ExportError> {
        let docs = build::build(plan, opts)?;
        // The checks and the YAML only read the documents: each gets a core, and the text
        // is used only when the checks pass.
        let (problems, text) = std::thread::scope(|scope| {
            let checks =
                scope.spawn(|| check::check(&docs.pipeline_spec, docs.platform_spec.as_ref()));
            let text = yaml_text(plan, &docs);
            (checks.join().expect("the checks do not panic"), text)
        });
        passes_checks(plan, problems)?;
        let Documents {
            pipeline_spec,
            platform_spec,
            warnings,
        } = docs;
        mlforge_syntax::drop_later::drop_later((pipeline_spec, platform_spec));
        Ok(Exported {
            files: vec![ExportedFile {
                path: format!("{}.yaml", build::pipeline_name(&plan.program.pipeline)).into(),
                text,
            }],
            warnings,
        })
    }
}

/// The file's text: a comment naming the pipeline, the PipelineSpec and, when there is one,
/// the platform document.
fn yaml_text(plan: &Plan, docs: &Documents) -> String {
    let mut text = format!(
        "# Kubeflow Pipelines v2 PipelineSpec of the MLForge pipeline `{}` ({}), made by `mlforge export kfp`.\n",
        plan.program.pipeline.escape_debug(),
        plan.program.file.escape_debug()
    );
    text.push_str(&crate::yaml::to_yaml(&docs.pipeline_spec));
    if let Some(platform) = &docs.platform_spec {
        text.push_str("---\n");
        text.push_str(&crate::yaml::to_yaml(platform));
    }
    text
}
