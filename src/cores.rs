//! How many of the process's cores are taken by workers of the file pipeline
//! ([`crate::pipeline::map_ordered`]), so that work that could use a second thread for one
//! file (the overlapped read of a large file, [`crate::fsops::OpenFile::digest`]) starts one
//! only when a core would otherwise idle.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Workers mapping an item right now, in the whole process.
static BUSY: AtomicUsize = AtomicUsize::new(0);

/// Counts a worker as busy while it lives.
pub struct Busy(());

impl Busy {
    pub fn start() -> Busy {
        BUSY.fetch_add(1, Ordering::Relaxed);
        Busy(())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        BUSY.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The workers counted busy now.
pub fn busy() -> usize {
    BUSY.load(Ordering::Relaxed)
}

/// True when fewer workers are busy than the machine has cores: outside the pipeline, or
/// near the end of its items. While every core has a worker, a helper thread would only
/// take time from another file.
pub fn spare() -> bool {
    busy() < count()
}

/// The cores this process may run on, read once.
pub fn count() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}
