//! Would a policy lock the running system out of its own programs? Before `policy load`
//! writes a policy, the programs this system runs now (the executable of every process,
//! `/proc/PID/exe`, and, when a rule could appraise them, the files each process has
//! mapped executable, `/proc/PID/maps`) are matched against the new rules
//! ([`super::matcher`]) and, where an appraise rule decides, their `security.ima` is
//! judged as the kernel's appraisal would judge it: none, a hash where a signature is
//! required, a hash that does not match the content, or a signature that does not verify
//! with the IMA keyring's keys makes the next exec (or mapping) fail with EACCES.
//!
//! What is not checked: files a program only reads (configuration, data), programs that
//! are not running now, rules already in force ahead of the new ones (a second load with
//! CONFIG_IMA_WRITE_POLICY appends), EVM's own check of `security.evm` (when EVM has keys,
//! a file that passes here is reported unknown), `appraise_algos=` and
//! `appraise_flag=check_blacklist`.

use std::collections::HashSet;
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::matcher::{decide_appraisal, uuid_text, Event, FileFacts};
use super::parse::ParsedRule;
use super::{Action, RuleOption};
use crate::format::{ImaValue, XattrType};
use crate::fsops::OpenFile;
use crate::hash::HashAlgo;
use crate::input::{self, InputKind};
use crate::verify::{Verdict, Verifier};

/// How a running program was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A process's executable (`/proc/PID/exe`): it goes through [`Event::EXEC`].
    Program,
    /// A file a process has mapped executable (`/proc/PID/maps`, `x` in the permissions):
    /// it goes through [`Event::MAPPED`].
    Mapped,
}

/// What the kernel would do with one file under the new policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    /// Refused with EACCES: the cause in the audit log's words, and the rule.
    Refused {
        cause: String,
        rule: RuleRef,
    },
    /// Cannot be told here: why.
    Unknown(String),
}

/// A rule as written in the policy file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleRef {
    pub line: usize,
    pub text: String,
}

impl RuleRef {
    fn of(r: &ParsedRule) -> RuleRef {
        RuleRef {
            line: r.line,
            text: r.source.trim().to_string(),
        }
    }
}

/// One file and its outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Judged {
    /// The path as the process sees it (from the link or the maps line).
    pub path: String,
    pub role: Role,
    /// The first process found using it.
    pub pid: String,
    pub outcome: Outcome,
}

/// What the check found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Finding {
    /// Distinct files (device and inode) judged.
    pub files: usize,
    /// Processes looked at.
    pub processes: usize,
    /// Whether mapped files were looked at (some appraise rule could match a mapping).
    pub mapped_checked: bool,
    pub refused: Vec<Judged>,
    pub unknown: Vec<Judged>,
    /// Processes whose program or maps could not be read, with why (first few).
    pub unreadable: Vec<String>,
    /// How many there were in all.
    pub unreadable_count: usize,
}

/// Where the facts come from.
pub struct Env<'a> {
    /// The /proc to read ("/proc", or a test tree's).
    pub proc_root: PathBuf,
    /// Checks signatures (the IMA keyring, as `imactl verify` does).
    pub verifier: &'a Verifier,
    /// When EVM has a key loaded (its securityfs value, as read): appraisal also checks
    /// security.evm, which this check does not.
    pub evm_active: Option<String>,
}

/// True when one of `rules` could appraise at one of `events`: an appraise rule whose func
/// is absent or one of theirs.
fn could_appraise(rules: &[ParsedRule], events: &[Event]) -> bool {
    rules.iter().any(|r| {
        r.rule.action == Action::Appraise
            && r.rule
                .func()
                .is_none_or(|f| events.iter().any(|e| e.func == f))
    })
}

/// Whether the check has anything to look at: an appraise rule that could match an exec.
pub fn applies(rules: &[ParsedRule]) -> bool {
    could_appraise(rules, &Event::EXEC)
}

/// A file to judge, opened.
struct Candidate {
    path: String,
    role: Role,
    pid: String,
    file: OpenFile,
}

const MAX_UNREADABLE_KEPT: usize = 10;

fn note_unreadable(f: &mut Finding, what: String) {
    f.unreadable_count += 1;
    if f.unreadable.len() < MAX_UNREADABLE_KEPT {
        f.unreadable.push(what);
    }
}

fn is_pid_dir(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit())
}

/// Runs the check of `rules` against the processes under `env.proc_root`.
pub fn check(rules: &[ParsedRule], env: &Env) -> Finding {
    let mut finding = Finding::default();
    if !applies(rules) {
        return finding;
    }
    finding.mapped_checked = could_appraise(rules, &Event::MAPPED);
    let mounts = mount_types(&env.proc_root);
    let mut seen: HashSet<(u64, u64)> = HashSet::new();
    let mut pids: Vec<String> = match std::fs::read_dir(&env.proc_root) {
        Ok(rd) => rd
            .flatten()
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|n| is_pid_dir(n) || n == "self")
            .collect(),
        Err(e) => {
            note_unreadable(&mut finding, format!("{}: {e}", env.proc_root.display()));
            return finding;
        }
    };
    // PID 1 first, then in number order; "self" (imactl) last.
    pids.sort_by_key(|p| (p == "self", p.parse::<u64>().unwrap_or(u64::MAX)));
    for pid in pids {
        let dir = env.proc_root.join(&pid);
        finding.processes += 1;
        let mut candidates = Vec::new();
        let mut errors = Vec::new();
        match program_of(&dir, &pid) {
            Ok(Some(c)) => candidates.push(c),
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
        if finding.mapped_checked {
            match mapped_of(&dir, &pid) {
                Ok(v) => candidates.extend(v),
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            note_unreadable(&mut finding, errors.join(", "));
        }
        for c in candidates {
            let Ok(md) = c.file.file().metadata() else {
                continue;
            };
            if !seen.insert((md.dev(), md.ino())) {
                continue;
            }
            finding.files += 1;
            let facts = file_facts(&c.file, &md, &mounts);
            let events: &[Event] = match c.role {
                Role::Program => &Event::EXEC,
                Role::Mapped => &Event::MAPPED,
            };
            let outcome = judge(rules, &facts, events, &c.file, env);
            let judged = Judged {
                path: c.path,
                role: c.role,
                pid: c.pid,
                outcome,
            };
            match judged.outcome {
                Outcome::Pass => {}
                Outcome::Refused { .. } => finding.refused.push(judged),
                Outcome::Unknown(_) => finding.unknown.push(judged),
            }
        }
    }
    finding
}

/// The process's executable, opened through its magic link. `None` for a kernel thread
/// (no executable).
fn program_of(dir: &Path, pid: &str) -> Result<Option<Candidate>, String> {
    let link = dir.join("exe");
    let target = match std::fs::read_link(&link) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", link.display())),
    };
    let target = target.to_string_lossy().into_owned();
    // A program replaced since it started (an upgrade): the next exec runs the file now at
    // its path, not the deleted one the process still holds.
    if let Some(path) = target.strip_suffix(" (deleted)") {
        let shown = PathBuf::from(path);
        return match OpenFile::open_link_target(&shown, &shown) {
            Ok(file) => Ok(Some(Candidate {
                path: path.to_string(),
                role: Role::Program,
                pid: pid.to_string(),
                file,
            })),
            Err(_) => Ok(None),
        };
    }
    let shown = PathBuf::from(&target);
    let file = OpenFile::open_link_target(&link, &shown).map_err(|e| e.to_string())?;
    Ok(Some(Candidate {
        path: shown.display().to_string(),
        role: Role::Program,
        pid: pid.to_string(),
        file,
    }))
}

/// The files the process has mapped executable, opened through `map_files/` (the very
/// file, in any mount namespace) or, where that is not readable, by their path.
fn mapped_of(dir: &Path, pid: &str) -> Result<Vec<Candidate>, String> {
    let maps = dir.join("maps");
    let text = match input::read_input(&maps, InputKind::ProcessMaps) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(input::InputError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Vec::new())
        }
        Err(e) => return Err(format!("{}: {e}", maps.display())),
    };
    let mut out = Vec::new();
    let mut paths = HashSet::new();
    for line in text.lines() {
        let Some(m) = parse_maps_line(line) else {
            continue;
        };
        if !paths.insert(m.path.to_string()) {
            continue;
        }
        let shown = PathBuf::from(m.path);
        let via = dir.join("map_files").join(m.range);
        // A replaced (deleted) file is judged by the one now at its path, as for programs.
        let file = if m.deleted {
            OpenFile::open_link_target(&shown, &shown)
        } else {
            OpenFile::open_link_target(&via, &shown)
                .or_else(|_| OpenFile::open_link_target(&shown, &shown))
        };
        match file {
            Ok(file) => out.push(Candidate {
                path: m.path.to_string(),
                role: Role::Mapped,
                pid: pid.to_string(),
                file,
            }),
            // Gone since it was mapped (removed, or in another mount namespace).
            Err(_) => continue,
        }
    }
    Ok(out)
}

/// An executable file mapping of a maps line.
struct MapsLine<'a> {
    range: &'a str,
    /// Without the kernel's " (deleted)".
    path: &'a str,
    /// The mapped file was deleted (replaced) since.
    deleted: bool,
}

/// `START-END PERMS OFFSET DEV INODE PATH`: a mapping with `x` in its permissions and a
/// path (not `[vdso]`, not anonymous).
fn parse_maps_line(line: &str) -> Option<MapsLine<'_>> {
    let mut it = line.splitn(6, ' ');
    let range = it.next()?;
    let perms = it.next()?;
    let _offset = it.next()?;
    let _dev = it.next()?;
    let _inode = it.next()?;
    let path = it.next()?.trim_start();
    if perms.as_bytes().get(2) != Some(&b'x') || !path.starts_with('/') {
        return None;
    }
    let (path, deleted) = match path.strip_suffix(" (deleted)") {
        Some(p) => (p, true),
        None => (path, false),
    };
    Some(MapsLine {
        range,
        path,
        deleted,
    })
}

/// Device number (major:minor, as mountinfo writes it) to filesystem type name, from
/// `<proc>/self/mountinfo`.
fn mount_types(proc_root: &Path) -> Vec<(String, String)> {
    let Ok(b) = input::read_input(&proc_root.join("self/mountinfo"), InputKind::MountInfo) else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(&b);
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            let dash = f.iter().position(|x| *x == "-")?;
            let dev = f.get(2)?;
            let fstype = f.get(dash + 1)?;
            // mountinfo writes FUSE filesystems as type.subtype; the kernel's name is the
            // type.
            let name = fstype.split('.').next().unwrap_or(fstype);
            Some((dev.to_string(), name.to_string()))
        })
        .collect()
}

/// The glibc encoding of a device number.
fn major_minor(dev: u64) -> String {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    format!("{major}:{minor}")
}

fn file_facts(file: &OpenFile, md: &std::fs::Metadata, mounts: &[(String, String)]) -> FileFacts {
    let fd = file.file().as_fd();
    let dev = major_minor(md.dev());
    let names: Vec<&String> = mounts
        .iter()
        .filter(|(d, _)| *d == dev)
        .map(|(_, n)| n)
        .collect();
    let fsname = match names.first() {
        Some(n) if names.iter().all(|m| m == n) => Ok(n.to_string()),
        Some(_) => Err(format!("device {dev} is mounted with several types")),
        None => Err(format!("device {dev} is not in the mount table")),
    };
    FileFacts {
        uid: md.uid(),
        gid: md.gid(),
        mode: md.mode(),
        fsmagic: crate::sys::mount::fstatfs_type(fd).map_err(|e| e.to_string()),
        fsuuid: crate::sys::ioctl::fs_ioc_getfsuuid(fd)
            .map(|u| uuid_text(&u))
            .map_err(|e| e.to_string()),
        fsname,
    }
}

/// The outcome of one file: refused when any event's deciding rule refuses it surely,
/// unknown when some may, pass otherwise.
fn judge(
    rules: &[ParsedRule],
    facts: &FileFacts,
    events: &[Event],
    file: &OpenFile,
    env: &Env,
) -> Outcome {
    let mut cache: Vec<((bool, bool), Appraisal)> = Vec::new();
    let mut appraise = |r: &ParsedRule| -> Appraisal {
        let key = requirement(r);
        if let Some((_, a)) = cache.iter().find(|(k, _)| *k == key) {
            return a.clone();
        }
        let a = appraise_file(file, key, env);
        cache.push((key, a.clone()));
        a
    };
    let mut unknown: Option<String> = None;
    for ev in events {
        let d = decide_appraisal(rules, facts, *ev);
        let mut refusals = Vec::new();
        let mut passes = false;
        let mut doubts = Vec::new();
        let decisive = d.first.into_iter().map(|r| (r, None));
        let maybe = d.maybe.iter().map(|(r, why)| (*r, Some(why.clone())));
        for (r, why) in maybe.chain(decisive) {
            let a = if r.rule.action == Action::DontAppraise {
                Appraisal::Pass
            } else {
                appraise(r)
            };
            match a {
                Appraisal::Pass => passes = true,
                Appraisal::Refuse(cause) => refusals.push((r, cause, why)),
                Appraisal::Unknown(u) => {
                    doubts.push(format!("line {} ({}): {u}", r.line, ev.describe()))
                }
            }
        }
        // No rule surely matches: the file is not appraised at this event, unless one
        // of the unknown rules applies.
        if d.first.is_none() {
            passes = true;
        }
        if !refusals.is_empty() && !passes && doubts.is_empty() {
            let (r, cause, _) = &refusals[refusals.len() - 1];
            return Outcome::Refused {
                cause: format!("{cause} at {}", ev.describe()),
                rule: RuleRef::of(r),
            };
        }
        if unknown.is_none() {
            if let Some((r, cause, why)) = refusals.first() {
                let why = why.clone().unwrap_or_else(|| match d.maybe.first() {
                    Some((m, w)) => format!("line {} may decide first: {w}", m.line),
                    None => "an earlier rule may decide instead".into(),
                });
                unknown = Some(format!(
                    "refused at {} if line {} decides ({cause}); whether it does is unknown: {why}",
                    ev.describe(),
                    r.line
                ));
            } else if let Some(d) = doubts.into_iter().next() {
                unknown = Some(d);
            }
        }
    }
    match unknown {
        Some(u) => Outcome::Unknown(u),
        None => Outcome::Pass,
    }
}

/// What an appraise rule demands: a signature (appraise_type=), an fs-verity one
/// (digest_type=verity).
fn requirement(r: &ParsedRule) -> (bool, bool) {
    let verity = r
        .rule
        .options()
        .any(|o| matches!(o, RuleOption::DigestVerity));
    (r.rule.requires_signature(), verity)
}

#[derive(Clone, Debug)]
enum Appraisal {
    Pass,
    Refuse(String),
    Unknown(String),
}

/// The file's `security.ima` judged as `ima_appraise_measurement()` would under a rule
/// demanding `(signature, verity)`.
fn appraise_file(file: &OpenFile, (signature, verity): (bool, bool), env: &Env) -> Appraisal {
    use xattr::FileExt;
    let value = match file.file().get_xattr("security.ima") {
        Ok(v) => v,
        Err(e) if e.raw_os_error() == Some(libc::EOPNOTSUPP) => {
            return Appraisal::Refuse(
                "its filesystem keeps no extended attributes, so it can have no security.ima"
                    .into(),
            )
        }
        Err(e) => return Appraisal::Unknown(format!("security.ima cannot be read: {e}")),
    };
    let Some(value) = value else {
        return Appraisal::Refuse(
            match (signature, verity) {
                (true, true) => "no security.ima (verity-signature-required)",
                (true, false) => "no security.ima (IMA-signature-required)",
                (false, _) => "no security.ima (missing-hash)",
            }
            .into(),
        );
    };
    let pass = |how: String| {
        match &env.evm_active {
        Some(v) => Appraisal::Unknown(format!(
            "security.ima passes ({how}), but EVM has a key loaded (evm={v}) and also checks security.evm, which is not checked here"
        )),
        None => Appraisal::Pass,
    }
    };
    if verity {
        return Appraisal::Unknown(
            "a digest_type=verity rule: its fs-verity requirements are not checked here".into(),
        );
    }
    let parsed = ImaValue::parse(&value);
    match &parsed {
        Ok(ImaValue::Digest(_) | ImaValue::DigestNg { .. }) if signature => {
            return Appraisal::Refuse(
                "security.ima holds a hash where the rule requires a signature (IMA-signature-required)"
                    .into(),
            )
        }
        Ok(ImaValue::DigestNg { hash_id, digest }) => {
            let Some(algo) = HashAlgo::from_kernel_id(*hash_id) else {
                return Appraisal::Unknown(format!(
                    "security.ima holds a hash of algorithm {hash_id}, which is not known here"
                ));
            };
            return hash_outcome(file, algo, digest, pass);
        }
        Ok(ImaValue::Digest(d)) if d.len() == 20 => {
            return hash_outcome(file, HashAlgo::Sha1, d, pass)
        }
        Ok(ImaValue::Digest(d)) => {
            return Appraisal::Unknown(format!(
                "security.ima holds a legacy {}-byte hash, which is not checked here",
                d.len()
            ))
        }
        Ok(_) => {}
        Err(e) => return Appraisal::Refuse(format!("security.ima is malformed ({e})")),
    }
    if value.first() == Some(&(XattrType::VerityDigSig as u8)) {
        // Outside a digest_type=verity rule the kernel does not take an fs-verity
        // signature as a file signature.
        return Appraisal::Refuse(
            "security.ima holds an fs-verity signature (sigv3) and the rule is not digest_type=verity (invalid-signature)"
                .into(),
        );
    }
    match env
        .verifier
        .verify_file_value(file, Some(&value), &mut |_| {})
    {
        Ok(v @ Verdict::Ok { .. }) => pass(format!("signature {v}")),
        Ok(Verdict::NotChecked { detail, .. }) => {
            Appraisal::Unknown(format!("its signature could not be checked: {detail}"))
        }
        Ok(v @ Verdict::UnavailableHash { .. }) => {
            Appraisal::Unknown(format!("its signature could not be checked: {v}"))
        }
        Ok(v) => Appraisal::Refuse(format!("signature: {v}")),
        Err(e) => Appraisal::Unknown(format!("its signature could not be checked: {e}")),
    }
}

fn hash_outcome(
    file: &OpenFile,
    algo: HashAlgo,
    want: &[u8],
    pass: impl Fn(String) -> Appraisal,
) -> Appraisal {
    match file.digest(algo) {
        Ok(d) if d == want => pass(format!("a {} hash of the file", algo.name())),
        Ok(_) => Appraisal::Refuse(format!(
            "the {} hash in security.ima does not match the file (invalid-hash)",
            algo.name()
        )),
        Err(e) => Appraisal::Unknown(format!("the file cannot be hashed: {e}")),
    }
}

/// The EVM state under a securityfs root, when EVM has a key loaded (HMAC or X.509):
/// then appraisal also verifies security.evm.
pub fn evm_active(securityfs: &Path) -> Option<String> {
    for rel in ["integrity/evm/evm", "evm"] {
        if let Ok(t) = input::read_input_string(&securityfs.join(rel), InputKind::SmallFile) {
            let t = t.trim().to_string();
            let v: u64 = t.parse().ok()?;
            // EVM_INIT_HMAC | EVM_INIT_X509 (security/integrity/evm/evm.h: EVM_KEY_MASK).
            return (v & 0x3 != 0).then_some(t);
        }
    }
    None
}

#[cfg(test)]
#[path = "lockout_tests.rs"]
mod tests;
