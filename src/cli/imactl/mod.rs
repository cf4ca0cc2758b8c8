//! The imactl front end: clap grammar, turned into library requests; printing and exit
//! codes live here. Each subcommand group has its own module.

use clap::{Parser, Subcommand};

pub mod exit;
pub mod key;
pub mod policy;
pub mod verify;

pub use exit::{EXIT_FAIL, EXIT_OK, EXIT_STATUS_HELP, EXIT_USAGE};

/// Check and load IMA policies, manage the IMA keyring, and tell why the kernel refuses a file.
#[derive(Parser, Debug)]
#[command(name = "imactl", version, after_long_help = EXIT_STATUS_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check, load and show IMA policies.
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// Manage the keys in the keyring IMA (or EVM) uses.
    #[command(subcommand)]
    Key(key::KeyCommand),
    /// Ask the kernel whether files' IMA signatures verify with the keys it holds.
    Verify(verify::VerifyArgs),
}

/// Runs imactl with the process arguments; returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // --help and --version print on stdout and succeed; the rest are usage errors.
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    match cli.command {
        Command::Policy(cmd) => policy::run(cmd),
        Command::Key(c) => key::run(c),
        Command::Verify(a) => verify::run(a),
    }
}
