//! `mlforge metrics [RUN…]`: the metrics of runs side by side, one row a metric
//! (`STEP.OUTPUT.NAME`, nested names joined by `.`), one column a run.

use std::path::PathBuf;

use clap::Args;
use mlforge_store::{RunFilter, RunMetric, RunRecord};

use crate::error::CliResult;
use crate::history::{find_run, open, print_out};
use crate::Format;

#[derive(Args)]
pub struct MetricsArgs {
    /// Runs (numbers or `latest`), shown left to right. Default: the three latest runs of
    /// the latest run's pipeline.
    pub runs: Vec<String>,
    /// How to print.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The store folder.
    #[arg(long, value_name = "DIR", default_value_os_t = crate::settings::default_store())]
    pub store: PathBuf,
}

pub fn run(args: &MetricsArgs) -> CliResult {
    let store = open(&args.store)?;
    let runs: Vec<RunRecord> = if args.runs.is_empty() {
        let latest = find_run(&store, "latest")?;
        let mut runs = store.lineage.runs(&RunFilter {
            pipeline: Some(latest.pipeline.clone()),
            limit: Some(3),
            ..RunFilter::default()
        })?;
        runs.reverse();
        runs
    } else {
        args.runs
            .iter()
            .map(|r| find_run(&store, r))
            .collect::<CliResult<_>>()?
    };
    let mut measured: Vec<Vec<RunMetric>> = Vec::new();
    for run in &runs {
        measured.push(store.lineage.measured(run.id)?);
    }
    // Rows in the order first met, left to right.
    let mut names: Vec<String> = Vec::new();
    for m in measured.iter().flatten() {
        if !names.contains(&m.metric) {
            names.push(m.metric.clone());
        }
    }
    let value = |column: usize, name: &str| {
        measured[column]
            .iter()
            .find(|m| m.metric == name)
            .map(|m| m.value)
    };
    print_out(&match args.format {
        Format::Json => {
            let rows: Vec<serde_json::Value> = names
                .iter()
                .map(|name| {
                    let values: Vec<Option<f64>> =
                        (0..runs.len()).map(|c| value(c, name)).collect();
                    serde_json::json!({"metric": name, "values": values})
                })
                .collect();
            let columns: Vec<serde_json::Value> = runs
                .iter()
                .map(|r| serde_json::json!({"run": r.id, "pipeline": r.pipeline, "status": r.status}))
                .collect();
            let document = serde_json::json!({"runs": columns, "metrics": rows});
            serde_json::to_string_pretty(&document).expect("metrics serialize") + "\n"
        }
        Format::Text => {
            if names.is_empty() {
                let which: Vec<String> = runs.iter().map(|r| r.id.to_string()).collect();
                format!(
                    "no metrics recorded in run{} {} (a step records them by writing a `Metrics` output)\n",
                    if runs.len() == 1 { "" } else { "s" },
                    which.join(", ")
                )
            } else {
                let mut table: Vec<Vec<String>> = Vec::new();
                let mut header = vec!["METRIC".to_string()];
                header.extend(runs.iter().map(|r| format!("RUN {}", r.id)));
                table.push(header);
                for name in &names {
                    let mut row = vec![name.clone()];
                    row.extend((0..runs.len()).map(|c| value(c, name).map_or("-".into(), number)));
                    table.push(row);
                }
                columns(&table)
            }
        }
    });
    Ok(())
}

/// A metric as people read it: integers plainly, others to 6 significant digits at most.
pub fn number(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string().to_lowercase();
    }
    if value.fract() == 0.0 && value.abs() < 1e15 {
        return format!("{value:.0}");
    }
    let plain = value.to_string();
    if plain.len() <= 8 {
        return plain;
    }
    let digits = (6 - 1 - value.abs().log10().floor() as i32).clamp(0, 12) as usize;
    let text = format!("{value:.digits$}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_string()
}

/// Left-aligned first column, right-aligned numbers, two spaces between.
fn columns(table: &[Vec<String>]) -> String {
    let n = table.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..n)
        .map(|c| {
            table
                .iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in table {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                if c == 0 {
                    format!("{cell:<w$}", w = widths[c])
                } else {
                    format!("{cell:>w$}", w = widths[c])
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(0.5), "0.5");
        assert_eq!(number(0.9133333333333333), "0.913333");
        assert_eq!(number(1234.56789), "1234.57");
        assert_eq!(number(-0.000123456789), "-0.000123457");
        assert_eq!(number(f64::NAN), "nan");
    }
}
