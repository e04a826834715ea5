//! Params files end to end with the real binary: YAML, JSON and TOML give params by name,
//! `--param` wins over them, `mlforge.toml` may name one, each param re-runs only the
//! steps that read it, and mistakes are reported at their file, line and column.

mod run_support;

use mlforge_store::AttemptStatus;
use run_support::{status_of, Scratch};

/// Two independent steps: `shout` reads `word`, `scale` reads `factor` and `rates`.
const PIPELINE: &str = r#"
op shout(word: string) -> (out: string) {
  shell """
    printf '%s!' ${word} > ${out}
  """
}

op scale(factor: int, rates: list<float>) -> (total: float) {
  python """
    open(${total}, "w").write(str(${factor} * sum(${rates})))
  """
}

pipeline p(word: string, factor: int = 1, rates: list<float> = [1.0]) {
  step loud = shout(word: word)
  step scaled = scale(factor: factor, rates: rates)
}
"#;

fn scratch() -> Scratch {
    let scratch = Scratch::new();
    scratch.write("p.mlf", PIPELINE);
    scratch
}

fn outputs(scratch: &Scratch) -> (serde_json::Value, serde_json::Value) {
    let run = scratch.latest_run().id;
    (
        scratch.output(run, "loud", "", "out"),
        scratch.output(run, "scaled", "", "total"),
    )
}

#[test]
fn yaml_json_and_toml_files_give_the_same_params() {
    let files = [
        ("params.yaml", "word: hi\nfactor: 2\nrates: [0.5, 1]\n"),
        (
            "params.json",
            "{\"word\": \"hi\", \"factor\": 2, \"rates\": [0.5, 1]}",
        ),
        (
            "params.toml",
            "word = \"hi\"\nfactor = 2\nrates = [0.5, 1]\n",
        ),
    ];
    for (name, text) in files {
        let scratch = scratch();
        scratch.write(name, text);
        scratch.run(&["run", "p.mlf", "--params", name]).expect(0);
        let (loud, scaled) = outputs(&scratch);
        assert_eq!(loud, "hi!", "{name}");
        assert_eq!(scaled, 3.0, "{name}");
        let recorded = &scratch.latest_run().params;
        assert_eq!(
            recorded,
            &serde_json::json!({"word": "hi", "factor": 2, "rates": [0.5, 1.0]}),
            "{name}"
        );
    }
}

#[test]
fn a_param_flag_wins_over_the_file() {
    let scratch = scratch();
    scratch.write("params.yaml", "word: hi\nfactor: 2\n");
    scratch
        .run(&[
            "run",
            "p.mlf",
            "--params",
            "params.yaml",
            "--param",
            "factor=5",
        ])
        .expect(0);
    let (loud, scaled) = outputs(&scratch);
    assert_eq!((loud, scaled), ("hi!".into(), 5.0.into()));
}

#[test]
fn changing_one_param_in_the_file_re_runs_only_the_steps_that_read_it() {
    let scratch = scratch();
    scratch.write("params.yaml", "word: hi\nfactor: 2\nrates: [1]\n");
    scratch
        .run(&["run", "p.mlf", "--params", "params.yaml"])
        .expect(0);
    scratch.write("params.yaml", "word: hi\nfactor: 3\nrates: [1]\n");
    let plan = scratch.run(&["plan", "p.mlf", "--params", "params.yaml"]);
    plan.expect(0);
    assert!(
        plan.stdout.contains("cached         loud"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("param changed (factor: 2 → 3)"),
        "{}",
        plan.stdout
    );
    scratch
        .run(&["run", "p.mlf", "--params", "params.yaml"])
        .expect(0);
    let run = scratch.latest_run().id;
    let attempts = scratch.attempts(run);
    assert_eq!(status_of(&attempts, "loud"), [AttemptStatus::Cached]);
    assert_eq!(status_of(&attempts, "scaled"), [AttemptStatus::Succeeded]);
    scratch.write("params.yaml", "word: ho\nfactor: 3\nrates: [1]\n");
    scratch
        .run(&["run", "p.mlf", "--params", "params.yaml"])
        .expect(0);
    let attempts = scratch.attempts(scratch.latest_run().id);
    assert_eq!(status_of(&attempts, "loud"), [AttemptStatus::Succeeded]);
    assert_eq!(status_of(&attempts, "scaled"), [AttemptStatus::Cached]);
}

#[test]
fn the_project_settings_may_name_the_params_file() {
    let scratch = scratch();
    scratch.write(
        "mlforge.toml",
        "main = \"p.mlf\"\nparams = \"conf/params.toml\"\n",
    );
    scratch.write("conf/params.toml", "word = \"from-settings\"\n");
    scratch.run(&["run"]).expect(0);
    assert_eq!(outputs(&scratch).0, "from-settings!");
    // --params names another file instead.
    scratch.write("other.yaml", "word: other\n");
    scratch.run(&["run", "--params", "other.yaml"]).expect(0);
    assert_eq!(outputs(&scratch).0, "other!");
    // The settings' file is checked like any other.
    scratch.write("conf/params.toml", "wrod = \"typo\"\n");
    let ran = scratch.run(&["plan"]);
    ran.expect(2);
    assert!(
        ran.stderr.contains("params.toml:1:1: unknown param `wrod`"),
        "{}",
        ran.stderr
    );
}

/// The first line of standard error, with the scratch folder's path taken out.
fn first_error(scratch: &Scratch, args: &[&str]) -> String {
    let ran = scratch.run(args);
    assert_eq!(ran.code, 2, "{args:?}: {}", ran.stderr);
    ran.stderr.lines().next().unwrap_or("").to_string()
}

#[test]
fn mistakes_in_a_params_file_name_the_file_line_and_column() {
    let scratch = scratch();
    let cases = [
        ("unknown.yaml", "word: hi\nfactr: 2\n"),
        ("type.yaml", "word: hi\nfactor: two\n"),
        ("string.yaml", "word: 42\n"),
        ("nested.yaml", "word: hi\nrates:\n  a: 1\n"),
        ("syntax.yaml", "word: hi\nrates: [1, 2\n"),
        (
            "type.json",
            "{\n  \"word\": \"hi\",\n  \"rates\": [1, \"x\"]\n}\n",
        ),
        ("syntax.json", "{\"word\": \"hi\",}"),
        ("type.toml", "word = \"hi\"\nfactor = 2.5\n"),
        ("syntax.toml", "word = \"hi\nfactor = 2\n"),
        ("list.json", "[1, 2]"),
        ("params.ini", "word=hi"),
    ];
    let mut report = String::new();
    for (name, text) in cases {
        scratch.write(name, text);
        let run = first_error(&scratch, &["run", "p.mlf", "--params", name]);
        let plan = first_error(&scratch, &["plan", "p.mlf", "--params", name]);
        assert_eq!(run, plan, "run and plan say the same");
        report.push_str(&run);
        report.push('\n');
    }
    assert!(
        scratch.runs_or_none().is_empty(),
        "nothing runs when the params are wrong"
    );
    insta::assert_snapshot!(report);
}

#[test]
fn resume_takes_no_params_file() {
    let scratch = scratch();
    scratch.write("params.yaml", "word: hi\n");
    let ran = scratch.run(&["run", "p.mlf", "--resume", "1", "--params", "params.yaml"]);
    ran.expect(2);
    assert!(ran.stderr.contains("cannot be used with"), "{}", ran.stderr);
}
