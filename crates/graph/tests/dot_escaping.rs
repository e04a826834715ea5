//! Any text in an id, label, argument, type or path stays inside its DOT string: the DOT
//! parses (graphviz-rust's parser), holds exactly the nodes and edges of the model, and
//! every value reads back as written (line breaks as `\n`, other control characters as
//! spaces).

mod support;

use std::sync::Arc;

use graphviz_rust::dot_structures::{Graph, Stmt};
use mlforge_graph::model::{Arg, Cluster, ClusterKind, Edge, EdgeKind, GraphModel, Node, Port};
use mlforge_graph::{parse_dot, to_dot, to_dot_with, DotOptions};
use proptest::prelude::*;
use support::{dot_nodes, RANGE};

fn node(id: &str, text: &str, cluster: Option<&str>) -> Node {
    Node {
        id: id.to_string(),
        kind: "step",
        label: text.to_string(),
        op: text.to_string(),
        op_kind: Some("op"),
        file: None,
        range: RANGE,
        name_range: RANGE,
        cluster: cluster.map(str::to_string),
        inputs: Vec::new(),
        outputs: vec![Port {
            name: text.to_string(),
            ty: Arc::from(text),
        }],
        args: vec![Arg {
            name: "a".to_string(),
            value: text.to_string(),
        }],
        signature: None,
        diagnostics: Vec::new(),
        broken: false,
        hidden_up: 0,
        hidden_down: 0,
    }
}

/// Two steps with hostile ids and texts, one inside a cluster, and an edge between them.
fn hostile(ids: (&str, &str), text: &str, path: &str) -> GraphModel {
    let cluster = format!("{}#c", ids.1);
    GraphModel {
        pipeline: text.to_string(),
        file: Arc::from(path),
        nodes: vec![node(ids.0, text, None), node(ids.1, text, Some(&cluster))],
        edges: vec![Edge {
            id: format!("data:{}->{}", ids.0, ids.1),
            from: ids.0.to_string(),
            to: ids.1.to_string(),
            kind: EdgeKind::Data,
            label: Some(text.to_string()),
            input: Some("b".to_string()),
            ty: Some(Arc::from(text)),
            file: None,
            range: RANGE,
        }],
        clusters: vec![Cluster {
            id: cluster.clone(),
            kind: ClusterKind::For,
            label: text.to_string(),
            source: text.to_string(),
            size: Some(2),
            parent: None,
            file: None,
            range: RANGE,
            diagnostics: Vec::new(),
            broken: false,
        }],
        diagnostics: Vec::new(),
    }
}

/// What a value reads back as: `\r` dropped, other control characters but `\n` as spaces.
fn as_written(value: &str) -> String {
    value
        .chars()
        .filter(|&c| c != '\r')
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .collect()
}

fn edge_count(graph: &Graph) -> usize {
    fn walk(stmts: &[Stmt]) -> usize {
        stmts
            .iter()
            .map(|s| match s {
                Stmt::Edge(_) => 1,
                Stmt::Subgraph(sub) => walk(&sub.stmts),
                _ => 0,
            })
            .sum()
    }
    match graph {
        Graph::Graph { stmts, .. } | Graph::DiGraph { stmts, .. } => walk(stmts),
    }
}

const HOSTILE: &str = "[a-zé→✓\"\\\\\n\r\t\u{0}\u{7f}{}<>\\[\\];=,&|#/ -]{1,16}";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn hostile_text_stays_inside_its_strings(
        a in HOSTILE,
        b in HOSTILE,
        text in HOSTILE,
        path in HOSTILE,
    ) {
        prop_assume!(as_written(&a) != as_written(&b));
        let model = hostile((&a, &b), &text, &path);
        for dot in [to_dot(&model), to_dot_with(&model, &DotOptions { collapse: vec![format!("{b}#c")] })] {
            let parsed = parse_dot(&dot).map_err(|e| TestCaseError::fail(format!("{e}\n{dot}")))?;
            let nodes = dot_nodes(&parsed);
            prop_assert_eq!(nodes.len(), 2, "{}", dot);
            prop_assert_eq!(edge_count(&parsed), 1, "{}", dot);
            let first = &nodes[&as_written(&a)];
            prop_assert_eq!(&first["id"], &as_written(&a));
            prop_assert_eq!(&first["mlf_file"], &as_written(&path));
            let call = as_written(&format!("{text} = {text}("));
            prop_assert!(first["tooltip"].starts_with(&call), "{}", dot);
        }
    }
}
