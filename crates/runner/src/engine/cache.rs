//! Deciding whether a step instance reuses a result (resumed run, cache, or the latest
//! result for steps `--only`/`--from` do not run) or runs, and why (for `plan`).

use super::*;

impl<'a> Engine<'a> {
    /// The outputs of an earlier attempt, if all its artifacts are still in the store and
    /// sound: a damaged object is never reused, so the step runs again and its output
    /// replaces the damaged object.
    pub(super) fn reusable(
        &self,
        step: usize,
        attempt: &AttemptRecord,
    ) -> Option<BTreeMap<String, RValue>> {
        let records = self.store.lineage.outputs(attempt.id).ok()?;
        let op = &self.steps[step].op;
        let mut outputs = BTreeMap::new();
        for output in &op.outputs {
            let record = records.iter().find(|r| r.name == output.name)?;
            let value = RValue::from_json(&record.value, &output.ty).ok()?;
            for (_, artifact) in value.artifacts() {
                let health = self.artifacts.check(&artifact.hash, artifact.kind).ok()?;
                if health != mlforge_store::Health::Sound {
                    return None;
                }
            }
            outputs.insert(output.name.clone(), value);
        }
        Some(outputs)
    }

    pub(super) fn decide(
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
            let error = RunError::NoEarlierResult {
                step: instance_name(&id, path),
            };
            if self.settings.mode == Mode::Plan {
                let note = error.to_string();
                self.plan_entry(step, path, PlanStatus::WillRun, Vec::new(), note);
                self.finish(step, path.clone(), Done::Unknown);
            } else {
                self.fatal_error(error);
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
    pub(super) fn why_run(
        &self,
        step: usize,
        path: &Path,
        key: &KeyParts,
        forced: bool,
    ) -> (Vec<Change>, String) {
        let info = &self.steps[step];
        if forced {
            let note = match &self.settings.select {
                Some(Select::From(first)) if *first != info.id => {
                    format!("chosen to run (downstream of `{first}`)")
                }
                _ => "chosen to run".to_string(),
            };
            return (Vec::new(), note);
        }
        if self.settings.no_cache {
            return (Vec::new(), "caching is off for this run".into());
        }
        if !info.op.cache && info.op.outputs.is_empty() {
            return (
                Vec::new(),
                "its op has no outputs: it runs for its side effects every time (unless the op sets `cache = true`)".into(),
            );
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
                        "its cached outputs are missing from the store or damaged".into(),
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

    pub(super) fn plan_entry(
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
}
