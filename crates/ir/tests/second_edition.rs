//! LANGUAGE.md §6.3–6.5 in the IR: `python def` bodies, `uses`, `requires` and
//! `interpreter` (with pipeline defaults, sub-pipelines included), env values from inputs,
//! side-effect ops, scheduler settings; validated against the schema and read back.

use std::path::Path;
use std::sync::Arc;

use mlforge_analysis::items::select_pipeline;
use mlforge_analysis::{Db, MemoryLoader, RootDatabase};
use mlforge_ir::{EnvFrom, EnvValue, Program, Scheduling};

const PROGRAM: &str = r#"
op fit(data: Dataset, mode: string) -> (model: Model, score: float) {
  uses = ["src/helpers.py"]
  requires = ["pandas>=2.1"]
  env { MODE = mode  LEVEL = "2"  TOKEN = secret("API_TOKEN") }
  python def """
    model.write_text(data.read_text())
    return 0.5
  """
}
op announce(score: float) {
  python def """
    print(score)
  """
}
op remember(score: float) {
  cache = true
  interpreter = "python3.12"
  python def """
    print(score)
  """
}
pipeline inner(data: Dataset) {
  interpreter = "envs/inner/bin/python"
  step f = fit(data: data, mode: "inner")
}
pipeline nightly(data: Dataset) {
  start_date = "2024-01-01"
  catchup = false
  tags = ["ml", "nightly"]
  owner = "ml-team"
  uses = ["src/"]
  interpreter = "envs/eval/bin/python"
  step f = fit(data: data, mode: "fast")
  step a = announce(score: f.score)
  step r = remember(score: f.score)
  step i = inner(data: data)
}
"#;

fn compile() -> Program {
    let files = [(
        Path::new("/p/pipelines/main.mlf").to_path_buf(),
        PROGRAM.to_string(),
    )];
    let db = RootDatabase::new(Arc::new(MemoryLoader {
        files: files.into_iter().collect(),
    }));
    let file = db.file(Path::new("/p/pipelines/main.mlf"));
    let key = select_pipeline(&db, file, Some("nightly")).unwrap();
    mlforge_ir::compile(&db, key).unwrap_or_else(|e| panic!("{e:?}"))
}

fn op_of<'p>(program: &'p Program, step: &str) -> &'p mlforge_ir::Op {
    let step = program.steps.iter().find(|s| s.id == step).unwrap();
    &program.ops[&step.op]
}

#[test]
fn second_edition_constructs_reach_the_ir() {
    let program = compile();
    assert_eq!(
        program.scheduling,
        Scheduling {
            start_date: Some("2024-01-01".into()),
            catchup: Some(false),
            tags: vec!["ml".into(), "nightly".into()],
            owner: Some("ml-team".into()),
        }
    );
    let fit = op_of(&program, "f");
    assert!(fit.body.function);
    // The op's own `uses` wins over the pipeline's; paths are from the declaring file.
    assert_eq!(fit.uses, ["/p/pipelines/src/helpers.py"]);
    assert_eq!(fit.requires, ["pandas>=2.1"]);
    assert_eq!(
        fit.python.as_deref(),
        Some("/p/pipelines/envs/eval/bin/python")
    );
    assert_eq!(
        fit.env["MODE"],
        EnvValue::From(EnvFrom::Input {
            input: "mode".into()
        })
    );
    assert_eq!(fit.env["LEVEL"], EnvValue::Text("2".into()));
    assert_eq!(
        fit.env["TOKEN"],
        EnvValue::From(EnvFrom::Secret {
            secret: "API_TOKEN".into()
        })
    );
    assert!(fit.cache);

    let announce = op_of(&program, "a");
    assert!(!announce.cache, "an op with no outputs runs every time");
    assert_eq!(
        announce.uses,
        ["/p/pipelines/src/"],
        "the pipeline's default"
    );
    let remember = op_of(&program, "r");
    assert!(remember.cache, "unless it asks to be cached");
    assert_eq!(
        remember.python.as_deref(),
        Some("python3.12"),
        "a name stays a name"
    );

    // A sub-pipeline's own default wins inside it.
    let inner = op_of(&program, "i.f");
    assert_eq!(
        inner.python.as_deref(),
        Some("/p/pipelines/envs/inner/bin/python")
    );
}

#[test]
fn the_second_edition_ir_validates_and_reads_back() {
    let program = compile();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("schemas/ir.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let json = mlforge_ir::to_json(&program);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let back: Program = serde_json::from_str(&json).unwrap();
    assert_eq!(back, program);
    insta::assert_snapshot!(mlforge_ir::to_json_pretty(&program));
}
