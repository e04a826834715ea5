//! The IR of every example, its schema, its determinism and its hashes.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use mlforge_analysis::items::select_pipeline;
use mlforge_analysis::{Db, MemoryLoader, RootDatabase};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The examples folder in memory, under the stable path `/examples`.
fn database() -> RootDatabase {
    let dir = root().join("examples");
    let mut files = std::collections::HashMap::new();
    let mut dirs = vec![dir.clone()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                files.insert(
                    Path::new("/examples").join(path.strip_prefix(&dir).unwrap()),
                    text,
                );
            }
        }
    }
    RootDatabase::new(Arc::new(MemoryLoader { files }))
}

fn ir_of(db: &RootDatabase, file: &str, pipeline: Option<&str>) -> mlforge_ir::Program {
    let file = db.file(&Path::new("/examples").join(file));
    let key = select_pipeline(db, file, pipeline).unwrap();
    match mlforge_ir::compile(db, key) {
        Ok(program) => program,
        Err(e) => panic!("{file:?} does not compile: {e:?}"),
    }
}

const EXAMPLES: &[(&str, Option<&str>)] = &[
    ("quickstart.mlf", None),
    ("compose.mlf", Some("nightly")),
    ("compose.mlf", Some("train_eval")),
    ("wine/pipeline.mlf", None),
];

#[test]
fn ir_of_every_example_matches_its_snapshot() {
    let db = database();
    for (file, pipeline) in EXAMPLES {
        let program = ir_of(&db, file, *pipeline);
        let name = format!("{}_{}", file.replace(['/', '.'], "_"), program.pipeline);
        insta::assert_snapshot!(name, mlforge_ir::to_json_pretty(&program));
    }
}

#[test]
fn the_ir_validates_against_its_checked_in_schema_and_round_trips() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas/ir.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema");
    let db = database();
    for (file, pipeline) in EXAMPLES {
        let program = ir_of(&db, file, *pipeline);
        let json = mlforge_ir::to_json(&program);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{file}: {errors:#?}");
        let mut broken = value.clone();
        broken["steps"][0]["bindings"] = serde_json::json!("not a list");
        assert!(
            !validator.is_valid(&broken),
            "the schema must reject a malformed program"
        );
        let back: mlforge_ir::Program = serde_json::from_str(&json).expect("the IR reads back");
        assert_eq!(back, program);
    }
}

#[test]
fn checked_in_schema_is_current() {
    let path = root().join("schemas/ir.schema.json");
    let current = mlforge_ir::json_schema();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &current).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == current,
        "schemas/ir.schema.json is stale: run `UPDATE_SCHEMA=1 cargo test -p mlforge-ir` (or `mlforge ir --schema > schemas/ir.schema.json`) and commit it"
    );
}

#[test]
fn compiling_twice_gives_identical_bytes() {
    for (file, pipeline) in EXAMPLES {
        let a = mlforge_ir::to_json(&ir_of(&database(), file, *pipeline));
        let b = mlforge_ir::to_json(&ir_of(&database(), file, *pipeline));
        assert_eq!(a, b, "{file}");
    }
}

#[test]
fn hashes_follow_what_a_step_does_not_how_it_is_written() {
    let mut db = database();
    let original = ir_of(&db, "quickstart.mlf", None);
    let path = Path::new("/examples/quickstart.mlf");
    let text = db.file(path).text(&db).as_deref().unwrap().to_string();

    // Comments and layout change no hash.
    let commented = text.replace(
        "step parts = split(data: data.table)",
        "// split it\n  step parts = split(\n    data: data.table)",
    );
    db.set_file_text(path, Some(commented));
    let relaid = ir_of(&db, "quickstart.mlf", None);
    for (a, b) in original.steps.iter().zip(&relaid.steps) {
        assert_eq!(a.hash, b.hash, "{}", a.id);
    }

    // A changed body changes its op's hash and the hash of every step that runs it.
    let edited = text.replace("random.seed(${seed})", "random.seed(${seed} + 1)");
    db.set_file_text(path, Some(edited));
    let changed = ir_of(&db, "quickstart.mlf", None);
    assert_ne!(
        original.ops["make_data"].hash,
        changed.ops["make_data"].hash
    );
    assert_eq!(original.ops["fit"].hash, changed.ops["fit"].hash);
    let step = |p: &mlforge_ir::Program, id: &str| {
        p.steps.iter().find(|s| s.id == id).unwrap().hash.clone()
    };
    assert_ne!(step(&original, "data"), step(&changed, "data"));
    assert_eq!(step(&original, "best"), step(&changed, "best"));
}

#[test]
fn a_program_with_errors_does_not_compile() {
    let mut db = database();
    let path = Path::new("/examples/quickstart.mlf");
    let text = db.file(path).text(&db).as_deref().unwrap().to_string();
    db.set_file_text(path, Some(text.replace("lr: lr", "lr: \"fast\"")));
    let file = db.file(path);
    let key = select_pipeline(&db, file, None).unwrap();
    match mlforge_ir::compile(&db, key) {
        Err(mlforge_ir::CompileError::Invalid(errors)) => {
            assert_eq!(errors.len(), 1);
            assert_eq!(errors[0].code.as_str(), "E0401");
        }
        Ok(_) => panic!("a program with a type error compiled"),
    }
}

#[test]
fn artifact_defaults_are_paths_relative_to_the_compiled_file() {
    let files = std::collections::HashMap::from([
        (
            PathBuf::from("/p/main.mlf"),
            r#"import "lib/sub.mlf"
pipeline main(raw: Dataset = "data/raw.csv") {
  step s = sub.counted()
  step t = sub.counted(data: raw)
}
"#
            .to_string(),
        ),
        (
            PathBuf::from("/p/lib/sub.mlf"),
            r#"op count(data: Dataset) -> (n: int) {
  shell """
    wc -l < ${data} > ${n}
  """
}
pipeline counted(data: Dataset = "data/two.csv") -> (n: int) {
  step c = count(data: data)
  output n = c.n
}
"#
            .to_string(),
        ),
    ]);
    let db = RootDatabase::new(Arc::new(MemoryLoader { files }));
    let file = db.file(Path::new("/p/main.mlf"));
    let key = select_pipeline(&db, file, None).unwrap();
    let program = mlforge_ir::compile(&db, key).expect("it compiles");
    assert_eq!(
        program.params[0].default,
        Some(mlforge_ir::Value::String("data/raw.csv".into()))
    );
    let data = |step: &str| {
        let step = program.steps.iter().find(|s| s.id == step).unwrap();
        serde_json::to_value(&step.bindings[0].value).unwrap()
    };
    // The sub-pipeline's own default, inlined, now relative to main.mlf's folder.
    assert_eq!(
        data("s.c"),
        serde_json::json!({"kind": "given", "expr": {"kind": "literal", "value": "lib/data/two.csv", "type": {"kind": "artifact", "kinds": ["Dataset", "File"]}}})
    );
    assert_eq!(data("t.c")["expr"]["kind"], "param");
}

/// A program big enough that its step hashes are computed on several threads: each is
/// still sha256 of the JSON of (op hash, bindings, after, scope), the definition every
/// recorded cache key was made with.
#[test]
fn step_hashes_of_a_big_program_keep_their_definition() {
    use sha2::{Digest, Sha256};
    let program = big_program();
    for step in &program.steps {
        let op_hash = &program.ops[&step.op].hash;
        let json =
            serde_json::to_vec(&(op_hash, &step.bindings, &step.after, &step.scope)).unwrap();
        let expected: String = Sha256::digest(&json)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(step.hash, expected, "step {}", step.id);
    }
}

/// The synthetic program at 1,500 steps: big enough for the work split across threads.
fn big_program() -> mlforge_ir::Program {
    let files = mlforge_synth::generate(1_500)
        .into_iter()
        .map(|(path, text)| (PathBuf::from("/synth").join(path), text))
        .collect();
    let db = RootDatabase::new(Arc::new(MemoryLoader { files }));
    let file = db.file(Path::new("/synth/main.mlf"));
    let key = select_pipeline(&db, file, None).expect("one pipeline");
    let program = mlforge_ir::compile(&db, key).expect("the synthetic program compiles");
    assert!(program.steps.len() > 1_000);
    program
}

/// `write_json` makes the steps' text in chunks on several threads: the bytes are still
/// those of the one-piece serialization, for a big program and a program without steps.
#[test]
fn streamed_json_is_the_canonical_json() {
    let mut program = big_program();
    for _ in 0..2 {
        let mut written = Vec::new();
        mlforge_ir::write_json(&program, &mut written, false).unwrap();
        assert!(written == mlforge_ir::to_json(&program).as_bytes());
        program.steps.clear();
    }
}
