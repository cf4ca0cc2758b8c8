//! sched_getcpu(3), sched_getaffinity(2) and sched_setaffinity(2): starting a new worker
//! thread on another core than the thread that started it.
//!
//! Why: on the project's 2-core virtual machines the kernel often placed a new thread on
//! its parent's core and left it there while the other core idled, for tens of
//! milliseconds: a run of 2,000 small files then used 1.1 to 2.0 of the 2 cores, varying
//! from run to run (perf sched timehist; docs/speed.md, "Where the time goes").

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

/// The calling thread's allowed cores (sched_getaffinity(2) of thread 0: itself).
fn allowed() -> Result<libc::cpu_set_t, SysError> {
    // SAFETY: cpu_set_t is a plain bit array; all zeroes is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a valid, writable cpu_set_t of the size passed.
    let rc =
        unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    if rc != 0 {
        return Err(SysError::last("sched_getaffinity"));
    }
    Ok(set)
}

fn set_allowed(set: &libc::cpu_set_t) -> Result<(), SysError> {
    // SAFETY: `set` is a valid cpu_set_t of the size passed; thread 0 is the caller.
    let rc = unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), set) };
    if rc != 0 {
        return Err(SysError::last("sched_setaffinity"));
    }
    Ok(())
}

/// The cores in `set`, in order.
fn cores_of(set: &libc::cpu_set_t) -> Vec<usize> {
    (0..libc::CPU_SETSIZE as usize)
        // SAFETY: CPU_ISSET reads bit `c` of a valid set; `c` is below CPU_SETSIZE.
        .filter(|&c| unsafe { libc::CPU_ISSET(c, set) })
        .collect()
}

/// Moves the calling thread to the `k`-th (from 0, round) of its allowed cores other than
/// `avoid`, then allows it every core it was allowed before: it runs on that core from now
/// on, and the scheduler may still move it later as it moves any thread. Returns the core
/// the thread ran on while only that core was allowed (sched_getcpu), or `None` when there
/// is no other core (nothing changed).
pub fn start_on_another_core(avoid: usize, k: usize) -> Result<Option<usize>, SysError> {
    let before = allowed()?;
    let others: Vec<usize> = cores_of(&before)
        .into_iter()
        .filter(|&c| c != avoid)
        .collect();
    let Some(&target) = others.get(k % others.len().max(1)) else {
        return Ok(None);
    };
    // SAFETY: all zeroes is the empty set; CPU_SET sets bit `target` (below CPU_SETSIZE,
    // as it came from the set).
    let mut only: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    unsafe { libc::CPU_SET(target, &mut only) };
    // The kernel moves the caller before sched_setaffinity returns when its core is not
    // in the new set; the second call widens the set again without moving it.
    set_allowed(&only)?;
    let ran_on = current_cpu();
    set_allowed(&before)?;
    ran_on.map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_started_elsewhere_runs_there_and_keeps_its_allowed_cores() {
        let before = cores_of(&allowed().unwrap());
        let here = current_cpu().unwrap();
        let (moved, after) = std::thread::spawn(move || {
            let moved = start_on_another_core(here, 0).unwrap();
            (moved, cores_of(&allowed().unwrap()))
        })
        .join()
        .unwrap();
        assert_eq!(after, before, "the allowed cores are restored");
        match moved {
            // One allowed core: nowhere else to go.
            None => assert_eq!(before.len(), 1),
            Some(ran_on) => {
                assert_ne!(ran_on, here);
                assert!(before.contains(&ran_on));
            }
        }
    }
}
