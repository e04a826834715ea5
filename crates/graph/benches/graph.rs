//! The graph of the synthetic program of `spec/PRODUCT.md` ("Promises"): 5,000 steps in
//! layers of 10, with loops, conditions and a sub-pipeline, over three files. The promise:
//! graph JSON under 50 ms.
//!
//! - `json_cold` / `dot_cold`: a fresh database each time: parse, analysis, graph and
//!   text (what `mlforge graph` does, minus process start, disk and printing);
//! - `json_warm` / `dot_warm`: analysis already done (an editor's preview after the checker
//!   ran): only building the graph and its text.
//!
//! Run: `cargo bench -p mlforge-graph --bench graph`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use divan::{black_box, Bencher};
use mlforge_analysis::items::select_pipeline;
use mlforge_analysis::{Db, FileLoader, MemoryLoader, RootDatabase};
use mlforge_graph::{build, to_dot};

fn main() {
    divan::main();
}

const SIZES: &[usize] = &[1000, 5000];

fn path(name: &str) -> PathBuf {
    Path::new("/synth").join(name)
}

fn loader(steps: usize) -> Arc<dyn FileLoader> {
    let mut loader = MemoryLoader::default();
    for (name, text) in mlforge_synth::generate(steps) {
        loader.files.insert(path(&name), text);
    }
    Arc::new(loader)
}

fn graph_json(db: &RootDatabase) -> String {
    let file = db.file(&path("main.mlf"));
    let key = select_pipeline(db, file, Some(mlforge_synth::PIPELINE)).expect("the pipeline");
    build(db, key).to_json()
}

fn graph_dot(db: &RootDatabase) -> String {
    let file = db.file(&path("main.mlf"));
    let key = select_pipeline(db, file, Some(mlforge_synth::PIPELINE)).expect("the pipeline");
    to_dot(&build(db, key))
}

/// The program's graph is whole: every step drawn, none broken.
fn assert_whole(steps: usize) {
    let db = RootDatabase::new(loader(steps));
    let file = db.file(&path("main.mlf"));
    let key = select_pipeline(&db, file, Some(mlforge_synth::PIPELINE)).unwrap();
    let model = build(&db, key);
    assert!(model.nodes.len() >= mlforge_synth::step_count(steps));
    assert_eq!(model.broken_count(), 0);
}

#[divan::bench(args = SIZES)]
fn json_cold(bencher: Bencher, steps: usize) {
    assert_whole(steps);
    let loader = loader(steps);
    bencher
        .with_inputs(|| RootDatabase::new(loader.clone()))
        .bench_values(|db| {
            let json = graph_json(&db);
            // Returned, so that dropping the database is not timed.
            (db, json)
        });
}

#[divan::bench(args = SIZES)]
fn json_warm(bencher: Bencher, steps: usize) {
    let db = RootDatabase::new(loader(steps));
    graph_json(&db);
    bencher.bench_local(|| black_box(graph_json(&db)));
}

#[divan::bench(args = SIZES)]
fn dot_cold(bencher: Bencher, steps: usize) {
    let loader = loader(steps);
    bencher
        .with_inputs(|| RootDatabase::new(loader.clone()))
        .bench_values(|db| {
            let dot = graph_dot(&db);
            (db, dot)
        });
}

#[divan::bench(args = SIZES)]
fn dot_warm(bencher: Bencher, steps: usize) {
    let db = RootDatabase::new(loader(steps));
    graph_dot(&db);
    bencher.bench_local(|| black_box(graph_dot(&db)));
}
