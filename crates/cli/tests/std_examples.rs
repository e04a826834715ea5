//! examples/std: every pipeline checks with no diagnostic and is formatted, and every one
//! but mlflow.mlf (run against a real server in std_mlflow.rs) runs with its results
//! checked. The Python comes from MLFORGE_PYTHON (tests/python-requirements.txt); without
//! it the runs are skipped, except under CI, where they fail.

mod run_support;
mod std_support;

use run_support::Scratch;
use std_support::*;

/// A scratch folder holding a copy of examples/std.
fn examples() -> Scratch {
    let s = Scratch::new();
    let dir = root().join("examples/std");
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".mlf") {
            s.write(&name, &std::fs::read_to_string(entry.path()).unwrap());
        }
    }
    for entry in std::fs::read_dir(dir.join("data")).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        s.write(
            &format!("data/{name}"),
            &std::fs::read_to_string(entry.path()).unwrap(),
        );
    }
    s
}

#[test]
fn every_std_example_checks_clean_and_is_formatted() {
    let dir = root().join("examples/std");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".mlf"))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "data.mlf",
            "eval.mlf",
            "io.mlf",
            "mlflow.mlf",
            "sklearn.mlf",
            "xgboost.mlf"
        ]
    );
    for name in &names {
        let checked = run_support::mlforge()
            .args(["check", "--format", "json", name])
            .current_dir(&dir)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&checked.stdout);
        assert!(checked.status.success(), "{name}: {stdout}");
        assert!(!stdout.contains("\"code\""), "{name}: {stdout}");
        let formatted = run_support::mlforge()
            .args(["fmt", "--check", name])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(formatted.status.success(), "{name} is not formatted");
    }
}

#[test]
fn the_io_example_writes_parquet_queries_sqlite_and_reads_csv() {
    let Some(python) = std_python() else {
        return;
    };
    let s = examples();
    let run = run_ok(&s, &python, "io.mlf", &[]);
    let summary = String::from_utf8(artifact_bytes(&s, run, "summary", "csv")).unwrap();
    // The mean petal length of each iris species.
    assert_eq!(
        summary,
        "target;flowers;petal_length\n0;50;1.462\n1;50;4.26\n2;50;5.552\n"
    );
    assert!(is_parquet(&s, run, "parquet", "parquet"));
    assert!(is_parquet(&s, run, "petals", "table"));
    assert_eq!(s.output(run, "petals", "", "rows"), 150);
    assert_eq!(s.output(run, "mine", "", "rows"), 48);
    assert_eq!(table(&s, run, "mine", "table").header, ["customer", "plan"]);
}

#[test]
fn the_data_example_prepares_train_and_test_alike() {
    let Some(python) = std_python() else {
        return;
    };
    let s = examples();
    let run = run_ok(&s, &python, "data.mlf", &[]);
    // 48 customers, 6 without orders: the left join keeps them all.
    assert_eq!(s.output(run, "joined", "", "rows"), 48);
    let train = table(&s, run, "parts", "train");
    let test = table(&s, run, "parts", "test");
    assert_eq!((train.rows.len(), test.rows.len()), (36, 12));
    // 4 ages and 6 order counts are missing, in one part or the other, and all are filled.
    let filled = f64_of(&s.output(run, "filled", "", "filled"))
        + f64_of(&s.output(run, "filled_test", "", "filled"));
    assert_eq!(filled, 10.0);
    for step in ["scaled", "scaled_test"] {
        let t = table(&s, run, step, "scaled");
        assert_eq!(
            t.header,
            [
                "age",
                "monthly_fee",
                "churned",
                "orders_90d",
                "plan_basic",
                "plan_plus",
                "plan_pro"
            ]
        );
        assert!(t.rows.iter().flatten().all(|v| !v.is_empty()), "{step}");
    }
    let scaled = table(&s, run, "scaled", "scaled");
    for column in ["age", "monthly_fee", "orders_90d", "plan_pro"] {
        let (m, sd) = mean_std(&scaled.floats(column));
        assert!(m.abs() < 1e-9 && (sd - 1.0).abs() < 1e-9, "{column}");
    }
    let accuracy = f64_of(&s.output(run, "score", "", "score"));
    assert!(
        (0.5..=1.0).contains(&accuracy),
        "churn accuracy: {accuracy}"
    );
    let preview = table(&s, run, "preview", "selected");
    assert_eq!(preview.rows.len(), 5);
    assert_eq!(preview.header, ["customer", "plan"]);
}

#[test]
fn the_sklearn_example_sweeps_picks_and_gates() {
    let Some(python) = std_python() else {
        return;
    };
    let s = examples();
    let run = run_ok(&s, &python, "sklearn.mlf", &[]);
    assert_eq!(s.attempts_of(run, "fit").len(), 4);
    let scores: Vec<f64> = (0..4)
        .map(|i| f64_of(&s.output(run, "score", &i.to_string(), "score")))
        .collect();
    let best = f64_of(&s.output(run, "best", "", "score"));
    assert_eq!(best, scores.iter().cloned().fold(f64::MIN, f64::max));
    assert!(best >= 0.9, "the best of the sweep: {scores:?}");
    assert_eq!(f64_of(&s.output(run, "gate", "", "value")), best);
    assert!(f64_of(&s.output(run, "measured", "", "roc_auc")) > 0.95);
    assert!(f64_of(&s.output(run, "cv", "", "mean")) > 0.9);

    // A bar no model clears fails the run at the gate.
    s.run(&[
        "run",
        "sklearn.mlf",
        "--python",
        &python,
        "--param",
        "min_accuracy=1.01",
    ])
    .expect(1);
    let log = log_of(&s, s.latest_run().id, "gate");
    assert!(log.contains("below the threshold 1.01"), "{log}");
}

#[test]
fn the_xgboost_example_picks_a_depth_and_regresses() {
    let Some(python) = std_python() else {
        return;
    };
    let s = examples();
    let run = run_ok(&s, &python, "xgboost.mlf", &[]);
    assert_eq!(s.attempts_of(run, "fit").len(), 2);
    let accuracy = f64_of(&s.output(run, "best", "", "score"));
    assert!(accuracy > 0.9, "boosted trees on wine: {accuracy}");
    let index = s.output(run, "best", "", "index").as_u64().unwrap();
    assert_eq!(
        f64_of(&s.output(run, "measured", &index.to_string(), "accuracy")),
        accuracy
    );
    let r2 = f64_of(&s.output(run, "dmeasured", "", "r2"));
    assert!(r2 > 0.2 && r2 < 1.0, "R² on diabetes: {r2}");
}

#[test]
fn the_eval_example_releases_a_candidate_that_beats_the_baseline() {
    let Some(python) = std_python() else {
        return;
    };
    let s = examples();
    let run = run_ok(&s, &python, "eval.mlf", &[]);
    assert_eq!(s.output(run, "cmp", "", "improved"), true);
    assert!(f64_of(&s.output(run, "cmp", "", "candidate_value")) > 0.9);
    // The baseline always says the majority class.
    let base = table(&s, run, "base_pred", "predictions");
    let mut said = base.column("prediction");
    said.dedup();
    assert_eq!(said.len(), 1);
    assert!(f64_of(&s.output(run, "gate", "", "value")) > 0.9);
    let note = String::from_utf8(artifact_bytes(&s, run, "note", "note")).unwrap();
    assert!(note.starts_with("released a model of "), "{note}");
}
