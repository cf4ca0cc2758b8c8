//! The facts `imactl status` judges: a snapshot of what the kernel says (filled by
//! [`super::gather`]), and the small readings of it that several assessments share.

use serde::Serialize;

use crate::keyring::ProcKey;

/// A snapshot of what the kernel says. `None` means "could not be read".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// The kernel release (/proc/sys/kernel/osrelease).
    pub release: Option<String>,
    /// /sys/kernel/security/lsm (None: securityfs not mounted, or no LSM support).
    pub lsm: Option<String>,
    /// Whether /sys/kernel/security/ima exists (IMA is active; before 6.9 IMA is not in
    /// the LSM list even when it runs).
    pub ima_dir: bool,
    /// /proc/cmdline.
    pub cmdline: Option<String>,
    /// /sys/kernel/security/lockdown ("none [integrity] confidentiality").
    pub lockdown: Option<String>,
    /// Booted through EFI (/sys/firmware/efi exists).
    pub efi: bool,
    /// The SecureBoot EFI variable: Some(true) when enabled.
    pub secure_boot: Option<bool>,
    /// The SetupMode EFI variable: Some(true) in setup mode (no PK: nothing enforced).
    pub setup_mode: Option<bool>,
    /// The kernel's own view (x86 boot_params.secure_boot, /sys/kernel/boot_params/data):
    /// Some(true) when the EFI stub found Secure Boot enabled.
    pub kernel_secure_boot: Option<bool>,
    /// The state of /sys/kernel/security/ima/policy.
    pub policy: PolicyFile,
    /// The policy a boot loads (/etc/ima/ima-policy, read by systemd), when present.
    pub boot_policy: Option<String>,
    /// The kernel configuration, with where it came from.
    pub config: Option<KernelConfig>,
    /// /proc/keys, parsed.
    pub proc_keys: Option<Vec<ProcKey>>,
    /// Members of keyrings by serial, where the keyring could be read (live only).
    pub members: Vec<(i32, Vec<KeyMember>)>,
    /// Files that exist but were refused or could not be read, each with the reason
    /// ("PATH: not a regular file (a FIFO)"). A missing file is not listed.
    pub unreadable: Vec<String>,
}

/// /sys/kernel/security/ima/policy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum PolicyFile {
    /// IMA has no policy file (no IMA, or securityfs not mounted).
    #[default]
    NoImaDir,
    /// The file is gone: a policy was written and the kernel (without
    /// CONFIG_IMA_WRITE_POLICY) removed the file; it is fixed until reboot.
    Removed,
    /// Present but not readable (no CONFIG_IMA_READ_POLICY).
    WriteOnly,
    /// Present and readable: the rules in force.
    Readable(String),
}

/// The parts of the kernel configuration that matter here.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KernelConfig {
    /// Where it was read ("/boot/config-6.1.0-13-amd64", "/proc/config.gz").
    pub source: String,
    /// `CONFIG_X=value` lines ("y", "m", "\"string\""); unset options are absent.
    pub values: Vec<(String, String)>,
}

impl KernelConfig {
    /// Parses a .config text.
    pub fn parse(source: &str, text: &str) -> KernelConfig {
        let values = text
            .lines()
            .filter_map(|l| l.strip_prefix("CONFIG_"))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        KernelConfig {
            source: source.to_string(),
            values,
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether `CONFIG_<name>` is y.
    pub fn enabled(&self, name: &str) -> bool {
        self.get(name) == Some("y")
    }
}

/// A key linked in a keyring (read with keyctl).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyMember {
    pub serial: i32,
    #[serde(rename = "type")]
    pub key_type: String,
    pub description: String,
    pub keyid: Option<String>,
}

impl Facts {
    /// Secure Boot as the kernel acts on it: the kernel's own view when visible, else
    /// SecureBoot=1 and SetupMode=0 from efivarfs (what the EFI stub checks). `None`: not
    /// known.
    pub fn secure_boot_effective(&self) -> Option<bool> {
        if let Some(k) = self.kernel_secure_boot {
            return Some(k);
        }
        if !self.efi {
            return Some(false);
        }
        match (self.secure_boot, self.setup_mode) {
            (Some(false), _) | (_, Some(true)) => Some(false),
            (Some(true), Some(false)) => Some(true),
            (Some(true), None) => Some(true),
            (None, _) => None,
        }
    }

    /// Whether `CONFIG_<name>` is y; `None` when the kernel configuration was not found.
    pub(super) fn config_enabled(&self, name: &str) -> Option<bool> {
        self.config.as_ref().map(|c| c.enabled(name))
    }

    /// The value of the last `key=` parameter on the kernel command line.
    pub(super) fn cmdline_param(&self, key: &str) -> Option<&str> {
        self.cmdline.as_deref().and_then(|c| cmdline_value(c, key))
    }
}

fn cmdline_value<'a>(cmdline: &'a str, key: &str) -> Option<&'a str> {
    cmdline
        .split_whitespace()
        .rev()
        .find_map(|w| w.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line() {
        assert_eq!(
            cmdline_value("ro ima_appraise=log quiet", "ima_appraise"),
            Some("log")
        );
        assert_eq!(cmdline_value("ro quiet", "ima_appraise"), None);
    }
}
