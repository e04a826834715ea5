//! Structured values and loops at run time, through the real binary (LANGUAGE.md §6.1,
//! §6.2): records and dicts substituted into python and shell bodies, written back as step
//! outputs, given as `--param` JSON; indexing, `zip`, `range` and `present`; and what a
//! run says when a key is missing or zipped lists differ in length.

mod run_support;

use mlforge_store::{AttemptStatus, RunStatus};
use run_support::{status_of, Scratch};

const PROGRAM: &str = r#"
record Split {
  test_size: float = 0.2
  features: list<string> = ["a"]
  seed: int?
}

record Model {
  name: string
  split: Split = {}
}

/// Echoes the record it gets, changed, and a value read from it in Python.
op fit(m: Model, w: dict<float>, n: int) -> (score: float, info: Model) {
  python """
    import json
    m = ${m}
    assert isinstance(m, dict) and m["split"]["seed"] is None or isinstance(m["split"]["seed"], int)
    m["name"] = m["name"] + "!"
    open(${score}, "w").write(str(m["split"]["test_size"] * ${n} * ${w}["x"]))
    json.dump(m, open(${info}, "w"))
  """
}

/// A shell body gets a record as one quoted JSON word.
op echo(m: Model, label: string) -> (out: string) {
  shell """
    printf '%s|%s' ${label} ${m} > ${out}
  """
}

op total(xs: list<float>) -> (sum: float) {
  python """
    open(${sum}, "w").write(str(sum(${xs})))
  """
}

pipeline p(
  model: Model = {name: "rf", split: {test_size: 0.5}},
  w: dict<float> = {"x": 2.0},
  seeds: list<int> = [1, 2, 3],
  names: list<string> = ["a", "b", "c"],
  floor: float = 1.5,
) -> (first: float, last_name: string, echoed: string, kept: float, ranged: float) {
  for s, label in zip(seeds, names) {
    step f = fit(m: {name: label, split: model.split}, w: w, n: s)
    if f.score > floor {
      step high = total(xs: [f.score])
    }
  }
  for i in range(2) {
    step g = fit(m: {name: model.name, split: {test_size: 0.25, seed: i}}, w: {"x": w["x"]}, n: seeds[-1])
  }
  step e = echo(m: f.info[0], label: "it's")
  step k = total(xs: present(high.sum))
  step r = total(xs: g.score)
  output first = f.score[0]
  output last_name = f.info[-1].name
  output echoed = e.out
  output kept = k.sum
  output ranged = r.sum
}
"#;

#[test]
fn records_dicts_indexes_zip_range_and_present_run_as_written() {
    let s = Scratch::new();
    s.write("p.mlf", PROGRAM);
    let ran = s.run(&["run", "p.mlf", "--events", "json"]);
    ran.expect(0);
    let run = s.latest_run().id;
    // f[i]: test_size 0.5 × seed × w["x"] 2.0 = seed.
    assert_eq!(s.output(run, "f", "0", "score"), serde_json::json!(1.0));
    assert_eq!(s.output(run, "f", "2", "score"), serde_json::json!(3.0));
    // The record written back by the body, read by its type: every field, defaults kept.
    assert_eq!(
        s.output(run, "f", "1", "info"),
        serde_json::json!({"name": "b!", "split": {"test_size": 0.5, "features": ["a"], "seed": null}})
    );
    // range(2) gives seeds 0 and 1; seeds[-1] is 3: 0.25 × 3 × 2.0 each.
    assert_eq!(
        s.output(run, "g", "1", "info")["split"]["seed"],
        serde_json::json!(1)
    );
    assert_eq!(s.output(run, "r", "", "sum"), serde_json::json!(3.0));
    // present: only the branches that ran (scores 2.0 and 3.0 are above 1.5).
    assert_eq!(s.output(run, "k", "", "sum"), serde_json::json!(5.0));
    // The shell body got the label and the record as two safely quoted words.
    let shell = s.output(run, "e", "", "out");
    let shell = shell.as_str().unwrap();
    let (label, json) = shell.split_once('|').unwrap();
    assert_eq!(label, "it's");
    let record: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(record["name"], "a!");
    s.assert_store_consistent();
}

#[test]
fn a_record_param_is_given_as_json_with_defaults_for_what_it_leaves_out() {
    let s = Scratch::new();
    s.write("p.mlf", PROGRAM);
    let ran = s.run(&[
        "run",
        "p.mlf",
        "--param",
        r#"model={"name": "gb", "split": {"test_size": 1}}"#,
        "--param",
        r#"w={"x": 10}"#,
    ]);
    ran.expect(0);
    let run = s.latest_run().id;
    assert_eq!(s.output(run, "f", "0", "score"), serde_json::json!(10.0));
    assert_eq!(
        s.output(run, "g", "0", "info")["name"],
        serde_json::json!("gb!")
    );

    let ran = s.run(&["run", "p.mlf", "--param", r#"model={"nme": "x"}"#]);
    ran.expect(2);
    assert!(
        ran.stderr
            .contains("the record `Model` has no field `nme` (its fields are `name`, `split`)"),
        "{}",
        ran.stderr
    );
}

#[test]
fn a_missing_key_and_zipped_lists_of_different_lengths_fail_with_what_there_is() {
    let s = Scratch::new();
    s.write("p.mlf", PROGRAM);
    s.write(
        "q.mlf",
        r#"
op use(x: float) -> (y: float) {
  python """
    open(${y}, "w").write(str(${x}))
  """
}
pipeline q(w: dict<float> = {"a": 1.0, "b": 2.0}, key: string = "a") -> (y: float) {
  step u = use(x: w[key])
  step v = use(x: 3.0)
  step after_u = use(x: u.y)
  output y = u.y
}
"#,
    );
    s.run(&["run", "q.mlf"]).expect(0);
    let ran = s.run(&["run", "q.mlf", "--param", "key=c"]);
    ran.expect(1);
    let why = "cannot evaluate input `x` of step `u`: the key \"c\" is not in the dict; its keys are \"a\", \"b\"";
    assert!(ran.stderr.contains(why), "{}", ran.stderr);
    // The missing key is the step's failure, recorded as any failed step is: the run is
    // failed, `u` has a failed attempt saying why, and the rest of the run is what a
    // failed step leaves (its dependant never starts; an independent step is cached).
    assert!(
        ran.stderr.contains("error: step `u` failed (attempt 1)"),
        "{}",
        ran.stderr
    );
    let run = s.latest_run();
    assert_eq!(run.status, RunStatus::Failed);
    let attempts = s.attempts_of(run.id, "u");
    assert_eq!(attempts.len(), 1, "{attempts:?}");
    assert_eq!(attempts[0].status, AttemptStatus::Failed);
    assert_eq!(attempts[0].error.as_deref(), Some(why));
    assert!(attempts[0].log_path.is_none());
    assert_eq!(status_of(&s.attempts(run.id), "v"), [AttemptStatus::Cached]);
    assert!(s.attempts_of(run.id, "after_u").is_empty());
    let failed = ran.events_of("step_failed");
    assert!(failed.is_empty() || failed[0]["log_path"].is_null());
    s.assert_store_consistent();

    let ran = s.run(&["run", "p.mlf", "--param", r#"names=["a", "b"]"#]);
    ran.expect(1);
    assert!(
        ran.stderr
            .contains("`zip` walks two lists together, but they have 3 and 2 elements"),
        "{}",
        ran.stderr
    );
}

#[test]
fn a_record_output_that_is_not_its_record_fails_the_step_saying_why() {
    let s = Scratch::new();
    s.write(
        "p.mlf",
        r#"
record R { a: int, b: string = "x" }
op make() -> (r: R) {
  python """
    open(${r}, "w").write('{"a": "one"}')
  """
}
pipeline p() -> (r: R) {
  step m = make()
  output r = m.r
}
"#,
    );
    let ran = s.run(&["run", "p.mlf"]);
    ran.expect(1);
    assert!(
        ran.stderr
            .contains("output `r` holds `{\"a\": \"one\"}`, which is not a R: field `a`: `\"one\"` is not an int"),
        "{}",
        ran.stderr
    );
}
