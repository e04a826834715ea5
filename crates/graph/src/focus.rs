//! A focus subgraph: the part of a big graph around one step, for a preview that cannot lay
//! out 5,000 steps on every keystroke.
//!
//! Neighbours are found through data and `after` edges over the whole graph (across
//! clusters). An edge end that is a whole cluster (`after te`, an input of a sub-pipeline
//! that no inner step reads) stands for every step inside it. Control edges lead into
//! blocks, not steps, so they are drawn when both ends are kept but never followed.

use std::collections::{HashMap, VecDeque};

use crate::fx::FxBuild;
use crate::model::{EdgeKind, GraphModel, Node};

/// How many nodes, edges and clusters a whole graph has: what a client weighs before
/// choosing a level of detail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Totals {
    pub nodes: usize,
    pub edges: usize,
    pub clusters: usize,
}

impl GraphModel {
    pub fn totals(&self) -> Totals {
        Totals {
            nodes: self.nodes.len(),
            edges: self.edges.len(),
            clusters: self.clusters.len(),
        }
    }

    /// The index of the node drawn for the source offset `offset` of the model's file: the
    /// step whose range holds it (the innermost, for a step inside a sub-pipeline inlined
    /// from this file), else the first step inside the calling step that holds it, else the
    /// nearest step before it in source order, else the first step. `None` when there are
    /// no steps.
    pub fn node_at(&self, offset: u32) -> Option<usize> {
        let own = |n: &Node| n.file.is_none();
        let holds = |start: u32, end: u32| start <= offset && offset <= end;
        let inside = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| own(n) && holds(n.range.start_offset, n.range.end_offset))
            .min_by_key(|(_, n)| n.range.end_offset - n.range.start_offset)
            .map(|(i, _)| i);
        let calling = || {
            let cluster = self
                .clusters
                .iter()
                .filter(|c| c.file.is_none() && holds(c.range.start_offset, c.range.end_offset))
                .min_by_key(|c| c.range.end_offset - c.range.start_offset)?;
            let index = self.cluster_index();
            self.members(&index)[index[cluster.id.as_str()]]
                .first()
                .copied()
        };
        let before = || {
            self.nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| own(n) && n.range.start_offset <= offset)
                .max_by_key(|(i, n)| (n.range.start_offset, usize::MAX - i))
                .map(|(i, _)| i)
        };
        let first = || {
            self.nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| own(n))
                .min_by_key(|(i, n)| (n.range.start_offset, *i))
                .map(|(i, _)| i)
                .or((!self.nodes.is_empty()).then_some(0))
        };
        inside.or_else(calling).or_else(before).or_else(first)
    }

    /// The nodes inside each cluster (at any depth), in the model's order, by cluster index.
    fn members(&self, cluster_index: &HashMap<&str, usize, FxBuild>) -> Vec<Vec<usize>> {
        let mut members = vec![Vec::new(); self.clusters.len()];
        for (n, node) in self.nodes.iter().enumerate() {
            let mut parent = node.cluster.as_deref();
            // Bounded by the cluster count, should a parent chain ever loop.
            for _ in 0..self.clusters.len() {
                let Some(&c) = parent.and_then(|p| cluster_index.get(p)) else {
                    break;
                };
                members[c].push(n);
                parent = self.clusters[c].parent.as_deref();
            }
        }
        members
    }

    fn cluster_index(&self) -> HashMap<&str, usize, FxBuild> {
        self.clusters
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.as_str(), i))
            .collect()
    }

    fn node_index(&self) -> HashMap<&str, usize, FxBuild> {
        self.nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.as_str(), i))
            .collect()
    }

    /// The subgraph around node `focus`: the nodes within `hops` edges upstream of it and
    /// within `hops` downstream, the clusters holding them (with all their ancestors), and
    /// the edges among what is kept. Each kept node with neighbours left out carries how
    /// many (`hidden_up`, `hidden_down`). To cut several focuses from one graph, make its
    /// [`FocusIndex`] once.
    pub fn focus(&self, focus: usize, hops: u32) -> GraphModel {
        self.focus_index().focus(self, focus, hops)
    }

    /// What [`FocusIndex::focus`] needs of this graph, indexed once.
    pub fn focus_index(&self) -> FocusIndex {
        let node_index = self.node_index();
        let cluster_index = self.cluster_index();
        let links = Links::new(self, &node_index, &cluster_index);
        let cluster_of =
            |id: &Option<String>| id.as_deref().and_then(|p| cluster_index.get(p).copied());
        let end = |id: &str| match (node_index.get(id), cluster_index.get(id)) {
            (Some(&n), _) => End::Node(n),
            (None, Some(&c)) => End::Cluster(c),
            (None, None) => End::Unknown,
        };
        FocusIndex {
            node_cluster: self.nodes.iter().map(|n| cluster_of(&n.cluster)).collect(),
            cluster_parent: self
                .clusters
                .iter()
                .map(|c| cluster_of(&c.parent))
                .collect(),
            edge_ends: self
                .edges
                .iter()
                .map(|e| (end(&e.from), end(&e.to)))
                .collect(),
            links,
        }
    }
}

/// A graph's neighbours and parents by index, to cut focus subgraphs from it without
/// looking ids up (the editor asks for one at every move of the cursor).
pub struct FocusIndex {
    links: Links,
    node_cluster: Vec<Option<usize>>,
    cluster_parent: Vec<Option<usize>>,
    edge_ends: Vec<(End, End)>,
}

#[derive(Clone, Copy)]
enum End {
    Node(usize),
    Cluster(usize),
    Unknown,
}

impl FocusIndex {
    /// [`GraphModel::focus`] of `model`, the graph this index was made from.
    pub fn focus(&self, model: &GraphModel, focus: usize, hops: u32) -> GraphModel {
        let links = &self.links;
        let mut kept = vec![false; model.nodes.len()];
        kept[focus] = true;
        for adjacent in [&links.preds, &links.succs] {
            let mut depth = vec![u32::MAX; model.nodes.len()];
            depth[focus] = 0;
            let mut queue = VecDeque::from([focus]);
            while let Some(n) = queue.pop_front() {
                if depth[n] == hops {
                    continue;
                }
                for &m in &adjacent[n] {
                    if depth[m] == u32::MAX {
                        depth[m] = depth[n] + 1;
                        kept[m] = true;
                        queue.push_back(m);
                    }
                }
            }
        }

        let mut clusters_kept = vec![false; model.clusters.len()];
        for n in (0..model.nodes.len()).filter(|&n| kept[n]) {
            let mut parent = self.node_cluster[n];
            while let Some(c) = parent {
                if clusters_kept[c] {
                    break;
                }
                clusters_kept[c] = true;
                parent = self.cluster_parent[c];
            }
        }

        let present = |end: End| match end {
            End::Node(n) => kept[n],
            End::Cluster(c) => clusters_kept[c],
            End::Unknown => false,
        };
        let hidden = |list: &[usize]| list.iter().filter(|&&m| !kept[m]).count() as u32;
        GraphModel {
            pipeline: model.pipeline.clone(),
            file: model.file.clone(),
            nodes: (0..model.nodes.len())
                .filter(|&n| kept[n])
                .map(|n| Node {
                    hidden_up: hidden(&links.preds[n]),
                    hidden_down: hidden(&links.succs[n]),
                    ..model.nodes[n].clone()
                })
                .collect(),
            edges: model
                .edges
                .iter()
                .zip(&self.edge_ends)
                .filter(|(_, &(from, to))| present(from) && present(to))
                .map(|(e, _)| e.clone())
                .collect(),
            clusters: (0..model.clusters.len())
                .filter(|&c| clusters_kept[c])
                .map(|c| model.clusters[c].clone())
                .collect(),
            diagnostics: model.diagnostics.clone(),
        }
    }
}

/// Each node's distinct direct predecessors and successors through data and `after` edges,
/// with cluster ends standing for the nodes inside them.
struct Links {
    preds: Vec<Vec<usize>>,
    succs: Vec<Vec<usize>>,
}

impl Links {
    fn new(
        model: &GraphModel,
        node_index: &HashMap<&str, usize, FxBuild>,
        cluster_index: &HashMap<&str, usize, FxBuild>,
    ) -> Links {
        let members = model.members(cluster_index);
        let ends = |id: &str| -> &[usize] {
            match (node_index.get(id), cluster_index.get(id)) {
                (Some(n), _) => std::slice::from_ref(n),
                (None, Some(&c)) => &members[c],
                (None, None) => &[],
            }
        };
        let mut preds = vec![Vec::new(); model.nodes.len()];
        let mut succs = vec![Vec::new(); model.nodes.len()];
        for edge in &model.edges {
            if edge.kind == EdgeKind::Control {
                continue;
            }
            for &a in ends(&edge.from) {
                for &b in ends(&edge.to) {
                    if a != b {
                        preds[b].push(a);
                        succs[a].push(b);
                    }
                }
            }
        }
        for list in preds.iter_mut().chain(succs.iter_mut()) {
            list.sort_unstable();
            list.dedup();
        }
        Links { preds, succs }
    }
}
