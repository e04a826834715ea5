//! Programs for the export tests: the repository's examples and small fixtures, compiled
//! through the real analysis and IR compiler.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mlforge_analysis::items::select_pipeline;
use mlforge_analysis::{Db, DiskLoader, MemoryLoader, RootDatabase};
use mlforge_ir::Program;

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Compiles `.mlf` text (as `/fixture/p.mlf`).
pub fn compile(source: &str) -> Program {
    let path = PathBuf::from("/fixture/p.mlf");
    let loader = MemoryLoader {
        files: HashMap::from([(path.clone(), source.to_string())]),
    };
    let db = RootDatabase::new(Arc::new(loader));
    let file = db.file(&path);
    let key = select_pipeline(&db, file, None).unwrap();
    mlforge_ir::compile(&db, key).unwrap_or_else(|e| panic!("{e:?}"))
}

/// The synthetic program of `crates/synth` at `steps` steps: big enough, from 1,000 steps,
/// that exporters split their work across threads.
#[allow(dead_code)]
pub fn synthetic(steps: usize) -> Program {
    let files = mlforge_synth::generate(steps)
        .into_iter()
        .map(|(path, text)| (PathBuf::from("/synth").join(path), text))
        .collect();
    let db = RootDatabase::new(Arc::new(MemoryLoader { files }));
    let file = db.file(std::path::Path::new("/synth/main.mlf"));
    let key = select_pipeline(&db, file, None).expect("one pipeline");
    mlforge_ir::compile(&db, key).expect("the synthetic program compiles")
}

/// Compiles an example by its path under `examples/`, with the file name as written
/// relative to the repository (so exports do not depend on where it is checked out).
pub fn example(relative: &str) -> Program {
    example_pipeline(relative, None)
}

/// Like [`example`], for a file that defines several pipelines.
pub fn example_pipeline(relative: &str, pipeline: Option<&str>) -> Program {
    let root = repo();
    let db = RootDatabase::new(Arc::new(DiskLoader));
    let file = db.file(&root.join("examples").join(relative));
    let key = select_pipeline(&db, file, pipeline).unwrap();
    let mut program = mlforge_ir::compile(&db, key).unwrap_or_else(|e| panic!("{e:?}"));
    let prefix = format!("{}/", root.canonicalize().unwrap().display());
    let relative = |s: &str| -> String {
        if let Some(rest) = s.strip_prefix(&prefix) {
            rest.to_string()
        } else if let Some(i) = s.find("examples/") {
            s[i..].to_string()
        } else {
            s.to_string()
        }
    };
    program.file = relative(&program.file);
    let strip = |s: &mut Arc<str>| *s = relative(s).into();
    for p in &mut program.params {
        strip(&mut p.source.file);
    }
    for op in program.ops.values_mut() {
        strip(&mut op.source.file);
    }
    for step in &mut program.steps {
        strip(&mut step.source.file);
    }
    program
}

/// Every example pipeline: its name (for snapshot files), its path under `examples/` and
/// the pipeline, where the file defines several.
pub const EXAMPLES: &[(&str, &str, Option<&str>)] = &[
    ("quickstart", "quickstart.mlf", None),
    ("compose_train_eval", "compose.mlf", Some("train_eval")),
    ("compose_nightly", "compose.mlf", Some("nightly")),
    ("wine", "wine/pipeline.mlf", None),
    ("glance", "glance/pipeline.mlf", None),
];

/// Every example pipeline, compiled, with its name.
pub fn examples() -> Vec<(&'static str, Program)> {
    EXAMPLES
        .iter()
        .map(|(name, path, pipeline)| (*name, example_pipeline(path, *pipeline)))
        .collect()
}

/// The interpreter of the pinned Airflow environment (`MLFORGE_AIRFLOW_PYTHON`, set by
/// tests/run.sh), or `None` after saying why the test is skipped. Under CI a missing one
/// fails the test.
pub fn airflow_python() -> Option<String> {
    match std::env::var("MLFORGE_AIRFLOW_PYTHON") {
        Ok(python) if !python.is_empty() => Some(python),
        _ => {
            let why = "MLFORGE_AIRFLOW_PYTHON is not set (tests/run.sh sets it to the Airflow venv's python)";
            if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
                panic!("CI needs this test to run: {why}");
            }
            eprintln!("skipped: {why}");
            None
        }
    }
}

/// Runs a Python script with `python`, in `cwd`, with `AIRFLOW_HOME` in a fresh temporary
/// folder; returns its standard output, or panics with its standard error.
pub fn python_script(python: &str, script: &str, args: &[&str], cwd: &Path) -> String {
    let home = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .args(args)
        .current_dir(cwd)
        .env("AIRFLOW_HOME", home.path())
        .env("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
        .env("AIRFLOW__CORE__UNIT_TEST_MODE", "True")
        .output()
        .expect("the Python interpreter starts");
    assert!(
        output.status.success(),
        "the script failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Whether `python3` runs here. Without it the caller skips what needs it, saying `what`
/// goes unchecked; under `CI=true` a missing python3 fails the test instead.
pub fn python3_is_there(what: &str) -> bool {
    let ok = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "python3 is missing under CI=true"
        );
        eprintln!("skipped: python3 is not installed, so {what}");
    }
    ok
}
