//! Focus subgraphs: the steps within N hops of one step, what they hide, the clusters and
//! edges kept; and which step a source position means.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use mlforge_analysis::items::select_pipeline;
use mlforge_analysis::{Db, MemoryLoader, RootDatabase};
use mlforge_graph::model::EdgeKind;
use mlforge_graph::{build, parse_dot, to_dot, GraphModel};
use support::{example, root};

fn ids(model: &GraphModel) -> BTreeSet<&str> {
    model.nodes.iter().map(|n| n.id.as_str()).collect()
}

fn cluster_ids(model: &GraphModel) -> BTreeSet<&str> {
    model.clusters.iter().map(|c| c.id.as_str()).collect()
}

/// `(hidden_up, hidden_down)` of each node.
fn hidden(model: &GraphModel) -> BTreeMap<&str, (u32, u32)> {
    model
        .nodes
        .iter()
        .map(|n| (n.id.as_str(), (n.hidden_up, n.hidden_down)))
        .collect()
}

fn focus(model: &GraphModel, id: &str, hops: u32) -> GraphModel {
    model.focus(model.node_index_of(id).expect("the node"), hops)
}

#[test]
fn one_hop_keeps_direct_neighbours_their_clusters_and_the_edges_among_them() {
    let model = example("examples/quickstart.mlf", None);
    let sub = focus(&model, "best", 1);
    assert_eq!(
        ids(&sub),
        BTreeSet::from(["best", "check", "fitted", "release"])
    );
    assert_eq!(cluster_ids(&sub), BTreeSet::from(["for#1", "if#1"]));
    // `fitted` and `check` read `parts`, which is two hops away.
    assert_eq!(
        hidden(&sub),
        BTreeMap::from([
            ("best", (0, 0)),
            ("check", (1, 0)),
            ("fitted", (1, 0)),
            ("release", (0, 0)),
        ])
    );
    let edges: BTreeSet<(&str, &str, &str)> = sub
        .edges
        .iter()
        .map(|e| (e.from.as_str(), e.to.as_str(), e.kind.as_str()))
        .collect();
    assert_eq!(
        edges,
        BTreeSet::from([
            ("fitted", "check", "data"),
            ("fitted", "best", "data"),
            ("check", "best", "data"),
            ("best", "release", "data"),
            // The condition of `if#1` reads `best.mse`: both ends are kept.
            ("best", "if#1", "control"),
        ])
    );
    // Clusters keep their ids, labels and everything else.
    assert_eq!(sub.cluster("for#1"), model.cluster("for#1"));
    assert_eq!(model.totals().nodes, 6);
}

#[test]
fn hops_widen_the_focus_and_zero_keeps_only_the_step() {
    let model = example("examples/quickstart.mlf", None);
    let alone = focus(&model, "best", 0);
    assert_eq!(ids(&alone), BTreeSet::from(["best"]));
    // Two data inputs from `fitted` and `check`, one output read by `release`.
    assert_eq!(hidden(&alone)["best"], (2, 1));
    assert!(alone.edges.is_empty());

    let two = focus(&model, "best", 2);
    assert_eq!(
        ids(&two),
        BTreeSet::from(["best", "check", "fitted", "parts", "release"])
    );
    assert_eq!(hidden(&two)["parts"], (1, 0));
    let all = focus(&model, "best", 100);
    assert_eq!(ids(&all).len(), model.nodes.len());
    assert!(all
        .nodes
        .iter()
        .all(|n| n.hidden_up == 0 && n.hidden_down == 0));
    // Focusing on the first step follows only what is downstream of it.
    let data = focus(&model, "data", 1);
    assert_eq!(ids(&data), BTreeSet::from(["data", "parts"]));
    assert_eq!(hidden(&data)["parts"], (0, 2));
}

#[test]
fn an_edge_from_a_whole_sub_pipeline_reaches_every_step_inside_it() {
    let model = example("examples/compose.mlf", Some("nightly"));
    // `done` waits for the whole sub-pipeline `te` (`after te`).
    let sub = focus(&model, "done", 1);
    assert_eq!(ids(&sub), BTreeSet::from(["done", "te.eval", "te.fit"]));
    assert_eq!(cluster_ids(&sub), BTreeSet::from(["te"]));
    assert!(sub
        .edges
        .iter()
        .any(|e| e.from == "te" && e.to == "done" && e.kind == EdgeKind::After));
    // `te.fit` reads `parts.train`; `te.eval` reads `parts.test` and `te.fit.model`.
    assert_eq!(hidden(&sub)["te.fit"], (1, 0));
    assert_eq!(hidden(&sub)["te.eval"], (1, 0));
}

#[test]
fn a_focus_subgraph_is_whole_in_itself_on_the_synthetic_program() {
    let mut loader = MemoryLoader::default();
    for (name, text) in mlforge_synth::generate(300) {
        loader.files.insert(Path::new("/synth").join(name), text);
    }
    let db = RootDatabase::new(Arc::new(loader));
    let file = db.file(Path::new("/synth/main.mlf"));
    let key = select_pipeline(&db, file, Some(mlforge_synth::PIPELINE)).unwrap();
    let model = build(&db, key);
    for n in (0..model.nodes.len()).step_by(37) {
        let mut previous = 0;
        for hops in 0..4 {
            let sub = model.focus(n, hops);
            let kept = ids(&sub);
            let clusters = cluster_ids(&sub);
            assert!(kept.contains(model.nodes[n].id.as_str()));
            assert!(kept.len() >= previous, "more hops never keep fewer steps");
            previous = kept.len();
            for edge in &sub.edges {
                for end in [&edge.from, &edge.to] {
                    assert!(
                        kept.contains(end.as_str()) || clusters.contains(end.as_str()),
                        "{end}"
                    );
                }
            }
            for node in &sub.nodes {
                assert!(node.cluster.iter().all(|c| clusters.contains(c.as_str())));
                // A node keeps its own fields, and hides only what the whole graph has.
                let whole = model.node(&node.id).unwrap();
                assert_eq!(node.label, whole.label);
                assert_eq!(node.range, whole.range);
            }
            for cluster in &sub.clusters {
                assert!(cluster.parent.iter().all(|p| clusters.contains(p.as_str())));
            }
            let dot = to_dot(&sub);
            parse_dot(&dot).unwrap_or_else(|e| panic!("{e}\n{dot}"));
        }
    }
}

/// The byte offset of the first `needle` in the quickstart, plus `extra`.
fn offset_in(path: &str, needle: &str, extra: usize) -> u32 {
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    (text.find(needle).expect(needle) + extra) as u32
}

#[test]
fn a_position_means_the_step_there_else_the_one_before_else_the_first() {
    let path = "examples/quickstart.mlf";
    let model = example(path, None);
    let at = |offset: u32| model.nodes[model.node_at(offset).unwrap()].id.as_str();
    assert_eq!(at(offset_in(path, "step best", 0)), "best");
    assert_eq!(at(offset_in(path, "pick_best(models: fitted", 3)), "best");
    // The blank line after the `for` block: the nearest step before is `check`.
    assert_eq!(at(offset_in(path, "\n\n  step best", 1)), "check");
    // Above the pipeline, and past its end.
    assert_eq!(at(0), "data");
    assert_eq!(at(u32::MAX), "release");

    let path = "examples/compose.mlf";
    let model = example(path, Some("nightly"));
    let at = |offset: u32| model.nodes[model.node_at(offset).unwrap()].id.as_str();
    // The calling step is drawn as its callee's steps: the first of them.
    assert_eq!(at(offset_in(path, "step te ", 5)), "te.fit");
    // The callee is defined in the same file, and drawn inlined.
    assert_eq!(at(offset_in(path, "step eval", 2)), "te.eval");
}
