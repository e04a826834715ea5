//! Metrics end to end with the real binary: a `Metrics` output may nest objects (names
//! joined by `.`), `mlforge metrics` shows runs side by side, `runs diff` says how each
//! metric moved, and a `Metrics` output that is not numbers fails its step clearly.

mod run_support;

use run_support::Scratch;

const PIPELINE: &str = r#"
op evaluate(scale: float) -> (report: Metrics) {
  python """
    import json
    json.dump({"mae": 1.5 * ${scale}, "eval": {"prc": {"avg_prec": 0.8 / ${scale}}, "ok": True}}, open(${report}, "w"))
  """
}

op extra(on: bool) -> (more: Metrics) {
  python """
    import json
    json.dump({"count": 3} if ${on} else {}, open(${more}, "w"))
  """
}

pipeline p(scale: float = 1.0, on: bool = false) {
  step ev = evaluate(scale: scale)
  step ex = extra(on: on)
}
"#;

fn scratch() -> Scratch {
    let scratch = Scratch::new();
    scratch.write("p.mlf", PIPELINE);
    scratch.run(&["run", "p.mlf"]).expect(0);
    scratch
        .run(&["run", "p.mlf", "--param", "scale=2", "--param", "on=true"])
        .expect(0);
    scratch
}

#[test]
fn nested_metrics_are_shown_side_by_side() {
    let scratch = scratch();
    // Run 3 reuses every step: its metrics are those of the attempts it reused.
    scratch.run(&["run", "p.mlf"]).expect(0);
    let text = scratch.run(&["metrics"]);
    text.expect(0);
    let json = scratch.run(&["metrics", "1", "latest", "--format", "json"]);
    json.expect(0);
    insta::assert_snapshot!(format!("{}\n{}", text.stdout, json.stdout));
    let show = scratch.run(&["show", "2"]);
    assert!(
        show.stdout
            .contains("ev.report  eval.ok = 1, eval.prc.avg_prec = 0.4, mae = 3"),
        "{}",
        show.stdout
    );
}

#[test]
fn runs_diff_says_how_each_metric_moved() {
    let scratch = scratch();
    let text = scratch.run(&["runs", "diff", "1", "2"]);
    text.expect(0);
    let metrics = &text.stdout[text.stdout.find("metrics").expect("a metrics section")..];
    let json = scratch.run(&["runs", "diff", "1", "2", "--format", "json"]);
    json.expect(0);
    let document: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    insta::assert_snapshot!(format!(
        "{metrics}\n{}",
        serde_json::to_string_pretty(&document["metrics"]).unwrap()
    ));
}

#[test]
fn metrics_that_are_not_numbers_fail_the_step() {
    let scratch = Scratch::new();
    scratch.write(
        "bad.mlf",
        r#"
op evaluate() -> (report: Metrics) {
  python """
    import json
    json.dump({"eval": {"curve": [0.1, 0.2]}}, open(${report}, "w"))
  """
}
pipeline p() {
  step ev = evaluate()
}
"#,
    );
    let ran = scratch.run(&["run", "bad.mlf"]);
    ran.expect(1);
    assert!(
        ran.stderr.contains(
            "output `report` (Metrics) holds `eval.curve: [0.1,0.2]`; every entry must be a number, or an object of them"
        ),
        "{}",
        ran.stderr
    );
    let none = scratch.run(&["metrics"]);
    none.expect(0);
    assert_eq!(
        none.stdout,
        "no metrics recorded in run 1 (a step records them by writing a `Metrics` output)\n"
    );
}
