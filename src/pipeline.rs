//! Processing many files on every core while keeping their order: a streaming pipeline.
//! One worker per core (the calling thread is one of them) takes the next item from the
//! iterator (walking directories) under a lock, maps it, and puts the result in its slot
//! of an in-order reorder window. Then it emits the results that are next in line, unless
//! another worker is emitting already: that one emits this result too. Emitting (writing
//! the output) holds no lock a worker needs to take an item or to put a result, so the
//! workers never wait for each other's writes. At most `window` items are between "taken"
//! and "emitted", so memory is bounded by the window, not by the number of files (a tree
//! of 200,000 files is never held in full), and no core waits for a batch boundary: a
//! slow item holds up only the output behind it, while the workers go on with the next
//! items. No thread hands an item or a result to another thread to work on, so no thread
//! wakes another per file (docs/speed.md, "Where the time goes"); a worker waits only when
//! the window is full behind one slow item. While it runs, each worker keeps to a core of
//! its own ([`crate::sys::sched`]).

use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, TryLockError};
use std::thread;

use crate::cores::{self, Busy};
use crate::fsops::{self, FileError};

/// Items in flight at once: enough to keep the cores busy behind one slow file (a large
/// file being hashed), small enough that the waiting results (a few lines each) stay small.
pub const WINDOW: usize = 1024;

/// The items not taken yet, with the index of the next one.
struct Source<I> {
    items: I,
    next: usize,
    exhausted: bool,
}

/// Results waiting for their turn.
struct Slots<R> {
    /// The index of the result in `waiting[0]`.
    head: usize,
    waiting: VecDeque<Option<thread::Result<R>>>,
    /// A mapping or an emit panicked: nothing more is taken or emitted, and the caller
    /// gets the panic.
    panic: Option<Box<dyn std::any::Any + Send>>,
    /// A worker waits for room in the window.
    blocked: bool,
}

impl<R> Slots<R> {
    fn front_ready(&self) -> bool {
        self.panic.is_none() && matches!(self.waiting.front(), Some(Some(_)))
    }
}

/// What the workers share.
struct Shared<I, R, E> {
    source: Mutex<Source<I>>,
    slots: Mutex<Slots<R>>,
    /// Held by the one worker that emits; never waited for (try_lock).
    emitter: Mutex<E>,
    /// How many results have been emitted (the window's lower end), read without a lock
    /// when an item is taken.
    emitted: AtomicUsize,
    /// Set with `Slots::panic`, read without a lock.
    stop: AtomicBool,
    /// Signalled (with `slots` locked) when results were emitted or a panic stops all.
    room: Condvar,
    window: usize,
}

/// Maps `f` over `items` on every core and calls `emit` with each result in input order,
/// with at most `window` items taken but not yet emitted. A single item is processed on
/// the calling thread. A panic in `f` is raised again on the calling thread, after the
/// results before it were emitted.
pub fn map_ordered<I, T, R, F, E>(items: I, window: usize, f: F, mut emit: E)
where
    I: Iterator<Item = T> + Send,
    T: Send,
    R: Send,
    F: Fn(T) -> R + Sync,
    E: FnMut(R) + Send,
{
    let window = window.max(1);
    let mut items = items.peekable();
    let Some(first) = items.next() else { return };
    if items.peek().is_none() || window == 1 {
        emit(f(first));
        items.for_each(|t| emit(f(t)));
        return;
    }
    let workers = cores::count().max(2);
    let shared = Shared {
        source: Mutex::new(Source {
            items: std::iter::once(first).chain(items),
            next: 0,
            exhausted: false,
        }),
        slots: Mutex::new(Slots {
            head: 0,
            waiting: VecDeque::with_capacity(window.min(256)),
            panic: None,
            blocked: false,
        }),
        emitter: Mutex::new(emit),
        emitted: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
        room: Condvar::new(),
        window,
    };
    let work = || worker(&shared, &f);
    // One core per worker while the pipeline runs, this thread keeping its own: left to
    // itself, the kernel queued a new worker on its parent's core, and woke a worker that
    // had slept on a lock on the waker's, and left the two sharing a core while another
    // idled (src/sys/sched.rs). This thread waits until each new worker has moved (its
    // core is then free for the worker's first instructions). Where a thread cannot be
    // pinned, it runs where the kernel puts it.
    let home = crate::sys::sched::current_cpu().ok();
    // Pinned only when there is another core for the workers (the process's cores are
    // remembered here, before any thread is pinned).
    let several = crate::sys::sched::process_cores().is_ok_and(|c| c.list().len() > 1);
    let _home_pin = home
        .filter(|_| several)
        .and_then(|h| crate::sys::sched::pin_to(h).ok());
    thread::scope(|scope| {
        let (moved_tx, moved_rx) = std::sync::mpsc::channel::<()>();
        for k in 1..workers {
            let moved = moved_tx.clone();
            scope.spawn(move || {
                let _pin = home.and_then(|h| {
                    crate::sys::sched::pin_to_another_core(h, k - 1)
                        .ok()
                        .flatten()
                });
                let _ = moved.send(());
                work()
            });
            if home.is_some() {
                let _ = moved_rx.recv();
            }
        }
        work();
    });
    let slots = shared.slots.into_inner().unwrap_or_else(|p| p.into_inner());
    if let Some(p) = slots.panic {
        panic::resume_unwind(p);
    }
}

/// One worker: takes items while the window has room, maps them, puts each result in its
/// slot and emits what is next in line.
fn worker<I, T, R, F, E>(sh: &Shared<I, R, E>, f: &F)
where
    I: Iterator<Item = T>,
    F: Fn(T) -> R,
    E: FnMut(R),
{
    while let Some((i, t)) = take(sh) {
        let r = {
            let _busy = Busy::start();
            panic::catch_unwind(AssertUnwindSafe(|| f(t)))
        };
        {
            let Ok(mut s) = sh.slots.lock() else { return };
            let slot = i - s.head;
            if s.waiting.len() <= slot {
                s.waiting.resize_with(slot + 1, || None);
            }
            s.waiting[slot] = Some(r);
        }
        drain(sh);
    }
}

/// Emits the results that are next in line, unless another worker is emitting: then that
/// worker does. It looks at the slots again after it lets go of the emitter, so a result
/// put in place while it held the emitter (by a worker whose try_lock failed) is never
/// left behind.
fn drain<I, R, E>(sh: &Shared<I, R, E>)
where
    E: FnMut(R),
{
    loop {
        let mut emit = match sh.emitter.try_lock() {
            Ok(e) => e,
            Err(TryLockError::WouldBlock) => return,
            // Never poisoned (emit runs under catch_unwind), but nothing is lost by
            // going on with the inner value.
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
        };
        let mut ready = Vec::new();
        loop {
            {
                let Ok(mut s) = sh.slots.lock() else { return };
                while s.front_ready() {
                    let r = s.waiting.pop_front().flatten().expect("a ready result");
                    s.head += 1;
                    ready.push(r);
                }
            }
            if ready.is_empty() {
                break;
            }
            let mut done = 0;
            let mut failed = None;
            for r in ready.drain(..) {
                // A panic in `emit` is caught too: no lock is ever poisoned, so a worker
                // waiting for room is always woken.
                let emitted = r.and_then(|r| {
                    let emit = &mut *emit;
                    panic::catch_unwind(AssertUnwindSafe(|| emit(r)))
                });
                match emitted {
                    Ok(()) => done += 1,
                    Err(p) => {
                        failed = Some(p);
                        break;
                    }
                }
            }
            let Ok(mut s) = sh.slots.lock() else { return };
            sh.emitted.fetch_add(done, Ordering::Release);
            if let Some(p) = failed {
                s.panic = Some(p);
                sh.stop.store(true, Ordering::Release);
            }
            if s.blocked {
                s.blocked = false;
                sh.room.notify_all();
            }
            if s.panic.is_some() {
                return;
            }
        }
        drop(emit);
        let Ok(s) = sh.slots.lock() else { return };
        if !s.front_ready() {
            return;
        }
    }
}

/// The next item and its index, once the window has room; `None` when the items are
/// exhausted or a mapping or an emit panicked.
fn take<I, T, R, E>(sh: &Shared<I, R, E>) -> Option<(usize, T)>
where
    I: Iterator<Item = T>,
{
    let mut src = sh.source.lock().ok()?;
    if src.exhausted || sh.stop.load(Ordering::Acquire) {
        return None;
    }
    if src.next - sh.emitted.load(Ordering::Acquire) >= sh.window {
        let mut s = sh.slots.lock().ok()?;
        while s.panic.is_none() && src.next - sh.emitted.load(Ordering::Acquire) >= sh.window {
            s.blocked = true;
            s = sh.room.wait(s).ok()?;
        }
        if s.panic.is_some() {
            return None;
        }
    }
    match src.items.next() {
        Some(t) => {
            let i = src.next;
            src.next += 1;
            Some((i, t))
        }
        None => {
            src.exhausted = true;
            None
        }
    }
}

/// The files named by `operands`: each operand itself, or with `recursive` every regular
/// file under it (symbolic links are never followed; `same_fs` stays on its filesystem).
pub fn expand_operands<'a>(
    operands: &'a [PathBuf],
    recursive: bool,
    same_fs: bool,
) -> impl Iterator<Item = Result<PathBuf, FileError>> + Send + 'a {
    operands
        .iter()
        .flat_map(move |p: &PathBuf| -> Box<dyn Iterator<Item = _> + Send> {
            if recursive {
                Box::new(fsops::walk_regular_files(Path::new(p), same_fs))
            } else {
                Box::new(std::iter::once(Ok(p.clone())))
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn a_worker_counts_as_busy_while_it_maps_an_item() {
        let mut seen = Vec::new();
        map_ordered(
            0..64,
            8,
            |i| (i, cores::busy()),
            |(i, busy)| seen.push((i, busy)),
        );
        assert_eq!(seen.len(), 64);
        assert!(seen.iter().all(|&(_, busy)| busy >= 1), "{seen:?}");
    }

    #[test]
    fn results_come_back_in_input_order_across_windows() {
        let mut out = Vec::new();
        map_ordered(0..1000u32, 7, |i| i * 2, |r| out.push(r));
        assert_eq!(out, (0..1000).map(|i| i * 2).collect::<Vec<_>>());
    }

    #[test]
    fn no_result_is_left_behind_while_another_worker_emits() {
        // A slow emit keeps one worker emitting while the others put results in place and
        // go on: every result must still come out, in order, in every round.
        for round in 0..40u64 {
            let mut out = Vec::new();
            map_ordered(
                0..300u64,
                4 + (round % 5) as usize,
                |i| {
                    std::hint::black_box((0..(i * 7 + round) % 50).sum::<u64>());
                    i
                },
                |r| {
                    if r % 3 == 0 {
                        std::thread::yield_now();
                    }
                    out.push(r)
                },
            );
            assert_eq!(out, (0..300).collect::<Vec<_>>(), "round {round}");
        }
    }

    #[test]
    fn at_most_a_window_is_taken_before_results_are_emitted() {
        let taken = AtomicUsize::new(0);
        let items = (0..100).inspect(|_| {
            taken.fetch_add(1, Ordering::SeqCst);
        });
        let mut max_ahead = 0;
        let mut emitted = 0;
        map_ordered(
            items,
            10,
            |i: i32| i,
            |_| {
                emitted += 1;
                max_ahead = max_ahead.max(taken.load(Ordering::SeqCst) - emitted);
            },
        );
        assert_eq!(emitted, 100);
        assert!(max_ahead < 10, "{max_ahead}");
    }

    #[test]
    fn order_holds_when_items_finish_out_of_order() {
        let mut out = Vec::new();
        let f = |i: u64| {
            // Earlier items take longer, so later ones finish first.
            std::thread::sleep(std::time::Duration::from_micros((50 - i % 50) * 20));
            i
        };
        map_ordered(0..400u64, 16, f, |r| out.push(r));
        assert_eq!(out, (0..400).collect::<Vec<_>>());
    }

    #[test]
    fn a_slow_item_does_not_stop_the_items_behind_it() {
        // Item 0 waits until 100 later items are done: it only finishes if the workers go
        // on past it while its result holds up the output.
        let done = AtomicUsize::new(0);
        let mut out = Vec::new();
        map_ordered(
            0..200usize,
            150,
            |i| {
                if i == 0 {
                    let t = std::time::Instant::now();
                    while done.load(Ordering::SeqCst) < 100 {
                        assert!(t.elapsed().as_secs() < 20, "the pipeline stalled");
                        std::thread::sleep(std::time::Duration::from_millis(1));
                    }
                } else {
                    done.fetch_add(1, Ordering::SeqCst);
                }
                i
            },
            |r| out.push(r),
        );
        assert_eq!(out, (0..200).collect::<Vec<_>>());
    }

    #[test]
    fn a_panic_in_the_mapping_reaches_the_caller() {
        let r = std::panic::catch_unwind(|| {
            map_ordered(
                0..100u32,
                4,
                |i| {
                    assert_ne!(i, 37, "item 37 fails");
                    i
                },
                |_| {},
            )
        });
        assert!(r.is_err());
    }

    #[test]
    fn a_panic_in_emit_reaches_the_caller_and_stops_the_workers() {
        // A small window, so that workers wait for room: they must be woken and stop.
        let r = std::panic::catch_unwind(|| {
            map_ordered(
                0..1000u32,
                3,
                |i| i,
                |i| assert_ne!(i, 10, "emitting 10 fails"),
            )
        });
        assert!(r.is_err());
    }

    #[test]
    fn results_before_a_panic_are_emitted_and_none_after() {
        let mut out = Vec::new();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            map_ordered(
                0..500u32,
                16,
                |i| {
                    assert_ne!(i, 100, "item 100 fails");
                    i
                },
                |i| out.push(i),
            )
        }));
        assert!(r.is_err());
        assert_eq!(out, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn empty_and_single_inputs() {
        let mut out = Vec::new();
        map_ordered(std::iter::empty::<u8>(), 8, |i| i, |r| out.push(r));
        assert!(out.is_empty());
        map_ordered(std::iter::once(5u8), 8, |i| i + 1, |r| out.push(r));
        assert_eq!(out, [6]);
    }

    #[test]
    fn operands_expand_only_with_recursion() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("d")).unwrap();
        for f in ["a", "d/b", "d/c"] {
            std::fs::write(dir.path().join(f), f).unwrap();
        }
        let ops = vec![dir.path().join("a"), dir.path().join("d")];
        let flat: Vec<_> = expand_operands(&ops, false, false).collect();
        assert_eq!(flat.len(), 2);
        let deep: Vec<PathBuf> = expand_operands(&ops, true, false)
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            deep,
            [
                dir.path().join("a"),
                dir.path().join("d/b"),
                dir.path().join("d/c")
            ]
        );
    }
}
