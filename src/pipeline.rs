//! Processing many files on every core while keeping their order: a streaming pipeline.
//! One thread takes items from the iterator (walking directories), one worker per core
//! maps them, and the calling thread hands the results back in input order through a
//! reorder window. At most `window` items are between "taken" and "handed back", so
//! memory is bounded by the window, not by the number of files (a tree of 200,000 files
//! is never held in full), and no core waits for a batch boundary: a slow item holds up
//! only the output behind it, while the workers go on with the next items.

use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, sync_channel, Receiver};
use std::sync::Mutex;
use std::thread;

use crate::fsops::{self, FileError};

/// Items in flight at once: enough to keep the cores busy behind one slow file (a large
/// file being hashed), small enough that the waiting results (a few lines each) stay small.
pub const WINDOW: usize = 1024;

/// Maps `f` over `items` on every core and calls `emit` with each result in input order,
/// with at most `window` items taken but not yet emitted. A single item is processed on
/// the calling thread. A panic in `f` is raised again on the calling thread.
pub fn map_ordered<I, T, R, F, E>(items: I, window: usize, f: F, mut emit: E)
where
    I: Iterator<Item = T> + Send,
    T: Send,
    R: Send,
    F: Fn(T) -> R + Sync,
    E: FnMut(R),
{
    let window = window.max(1);
    let mut items = items.peekable();
    let Some(first) = items.next() else { return };
    if items.peek().is_none() || window == 1 {
        emit(f(first));
        items.for_each(|t| emit(f(t)));
        return;
    }
    let workers = thread::available_parallelism()
        .map_or(2, |n| n.get())
        .max(2);
    // Credits: the producer takes one per item and the emitter gives it back.
    let (credit_tx, credit_rx) = sync_channel::<()>(window);
    let (work_tx, work_rx) = sync_channel::<(usize, T)>(window);
    let work_rx = Mutex::new(work_rx);
    let (done_tx, done_rx) = channel::<(usize, thread::Result<R>)>();
    thread::scope(|scope| {
        scope.spawn(move || {
            let mut items = std::iter::once(first).chain(items).enumerate();
            // A credit first, then the item: never more than `window` taken and not emitted.
            while credit_tx.send(()).is_ok() {
                let Some(item) = items.next() else { break };
                if work_tx.send(item).is_err() {
                    break;
                }
            }
        });
        for _ in 0..workers {
            let done_tx = done_tx.clone();
            let (work_rx, f) = (&work_rx, &f);
            scope.spawn(move || loop {
                let next = work_rx.lock().map(|rx| rx.recv());
                let Ok(Ok((i, t))) = next else { break };
                let r = panic::catch_unwind(AssertUnwindSafe(|| f(t)));
                if done_tx.send((i, r)).is_err() {
                    break;
                }
            });
        }
        drop(done_tx);
        emit_in_order(done_rx, credit_rx, window, &mut emit);
    });
}

/// Receives `(index, result)` pairs in any order and emits them in index order, giving a
/// credit back for each; at most `window` results wait.
fn emit_in_order<R>(
    done: Receiver<(usize, thread::Result<R>)>,
    credits: Receiver<()>,
    window: usize,
    emit: &mut impl FnMut(R),
) {
    let mut next = 0usize;
    let mut waiting: VecDeque<Option<R>> = VecDeque::with_capacity(window.min(256));
    for (i, r) in done {
        let r = r.unwrap_or_else(|p| panic::resume_unwind(p));
        let slot = i - next;
        if waiting.len() <= slot {
            waiting.resize_with(slot + 1, || None);
        }
        waiting[slot] = Some(r);
        while let Some(Some(_)) = waiting.front() {
            let r = waiting.pop_front().flatten().expect("a ready result");
            emit(r);
            next += 1;
            let _ = credits.recv();
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
    fn results_come_back_in_input_order_across_windows() {
        let mut out = Vec::new();
        map_ordered(0..1000u32, 7, |i| i * 2, |r| out.push(r));
        assert_eq!(out, (0..1000).map(|i| i * 2).collect::<Vec<_>>());
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
