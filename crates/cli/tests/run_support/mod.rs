//! Shared helpers for the `run_*` tests: a scratch folder with `.mlf` files, the real
//! `mlforge` binary run inside it, and reads of the lineage store it leaves.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use mlforge_store::{AttemptRecord, AttemptStatus, Lineage, RunFilter, RunRecord, Store};

pub fn mlforge() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mlforge"));
    command.env("NO_COLOR", "1");
    command
}

pub struct Scratch {
    pub dir: tempfile::TempDir,
}

pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    fn from(output: Output) -> Ran {
        Ran {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// The JSON events printed with `--events json`.
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
            .collect()
    }

    pub fn events_of(&self, kind: &str) -> Vec<serde_json::Value> {
        self.events()
            .into_iter()
            .filter(|e| e["event"] == kind)
            .collect()
    }

    pub fn expect(&self, code: i32) -> &Ran {
        assert_eq!(
            self.code, code,
            "expected exit {code}\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().expect("a temporary folder"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, text).unwrap();
        path
    }

    /// `mlforge ARGS` in the folder. Python bodies run with plain `python3` (the standard
    /// library alone) unless the test passes `--python`.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = mlforge();
        command
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("MLFORGE_PYTHON");
        command
    }

    /// Runs `mlforge ARGS` in the folder and waits.
    pub fn run(&self, args: &[&str]) -> Ran {
        Ran::from(self.command(args).output().expect("mlforge runs"))
    }

    /// Starts `mlforge ARGS` (with `--events json` expected among them), reading events
    /// until one matches `until`; returns the child (the caller waits for it) and the
    /// events read so far.
    #[allow(clippy::zombie_processes)]
    pub fn start_until(
        &self,
        args: &[&str],
        until: impl Fn(&serde_json::Value) -> bool,
    ) -> (
        Child,
        Vec<serde_json::Value>,
        BufReader<std::process::ChildStdout>,
    ) {
        let mut child = self
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("mlforge starts");
        let stdout = child.stdout.take().unwrap();
        let mut reader = BufReader::new(stdout);
        let mut seen = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            assert!(Instant::now() < deadline, "gave up waiting for an event");
            let mut line = String::new();
            let n = reader.read_line(&mut line).unwrap();
            assert!(
                n > 0,
                "mlforge ended before the event came; events: {seen:#?}"
            );
            let event: serde_json::Value = serde_json::from_str(&line).unwrap();
            let done = until(&event);
            seen.push(event);
            if done {
                return (child, seen, reader);
            }
        }
    }

    pub fn store_root(&self) -> PathBuf {
        self.dir.path().join(".mlforge")
    }

    pub fn lineage(&self) -> Lineage {
        Lineage::open(&self.store_root().join("lineage.db")).expect("the lineage store opens")
    }

    pub fn store(&self) -> Store {
        Store::open(&self.store_root()).expect("the store opens")
    }

    pub fn runs(&self) -> Vec<RunRecord> {
        self.lineage().runs(&RunFilter::default()).unwrap()
    }

    /// The recorded runs; none when no store exists.
    pub fn runs_or_none(&self) -> Vec<RunRecord> {
        if !self.store_root().join("lineage.db").exists() {
            return Vec::new();
        }
        self.runs()
    }

    pub fn latest_run(&self) -> RunRecord {
        self.runs().into_iter().next().expect("a run was recorded")
    }

    pub fn attempts(&self, run: i64) -> Vec<AttemptRecord> {
        self.lineage().attempts(run).unwrap()
    }

    /// The attempts of a step (any element) in a run.
    pub fn attempts_of(&self, run: i64, step: &str) -> Vec<AttemptRecord> {
        self.attempts(run)
            .into_iter()
            .filter(|a| a.step == step)
            .collect()
    }

    /// The value of an output of the last attempt of `step` (element `element`) in a run.
    pub fn output(&self, run: i64, step: &str, element: &str, name: &str) -> serde_json::Value {
        let lineage = self.lineage();
        let attempt = lineage
            .attempts(run)
            .unwrap()
            .into_iter()
            .rfind(|a| a.step == step && a.element == element && a.status.has_outputs())
            .unwrap_or_else(|| panic!("no result of {step}[{element}] in run {run}"));
        lineage
            .outputs(attempt.id)
            .unwrap()
            .into_iter()
            .find(|o| o.name == name)
            .unwrap_or_else(|| panic!("no output {name} of {step}"))
            .value
    }

    /// The stored path of an artifact output.
    pub fn artifact_path(&self, value: &serde_json::Value) -> PathBuf {
        let hash = value["artifact"].as_str().expect("an artifact");
        self.store_root()
            .join("artifacts")
            .join(&hash[..2])
            .join(hash)
    }

    /// The store holds only complete objects, the database is intact, and no temporary
    /// copy is left.
    pub fn assert_store_consistent(&self) {
        let store = self.store();
        assert_eq!(store.lineage.integrity_check().unwrap(), "ok");
        let report = store.verify(false).unwrap();
        assert!(
            report.damaged.is_empty(),
            "bad objects: {:#?}",
            report.damaged
        );
        assert!(
            report.strays.is_empty(),
            "not objects: {:#?}",
            report.strays
        );
        let tmp: Vec<_> = std::fs::read_dir(self.store_root().join("tmp"))
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        assert!(tmp.is_empty(), "temporary files left: {tmp:?}");
        // Every recorded artifact exists.
        let conn = store.lineage.connection();
        let mut stmt = conn.prepare("SELECT hash, kind FROM artifacts").unwrap();
        let rows: Vec<(String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for (hash, kind) in rows {
            let kind = mlforge_store::ArtifactKind::parse(&kind).unwrap();
            assert!(
                store.artifacts.contains(&hash, kind),
                "artifact {hash} is recorded but not stored"
            );
        }
    }
}

pub fn status_of(attempts: &[AttemptRecord], step: &str) -> Vec<AttemptStatus> {
    attempts
        .iter()
        .filter(|a| a.step == step)
        .map(|a| a.status)
        .collect()
}

/// Whether a process runs.
pub fn alive(pid: i32) -> bool {
    mlforge_store::process_alive(pid)
}

/// Whether any live (not zombie) process is in process group `group`.
pub fn group_alive(group: i32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    entries.flatten().any(|entry| {
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        // `pid (comm) state ppid pgrp ...`; comm may hold spaces and parentheses.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            return false;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        fields.len() > 2 && fields[0] != "Z" && fields[2] == group.to_string()
    })
}

/// Waits until a file exists and holds text; returns it.
pub fn wait_for_file(path: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            if !text.trim().is_empty() {
                return text;
            }
        }
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A test cannot run because a tool is missing: under CI (`CI=true`, where tests/run.sh
/// installs every tool) that is a failure; elsewhere the test says so and is skipped.
pub fn missing_tool(why: &str) {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    if ci {
        panic!("CI needs this test to run: {why}");
    }
    eprintln!("skipped: {why}");
}

/// The interpreter with pandas and scikit-learn, or why there is none (see
/// [`missing_tool`]).
pub fn python_with_pandas() -> Option<String> {
    let why = match std::env::var("MLFORGE_PYTHON") {
        Err(_) => {
            "MLFORGE_PYTHON is not set (tests/run.sh sets it to .venv/bin/python)".to_string()
        }
        Ok(python) => {
            let ok = Command::new(&python)
                .args(["-c", "import pandas, sklearn"])
                .output()
                .is_ok_and(|o| o.status.success());
            if ok {
                return Some(python);
            }
            format!("`{python}` cannot import pandas and scikit-learn")
        }
    };
    missing_tool(&format!("pandas and scikit-learn: {why}"));
    None
}
