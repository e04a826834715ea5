//! No process a step starts outlives the step, even one that leaves the step's process
//! group or session (`setsid`, `setpgid`, a double fork).
//!
//! Between `fork` and `exec`, the step's first process (the *keeper*) makes itself a child
//! subreaper (`prctl(PR_SET_CHILD_SUBREAPER)`) and forks again; the second child execs the
//! body. A process of the step whose parent dies is re-parented to the keeper instead of
//! init, whatever group or session it moved to, so every process of the step stays below
//! the keeper. When the body exits, the keeper kills what is left below it, level by level
//! (killing a process re-parents its children to the keeper), reaps it all, and exits with
//! the body's status. The runner waits for the keeper, so an attempt ends, and its outputs
//! are hashed, only when every process of the step is gone.
//!
//! The runner stops a step (timeout, cancel) with SIGTERM to the keeper, which kills the
//! body and then everything else the same way; the keeper gets SIGTERM too when the
//! runner dies (`PR_SET_PDEATHSIG`), and from the watchdog ([`crate::reaper`]).
//!
//! The keeper runs in the forked child of a multi-threaded process, where only
//! async-signal-safe calls are allowed: no allocation, no locks. Its children are found by
//! reading `/proc/<pid>/stat` with raw `open`/`read`/`getdents64` into stack buffers.
//! That is why this module, alone in the runner, uses `unsafe`.
#![allow(unsafe_code)]

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// The body's pid, for the keeper's SIGTERM handler.
static BODY: AtomicI32 = AtomicI32::new(0);
/// Set by the keeper's SIGTERM handler.
static STOPPING: AtomicBool = AtomicBool::new(false);

extern "C" fn on_stop(_: libc::c_int) {
    STOPPING.store(true, Ordering::SeqCst);
    let body = BODY.load(Ordering::SeqCst);
    if body > 0 {
        // SAFETY: kill is async-signal-safe.
        unsafe { libc::kill(body, libc::SIGKILL) };
    }
}

/// Makes `command`'s process a keeper of the step's processes (see the module's notes).
pub fn keep(command: &mut tokio::process::Command) {
    let runner = std::process::id() as libc::pid_t;
    // SAFETY: `split_keeper` makes only async-signal-safe calls, as a `pre_exec` hook must.
    unsafe {
        command.pre_exec(move || split_keeper(runner));
    }
}

/// Asks a keeper to stop its step: it kills the body, then everything below it, and exits.
pub fn stop(keeper: u32) {
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(keeper as libc::pid_t),
        nix::sys::signal::Signal::SIGTERM,
    );
}

/// Runs in the child between `fork` and `exec` (a `pre_exec` hook). Returns only in the
/// body's process, which then execs; the keeper never returns.
///
/// `runner` is the runner's pid: a keeper whose runner is already gone ends at once.
///
/// # Safety
/// Must be called only in a freshly forked child, before `exec`.
unsafe fn split_keeper(runner: libc::pid_t) -> std::io::Result<()> {
    let keeper = libc::getpid();
    if libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // The runner dying (even by SIGKILL) stops the step.
    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM, 0, 0, 0);
    let mut action: libc::sigaction = std::mem::zeroed();
    action.sa_sigaction = on_stop as extern "C" fn(libc::c_int) as libc::sighandler_t;
    libc::sigemptyset(&mut action.sa_mask);
    // No SA_RESTART: the keeper's waitpid returns EINTR.
    action.sa_flags = 0;
    for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        libc::sigaction(signal, &action, std::ptr::null_mut());
    }
    // The parent's SIGCHLD handler (tokio's) must not run here.
    libc::signal(libc::SIGCHLD, libc::SIG_DFL);
    // The runner may already be gone (PDEATHSIG only covers a death after the prctl).
    if libc::getppid() != runner {
        libc::_exit(128 + libc::SIGTERM);
    }
    let body = libc::fork();
    if body < 0 {
        return Err(std::io::Error::last_os_error());
    }
    if body == 0 {
        // The body: the handlers go back to their defaults before exec.
        for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
            libc::signal(signal, libc::SIG_DFL);
        }
        return Ok(());
    }
    BODY.store(body, Ordering::SeqCst);
    // The keeper holds no file of the runner's: among them is the pipe on which the body's
    // exec reports failure to the runner, which waits for every copy of it to close.
    close_close_on_exec_files();
    if STOPPING.load(Ordering::SeqCst) {
        libc::kill(body, libc::SIGKILL);
    }
    let status = wait_for(body);
    kill_all_below(keeper);
    exit_like(status)
}

/// Waits for `body`, reaping the orphans that come to the keeper meanwhile.
unsafe fn wait_for(body: libc::pid_t) -> libc::c_int {
    loop {
        let mut status = 0;
        let pid = libc::waitpid(-1, &mut status, 0);
        if pid == body {
            return status;
        }
        if pid < 0 && errno() == libc::ECHILD {
            // Cannot happen while the body is unreaped; end as if it was killed.
            return libc::SIGKILL;
        }
    }
}

/// Kills and reaps every process below the keeper: its children, then the children
/// re-parented to it as their parents die, until it has none.
unsafe fn kill_all_below(keeper: libc::pid_t) {
    loop {
        // Reap what has ended; with no child left (the usual case: nothing escaped) the
        // keeper is done without looking through /proc.
        loop {
            let mut status = 0;
            let pid = libc::waitpid(-1, &mut status, libc::WNOHANG);
            if pid > 0 {
                continue;
            }
            if pid < 0 && errno() == libc::ECHILD {
                return;
            }
            break;
        }
        let killed = for_each_child(keeper, |pid| {
            libc::kill(pid, libc::SIGKILL);
        });
        if killed == 0 {
            // Children that are dying, or not yet seen in /proc.
            libc::usleep(1000);
        }
    }
}

fn errno() -> libc::c_int {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// Closes every descriptor marked close-on-exec (listed from `/proc/self/fd`).
unsafe fn close_close_on_exec_files() {
    let dir = libc::open(
        c"/proc/self/fd".as_ptr(),
        libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
    );
    if dir < 0 {
        return;
    }
    for_each_entry(dir, |name| {
        if let Some(fd) = parse_pid(name) {
            if fd > 2 && fd != dir && libc::fcntl(fd, libc::F_GETFD) & libc::FD_CLOEXEC != 0 {
                libc::close(fd);
            }
        }
    });
    libc::close(dir);
}

/// Calls `f` with each entry name (NUL-terminated bytes) of an open folder.
unsafe fn for_each_entry(dir: libc::c_int, mut f: impl FnMut(&[u8])) {
    let mut buf = [0u8; 4096];
    loop {
        let n = libc::syscall(libc::SYS_getdents64, dir, buf.as_mut_ptr(), buf.len());
        if n <= 0 {
            return;
        }
        let mut offset = 0usize;
        while offset < n as usize {
            // struct linux_dirent64 { u64 ino; i64 off; u16 reclen; u8 type; char name[]; }
            let reclen = u16::from_ne_bytes([buf[offset + 16], buf[offset + 17]]) as usize;
            f(&buf[offset + 19..offset + reclen]);
            offset += reclen;
        }
    }
}

/// Calls `f` for every live process whose parent is `parent`; returns how many.
unsafe fn for_each_child(parent: libc::pid_t, mut f: impl FnMut(libc::pid_t)) -> usize {
    let proc_dir = libc::open(
        c"/proc".as_ptr(),
        libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
    );
    if proc_dir < 0 {
        return 0;
    }
    let mut count = 0;
    for_each_entry(proc_dir, |name| {
        if let Some(pid) = parse_pid(name) {
            if pid != parent && parent_of(pid) == Some(parent) {
                f(pid);
                count += 1;
            }
        }
    });
    libc::close(proc_dir);
    count
}

/// A `/proc` entry's name as a pid (the bytes up to the NUL, all digits).
fn parse_pid(name: &[u8]) -> Option<libc::pid_t> {
    let mut pid: libc::pid_t = 0;
    let mut digits = 0;
    for &b in name {
        if b == 0 {
            break;
        }
        if !b.is_ascii_digit() {
            return None;
        }
        pid = pid
            .checked_mul(10)?
            .checked_add((b - b'0') as libc::pid_t)?;
        digits += 1;
    }
    (digits > 0).then_some(pid)
}

/// The parent pid from `/proc/<pid>/stat` (`pid (comm) state ppid …`; `comm` may hold
/// spaces and parentheses, so the fields start after the last `)`). `None` for a zombie,
/// which needs reaping, not killing.
unsafe fn parent_of(pid: libc::pid_t) -> Option<libc::pid_t> {
    let mut path = [0u8; 32];
    let prefix = b"/proc/";
    path[..prefix.len()].copy_from_slice(prefix);
    let at = prefix.len() + write_number(&mut path[prefix.len()..], pid);
    let suffix = b"/stat\0";
    path[at..at + suffix.len()].copy_from_slice(suffix);
    let fd = libc::open(path.as_ptr().cast(), libc::O_RDONLY | libc::O_CLOEXEC);
    if fd < 0 {
        return None;
    }
    let mut stat = [0u8; 512];
    let n = libc::read(fd, stat.as_mut_ptr().cast(), stat.len());
    libc::close(fd);
    if n <= 0 {
        return None;
    }
    let stat = &stat[..n as usize];
    let close = stat.iter().rposition(|&b| b == b')')?;
    let rest = stat.get(close + 2..)?;
    let state = *rest.first()?;
    if state == b'Z' || state == b'X' {
        return None;
    }
    let fields = rest.get(2..)?;
    let end = fields.iter().position(|&b| b == b' ')?;
    parse_pid(&fields[..end])
}

/// Writes `n` in decimal at the start of `out`; returns the length.
fn write_number(out: &mut [u8], n: libc::pid_t) -> usize {
    let mut digits = [0u8; 12];
    let (mut n, mut len) = (n.unsigned_abs(), 0);
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for i in 0..len {
        out[i] = digits[len - 1 - i];
    }
    len
}

/// Ends the keeper the way the body ended: the same exit code, or the same signal.
unsafe fn exit_like(status: libc::c_int) -> ! {
    if libc::WIFEXITED(status) {
        libc::_exit(libc::WEXITSTATUS(status));
    }
    if libc::WIFSIGNALED(status) {
        let signal = libc::WTERMSIG(status);
        libc::signal(signal, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, signal);
        libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::kill(libc::getpid(), signal);
        libc::_exit(128 + signal);
    }
    libc::_exit(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pids_and_numbers_read_and_write_back() {
        assert_eq!(parse_pid(b"1234\0\0"), Some(1234));
        assert_eq!(parse_pid(b"self\0"), None);
        assert_eq!(parse_pid(b"\0"), None);
        let mut out = [0u8; 12];
        let n = write_number(&mut out, 40213);
        assert_eq!(&out[..n], b"40213");
    }

    #[test]
    fn the_parent_is_read_from_proc_even_with_parentheses_in_the_name() {
        // SAFETY: reads /proc only.
        let parent = unsafe { parent_of(std::process::id() as libc::pid_t) };
        assert_eq!(
            parent,
            Some(std::os::unix::process::parent_id() as libc::pid_t)
        );
    }
}
