//! `--mlflow` and `mlforge runs mirror` against a real `mlflow server` (SQLite backend,
//! artifacts served by the server), checked through MLflow's REST API: params, metrics,
//! tags, status and the artifact list of a succeeded, a cached and a failed run, and that
//! mirroring a run twice makes one MLflow run. The unreachable-server case needs no server.
//!
//! The server comes from `MLFORGE_MLFLOW` (the `mlflow` executable; tests/run.sh installs
//! tests/mlflow/requirements.txt into a cached virtual environment and sets it). Without it the server
//! tests say they are skipped, except under CI (`CI` set) or `MLFORGE_REQUIRE_MLFLOW=1`,
//! where they fail.

mod mlflow_support;
mod run_support;

use std::time::{Duration, Instant};

use mlflow_support::{free_port, mlflow_executable, Server};
use run_support::Scratch;
use serde_json::{json, Value};

/// `key → value` of a list of `{key, value}` entries.
fn by_key(entries: &Value) -> std::collections::BTreeMap<String, Value> {
    entries
        .as_array()
        .map(|list| {
            list.iter()
                .map(|e| (e["key"].as_str().unwrap().to_string(), e["value"].clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// `fit`, `fit/2`, `fit/1/0`: how a step instance is named in MLflow keys.
fn instance(step: &Value) -> String {
    let attempt = &step["attempt"];
    let mut name = attempt["step"].as_str().unwrap().to_string();
    for index in attempt["element"]
        .as_str()
        .unwrap()
        .split('.')
        .filter(|p| !p.is_empty())
    {
        name.push('/');
        name.push_str(index);
    }
    name
}

fn quickstart(s: &Scratch) {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/quickstart.mlf"
    ))
    .unwrap();
    s.write("quickstart.mlf", &text);
}

/// Checks that the MLflow run mirrors mlforge run `number` as `mlforge show` reads it.
fn assert_mirrors(s: &Scratch, server: &Server, experiment: &str, number: i64, status: &str) {
    let shown = s.run(&["show", &number.to_string(), "--format", "json"]);
    shown.expect(0);
    let shown: Value = serde_json::from_str(&shown.stdout).unwrap();
    let run = &shown["run"];
    let mirror = server.mirror_of(experiment, run["uuid"].as_str().unwrap());
    let info = &mirror["info"];
    assert_eq!(info["status"], status);
    assert_eq!(
        info["run_name"],
        format!("{}-{number}", run["pipeline"].as_str().unwrap())
    );
    assert_eq!(info["start_time"].as_i64(), run["started_ms"].as_i64());
    assert_eq!(info["end_time"].as_i64(), run["ended_ms"].as_i64());

    // Params: every pipeline param, as a string (JSON for anything but a string).
    let params = by_key(&mirror["data"]["params"]);
    let expected: std::collections::BTreeMap<String, Value> = run["params"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let text = v
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string());
            (k.clone(), json!(text))
        })
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(params, expected);

    // Metrics: every step's (a cached step's are the reused attempt's), same values.
    let metrics = by_key(&mirror["data"]["metrics"]);
    let mut expected = std::collections::BTreeMap::new();
    for step in shown["steps"].as_array().unwrap() {
        for m in step["metrics"].as_array().unwrap() {
            let key = format!(
                "{}.{}.{}",
                instance(step),
                m["output"].as_str().unwrap(),
                m["name"].as_str().unwrap()
            );
            expected.insert(key, m["value"].clone());
        }
    }
    assert_eq!(
        metrics.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    for (key, value) in &expected {
        assert_eq!(metrics[key].as_f64(), value.as_f64(), "metric {key}");
    }

    // Tags: who, what, where; and each artifact output with its hash, size and type.
    let tags = by_key(&mirror["data"]["tags"]);
    let tag = |key: &str| {
        tags.get(key)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no tag {key}: {tags:#?}"))
    };
    assert_eq!(tag("mlforge.run_id"), run["uuid"]);
    assert_eq!(tag("mlforge.run_number"), number.to_string());
    assert_eq!(tag("mlforge.pipeline"), run["pipeline"]);
    assert_eq!(tag("mlforge.file"), run["file"]);
    assert_eq!(tag("mlforge.file_hash"), run["file_hash"]);
    assert_eq!(tag("mlforge.status"), run["status"]);
    assert_eq!(tag("mlflow.runName"), info["run_name"]);
    assert_eq!(tag("mlflow.source.name"), run["file"]);
    if let Some(user) = run["user"].as_str() {
        assert_eq!(tag("mlflow.user"), user);
    }
    if let Some(error) = run["error"].as_str() {
        assert_eq!(tag("mlforge.error"), error);
    }
    let lineage = s.lineage();
    let mut artifact_tags = 0;
    for step in shown["steps"].as_array().unwrap() {
        for output in step["outputs"].as_array().unwrap() {
            let Some(hash) = output["artifact"].as_str() else {
                continue;
            };
            let record = lineage.artifact(hash).unwrap().unwrap();
            let key = format!(
                "mlforge.artifact.{}.{}",
                instance(step),
                output["name"].as_str().unwrap()
            );
            let value: Value = serde_json::from_str(tag(&key)).unwrap();
            assert_eq!(value["hash"], hash, "{key}");
            assert_eq!(value["size"].as_u64(), Some(record.size), "{key}");
            assert_eq!(value["type"], record.type_name.as_str(), "{key}");
            artifact_tags += 1;
        }
    }
    let all_artifact_tags = tags
        .keys()
        .filter(|k| k.starts_with("mlforge.artifact."))
        .count();
    assert_eq!(all_artifact_tags, artifact_tags);

    // The artifact list, uploaded through the server's artifact proxy.
    let root = info["artifact_uri"].as_str().unwrap();
    let path = root
        .strip_prefix("mlflow-artifacts:/")
        .expect("served artifacts");
    let list = server.call(
        "GET",
        &format!("mlflow-artifacts/artifacts/{path}/mlforge/artifacts.json"),
        None,
    );
    assert_eq!(list["mlforge_run"]["uuid"], run["uuid"]);
    let listed: usize = list["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["outputs"].as_array().unwrap().len())
        .sum();
    assert_eq!(listed, artifact_tags);
    // Each step's inputs say whose output they were: the quickstart's `release` read
    // `best`'s model (the same bytes as one `fitted[i].model`), as `mlforge lineage` says.
    let release = list["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "release" && s["status"] != "skipped");
    if let Some(release) = release {
        assert_eq!(release["inputs"][0]["input"], "model", "{release}");
        assert_eq!(release["inputs"][0]["from"], "best.model", "{release}");
    }
}

const FAILING: &str = r#"
op score() -> (report: Metrics) {
  shell """
    echo '{"loss": 0.5}' > ${report}
  """
}

op boom(x: Metrics) -> (out: File) {
  shell """
    echo "about to fail" >&2
    exit 3
  """
}

pipeline failing(note: string = "it's a test") {
  step s = score()
  step b = boom(x: s.report)
}
"#;

#[test]
fn runs_are_mirrored_to_a_real_mlflow_server() {
    let Some(mlflow) = mlflow_executable("MLflow server test") else {
        return;
    };
    let server = Server::start(&mlflow);
    let uri = server.uri.clone();
    let s = Scratch::new();
    quickstart(&s);

    // A run that succeeds, mirrored as it ends.
    let started = Instant::now();
    let ran = s.run(&["run", "quickstart.mlf", "--mlflow", &uri]);
    ran.expect(0);
    eprintln!(
        "run and mirror took {:.1}s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        ran.stderr
            .contains("mirrored run 1 in MLflow (experiment `quickstart`)"),
        "{}",
        ran.stderr
    );
    assert_mirrors(&s, &server, "quickstart", 1, "FINISHED");

    // Mirroring it again makes no second MLflow run.
    let again = s.run(&["runs", "mirror", "1", "--mlflow", &uri]);
    again.expect(0);
    assert!(
        again
            .stderr
            .contains("was mirrored to MLflow (experiment `quickstart`) before; nothing sent"),
        "{}",
        again.stderr
    );
    assert_eq!(server.runs("quickstart", None).len(), 1);

    // A second run, all from the cache, is its own MLflow run with the same metrics.
    s.run(&["run", "quickstart.mlf", "--mlflow", &uri])
        .expect(0);
    assert_mirrors(&s, &server, "quickstart", 2, "FINISHED");
    assert_eq!(server.runs("quickstart", None).len(), 2);

    // A failed run: FAILED, with its error, in the experiment asked for; the run's own exit
    // status (1) stands. Mirrored later with the standalone command, then again.
    s.write("failing.mlf", FAILING);
    s.run(&["run", "failing.mlf"]).expect(1);
    let mirrored = s.run(&[
        "runs",
        "mirror",
        "latest",
        "--mlflow",
        &uri,
        "--mlflow-experiment",
        "mlforge failures",
    ]);
    mirrored.expect(0);
    assert_mirrors(&s, &server, "mlforge failures", 3, "FAILED");
    let failed = server.runs("mlforge failures", None);
    assert_eq!(
        by_key(&failed[0]["data"]["tags"])["mlforge.failed_steps"],
        "b"
    );
    s.run(&[
        "runs",
        "mirror",
        "3",
        "--mlflow",
        &uri,
        "--mlflow-experiment",
        "mlforge failures",
    ])
    .expect(0);
    assert_eq!(server.runs("mlforge failures", None).len(), 1);

    // With `--mlflow` on a failing run, the mirror happens and the exit status is the run's.
    let ran = s.run(&[
        "run",
        "failing.mlf",
        "--mlflow",
        &uri,
        "--mlflow-experiment",
        "mlforge failures",
    ]);
    ran.expect(1);
    assert!(
        ran.stderr.contains("mirrored run 4 in MLflow"),
        "{}",
        ran.stderr
    );
    assert_mirrors(&s, &server, "mlforge failures", 4, "FAILED");

    // A mirror that broke off (an MLflow run still RUNNING, with part of the data) is
    // completed, without logging a param or a metric twice.
    s.run(&["run", "quickstart.mlf"]).expect(0);
    let uuid = s.latest_run().uuid;
    let created = server.call(
        "POST",
        "mlflow/runs/create",
        Some(&json!({
            "experiment_id": server.experiment_id("quickstart"),
            "start_time": s.latest_run().started_ms,
            "tags": [{"key": "mlforge.run_id", "value": uuid}],
        })),
    );
    let partial = created["run"]["info"]["run_id"]
        .as_str()
        .unwrap()
        .to_string();
    let metric_key = "check/0.report.mse";
    // Run 5 came all from the cache: its metrics are those run 1 recorded.
    let mse = s
        .lineage()
        .run_metrics(1)
        .unwrap()
        .into_iter()
        .find(|m| m.step == "check" && m.element == "0" && m.name == "mse")
        .unwrap()
        .value;
    server.call(
        "POST",
        "mlflow/runs/log-batch",
        Some(&json!({
            "run_id": partial,
            "params": [{"key": "max_mse", "value": "1.0"}],
            "metrics": [{"key": metric_key, "value": mse, "timestamp": 1, "step": 0}],
        })),
    );
    let completed = s.run(&["runs", "mirror", "5", "--mlflow", &uri]);
    completed.expect(0);
    assert!(
        completed.stderr.contains("completed the mirror of run 5"),
        "{}",
        completed.stderr
    );
    let mirror = server.mirror_of("quickstart", &uuid);
    assert_eq!(mirror["info"]["run_id"], partial.as_str());
    assert_mirrors(&s, &server, "quickstart", 5, "FINISHED");
    let history = server.call(
        "GET",
        &format!("mlflow/metrics/get-history?run_id={partial}&metric_key={metric_key}"),
        None,
    );
    let points = history["metrics"].as_array().map(Vec::len);
    assert_eq!(points, Some(1), "logged once: {history:#}");
}

#[test]
fn an_unreachable_server_is_named_with_a_retry_hint() {
    let s = Scratch::new();
    quickstart(&s);
    let uri = format!("http://127.0.0.1:{}", free_port());
    let started = Instant::now();
    let ran = s.run(&["run", "quickstart.mlf", "--mlflow", &uri]);
    // The run succeeded, but the mirror asked for did not: exit 1.
    ran.expect(1);
    assert!(started.elapsed() < Duration::from_secs(60), "no hanging");
    assert!(ran.stderr.contains("run 1 succeeded"), "{}", ran.stderr);
    assert!(
        ran.stderr.contains(&format!(
            "error: could not reach the MLflow tracking server at {uri}: connection refused; \
             is `mlflow server` running?"
        )),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains(&format!(
            "run 1 is recorded; mirror it later with: mlforge runs mirror 1 --mlflow {uri}"
        )),
        "{}",
        ran.stderr
    );
    let mirror = s.run(&["runs", "mirror", "1", "--mlflow", &uri]);
    mirror.expect(1);
    assert!(
        mirror.stderr.contains("connection refused"),
        "{}",
        mirror.stderr
    );
}

#[test]
fn a_bad_tracking_uri_is_refused_before_running() {
    let s = Scratch::new();
    quickstart(&s);
    let ran = s.run(&["run", "quickstart.mlf", "--mlflow", "file:./mlruns"]);
    ran.expect(2);
    assert!(
        ran.stderr
            .contains("`file:./mlruns` is not an MLflow tracking server URL"),
        "{}",
        ran.stderr
    );
    assert!(!s.store_root().exists(), "nothing ran");
    let without = s.run(&["runs", "mirror", "1"]);
    without.expect(2);
}
