//! `-` as an input file: standard input, read through the same cap as a file of its kind.
//!
//! Only front ends that document `-` call these functions (imactl's `policy check`,
//! `policy load`, `key import`, `key show` and the certificates of `modsig`); evmctl reads
//! files as upstream does, where `-` is a file of that name. Standard input may be a pipe,
//! a terminal (read until end of file, as a Unix filter does) or a redirected file: at
//! most the cap and one byte more are read, and more than the cap is refused. Messages
//! name it "standard input".

use std::fmt;
use std::path::Path;

use super::{
    open_file, read_capped, read_opened, read_pipe, text_of, Access, InputError, InputKind,
    PIPE_IDLE_LIMIT,
};

/// The file argument that means standard input.
pub const STDIN_ARG: &str = "-";

/// How messages (and JSON) name standard input.
pub const STDIN_NAME: &str = "standard input";

/// True when `path` is the argument `-`. A file named `-` is reached as `./-`.
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == STDIN_ARG
}

/// A file argument as messages name it: `standard input` for `-`, else the path.
#[derive(Clone, Copy, Debug)]
pub struct SourceName<'a>(pub &'a Path);

impl fmt::Display for SourceName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if is_stdin(self.0) {
            f.write_str(STDIN_NAME)
        } else {
            write!(f, "{}", self.0.display())
        }
    }
}

/// How messages name `path`: "standard input" for `-`, the path otherwise.
pub fn source_name(path: &Path) -> SourceName<'_> {
    SourceName(path)
}

/// Reads standard input whole: at most `kind.limit()` bytes, more is an error. A pipe is
/// read with [`read_pipe`]'s time limit while nothing arrives; a terminal or a redirected
/// file is read to its end.
pub fn read_stdin(kind: InputKind) -> Result<Vec<u8>, InputError> {
    use std::os::fd::AsFd;
    let stdin = std::io::stdin();
    let lock = stdin.lock();
    // A duplicate of descriptor 0 to fstat and poll; it shares the open file, so reading
    // from either advances the same offset.
    let dup = lock
        .as_fd()
        .try_clone_to_owned()
        .map(std::fs::File::from)
        .map_err(InputError::Io)?;
    if super::open::is_pipe(&dup) {
        read_pipe(&dup, kind, PIPE_IDLE_LIMIT)
    } else {
        read_capped(lock, kind)
    }
}

/// An input the user names on purpose: `-` is standard input ([`read_stdin`]), a FIFO or
/// pipe (`<(cmd)`, `/dev/stdin`) is read with the same cap and [`read_pipe`]'s time limit
/// while nothing arrives, and anything else is a regular file read as
/// [`super::read_input`] reads it.
pub fn read_input_or_stdin(path: &Path, kind: InputKind) -> Result<Vec<u8>, InputError> {
    if is_stdin(path) {
        return read_stdin(kind);
    }
    let file = open_file(path, Access::ReadOrPipe)?;
    if super::open::is_pipe(&file) {
        read_pipe(&file, kind, PIPE_IDLE_LIMIT)
    } else {
        read_opened(file, kind)
    }
}

/// [`read_input_or_stdin`] for text: bytes that are not UTF-8 are an InvalidData error.
pub fn read_input_or_stdin_string(path: &Path, kind: InputKind) -> Result<String, InputError> {
    text_of(read_input_or_stdin(path, kind)?)
}

/// Standard input can be read once: an error when `-` is among `paths` more than once.
pub fn stdin_at_most_once<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Result<(), String> {
    let n = paths.into_iter().filter(|p| is_stdin(p)).count();
    if n > 1 {
        Err(format!(
            "- (standard input) is given {n} times; standard input can be read only once"
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_lone_dash_is_stdin() {
        assert!(is_stdin(Path::new("-")));
        for p in ["./-", "--", "-x", "", "/dev/stdin"] {
            assert!(!is_stdin(Path::new(p)), "{p}");
        }
        assert_eq!(source_name(Path::new("-")).to_string(), "standard input");
        assert_eq!(source_name(Path::new("./-")).to_string(), "./-");
        assert_eq!(source_name(Path::new("/a b/p")).to_string(), "/a b/p");
    }

    #[test]
    fn a_second_dash_is_refused() {
        let p = |s: &'static str| Path::new(s);
        assert!(stdin_at_most_once([p("a"), p("-"), p("b")]).is_ok());
        assert!(stdin_at_most_once([p("./-"), p("-")]).is_ok());
        assert!(stdin_at_most_once(std::iter::empty()).is_ok());
        let e = stdin_at_most_once([p("-"), p("a"), p("-")]).unwrap_err();
        assert_eq!(
            e,
            "- (standard input) is given 2 times; standard input can be read only once"
        );
    }

    #[test]
    fn a_path_other_than_dash_is_read_as_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("-");
        std::fs::write(&p, b"measure func=BPRM_CHECK\n").unwrap();
        // An absolute path ending in "-" is a file, not standard input.
        assert_eq!(
            read_input_or_stdin_string(&p, InputKind::Policy).unwrap(),
            "measure func=BPRM_CHECK\n"
        );
        let e = read_input_or_stdin(Path::new("/dev/zero"), InputKind::Key).unwrap_err();
        assert_eq!(e.to_string(), "not a regular file (a character device)");
    }
}
