//! Changes, reasons and summaries as short phrases, shared by the text, Markdown and DOT
//! writers (each escapes them its own way).

use crate::model::{OpChange, Reason, Status, StepChange, StepDiff};

pub fn status_word(status: Status) -> &'static str {
    match status {
        Status::Added => "added",
        Status::Removed => "removed",
        Status::Changed => "changed",
        Status::Renamed => "renamed",
        Status::Unchanged => "unchanged",
    }
}

pub fn step_change(change: &StepChange) -> String {
    let or_none = |v: &Option<String>| v.clone().unwrap_or_else(|| "(not given)".into());
    match change {
        StepChange::Op {
            old,
            new,
            content_changed,
        } => match content_changed {
            true => format!("op {old} → {new}"),
            false => format!("op {old} → {new} (same code)"),
        },
        StepChange::Argument { input, old, new } => {
            format!("{input}: {} → {}", or_none(old), or_none(new))
        }
        StepChange::After { added, removed } => {
            let mut parts = Vec::new();
            if !added.is_empty() {
                parts.push(format!("now after {}", added.join(", ")));
            }
            if !removed.is_empty() {
                parts.push(format!("no longer after {}", removed.join(", ")));
            }
            parts.join("; ")
        }
        StepChange::Scope { old, new } => {
            let side = |s: &Vec<String>| {
                if s.is_empty() {
                    "top level".to_string()
                } else {
                    s.join(" / ")
                }
            };
            format!("moved from {} to {}", side(old), side(new))
        }
    }
}

/// A step's changes in one line: `renamed from fit; lr: 0.1 → 0.2`.
pub fn step_line(step: &StepDiff) -> String {
    let mut parts = Vec::new();
    match step.status {
        Status::Added => parts.push(format!("new, runs {}", step.op)),
        Status::Removed => parts.push(format!("removed, ran {}", step.op)),
        _ => {}
    }
    if let Some(old) = &step.renamed_from {
        parts.push(format!("renamed from {old}"));
    }
    parts.extend(step.changes.iter().map(step_change));
    if parts.is_empty() && step.condition_changed {
        parts.push("its condition changed".into());
    } else if parts.is_empty() {
        parts.push("no change of its own".into());
    }
    parts.join("; ")
}

pub fn reason(reason: &Reason) -> String {
    match reason {
        Reason::Definition => "its definition changed".into(),
        Reason::Op { name } => format!("op {name} changed"),
        Reason::Param { name } => format!("param {name} changed"),
        Reason::Upstream { step } => format!("reads {step}"),
        Reason::ForList { .. } => "its for list changed".into(),
    }
}

pub fn reasons(step: &StepDiff) -> String {
    step.reasons
        .iter()
        .map(reason)
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn op_change(change: &OpChange) -> String {
    let value = |v: &serde_json::Value| match v {
        serde_json::Value::Null => "(not set)".to_string(),
        other => other.to_string(),
    };
    match change {
        OpChange::Body { .. } => "body changed".into(),
        OpChange::BodyFile { old, new } => format!(
            "body file {} → {}",
            old.as_deref().unwrap_or("(inline)"),
            new.as_deref().unwrap_or("(inline)")
        ),
        OpChange::Interpreter { old, new } => format!("interpreter {old} → {new}"),
        OpChange::Inputs { old, new } => {
            format!("inputs ({}) → ({})", old.join(", "), new.join(", "))
        }
        OpChange::Outputs { old, new } => {
            format!("outputs ({}) → ({})", old.join(", "), new.join(", "))
        }
        OpChange::Attribute(a) => format!("{} {} → {}", a.name, value(&a.old), value(&a.new)),
    }
}
