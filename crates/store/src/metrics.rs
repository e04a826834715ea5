//! What a run measured, and how it moved between two runs. A metric is named
//! `STEP.OUTPUT.NAME` (`evaluate.report.prc.avg_prec`; `fit[1].report.mae` inside a
//! `for`), NAME being the entry's name in its `Metrics` output with nested objects joined
//! by `.`. A cached step's metrics are those of the attempt it reused.

use serde::Serialize;

use crate::diff::last_attempts;
use crate::element::Element;
use crate::lineage::{Lineage, Result};

/// One metric of a run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunMetric {
    /// `STEP.OUTPUT.NAME`.
    pub metric: String,
    pub step: String,
    pub element: Element,
    pub output: String,
    pub name: String,
    pub value: f64,
}

/// One metric of two runs compared.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricChange {
    pub metric: String,
    pub a: Option<f64>,
    pub b: Option<f64>,
}

impl MetricChange {
    /// `b - a` when both runs have it.
    pub fn delta(&self) -> Option<f64> {
        Some(self.b? - self.a?)
    }
}

impl Lineage {
    /// The metrics of run `run_id`, from the last attempt of each step instance, in the
    /// order the instances ran and then by name.
    pub fn measured(&self, run_id: i64) -> Result<Vec<RunMetric>> {
        let mut out = Vec::new();
        for attempt in last_attempts(self.attempts(run_id)?) {
            let source = attempt.cached_from.unwrap_or(attempt.id);
            for m in self.metrics(source)? {
                out.push(RunMetric {
                    metric: format!(
                        "{}.{}.{}",
                        attempt.element.instance_name(&attempt.step),
                        m.output,
                        m.name
                    ),
                    step: attempt.step.clone(),
                    element: attempt.element.clone(),
                    output: m.output,
                    name: m.name,
                    value: m.value,
                });
            }
        }
        Ok(out)
    }
}

/// Every metric of either run, A's order first, with its value in each.
pub fn diff_metrics(a: &[RunMetric], b: &[RunMetric]) -> Vec<MetricChange> {
    let mut changes: Vec<MetricChange> = Vec::new();
    let mut at = std::collections::HashMap::new();
    for (side, list) in [(0, a), (1, b)] {
        for m in list {
            let i = *at.entry(m.metric.clone()).or_insert_with(|| {
                changes.push(MetricChange {
                    metric: m.metric.clone(),
                    a: None,
                    b: None,
                });
                changes.len() - 1
            });
            if side == 0 {
                changes[i].a = Some(m.value);
            } else {
                changes[i].b = Some(m.value);
            }
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metric(name: &str, value: f64) -> RunMetric {
        RunMetric {
            metric: name.into(),
            step: "s".into(),
            element: Element::default(),
            output: "m".into(),
            name: name.into(),
            value,
        }
    }

    #[test]
    fn metrics_pair_by_name() {
        let a = [metric("s.m.acc", 0.5), metric("s.m.old", 1.0)];
        let b = [metric("s.m.new", 2.0), metric("s.m.acc", 0.75)];
        let changes = diff_metrics(&a, &b);
        let rows: Vec<_> = changes
            .iter()
            .map(|c| (c.metric.as_str(), c.a, c.b, c.delta()))
            .collect();
        assert_eq!(
            rows,
            [
                ("s.m.acc", Some(0.5), Some(0.75), Some(0.25)),
                ("s.m.old", Some(1.0), None, None),
                ("s.m.new", None, Some(2.0), None),
            ]
        );
    }
}
