//! What a change does to an MLForge pipeline, for code review (`mlforge diff`).
//!
//! Compares two compiled pipelines ([`mlforge_ir::Program`]) and says which steps were
//! added, removed, changed or renamed (a step whose op and arguments equal an old one's
//! under another name is renamed, and a rename that also changed something says both),
//! which ops changed (with a unified diff of the body), params, outputs, edges, `for`
//! lists, `if` conditions, the schedule and op defaults; and the impact on a run: the steps
//! whose cache key changes, by the runner's rules (see [`impact`](crate::impact)), the steps
//! whose condition changed, and the outputs that disappear. Anything that only changes
//! where things are written (layout, comments, docs, moving an op to another file) is no
//! change.
//!
//! ```text
//! Program (old) ─┐
//!                ├ compare ─ Comparison ─┐
//! Program (new) ─┘                       ├ Review ─ to_json / text / markdown (+ Mermaid) / dot
//!                        (one per pipeline)┘
//! ```
//!
//! This crate reads the IR only; loading and compiling files is the caller's work.

mod compare;
mod describe;
mod dot;
pub mod escape;
mod expr;
mod impact;
mod markdown;
mod matching;
mod merged;
pub mod model;
mod parts;
mod text;

use mlforge_ir::Program;

pub use crate::merged::MergedGraph;
pub use crate::model::*;

/// One pipeline compared, with the merged graph its drawings need.
#[derive(Clone, Debug)]
pub struct Comparison {
    pub diff: PipelineDiff,
    pub graph: MergedGraph,
}

/// Compares one pipeline's two versions; `None` is the side where it does not exist
/// (added or removed). At least one side must be given.
pub fn compare(old: Option<&Program>, new: Option<&Program>) -> Comparison {
    let (diff, new_edges) = compare::compare(old, new);
    let empty;
    let (a, b) = match (old, new) {
        (Some(a), Some(b)) => (a, b),
        (None, Some(b)) => {
            empty = compare::empty_program(b);
            (&empty, b)
        }
        (Some(a), None) => {
            empty = compare::empty_program(a);
            (a, &empty)
        }
        (None, None) => panic!("compare needs at least one version"),
    };
    let graph = MergedGraph::new(a, b, &diff, new_edges);
    Comparison { diff, graph }
}

/// Every pipeline compared, summed up.
#[derive(Clone, Debug)]
pub struct Review {
    pub report: Report,
    /// The merged graph of each of `report.pipelines`, in the same order.
    pub graphs: Vec<MergedGraph>,
}

impl Review {
    pub fn new(comparisons: Vec<Comparison>) -> Review {
        let mut counts = Counts::default();
        let mut changed = false;
        let mut pipelines = Vec::new();
        let mut graphs = Vec::new();
        for c in comparisons {
            counts.add(&c.diff.counts);
            changed |= c.diff.changed;
            pipelines.push(c.diff);
            graphs.push(c.graph);
        }
        let summary = if changed && !counts.any() {
            "no step changes; only edges changed".to_string()
        } else {
            counts.summary()
        };
        Review {
            report: Report {
                version: DIFF_VERSION.to_string(),
                changed,
                summary,
                counts,
                pipelines,
            },
            graphs,
        }
    }

    /// Writes every file path under `root` relative to it (`/repo/a/b.mlf` → `a/b.mlf`),
    /// for reports about files that were loaded by absolute path.
    pub fn relative_to(&mut self, root: &str) {
        let root = format!("{}/", root.trim_end_matches('/'));
        let strip = |path: &mut String| {
            if let Some(rest) = path.strip_prefix(&root) {
                *path = rest.to_string();
            }
        };
        for p in &mut self.report.pipelines {
            strip(&mut p.file);
            for s in p.steps.values_mut() {
                strip(&mut s.source.file);
            }
        }
    }

    /// The report as indented JSON (the format of `schemas/diff.schema.json`).
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(&self.report).expect("the report serializes");
        text.push('\n');
        text
    }

    /// For a terminal: the summary line, then the details; ANSI colours when `color`.
    pub fn to_text(&self, color: bool) -> String {
        text::render(self, color)
    }

    /// A pull-request comment: the summary, tables, body diffs and a Mermaid flowchart.
    pub fn to_markdown(&self) -> String {
        markdown::render(self)
    }

    /// The Mermaid flowchart of each changed pipeline's merged graph (as in the Markdown).
    pub fn to_mermaid(&self) -> Vec<String> {
        self.report
            .pipelines
            .iter()
            .zip(&self.graphs)
            .filter(|(d, _)| d.changed)
            .map(|(_, g)| markdown::mermaid(g))
            .collect()
    }

    /// The merged graphs as Graphviz DOT.
    pub fn to_dot(&self) -> String {
        dot::render(self)
    }
}
