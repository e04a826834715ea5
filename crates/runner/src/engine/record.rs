//! Step instances that do not run, recorded in the lineage store as they end: skipped
//! and cached ones.

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
