//! `mlforge runs`, `mlforge show RUN`, `mlforge logs RUN STEP`: reading the lineage store;
//! `mlforge runs mirror RUN`: copying a run to MLflow (the work is `mlforge_mlflow`'s).

use std::path::{Path, PathBuf};

use clap::Args;
use mlforge_mlflow::{Auth, MirrorKind, Target};
use mlforge_runner::events::instance_name;
use mlforge_store::{
    AttemptRecord, AttemptStatus, Lineage, RunFilter, RunRecord, RunStatus, Store,
};

use crate::{Format, Outcome};

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

fn open(store: &Path) -> Result<Store, Outcome> {
    match Store::open_existing(store) {
        Ok(Some(store)) => Ok(store),
        Ok(None) => Err(Outcome::Failed(format!(
            "no runs recorded yet: `{}` holds no lineage store (run a pipeline with `mlforge run FILE` first)",
            store.display()
        ))),
        Err(e) => Err(Outcome::Failed(format!(
            "cannot open the store `{}`: {e}",
            store.display()
        ))),
    }
}

/// The store under `dir` and the run `text` names in it.
fn open_run(dir: &Path, text: &str) -> Result<(Store, RunRecord), Outcome> {
    let store = open(dir)?;
    let run = find_run(&store, text)?;
    Ok((store, run))
}

/// The run `text` names: a run number (`3`, `#3`) or `latest`.
pub(crate) fn find_run(store: &Store, text: &str) -> Result<RunRecord, Outcome> {
    let failed = |e: mlforge_store::StoreError| Outcome::Failed(e.to_string());
    if text == "latest" || text == "last" {
        let runs = store
            .lineage
            .runs(&RunFilter {
                limit: Some(1),
                ..RunFilter::default()
            })
            .map_err(failed)?;
        return runs
            .into_iter()
            .next()
            .ok_or_else(|| Outcome::Failed("no runs recorded yet".into()));
    }
    let id: i64 = text.trim_start_matches('#').parse().map_err(|_| {
        Outcome::Failed(format!(
            "`{text}` is not a run number; `mlforge runs` lists them"
        ))
    })?;
    store
        .lineage
        .run(id)
        .map_err(failed)?
        .ok_or_else(|| Outcome::Failed(format!("there is no run {id}; `mlforge runs` lists them")))
}

/// `2024-05-01 12:00:03` (UTC) from Unix milliseconds.
pub fn utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

fn duration(start: i64, end: Option<i64>) -> String {
    match end {
        Some(end) => format!("{:.2}s", (end - start).max(0) as f64 / 1000.0),
        None => "-".into(),
    }
}

fn element_of(attempt: &AttemptRecord) -> Vec<u32> {
    attempt
        .element
        .split('.')
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.parse().ok())
        .collect()
}

fn attempt_name(attempt: &AttemptRecord) -> String {
    instance_name(&attempt.step, &element_of(attempt))
}

pub fn runs(args: &RunsArgs) -> Outcome {
    let status = match args.status.as_deref() {
        None => None,
        Some(text) => match RunStatus::parse(text) {
            Some(s) => Some(s),
            None => {
                return Outcome::Failed(format!(
                    "unknown status `{text}`; choose running, succeeded, failed, cancelled or interrupted"
                ))
            }
        },
    };
    let store = match open(&args.store) {
        Ok(s) => s,
        Err(outcome) => return outcome,
    };
    let filter = RunFilter {
        pipeline: args.pipeline.clone(),
        status,
        limit: Some(args.limit),
    };
    let runs = match store.lineage.runs(&filter) {
        Ok(runs) => runs,
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&runs).expect("runs serialize")
        ),
        Format::Text => {
            if runs.is_empty() {
                println!("no runs match");
                return Outcome::Clean;
            }
            println!(
                "{:>5}  {:<11}  {:<20}  {:<19}  {:>9}  STEPS",
                "RUN", "STATUS", "PIPELINE", "STARTED (UTC)", "DURATION"
            );
            for run in &runs {
                let attempts = store.lineage.attempts(run.id).unwrap_or_default();
                let cached = attempts
                    .iter()
                    .filter(|a| a.status == AttemptStatus::Cached)
                    .count();
                let failed = attempts
                    .iter()
                    .filter(|a| {
                        a.status == AttemptStatus::Failed || a.status == AttemptStatus::TimedOut
                    })
                    .count();
                let mut steps = format!("{} records", attempts.len());
                if cached > 0 {
                    steps.push_str(&format!(", {cached} cached"));
                }
                if failed > 0 {
                    steps.push_str(&format!(", {failed} failed attempts"));
                }
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
    Outcome::Clean
}

fn short(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Object(o) if o.contains_key("artifact") => {
            let hash = o["artifact"].as_str().unwrap_or("");
            let path = o.get("path").and_then(|p| p.as_str());
            match path {
                Some(p) => format!("{p} ({})", &hash[..hash.len().min(12)]),
                None => format!("artifact {}", &hash[..hash.len().min(12)]),
            }
        }
        serde_json::Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(short).collect();
            format!("[{}]", inner.join(", "))
        }
        other => other.to_string(),
    }
}

pub fn show(args: &ShowArgs) -> Outcome {
    let (store, run) = match open_run(&args.store, &args.run) {
        Ok(found) => found,
        Err(outcome) => return outcome,
    };
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
            let hash = &run.file_hash[..run.file_hash.len().min(12)];
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
    Outcome::Clean
}

/// `fit`, `fit[2]`, `fit[1,0]` → (step, element text).
fn parse_step(text: &str) -> Result<(String, Option<String>), Outcome> {
    let Some(open) = text.find('[') else {
        return Ok((text.to_string(), None));
    };
    let inner = text[open + 1..].strip_suffix(']').ok_or_else(|| {
        Outcome::Failed(format!("`{text}` is not a step: write `step` or `step[2]`"))
    })?;
    let parts: Result<Vec<u32>, _> = inner
        .split([',', '.'])
        .map(|p| p.trim().parse::<u32>())
        .collect();
    let parts = parts.map_err(|_| {
        Outcome::Failed(format!(
            "`{text}`: element indices are numbers, like `fit[2]`"
        ))
    })?;
    let element: Vec<String> = parts.iter().map(u32::to_string).collect();
    Ok((text[..open].to_string(), Some(element.join("."))))
}

pub fn logs(args: &LogsArgs) -> Outcome {
    let (store, run) = match open_run(&args.store, &args.run) {
        Ok(found) => found,
        Err(outcome) => return outcome,
    };
    let (step, element) = match parse_step(&args.step) {
        Ok(parsed) => parsed,
        Err(outcome) => return outcome,
    };
    let attempts = store.lineage.attempts(run.id).unwrap_or_default();
    let matching: Vec<&AttemptRecord> = attempts
        .iter()
        .filter(|a| a.step == step && element.as_ref().is_none_or(|e| &a.element == e))
        .filter(|a| args.attempt.is_none_or(|n| a.attempt == n))
        .collect();
    if matching.is_empty() {
        let steps: Vec<String> = {
            let mut names: Vec<String> = attempts.iter().map(|a| a.step.clone()).collect();
            names.dedup();
            names
        };
        return Outcome::Failed(format!(
            "run {} has no record of `{}`; its steps are {}",
            run.id,
            args.step,
            steps.join(", ")
        ));
    }
    // The last attempt of each instance (or the one asked for).
    let mut chosen: Vec<&AttemptRecord> = Vec::new();
    for attempt in matching {
        match chosen
            .iter_mut()
            .find(|c| c.step == attempt.step && c.element == attempt.element)
        {
            Some(existing) => {
                if attempt.attempt >= existing.attempt {
                    *existing = attempt;
                }
            }
            None => chosen.push(attempt),
        }
    }
    let several = chosen.len() > 1;
    let mut missing = false;
    for attempt in chosen {
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
            Some(path) => match std::fs::read(path) {
                Ok(bytes) => {
                    use std::io::Write;
                    let _ = std::io::stdout().write_all(&bytes);
                    if attempt.status == AttemptStatus::Cached && !several {
                        eprintln!("({name} was cached: this is the log of the attempt it reused)");
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
        Outcome::Problems
    } else {
        Outcome::Clean
    }
}

/// Where `--mlflow URI` points, checked before any work is done (a typo should not cost a
/// run).
pub(crate) fn mlflow_target(uri: &str, experiment: Option<&str>) -> Result<Target, Outcome> {
    let uri = mlforge_mlflow::normalize_uri(uri).map_err(|e| Outcome::Failed(e.to_string()))?;
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

pub fn mirror(args: &MirrorArgs) -> Outcome {
    // Here, unlike in `mlforge run`, the environment may name the server: this command
    // exists to talk to MLflow, so MLflow's own variable is an explicit enough request.
    let from_env = std::env::var("MLFLOW_TRACKING_URI")
        .ok()
        .filter(|u| !u.is_empty());
    let Some(uri) = args.mlflow.clone().or(from_env) else {
        return Outcome::Failed(
            "which MLflow server? give it with --mlflow URI (or set MLFLOW_TRACKING_URI)".into(),
        );
    };
    let target = match mlflow_target(&uri, args.mlflow_experiment.as_deref()) {
        Ok(target) => target,
        Err(outcome) => return outcome,
    };
    let (store, run) = match open_run(&args.store, &args.run) {
        Ok(found) => found,
        Err(outcome) => return outcome,
    };
    match mirror_run(&store.lineage, run.id, &target) {
        Ok(()) => Outcome::Clean,
        Err(message) => {
            eprintln!("error: {message}");
            Outcome::Problems
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formats_known_instants() {
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00:00");
        assert_eq!(utc(1_700_000_000_123), "2023-11-14 22:13:20");
    }

    #[test]
    fn steps_with_elements_parse() {
        assert_eq!(
            parse_step("fit[1, 0]").ok(),
            Some(("fit".to_string(), Some("1.0".to_string())))
        );
        assert_eq!(parse_step("fit").ok(), Some(("fit".to_string(), None)));
        assert!(parse_step("fit[x]").is_err());
    }
}
