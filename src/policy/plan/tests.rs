//! The load planning and its errors against a fake kernel: no binary, no root.

use super::*;
use crate::error::{errno_name, errno_words};
use crate::policy::validate::check_text;
use std::cell::RefCell;
use std::rc::Rc;

/// What the fake kernel does, and a record of what it was asked.
#[derive(Default)]
struct Fake {
    mount: Option<Result<MountAction, MountError>>,
    loaded: Option<String>,
    canonical: Option<io::Result<PathBuf>>,
    xattr: Option<Vec<u8>>,
    open_errno: Option<i32>,
    refuse: Option<(usize, i32)>,
    short_at: Option<usize>,
    close_errno: Option<i32>,
    after: Option<AfterLoad>,
    mounted: usize,
    opened: Vec<PathBuf>,
    written: Rc<RefCell<Vec<Vec<u8>>>>,
}

struct Sink {
    written: Rc<RefCell<Vec<Vec<u8>>>>,
    refuse: Option<(usize, i32)>,
    short_at: Option<usize>,
    close_errno: Option<i32>,
}

impl PolicySink for Sink {
    fn write_rule(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let i = self.written.borrow().len();
        self.written.borrow_mut().push(bytes.to_vec());
        match self.refuse {
            Some((at, errno)) if at == i => Err(io::Error::from_raw_os_error(errno)),
            _ if self.short_at == Some(i) => Ok(bytes.len() - 1),
            _ => Ok(bytes.len()),
        }
    }

    fn close(self: Box<Self>) -> io::Result<()> {
        match self.close_errno {
            Some(e) => Err(io::Error::from_raw_os_error(e)),
            None => Ok(()),
        }
    }
}

impl LoadEnv for Fake {
    fn ensure_securityfs(&mut self) -> Result<MountAction, MountError> {
        self.mounted += 1;
        self.mount.take().unwrap_or(Ok(MountAction::AlreadyMounted))
    }

    fn read_policy(&mut self, _: &Path) -> io::Result<String> {
        self.loaded
            .clone()
            .ok_or_else(|| io::Error::from_raw_os_error(libc::EACCES))
    }

    fn canonicalize(&mut self, file: &Path) -> io::Result<PathBuf> {
        self.canonical
            .take()
            .unwrap_or_else(|| Ok(Path::new("/abs").join(file)))
    }

    fn ima_xattr(&mut self, _: &Path) -> Option<Vec<u8>> {
        self.xattr.clone()
    }

    fn open_policy(&mut self, policy_file: &Path) -> io::Result<Box<dyn PolicySink>> {
        self.opened.push(policy_file.to_path_buf());
        if let Some(e) = self.open_errno {
            return Err(io::Error::from_raw_os_error(e));
        }
        Ok(Box::new(Sink {
            written: self.written.clone(),
            refuse: self.refuse,
            short_at: self.short_at,
            close_errno: self.close_errno,
        }))
    }

    fn after_load(&mut self, _: &Path) -> AfterLoad {
        self.after.unwrap_or(AfterLoad::Writable)
    }
}

const TWO_RULES: &str = "# exec\nmeasure func=BPRM_CHECK\n\nmeasure func=KEXEC_KERNEL_CHECK\n";
const SIGNED_ONLY: &str = "appraise func=POLICY_CHECK appraise_type=imasig\n";

struct Args {
    text: &'static str,
    securityfs: Option<&'static str>,
    by_path: bool,
    dry_run: bool,
}

fn args(text: &'static str) -> Args {
    Args {
        text,
        securityfs: None,
        by_path: false,
        dry_run: false,
    }
}

fn plan(a: &Args, env: &mut Fake) -> (Vec<LoadNote>, Result<LoadPlan, LoadError>) {
    let (parsed, report) = check_text(a.text, Profile::V6_12);
    let req = LoadRequest {
        file: Path::new("p.policy"),
        text: a.text,
        parsed: &parsed,
        report: &report,
        profile: Profile::V6_12,
        profile_source: "test",
        securityfs: a.securityfs.map(Path::new),
        by_path: a.by_path,
        dry_run: a.dry_run,
    };
    let mut notes = Vec::new();
    let r = plan_load(&req, env, &mut notes);
    (notes, r)
}

#[test]
fn rules_are_planned_one_write_each_after_mounting() {
    let mut env = Fake {
        mount: Some(Ok(MountAction::Mounted { sysfs_too: true })),
        ..Fake::default()
    };
    let (notes, p) = plan(&args(TWO_RULES), &mut env);
    let p = p.unwrap();
    assert_eq!(notes, [LoadNote::MountedSysfs, LoadNote::MountedSecurityfs]);
    assert_eq!(env.mounted, 1);
    assert!(!p.by_path);
    assert_eq!(p.rules, 2);
    assert_eq!(p.policy_file, Path::new("/sys/kernel/security/ima/policy"));
    let w: Vec<&[u8]> = p.writes.iter().map(|w| w.bytes.as_slice()).collect();
    assert_eq!(
        w,
        [
            &b"measure func=BPRM_CHECK\n"[..],
            &b"measure func=KEXEC_KERNEL_CHECK\n"[..]
        ]
    );
    assert_eq!(
        notes[1].to_string(),
        "mounted securityfs on /sys/kernel/security"
    );
}

#[test]
fn a_given_root_or_a_dry_run_mounts_nothing() {
    let mut env = Fake::default();
    let a = Args {
        securityfs: Some("/tmp/sec"),
        ..args(TWO_RULES)
    };
    let p = plan(&a, &mut env).1.unwrap();
    assert_eq!(p.policy_file, Path::new("/tmp/sec/ima/policy"));
    let a = Args {
        dry_run: true,
        ..args(TWO_RULES)
    };
    plan(&a, &mut env).1.unwrap();
    assert_eq!(env.mounted, 0);
}

#[test]
fn a_failed_mount_stops_with_the_step_and_errno() {
    let mut env = Fake {
        mount: Some(Err(MountError {
            what: "mount securityfs on /sys/kernel/security".into(),
            err: crate::sys::SysError {
                call: "mount",
                errno: libc::EPERM,
            },
        })),
        ..Fake::default()
    };
    let e = plan(&args(TWO_RULES), &mut env).1.unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot mount securityfs on /sys/kernel/security: Operation not permitted (EPERM)"
    );
    assert!(!e.is_located());
}

#[test]
fn invalid_or_empty_policies_are_refused_before_anything_happens() {
    let mut env = Fake::default();
    let e = plan(&args("measure func=NO_SUCH_HOOK\n"), &mut env)
        .1
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "p.policy has 1 error for Linux 6.12 (test); nothing was written to the kernel"
    );
    let e = plan(&args("# nothing\n"), &mut env).1.unwrap_err();
    assert!(matches!(e, LoadError::NoRules { .. }));
    assert_eq!(env.mounted, 0);
}

#[test]
fn a_policy_demanding_signatures_switches_to_the_path() {
    let mut env = Fake {
        loaded: Some(SIGNED_ONLY.into()),
        ..Fake::default()
    };
    let (notes, p) = plan(&args(TWO_RULES), &mut env);
    let p = p.unwrap();
    assert!(p.by_path);
    assert_eq!(
        p.writes,
        [PlannedWrite {
            line: None,
            bytes: b"/abs/p.policy\n".to_vec()
        }]
    );
    assert_eq!(
        notes,
        [
            LoadNote::SwitchedToByPath {
                file: "p.policy".into()
            },
            LoadNote::Unsigned {
                path: "/abs/p.policy".into()
            }
        ]
    );
    // Signed (type 3 or 6): no note.
    for t in [3u8, 6] {
        let mut env = Fake {
            loaded: Some(SIGNED_ONLY.into()),
            xattr: Some(vec![t, 2, 4]),
            ..Fake::default()
        };
        let (notes, _) = plan(&args(TWO_RULES), &mut env);
        assert_eq!(notes.len(), 1, "type {t}");
    }
    // A hash is not a signature.
    assert!(!is_signature(&[4, 4, 0]));
    assert!(!is_signature(&[]));
}

#[test]
fn by_path_problems_and_unresolvable_files_stop_the_plan() {
    let mut env = Fake::default();
    let a = Args {
        by_path: true,
        ..args("measure func=BPRM_CHECK")
    };
    let e = plan(&a, &mut env).1.unwrap_err();
    assert!(e
        .to_string()
        .starts_with("cannot load p.policy by path: the file does not end with a newline"));
    let mut env = Fake {
        canonical: Some(Err(io::Error::from_raw_os_error(libc::ENOENT))),
        ..Fake::default()
    };
    let a = Args {
        by_path: true,
        ..args(TWO_RULES)
    };
    let e = plan(&a, &mut env).1.unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot resolve p.policy: No such file or directory"
    );
}

fn run(env: &mut Fake, by_path: bool) -> Result<Loaded, LoadError> {
    let a = Args {
        by_path,
        ..args(TWO_RULES)
    };
    let p = plan(&a, env).1.unwrap();
    run_load(&p, Path::new("p.policy"), Profile::V6_12, env)
}

#[test]
fn a_load_writes_the_plan_through_one_open() {
    let mut env = Fake {
        after: Some(AfterLoad::Removed),
        ..Fake::default()
    };
    let loaded = run(&mut env, false).unwrap();
    assert_eq!(loaded.after, AfterLoad::Removed);
    assert_eq!(
        env.opened,
        [PathBuf::from("/sys/kernel/security/ima/policy")]
    );
    assert_eq!(env.written.borrow().len(), 2);
}

#[test]
fn open_errors_are_explained() {
    for (errno, want) in [
        // Which cause depends on this host's securityfs (policy::state); there is one.
        (libc::ENOENT, Some("")),
        (
            libc::EBUSY,
            Some("another process has the policy file open"),
        ),
        (
            libc::EACCES,
            Some("writing the IMA policy needs root (CAP_SYS_ADMIN)"),
        ),
        (
            libc::EPERM,
            Some("writing the IMA policy needs root (CAP_SYS_ADMIN)"),
        ),
        (libc::EIO, None),
    ] {
        let mut env = Fake {
            open_errno: Some(errno),
            ..Fake::default()
        };
        let e = run(&mut env, false).unwrap_err();
        let msg = e.to_string();
        let head = format!(
            "cannot open /sys/kernel/security/ima/policy: {} ({})",
            errno_words(errno),
            errno_name(errno)
        );
        match want {
            Some(w) => {
                assert!(msg.starts_with(&format!("{head}: {w}")), "{msg}")
            }
            None => assert_eq!(msg, head),
        }
        assert!(env.written.borrow().is_empty());
    }
}

#[test]
fn refusals_name_the_rule_and_explain_the_errno() {
    let mut env = Fake {
        refuse: Some((1, libc::EINVAL)),
        ..Fake::default()
    };
    let e = run(&mut env, false).unwrap_err();
    assert!(e.is_located());
    assert_eq!(
        e.to_string(),
        "p.policy:4: error: the kernel refused rule 2 `measure func=KEXEC_KERNEL_CHECK`: EINVAL (Invalid argument)"
    );
    let (why, remedy) = e.explanation().unwrap();
    assert!(
        why.starts_with("the rule passed the Linux 6.12 checks"),
        "{why}"
    );
    assert_eq!(remedy, Some(Remedy::CheckForAnotherKernel));
    assert_eq!(
        e.aftermath().unwrap(),
        "stopped after 1 accepted write; the kernel discards this batch when the file is closed, so nothing of p.policy is loaded and the policy file stays for another try"
    );
    assert_eq!(env.written.borrow().len(), 2, "nothing after the refusal");

    let mut env = Fake {
        refuse: Some((0, libc::EACCES)),
        ..Fake::default()
    };
    let e = run(&mut env, false).unwrap_err();
    assert_eq!(e.explanation().unwrap().1, Some(Remedy::SignAndLoadByPath));
    assert!(e
        .aftermath()
        .unwrap()
        .starts_with("stopped after 0 accepted writes"));

    let mut env = Fake {
        refuse: Some((0, libc::EACCES)),
        ..Fake::default()
    };
    let e = run(&mut env, true).unwrap_err();
    assert_eq!(
        e.to_string(),
        "p.policy: error: the kernel refused the policy file given by path: EACCES (Permission denied)"
    );
    let (why, remedy) = e.explanation().unwrap();
    assert!(why.contains("security.ima signature"), "{why}");
    assert_eq!(remedy, None);

    let mut env = Fake {
        refuse: Some((0, libc::EIO)),
        ..Fake::default()
    };
    assert_eq!(run(&mut env, false).unwrap_err().explanation(), None);
}

#[test]
fn short_writes_and_close_errors_fail_the_load() {
    let mut env = Fake {
        short_at: Some(0),
        ..Fake::default()
    };
    let e = run(&mut env, false).unwrap_err();
    assert_eq!(
        e.to_string(),
        "p.policy:2: error: the kernel took 23 of the 24 bytes of `measure func=BPRM_CHECK`, so it did not read the rule as written; stopped, nothing of p.policy is loaded"
    );
    assert_eq!((e.explanation(), e.aftermath()), (None, None));

    let mut env = Fake {
        close_errno: Some(libc::EINVAL),
        ..Fake::default()
    };
    let e = run(&mut env, false).unwrap_err();
    assert_eq!(
        e.to_string(),
        "closing /sys/kernel/security/ima/policy failed: EINVAL (Invalid argument); the kernel did not take the policy"
    );
    assert!(!e.is_located());
}

/// Plans `a` for a policy read from standard input (`-`).
fn plan_stdin(a: &Args, env: &mut Fake) -> Result<LoadPlan, LoadError> {
    let (parsed, report) = check_text(a.text, Profile::V6_12);
    let req = LoadRequest {
        file: Path::new("-"),
        text: a.text,
        parsed: &parsed,
        report: &report,
        profile: Profile::V6_12,
        profile_source: "test",
        securityfs: a.securityfs.map(Path::new),
        by_path: a.by_path,
        dry_run: a.dry_run,
    };
    plan_load(&req, env, &mut Vec::new())
}

#[test]
fn a_policy_from_stdin_is_loaded_as_rules_never_by_path() {
    // Rules from standard input are written as from a file.
    let p = plan_stdin(&args(TWO_RULES), &mut Fake::default()).unwrap();
    assert!(!p.by_path);
    assert_eq!(p.writes.len(), 2);
    // Asked for a path write: refused, nothing resolved or opened.
    let mut env = Fake::default();
    let a = Args {
        by_path: true,
        ..args(TWO_RULES)
    };
    let e = plan_stdin(&a, &mut env).unwrap_err();
    assert!(matches!(e, LoadError::ByPathFromStdin { demanded: false }));
    assert!(e
        .to_string()
        .starts_with("a policy from standard input cannot be loaded by path"));
    assert!(env.opened.is_empty());
    // The loaded policy demands signed policies: refused with the reason, no switch.
    let mut env = Fake {
        loaded: Some(SIGNED_ONLY.into()),
        ..Fake::default()
    };
    let e = plan_stdin(&args(TWO_RULES), &mut env).unwrap_err();
    assert!(matches!(e, LoadError::ByPathFromStdin { demanded: true }));
    assert!(e
        .to_string()
        .contains("a policy from standard input has no path"));
    assert_eq!(e.explanation().unwrap().1, Some(Remedy::SignAndLoadByPath));
    // Messages about the policy name standard input.
    let e = plan_stdin(&args("measure func=NO_SUCH_HOOK\n"), &mut Fake::default()).unwrap_err();
    assert!(
        e.to_string().starts_with("standard input has 1 error"),
        "{e}"
    );
}
