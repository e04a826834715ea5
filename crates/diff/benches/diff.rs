//! `mlforge diff` of two versions of the synthetic program (crates/synth) that differ in
//! ten places (`mlforge_synth::changed`). PRODUCT.md: two 5,000-step versions under 200 ms.
//! `benches/diff-process.sh` times the whole `mlforge diff` process.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use mlforge_analysis::items::select_pipeline;
use mlforge_analysis::{Db, MemoryLoader, RootDatabase};
use mlforge_diff::{compare, Review};
use mlforge_ir::Program;

fn main() {
    divan::main();
}

fn compiled(files: Vec<(String, String)>) -> Program {
    let files = files
        .into_iter()
        .map(|(path, text)| (PathBuf::from("/synth").join(path), text))
        .collect();
    let db = RootDatabase::new(Arc::new(MemoryLoader { files }));
    let file = db.file(Path::new("/synth/main.mlf"));
    let key = select_pipeline(&db, file, None).expect("one pipeline");
    mlforge_ir::compile(&db, key).expect("the synthetic program compiles")
}

fn versions(steps: usize) -> (Program, Program) {
    (
        compiled(mlforge_synth::generate(steps)),
        compiled(mlforge_synth::changed(steps)),
    )
}

/// The comparison alone: two compiled programs in, the typed report out.
#[divan::bench(args = [1000, 5000], sample_count = 30)]
fn compare_programs(bencher: divan::Bencher, steps: usize) {
    let (old, new) = versions(steps);
    bencher.bench_local(|| Review::new(vec![compare(Some(&old), Some(&new))]));
}

/// The comparison and the JSON the editor reads.
#[divan::bench(args = [5000], sample_count = 30)]
fn compare_and_json(bencher: divan::Bencher, steps: usize) {
    let (old, new) = versions(steps);
    bencher.bench_local(|| Review::new(vec![compare(Some(&old), Some(&new))]).to_json());
}

/// The comparison and the pull-request comment (the chart cut down to the changed steps).
#[divan::bench(args = [5000], sample_count = 30)]
fn compare_and_markdown(bencher: divan::Bencher, steps: usize) {
    let (old, new) = versions(steps);
    bencher.bench_local(|| Review::new(vec![compare(Some(&old), Some(&new))]).to_markdown());
}

/// Everything `mlforge diff` does after reading the files: check and compile both
/// versions in fresh databases, compare, write JSON.
#[divan::bench(args = [5000], sample_count = 10)]
fn from_text(bencher: divan::Bencher, steps: usize) {
    let (a, b) = (
        mlforge_synth::generate(steps),
        mlforge_synth::changed(steps),
    );
    bencher
        .with_inputs(|| (a.clone(), b.clone()))
        .bench_local_values(|(a, b)| {
            let (old, new) = (compiled(a), compiled(b));
            Review::new(vec![compare(Some(&old), Some(&new))]).to_json()
        });
}
