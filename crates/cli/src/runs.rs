//! `mlforge runs`, `mlforge show RUN`, `mlforge logs RUN STEP`: reading the lineage store;
//! `mlforge runs mirror RUN`: copying a run to MLflow (the work is `mlforge_mlflow`'s).

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use mlforge_mlflow::{Auth, MirrorKind, Target};
use mlforge_store::{
    last_attempts, AttemptRecord, AttemptStatus, Lineage, RunFilter, RunStatus, StepRef,
    StepRefError,
};

use crate::error::{fail, CliError, CliResult};
use crate::history::{open, open_run, short_hash, utc};
use crate::Format;

/// `mlforge runs` with its subcommands.
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct RunsCli {
    #[command(flatten)]
    pub list: RunsArgs,
    #[command(subcommand)]
    pub command: Option<RunsCommand>,
}

#[derive(Subcommand)]
pub enum RunsCommand {
    /// Compare two runs step by step: same, different (and which part of the cache key
    /// changed: code, param, input, environment, settings), or only in one of them.
    Diff(crate::diff::DiffArgs),
    /// Copy a finished run (params, metrics, tags, artifact list) to an MLflow tracking
    /// server; a run mirrored before is reported, not copied again.
    Mirror(MirrorArgs),
}

pub fn run(args: &RunsCli) -> CliResult {
    match &args.command {
        Some(RunsCommand::Diff(diff)) => crate::diff::run(diff),
        Some(RunsCommand::Mirror(mirror_args)) => mirror(mirror_args),
        None => runs(&args.list),
    }
}

#[derive(Args)]
pub struct RunsArgs {
    /// Only runs of this pipeline.
    #[arg(long)]
    pub pipeline: Option<String>,
    /// Only runs with this status: running, succeeded, failed, cancelled, interrupted.
    #[arg(long)]
    pub status: Option<String>,
    /// At most this many runs (latest first).
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// How to print.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The store folder.
    #[arg(long, value_name = "DIR", default_value_os_t = crate::settings::default_store())]
    pub store: PathBuf,
}

#[derive(Args)]
pub struct ShowArgs {
    /// The run's number (as `mlforge runs` lists it), or `latest`.
    pub run: String,
    /// How to print.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The store folder.
    #[arg(long, value_name = "DIR", default_value_os_t = crate::settings::default_store())]
    pub store: PathBuf,
}

#[derive(Args)]
pub struct LogsArgs {
    /// The run's number, or `latest`.
    pub run: String,
    /// The step: `fit`, or one element of a `for`: `fit[2]` (nested: `fit[1,0]`).
    pub step: String,
    /// Which attempt (default: the last).
    #[arg(long)]
    pub attempt: Option<u32>,
    /// The store folder.
    #[arg(long, value_name = "DIR", default_value_os_t = crate::settings::default_store())]
    pub store: PathBuf,
}

#[derive(Args)]
pub struct MirrorArgs {
    /// The run's number, or `latest`.
    pub run: String,
    /// The MLflow tracking server, like http://127.0.0.1:5000 (default: $MLFLOW_TRACKING_URI).
    #[arg(long, value_name = "URI")]
    pub mlflow: Option<String>,
    /// The MLflow experiment (default: the pipeline's name).
    #[arg(long, value_name = "NAME")]
    pub mlflow_experiment: Option<String>,
    /// The store folder.
    #[arg(long, value_name = "DIR", default_value_os_t = crate::settings::default_store())]
    pub store: PathBuf,
}

fn attempt_name(attempt: &AttemptRecord) -> String {
    attempt.element.instance_name(&attempt.step)
}

fn duration(start: i64, end: Option<i64>) -> String {
    match end {
        Some(end) => format!("{:.2}s", (end - start).max(0) as f64 / 1000.0),
        None => "-".into(),
    }
}

fn runs(args: &RunsArgs) -> CliResult {
    let status = match args.status.as_deref() {
        None => None,
        Some(text) => match RunStatus::parse(text) {
            Some(s) => Some(s),
            None => fail!(
                "unknown status `{text}`; choose running, succeeded, failed, cancelled or interrupted"
            ),
        },
    };
    let store = open(&args.store)?;
    let filter = RunFilter {
        pipeline: args.pipeline.clone(),
        status,
        limit: Some(args.limit),
    };
    let runs = store.lineage.runs(&filter)?;
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&runs).expect("runs serialize")
        ),
        Format::Text => {
            if runs.is_empty() {
                println!("no runs match");
                return Ok(());
            }
            println!(
                "{:>5}  {:<11}  {:<20}  {:<19}  {:>9}  STEPS",
                "RUN", "STATUS", "PIPELINE", "STARTED (UTC)", "DURATION"
            );
            for run in &runs {
                let attempts = store.lineage.attempts(run.id).unwrap_or_default();
                let steps = step_summary(attempts);
                println!(
                    "{:>5}  {:<11}  {:<20}  {:<19}  {:>9}  {steps}",
                    run.id,
                    run.status.as_str(),
                    run.pipeline,
                    utc(run.started_ms),
                    duration(run.started_ms, run.ended_ms),
                );
            }
        }
    }
    Ok(())
}

/// What a run's steps did, for people: `3 ran, 2 cached, 1 failed (after 2 retries)`.
/// Counts are of step instances (a step inside a `for` once per element), each by its
/// last attempt; earlier attempts of an instance are its retries.
fn step_summary(attempts: Vec<AttemptRecord>) -> String {
    let total = attempts.len();
    let last = last_attempts(attempts);
    let retries = total - last.len();
    let count =
        |pick: &dyn Fn(AttemptStatus) -> bool| last.iter().filter(|a| pick(a.status)).count();
    let parts = [
        (count(&|s| s == AttemptStatus::Succeeded), "ran"),
        (count(&|s| s == AttemptStatus::Cached), "cached"),
        (count(&|s| s == AttemptStatus::Skipped), "skipped"),
        (
            count(&|s| matches!(s, AttemptStatus::Failed | AttemptStatus::TimedOut)),
            "failed",
        ),
        (count(&|s| s == AttemptStatus::Cancelled), "cancelled"),
        (count(&|s| s == AttemptStatus::Running), "running"),
        (count(&|s| s == AttemptStatus::Interrupted), "interrupted"),
    ];
    let mut text: Vec<String> = parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
    if text.is_empty() {
        text.push("none ran".into());
    }
    let mut text = text.join(", ");
    if retries > 0 {
        text.push_str(&format!(
            " ({} retried)",
            if retries == 1 {
                "1 attempt".to_string()
            } else {
                format!("{retries} attempts")
            }
        ));
    }
    text
}

fn short(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Object(o) if o.contains_key("artifact") => {
            let hash = o["artifact"].as_str().unwrap_or("");
            let path = o.get("path").and_then(|p| p.as_str());
            match path {
                Some(p) => format!("{p} ({})", short_hash(hash)),
                None => format!("artifact {}", short_hash(hash)),
            }
        }
        serde_json::Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(short).collect();
            format!("[{}]", inner.join(", "))
        }
        other => other.to_string(),
    }
}

pub fn show(args: &ShowArgs) -> CliResult {
    let (store, run) = open_run(&args.store, &args.run)?;
    let attempts = store.lineage.attempts(run.id).unwrap_or_default();
    let metrics = store.lineage.run_metrics(run.id).unwrap_or_default();
    let inputs = store.lineage.run_inputs(run.id).unwrap_or_default();
    let mut steps = Vec::new();
    for attempt in &attempts {
        let outputs = store.lineage.outputs(attempt.id).unwrap_or_default();
        // A cached step's metrics are those of the attempt it reused.
        let source = attempt.cached_from.unwrap_or(attempt.id);
        let attempt_metrics = store.lineage.metrics(source).unwrap_or_default();
        steps.push((attempt, outputs, attempt_metrics));
    }
    match args.format {
        Format::Json => {
            let steps: Vec<serde_json::Value> = steps
                .iter()
                .map(|(attempt, outputs, metrics)| {
                    serde_json::json!({
                        "attempt": attempt,
                        "outputs": outputs,
                        "metrics": metrics,
                    })
                })
                .collect();
            let document = serde_json::json!({
                "run": run,
                "inputs": inputs,
                "steps": steps,
                "metrics": metrics,
            });
            println!(
                "{}",
                serde_json::to_string_pretty(&document).expect("records serialize")
            );
        }
        Format::Text => {
            println!(
                "run {} · pipeline `{}` · {}",
                run.id, run.pipeline, run.status
            );
            let hash = short_hash(&run.file_hash);
            println!("  file      {} (sha256 {hash})", run.file);
            let by = match (&run.user, &run.host) {
                (Some(u), Some(h)) => format!(" by {u} on {h}"),
                (Some(u), None) => format!(" by {u}"),
                (None, Some(h)) => format!(" on {h}"),
                _ => String::new(),
            };
            println!("  started   {} UTC{by}", utc(run.started_ms));
            println!("  duration  {}", duration(run.started_ms, run.ended_ms));
            if let Some(commit) = &run.git_commit {
                println!("  commit    {commit}");
            }
            if let Some(previous) = run.resumed_from {
                println!("  resumes   run {previous}");
            }
            if let Some(error) = &run.error {
                println!("  error     {error}");
            }
            if let serde_json::Value::Object(params) = &run.params {
                if !params.is_empty() {
                    println!("params");
                    for (name, value) in params {
                        println!("  {name} = {}", short(value));
                    }
                }
            }
            println!("steps");
            let width = steps
                .iter()
                .map(|(a, _, _)| attempt_name(a).chars().count())
                .max()
                .unwrap_or(0);
            for (attempt, outputs, _) in &steps {
                let name = attempt_name(attempt);
                let attempt_text = if attempt.attempt > 1 {
                    format!(" (attempt {})", attempt.attempt)
                } else {
                    String::new()
                };
                let mut detail = Vec::new();
                if let Some(error) = &attempt.error {
                    detail.push(error.clone());
                }
                for output in outputs {
                    detail.push(format!("{} = {}", output.name, short(&output.value)));
                }
                println!(
                    "  {name:<width$}  {:<11} {:>7}{attempt_text}  {}",
                    attempt.status.as_str(),
                    duration(attempt.started_ms, attempt.ended_ms),
                    detail.join(", ")
                );
            }
            let with_metrics: Vec<_> = steps.iter().filter(|(_, _, m)| !m.is_empty()).collect();
            if !with_metrics.is_empty() {
                println!("metrics");
                for (attempt, _, metrics) in with_metrics {
                    let mut by_output: Vec<(String, Vec<String>)> = Vec::new();
                    for m in metrics {
                        let text = format!("{} = {}", m.name, m.value);
                        match by_output.iter_mut().find(|(o, _)| *o == m.output) {
                            Some((_, list)) => list.push(text),
                            None => by_output.push((m.output.clone(), vec![text])),
                        }
                    }
                    for (output, list) in by_output {
                        println!("  {}.{output}  {}", attempt_name(attempt), list.join(", "));
                    }
                }
            }
        }
    }
    Ok(())
}

/// `fit`, `fit[2]`, `fit[1,0]`, worded for `logs`.
fn parse_step(text: &str) -> CliResult<StepRef> {
    StepRef::parse(text).map_err(|e| {
        CliError::Failed(match e {
            StepRefError::Unclosed => format!("`{text}` is not a step: write `step` or `step[2]`"),
            StepRefError::NotNumbers => {
                format!("`{text}`: element indices are numbers, like `fit[2]`")
            }
        })
    })
}

pub fn logs(args: &LogsArgs) -> CliResult {
    let (store, run) = open_run(&args.store, &args.run)?;
    let StepRef { step, element } = parse_step(&args.step)?;
    let attempts = store.lineage.attempts(run.id).unwrap_or_default();
    let matching: Vec<AttemptRecord> = attempts
        .iter()
        .filter(|a| a.step == step && element.as_ref().is_none_or(|e| &a.element == e))
        .filter(|a| args.attempt.is_none_or(|n| a.attempt == n))
        .cloned()
        .collect();
    if matching.is_empty() {
        let of_step: Vec<&AttemptRecord> = attempts
            .iter()
            .filter(|a| a.step == step && element.as_ref().is_none_or(|e| &a.element == e))
            .collect();
        if let (Some(n), false) = (args.attempt, of_step.is_empty()) {
            let mut numbers: Vec<String> = of_step.iter().map(|a| a.attempt.to_string()).collect();
            numbers.dedup();
            fail!(
                "`{}` in run {} has no attempt {n}; its attempts are {} (attempt 0 is a cached or skipped step)",
                args.step,
                run.id,
                numbers.join(", ")
            );
        }
        let steps: Vec<String> = {
            let mut names: Vec<String> = attempts.iter().map(|a| a.step.clone()).collect();
            names.dedup();
            names
        };
        fail!(
            "run {} has no record of `{}`; its steps are {}",
            run.id,
            args.step,
            steps.join(", ")
        );
    }
    // The last attempt of each instance (or the one asked for).
    let chosen = last_attempts(matching);
    let several = chosen.len() > 1;
    let mut missing = false;
    for attempt in &chosen {
        let name = attempt_name(attempt);
        if several {
            println!(
                "==> {name} (attempt {}, {}) <==",
                attempt.attempt, attempt.status
            );
        }
        match &attempt.log_path {
            None => {
                let why = match attempt.status {
                    AttemptStatus::Skipped => "it was skipped".to_string(),
                    _ => "it did not run".to_string(),
                };
                println!("({name} has no log: {why})");
            }
            // Streamed: a log can be large, and need not fit in memory.
            Some(path) => match std::fs::File::open(path) {
                Ok(mut file) => {
                    let copied = std::io::copy(&mut file, &mut std::io::stdout().lock());
                    if copied.as_ref().is_ok_and(|n| *n == 0) {
                        eprintln!("(the log of {name} is empty: the step printed nothing)");
                    }
                    if attempt.status == AttemptStatus::Cached && !several {
                        // A log need not end with a newline; on a terminal the note must
                        // still start a line of its own (the log itself is left as it is).
                        let _ = std::io::stdout().flush();
                        let newline = if ends_mid_line(&mut file) { "\n" } else { "" };
                        eprintln!("{newline}({name} was cached: this is the log of the attempt it reused)");
                    }
                }
                Err(e) => {
                    eprintln!("error: cannot read the log `{path}`: {e}");
                    missing = true;
                }
            },
        }
    }
    if missing {
        Err(CliError::Problems)
    } else {
        Ok(())
    }
}

/// Whether a non-empty file's last byte is not a newline.
fn ends_mid_line(file: &mut std::fs::File) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let mut last = [0u8];
    file.seek(SeekFrom::End(-1)).is_ok() && file.read_exact(&mut last).is_ok() && last[0] != b'\n'
}

/// Where `--mlflow URI` points, checked before any work is done (a typo should not cost a
/// run).
pub(crate) fn mlflow_target(uri: &str, experiment: Option<&str>) -> CliResult<Target> {
    let uri = mlforge_mlflow::normalize_uri(uri).map_err(|e| e.to_string())?;
    Ok(Target {
        uri,
        experiment: experiment.map(str::to_string),
        auth: Auth::from_env(),
    })
}

/// Mirrors run `id` and says what was done on standard error (standard output may carry
/// JSON events); the error message when it failed.
pub(crate) fn mirror_run(lineage: &Lineage, id: i64, target: &Target) -> Result<(), String> {
    let mirrored = mlforge_mlflow::mirror(lineage, id, target).map_err(|e| e.to_string())?;
    let experiment = &mirrored.experiment;
    match mirrored.kind {
        MirrorKind::AlreadyMirrored => eprintln!(
            "run {id} was mirrored to MLflow (experiment `{experiment}`) before; nothing sent: {}",
            mirrored.url
        ),
        kind => {
            eprintln!(
            "{} run {id} in MLflow (experiment `{experiment}`): {} params, {} metrics, {} tags: {}",
            if kind == MirrorKind::Created { "mirrored" } else { "completed the mirror of" },
            mirrored.params,
            mirrored.metrics,
            mirrored.tags,
            mirrored.url
        )
        }
    }
    for note in &mirrored.notes {
        eprintln!("  note: {note}");
    }
    Ok(())
}

fn mirror(args: &MirrorArgs) -> CliResult {
    // Here, unlike in `mlforge run`, the environment may name the server: this command
    // exists to talk to MLflow, so MLflow's own variable is an explicit enough request.
    let from_env = std::env::var("MLFLOW_TRACKING_URI")
        .ok()
        .filter(|u| !u.is_empty());
    let Some(uri) = args.mlflow.clone().or(from_env) else {
        fail!("which MLflow server? give it with --mlflow URI (or set MLFLOW_TRACKING_URI)");
    };
    let target = mlflow_target(&uri, args.mlflow_experiment.as_deref())?;
    let (store, run) = open_run(&args.store, &args.run)?;
    mirror_run(&store.lineage, run.id, &target).map_err(|message| {
        eprintln!("error: {message}");
        CliError::Problems
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_worded_for_logs() {
        let parsed = parse_step("fit[1, 0]").unwrap();
        assert_eq!(parsed.step, "fit");
        assert_eq!(parsed.element.unwrap().indices(), [1, 0]);
        assert!(parse_step("fit[x]")
            .unwrap_err()
            .to_string()
            .contains("element indices are numbers"));
        assert!(parse_step("fit[2")
            .unwrap_err()
            .to_string()
            .contains("write `step` or `step[2]`"));
    }
}
