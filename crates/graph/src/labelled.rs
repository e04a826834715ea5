//! Small DOT graphs that are not pipelines (the lineage of an artifact): labelled nodes and
//! labelled edges, printed by the same graphviz-rust printer as pipelines, with every
//! value escaped by [`quoted`].

use graphviz_rust::dot_structures::{
    Attribute, Edge, EdgeTy, Graph, GraphAttributes, Id, Node, NodeId, Stmt, Vertex,
};
use graphviz_rust::printer::{DotPrinter, PrinterContext};

use crate::dot::quoted;

/// A directed graph of labelled nodes and edges, drawn left to right.
#[derive(Clone, Debug, Default)]
pub struct LabelledGraph {
    pub name: String,
    pub nodes: Vec<LabelledNode>,
    pub edges: Vec<LabelledEdge>,
}

#[derive(Clone, Debug)]
pub struct LabelledNode {
    pub id: String,
    /// Line breaks are kept as line breaks.
    pub label: String,
    /// A Graphviz shape: `box`, `note`, …
    pub shape: &'static str,
    /// Drawn with a thicker border (the node the graph starts from).
    pub bold: bool,
}

#[derive(Clone, Debug)]
pub struct LabelledEdge {
    pub from: String,
    pub to: String,
    pub label: String,
}

fn attr(name: &str, value: Id) -> Attribute {
    Attribute(Id::Plain(name.to_string()), value)
}

/// The DOT text of `graph`.
pub fn labelled_dot(graph: &LabelledGraph) -> String {
    let mut stmts = vec![Stmt::GAttribute(GraphAttributes::Graph(vec![attr(
        "rankdir",
        Id::Plain("LR".into()),
    )]))];
    for node in &graph.nodes {
        let mut attributes = vec![
            attr("label", quoted(&node.label)),
            attr("shape", Id::Plain(node.shape.into())),
        ];
        if node.bold {
            attributes.push(attr("penwidth", Id::Plain("2".into())));
        }
        stmts.push(Stmt::Node(Node::new(
            NodeId(quoted(&node.id), None),
            attributes,
        )));
    }
    for edge in &graph.edges {
        let ends = EdgeTy::Pair(
            Vertex::N(NodeId(quoted(&edge.from), None)),
            Vertex::N(NodeId(quoted(&edge.to), None)),
        );
        stmts.push(Stmt::Edge(Edge {
            ty: ends,
            attributes: vec![attr("label", quoted(&edge.label))],
        }));
    }
    let dot = Graph::DiGraph {
        id: Id::Plain(graph.name.clone()),
        strict: false,
        stmts,
    };
    let mut text = dot.print(&mut PrinterContext::default());
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_once_and_the_text_parses() {
        let graph = LabelledGraph {
            name: "lineage".into(),
            nodes: vec![
                LabelledNode {
                    id: "artifact:ab\"c".into(),
                    label: "Model\nab\\c".into(),
                    shape: "note",
                    bold: true,
                },
                LabelledNode {
                    id: "attempt:1".into(),
                    label: "fit[1]\nrun 1 · succeeded".into(),
                    shape: "box",
                    bold: false,
                },
            ],
            edges: vec![LabelledEdge {
                from: "artifact:ab\"c".into(),
                to: "attempt:1".into(),
                label: "data".into(),
            }],
        };
        let text = labelled_dot(&graph);
        assert!(text.contains(r#""artifact:ab\"c""#), "{text}");
        assert!(text.contains(r#""Model\nab\\c""#), "{text}");
        assert!(text.contains("penwidth=2"), "{text}");
        let parsed = crate::parse_dot(&text).expect("the DOT parses");
        assert!(matches!(parsed, Graph::DiGraph { .. }));
    }
}
