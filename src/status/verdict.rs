//! The verdict: from the assessments of IMA, the policy, the keyrings and PE signatures,
//! whether kexec is protected, why, and the first step to take.

use super::facts::{Facts, PolicyFile};
use super::ima::Ima;
use super::keyrings::{ImaKeyring, Keyrings};
use super::policy::PolicyState;
use super::report::Verdict;

/// The verdict, its reasons and the first step.
pub(super) fn judge(
    f: &Facts,
    ima: &Ima,
    policy: &PolicyState,
    keyrings: &Keyrings,
    pe_required: bool,
) -> (Verdict, Vec<String>, String) {
    let mut reasons = Vec::new();
    let ima_enforcing = ima.active && ima.enforcing;
    let verdict;
    let first_step;
    if pe_required {
        verdict = Verdict::Protected;
        reasons.push(
            "kexec_file_load demands a PE signature from a trusted or firmware key, and \
             kexec_load is refused; any kernel signed by such a key (your distribution's \
             included) can still be loaded"
                .into(),
        );
        first_step = "nothing required; to allow only kernels you signed, add IMA appraisal \
                      with .ima (see below)"
            .to_string();
    } else if ima.known.is_none() {
        verdict = Verdict::Unknown;
        reasons.push("whether IMA runs cannot be read (securityfs is not mounted)".into());
        first_step = "run as root with securityfs mounted (mount -t securityfs securityfs \
                      /sys/kernel/security)"
            .to_string();
    } else if !ima.active {
        verdict = Verdict::NotProtected;
        reasons.push("IMA is not running".into());
        first_step =
            "boot a kernel with CONFIG_IMA_APPRAISE (and CONFIG_INTEGRITY_TRUSTED_KEYRING)"
                .to_string();
    } else if !ima_enforcing {
        verdict = Verdict::NotProtected;
        reasons.push("IMA appraisal does not enforce".into());
        first_step = "remove ima_appraise=... from the kernel command line".to_string();
    } else if policy.rule_in_force == Some(false) || matches!(f.policy, PolicyFile::NoImaDir) {
        verdict = Verdict::NotProtected;
        reasons.push(if policy.hash_only {
            "kexec images are appraised by hash only".into()
        } else {
            "no policy rule demands a signature on kexec images".into()
        });
        first_step = if matches!(f.policy, PolicyFile::WriteOnly | PolicyFile::Readable(_)) {
            "load the kexec policy: imactl policy load /usr/share/imaevm/policies/kexec.policy \
             (at every boot: install it as /etc/ima/ima-policy)"
                .to_string()
        } else {
            "install /usr/share/imaevm/policies/kexec.policy as /etc/ima/ima-policy and reboot"
                .to_string()
        };
    } else {
        (verdict, first_step) = by_keyring(keyrings, policy.rule_in_force, &mut reasons);
    }
    if policy.rule_in_force.is_none() && verdict == Verdict::AccidentsOnly {
        reasons.push("the policy in force could not be read".into());
    }
    (verdict, reasons, first_step)
}

/// IMA enforces and the policy does not exempt kexec images: the keyring IMA uses decides.
fn by_keyring(
    keyrings: &Keyrings,
    rule_in_force: Option<bool>,
    reasons: &mut Vec<String>,
) -> (Verdict, String) {
    let verdict;
    let first_step;
    match keyrings.ima {
        ImaKeyring::User(n) => {
            verdict = Verdict::AccidentsOnly;
            reasons
                .push("IMA trusts _ima, which any root process can fill with its own key".into());
            if n == 0 {
                reasons.push("_ima holds no key: no signed kernel can be loaded either".into());
            }
            first_step = "build a kernel with CONFIG_INTEGRITY_TRUSTED_KEYRING=y and your \
                          CA in CONFIG_SYSTEM_TRUSTED_KEYS (imactl key ca), then import a \
                          key it issued into .ima (imactl key new; imactl key import)"
                .to_string();
        }
        ImaKeyring::Absent => {
            verdict = Verdict::NotProtected;
            reasons.push(
                "no IMA keyring: every signature fails, but a root process can create _ima \
                 and add its key"
                    .into(),
            );
            first_step = "build a kernel with CONFIG_INTEGRITY_TRUSTED_KEYRING=y and your \
                          CA in CONFIG_SYSTEM_TRUSTED_KEYS (imactl key ca)"
                .to_string();
        }
        ImaKeyring::Dot(n) => {
            (verdict, first_step) = by_dot_ima(n, keyrings, rule_in_force, reasons);
        }
        ImaKeyring::Unreadable => {
            verdict = Verdict::Unknown;
            reasons.push("the IMA keyring cannot be determined".into());
            first_step = "run as root (read /proc/keys)".to_string();
        }
    }
    (verdict, first_step)
}

/// IMA uses `.ima`, holding `n` keys.
fn by_dot_ima(
    n: u32,
    keyrings: &Keyrings,
    rule_in_force: Option<bool>,
    reasons: &mut Vec<String>,
) -> (Verdict, String) {
    let verdict;
    let first_step;
    let trusted =
        keyrings.builtin.flatten().unwrap_or(0) + keyrings.secondary.flatten().unwrap_or(0);
    if rule_in_force == Some(true) {
        verdict = Verdict::Protected;
        reasons.push(
            "kexec images must carry an IMA signature from a key in .ima, which \
             takes only keys signed by the kernel's trusted keys; the old \
             kexec_load call is refused while the rule is loaded"
                .into(),
        );
        first_step = if n == 0 {
            reasons.push(".ima holds no key yet: no kernel can be loaded with kexec".into());
            "import your signing certificate, issued by a CA the kernel trusts: \
             imactl key import ima.der"
                .to_string()
        } else {
            "nothing; keep the CA key offline".to_string()
        };
    } else {
        verdict = Verdict::Unknown;
        reasons.push(
            ".ima is restricted, but whether a rule demands signatures on kexec \
             images cannot be read"
                .into(),
        );
        first_step = "check that the policy loaded at boot (/etc/ima/ima-policy) \
                      has 'appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig'"
            .to_string();
    }
    if trusted == 0 && keyrings.builtin.is_some() {
        reasons.push("the trusted keyrings hold no key: no IMA key can be added".into());
    }
    (verdict, first_step)
}
