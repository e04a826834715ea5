//! No process a step starts outlives the step, even one that leaves the step's process
//! group and session (`setsid`) or is double-forked: when the step succeeds, times out, is
//! cancelled, or the runner itself is killed. Outputs are hashed only when every process
//! is gone, so a leftover cannot write to a stored artifact.

mod run_support;

use std::path::Path;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use run_support::{alive, wait_for_file, Scratch};

/// The pids written one a line to `path` once there are `n` of them.
fn pids(path: &Path, n: usize) -> Vec<i32> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = wait_for_file(path);
        let pids: Vec<i32> = text.lines().filter_map(|l| l.trim().parse().ok()).collect();
        if pids.len() >= n || Instant::now() > deadline {
            return pids;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits up to `limit` for every pid to be gone; returns those still alive (and kills
/// them, so that a failing test leaves nothing behind).
fn survivors(pids: &[i32], limit: Duration) -> Vec<i32> {
    let deadline = Instant::now() + limit;
    while pids.iter().any(|&p| alive(p)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let left: Vec<i32> = pids.iter().copied().filter(|&p| alive(p)).collect();
    for &p in &left {
        let _ = kill(Pid::from_raw(p), Signal::SIGKILL);
    }
    left
}

/// One process in a new session holding the output open to write to it later, and one
/// double-forked (its parent exits at once). The body waits until both have written their
/// pid (the file may not exist yet: a loaded machine starts them late).
const ESCAPING: &str = r#"
    setsid sh -c 'echo $$ >> ${pids}; sleep 1; echo late; exec sleep 100' >> ${out} &
    sh -c 'sh -c "echo \$\$ >> ${pids}; exec sleep 100" &'
    until [ -f ${pids} ] && [ "$(wc -l < ${pids})" -ge 2 ]; do sleep 0.05; done
"#;

/// Starts a run whose step leaves two escaping processes and sleeps; returns the runner
/// once the step has started, with the two pids (and what keeps the runner's output read).
fn start_escaping_run(s: &Scratch) -> (std::process::Child, Vec<i32>, impl Sized) {
    s.write(
        "p.mlf",
        &format!(
            r#"
op slow(pids: string) -> (out: File) {{
  shell """
{ESCAPING}
    sleep 60
  """
}}
pipeline p(pids: string) {{
  step a = slow(pids: pids)
}}
"#
        ),
    );
    let file = s.path().join("pids");
    let param = format!("pids={}", file.display());
    let (child, _, reader) = s.start_until(
        &["run", "p.mlf", "--param", &param, "--events", "json"],
        |e| e["event"] == "step_started",
    );
    let started = pids(&file, 2);
    assert_eq!(started.len(), 2);
    (child, started, reader)
}

#[test]
fn processes_that_change_session_die_with_a_step_that_succeeds() {
    let s = Scratch::new();
    s.write(
        "p.mlf",
        &format!(
            r#"
op leak(pids: string) -> (out: File) {{
  shell """
    echo start > ${{out}}
{ESCAPING}
  """
}}
pipeline p(pids: string) {{
  step a = leak(pids: pids)
}}
"#
        ),
    );
    let file = s.path().join("pids");
    let param = format!("pids={}", file.display());
    s.run(&["run", "p.mlf", "--param", &param]).expect(0);
    let started = pids(&file, 2);
    assert_eq!(started.len(), 2);
    // Gone when the run returns, not merely soon after.
    assert_eq!(survivors(&started, Duration::ZERO), Vec::<i32>::new());
    // Had the process in the new session lived, it would have appended to the stored
    // output a second later.
    std::thread::sleep(Duration::from_millis(1500));
    let stored = s.artifact_path(&s.output(1, "a", "", "out"));
    assert_eq!(std::fs::read_to_string(stored).unwrap(), "start\n");
    s.assert_store_consistent();
}

#[test]
fn processes_that_change_session_die_with_a_step_that_times_out() {
    let s = Scratch::new();
    s.write(
        "p.mlf",
        &format!(
            r#"
op slow(pids: string) -> (out: File) {{
  timeout = 1s
  shell """
{ESCAPING}
    sleep 60
  """
}}
pipeline p(pids: string) {{
  step a = slow(pids: pids)
}}
"#
        ),
    );
    let file = s.path().join("pids");
    let param = format!("pids={}", file.display());
    let ran = s.run(&["run", "p.mlf", "--param", &param]);
    ran.expect(1);
    assert!(ran.stderr.contains("timed out after 1s"), "{}", ran.stderr);
    let started = pids(&file, 2);
    assert_eq!(started.len(), 2);
    assert_eq!(survivors(&started, Duration::ZERO), Vec::<i32>::new());
}

#[test]
fn processes_that_change_session_die_when_the_runner_is_killed() {
    let s = Scratch::new();
    let (mut child, started, _reader) = start_escaping_run(&s);
    kill(Pid::from_raw(child.id() as i32), Signal::SIGKILL).unwrap();
    child.wait().unwrap();
    assert_eq!(
        survivors(&started, Duration::from_secs(10)),
        Vec::<i32>::new()
    );
}

#[test]
fn processes_that_change_session_die_when_the_run_is_cancelled() {
    let s = Scratch::new();
    let (mut child, started, _reader) = start_escaping_run(&s);
    // Ctrl-C: the run cancels its steps and ends only when their processes are gone.
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    assert_eq!(survivors(&started, Duration::ZERO), Vec::<i32>::new());
}
