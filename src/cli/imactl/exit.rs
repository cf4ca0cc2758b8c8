//! imactl's exit codes, defined once: every command returns one of these, and the help
//! text and man page (EXIT STATUS) print [`EXIT_STATUS_HELP`].

/// Exit status 0: done, and the answer is yes (the policy is valid, the signatures verify,
/// the keys were added).
pub const EXIT_OK: i32 = 0;
/// Exit status 1: the command ran and the answer is no, or the system refused: a policy
/// with errors (or warnings under --strict), a signature that does not verify or a file
/// that cannot be checked (verify), a key or policy the kernel refused, a file that is not a
/// certificate, a securityfs that does not let the policy be read, a keyring that cannot
/// be found, a key to remove that is not there.
pub const EXIT_FAIL: i32 = 1;
/// Exit status 2: the command cannot run as given: a usage error (unknown option, missing
/// argument), a bad --kernel, a key reference that does not parse, or an input file that
/// cannot be read (missing, unreadable, not a regular file, over its size cap, not UTF-8).
pub const EXIT_USAGE: i32 = 2;

/// The EXIT STATUS text of `imactl --help` and the man page, from the constants above.
pub const EXIT_STATUS_HELP: &str = "Exit status:
  0  done, and the answer is yes (the policy is valid, the signatures verify, the keys were added)
  1  the answer is no, or the system refused: a policy with errors (or warnings under --strict), a signature that does not verify or a file verify cannot check, a key or policy the kernel refused, a file that is not a certificate, a securityfs that does not let the policy be read, a keyring that cannot be found, a key to remove that is not there
  2  the command cannot run as given: a usage error, a bad --kernel, a key reference that does not parse, or an input file that cannot be read (missing, unreadable, not a regular file, over its size cap, not UTF-8)";

/// A command that stops: the message for stderr and the exit status it ends with.
#[derive(Debug)]
pub struct Failure {
    pub status: i32,
    pub message: String,
}

impl Failure {
    /// The answer is no, or the system refused ([`EXIT_FAIL`]).
    pub fn no(message: impl Into<String>) -> Failure {
        Failure {
            status: EXIT_FAIL,
            message: message.into(),
        }
    }

    /// The command cannot run as given ([`EXIT_USAGE`]): an input that cannot be read.
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            status: EXIT_USAGE,
            message: message.into(),
        }
    }

    /// [`Failure::usage`] when `unreadable`, else [`Failure::no`].
    pub fn unreadable_if(unreadable: bool, message: impl Into<String>) -> Failure {
        if unreadable {
            Failure::usage(message)
        } else {
            Failure::no(message)
        }
    }

    /// A key or certificate that could not be loaded: [`EXIT_USAGE`] when the file could
    /// not be read, [`EXIT_FAIL`] when it was read and is not what is needed.
    pub fn key(e: &crate::keys::KeyError) -> Failure {
        Failure::unreadable_if(e.is_unreadable(), e.to_string())
    }

    /// Prints the message as imactl's and returns the exit status.
    pub fn report(&self) -> i32 {
        eprintln!("imactl: {}", self.message);
        self.status
    }
}
