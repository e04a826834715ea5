//! Generated programs check clean through the real checker: no errors, no warnings.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use mlforge_analysis::items::ItemKey;
use mlforge_analysis::pipeline::analyze_pipeline;
use mlforge_analysis::{check_files, Db, MemoryLoader, RootDatabase};

const DIR: &str = "/synth";

fn database(steps: usize) -> RootDatabase {
    let mut loader = MemoryLoader::default();
    for (path, text) in mlforge_synth::generate(steps) {
        loader.files.insert(Path::new(DIR).join(path), text);
    }
    RootDatabase::new(Arc::new(loader))
}

fn assert_clean(steps: usize) {
    let db = database(steps);
    let main = db.file(&PathBuf::from(DIR).join("main.mlf"));
    assert!(main.text(&db).is_some(), "main.mlf is loaded");
    let results = check_files(&db, &[main]);
    let files: Vec<String> = results
        .iter()
        .map(|(file, _)| file.path(&db).display().to_string())
        .collect();
    assert_eq!(
        files,
        ["/synth/main.mlf", "/synth/ops.mlf", "/synth/more_ops.mlf"],
        "main.mlf reaches both op files through its imports"
    );
    for (file, diagnostics) in &results {
        assert!(
            diagnostics.is_empty(),
            "{} has {} diagnostics, the first: {:?}",
            file.path(&db).display(),
            diagnostics.len(),
            diagnostics.first()
        );
    }
    let key = ItemKey::new(&db, main, mlforge_synth::PIPELINE.to_string());
    let graph = &analyze_pipeline(&db, key).graph;
    assert_eq!(graph.steps.len(), mlforge_synth::step_count(steps));
    // Each step of a layer after the first reads two steps; the final step reads the last
    // layer; plus `after` edges.
    assert!(graph.edges.len() >= (graph.steps.len() - 1 - mlforge_synth::WIDTH) * 2);
    assert!(
        !graph.blocks.is_empty() || steps < 30,
        "the program has for/if blocks"
    );
}

#[test]
fn one_hundred_steps_check_clean() {
    assert_clean(100);
}

#[test]
fn five_thousand_steps_check_clean() {
    assert_clean(5000);
}

#[test]
fn small_and_odd_sizes_check_clean() {
    for steps in [0, 1, 9, 11, 25, 37, 130, 263] {
        assert_clean(steps);
    }
}

#[test]
fn output_is_deterministic() {
    assert_eq!(mlforge_synth::generate(5000), mlforge_synth::generate(5000));
}

#[test]
fn write_to_writes_every_file() {
    let dir = std::env::temp_dir().join(format!("mlforge-synth-test-{}", std::process::id()));
    mlforge_synth::write_to(&dir, 50).unwrap();
    for (path, text) in mlforge_synth::generate(50) {
        assert_eq!(std::fs::read_to_string(dir.join(path)).unwrap(), text);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The second-edition program (records, dicts, indexing, zip) checks clean and compiles.
fn assert_structured_clean(steps: usize) {
    let mut loader = MemoryLoader::default();
    for (path, text) in mlforge_synth::generate_structured(steps) {
        loader.files.insert(Path::new(DIR).join(path), text);
    }
    let db = RootDatabase::new(Arc::new(loader));
    let file = db.file(&PathBuf::from(DIR).join("structured.mlf"));
    let results = check_files(&db, &[file]);
    for (file, diagnostics) in &results {
        assert!(
            diagnostics.is_empty(),
            "{steps} steps: {} has {} diagnostics, the first: {:?}",
            file.path(&db).display(),
            diagnostics.len(),
            diagnostics.first()
        );
    }
    let key = ItemKey::new(&db, file, mlforge_synth::STRUCTURED_PIPELINE.to_string());
    let graph = &analyze_pipeline(&db, key).graph;
    assert!(graph.steps.len() > mlforge_synth::layer_count(steps) * mlforge_synth::WIDTH);
    assert!(
        graph.blocks.iter().any(|b| b.label.starts_with("zip(")) || steps <= 10,
        "the program zips"
    );
}

#[test]
fn the_structured_program_checks_clean_at_every_size() {
    for steps in [0, 10, 11, 25, 37, 100, 263, 5000] {
        assert_structured_clean(steps);
    }
}
