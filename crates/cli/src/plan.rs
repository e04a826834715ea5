//! `mlforge plan`: what `mlforge run` would do, without running anything: each step
//! cached, will run (and why), depends on a result not yet known, or skipped.

use std::path::PathBuf;

use clap::Args;
use mlforge_runner::events::instance_name;
use mlforge_runner::{PlanStatus, RunOptions};
use mlforge_store::Store;

use crate::error::CliResult;
use crate::run::{compile, parse_params, python, select, worded};
use crate::Format;

#[derive(Args)]
pub struct PlanArgs {
    /// The .mlf file that defines the pipeline (default: `main` in mlforge.toml).
    pub file: Option<PathBuf>,
    /// The pipeline to plan; needed when the file defines several.
    #[arg(long)]
    pub pipeline: Option<String>,
    /// A param value, `NAME=VALUE`, as for `mlforge run`.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Plan as `mlforge run --no-cache` would run.
    #[arg(long)]
    pub no_cache: bool,
    /// Plan as `mlforge run --only STEP` would run.
    #[arg(long, value_name = "STEP", conflicts_with = "from")]
    pub only: Option<String>,
    /// Plan as `mlforge run --from STEP` would run.
    #[arg(long, value_name = "STEP")]
    pub from: Option<String>,
    /// The Python interpreter a run would use (part of the cache key).
    #[arg(long, value_name = "PATH")]
    pub python: Option<String>,
    /// The store folder.
    #[arg(long, value_name = "DIR", default_value_os_t = crate::settings::default_store())]
    pub store: PathBuf,
    /// How to print the plan.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn run(args: &PlanArgs) -> CliResult {
    let params = parse_params(&args.params)?;
    let file = crate::settings::pipeline_file(args.file.as_deref())?;
    let (program, json) = compile(&file, args.pipeline.as_deref())?;
    let opened = match Store::open_read_only(&args.store) {
        Ok(Some(store)) => Ok(store),
        Ok(None) => Store::ephemeral(&args.store),
        Err(e) => Err(e),
    };
    let mut store =
        opened.map_err(|e| format!("cannot open the store `{}`: {e}", args.store.display()))?;
    let options = RunOptions {
        file: file.clone(),
        program_json: json,
        params,
        no_cache: args.no_cache,
        select: select(&args.only, &args.from),
        python: python(args.python.as_deref()),
        ..RunOptions::default()
    };
    let plan = mlforge_runner::plan(&program, &options, &mut store)
        .map_err(|e| worded(&e, options.select.as_ref()))?;
    match args.format {
        Format::Json => {
            println!(
                "{}",
                serde_json::to_string_pretty(&plan).expect("plans serialize")
            );
        }
        Format::Text => {
            let count = |s: PlanStatus| plan.entries.iter().filter(|e| e.status == s).count();
            println!(
                "plan for pipeline `{}` ({}): {} cached, {} will run, {} not yet known, {} skipped",
                plan.pipeline,
                file.display(),
                count(PlanStatus::Cached),
                count(PlanStatus::WillRun),
                count(PlanStatus::Unknown),
                count(PlanStatus::Skipped),
            );
            let names: Vec<String> = plan
                .entries
                .iter()
                .map(|e| instance_name(&e.step, e.element.as_deref().unwrap_or(&[])))
                .collect();
            let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
            for (entry, name) in plan.entries.iter().zip(&names) {
                println!(
                    "  {:<13}  {name:<width$}  {}",
                    entry.status.label(),
                    entry.note
                );
            }
        }
    }
    Ok(())
}
