//! The scheduler: expands `for` and `if` blocks at run time, decides for each step
//! instance whether it is cached, skipped or must run, runs up to `jobs` at once, and
//! records every state change in the lineage store.
//!
//! Instances are keyed by their element path (one index per enclosing `for`). A block
//! instance is keyed by the path of the `for`s around it. Readiness is re-checked only
//! for instances whose dependencies changed (the "dirty" lists), so the work per
//! finished step is proportional to its dependants.
//!
//! One module an idea: `structure` (the program's static steps and blocks), `eval`
//! (expressions at run time), `cache` (reuse or run, and why), `record` (instances that do
//! not run, in the lineage store), `schedule` (expansion, readiness, attempts through an
//! [`Executor`], retries, cancellation). `tests/scheduling.rs` runs it with an executor
//! that runs no process.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use mlforge_ir::{BinaryOperator, BindingValue, Block, Branch, Expr, Op, Program, UnaryOperator};
use mlforge_store::{
    changes, now_ms, ArtifactStore, AttemptRecord, AttemptStatus, Change, Element, KeyParts,
    NewArtifact, NewAttempt, RunStatus, Store, Writer,
};
use rustc_hash::FxHashMap;
use tokio::sync::{mpsc, watch};

use crate::events::{instance_name, Counts, Envelope, Event, EventSink};
use crate::exec::{discard_later, log_tail, AttemptResult, AttemptSpec, ExecStatus, Executor};
use crate::key::key_parts;
use crate::preflight::op_python;
use crate::value::RValue;
use crate::{Failure, PlanEntry, PlanStatus, RunError, Select};

// Each submodule adds methods to the one `Engine`; they reach its private fields and the
// imports above through `use super::*`.
mod cache;
mod eval;
mod record;
mod schedule;
mod structure;

use structure::expr_steps;
pub(crate) use structure::{analyze, expr_params, BlockInfo, StepInfo};

pub(crate) type Path = Vec<u32>;

#[derive(Clone, Debug)]
enum BlockState {
    For(Vec<RValue>),
    If(bool),
    Skipped,
    Unknown,
}

#[derive(Clone, Debug)]
enum Done {
    Ok(BTreeMap<String, RValue>),
    Skipped,
    Failed,
    Cancelled,
    /// Planning: will run, or depends on something that will.
    Unknown,
}

#[derive(Clone, Debug)]
enum State {
    Waiting,
    /// Inputs known; queued, running, or waiting out a retry back-off.
    Active {
        inputs: BTreeMap<String, RValue>,
        key: KeyParts,
        attempts: u32,
    },
    Done(Done),
}

enum EvalError {
    NotReady,
    Fatal(String),
}

type Eval<T> = Result<T, EvalError>;

/// What a finished attempt reports back to the scheduler.
struct Finished {
    step: usize,
    path: Path,
    attempt_id: i64,
    attempt: u32,
    log_path: PathBuf,
    dir: PathBuf,
    result: AttemptResult,
}

enum Message {
    Finished(Box<Finished>),
    RetryDue(usize, Path),
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Run,
    Plan,
}

/// Settings the engine runs with (resolved by `lib.rs`).
pub(crate) struct Settings {
    pub mode: Mode,
    pub jobs: usize,
    pub no_cache: bool,
    pub python: String,
    /// The project root (absolute), for Python bodies' imports.
    pub project_root: Option<std::path::PathBuf>,
    /// The secrets ops read, by name (checked before the run).
    pub secrets: Arc<BTreeMap<String, String>>,
    /// Variables every step's environment gets (`RunOptions::step_env`).
    pub step_env: Arc<BTreeMap<String, String>>,
    /// The hash of what each op's `uses` holds, by op id.
    pub uses: HashMap<String, String>,
    /// Steps `--only`/`--from` run (forced); `None` runs every step normally.
    pub selected: Option<HashSet<usize>>,
    /// Steps that take part (the selected ones and what they need); `None`: all.
    pub needed: Option<HashSet<usize>>,
    /// `--resume`: the earlier run's results by (step, element).
    pub resume: HashMap<(String, Element), AttemptRecord>,
    pub retry_base: Duration,
    pub handle_signals: bool,
    /// Which steps run, when not all (what `selected` came from).
    pub select: Option<Select>,
}

pub(crate) struct Engine<'a> {
    program: &'a Program,
    pub steps: Vec<StepInfo>,
    index_of: FxHashMap<String, usize>,
    blocks: FxHashMap<String, BlockInfo>,
    child_blocks: FxHashMap<Option<String>, Vec<String>>,
    child_steps: FxHashMap<Option<String>, Vec<usize>>,
    params: HashMap<String, RValue>,
    settings: Settings,
    store: &'a mut Store,
    artifacts: ArtifactStore,
    executor: Arc<dyn Executor>,
    sink: &'a mut dyn EventSink,
    run_id: i64,
    work_dir: PathBuf,
    trash_dir: PathBuf,
    logs_dir: PathBuf,

    // The maps looked up for every instance and expression hash with Fx: SipHash's
    // defence against chosen keys buys nothing here, and it was a fifth of planning's time.
    block_states: FxHashMap<(String, Path), BlockState>,
    pending_blocks: FxHashMap<String, BTreeSet<Path>>,
    insts: FxHashMap<(usize, Path), State>,
    waiting: Vec<BTreeSet<Path>>,
    dirty_steps: Vec<(usize, Path)>,
    dirty_blocks: Vec<(String, Path)>,
    queue: VecDeque<(usize, Path)>,
    /// Folders of successful attempts, removed when the run ends.
    finished_dirs: Vec<PathBuf>,
    running: usize,
    backing_off: usize,
    failing: bool,
    cancelling: bool,
    pub counts: Counts,
    pub failures: Vec<Failure>,
    pub fatal: Option<RunError>,
    pub plan: Vec<PlanEntry>,
    cancel_tx: watch::Sender<bool>,
    cancel_rx: watch::Receiver<bool>,
}

fn element_opt(path: &[u32]) -> Option<Vec<u32>> {
    (!path.is_empty()).then(|| path.to_vec())
}

fn safe_name(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl<'a> Engine<'a> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        program: &'a Program,
        steps: Vec<StepInfo>,
        blocks: FxHashMap<String, BlockInfo>,
        params: HashMap<String, RValue>,
        settings: Settings,
        store: &'a mut Store,
        sink: &'a mut dyn EventSink,
        executor: Arc<dyn Executor>,
        run_id: i64,
        root: PathBuf,
    ) -> Engine<'a> {
        let mut child_blocks: FxHashMap<Option<String>, Vec<String>> = FxHashMap::default();
        let mut sorted_blocks: Vec<&BlockInfo> = blocks.values().collect();
        sorted_blocks.sort_by(|a, b| a.id.cmp(&b.id));
        for info in sorted_blocks {
            child_blocks
                .entry(info.ancestors.last().cloned())
                .or_default()
                .push(info.id.clone());
        }
        let mut child_steps: FxHashMap<Option<String>, Vec<usize>> = FxHashMap::default();
        for step in &steps {
            child_steps
                .entry(step.scope.last().cloned())
                .or_default()
                .push(step.index);
        }
        let (cancel_tx, cancel_rx) = watch::channel(false);
        let n = steps.len();
        let index_of = steps.iter().map(|s| (s.id.clone(), s.index)).collect();
        let artifacts = store.artifacts.clone();
        Engine {
            program,
            steps,
            index_of,
            blocks,
            child_blocks,
            child_steps,
            params,
            settings,
            store,
            artifacts,
            executor,
            sink,
            run_id,
            work_dir: root.join("work").join(run_id.to_string()),
            trash_dir: root.join("trash"),
            logs_dir: root.join("logs").join(run_id.to_string()),
            block_states: FxHashMap::default(),
            pending_blocks: FxHashMap::default(),
            insts: FxHashMap::default(),
            waiting: vec![BTreeSet::new(); n],
            dirty_steps: Vec::new(),
            dirty_blocks: Vec::new(),
            queue: VecDeque::new(),
            finished_dirs: Vec::new(),
            running: 0,
            backing_off: 0,
            failing: false,
            cancelling: false,
            counts: Counts::default(),
            failures: Vec::new(),
            fatal: None,
            plan: Vec::new(),
            cancel_tx,
            cancel_rx,
        }
    }

    fn emit(&mut self, event: Event) {
        if self.settings.mode == Mode::Run {
            self.sink.emit(&Envelope {
                event: &event,
                run_id: self.run_id,
                time_ms: now_ms(),
            });
        }
    }

    fn is_for(&self, block: &str) -> bool {
        matches!(
            self.blocks.get(block).map(|b| &b.block),
            Some(Block::For { .. })
        )
    }

    fn for_depth(&self, scope: &[String]) -> usize {
        scope.iter().filter(|b| self.is_for(b)).count()
    }

    /// How many path indices two scopes share.
    fn shared_depth(&self, a: &[String], b: &[String]) -> usize {
        let common = a.iter().zip(b).take_while(|(x, y)| x == y).count();
        self.for_depth(&a[..common])
    }

    fn takes_part(&self, step: usize) -> bool {
        self.settings
            .needed
            .as_ref()
            .is_none_or(|needed| needed.contains(&step))
    }

    fn fatal_error(&mut self, error: RunError) {
        if self.fatal.is_none() {
            self.fatal = Some(error);
        }
        self.failing = true;
    }

    /// Instances that never got their inputs (after a failure, or a bug).
    pub fn stuck(&self) -> Vec<String> {
        let mut names = Vec::new();
        for (step, paths) in self.waiting.iter().enumerate() {
            for path in paths {
                names.push(instance_name(&self.steps[step].id, path));
            }
        }
        names
    }

    /// The pipeline's declared outputs, where known.
    pub fn pipeline_outputs(&self) -> serde_json::Value {
        let mut object = serde_json::Map::new();
        for output in &self.program.outputs {
            if let Ok(value) = self.eval(&output.value, &[], &[]) {
                object.insert(output.name.clone(), value.to_json());
            }
        }
        serde_json::Value::Object(object)
    }

    pub fn status(&self) -> RunStatus {
        if self.cancelling {
            RunStatus::Cancelled
        } else if self.failing || !self.failures.is_empty() || self.fatal.is_some() {
            RunStatus::Failed
        } else {
            RunStatus::Succeeded
        }
    }
}

fn outputs_json(outputs: &BTreeMap<String, RValue>) -> serde_json::Value {
    serde_json::Value::Object(
        outputs
            .iter()
            .map(|(k, v)| (k.clone(), v.to_json()))
            .collect(),
    )
}
