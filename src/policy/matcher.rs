//! Whether a policy rule applies to one file at one hook, as the kernel's
//! `ima_match_rules()` decides it (security/integrity/ima/ima_policy.c, Linux 6.12, read for
//! facts), from what userspace can know of the file: its owner, group and mode (stat), its
//! filesystem's magic number (statfs f_type), UUID and type name. A condition userspace
//! cannot evaluate here (an LSM label, the ids of the process that will run the program, a
//! filesystem fact that could not be read) makes the answer [`Match::Unknown`], never a
//! guess. Which rule decides appraisal ([`decide_appraisal`]) follows `ima_match_policy()`:
//! the first rule of the appraise family (appraise or dont_appraise) that matches.
//! Pure: facts in, answers out.

use super::parse::ParsedRule;
use super::{Action, Condition, Func, IdKind, IdOp, MaskBit};

/// The kernel's MAY_* bits (include/linux/fs.h).
pub const MAY_EXEC: u32 = 0x1;
pub const MAY_WRITE: u32 = 0x2;
pub const MAY_READ: u32 = 0x4;
pub const MAY_APPEND: u32 = 0x8;

fn mask_bit(b: MaskBit) -> u32 {
    match b {
        MaskBit::Exec => MAY_EXEC,
        MaskBit::Write => MAY_WRITE,
        MaskBit::Read => MAY_READ,
        MaskBit::Append => MAY_APPEND,
    }
}

/// One call of the kernel's IMA hook: which hook (`func`) and the access it asks for
/// (`mask`, MAY_* bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    pub func: Func,
    pub mask: u32,
}

impl Event {
    /// The hooks an execve(2) of a file runs through, in the kernel's order: the open of
    /// the program (FILE_CHECK with MAY_EXEC, do_open_execat), BPRM_CHECK and CREDS_CHECK
    /// (ima_bprm_check, ima_creds_check), and the ELF loader's executable mapping of it
    /// (MMAP_CHECK_REQPROT, MMAP_CHECK through security_mmap_file).
    pub const EXEC: [Event; 5] = [
        Event::new(Func::FileCheck, MAY_EXEC),
        Event::new(Func::BprmCheck, MAY_EXEC),
        Event::new(Func::CredsCheck, MAY_EXEC),
        Event::new(Func::MmapCheckReqprot, MAY_EXEC),
        Event::new(Func::MmapCheck, MAY_EXEC),
    ];

    /// The hooks a shared library goes through when the dynamic loader opens it for
    /// reading (FILE_CHECK with MAY_READ) and maps it executable (ima_file_mmap:
    /// MMAP_CHECK_REQPROT, then MMAP_CHECK, both with MAY_EXEC).
    pub const MAPPED: [Event; 3] = [
        Event::new(Func::FileCheck, MAY_READ),
        Event::new(Func::MmapCheckReqprot, MAY_EXEC),
        Event::new(Func::MmapCheck, MAY_EXEC),
    ];

    pub const fn new(func: Func, mask: u32) -> Event {
        Event { func, mask }
    }

    /// "BPRM_CHECK", "FILE_CHECK (MAY_READ)".
    pub fn describe(&self) -> String {
        if self.func == Func::FileCheck {
            let m = MaskBit::ALL
                .iter()
                .filter(|b| self.mask & mask_bit(**b) != 0)
                .map(|b| b.name())
                .collect::<Vec<_>>()
                .join("|");
            format!("{} ({m})", self.func.name())
        } else {
            self.func.name().to_string()
        }
    }
}

/// What userspace knows of a file, for matching.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileFacts {
    /// st_uid, st_gid, st_mode.
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
    /// The filesystem's magic number (statfs f_type); `Err` says why it is not known.
    pub fsmagic: Result<u64, String>,
    /// The filesystem's UUID as the kernel keeps it (FS_IOC_GETFSUUID), in the printed
    /// form of a rule (lower case, dashed); `Err` says why it is not known.
    pub fsuuid: Result<String, String>,
    /// The filesystem type's name (the kernel's `s_type->name`, e.g. ext4); `Err` says why
    /// it is not known.
    pub fsname: Result<String, String>,
}

impl FileFacts {
    /// Facts with only stat's fields known, the filesystem facts `Err(why)`.
    pub fn stat_only(uid: u32, gid: u32, mode: u32, why: &str) -> FileFacts {
        FileFacts {
            uid,
            gid,
            mode,
            fsmagic: Err(why.to_string()),
            fsuuid: Err(why.to_string()),
            fsname: Err(why.to_string()),
        }
    }
}

/// 16 bytes in the printed UUID form (8-4-4-4-12 lower-case hex).
pub fn uuid_text(b: &[u8; 16]) -> String {
    let h = crate::hash::to_hex(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Whether a rule applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Match {
    Match,
    NoMatch,
    /// It applies or not depending on something userspace cannot evaluate here (why).
    Unknown(String),
}

fn id_holds(op: IdOp, actual: u32, value: u32) -> bool {
    match op {
        IdOp::Eq => actual == value,
        IdOp::Gt => actual > value,
        IdOp::Lt => actual < value,
    }
}

/// One condition against the file and the event.
fn condition(c: &Condition, f: &FileFacts, ev: Event) -> Match {
    let known = |b: bool| if b { Match::Match } else { Match::NoMatch };
    match c {
        // A rule without func matches every hook; with one, only that hook.
        Condition::Func(func) => known(*func == ev.func),
        // mask=MAY_X: the request is exactly that bit; mask=^MAY_X: the bit is among the
        // requested ones.
        Condition::Mask(m) if m.inmask => known(mask_bit(m.bit) & ev.mask != 0),
        Condition::Mask(m) => known(mask_bit(m.bit) == ev.mask),
        Condition::Fsmagic(want) => match &f.fsmagic {
            Ok(have) => known(have == want),
            Err(why) => Match::Unknown(format!("fsmagic: the filesystem's magic is not known ({why})")),
        },
        Condition::Fsuuid(want) => match &f.fsuuid {
            Ok(have) => known(have == want),
            Err(why) => Match::Unknown(format!("fsuuid: the filesystem's UUID is not known ({why})")),
        },
        Condition::Fsname(want) => match &f.fsname {
            Ok(have) => known(have == want),
            Err(why) => Match::Unknown(format!("fsname: the filesystem's type is not known ({why})")),
        },
        Condition::FsSubtype(_) => {
            Match::Unknown("fs_subtype: the filesystem's subtype is not read here".into())
        }
        Condition::Id { kind, op, value } => match kind {
            IdKind::Fowner => known(id_holds(*op, f.uid, *value)),
            IdKind::Fgroup => known(id_holds(*op, f.gid, *value)),
            IdKind::Uid | IdKind::Euid | IdKind::Gid | IdKind::Egid => Match::Unknown(format!(
                "{}: it tests the credentials of the process that opens or runs the file, which are not known ahead",
                kind.name()
            )),
        },
        Condition::Lsm { kind, label } => Match::Unknown(format!(
            "{}={label}: LSM labels are not evaluated here",
            kind.name()
        )),
        // Only with func=KEY_CHECK / CRITICAL_DATA (ima_validate_rule), never a file hook.
        Condition::Keyrings(_) | Condition::Label(_) => Match::NoMatch,
    }
}

/// Whether `rule` applies to the file `f` at `ev`. Every condition must hold: one that
/// does not makes it [`Match::NoMatch`] whatever the others are; otherwise one that
/// cannot be evaluated makes it [`Match::Unknown`] (the first such, in the order written).
pub fn match_rule(rule: &super::Rule, f: &FileFacts, ev: Event) -> Match {
    let mut unknown = None;
    for c in rule.conditions() {
        match condition(c, f, ev) {
            Match::Match => {}
            Match::NoMatch => return Match::NoMatch,
            Match::Unknown(why) => {
                unknown.get_or_insert(why);
            }
        }
    }
    match unknown {
        Some(why) => Match::Unknown(why),
        None => Match::Match,
    }
}

/// The rules that may decide appraisal of a file at one event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision<'a> {
    /// Rules of the appraise family whose match is unknown, before the first that
    /// matches surely: each may be the one that decides (with why it is unknown).
    pub maybe: Vec<(&'a ParsedRule, String)>,
    /// The first appraise-family rule that surely matches; `None`: no rule does (the file
    /// is not appraised at this event unless a `maybe` rule applies).
    pub first: Option<&'a ParsedRule>,
}

impl Decision<'_> {
    /// True when the outcome is known: no rule of unknown match comes first.
    pub fn certain(&self) -> bool {
        self.maybe.is_empty()
    }
}

/// Which rule decides whether the file is appraised at `ev`: as `ima_match_policy()` with
/// the appraise action mask, the first matching rule whose action is appraise or
/// dont_appraise, in policy order (other actions do not take part).
pub fn decide_appraisal<'a>(rules: &'a [ParsedRule], f: &FileFacts, ev: Event) -> Decision<'a> {
    let mut maybe = Vec::new();
    for r in rules {
        if r.rule.action.family() != Action::Appraise {
            continue;
        }
        match match_rule(&r.rule, f, ev) {
            Match::Match => {
                return Decision {
                    maybe,
                    first: Some(r),
                }
            }
            Match::NoMatch => {}
            Match::Unknown(why) => maybe.push((r, why)),
        }
    }
    Decision { maybe, first: None }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::parse::parse_policy;

    fn facts(uid: u32, magic: u64) -> FileFacts {
        FileFacts {
            uid,
            gid: uid,
            mode: 0o100755,
            fsmagic: Ok(magic),
            fsuuid: Ok("0f8e6c2a-1d5b-4e11-9c1e-2b7a4a9b3c10".into()),
            fsname: Ok("ext4".into()),
        }
    }

    const EXT4: u64 = 0xef53;
    const TMPFS: u64 = 0x0102_1994;
    const BPRM: Event = Event::new(Func::BprmCheck, MAY_EXEC);
    const MMAP: Event = Event::new(Func::MmapCheck, MAY_EXEC);

    fn one(rule: &str, f: &FileFacts, ev: Event) -> Match {
        let p = parse_policy(rule);
        assert!(p.diagnostics.is_empty(), "{rule}: {:?}", p.diagnostics);
        match_rule(&p.rules[0].rule, f, ev)
    }

    #[test]
    fn fowner_and_fgroup_compare_the_file_owner() {
        let root = facts(0, EXT4);
        let user = facts(1000, EXT4);
        assert_eq!(one("appraise fowner=0", &root, BPRM), Match::Match);
        assert_eq!(one("appraise fowner=0", &user, BPRM), Match::NoMatch);
        assert_eq!(one("appraise fowner>999", &user, BPRM), Match::Match);
        assert_eq!(one("appraise fowner>1000", &user, BPRM), Match::NoMatch);
        assert_eq!(one("appraise fowner<1000", &root, BPRM), Match::Match);
        assert_eq!(one("appraise fgroup=1000", &user, BPRM), Match::Match);
        assert_eq!(one("appraise fgroup=0", &user, BPRM), Match::NoMatch);
    }

    #[test]
    fn uid_of_the_process_is_unknown() {
        let root = facts(0, EXT4);
        for r in [
            "appraise uid=0",
            "appraise euid=0",
            "appraise gid=0",
            "appraise egid<5",
        ] {
            assert!(matches!(one(r, &root, BPRM), Match::Unknown(_)), "{r}");
        }
        // A condition that surely fails wins over one that is unknown.
        assert_eq!(one("appraise uid=0 fowner=5", &root, BPRM), Match::NoMatch);
    }

    #[test]
    fn fsmagic_and_fsuuid_and_fsname() {
        let f = facts(0, TMPFS);
        assert_eq!(
            one("dont_appraise fsmagic=0x01021994", &f, BPRM),
            Match::Match
        );
        assert_eq!(
            one("dont_appraise fsmagic=0xef53", &f, BPRM),
            Match::NoMatch
        );
        assert_eq!(
            one(
                "appraise fsuuid=0F8E6C2A-1D5B-4E11-9C1E-2B7A4A9B3C10",
                &f,
                BPRM
            ),
            Match::Match
        );
        assert_eq!(
            one(
                "appraise fsuuid=00000000-1d5b-4e11-9c1e-2b7a4a9b3c10",
                &f,
                BPRM
            ),
            Match::NoMatch
        );
        assert_eq!(one("appraise fsname=ext4", &f, BPRM), Match::Match);
        assert_eq!(one("appraise fsname=xfs", &f, BPRM), Match::NoMatch);
        let blind = FileFacts::stat_only(0, 0, 0o100755, "no fstatfs");
        assert!(matches!(
            one("appraise fsmagic=0xef53", &blind, BPRM),
            Match::Unknown(_)
        ));
        assert!(matches!(
            one(
                "appraise fsuuid=0f8e6c2a-1d5b-4e11-9c1e-2b7a4a9b3c10",
                &blind,
                BPRM
            ),
            Match::Unknown(_)
        ));
    }

    #[test]
    fn func_and_mask_select_the_hook() {
        let f = facts(0, EXT4);
        assert_eq!(one("appraise func=BPRM_CHECK", &f, BPRM), Match::Match);
        assert_eq!(one("appraise func=BPRM_CHECK", &f, MMAP), Match::NoMatch);
        assert_eq!(
            one("appraise func=MMAP_CHECK mask=MAY_EXEC", &f, MMAP),
            Match::Match
        );
        let read = Event::new(Func::FileCheck, MAY_READ);
        let exec_open = Event::new(Func::FileCheck, MAY_EXEC);
        assert_eq!(
            one("appraise func=FILE_CHECK mask=MAY_READ", &f, read),
            Match::Match
        );
        assert_eq!(
            one("appraise func=FILE_CHECK mask=MAY_READ", &f, exec_open),
            Match::NoMatch
        );
        let rw = Event::new(Func::FileCheck, MAY_READ | MAY_WRITE);
        assert_eq!(
            one("appraise func=FILE_CHECK mask=MAY_READ", &f, rw),
            Match::NoMatch
        );
        assert_eq!(
            one("appraise func=FILE_CHECK mask=^MAY_READ", &f, rw),
            Match::Match
        );
    }

    #[test]
    fn a_rule_without_func_matches_every_hook() {
        let f = facts(0, EXT4);
        for ev in Event::EXEC.iter().chain(Event::MAPPED.iter()) {
            assert_eq!(one("appraise fowner=0", &f, *ev), Match::Match, "{ev:?}");
        }
    }

    #[test]
    fn lsm_labels_are_unknown() {
        let f = facts(0, EXT4);
        match one("appraise obj_type=bin_t", &f, BPRM) {
            Match::Unknown(why) => assert!(why.contains("obj_type=bin_t"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            one("appraise subj_user=system_u", &f, BPRM),
            Match::Unknown(_)
        ));
    }

    #[test]
    fn the_first_appraise_family_rule_decides() {
        let text = "measure func=BPRM_CHECK\ndont_appraise func=BPRM_CHECK fsmagic=0x01021994\nappraise func=BPRM_CHECK fowner=0 appraise_type=imasig\n";
        let p = parse_policy(text);
        let on_tmpfs = decide_appraisal(&p.rules, &facts(0, TMPFS), BPRM);
        assert_eq!(on_tmpfs.first.map(|r| r.line), Some(2));
        assert!(on_tmpfs.certain());
        let on_disk = decide_appraisal(&p.rules, &facts(0, EXT4), BPRM);
        assert_eq!(on_disk.first.map(|r| r.line), Some(3));
        let users = decide_appraisal(&p.rules, &facts(1000, EXT4), BPRM);
        assert_eq!(users.first, None);
        // dont_appraise first wins even though the appraise rule matches too.
        let p = parse_policy("dont_appraise fowner=0\nappraise func=BPRM_CHECK\n");
        assert_eq!(
            decide_appraisal(&p.rules, &facts(0, EXT4), BPRM)
                .first
                .map(|r| r.line),
            Some(1)
        );
        // An unknown rule before the sure one is a possibility, not the answer.
        let p = parse_policy("dont_appraise obj_type=bin_t\nappraise func=BPRM_CHECK\n");
        let d = decide_appraisal(&p.rules, &facts(0, EXT4), BPRM);
        assert_eq!(d.first.map(|r| r.line), Some(2));
        assert_eq!(d.maybe.len(), 1);
        assert!(!d.certain());
    }

    #[test]
    fn uuid_is_printed_like_a_rule() {
        let b = [
            0x0f, 0x8e, 0x6c, 0x2a, 0x1d, 0x5b, 0x4e, 0x11, 0x9c, 0x1e, 0x2b, 0x7a, 0x4a, 0x9b,
            0x3c, 0x10,
        ];
        assert_eq!(uuid_text(&b), "0f8e6c2a-1d5b-4e11-9c1e-2b7a4a9b3c10");
    }
}
