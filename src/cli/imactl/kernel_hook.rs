//! `imactl kernel-hook add|remove VERSION [IMAGE]`: the one implementation behind the
//! kernel-install plugin and the Debian postinst.d/postrm.d hooks (packaging/).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::kernel_hook::{self, Request};

use super::exit::Failure;

#[derive(Subcommand, Debug)]
pub enum KernelHookCommand {
    /// After a kernel is installed: leave the image kexec and kdump load signed, or say why not.
    ///
    /// Finds the image as kdumpctl does (vmlinuz-VERSION in /boot, /boot/efi, /efi or /, a
    /// BLS entry's linux, ENTRY_DIR/linux, a UKI in EFI/Linux). When it carries a signature
    /// (security.ima or an appended one) that verifies with a certificate in /etc/keys/ima
    /// or, on the running system, a key in the IMA keyring: OK. Else it copies a signature
    /// over the same content (digests compared first) from IMAGE or
    /// /lib/modules/VERSION/vmlinuz; else it signs with the key configured in
    /// /etc/imaevm/kernel-hook.conf (security.ima, or an appended signature where the
    /// filesystem holds no xattrs); else it prints one paragraph on what kdump will do at
    /// the next boot and how to fix it. Never prompts. Exit status 0, also when the image
    /// is left unsigned, unless strictness is asked (--strict or strict = yes): then 1.
    /// A --config FILE that cannot be read: 2; one that does not parse: 1.
    Add(HookArgs),
    /// After a kernel is removed: nothing to undo (no record is kept); warns when it is the
    /// running kernel. Exit status 0.
    Remove(RemoveArgs),
}

#[derive(Args, Debug)]
pub struct RemoveArgs {
    /// The kernel version removed.
    #[arg(value_name = "VERSION")]
    pub version: String,
    /// Work on the system below DIR.
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
}

#[derive(Args, Debug)]
pub struct HookArgs {
    /// The kernel version (uname -r of the new kernel).
    #[arg(value_name = "VERSION")]
    pub version: String,
    /// The image the package installed (kernel-install's KERNEL-IMAGE, Debian's $2).
    #[arg(value_name = "IMAGE")]
    pub image: Option<PathBuf>,
    /// kernel-install's ENTRY_DIR ($BOOT/ENTRY-TOKEN/VERSION): its linux is a candidate.
    #[arg(long, value_name = "DIR")]
    pub entry_dir: Option<PathBuf>,
    /// Work on the system below DIR (paths in the configuration and arguments are taken
    /// below it; the kernel's IMA keyring is consulted only when DIR is /).
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    /// The configuration file (default: etc/imaevm/kernel-hook.conf below the root, which
    /// may be absent). A FILE named here must be there and parse: one that cannot be read
    /// is exit status 2, one that does not parse 1, and nothing is done.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Exit 1 when the image is left without a valid signature (as strict = yes).
    #[arg(long)]
    pub strict: bool,
}

pub fn run(c: KernelHookCommand) -> i32 {
    match c {
        KernelHookCommand::Add(a) => {
            let req = Request {
                root: a.root,
                version: a.version,
                image: a.image,
                entry_dir: a.entry_dir,
                config: a.config,
                strict: a.strict,
            };
            // A --config FILE named on the command line that cannot be used stops the hook
            // before anything is done: one that cannot be read (missing included) is exit
            // status 2, one that is read and does not parse is 1. The default file may be
            // absent (kernel_hook::add).
            let report = match kernel_hook::add(&req) {
                Ok(r) => r,
                Err(e) => {
                    return Failure::unreadable_if(
                        e.is_unreadable(),
                        format!("--config {e}; nothing is done"),
                    )
                    .report()
                }
            };
            for l in &report.lines {
                println!("imactl kernel-hook: {}", crate::escape::terminal(l));
            }
            if report.failed() {
                super::EXIT_FAIL
            } else {
                super::EXIT_OK
            }
        }
        KernelHookCommand::Remove(a) => {
            let running = crate::input::read_input(
                std::path::Path::new("/proc/sys/kernel/osrelease"),
                crate::input::InputKind::KernelFact,
            )
            .ok()
            .and_then(|b| String::from_utf8(b).ok());
            for l in kernel_hook::remove(&a.root, &a.version, running.as_deref().map(str::trim)) {
                println!("imactl kernel-hook: {}", crate::escape::terminal(&l));
            }
            super::EXIT_OK
        }
    }
}
