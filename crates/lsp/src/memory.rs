//! Giving freed memory back to the system.
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

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn trim() {
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
fn trim() {}

/// Caps glibc's malloc at two arenas (`mallopt(M_ARENA_MAX, 2)`); call before starting
/// threads. On the 5,000-step program this halves the idle resident memory.
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
