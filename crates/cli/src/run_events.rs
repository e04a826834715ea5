//! How `mlforge run` shows its events: JSON lines, plain lines, or progress bars.

use std::collections::HashMap;
use std::io::Write;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use mlforge_runner::events::{instance_name, Envelope, Event, EventSink};

fn name(step: &str, element: &Option<Vec<u32>>) -> String {
    instance_name(step, element.as_deref().unwrap_or(&[]))
}

/// `1 step`, `2 steps`.
pub fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A run's totals: of steps, or of step instances when steps run inside a `for`.
pub fn totals(counts: &mlforge_runner::events::Counts, loops: bool) -> String {
    let total =
        counts.succeeded + counts.cached + counts.skipped + counts.failed + counts.cancelled;
    let unit = plural(total, if loops { "step instance" } else { "step" });
    let mut text = format!(
        "{unit}: {} ran, {} cached, {} skipped, {} failed",
        counts.succeeded, counts.cached, counts.skipped, counts.failed
    );
    if counts.cancelled > 0 {
        text.push_str(&format!(", {} cancelled", counts.cancelled));
    }
    text
}

fn seconds(ms: u64) -> String {
    format!("{:.2}s", ms as f64 / 1000.0)
}

/// A line for people, or nothing for events that do not need one.
fn line(event: &Event, run_id: i64) -> Option<String> {
    Some(match event {
        Event::RunStarted {
            pipeline,
            file,
            jobs,
            steps,
            steps_in_loops,
            resumed_from,
            ..
        } => {
            let resumed = resumed_from.map_or(String::new(), |r| format!(", resuming run {r}"));
            // Steps are what the file declares; the totals at the end count instances,
            // which differ only when steps sit inside a `for`: say so here.
            let loops = if *steps_in_loops > 0 {
                format!(" ({steps_in_loops} inside a `for`, run once per element)",)
            } else {
                String::new()
            };
            format!(
                "run {run_id}: pipeline `{pipeline}` from {file}: {}{loops}, at most {jobs} running at once{resumed}",
                plural(*steps, "step")
            )
        }
        Event::StepQueued { .. } => return None,
        Event::StepStarted {
            step,
            element,
            attempt,
            ..
        } => {
            let again = if *attempt > 1 {
                format!(" (attempt {attempt})")
            } else {
                String::new()
            };
            format!("  start     {}{again}", name(step, element))
        }
        Event::StepRetrying {
            step,
            element,
            attempt,
            delay_ms,
            error,
            ..
        } => format!(
            "  retry     {}: attempt {attempt} {error}; retrying in {}",
            name(step, element),
            seconds(*delay_ms)
        ),
        Event::StepSucceeded {
            step,
            element,
            duration_ms,
            ..
        } => format!(
            "  done      {}  {}",
            name(step, element),
            seconds(*duration_ms)
        ),
        Event::StepCached {
            step,
            element,
            from_run,
            ..
        } => format!("  cached    {}  (from run {from_run})", name(step, element)),
        Event::StepFailed {
            step,
            element,
            error,
            ..
        } => format!("  FAILED    {}: {error}", name(step, element)),
        Event::StepSkipped {
            step,
            element,
            reason,
        } => format!("  skipped   {}: {reason}", name(step, element)),
        Event::StepCancelled { step, element, .. } => {
            format!("  cancelled {}", name(step, element))
        }
        Event::RunFinished { .. } => return None,
    })
}

/// One JSON object per line on standard output, flushed as it happens.
pub struct JsonLines {
    out: std::io::Stdout,
}

impl JsonLines {
    pub fn new() -> JsonLines {
        JsonLines {
            out: std::io::stdout(),
        }
    }
}

impl EventSink for JsonLines {
    fn emit(&mut self, envelope: &Envelope<'_>) {
        if let Ok(text) = serde_json::to_string(envelope) {
            let mut out = self.out.lock();
            let _ = writeln!(out, "{text}");
            let _ = out.flush();
        }
    }
}

/// Plain lines on standard error (when it is not a terminal).
pub struct PlainLines;

impl EventSink for PlainLines {
    fn emit(&mut self, envelope: &Envelope<'_>) {
        if let Some(text) = line(envelope.event, envelope.run_id) {
            eprintln!("{text}");
        }
    }
}

/// On a terminal: finished steps scroll above a line per running step and a totals line.
pub struct Progress {
    multi: MultiProgress,
    /// `steps` or `step instances` (when steps run inside a `for`).
    unit: &'static str,
    totals: ProgressBar,
    running: HashMap<String, ProgressBar>,
    done: usize,
    cached: usize,
    skipped: usize,
    failed: usize,
}

impl Progress {
    pub fn new(loops: bool) -> Progress {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let totals = multi.add(ProgressBar::new_spinner());
        totals.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        totals.enable_steady_tick(Duration::from_millis(120));
        Progress {
            multi,
            unit: if loops { "step instances" } else { "steps" },
            totals,
            running: HashMap::new(),
            done: 0,
            cached: 0,
            skipped: 0,
            failed: 0,
        }
    }

    fn update_totals(&self) {
        self.totals.set_message(format!(
            "{}: {} done · {} cached · {} skipped · {} failed · {} running",
            self.unit,
            self.done,
            self.cached,
            self.skipped,
            self.failed,
            self.running.len()
        ));
    }

    pub fn finish(&mut self) {
        for (_, bar) in self.running.drain() {
            bar.finish_and_clear();
        }
        self.totals.finish_and_clear();
    }

    fn stop(&mut self, key: &str) {
        if let Some(bar) = self.running.remove(key) {
            bar.finish_and_clear();
            self.multi.remove(&bar);
        }
    }
}

impl EventSink for Progress {
    fn emit(&mut self, envelope: &Envelope<'_>) {
        let event = envelope.event;
        let key = match event {
            Event::StepStarted { step, element, .. }
            | Event::StepRetrying { step, element, .. }
            | Event::StepSucceeded { step, element, .. }
            | Event::StepFailed { step, element, .. }
            | Event::StepCancelled { step, element, .. } => Some(name(step, element)),
            _ => None,
        };
        match event {
            Event::StepStarted { attempt, .. } => {
                let key = key.clone().unwrap_or_default();
                let bar = self
                    .multi
                    .insert_before(&self.totals, ProgressBar::new_spinner());
                bar.set_style(
                    ProgressStyle::with_template("  {spinner} {msg} {elapsed}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                let again = if *attempt > 1 {
                    format!(" (attempt {attempt})")
                } else {
                    String::new()
                };
                bar.set_message(format!("{key}{again}"));
                bar.enable_steady_tick(Duration::from_millis(120));
                self.running.insert(key, bar);
            }
            Event::StepSucceeded { .. } => self.done += 1,
            Event::StepCached { .. } => self.cached += 1,
            Event::StepSkipped { .. } => self.skipped += 1,
            Event::StepFailed { .. } => self.failed += 1,
            _ => {}
        }
        if !matches!(event, Event::StepStarted { .. }) {
            if let Some(key) = &key {
                self.stop(key);
            }
            if let Some(text) = line(event, envelope.run_id) {
                let _ = self.multi.println(text);
            }
        }
        self.update_totals();
    }
}
