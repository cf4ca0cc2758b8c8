//! The imactl front end: clap grammar, turned into library requests; printing and exit
//! codes live here. Each subcommand group has its own module.

use clap::{Parser, Subcommand};

pub mod boot;
pub mod exit;
pub mod json;
pub mod kernel_hook;
pub mod key;
pub mod keygen;
pub mod keyshow;
pub mod modsig;
pub mod policy;
mod policy_lockout;
pub mod restore;
pub mod status;
pub mod values;
pub mod verify;
pub mod verify_packages;

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
    /// The boot step: import the IMA certificates, then load the IMA policy.
    ///
    /// Imports every certificate in /etc/keys/ima/ (and /etc/keys/x509_ima.der when it
    /// exists) into the keyring IMA uses (.ima when the kernel made it, else _ima in the
    /// user keyring, made when absent), then checks and loads /etc/ima/ima-policy (by path
    /// when the policy must be signed). Running it again is harmless: keys already present
    /// are left alone and a policy already loaded this boot is recognised. Before a load
    /// it runs the lockout check of `policy load`: a policy under which the kernel would
    /// refuse programs this system runs now is not loaded while appraisal enforces, unless
    /// --force. For initramfs hooks and an early systemd unit. Exit status: 0 the policy is
    /// in force and every certificate is in the keyring, 3 in force but a certificate is
    /// missing, 1 the policy is not in force (also when the policy file is missing or cannot
    /// be read, or the lockout check refused it: the step runs unattended and reports it as
    /// not in force), 2 bad arguments.
    Boot(boot::BootArgs),
    /// Appended signatures for kernel images and initramfs (the kernel module format).
    ///
    /// For files on filesystems without xattrs (a vfat ESP or /boot): IMA accepts them with
    /// `appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig|modsig` on a kernel built
    /// with CONFIG_IMA_APPRAISE_MODSIG, with the signing certificate in .ima.
    #[command(subcommand)]
    Modsig(modsig::ModsigCommand),
    /// Kernel updates: keep the image kexec and kdump load signed (kernel-install and Debian hooks).
    ///
    /// Run by the kernel-install plugin 95-imaevm.install and the Debian hooks
    /// /etc/kernel/postinst.d/zzz-imaevm and postrm.d/zzz-imaevm after a kernel is
    /// installed or removed. Never prompts; exits 0 unless strictness is configured (or a
    /// --config FILE named on the command line cannot be used).
    #[command(subcommand)]
    KernelHook(kernel_hook::KernelHookCommand),
    /// Re-apply security.ima from the rpm database, a package file or .sig files.
    ///
    /// Never writes a value onto a file whose content is not the recorded one: the file's
    /// digest must equal the package's (FILEDIGESTS) and the value must verify over it
    /// before anything is written. Exit status: 0 all restored, 3 some skipped, 1 a file
    /// refused or an error, 2 bad arguments or a --package file that cannot be read.
    Restore(restore::RestoreArgs),
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
        Command::Status(a) => status::run(a),
        Command::Boot(a) => boot::run(a),
        Command::Modsig(c) => modsig::run(c),
        Command::KernelHook(c) => kernel_hook::run(c),
        Command::Restore(a) => restore::run(a),
    }
}
