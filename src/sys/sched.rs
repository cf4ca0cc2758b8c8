//! sched_getcpu(3), sched_getaffinity(2) and sched_setaffinity(2): one core per worker
//! thread of the file pipeline while it runs, and a helper thread started on another core
//! than the thread that started it.
//!
//! Why: on the project's 2-core virtual machines the kernel often queued a new thread on
//! its parent's core, and woke a thread that had slept on a lock on the waker's core, and
//! left the two there while the other core idled, for tens of milliseconds: a run of 2,000
//! small files then used 1.1 to 2.0 of the 2 cores, varying from run to run (perf sched
//! timehist; docs/speed.md, "Where the time goes"). The pipeline hands out work from one
//! queue, so a worker whose core is also busy with something else just takes fewer files.

use std::sync::OnceLock;

use super::SysError;

/// The core the calling thread runs on now (sched_getcpu(3)).
pub fn current_cpu() -> Result<usize, SysError> {
    // SAFETY: no arguments; returns a core number or -1 with errno.
    let rc = unsafe { libc::sched_getcpu() };
    if rc < 0 {
        return Err(SysError::last("sched_getcpu"));
    }
    Ok(rc as usize)
}

/// A set of cores.
#[derive(Clone, Copy)]
pub struct Cores(libc::cpu_set_t);

impl Cores {
    fn empty() -> Cores {
        // SAFETY: cpu_set_t is a plain bit array; all zeroes is the empty set.
        Cores(unsafe { std::mem::zeroed() })
    }

    fn only(cpu: usize) -> Cores {
        let mut c = Cores::empty();
        // SAFETY: CPU_SET sets bit `cpu` of a valid set; callers pass a core that came
        // from a set, so it is below CPU_SETSIZE.
        unsafe { libc::CPU_SET(cpu, &mut c.0) };
        c
    }

    /// The cores in the set, in order.
    pub fn list(&self) -> Vec<usize> {
        (0..libc::CPU_SETSIZE as usize)
            // SAFETY: CPU_ISSET reads bit `c` of a valid set; `c` is below CPU_SETSIZE.
            .filter(|&c| unsafe { libc::CPU_ISSET(c, &self.0) })
            .collect()
    }
}

/// The calling thread's allowed cores (sched_getaffinity(2) of thread 0: itself).
pub fn allowed() -> Result<Cores, SysError> {
    let mut set = Cores::empty();
    let size = std::mem::size_of::<libc::cpu_set_t>();
    // SAFETY: `set.0` is a valid, writable cpu_set_t of `size` bytes.
    let rc = unsafe { libc::sched_getaffinity(0, size, &mut set.0) };
    if rc != 0 {
        return Err(SysError::last("sched_getaffinity"));
    }
    Ok(set)
}

/// Sets the calling thread's allowed cores (sched_setaffinity(2) of thread 0). The kernel
/// moves the caller before it returns when its core is not in `set`.
fn set_allowed(set: &Cores) -> Result<(), SysError> {
    let size = std::mem::size_of::<libc::cpu_set_t>();
    // SAFETY: `set.0` is a valid cpu_set_t of `size` bytes; thread 0 is the caller.
    let rc = unsafe { libc::sched_setaffinity(0, size, &set.0) };
    if rc != 0 {
        return Err(SysError::last("sched_setaffinity"));
    }
    Ok(())
}

/// The cores the process was allowed before any thread was pinned: remembered by the
/// first call (the pipeline calls it before it pins a thread), so that a thread started by
/// a pinned one (the reader of a large file, a pipeline inside a worker) gets every core
/// back instead of inheriting its parent's one.
pub fn process_cores() -> Result<Cores, SysError> {
    static FIRST: OnceLock<Cores> = OnceLock::new();
    if let Some(c) = FIRST.get() {
        return Ok(*c);
    }
    let c = allowed()?;
    Ok(*FIRST.get_or_init(|| c))
}

/// The calling thread keeps to one core until dropped; then it may run on every core of
/// [`process_cores`] again.
pub struct Pinned {
    before: Cores,
}

impl Drop for Pinned {
    fn drop(&mut self) {
        let _ = set_allowed(&self.before);
    }
}

/// The `k`-th (from 0, round) of the process's cores other than `avoid`; `None` when it
/// has no other.
fn another_core(avoid: usize, k: usize) -> Result<Option<usize>, SysError> {
    let others: Vec<usize> = process_cores()?
        .list()
        .into_iter()
        .filter(|&c| c != avoid)
        .collect();
    Ok(others.get(k % others.len().max(1)).copied())
}

/// Pins the calling thread to `cpu` (moving it there if it runs elsewhere).
pub fn pin_to(cpu: usize) -> Result<Pinned, SysError> {
    let before = process_cores()?;
    set_allowed(&Cores::only(cpu))?;
    Ok(Pinned { before })
}

/// Pins the calling thread to the `k`-th of the process's cores other than `avoid`, moving
/// it there. `None` when there is no other core (nothing changed).
pub fn pin_to_another_core(avoid: usize, k: usize) -> Result<Option<Pinned>, SysError> {
    match another_core(avoid, k)? {
        Some(cpu) => pin_to(cpu).map(Some),
        None => Ok(None),
    }
}

/// Moves the calling thread to the `k`-th of the process's cores other than `avoid`, then
/// allows it every core of [`process_cores`]: it runs on that core from now on, and the
/// scheduler may still move it later as it moves any thread. Returns the core it ran on
/// while only that one was allowed, or `None` when there is no other core.
pub fn start_on_another_core(avoid: usize, k: usize) -> Result<Option<usize>, SysError> {
    let Some(pinned) = pin_to_another_core(avoid, k)? else {
        return Ok(None);
    };
    let ran_on = current_cpu();
    drop(pinned);
    ran_on.map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_started_elsewhere_runs_there_and_gets_every_core_back() {
        let all = process_cores().unwrap().list();
        let here = current_cpu().unwrap();
        let (moved, after) = std::thread::spawn(move || {
            let moved = start_on_another_core(here, 0).unwrap();
            (moved, allowed().unwrap().list())
        })
        .join()
        .unwrap();
        assert_eq!(after, all, "every core is allowed again");
        match moved {
            // One allowed core: nowhere else to go.
            None => assert_eq!(all.len(), 1),
            Some(ran_on) => {
                assert_ne!(ran_on, here);
                assert!(all.contains(&ran_on));
            }
        }
    }

    #[test]
    fn a_pinned_thread_runs_on_its_core_until_the_pin_is_dropped() {
        let all = process_cores().unwrap().list();
        let last = *all.last().unwrap();
        std::thread::spawn(move || {
            let pin = pin_to(last).unwrap();
            assert_eq!(allowed().unwrap().list(), vec![last]);
            assert_eq!(current_cpu().unwrap(), last);
            // A thread started by a pinned one starts with every core.
            let inner = std::thread::spawn(|| {
                let here = current_cpu().unwrap();
                start_on_another_core(here, 0).unwrap();
                allowed().unwrap().list()
            })
            .join()
            .unwrap();
            drop(pin);
            (inner, allowed().unwrap().list())
        })
        .join()
        .map(|(inner, after)| {
            assert_eq!(inner, all);
            assert_eq!(after, all);
        })
        .unwrap();
    }
}
