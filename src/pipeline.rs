//! Processing many files on every core while keeping their order: items are taken from
//! an iterator in windows of bounded size, each window is mapped in parallel, and the
//! results are handed back in input order. Memory is bounded by the window, not by the
//! number of files (a tree of 200,000 files is never held in full).

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::fsops::{self, FileError};

/// Items in flight at once: enough to keep the cores busy between windows, small enough
/// that a window's results (a few lines each) stay small.
pub const WINDOW: usize = 1024;

/// Maps `f` over `items` in parallel windows of `window` items and calls `emit` with each
/// result in input order. A single item is processed on the calling thread.
pub fn map_ordered<T, R, F, E>(items: impl Iterator<Item = T>, window: usize, f: F, mut emit: E)
where
    T: Send,
    R: Send,
    F: Fn(T) -> R + Sync,
    E: FnMut(R),
{
    let window = window.max(1);
    let mut items = items.peekable();
    let mut batch: Vec<T> = Vec::with_capacity(window.min(64));
    while items.peek().is_some() {
        batch.extend(items.by_ref().take(window));
        if batch.len() == 1 {
            emit(f(batch.pop().expect("one item")));
            continue;
        }
        let results: Vec<R> = batch.par_drain(..).map(&f).collect();
        results.into_iter().for_each(&mut emit);
    }
}

/// The files named by `operands`: each operand itself, or with `recursive` every regular
/// file under it (symbolic links are never followed; `same_fs` stays on its filesystem).
pub fn expand_operands<'a>(
    operands: &'a [PathBuf],
    recursive: bool,
    same_fs: bool,
) -> impl Iterator<Item = Result<PathBuf, FileError>> + 'a {
    operands
        .iter()
        .flat_map(move |p: &PathBuf| -> Box<dyn Iterator<Item = _>> {
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
