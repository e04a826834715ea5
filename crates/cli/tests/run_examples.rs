//! The wine and compose examples run end to end with pandas and scikit-learn (from the
//! virtual environment `tests/run.sh` makes; skipped with a reason when there is none,
//! except under CI, where they must run).

mod run_support;

use std::path::Path;

use mlforge_store::RunStatus;
use run_support::{python_with_pandas, Scratch};

fn copy_examples(s: &Scratch) {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    for name in ["compose.mlf", "wine/ops.mlf", "wine/pipeline.mlf"] {
        let text = std::fs::read_to_string(examples.join(name)).unwrap();
        s.write(name, &text);
    }
}

#[test]
fn wine_trains_a_sweep_and_releases_the_best_model() {
    let Some(python) = python_with_pandas() else {
        return;
    };
    let s = Scratch::new();
    copy_examples(&s);
    let ran = s.run(&[
        "run",
        "wine/pipeline.mlf",
        "--python",
        &python,
        "--events",
        "json",
    ]);
    ran.expect(0);
    let run = s.latest_run();
    assert_eq!(run.status, RunStatus::Succeeded);
    let attempts = s.attempts(run.id);
    assert_eq!(attempts.iter().filter(|a| a.step == "fit").count(), 4);
    let score = s.output(run.id, "best", "", "score").as_f64().unwrap();
    let bar = run.params["min_accuracy"].as_f64().unwrap();
    assert!(score >= bar, "the wine data set is easy: {score}");
    // The `if` took the release branch; the alert was skipped.
    let release = s.output(run.id, "release", "", "release");
    let folder = s.artifact_path(&release);
    assert!(folder.join("model.pkl").is_file());
    let card: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("card.json")).unwrap()).unwrap();
    assert_eq!(card["name"], "wine-classifier");
    assert_eq!(card["accuracy"].as_f64().unwrap(), score);
    let skipped = ran.events_of("step_skipped");
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0]["step"], "alert");
    // Each evaluation logged its metrics.
    let metrics = s.lineage().run_metrics(run.id).unwrap();
    assert_eq!(metrics.iter().filter(|m| m.name == "f1_macro").count(), 4);
    s.assert_store_consistent();
}

#[test]
fn compose_inlines_a_sub_pipeline_and_reads_a_given_csv() {
    let Some(python) = python_with_pandas() else {
        return;
    };
    let s = Scratch::new();
    copy_examples(&s);
    // A small numeric table with a `target` column (two classes, some missing values).
    let mut csv = String::from("a,b,c,target\n");
    for i in 0..90u32 {
        let a = (i * 37 % 101) as f64 / 10.0;
        let b = (i * 53 % 89) as f64 / 9.0;
        let c = if i % 17 == 0 {
            String::new()
        } else {
            format!("{}", (i % 7) as f64)
        };
        let target = u32::from(a + b > 9.0);
        csv.push_str(&format!("{a},{b},{c},{target}\n"));
    }
    s.write("data/raw.csv", &csv);
    let ran = s.run(&[
        "run",
        "compose.mlf",
        "--pipeline",
        "nightly",
        "--param",
        "raw=data/raw.csv",
        "--python",
        &python,
    ]);
    ran.expect(0);
    let run = s.latest_run();
    // The CSV was imported into the store and recorded as the run's input.
    let inputs = s.lineage().run_inputs(run.id).unwrap();
    assert_eq!(inputs.len(), 1);
    assert_eq!(inputs[0].param, "raw");
    assert_eq!(inputs[0].source_path, "data/raw.csv");
    assert_eq!(run.params["raw"]["path"], "data/raw.csv");
    // Rows with a missing value were dropped; squared columns added.
    let metrics = s.lineage().run_metrics(run.id).unwrap();
    let rows = metrics.iter().find(|m| m.name == "rows").unwrap().value;
    assert_eq!(rows as usize, 90 - 6);
    assert_eq!(
        metrics.iter().find(|m| m.name == "columns").unwrap().value,
        7.0
    );
    let accuracy = s
        .output(run.id, "te.eval", "", "accuracy")
        .as_f64()
        .unwrap();
    assert!((0.0..=1.0).contains(&accuracy));
    // `done` ran after the inlined sub-pipeline (an ordering-only edge).
    let attempts = s.attempts(run.id);
    let done = attempts.iter().find(|a| a.step == "done").unwrap();
    for inner in ["te.fit", "te.eval"] {
        let a = attempts.iter().find(|a| a.step == inner).unwrap();
        assert!(
            a.ended_ms.unwrap() <= done.started_ms,
            "{inner} ended after done started"
        );
    }
    let sent = s.output(run.id, "done", "", "sent");
    assert_eq!(
        std::fs::read_to_string(s.artifact_path(&sent)).unwrap(),
        "nightly finished\n"
    );
    // The same file again: all cached, the import deduplicated.
    s.run(&[
        "run",
        "compose.mlf",
        "--pipeline",
        "nightly",
        "--param",
        "raw=data/raw.csv",
        "--python",
        &python,
    ])
    .expect(0);
    let again = s.latest_run();
    assert!(s
        .attempts(again.id)
        .iter()
        .all(|a| a.status == mlforge_store::AttemptStatus::Cached));
    s.assert_store_consistent();
}
