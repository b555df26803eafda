//! The three things the pool asks of the operating system that std does not
//! offer: a lower scheduling priority for plugin threads, the CPU time a
//! thread used, and giving freed heap back. Each is one libc call; on other
//! systems they do nothing (or report nothing).

use std::time::Duration;

/// The lowest nice value, which also puts a plugin thread in Linux's
/// `SCHED_IDLE` class: it runs only on CPU nothing else wants, and a waking
/// HTTP thread takes its core at once instead of after the scheduler's
/// wake-up granularity (what keeps a niced flood from raising the p99).
pub(super) const IDLE_NICE: i32 = 19;

/// Lowers the calling thread's scheduling priority to `nice` (0 leaves it):
/// under a flood of plugin calls the HTTP threads, at the normal priority,
/// keep most of the CPU. Returns whether the priority was set.
pub(super) fn lower_priority(nice: i32) -> bool {
    if nice == 0 {
        return true;
    }
    #[cfg(target_os = "linux")]
    {
        // SAFETY: `setpriority` only reads its three integer arguments; on
        // Linux `PRIO_PROCESS` with id 0 names the calling thread alone
        // (nice values are per thread), so no other thread is affected.
        #[allow(unsafe_code)]
        let rc = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, nice) };
        if rc != 0 {
            return false;
        }
        if nice >= IDLE_NICE {
            let param = libc::sched_param { sched_priority: 0 };
            // SAFETY: `sched_setscheduler` reads `param`, a live local, and
            // with pid 0 changes the calling thread's policy alone.
            #[allow(unsafe_code)]
            let rc = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) };
            return rc == 0;
        }
        true
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

/// CPU time the calling thread has used so far (user and system).
pub(super) fn thread_cpu_time() -> Duration {
    #[cfg(target_os = "linux")]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable `timespec` owned by this frame,
        // and `CLOCK_THREAD_CPUTIME_ID` is always a valid clock on Linux.
        #[allow(unsafe_code)]
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        if rc == 0 {
            return Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32);
        }
        Duration::ZERO
    }
    #[cfg(not(target_os = "linux"))]
    {
        Duration::ZERO
    }
}

/// Returns free heap memory of every malloc arena to the OS: after a burst
/// of calls with large inputs, outputs and transcripts, glibc keeps the
/// freed pages of its per-thread arenas otherwise.
pub(super) fn trim_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: `malloc_trim` takes no pointers and is thread-safe: it
        // locks each arena while trimming it, and only releases pages that
        // hold no allocation.
        #[allow(unsafe_code)]
        let _ = unsafe { libc::malloc_trim(0) };
    }
}
