//! Step process groups must not outlive a runner that is killed outright (SIGKILL, OOM).
//!
//! A runner that exits normally kills every group itself (see [`crate::exec`]). One that is
//! killed cannot, so the first spawn starts a watchdog: a small `sh` in its own process
//! group that reads `add PGID` / `del PGID` lines from a pipe. When the pipe closes — the
//! runner exited or died — it stops every group still listed, which after a normal exit is
//! none: SIGTERM to the group's leader, the step's keeper (`contain.rs`), which kills every
//! process of the step wherever it moved, then SIGKILL to the group after two seconds in
//! case the keeper could not. The pipe's write end is close-on-exec, so step processes never hold it open.
//!
//! The watchdog is per process, like the groups it guards, hence a process-wide static.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::{ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};

const WATCHDOG: &str = r#"
groups=""
while read -r op pg; do
  case "$op" in
    add) groups="$groups $pg" ;;
    del) kept=""; for g in $groups; do [ "$g" = "$pg" ] || kept="$kept $g"; done; groups=$kept ;;
  esac
done
for g in $groups; do kill -TERM "$g" 2>/dev/null; done
[ -n "$groups" ] && sleep 2
for g in $groups; do kill -9 "-$g" 2>/dev/null; done
"#;

static WATCHDOG_INPUT: OnceLock<Option<Mutex<ChildStdin>>> = OnceLock::new();

fn watchdog() -> Option<&'static Mutex<ChildStdin>> {
    WATCHDOG_INPUT
        .get_or_init(|| {
            let mut child = Command::new("sh")
                .args(["-c", WATCHDOG, "mlforge-watchdog"])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                // Its own group: a Ctrl-C meant for the runner must not stop the watchdog.
                .process_group(0)
                .spawn()
                .ok()?;
            child.stdin.take().map(Mutex::new)
        })
        .as_ref()
}

fn send(line: &str) {
    // Best effort: without a watchdog, groups are still killed on every normal exit path.
    if let Some(input) = watchdog() {
        if let Ok(mut input) = input.lock() {
            let _ = input.write_all(line.as_bytes());
        }
    }
}

/// Asks the watchdog to kill `group` if this process dies before [`release`].
pub fn guard(group: u32) {
    send(&format!("add {group}\n"));
}

/// The group is gone (killed by us); the watchdog forgets it.
pub fn release(group: u32) {
    send(&format!("del {group}\n"));
}
