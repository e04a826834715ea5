//! Failures each leave a correct record: a non-zero exit, a missing output, a wrong
//! scalar output, a timeout, a retried flake, and cancellation with Ctrl-C.

mod run_support;

use std::time::{Duration, Instant};

use mlforge_store::{AttemptStatus, RunStatus};
use run_support::{alive, status_of, wait_for_file, Scratch};

const FAILING: &str = r#"
op boom() -> (out: File) {
  shell """
    echo "about to fail"
    echo "line two" >&2
    exit 3
  """
}

op fine() -> (out: File) {
  shell """
    echo ok > ${out}
  """
}

op after_boom(x: File) -> (out: File) {
  shell """
    cp ${x} ${out}
  """
}

pipeline p() {
  step a = boom()
  step b = fine()
  step c = after_boom(x: a.out)
}
"#;

#[test]
fn a_step_exiting_non_zero_fails_the_run_with_its_log() {
    let s = Scratch::new();
    s.write("p.mlf", FAILING);
    let ran = s.run(&["run", "p.mlf"]);
    ran.expect(1);
    assert!(
        ran.stderr
            .contains("step `a` failed (attempt 1): exited with status 3"),
        "{}",
        ran.stderr
    );
    assert!(ran.stderr.contains("| about to fail"), "{}", ran.stderr);
    assert!(ran.stderr.contains("| line two"), "{}", ran.stderr);

    let run = s.latest_run();
    assert_eq!(run.status, RunStatus::Failed);
    assert!(run.error.as_deref().unwrap().contains("step `a` failed"));
    let attempts = s.attempts(run.id);
    let a = attempts.iter().find(|x| x.step == "a").unwrap();
    assert_eq!(a.status, AttemptStatus::Failed);
    assert_eq!(a.exit_code, Some(3));
    assert_eq!(a.error.as_deref(), Some("exited with status 3"));
    let log = std::fs::read_to_string(a.log_path.as_ref().unwrap()).unwrap();
    assert_eq!(log, "about to fail\nline two\n");
    // `c` depends on the failed step: never started, so never recorded.
    assert!(status_of(&attempts, "c").is_empty());
    assert_eq!(s.lineage().outputs(a.id).unwrap().len(), 0);
    s.assert_store_consistent();
}

#[test]
fn a_missing_output_fails_the_step() {
    let s = Scratch::new();
    s.write(
        "p.mlf",
        r#"
op lazy() -> (model: Model, note: File) {
  python """
    open(${note}, "w").write("hi")
    print("forgot the model")
  """
}
pipeline p() {
  step fit = lazy()
}
"#,
    );
    let ran = s.run(&["run", "p.mlf"]);
    ran.expect(1);
    assert!(
        ran.stderr.contains("output `model` was not written"),
        "{}",
        ran.stderr
    );
    let run = s.latest_run();
    let attempt = &s.attempts_of(run.id, "fit")[0];
    assert_eq!(attempt.status, AttemptStatus::Failed);
    assert_eq!(attempt.exit_code, Some(0));
    assert_eq!(
        attempt.error.as_deref(),
        Some("output `model` was not written")
    );
    // Nothing of a failed attempt reaches the store: not even the output it did write.
    let objects = std::fs::read_dir(s.store_root().join("artifacts"))
        .unwrap()
        .count();
    assert_eq!(objects, 0);
    s.assert_store_consistent();
}

#[test]
fn a_scalar_output_of_the_wrong_type_fails_with_the_text_and_the_type() {
    let s = Scratch::new();
    s.write(
        "p.mlf",
        r#"
op wrong() -> (score: float) {
  python """
    open(${score}, "w").write("not a number\n")
  """
}
op bad_metrics() -> (report: Metrics) {
  python """
    open(${report}, "w").write('{"acc": "high"}')
  """
}
pipeline p() {
  step w = wrong()
}
pipeline q() {
  step m = bad_metrics()
}
"#,
    );
    let ran = s.run(&["run", "p.mlf", "--pipeline", "p"]);
    ran.expect(1);
    let expected = "output `score` holds `not a number`, which is not a float";
    assert!(ran.stderr.contains(expected), "{}", ran.stderr);
    let attempt = &s.attempts_of(s.latest_run().id, "w")[0];
    assert_eq!(attempt.error.as_deref(), Some(expected));

    let ran = s.run(&["run", "p.mlf", "--pipeline", "q"]);
    ran.expect(1);
    assert!(
        ran.stderr.contains(
            "output `report` (Metrics) holds `acc: \"high\"`; every entry must be a number"
        ),
        "{}",
        ran.stderr
    );
}

#[test]
fn a_timeout_kills_the_whole_process_group() {
    let s = Scratch::new();
    s.write(
        "p.mlf",
        r#"
op slow(pids: string) -> (out: File) {
  timeout = 1s
  shell """
    sleep 60 &
    echo $! > ${pids}
    sleep 60
  """
}
pipeline p(pids: string) {
  step nap = slow(pids: pids)
}
"#,
    );
    let pids = s.path().join("pids");
    let param = format!("pids={}", pids.display());
    let started = Instant::now();
    let ran = s.run(&["run", "p.mlf", "--param", &param]);
    ran.expect(1);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(ran.stderr.contains("timed out after 1s"), "{}", ran.stderr);
    let attempt = &s.attempts_of(s.latest_run().id, "nap")[0];
    assert_eq!(attempt.status, AttemptStatus::TimedOut);
    assert_eq!(attempt.error.as_deref(), Some("timed out after 1s"));
    // The background grandchild died with its group.
    let pid: i32 = wait_for_file(&pids).trim().parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !alive(pid),
        "the step's background process {pid} survived the timeout"
    );
    assert_eq!(s.latest_run().status, RunStatus::Failed);
}

#[test]
fn a_flaky_step_succeeds_on_its_second_attempt() {
    let s = Scratch::new();
    s.write(
        "p.mlf",
        r#"
op flaky(marker: string) -> (n: int) {
  retries = 2
  shell """
    if [ -e ${marker} ]; then
      echo 7 > ${n}
    else
      touch ${marker}
      echo "flaked" >&2
      exit 1
    fi
  """
}
pipeline p(marker: string) {
  step f = flaky(marker: marker)
}
"#,
    );
    let param = format!("marker={}", s.path().join("marker").display());
    let ran = s.run(&["run", "p.mlf", "--param", &param, "--events", "json"]);
    ran.expect(0);
    let retrying = ran.events_of("step_retrying");
    assert_eq!(retrying.len(), 1);
    assert_eq!(retrying[0]["attempt"], 1);
    assert_eq!(retrying[0]["delay_ms"], 500);
    assert_eq!(retrying[0]["error"], "exited with status 1");
    let succeeded = ran.events_of("step_succeeded");
    assert_eq!(succeeded[0]["attempt"], 2);
    assert_eq!(succeeded[0]["outputs"]["n"], 7);

    let run = s.latest_run();
    assert_eq!(run.status, RunStatus::Succeeded);
    let attempts = s.attempts_of(run.id, "f");
    assert_eq!(
        attempts
            .iter()
            .map(|a| (a.attempt, a.status))
            .collect::<Vec<_>>(),
        [(1, AttemptStatus::Failed), (2, AttemptStatus::Succeeded)]
    );
    let first_log = std::fs::read_to_string(attempts[0].log_path.as_ref().unwrap()).unwrap();
    assert_eq!(first_log, "flaked\n");
    assert_ne!(
        attempts[0].log_path, attempts[1].log_path,
        "one log per attempt"
    );
    assert_eq!(s.output(run.id, "f", "", "n"), 7);
}

#[test]
fn ctrl_c_cancels_running_steps_and_records_the_run_as_cancelled() {
    let s = Scratch::new();
    s.write(
        "p.mlf",
        r#"
op sleepy(pids: string) -> (out: File) {
  shell """
    echo $$ > ${pids}
    sleep 60
    echo done > ${out}
  """
}
op later(x: File) -> (out: File) {
  shell """
    cp ${x} ${out}
  """
}
pipeline p(pids: string) {
  step nap = sleepy(pids: pids)
  step next = later(x: nap.out)
}
"#,
    );
    let pids = s.path().join("pids");
    let param = format!("pids={}", pids.display());
    let (mut child, _, _reader) = s.start_until(
        &["run", "p.mlf", "--param", &param, "--events", "json"],
        |e| e["event"] == "step_started",
    );
    let step_pid: i32 = wait_for_file(&pids).trim().parse().unwrap();
    assert!(alive(step_pid));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let started = Instant::now();
    let status = child.wait().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "cancelling took too long"
    );
    assert_eq!(status.code(), Some(1));
    assert!(!alive(step_pid), "the running step survived Ctrl-C");

    let run = s.latest_run();
    assert_eq!(run.status, RunStatus::Cancelled);
    let attempts = s.attempts(run.id);
    assert_eq!(status_of(&attempts, "nap"), [AttemptStatus::Cancelled]);
    assert!(status_of(&attempts, "next").is_empty());
    s.assert_store_consistent();
    let shown = s.run(&["show", &run.id.to_string()]);
    assert!(shown.stdout.contains("cancelled"), "{}", shown.stdout);
}

#[test]
fn a_project_module_outside_the_import_folders_is_not_something_to_install() {
    let s = Scratch::new();
    s.write("helpers.py", "def one():\n    return 1\n");
    s.write(
        "pipelines/p.mlf",
        r#"
op use_helper() -> (n: int) {
  uses = ["../helpers.py"]
  python def """
    from helpers import one
    return one()
  """
}

pipeline p() {
  step a = use_helper()
}
"#,
    );
    let ran = s.run(&["run", "pipelines/p.mlf"]);
    ran.expect(1);
    assert!(
        ran.stderr.contains(
            "hint: the module `helpers` is the project's own pipelines/../helpers.py (in the op's `uses`), but python bodies import only from the project root"
        ),
        "{}",
        ran.stderr
    );
    assert!(!ran.stderr.contains("pip install"), "{}", ran.stderr);
    // With the project's root above both, the body imports it.
    s.write("mlforge.toml", "");
    s.run(&["run", "pipelines/p.mlf"]).expect(0);
}

#[test]
fn a_missing_python_module_names_the_interpreter_and_how_to_choose_another() {
    let s = Scratch::new();
    s.write(
        "p.mlf",
        r#"
op needs() -> (out: File) {
  python """
    import mlforge_no_such_module.sub
    open(${out}, "w").write("never")
  """
}

pipeline p() {
  step a = needs()
}
"#,
    );
    let ran = s.run(&["run", "p.mlf", "--python", "python3"]);
    ran.expect(1);
    assert!(
        ran.stderr.contains(
            "hint: the Python module `mlforge_no_such_module` is not installed for the interpreter that ran the step, python3 (/"
        ),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr
            .contains("`python3 -m pip install mlforge_no_such_module`"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr
            .contains("--python PATH, the MLFORGE_PYTHON variable"),
        "{}",
        ran.stderr
    );
    // Other failures get no such hint.
    s.write("q.mlf", FAILING);
    let other = s.run(&["run", "q.mlf"]);
    other.expect(1);
    assert!(!other.stderr.contains("hint:"), "{}", other.stderr);
}
