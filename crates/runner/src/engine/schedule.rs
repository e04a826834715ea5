//! The scheduler: instances expanded as blocks are decided, readiness re-checked for the
//! dirty ones, up to `jobs` attempts at once, retries with back-off, cancellation.

use super::*;

impl<'a> Engine<'a> {
    /// Creates the block and step instances directly inside `scope` at `path`.
    pub(super) fn expand(&mut self, scope: Option<&str>, path: &Path) {
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
    pub(super) fn skip_inside(&mut self, scope: &str, path: &Path, unknown: bool, reason: &str) {
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

    /// An instance is done: store it and wake its dependants.
    pub(super) fn finish(&mut self, step: usize, path: Path, done: Done) {
        self.waiting[step].remove(&path);
        // Indexed, not iterated: the lists stay borrowed from `self.steps` only while a
        // depth is worked out, instead of being copied for each finished instance.
        for k in 0..self.steps[step].dependents.len() {
            let info = &self.steps[step];
            let d = info.dependents[k];
            let depth = self.shared_depth(&info.scope, &self.steps[d].scope);
            self.dirty_steps
                .push((d, path[..depth.min(path.len())].to_vec()));
        }
        for k in 0..self.steps[step].block_dependents.len() {
            let info = &self.steps[step];
            let b = &info.block_dependents[k];
            let depth = self.shared_depth(&info.scope, &self.blocks[b].ancestors);
            let b = b.clone();
            self.dirty_blocks
                .push((b, path[..depth.min(path.len())].to_vec()));
        }
        self.insts.insert((step, path), State::Done(done));
    }

    /// Wakes the dependants of every step inside a block (an empty `for` finishes no
    /// instance, yet makes fan-ins over it complete).
    pub(super) fn wake_dependants_of_block(&mut self, block: &str) {
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

    /// Processes dirty blocks and instances until nothing changes.
    pub(super) fn settle(&mut self) {
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

    pub(super) fn try_block(&mut self, block: &str, path: &Path) {
        let info = &self.blocks[block];
        let ancestors = info.ancestors.clone();
        let definition = info.block.clone();
        let value = match self.eval_block(&definition, &ancestors, path) {
            Ok(value) => value,
            Err(EvalError::NotReady) => return,
            Err(EvalError::Fatal(message)) => {
                // The block's id is internal; the user knows the loop by its place.
                let (keyword, source) = match &definition {
                    Block::For { source, .. } => ("for", source),
                    Block::If { source, .. } => ("if", source),
                };
                self.fatal_error(RunError::Invalid(format!(
                    "cannot evaluate the `{keyword}` at {}:{}:{}: {message}",
                    source.file, source.line, source.column
                )));
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
            (_, other) => self.fatal_error(RunError::Invalid(format!(
                "block `{block}` evaluated to {other}, which it cannot use"
            ))),
        }
    }

    pub(super) fn try_step(&mut self, step: usize, path: &Path) {
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
                        self.waiting[step].remove(path);
                        self.record_unstartable(step, path, message);
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
                    self.fatal_error(RunError::Invalid(message));
                    return;
                }
            }
        }
        self.waiting[step].remove(path);
        // A step whose results are reused (`--only`) may read a param that was not given:
        // its latest result stands in, whatever the param would have been.
        let reused = self
            .settings
            .selected
            .as_ref()
            .is_some_and(|s| !s.contains(&step));
        if let (Some(from), false) = (unknown_from, reused) {
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
        let python = op_python(&op, &self.settings.python);
        let uses = self
            .settings
            .uses
            .get(&self.steps[step].op_id)
            .map(String::as_str);
        let key = key_parts(&op, &python, uses, &inputs);
        self.decide(step, path, inputs, key);
    }

    pub(super) fn launch(&mut self, step: usize, path: Path, tx: &mpsc::UnboundedSender<Message>) {
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
            record::record_consumed(w, attempt_id, &inputs)?;
            Ok(attempt_id)
        });
        let attempt_id = match result {
            Ok(id) => id,
            Err(e) => {
                self.fatal_error(RunError::store("record a step's start")(e));
                self.insts
                    .insert((step, path.clone()), State::Done(Done::Failed));
                return;
            }
        };
        // The attempt's record is committed before its process starts.
        if let Err(e) = self.store.lineage.commit_batch() {
            self.fatal_error(RunError::store("record a step's start")(e));
            return;
        }
        let _ = self.store.lineage.begin_batch();
        self.emit(Event::StepStarted {
            step: id,
            element: element_opt(&path),
            attempt,
            log_path: log_text,
        });
        let python = op_python(&op, &self.settings.python);
        let spec = AttemptSpec {
            step: self.steps[step].id.clone(),
            element,
            attempt,
            timeout: op.timeout_seconds.map(Duration::from_secs),
            op,
            dir: dir.clone(),
            log_path: log_path.clone(),
            inputs,
            python,
            artifacts: self.artifacts.clone(),
            project_root: self.settings.project_root.clone(),
            secrets: self.settings.secrets.clone(),
            step_env: self.settings.step_env.clone(),
        };
        let cancel = self.cancel_rx.clone();
        let tx = tx.clone();
        self.running += 1;
        let executor = self.executor.clone();
        tokio::spawn(async move {
            let result = executor.run(spec, cancel).await;
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

    pub(super) fn on_finished(&mut self, done: Finished, tx: &mpsc::UnboundedSender<Message>) {
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
        let outputs: BTreeMap<String, RValue> = record::with_origin(
            result
                .outputs
                .iter()
                .map(|p| (p.name.clone(), p.value.clone()))
                .collect(),
            attempt_id,
        );
        let recorded = self.store.lineage.write(|w| {
            for produced in &result.outputs {
                for stored in &produced.stored {
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
                    // One artifact per row; a list's elements are in its value.
                    match produced.stored.as_slice() {
                        [one] if !matches!(produced.value, RValue::List(_)) => {
                            Some(one.hash.as_str())
                        }
                        _ => None,
                    },
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
            self.fatal_error(RunError::store("record a step's end")(e));
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
                    log_path: Some(log_path.clone()),
                    log_tail: tail.clone(),
                    work_dir: Some(dir),
                    python: op_python(&self.steps[step].op, &self.settings.python),
                });
                self.emit(Event::StepFailed {
                    step: id,
                    element,
                    attempt,
                    duration_ms: result.duration_ms,
                    error,
                    exit_code: result.exit_code,
                    log_path: Some(log_text),
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
            let int = signal(SignalKind::interrupt()).map_err(|e| RunError::Signals {
                signal: "Ctrl-C",
                source: Arc::new(e),
            })?;
            let term = signal(SignalKind::terminate()).map_err(|e| RunError::Signals {
                signal: "SIGTERM",
                source: Arc::new(e),
            })?;
            Some((int, term))
        } else {
            None
        };
        self.store
            .lineage
            .begin_batch()
            .map_err(RunError::store("write to the lineage store"))?;
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
                .map_err(RunError::store("write to the lineage store"))?;
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
                .map_err(RunError::store("write to the lineage store"))?;
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

    pub(super) fn on_message(&mut self, message: Message, tx: &mpsc::UnboundedSender<Message>) {
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

    pub(super) fn cancel(&mut self) {
        self.cancelling = true;
        let _ = self.cancel_tx.send(true);
    }
}

/// Exponential back-off: `base`, 2×, 4×, … capped at 30 s.
fn backoff(base: Duration, failed_attempt: u32) -> Duration {
    let factor = 1u32 << (failed_attempt.saturating_sub(1)).min(16);
    (base * factor).min(Duration::from_secs(30))
}
