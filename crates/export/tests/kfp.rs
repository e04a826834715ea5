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
        (mlforge_export::runtime::SOURCE, "mlforge_task.py"),
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

/// Runs kfp_check.py over exports: (name, program, expected values by JSON pointer).
fn kfp_check(cases: &[(&str, &mlforge_ir::Program, Vec<(String, Value)>)]) {
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
