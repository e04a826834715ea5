//! Exports a compiled pipeline (the IR) to the file an orchestrator runs: an Airflow DAG,
//! a Kubeflow Pipelines PipelineSpec or an Argo Workflow.
//!
//! Every target walks the same [`Plan`] (tasks, dependencies, the `for`/`if` block tree,
//! what each input reads), names things through [`names`], and reports what it cannot
//! express as [`ExportWarning`]s: nothing is dropped silently. Exports are deterministic:
//! the same program gives the same bytes.

mod airflow;
pub mod argo;
mod error;
mod json_text;
pub mod kfp;
pub mod names;
pub mod plan;
pub mod runtime;
mod warnings;
pub mod yaml;

use std::path::PathBuf;

pub use crate::error::ExportError;
pub use crate::plan::Plan;
pub use crate::warnings::ExportWarning;

/// An orchestrator a pipeline can be exported to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    Airflow,
    Kfp,
    Argo,
}

impl Target {
    pub const ALL: [Target; 3] = [Target::Airflow, Target::Kfp, Target::Argo];

    /// The target's name on the command line (`mlforge export airflow`).
    pub fn name(self) -> &'static str {
        match self {
            Target::Airflow => "airflow",
            Target::Kfp => "kfp",
            Target::Argo => "argo",
        }
    }

    /// The orchestrator's name, for people.
    pub fn title(self) -> &'static str {
        match self {
            Target::Airflow => "Airflow",
            Target::Kfp => "Kubeflow Pipelines",
            Target::Argo => "Argo Workflows",
        }
    }

    pub fn from_name(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// Choices the IR does not hold: where data lives on the workers, which image runs ops
/// that name none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportOptions {
    /// The shared folder that holds every step's files (`${…}` of artifacts become paths
    /// under it). At run time the `MLFORGE_DATA` environment variable, when set, wins.
    pub data_root: String,
    /// The container image for ops without `image` (Kubeflow, Argo).
    pub default_image: String,
    /// The folder of the `.mlf` file, absolute: artifact defaults (paths relative to it)
    /// are resolved against it. `None`: they stay relative to the worker's working folder.
    pub source_dir: Option<PathBuf>,
}

/// The environment variable that overrides [`ExportOptions::data_root`] on a worker.
pub const DATA_ENV: &str = "MLFORGE_DATA";

impl Default for ExportOptions {
    fn default() -> ExportOptions {
        ExportOptions {
            data_root: "/tmp/mlforge-data".into(),
            default_image: "python:3.12-slim".into(),
            source_dir: None,
        }
    }
}

/// One file of an export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportedFile {
    /// Relative to the folder the export is written into; the first file of an export
    /// is its main file (the DAG, the pipeline spec, the workflow).
    pub path: PathBuf,
    pub text: String,
}

/// What an export produced.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Exported {
    pub files: Vec<ExportedFile>,
    pub warnings: Vec<ExportWarning>,
}

/// One target's exporter. Each walks the plan; none re-derives structure from the IR.
pub trait Exporter {
    fn export(&self, plan: &Plan, opts: &ExportOptions) -> Result<Exported, ExportError>;
}

/// The exporter of `target`.
fn exporter(target: Target) -> &'static dyn Exporter {
    match target {
        Target::Airflow => &airflow::Airflow,
        Target::Kfp => &kfp::Kfp,
        Target::Argo => &argo::Argo,
    }
}

/// Exports `program` to `target`.
pub fn export(
    program: &mlforge_ir::Program,
    target: Target,
    opts: &ExportOptions,
) -> Result<Exported, ExportError> {
    let exporter = exporter(target);
    let plan = Plan::new(program)?;
    exporter.export(&plan, opts)
}
