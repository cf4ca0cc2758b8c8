//! Reading a file's content to hash it (docs/speed.md, "Hashing"): pread(2) through a
//! buffer kept per thread, or for a large file, reads on a second thread beside the hash.

use std::fs::File;
use std::io;

/// Files this large or larger are read on a second thread while the calling thread hashes
/// ([`super::OpenFile::digest`]): the copy from the page cache (about a sixth of SHA-256's time
/// with SHA-NI) then runs beside the hash instead of before each piece of it.
pub const OVERLAP_FROM: u64 = 4 * 1024 * 1024;
/// The read size on the hashing thread (files under [`OVERLAP_FROM`], and larger ones when
/// no core is free), through one buffer per thread, kept between files. 128 KiB: on the
/// project machine a pread of 256 KiB or more from the page cache cost about four times as
/// much CPU per byte as one of 128 KiB or less (docs/speed.md, "Hashing").
pub(super) const SMALL_CHUNK: usize = 128 * 1024;
/// The read size and the number of buffers of the overlapped reads.
const BIG_CHUNK: usize = 1024 * 1024;
const BIG_BUFFERS: usize = 3;

thread_local! {
    pub(super) static SMALL_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Reads `file` with pread(2) from its start to its end through `buf`, giving each piece
/// to `sink`; EINTR is retried. `size` is the size fstat(2) reported: a short read that
/// ends exactly there is the end of the file, as the kernel's hash of a file ends at its
/// size, without one more pread to see it return 0 (a file that grew since is read on, to
/// its end). A small file is then one pread.
pub(super) fn read_chunks(
    file: &File,
    size: u64,
    buf: &mut [u8],
    sink: &mut dyn FnMut(&[u8]),
) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    let mut offset = 0u64;
    loop {
        match file.read_at(buf, offset) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                sink(&buf[..n]);
                offset += n as u64;
                if n < buf.len() && offset == size {
                    return Ok(());
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Reads `file` from its start to its end on a second thread, in [`BIG_CHUNK`] pieces
/// through [`BIG_BUFFERS`] buffers that go round between the two threads, and hashes the
/// pieces in order on this one (all on this one when no thread can be started). Memory:
/// the buffers, whatever the file's size.
pub(super) fn read_overlapped(
    file: &File,
    size: u64,
    h: &mut crate::hash::Hasher,
) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    use std::sync::mpsc::sync_channel;
    std::thread::scope(|scope| {
        let (full_tx, full_rx) = sync_channel::<io::Result<(Vec<u8>, usize)>>(BIG_BUFFERS);
        let (empty_tx, empty_rx) = sync_channel::<Vec<u8>>(BIG_BUFFERS);
        for _ in 0..BIG_BUFFERS {
            empty_tx
                .send(vec![0u8; BIG_CHUNK])
                .expect("the receiver is alive");
        }
        let home = crate::sys::sched::current_cpu().ok();
        let reader = std::thread::Builder::new().spawn_scoped(scope, move || {
            // On another core than the hashing thread's (src/sys/sched.rs).
            if let Some(home) = home {
                let _ = crate::sys::sched::start_on_another_core(home, 0);
            }
            let mut offset = 0u64;
            // Ends at the end of the file, at an error, or when the hashing side is gone.
            while let Ok(mut buf) = empty_rx.recv() {
                let r = loop {
                    match file.read_at(&mut buf, offset) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        r => break r,
                    }
                };
                // Ends at a read of 0, or at a short one that reaches the size fstat
                // gave (as [`read_chunks`] does).
                let mut more = matches!(r, Ok(n) if n > 0);
                if let Ok(n) = r {
                    offset += n as u64;
                    more &= n == buf.len() || offset != size;
                }
                if full_tx.send(r.map(|n| (buf, n))).is_err() || !more {
                    break;
                }
            }
        });
        if reader.is_err() {
            // No thread to be had (a process or memory limit): read on this one, as a
            // smaller file is. Nothing has been hashed yet.
            let mut buf = vec![0u8; BIG_CHUNK];
            return read_chunks(file, size, &mut buf, &mut |b| h.update(b));
        }
        // Returning drops both channel ends here, which ends the reader before the scope
        // joins it.
        for piece in &full_rx {
            let (buf, n) = piece?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
            // The reader may have stopped (end of file): then the buffer is not needed.
            let _ = empty_tx.send(buf);
        }
        Ok(())
    })
}
