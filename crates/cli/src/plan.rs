//! `mlforge plan`: what `mlforge run` would do, without running anything: each step
//! cached, will run (and why), depends on a result not yet known, or skipped.

use std::path::PathBuf;

use clap::Args;
use mlforge_runner::events::instance_name;
use mlforge_runner::{PlanStatus, RunOptions};
use mlforge_store::{RunFilter, Store};

use crate::error::CliResult;
use crate::run::{chosen_python, compile, params_file, parse_params, select, worded};
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
    /// A params file, as for `mlforge run`.
    #[arg(long = "params", value_name = "FILE")]
    pub params_file: Option<PathBuf>,
    /// Plan as `mlforge run --no-cache` would run.
    #[arg(long)]
    pub no_cache: bool,
    /// Plan as `mlforge run --only STEP` would run.
    #[arg(long, value_name = "STEP", conflicts_with = "from")]
    pub only: Option<String>,
    /// Plan as `mlforge run --from STEP` would run.
    #[arg(long, value_name = "STEP")]
    pub from: Option<String>,
    /// The Python interpreter a run would use (part of the cache key). Default: $MLFORGE_PYTHON,
    /// else `python` in mlforge.toml, else the one the pipeline's latest run used, else python3.
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
    // A plan records nothing, so the program is not serialized for the store; and exiting
    // frees the analysis (as in `check`), faster than freeing it piece by piece.
    let (program, analysis) = compile(&file, args.pipeline.as_deref())?;
    std::mem::forget(analysis);
    let params_file = params_file(args.params_file.as_deref(), false)?;
    let opened = match Store::open_read_only(&args.store) {
        Ok(Some(store)) => Ok(store),
        Ok(None) => Store::ephemeral(&args.store),
        Err(e) => Err(e),
    };
    let mut store =
        opened.map_err(|e| format!("cannot open the store `{}`: {e}", args.store.display()))?;
    // With no interpreter chosen, plan as the latest run ran: a run given `--python` would
    // otherwise show every Python step as changed.
    let (python, python_origin) = match chosen_python(args.python.as_deref()) {
        Some(python) => (python, None),
        None => match latest_python(&store, &program.pipeline) {
            Some((python, run)) => (python, Some(format!("as run {run} used"))),
            None => ("python3".to_string(), None),
        },
    };
    let options = RunOptions {
        file: file.clone(),
        params,
        params_file,
        no_cache: args.no_cache,
        select: select(&args.only, &args.from),
        python: python.clone(),
        project_root: Some(crate::settings::project_root_of(&file)),
        ..RunOptions::default()
    };
    let plan = mlforge_runner::plan(&program, &options, &mut store)
        .map_err(|e| worded(&e, options.select.as_ref()))?;
    if matches!(args.format, Format::Json) {
        // Streamed through one buffer: a 5,000-step plan's JSON is never held whole.
        let outcome = crate::check::emit_streamed(None, |out| {
            serde_json::to_writer_pretty(&mut *out, &plan)?;
            out.write_all(b"\n")
        });
        std::mem::forget((program, plan));
        return outcome;
    }
    // One write for the whole answer: a 5,000-step plan is 5,000 lines, and standard output
    // writes line by line.
    let mut out = String::new();
    let count = |s: PlanStatus| plan.entries.iter().filter(|e| e.status == s).count();
    out.push_str(&format!(
        "plan for pipeline `{}` ({}): {} cached, {} will run, {} not yet known, {} skipped\n",
        plan.pipeline,
        file.display(),
        count(PlanStatus::Cached),
        count(PlanStatus::WillRun),
        count(PlanStatus::Unknown),
        count(PlanStatus::Skipped),
    ));
    if let Some(origin) = &python_origin {
        out.push_str(&format!(
            "  (python bodies planned with {python}, {origin}; --python plans with another)\n"
        ));
    }
    let names: Vec<String> = plan
        .entries
        .iter()
        .map(|e| instance_name(&e.step, e.element.as_deref().unwrap_or(&[])))
        .collect();
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    for (entry, name) in plan.entries.iter().zip(&names) {
        out.push_str(&format!(
            "  {:<13}  {name:<width$}  {}\n",
            entry.status.label(),
            entry.note
        ));
    }
    print!("{out}");
    std::mem::forget((program, plan, out));
    Ok(())
}

/// The interpreter the latest run of `pipeline` used, and that run's number.
fn latest_python(store: &Store, pipeline: &str) -> Option<(String, i64)> {
    let run = store
        .lineage
        .runs(&RunFilter {
            pipeline: Some(pipeline.to_string()),
            limit: Some(1),
            ..RunFilter::default()
        })
        .ok()?
        .into_iter()
        .next()?;
    let python = run.options.get("python")?.as_str()?.to_string();
    Some((python, run.id))
}
