//! Lockdown and secure boot (the `lockdown` and `secure-boot` checks).

use super::facts::Facts;
use super::report::{Checks, State};

/// The selected word of a securityfs choice list ("none [integrity] confidentiality").
fn selected(s: &str) -> Option<&str> {
    let start = s.find('[')?;
    let end = s[start..].find(']')? + start;
    Some(&s[start + 1..end])
}

/// Adds the `lockdown` and `secure-boot` checks; true when lockdown is integrity or
/// confidentiality.
pub(super) fn assess_lockdown_and_secure_boot(f: &Facts, c: &mut Checks) -> bool {
    let lockdown = f.lockdown.as_deref().and_then(selected).map(str::to_string);
    match lockdown.as_deref() {
        Some("none") => c.add("lockdown", State::Info, "none".into()),
        Some(l) => c.add(
            "lockdown",
            State::Ok,
            format!(
                "{l}: kexec_load is refused; with CONFIG_KEXEC_SIG, kexec_file_load demands a \
                 valid PE signature unless the first IMA appraise rule for KEXEC_KERNEL_CHECK \
                 demands an IMA signature"
            ),
        ),
        None => c.add(
            "lockdown",
            State::Info,
            "not available (no lockdown LSM, or securityfs not mounted)".into(),
        ),
    }
    let locked = matches!(lockdown.as_deref(), Some("integrity" | "confidentiality"));
    let kernel_view = match f.kernel_secure_boot {
        Some(true) => "; the kernel's view (boot_params): enabled",
        Some(false) => "; the kernel's view (boot_params): disabled",
        None => "",
    };
    let setup = match f.setup_mode {
        Some(true) => ", SetupMode=1 (no platform key: nothing is enforced)",
        Some(false) => ", SetupMode=0",
        None => "",
    };
    match (f.efi, f.secure_boot, f.secure_boot_effective()) {
        (false, _, _) => c.add(
            "secure-boot",
            State::Info,
            format!("not an EFI boot{kernel_view}"),
        ),
        (true, Some(v), eff) => c.add(
            "secure-boot",
            if eff == Some(true) {
                State::Ok
            } else {
                State::Info
            },
            format!(
                "{} (SecureBoot={}{setup}){kernel_view}",
                if eff == Some(true) {
                    "enabled"
                } else {
                    "disabled"
                },
                u8::from(v)
            ),
        ),
        (true, None, _) => c.add(
            "secure-boot",
            State::Unknown,
            format!("EFI boot, but the SecureBoot variable is not readable{kernel_view}"),
        ),
    }
    locked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockdown() {
        assert_eq!(
            selected("none [integrity] confidentiality"),
            Some("integrity")
        );
    }
}
