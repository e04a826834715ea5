//! The scheduler: expands `for` and `if` blocks at run time, decides for each step
//! instance whether it is cached, skipped or must run, runs up to `jobs` at once, and
//! records every state change in the lineage store.
//!
//! Instances are keyed by their element path (one index per enclosing `for`). A block
//! instance is keyed by the path of the `for`s around it. Readiness is re-checked only
//! for instances whose dependencies changed (the "dirty" lists), so the work per
//! finished step is proportional to its dependants.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use mlforge_ir::{BindingValue, Block, Branch, Expr, Op, Program};
use mlforge_store::{
    changes, now_ms, ArtifactStore, AttemptRecord, AttemptStatus, Change, Element, KeyParts,
    NewArtifact, NewAttempt, RunStatus, Store,
};
use tokio::sync::{mpsc, watch};

use crate::events::{instance_name, Counts, Envelope, Event, EventSink};
use crate::exec::{discard_later, log_tail, run_attempt, AttemptResult, AttemptSpec, ExecStatus};
use crate::key::key_parts;
use crate::value::RValue;
use crate::{Failure, PlanEntry, PlanStatus, RunError};

pub(crate) type Path = Vec<u32>;

/// Static facts about a step.
pub(crate) struct StepInfo {
    pub id: String,
    pub op_id: String,
    pub op: Arc<Op>,
    pub index: usize,
    pub scope: Vec<String>,
    /// Steps whose instances may become ready when this one's finish.
    pub dependents: Vec<usize>,
    /// Blocks whose expression reads this step.
    pub block_dependents: Vec<String>,
    /// Steps this one reads or waits for (data, `after`, and its blocks' expressions).
    pub upstream: Vec<usize>,
}

pub(crate) struct BlockInfo {
    pub id: String,
    /// Enclosing blocks, outermost first (not this one).
    pub ancestors: Vec<String>,
    pub block: Block,
}

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
    /// Steps `--only`/`--from` run (forced); `None` runs every step normally.
    pub selected: Option<HashSet<usize>>,
    /// Steps that take part (the selected ones and what they need); `None`: all.
    pub needed: Option<HashSet<usize>>,
    /// `--resume`: the earlier run's results by (step, element).
    pub resume: HashMap<(String, Element), AttemptRecord>,
    pub retry_base: Duration,
    pub handle_signals: bool,
    pub option_name: &'static str,
}

pub(crate) struct Engine<'a> {
    program: &'a Program,
    pub steps: Vec<StepInfo>,
    index_of: HashMap<String, usize>,
    blocks: HashMap<String, BlockInfo>,
    child_blocks: HashMap<Option<String>, Vec<String>>,
    child_steps: HashMap<Option<String>, Vec<usize>>,
    params: HashMap<String, RValue>,
    settings: Settings,
    store: &'a mut Store,
    artifacts: ArtifactStore,
    sink: &'a mut dyn EventSink,
    run_id: i64,
    work_dir: PathBuf,
    trash_dir: PathBuf,
    logs_dir: PathBuf,

    block_states: HashMap<(String, Path), BlockState>,
    pending_blocks: HashMap<String, BTreeSet<Path>>,
    insts: HashMap<(usize, Path), State>,
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
    pub fatal: Option<String>,
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

/// Collects the steps an expression reads.
fn expr_steps(expr: &Expr, out: &mut Vec<String>) {
    match expr {
        Expr::StepOutput { step, .. } => out.push(step.clone()),
        Expr::List { items } => items.iter().for_each(|i| expr_steps(i, out)),
        Expr::Unary { operand, .. } => expr_steps(operand, out),
        Expr::Binary { lhs, rhs, .. } => {
            expr_steps(lhs, out);
            expr_steps(rhs, out);
        }
        Expr::Literal { .. } | Expr::Param { .. } | Expr::LoopVar { .. } => {}
    }
}

fn block_expr(block: &Block) -> &Expr {
    match block {
        Block::For { over, .. } => over,
        Block::If { condition, .. } => condition,
    }
}

/// Static structure of a program: steps with their dependency lists, blocks.
pub(crate) fn analyze(
    program: &Program,
) -> Result<(Vec<StepInfo>, HashMap<String, BlockInfo>), String> {
    let index: HashMap<&str, usize> = program
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    let mut blocks = HashMap::new();
    for (id, block) in &program.blocks {
        let mut ancestors = Vec::new();
        let mut parent = match block {
            Block::For { parent, .. } | Block::If { parent, .. } => parent.clone(),
        };
        while let Some(p) = parent {
            ancestors.insert(0, p.clone());
            parent = match program.blocks.get(&p) {
                Some(Block::For { parent, .. } | Block::If { parent, .. }) => parent.clone(),
                None => return Err(format!("block `{p}` is missing from the IR")),
            };
        }
        blocks.insert(
            id.clone(),
            BlockInfo {
                id: id.clone(),
                ancestors,
                block: block.clone(),
            },
        );
    }
    let mut steps = Vec::new();
    for (i, step) in program.steps.iter().enumerate() {
        let op = program.ops.get(&step.op).ok_or_else(|| {
            format!(
                "op `{}` of step `{}` is missing from the IR",
                step.op, step.id
            )
        })?;
        let mut reads = Vec::new();
        for binding in &step.bindings {
            if let BindingValue::Given { expr } = &binding.value {
                expr_steps(expr, &mut reads);
            }
        }
        reads.extend(step.after.iter().cloned());
        for block in &step.scope {
            if let Some(info) = blocks.get(block) {
                expr_steps(block_expr(&info.block), &mut reads);
            }
        }
        let mut upstream: Vec<usize> = Vec::new();
        for name in reads {
            let &j = index
                .get(name.as_str())
                .ok_or_else(|| format!("step `{}` reads unknown step `{name}`", step.id))?;
            if !upstream.contains(&j) {
                upstream.push(j);
            }
        }
        steps.push(StepInfo {
            id: step.id.clone(),
            op_id: step.op.clone(),
            op: Arc::new(op.clone()),
            index: i,
            scope: step.scope.clone(),
            dependents: Vec::new(),
            block_dependents: Vec::new(),
            upstream,
        });
    }
    // Reverse edges: data and `after` only (block expressions are tracked per block).
    for (i, step) in program.steps.iter().enumerate() {
        let mut reads = Vec::new();
        for binding in &step.bindings {
            if let BindingValue::Given { expr } = &binding.value {
                expr_steps(expr, &mut reads);
            }
        }
        reads.extend(step.after.iter().cloned());
        for name in reads {
            let j = index[name.as_str()];
            if !steps[j].dependents.contains(&i) {
                steps[j].dependents.push(i);
            }
        }
    }
    for (id, info) in &blocks {
        let mut reads = Vec::new();
        expr_steps(block_expr(&info.block), &mut reads);
        for name in reads {
            if let Some(&j) = index.get(name.as_str()) {
                if !steps[j].block_dependents.contains(id) {
                    steps[j].block_dependents.push(id.clone());
                }
            }
        }
    }
    Ok((steps, blocks))
}

impl<'a> Engine<'a> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        program: &'a Program,
        steps: Vec<StepInfo>,
        blocks: HashMap<String, BlockInfo>,
        params: HashMap<String, RValue>,
        settings: Settings,
        store: &'a mut Store,
        sink: &'a mut dyn EventSink,
        run_id: i64,
        root: PathBuf,
    ) -> Engine<'a> {
        let mut child_blocks: HashMap<Option<String>, Vec<String>> = HashMap::new();
        let mut sorted_blocks: Vec<&BlockInfo> = blocks.values().collect();
        sorted_blocks.sort_by(|a, b| a.id.cmp(&b.id));
        for info in sorted_blocks {
            child_blocks
                .entry(info.ancestors.last().cloned())
                .or_default()
                .push(info.id.clone());
        }
        let mut child_steps: HashMap<Option<String>, Vec<usize>> = HashMap::new();
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
            sink,
            run_id,
            work_dir: root.join("work").join(run_id.to_string()),
            trash_dir: root.join("trash"),
            logs_dir: root.join("logs").join(run_id.to_string()),
            block_states: HashMap::new(),
            pending_blocks: HashMap::new(),
            insts: HashMap::new(),
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

    // ---- expansion ----------------------------------------------------------------

    /// Creates the block and step instances directly inside `scope` at `path`.
    fn expand(&mut self, scope: Option<&str>, path: &Path) {
        let key = scope.map(str::to_string);
        for block in self.child_blocks.get(&key).cloned().unwrap_or_default() {
            self.pending_blocks
                .entry(block.clone())
                .or_default()
                .insert(path.clone());
            self.dirty_blocks.push((block, path.clone()));
        }
        for step in self.child_steps.get(&key).cloned().unwrap_or_default() {
            if !self.takes_part(step) {
                continue;
            }
            self.insts.insert((step, path.clone()), State::Waiting);
            self.waiting[step].insert(path.clone());
            self.dirty_steps.push((step, path.clone()));
        }
    }

    /// Marks everything inside `scope` at `path` as skipped (or unknown, when planning).
    fn skip_inside(&mut self, scope: &str, path: &Path, unknown: bool, reason: &str) {
        let key = Some(scope.to_string());
        for block in self.child_blocks.get(&key).cloned().unwrap_or_default() {
            let state = if unknown {
                BlockState::Unknown
            } else {
                BlockState::Skipped
            };
            self.block_states
                .insert((block.clone(), path.clone()), state);
            self.skip_inside(&block, path, unknown, reason);
        }
        for step in self.child_steps.get(&key).cloned().unwrap_or_default() {
            if !self.takes_part(step) {
                continue;
            }
            if unknown {
                self.plan_entry(step, path, PlanStatus::Unknown, Vec::new(), reason.into());
                self.finish(step, path.clone(), Done::Unknown);
            } else {
                self.record_skip(step, path, reason);
            }
        }
    }

    fn record_skip(&mut self, step: usize, path: &Path, reason: &str) {
        if self.settings.mode == Mode::Plan {
            self.plan_entry(step, path, PlanStatus::Skipped, Vec::new(), reason.into());
        } else {
            let info = &self.steps[step];
            let (id, op_id) = (info.id.clone(), info.op_id.clone());
            let element = Element::from(path.as_slice());
            let run_id = self.run_id;
            let result = self.store.lineage.write(|w| {
                let attempt = w.start_attempt(&NewAttempt {
                    run_id,
                    step: &id,
                    element: &element,
                    attempt: 0,
                    op: &op_id,
                    started_ms: now_ms(),
                    key: None,
                    cached_from: None,
                    log_path: None,
                })?;
                w.end_attempt(attempt, AttemptStatus::Skipped, None, Some(reason))
            });
            if let Err(e) = result {
                self.fatal_error(format!("cannot record a skipped step: {e}"));
            }
            self.counts.skipped += 1;
            self.emit(Event::StepSkipped {
                step: id,
                element: element_opt(path),
                reason: reason.to_string(),
            });
        }
        self.finish(step, path.clone(), Done::Skipped);
    }

    /// An instance is done: store it and wake its dependants.
    fn finish(&mut self, step: usize, path: Path, done: Done) {
        self.waiting[step].remove(&path);
        let scope = self.steps[step].scope.clone();
        for &d in &self.steps[step].dependents.clone() {
            let depth = self.shared_depth(&scope, &self.steps[d].scope);
            self.dirty_steps
                .push((d, path[..depth.min(path.len())].to_vec()));
        }
        for b in self.steps[step].block_dependents.clone() {
            let ancestors = self.blocks[&b].ancestors.clone();
            let depth = self.shared_depth(&scope, &ancestors);
            self.dirty_blocks
                .push((b, path[..depth.min(path.len())].to_vec()));
        }
        self.insts.insert((step, path), State::Done(done));
    }

    /// Wakes the dependants of every step inside a block (an empty `for` finishes no
    /// instance, yet makes fan-ins over it complete).
    fn wake_dependants_of_block(&mut self, block: &str) {
        let inside: Vec<usize> = self
            .steps
            .iter()
            .filter(|s| s.scope.iter().any(|b| b == block))
            .map(|s| s.index)
            .collect();
        for s in inside {
            for d in self.steps[s].dependents.clone() {
                self.dirty_steps.push((d, Vec::new()));
            }
            for b in self.steps[s].block_dependents.clone() {
                self.dirty_blocks.push((b, Vec::new()));
            }
        }
    }

    // ---- evaluation ---------------------------------------------------------------

    fn eval(&self, expr: &Expr, scope: &[String], path: &[u32]) -> Eval<RValue> {
        Ok(match expr {
            Expr::Literal { value, ty } => RValue::from_ir(value, ty),
            Expr::Param { name, .. } => self
                .params
                .get(name)
                .cloned()
                .ok_or_else(|| EvalError::Fatal(format!("param `{name}` has no value")))?,
            Expr::LoopVar { block, name, .. } => {
                let position = scope.iter().position(|b| b == block).ok_or_else(|| {
                    EvalError::Fatal(format!("`{name}` is used outside its loop"))
                })?;
                let depth = self.for_depth(&scope[..position]);
                let index = *path.get(depth).ok_or(EvalError::NotReady)? as usize;
                match self
                    .block_states
                    .get(&(block.clone(), path[..depth].to_vec()))
                {
                    Some(BlockState::For(items)) => items
                        .get(index)
                        .cloned()
                        .ok_or_else(|| EvalError::Fatal(format!("`{name}` index out of range")))?,
                    _ => return Err(EvalError::NotReady),
                }
            }
            Expr::StepOutput { step, output, .. } => {
                self.gather(step, Some(output), scope, path)?
            }
            Expr::List { items } => RValue::List(
                items
                    .iter()
                    .map(|i| self.eval(i, scope, path))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Unary { op, operand } => {
                let value = self.eval(operand, scope, path)?;
                match (op.as_str(), value) {
                    (_, RValue::Unknown) => RValue::Unknown,
                    ("not", RValue::Bool(b)) => RValue::Bool(!b),
                    ("-", RValue::Int(n)) => RValue::Int(n.wrapping_neg()),
                    ("-", RValue::Float(f)) => RValue::Float(-f),
                    (op, value) => {
                        return Err(EvalError::Fatal(format!("cannot apply `{op}` to {value}")))
                    }
                }
            }
            Expr::Binary { op, lhs, rhs } => {
                let a = self.eval(lhs, scope, path)?;
                let b = self.eval(rhs, scope, path)?;
                binary(op, a, b).map_err(EvalError::Fatal)?
            }
        })
    }

    /// The value of `step.output` as seen from `scope` at `path` (or, with no output,
    /// whether all the instances it names are done).
    fn gather(
        &self,
        step: &str,
        output: Option<&str>,
        scope: &[String],
        path: &[u32],
    ) -> Eval<RValue> {
        let index = *self
            .index_of
            .get(step)
            .ok_or_else(|| EvalError::Fatal(format!("unknown step `{step}`")))?;
        let info = &self.steps[index];
        let common = info
            .scope
            .iter()
            .zip(scope)
            .take_while(|(a, b)| a == b)
            .count();
        let base = self.for_depth(&info.scope[..common]);
        let mut current = path[..base.min(path.len())].to_vec();
        self.walk(index, output, common, &mut current)
    }

    fn walk(
        &self,
        step: usize,
        output: Option<&str>,
        depth: usize,
        current: &mut Path,
    ) -> Eval<RValue> {
        let info = &self.steps[step];
        if depth == info.scope.len() {
            return match self.insts.get(&(step, current.clone())) {
                Some(State::Done(Done::Ok(outputs))) => Ok(match output {
                    Some(name) => outputs.get(name).cloned().unwrap_or(RValue::Absent),
                    None => RValue::Absent,
                }),
                Some(State::Done(Done::Skipped)) => Ok(RValue::Absent),
                Some(State::Done(Done::Unknown)) => Ok(RValue::Unknown),
                _ => Err(EvalError::NotReady),
            };
        }
        let block = &info.scope[depth];
        match self.block_states.get(&(block.clone(), current.clone())) {
            None => Err(EvalError::NotReady),
            Some(BlockState::For(items)) => {
                let mut values = Vec::with_capacity(items.len());
                for i in 0..items.len() {
                    current.push(i as u32);
                    let value = self.walk(step, output, depth + 1, current);
                    current.pop();
                    values.push(value?);
                }
                Ok(RValue::List(values))
            }
            Some(BlockState::If(true)) => self.walk(step, output, depth + 1, current),
            Some(BlockState::If(false) | BlockState::Skipped) => Ok(RValue::Absent),
            Some(BlockState::Unknown) => Ok(RValue::Unknown),
        }
    }

    // ---- settling: blocks and waiting instances ---------------------------------

    /// Processes dirty blocks and instances until nothing changes.
    fn settle(&mut self) {
        loop {
            if self.fatal.is_some() {
                self.dirty_blocks.clear();
                self.dirty_steps.clear();
                return;
            }
            if let Some((block, prefix)) = self.dirty_blocks.pop() {
                let paths: Vec<Path> = self
                    .pending_blocks
                    .get(&block)
                    .map(|set| {
                        set.range(prefix.clone()..)
                            .take_while(|p| p.starts_with(&prefix))
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default();
                for path in paths {
                    self.try_block(&block, &path);
                }
                continue;
            }
            if let Some((step, prefix)) = self.dirty_steps.pop() {
                let paths: Vec<Path> = self.waiting[step]
                    .range(prefix.clone()..)
                    .take_while(|p| p.starts_with(&prefix))
                    .cloned()
                    .collect();
                for path in paths {
                    self.try_step(step, &path);
                }
                continue;
            }
            return;
        }
    }

    fn try_block(&mut self, block: &str, path: &Path) {
        let info = &self.blocks[block];
        let ancestors = info.ancestors.clone();
        let definition = info.block.clone();
        let value = match self.eval(block_expr(&definition), &ancestors, path) {
            Ok(value) => value,
            Err(EvalError::NotReady) => return,
            Err(EvalError::Fatal(message)) => {
                self.fatal_error(format!("cannot evaluate block `{block}`: {message}"));
                return;
            }
        };
        if let Some(set) = self.pending_blocks.get_mut(block) {
            set.remove(path);
        }
        let key = (block.to_string(), path.clone());
        match (&definition, value) {
            (_, RValue::Unknown) => {
                self.block_states.insert(key, BlockState::Unknown);
                self.skip_inside(
                    block,
                    path,
                    true,
                    "its block depends on a result not yet known",
                );
            }
            (Block::For { .. }, RValue::List(items)) => {
                let n = items.len();
                self.block_states.insert(key, BlockState::For(items));
                for i in 0..n {
                    let mut child = path.clone();
                    child.push(i as u32);
                    self.expand(Some(block), &child);
                }
                if n == 0 {
                    self.wake_dependants_of_block(block);
                }
            }
            (Block::For { .. }, RValue::Absent) => {
                self.block_states.insert(key, BlockState::Skipped);
                self.skip_inside(block, path, false, "the list it loops over has no value");
            }
            (Block::If { branch, .. }, RValue::Bool(condition)) => {
                let taken = condition == (*branch == Branch::Then);
                self.block_states.insert(key, BlockState::If(taken));
                if taken {
                    self.expand(Some(block), path);
                } else {
                    let reason = if *branch == Branch::Then {
                        "its `if` condition is false"
                    } else {
                        "its `if` condition is true (this is the `else` branch)"
                    };
                    self.skip_inside(block, path, false, reason);
                }
            }
            (Block::If { .. }, RValue::Absent) => {
                self.block_states.insert(key, BlockState::If(false));
                self.skip_inside(block, path, false, "its `if` condition has no value");
            }
            (_, other) => self.fatal_error(format!(
                "block `{block}` evaluated to {other}, which it cannot use"
            )),
        }
    }

    fn try_step(&mut self, step: usize, path: &Path) {
        if !matches!(self.insts.get(&(step, path.clone())), Some(State::Waiting)) {
            return;
        }
        let program: &'a Program = self.program;
        let program_step = &program.steps[step];
        let scope = &self.steps[step].scope.clone();
        let op = self.steps[step].op.clone();
        let mut inputs = BTreeMap::new();
        let mut unknown_from: Option<String> = None;
        for binding in &program_step.bindings {
            let value = match &binding.value {
                BindingValue::Given { expr } => match self.eval(expr, scope, path) {
                    Ok(value) => value,
                    Err(EvalError::NotReady) => return,
                    Err(EvalError::Fatal(message)) => {
                        let message = format!(
                            "cannot evaluate input `{}` of step `{}`: {message}",
                            binding.input, program_step.id
                        );
                        self.fatal_error(message);
                        return;
                    }
                },
                BindingValue::Default { value } => RValue::from_ir(value, &binding.ty),
                BindingValue::Absent => RValue::Absent,
            };
            if value.is_unknown() && unknown_from.is_none() {
                let mut reads = Vec::new();
                if let BindingValue::Given { expr } = &binding.value {
                    expr_steps(expr, &mut reads);
                }
                unknown_from = Some(reads.join(", "));
            }
            inputs.insert(binding.input.clone(), value.coerce(&binding.ty));
        }
        for after in &program_step.after {
            match self.gather(after, None, scope, path) {
                Ok(RValue::Unknown) => {
                    unknown_from.get_or_insert_with(|| after.clone());
                }
                Ok(_) => {}
                Err(EvalError::NotReady) => return,
                Err(EvalError::Fatal(message)) => {
                    self.fatal_error(message);
                    return;
                }
            }
        }
        self.waiting[step].remove(path);
        if let Some(from) = unknown_from {
            self.plan_entry(
                step,
                path,
                PlanStatus::Unknown,
                Vec::new(),
                format!("depends on a result not yet known ({from})"),
            );
            self.finish(step, path.clone(), Done::Unknown);
            return;
        }
        let key = key_parts(&op, &self.settings.python, &inputs);
        self.decide(step, path, inputs, key);
    }

    // ---- deciding: reuse or run --------------------------------------------------

    /// The outputs of an earlier attempt, if all its artifacts are still in the store.
    fn reusable(&self, step: usize, attempt: &AttemptRecord) -> Option<BTreeMap<String, RValue>> {
        let records = self.store.lineage.outputs(attempt.id).ok()?;
        let op = &self.steps[step].op;
        let mut outputs = BTreeMap::new();
        for output in &op.outputs {
            let record = records.iter().find(|r| r.name == output.name)?;
            let value = RValue::from_json(&record.value, &output.ty).ok()?;
            for (_, artifact) in value.artifacts() {
                if !self.artifacts.contains(&artifact.hash, artifact.kind) {
                    return None;
                }
            }
            outputs.insert(output.name.clone(), value);
        }
        Some(outputs)
    }

    fn decide(
        &mut self,
        step: usize,
        path: &Path,
        inputs: BTreeMap<String, RValue>,
        key: KeyParts,
    ) {
        let info = &self.steps[step];
        let element = Element::from(path.as_slice());
        let id = info.id.clone();
        let forced = self
            .settings
            .selected
            .as_ref()
            .is_some_and(|s| s.contains(&step));
        let reuse_only = self.settings.selected.is_some() && !forced;
        // 1. `--resume`: what succeeded in the earlier run, if its key still matches.
        if let Some(previous) = self.settings.resume.get(&(id.clone(), element.clone())) {
            if previous.key.as_ref().map(|k| &k.cache_key) == Some(&key.cache_key)
                && previous.status.has_outputs()
            {
                let previous = previous.clone();
                if let Some(outputs) = self.reusable(step, &previous) {
                    self.record_cached(step, path, inputs, key, &previous, outputs);
                    return;
                }
            }
        }
        // 2. The cache (or, for steps `--only`/`--from` do not run, the latest result).
        let use_cache = !forced && (reuse_only || (!self.settings.no_cache && info.op.cache));
        if use_cache {
            if let Ok(Some(hit)) = self.store.lineage.cache_hit(&key.cache_key) {
                if let Some(outputs) = self.reusable(step, &hit) {
                    self.record_cached(step, path, inputs, key, &hit, outputs);
                    return;
                }
            }
        }
        if reuse_only {
            let latest = self
                .store
                .lineage
                .latest_result(&self.program.pipeline, &id, &element)
                .ok()
                .flatten();
            if let Some(latest) = latest {
                if let Some(outputs) = self.reusable(step, &latest) {
                    self.record_cached(step, path, inputs, key, &latest, outputs);
                    return;
                }
            }
            let name = instance_name(&id, path);
            let message = format!(
                "{} needs the results of `{name}`, which has none recorded; run the pipeline \
                 without {} first",
                self.settings.option_name, self.settings.option_name
            );
            if self.settings.mode == Mode::Plan {
                self.plan_entry(step, path, PlanStatus::WillRun, Vec::new(), message);
                self.finish(step, path.clone(), Done::Unknown);
            } else {
                self.fatal_error(message);
            }
            return;
        }
        // 3. Run it.
        if self.settings.mode == Mode::Plan {
            let (reasons, note) = self.why_run(step, path, &key, forced);
            self.plan_entry(step, path, PlanStatus::WillRun, reasons, note);
            self.finish(step, path.clone(), Done::Unknown);
            return;
        }
        self.insts.insert(
            (step, path.clone()),
            State::Active {
                inputs,
                key,
                attempts: 0,
            },
        );
        self.queue.push_back((step, path.clone()));
        self.emit(Event::StepQueued {
            step: id,
            element: element_opt(path),
        });
    }

    /// Why a step will run, for `plan`.
    fn why_run(
        &self,
        step: usize,
        path: &Path,
        key: &KeyParts,
        forced: bool,
    ) -> (Vec<Change>, String) {
        let info = &self.steps[step];
        if forced {
            return (
                Vec::new(),
                format!("chosen by {}", self.settings.option_name),
            );
        }
        if self.settings.no_cache {
            return (Vec::new(), "caching is off (--no-cache)".into());
        }
        if !info.op.cache {
            return (Vec::new(), "its op sets `cache = false`".into());
        }
        let previous = self
            .store
            .lineage
            .latest_keyed_attempt(
                &self.program.pipeline,
                &info.id,
                &Element::from(path.as_slice()),
            )
            .ok()
            .flatten();
        match previous.and_then(|p| p.key.clone().map(|k| (p, k))) {
            None => (Vec::new(), "it has never run".into()),
            Some((previous, before)) => {
                let found = changes(&before, key);
                if !found.is_empty() {
                    let note = found
                        .iter()
                        .map(|c| format!("{} changed ({})", c.part, c.detail))
                        .collect::<Vec<_>>()
                        .join("; ");
                    (found, note)
                } else if previous.status.has_outputs() {
                    (
                        Vec::new(),
                        "its cached outputs are no longer in the store".into(),
                    )
                } else {
                    (
                        Vec::new(),
                        format!("its last attempt with these inputs {}", previous.status),
                    )
                }
            }
        }
    }

    fn plan_entry(
        &mut self,
        step: usize,
        path: &Path,
        status: PlanStatus,
        changes: Vec<Change>,
        note: String,
    ) {
        if self.settings.mode != Mode::Plan {
            return;
        }
        self.plan.push(PlanEntry {
            step: self.steps[step].id.clone(),
            element: element_opt(path),
            status,
            changes,
            note,
        });
    }

    fn record_cached(
        &mut self,
        step: usize,
        path: &Path,
        inputs: BTreeMap<String, RValue>,
        key: KeyParts,
        source: &AttemptRecord,
        outputs: BTreeMap<String, RValue>,
    ) {
        let origin = source.cached_from.unwrap_or(source.id);
        let from_run = if source.cached_from.is_some() {
            self.store
                .lineage
                .attempt(origin)
                .ok()
                .flatten()
                .map_or(source.run_id, |a| a.run_id)
        } else {
            source.run_id
        };
        if self.settings.mode == Mode::Plan {
            self.plan_entry(
                step,
                path,
                PlanStatus::Cached,
                Vec::new(),
                format!("from run {from_run}"),
            );
            self.finish(step, path.clone(), Done::Ok(outputs));
            return;
        }
        let info = &self.steps[step];
        let (id, op_id) = (info.id.clone(), info.op_id.clone());
        let element = Element::from(path.as_slice());
        let run_id = self.run_id;
        let outputs_json = outputs_json(&outputs);
        let result = self.store.lineage.write(|w| {
            let attempt = w.start_attempt(&NewAttempt {
                run_id,
                step: &id,
                element: &element,
                attempt: 0,
                op: &op_id,
                started_ms: now_ms(),
                key: Some(&key),
                cached_from: Some(origin),
                log_path: source.log_path.as_deref(),
            })?;
            for (name, value) in &inputs {
                for (position, artifact) in value.artifacts() {
                    w.add_consumed(attempt, name, &position, &artifact.hash)?;
                }
            }
            for (name, value) in &outputs {
                let artifact = match value {
                    RValue::Artifact(a) => Some(a.hash.as_str()),
                    _ => None,
                };
                w.add_output(attempt, name, &value.to_json(), artifact)?;
            }
            w.end_attempt(attempt, AttemptStatus::Cached, None, None)
        });
        if let Err(e) = result {
            self.fatal_error(format!("cannot record a cached step: {e}"));
            return;
        }
        self.counts.cached += 1;
        self.emit(Event::StepCached {
            step: id,
            element: element_opt(path),
            from_run,
            outputs: outputs_json,
            log_path: source.log_path.clone(),
        });
        self.finish(step, path.clone(), Done::Ok(outputs));
    }

    fn fatal_error(&mut self, message: String) {
        if self.fatal.is_none() {
            self.fatal = Some(message);
        }
        self.failing = true;
    }

    // ---- running ------------------------------------------------------------------

    fn launch(&mut self, step: usize, path: Path, tx: &mpsc::UnboundedSender<Message>) {
        let Some(State::Active {
            inputs,
            key,
            attempts,
        }) = self.insts.get_mut(&(step, path.clone()))
        else {
            return;
        };
        *attempts += 1;
        let attempt = *attempts;
        let inputs = inputs.clone();
        let key = key.clone();
        let info = &self.steps[step];
        let (id, op_id, op) = (info.id.clone(), info.op_id.clone(), info.op.clone());
        let element = Element::from(path.as_slice());
        // `fit.a1`, `fit.e2.a1` (element 2), `fit.e1.0.a2` (nested loops, attempt 2).
        let mut name = safe_name(&id);
        if !element.is_empty() {
            name.push_str(&format!(".e{element}"));
        }
        name.push_str(&format!(".a{attempt}"));
        let dir = self.work_dir.join(&name);
        let log_path = self.logs_dir.join(format!("{name}.log"));
        let log_text = log_path.display().to_string();
        let run_id = self.run_id;
        let result = self.store.lineage.write(|w| {
            let attempt_id = w.start_attempt(&NewAttempt {
                run_id,
                step: &id,
                element: &element,
                attempt,
                op: &op_id,
                started_ms: now_ms(),
                key: Some(&key),
                cached_from: None,
                log_path: Some(&log_text),
            })?;
            for (name, value) in &inputs {
                for (position, artifact) in value.artifacts() {
                    w.add_consumed(attempt_id, name, &position, &artifact.hash)?;
                }
            }
            Ok(attempt_id)
        });
        let attempt_id = match result {
            Ok(id) => id,
            Err(e) => {
                self.fatal_error(format!("cannot record a step's start: {e}"));
                self.insts
                    .insert((step, path.clone()), State::Done(Done::Failed));
                return;
            }
        };
        // The attempt's record is committed before its process starts.
        if let Err(e) = self.store.lineage.commit_batch() {
            self.fatal_error(format!("cannot record a step's start: {e}"));
            return;
        }
        let _ = self.store.lineage.begin_batch();
        self.emit(Event::StepStarted {
            step: id,
            element: element_opt(&path),
            attempt,
            log_path: log_text,
        });
        let spec = AttemptSpec {
            timeout: op.timeout_seconds.map(Duration::from_secs),
            op,
            dir: dir.clone(),
            log_path: log_path.clone(),
            inputs,
            python: self.settings.python.clone(),
            artifacts: self.artifacts.clone(),
        };
        let cancel = self.cancel_rx.clone();
        let tx = tx.clone();
        self.running += 1;
        tokio::spawn(async move {
            let result = run_attempt(spec, cancel).await;
            let _ = tx.send(Message::Finished(Box::new(Finished {
                step,
                path,
                attempt_id,
                attempt,
                log_path,
                dir,
                result,
            })));
        });
    }

    fn on_finished(&mut self, done: Finished, tx: &mpsc::UnboundedSender<Message>) {
        self.running -= 1;
        let Finished {
            step,
            path,
            attempt_id,
            attempt,
            log_path,
            dir,
            result,
        } = done;
        let id = self.steps[step].id.clone();
        let log_text = log_path.display().to_string();
        let status = match result.status {
            ExecStatus::Succeeded => AttemptStatus::Succeeded,
            ExecStatus::Failed => AttemptStatus::Failed,
            ExecStatus::TimedOut => AttemptStatus::TimedOut,
            ExecStatus::Cancelled => AttemptStatus::Cancelled,
        };
        let outputs: BTreeMap<String, RValue> = result
            .outputs
            .iter()
            .map(|p| (p.name.clone(), p.value.clone()))
            .collect();
        let recorded = self.store.lineage.write(|w| {
            for produced in &result.outputs {
                if let Some(stored) = &produced.stored {
                    w.add_artifact(&NewArtifact {
                        hash: &stored.hash,
                        kind: stored.kind,
                        size: stored.size,
                        type_name: &produced.type_name,
                        name: Some(&produced.name),
                        produced_by: Some(attempt_id),
                    })?;
                }
                w.add_output(
                    attempt_id,
                    &produced.name,
                    &produced.value.to_json(),
                    produced.stored.as_ref().map(|s| s.hash.as_str()),
                )?;
                for (name, value) in &produced.metrics {
                    w.add_metric(attempt_id, &produced.name, name, *value)?;
                }
            }
            w.end_attempt(
                attempt_id,
                status,
                result.exit_code,
                result.error.as_deref(),
            )
        });
        if let Err(e) = recorded {
            self.fatal_error(format!("cannot record a step's end: {e}"));
            self.insts.insert((step, path), State::Done(Done::Failed));
            return;
        }
        let element = element_opt(&path);
        match result.status {
            ExecStatus::Succeeded => {
                // Removed at the end of the run: on ext4, deleting while creating makes
                // every new inode scan past the recently deleted ones.
                self.finished_dirs.push(dir);
                self.counts.succeeded += 1;
                self.emit(Event::StepSucceeded {
                    step: id,
                    element,
                    attempt,
                    duration_ms: result.duration_ms,
                    outputs: outputs_json(&outputs),
                    log_path: log_text,
                });
                self.finish(step, path, Done::Ok(outputs));
            }
            ExecStatus::Cancelled => {
                self.counts.cancelled += 1;
                self.emit(Event::StepCancelled {
                    step: id,
                    element,
                    attempt,
                    duration_ms: result.duration_ms,
                    log_path: log_text,
                });
                self.insts
                    .insert((step, path), State::Done(Done::Cancelled));
            }
            ExecStatus::Failed | ExecStatus::TimedOut => {
                let error = result.error.clone().unwrap_or_else(|| "failed".into());
                let retries = self.steps[step].op.retries;
                if attempt <= retries && !self.failing && !self.cancelling {
                    let delay = backoff(self.settings.retry_base, attempt);
                    self.emit(Event::StepRetrying {
                        step: id,
                        element,
                        attempt,
                        delay_ms: delay.as_millis() as u64,
                        error,
                        log_path: log_text,
                    });
                    self.backing_off += 1;
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(delay).await;
                        let _ = tx.send(Message::RetryDue(step, path));
                    });
                    return;
                }
                let tail = log_tail(&log_path, 20);
                self.counts.failed += 1;
                self.failures.push(Failure {
                    step: id.clone(),
                    element: element.clone(),
                    attempt,
                    error: error.clone(),
                    log_path: log_path.clone(),
                    log_tail: tail.clone(),
                    work_dir: dir,
                });
                self.emit(Event::StepFailed {
                    step: id,
                    element,
                    attempt,
                    duration_ms: result.duration_ms,
                    error,
                    exit_code: result.exit_code,
                    log_path: log_text,
                    log_tail: tail,
                });
                self.failing = true;
                self.insts.insert((step, path), State::Done(Done::Failed));
            }
        }
    }

    /// Starts the root instances.
    pub fn start(&mut self) {
        self.expand(None, &Vec::new());
    }

    /// Plans without running: every step is cached, will run, unknown or skipped.
    pub fn plan(&mut self) {
        self.start();
        self.settle();
    }

    /// Runs to the end (or to the first failure, or to cancellation).
    pub async fn run(&mut self) -> Result<(), RunError> {
        let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
        let mut interrupts = if self.settings.handle_signals {
            use tokio::signal::unix::{signal, SignalKind};
            let int = signal(SignalKind::interrupt())
                .map_err(|e| RunError::Internal(format!("cannot handle Ctrl-C: {e}")))?;
            let term = signal(SignalKind::terminate())
                .map_err(|e| RunError::Internal(format!("cannot handle SIGTERM: {e}")))?;
            Some((int, term))
        } else {
            None
        };
        self.store
            .lineage
            .begin_batch()
            .map_err(|e| RunError::Store(e.to_string()))?;
        self.start();
        loop {
            self.settle();
            if self.fatal.is_some() {
                self.failing = true;
            }
            while self.running < self.settings.jobs && !self.failing && !self.cancelling {
                let Some((step, path)) = self.queue.pop_front() else {
                    break;
                };
                self.launch(step, path, &tx);
            }
            self.store
                .lineage
                .commit_batch()
                .map_err(|e| RunError::Store(e.to_string()))?;
            if self.running == 0 && (self.backing_off == 0 || self.failing || self.cancelling) {
                break;
            }
            let message = match interrupts.as_mut() {
                Some((int, term)) => tokio::select! {
                    message = rx.recv() => message,
                    _ = int.recv(), if !self.cancelling => { self.cancel(); continue; }
                    _ = term.recv(), if !self.cancelling => { self.cancel(); continue; }
                },
                None => rx.recv().await,
            };
            self.store
                .lineage
                .begin_batch()
                .map_err(|e| RunError::Store(e.to_string()))?;
            let Some(message) = message else {
                break;
            };
            self.on_message(message, &tx);
            // Take whatever else has arrived too: one commit for all of it.
            while let Ok(message) = rx.try_recv() {
                self.on_message(message, &tx);
            }
        }
        // Attempt folders of successful steps go; failed ones stay for inspection.
        let mut done = std::mem::take(&mut self.finished_dirs);
        let kept_any = std::fs::read_dir(&self.work_dir)
            .map(|entries| entries.count() > done.len())
            .unwrap_or(false);
        if !kept_any && self.work_dir.exists() {
            // Nothing to keep: the whole run's folder goes at once.
            done = vec![self.work_dir.clone()];
        }
        discard_later(done, &self.trash_dir);
        Ok(())
    }

    fn on_message(&mut self, message: Message, tx: &mpsc::UnboundedSender<Message>) {
        match message {
            Message::Finished(done) => self.on_finished(*done, tx),
            Message::RetryDue(step, path) => {
                self.backing_off -= 1;
                if !self.failing && !self.cancelling {
                    self.queue.push_front((step, path));
                }
            }
        }
    }

    fn cancel(&mut self) {
        self.cancelling = true;
        let _ = self.cancel_tx.send(true);
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

/// Exponential back-off: `base`, 2×, 4×, … capped at 30 s.
fn backoff(base: Duration, failed_attempt: u32) -> Duration {
    let factor = 1u32 << (failed_attempt.saturating_sub(1)).min(16);
    (base * factor).min(Duration::from_secs(30))
}

fn number(value: &RValue) -> Option<f64> {
    match value {
        RValue::Int(n) => Some(*n as f64),
        RValue::Float(f) => Some(*f),
        _ => None,
    }
}

/// A binary operator on run-time values (`int` widens to `float`).
fn binary(op: &str, a: RValue, b: RValue) -> Result<RValue, String> {
    use std::cmp::Ordering;
    if matches!(a, RValue::Unknown) || matches!(b, RValue::Unknown) {
        return Ok(RValue::Unknown);
    }
    match op {
        "and" | "or" => match (a, b) {
            (RValue::Bool(x), RValue::Bool(y)) => {
                Ok(RValue::Bool(if op == "and" { x && y } else { x || y }))
            }
            (a, b) => Err(format!("`{op}` needs two bools, got {a} and {b}")),
        },
        "+" | "-" | "*" | "/" => match (&a, &b) {
            (RValue::Int(x), RValue::Int(y)) if op != "/" => Ok(RValue::Int(match op {
                "+" => x.wrapping_add(*y),
                "-" => x.wrapping_sub(*y),
                _ => x.wrapping_mul(*y),
            })),
            _ => {
                let (Some(x), Some(y)) = (number(&a), number(&b)) else {
                    return Err(format!("`{op}` needs two numbers, got {a} and {b}"));
                };
                Ok(RValue::Float(match op {
                    "+" => x + y,
                    "-" => x - y,
                    "*" => x * y,
                    _ => x / y,
                }))
            }
        },
        "==" | "!=" | "<" | "<=" | ">" | ">=" => {
            let ordering = match (&a, &b) {
                (RValue::Str(x), RValue::Str(y)) => Some(x.cmp(y)),
                (RValue::Bool(x), RValue::Bool(y)) => Some(x.cmp(y)),
                (RValue::Absent, RValue::Absent) => Some(Ordering::Equal),
                (RValue::Absent, _) | (_, RValue::Absent) => {
                    if op == "==" {
                        return Ok(RValue::Bool(false));
                    }
                    if op == "!=" {
                        return Ok(RValue::Bool(true));
                    }
                    return Err(format!("cannot compare {a} and {b} with `{op}`"));
                }
                _ => match (number(&a), number(&b)) {
                    (Some(x), Some(y)) => x.partial_cmp(&y),
                    _ => return Err(format!("cannot compare {a} and {b}")),
                },
            };
            let result = match ordering {
                // NaN: only `!=` holds.
                None => op == "!=",
                Some(o) => match op {
                    "==" => o == Ordering::Equal,
                    "!=" => o != Ordering::Equal,
                    "<" => o == Ordering::Less,
                    "<=" => o != Ordering::Greater,
                    ">" => o == Ordering::Greater,
                    _ => o != Ordering::Less,
                },
            };
            Ok(RValue::Bool(result))
        }
        other => Err(format!("unknown operator `{other}`")),
    }
}
