//! What the kernel's policy file says before a load: whether IMA is there at all (the LSM
//! list in securityfs settles it), whether securityfs is mounted, and whether the kernel
//! still takes a policy this boot. Used to say which cause a missing policy file has, and
//! to let a dry run say that a real load would fail.

use std::path::{Path, PathBuf};

use super::load::policy_path;

/// The state of `<securityfs>/ima/policy`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyFileState {
    /// The file is there and writable: a load can be made.
    Writable,
    /// The file is there without write permission: the kernel took its one policy this
    /// boot (CONFIG_IMA_READ_POLICY without CONFIG_IMA_WRITE_POLICY).
    ReadOnly,
    /// `<securityfs>/ima` is there, its policy file is not: the kernel took its one policy
    /// this boot and removed the file.
    Gone,
    /// securityfs is mounted, but IMA is not in the kernel's LSM list (`lsm`: the list).
    ImaNotEnabled { lsm: String },
    /// Nothing of securityfs at this path.
    NoSecurityfs { path: PathBuf },
}

impl PolicyFileState {
    /// Whether a load can succeed in this state.
    pub fn loadable(&self) -> bool {
        matches!(self, PolicyFileState::Writable)
    }

    /// Why a load cannot be made, in a sentence about `securityfs` (None when it can).
    pub fn why_not(&self, securityfs: &Path) -> Option<String> {
        let file = policy_path(securityfs);
        match self {
            PolicyFileState::Writable => None,
            PolicyFileState::ReadOnly => Some(format!(
                "{} is read-only: the kernel already took its one policy this boot; the next load needs a reboot",
                file.display()
            )),
            PolicyFileState::Gone => Some(format!(
                "there is no {}: the kernel already took its one policy this boot and removed the file (no CONFIG_IMA_WRITE_POLICY); the next load needs a reboot",
                file.display()
            )),
            PolicyFileState::ImaNotEnabled { lsm } => Some(format!(
                "IMA is not enabled in this kernel: its LSM list ({}/lsm) is '{lsm}', without ima or integrity",
                securityfs.display()
            )),
            PolicyFileState::NoSecurityfs { path } => Some(format!(
                "securityfs is not mounted at {}",
                path.display()
            )),
        }
    }
}

/// Looks at `securityfs` (mounted, or a directory standing in for it).
pub fn policy_file_state(securityfs: &Path) -> PolicyFileState {
    use std::os::unix::fs::PermissionsExt;
    let lsm = crate::input::read_input_string(
        &securityfs.join("lsm"),
        crate::input::InputKind::SmallFile,
    )
    .ok();
    let ima_dir = securityfs.join("ima");
    if !ima_dir.is_dir() {
        return match lsm {
            Some(list) if !lists_ima(&list) => PolicyFileState::ImaNotEnabled {
                lsm: list.trim().to_string(),
            },
            // IMA listed but no directory (not initialised), or no securityfs at all.
            _ if lsm.is_some() => PolicyFileState::ImaNotEnabled {
                lsm: lsm.unwrap_or_default().trim().to_string(),
            },
            _ => PolicyFileState::NoSecurityfs {
                path: securityfs.to_path_buf(),
            },
        };
    }
    match std::fs::metadata(policy_path(securityfs)) {
        Err(_) => PolicyFileState::Gone,
        Ok(m) if m.permissions().mode() & 0o222 == 0 => PolicyFileState::ReadOnly,
        Ok(_) => PolicyFileState::Writable,
    }
}

/// Whether an LSM list (comma-separated) holds IMA: "ima" from 6.9 on, "integrity" before.
pub fn lists_ima(list: &str) -> bool {
    list.trim()
        .split(',')
        .any(|m| m == "ima" || m == "integrity")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cause_is_told_apart() {
        let t = tempfile::tempdir().unwrap();
        let s = t.path();
        assert!(matches!(
            policy_file_state(s),
            PolicyFileState::NoSecurityfs { .. }
        ));
        std::fs::write(s.join("lsm"), "lockdown,capability,yama,apparmor\n").unwrap();
        let st = policy_file_state(s);
        assert_eq!(
            st,
            PolicyFileState::ImaNotEnabled {
                lsm: "lockdown,capability,yama,apparmor".into()
            }
        );
        assert!(st.why_not(s).unwrap().contains("IMA is not enabled"));
        std::fs::write(s.join("lsm"), "lockdown,capability,integrity\n").unwrap();
        std::fs::create_dir(s.join("ima")).unwrap();
        assert_eq!(policy_file_state(s), PolicyFileState::Gone);
        std::fs::write(s.join("ima/policy"), "").unwrap();
        assert_eq!(policy_file_state(s), PolicyFileState::Writable);
        let mut p = std::fs::metadata(s.join("ima/policy"))
            .unwrap()
            .permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut p, 0o400);
        std::fs::set_permissions(s.join("ima/policy"), p).unwrap();
        assert_eq!(policy_file_state(s), PolicyFileState::ReadOnly);
    }

    #[test]
    fn lsm_lists() {
        assert!(lists_ima("capability,ima,evm\n"));
        assert!(lists_ima("lockdown,integrity"));
        assert!(!lists_ima("imax,capability"));
    }
}
