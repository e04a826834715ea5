//! What `run`, `runs`, `logs` and `plan` say, with the real binary: counts that say what
//! they count (and agree), plurals, `--only` without the params of reused steps, `plan`
//! with the interpreter the last run used, and a cached log that ends without a newline.

mod run_support;

use run_support::Scratch;

const LOOPS: &str = r#"
op make(n: int) -> (xs: list<int>) {
  python """
    import json
    open(${xs}, "w").write(json.dumps(list(range(${n}))))
  """
}

op twice(x: int) -> (y: int) {
  shell """
    printf -- '%s' "$((${x} * 2))" > ${y}
    printf 'doubled %s' ${x}
  """
}

pipeline p(n: int) {
  step m = make(n: n)
  for x in m.xs {
    step t = twice(x: x)
  }
}
"#;

/// Standard error with durations taken out.
fn steady(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let words: Vec<String> = line
            .split(' ')
            .map(|w| {
                let number = w.trim_end_matches(['s', ':', ',']);
                if w.contains('s') && number.contains('.') && number.parse::<f64>().is_ok() {
                    "<time>".to_string()
                } else {
                    w.to_string()
                }
            })
            .collect();
        out.push_str(&words.join(" "));
        out.push('\n');
    }
    out
}

#[test]
fn the_header_and_the_totals_say_what_they_count() {
    let scratch = Scratch::new();
    scratch.write("p.mlf", LOOPS);
    let first = scratch.run(&["run", "p.mlf", "--param", "n=3", "--jobs", "1"]);
    first.expect(0);
    let second = scratch.run(&["run", "p.mlf", "--param", "n=1", "--jobs", "1"]);
    second.expect(0);
    let header = |ran: &run_support::Ran| ran.stderr.lines().next().unwrap().to_string();
    let last = |ran: &run_support::Ran| steady(ran.stderr.lines().last().unwrap());
    insta::assert_snapshot!(format!(
        "{}\n{}{}\n{}",
        header(&first),
        last(&first),
        header(&second),
        last(&second)
    ));

    let single = Scratch::new();
    single.write(
        "one.mlf",
        "op hi() -> (o: string) {\n  shell \"\"\"\n    echo hi > ${o}\n  \"\"\"\n}\npipeline one() {\n  step s = hi()\n}\n",
    );
    let ran = single.run(&["run", "one.mlf", "--jobs", "1"]);
    ran.expect(0);
    assert!(
        ran.stderr
            .contains("pipeline `one` from one.mlf: 1 step, at most 1 running at once"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr
            .contains(": 1 step: 1 ran, 0 cached, 0 skipped, 0 failed"),
        "{}",
        ran.stderr
    );
}

#[test]
fn runs_counts_step_instances_by_what_they_did() {
    let scratch = Scratch::new();
    scratch.write("p.mlf", LOOPS);
    scratch.run(&["run", "p.mlf", "--param", "n=2"]).expect(0);
    scratch.run(&["run", "p.mlf", "--param", "n=3"]).expect(0);
    let listed = scratch.run(&["runs"]);
    listed.expect(0);
    let lines: Vec<&str> = listed.stdout.lines().collect();
    assert!(lines[0].ends_with("STEPS"), "{}", listed.stdout);
    // Run 2: `m` and `t[2]` ran, `t[0]` and `t[1]` were cached.
    assert!(lines[1].ends_with("  2 ran, 2 cached"), "{}", listed.stdout);
    assert!(lines[2].ends_with("  3 ran"), "{}", listed.stdout);
}

#[test]
fn a_cached_log_without_a_final_newline_keeps_the_note_on_its_own_line() {
    let scratch = Scratch::new();
    scratch.write("p.mlf", LOOPS);
    scratch.run(&["run", "p.mlf", "--param", "n=1"]).expect(0);
    scratch.run(&["run", "p.mlf", "--param", "n=1"]).expect(0);
    let logs = scratch.run(&["logs", "latest", "t[0]"]);
    logs.expect(0);
    assert_eq!(logs.stdout, "doubled 0", "the log is printed as it is");
    assert!(
        logs.stderr
            .starts_with("\n(t[0] was cached: this is the log of the attempt it reused)"),
        "{:?}",
        logs.stderr
    );
}

#[test]
fn only_does_not_ask_for_params_that_only_reused_steps_read() {
    let scratch = Scratch::new();
    scratch.write("p.mlf", LOOPS);
    scratch.run(&["run", "p.mlf", "--param", "n=2"]).expect(0);
    // `t` reads only `m`'s output; `n` is read by `m`, whose latest result is reused.
    let ran = scratch.run(&["run", "p.mlf", "--only", "t"]);
    ran.expect(0);
    let plan = scratch.run(&["plan", "p.mlf", "--only", "t"]);
    plan.expect(0);
    assert!(
        plan.stdout.contains("will run       t[1]"),
        "{}",
        plan.stdout
    );
    // Resuming that run cannot make up the value it never had.
    let run = scratch.latest_run().id.to_string();
    let resumed = scratch.run(&["run", "p.mlf", "--resume", &run]);
    resumed.expect(2);
    assert!(
        resumed.stderr.contains(
            "has no value recorded for param `n` (the steps that read it were reused, not run)"
        ),
        "{}",
        resumed.stderr
    );
    // The step that runs still needs its params.
    let ran = scratch.run(&["run", "p.mlf", "--only", "m"]);
    ran.expect(2);
    assert!(
        ran.stderr.contains("param `n` (int) needs a value"),
        "{}",
        ran.stderr
    );
}

#[test]
fn plan_uses_the_interpreter_of_the_latest_run_when_none_is_chosen() {
    let scratch = Scratch::new();
    scratch.write("p.mlf", LOOPS);
    let python = which_python3();
    scratch
        .run(&["run", "p.mlf", "--param", "n=1", "--python", &python])
        .expect(0);
    let plan = scratch.run(&["plan", "p.mlf", "--param", "n=1"]);
    plan.expect(0);
    assert!(
        plan.stdout.contains(&format!(
            "python bodies planned with {python}, as run 1 used"
        )),
        "{}",
        plan.stdout
    );
    assert!(
        !plan.stdout.contains("environment changed"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("2 cached, 0 will run"),
        "{}",
        plan.stdout
    );
    // Naming another shows the change, with both interpreters.
    let other = scratch.run(&["plan", "p.mlf", "--param", "n=1", "--python", "python3"]);
    other.expect(0);
    assert!(
        other.stdout.contains(&format!(
            "environment changed (interpreter: \"{python}\" → \"python3\")"
        )),
        "{}",
        other.stdout
    );
}

/// python3's full path, which differs as text from `python3`.
fn which_python3() -> String {
    let output = std::process::Command::new("sh")
        .args(["-c", "command -v python3"])
        .output()
        .expect("sh runs");
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}
