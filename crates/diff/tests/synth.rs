//! The synthetic program (crates/synth) against itself changed in ten places: what the
//! benchmark measures is also right.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use mlforge_analysis::items::select_pipeline;
use mlforge_analysis::{Db, MemoryLoader, RootDatabase};
use mlforge_diff::{compare, Review, Status};

fn program(files: Vec<(String, String)>) -> mlforge_ir::Program {
    let files = files
        .into_iter()
        .map(|(path, text)| (PathBuf::from("/synth").join(path), text))
        .collect();
    let db = RootDatabase::new(Arc::new(MemoryLoader { files }));
    let file = db.file(Path::new("/synth/main.mlf"));
    let key = select_pipeline(&db, file, None).unwrap();
    mlforge_ir::compile(&db, key).expect("the synthetic program compiles")
}

#[test]
fn ten_changes_to_the_synthetic_program() {
    let old = program(mlforge_synth::generate(1000));
    let new = program(mlforge_synth::changed(1000));
    let review = Review::new(vec![compare(Some(&old), Some(&new))]);
    let counts = review.report.counts;
    assert_eq!(
        (counts.added, counts.removed, counts.changed, counts.renamed),
        (3, 0, 2, 3)
    );
    // One op (`transform`) and one param (`min_score`).
    assert_eq!(counts.other, 2, "{:#?}", review.report.pipelines[0].ops);
    let p = &review.report.pipelines[0];
    assert_eq!(p.steps["s25_3x"].status, Status::Renamed);
    assert_eq!(p.steps["s25_3x"].renamed_from.as_deref(), Some("s25_3"));
    assert!(counts.rerun > 100, "{} re-runs", counts.rerun);
    // The pull-request comment fits GitHub's limit, its chart mermaid's default size.
    let md = review.to_markdown();
    assert!(md.len() < 65_536, "{} characters", md.len());
    let chart = &review.to_mermaid()[0];
    assert!(chart.len() < 50_000, "{} characters", chart.len());
    assert!(
        chart.contains("s25_3x ("),
        "the renamed step is drawn: {chart}"
    );
    // The same program against itself: nothing.
    let same = Review::new(vec![compare(Some(&old), Some(&old))]);
    assert_eq!(same.report.summary, "no semantic change");
}
