//! `--mlflow` and `mlforge runs mirror` against a real `mlflow server` (SQLite backend,
//! artifacts served by the server), checked through MLflow's REST API: params, metrics,
//! tags, status and the artifact list of a succeeded, a cached and a failed run, and that
//! mirroring a run twice makes one MLflow run. The unreachable-server case needs no server.
//!
//! The server comes from `MLFORGE_MLFLOW` (the `mlflow` executable; tests/run.sh installs
//! tests/mlflow/requirements.txt into a cached virtual environment and sets it). Without it the server
//! tests say they are skipped, except under CI (`CI` set) or `MLFORGE_REQUIRE_MLFLOW=1`,
//! where they fail.

mod run_support;

use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use run_support::Scratch;
use serde_json::{json, Value};

/// The `mlflow` executable, or `None` (with a line saying why) when the tests may skip.
fn mlflow_executable() -> Option<PathBuf> {
    let required = std::env::var_os("CI").is_some()
        || std::env::var("MLFORGE_REQUIRE_MLFLOW").is_ok_and(|v| v == "1");
    match std::env::var("MLFORGE_MLFLOW") {
        Ok(path) if !path.is_empty() => {
            let path = PathBuf::from(path);
            assert!(
                path.is_file(),
                "MLFORGE_MLFLOW is `{}`, which is not a file; point it at the `mlflow` \
                 executable (tests/run.sh installs one and sets it)",
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
            eprintln!(
                "skipped: MLFORGE_MLFLOW is not set (tests/run.sh sets it to \
                 the MLflow environment tests/run.sh makes), so no MLflow server test ran"
            );
            None
        }
    }
}

/// A port nothing listens on (bound, then released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A running `mlflow server`, killed with its workers when dropped (also when a test
/// fails): it runs in its own process group, and the whole group is killed.
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
        let port = free_port();
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
            // Tracking needs neither the background job runner (seven worker processes on
            // a two-core machine) nor telemetry (no network here).
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
        server.wait_until_healthy();
        server
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

    fn wait_until_healthy(&mut self) {
        let started = Instant::now();
        let deadline = started + Duration::from_secs(120);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "mlflow server exited ({status}) before it answered\n{}",
                    self.log()
                );
            }
            let healthy = self
                .agent
                .get(format!("{}/health", self.uri))
                .call()
                .is_ok_and(|r| r.status() == 200);
            if healthy {
                // One call through the tracking API, so that the server's first-request
                // warm-up is not counted against the mirror's own time limits.
                self.call(
                    "GET",
                    "mlflow/experiments/get-by-name?experiment_name=Default",
                    None,
                );
                eprintln!(
                    "mlflow server answered after {:.1}s",
                    started.elapsed().as_secs_f64()
                );
                return;
            }
            assert!(
                Instant::now() < deadline,
                "mlflow server did not answer /health within 120 s\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// A REST call's JSON; panics with the server's answer on an error status.
    fn call(&self, method: &str, endpoint: &str, body: Option<&Value>) -> Value {
        let url = format!("{}/api/2.0/{endpoint}", self.uri);
        let result = match body {
            Some(body) => self
                .agent
                .post(&url)
                .header("Content-Type", "application/json")
                .send(body.to_string()),
            None => self.agent.get(&url).call(),
        };
        let mut response = result.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        assert_eq!(status, 200, "{method} {url}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url} sent no JSON ({e}): {text}"))
    }

    fn experiment_id(&self, name: &str) -> String {
        let found = self.call(
            "GET",
            &format!(
                "mlflow/experiments/get-by-name?experiment_name={}",
                name.replace(' ', "%20")
            ),
            None,
        );
        found["experiment"]["experiment_id"]
            .as_str()
            .expect("an experiment id")
            .to_string()
    }

    /// Every run of an experiment, or those tagged as mirrors of mlforge run `uuid`.
    fn runs(&self, experiment: &str, uuid: Option<&str>) -> Vec<Value> {
        let mut body = json!({
            "experiment_ids": [self.experiment_id(experiment)],
            "max_results": 100,
        });
        if let Some(uuid) = uuid {
            body["filter"] = json!(format!("tags.\"mlforge.run_id\" = '{uuid}'"));
        }
        let found = self.call("POST", "mlflow/runs/search", Some(&body));
        found["runs"].as_array().cloned().unwrap_or_default()
    }

    /// The one MLflow run mirroring mlforge run `uuid`, as `runs/get` returns it.
    fn mirror_of(&self, experiment: &str, uuid: &str) -> Value {
        let runs = self.runs(experiment, Some(uuid));
        assert_eq!(runs.len(), 1, "one MLflow run per mlforge run: {runs:#?}");
        let id = runs[0]["info"]["run_id"].as_str().unwrap();
        self.call("GET", &format!("mlflow/runs/get?run_id={id}"), None)["run"].clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        use nix::sys::signal::{killpg, Signal};
        use nix::unistd::Pid;
        // The server's gunicorn or uvicorn workers are in its group: kill them all.
        let _ = killpg(Pid::from_raw(self.child.id() as i32), Signal::SIGKILL);
        let _ = self.child.wait();
    }
}

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
    let Some(mlflow) = mlflow_executable() else {
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
