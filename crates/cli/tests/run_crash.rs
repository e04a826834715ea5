//! Crash consistency: a runner killed with SIGKILL leaves the lineage database intact, no
//! partial artifact in the store, and `--resume` (or a plain re-run) finishes the work.

mod run_support;

use std::time::Duration;

use mlforge_store::{AttemptStatus, RunStatus};
use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::Pid;
use run_support::{group_alive, status_of, wait_for_file, Scratch};

const SLEEPER: &str = r#"
op first() -> (out: File) {
  shell """
    echo one > ${out}
  """
}
op nap(x: File, marker: string, pids: string) -> (out: File) {
  shell """
    echo $$ > ${pids}
    if [ ! -e ${marker} ]; then sleep 60; fi
    cp ${x} ${out}
  """
}
op last(x: File) -> (out: File) {
  shell """
    cat ${x} ${x} > ${out}
  """
}
pipeline p(marker: string, pids: string) {
  step a = first()
  step b = nap(x: a.out, marker: marker, pids: pids)
  step c = last(x: b.out)
}
"#;

#[test]
fn sigkill_mid_run_leaves_a_consistent_store_and_resume_finishes() {
    let s = Scratch::new();
    s.write("p.mlf", SLEEPER);
    let marker = s.path().join("marker");
    let pids = s.path().join("pids");
    let (marker_param, pids_param) = (
        format!("marker={}", marker.display()),
        format!("pids={}", pids.display()),
    );
    let (mut child, _, _reader) = s.start_until(
        &[
            "run",
            "p.mlf",
            "--param",
            &marker_param,
            "--param",
            &pids_param,
            "--events",
            "json",
        ],
        |e| e["event"] == "step_started" && e["step"] == "b",
    );
    let sleeper: i32 = wait_for_file(&pids).trim().parse().unwrap();
    kill(Pid::from_raw(child.id() as i32), Signal::SIGKILL).unwrap();
    child.wait().unwrap();
    // The step runs in its own process group (`sh` and its `sleep`); the runner's
    // watchdog kills that group once the runner is gone.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while group_alive(sleeper) && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let survived = group_alive(sleeper);
    let _ = killpg(Pid::from_raw(sleeper), Signal::SIGKILL);
    assert!(!survived, "the running step outlived the SIGKILLed runner");

    s.assert_store_consistent();
    let crashed = s.latest_run();
    assert_eq!(crashed.status, RunStatus::Interrupted);
    assert!(crashed.ended_ms.is_none());
    let attempts = s.attempts(crashed.id);
    assert_eq!(status_of(&attempts, "a"), [AttemptStatus::Succeeded]);
    assert_eq!(status_of(&attempts, "b"), [AttemptStatus::Interrupted]);
    assert!(status_of(&attempts, "c").is_empty());

    std::fs::write(&marker, "go").unwrap();
    let resumed = s.run(&[
        "run",
        "p.mlf",
        "--resume",
        &crashed.id.to_string(),
        "--no-cache",
        "--events",
        "json",
    ]);
    resumed.expect(0);
    // `a` succeeded before the crash: reused even with --no-cache; b and c run.
    let cached = resumed.events_of("step_cached");
    assert_eq!(cached.len(), 1);
    assert_eq!(cached[0]["step"], "a");
    assert_eq!(cached[0]["from_run"], crashed.id);
    let ran: Vec<_> = resumed
        .events_of("step_succeeded")
        .iter()
        .map(|e| e["step"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ran, ["b", "c"]);

    let run = s.latest_run();
    assert_eq!(run.status, RunStatus::Succeeded);
    assert_eq!(run.resumed_from, Some(crashed.id));
    assert_eq!(run.params, crashed.params, "a resumed run keeps its params");
    let out = s.output(run.id, "c", "", "out");
    assert_eq!(
        std::fs::read_to_string(s.artifact_path(&out)).unwrap(),
        "one\none\n"
    );
    // The attempt folders the crashed run left are gone with the resume.
    let left = s.store_root().join("work").join(crashed.id.to_string());
    assert!(!left.exists(), "{} is left after --resume", left.display());
    // The crashed run's record is untouched: still without an end.
    assert_eq!(
        s.lineage().run(crashed.id).unwrap().unwrap().status,
        RunStatus::Interrupted
    );
    s.assert_store_consistent();

    // Usage errors of --resume.
    s.run(&["run", "p.mlf", "--resume", "99"]).expect(2);
    s.run(&["run", "p.mlf", "--resume", "1", "--param", "marker=x"])
        .expect(2);
}

const MANY: &str = r#"
op make(i: int) -> (blob: File, n: int) {
  python """
    import os
    with open(${blob}, "wb") as f:
        f.write(os.urandom(1 << 18) + str(${i}).encode())
    open(${n}, "w").write(str(${i}))
  """
}
op folder(i: int) -> (d: Dir) {
  shell """
    mkdir ${d}/sub
    head -c 100000 /dev/urandom > ${d}/sub/data
    echo ${i} > ${d}/i
  """
}
op total(ns: list<int>, blobs: list<File>) -> (sum: int) {
  python """
    open(${sum}, "w").write(str(sum(${ns})))
  """
}
pipeline p(items: list<int>) {
  for i in items {
    step m = make(i: i)
    step f = folder(i: i)
  }
  step t = total(ns: m.n, blobs: m.blob)
}
"#;

#[test]
fn killed_at_any_moment_the_store_stays_whole_and_a_rerun_completes() {
    let s = Scratch::new();
    s.write("p.mlf", MANY);
    let items: Vec<u32> = (0..24).collect();
    let param = format!("items={}", serde_json::to_string(&items).unwrap());
    for delay_ms in [40u64, 120, 250, 400, 700] {
        let mut child = s
            .command(&["run", "p.mlf", "--param", &param])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGKILL);
        child.wait().unwrap();
        // Orphaned steps finish in their own folders; they never touch the store.
        std::thread::sleep(Duration::from_millis(50));
        if s.store_root().join("lineage.db").exists() {
            s.assert_store_consistent();
        }
    }
    let done = s.run(&["run", "p.mlf", "--param", &param, "--events", "json"]);
    done.expect(0);
    let run = s.latest_run();
    assert_eq!(s.output(run.id, "t", "", "sum"), 276);
    s.assert_store_consistent();
    // Every interrupted run reads as interrupted, and nothing else is half-recorded.
    for run in s.runs() {
        assert!(
            matches!(run.status, RunStatus::Interrupted | RunStatus::Succeeded),
            "run {} is {}",
            run.id,
            run.status
        );
        for attempt in s.attempts(run.id) {
            if run.status == RunStatus::Succeeded {
                assert!(attempt.status.has_outputs(), "{attempt:?}");
            }
        }
    }
}
