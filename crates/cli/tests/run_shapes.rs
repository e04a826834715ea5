//! Graph shapes decided at run time (nested `for` over a step's output, `if`/`else`, empty
//! lists, `after` on a loop, optional inputs, pipeline outputs), `--jobs`, `--only`,
//! `--from`, the JSON event stream, and bad usage (exit 2).

mod run_support;

use std::collections::HashMap;

use mlforge_store::AttemptStatus;
use run_support::{Ran, Scratch};

const SHAPES: &str = r#"
op count(n: int) -> (items: list<int>) {
  python """
    import json
    open(${items}, "w").write(json.dumps(list(range(${n}))))
  """
}
op square(x: int, y: int) -> (v: int) {
  shell """
    echo $(( ${x} * ${y} )) > ${v}
  """
}
op add(xs: list<list<int>>) -> (total: int) {
  python """
    open(${total}, "w").write(str(sum(sum(r) for r in ${xs})))
  """
}
op note(msg: string) -> (out: File) {
  shell """
    echo ${msg} > ${out}
  """
}
op opt(x: int?) -> (out: string) {
  python """
    open(${out}, "w").write(repr(${x}))
  """
}
pipeline shapes(n: int = 3, big: int = 10) -> (total: int) {
  step c = count(n: n)
  for x in c.items {
    for y in [1, 2] {
      step sq = square(x: x, y: y)
    }
  }
  step acc = add(xs: sq.v)
  if acc.total > big {
    step hi = note(msg: "big") after sq
  } else {
    step lo = note(msg: "small")
  }
  step o = opt()
  output total = acc.total
}
"#;

fn finished(ran: &Ran) -> serde_json::Value {
    ran.events_of("run_finished")
        .pop()
        .expect("a run_finished event")
}

fn names(ran: &Ran, kind: &str) -> Vec<String> {
    let mut names: Vec<String> = ran
        .events_of(kind)
        .iter()
        .map(|e| {
            let element = match e["element"].as_array() {
                Some(items) => format!(
                    "[{}]",
                    items
                        .iter()
                        .map(|i| i.to_string())
                        .collect::<Vec<_>>()
                        .join(",")
                ),
                None => String::new(),
            };
            format!("{}{element}", e["step"].as_str().unwrap())
        })
        .collect();
    names.sort();
    names
}

#[test]
fn nested_loops_over_a_step_output_fan_in_and_conditions_decide_at_run_time() {
    let s = Scratch::new();
    s.write("shapes.mlf", SHAPES);
    let ran = s.run(&["run", "shapes.mlf", "--events", "json"]);
    ran.expect(0);
    assert_eq!(
        names(&ran, "step_succeeded"),
        ["acc", "c", "lo", "o", "sq[0,0]", "sq[0,1]", "sq[1,0]", "sq[1,1]", "sq[2,0]", "sq[2,1]"]
    );
    assert_eq!(names(&ran, "step_skipped"), ["hi"]);
    let end = finished(&ran);
    assert_eq!(end["outputs"]["total"], 9);
    assert_eq!(end["status"], "succeeded");
    let run = s.latest_run();
    assert_eq!(s.output(run.id, "sq", "2.1", "v"), 4);
    assert_eq!(s.output(run.id, "o", "", "out"), "None");
    let attempts = s.attempts(run.id);
    let hi = attempts.iter().find(|a| a.step == "hi").unwrap();
    assert_eq!(hi.status, AttemptStatus::Skipped);
    assert_eq!(hi.error.as_deref(), Some("its `if` condition is false"));

    // The other branch: `hi` waits for every element of `sq`.
    let big = s.run(&["run", "shapes.mlf", "--param", "big=5", "--events", "json"]);
    big.expect(0);
    assert_eq!(names(&big, "step_succeeded"), ["hi"]);
    assert_eq!(names(&big, "step_skipped"), ["lo"]);

    // An empty list: no loop instances, the fan-in is an empty list.
    let empty = s.run(&["run", "shapes.mlf", "--param", "n=0", "--events", "json"]);
    empty.expect(0);
    assert_eq!(finished(&empty)["outputs"]["total"], 0);
    assert!(names(&empty, "step_succeeded").contains(&"acc".to_string()));
    assert!(!names(&empty, "step_succeeded")
        .iter()
        .any(|n| n.starts_with("sq")));
}

#[test]
fn only_and_from_run_a_part_and_reuse_the_rest() {
    let s = Scratch::new();
    s.write("shapes.mlf", SHAPES);
    // Nothing recorded yet: --only cannot reuse what it needs.
    let early = s.run(&["run", "shapes.mlf", "--only", "acc"]);
    early.expect(1);
    assert!(
        early.stderr.contains("--only needs the results of `c`"),
        "{}",
        early.stderr
    );

    s.run(&["run", "shapes.mlf"]).expect(0);
    let only = s.run(&["run", "shapes.mlf", "--only", "acc", "--events", "json"]);
    only.expect(0);
    assert_eq!(names(&only, "step_succeeded"), ["acc"]);
    assert_eq!(names(&only, "step_cached").len(), 7, "c and six squares");
    assert!(
        names(&only, "step_skipped").is_empty(),
        "downstream steps take no part"
    );

    let from = s.run(&["run", "shapes.mlf", "--from", "acc", "--events", "json"]);
    from.expect(0);
    assert_eq!(names(&from, "step_succeeded"), ["acc", "lo"]);
    assert_eq!(names(&from, "step_skipped"), ["hi"]);
    assert!(
        !names(&from, "step_cached").contains(&"o".to_string()),
        "unrelated steps take no part"
    );

    let bad = s.run(&["run", "shapes.mlf", "--only", "nope"]);
    bad.expect(2);
    assert!(bad.stderr.contains("has no step `nope`"), "{}", bad.stderr);
}

#[test]
fn jobs_bounds_how_many_steps_run_at_once() {
    let s = Scratch::new();
    s.write(
        "p.mlf",
        r#"
op nap(i: int) -> (out: int) {
  shell """
    sleep 0.3
    echo ${i} > ${out}
  """
}
pipeline p(items: list<int> = [1, 2, 3, 4, 5]) {
  for i in items {
    step n = nap(i: i)
  }
}
"#,
    );
    for jobs in [1usize, 2, 3] {
        let ran = s.run(&[
            "run",
            "p.mlf",
            "--jobs",
            &jobs.to_string(),
            "--no-cache",
            "--events",
            "json",
        ]);
        ran.expect(0);
        let mut running = 0usize;
        let mut most = 0usize;
        for event in ran.events() {
            match event["event"].as_str().unwrap() {
                "step_started" => running += 1,
                "step_succeeded" | "step_failed" => running -= 1,
                _ => {}
            }
            most = most.max(running);
        }
        assert_eq!(most, jobs, "--jobs {jobs}");
    }
}

#[test]
fn the_event_stream_is_one_json_object_per_line() {
    let s = Scratch::new();
    s.write("shapes.mlf", SHAPES);
    let ran = s.run(&["run", "shapes.mlf", "--events", "json"]);
    ran.expect(0);
    let events = ran.events();
    assert_eq!(events[0]["event"], "run_started");
    assert_eq!(events.last().unwrap()["event"], "run_finished");
    let run_id = events[0]["run_id"].clone();
    let mut order: HashMap<String, Vec<String>> = HashMap::new();
    for event in &events {
        assert_eq!(event["run_id"], run_id);
        assert!(event["time_ms"].as_i64().unwrap() > 0);
        if let Some(step) = event["step"].as_str() {
            let key = format!("{step}{}", event["element"]);
            order
                .entry(key)
                .or_default()
                .push(event["event"].as_str().unwrap().to_string());
        }
    }
    for (step, kinds) in &order {
        if kinds.contains(&"step_succeeded".to_string()) {
            assert_eq!(
                kinds,
                &["step_queued", "step_started", "step_succeeded"],
                "{step}"
            );
        }
    }
    let succeeded = ran.events_of("step_succeeded");
    let sq = succeeded
        .iter()
        .find(|e| e["step"] == "sq" && e["element"] == serde_json::json!([2, 1]))
        .unwrap();
    assert_eq!(sq["outputs"]["v"], 4);
    assert_eq!(sq["attempt"], 1);
    assert!(sq["duration_ms"].is_u64());
    assert!(std::path::Path::new(sq["log_path"].as_str().unwrap()).is_file());
    let acc = succeeded.iter().find(|e| e["step"] == "acc").unwrap();
    assert!(acc.get("element").is_none(), "no element outside loops");
    let started = &events[0];
    assert_eq!(started["pipeline"], "shapes");
    assert_eq!(started["params"]["n"], 3);

    // A failure carries the reason and the log's tail.
    s.write(
        "bad.mlf",
        r#"
op boom() -> (out: File) {
  shell """
    echo "no luck"
    exit 4
  """
}
pipeline p() {
  step b = boom()
}
"#,
    );
    let failed = s.run(&["run", "bad.mlf", "--events", "json"]);
    failed.expect(1);
    let event = &failed.events_of("step_failed")[0];
    assert_eq!(event["error"], "exited with status 4");
    assert_eq!(event["exit_code"], 4);
    assert_eq!(event["log_tail"], serde_json::json!(["no luck"]));
    let end = finished(&failed);
    assert_eq!(end["status"], "failed");
    assert_eq!(end["counts"]["failed"], 1);
}

#[test]
fn bad_usage_exits_2_with_one_clear_message() {
    let s = Scratch::new();
    s.write("shapes.mlf", SHAPES);
    s.write(
        "need.mlf",
        r#"
op show(d: Dataset, k: int) -> (out: File) {
  shell """
    cp ${d} ${out}
  """
}
pipeline p(raw: Dataset, k: int = 1) {
  step s = show(d: raw, k: k)
}
"#,
    );
    let cases: &[(&[&str], &str)] = &[
        (
            &["run", "shapes.mlf", "--param", "nope=1"],
            "unknown param `nope`; pipeline `shapes` takes n: int, big: int",
        ),
        (
            &["run", "shapes.mlf", "--param", "n=three"],
            "bad value for param `n` (int): `three` is not an int",
        ),
        (
            &["run", "shapes.mlf", "--param", "n"],
            "--param takes NAME=VALUE, got `n`",
        ),
        (
            &["run", "shapes.mlf", "--param", "n=1", "--param", "n=2"],
            "--param n is given twice",
        ),
        (
            &["run", "shapes.mlf", "--jobs", "0"],
            "--jobs must be at least 1",
        ),
        (
            &["run", "need.mlf"],
            "param `raw` (Dataset) needs a value: add --param raw=PATH",
        ),
        (
            &["run", "need.mlf", "--param", "raw=missing.csv"],
            "param `raw`: cannot read `missing.csv`",
        ),
        (
            &["run", "need.mlf", "--param", "raw=."],
            "param `raw` is a Dataset (a file), but `.` is a folder",
        ),
        (&["run", "missing.mlf"], "cannot read `missing.mlf`"),
        (
            &["plan", "shapes.mlf", "--param", "big=[1]"],
            "bad value for param `big` (int)",
        ),
    ];
    for (args, message) in cases {
        let ran = s.run(args);
        ran.expect(2);
        assert!(ran.stderr.contains(message), "{args:?}: {}", ran.stderr);
    }
    // A file with errors: its diagnostics, exit 1, nothing recorded.
    s.write("broken.mlf", "pipeline p() {\n  step a = nothing()\n}\n");
    let broken = s.run(&["run", "broken.mlf"]);
    broken.expect(1);
    assert!(!s.store_root().join("lineage.db").exists() || s.runs().is_empty());
    // A list param as JSON, and an artifact param given as a path.
    s.write("data.csv", "x\n1\n");
    s.run(&[
        "run",
        "need.mlf",
        "--param",
        "raw=data.csv",
        "--param",
        "k=2",
    ])
    .expect(0);
}

#[test]
fn a_run_records_who_where_and_the_git_commit() {
    let s = Scratch::new();
    s.write("shapes.mlf", SHAPES);
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(s.path())
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
    };
    let Ok(init) = git(&["init", "-q"]) else {
        run_support::missing_tool("git is not installed");
        return;
    };
    assert!(init.status.success());
    git(&["add", "shapes.mlf"]).unwrap();
    assert!(git(&["commit", "-q", "-m", "first"])
        .unwrap()
        .status
        .success());
    let head = String::from_utf8(git(&["rev-parse", "HEAD"]).unwrap().stdout).unwrap();
    s.run(&["run", "shapes.mlf"]).expect(0);
    let run = s.latest_run();
    assert_eq!(run.git_commit.as_deref(), Some(head.trim()));
    assert_eq!(run.host, mlforge_store::host_name());
    assert!(run.user.is_some());
    assert_eq!(run.uuid.len(), 36);
    let text = std::fs::read(s.path().join("shapes.mlf")).unwrap();
    assert_eq!(run.file_hash, mlforge_store::sha256_hex(&text));
    // The IR that ran is kept with the run.
    let ir = s.lineage().program(&run.program_hash).unwrap().unwrap();
    let ir: serde_json::Value = serde_json::from_str(&ir).expect("the kept IR is JSON");
    assert_eq!(ir["pipeline"], "shapes");
}
