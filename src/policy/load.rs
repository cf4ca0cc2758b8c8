//! Getting a checked policy into the kernel through securityfs: finding (and if needed
//! mounting) securityfs, planning the writes (one rule per write(), or the policy file's
//! path), performing them through one open file, and reading the loaded policy back. It
//! works without /etc and without /proc, so it runs from a busybox initramfs. It checks
//! nothing about the rules themselves: callers load only what [`super::validate`] passed.

use std::fmt;
use std::fs::File;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::parse::ParsedPolicy;
use super::{Action, Func};
use crate::sys::SysError;

/// Where securityfs lives on every distribution.
pub const DEFAULT_SECURITYFS: &str = "/sys/kernel/security";
/// statfs(2) f_type of securityfs (include/uapi/linux/magic.h).
pub const SECURITYFS_MAGIC: i64 = 0x7363_6673;
/// statfs(2) f_type of sysfs.
pub const SYSFS_MAGIC: i64 = 0x6265_6572;

/// The policy file under a securityfs root.
pub fn policy_path(securityfs: &Path) -> PathBuf {
    securityfs.join("ima").join("policy")
}

/// One write() the loader makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedWrite {
    /// The policy file line the write carries (`None` for a path write).
    pub line: Option<usize>,
    /// Exactly the bytes passed to write(), newline included.
    pub bytes: Vec<u8>,
}

/// One write per rule: its canonical text and a newline, in file order.
pub fn plan_rules(policy: &ParsedPolicy) -> Vec<PlannedWrite> {
    policy
        .rules
        .iter()
        .map(|r| PlannedWrite {
            line: Some(r.line),
            bytes: format!("{}\n", r.rule.canonical()).into_bytes(),
        })
        .collect()
}

/// A single write of the policy file's absolute path: the kernel then reads the file
/// itself through the POLICY_CHECK hook.
pub fn plan_by_path(abs_path: &Path) -> Vec<PlannedWrite> {
    let mut bytes = abs_path.as_os_str().as_bytes().to_vec();
    bytes.push(b'\n');
    vec![PlannedWrite { line: None, bytes }]
}

/// Why the kernel's by-path reader would refuse a policy text that is fine as rules, if
/// it would. ima_read_policy() subtracts each line's length + 1 from the file size, so a
/// last line without its newline leaves a remainder and the load fails with EINVAL.
pub fn by_path_problem(text: &str) -> Option<&'static str> {
    if text.is_empty() || text.ends_with('\n') {
        None
    } else {
        Some("the file does not end with a newline; the kernel reads policies by path line by line and fails the load (EINVAL) on a last line without one")
    }
}

/// True when the rules contain `appraise func=POLICY_CHECK`: a kernel with such a rule in
/// force only takes signed policies, loaded by path.
pub fn requires_signed_policy(policy: &ParsedPolicy) -> bool {
    policy
        .rules
        .iter()
        .any(|r| r.rule.action == Action::Appraise && r.rule.func() == Some(Func::PolicyCheck))
}

/// Where the kernel's policy goes. The real one is the securityfs file; tests use doubles.
pub trait PolicySink {
    /// One write() of one rule; returns the byte count the kernel took.
    fn write_rule(&mut self, bytes: &[u8]) -> io::Result<usize>;

    /// Ends the load. For the securityfs file this is close(2), where the kernel applies
    /// the batch and reports a failure; a double has nothing to report.
    fn close(self: Box<Self>) -> io::Result<()> {
        Ok(())
    }
}

/// The opened `<securityfs>/ima/policy`.
pub struct PolicyFile {
    file: File,
}

impl PolicyFile {
    /// Opens the policy file for writing once (the kernel allows one writer: EBUSY).
    pub fn open(path: &Path) -> io::Result<PolicyFile> {
        // Without blocking (a FIFO planted there would hang an open for writing), and only
        // a regular file: securityfs files are.
        let file = crate::input::open_file(path, crate::input::Access::WriteExisting)?;
        Ok(PolicyFile { file })
    }

    /// Closes the file and returns close(2)'s error, if any (dropping a File ignores it).
    pub fn close(self) -> io::Result<()> {
        Ok(crate::sys::fd::close(self.file.into())?)
    }
}

impl PolicySink for PolicyFile {
    fn write_rule(&mut self, bytes: &[u8]) -> io::Result<usize> {
        // One write(2) call; never write_all, which would hide how much the kernel took.
        self.file.write(bytes)
    }

    fn close(self: Box<Self>) -> io::Result<()> {
        PolicyFile::close(*self)
    }
}

/// Why a load stopped.
#[derive(Debug)]
pub enum WriteError {
    /// The kernel refused the write with an errno.
    Refused {
        index: usize,
        line: Option<usize>,
        text: String,
        error: io::Error,
    },
    /// The write took fewer bytes than the rule has: the kernel parsed something else.
    Short {
        index: usize,
        line: Option<usize>,
        text: String,
        wrote: usize,
        expected: usize,
    },
}

/// Performs the planned writes in order, one write() each, checking every byte count.
/// Returns how many writes were made.
pub fn write_plan(sink: &mut dyn PolicySink, plan: &[PlannedWrite]) -> Result<usize, WriteError> {
    for (index, w) in plan.iter().enumerate() {
        let text = String::from_utf8_lossy(&w.bytes).trim_end().to_string();
        match sink.write_rule(&w.bytes) {
            Ok(n) if n == w.bytes.len() => {}
            Ok(n) => {
                return Err(WriteError::Short {
                    index,
                    line: w.line,
                    text,
                    wrote: n,
                    expected: w.bytes.len(),
                })
            }
            Err(error) => {
                return Err(WriteError::Refused {
                    index,
                    line: w.line,
                    text,
                    error,
                })
            }
        }
    }
    Ok(plan.len())
}

/// The filesystem type of `path` (statfs f_type).
pub fn fs_type(path: &Path) -> io::Result<i64> {
    Ok(crate::sys::mount::statfs_type(path)?)
}

/// mount(2) of a pseudo filesystem with no data, as an initramfs mounts sysfs and
/// securityfs: no setuid, no devices, no executables.
fn mount_pseudo(fstype: &str, target: &Path) -> Result<(), SysError> {
    let flags = libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
    crate::sys::mount::mount_pseudo(fstype, target, flags)
}

/// A mount [`ensure_securityfs`] needed failed: which one, and the kernel's errno.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountError {
    /// "mount securityfs on /sys/kernel/security".
    pub what: String,
    pub err: SysError,
}

/// "cannot mount securityfs on /sys/kernel/security: Operation not permitted (EPERM)".
impl fmt::Display for MountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot {}: {}", self.what, self.err.cause())
    }
}

impl std::error::Error for MountError {}

/// What [`ensure_securityfs`] had to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MountAction {
    AlreadyMounted,
    /// Mounted securityfs (and sysfs first, when `/sys` was not mounted either).
    Mounted {
        sysfs_too: bool,
    },
}

/// Makes sure securityfs is mounted at [`DEFAULT_SECURITYFS`], mounting it (and sysfs on
/// /sys when an initramfs has not) if needed. Returns the error of the step that failed.
pub fn ensure_securityfs() -> Result<MountAction, MountError> {
    let sec = Path::new(DEFAULT_SECURITYFS);
    if fs_type(sec).ok() == Some(SECURITYFS_MAGIC) {
        return Ok(MountAction::AlreadyMounted);
    }
    let mut sysfs_too = false;
    if !sec.exists() && fs_type(Path::new("/sys")).ok() != Some(SYSFS_MAGIC) {
        mount_pseudo("sysfs", Path::new("/sys")).map_err(|err| MountError {
            what: "mount sysfs on /sys".into(),
            err,
        })?;
        sysfs_too = true;
    }
    if fs_type(sec).ok() != Some(SECURITYFS_MAGIC) {
        mount_pseudo("securityfs", sec).map_err(|err| MountError {
            what: format!("mount securityfs on {DEFAULT_SECURITYFS}"),
            err,
        })?;
    }
    Ok(MountAction::Mounted { sysfs_too })
}

/// Reads the loaded policy back (needs CONFIG_IMA_READ_POLICY; EACCES otherwise), through
/// the bounded reader: anything but a regular file (a FIFO, a device) is refused without
/// blocking, and a policy over the securityfs cap is an error.
pub fn read_policy(securityfs: &Path) -> io::Result<String> {
    let path = policy_path(securityfs);
    Ok(crate::input::read_input_string(
        &path,
        crate::input::InputKind::SecurityfsPolicy,
    )?)
}

/// What the kernel left after a successful load (ima_release_policy).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterLoad {
    /// The file is still writable: CONFIG_IMA_WRITE_POLICY, more rules may be appended.
    Writable,
    /// The file stays but lost its write permission: CONFIG_IMA_READ_POLICY without
    /// CONFIG_IMA_WRITE_POLICY; no further load this boot.
    ReadOnly,
    /// The file is gone: neither option; no further load this boot.
    Removed,
}

impl AfterLoad {
    /// What this means for the next load, in a sentence about `policy_file`.
    pub fn describe(self, policy_file: &Path) -> String {
        let f = policy_file.display();
        match self {
            AfterLoad::Writable => format!(
                "{f} is still writable: this kernel accepts further rules (CONFIG_IMA_WRITE_POLICY)"
            ),
            AfterLoad::ReadOnly => format!(
                "{f} is now read-only: this kernel takes one policy per boot; the next change needs a reboot"
            ),
            AfterLoad::Removed => format!(
                "{f} is gone: this kernel takes one policy per boot (no CONFIG_IMA_WRITE_POLICY); the next change needs a reboot"
            ),
        }
    }
}

/// Why reading the loaded policy under `securityfs` failed with `errno`, when there is
/// more to say than the errno's words.
pub fn explain_read_error(errno: i32, securityfs: &Path) -> Option<String> {
    match errno {
        libc::EACCES => Some("the kernel was built without CONFIG_IMA_READ_POLICY (as Debian's 6.1 and 6.12 are), so the loaded policy cannot be read back; the policy in force is the boot-time one (ima_policy= on the kernel command line) plus whatever your boot scripts loaded".to_string()),
        libc::EPERM => Some("reading the IMA policy needs root (CAP_SYS_ADMIN)".to_string()),
        libc::ENOENT => Some(format!("there is no {}: IMA is not enabled, or securityfs is not mounted at {}, or the kernel removed the file after its one load and cannot show the policy", policy_path(securityfs).display(), securityfs.display())),
        _ => None,
    }
}

/// Looks at the policy file after a load to tell whether the kernel allows another one.
pub fn after_load(securityfs: &Path) -> AfterLoad {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::metadata(policy_path(securityfs)) {
        Err(_) => AfterLoad::Removed,
        Ok(m) if m.permissions().mode() & 0o200 == 0 => AfterLoad::ReadOnly,
        Ok(_) => AfterLoad::Writable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::parse::parse_policy;

    /// Records every write and refuses the write at `refuse_at` with EINVAL, as the kernel
    /// does for a rule it cannot parse.
    struct Double {
        writes: Vec<Vec<u8>>,
        refuse_at: Option<usize>,
        short_at: Option<usize>,
    }

    impl PolicySink for Double {
        fn write_rule(&mut self, bytes: &[u8]) -> io::Result<usize> {
            let i = self.writes.len();
            self.writes.push(bytes.to_vec());
            if self.refuse_at == Some(i) {
                return Err(io::Error::from_raw_os_error(libc::EINVAL));
            }
            if self.short_at == Some(i) {
                // What the kernel returns for a buffer holding two lines: first line + 1.
                return Ok(bytes.iter().position(|&b| b == b'\n').unwrap_or(0) / 2 + 1);
            }
            Ok(bytes.len())
        }
    }

    const TEXT: &str = "# kexec\nmeasure func=KEXEC_KERNEL_CHECK\n\nappraise func=KEXEC_KERNEL_CHECK appraise_type=imasig\nmeasure func=KEXEC_CMDLINE\n";

    #[test]
    fn one_rule_per_write_in_order() {
        let plan = plan_rules(&parse_policy(TEXT));
        let mut d = Double {
            writes: vec![],
            refuse_at: None,
            short_at: None,
        };
        assert_eq!(write_plan(&mut d, &plan).unwrap(), 3);
        let w: Vec<String> = d
            .writes
            .iter()
            .map(|b| String::from_utf8(b.clone()).unwrap())
            .collect();
        assert_eq!(
            w,
            vec![
                "measure func=KEXEC_KERNEL_CHECK\n",
                "appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig\n",
                "measure func=KEXEC_CMDLINE\n",
            ]
        );
    }

    #[test]
    fn refusal_names_the_line_and_errno_and_stops() {
        let plan = plan_rules(&parse_policy(TEXT));
        let mut d = Double {
            writes: vec![],
            refuse_at: Some(1),
            short_at: None,
        };
        match write_plan(&mut d, &plan) {
            Err(WriteError::Refused {
                index,
                line,
                text,
                error,
            }) => {
                assert_eq!((index, line), (1, Some(4)));
                assert_eq!(
                    text,
                    "appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig"
                );
                assert_eq!(error.raw_os_error(), Some(libc::EINVAL));
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(d.writes.len(), 2, "nothing is written after a refusal");
    }

    #[test]
    fn short_write_is_an_error() {
        let plan = plan_rules(&parse_policy(TEXT));
        let mut d = Double {
            writes: vec![],
            refuse_at: None,
            short_at: Some(0),
        };
        assert!(matches!(
            write_plan(&mut d, &plan),
            Err(WriteError::Short {
                index: 0,
                line: Some(2),
                ..
            })
        ));
    }

    #[test]
    fn path_write_is_the_path_and_a_newline() {
        let plan = plan_by_path(Path::new("/etc/ima/policy.signed"));
        assert_eq!(
            plan,
            vec![PlannedWrite {
                line: None,
                bytes: b"/etc/ima/policy.signed\n".to_vec()
            }]
        );
    }

    #[test]
    fn after_load_reads_the_file_state() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(after_load(dir.path()), AfterLoad::Removed);
        std::fs::create_dir(dir.path().join("ima")).unwrap();
        let p = policy_path(dir.path());
        std::fs::write(&p, "").unwrap();
        assert_eq!(after_load(dir.path()), AfterLoad::Writable);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o400)).unwrap();
        assert_eq!(after_load(dir.path()), AfterLoad::ReadOnly);
    }

    #[test]
    fn read_errors_in_words() {
        let root = Path::new("/sys/kernel/security");
        assert!(explain_read_error(libc::EACCES, root)
            .unwrap()
            .contains("CONFIG_IMA_READ_POLICY"));
        assert!(explain_read_error(libc::EPERM, root)
            .unwrap()
            .contains("needs root"));
        let enoent = explain_read_error(libc::ENOENT, root).unwrap();
        assert!(
            enoent.starts_with("there is no /sys/kernel/security/ima/policy: IMA is not enabled"),
            "{enoent}"
        );
        assert_eq!(explain_read_error(libc::EIO, root), None);
    }

    #[test]
    fn mount_error_names_the_step_and_errno() {
        let e = MountError {
            what: "mount sysfs on /sys".into(),
            err: SysError {
                call: "mount",
                errno: libc::EPERM,
            },
        };
        assert_eq!(
            e.to_string(),
            "cannot mount sysfs on /sys: Operation not permitted (EPERM)"
        );
    }

    #[test]
    fn after_load_sentences() {
        let f = Path::new("/s/ima/policy");
        assert!(AfterLoad::Writable
            .describe(f)
            .starts_with("/s/ima/policy is still writable"));
        assert!(AfterLoad::ReadOnly.describe(f).contains("read-only"));
        assert!(AfterLoad::Removed.describe(f).contains("is gone"));
    }

    #[test]
    fn by_path_needs_a_final_newline() {
        assert!(by_path_problem("measure func=BPRM_CHECK\n").is_none());
        assert!(by_path_problem("measure func=BPRM_CHECK").is_some());
    }

    #[test]
    fn signed_policy_requirement_is_seen() {
        assert!(requires_signed_policy(&parse_policy(
            "appraise func=POLICY_CHECK appraise_type=imasig\n"
        )));
        assert!(!requires_signed_policy(&parse_policy(
            "measure func=POLICY_CHECK\n"
        )));
    }
}
