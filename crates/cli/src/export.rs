//! `mlforge export TARGET FILE`: compile a pipeline and write the file an orchestrator
//! runs (an Airflow DAG, a Kubeflow PipelineSpec, an Argo Workflow).

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use mlforge_analysis::items::select_pipeline;
use mlforge_export::{ExportOptions, Exported, Target};
use mlforge_ir::CompileError;

use crate::check::{load_root, print_problems};
use crate::error::{fail, CliError, CliResult};

#[derive(Clone, Copy, ValueEnum)]
pub enum TargetArg {
    /// An Airflow DAG file (Python) and the task runtime beside it.
    Airflow,
    /// A Kubeflow Pipelines v2 PipelineSpec (YAML).
    Kfp,
    /// An Argo Workflow (YAML).
    Argo,
}

impl From<TargetArg> for Target {
    fn from(t: TargetArg) -> Target {
        match t {
            TargetArg::Airflow => Target::Airflow,
            TargetArg::Kfp => Target::Kfp,
            TargetArg::Argo => Target::Argo,
        }
    }
}

#[derive(Args)]
pub struct ExportArgs {
    /// The orchestrator to export to.
    #[arg(value_enum)]
    target: TargetArg,
    /// The .mlf file that defines the pipeline.
    file: PathBuf,
    /// The pipeline to export; needed when the file defines several.
    #[arg(long)]
    pipeline: Option<String>,
    /// Where to write: a file (other files of the export go beside it) or an existing
    /// folder. Without it, a one-file export goes to standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// The shared data folder on the workers (the `MLFORGE_DATA` environment variable
    /// overrides it when a task runs).
    #[arg(long)]
    data_root: Option<String>,
    /// The container image for ops that name none (Kubeflow, Argo).
    #[arg(long)]
    image: Option<String>,
}

pub fn run(args: &ExportArgs) -> CliResult {
    let (db, file) = load_root(&args.file)?;
    let key = select_pipeline(&db, file, args.pipeline.as_deref())?;
    let program = match mlforge_ir::compile(&db, key) {
        Ok(program) => program,
        Err(CompileError::Invalid(_)) => {
            print_problems(&db, file);
            return Err(CliError::Problems);
        }
    };
    let mut opts = ExportOptions::default();
    if let Some(root) = &args.data_root {
        opts.data_root = root.clone();
    }
    if let Some(image) = &args.image {
        opts.default_image = image.clone();
    }
    opts.source_dir = std::path::absolute(&args.file)
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf));
    let exported = mlforge_export::export(&program, args.target.into(), &opts)
        .map_err(|e| CliError::Failed(e.to_string()))?;
    write(&exported, args.output.as_deref())?;
    for warning in &exported.warnings {
        eprintln!("{warning}");
    }
    // Exiting frees all of it, as in `ir`: freeing a big program piece by piece first
    // costs time for nothing.
    std::mem::forget((db, program, exported));
    Ok(())
}

/// Writes the export's files: to standard output when it is one file and no path is
/// given, else the main file at `output` (or into it, when a folder) and the rest beside.
fn write(exported: &Exported, output: Option<&Path>) -> CliResult {
    let Some(main) = exported.files.first() else {
        fail!("the export produced no file; please report this as a bug")
    };
    let Some(output) = output else {
        if exported.files.len() > 1 {
            let names: Vec<String> = exported
                .files
                .iter()
                .map(|f| f.path.display().to_string())
                .collect();
            fail!(
                "this export is {} files ({}); name a folder or the main file with -o",
                names.len(),
                names.join(", ")
            );
        }
        print!("{}", main.text);
        return Ok(());
    };
    let (folder, main_path) = if output.is_dir() {
        (output.to_path_buf(), output.join(&main.path))
    } else {
        let folder = output
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        (folder, output.to_path_buf())
    };
    for (i, file) in exported.files.iter().enumerate() {
        let path = if i == 0 {
            main_path.clone()
        } else {
            folder.join(&file.path)
        };
        std::fs::write(&path, &file.text)
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
    }
    Ok(())
}
