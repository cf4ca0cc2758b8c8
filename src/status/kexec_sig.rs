//! Whether the kernel demands PE signatures on kexec images (the `config` and `kexec-sig`
//! checks).

use super::facts::Facts;
use super::report::{Checks, State};

/// Adds the `config` and `kexec-sig` checks; true when kexec_file_load demands a PE
/// signature (CONFIG_KEXEC_SIG with KEXEC_SIG_FORCE or lockdown) and kexec_load is refused.
pub(super) fn assess_kexec_sig(f: &Facts, c: &mut Checks, locked: bool) -> bool {
    let kexec_sig = f.config_enabled("KEXEC_SIG");
    let kexec_sig_force = f.config_enabled("KEXEC_SIG_FORCE") == Some(true);
    let pe_required = kexec_sig == Some(true) && (kexec_sig_force || locked);
    match (f.config.as_ref(), kexec_sig) {
        (None, _) => c.add(
            "config",
            State::Unknown,
            "kernel configuration not found (/boot/config-RELEASE or /proc/config.gz)".into(),
        ),
        (Some(k), _) => c.add("config", State::Info, format!("read from {}", k.source)),
    }
    match kexec_sig {
        Some(true) if pe_required => c.add(
            "kexec-sig",
            State::Ok,
            format!(
                "CONFIG_KEXEC_SIG=y and {}: kexec_file_load also demands a PE signature by a \
                 key in .builtin_trusted_keys, .secondary_trusted_keys or .platform{}",
                if kexec_sig_force {
                    "CONFIG_KEXEC_SIG_FORCE=y"
                } else {
                    "lockdown"
                },
                if kexec_sig_force {
                    ""
                } else {
                    " (or, when PE signatures are not enforced, an IMA signature under a first \
                     appraise rule for KEXEC_KERNEL_CHECK with appraise_type=imasig)"
                }
            ),
        ),
        Some(true) => c.add(
            "kexec-sig",
            State::Info,
            "CONFIG_KEXEC_SIG=y, not forced (no KEXEC_SIG_FORCE, no lockdown): a PE signature \
             is checked only when present"
                .into(),
        ),
        Some(false) => c.add(
            "kexec-sig",
            State::Info,
            "CONFIG_KEXEC_SIG is not set: the kernel does not check PE signatures".into(),
        ),
        None => {}
    }
    pe_required
}
