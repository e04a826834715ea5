//! What is mirrored of a run, read from the lineage store through its public queries.

use mlforge_store::{ArtifactRecord, AttemptStatus, Lineage, MetricRecord, RunRecord, StoreError};

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
    /// Index path inside `for` blocks: `""`, `"2"`, `"1.0"`.
    pub element: String,
    pub attempt: u32,
    pub status: AttemptStatus,
    pub started_ms: i64,
    pub ended_ms: Option<i64>,
    pub metrics: Vec<MetricRecord>,
    /// (output name, artifact) for each output that is an artifact.
    pub artifacts: Vec<(String, ArtifactRecord)>,
}

impl RunSnapshot {
    /// Reads run `id`; `None` when there is no such run.
    pub fn read(lineage: &Lineage, id: i64) -> Result<Option<RunSnapshot>, StoreError> {
        let Some(run) = lineage.run(id)? else {
            return Ok(None);
        };
        let mut steps: Vec<StepSnapshot> = Vec::new();
        // Attempts come in the order they started, so a retry replaces the attempt before
        // it: what the run ended with is what is mirrored.
        for attempt in lineage.attempts(id)? {
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
            let snapshot = StepSnapshot {
                step: attempt.step,
                element: attempt.element,
                attempt: attempt.attempt,
                status: attempt.status,
                started_ms: attempt.started_ms,
                ended_ms: attempt.ended_ms,
                metrics,
                artifacts,
            };
            match steps
                .iter_mut()
                .find(|s| s.step == snapshot.step && s.element == snapshot.element)
            {
                Some(earlier) => *earlier = snapshot,
                None => steps.push(snapshot),
            }
        }
        Ok(Some(RunSnapshot { run, steps }))
    }
}
