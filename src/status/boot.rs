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
            format!("{l}: kexec_load is refused and kexec_file_load demands a PE signature"),
        ),
        None => c.add(
            "lockdown",
            State::Info,
            "not available (no lockdown LSM, or securityfs not mounted)".into(),
        ),
    }
    let locked = matches!(lockdown.as_deref(), Some("integrity" | "confidentiality"));
    match (f.efi, f.secure_boot) {
        (false, _) => c.add("secure-boot", State::Info, "not an EFI boot".into()),
        (true, Some(true)) => c.add("secure-boot", State::Ok, "enabled".into()),
        (true, Some(false)) => c.add("secure-boot", State::Info, "disabled".into()),
        (true, None) => c.add(
            "secure-boot",
            State::Unknown,
            "EFI boot, but the SecureBoot variable is not readable".into(),
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
