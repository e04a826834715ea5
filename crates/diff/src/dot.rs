//! The merged graph as Graphviz DOT through `mlforge_graph::DotWriter` (which escapes every
//! id and value): added steps green, changed amber, renamed blue, removed red and dashed;
//! steps that re-run have a thick orange border; added edges green, removed edges red and
//! dashed. Blocks are clusters. A node's DOT id is its step id, as in `mlforge graph`.

use mlforge_graph::{Defaults, DotWriter};

use crate::merged::MergedGraph;
use crate::model::{EdgeKind, Status};
use crate::Review;

fn colors(status: Status) -> Option<(&'static str, &'static str)> {
    match status {
        Status::Added => Some(("#dafbe1", "#1a7f37")),
        Status::Changed => Some(("#fff8c5", "#9a6700")),
        Status::Renamed => Some(("#ddf4ff", "#0969da")),
        Status::Removed => Some(("#ffebe9", "#cf222e")),
        Status::Unchanged => None,
    }
}

pub fn render(review: &Review) -> String {
    let mut w = DotWriter::digraph("mlforge diff");
    w.defaults(Defaults::Graph, |a| {
        a.attr("rankdir", "TB").attr("fontname", "Helvetica");
    });
    w.defaults(Defaults::Node, |a| {
        a.attr("shape", "box")
            .attr("style", "rounded,filled")
            .attr("fillcolor", "white")
            .attr("fontname", "Helvetica");
    });
    for (i, (diff, graph)) in review
        .report
        .pipelines
        .iter()
        .zip(&review.graphs)
        .enumerate()
    {
        let prefix = if review.graphs.len() > 1 {
            format!("{}/", diff.pipeline)
        } else {
            String::new()
        };
        if review.graphs.len() > 1 {
            w.subgraph(&format!("cluster_pipeline_{i}"));
            w.defaults(Defaults::Graph, |a| {
                a.attr("label", &diff.pipeline);
            });
        }
        pipeline(&mut w, graph, &prefix);
        if review.graphs.len() > 1 {
            w.end_subgraph();
        }
    }
    w.finish()
}

fn pipeline(w: &mut DotWriter, graph: &MergedGraph, prefix: &str) {
    fn nodes_in(w: &mut DotWriter, graph: &MergedGraph, block: Option<&str>, prefix: &str) {
        for n in graph.nodes.iter().filter(|n| n.block.as_deref() == block) {
            w.node(&format!("{prefix}{}", n.id), |a| {
                let mut label = format!("{}\n{}", n.id, n.op);
                if let Some(old) = &n.renamed_from {
                    label.push_str(&format!("\n(was {old})"));
                }
                a.attr("label", &label)
                    .attr("id", &n.id)
                    .attr("class", crate::describe::status_word(n.status));
                if let Some((fill, line)) = colors(n.status) {
                    a.attr("fillcolor", fill).attr("color", line);
                }
                if n.status == Status::Removed {
                    a.attr("style", "rounded,filled,dashed");
                }
                if n.rerun {
                    a.attr("penwidth", "3").attr("color", "#bc4c00");
                }
            });
        }
        for b in graph.blocks.iter().filter(|b| b.parent.as_deref() == block) {
            w.subgraph(&format!("cluster_{prefix}{}", b.id));
            w.defaults(Defaults::Graph, |a| {
                a.attr("label", &b.label).attr("style", "dashed");
            });
            nodes_in(w, graph, Some(&b.id), prefix);
            w.end_subgraph();
        }
    }
    nodes_in(w, graph, None, prefix);
    for e in &graph.edges {
        w.edge(
            &format!("{prefix}{}", e.from),
            &format!("{prefix}{}", e.to),
            |a| {
                if e.kind == EdgeKind::After {
                    a.attr("style", "dotted");
                }
                match e.status {
                    Status::Added => {
                        a.attr("color", "#1a7f37").attr("penwidth", "2");
                    }
                    Status::Removed => {
                        a.attr("color", "#cf222e").attr("style", "dashed");
                    }
                    _ => {}
                }
            },
        );
    }
}
