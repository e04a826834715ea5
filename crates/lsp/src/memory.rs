//! Giving freed memory back to the system.
//!
//! The `mlforge` binary allocates with mimalloc (see `crates/cli/src/main.rs`): re-checking
//! a 5,000-step pipeline is two to four times faster than with glibc's malloc, whose
//! arena locks the analysis, the graph builder and the thread that frees old results
//! (`mlforge-drop`) contend for. mimalloc keeps freed pages for reuse; [`trim`] asks it to
//! hand them back (`mi_collect`), and `mlforge lsp` starts with mimalloc's arenas
//! committed lazily (`MIMALLOC_ARENA_EAGER_COMMIT=0`, see `crates/cli/src/lsp.rs`) so that
//! purged pages leave the resident set. With the 5,000-step program open: 97 MiB idle
//! (160–190 MiB with neither, 125–134 MiB with `mi_collect` alone; glibc: 96–114 MiB). C
//! code in the process (SQLite) and test binaries still use glibc's malloc, hence both
//! below.
//!
//! The server's big transient allocations (a re-analysis of a 5,000-step pipeline, a graph
//! answer of several megabytes, thousands of completion items) happen on many threads, and
//! glibc keeps each thread's freed memory in that thread's arena: resident memory then
//! grows to several times what the server holds. A trim (`malloc_trim(0)`) hands the free
//! pages back. It runs on a blocking thread, at most every [`PERIOD`], and only after work
//! happened since the last one. And [`limit_arenas`], called before any thread starts, caps
//! glibc at two arenas: threads then share freed memory instead of each keeping its own.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How often the trim may run.
pub const PERIOD: Duration = Duration::from_secs(2);

/// Marks that work happened (something may be left to give back).
#[derive(Clone, Default)]
pub struct Activity(Arc<AtomicBool>);

impl Activity {
    pub fn touch(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    fn take(&self) -> bool {
        self.0.swap(false, Ordering::Relaxed)
    }
}

/// Trims every [`PERIOD`] while there is activity; ends when the runtime does.
pub fn spawn_trimmer(activity: Activity) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PERIOD);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if activity.take() {
                let _ = tokio::task::spawn_blocking(trim).await;
            }
        }
    });
}

fn trim() {
    trim_glibc();
    collect_mimalloc();
}

#[allow(unsafe_code)]
fn collect_mimalloc() {
    // SAFETY: `mi_collect` frees mimalloc's unused pages and purges its arenas; it takes no
    // pointers and may be called from any thread. Without mimalloc as the global allocator
    // its heaps are empty and this does nothing.
    unsafe {
        libmimalloc_sys::mi_collect(true);
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn trim_glibc() {
    extern "C" {
        fn malloc_trim(pad: usize) -> std::os::raw::c_int;
    }
    // SAFETY: `malloc_trim` only releases free memory of the allocator's arenas; it takes no
    // pointers and is safe to call from any thread at any time.
    unsafe {
        malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim_glibc() {}

/// Caps glibc's malloc at two arenas (`mallopt(M_ARENA_MAX, 2)`); call before starting
/// threads. On the 5,000-step program this halved the idle resident memory (with glibc as
/// the allocator; it still serves C code such as SQLite).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn limit_arenas() {
    extern "C" {
        fn mallopt(param: std::os::raw::c_int, value: std::os::raw::c_int) -> std::os::raw::c_int;
    }
    const M_ARENA_MAX: std::os::raw::c_int = -8;
    // SAFETY: `mallopt` changes a tuning parameter of the allocator; it takes no pointers.
    // It is called before the runtime starts its threads.
    unsafe {
        mallopt(M_ARENA_MAX, 2);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn limit_arenas() {}
