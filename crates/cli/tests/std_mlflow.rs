//! std/mlflow against a real `mlflow server` (SQLite backend, artifacts served by the
//! server): `register`, `log_model` and `register_model` put models in the registry with
//! their versions, aliases and stage, the metrics and the model's hash on the MLflow run;
//! the registered model loads back and predicts; and examples/std/mlflow.mlf, run with
//! `--mlflow URI` alone, registers its best model there only when it clears the bar.
//!
//! The server comes from `MLFORGE_MLFLOW` (tests/run.sh installs tests/mlflow/requirements.txt
//! and sets it), the steps' Python from `MLFORGE_PYTHON`. Without them the tests say they are
//! skipped, except under CI (`CI` set) or `MLFORGE_REQUIRE_MLFLOW=1`, where they fail.

mod mlflow_support;
mod run_support;
mod std_support;

use std::process::Command;

use mlflow_support::{mlflow_executable, Server};
use run_support::Scratch;
use std_support::*;

fn both() -> Option<(String, Server)> {
    let mlflow = mlflow_executable("std/mlflow test")?;
    let python = std_python()?;
    Some((python, Server::start(&mlflow)))
}

const REGISTRY: &str = r#"
import "std/data"
import "std/io"
import "std/mlflow"
import "std/sklearn"

pipeline registry(uri: string) {
  step iris = io.toy_dataset(name: "iris")
  step parts = data.split(table: iris.table, test_size: 0.3, stratify: "target")
  step fit = sklearn.train(table: parts.train, estimator: "LogisticRegression", params_json: "{\"max_iter\": 1000}")
  step ev = sklearn.evaluate(model: fit.model, table: parts.test)
  // The server from MLFLOW_TRACKING_URI.
  step reg = mlflow.register(model: fit.model, name: "iris-std", alias: "champion", metrics: ev.metrics, experiment: "std-test")
  // The server given as an input; log, then register as a second version.
  step logged = mlflow.log_model(model: fit.model, experiment: "std-test", artifact_name: "clf", tracking_uri: uri)
  step second = mlflow.register_model(model_uri: logged.model_uri, name: "iris-std", alias: "challenger", stage: "Staging", tracking_uri: uri) after reg
}
"#;

#[test]
fn std_mlflow_registers_versions_with_aliases_stage_and_metrics() {
    let Some((python, server)) = both() else {
        return;
    };
    let s = Scratch::new();
    write_mlf(&s, "registry.mlf", REGISTRY);
    let ran = s
        .command(&[
            "run",
            "registry.mlf",
            "--python",
            &python,
            "--jobs",
            "2",
            "--param",
            &format!("uri={}", server.uri),
        ])
        .env("MLFLOW_TRACKING_URI", &server.uri)
        .output()
        .unwrap();
    assert!(
        ran.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&ran.stderr),
        server.log()
    );
    let run = s.latest_run().id;
    assert_eq!(s.output(run, "reg", "", "version"), 1);
    assert_eq!(s.output(run, "second", "", "version"), 2);

    // The aliases point at the versions, and the second is in Staging.
    let champion = server.alias("iris-std", "champion");
    assert_eq!(champion["version"], "1");
    assert_eq!(champion["current_stage"], "None");
    let challenger = server.alias("iris-std", "challenger");
    assert_eq!(challenger["version"], "2");
    assert_eq!(server.version("iris-std", 2)["current_stage"], "Staging");
    assert_eq!(server.version("iris-std", 1)["status"], "READY");

    // The MLflow run of `register` holds the metrics and the model file's hash.
    let run_id = s.output(run, "reg", "", "run_id");
    assert_eq!(champion["run_id"], run_id);
    let mlflow_run = server.get(&format!(
        "mlflow/runs/get?run_id={}",
        run_id.as_str().unwrap()
    ))["run"]
        .clone();
    let metrics: std::collections::BTreeMap<String, f64> = mlflow_run["data"]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["key"].as_str().unwrap().to_string(), f64_of(&m["value"])))
        .collect();
    let accuracy = f64_of(&s.output(run, "ev", "", "score"));
    assert!(accuracy > 0.9);
    assert_eq!(metrics["accuracy"], accuracy);
    assert_eq!(metrics["rows"], 45.0);
    let model_bytes = artifact_bytes(&s, run, "fit", "model");
    let tags: std::collections::BTreeMap<String, String> = mlflow_run["data"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["key"].as_str().unwrap().to_string(),
                t["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        tags["mlforge.model_sha256"],
        mlforge_store::sha256_hex(&model_bytes)
    );
    let experiment = server.get("mlflow/experiments/get-by-name?experiment_name=std-test");
    assert_eq!(
        mlflow_run["info"]["experiment_id"],
        experiment["experiment"]["experiment_id"]
    );
    let model_uri = s.output(run, "logged", "", "model_uri");
    assert!(model_uri.as_str().unwrap().starts_with("models:/"));

    // The champion loads back from the registry and predicts iris well.
    let loaded = Command::new(&python)
        .arg("-c")
        .arg(
            "import mlflow.sklearn\n\
             from sklearn.datasets import load_iris\n\
             m = mlflow.sklearn.load_model('models:/iris-std@champion')\n\
             X, y = load_iris(return_X_y=True, as_frame=True)\n\
             print((m.predict(X) == y).mean())",
        )
        .env("MLFLOW_TRACKING_URI", &server.uri)
        .output()
        .unwrap();
    assert!(
        loaded.status.success(),
        "{}",
        String::from_utf8_lossy(&loaded.stderr)
    );
    let fitted: f64 = String::from_utf8_lossy(&loaded.stdout)
        .trim()
        .lines()
        .last()
        .unwrap()
        .parse()
        .unwrap();
    assert!(fitted > 0.9, "the registered model's accuracy: {fitted}");
}

#[test]
fn the_mlflow_example_registers_its_best_model_only_above_the_bar() {
    let Some((python, server)) = both() else {
        return;
    };
    let s = Scratch::new();
    let example = std::fs::read_to_string(root().join("examples/std/mlflow.mlf")).unwrap();
    s.write("mlflow.mlf", &example);
    // The server comes from `--mlflow` alone: the runner gives it to every step.
    let run_with = |extra: &[&str]| {
        let mut args = vec![
            "run",
            "mlflow.mlf",
            "--python",
            &python,
            "--jobs",
            "2",
            "--mlflow",
            &server.uri,
        ];
        args.extend_from_slice(extra);
        let ran = s
            .command(&args)
            .env_remove("MLFLOW_TRACKING_URI")
            .env_remove("MLFLOW_EXPERIMENT_NAME")
            .output()
            .unwrap();
        assert!(
            ran.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&ran.stderr),
            server.log()
        );
        s.latest_run().id
    };
    let run = run_with(&[]);
    let accuracy = f64_of(&s.output(run, "best", "", "score"));
    assert!(accuracy >= 0.9, "a depth-3 tree on iris: {accuracy}");
    assert_eq!(s.output(run, "registered", "", "version"), 1);
    let champion = server.alias("iris-classifier", "champion");
    assert_eq!(champion["version"], "1");
    // The model's MLflow run is in the mirror's experiment, named after the pipeline.
    let model_run = server.get(&format!(
        "mlflow/runs/get?run_id={}",
        champion["run_id"].as_str().unwrap()
    ));
    let experiment = server.get("mlflow/experiments/get-by-name?experiment_name=register_best");
    assert_eq!(
        model_run["run"]["info"]["experiment_id"],
        experiment["experiment"]["experiment_id"]
    );

    // Above the bar nothing is registered: the step is skipped, no version 2 appears.
    let skipped = run_with(&["--param", "bar=1.01"]);
    let statuses = run_support::status_of(&s.attempts(skipped), "registered");
    assert_eq!(statuses, [mlforge_store::AttemptStatus::Skipped]);
    let versions = server.get("mlflow/model-versions/search?filter=name%3D%27iris-classifier%27");
    assert_eq!(
        versions["model_versions"].as_array().unwrap().len(),
        1,
        "{versions}"
    );
    assert_eq!(server.alias("iris-classifier", "champion")["version"], "1");
}
