//! Whether IMA runs, and whether its appraisal enforces (the `ima` and `appraise-mode`
//! checks).

use super::facts::Facts;
use super::report::{Checks, State};

/// IMA as the facts show it.
pub(super) struct Ima {
    /// IMA runs (it is in the LSM list, or its securityfs directory exists).
    pub(super) active: bool,
    /// Some(true): runs; Some(false): known absent; None: cannot tell.
    pub(super) known: Option<bool>,
    /// Appraisal enforces (no ima_appraise= weakens it).
    pub(super) enforcing: bool,
}

/// Adds the `ima` and `appraise-mode` checks.
pub(super) fn assess_ima(f: &Facts, c: &mut Checks) -> Ima {
    let (active, known) = running(f, c);
    let enforcing = appraise_mode(f, c, known);
    Ima {
        active,
        known,
        enforcing,
    }
}

/// Whether IMA runs: (active, known).
fn running(f: &Facts, c: &mut Checks) -> (bool, Option<bool>) {
    let ima_in_lsm = f
        .lsm
        .as_deref()
        .is_some_and(|l| l.trim().split(',').any(|m| m == "ima"));
    let ima_active = ima_in_lsm || f.ima_dir;
    // Some(false): known absent; None: cannot tell.
    let ima_known: Option<bool> = if ima_active {
        Some(true)
    } else if f.config_enabled("IMA") == Some(false) || f.lsm.is_some() {
        Some(false)
    } else {
        None
    };
    match (&f.lsm, ima_known) {
        (_, Some(true)) if ima_in_lsm => c.add("ima", State::Ok, "IMA is in the LSM list".into()),
        (_, Some(true)) => c.add(
            "ima",
            State::Ok,
            "IMA is active (/sys/kernel/security/ima exists; kernels before 6.9 do not list \
             it among the LSMs)"
                .into(),
        ),
        (_, Some(false)) if f.config_enabled("IMA") == Some(false) => c.add(
            "ima",
            State::Bad,
            "the kernel has no IMA (CONFIG_IMA is not set)".into(),
        ),
        (Some(l), _) => c.add(
            "ima",
            State::Bad,
            format!("IMA is not running (LSM list: {})", l.trim()),
        ),
        (None, _) => c.add(
            "ima",
            State::Unknown,
            "/sys/kernel/security/lsm is not readable: is securityfs mounted? \
             (mount -t securityfs securityfs /sys/kernel/security)"
                .into(),
        ),
    }
    (ima_active, ima_known)
}

/// Whether appraisal enforces.
fn appraise_mode(f: &Facts, c: &mut Checks, ima_known: Option<bool>) -> bool {
    let secure_boot = f.secure_boot == Some(true);
    let appraise_param = f.cmdline_param("ima_appraise");
    let enforcing =
        match appraise_param {
            _ if ima_known == Some(false) => {
                c.add(
                    "appraise-mode",
                    State::Info,
                    "no IMA: nothing is appraised".into(),
                );
                false
            }
            None | Some("enforce") => {
                c.add(
                    "appraise-mode",
                    State::Ok,
                    "enforce (no ima_appraise= on the command line, or ima_appraise=enforce)"
                        .into(),
                );
                true
            }
            Some(m) if secure_boot => {
                c.add(
                    "appraise-mode",
                    State::Ok,
                    format!(
                        "ima_appraise={m} is on the command line, but the kernel ignores it under \
                     secure boot: enforce"
                    ),
                );
                true
            }
            Some(m) => {
                c.add(
                    "appraise-mode",
                    State::Bad,
                    format!(
                    "ima_appraise={m}: failures are {} (remove it from the kernel command line)",
                    if m == "off" { "not even checked" } else { "logged, not refused" }
                ),
                );
                false
            }
        };
    if f.cmdline.is_none() {
        c.add(
            "appraise-mode",
            State::Unknown,
            "/proc/cmdline is not readable".into(),
        );
    }
    enforcing
}
