//! The diff for a terminal: the summary line first, then each changed pipeline's steps,
//! ops (with body diffs), params, outputs, blocks, schedule, defaults, edges and impact.
//! Coloured when asked (the caller decides: a terminal, and `NO_COLOR` unset).

use std::fmt::Write;

use crate::describe;
use crate::escape::terminal;
use crate::model::{OpChange, PipelineDiff, Status};
use crate::Review;

struct Paint(bool);

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn status(&self, status: Status, text: &str) -> String {
        match status {
            Status::Added => self.wrap("32", text),
            Status::Removed => self.wrap("31", text),
            Status::Changed => self.wrap("33", text),
            Status::Renamed => self.wrap("36", text),
            Status::Unchanged => text.to_string(),
        }
    }
}

fn mark(status: Status) -> &'static str {
    match status {
        Status::Added => "+",
        Status::Removed => "-",
        Status::Changed => "~",
        Status::Renamed => ">",
        Status::Unchanged => " ",
    }
}

pub fn render(review: &Review, color: bool) -> String {
    let paint = Paint(color);
    let mut out = String::new();
    let _ = writeln!(out, "{}", paint.wrap("1", &review.report.summary));
    let several = review.report.pipelines.len() > 1;
    for diff in review.report.pipelines.iter().filter(|d| d.changed) {
        pipeline(&mut out, diff, &paint, several);
    }
    terminal(&out)
}

/// `several`: the report holds more than one pipeline, so each says its own summary.
fn pipeline(out: &mut String, diff: &PipelineDiff, paint: &Paint, several: bool) {
    let _ = write!(
        out,
        "\n{} `{}` in {} ({})",
        paint.wrap("1", "pipeline"),
        diff.pipeline,
        diff.file,
        describe::status_word(diff.status),
    );
    if several {
        let _ = write!(out, ": {}", diff.summary);
    }
    out.push('\n');
    let width = diff
        .steps
        .keys()
        .map(|k| k.chars().count())
        .max()
        .unwrap_or(0);
    if !diff.steps.is_empty() {
        let _ = writeln!(out, "steps:");
    }
    for (id, step) in &diff.steps {
        let mut line = format!(
            "  {} {id:<width$}  {}",
            mark(step.status),
            describe::step_line(step)
        );
        if step.rerun {
            let _ = write!(line, "  [re-runs: {}]", describe::reasons(step));
        } else if step.condition_changed {
            line.push_str("  [runs or not: its condition changed]");
        }
        let _ = writeln!(out, "{}", paint.status(step.status, &line));
    }
    if !diff.ops.is_empty() {
        let _ = writeln!(out, "ops:");
    }
    for op in &diff.ops {
        let mut line = format!(
            "  {} {} {}",
            mark(op.status),
            op.name,
            describe::status_word(op.status)
        );
        if let Some(old) = &op.renamed_from {
            let _ = write!(line, " (was {old})");
        }
        let changes: Vec<String> = op.changes.iter().map(describe::op_change).collect();
        if !changes.is_empty() {
            let _ = write!(line, ": {}", changes.join("; "));
        }
        let _ = writeln!(out, "{}", paint.status(op.status, &line));
        for change in &op.changes {
            if let OpChange::Body { diff } = change {
                for l in diff.lines() {
                    let l = format!("      {l}");
                    let _ = writeln!(
                        out,
                        "{}",
                        match l.trim_start().chars().next() {
                            Some('+') if !l.trim_start().starts_with("+++") => paint.wrap("32", &l),
                            Some('-') if !l.trim_start().starts_with("---") => paint.wrap("31", &l),
                            Some('@') => paint.wrap("36", &l),
                            _ => l,
                        }
                    );
                }
            }
        }
    }
    let mut other = Vec::new();
    for p in &diff.params {
        let side = |t: &Option<String>, d: &Option<String>| match (t, d) {
            (None, _) => "(none)".to_string(),
            (Some(t), None) => t.clone(),
            (Some(t), Some(d)) => format!("{t} = {d}"),
        };
        other.push((
            p.status,
            format!(
                "param {} {}: {} → {}",
                p.name,
                describe::status_word(p.status),
                side(&p.old_type, &p.old_default),
                side(&p.new_type, &p.new_default)
            ),
        ));
    }
    for o in &diff.outputs {
        other.push((
            o.status,
            format!(
                "output {} {}: {} → {}",
                o.name,
                describe::status_word(o.status),
                o.old.as_deref().unwrap_or("(none)"),
                o.new.as_deref().unwrap_or("(none)")
            ),
        ));
    }
    for b in &diff.blocks {
        other.push((
            b.status,
            format!(
                "{} {}: {} → {}",
                b.kind,
                describe::status_word(b.status),
                b.old.as_deref().unwrap_or("(none)"),
                b.new.as_deref().unwrap_or("(none)")
            ),
        ));
    }
    if let Some(s) = &diff.schedule {
        other.push((
            Status::Changed,
            format!(
                "schedule: {} → {}",
                s.old.as_deref().unwrap_or("(none)"),
                s.new.as_deref().unwrap_or("(none)")
            ),
        ));
    }
    for d in &diff.defaults {
        other.push((
            Status::Changed,
            format!(
                "default for every op: {}",
                describe::op_change(&OpChange::Attribute(d.clone()))
            ),
        ));
    }
    for e in &diff.edges.added {
        other.push((Status::Added, format!("edge {}", edge(e))));
    }
    for e in &diff.edges.removed {
        other.push((Status::Removed, format!("edge {}", edge(e))));
    }
    if !other.is_empty() {
        let _ = writeln!(out, "other changes:");
    }
    for (status, line) in other {
        let _ = writeln!(
            out,
            "{}",
            paint.status(status, &format!("  {} {line}", mark(status)))
        );
    }
    let impact = &diff.impact;
    if !impact.rerun.is_empty() {
        let _ = writeln!(out, "will re-run: {}", impact.rerun.join(", "));
    }
    if !impact.conditional.is_empty() {
        let _ = writeln!(
            out,
            "runs or not, by a changed condition: {}",
            impact.conditional.join(", ")
        );
    }
    if !impact.lost_outputs.is_empty() {
        let lost: Vec<String> = impact
            .lost_outputs
            .iter()
            .map(|l| match &l.step {
                Some(s) => format!("{s}.{}", l.output),
                None => format!("pipeline output {}", l.output),
            })
            .collect();
        let _ = writeln!(out, "outputs no longer produced: {}", lost.join(", "));
    }
}

pub(crate) fn edge(e: &crate::model::EdgeRef) -> String {
    match (&e.output, &e.input) {
        (Some(o), Some(i)) => format!("{}.{o} → {}.{i}", e.from, e.to),
        _ => format!("{} → {} (after)", e.from, e.to),
    }
}
