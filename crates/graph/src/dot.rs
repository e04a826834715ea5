//! The [`GraphModel`] as Graphviz DOT, built as graphviz-rust's syntax tree and printed by
//! its printer. Every quoted value goes through [`quoted`], the one place that escapes.
//!
//! What a viewer can rely on:
//! - each step is a node whose DOT id and `id` attribute are the model's node id (Graphviz
//!   copies `id` into the SVG element), with `class="step"` (`"step broken"` for steps with
//!   errors, `"step warning"` for steps with warnings only);
//! - each cluster is `subgraph "cluster_<id>"` with `id="<id>"` and `class="<kind>"`;
//! - the source of a node or cluster: `mlf_file` (the path), `mlf_range`
//!   (`LINE:COL-LINE:COL`, 1-based, columns in characters) and `mlf_offsets` (`START-END`
//!   in bytes), and `URL` (`FILE#L12C3-L12C40`, percent-encoded) so that SVG output links
//!   back to the step;
//! - an edge into or out of a whole cluster is drawn to or from a node inside it, clipped at
//!   the cluster's border (`lhead`/`ltail`, with `compound=true`).

use std::collections::{HashMap, HashSet};

use graphviz_rust::dot_structures::{
    Attribute, Edge as DotEdge, EdgeTy, Graph, GraphAttributes, Id, Node as DotNode, NodeId, Stmt,
    Subgraph, Vertex,
};
use graphviz_rust::printer::{DotPrinter, PrinterContext};

use crate::model::{Cluster, ClusterKind, Edge, EdgeKind, GraphModel, Node, Range};

/// How to draw: which clusters to show as a single node.
#[derive(Clone, Debug, Default)]
pub struct DotOptions {
    /// Ids of clusters drawn collapsed: one node standing for everything inside.
    pub collapse: Vec<String>,
}

const RED: &str = "#cf222e";
const AMBER: &str = "#bf8700";
const FONT: &str = "Helvetica";
/// Longest argument text shown in a node's label, in characters.
const ARG_WIDTH: usize = 32;
/// Most arguments shown in a node's label.
const ARG_COUNT: usize = 4;

/// The DOT text of the model, every cluster expanded.
pub fn to_dot(model: &GraphModel) -> String {
    to_dot_with(model, &DotOptions::default())
}

/// The DOT text of the model drawn with `options`.
pub fn to_dot_with(model: &GraphModel, options: &DotOptions) -> String {
    let mut text = dot_graph(model, options).print(&mut PrinterContext::default());
    text.push('\n');
    text
}

/// The DOT syntax tree of the model drawn with `options`.
pub fn dot_graph(model: &GraphModel, options: &DotOptions) -> Graph {
    Drawing::new(model, options).graph()
}

/// A value as a quoted DOT string. DOT strings know one escape, `\"`; Graphviz then reads
/// labels and most other string attributes as escString, where `\\` is a backslash and `\n`
/// a line break. So: backslash and quote are escaped, a line break becomes `\n`, and other
/// control characters become spaces. A string that ends in a backslash stays closed because
/// that backslash is doubled.
pub fn quoted(value: &str) -> Id {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    if !value
        .chars()
        .any(|c| c == '"' || c == '\\' || c.is_control())
    {
        out.push_str(value);
        out.push('"');
        return Id::Escaped(out);
    }
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    Id::Escaped(out)
}

fn attr(name: &str, value: &str) -> Attribute {
    Attribute(Id::Plain(name.to_string()), quoted(value))
}

fn node_id(id: &str) -> NodeId {
    NodeId(quoted(id), None)
}

fn cluster_name(id: &str) -> String {
    format!("cluster_{id}")
}

fn placeholder_id(cluster: &str) -> String {
    format!("{cluster}#empty")
}

/// An edge as drawn (ends after collapsing, kind, output, input): drawn once.
type DrawnEdge<'m> = (String, String, EdgeKind, Option<&'m str>, Option<&'m str>);

/// Something drawn inside a cluster (or at the top): a node or a cluster, by index.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Child {
    Node(usize),
    Cluster(usize),
}

struct Drawing<'m> {
    model: &'m GraphModel,
    cluster_index: HashMap<&'m str, usize>,
    node_index: HashMap<&'m str, usize>,
    /// Children of each cluster, in source order; `top` for the pipeline itself.
    children: Vec<Vec<Child>>,
    top: Vec<Child>,
    collapsed: HashSet<usize>,
    /// Data inputs fed by an edge, per node: those arguments are drawn as edges, not in the
    /// label.
    fed: HashSet<(&'m str, &'m str)>,
}

impl<'m> Drawing<'m> {
    fn new(model: &'m GraphModel, options: &DotOptions) -> Drawing<'m> {
        let cluster_index: HashMap<&str, usize> = model
            .clusters
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.as_str(), i))
            .collect();
        let node_index = model
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.as_str(), i))
            .collect();
        let mut children = vec![Vec::new(); model.clusters.len()];
        let mut top = Vec::new();
        let parent_of = |p: &Option<String>| p.as_deref().and_then(|p| cluster_index.get(p));
        for (i, cluster) in model.clusters.iter().enumerate() {
            match parent_of(&cluster.parent) {
                Some(&p) => children[p].push(Child::Cluster(i)),
                None => top.push(Child::Cluster(i)),
            }
        }
        for (i, node) in model.nodes.iter().enumerate() {
            match parent_of(&node.cluster) {
                Some(&p) => children[p].push(Child::Node(i)),
                None => top.push(Child::Node(i)),
            }
        }
        let start = |c: &Child| -> (u32, u32) {
            let range = match *c {
                Child::Node(n) => model.nodes[n].range,
                Child::Cluster(k) => model.clusters[k].range,
            };
            (range.start_offset, range.end_offset)
        };
        // Source order; the sort is stable, so ties keep the model's order.
        top.sort_by_key(start);
        for list in &mut children {
            list.sort_by_key(start);
        }
        let collapsed = options
            .collapse
            .iter()
            .filter_map(|id| cluster_index.get(id.as_str()).copied())
            .collect();
        let fed = model
            .edges
            .iter()
            .filter(|e| e.kind == EdgeKind::Data)
            .filter_map(|e| Some((e.to.as_str(), e.input.as_deref()?)))
            .collect();
        Drawing {
            model,
            cluster_index,
            node_index,
            children,
            top,
            collapsed,
            fed,
        }
    }

    fn graph(&self) -> Graph {
        let mut stmts = vec![
            Stmt::GAttribute(GraphAttributes::Graph(vec![
                attr("id", &format!("pipeline:{}", self.model.pipeline)),
                attr("label", &self.model.pipeline),
                attr("labelloc", "t"),
                attr("compound", "true"),
                attr("rankdir", "TB"),
                attr("fontname", FONT),
                attr("mlf_file", &self.model.file),
            ])),
            Stmt::GAttribute(GraphAttributes::Node(vec![
                attr("shape", "box"),
                attr("style", "rounded"),
                attr("fontname", FONT),
                attr("fontsize", "11"),
            ])),
            Stmt::GAttribute(GraphAttributes::Edge(vec![
                attr("fontname", FONT),
                attr("fontsize", "9"),
            ])),
        ];
        for &child in &self.top {
            self.draw_child(child, &mut stmts);
        }
        let mut seen = HashSet::new();
        for edge in &self.model.edges {
            if let Some(e) = self.draw_edge(edge, &mut seen) {
                stmts.push(Stmt::Edge(e));
            }
        }
        Graph::DiGraph {
            id: quoted(&self.model.pipeline),
            strict: false,
            stmts,
        }
    }

    fn draw_child(&self, child: Child, stmts: &mut Vec<Stmt>) {
        match child {
            Child::Node(n) => stmts.push(Stmt::Node(self.draw_node(&self.model.nodes[n]))),
            Child::Cluster(c) if self.collapsed.contains(&c) => {
                stmts.push(Stmt::Node(self.draw_collapsed(c)))
            }
            Child::Cluster(c) => stmts.push(Stmt::Subgraph(self.draw_cluster(c))),
        }
    }

    fn draw_node(&self, node: &Node) -> DotNode {
        let mut lines = vec![node.label.clone(), node.op.clone()];
        let shown: Vec<String> = node
            .args
            .iter()
            .filter(|a| !self.fed.contains(&(node.id.as_str(), a.name.as_str())))
            .map(|a| format!("{}: {}", a.name, shorten(&a.value, ARG_WIDTH)))
            .collect();
        if shown.len() > ARG_COUNT {
            lines.extend(shown[..ARG_COUNT - 1].iter().cloned());
            lines.push(format!("+{} more", shown.len() - (ARG_COUNT - 1)));
        } else {
            lines.extend(shown);
        }
        let mut tooltip = format!("{} = {}(", node.label, node.op);
        tooltip.push_str(
            &node
                .args
                .iter()
                .map(|a| format!("{}: {}", a.name, one_line(&a.value)))
                .collect::<Vec<_>>()
                .join(", "),
        );
        tooltip.push(')');
        if !node.outputs.is_empty() {
            let outs: Vec<String> = node
                .outputs
                .iter()
                .map(|p| format!("{}: {}", p.name, p.ty))
                .collect();
            tooltip.push_str(&format!(" -> ({})", outs.join(", ")));
        }
        tooltip.push_str(&format!(
            "\n{}",
            location(self.model.file_of(&node.file), &node.range)
        ));
        for d in &node.diagnostics {
            tooltip.push_str(&format!("\n{} {}: {}", d.severity, d.code, d.message));
        }
        let warned = node.diagnostics.iter().any(|d| d.severity == "warning");
        let mut attributes = vec![
            attr("id", &node.id),
            attr("label", &lines.join("\n")),
            attr("tooltip", &tooltip),
        ];
        attributes.extend(source_attrs(self.model.file_of(&node.file), &node.range));
        if node.op_kind == Some("pipeline") {
            attributes.push(attr("shape", "box3d"));
        }
        if node.broken {
            attributes.extend([
                attr("class", "step broken"),
                attr("color", RED),
                attr("fontcolor", RED),
                attr("style", "rounded,dashed"),
                attr("penwidth", "2"),
            ]);
        } else if warned {
            attributes.extend([
                attr("class", "step warning"),
                attr("color", AMBER),
                attr("penwidth", "2"),
            ]);
        } else {
            attributes.push(attr("class", "step"));
        }
        DotNode::new(node_id(&node.id), attributes)
    }

    fn draw_cluster(&self, c: usize) -> Subgraph {
        let cluster = &self.model.clusters[c];
        let (style, color) = match cluster.kind {
            ClusterKind::For => ("rounded,dashed", "#0969da"),
            ClusterKind::If => ("rounded", "#8250df"),
            ClusterKind::Else => ("rounded,dotted", "#8250df"),
            ClusterKind::Pipeline => ("rounded,filled", "#57606a"),
        };
        let mut graph_attrs = vec![
            attr("id", &cluster.id),
            attr("label", &cluster_label(cluster)),
            attr(
                "tooltip",
                &cluster_tooltip(cluster, self.model.file_of(&cluster.file)),
            ),
            attr("labeljust", "l"),
            attr("fontsize", "10"),
            attr("style", style),
        ];
        graph_attrs.extend(source_attrs(
            self.model.file_of(&cluster.file),
            &cluster.range,
        ));
        if cluster.kind == ClusterKind::Pipeline {
            graph_attrs.push(attr("fillcolor", "#f6f8fa"));
        }
        if cluster.broken {
            graph_attrs.extend([
                attr("class", &format!("{} broken", cluster.kind.as_str())),
                attr("color", RED),
                attr("fontcolor", RED),
                attr("penwidth", "2"),
            ]);
        } else {
            graph_attrs.extend([attr("class", cluster.kind.as_str()), attr("color", color)]);
        }
        let mut stmts = vec![Stmt::GAttribute(GraphAttributes::Graph(graph_attrs))];
        if self.children[c].is_empty() {
            stmts.push(Stmt::Node(DotNode::new(
                node_id(&placeholder_id(&cluster.id)),
                vec![
                    attr("id", &placeholder_id(&cluster.id)),
                    attr("label", "(no steps)"),
                    attr("shape", "plaintext"),
                    attr("class", "placeholder"),
                ],
            )));
        }
        for &child in &self.children[c] {
            self.draw_child(child, &mut stmts);
        }
        Subgraph {
            id: quoted(&cluster_name(&cluster.id)),
            stmts,
        }
    }

    fn draw_collapsed(&self, c: usize) -> DotNode {
        let cluster = &self.model.clusters[c];
        let steps = self.steps_inside(c);
        let mut lines = vec![cluster_label(cluster)];
        lines.push(format!(
            "{} step{}",
            steps,
            if steps == 1 { "" } else { "s" }
        ));
        let mut attributes = vec![
            attr("id", &cluster.id),
            attr("label", &lines.join("\n")),
            attr(
                "tooltip",
                &cluster_tooltip(cluster, self.model.file_of(&cluster.file)),
            ),
            attr("shape", "folder"),
        ];
        attributes.extend(source_attrs(
            self.model.file_of(&cluster.file),
            &cluster.range,
        ));
        let broken = cluster.broken || self.broken_inside(c);
        if broken {
            attributes.extend([
                attr(
                    "class",
                    &format!("collapsed {} broken", cluster.kind.as_str()),
                ),
                attr("color", RED),
                attr("fontcolor", RED),
                attr("style", "dashed"),
                attr("penwidth", "2"),
            ]);
        } else {
            attributes.push(attr(
                "class",
                &format!("collapsed {}", cluster.kind.as_str()),
            ));
        }
        DotNode::new(node_id(&cluster.id), attributes)
    }

    fn steps_inside(&self, c: usize) -> usize {
        self.children[c]
            .iter()
            .map(|&child| match child {
                Child::Node(_) => 1,
                Child::Cluster(k) => self.steps_inside(k),
            })
            .sum()
    }

    fn broken_inside(&self, c: usize) -> bool {
        self.children[c].iter().any(|&child| match child {
            Child::Node(n) => self.model.nodes[n].broken,
            Child::Cluster(k) => self.model.clusters[k].broken || self.broken_inside(k),
        })
    }

    /// The clusters around a node or cluster, innermost first.
    fn ancestors(&self, child: Child) -> Vec<usize> {
        let mut out = Vec::new();
        let mut parent = match child {
            Child::Node(n) => self.model.nodes[n].cluster.as_deref(),
            Child::Cluster(c) => self.model.clusters[c].parent.as_deref(),
        };
        while let Some(&c) = parent.and_then(|p| self.cluster_index.get(p)) {
            if out.contains(&c) {
                break;
            }
            out.push(c);
            parent = self.model.clusters[c].parent.as_deref();
        }
        out
    }

    /// Where an edge end is drawn: the DOT node id, and the cluster to clip at (`lhead` or
    /// `ltail`) when the end is a whole cluster drawn expanded.
    fn end(&self, id: &str, last: bool) -> Option<(String, Option<usize>)> {
        let child = match (self.node_index.get(id), self.cluster_index.get(id)) {
            (Some(&n), _) => Child::Node(n),
            (None, Some(&c)) => Child::Cluster(c),
            (None, None) => return None,
        };
        // Inside a collapsed cluster, the outermost collapsed one stands for it.
        let mut chain = self.ancestors(child);
        chain.reverse();
        if let Some(&c) = chain.iter().find(|c| self.collapsed.contains(c)) {
            return Some((self.model.clusters[c].id.clone(), None));
        }
        match child {
            Child::Node(n) => Some((self.model.nodes[n].id.clone(), None)),
            Child::Cluster(c) if self.collapsed.contains(&c) => {
                Some((self.model.clusters[c].id.clone(), None))
            }
            Child::Cluster(c) => Some((self.anchor(c, last), Some(c))),
        }
    }

    /// A node drawn inside an expanded cluster, to attach edges to: the first (or last) in
    /// source order.
    fn anchor(&self, c: usize, last: bool) -> String {
        let pick = if last {
            self.children[c].last()
        } else {
            self.children[c].first()
        };
        match pick {
            None => placeholder_id(&self.model.clusters[c].id),
            Some(&Child::Node(n)) => self.model.nodes[n].id.clone(),
            Some(&Child::Cluster(k)) if self.collapsed.contains(&k) => {
                self.model.clusters[k].id.clone()
            }
            Some(&Child::Cluster(k)) => self.anchor(k, last),
        }
    }

    /// Whether the DOT node `id` is drawn inside cluster `c`.
    fn drawn_inside(&self, id: &str, c: usize) -> bool {
        let child = match (self.node_index.get(id), self.cluster_index.get(id)) {
            (Some(&n), _) => Child::Node(n),
            (None, Some(&k)) => Child::Cluster(k),
            (None, None) => {
                // A placeholder: inside its own cluster and that cluster's ancestors.
                let owner = id
                    .strip_suffix("#empty")
                    .and_then(|o| self.cluster_index.get(o));
                return match owner {
                    Some(&o) => o == c || self.ancestors(Child::Cluster(o)).contains(&c),
                    None => false,
                };
            }
        };
        self.ancestors(child).contains(&c)
    }

    fn draw_edge(&self, edge: &'m Edge, seen: &mut HashSet<DrawnEdge<'m>>) -> Option<DotEdge> {
        let (from, tail) = self.end(&edge.from, true)?;
        let (to, head) = self.end(&edge.to, false)?;
        if from == to && (tail.is_some() || head.is_some() || edge.from != edge.to) {
            // Both ends inside one collapsed cluster: nothing to draw.
            return None;
        }
        let key = (
            from.clone(),
            to.clone(),
            edge.kind,
            edge.label.as_deref(),
            edge.input.as_deref(),
        );
        if !seen.insert(key) {
            return None;
        }
        let mut attributes = vec![attr("id", &edge.id)];
        let label = match (&edge.label, &edge.ty) {
            (Some(label), Some(ty)) => format!("{label}: {ty}"),
            (Some(label), None) => label.clone(),
            (None, _) => String::new(),
        };
        let tooltip = match edge.kind {
            EdgeKind::After => format!("{} waits for {}", edge.to, edge.from),
            _ => format!(
                "{}.{} → {}.{}{}",
                edge.from,
                edge.label.as_deref().unwrap_or(""),
                edge.to,
                edge.input.as_deref().unwrap_or(""),
                edge.ty
                    .as_deref()
                    .map(|t| format!(" ({t})"))
                    .unwrap_or_default()
            ),
        };
        if !label.is_empty() {
            attributes.push(attr("label", &label));
        }
        attributes.push(attr("tooltip", &tooltip));
        attributes.push(attr("class", edge.kind.as_str()));
        attributes.extend(source_attrs(self.model.file_of(&edge.file), &edge.range));
        match edge.kind {
            EdgeKind::Data => {}
            EdgeKind::After => {
                attributes.extend([attr("style", "dashed"), attr("color", "#57606a")]);
            }
            EdgeKind::Control => {
                attributes.extend([attr("style", "dotted"), attr("arrowhead", "diamond")]);
            }
        }
        if let Some(c) = tail.filter(|&c| !self.drawn_inside(&to, c)) {
            attributes.push(attr("ltail", &cluster_name(&self.model.clusters[c].id)));
        }
        if let Some(c) = head.filter(|&c| !self.drawn_inside(&from, c)) {
            attributes.push(attr("lhead", &cluster_name(&self.model.clusters[c].id)));
        }
        Some(DotEdge {
            ty: EdgeTy::Pair(Vertex::N(node_id(&from)), Vertex::N(node_id(&to))),
            attributes,
        })
    }
}

fn cluster_label(cluster: &Cluster) -> String {
    match (cluster.kind, cluster.size) {
        (ClusterKind::For, Some(size)) => format!(
            "{} · {size} item{}",
            cluster.label,
            if size == 1 { "" } else { "s" }
        ),
        (ClusterKind::Pipeline, _) => format!("{}: {}", cluster.label, cluster.source),
        _ => cluster.label.clone(),
    }
}

fn cluster_tooltip(cluster: &Cluster, file: &str) -> String {
    let mut tooltip = format!(
        "{}\n{}",
        cluster_label(cluster),
        location(file, &cluster.range)
    );
    for d in &cluster.diagnostics {
        tooltip.push_str(&format!("\n{} {}: {}", d.severity, d.code, d.message));
    }
    tooltip
}

/// `file:LINE:COL`, as compilers print it.
fn location(file: &str, range: &Range) -> String {
    format!("{file}:{}:{}", range.start_line, range.start_column)
}

fn source_attrs(file: &str, range: &Range) -> [Attribute; 4] {
    [
        attr("mlf_file", file),
        attr(
            "mlf_range",
            &format!(
                "{}:{}-{}:{}",
                range.start_line, range.start_column, range.end_line, range.end_column
            ),
        ),
        attr(
            "mlf_offsets",
            &format!("{}-{}", range.start_offset, range.end_offset),
        ),
        attr(
            "URL",
            &format!(
                "{}#L{}C{}-L{}C{}",
                percent_encode(file),
                range.start_line,
                range.start_column,
                range.end_line,
                range.end_column
            ),
        ),
    ]
}

/// A path made safe for a URL: everything but unreserved characters and `/` is
/// percent-encoded (UTF-8 bytes).
fn percent_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// White space runs folded to one space.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// At most `width` characters on one line, with `…` when cut.
fn shorten(text: &str, width: usize) -> String {
    let text = one_line(text);
    if text.chars().count() <= width {
        return text;
    }
    let mut cut: String = text.chars().take(width - 1).collect();
    cut.push('…');
    cut
}
