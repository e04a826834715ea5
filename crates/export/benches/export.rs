//! Export of the synthetic 5,000-step program (crates/synth) to each target: the plan, and
//! the whole export (plan, names, the file's text). Issue 10: under 100 ms per target for
//! the whole process; `benches/export-process.sh` times that.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use mlforge_analysis::items::select_pipeline;
use mlforge_analysis::{Db, MemoryLoader, RootDatabase};
use mlforge_export::{export, ExportOptions, Plan, Target};
use mlforge_ir::Program;

fn main() {
    divan::main();
}

fn program(steps: usize) -> Program {
    let files = mlforge_synth::generate(steps)
        .into_iter()
        .map(|(path, text)| (PathBuf::from("/synth").join(path), text))
        .collect();
    let db = RootDatabase::new(Arc::new(MemoryLoader { files }));
    let file = db.file(Path::new("/synth/main.mlf"));
    let key = select_pipeline(&db, file, None).expect("one pipeline");
    mlforge_ir::compile(&db, key).expect("the synthetic program compiles")
}

/// The target-neutral plan every exporter walks.
#[divan::bench(args = [5000], sample_count = 30)]
fn plan(bencher: divan::Bencher, steps: usize) {
    let program = program(steps);
    bencher.bench_local(|| Plan::new(&program).unwrap());
}

/// The whole export, from the compiled program to the files' text. A target not in this
/// build is reported and skipped.
#[divan::bench(args = ["airflow", "kfp", "argo"], sample_count = 20)]
fn export_5000(bencher: divan::Bencher, target: &str) {
    let program = program(5000);
    let target = Target::from_name(target).unwrap();
    let opts = ExportOptions::default();
    if let Err(e) = export(&program, target, &opts) {
        eprintln!("skipped {}: {e}", target.name());
        return;
    }
    bencher.bench_local(|| export(&program, target, &opts).unwrap());
}
