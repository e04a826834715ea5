//! What a run reports as it goes (see `EVENTS.md` for the JSON form).

use serde::Serialize;

/// Element indices of a step instance inside `for` blocks, outermost first; empty
/// outside any `for`.
pub type Element = Vec<u32>;

/// Counts of step instances by how they ended.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub succeeded: usize,
    pub cached: usize,
    pub failed: usize,
    pub skipped: usize,
    pub cancelled: usize,
}

/// One event.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    RunStarted {
        uuid: String,
        pipeline: String,
        file: String,
        params: serde_json::Value,
        jobs: usize,
        /// Steps in the pipeline (before `for` fan-out).
        steps: usize,
        /// How many of them are inside a `for` (each runs once per element, so the
        /// run's counts, which are of instances, may exceed `steps`).
        steps_in_loops: usize,
        #[serde(skip_serializing_if = "Option::is_none")]
        resumed_from: Option<i64>,
    },
    StepQueued {
        step: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        element: Option<Element>,
    },
    StepStarted {
        step: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        element: Option<Element>,
        attempt: u32,
        log_path: String,
    },
    StepRetrying {
        step: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        element: Option<Element>,
        /// The attempt that failed.
        attempt: u32,
        delay_ms: u64,
        error: String,
        log_path: String,
    },
    StepSucceeded {
        step: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        element: Option<Element>,
        attempt: u32,
        duration_ms: u64,
        outputs: serde_json::Value,
        log_path: String,
    },
    StepCached {
        step: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        element: Option<Element>,
        /// The run whose attempt produced the outputs.
        from_run: i64,
        outputs: serde_json::Value,
        #[serde(skip_serializing_if = "Option::is_none")]
        log_path: Option<String>,
    },
    StepFailed {
        step: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        element: Option<Element>,
        attempt: u32,
        duration_ms: u64,
        error: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        exit_code: Option<i32>,
        /// Absent when the step failed before its process started.
        #[serde(skip_serializing_if = "Option::is_none")]
        log_path: Option<String>,
        /// The last lines of the log.
        log_tail: Vec<String>,
    },
    StepSkipped {
        step: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        element: Option<Element>,
        reason: String,
    },
    StepCancelled {
        step: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        element: Option<Element>,
        attempt: u32,
        duration_ms: u64,
        log_path: String,
    },
    RunFinished {
        /// `succeeded`, `failed` or `cancelled`.
        status: String,
        duration_ms: u64,
        counts: Counts,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        /// The pipeline's declared outputs (`output NAME = …`), where known.
        outputs: serde_json::Value,
    },
}

impl Event {
    /// The step id, for step events.
    pub fn step(&self) -> Option<&str> {
        match self {
            Event::StepQueued { step, .. }
            | Event::StepStarted { step, .. }
            | Event::StepRetrying { step, .. }
            | Event::StepSucceeded { step, .. }
            | Event::StepCached { step, .. }
            | Event::StepFailed { step, .. }
            | Event::StepSkipped { step, .. }
            | Event::StepCancelled { step, .. } => Some(step),
            _ => None,
        }
    }
}

/// An event with the run it belongs to and when it happened.
#[derive(Clone, Debug, Serialize)]
pub struct Envelope<'a> {
    #[serde(flatten)]
    pub event: &'a Event,
    pub run_id: i64,
    /// Unix time, milliseconds.
    pub time_ms: i64,
}

/// Where events go: the CLI prints them (JSON lines, plain lines, or progress bars).
pub trait EventSink {
    fn emit(&mut self, envelope: &Envelope<'_>);
}

/// A sink that drops everything.
pub struct NoEvents;

impl EventSink for NoEvents {
    fn emit(&mut self, _: &Envelope<'_>) {}
}

/// A sink that keeps everything (for tests).
#[derive(Default)]
pub struct CollectEvents(pub Vec<serde_json::Value>);

impl EventSink for CollectEvents {
    fn emit(&mut self, envelope: &Envelope<'_>) {
        self.0
            .push(serde_json::to_value(envelope).expect("events serialize"));
    }
}

/// `step` or `step[1,0]`, for people.
pub fn instance_name(step: &str, element: &[u32]) -> String {
    mlforge_store::Element::from(element).instance_name(step)
}
