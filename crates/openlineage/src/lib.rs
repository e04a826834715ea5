//! A recorded run as OpenLineage run events, read from the lineage store through its
//! public queries.
//!
//! Each step attempt is one OpenLineage run: a `START` event when it started and, once it
//! ended, `COMPLETE` (succeeded or cached; its artifact outputs are the output datasets),
//! `FAIL` (failed or timed out) or `ABORT` (skipped, cancelled, interrupted). The job is
//! `PIPELINE.STEP`. A dataset is one generation of an artifact: the output of one step of
//! one run, named `PIPELINE/RUN/STEP.OUTPUT` in the `mlforge` namespace, with its sha256
//! as the dataset version. The same bytes written by two steps are two datasets, so a
//! step's input names the very output it read (a cached step's outputs are its own
//! record's, in this run). A param file, which no step wrote, is named by its sha256.
//! Run ids are UUIDs derived from the run's uuid and the attempt, so exporting the same
//! run twice gives the same events.

use std::collections::HashSet;

use mlforge_store::{sha256_hex, AttemptRecord, AttemptStatus, Lineage, RunRecord, StoreError};
use serde_json::{json, Value};

pub const PRODUCER: &str = "https://github.com/mlforge/mlforge";
pub const RUN_EVENT_SCHEMA: &str =
    "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent";
pub const NAMESPACE: &str = "mlforge";

/// The events of every attempt of `run`, in the order the attempts started.
pub fn run_events(lineage: &Lineage, run: &RunRecord) -> Result<Vec<Value>, StoreError> {
    let mut events = Vec::new();
    for attempt in lineage.attempts(run.id)? {
        events.extend(attempt_events(lineage, run, &attempt)?);
    }
    Ok(events)
}

/// How an attempt's OpenLineage run ended; `None` while it runs.
fn end_kind(status: AttemptStatus) -> Option<&'static str> {
    match status {
        AttemptStatus::Succeeded | AttemptStatus::Cached => Some("COMPLETE"),
        AttemptStatus::Failed | AttemptStatus::TimedOut => Some("FAIL"),
        AttemptStatus::Skipped | AttemptStatus::Cancelled | AttemptStatus::Interrupted => {
            Some("ABORT")
        }
        AttemptStatus::Running => None,
    }
}

fn attempt_events(
    lineage: &Lineage,
    run: &RunRecord,
    attempt: &AttemptRecord,
) -> Result<Vec<Value>, StoreError> {
    let mut seen = HashSet::new();
    let mut inputs: Vec<Value> = Vec::new();
    for consumed in lineage.consumed(attempt.id)? {
        let name = match (consumed.from_attempt, &consumed.from_output) {
            (Some(from), Some(output)) => match lineage.attempt(from)? {
                Some(writer) => generation(&run.pipeline, &writer, output),
                None => consumed.artifact.clone(),
            },
            _ => consumed.artifact.clone(),
        };
        if seen.insert(name.clone()) {
            inputs.push(dataset(&name, &consumed.artifact));
        }
    }
    let written: Vec<Value> = lineage
        .outputs(attempt.id)?
        .into_iter()
        .filter_map(|o| {
            let hash = o.artifact?;
            Some(dataset(&generation(&run.pipeline, attempt, &o.name), &hash))
        })
        .collect();
    let run_id = derived_uuid(&[
        &run.uuid,
        &attempt.step,
        &attempt.element.to_string(),
        &attempt.attempt.to_string(),
    ]);
    let job = json!({
        "namespace": NAMESPACE,
        "name": format!("{}.{}", run.pipeline, attempt.step),
    });
    let event = |kind: &str, ms: i64, outputs: &[Value]| {
        json!({
            "eventType": kind,
            "eventTime": rfc3339(ms),
            "producer": PRODUCER,
            "schemaURL": RUN_EVENT_SCHEMA,
            "run": { "runId": run_id },
            "job": job,
            "inputs": inputs,
            "outputs": outputs,
        })
    };
    let mut events = vec![event("START", attempt.started_ms, &[])];
    if let Some(kind) = end_kind(attempt.status) {
        let ms = attempt
            .ended_ms
            .or(run.ended_ms)
            .unwrap_or(attempt.started_ms);
        let outputs: &[Value] = if kind == "COMPLETE" { &written } else { &[] };
        events.push(event(kind, ms, outputs));
    }
    Ok(events)
}

/// `PIPELINE/RUN/STEP.OUTPUT`: one step's output in one run.
fn generation(pipeline: &str, attempt: &AttemptRecord, output: &str) -> String {
    format!(
        "{pipeline}/{}/{}.{output}",
        attempt.run_id,
        attempt.element.instance_name(&attempt.step)
    )
}

fn dataset(name: &str, hash: &str) -> Value {
    json!({
        "namespace": NAMESPACE,
        "name": name,
        "facets": {
            "version": {
                "_producer": PRODUCER,
                "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet",
                "datasetVersion": hash,
            }
        }
    })
}

/// A UUID (version 8: custom, RFC 9562) derived from sha256 of the parts.
fn derived_uuid(parts: &[&str]) -> String {
    let hex = sha256_hex(parts.join("\u{1f}").as_bytes());
    let mut digits: Vec<char> = hex[..32].chars().collect();
    digits[12] = '8';
    // Variant 10xx.
    let variant = u8::from_str_radix(&hex[16..17], 16).unwrap_or(0) & 0x3 | 0x8;
    digits[16] = char::from_digit(u32::from(variant), 16).unwrap_or('8');
    let s: String = digits.into_iter().collect();
    format!(
        "{}-{}-{}-{}-{}",
        &s[..8],
        &s[8..12],
        &s[12..16],
        &s[16..20],
        &s[20..32]
    )
}

/// RFC 3339 in UTC with milliseconds; the Unix epoch for an instant outside jiff's range
/// (the store only holds clock readings, so that never happens in practice).
fn rfc3339(ms: i64) -> String {
    let at = jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

#[cfg(test)]
mod tests;
