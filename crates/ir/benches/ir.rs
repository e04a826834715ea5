//! `mlforge ir` on the 5,000-step synthetic program (PRODUCT.md: under 50 ms).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use mlforge_analysis::items::select_pipeline;
use mlforge_analysis::{Db, MemoryLoader, RootDatabase};

fn main() {
    divan::main();
}

fn database(steps: usize) -> RootDatabase {
    let files = mlforge_synth::generate(steps)
        .into_iter()
        .map(|(path, text)| (PathBuf::from("/synth").join(path), text))
        .collect();
    RootDatabase::new(Arc::new(MemoryLoader { files }))
}

fn compile_json(db: &RootDatabase) -> String {
    let file = db.file(Path::new("/synth/main.mlf"));
    let key = select_pipeline(db, file, None).expect("one pipeline");
    let program = mlforge_ir::compile(db, key).expect("the synthetic program compiles");
    mlforge_ir::to_json(&program)
}

/// Everything `mlforge ir` does after reading the files: check, compile, serialize.
#[divan::bench(args = [1000, 5000], sample_count = 20)]
fn ir_from_a_fresh_database(bencher: divan::Bencher, steps: usize) {
    bencher
        .with_inputs(|| database(steps))
        .bench_local_values(|db| compile_json(&db));
}

/// Compile and serialize only, on a database that has already checked the program.
#[divan::bench(args = [1000, 5000], sample_count = 20)]
fn ir_after_analysis(bencher: divan::Bencher, steps: usize) {
    let db = database(steps);
    compile_json(&db);
    bencher.bench_local(|| compile_json(&db));
}

/// The second-edition program (records, dicts, indexing and `zip`; one file): check,
/// compile and serialize from a fresh database.
#[divan::bench(args = [5000], sample_count = 20)]
fn ir_structured_from_a_fresh_database(bencher: divan::Bencher, steps: usize) {
    let database = || {
        let files = mlforge_synth::generate_structured(steps)
            .into_iter()
            .map(|(path, text)| (PathBuf::from("/synth").join(path), text))
            .collect();
        RootDatabase::new(Arc::new(MemoryLoader { files }))
    };
    bencher.with_inputs(database).bench_local_values(|db| {
        let file = db.file(Path::new("/synth/structured.mlf"));
        let key = select_pipeline(&db, file, None).expect("one pipeline");
        let program = mlforge_ir::compile(&db, key).expect("the structured program compiles");
        mlforge_ir::to_json(&program)
    });
}
