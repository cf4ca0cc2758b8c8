//! The boot step: every IMA certificate the system is configured with goes into the
//! keyring IMA uses, then the IMA policy is loaded, so that a kexec appraisal is in force
//! before anything else runs. Run from an initramfs (dracut module, initramfs-tools hook)
//! or a systemd unit ordered before kdump.
//!
//! Conventions followed: certificates in `/etc/keys/ima/` (dracut's IMAKEYSDIR) plus the
//! kernel's own `/etc/keys/x509_ima.der`, the policy in `/etc/ima/ima-policy` (the path
//! systemd loads). Running twice is harmless: a key whose IMA keyid is already in the
//! keyring is left alone, and a policy already loaded this boot is recognised (read back
//! from the kernel, or from the record this step leaves under `/run/imaevm/`) instead of
//! being written again. Before a load, the lockout check of `imactl policy load` runs: a
//! policy under which the kernel would refuse programs this system runs now is not loaded
//! while appraisal enforces, unless [`BootConfig::force`]. Every decision is made here on
//! data; the system is behind [`BootEnv`], so the decisions are tested with a double.

mod keys;
mod policy;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};

pub use keys::{import_keys, KeyOutcome, KeysReport};
pub use policy::{contains_rules, load_policy, PolicyOutcome, PolicyReport};

use crate::keyring::{AddKeyError, AddedKey, Keyring, LocateError};
use crate::keys::Certificate;
use crate::policy::plan::LoadEnv;
use crate::policy::Profile;

/// dracut's IMAKEYSDIR.
pub const DEFAULT_KEYS_DIR: &str = "/etc/keys/ima";
/// The certificate the kernel itself loads into `.ima` when built to (CONFIG_IMA_LOAD_X509).
pub const DEFAULT_KERNEL_CERT: &str = "/etc/keys/x509_ima.der";
/// The policy path systemd loads at boot.
pub const DEFAULT_POLICY: &str = "/etc/ima/ima-policy";
/// Where the record of a load is kept for the rest of the boot (tmpfs; dracut and
/// initramfs-tools move /run into the real root).
pub const DEFAULT_STATE_DIR: &str = "/run/imaevm";
/// The record's file name under the state directory.
pub const STATE_FILE: &str = "policy-loaded";

/// What the boot step is asked to do.
#[derive(Clone, Debug)]
pub struct BootConfig {
    /// Every regular file in it (names starting with '.' aside) is a certificate.
    pub keys_dir: PathBuf,
    /// An extra certificate, used when it exists.
    pub kernel_cert: PathBuf,
    pub policy: PathBuf,
    /// The securityfs root; `None`: the default, mounted if needed.
    pub securityfs: Option<PathBuf>,
    /// Write the policy's path, not its rules (the kernel appraises the file).
    pub by_path: bool,
    pub profile: Profile,
    /// Where `profile` came from, for messages.
    pub profile_source: String,
    pub state_dir: PathBuf,
    /// Load the policy even when the lockout check finds running programs the kernel
    /// would refuse under it (the finding becomes a note).
    pub force: bool,
    /// The root /proc and /sys are read under for the lockout check ("/": this system).
    pub root: PathBuf,
}

impl BootConfig {
    /// The conventional paths, for `profile`.
    pub fn standard(profile: Profile, profile_source: String) -> BootConfig {
        BootConfig {
            keys_dir: DEFAULT_KEYS_DIR.into(),
            kernel_cert: DEFAULT_KERNEL_CERT.into(),
            policy: DEFAULT_POLICY.into(),
            securityfs: None,
            by_path: false,
            profile,
            profile_source,
            state_dir: DEFAULT_STATE_DIR.into(),
            force: false,
            root: "/".into(),
        }
    }
}

/// The system as the boot step sees it. [`System`] is the real one.
pub trait BootEnv: LoadEnv {
    /// The names of the entries of `dir` that are regular files (after following a link),
    /// or the error listing it.
    fn regular_files(&mut self, dir: &Path) -> std::io::Result<Vec<PathBuf>>;
    /// Whether `path` exists.
    fn exists(&mut self, path: &Path) -> bool;
    /// Reads a whole regular file, no larger than the cap of `kind` (src/input.rs).
    fn read(&mut self, path: &Path, kind: crate::input::InputKind) -> std::io::Result<Vec<u8>>;
    /// Writes a whole file, creating its directory.
    fn write(&mut self, path: &Path, bytes: &[u8]) -> std::io::Result<()>;
    /// The keyring IMA uses, made (`_ima` in the user keyring) when the kernel has none.
    fn ima_keyring(&mut self) -> Result<Keyring, LocateError>;
    /// The IMA keyids (lower-case hex) of the keys in `ring`.
    fn keyids(&mut self, ring: &Keyring) -> std::io::Result<Vec<String>>;
    /// Adds a certificate to `ring`.
    fn add(&mut self, cert: &Certificate, ring: &Keyring) -> Result<AddedKey, AddKeyError>;
    /// Unmounts what a load mounted; the failures, in words.
    fn undo_mounts(&mut self, notes: &[crate::policy::plan::LoadNote]) -> Vec<String>;
    /// The lockout check of `rules` on the system under `root` (EVM's state from
    /// `securityfs`): [`crate::policy::lockout_report::assess`]. `None`: nothing to check.
    fn lockout(
        &mut self,
        rules: &[crate::policy::parse::ParsedRule],
        root: &Path,
        securityfs: &Path,
    ) -> Option<crate::policy::lockout_report::Assessment>;
}

/// The running system.
pub struct System;

impl LoadEnv for System {
    fn ensure_securityfs(
        &mut self,
    ) -> Result<crate::policy::load::MountAction, crate::policy::load::MountError> {
        crate::policy::plan::System.ensure_securityfs()
    }
    fn read_policy(&mut self, securityfs: &Path) -> std::io::Result<String> {
        crate::policy::plan::System.read_policy(securityfs)
    }
    fn canonicalize(&mut self, file: &Path) -> std::io::Result<PathBuf> {
        crate::policy::plan::System.canonicalize(file)
    }
    fn ima_xattr(&mut self, path: &Path) -> Option<Vec<u8>> {
        crate::policy::plan::System.ima_xattr(path)
    }
    fn open_policy(
        &mut self,
        policy_file: &Path,
    ) -> std::io::Result<Box<dyn crate::policy::load::PolicySink>> {
        crate::policy::plan::System.open_policy(policy_file)
    }
    fn after_load(&mut self, securityfs: &Path) -> crate::policy::load::AfterLoad {
        crate::policy::plan::System.after_load(securityfs)
    }
}

impl BootEnv for System {
    fn regular_files(&mut self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
                out.push(path);
            }
        }
        Ok(out)
    }
    fn exists(&mut self, path: &Path) -> bool {
        std::fs::symlink_metadata(path).is_ok()
    }
    fn read(&mut self, path: &Path, kind: crate::input::InputKind) -> std::io::Result<Vec<u8>> {
        Ok(crate::input::read_input(path, kind)?)
    }
    fn write(&mut self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        // The record replaces a regular file only: a FIFO, a device or a directory planted
        // there is refused by name. The write itself is atomic (a new file renamed over).
        match std::fs::symlink_metadata(path) {
            Ok(md) if !md.file_type().is_file() => {
                return Err(
                    crate::input::InputError::NotRegular(crate::input::file_type_words(
                        md.file_type(),
                    ))
                    .into(),
                )
            }
            _ => {}
        }
        crate::fsops::write_atomic(path, bytes)
    }
    fn ima_keyring(&mut self) -> Result<Keyring, LocateError> {
        let spec = crate::keyring::KeyringSpec::Purpose(crate::keyring::Purpose::Ima);
        crate::keyring::locate(&spec, true)
    }
    fn keyids(&mut self, ring: &Keyring) -> std::io::Result<Vec<String>> {
        Ok(crate::keyring::list_keys(ring.serial)?
            .into_iter()
            .filter_map(|k| k.keyid)
            .collect())
    }
    fn add(&mut self, cert: &Certificate, ring: &Keyring) -> Result<AddedKey, AddKeyError> {
        crate::keyring::add_certificate(cert, ring)
    }
    fn undo_mounts(&mut self, notes: &[crate::policy::plan::LoadNote]) -> Vec<String> {
        crate::policy::plan::undo_mounts(notes)
    }
    fn lockout(
        &mut self,
        rules: &[crate::policy::parse::ParsedRule],
        root: &Path,
        securityfs: &Path,
    ) -> Option<crate::policy::lockout_report::Assessment> {
        crate::policy::lockout_report::assess(rules, root, securityfs)
    }
}

/// The whole boot step's result.
#[derive(Clone, Debug)]
pub struct BootReport {
    pub keys: KeysReport,
    pub policy: PolicyReport,
}

/// What the boot step achieved, most important first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BootVerdict {
    /// The policy is in force and every certificate is in the keyring.
    InForce,
    /// The policy is in force, but a certificate could not be imported: files signed
    /// with its key will be refused.
    InForceKeysMissing,
    /// The policy is not in force.
    NotInForce,
}

impl BootReport {
    pub fn verdict(&self) -> BootVerdict {
        if !self.policy.in_force() {
            BootVerdict::NotInForce
        } else if self.keys.failures() > 0 {
            BootVerdict::InForceKeysMissing
        } else {
            BootVerdict::InForce
        }
    }
}

impl fmt::Display for BootVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BootVerdict::InForce => "the IMA policy is in force and every certificate is in the keyring",
            BootVerdict::InForceKeysMissing => "the IMA policy is in force, but not every certificate is in the keyring: files signed with the missing keys will be refused",
            BootVerdict::NotInForce => "the IMA policy is NOT in force",
        })
    }
}

/// Runs the boot step: keys first (a policy that appraises needs them the moment it is
/// loaded, and the lockout check verifies signatures with them), then the policy.
pub fn run(cfg: &BootConfig, env: &mut dyn BootEnv) -> BootReport {
    let keys = import_keys(cfg, env);
    let policy = load_policy(cfg, env);
    BootReport { keys, policy }
}
