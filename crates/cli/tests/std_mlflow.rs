//! std/mlflow against a real `mlflow server` (SQLite backend, artifacts served by the
//! server): `register`, `log_model` and `register_model` put models in the registry with
//! their versions, aliases and stage, the metrics and the model's hash on the MLflow run;
//! the registered model loads back and predicts; and examples/std/mlflow.mlf, run with
//! `--mlflow URI` alone, registers its best model there only when it clears the bar.
//!
//! The server comes from `MLFORGE_MLFLOW` (tests/run.sh installs tests/mlflow/requirements.txt
//! and sets it), the steps' Python from `MLFORGE_PYTHON`. Without them the tests say they are
//! skipped, except under CI (`CI` set) or `MLFORGE_REQUIRE_MLFLOW=1`, where they fail.

mod run_support;
mod std_support;

use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use run_support::Scratch;
use serde_json::Value;
use std_support::*;

/// The `mlflow` executable, or `None` (with a line saying why) when the tests may skip.
fn mlflow_executable() -> Option<PathBuf> {
    let required = std::env::var_os("CI").is_some()
        || std::env::var("MLFORGE_REQUIRE_MLFLOW").is_ok_and(|v| v == "1");
    match std::env::var("MLFORGE_MLFLOW") {
        Ok(path) if !path.is_empty() => {
            let path = PathBuf::from(path);
            assert!(
                path.is_file(),
                "MLFORGE_MLFLOW is `{}`, which is not a file",
                path.display()
            );
            Some(path)
        }
        _ if required => panic!(
            "MLFORGE_MLFLOW is not set, and CI or MLFORGE_REQUIRE_MLFLOW=1 requires the MLflow \
             server tests: run tests/run.sh, or set it to an `mlflow` executable \
             (pip install -r tests/mlflow/requirements.txt)"
        ),
        _ => {
            eprintln!("skipped: MLFORGE_MLFLOW is not set, so no std/mlflow test ran");
            None
        }
    }
}

/// A running `mlflow server`, killed with its workers when dropped.
struct Server {
    child: Child,
    uri: String,
    dir: tempfile::TempDir,
    agent: ureq::Agent,
}

impl Server {
    fn start(mlflow: &PathBuf) -> Server {
        use std::os::unix::process::CommandExt;
        let dir = tempfile::tempdir().expect("a temporary folder");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let log = |name: &str| File::create(dir.path().join(name)).expect("a log file");
        let child = Command::new(mlflow)
            .arg("server")
            .arg("--backend-store-uri")
            .arg(format!(
                "sqlite:///{}",
                dir.path().join("mlflow.db").display()
            ))
            .arg("--artifacts-destination")
            .arg(dir.path().join("artifacts"))
            .arg("--serve-artifacts")
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--workers", "1"])
            .current_dir(dir.path())
            .env("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
            .env("MLFLOW_DISABLE_TELEMETRY", "true")
            .env("DO_NOT_TRACK", "true")
            .stdin(Stdio::null())
            .stdout(log("server.out"))
            .stderr(log("server.err"))
            .process_group(0)
            .spawn()
            .expect("mlflow server starts");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(60)))
            .http_status_as_error(false)
            .build()
            .into();
        let mut server = Server {
            child,
            uri: format!("http://127.0.0.1:{port}"),
            dir,
            agent,
        };
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("mlflow server exited ({status})\n{}", server.log());
            }
            let healthy = server
                .agent
                .get(format!("{}/health", server.uri))
                .call()
                .is_ok_and(|r| r.status() == 200);
            if healthy {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "mlflow server did not answer /health\n{}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    fn log(&self) -> String {
        let read =
            |name: &str| std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
        format!(
            "--- server stdout\n{}\n--- server stderr\n{}",
            read("server.out"),
            read("server.err")
        )
    }

    /// A GET of the REST API; panics with the server's answer on an error status.
    fn get(&self, endpoint: &str) -> Value {
        let url = format!("{}/api/2.0/{endpoint}", self.uri);
        let mut response = self
            .agent
            .get(&url)
            .call()
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        assert_eq!(status, 200, "GET {url}: {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// The version an alias of a registered model points at.
    fn alias(&self, name: &str, alias: &str) -> Value {
        self.get(&format!(
            "mlflow/registered-models/alias?name={name}&alias={alias}"
        ))["model_version"]
            .clone()
    }

    fn version(&self, name: &str, version: i64) -> Value {
        self.get(&format!(
            "mlflow/model-versions/get?name={name}&version={version}"
        ))["model_version"]
            .clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        use nix::sys::signal::{killpg, Signal};
        use nix::unistd::Pid;
        let _ = killpg(Pid::from_raw(self.child.id() as i32), Signal::SIGKILL);
        let _ = self.child.wait();
    }
}

fn both() -> Option<(String, Server)> {
    let mlflow = mlflow_executable()?;
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
