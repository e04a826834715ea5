//! Mirrors a finished MLForge run from the lineage store to an MLflow tracking server,
//! over MLflow's REST API (`/api/2.0/mlflow/…`). It reads the store and writes to the
//! server; it does no analysis. Layering: `store` → `mlflow` → `cli`.
//!
//! # What a run becomes
//!
//! - **Experiment**: the pipeline's name unless another is given; created when missing.
//! - **Run**: one MLflow run per mlforge run, named `<pipeline>-<run number>`, with the
//!   run's start time and, at the end, its end time and status: `FINISHED` (succeeded),
//!   `FAILED`, or `KILLED` (cancelled or interrupted). A run still running is refused.
//! - **Params**: the run's pipeline params (defaults included, as the store records them),
//!   under their names. Strings as they are; numbers, lists and artifacts as compact JSON.
//!   A value longer than MLflow's 6000 characters is cut, with a marker and a note.
//! - **Metrics**: every metric of every step instance, under
//!   `<step>[/<element>…].<output>.<name>`: `check/1.report.mse` is metric `mse` of the
//!   `report` output of the second element of step `check` (a slash per `for` level; the
//!   slash also makes MLflow's UI chart a sweep's elements together). A cached step's
//!   metrics are those of the attempt it reused; a retried step's are its last attempt's.
//!   Timestamp: when the step ended; MLflow step: 0.
//! - **Tags**: `mlforge.run_id` (the run's UUID: how a second mirror finds the first),
//!   `mlforge.run_number`, `mlforge.pipeline`, `mlforge.file`, `mlforge.file_hash`,
//!   `mlforge.program_hash`, `mlforge.status`, and when known `mlforge.git_commit`,
//!   `mlforge.user`, `mlforge.host`, `mlforge.resumed_from`, `mlforge.error`,
//!   `mlforge.failed_steps`; MLflow's own `mlflow.runName`, `mlflow.user`,
//!   `mlflow.source.name` (the .mlf file), `mlflow.source.type` (`LOCAL`) and
//!   `mlflow.source.git.commit`. Values are cut at MLflow's 8000 characters.
//! - **Artifact list**: each artifact output as a tag
//!   `mlforge.artifact.<step>[/<element>…].<output>` = `{"hash","size","type","kind"}`,
//!   and the whole list (every step instance with its status, its outputs, and its inputs
//!   with the `STEP.OUTPUT` each came from, as `mlforge lineage` shows) as the JSON file
//!   `mlforge/artifacts.json` among the run's MLflow artifacts, uploaded through the
//!   server's artifact proxy (`/api/2.0/mlflow-artifacts/artifacts/…`) when the run's
//!   artifact URI is `mlflow-artifacts:` (the server was started with `--serve-artifacts`).
//!   Otherwise the client would have to write to the artifact store itself (S3, a shared
//!   folder, …), which this crate does not do: the tags alone carry the list, and a note
//!   says so. The artifacts' contents are not uploaded: they stay in the mlforge store,
//!   named by their hashes.
//!
//! Keys keep only ASCII letters, digits, `_ - . /` and spaces (anything else becomes `_`),
//! have no empty, `.` or `..` path segment, and are at most 250 characters (a longer one is
//! cut and ends with a hash of the whole); two names that end up alike get `_2`, `_3`, ….
//! Every change of a name or value is listed in [`Mirrored::notes`].
//!
//! # Calls
//!
//! `experiments/get-by-name` (and `experiments/create`), `runs/search` for a run tagged
//! with the same `mlforge.run_id`, `runs/create` (with the identifying tags), then
//! `runs/log-batch` calls of at most 100 params, 100 tags and 1000 metrics (1000 entities
//! in all), the artifact list upload, and `runs/update` with the status last. So an MLflow
//! run that is no longer `RUNNING` is a complete mirror: mirroring it again sends nothing
//! and reports it. One still `RUNNING` is a mirror that broke off: mirroring again
//! completes it, sending only the params and metrics it lacks.
//!
//! Credentials come from `MLFLOW_TRACKING_TOKEN` (bearer) or `MLFLOW_TRACKING_USERNAME`
//! and `MLFLOW_TRACKING_PASSWORD` (basic). Connecting times out after 10 s, a whole request
//! after 30 s: a mirror never hangs a run.

mod client;
mod mapping;
mod snapshot;

use std::collections::HashSet;

use mlforge_store::Lineage;
use serde_json::{json, Value};

pub use crate::client::{
    normalize_uri, Auth, Client, MirrorError, CONNECT_TIMEOUT, REQUEST_TIMEOUT,
};
pub use crate::mapping::{
    batches, create_body, instance_key, log_batch_body, map_run, mlflow_status, param_value,
    sanitize_key, search_filter, update_body, Batch, KeyValue, Mapping, Metric,
    MAX_ENTITIES_PER_BATCH, MAX_KEY, MAX_METRICS_PER_BATCH, MAX_PARAMS_PER_BATCH, MAX_PARAM_VALUE,
    MAX_TAGS_PER_BATCH, MAX_TAG_VALUE, RUN_ID_TAG,
};
pub use crate::snapshot::{InputSnapshot, RunSnapshot, StepSnapshot};

/// Where to mirror to.
#[derive(Clone, Debug)]
pub struct Target {
    /// The tracking server's root URL (`http://127.0.0.1:5000`).
    pub uri: String,
    /// The experiment's name; the pipeline's name when `None`.
    pub experiment: Option<String>,
    pub auth: Auth,
}

/// How the MLflow run came to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MirrorKind {
    /// A new MLflow run.
    Created,
    /// A mirror that had broken off, completed.
    Completed,
    /// The run had been mirrored already; nothing was sent.
    AlreadyMirrored,
}

/// What a mirror did.
#[derive(Clone, Debug)]
pub struct Mirrored {
    pub kind: MirrorKind,
    pub experiment: String,
    pub experiment_id: String,
    pub run_id: String,
    /// The run's page in MLflow's UI.
    pub url: String,
    pub params: usize,
    pub metrics: usize,
    pub tags: usize,
    /// Where `mlforge/artifacts.json` went, if it was uploaded.
    pub artifact_list: Option<String>,
    /// Names and values changed to fit MLflow, and what could not be sent.
    pub notes: Vec<String>,
}

/// Mirrors mlforge run `run` (its number in `lineage`) to `target`.
pub fn mirror(lineage: &Lineage, run: i64, target: &Target) -> Result<Mirrored, MirrorError> {
    let snapshot = RunSnapshot::read(lineage, run)?.ok_or(MirrorError::NoSuchRun(run))?;
    let mut mapping = map_run(&snapshot).ok_or(MirrorError::StillRunning(run))?;
    let client = Client::new(&target.uri, &target.auth)?;
    let experiment = target
        .experiment
        .clone()
        .unwrap_or_else(|| snapshot.run.pipeline.clone());
    let experiment_id = find_or_create_experiment(&client, &experiment)?;

    let existing = find_mirror(&client, &experiment_id, &snapshot.run.uuid)?;
    let (kind, info, endpoint) = match existing {
        Some(found) => {
            let info = found.get("info").cloned().unwrap_or(Value::Null);
            let status = info.get("status").and_then(Value::as_str).unwrap_or("");
            if status != "RUNNING" && status != "SCHEDULED" {
                let run_id = string_at(&client, &info, "run_id", "runs/search")?;
                return Ok(Mirrored {
                    kind: MirrorKind::AlreadyMirrored,
                    url: run_url(client.base(), &experiment_id, &run_id),
                    experiment,
                    experiment_id,
                    run_id,
                    params: 0,
                    metrics: 0,
                    tags: 0,
                    artifact_list: None,
                    notes: Vec::new(),
                });
            }
            skip_logged(&mut mapping, found.get("data").unwrap_or(&Value::Null));
            // Tags may be set again: those `runs/create` would have set go with the rest.
            let mut tags = mapping.create_tags.clone();
            tags.append(&mut mapping.tags);
            mapping.tags = tags;
            (MirrorKind::Completed, info, "runs/search")
        }
        None => {
            let created = client.post("runs/create", &create_body(&experiment_id, &mapping))?;
            let info = created
                .get("run")
                .and_then(|r| r.get("info"))
                .cloned()
                .ok_or_else(|| client.missing("runs/create", "run.info"))?;
            (MirrorKind::Created, info, "runs/create")
        }
    };
    let run_id = string_at(&client, &info, "run_id", endpoint)?;

    for batch in batches(&mapping.params, &mapping.metrics, &mapping.tags) {
        client.post("runs/log-batch", &log_batch_body(&run_id, &batch))?;
    }

    let artifact_uri = info.get("artifact_uri").and_then(Value::as_str);
    let artifact_list = match artifact_uri.and_then(proxied_artifact_path) {
        Some(root) => {
            let path = format!("{root}/mlforge/artifacts.json");
            let text = serde_json::to_string_pretty(&mapping.artifacts)
                .unwrap_or_else(|_| mapping.artifacts.to_string());
            client.put_artifact(&path, text.as_bytes())?;
            Some(format!(
                "{}/mlforge/artifacts.json",
                artifact_uri.unwrap_or("")
            ))
        }
        None => {
            mapping.notes.push(format!(
                "the artifact list is in the mlforge.artifact.* tags only: the run's artifact \
                 store ({}) is not served by the tracking server (start it with --serve-artifacts \
                 to get mlforge/artifacts.json too)",
                artifact_uri.unwrap_or("unknown")
            ));
            None
        }
    };

    client.post("runs/update", &update_body(&run_id, &mapping))?;
    Ok(Mirrored {
        kind,
        url: run_url(client.base(), &experiment_id, &run_id),
        experiment,
        experiment_id,
        run_id,
        params: mapping.params.len(),
        metrics: mapping.metrics.len(),
        tags: match kind {
            MirrorKind::Completed => mapping.tags.len(),
            _ => mapping.create_tags.len() + mapping.tags.len(),
        },
        artifact_list,
        notes: mapping.notes,
    })
}

/// The string at `key` of an answer, or an error naming what is missing.
fn string_at(
    client: &Client,
    object: &Value,
    key: &str,
    endpoint: &str,
) -> Result<String, MirrorError> {
    object
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| client.missing(endpoint, key))
}

fn run_url(base: &str, experiment_id: &str, run_id: &str) -> String {
    format!("{base}/#/experiments/{experiment_id}/runs/{run_id}")
}

/// The experiment's id, creating it when there is none by that name.
fn find_or_create_experiment(client: &Client, name: &str) -> Result<String, MirrorError> {
    let endpoint = "experiments/get-by-name";
    // Twice at most: when another client creates it between our lookup and our create,
    // the second lookup finds theirs.
    for _ in 0..2 {
        match client.get(endpoint, &[("experiment_name", name)]) {
            Ok(found) => {
                let experiment = found
                    .get("experiment")
                    .ok_or_else(|| client.missing(endpoint, "experiment"))?;
                if experiment.get("lifecycle_stage").and_then(Value::as_str) == Some("deleted") {
                    return Err(MirrorError::ExperimentDeleted(name.to_string()));
                }
                return string_at(client, experiment, "experiment_id", endpoint);
            }
            Err(MirrorError::Http { code: Some(c), .. }) if c == "RESOURCE_DOES_NOT_EXIST" => {}
            Err(e) => return Err(e),
        }
        match client.post("experiments/create", &json!({ "name": name })) {
            Ok(created) => {
                return string_at(client, &created, "experiment_id", "experiments/create")
            }
            Err(MirrorError::Http { code: Some(c), .. }) if c == "RESOURCE_ALREADY_EXISTS" => {}
            Err(e) => return Err(e),
        }
    }
    Err(client.missing(endpoint, "experiment, though creating it said it exists"))
}

/// The MLflow run (info and data) already mirroring mlforge run `uuid`, if any.
fn find_mirror(
    client: &Client,
    experiment_id: &str,
    uuid: &str,
) -> Result<Option<Value>, MirrorError> {
    let found = client.post(
        "runs/search",
        &json!({
            "experiment_ids": [experiment_id],
            "filter": search_filter(uuid),
            "max_results": 1,
        }),
    )?;
    // MLflow leaves `runs` out when none match.
    Ok(match found.get("runs") {
        Some(Value::Array(runs)) => runs.first().cloned(),
        Some(_) => return Err(client.missing("runs/search", "list of runs")),
        None => None,
    })
}

/// Drops the params and metrics a broken-off mirror already logged: logging a param again
/// is allowed only with the same value, and a metric again would add a second point.
fn skip_logged(mapping: &mut Mapping, data: &Value) {
    let keys = |field: &str| -> HashSet<String> {
        data.get(field)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| i.get("key").and_then(Value::as_str).map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let params = keys("params");
    let metrics = keys("metrics");
    mapping.params.retain(|p| !params.contains(&p.key));
    mapping.metrics.retain(|m| !metrics.contains(&m.key));
}

/// The path under the server's artifact proxy for an `mlflow-artifacts:` URI
/// (`mlflow-artifacts:/1/abc/artifacts`, or with a host: `mlflow-artifacts://h:5000/1/…`);
/// `None` for any other artifact store.
fn proxied_artifact_path(uri: &str) -> Option<String> {
    let rest = uri.strip_prefix("mlflow-artifacts:")?;
    let path = match rest.strip_prefix("//") {
        Some(with_host) => &with_host[with_host.find('/')?..],
        None => rest,
    };
    let path = path.trim_matches('/');
    (!path.is_empty()).then(|| path.to_string())
}

#[cfg(test)]
mod tests;
