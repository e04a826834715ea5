//! A real `mlflow server` for the tests that talk to one (SQLite backend, artifacts served
//! by the server), reached through MLflow's REST API. The `mlflow` executable comes from
//! `MLFORGE_MLFLOW` (tests/run.sh installs tests/mlflow/requirements.txt into a cached
//! virtual environment and sets it); without it the tests say they are skipped, except
//! under CI (`CI` set) or `MLFORGE_REQUIRE_MLFLOW=1`, where they fail.

#![allow(dead_code)]

use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The `mlflow` executable, or `None` (with a line saying why) when the tests may skip.
pub fn mlflow_executable(what: &str) -> Option<PathBuf> {
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
                "skipped: MLFORGE_MLFLOW is not set (tests/run.sh sets it to the MLflow \
                 environment it makes), so no {what} ran"
            );
            None
        }
    }
}

/// A port nothing listens on (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A running `mlflow server`, killed with its workers when dropped (also when a test
/// fails): it runs in its own process group, and the whole group is killed.
pub struct Server {
    child: Child,
    pub uri: String,
    dir: tempfile::TempDir,
    agent: ureq::Agent,
}

impl Server {
    pub fn start(mlflow: &PathBuf) -> Server {
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

    pub fn log(&self) -> String {
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
        let deadline = started + Duration::from_secs(180);
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
                "mlflow server did not answer /health within 180 s\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// A REST call's JSON; panics with the server's answer on an error status.
    pub fn call(&self, method: &str, endpoint: &str, body: Option<&Value>) -> Value {
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

    pub fn experiment_id(&self, name: &str) -> String {
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
    pub fn runs(&self, experiment: &str, uuid: Option<&str>) -> Vec<Value> {
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
    pub fn mirror_of(&self, experiment: &str, uuid: &str) -> Value {
        let runs = self.runs(experiment, Some(uuid));
        assert_eq!(runs.len(), 1, "one MLflow run per mlforge run: {runs:#?}");
        let id = runs[0]["info"]["run_id"].as_str().unwrap();
        self.call("GET", &format!("mlflow/runs/get?run_id={id}"), None)["run"].clone()
    }
    /// A GET of the REST API; panics with the server's answer on an error status.
    pub fn get(&self, endpoint: &str) -> Value {
        self.call("GET", endpoint, None)
    }

    /// The version an alias of a registered model points at.
    pub fn alias(&self, name: &str, alias: &str) -> Value {
        self.get(&format!(
            "mlflow/registered-models/alias?name={name}&alias={alias}"
        ))["model_version"]
            .clone()
    }

    pub fn version(&self, name: &str, version: i64) -> Value {
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
        // The server's gunicorn or uvicorn workers are in its group: kill them all.
        let _ = killpg(Pid::from_raw(self.child.id() as i32), Signal::SIGKILL);
        let _ = self.child.wait();
    }
}
