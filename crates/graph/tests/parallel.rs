//! A big graph's JSON is made on several threads, a chunk of each list at a time: the bytes
//! stay those of serializing the model in one piece. (The DOT's counterpart is a unit test
//! in `src/dot.rs`, which can draw in order.)

mod support;

use std::path::PathBuf;
use std::sync::Arc;

use mlforge_graph::model::{NodeDiagnostic, Range};
use mlforge_graph::GraphModel;
use support::{model_of, RANGE};

/// The synthetic program at 1,500 steps: lists long enough to be split across threads.
fn big_model() -> GraphModel {
    let mut loader = mlforge_analysis::MemoryLoader::default();
    for (name, text) in mlforge_synth::generate(1_500) {
        loader
            .files
            .insert(PathBuf::from("/synth").join(name), text);
    }
    let db = mlforge_analysis::RootDatabase::new(Arc::new(loader));
    let model = model_of(&db, "/synth/main.mlf", Some(mlforge_synth::PIPELINE));
    assert!(model.nodes.len() > 1_500 && model.edges.len() > 3_000);
    model
}

fn synth_files() -> Vec<(String, String)> {
    mlforge_synth::generate(1_500)
}

/// `build` makes the nodes' ports, arguments, signatures and ranges in chunks on several
/// threads: each lands on its own node.
#[test]
fn node_bodies_made_in_chunks_land_on_their_nodes() {
    let model = big_model();
    let files = synth_files();
    for node in &model.nodes {
        let file = model.file_of(&node.file);
        let name = file.rsplit('/').next().unwrap();
        let text = &files.iter().find(|(n, _)| n == name).unwrap().1;
        let range = |r: &Range| &text[r.start_offset as usize..r.end_offset as usize];
        assert_eq!(range(&node.name_range), node.label, "{}", node.id);
        assert!(range(&node.range).contains(&node.op), "{}", node.id);
        let signature = node.signature.as_ref().expect("every callee resolves");
        for input in &signature.inputs {
            let given = node.args.iter().any(|a| *a.name == *input.name);
            assert_eq!(input.given, given, "{}.{}", node.id, input.name);
        }
        for arg in &node.args {
            assert!(
                node.inputs.iter().any(|p| p.name == arg.name),
                "{}",
                node.id
            );
        }
    }
}

fn assert_one_piece(model: &GraphModel) {
    let one_piece = serde_json::to_string(model).unwrap();
    assert!(model.to_json() == one_piece, "to_json");
    let mut written = Vec::new();
    model.write_json(&mut written, false).unwrap();
    assert!(written == one_piece.as_bytes(), "write_json");
}

#[test]
fn chunked_json_is_the_one_piece_json() {
    let mut model = big_model();
    assert_one_piece(&model);

    // The lists are found by their keys, which a file name cannot fake: inside a JSON
    // string every quote is escaped.
    model.file = Arc::from(r#"a"nodes":[],"edges":[]"clusters":[].mlf"#);
    model.diagnostics.push(NodeDiagnostic {
        code: "E0001".to_string(),
        severity: "error",
        message: r#""clusters":[]"#.to_string(),
        file: None,
        range: RANGE,
    });
    assert_one_piece(&model);

    model.nodes.clear();
    model.edges.clear();
    model.clusters.clear();
    assert_one_piece(&model);
}
