//! `mlforge runs diff A B`: two runs compared step by step (the work is
//! `mlforge_store::diff_runs`'s).

use std::path::PathBuf;

use clap::Args;
use mlforge_store::{
    diff_counts, diff_metrics, diff_runs, DiffStatus, MetricChange, RunRecord, StepDiff,
};

use crate::error::CliResult;
use crate::history::{find_run, open, print_out};
use crate::metrics::number;
use crate::Format;

#[derive(Args)]
pub struct DiffArgs {
    /// The first run (number or `latest`).
    pub a: String,
    /// The second run.
    pub b: String,
    /// How to print.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The store folder.
    #[arg(long, value_name = "DIR", default_value_os_t = crate::settings::default_store())]
    pub store: PathBuf,
}

/// `println!` into a `String`.
macro_rules! outln {
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($arg)*);
    }};
}

pub fn run(args: &DiffArgs) -> CliResult {
    let store = open(&args.store)?;
    let run_a = find_run(&store, &args.a)?;
    let run_b = find_run(&store, &args.b)?;
    let steps = diff_runs(
        store.lineage.attempts(run_a.id)?,
        store.lineage.attempts(run_b.id)?,
    );
    let metrics = diff_metrics(
        &store.lineage.measured(run_a.id)?,
        &store.lineage.measured(run_b.id)?,
    );
    print_out(&match args.format {
        Format::Json => json(&run_a, &run_b, &steps, &metrics),
        Format::Text => text(&run_a, &run_b, &steps, &metrics),
    });
    Ok(())
}

fn json(
    run_a: &RunRecord,
    run_b: &RunRecord,
    steps: &[StepDiff],
    metrics: &[MetricChange],
) -> String {
    let side = |x: &Option<mlforge_store::AttemptRecord>| {
        x.as_ref()
            .map(|x| serde_json::json!({"attempt_id": x.id, "status": x.status}))
    };
    let rows: Vec<serde_json::Value> = steps
        .iter()
        .map(|step| {
            serde_json::json!({
                "step": step.step,
                "element": step.element.indices(),
                "name": step.name(),
                "status": step.status,
                "changes": step.changes,
                "a": side(&step.a),
                "b": side(&step.b),
            })
        })
        .collect();
    let document = serde_json::json!({
        "a": run_a.id,
        "b": run_b.id,
        "pipelines": [run_a.pipeline, run_b.pipeline],
        "counts": diff_counts(steps),
        "steps": rows,
        "metrics": metrics
            .iter()
            .map(|m| serde_json::json!({"metric": m.metric, "a": m.a, "b": m.b, "delta": m.delta()}))
            .collect::<Vec<_>>(),
    });
    serde_json::to_string_pretty(&document).expect("diff serializes") + "\n"
}

fn text(
    run_a: &RunRecord,
    run_b: &RunRecord,
    steps: &[StepDiff],
    metrics: &[MetricChange],
) -> String {
    let mut out = String::new();
    outln!(
        out,
        "runs {} (`{}`) and {} (`{}`)",
        run_a.id,
        run_a.pipeline,
        run_b.id,
        run_b.pipeline
    );
    let width = steps
        .iter()
        .map(|s| s.name().chars().count())
        .max()
        .unwrap_or(0);
    for step in steps {
        let label = match step.status {
            DiffStatus::OnlyInA => format!("only in {}", run_a.id),
            DiffStatus::OnlyInB => format!("only in {}", run_b.id),
            other => other.label().to_string(),
        };
        let detail: Vec<String> = step
            .changes
            .iter()
            .map(|c| {
                if c.detail.is_empty() {
                    c.part.to_string()
                } else {
                    format!("{} ({})", c.part, c.detail)
                }
            })
            .collect();
        let name = step.name();
        if detail.is_empty() {
            outln!(out, "  {name:<width$}  {label}");
        } else {
            outln!(out, "  {name:<width$}  {label}: {}", detail.join("; "));
        }
    }
    let summary: Vec<String> = diff_counts(steps)
        .iter()
        .map(|(status, n)| format!("{n} {}", status.label()))
        .collect();
    outln!(out, "{}", summary.join(", "));
    if !metrics.is_empty() {
        outln!(out, "metrics ({} → {})", run_a.id, run_b.id);
        let width = metrics
            .iter()
            .map(|m| m.metric.chars().count())
            .max()
            .unwrap_or(0);
        let shown = |v: Option<f64>| v.map_or("-".to_string(), number);
        for m in metrics {
            let how = match (m.a, m.delta()) {
                (_, Some(0.0)) => "same".to_string(),
                (_, Some(d)) => format!("{}{}", if d > 0.0 { "+" } else { "" }, number(d)),
                (None, _) => format!("only in {}", run_b.id),
                (Some(_), None) => format!("only in {}", run_a.id),
            };
            outln!(
                out,
                "  {:<width$}  {} → {}  ({how})",
                m.metric,
                shown(m.a),
                shown(m.b)
            );
        }
    }
    out
}
