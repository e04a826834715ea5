//! What is mirrored of a run, read from the lineage store through its public queries.

use mlforge_store::{
    input_label, last_attempts, ArtifactRecord, AttemptStatus, Element, Lineage, MetricRecord,
    RunRecord, StoreError,
};

/// A finished run as the mirror sees it: the run record and the last attempt of each step
/// instance, with that attempt's metrics and artifact outputs.
#[derive(Clone, Debug)]
pub struct RunSnapshot {
    pub run: RunRecord,
    pub steps: Vec<StepSnapshot>,
}

/// One step instance (`fit`, or one element of a `for`: `fit` with element `"1.0"`).
#[derive(Clone, Debug)]
pub struct StepSnapshot {
    pub step: String,
    pub element: Element,
    pub attempt: u32,
    pub status: AttemptStatus,
    pub started_ms: i64,
    pub ended_ms: Option<i64>,
    pub metrics: Vec<MetricRecord>,
    /// (output name, artifact) for each output that is an artifact.
    pub artifacts: Vec<(String, ArtifactRecord)>,
    /// The artifacts it read, and which step's output each was.
    pub inputs: Vec<InputSnapshot>,
}

/// An artifact a step instance read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputSnapshot {
    /// The input, with its list position: `models[1]`.
    pub input: String,
    pub hash: String,
    /// The output it was, as `STEP.OUTPUT` of the same run (`best.model`); `None` for a
    /// param file (or a record older than provenance per step).
    pub from: Option<String>,
}

impl RunSnapshot {
    /// Reads run `id`; `None` when there is no such run.
    pub fn read(lineage: &Lineage, id: i64) -> Result<Option<RunSnapshot>, StoreError> {
        let Some(run) = lineage.run(id)? else {
            return Ok(None);
        };
        let mut steps: Vec<StepSnapshot> = Vec::new();
        // What the run ended with is what is mirrored.
        for attempt in last_attempts(lineage.attempts(id)?) {
            // A cached step's metrics are those of the attempt it reused (as `show` does).
            let metrics = lineage.metrics(attempt.cached_from.unwrap_or(attempt.id))?;
            let mut artifacts = Vec::new();
            for output in lineage.outputs(attempt.id)? {
                let Some(hash) = output.artifact else {
                    continue;
                };
                if let Some(record) = lineage.artifact(&hash)? {
                    artifacts.push((output.name, record));
                }
            }
            let mut inputs = Vec::new();
            for consumed in lineage.consumed(attempt.id)? {
                let from = match (consumed.from_attempt, consumed.from_output) {
                    (Some(id), Some(output)) => lineage
                        .attempt(id)?
                        .map(|a| format!("{}.{output}", a.element.instance_name(&a.step))),
                    _ => None,
                };
                let input = input_label(&consumed.input, &consumed.position);
                inputs.push(InputSnapshot {
                    input,
                    hash: consumed.artifact,
                    from,
                });
            }
            steps.push(StepSnapshot {
                step: attempt.step,
                element: attempt.element,
                attempt: attempt.attempt,
                status: attempt.status,
                started_ms: attempt.started_ms,
                ended_ms: attempt.ended_ms,
                metrics,
                artifacts,
                inputs,
            });
        }
        Ok(Some(RunSnapshot { run, steps }))
    }
}
