//! The diff as a pull-request comment: the summary, a table of changed steps, op body
//! diffs, the other parts, the impact, and a Mermaid flowchart of the new graph. All user
//! text goes through [`crate::escape`].

use std::collections::HashMap;
use std::fmt::Write;

use crate::describe;
use crate::escape::{markdown as md, markdown_code as code, markdown_fence, mermaid_label};
use crate::merged::MergedGraph;
use crate::model::{EdgeKind, OpChange, PipelineDiff, Status};
use crate::Review;

/// The most nodes a flowchart draws whole; a bigger graph shows the changed steps and
/// their neighbours.
const MERMAID_LIMIT: usize = 150;
/// The most table rows for steps that did not change themselves.
const QUIET_ROWS: usize = 30;

pub fn render(review: &Review) -> String {
    let mut out = String::new();
    let report = &review.report;
    let _ = writeln!(out, "### mlforge diff\n\n**{}**\n", md(&report.summary));
    let several = report.pipelines.len() > 1;
    for (diff, graph) in report.pipelines.iter().zip(&review.graphs) {
        if diff.changed {
            pipeline(&mut out, diff, graph, several);
        }
    }
    out
}

fn icon(status: Status) -> &'static str {
    match status {
        Status::Added => "➕ added",
        Status::Removed => "➖ removed",
        Status::Changed => "✏️ changed",
        Status::Renamed => "🔀 renamed",
        Status::Unchanged => "unchanged",
    }
}

/// `several`: the report holds more than one pipeline, so each says its own summary.
fn pipeline(out: &mut String, diff: &PipelineDiff, graph: &MergedGraph, several: bool) {
    let _ = writeln!(
        out,
        "#### Pipeline {} in {} ({})\n",
        code(&diff.pipeline),
        code(&diff.file),
        describe::status_word(diff.status),
    );
    if several {
        let _ = writeln!(out, "{}\n", md(&diff.summary));
    }
    if !diff.steps.is_empty() {
        out.push_str("| step | status | change | re-runs |\n|---|---|---|---|\n");
        // A comment has a size limit (65,536 characters on GitHub): steps that only re-run
        // or only sit under a changed condition get a few rows, then a count.
        let mut quiet_rows = 0;
        let mut quiet_left = 0;
        for (id, step) in &diff.steps {
            if step.status == Status::Unchanged {
                quiet_rows += 1;
                if quiet_rows > QUIET_ROWS {
                    quiet_left += 1;
                    continue;
                }
            }
            let rerun = if step.rerun {
                format!("yes: {}", md(&describe::reasons(step)))
            } else if step.condition_changed {
                "decided at run time".to_string()
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                code(id),
                icon(step.status),
                md(&describe::step_line(step)),
                rerun
            );
        }
        if quiet_left > 0 {
            let _ = writeln!(
                out,
                "| … | | {quiet_left} more unchanged steps re-run or depend on a changed condition (the JSON lists every step) | |"
            );
        }
        out.push('\n');
    }
    for op in &diff.ops {
        let mut title = format!("op {} {}", code(&op.name), describe::status_word(op.status));
        if let Some(old) = &op.renamed_from {
            let _ = write!(title, " (was {})", code(old));
        }
        let others: Vec<String> = op
            .changes
            .iter()
            .filter(|c| !matches!(c, OpChange::Body { .. }))
            .map(|c| md(&describe::op_change(c)))
            .collect();
        if !others.is_empty() {
            let _ = write!(title, ": {}", others.join("; "));
        }
        match op.changes.iter().find_map(|c| match c {
            OpChange::Body { diff } => Some(diff),
            _ => None,
        }) {
            Some(body) => {
                let _ = writeln!(
                    out,
                    "<details><summary>{title}, body changed</summary>\n\n{}\n</details>\n",
                    markdown_fence("diff", body)
                );
            }
            None => {
                let _ = writeln!(out, "- {title}");
            }
        }
    }
    let mut items: Vec<String> = Vec::new();
    for p in &diff.params {
        items.push(format!(
            "param {} {}: {} → {}",
            code(&p.name),
            describe::status_word(p.status),
            md(&side(&p.old_type, &p.old_default)),
            md(&side(&p.new_type, &p.new_default)),
        ));
    }
    for o in &diff.outputs {
        items.push(format!(
            "output {} {}: {} → {}",
            code(&o.name),
            describe::status_word(o.status),
            md(o.old.as_deref().unwrap_or("(none)")),
            md(o.new.as_deref().unwrap_or("(none)")),
        ));
    }
    for b in &diff.blocks {
        items.push(format!(
            "{} {}: {} → {}",
            md(&b.kind),
            describe::status_word(b.status),
            md(b.old.as_deref().unwrap_or("(none)")),
            md(b.new.as_deref().unwrap_or("(none)")),
        ));
    }
    if let Some(s) = &diff.schedule {
        items.push(format!(
            "schedule: {} → {}",
            md(s.old.as_deref().unwrap_or("(none)")),
            md(s.new.as_deref().unwrap_or("(none)"))
        ));
    }
    for d in &diff.defaults {
        items.push(format!(
            "default for every op: {}",
            md(&describe::op_change(&OpChange::Attribute(d.clone())))
        ));
    }
    if !diff.edges.added.is_empty() || !diff.edges.removed.is_empty() {
        items.push(format!(
            "edges: {} added, {} removed",
            diff.edges.added.len(),
            diff.edges.removed.len()
        ));
    }
    if !diff.impact.lost_outputs.is_empty() {
        let lost: Vec<String> = diff
            .impact
            .lost_outputs
            .iter()
            .map(|l| match &l.step {
                Some(s) => code(&format!("{s}.{}", l.output)),
                None => format!("pipeline output {}", code(&l.output)),
            })
            .collect();
        items.push(format!("outputs no longer produced: {}", lost.join(", ")));
    }
    for item in &items {
        let _ = writeln!(out, "- {item}");
    }
    if !items.is_empty() {
        out.push('\n');
    }
    out.push_str(&markdown_fence("mermaid", &mermaid(graph)));
    out.push('\n');
}

fn side(ty: &Option<String>, default: &Option<String>) -> String {
    match (ty, default) {
        (None, _) => "(none)".into(),
        (Some(t), None) => t.clone(),
        (Some(t), Some(d)) => format!("{t} = {d}"),
    }
}

/// The flowchart: steps as nodes labelled with their id and op (ids in the chart are `sN`
/// and `bN`, never user text), blocks as subgraphs, added, changed and renamed steps
/// styled, removed steps and edges dashed.
pub fn mermaid(graph: &MergedGraph) -> String {
    let mut out = String::from("flowchart TD\n");
    let shown = graph.shown(MERMAID_LIMIT);
    let ids: HashMap<&str, String> = graph
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), format!("s{i}")))
        .collect();
    let block_ids: HashMap<&str, String> = graph
        .blocks
        .iter()
        .enumerate()
        .map(|(i, b)| (b.id.as_str(), format!("b{i}")))
        .collect();
    // Each block's nodes and child blocks, drawn nested.
    let mut inside: HashMap<Option<&str>, Vec<String>> = HashMap::new();
    for n in graph.nodes.iter().filter(|n| shown.contains(n.id.as_str())) {
        let mut label = format!("{} ({})", n.id, n.op);
        if let Some(old) = &n.renamed_from {
            let _ = write!(label, " (was {old})");
        }
        if n.rerun {
            label.push_str(" ↻");
        }
        let class = match n.status {
            Status::Added => ":::added",
            Status::Removed => ":::removed",
            Status::Changed => ":::changed",
            Status::Renamed => ":::renamed",
            Status::Unchanged if n.rerun => ":::rerun",
            Status::Unchanged => "",
        };
        inside.entry(n.block.as_deref()).or_default().push(format!(
            "{}[{}]{class}",
            ids[n.id.as_str()],
            mermaid_label(&label)
        ));
    }
    fn emit(
        out: &mut String,
        at: Option<&str>,
        depth: usize,
        graph: &MergedGraph,
        inside: &HashMap<Option<&str>, Vec<String>>,
        block_ids: &HashMap<&str, String>,
    ) -> bool {
        let mut any = false;
        let pad = "  ".repeat(depth + 1);
        for line in inside.get(&at).map(Vec::as_slice).unwrap_or_default() {
            let _ = writeln!(out, "{pad}{line}");
            any = true;
        }
        for b in graph.blocks.iter().filter(|b| b.parent.as_deref() == at) {
            let mut body = String::new();
            if emit(&mut body, Some(&b.id), depth + 1, graph, inside, block_ids) {
                let _ = writeln!(
                    out,
                    "{pad}subgraph {}[{}]",
                    block_ids[b.id.as_str()],
                    mermaid_label(&b.label)
                );
                out.push_str(&body);
                let _ = writeln!(out, "{pad}end");
                any = true;
            }
        }
        any
    }
    emit(&mut out, None, 0, graph, &inside, &block_ids);
    for e in &graph.edges {
        if !(shown.contains(e.from.as_str()) && shown.contains(e.to.as_str())) {
            continue;
        }
        let (Some(from), Some(to)) = (ids.get(e.from.as_str()), ids.get(e.to.as_str())) else {
            continue;
        };
        let arrow = match (e.status, e.kind) {
            (Status::Removed, _) | (_, EdgeKind::After) => "-.->",
            (Status::Added, _) => "==>",
            _ => "-->",
        };
        let _ = writeln!(out, "  {from} {arrow} {to}");
    }
    let hidden = graph.nodes.len() - shown.len();
    if hidden > 0 {
        let _ = writeln!(
            out,
            "  more[{}]:::note",
            mermaid_label(&format!("{hidden} unchanged steps not drawn"))
        );
    }
    out.push_str(
        "  classDef added fill:#dafbe1,stroke:#1a7f37,color:#0d1117\n\
         \x20 classDef changed fill:#fff8c5,stroke:#9a6700,color:#0d1117\n\
         \x20 classDef renamed fill:#ddf4ff,stroke:#0969da,color:#0d1117\n\
         \x20 classDef removed fill:#ffebe9,stroke:#cf222e,stroke-dasharray:5 5,color:#0d1117\n\
         \x20 classDef rerun stroke:#bc4c00,stroke-width:2px\n\
         \x20 classDef note fill:none,stroke:none\n",
    );
    out
}
