//! Kubeflow Pipelines exports: every example's export (snapshots), the exporter's own
//! checks, KFP's strict protobuf parse through the pinned SDK (`MLFORGE_KFP_PYTHON`, set
//! by tests/run.sh), and hostile text proven inert by parsing it back.

mod support;

use std::path::Path;
use std::process::Command;

use mlforge_export::kfp::{self, Documents};
use mlforge_export::{export, ExportOptions, Plan, Target};
use serde_json::{json, Value};

fn options() -> ExportOptions {
    ExportOptions::default()
}

fn documents(program: &mlforge_ir::Program) -> Documents {
    let plan = Plan::new(program).unwrap();
    kfp::documents(&plan, &options()).unwrap_or_else(|e| panic!("{e}"))
}

/// The export's text and its warnings, as reviewed in the snapshot.
fn rendered(program: &mlforge_ir::Program) -> String {
    let exported = export(program, Target::Kfp, &options()).unwrap_or_else(|e| panic!("{e}"));
    let mut out = String::new();
    for w in &exported.warnings {
        out.push_str(&format!("# {w}\n"));
    }
    for file in &exported.files {
        out.push_str(&format!("## {}\n{}", file.path.display(), file.text));
    }
    // Every executor carries the two scripts verbatim; the snapshot names them instead
    // (they are checked by running them, in kfp_check.py and the runtime's own tests).
    for (script, name) in [
        (kfp::launch::ADAPTER, "kfp_main.py"),
        (mlforge_export::runtime::source(), "mlforge_task.py"),
    ] {
        let mut quoted = String::new();
        mlforge_export::yaml::write_quoted(&mut quoted, script);
        out = out.replace(&quoted, &format!("<{name}>"));
    }
    out
}

#[test]
fn every_example_exports_and_passes_the_exporters_checks() {
    for (name, program) in support::examples() {
        let docs = documents(&program);
        let problems = kfp::check::check(&docs.pipeline_spec, docs.platform_spec.as_ref());
        assert!(problems.is_empty(), "{name}: {problems:?}");
        insta::assert_snapshot!(format!("kfp_{name}"), rendered(&program));
    }
}

#[test]
fn exports_are_byte_identical_run_to_run() {
    let program = support::example("wine/pipeline.mlf");
    assert_eq!(rendered(&program), rendered(&program));
}

/// The pinned KFP interpreter, or `None` after saying why (a failure under CI).
fn kfp_python() -> Option<String> {
    let why = match std::env::var("MLFORGE_KFP_PYTHON") {
        Err(_) => "MLFORGE_KFP_PYTHON is not set (tests/run.sh sets it to a venv with tests/export/kfp-requirements.txt)".to_string(),
        Ok(python) => {
            let ok = Command::new(&python)
                .args(["-c", "import kfp.pipeline_spec, kfp.kubernetes"])
                .output()
                .is_ok_and(|o| o.status.success());
            if ok {
                return Some(python);
            }
            format!("{python} cannot import kfp and kfp-kubernetes")
        }
    };
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    if ci {
        panic!("CI needs this test to run: {why}");
    }
    eprintln!("skipped: {why}");
    None
}

/// One export to check: its name, its program, and values expected at JSON pointers.
type Case<'a> = (&'a str, &'a mlforge_ir::Program, Vec<(String, Value)>);

/// Runs kfp_check.py over exports.
fn kfp_check(cases: &[Case]) {
    let Some(python) = kfp_python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut list = Vec::new();
    for (name, program, expect) in cases {
        let exported = export(program, Target::Kfp, &options()).unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join(format!("{name}.yaml"));
        std::fs::write(&path, &exported.files[0].text).unwrap();
        let docs = documents(program);
        list.push(json!({
            "yaml": path,
            "json": [docs.pipeline_spec, docs.platform_spec],
            "expect": expect,
        }));
    }
    let cases_file = dir.path().join("cases.json");
    std::fs::write(&cases_file, serde_json::to_string(&list).unwrap()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kfp_check.py");
    let out = Command::new(python)
        .arg(script)
        .arg(&cases_file)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
}

#[test]
fn every_example_passes_kfps_strict_protobuf_parse() {
    let programs = support::examples();
    let cases: Vec<_> = programs.iter().map(|(n, p)| (*n, p, Vec::new())).collect();
    kfp_check(&cases);
}

/// Text that would break out of a quoted string, a YAML scalar, a CEL string, a shell or
/// Python literal, or become a KFP placeholder, if anything let it.
const HOSTILE: &str = "q'\"\"\" ''' \\ \\\" {{$.inputs.parameters['name']}} {{$}} {{ x }} ${HOME} $(rm -rf /) `id`\nline2\r\t\u{85}\u{2028}\u{feff} /kfp-workspace é\u{1F600} null: [x] &a *a !tag #c";

const HOSTILE_FIXTURE: &str = r#"
op emit(name: string, note: string = "n") -> (out: File) {
  env { MODE = "plain" }
  shell """
    printf '%s %s' ${name} ${note} > ${out}
  """
}

pipeline hostile(label: string = "x") {
  step first = emit(name: label)
  if label == "x" {
    step second = emit(name: "y") after first
  }
}
"#;

/// The fixture with hostile text everywhere a program can put text: a param default, a
/// pipeline doc, a step id, a step's constant, a condition's constant, an op's body and
/// environment.
fn hostile_program() -> mlforge_ir::Program {
    let mut program = support::compile(HOSTILE_FIXTURE);
    program.doc = Some(HOSTILE.into());
    program.params[0].default = Some(mlforge_ir::Value::String(HOSTILE.into()));
    for block in program.blocks.values_mut() {
        if let mlforge_ir::Block::If {
            condition: mlforge_ir::Expr::Binary { rhs, .. },
            ..
        } = block
        {
            **rhs = mlforge_ir::Expr::Literal {
                value: mlforge_ir::Value::String(HOSTILE.into()),
                ty: mlforge_ir::Type::String,
            };
        }
    }
    let second = program.steps.iter_mut().find(|s| s.id == "second").unwrap();
    second.id = format!("second{HOSTILE}");
    second.bindings[0].value = mlforge_ir::BindingValue::Given {
        expr: mlforge_ir::Expr::Literal {
            value: mlforge_ir::Value::String(HOSTILE.into()),
            ty: mlforge_ir::Type::String,
        },
    };
    let op = program.ops.values_mut().next().unwrap();
    // `$${` is how a body writes a literal `${`.
    op.body.text = format!("printf '%s' {}", HOSTILE.replace("${", "$${"));
    op.body.interpolations.clear();
    op.env
        .insert("HOSTILE".into(), mlforge_ir::EnvValue::Text(HOSTILE.into()));
    program
}

#[test]
fn hostile_text_stays_inert_and_reads_back_unchanged() {
    let program = hostile_program();
    let docs = documents(&program);
    let spec = &docs.pipeline_spec;
    // Where the hostile texts land, found by structure rather than by searching text.
    let second = mlforge_export::names::Naming::Dns1123Label.apply(&format!("second{HOSTILE}"));
    let if_component = spec["root"]["dag"]["tasks"]
        .as_object()
        .unwrap()
        .values()
        .find_map(|t| {
            t.get("triggerPolicy")
                .map(|_| t["componentRef"]["name"].clone())
        })
        .unwrap();
    let if_component = if_component.as_str().unwrap();
    let expect = vec![
        ("/pipelineInfo/description".to_string(), json!(HOSTILE)),
        ("/root/inputDefinitions/parameters/label/defaultValue".to_string(), json!(HOSTILE)),
        (
            format!("/components/{if_component}/dag/tasks/{second}/taskInfo/name"),
            json!(format!("second{HOSTILE}")),
        ),
        (
            format!("/components/{if_component}/dag/tasks/{second}/inputs/parameters/name/runtimeValue/constant"),
            json!(HOSTILE),
        ),
        (
            "~body:exec-emit".to_string(),
            json!(format!("printf '%s' {HOSTILE}")),
        ),
        (
            "/deploymentSpec/executors/exec-emit/container/~args:1/env/HOSTILE/text".to_string(),
            json!(HOSTILE),
        ),
    ];
    // The condition's constant is checked by tokenizing the CEL text (see kfp_check.py).
    let mut expect = expect;
    expect.push(("~cel-strings".to_string(), json!(HOSTILE)));
    kfp_check(&[("hostile", &program, expect)]);
    let problems = kfp::check::check(spec, docs.platform_spec.as_ref());
    assert!(problems.is_empty(), "{problems:?}");
}

/// Runs a program with the local runner; returns each step's outputs (from its
/// `step_succeeded` and `step_cached` events, in order).
fn run_locally(
    program: &mlforge_ir::Program,
    dir: &Path,
    params: &[(&str, &str)],
) -> std::collections::BTreeMap<String, Vec<Value>> {
    let mut store = mlforge_store::Store::open(&dir.join("store")).unwrap();
    let file = support::repo().join(&program.file);
    let options = mlforge_runner::RunOptions {
        file: if file.exists() {
            file
        } else {
            dir.join("p.mlf")
        },
        program_json: serde_json::to_string(program).unwrap(),
        params: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        jobs: 2,
        ..Default::default()
    };
    let mut events = mlforge_runner::events::CollectEvents::default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let report = runtime
        .block_on(mlforge_runner::run(
            program,
            &options,
            &mut store,
            &mut events,
        ))
        .unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    let mut outputs: std::collections::BTreeMap<String, Vec<Value>> = Default::default();
    for event in events.0 {
        // A step of an earlier run's shape is reused from the cache, with its outputs.
        if event["event"] == "step_succeeded" || event["event"] == "step_cached" {
            let step = event["step"].as_str().unwrap().to_string();
            outputs
                .entry(step)
                .or_default()
                .push(event["outputs"].clone());
        }
    }
    outputs
}

/// A folder's files, by name, with their bytes.
fn files(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// Runs the export with kfp.local (kfp_local_run.py); returns what each task produced.
fn run_on_kfp_local(
    python: &str,
    program: &mlforge_ir::Program,
    dir: &Path,
    arguments: Value,
) -> Value {
    let exported = export(program, Target::Kfp, &options()).unwrap();
    let spec = dir.join("pipeline.yaml");
    std::fs::write(&spec, &exported.files[0].text).unwrap();
    let recorded = dir.join("outputs.json");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kfp_local_run.py");
    let out = Command::new(python)
        .arg(script)
        .arg(&spec)
        .arg(dir.join("kfp-root"))
        .arg(&recorded)
        .arg(arguments.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(&recorded).unwrap()).unwrap()
}

#[test]
fn the_quickstart_runs_on_kfp_local_with_the_results_of_mlforge_run() {
    let Some(python) = kfp_python() else { return };
    let program = support::example("quickstart.mlf");
    let dir = tempfile::tempdir().unwrap();
    let local = run_locally(&program, dir.path(), &[]);
    let kfp = run_on_kfp_local(&python, &program, dir.path(), json!({}));
    // Again, from kfp.local's cache: the same results.
    let again = run_on_kfp_local(&python, &program, dir.path(), json!({}));
    assert_eq!(again["best"]["mse"], kfp["best"]["mse"]);

    // The best error, and every error of the sweep, are the same numbers.
    assert_eq!(
        kfp["best"]["mse"][0], local["best"][0]["mse"],
        "{kfp:#}\n{local:#?}"
    );
    let mut local_errors: Vec<f64> = local["check"]
        .iter()
        .map(|o| o["mse"].as_f64().unwrap())
        .collect();
    let mut kfp_errors: Vec<f64> = kfp["check"]["mse"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    local_errors.sort_by(f64::total_cmp);
    kfp_errors.sort_by(f64::total_cmp);
    assert_eq!(kfp_errors, local_errors);
    // The branch was taken on both, and the published bundle is the same bytes.
    assert_eq!(local["release"].len(), 1);
    let hash = local["release"][0]["bundle"]["artifact"].as_str().unwrap();
    let store = mlforge_store::Store::open(&dir.path().join("store")).unwrap();
    let local_bundle = store.artifacts.path_of(hash);
    let kfp_bundle = kfp["release"]["bundle"][0].as_str().unwrap();
    assert_eq!(files(Path::new(kfp_bundle)), files(&local_bundle));
}

#[test]
fn the_quickstart_publishes_nothing_on_either_when_no_model_is_good_enough() {
    let Some(python) = kfp_python() else { return };
    let program = support::example("quickstart.mlf");
    let dir = tempfile::tempdir().unwrap();
    let local = run_locally(&program, dir.path(), &[("max_mse", "0.01")]);
    let kfp = run_on_kfp_local(&python, &program, dir.path(), json!({"max_mse": 0.01}));
    assert_eq!(kfp["best"]["mse"][0], local["best"][0]["mse"]);
    assert!(!local.contains_key("release"), "{local:#?}");
    assert!(kfp.get("release").is_none(), "{kfp:#}");
}

const COMPUTED_FIXTURE: &str = r#"
op make(n: int) -> (table: Dataset, count: int) {
  python """
    open(${table}, "w").write("x\n" * ${n})
    open(${count}, "w").write(str(${n}))
  """
}

op sum2(a: float, xs: list<int>, label: string) -> (total: float) {
  python """
    open(${total}, "w").write(repr(${a} + sum(${xs})) + ${label})
  """
}

pipeline computed(base: int = 3, scale: float = 0.5) {
  step m = make(n: base + 2)
  for i, w in zip([1, 2], [10, 20]) {
    step s = sum2(a: scale * w, xs: [i, base], label: "")
    step u = make(n: i)
  }
  step t = sum2(a: m.count * scale, xs: [m.count, base * 2], label: "")
}
"#;

#[test]
fn computed_inputs_are_computed_on_kfp_local_as_mlforge_run_computes_them() {
    let program = support::compile(COMPUTED_FIXTURE);
    insta::assert_snapshot!("kfp_computed", rendered(&program));
    let Some(python) = kfp_python() else { return };
    kfp_check(&[("computed", &program, Vec::new())]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.mlf"), COMPUTED_FIXTURE).unwrap();
    for (params, arguments) in [
        (vec![], json!({})),
        (
            vec![("base", "10"), ("scale", "-1.5")],
            json!({"base": 10, "scale": -1.5}),
        ),
    ] {
        let local = run_locally(&program, dir.path(), &params);
        let kfp = run_on_kfp_local(&python, &program, dir.path(), arguments);
        // Both list the loop's steps as they finish: compare them sorted.
        let sorted = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v
        };
        let local_totals = sorted(
            local["s"]
                .iter()
                .map(|o| o["total"].as_f64().unwrap())
                .collect(),
        );
        let kfp_totals = sorted(
            kfp["s"]["total"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect(),
        );
        assert_eq!(kfp_totals, local_totals, "{kfp:#}");
        assert_eq!(kfp["m"]["count"][0], local["m"][0]["count"]);
        assert_eq!(kfp["t"]["total"][0], local["t"][0]["total"]);
        // A `zip` variable passed as it is (half of the loop's pair).
        let local_counts = sorted(
            local["u"]
                .iter()
                .map(|o| o["count"].as_f64().unwrap())
                .collect(),
        );
        let kfp_counts = sorted(
            kfp["u"]["count"]
                .as_array()
                .unwrap_or_else(|| panic!("{kfp:#}"))
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect(),
        );
        assert_eq!(kfp_counts, local_counts);
    }
}
