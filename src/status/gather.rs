//! Reading the [`Facts`] from the kernel's files under a root directory: "/" on a live
//! system, or a fixture tree standing in for /proc, /sys and /boot in tests. Keyring
//! members are read with keyctl only on the live system (root "/").
//!
//! Every file goes through the project's bounded reader ([`crate::input`]): opened without
//! blocking, refused unless it is a regular file, read up to the cap of its kind. A file
//! that exists but is refused is a fact that could not be read, and its path and reason
//! are kept in [`Facts::unreadable`].

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use super::facts::{Facts, KernelConfig, KeyMember, PolicyFile};
use crate::input::{self, InputError, InputKind};
use crate::keyring;

/// The GUID of the UEFI global variables (EFI_GLOBAL_VARIABLE: SecureBoot, SetupMode, db).
pub const EFI_GLOBAL_GUID: &str = "8be4df61-93ca-11d2-aa0d-00e098032b8c";
/// The GUID of the image-security database variables (db, dbx).
pub const EFI_IMAGE_SECURITY_GUID: &str = "d719b2cb-3d3a-4596-a3bc-dad00e67656f";
/// The GUID of shim's variables (MokListRT).
pub const SHIM_GUID: &str = "605dab50-e046-4300-abb6-3dd810dd8b23";

/// The efivarfs directory under the root.
pub const EFIVARS: &str = "sys/firmware/efi/efivars";

/// The EFI variable holding the secure boot state.
pub const SECURE_BOOT_VAR: &str =
    "sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c";
/// The EFI variable that is 1 while no platform key is enrolled.
pub const SETUP_MODE_VAR: &str =
    "sys/firmware/efi/efivars/SetupMode-8be4df61-93ca-11d2-aa0d-00e098032b8c";
/// The firmware's allowed-signature database.
pub const DB_VAR: &str = "sys/firmware/efi/efivars/db-d719b2cb-3d3a-4596-a3bc-dad00e67656f";
/// shim's runtime copy of the Machine Owner Key list.
pub const MOK_LIST_RT_VAR: &str =
    "sys/firmware/efi/efivars/MokListRT-605dab50-e046-4300-abb6-3dd810dd8b23";
/// The firmware's forbidden-signature database.
pub const DBX_VAR: &str = "sys/firmware/efi/efivars/dbx-d719b2cb-3d3a-4596-a3bc-dad00e67656f";
/// shim's runtime copy of its MOK deny list (MokListX).
pub const MOK_LIST_XRT_VAR: &str =
    "sys/firmware/efi/efivars/MokListXRT-605dab50-e046-4300-abb6-3dd810dd8b23";

/// x86 boot_params, as the kernel exposes them; byte 0x1ec is `secure_boot` (the
/// efi_secureboot_mode the EFI stub found: 2 disabled, 3 enabled).
pub const BOOT_PARAMS: &str = "sys/kernel/boot_params/data";
const BOOT_PARAMS_SECURE_BOOT: usize = 0x1ec;

/// Collects the files that exist but cannot be read.
#[derive(Default)]
pub struct Reader {
    pub unreadable: Vec<String>,
}

impl Reader {
    /// The bytes of `root/rel` through the bounded reader; `None` when absent (silently) or
    /// refused (noted).
    pub fn bytes(&mut self, root: &Path, rel: &str, kind: InputKind) -> Option<Vec<u8>> {
        let p = root.join(rel);
        match input::read_input(&p, kind) {
            Ok(b) => Some(b),
            Err(InputError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                self.unreadable.push(format!("{}: {e}", p.display()));
                None
            }
        }
    }

    /// [`Reader::bytes`] as text (invalid UTF-8 replaced).
    pub fn text(&mut self, root: &Path, rel: &str, kind: InputKind) -> Option<String> {
        self.bytes(root, rel, kind)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    /// An EFI variable's value, without its 4 bytes of attributes.
    pub fn efi_var(&mut self, root: &Path, rel: &str) -> Option<Vec<u8>> {
        let b = self.bytes(root, rel, InputKind::EfiVariable)?;
        if b.len() < 4 {
            self.unreadable.push(format!(
                "{}: {} bytes, shorter than the 4-byte attribute header of an EFI variable",
                root.join(rel).display(),
                b.len()
            ));
            return None;
        }
        Some(b[4..].to_vec())
    }

    /// A one-byte boolean EFI variable (SecureBoot, SetupMode).
    fn efi_bool(&mut self, root: &Path, rel: &str) -> Option<bool> {
        let v = self.efi_var(root, rel)?;
        match v.as_slice() {
            [b] => Some(*b == 1),
            _ => {
                self.unreadable.push(format!(
                    "{}: {} value bytes, a boolean EFI variable has 1",
                    root.join(rel).display(),
                    v.len()
                ));
                None
            }
        }
    }
}

/// Gathers the facts under `root`.
pub fn gather(root: &Path) -> Facts {
    let mut r = Reader::default();
    let live = root == Path::new("/");
    let release = r
        .text(root, "proc/sys/kernel/osrelease", InputKind::KernelFact)
        .map(|s| s.trim().to_string());
    let ima_dir = root.join("sys/kernel/security/ima").is_dir();
    let policy_rel = "sys/kernel/security/ima/policy";
    let policy_path = root.join(policy_rel);
    let policy = if !ima_dir {
        PolicyFile::NoImaDir
    } else {
        match std::fs::metadata(&policy_path) {
            Err(_) => PolicyFile::Removed,
            // The kernel makes the file 0200 without CONFIG_IMA_READ_POLICY and refuses
            // reads even to root: go by the mode, as a fixture cannot refuse root.
            Ok(m) if m.permissions().mode() & 0o444 == 0 => PolicyFile::WriteOnly,
            Ok(_) => match r.text(root, policy_rel, InputKind::SecurityfsPolicy) {
                Some(t) => PolicyFile::Readable(t),
                None => PolicyFile::WriteOnly,
            },
        }
    };
    let efi = root.join("sys/firmware/efi").is_dir();
    let (secure_boot, setup_mode) = if efi {
        (
            r.efi_bool(root, SECURE_BOOT_VAR),
            r.efi_bool(root, SETUP_MODE_VAR),
        )
    } else {
        (None, None)
    };
    let kernel_secure_boot = r
        .bytes(root, BOOT_PARAMS, InputKind::KernelFact)
        .and_then(|b| b.get(BOOT_PARAMS_SECURE_BOOT).copied())
        .and_then(|v| match v {
            3 => Some(true),
            2 => Some(false),
            _ => None,
        });
    let proc_keys = r
        .text(root, "proc/keys", InputKind::ProcKeys)
        .map(|t| keyring::parse_proc_keys(&t));
    let members = if live {
        members(proc_keys.as_deref())
    } else {
        Vec::new()
    };
    let config = config(&mut r, root, release.as_deref());
    Facts {
        lsm: r.text(root, "sys/kernel/security/lsm", InputKind::KernelFact),
        ima_dir,
        cmdline: r.text(root, "proc/cmdline", InputKind::KernelFact),
        lockdown: r.text(root, "sys/kernel/security/lockdown", InputKind::KernelFact),
        efi,
        secure_boot,
        setup_mode,
        kernel_secure_boot,
        policy,
        boot_policy: r.text(root, "etc/ima/ima-policy", InputKind::Policy),
        config,
        proc_keys,
        members,
        release,
        unreadable: r.unreadable,
    }
}

/// The members of the keyrings that matter, read with keyctl (live system only).
fn members(proc_keys: Option<&[keyring::ProcKey]>) -> Vec<(i32, Vec<KeyMember>)> {
    let mut members = Vec::new();
    let Some(keys) = proc_keys else {
        return members;
    };
    let wanted = [
        ".builtin_trusted_keys",
        ".secondary_trusted_keys",
        ".machine",
        ".platform",
        ".ima",
        "_ima",
        ".ima_blacklist",
        ".blacklist",
    ];
    for k in keys.iter().filter(|k| k.key_type == "keyring") {
        let name = k.text.split(':').next().unwrap_or("");
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
    members
}

/// The kernel configuration: /boot/config-RELEASE (plain text), else /proc/config.gz
/// decompressed by `gzip -dc` (when gzip is installed) with its output capped.
fn config(r: &mut Reader, root: &Path, release: Option<&str>) -> Option<KernelConfig> {
    if let Some(rel) = release {
        let p = format!("boot/config-{rel}");
        if let Some(t) = r.text(root, &p, InputKind::KernelConfig) {
            return Some(KernelConfig::parse(&format!("/{p}"), &t));
        }
    }
    let gz = root.join("proc/config.gz");
    match gunzip_capped(&gz, InputKind::KernelConfig) {
        Ok(Some(text)) => Some(KernelConfig::parse("/proc/config.gz", &text)),
        Ok(None) => None,
        Err(e) => {
            r.unreadable.push(format!("{}: {e}", gz.display()));
            None
        }
    }
}

/// The decompressed text of the gzip file `path`, at most `kind`'s cap: `Ok(None)` when the
/// file is absent or gzip is not installed. The compressed file is opened by the bounded
/// reader's rule (no FIFO, no device) and given to gzip as its standard input; gzip is
/// stopped as soon as its output passes the cap.
pub fn gunzip_capped(path: &Path, kind: InputKind) -> Result<Option<String>, String> {
    let file = match input::open_regular(path) {
        Ok(f) => f,
        Err(InputError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let mut child = match Command::new("gzip")
        .arg("-dc")
        .stdin(Stdio::from(file))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(_) => return Ok(None),
    };
    let limit = kind.limit();
    let mut out = Vec::new();
    let read = child
        .stdout
        .take()
        .expect("piped")
        .take(limit + 1)
        .read_to_end(&mut out);
    if read.is_err() || out.len() as u64 > limit {
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!(
            "decompresses to more than the {} limit for a {}",
            input::size_words(limit),
            kind.noun()
        ));
    }
    match child.wait() {
        Ok(s) if s.success() => Ok(Some(String::from_utf8_lossy(&out).into_owned())),
        _ => Err("not a valid gzip file".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_efi_global_variable_guid_is_the_uefi_one() {
        // EFI_GLOBAL_VARIABLE in the UEFI specification: {0x8BE4DF61, 0x93CA, 0x11d2,
        // {0xAA, 0x0D, 0x00, 0xE0, 0x98, 0x03, 0x2B, 0x8C}}.
        assert_eq!(EFI_GLOBAL_GUID, "8be4df61-93ca-11d2-aa0d-00e098032b8c");
        assert!(SECURE_BOOT_VAR.ends_with(&format!("/SecureBoot-{EFI_GLOBAL_GUID}")));
        assert!(SETUP_MODE_VAR.ends_with(&format!("/SetupMode-{EFI_GLOBAL_GUID}")));
        assert!(DB_VAR.ends_with(&format!("/db-{EFI_IMAGE_SECURITY_GUID}")));
        assert!(MOK_LIST_RT_VAR.ends_with(&format!("/MokListRT-{SHIM_GUID}")));
        assert!(DBX_VAR.ends_with(&format!("/dbx-{EFI_IMAGE_SECURITY_GUID}")));
        assert!(MOK_LIST_XRT_VAR.ends_with(&format!("/MokListXRT-{SHIM_GUID}")));
        for v in [
            SECURE_BOOT_VAR,
            SETUP_MODE_VAR,
            DB_VAR,
            MOK_LIST_RT_VAR,
            DBX_VAR,
            MOK_LIST_XRT_VAR,
        ] {
            assert!(v.starts_with(EFIVARS));
        }
    }

    #[test]
    fn secure_boot_is_read_under_the_real_guid() {
        let dir = tempfile::tempdir().unwrap();
        let vars = dir.path().join(EFIVARS);
        std::fs::create_dir_all(&vars).unwrap();
        std::fs::write(
            vars.join(format!("SecureBoot-{EFI_GLOBAL_GUID}")),
            [6, 0, 0, 0, 1],
        )
        .unwrap();
        std::fs::write(
            vars.join(format!("SetupMode-{EFI_GLOBAL_GUID}")),
            [6, 0, 0, 0, 0],
        )
        .unwrap();
        let f = gather(dir.path());
        assert_eq!(f.secure_boot, Some(true));
        assert_eq!(f.setup_mode, Some(false));
        assert_eq!(f.secure_boot_effective(), Some(true));
    }

    #[test]
    fn a_gzip_bomb_is_stopped_at_the_cap() {
        if Command::new("gzip").arg("--version").output().is_err() {
            eprintln!("SKIP: gzip is not installed");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let raw = dir.path().join("big");
        std::fs::write(&raw, vec![b'A'; 8 * 1024 * 1024]).unwrap();
        assert!(Command::new("gzip")
            .arg("-9")
            .arg(&raw)
            .status()
            .unwrap()
            .success());
        let e = gunzip_capped(&dir.path().join("big.gz"), InputKind::KernelConfig).unwrap_err();
        assert!(e.contains("more than the 4 MiB limit"), "{e}");
    }
}
