//! Step instances that do not run, recorded in the lineage store as they end: skipped
//! and cached ones, and those that fail before their process starts.

use super::*;

impl<'a> Engine<'a> {
    pub(super) fn record_skip(&mut self, step: usize, path: &Path, reason: &str) {
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
                self.fatal_error(RunError::store("record a skipped step")(e));
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

    /// A step whose inputs cannot be evaluated at run time (a missing dict key, an index
    /// out of range): a failed attempt with the reason, so that the lineage, `runs show`
    /// and `--resume` see it as they see any failed step. Planning has no attempts to
    /// record, so there it stops the plan.
    pub(super) fn record_unstartable(&mut self, step: usize, path: &Path, error: String) {
        if self.settings.mode == Mode::Plan {
            self.fatal_error(RunError::Invalid(error));
            return;
        }
        let info = &self.steps[step];
        let (id, op_id) = (info.id.clone(), info.op_id.clone());
        let python = op_python(&info.op, &self.settings.python);
        let element = Element::from(path.as_slice());
        let run_id = self.run_id;
        let result = self.store.lineage.write(|w| {
            let attempt = w.start_attempt(&NewAttempt {
                run_id,
                step: &id,
                element: &element,
                attempt: 1,
                op: &op_id,
                started_ms: now_ms(),
                key: None,
                cached_from: None,
                log_path: None,
            })?;
            w.end_attempt(attempt, AttemptStatus::Failed, None, Some(&error))
        });
        if let Err(e) = result {
            self.fatal_error(RunError::store("record a failed step")(e));
        }
        self.counts.failed += 1;
        self.failures.push(Failure {
            step: id.clone(),
            element: element_opt(path),
            attempt: 1,
            error: error.clone(),
            log_path: None,
            log_tail: Vec::new(),
            work_dir: None,
            python,
        });
        self.emit(Event::StepFailed {
            step: id,
            element: element_opt(path),
            attempt: 1,
            duration_ms: 0,
            error,
            exit_code: None,
            log_path: None,
            log_tail: Vec::new(),
        });
        self.failing = true;
        self.insts
            .insert((step, path.clone()), State::Done(Done::Failed));
    }

    pub(super) fn record_cached(
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
            record_consumed(w, attempt, &inputs)?;
            for (name, value) in &outputs {
                let artifact = match value {
                    RValue::Artifact(a) => Some(a.hash.as_str()),
                    _ => None,
                };
                w.add_output(attempt, name, &value.to_json(), artifact)?;
            }
            w.end_attempt(attempt, AttemptStatus::Cached, None, None)?;
            Ok(attempt)
        });
        let attempt = match result {
            Ok(attempt) => attempt,
            Err(e) => {
                self.fatal_error(RunError::store("record a cached step")(e));
                return;
            }
        };
        // Steps downstream read these outputs as this run's record wrote them.
        let outputs = with_origin(outputs, attempt);
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
}

/// The artifacts among an attempt's inputs, as read by it (the lineage's edges).
pub(super) fn record_consumed(
    w: &Writer<'_>,
    attempt: i64,
    inputs: &BTreeMap<String, RValue>,
) -> mlforge_store::Result<()> {
    for (name, value) in inputs {
        for (position, artifact) in value.artifacts() {
            let from = artifact
                .from
                .as_ref()
                .map(|o| (o.attempt, o.output.as_str()));
            w.add_consumed(attempt, name, &position, &artifact.hash, from)?;
        }
    }
    Ok(())
}

/// Outputs of `attempt`, each artifact marked as coming from it (see [`RValue::from_output`]).
pub(super) fn with_origin(
    outputs: BTreeMap<String, RValue>,
    attempt: i64,
) -> BTreeMap<String, RValue> {
    outputs
        .into_iter()
        .map(|(name, value)| {
            let value = value.from_output(attempt, &name);
            (name, value)
        })
        .collect()
}
