//! The key half of the boot step: which certificates, into which keyring, and what each
//! one came to.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{BootConfig, BootEnv};
use crate::hash::to_hex;
use crate::keyring::kernel_keyid;
use crate::keys::Certificate;

/// What became of one certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum KeyOutcome {
    /// Added now.
    Added {
        path: PathBuf,
        serial: i32,
        keyid: String,
    },
    /// A key with its IMA keyid was already in the keyring (an earlier run): left alone.
    AlreadyPresent { path: PathBuf, keyid: String },
    /// Not imported: why, in words.
    Failed { path: PathBuf, error: String },
}

impl KeyOutcome {
    pub fn path(&self) -> &Path {
        match self {
            KeyOutcome::Added { path, .. }
            | KeyOutcome::AlreadyPresent { path, .. }
            | KeyOutcome::Failed { path, .. } => path,
        }
    }
}

/// The key half's result.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KeysReport {
    /// The keyring used ("_ima (123456)"), when one was needed and found.
    pub keyring: Option<String>,
    /// The keyring IMA uses could not be found or made: why.
    pub keyring_error: Option<String>,
    /// The certificate directory could not be listed (a missing one is no error).
    pub dir_error: Option<String>,
    /// Per certificate, in the order tried.
    pub keys: Vec<KeyOutcome>,
}

impl KeysReport {
    /// Certificates that are not in the keyring, plus a keyring or directory problem.
    pub fn failures(&self) -> usize {
        self.keys
            .iter()
            .filter(|k| matches!(k, KeyOutcome::Failed { .. }))
            .count()
            + usize::from(self.keyring_error.is_some())
            + usize::from(self.dir_error.is_some())
    }
}

/// The certificates configured: every regular file in the keys directory whose name does
/// not start with '.', sorted by name, then the kernel's certificate if it exists.
fn certificate_paths(
    cfg: &BootConfig,
    env: &mut dyn BootEnv,
    report: &mut KeysReport,
) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    if env.exists(&cfg.keys_dir) {
        match env.regular_files(&cfg.keys_dir) {
            Ok(mut files) => {
                files.retain(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| !n.starts_with('.'))
                });
                files.sort();
                paths.extend(files);
            }
            Err(e) => {
                report.dir_error = Some(format!(
                    "cannot list {}: {}",
                    cfg.keys_dir.display(),
                    crate::error::io_words(&e)
                ))
            }
        }
    }
    if env.exists(&cfg.kernel_cert) && !paths.contains(&cfg.kernel_cert) {
        paths.push(cfg.kernel_cert.clone());
    }
    paths
}

/// Imports every configured certificate into the keyring IMA uses. A certificate whose
/// IMA keyid is already there is not added again.
pub fn import_keys(cfg: &BootConfig, env: &mut dyn BootEnv) -> KeysReport {
    let mut report = KeysReport::default();
    let paths = certificate_paths(cfg, env, &mut report);
    if paths.is_empty() {
        return report;
    }
    let ring = match env.ima_keyring() {
        Ok(r) => r,
        Err(e) => {
            report.keyring_error = Some(e.to_string());
            for path in paths {
                report.keys.push(KeyOutcome::Failed {
                    path,
                    error: "not imported: no IMA keyring".into(),
                });
            }
            return report;
        }
    };
    report.keyring = Some(ring.to_string());
    let mut present = env.keyids(&ring).unwrap_or_default();
    for path in paths {
        let outcome = match env
            .read(&path, crate::input::InputKind::Key)
            .map_err(|e| crate::error::io_words(&e))
            .and_then(|bytes| Certificate::from_bytes(&path, &bytes).map_err(|e| e.to_string()))
        {
            Err(error) => KeyOutcome::Failed { path, error },
            Ok(cert) => {
                let keyid = to_hex(&kernel_keyid(&cert));
                if present.contains(&keyid) {
                    KeyOutcome::AlreadyPresent { path, keyid }
                } else {
                    match env.add(&cert, &ring) {
                        Ok(k) => {
                            present.push(keyid.clone());
                            KeyOutcome::Added {
                                path,
                                serial: k.serial,
                                keyid: to_hex(&k.keyid),
                            }
                        }
                        Err(e) => KeyOutcome::Failed {
                            path,
                            error: e.to_string(),
                        },
                    }
                }
            }
        };
        report.keys.push(outcome);
    }
    report
}
