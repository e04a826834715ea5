//! `mlforge run`: compile a pipeline, run it with the local runner, record it in the
//! store, and report (progress on a terminal, plain lines otherwise, JSON events on
//! request), and with `--mlflow` mirror the ended run to MLflow. Exit 0 when the run
//! succeeded, 1 when a step failed or the run was cancelled (or, with `--mlflow`, the
//! mirror failed), 2 on bad usage.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use mlforge_analysis::items::select_pipeline;
use mlforge_analysis::RootDatabase;
use mlforge_ir::{CompileError, Program};
use mlforge_runner::events::instance_name;
use mlforge_runner::{ParamsFile, RunError, RunOptions, Select};
use mlforge_store::{RunStatus, Store};

use crate::check::{load_root, print_problems};
use crate::error::{fail, CliError, CliResult};
use crate::run_events::{totals, JsonLines, PlainLines, Progress};
use crate::runs;

#[derive(Args)]
pub struct RunArgs {
    /// The .mlf file that defines the pipeline (default: `main` in mlforge.toml).
    pub file: Option<PathBuf>,
    /// The pipeline to run; needed when the file defines several.
    #[arg(long)]
    pub pipeline: Option<String>,
    /// A param value, `NAME=VALUE` (lists as JSON: `rates=[0.1,1]`; artifacts as paths).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// A params file (YAML, JSON or TOML) giving params by name (default: `params` in
    /// mlforge.toml); a --param wins over it.
    #[arg(long = "params", value_name = "FILE", conflicts_with = "resume")]
    pub params_file: Option<PathBuf>,
    /// Steps to run at once (default: `jobs` in mlforge.toml, else the number of cores).
    #[arg(long, short)]
    pub jobs: Option<usize>,
    /// Run every step, even those with a cached result.
    #[arg(long)]
    pub no_cache: bool,
    /// Run only this step; what it reads comes from the cache or the latest run.
    #[arg(long, value_name = "STEP", conflicts_with = "from")]
    pub only: Option<String>,
    /// Run this step and everything downstream of it; the rest comes from the cache or the
    /// latest run.
    #[arg(long, value_name = "STEP")]
    pub from: Option<String>,
    /// Resume a run: reuse what succeeded in it, run the rest (with the same params).
    #[arg(long, value_name = "RUN", conflicts_with_all = ["only", "from"])]
    pub resume: Option<i64>,
    /// Print one JSON event per line on standard output (see the runner's EVENTS.md).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub events: Option<EventsFormat>,
    /// The Python interpreter for `python` bodies (default: $MLFORGE_PYTHON, else `python` in
    /// mlforge.toml, else python3).
    #[arg(long, value_name = "PATH")]
    pub python: Option<String>,
    /// The store folder (lineage database and artifacts).
    #[arg(long, value_name = "DIR", default_value_os_t = crate::settings::default_store())]
    pub store: PathBuf,
    /// After a successful run, copy the pipeline's outputs to DIR/<output name> (replacing
    /// what an earlier publish left there, and saying so).
    #[arg(long, value_name = "DIR")]
    pub publish: Option<PathBuf>,
    /// When the run has ended, mirror it (params, metrics, tags, artifact list) to this MLflow
    /// tracking server, like http://127.0.0.1:5000. Steps get it as MLFLOW_TRACKING_URI
    /// (and the experiment as MLFLOW_EXPERIMENT_NAME).
    #[arg(long, value_name = "URI")]
    pub mlflow: Option<String>,
    /// The MLflow experiment (default: the pipeline's name).
    #[arg(long, value_name = "NAME", requires = "mlflow")]
    pub mlflow_experiment: Option<String>,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum EventsFormat {
    /// One JSON object per line.
    Json,
}

/// Compiles the pipeline, or says why it cannot (problems printed to standard error). The
/// analysis comes back too, for the caller to free or not (see `plan`).
pub fn compile(file: &Path, pipeline: Option<&str>) -> CliResult<(Program, RootDatabase)> {
    let (db, root) = load_root(file)?;
    let key = select_pipeline(&db, root, pipeline)?;
    match mlforge_ir::compile(&db, key) {
        Ok(program) => Ok((program, db)),
        Err(CompileError::Invalid(_)) => {
            print_problems(&db, root);
            Err(CliError::Problems)
        }
    }
}

/// Whether some step runs inside a `for` (then counts are of step instances).
pub fn has_loops(program: &Program) -> bool {
    program
        .blocks
        .values()
        .any(|b| matches!(b, mlforge_ir::Block::For { .. }))
}

/// `--only STEP` or `--from STEP` (clap lets only one through).
pub fn select(only: &Option<String>, from: &Option<String>) -> Option<Select> {
    match (only, from) {
        (Some(step), _) => Some(Select::Only(step.clone())),
        (None, Some(step)) => Some(Select::From(step.clone())),
        (None, None) => None,
    }
}

/// A runner error as a sentence for the command line: with the flag to change where the
/// runner's own words name none.
pub fn worded(error: &RunError, select: Option<&Select>) -> String {
    match (error, select) {
        (RunError::ResumeWithParams { .. }, _) => {
            "--resume runs with the params of the run it resumes; drop --param and --params".into()
        }
        (RunError::ParamTwice(name), _) => format!("--param {name} is given twice"),
        (RunError::ParamMissing { name, ty, artifact }, _) => {
            let what = if *artifact { "PATH" } else { "VALUE" };
            format!(
                "param `{name}` ({ty}) needs a value: add --param {name}={what}, or give it in a params file (--params FILE)"
            )
        }
        (RunError::NoEarlierResult { step }, Some(select)) => {
            let flag = match select {
                Select::Only(_) => "--only",
                Select::From(_) => "--from",
            };
            format!(
                "{flag} needs the results of `{step}`, which has none recorded whose artifacts are still in the store and sound; run the pipeline without {flag} first"
            )
        }
        (other, _) => other.to_string(),
    }
}

/// The params file: the one named, else the project's (not for `--resume`, which takes the
/// params of the run it resumes).
pub fn params_file(flag: Option<&Path>, resume: bool) -> CliResult<Option<ParamsFile>> {
    let path = match flag {
        Some(path) => path.to_path_buf(),
        None if resume => return Ok(None),
        None => match crate::settings::params_file() {
            Some(path) => path,
            None => return Ok(None),
        },
    };
    ParamsFile::read(&path)
        .map(Some)
        .map_err(|e| CliError::Failed(e.to_string()))
}

/// `NAME=VALUE` pairs.
pub fn parse_params(params: &[String]) -> CliResult<Vec<(String, String)>> {
    params
        .iter()
        .map(|p| match p.split_once('=') {
            Some((name, value)) if !name.trim().is_empty() => {
                Ok((name.trim().to_string(), value.to_string()))
            }
            _ => Err(CliError::Failed(format!(
                "--param takes NAME=VALUE, got `{p}`"
            ))),
        })
        .collect()
}

/// The Python interpreter: the flag, else $MLFORGE_PYTHON, else the project's, else
/// python3. A relative path (`.venv/bin/python`) is made absolute: steps run in their own
/// folders.
pub fn python(flag: Option<&str>) -> String {
    chosen_python(flag).unwrap_or_else(|| "python3".to_string())
}

/// The interpreter the flag, $MLFORGE_PYTHON or the project names; `None` when none does.
pub fn chosen_python(flag: Option<&str>) -> Option<String> {
    let chosen = flag
        .map(str::to_string)
        .or_else(|| {
            std::env::var("MLFORGE_PYTHON")
                .ok()
                .filter(|p| !p.is_empty())
        })
        .or_else(crate::settings::python)?;
    let path = Path::new(&chosen);
    if chosen.contains('/') && path.is_relative() {
        if let Ok(dir) = std::env::current_dir() {
            return Some(dir.join(path).display().to_string());
        }
    }
    Some(chosen)
}

pub fn run(args: &RunArgs) -> CliResult {
    let params = parse_params(&args.params)?;
    if args.jobs == Some(0) {
        fail!("--jobs must be at least 1");
    }
    let file = crate::settings::pipeline_file(args.file.as_deref())?;
    // Only when asked: a run never touches the network otherwise (MLFLOW_TRACKING_URI
    // alone does not count, since it is often set for other tools).
    let mlflow = match &args.mlflow {
        Some(uri) => Some(runs::mlflow_target(uri, args.mlflow_experiment.as_deref())?),
        None => None,
    };
    let (program, analysis) = compile(&file, args.pipeline.as_deref())?;
    // A run may last long: the analysis is not needed any more.
    drop(analysis);
    // The run records the program it ran.
    let json = mlforge_ir::to_json(&program);
    let params_file = params_file(args.params_file.as_deref(), args.resume.is_some())?;
    let mut store = Store::open(&args.store)
        .map_err(|e| format!("cannot open the store `{}`: {e}", args.store.display()))?;
    let defaults = RunOptions::default();
    let options = RunOptions {
        file: file.clone(),
        program_json: json,
        params,
        params_file,
        jobs: crate::settings::jobs(args.jobs).unwrap_or(defaults.jobs),
        no_cache: args.no_cache,
        select: select(&args.only, &args.from),
        resume: args.resume,
        python: python(args.python.as_deref()),
        project_root: Some(crate::settings::project_root_of(&file)),
        handle_signals: true,
        step_env: mlflow
            .as_ref()
            .map(|t| mlflow_env(t, &program))
            .unwrap_or_default(),
        ..defaults
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let json_events = args.events == Some(EventsFormat::Json);
    let result = if json_events {
        let mut sink = JsonLines::new();
        runtime.block_on(mlforge_runner::run(
            &program, &options, &mut store, &mut sink,
        ))
    } else if std::io::stderr().is_terminal() {
        let mut sink = Progress::new(has_loops(&program));
        let result = runtime.block_on(mlforge_runner::run(
            &program, &options, &mut store, &mut sink,
        ));
        sink.finish();
        result
    } else {
        let mut sink = PlainLines;
        runtime.block_on(mlforge_runner::run(
            &program, &options, &mut store, &mut sink,
        ))
    };
    // Steps killed on cancellation are gone; do not wait for stray tasks.
    runtime.shutdown_background();
    let report = result.map_err(|e| worded(&e, options.select.as_ref()))?;
    let seconds = report.duration_ms as f64 / 1000.0;
    let summary = totals(&report.counts, has_loops(&program));
    for failure in &report.failures {
        let name = instance_name(&failure.step, failure.element.as_deref().unwrap_or(&[]));
        eprintln!(
            "\nerror: step `{name}` failed (attempt {}): {}",
            failure.attempt, failure.error
        );
        if !failure.log_tail.is_empty() {
            eprintln!("  last lines of its log:");
            for line in &failure.log_tail {
                eprintln!("  | {line}");
            }
        }
        let uses = program
            .steps
            .iter()
            .find(|s| s.id == failure.step)
            .and_then(|s| program.ops.get(&s.op))
            .map(|op| op.uses.as_slice())
            .unwrap_or_default();
        if let Some(hint) =
            mlforge_runner::hints::missing_module_hint(&failure.log_tail, &failure.python, uses)
        {
            eprintln!("  hint: {hint}");
        }
        if let Some(log) = &failure.log_path {
            eprintln!("  log: {}", log.display());
        }
        if let Some(dir) = &failure.work_dir {
            eprintln!("  attempt folder (kept): {}", dir.display());
        }
    }
    let mut resume = format!("mlforge run {}", file.display());
    if let Some(pipeline) = &args.pipeline {
        resume.push_str(&format!(" --pipeline {pipeline}"));
    }
    if args.store != crate::settings::default_store() {
        resume.push_str(&format!(" --store {}", args.store.display()));
    }
    resume.push_str(&format!(" --resume {}", report.run_id));
    let id = report.run_id;
    let outcome = match report.status {
        RunStatus::Succeeded => {
            eprintln!("run {id} succeeded in {seconds:.2}s: {summary}");
            match &args.publish {
                Some(dir) => publish(&program, &report.outputs, &store, dir),
                None => Ok(()),
            }
        }
        RunStatus::Cancelled => {
            if let Some(dir) = &args.publish {
                eprintln!(
                    "nothing published to {}: the run was cancelled",
                    dir.display()
                );
            }
            eprintln!("run {id} cancelled after {seconds:.2}s: {summary}; resume with: {resume}");
            Err(CliError::Problems)
        }
        _ => {
            if let Some(dir) = &args.publish {
                eprintln!(
                    "nothing published to {}: the run did not succeed",
                    dir.display()
                );
            }
            if let Some(error) = &report.error {
                eprintln!("error: {}", worded(error, options.select.as_ref()));
            }
            eprintln!("run {id} failed after {seconds:.2}s: {summary}; resume with: {resume}");
            Err(CliError::Problems)
        }
    };
    let Some(target) = mlflow else {
        return outcome;
    };
    match runs::mirror_run(&store.lineage, id, &target) {
        Ok(()) => outcome,
        Err(message) => {
            eprintln!("error: {message}");
            let mut retry = format!("mlforge runs mirror {id} --mlflow {}", target.uri);
            if let Some(experiment) = &target.experiment {
                retry.push_str(&format!(" --mlflow-experiment '{experiment}'"));
            }
            if args.store != crate::settings::default_store() {
                retry.push_str(&format!(" --store {}", args.store.display()));
            }
            eprintln!("  run {id} is recorded; mirror it later with: {retry}");
            // The run's own failure decides the exit status; a mirror failure alone makes
            // it 1, since the user asked for the mirror.
            Err(CliError::Problems)
        }
    }
}

/// With `--mlflow`, steps reach the same server and experiment as the mirror: MLflow's
/// own client (as the ops of `std/mlflow` use it) reads these variables. Credentials
/// (`MLFLOW_TRACKING_TOKEN`, …) come from the environment the run inherits.
fn mlflow_env(
    target: &mlforge_mlflow::Target,
    program: &Program,
) -> std::collections::BTreeMap<String, String> {
    let experiment = target
        .experiment
        .clone()
        .unwrap_or_else(|| program.pipeline.clone());
    [
        ("MLFLOW_TRACKING_URI".to_string(), target.uri.clone()),
        ("MLFLOW_EXPERIMENT_NAME".to_string(), experiment),
    ]
    .into()
}

/// `--publish DIR`: the pipeline's outputs copied out, each said on standard error.
fn publish(program: &Program, outputs: &serde_json::Value, store: &Store, dir: &Path) -> CliResult {
    use mlforge_runner::publish::Published;
    let published = mlforge_runner::publish::publish(program, outputs, &store.artifacts, dir)?;
    if published.is_empty() {
        eprintln!(
            "nothing to publish: pipeline `{}` declares no outputs (`output NAME = …`)",
            program.pipeline
        );
    }
    for item in published {
        match item {
            Published::Written {
                name,
                path,
                replaced,
            } => {
                let replaced = if replaced {
                    " (replacing what was there)"
                } else {
                    ""
                };
                eprintln!("published `{name}` to {}{replaced}", path.display());
            }
            Published::Absent { name, why } => {
                eprintln!("not published: `{name}`: {why}");
            }
        }
    }
    Ok(())
}
