//! `mlforge export airflow` end to end with the pinned Airflow (`MLFORGE_AIRFLOW_PYTHON`,
//! set by tests/run.sh): `airflow dags test` runs the exported quickstart and publishes the
//! same model with the same best error as `mlforge run`; a pipeline with `if`/`else` runs
//! both ways round as `mlforge run` does, a hostile param value reaching a shell body
//! unchanged; and the command's own messages.

mod run_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use run_support::{missing_tool, mlforge};

fn airflow_python() -> Option<String> {
    match std::env::var("MLFORGE_AIRFLOW_PYTHON") {
        Ok(python) if !python.is_empty() => Some(python),
        _ => {
            missing_tool("MLFORGE_AIRFLOW_PYTHON is not set (tests/run.sh sets it to the Airflow venv's python)");
            None
        }
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// An Airflow home with its SQLite database, a DAG folder and a data folder.
struct Airflow {
    python: String,
    dir: tempfile::TempDir,
}

impl Airflow {
    fn new(python: String) -> Airflow {
        let airflow = Airflow {
            python,
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir(airflow.dags()).unwrap();
        let out = airflow.command(&["db", "migrate"]).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        airflow
    }

    fn dags(&self) -> PathBuf {
        self.dir.path().join("dags")
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.python);
        command
            .args(["-m", "airflow"])
            .args(args)
            .env("AIRFLOW_HOME", self.dir.path().join("home"))
            .env("AIRFLOW__CORE__DAGS_FOLDER", self.dags())
            .env("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
            .env("MLFORGE_DATA", self.data());
        command
    }

    fn export(&self, file: &Path) {
        let out = mlforge()
            .args(["export", "airflow"])
            .arg(file)
            .arg("-o")
            .arg(self.dags())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Runs `airflow dags test` (one DAG run), with the run's conf; returns the run's data
    /// folder.
    fn test(&self, dag: &str, conf: &serde_json::Value) -> PathBuf {
        let before: Vec<PathBuf> = runs(&self.data().join(dag));
        let out = self
            .command(&["dags", "test", "-c", &conf.to_string(), dag])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "airflow dags test failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let after = runs(&self.data().join(dag));
        after
            .into_iter()
            .find(|r| !before.contains(r))
            .expect("the DAG run wrote its data folder")
    }
}

fn runs(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default()
}

/// What a step instance produced in an Airflow run (`None`: it did not run).
fn result(run: &Path, step: &str) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(run.join("results").join(step).join("top.json")).ok()?;
    Some(serde_json::from_str(&text).unwrap())
}

/// `mlforge get latest/STEP.OUTPUT -o -` in `dir`.
fn local_value(dir: &Path, output: &str) -> String {
    let out = mlforge()
        .args(["get", &format!("latest/{output}"), "-o", "-"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn local_run(dir: &Path, file: &str, params: &[String]) {
    let mut command = mlforge();
    command.arg("run").arg(file).current_dir(dir);
    for p in params {
        command.arg("--param").arg(p);
    }
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_quickstart_on_airflow_publishes_what_mlforge_run_publishes() {
    let Some(python) = airflow_python() else {
        return;
    };
    let airflow = Airflow::new(python);
    let local = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo().join("examples/quickstart.mlf"),
        local.path().join("quickstart.mlf"),
    )
    .unwrap();
    airflow.export(&local.path().join("quickstart.mlf"));
    let run = airflow.test("quickstart", &serde_json::json!({}));
    local_run(local.path(), "quickstart.mlf", &[]);

    let best = result(&run, "best").expect("best ran");
    let local_mse: f64 = local_value(local.path(), "best.mse")
        .trim()
        .parse()
        .unwrap();
    assert_eq!(best["mse"].as_f64().unwrap().to_bits(), local_mse.to_bits());

    let bundle = result(&run, "release").expect("release ran")["bundle"]
        .as_str()
        .unwrap()
        .to_string();
    let get = mlforge()
        .args(["get", "latest/release.bundle", "-o", "bundle"])
        .current_dir(local.path())
        .output()
        .unwrap();
    assert!(get.status.success());
    for file in ["model.json", "manifest.json"] {
        assert_eq!(
            std::fs::read(Path::new(&bundle).join(file)).unwrap(),
            std::fs::read(local.path().join("bundle").join(file)).unwrap(),
            "{file}"
        );
    }
}

const CONDITIONAL: &str = r#"
op measure(x: float) -> (score: float) {
  python """
    open(${score}, "w").write(repr(${x} * 2))
  """
}

op accept(score: float, note: string) -> (verdict: string) {
  shell """printf '%s' "accepted ${score} ${note}" > ${verdict}"""
}

op reject(score: float) -> (verdict: string) {
  shell """printf 'rejected %s' ${score} > ${verdict}"""
}

op report(a: string?, b: string?) -> (text: string) {
  python def """
    return repr((a, b))
  """
}

pipeline cond(x: float = 1.0, limit: float = 3.0, note: string = "n") {
  step m = measure(x: x)
  if m.score <= limit {
    step yes = accept(score: m.score, note: note)
  } else {
    step no = reject(score: m.score)
  }
  step final = report(a: yes.verdict, b: no.verdict)
}
"#;

#[test]
fn if_and_else_run_both_ways_round_as_mlforge_run_runs_them() {
    let Some(python) = airflow_python() else {
        return;
    };
    let airflow = Airflow::new(python);
    let local = tempfile::tempdir().unwrap();
    std::fs::write(local.path().join("cond.mlf"), CONDITIONAL).unwrap();
    airflow.export(&local.path().join("cond.mlf"));
    let hostile = "a'b\"c $(touch pwned) ${HOME} {{ ds }} `id`\nnext\\";
    for (x, taken, skipped) in [(1.0, "yes", "no"), (5.0, "no", "yes")] {
        let run = airflow.test("cond", &serde_json::json!({"x": x, "note": hostile}));
        local_run(
            local.path(),
            "cond.mlf",
            &[format!("x={x}"), format!("note={hostile}")],
        );
        assert!(result(&run, taken).is_some(), "x={x}: {taken} ran");
        assert!(
            result(&run, skipped).is_none(),
            "x={x}: {skipped} was skipped"
        );
        let final_text = result(&run, "final").expect("the join ran")["text"].clone();
        assert_eq!(
            final_text,
            local_value(local.path(), "final.text").trim_end(),
            "x={x}"
        );
    }
    assert!(!airflow.dir.path().join("pwned").exists());
}

#[test]
fn export_says_what_it_cannot_do() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cond.mlf"), CONDITIONAL).unwrap();
    // Two files, no -o: a sentence saying what to do.
    let out = mlforge()
        .args(["export", "airflow", "cond.mlf"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: this export is 2 files (cond.py, mlforge_task.py); name a folder or the main file with -o\n"
    );
    // With -o: the DAG and the runtime, and the warning with where it applies.
    let out = mlforge()
        .args(["export", "airflow", "cond.mlf", "-o", "dag.py"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(dir.path().join("dag.py").exists() && dir.path().join("mlforge_task.py").exists());
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning[AIRFLOW006]"));
    // Errors in the program are reported as `check` reports them, with exit code 1.
    std::fs::write(
        dir.path().join("bad.mlf"),
        "pipeline p() { step a = nope() }\n",
    )
    .unwrap();
    let out = mlforge()
        .args(["export", "airflow", "bad.mlf"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}
