//! Reading the [`Facts`] from the kernel's files under a root directory: "/" on a live
//! system, or a fixture tree standing in for /proc, /sys and /boot in tests. Keyring
//! members are read with keyctl only on the live system (root "/").

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use super::facts::{Facts, KernelConfig, KeyMember, PolicyFile};
use crate::keyring;

/// The EFI variable holding the secure boot state.
pub const SECURE_BOOT_VAR: &str =
    "sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-e0800e4e4a8c";

fn read(root: &Path, rel: &str) -> Option<String> {
    std::fs::read_to_string(root.join(rel)).ok()
}

/// Gathers the facts under `root`.
pub fn gather(root: &Path) -> Facts {
    let live = root == Path::new("/");
    let release = read(root, "proc/sys/kernel/osrelease").map(|s| s.trim().to_string());
    let ima_dir = root.join("sys/kernel/security/ima").is_dir();
    let policy_path = root.join("sys/kernel/security/ima/policy");
    let policy = if !ima_dir {
        PolicyFile::NoImaDir
    } else {
        match std::fs::metadata(&policy_path) {
            Err(_) => PolicyFile::Removed,
            // The kernel makes the file 0200 without CONFIG_IMA_READ_POLICY and refuses
            // reads even to root: go by the mode, as a fixture cannot refuse root.
            Ok(m) if m.permissions().mode() & 0o444 == 0 => PolicyFile::WriteOnly,
            Ok(_) => match std::fs::read_to_string(&policy_path) {
                Ok(t) => PolicyFile::Readable(t),
                Err(_) => PolicyFile::WriteOnly,
            },
        }
    };
    let secure_boot = std::fs::read(root.join(SECURE_BOOT_VAR))
        .ok()
        // 4 bytes of attributes, then the value.
        .and_then(|b| b.get(4).copied())
        .map(|v| v == 1);
    let proc_keys = read(root, "proc/keys").map(|t| keyring::parse_proc_keys(&t));
    let mut members = Vec::new();
    if live {
        if let Some(keys) = &proc_keys {
            for k in keys.iter().filter(|k| k.key_type == "keyring") {
                let name = k.text.split(':').next().unwrap_or("");
                let wanted = [
                    ".builtin_trusted_keys",
                    ".secondary_trusted_keys",
                    ".machine",
                    ".platform",
                    ".ima",
                    "_ima",
                    ".ima_blacklist",
                ];
                if !wanted.contains(&name) {
                    continue;
                }
                if let Ok(list) = keyring::list_keys(k.serial) {
                    members.push((
                        k.serial,
                        list.into_iter()
                            .map(|i| KeyMember {
                                serial: i.serial,
                                key_type: i.key_type,
                                description: i.description,
                                keyid: i.keyid,
                            })
                            .collect(),
                    ));
                }
            }
        }
    }
    Facts {
        lsm: read(root, "sys/kernel/security/lsm"),
        ima_dir,
        cmdline: read(root, "proc/cmdline"),
        lockdown: read(root, "sys/kernel/security/lockdown"),
        efi: root.join("sys/firmware/efi").is_dir(),
        secure_boot,
        policy,
        boot_policy: read(root, "etc/ima/ima-policy"),
        config: config(root, release.as_deref()),
        proc_keys,
        members,
        release,
    }
}

/// The kernel configuration: /boot/config-RELEASE (plain text), else /proc/config.gz
/// through `gzip -dc` when gzip is installed.
fn config(root: &Path, release: Option<&str>) -> Option<KernelConfig> {
    if let Some(rel) = release {
        let p = format!("boot/config-{rel}");
        if let Some(t) = read(root, &p) {
            return Some(KernelConfig::parse(&format!("/{p}"), &t));
        }
    }
    let gz = root.join("proc/config.gz");
    if gz.is_file() {
        if let Ok(out) = Command::new("gzip").arg("-dc").arg(&gz).output() {
            if out.status.success() {
                return Some(KernelConfig::parse(
                    "/proc/config.gz",
                    &String::from_utf8_lossy(&out.stdout),
                ));
            }
        }
    }
    None
}
