//! The new graph with the removed steps and edges put back: what the Mermaid flowchart and
//! the DOT drawing show.

use std::collections::HashSet;

use mlforge_ir::Program;

use crate::expr::block_text;
use crate::model::{EdgeKind, EdgeRef, PipelineDiff, Status};

#[derive(Clone, Debug, PartialEq)]
pub struct MergedGraph {
    pub nodes: Vec<MergedNode>,
    pub edges: Vec<MergedEdge>,
    /// The new version's blocks, parents before children.
    pub blocks: Vec<MergedBlock>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MergedNode {
    /// The step id (old id for a removed step).
    pub id: String,
    pub op: String,
    pub status: Status,
    pub renamed_from: Option<String>,
    pub rerun: bool,
    /// The innermost block holding it in the new version (none for removed steps).
    pub block: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MergedEdge {
    pub from: String,
    pub to: String,
    pub kind: EdgeKind,
    /// `added`, `removed` or `unchanged`.
    pub status: Status,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MergedBlock {
    pub id: String,
    pub parent: Option<String>,
    /// `for lr in rates`, `if …`.
    pub label: String,
}

impl MergedGraph {
    /// `new_edges`: every edge of the new version (`parts::edge_set`).
    pub(crate) fn new(
        old: &Program,
        new: &Program,
        diff: &PipelineDiff,
        new_edges: Vec<EdgeRef>,
    ) -> MergedGraph {
        let mut nodes: Vec<MergedNode> = new
            .steps
            .iter()
            .map(|s| {
                let d = diff.steps.get(&s.id);
                MergedNode {
                    id: s.id.clone(),
                    op: s.op.clone(),
                    status: d.map_or(Status::Unchanged, |d| d.status),
                    renamed_from: d.and_then(|d| d.renamed_from.clone()),
                    rerun: d.is_some_and(|d| d.rerun),
                    block: s.scope.last().cloned(),
                }
            })
            .collect();
        nodes.extend(
            old.steps
                .iter()
                .filter(|s| {
                    diff.steps
                        .get(&s.id)
                        .is_some_and(|d| d.status == Status::Removed)
                })
                .map(|s| MergedNode {
                    id: s.id.clone(),
                    op: s.op.clone(),
                    status: Status::Removed,
                    renamed_from: None,
                    rerun: false,
                    block: None,
                }),
        );
        let added: HashSet<&EdgeRef> = diff.edges.added.iter().collect();
        let mut seen = HashSet::new();
        let mut edges = Vec::new();
        for e in new_edges {
            let status = if added.contains(&e) {
                Status::Added
            } else {
                Status::Unchanged
            };
            push_edge(&mut edges, &mut seen, e, status);
        }
        for e in &diff.edges.removed {
            push_edge(&mut edges, &mut seen, e.clone(), Status::Removed);
        }
        let mut blocks: Vec<MergedBlock> = new
            .blocks
            .iter()
            .map(|(id, b)| MergedBlock {
                id: id.clone(),
                parent: match b {
                    mlforge_ir::Block::For { parent, .. }
                    | mlforge_ir::Block::If { parent, .. } => parent.clone(),
                },
                label: block_text(b),
            })
            .collect();
        // Parents first: a block's depth is the length of its chain of parents.
        let depth = |id: &str, blocks: &[MergedBlock]| {
            let mut d = 0;
            let mut at = blocks
                .iter()
                .find(|b| b.id == id)
                .and_then(|b| b.parent.clone());
            while let Some(p) = at {
                d += 1;
                if d > blocks.len() {
                    break;
                }
                at = blocks
                    .iter()
                    .find(|b| b.id == p)
                    .and_then(|b| b.parent.clone());
            }
            d
        };
        let depths: Vec<usize> = blocks.iter().map(|b| depth(&b.id, &blocks)).collect();
        let mut order: Vec<usize> = (0..blocks.len()).collect();
        order.sort_by_key(|&i| depths[i]);
        blocks = order.into_iter().map(|i| blocks[i].clone()).collect();
        MergedGraph {
            nodes,
            edges,
            blocks,
        }
    }

    /// Whether the node is part of the change (drawn even when a big graph is cut down).
    pub fn involved(node: &MergedNode) -> bool {
        node.status != Status::Unchanged || node.rerun
    }

    /// The nodes to draw, at most `limit` of them: all; else the involved ones and their
    /// direct neighbours; else the added, removed, changed and renamed ones (with their
    /// neighbours if they fit); else the first `limit` of those.
    pub fn shown(&self, limit: usize) -> HashSet<&str> {
        if self.nodes.len() <= limit {
            return self.nodes.iter().map(|n| n.id.as_str()).collect();
        }
        let around = |core: &HashSet<&'_ str>| -> HashSet<&str> {
            let mut shown: HashSet<&str> = self
                .nodes
                .iter()
                .map(|n| n.id.as_str())
                .filter(|id| core.contains(id))
                .collect();
            for e in &self.edges {
                if core.contains(e.from.as_str()) || core.contains(e.to.as_str()) {
                    shown.insert(&e.from);
                    shown.insert(&e.to);
                }
            }
            shown
        };
        let pick = |keep: fn(&MergedNode) -> bool| -> HashSet<&str> {
            self.nodes
                .iter()
                .filter(|n| keep(n))
                .map(|n| n.id.as_str())
                .collect()
        };
        let involved = around(&pick(MergedGraph::involved));
        if involved.len() <= limit {
            return involved;
        }
        let changed = pick(|n| n.status != Status::Unchanged);
        let with_neighbours = around(&changed);
        if with_neighbours.len() <= limit {
            return with_neighbours;
        }
        self.nodes
            .iter()
            .filter(|n| n.status != Status::Unchanged)
            .take(limit)
            .map(|n| n.id.as_str())
            .collect()
    }
}

fn push_edge(
    edges: &mut Vec<MergedEdge>,
    seen: &mut HashSet<(String, String, EdgeKind)>,
    e: EdgeRef,
    status: Status,
) {
    if seen.insert((e.from.clone(), e.to.clone(), e.kind)) {
        edges.push(MergedEdge {
            from: e.from,
            to: e.to,
            kind: e.kind,
            status,
        });
    }
}
