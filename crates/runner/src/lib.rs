//! MLForge's local runner: executes a compiled pipeline ([`mlforge_ir::Program`]) with
//! tokio, content-addressed caching and a lineage record of everything it does.
//!
//! - [`run`] executes a program: steps in parallel up to `jobs`, `for` fan-out and fan-in
//!   and `if` conditions decided at run time, retries with back-off, timeouts and Ctrl-C
//!   that kill whole process groups. Every state change is a transaction in the lineage
//!   store; every output is an object in the artifact store.
//! - [`plan`] says, without running anything, what a run would do and why.
//! - Events ([`events::Event`]) report progress; `EVENTS.md` documents their JSON form.

pub mod body;
mod contain;
mod engine;
mod error;
pub mod events;
pub mod exec;
mod function;
pub mod hints;
pub mod key;
pub mod log;
mod mask;
pub mod metrics;
mod params;
pub mod params_file;
pub mod preflight;
mod provenance;
pub mod publish;
pub use mlforge_body::quote;
mod reaper;
pub mod value;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mlforge_ir::Program;
use mlforge_store::{now_ms, sha256_hex, Change, NewArtifact, NewRun, RunStatus, Store};
use serde::Serialize;

use crate::engine::{analyze, expr_params, Engine, Mode, Settings, StepInfo};
pub use crate::error::{MissingRequirement, RunError};
use crate::events::{Counts, Element, Envelope, Event, EventSink};
use crate::exec::{Executor, Processes};
pub use crate::params_file::ParamsFile;

/// How to run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The `.mlf` file (for its hash and the git commit), as given.
    pub file: PathBuf,
    /// The IR JSON of `program` (recorded with the run).
    pub program_json: String,
    /// `--param NAME=VALUE`, as given (these win over the params file).
    pub params: Vec<(String, String)>,
    /// A params file (`--params FILE`, or the project's `params` setting).
    pub params_file: Option<ParamsFile>,
    /// Steps run at once.
    pub jobs: usize,
    /// Run every step even when a cached result exists.
    pub no_cache: bool,
    /// Run only some steps (the others' results come from the cache or the latest run).
    pub select: Option<Select>,
    /// Resume this run: what succeeded in it is reused, the rest runs.
    pub resume: Option<i64>,
    /// The Python interpreter (ops may name their own).
    pub python: String,
    /// The project root: the folder of the nearest `mlforge.toml` above the file, else the
    /// file's own folder. Python bodies import from it.
    pub project_root: Option<PathBuf>,
    /// Delay before the first retry (doubling each time, at most 30 s).
    pub retry_base: Duration,
    /// Cancel on SIGINT and SIGTERM.
    pub handle_signals: bool,
    /// Variables every step's environment gets besides the runner's own (an op's `env`
    /// wins over them). They never enter a cache key: `--mlflow` sets
    /// `MLFLOW_TRACKING_URI` and `MLFLOW_EXPERIMENT_NAME` here, and a step logged to one
    /// server is the same work as one logged to another.
    pub step_env: BTreeMap<String, String>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            file: PathBuf::new(),
            program_json: String::new(),
            params: Vec::new(),
            params_file: None,
            jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
            no_cache: false,
            select: None,
            resume: None,
            python: "python3".into(),
            project_root: None,
            retry_base: Duration::from_millis(500),
            handle_signals: false,
            step_env: BTreeMap::new(),
        }
    }
}

/// A step that failed.
#[derive(Clone, Debug, Serialize)]
pub struct Failure {
    pub step: String,
    pub element: Option<Element>,
    pub attempt: u32,
    pub error: String,
    /// Absent when the step failed before its process started (an input that could not be
    /// evaluated, such as a missing dict key).
    pub log_path: Option<PathBuf>,
    pub log_tail: Vec<String>,
    /// The attempt's folder, kept for inspection; absent as `log_path` is.
    pub work_dir: Option<PathBuf>,
    /// The Python that ran the step's python bodies (its op's own, or the run's).
    pub python: String,
}

/// How a run ended.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    pub run_id: i64,
    pub status: RunStatus,
    pub counts: Counts,
    pub failures: Vec<Failure>,
    /// A reason that is not one step's failure.
    #[serde(serialize_with = "as_text")]
    pub error: Option<RunError>,
    pub duration_ms: u64,
    pub outputs: serde_json::Value,
}

fn as_text<S: serde::Serializer>(error: &Option<RunError>, s: S) -> Result<S::Ok, S::Error> {
    match error {
        Some(e) => s.collect_str(e),
        None => s.serialize_none(),
    }
}

/// What `plan` says about one step instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    Cached,
    WillRun,
    /// Depends on a result not yet known (a step that will run).
    Unknown,
    Skipped,
}

impl PlanStatus {
    pub fn label(self) -> &'static str {
        match self {
            PlanStatus::Cached => "cached",
            PlanStatus::WillRun => "will run",
            PlanStatus::Unknown => "not yet known",
            PlanStatus::Skipped => "skipped",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct PlanEntry {
    pub step: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub element: Option<Element>,
    pub status: PlanStatus,
    /// For steps that will run: which parts of the cache key changed.
    pub changes: Vec<Change>,
    /// Why, for people.
    pub note: String,
}

/// What a run would do.
#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    pub pipeline: String,
    pub entries: Vec<PlanEntry>,
}

/// `30s`, `2m`, `1h 30m`.
pub fn describe_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs == 0 {
        return format!("{} ms", d.as_millis());
    }
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h}h"));
    }
    if m > 0 {
        parts.push(format!("{m}m"));
    }
    if s > 0 {
        parts.push(format!("{s}s"));
    }
    parts.join(" ")
}

/// Which steps a run runs, when not all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Select {
    /// This step alone.
    Only(String),
    /// This step and everything downstream of it.
    From(String),
}

fn steps_named(steps: &[StepInfo], name: &str, pipeline: &str) -> Result<usize, RunError> {
    steps
        .iter()
        .position(|s| s.id == name)
        .ok_or_else(|| RunError::UnknownStep {
            pipeline: pipeline.to_string(),
            step: name.to_string(),
            known: steps.iter().map(|s| s.id.clone()).take(20).collect(),
            more: steps.len() > 20,
        })
}

/// The steps a selection runs, and the steps they need.
type Selection = (Option<HashSet<usize>>, Option<HashSet<usize>>);

/// Selected steps and the steps they need.
fn selection(
    program: &Program,
    steps: &[StepInfo],
    options: &RunOptions,
) -> Result<Selection, RunError> {
    let selected = match &options.select {
        Some(Select::Only(name)) => HashSet::from([steps_named(steps, name, &program.pipeline)?]),
        Some(Select::From(name)) => {
            let i = steps_named(steps, name, &program.pipeline)?;
            let mut set = HashSet::from([i]);
            let mut todo = vec![i];
            while let Some(s) = todo.pop() {
                let mut next: Vec<usize> = steps[s].dependents.clone();
                for block in &steps[s].block_dependents {
                    next.extend(
                        steps
                            .iter()
                            .filter(|t| t.scope.contains(block))
                            .map(|t| t.index),
                    );
                }
                for n in next {
                    if set.insert(n) {
                        todo.push(n);
                    }
                }
            }
            set
        }
        None => return Ok((None, None)),
    };
    let mut needed = selected.clone();
    let mut todo: Vec<usize> = selected.iter().copied().collect();
    while let Some(s) = todo.pop() {
        for &u in &steps[s].upstream {
            if needed.insert(u) {
                todo.push(u);
            }
        }
    }
    Ok((Some(selected), Some(needed)))
}

/// The params a run cannot do without: all of them, or with `--only`/`--from` those the
/// steps that run and the blocks read (the other steps' results are reused whatever their
/// params would be).
fn demanded_params(
    program: &Program,
    selected: &Option<HashSet<usize>>,
) -> Option<HashSet<String>> {
    let selected = selected.as_ref()?;
    let mut names = Vec::new();
    for &i in selected {
        for binding in &program.steps[i].bindings {
            if let mlforge_ir::BindingValue::Given { expr } = &binding.value {
                expr_params(expr, &mut names);
            }
        }
    }
    for block in program.blocks.values() {
        for expr in block.exprs() {
            expr_params(expr, &mut names);
        }
    }
    Some(names.into_iter().collect())
}

/// Resolves the params of a run or a plan from the options.
fn resolve_params(
    program: &Program,
    options: &RunOptions,
    selected: &Option<HashSet<usize>>,
    store: &Store,
    copy: bool,
) -> Result<params::Params, RunError> {
    let demanded = demanded_params(program, selected);
    let is_demanded = |name: &str| demanded.as_ref().is_none_or(|d| d.contains(name));
    let given = params::Given {
        texts: &options.params,
        file: options.params_file.as_ref(),
        program_dir: options.file.parent().unwrap_or(Path::new("")),
        demanded: &is_demanded,
    };
    let import = params::Import {
        artifacts: &store.artifacts,
        lineage: &store.lineage,
        copy,
    };
    let mut params = params::resolve(program, &given, &import)?;
    params::import_literals(program, given.program_dir, &import, &mut params)?;
    Ok(params)
}

/// The project root as the steps' folders see it: absolute.
fn absolute_root(options: &RunOptions) -> Option<PathBuf> {
    options
        .project_root
        .as_ref()
        .map(|root| root.canonicalize().unwrap_or_else(|_| root.clone()))
}

/// Runs a program, recording it in `store` and reporting to `sink`.
pub async fn run(
    program: &Program,
    options: &RunOptions,
    store: &mut Store,
    sink: &mut dyn EventSink,
) -> Result<RunReport, RunError> {
    run_with(program, options, store, sink, Arc::new(Processes)).await
}

/// [`run`] with the attempts run by `executor`.
pub async fn run_with(
    program: &Program,
    options: &RunOptions,
    store: &mut Store,
    sink: &mut dyn EventSink,
    executor: Arc<dyn Executor>,
) -> Result<RunReport, RunError> {
    let started = Instant::now();
    let (steps, blocks) = analyze(program).map_err(RunError::Invalid)?;
    let (selected, needed) = selection(program, &steps, options)?;
    // Secrets, `uses` and `requires`: before anything is recorded or run.
    let checked = preflight::check(program, &options.python, true)?;
    let root = store
        .root()
        .canonicalize()
        .map_err(|e| RunError::StoreFolder {
            path: store.root().display().to_string(),
            source: Arc::new(e),
        })?;

    // Params: as given, or as the resumed run had them.
    let mut resume = HashMap::new();
    let params = match options.resume {
        Some(previous) => {
            if !options.params.is_empty() || options.params_file.is_some() {
                return Err(RunError::ResumeWithParams { run: previous });
            }
            let record = store
                .lineage
                .run(previous)
                .map_err(RunError::store("read the run to resume"))?
                .ok_or(RunError::NoRunToResume(previous))?;
            if record.pipeline != program.pipeline {
                return Err(RunError::ResumeOtherPipeline {
                    run: previous,
                    ran: record.pipeline,
                    wanted: program.pipeline.clone(),
                });
            }
            // The folders its attempts left (it was killed, or failed) are of no more use.
            if !store
                .run_is_running(previous)
                .map_err(RunError::store("read the run to resume"))?
            {
                let folder = root.join("work").join(previous.to_string());
                if folder.exists() {
                    exec::discard_later(vec![folder], &root.join("trash"));
                }
            }
            for attempt in store
                .lineage
                .attempts(previous)
                .map_err(RunError::store("read the run to resume"))?
            {
                if attempt.status.has_outputs() {
                    resume.insert((attempt.step.clone(), attempt.element.clone()), attempt);
                }
            }
            let mut params =
                params::from_record(program, &record.params, &store.artifacts, &store.lineage)?;
            let import = params::Import {
                artifacts: &store.artifacts,
                lineage: &store.lineage,
                copy: true,
            };
            let program_dir = options.file.parent().unwrap_or(Path::new(""));
            params::import_literals(program, program_dir, &import, &mut params)?;
            params
        }
        None => resolve_params(program, options, &selected, store, true)?,
    };

    let file_hash = std::fs::read(&options.file)
        .map(|bytes| sha256_hex(&bytes))
        .unwrap_or_default();
    let program_hash = sha256_hex(options.program_json.as_bytes());
    let uuid = provenance::uuid_v4();
    let user = provenance::user();
    let host = mlforge_store::host_name();
    let git = provenance::git_commit(options.file.parent().unwrap_or(Path::new(".")));
    let run_options = serde_json::json!({
        "jobs": options.jobs,
        "no_cache": options.no_cache,
        "only": match &options.select {
            Some(Select::Only(step)) => Some(step),
            _ => None,
        },
        "from": match &options.select {
            Some(Select::From(step)) => Some(step),
            _ => None,
        },
        "resume": options.resume,
        "python": options.python,
    });
    let file_label = options.file.display().to_string();
    let run_id = store
        .lineage
        .write(|w| {
            for import in &params.imports {
                w.add_artifact(&NewArtifact {
                    hash: &import.stored.hash,
                    kind: import.stored.kind,
                    size: import.stored.size,
                    type_name: &import.type_name,
                    name: import.name.as_deref(),
                    produced_by: None,
                })?;
            }
            let run_id = w.begin_run(&NewRun {
                uuid: &uuid,
                pipeline: &program.pipeline,
                file: &file_label,
                file_hash: &file_hash,
                program_hash: &program_hash,
                program_json: &options.program_json,
                params: &params.json,
                options: &run_options,
                resumed_from: options.resume,
                started_ms: now_ms(),
                user: user.as_deref(),
                host: host.as_deref(),
                pid: Some(std::process::id() as i64),
                git_commit: git.as_deref(),
            })?;
            for import in &params.imports {
                w.add_run_input(
                    run_id,
                    &import.param,
                    &import.position,
                    &import.stored.hash,
                    &import.source,
                )?;
            }
            Ok(run_id)
        })
        .map_err(RunError::store("record the run's start"))?;

    sink.emit(&Envelope {
        event: &Event::RunStarted {
            uuid: uuid.clone(),
            pipeline: program.pipeline.clone(),
            file: file_label.clone(),
            params: params.json.clone(),
            jobs: options.jobs,
            steps: program.steps.len(),
            steps_in_loops: program
                .steps
                .iter()
                .filter(|s| {
                    s.scope.iter().any(|b| {
                        matches!(program.blocks.get(b), Some(mlforge_ir::Block::For { .. }))
                    })
                })
                .count(),
            resumed_from: options.resume,
        },
        run_id,
        time_ms: now_ms(),
    });

    let settings = Settings {
        mode: Mode::Run,
        jobs: options.jobs.max(1),
        no_cache: options.no_cache,
        python: options.python.clone(),
        project_root: absolute_root(options),
        secrets: checked.secrets,
        step_env: Arc::new(options.step_env.clone()),
        uses: checked.uses,
        selected,
        needed,
        resume,
        retry_base: options.retry_base,
        handle_signals: options.handle_signals,
        select: options.select.clone(),
    };
    let (status, counts, failures, error, outputs) = {
        let mut engine = Engine::new(
            program,
            steps,
            blocks,
            params.values,
            settings,
            store,
            sink,
            executor,
            run_id,
            root,
        );
        let result = engine.run().await;
        let mut error = match result {
            Ok(()) => engine.fatal.clone(),
            Err(e) => Some(e),
        };
        let mut status = engine.status();
        if error.is_some() && status == RunStatus::Succeeded {
            status = RunStatus::Failed;
        }
        if status == RunStatus::Succeeded {
            let stuck = engine.stuck();
            if !stuck.is_empty() {
                status = RunStatus::Failed;
                error = Some(RunError::Stuck(stuck));
            }
        }
        if status == RunStatus::Cancelled && error.is_none() {
            error = Some(RunError::Cancelled);
        }
        (
            status,
            engine.counts.clone(),
            engine.failures.clone(),
            error,
            engine.pipeline_outputs(),
        )
    };
    let end_error = error.as_ref().map(RunError::to_string).or_else(|| {
        failures.first().map(|f| {
            format!(
                "step `{}` failed: {}",
                events::instance_name(&f.step, f.element.as_deref().unwrap_or(&[])),
                f.error
            )
        })
    });
    store
        .lineage
        .write(|w| w.end_run(run_id, status, end_error.as_deref()))
        .map_err(RunError::store("record the run's end"))?;
    let duration_ms = started.elapsed().as_millis() as u64;
    sink.emit(&Envelope {
        event: &Event::RunFinished {
            status: status.as_str().to_string(),
            duration_ms,
            counts: counts.clone(),
            error: end_error,
            outputs: outputs.clone(),
        },
        run_id,
        time_ms: now_ms(),
    });
    Ok(RunReport {
        run_id,
        status,
        counts,
        failures,
        error,
        duration_ms,
        outputs,
    })
}

/// Says what `run` would do, without running or recording anything.
pub fn plan(program: &Program, options: &RunOptions, store: &mut Store) -> Result<Plan, RunError> {
    let (steps, blocks) = analyze(program).map_err(RunError::Invalid)?;
    let (selected, needed) = selection(program, &steps, options)?;
    let params = resolve_params(program, options, &selected, store, false)?;
    // The same checks as a run, so that a plan says what would stop it.
    let checked = preflight::check(program, &options.python, true)?;
    let root = store.root().to_path_buf();
    let settings = Settings {
        mode: Mode::Plan,
        jobs: 1,
        no_cache: options.no_cache,
        python: options.python.clone(),
        project_root: absolute_root(options),
        secrets: checked.secrets,
        step_env: Arc::new(options.step_env.clone()),
        uses: checked.uses,
        selected,
        needed,
        resume: HashMap::new(),
        retry_base: options.retry_base,
        handle_signals: false,
        select: options.select.clone(),
    };
    let mut sink = events::NoEvents;
    let mut engine = Engine::new(
        program,
        steps,
        blocks,
        params.values,
        settings,
        store,
        &mut sink,
        Arc::new(Processes),
        0,
        root,
    );
    engine.plan();
    if let Some(fatal) = engine.fatal.clone() {
        return Err(fatal);
    }
    let order: HashMap<&str, usize> = program
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    let mut entries = std::mem::take(&mut engine.plan);
    // Keyed once per entry: looking the step up in each comparison cost more than the plan.
    entries.sort_by_cached_key(|e| (order.get(e.step.as_str()).copied(), e.element.clone()));
    Ok(Plan {
        pipeline: program.pipeline.clone(),
        entries,
    })
}
