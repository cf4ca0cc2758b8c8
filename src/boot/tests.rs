//! The boot step's decisions against a fake system: files, keyring and kernel in memory.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::*;
use crate::keyring::{AddKeyError, AddedKey, Keyring, LocateError, Origin};
use crate::policy::load::{AfterLoad, MountAction, MountError, PolicySink};
use crate::policy::lockout_report::Assessment;

const CERT_DER: &[u8] = include_bytes!("../../tests/data/keys/rsa2048.crt.der");
const CERT_PEM: &[u8] = include_bytes!("../../tests/data/keys/p256.crt.pem");
const POLICY: &str = "# kexec\nmeasure func=KEXEC_KERNEL_CHECK\nappraise func=KEXEC_KERNEL_CHECK appraise_type=imasig\n";

struct Fake {
    files: HashMap<PathBuf, Vec<u8>>,
    keyids: Vec<String>,
    added: Vec<PathBuf>,
    keyring_fails: bool,
    /// The kernel's policy file: None = absent (IMA off when `ima_dir` is false).
    state: Option<AfterLoad>,
    ima_dir: bool,
    /// What reading the policy back gives (None: EACCES, as Debian's kernels).
    readable: Option<String>,
    written: Rc<RefCell<Vec<Vec<u8>>>>,
    /// securityfs is not mounted: the load mounts it (and must unmount it).
    unmounted_at_start: bool,
    unmounted: Vec<PathBuf>,
    /// What the lockout check finds (when a rule could appraise an exec).
    lockout: Option<Assessment>,
    /// Each lockout check: the root asked for, and how many keys had been added by then.
    lockout_calls: Vec<(PathBuf, usize)>,
}

impl Fake {
    fn new() -> Fake {
        let mut files = HashMap::new();
        files.insert(PathBuf::from("/etc/keys/ima/a.der"), CERT_DER.to_vec());
        files.insert(PathBuf::from("/etc/keys/ima/b.pem"), CERT_PEM.to_vec());
        files.insert(PathBuf::from("/etc/keys/ima/.hidden"), b"junk".to_vec());
        files.insert(
            PathBuf::from("/etc/ima/ima-policy"),
            POLICY.as_bytes().to_vec(),
        );
        Fake {
            files,
            keyids: vec![],
            added: vec![],
            keyring_fails: false,
            state: Some(AfterLoad::Writable),
            ima_dir: true,
            readable: None,
            written: Rc::default(),
            unmounted_at_start: false,
            unmounted: vec![],
            lockout: None,
            lockout_calls: vec![],
        }
    }
}

struct Sink(Rc<RefCell<Vec<Vec<u8>>>>);
impl PolicySink for Sink {
    fn write_rule(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().push(bytes.to_vec());
        Ok(bytes.len())
    }
}

impl LoadEnv for Fake {
    fn ensure_securityfs(&mut self) -> Result<MountAction, MountError> {
        if self.unmounted_at_start {
            return Ok(MountAction::Mounted { sysfs_too: false });
        }
        Ok(MountAction::AlreadyMounted)
    }
    fn read_policy(&mut self, _: &Path) -> io::Result<String> {
        self.readable
            .clone()
            .ok_or_else(|| io::Error::from_raw_os_error(libc::EACCES))
    }
    fn canonicalize(&mut self, f: &Path) -> io::Result<PathBuf> {
        Ok(f.to_path_buf())
    }
    fn ima_xattr(&mut self, _: &Path) -> Option<Vec<u8>> {
        None
    }
    fn open_policy(&mut self, _: &Path) -> io::Result<Box<dyn PolicySink>> {
        if self.state != Some(AfterLoad::Writable) {
            return Err(io::Error::from_raw_os_error(libc::EACCES));
        }
        // A write-once kernel: the file goes with the close.
        self.state = Some(AfterLoad::Removed);
        Ok(Box::new(Sink(self.written.clone())))
    }
    fn after_load(&mut self, _: &Path) -> AfterLoad {
        self.state.unwrap_or(AfterLoad::Removed)
    }
}

impl BootEnv for Fake {
    fn regular_files(&mut self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        let mut v: Vec<PathBuf> = self
            .files
            .keys()
            .filter(|p| p.parent() == Some(dir))
            .cloned()
            .collect();
        v.reverse();
        Ok(v)
    }
    fn exists(&mut self, p: &Path) -> bool {
        if p == Path::new("/sys/kernel/security/ima") {
            return self.ima_dir;
        }
        self.files.contains_key(p) || self.files.keys().any(|f| f.starts_with(p))
    }
    fn read(&mut self, p: &Path, _kind: crate::input::InputKind) -> io::Result<Vec<u8>> {
        self.files
            .get(p)
            .cloned()
            .ok_or_else(|| io::Error::from_raw_os_error(libc::ENOENT))
    }
    fn write(&mut self, p: &Path, b: &[u8]) -> io::Result<()> {
        self.files.insert(p.to_path_buf(), b.to_vec());
        Ok(())
    }
    fn ima_keyring(&mut self) -> Result<Keyring, LocateError> {
        if self.keyring_fails {
            return Err(LocateError::NotFound {
                wanted: "_ima".into(),
                looked: "in the user keyring".into(),
            });
        }
        Ok(Keyring {
            serial: 42,
            name: "_ima".into(),
            origin: Origin::UserKeyring,
        })
    }
    fn keyids(&mut self, _: &Keyring) -> io::Result<Vec<String>> {
        Ok(self.keyids.clone())
    }
    fn undo_mounts(&mut self, notes: &[crate::policy::plan::LoadNote]) -> Vec<String> {
        self.unmounted
            .extend(crate::policy::plan::mounts_to_undo(notes));
        vec![]
    }
    fn lockout(
        &mut self,
        rules: &[crate::policy::parse::ParsedRule],
        root: &Path,
        _: &Path,
    ) -> Option<Assessment> {
        self.lockout_calls
            .push((root.to_path_buf(), self.added.len()));
        if !crate::policy::lockout::applies(rules) {
            return None;
        }
        self.lockout.clone()
    }
    fn add(&mut self, cert: &Certificate, _: &Keyring) -> Result<AddedKey, AddKeyError> {
        let keyid = crate::keyring::kernel_keyid(cert);
        self.keyids.push(crate::hash::to_hex(&keyid));
        self.added.push(cert.path().to_path_buf());
        Ok(AddedKey {
            serial: 100 + self.added.len() as i32,
            description: "test".into(),
            keyid,
        })
    }
}

fn cfg() -> BootConfig {
    BootConfig::standard(Profile::V6_12, "--kernel 6.12".into())
}

fn errors(r: &BootReport) -> String {
    format!("{:?}", r.policy)
}

#[test]
fn first_run_imports_every_certificate_then_loads_and_records() {
    let mut f = Fake::new();
    f.files
        .insert(PathBuf::from("/etc/keys/x509_ima.der"), CERT_DER.to_vec());
    let r = run(&cfg(), &mut f);
    let paths: Vec<_> = r.keys.keys.iter().map(|k| k.path().to_path_buf()).collect();
    assert_eq!(
        paths,
        [
            PathBuf::from("/etc/keys/ima/a.der"),
            "/etc/keys/ima/b.pem".into(),
            "/etc/keys/x509_ima.der".into()
        ],
        "sorted, hidden file skipped, kernel certificate last"
    );
    assert!(matches!(
        r.keys.keys[0],
        KeyOutcome::Added { serial: 101, .. }
    ));
    assert!(matches!(
        r.keys.keys[1],
        KeyOutcome::Added { serial: 102, .. }
    ));
    // The same certificate twice: the second is already there, not added again.
    assert!(matches!(r.keys.keys[2], KeyOutcome::AlreadyPresent { .. }));
    assert_eq!(f.added.len(), 2);
    assert!(
        matches!(
            r.policy.outcome,
            PolicyOutcome::Loaded {
                rules: 2,
                by_path: false,
                ..
            }
        ),
        "{}",
        errors(&r)
    );
    assert_eq!(f.written.borrow().len(), 2, "one write per rule");
    let record =
        String::from_utf8(f.files[Path::new("/run/imaevm/policy-loaded")].clone()).unwrap();
    assert!(record.starts_with("sha256 ") && record.ends_with(" /etc/ima/ima-policy\n"));
    assert_eq!(r.verdict(), BootVerdict::InForce);
}

#[test]
fn second_run_is_harmless_and_reports_the_policy_in_force() {
    let mut f = Fake::new();
    assert_eq!(run(&cfg(), &mut f).verdict(), BootVerdict::InForce);
    let r = run(&cfg(), &mut f);
    assert!(r
        .keys
        .keys
        .iter()
        .all(|k| matches!(k, KeyOutcome::AlreadyPresent { .. })));
    assert_eq!(f.added.len(), 2, "nothing added the second time");
    assert!(
        matches!(&r.policy.outcome, PolicyOutcome::AlreadyInForce { evidence } if evidence.contains("SHA-256")),
        "{}",
        errors(&r)
    );
    assert_eq!(
        f.written.borrow().len(),
        2,
        "nothing written the second time"
    );
    assert_eq!(r.verdict(), BootVerdict::InForce);
}

#[test]
fn a_changed_policy_after_a_load_this_boot_is_not_in_force() {
    let mut f = Fake::new();
    run(&cfg(), &mut f);
    f.files.insert(
        PathBuf::from("/etc/ima/ima-policy"),
        b"measure func=KEXEC_KERNEL_CHECK\n".to_vec(),
    );
    let r = run(&cfg(), &mut f);
    assert!(
        matches!(&r.policy.outcome, PolicyOutcome::Failed { error } if error.contains("not known") && error.contains("reboot")),
        "{}",
        errors(&r)
    );
    assert_eq!(r.verdict(), BootVerdict::NotInForce);
}

#[test]
fn a_kernel_that_reads_back_is_judged_by_its_rules() {
    let mut f = Fake::new();
    f.state = Some(AfterLoad::ReadOnly);
    f.readable = Some(format!(
        "measure func=BPRM_CHECK\n{}",
        POLICY.replace("# kexec\n", "")
    ));
    let r = run(&cfg(), &mut f);
    assert!(
        matches!(&r.policy.outcome, PolicyOutcome::AlreadyInForce { evidence } if evidence.contains("every rule")),
        "{}",
        errors(&r)
    );
    f.readable = Some("measure func=BPRM_CHECK\n".into());
    let r = run(&cfg(), &mut f);
    assert!(
        matches!(&r.policy.outcome, PolicyOutcome::Failed { error } if error.contains("different policy")),
        "{}",
        errors(&r)
    );
    assert!(f.written.borrow().is_empty());
}

#[test]
fn an_invalid_policy_is_not_written_but_the_keys_are_imported() {
    let mut f = Fake::new();
    f.files.insert(
        PathBuf::from("/etc/ima/ima-policy"),
        b"apraise func=KEXEC_KERNEL_CHECK\n".to_vec(),
    );
    let r = run(&cfg(), &mut f);
    assert_eq!(f.added.len(), 2);
    assert!(matches!(r.policy.outcome, PolicyOutcome::Failed { .. }));
    assert!(r
        .policy
        .notes
        .iter()
        .any(|n| n.starts_with("/etc/ima/ima-policy:1:1: error:")));
    assert!(f.written.borrow().is_empty());
    assert_eq!(r.verdict(), BootVerdict::NotInForce);
}

#[test]
fn missing_policy_missing_ima_and_bad_certificates_are_each_reported() {
    let mut f = Fake::new();
    f.files.remove(Path::new("/etc/ima/ima-policy"));
    f.files.insert(
        PathBuf::from("/etc/keys/ima/c.txt"),
        b"not a certificate".to_vec(),
    );
    let r = run(&cfg(), &mut f);
    assert!(
        matches!(&r.policy.outcome, PolicyOutcome::Failed { error } if error.contains("cannot read the policy /etc/ima/ima-policy"))
    );
    assert!(matches!(&r.keys.keys[2], KeyOutcome::Failed { path, .. } if path.ends_with("c.txt")));
    assert_eq!(r.keys.failures(), 1);

    let mut f = Fake::new();
    f.ima_dir = false;
    f.state = None;
    let r = run(&cfg(), &mut f);
    assert!(
        matches!(&r.policy.outcome, PolicyOutcome::Failed { error } if error.contains("IMA is not enabled"))
    );
}

#[test]
fn no_keyring_fails_every_certificate_but_the_policy_still_loads() {
    let mut f = Fake::new();
    f.keyring_fails = true;
    let r = run(&cfg(), &mut f);
    assert!(r.keys.keyring_error.is_some());
    assert!(r
        .keys
        .keys
        .iter()
        .all(|k| matches!(k, KeyOutcome::Failed { .. })));
    assert!(r.policy.in_force());
    assert_eq!(r.verdict(), BootVerdict::InForceKeysMissing);
}

#[test]
fn no_certificates_at_all_is_not_a_failure() {
    let mut f = Fake::new();
    f.files.retain(|p, _| !p.starts_with("/etc/keys"));
    let r = run(&cfg(), &mut f);
    assert!(r.keys.keys.is_empty() && r.keys.keyring.is_none());
    assert_eq!(r.verdict(), BootVerdict::InForce);
}

#[test]
fn what_the_boot_step_mounted_it_unmounts() {
    let mut f = Fake::new();
    f.unmounted_at_start = true;
    let r = run(&cfg(), &mut f);
    assert!(r.policy.in_force(), "{}", errors(&r));
    assert_eq!(f.unmounted, [PathBuf::from("/sys/kernel/security")]);
    let mut f = Fake::new();
    run(&cfg(), &mut f);
    assert!(f.unmounted.is_empty(), "nothing mounted, nothing unmounted");
}

#[path = "lockout_tests.rs"]
mod lockout;
