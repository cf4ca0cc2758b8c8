//! One bounded reader for every input file read whole: keys, certificates, `.sig` files,
//! policies, measurement lists, event logs, `--pcrs` files, the securityfs policy and
//! `/proc/keys`.
//!
//! The file is opened with O_NONBLOCK (a FIFO with no writer does not block the open) and
//! O_NOCTTY, checked with fstat(2) to be a regular file (a FIFO, a character device such as
//! /dev/zero, a socket or a directory is refused before anything is read), and read through
//! a cap that depends on the kind of input: a file that grows past the cap is refused, so
//! a pseudo-file whose size fstat reports as 0 (securityfs, procfs) is bounded too.
//! Symbolic links are followed: keys and certificates are often installed as links.
//!
//! The caps are in [`InputKind::limit`] and in the table of docs/compatibility.md ("Input
//! limits"). Standard input given as `-` is read through the same caps ([`stdin`]), where a
//! front end allows it.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, Read};
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

pub mod open;
pub mod stdin;
pub use open::{open_file, open_file_stat, read_pipe, Access, PIPE_IDLE_LIMIT};
pub use stdin::{
    is_stdin, read_input_or_stdin, read_input_or_stdin_string, read_stdin, source_name,
    stdin_at_most_once, STDIN_ARG, STDIN_NAME,
};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

/// What an input file holds; each kind has its own size cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// A private key, public key, certificate or key-with-certificate file (PEM or DER).
    Key,
    /// A detached signature file (`FILE.sig`).
    Signature,
    /// An IMA policy text file.
    Policy,
    /// An IMA measurement list, binary or ASCII.
    MeasurementList,
    /// A TPM event log (`binary_bios_measurements`).
    EventLog,
    /// A `--pcrs` file of `PCR-NN: hex` lines, or the sysfs `pcrs` file.
    Pcrs,
    /// The policy read back from securityfs (`/sys/kernel/security/ima/policy`).
    SecurityfsPolicy,
    /// `/proc/keys`.
    ProcKeys,
    /// A small kernel fact read by `imactl status`: /proc/cmdline, the LSM list, the
    /// lockdown state, the release.
    KernelFact,
    /// The kernel configuration (/boot/config-RELEASE, and /proc/config.gz decompressed).
    KernelConfig,
    /// An EFI variable in efivarfs (SecureBoot, SetupMode, db, MokListRT).
    EfiVariable,
    /// A kexec image checked by `imactl status --kexec`.
    KexecImage,
    /// A one-line kernel interface file (securityfs `lsm`) or a state record of ours
    /// (`imactl boot`'s `/run/imaevm/policy-loaded`).
    SmallFile,
    /// The mount table (/proc/self/mountinfo), read to name a filesystem.
    MountInfo,
    /// A process's memory map (/proc/PID/maps), read by `imactl policy load` to find the
    /// files the process has mapped executable.
    ProcessMaps,
}

impl InputKind {
    /// Every kind, for documentation and tests.
    pub const ALL: [InputKind; 15] = [
        InputKind::Key,
        InputKind::Signature,
        InputKind::Policy,
        InputKind::MeasurementList,
        InputKind::EventLog,
        InputKind::Pcrs,
        InputKind::SecurityfsPolicy,
        InputKind::ProcKeys,
        InputKind::KernelFact,
        InputKind::KernelConfig,
        InputKind::EfiVariable,
        InputKind::KexecImage,
        InputKind::SmallFile,
        InputKind::MountInfo,
        InputKind::ProcessMaps,
    ];

    /// The largest file of this kind that is read, in bytes.
    pub fn limit(self) -> u64 {
        match self {
            // A PEM certificate chain or an RSA-16384 key is well under 1 MiB.
            InputKind::Key => MIB,
            // A header, a 2-byte length and at most a 16384-bit signature (2 KiB).
            InputKind::Signature => 64 * KIB,
            // 131,072 rules (the rule cap) of 128 bytes on average; 100k rules of 100 bytes
            // are 10 MB. A parsed policy holds about 5 copies of its text: 16 MiB of long
            // rules is checked in under 100 MiB (tests/resource_bounds.rs); 64 MiB took 350.
            InputKind::Policy | InputKind::SecurityfsPolicy => 16 * MIB,
            // About 400,000 of the smallest records, or 100,000 signed ones; parsed, with
            // every per-record note of -v, the list stays under 256 MiB in memory.
            InputKind::MeasurementList => 32 * MIB,
            // A firmware event log is tens of KiB; 16 MiB leaves room for large logs.
            InputKind::EventLog => 16 * MIB,
            // At most 24 lines per bank.
            InputKind::Pcrs => 64 * KIB,
            InputKind::ProcKeys => 16 * MIB,
            // /proc/cmdline is at most a few KiB (COMMAND_LINE_SIZE is 2048 on x86).
            InputKind::KernelFact => 64 * KIB,
            // A distribution's .config is about 300 KiB; the cap applies to the
            // decompressed text of config.gz too.
            InputKind::KernelConfig => 4 * MIB,
            // db and MokListRT hold a few certificates; firmware variable stores are
            // smaller than 1 MiB.
            InputKind::EfiVariable => MIB,
            // A kernel image is 10-20 MiB; it is read whole to hash its PE sections.
            InputKind::KexecImage => 64 * MIB,
            // A list of LSM names, or a digest and a path.
            InputKind::SmallFile => 64 * KIB,
            // About 150 bytes a mount: 100,000 mounts.
            InputKind::MountInfo => 16 * MIB,
            // About 100 bytes a mapping: 160,000 mappings (a large browser has a few
            // thousand).
            InputKind::ProcessMaps => 16 * MIB,
        }
    }

    /// What the file is, in words for error messages and the documentation.
    pub fn noun(self) -> &'static str {
        match self {
            InputKind::Key => "key or certificate",
            InputKind::Signature => "signature file",
            InputKind::Policy => "policy file",
            InputKind::MeasurementList => "measurement list",
            InputKind::EventLog => "event log",
            InputKind::Pcrs => "PCR values file",
            InputKind::SecurityfsPolicy => "securityfs policy",
            InputKind::ProcKeys => "/proc/keys",
            InputKind::KernelFact => "kernel fact file",
            InputKind::KernelConfig => "kernel configuration",
            InputKind::EfiVariable => "EFI variable",
            InputKind::KexecImage => "kexec image",
            InputKind::SmallFile => "kernel list or state record",
            InputKind::MountInfo => "mount table",
            InputKind::ProcessMaps => "process memory map",
        }
    }
}

/// A size in words: "64 KiB", "16 MiB".
pub fn size_words(n: u64) -> String {
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= KIB && n.is_multiple_of(KIB) {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} bytes")
    }
}

/// Why an input file was not read. The message does not repeat the path: callers name it.
#[derive(Debug)]
pub enum InputError {
    /// open(2), fstat(2) or read(2) failed.
    Io(io::Error),
    /// The path is not a regular file (a FIFO, a character device, a directory ...).
    NotRegular(&'static str),
    /// The file is larger than the cap of its kind.
    TooLarge(InputKind),
    /// A pipe the user named sent nothing for this long.
    Silent(std::time::Duration),
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Io(e) => write!(f, "{}", crate::error::io_words(e)),
            InputError::NotRegular(what) => write!(f, "not a regular file ({what})"),
            InputError::TooLarge(kind) => write!(
                f,
                "larger than the {} limit for a {}",
                size_words(kind.limit()),
                kind.noun()
            ),
            InputError::Silent(d) => write!(
                f,
                "a pipe that sent nothing for {} s (is its writer running?)",
                d.as_secs_f64()
            ),
        }
    }
}

impl std::error::Error for InputError {}

impl From<InputError> for io::Error {
    /// An I/O error keeps its errno; a refusal becomes an InvalidInput error whose text is
    /// the refusal, so callers that report `io::Error`s print the reason.
    fn from(e: InputError) -> io::Error {
        match e {
            InputError::Io(e) => e,
            other => io::Error::new(io::ErrorKind::InvalidInput, other.to_string()),
        }
    }
}

/// The kind of a non-regular file in words.
pub fn file_type_words(ft: std::fs::FileType) -> &'static str {
    if ft.is_dir() {
        "a directory"
    } else if ft.is_fifo() {
        "a FIFO"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_block_device() {
        "a block device"
    } else if ft.is_char_device() {
        "a character device"
    } else if ft.is_symlink() {
        "a symbolic link"
    } else {
        "not a file"
    }
}

/// Opens `path` for reading without blocking on a FIFO and checks it is a regular file
/// ([`open_file`] with [`Access::Read`]).
pub fn open_regular(path: &Path) -> Result<File, InputError> {
    open_file(path, Access::Read)
}

/// Reads at most `kind.limit()` bytes from `r`; more is an error.
pub fn read_capped(r: impl Read, kind: InputKind) -> Result<Vec<u8>, InputError> {
    let limit = kind.limit();
    let mut out = Vec::new();
    r.take(limit + 1)
        .read_to_end(&mut out)
        .map_err(InputError::Io)?;
    if out.len() as u64 > limit {
        return Err(InputError::TooLarge(kind));
    }
    Ok(out)
}

/// Reads the regular file `path` whole, refusing anything larger than `kind`'s cap.
pub fn read_input(path: &Path, kind: InputKind) -> Result<Vec<u8>, InputError> {
    read_opened(open_regular(path)?, kind)
}

/// Reads a regular file opened by [`open_file`] whole, refusing anything larger than
/// `kind`'s cap.
pub fn read_opened(file: File, kind: InputKind) -> Result<Vec<u8>, InputError> {
    let md = file.metadata().map_err(InputError::Io)?;
    if md.len() > kind.limit() {
        return Err(InputError::TooLarge(kind));
    }
    read_capped(file, kind)
}

/// [`read_input`] for text: bytes that are not UTF-8 are an InvalidData error.
pub fn read_input_string(path: &Path, kind: InputKind) -> Result<String, InputError> {
    text_of(read_input(path, kind)?)
}

/// Bytes read as text: not UTF-8 is an InvalidData error.
fn text_of(bytes: Vec<u8>) -> Result<String, InputError> {
    String::from_utf8(bytes)
        .map_err(|_| InputError::Io(io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text")))
}

/// The longest line read from a stream of lines (`evmctl sign_hash`'s standard input):
/// a digest and a path (PATH_MAX is 4 KiB) fit many times over.
pub const LINE_LIMIT: usize = 64 * 1024;

/// The lines of `r` without their "\n" or "\r\n", as [`BufRead::lines`], except that a
/// line longer than [`LINE_LIMIT`] is an InvalidData error instead of being buffered whole
/// (endless input without a newline, /dev/zero, cannot exhaust memory).
pub fn capped_lines<R: BufRead>(mut r: R) -> impl Iterator<Item = io::Result<String>> {
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let mut buf = Vec::new();
        let n = match (&mut r)
            .take(LINE_LIMIT as u64 + 2)
            .read_until(b'\n', &mut buf)
        {
            Ok(n) => n,
            Err(e) => {
                done = true;
                return Some(Err(e));
            }
        };
        if n == 0 {
            return None;
        }
        if buf.last() == Some(&b'\n') {
            buf.pop();
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
        }
        if buf.len() > LINE_LIMIT {
            done = true;
            return Some(Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a line longer than {}", size_words(LINE_LIMIT as u64)),
            )));
        }
        Some(String::from_utf8(buf).map_err(|_| {
            done = true;
            io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text")
        }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regular_file_is_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k");
        std::fs::write(&p, b"abc").unwrap();
        assert_eq!(read_input(&p, InputKind::Key).unwrap(), b"abc");
    }

    #[test]
    fn a_file_over_the_cap_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s");
        std::fs::write(&p, vec![0u8; (InputKind::Signature.limit() + 1) as usize]).unwrap();
        let e = read_input(&p, InputKind::Signature).unwrap_err();
        assert_eq!(
            e.to_string(),
            "larger than the 64 KiB limit for a signature file"
        );
        // Exactly the cap is fine.
        std::fs::write(&p, vec![0u8; InputKind::Signature.limit() as usize]).unwrap();
        assert!(read_input(&p, InputKind::Signature).is_ok());
    }

    #[test]
    fn a_stream_over_the_cap_is_refused() {
        let endless = io::repeat(0);
        assert!(matches!(
            read_capped(endless, InputKind::Pcrs),
            Err(InputError::TooLarge(InputKind::Pcrs))
        ));
    }

    #[test]
    fn devices_directories_and_fifos_are_refused_without_blocking() {
        let e = read_input(Path::new("/dev/zero"), InputKind::Key).unwrap_err();
        assert_eq!(e.to_string(), "not a regular file (a character device)");
        let dir = tempfile::tempdir().unwrap();
        let e = read_input(dir.path(), InputKind::Policy).unwrap_err();
        assert_eq!(e.to_string(), "not a regular file (a directory)");
        let fifo = dir.path().join("fifo");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let e = read_input(&fifo, InputKind::MeasurementList).unwrap_err();
        assert_eq!(e.to_string(), "not a regular file (a FIFO)");
    }

    #[test]
    fn lines_are_split_as_bufread_does_and_capped() {
        let text = b"a\nb\r\n\nlast";
        let ours: Vec<String> = capped_lines(&text[..]).map(Result::unwrap).collect();
        let std: Vec<String> = text.lines().map(Result::unwrap).collect();
        assert_eq!(ours, std);
        let mut long = vec![b'x'; LINE_LIMIT];
        long.push(b'\n');
        assert_eq!(
            capped_lines(&long[..]).next().unwrap().unwrap().len(),
            LINE_LIMIT
        );
        long.insert(0, b'x');
        let e = capped_lines(&long[..]).next().unwrap().unwrap_err();
        assert_eq!(e.to_string(), "a line longer than 64 KiB");
        // Endless input without a newline ends with the error, not with memory exhausted.
        let mut endless = capped_lines(io::BufReader::new(io::repeat(0)));
        assert!(endless.next().unwrap().is_err());
        assert!(endless.next().is_none());
    }

    #[test]
    fn every_kind_has_a_cap_under_256_mib() {
        for k in InputKind::ALL {
            assert!(k.limit() > 0 && k.limit() <= 64 * MIB, "{k:?}");
            assert!(!k.noun().is_empty());
        }
    }
}
