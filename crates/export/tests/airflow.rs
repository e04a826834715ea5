//! The Airflow export of every example: snapshots, Python's own parser, and (with the
//! pinned Airflow environment) a DagBag import with the expected task ids and edges.
//! Hostile names and values stay inert: loading the DAG gives them back unchanged.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use mlforge_export::{export, runtime, ExportOptions, Exported, Plan, Target};

fn options() -> ExportOptions {
    ExportOptions {
        data_root: "/tmp/mlforge-data".into(),
        ..ExportOptions::default()
    }
}

fn airflow(program: &mlforge_ir::Program) -> Exported {
    export(program, Target::Airflow, &options()).unwrap()
}

/// Writes an export into `dir`.
fn write(exported: &Exported, dir: &Path) {
    for file in &exported.files {
        std::fs::write(dir.join(&file.path), &file.text).unwrap();
    }
}

#[test]
fn every_example_exports_deterministically_and_as_snapshotted() {
    for (name, program) in support::examples() {
        let exported = airflow(&program);
        assert_eq!(
            exported,
            airflow(&program),
            "{name}: the same program, other bytes"
        );
        assert_eq!(exported.files.len(), 2);
        assert_eq!(exported.files[1].text, runtime::source());
        insta::assert_snapshot!(format!("airflow_{name}"), exported.files[0].text);
        let warnings: Vec<String> = exported.warnings.iter().map(|w| w.to_string()).collect();
        insta::assert_snapshot!(format!("airflow_{name}_warnings"), warnings.join("\n"));
    }
}

const PARSE: &str = r#"
import ast, sys
for path in sys.argv[1:]:
    ast.parse(open(path, encoding="utf-8").read(), filename=path)
print("ok")
"#;

#[test]
fn every_export_is_python_that_parses() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (name, program) in support::examples() {
        let sub = dir.path().join(name);
        std::fs::create_dir(&sub).unwrap();
        let exported = airflow(&program);
        write(&exported, &sub);
        for f in &exported.files {
            files.push(sub.join(&f.path).display().to_string());
        }
    }
    let args: Vec<&str> = files.iter().map(String::as_str).collect();
    let out = support::python_script("python3", PARSE, &args, dir.path());
    assert_eq!(out.trim(), "ok");
}

/// Prints the step ids of the description a DAG file embeds, as Python reads it.
const DESCRIPTION_STEPS: &str = r#"
import ast, json, sys
for node in ast.parse(open(sys.argv[1], encoding="utf-8").read()).body:
    if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "PIPELINE":
        pipeline = json.loads(ast.literal_eval(node.value.args[0]))
        print(json.dumps([[id, step["op"], len(step["bindings"])] for id, step in pipeline["steps"].items()]))
"#;

/// A big program's description is written in chunks on several threads: Python reads back
/// every step, in order, with its op and bindings.
#[test]
fn a_big_programs_description_reads_back_whole() {
    if !support::python3_is_there("the big description goes unread") {
        return;
    }
    let program = support::synthetic(1_500);
    let exported = airflow(&program);
    let dir = tempfile::tempdir().unwrap();
    write(&exported, dir.path());
    let main = dir.path().join(&exported.files[0].path);
    let out = support::python_script(
        "python3",
        DESCRIPTION_STEPS,
        &[&main.display().to_string()],
        dir.path(),
    );
    let read: Vec<(String, String, usize)> = serde_json::from_str(&out).unwrap();
    let expected: Vec<(String, String, usize)> = program
        .steps
        .iter()
        .map(|s| (s.id.clone(), s.op.clone(), s.bindings.len()))
        .collect();
    assert_eq!(read, expected);
}

/// Loads each folder's DAGs; prints {dag_id: {"errors": ..., "tasks": {id: [upstream]},
/// "params": {name: default}, "doc": ..., "tags": [...], "schedule": ...}}.
const DAGBAG: &str = r#"
import json, sys
try:
    from airflow.dag_processing.dagbag import DagBag
except ImportError:
    from airflow.models.dagbag import DagBag
out = {}
for folder in sys.argv[1:]:
    bag = DagBag(dag_folder=folder)
    out[folder] = {"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": {}}
    for dag_id, dag in bag.dags.items():
        params = {k: dag.params.get_param(k).value for k in dag.params.keys()}
        out[folder]["dags"][dag_id] = {
            "tasks": {t.task_id: sorted(t.upstream_task_ids) for t in dag.tasks},
            "params": params,
            "doc": dag.doc_md,
            "tags": sorted(dag.tags),
            "schedule": str(getattr(dag, "schedule", None)),
        }
sys.stdout.write("\nRESULT " + json.dumps(out, default=repr) + "\n")
"#;

fn load_dags(python: &str, folders: &[&Path]) -> serde_json::Value {
    let args: Vec<String> = folders.iter().map(|f| f.display().to_string()).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = support::python_script(python, DAGBAG, &args, folders[0]);
    // Airflow logs to standard output too.
    let result = out
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("RESULT "))
        .expect("the script printed its result");
    serde_json::from_str(result).unwrap()
}

#[test]
fn every_example_imports_in_a_dagbag_with_its_tasks_and_edges() {
    let Some(python) = support::airflow_python() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut folders = Vec::new();
    let mut programs = Vec::new();
    for (name, program) in support::examples() {
        let sub = dir.path().join(name);
        std::fs::create_dir(&sub).unwrap();
        write(&airflow(&program), &sub);
        folders.push(sub);
        programs.push((name, program));
    }
    let refs: Vec<&Path> = folders.iter().map(|f| f.as_path()).collect();
    let loaded = load_dags(&python, &refs);
    for (folder, (name, program)) in folders.iter().zip(&programs) {
        let bag = &loaded[folder.display().to_string()];
        assert_eq!(
            bag["errors"],
            serde_json::json!({}),
            "{name}: import errors"
        );
        let dag = &bag["dags"][&program.pipeline];
        let tasks: BTreeMap<String, BTreeSet<String>> =
            serde_json::from_value(dag["tasks"].clone()).unwrap();
        // One task per step, one per block, and one for the pipeline's outputs.
        let plan = Plan::new(program).unwrap();
        let steps: BTreeSet<&str> = plan.tasks.iter().map(|t| t.id()).collect();
        let others = tasks.keys().filter(|t| !steps.contains(t.as_str())).count();
        let expected_others = plan.blocks.len() + usize::from(!plan.outputs.is_empty());
        assert_eq!(others, expected_others, "{name}: {:?}", tasks.keys());
        for task in &plan.tasks {
            let upstream = &tasks[task.id()];
            for dep in &task.deps {
                assert!(
                    upstream.contains(dep.step),
                    "{name}: {} waits for {}",
                    task.id(),
                    dep.step
                );
            }
        }
    }
    // The quickstart's graph, edge by edge.
    let quickstart = &loaded[folders[0].display().to_string()]["dags"]["quickstart"]["tasks"];
    assert_eq!(
        quickstart,
        &serde_json::json!({
            "data": [],
            "parts": ["data"],
            "b0.for_lr": [],
            "fitted": ["b0.for_lr", "parts"],
            "check": ["b0.for_lr", "fitted", "parts"],
            "best": ["check", "fitted"],
            "b1.if": ["best"],
            "release": ["b1.if", "best"],
        })
    );
}

/// Text no generated file may let loose: quotes, triple quotes, backslashes, `{{ }}`,
/// `${ }`, `$( )` and line breaks.
const HOSTILE: &str =
    "a'b\"c'''d\"\"\"e\\f {{ g }} ${h} $(touch /tmp/pwned) `id`\nimport os; os.system('x')\r\n#";

fn mlf_string(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

#[test]
fn hostile_values_stay_inert_in_the_dag() {
    let hostile = mlf_string(HOSTILE);
    let source = format!(
        r#"
op echo(text: string) -> (out: string) {{
  env {{ NOTE = {hostile} }}
  shell """printf '%s' ${{text}} > ${{out}}"""
}}

/// {doc}
pipeline hostile(
  /// {doc}
  text: string = {hostile},
) {{
  schedule = "0 3 * * *"
  start_date = "2024-01-01"
  tags = [{hostile}]
  owner = {hostile}
  step say = echo(text: text)
}}
"#,
        doc = HOSTILE.replace(['\n', '\r'], " ")
    );
    let program = support::compile(&source);
    let exported = airflow(&program);
    let dir = tempfile::tempdir().unwrap();
    write(&exported, dir.path());
    // Python's parser reads it…
    let main = dir
        .path()
        .join(&exported.files[0].path)
        .display()
        .to_string();
    assert_eq!(
        support::python_script("python3", PARSE, &[&main], dir.path()).trim(),
        "ok"
    );
    // …and Airflow gives every value back unchanged.
    let Some(python) = support::airflow_python() else {
        return;
    };
    let loaded = load_dags(&python, &[dir.path()]);
    let bag = &loaded[dir.path().display().to_string()];
    assert_eq!(bag["errors"], serde_json::json!({}));
    let dag = &bag["dags"]["hostile"];
    assert_eq!(dag["params"]["text"], HOSTILE);
    assert_eq!(dag["doc"], program.doc.clone().unwrap());
    assert_eq!(dag["tags"], serde_json::json!([HOSTILE, "mlforge"]));
    assert!(!Path::new("/tmp/pwned").exists());
}

#[test]
fn colliding_task_ids_are_an_error_naming_both() {
    // The task that computes the pipeline's outputs is named `outputs`: a step of that name
    // cannot share it.
    let program = support::compile(
        r#"
op a() -> (n: int) { shell """echo 1 > ${n}""" }
pipeline p() {
  step outputs = a()
  output n = outputs.n
}
"#,
    );
    let err = export(&program, Target::Airflow, &options()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "step `outputs` and `pipeline outputs` both become `outputs` in Airflow, which allows only \
         letters, digits, `_`, `.` and `-` (250 at most); rename one of them"
    );
}
