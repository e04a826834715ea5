//! The [`GraphModel`] as Graphviz DOT, written straight to text by [`DotWriter`], which
//! quotes and escapes every id and value.
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

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt::{self, Write};

use crate::dot_writer::{Attrs, Defaults, DotWriter, Escaped, Escaper};
use crate::fx::FxBuild;
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
    let drawing = Drawing::new(model, options);
    let mut w = DotWriter::with_capacity(&model.pipeline, drawing.size_guess());
    drawing.draw(&mut w);
    w.finish()
}

/// The same text written to `out` as it is made, never held whole.
pub fn write_dot_with(
    model: &GraphModel,
    options: &DotOptions,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut w = DotWriter::streaming(&model.pipeline, out);
    Drawing::new(model, options).draw(&mut w);
    w.finish_streamed()
}

fn cluster_name(id: &str) -> String {
    format!("cluster_{id}")
}

fn placeholder_id(cluster: &str) -> String {
    format!("{cluster}#empty")
}

/// What makes edges the same as drawn (ends after collapsing, kind, output, input): of
/// those, only the first is drawn.
type EdgeKey<'m> = (
    Cow<'m, str>,
    Cow<'m, str>,
    EdgeKind,
    Option<&'m str>,
    Option<&'m str>,
);

/// An edge to draw: its DOT ends, and the clusters they stand for when they are anchors in
/// expanded clusters (see [`Drawing::end`]).
struct DrawnEdge<'m> {
    edge: &'m Edge,
    from: Cow<'m, str>,
    to: Cow<'m, str>,
    tail: Option<usize>,
    head: Option<usize>,
}

/// Something drawn inside a cluster (or at the top): a node or a cluster, by index.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Child {
    Node(usize),
    Cluster(usize),
}

struct Drawing<'m> {
    model: &'m GraphModel,
    cluster_index: HashMap<&'m str, usize, FxBuild>,
    node_index: HashMap<&'m str, usize, FxBuild>,
    /// Children of each cluster, in source order; `top` for the pipeline itself.
    children: Vec<Vec<Child>>,
    top: Vec<Child>,
    collapsed: HashSet<usize, FxBuild>,
    /// Data inputs fed by an edge, per node: those arguments are drawn as edges, not in the
    /// label.
    fed: HashSet<(&'m str, &'m str), FxBuild>,
    /// The model's file (every part but inlined ones is in it), and percent-encoded for
    /// `URL`, escaped once.
    file: Escaped,
    file_url: Escaped,
}

impl<'m> Drawing<'m> {
    fn new(model: &'m GraphModel, options: &DotOptions) -> Drawing<'m> {
        let cluster_index: HashMap<&str, usize, FxBuild> = model
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
            file: Escaped::new(&model.file),
            file_url: Escaped::new(&percent_encode(&model.file)),
        }
    }

    fn size_guess(&self) -> usize {
        // About 700 bytes a node and 400 an edge, with their source attributes.
        1024 + 700 * self.model.nodes.len() + 400 * self.model.edges.len()
    }

    fn draw(&self, w: &mut DotWriter) {
        w.defaults(Defaults::Graph, |a| {
            a.attr_fmt("id", format_args!("pipeline:{}", self.model.pipeline))
                .attr("label", &self.model.pipeline)
                .attr("labelloc", "t")
                .attr("compound", "true")
                .attr("rankdir", "TB")
                .attr("fontname", FONT)
                .attr("mlf_file", &self.model.file);
        });
        w.defaults(Defaults::Node, |a| {
            a.attr("shape", "box")
                .attr("style", "rounded")
                .attr("fontname", FONT)
                .attr("fontsize", "11");
        });
        w.defaults(Defaults::Edge, |a| {
            a.attr("fontname", FONT).attr("fontsize", "9");
        });
        // The statements of a big graph are made on every core: the top-level steps and
        // clusters (each cluster whole, subgraph and all), then the edges.
        w.each_in_parallel(&self.top, |w, &child| self.draw_child(child, w));
        w.each_in_parallel(&self.edges_drawn(), |w, edge| self.draw_edge(edge, w));
    }

    fn draw_child(&self, child: Child, w: &mut DotWriter) {
        match child {
            Child::Node(n) => self.draw_node(&self.model.nodes[n], w),
            Child::Cluster(c) if self.collapsed.contains(&c) => self.draw_collapsed(c, w),
            Child::Cluster(c) => self.draw_cluster(c, w),
        }
    }

    fn source_attrs(&self, a: &mut Attrs<'_>, file: &Option<std::sync::Arc<str>>, range: &Range) {
        match file {
            None => source_attrs(a, &self.file, &self.file_url, range),
            Some(file) => source_attrs(
                a,
                &Escaped::new(file),
                &Escaped::new(&percent_encode(file)),
                range,
            ),
        }
    }

    fn draw_node(&self, node: &Node, w: &mut DotWriter) {
        let fed = |arg: &str| self.fed.contains(&(node.id.as_str(), arg));
        let shown = node.args.iter().filter(|a| !fed(&a.name));
        let count = shown.clone().count();
        let file = self.model.file_of(&node.file);
        let warned = node.diagnostics.iter().any(|d| d.severity == "warning");
        w.node(&node.id, |a| {
            a.attr("id", &node.id);
            a.attr_with("label", |e| {
                e.text(&node.label).text("\n").text(&node.op);
                let listed = if count > ARG_COUNT {
                    ARG_COUNT - 1
                } else {
                    count
                };
                for arg in shown.take(listed) {
                    e.text("\n").text(&arg.name).plain(": ");
                    write_shortened(e, &arg.value, ARG_WIDTH)?;
                }
                if count > ARG_COUNT {
                    write!(e, "\n+{} more", count - (ARG_COUNT - 1))?;
                }
                Ok(())
            });
            a.attr_with("tooltip", |e| {
                e.text(&node.label).plain(" = ").text(&node.op).plain("(");
                for (i, arg) in node.args.iter().enumerate() {
                    if i > 0 {
                        e.plain(", ");
                    }
                    e.text(&arg.name).plain(": ");
                    write_one_line(e, &arg.value)?;
                }
                e.plain(")");
                if !node.outputs.is_empty() {
                    e.plain(" -> (");
                    for (i, port) in node.outputs.iter().enumerate() {
                        if i > 0 {
                            e.plain(", ");
                        }
                        e.text(&port.name).plain(": ").text(&port.ty);
                    }
                    e.plain(")");
                }
                e.text("\n");
                location(e, file, &node.range);
                for d in &node.diagnostics {
                    write!(e, "\n{} {}: {}", d.severity, d.code, d.message)?;
                }
                hidden_lines(e, node)
            });
            self.source_attrs(a, &node.file, &node.range);
            if node.op_kind == Some("pipeline") {
                a.attr("shape", "box3d");
            }
            if node.broken {
                a.attr("class", "step broken")
                    .attr("color", RED)
                    .attr("fontcolor", RED)
                    .attr("style", "rounded,dashed")
                    .attr("penwidth", "2");
            } else if warned {
                a.attr("class", "step warning")
                    .attr("color", AMBER)
                    .attr("penwidth", "2");
            } else {
                a.attr("class", "step");
            }
            if node.hidden_up > 0 || node.hidden_down > 0 {
                // A focus subgraph's edge: the step has neighbours not drawn.
                a.attr("peripheries", "2");
            }
        });
    }

    fn draw_cluster(&self, c: usize, w: &mut DotWriter) {
        let cluster = &self.model.clusters[c];
        let (style, color) = match cluster.kind {
            ClusterKind::For => ("rounded,dashed", "#0969da"),
            ClusterKind::If => ("rounded", "#8250df"),
            ClusterKind::Else => ("rounded,dotted", "#8250df"),
            ClusterKind::Pipeline => ("rounded,filled", "#57606a"),
        };
        let file = self.model.file_of(&cluster.file);
        w.subgraph(&cluster_name(&cluster.id));
        w.defaults(Defaults::Graph, |a| {
            a.attr("id", &cluster.id)
                .attr_fmt("label", format_args!("{}", ClusterLabel(cluster)))
                .attr_with("tooltip", |e| cluster_tooltip(e, cluster, file))
                .attr("labeljust", "l")
                .attr("fontsize", "10")
                .attr("style", style);
            self.source_attrs(a, &cluster.file, &cluster.range);
            if cluster.kind == ClusterKind::Pipeline {
                a.attr("fillcolor", "#f6f8fa");
            }
            if cluster.broken {
                a.attr_fmt("class", format_args!("{} broken", cluster.kind.as_str()))
                    .attr("color", RED)
                    .attr("fontcolor", RED)
                    .attr("penwidth", "2");
            } else {
                a.attr("class", cluster.kind.as_str()).attr("color", color);
            }
        });
        if self.children[c].is_empty() {
            let placeholder = placeholder_id(&cluster.id);
            w.node(&placeholder, |a| {
                a.attr("id", &placeholder)
                    .attr("label", "(no steps)")
                    .attr("shape", "plaintext")
                    .attr("class", "placeholder");
            });
        }
        for &child in &self.children[c] {
            self.draw_child(child, w);
        }
        w.end_subgraph();
    }

    fn draw_collapsed(&self, c: usize, w: &mut DotWriter) {
        let cluster = &self.model.clusters[c];
        let steps = self.steps_inside(c);
        let file = self.model.file_of(&cluster.file);
        let broken = cluster.broken || self.broken_inside(c);
        w.node(&cluster.id, |a| {
            a.attr("id", &cluster.id)
                .attr_fmt(
                    "label",
                    format_args!(
                        "{}\n{} step{}",
                        ClusterLabel(cluster),
                        steps,
                        if steps == 1 { "" } else { "s" }
                    ),
                )
                .attr_with("tooltip", |e| cluster_tooltip(e, cluster, file))
                .attr("shape", "folder");
            self.source_attrs(a, &cluster.file, &cluster.range);
            if broken {
                a.attr_fmt(
                    "class",
                    format_args!("collapsed {} broken", cluster.kind.as_str()),
                )
                .attr("color", RED)
                .attr("fontcolor", RED)
                .attr("style", "dashed")
                .attr("penwidth", "2");
            } else {
                a.attr_fmt("class", format_args!("collapsed {}", cluster.kind.as_str()));
            }
        });
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
    fn end(&self, id: &'m str, last: bool) -> Option<(Cow<'m, str>, Option<usize>)> {
        let child = match (self.node_index.get(id), self.cluster_index.get(id)) {
            (Some(&n), _) => Child::Node(n),
            (None, Some(&c)) => Child::Cluster(c),
            (None, None) => return None,
        };
        // Inside a collapsed cluster, the outermost collapsed one stands for it.
        if !self.collapsed.is_empty() {
            let mut chain = self.ancestors(child);
            chain.reverse();
            if let Some(&c) = chain.iter().find(|c| self.collapsed.contains(c)) {
                return Some((Cow::Borrowed(&self.model.clusters[c].id), None));
            }
        }
        match child {
            Child::Node(_) => Some((Cow::Borrowed(id), None)),
            Child::Cluster(c) if self.collapsed.contains(&c) => Some((Cow::Borrowed(id), None)),
            Child::Cluster(c) => Some((self.anchor(c, last), Some(c))),
        }
    }

    /// A node drawn inside an expanded cluster, to attach edges to: the first (or last) in
    /// source order.
    fn anchor(&self, c: usize, last: bool) -> Cow<'m, str> {
        let model = self.model;
        let pick = if last {
            self.children[c].last()
        } else {
            self.children[c].first()
        };
        match pick {
            None => Cow::Owned(placeholder_id(&model.clusters[c].id)),
            Some(&Child::Node(n)) => Cow::Borrowed(&model.nodes[n].id),
            Some(&Child::Cluster(k)) if self.collapsed.contains(&k) => {
                Cow::Borrowed(&model.clusters[k].id)
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

    /// The edges to draw, in the model's order: those with both ends drawn, once each.
    fn edges_drawn(&self) -> Vec<DrawnEdge<'m>> {
        let mut seen: HashSet<EdgeKey<'m>, FxBuild> =
            HashSet::with_capacity_and_hasher(self.model.edges.len(), FxBuild::default());
        let mut drawn = Vec::with_capacity(self.model.edges.len());
        for edge in &self.model.edges {
            let Some((from, tail)) = self.end(&edge.from, true) else {
                continue;
            };
            let Some((to, head)) = self.end(&edge.to, false) else {
                continue;
            };
            if from == to && (tail.is_some() || head.is_some() || edge.from != edge.to) {
                // Both ends inside one collapsed cluster: nothing to draw.
                continue;
            }
            let key = (
                from.clone(),
                to.clone(),
                edge.kind,
                edge.label.as_deref(),
                edge.input.as_deref(),
            );
            if seen.insert(key) {
                drawn.push(DrawnEdge {
                    edge,
                    from,
                    to,
                    tail,
                    head,
                });
            }
        }
        drawn
    }

    fn draw_edge(&self, drawn: &DrawnEdge<'m>, w: &mut DotWriter) {
        let DrawnEdge {
            edge,
            from,
            to,
            tail,
            head,
        } = drawn;
        let ltail = tail.filter(|&c| !self.drawn_inside(to, c));
        let lhead = head.filter(|&c| !self.drawn_inside(from, c));
        w.edge(from, to, |a| {
            a.attr("id", &edge.id);
            match (&edge.label, &edge.ty) {
                (Some(label), Some(ty)) => {
                    a.attr_with("label", |e| {
                        e.text(label).plain(": ").text(ty);
                        Ok(())
                    });
                }
                (Some(label), None) if !label.is_empty() => {
                    a.attr("label", label);
                }
                _ => {}
            }
            match edge.kind {
                EdgeKind::After => a.attr_fmt(
                    "tooltip",
                    format_args!("{} waits for {}", edge.to, edge.from),
                ),
                _ => a.attr_with("tooltip", |e| {
                    e.text(&edge.from)
                        .plain(".")
                        .text(edge.label.as_deref().unwrap_or(""))
                        .plain(" → ")
                        .text(&edge.to)
                        .plain(".")
                        .text(edge.input.as_deref().unwrap_or(""));
                    if let Some(ty) = &edge.ty {
                        e.plain(" (").text(ty).plain(")");
                    }
                    Ok(())
                }),
            };
            a.attr("class", edge.kind.as_str());
            self.source_attrs(a, &edge.file, &edge.range);
            match edge.kind {
                EdgeKind::Data => {}
                EdgeKind::After => {
                    a.attr("style", "dashed").attr("color", "#57606a");
                }
                EdgeKind::Control => {
                    a.attr("style", "dotted").attr("arrowhead", "diamond");
                }
            }
            if let Some(c) = ltail {
                a.attr("ltail", &cluster_name(&self.model.clusters[c].id));
            }
            if let Some(c) = lhead {
                a.attr("lhead", &cluster_name(&self.model.clusters[c].id));
            }
        });
    }
}

/// In a focus subgraph, what a step's tooltip says of the neighbours left out.
fn hidden_lines(e: &mut Escaper<'_>, node: &Node) -> fmt::Result {
    for (count, what) in [
        (node.hidden_up, "upstream"),
        (node.hidden_down, "downstream"),
    ] {
        if count > 0 {
            let s = if count == 1 { "" } else { "s" };
            write!(e, "\n{count} more step{s} {what}, not shown")?;
        }
    }
    Ok(())
}

/// A cluster's label: `for lr in rates · 3 items`, `if …`, `te: train_eval`.
struct ClusterLabel<'a>(&'a Cluster);

impl fmt::Display for ClusterLabel<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cluster = self.0;
        match (cluster.kind, cluster.size) {
            (ClusterKind::For, Some(size)) => write!(
                f,
                "{} · {size} item{}",
                cluster.label,
                if size == 1 { "" } else { "s" }
            ),
            (ClusterKind::Pipeline, _) => write!(f, "{}: {}", cluster.label, cluster.source),
            _ => f.write_str(&cluster.label),
        }
    }
}

fn cluster_tooltip(e: &mut Escaper<'_>, cluster: &Cluster, file: &str) -> fmt::Result {
    writeln!(e, "{}", ClusterLabel(cluster))?;
    location(e, file, &cluster.range);
    for d in &cluster.diagnostics {
        write!(e, "\n{} {}: {}", d.severity, d.code, d.message)?;
    }
    Ok(())
}

/// `file:LINE:COL`, as compilers print it.
fn location(e: &mut Escaper<'_>, file: &str, range: &Range) {
    e.text(file)
        .plain(":")
        .num(range.start_line)
        .plain(":")
        .num(range.start_column);
}

fn source_attrs(a: &mut Attrs<'_>, file: &Escaped, url: &Escaped, range: &Range) {
    a.attr_with("mlf_file", |e| {
        e.escaped(file);
        Ok(())
    })
    .attr_with("mlf_range", |e| {
        e.num(range.start_line)
            .plain(":")
            .num(range.start_column)
            .plain("-")
            .num(range.end_line)
            .plain(":")
            .num(range.end_column);
        Ok(())
    })
    .attr_with("mlf_offsets", |e| {
        e.num(range.start_offset).plain("-").num(range.end_offset);
        Ok(())
    })
    .attr_with("URL", |e| {
        e.escaped(url)
            .plain("#L")
            .num(range.start_line)
            .plain("C")
            .num(range.start_column)
            .plain("-L")
            .num(range.end_line)
            .plain("C")
            .num(range.end_column);
        Ok(())
    });
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
            _ => {
                let _ = write!(out, "%{byte:02X}");
            }
        }
    }
    out
}

/// White space runs folded to one space.
fn write_one_line(e: &mut impl Write, text: &str) -> fmt::Result {
    for (i, word) in text.split_whitespace().enumerate() {
        if i > 0 {
            e.write_char(' ')?;
        }
        e.write_str(word)?;
    }
    Ok(())
}

/// At most `width` characters on one line (white space folded), with `…` when cut.
fn write_shortened(e: &mut impl Write, text: &str, width: usize) -> fmt::Result {
    let words = || text.split_whitespace();
    let folded =
        words().map(|w| w.chars().count()).sum::<usize>() + words().count().saturating_sub(1);
    if folded <= width {
        return write_one_line(e, text);
    }
    let mut left = width - 1;
    'words: for (i, word) in words().enumerate() {
        if i > 0 {
            if left == 0 {
                break;
            }
            e.write_char(' ')?;
            left -= 1;
        }
        for c in word.chars() {
            if left == 0 {
                break 'words;
            }
            e.write_char(c)?;
            left -= 1;
        }
    }
    e.write_char('…')
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    use mlforge_analysis::items::select_pipeline;
    use mlforge_analysis::{Db, MemoryLoader, RootDatabase};

    use super::*;

    /// The DOT of a big graph, whose top-level steps and clusters and edges are drawn in
    /// chunks on several threads, is the DOT of drawing them in order: whole, streamed, and
    /// with clusters collapsed (which moves and merges edges).
    #[test]
    fn a_big_graph_drawn_in_parallel_is_the_graph_drawn_in_order() {
        let mut loader = MemoryLoader::default();
        for (name, text) in mlforge_synth::generate(1_500) {
            loader
                .files
                .insert(PathBuf::from("/synth").join(name), text);
        }
        let db = RootDatabase::new(Arc::new(loader));
        let file = db.file(Path::new("/synth/main.mlf"));
        let key = select_pipeline(&db, file, Some(mlforge_synth::PIPELINE)).unwrap();
        let model = crate::build(&db, key);
        let collapse_all = DotOptions {
            collapse: model.clusters.iter().map(|c| c.id.clone()).collect(),
        };
        let collapse_some = DotOptions {
            collapse: model
                .clusters
                .iter()
                .step_by(3)
                .map(|c| c.id.clone())
                .collect(),
        };
        for options in [DotOptions::default(), collapse_some, collapse_all] {
            let drawing = Drawing::new(&model, &options);
            let (top, edges) = (drawing.top.len(), drawing.edges_drawn().len());
            // `map_chunks` splits lists of 512 items or more.
            assert!(
                top >= 512 && edges >= 512,
                "{top} top-level parts, {edges} edges"
            );
            let mut w = DotWriter::digraph(&model.pipeline).in_order();
            drawing.draw(&mut w);
            let in_order = w.finish();
            assert!(to_dot_with(&model, &options) == in_order);
            let mut streamed = Vec::new();
            write_dot_with(&model, &options, &mut streamed).unwrap();
            assert!(streamed == in_order.as_bytes());
        }
    }
}
