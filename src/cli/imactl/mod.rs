//! The imactl front end: clap grammar, turned into library requests; printing and exit
//! codes live here. Each subcommand group has its own module.

use clap::{Parser, Subcommand};

pub mod key;
pub mod keygen;
pub mod keyshow;
pub mod modsig;
pub mod policy;
pub mod status;
pub mod verify;

/// Check and load IMA policies, manage the IMA keyring, and tell why the kernel refuses a file.
#[derive(Parser, Debug)]
#[command(name = "imactl", version)]
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
    /// Tell whether kexec is protected on this machine, and if not, why not.
    ///
    /// Reads the kernel's own interfaces: IMA in the LSM list, ima_appraise= on the
    /// command line, lockdown and secure boot, whether an IMA policy is loaded, readable,
    /// appraises KEXEC_KERNEL_CHECK with imasig and can still be replaced, the trusted
    /// keyrings, .ima or _ima and their keys, and CONFIG_KEXEC_SIG (PE signatures). Ends
    /// with a verdict and the first step to take. Exit status: 0 protected, 3 against
    /// accidents only (_ima), 4 not protected, 5 unknown, 1 an error.
    #[command(after_help = keygen::TRUST_NOTES)]
    Status(status::StatusArgs),
    /// Appended signatures for kernel images and initramfs (the kernel module format).
    ///
    /// For files on filesystems without xattrs (a vfat ESP or /boot): IMA accepts them with
    /// `appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig|modsig` on a kernel built
    /// with CONFIG_IMA_APPRAISE_MODSIG, with the signing certificate in .ima.
    #[command(subcommand)]
    Modsig(modsig::ModsigCommand),
}

/// Runs imactl with the process arguments; returns the exit code.
pub fn main() -> i32 {
    match Cli::parse().command {
        Command::Policy(cmd) => policy::run(cmd),
        Command::Key(c) => key::run(c),
        Command::Verify(a) => verify::run(a),
        Command::Status(a) => status::run(a),
        Command::Modsig(c) => modsig::run(c),
    }
}
