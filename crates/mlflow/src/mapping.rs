//! The pure part of mirroring: which params, metrics and tags a run becomes, under which
//! keys, cut into `runs/log-batch` calls that respect MLflow's limits. No IO here.

use std::collections::HashSet;

use mlforge_store::{AttemptStatus, Element, RunStatus};
use serde::{Serialize, Serializer};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::snapshot::{RunSnapshot, StepSnapshot};

/// MLflow's limits on one `runs/log-batch` call.
pub const MAX_METRICS_PER_BATCH: usize = 1000;
pub const MAX_PARAMS_PER_BATCH: usize = 100;
pub const MAX_TAGS_PER_BATCH: usize = 100;
pub const MAX_ENTITIES_PER_BATCH: usize = 1000;
/// MLflow's longest param value, tag value and key (in characters).
pub const MAX_PARAM_VALUE: usize = 6000;
pub const MAX_TAG_VALUE: usize = 8000;
pub const MAX_KEY: usize = 250;

/// The tag that ties an MLflow run to the mlforge run it mirrors (the run's UUID, unique
/// across stores and machines, unlike its number).
pub const RUN_ID_TAG: &str = "mlforge.run_id";

/// A param or a tag.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

impl KeyValue {
    fn new(key: impl Into<String>, value: impl Into<String>) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// A metric value at one time.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Metric {
    pub key: String,
    #[serde(serialize_with = "finite_or_name")]
    pub value: f64,
    /// Milliseconds since the Unix epoch.
    pub timestamp: i64,
    pub step: i64,
}

/// MLflow parses request bodies as protobuf JSON, where a double that is not finite is
/// written as a string; serde_json would write `null`, which MLflow rejects.
fn finite_or_name<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    if value.is_nan() {
        serializer.serialize_str("NaN")
    } else if value.is_infinite() {
        serializer.serialize_str(if *value > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        })
    } else {
        serializer.serialize_f64(*value)
    }
}

/// Everything a run becomes in MLflow.
#[derive(Clone, Debug, Serialize)]
pub struct Mapping {
    pub run_name: String,
    pub user: String,
    pub start_time: i64,
    pub end_time: i64,
    /// FINISHED, FAILED or KILLED.
    pub status: &'static str,
    /// Set by `runs/create` itself, so that a run found by its tag is never half-tagged.
    pub create_tags: Vec<KeyValue>,
    pub params: Vec<KeyValue>,
    pub metrics: Vec<Metric>,
    pub tags: Vec<KeyValue>,
    /// The document uploaded as `mlforge/artifacts.json`: each step instance and the
    /// artifacts it wrote.
    pub artifacts: Value,
    /// What was changed to fit MLflow (truncated values, renamed keys), for the user.
    pub notes: Vec<String>,
}

/// MLflow's run status for an mlforge run that has ended; `None` while it runs.
pub fn mlflow_status(status: RunStatus) -> Option<&'static str> {
    match status {
        RunStatus::Succeeded => Some("FINISHED"),
        RunStatus::Failed => Some("FAILED"),
        RunStatus::Cancelled | RunStatus::Interrupted => Some("KILLED"),
        RunStatus::Running => None,
    }
}

/// A step instance in key form: `fit`, `fit/2`, `fit/1/0` (brackets and commas are not
/// allowed in MLflow keys; a slash also makes MLflow's UI group a sweep's charts).
pub fn instance_key(step: &str, element: &Element) -> String {
    let mut key = step.to_string();
    for index in element.indices() {
        key.push('/');
        key.push_str(&index.to_string());
    }
    key
}

/// `key` made valid for MLflow: only ASCII letters, digits, `_ - . /` and spaces (MLflow
/// allows Unicode letters too, but its notion of them and ours could differ), no empty,
/// `.` or `..` path segment (MLflow rejects keys that are not normalised paths), at most
/// [`MAX_KEY`] characters (a longer key is cut and given a hash of the whole, so two long
/// keys stay apart).
pub fn sanitize_key(raw: &str) -> String {
    let cleaned: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ' ') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let segments: Vec<&str> = cleaned
        .split('/')
        .map(|s| if matches!(s, "" | "." | "..") { "_" } else { s })
        .collect();
    let key = segments.join("/");
    if key.len() <= MAX_KEY {
        return key;
    }
    let digest = Sha256::digest(raw.as_bytes());
    let suffix: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    // The key is ASCII by now, so any byte index is a character boundary.
    format!("{}_{suffix}", &key[..MAX_KEY - suffix.len() - 1])
}

/// Keys already given, so that two names that sanitise alike stay apart (`_2`, `_3`, …).
#[derive(Default)]
struct Keys {
    used: HashSet<String>,
}

impl Keys {
    fn unique(&mut self, raw: &str, notes: &mut Vec<String>) -> String {
        let base = sanitize_key(raw);
        let mut key = base.clone();
        let mut n = 2;
        while self.used.contains(&key) {
            key = format!("{base}_{n}");
            n += 1;
        }
        if key != raw {
            notes.push(format!("`{raw}` is logged as `{key}` (MLflow's key rules)"));
        }
        self.used.insert(key.clone());
        key
    }
}

/// `value` cut to `max` characters, with a marker saying so.
fn truncate(value: &str, max: usize) -> Option<String> {
    const MARKER: &str = "… (truncated by mlforge)";
    if value.chars().count() <= max {
        return None;
    }
    let keep = max - MARKER.chars().count();
    let mut cut: String = value.chars().take(keep).collect();
    cut.push_str(MARKER);
    Some(cut)
}

/// A param value as MLflow's string: strings as they are, everything else (numbers,
/// lists, artifacts) as compact JSON.
pub fn param_value(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The last moment the run is known to have been alive: its end, else the latest end or
/// start of a step (an interrupted run records no end), else its start.
fn end_time(snapshot: &RunSnapshot) -> i64 {
    snapshot.run.ended_ms.unwrap_or_else(|| {
        snapshot
            .steps
            .iter()
            .map(|s| s.ended_ms.unwrap_or(s.started_ms))
            .max()
            .unwrap_or(snapshot.run.started_ms)
            .max(snapshot.run.started_ms)
    })
}

fn artifact_entry(step: &StepSnapshot) -> Value {
    let outputs: Vec<Value> = step
        .artifacts
        .iter()
        .map(|(output, a)| {
            json!({
                "output": output,
                "hash": a.hash,
                "size": a.size,
                "type": a.type_name,
                "kind": a.kind,
            })
        })
        .collect();
    // What it read, and whose output each was: the chain `mlforge lineage` shows.
    let inputs: Vec<Value> = step
        .inputs
        .iter()
        .map(|i| json!({ "input": i.input, "hash": i.hash, "from": i.from }))
        .collect();
    json!({
        "step": step.step,
        "element": step.element,
        "attempt": step.attempt,
        "status": step.status,
        "outputs": outputs,
        "inputs": inputs,
    })
}

/// What `snapshot` becomes in MLflow; `None` while the run is still running.
pub fn map_run(snapshot: &RunSnapshot) -> Option<Mapping> {
    let run = &snapshot.run;
    let status = mlflow_status(run.status)?;
    let mut notes = Vec::new();
    let run_name = format!("{}-{}", run.pipeline, run.id);

    let mut create_tags = vec![
        KeyValue::new(RUN_ID_TAG, &run.uuid),
        KeyValue::new("mlflow.runName", &run_name),
        KeyValue::new("mlflow.source.name", &run.file),
        KeyValue::new("mlflow.source.type", "LOCAL"),
    ];
    if let Some(user) = &run.user {
        create_tags.push(KeyValue::new("mlflow.user", user));
    }
    if let Some(commit) = &run.git_commit {
        create_tags.push(KeyValue::new("mlflow.source.git.commit", commit));
    }

    let mut params = Vec::new();
    let mut param_keys = Keys::default();
    if let Value::Object(values) = &run.params {
        for (name, value) in values {
            let key = param_keys.unique(name, &mut notes);
            let mut text = param_value(value);
            if let Some(cut) = truncate(&text, MAX_PARAM_VALUE) {
                notes.push(format!(
                    "param `{name}` was cut to MLflow's {MAX_PARAM_VALUE} characters"
                ));
                text = cut;
            }
            params.push(KeyValue::new(key, text));
        }
    }

    let mut tags = vec![
        KeyValue::new("mlforge.run_number", run.id.to_string()),
        KeyValue::new("mlforge.pipeline", &run.pipeline),
        KeyValue::new("mlforge.file", &run.file),
        KeyValue::new("mlforge.file_hash", &run.file_hash),
        KeyValue::new("mlforge.program_hash", &run.program_hash),
        KeyValue::new("mlforge.status", run.status.as_str()),
    ];
    let optional = [
        ("mlforge.git_commit", run.git_commit.clone()),
        ("mlforge.user", run.user.clone()),
        ("mlforge.host", run.host.clone()),
        (
            "mlforge.resumed_from",
            run.resumed_from.map(|r| r.to_string()),
        ),
        ("mlforge.error", run.error.clone()),
    ];
    for (key, value) in optional {
        if let Some(value) = value {
            tags.push(KeyValue::new(key, value));
        }
    }

    let mut metrics = Vec::new();
    let mut metric_keys = Keys::default();
    let mut tag_keys = Keys::default();
    let mut failed = Vec::new();
    for step in &snapshot.steps {
        let instance = instance_key(&step.step, &step.element);
        if matches!(step.status, AttemptStatus::Failed | AttemptStatus::TimedOut) {
            failed.push(instance.clone());
        }
        let timestamp = step.ended_ms.unwrap_or(step.started_ms);
        for m in &step.metrics {
            let raw = format!("{instance}.{}.{}", m.output, m.name);
            metrics.push(Metric {
                key: metric_keys.unique(&raw, &mut notes),
                value: m.value,
                timestamp,
                step: 0,
            });
        }
        for (output, a) in &step.artifacts {
            let raw = format!("mlforge.artifact.{instance}.{output}");
            let value = json!({
                "hash": a.hash,
                "size": a.size,
                "type": a.type_name,
                "kind": a.kind,
            });
            tags.push(KeyValue::new(
                tag_keys.unique(&raw, &mut notes),
                value.to_string(),
            ));
        }
    }
    if !failed.is_empty() {
        tags.push(KeyValue::new("mlforge.failed_steps", failed.join(", ")));
    }
    for tag in create_tags.iter_mut().chain(tags.iter_mut()) {
        if let Some(cut) = truncate(&tag.value, MAX_TAG_VALUE) {
            notes.push(format!(
                "tag `{}` was cut to MLflow's {MAX_TAG_VALUE} characters",
                tag.key
            ));
            tag.value = cut;
        }
    }

    let artifacts = json!({
        "mlforge_run": {"number": run.id, "uuid": run.uuid, "pipeline": run.pipeline},
        "steps": snapshot.steps.iter().map(artifact_entry).collect::<Vec<_>>(),
    });
    Some(Mapping {
        run_name,
        user: run.user.clone().unwrap_or_default(),
        start_time: run.started_ms,
        end_time: end_time(snapshot),
        status,
        create_tags,
        params,
        metrics,
        tags,
        artifacts,
        notes,
    })
}

/// One `runs/log-batch` call's entities.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Batch<'a> {
    pub metrics: &'a [Metric],
    pub params: &'a [KeyValue],
    pub tags: &'a [KeyValue],
}

/// Cuts params, metrics and tags into calls within MLflow's limits: at most 100 params,
/// 100 tags and 1000 metrics a call, and 1000 entities in all.
pub fn batches<'a>(
    params: &'a [KeyValue],
    metrics: &'a [Metric],
    tags: &'a [KeyValue],
) -> Vec<Batch<'a>> {
    let (mut p, mut m, mut t) = (params, metrics, tags);
    let mut out = Vec::new();
    while !(p.is_empty() && m.is_empty() && t.is_empty()) {
        let np = p.len().min(MAX_PARAMS_PER_BATCH);
        let nt = t.len().min(MAX_TAGS_PER_BATCH);
        // 100 + 100 leaves room for 800 metrics, so every call makes progress.
        let nm = m
            .len()
            .min(MAX_METRICS_PER_BATCH)
            .min(MAX_ENTITIES_PER_BATCH - np - nt);
        out.push(Batch {
            params: &p[..np],
            metrics: &m[..nm],
            tags: &t[..nt],
        });
        (p, m, t) = (&p[np..], &m[nm..], &t[nt..]);
    }
    out
}

/// The body of a `runs/log-batch` call.
pub fn log_batch_body(run_id: &str, batch: &Batch<'_>) -> Value {
    json!({
        "run_id": run_id,
        "metrics": batch.metrics,
        "params": batch.params,
        "tags": batch.tags,
    })
}

/// The body of the `runs/create` call.
pub fn create_body(experiment_id: &str, mapping: &Mapping) -> Value {
    json!({
        "experiment_id": experiment_id,
        "user_id": mapping.user,
        "run_name": mapping.run_name,
        "start_time": mapping.start_time,
        "tags": mapping.create_tags,
    })
}

/// The body of the final `runs/update` call (the name again, for a completed mirror whose
/// `runs/create` another client made).
pub fn update_body(run_id: &str, mapping: &Mapping) -> Value {
    json!({
        "run_id": run_id,
        "run_name": mapping.run_name,
        "status": mapping.status,
        "end_time": mapping.end_time,
    })
}

/// The `runs/search` filter that finds the MLflow run mirroring mlforge run `uuid`.
pub fn search_filter(uuid: &str) -> String {
    // A run's UUID is hex digits and dashes: nothing in it can end the quoted string.
    format!("tags.\"{RUN_ID_TAG}\" = '{uuid}'")
}
