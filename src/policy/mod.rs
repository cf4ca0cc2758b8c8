//! IMA policy rules: the typed model of one rule (action, conditions, options), the keyword
//! table with the kernel versions that know each keyword, and the kernel profiles a policy is
//! checked against. This module owns the vocabulary; reading text is [`parse`], the kernel's
//! acceptance rules and the author-facing warnings are [`validate`], the canonical text is
//! [`print`], and writing to securityfs is [`load`]. Nothing here prints or reads argv.
//!
//! Facts come from the kernel's security/integrity/ima/ima_policy.c (`ima_parse_rule`,
//! `ima_validate_rule`, `ima_match_rules`) and ima_fs.c, as summarised in the project's
//! docs/kernel.md ("Policy rules", "Loading a policy").

pub mod load;
pub mod parse;
pub mod print;
pub mod validate;

use std::fmt;
use std::str::FromStr;

/// A set of kernel acceptance rules. Each profile stands for a range of kernel releases:
/// 6.1 for everything before 6.12, 6.12 for 6.12 up to 7.1, 7.2 for 7.2 and later.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Profile {
    V6_1,
    V6_12,
    V7_2,
}

/// Returned for a kernel version that has no profile (older than 6.1, or not a version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownProfile(pub String);

impl fmt::Display for UnknownProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no kernel profile for '{}' (profiles: 6.1, 6.12, 7.2; any release from 6.1 on is mapped to the newest profile not newer than it)",
            self.0
        )
    }
}

impl std::error::Error for UnknownProfile {}

impl Profile {
    /// Every profile, oldest first.
    pub const ALL: [Profile; 3] = [Profile::V6_1, Profile::V6_12, Profile::V7_2];

    /// The profile's name, also what `--kernel` accepts.
    pub fn name(self) -> &'static str {
        match self {
            Profile::V6_1 => "6.1",
            Profile::V6_12 => "6.12",
            Profile::V7_2 => "7.2",
        }
    }

    /// The (major, minor) release the profile is named after.
    pub fn version(self) -> (u32, u32) {
        match self {
            Profile::V6_1 => (6, 1),
            Profile::V6_12 => (6, 12),
            Profile::V7_2 => (7, 2),
        }
    }

    /// The newest profile not newer than kernel release `major.minor`; `None` before 6.1.
    pub fn for_version(major: u32, minor: u32) -> Option<Profile> {
        Profile::ALL
            .into_iter()
            .rev()
            .find(|p| p.version() <= (major, minor))
    }

    /// The profile for a release string such as `6.12.48+deb13-cloud-amd64` (what
    /// `uname -r` prints): its leading `MAJOR.MINOR` decides.
    pub fn for_release(release: &str) -> Result<Profile, UnknownProfile> {
        let bad = || UnknownProfile(release.to_string());
        let mut parts = release.splitn(3, |c: char| !c.is_ascii_digit());
        let major: u32 = parts.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        let rest = &release[major.to_string().len()..];
        let rest = rest.strip_prefix('.').ok_or_else(bad)?;
        let minor_digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        let minor: u32 = minor_digits.parse().map_err(|_| bad())?;
        Profile::for_version(major, minor).ok_or_else(bad)
    }

    /// The profile of the running kernel, from uname(2), with the release string.
    pub fn running() -> Result<(Profile, String), UnknownProfile> {
        let release = kernel_release().ok_or_else(|| UnknownProfile("(uname failed)".into()))?;
        let profile = Profile::for_release(&release)?;
        Ok((profile, release))
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Profile {
    type Err = UnknownProfile;
    fn from_str(s: &str) -> Result<Profile, UnknownProfile> {
        Profile::for_release(s)
    }
}

/// The running kernel's release (`uname -r`), read with uname(2) so that no /proc or /etc
/// is needed.
pub fn kernel_release() -> Option<String> {
    // SAFETY: utsname is plain old data; an all-zero value is valid.
    let mut uts: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: uname(2) fills the struct we own and reads nothing else.
    if unsafe { libc::uname(&mut uts) } != 0 {
        return None;
    }
    let bytes: Vec<u8> = uts
        .release
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8(bytes).ok()
}

/// What a rule does when it matches. Exactly one per rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Measure,
    DontMeasure,
    Appraise,
    DontAppraise,
    Audit,
    DontAudit,
    Hash,
    DontHash,
}

impl Action {
    pub const ALL: [Action; 8] = [
        Action::Measure,
        Action::DontMeasure,
        Action::Appraise,
        Action::DontAppraise,
        Action::Audit,
        Action::DontAudit,
        Action::Hash,
        Action::DontHash,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Action::Measure => "measure",
            Action::DontMeasure => "dont_measure",
            Action::Appraise => "appraise",
            Action::DontAppraise => "dont_appraise",
            Action::Audit => "audit",
            Action::DontAudit => "dont_audit",
            Action::Hash => "hash",
            Action::DontHash => "dont_hash",
        }
    }

    pub fn from_name(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == s)
    }

    /// The positive action of the family (measure for dont_measure, ...). The kernel stops
    /// looking at a family once one rule of it has matched (first match wins per family).
    pub fn family(self) -> Action {
        match self {
            Action::Measure | Action::DontMeasure => Action::Measure,
            Action::Appraise | Action::DontAppraise => Action::Appraise,
            Action::Audit | Action::DontAudit => Action::Audit,
            Action::Hash | Action::DontHash => Action::Hash,
        }
    }

    /// True for the `dont_*` actions.
    pub fn is_negative(self) -> bool {
        self.family() != self
    }
}

/// The hook a rule applies to (`func=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Func {
    FileCheck,
    MmapCheck,
    MmapCheckReqprot,
    BprmCheck,
    CredsCheck,
    ModuleCheck,
    FirmwareCheck,
    KexecKernelCheck,
    KexecInitramfsCheck,
    PolicyCheck,
    KexecCmdline,
    KeyCheck,
    CriticalData,
    SetxattrCheck,
}

impl Func {
    pub const ALL: [Func; 14] = [
        Func::FileCheck,
        Func::MmapCheck,
        Func::MmapCheckReqprot,
        Func::BprmCheck,
        Func::CredsCheck,
        Func::ModuleCheck,
        Func::FirmwareCheck,
        Func::KexecKernelCheck,
        Func::KexecInitramfsCheck,
        Func::PolicyCheck,
        Func::KexecCmdline,
        Func::KeyCheck,
        Func::CriticalData,
        Func::SetxattrCheck,
    ];

    /// The canonical name, as the kernel prints it when the policy is read back.
    pub fn name(self) -> &'static str {
        match self {
            Func::FileCheck => "FILE_CHECK",
            Func::MmapCheck => "MMAP_CHECK",
            Func::MmapCheckReqprot => "MMAP_CHECK_REQPROT",
            Func::BprmCheck => "BPRM_CHECK",
            Func::CredsCheck => "CREDS_CHECK",
            Func::ModuleCheck => "MODULE_CHECK",
            Func::FirmwareCheck => "FIRMWARE_CHECK",
            Func::KexecKernelCheck => "KEXEC_KERNEL_CHECK",
            Func::KexecInitramfsCheck => "KEXEC_INITRAMFS_CHECK",
            Func::PolicyCheck => "POLICY_CHECK",
            Func::KexecCmdline => "KEXEC_CMDLINE",
            Func::KeyCheck => "KEY_CHECK",
            Func::CriticalData => "CRITICAL_DATA",
            Func::SetxattrCheck => "SETXATTR_CHECK",
        }
    }

    /// Parses a func value; the old names PATH_CHECK and FILE_MMAP are aliases.
    pub fn from_name(s: &str) -> Option<Func> {
        match s {
            "PATH_CHECK" => Some(Func::FileCheck),
            "FILE_MMAP" => Some(Func::MmapCheck),
            _ => Func::ALL.into_iter().find(|f| f.name() == s),
        }
    }

    /// Every spelling the parser accepts (for "did you mean").
    pub fn spellings() -> Vec<&'static str> {
        let mut v: Vec<&'static str> = Func::ALL.iter().map(|f| f.name()).collect();
        v.push("PATH_CHECK");
        v.push("FILE_MMAP");
        v
    }

    /// The first profile that knows this func.
    pub fn since(self) -> Profile {
        match self {
            // Added in 6.3 (mainline); of our profiles 6.12 is the first to have it.
            Func::MmapCheckReqprot => Profile::V6_12,
            _ => Profile::V6_1,
        }
    }

    /// The hooks that allow appended signatures (`imasig|modsig`) and forbid fs-verity.
    pub fn allows_modsig(self) -> bool {
        matches!(
            self,
            Func::ModuleCheck | Func::KexecKernelCheck | Func::KexecInitramfsCheck
        )
    }

    /// The buffer hooks that only take measure / dont_measure.
    pub fn measure_only(self) -> bool {
        matches!(
            self,
            Func::KexecCmdline | Func::KeyCheck | Func::CriticalData
        )
    }
}

/// One permission bit of `mask=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MaskBit {
    Exec,
    Write,
    Read,
    Append,
}

impl MaskBit {
    pub const ALL: [MaskBit; 4] = [
        MaskBit::Exec,
        MaskBit::Write,
        MaskBit::Read,
        MaskBit::Append,
    ];

    pub fn name(self) -> &'static str {
        match self {
            MaskBit::Exec => "MAY_EXEC",
            MaskBit::Write => "MAY_WRITE",
            MaskBit::Read => "MAY_READ",
            MaskBit::Append => "MAY_APPEND",
        }
    }

    pub fn from_name(s: &str) -> Option<MaskBit> {
        MaskBit::ALL.into_iter().find(|m| m.name() == s)
    }
}

/// `mask=[^]MAY_*`: `^` makes the rule match when the bit is among the requested ones
/// instead of when the request is exactly that bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Mask {
    pub inmask: bool,
    pub bit: MaskBit,
}

/// The comparison of an id condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdOp {
    Eq,
    Gt,
    Lt,
}

impl IdOp {
    pub fn symbol(self) -> char {
        match self {
            IdOp::Eq => '=',
            IdOp::Gt => '>',
            IdOp::Lt => '<',
        }
    }

    /// True when every value satisfying `self other_value` also satisfies `self_op value`:
    /// whether condition `(self, a)` holds for every id that `(other, b)` admits.
    pub fn covers(self, a: u32, other: IdOp, b: u32) -> bool {
        match (self, other) {
            (IdOp::Eq, IdOp::Eq) => a == b,
            (IdOp::Gt, IdOp::Eq) => b > a,
            (IdOp::Gt, IdOp::Gt) => b >= a,
            (IdOp::Lt, IdOp::Eq) => b < a,
            (IdOp::Lt, IdOp::Lt) => b <= a,
            _ => false,
        }
    }
}

/// Which id an id condition tests. uid/euid share one slot in the kernel's rule, and so do
/// gid/egid: a rule may hold only one of each pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdKind {
    Uid,
    Euid,
    Gid,
    Egid,
    Fowner,
    Fgroup,
}

impl IdKind {
    pub const ALL: [IdKind; 6] = [
        IdKind::Uid,
        IdKind::Euid,
        IdKind::Gid,
        IdKind::Egid,
        IdKind::Fowner,
        IdKind::Fgroup,
    ];

    pub fn name(self) -> &'static str {
        match self {
            IdKind::Uid => "uid",
            IdKind::Euid => "euid",
            IdKind::Gid => "gid",
            IdKind::Egid => "egid",
            IdKind::Fowner => "fowner",
            IdKind::Fgroup => "fgroup",
        }
    }

    pub fn from_name(s: &str) -> Option<IdKind> {
        IdKind::ALL.into_iter().find(|k| k.name() == s)
    }

    /// The kernel slot this id is stored in (uid/euid share one, gid/egid share one).
    pub fn slot(self) -> &'static str {
        match self {
            IdKind::Uid | IdKind::Euid => "uid",
            IdKind::Gid | IdKind::Egid => "gid",
            IdKind::Fowner => "fowner",
            IdKind::Fgroup => "fgroup",
        }
    }
}

/// An LSM label condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LsmKind {
    ObjUser,
    ObjRole,
    ObjType,
    SubjUser,
    SubjRole,
    SubjType,
}

impl LsmKind {
    pub const ALL: [LsmKind; 6] = [
        LsmKind::ObjUser,
        LsmKind::ObjRole,
        LsmKind::ObjType,
        LsmKind::SubjUser,
        LsmKind::SubjRole,
        LsmKind::SubjType,
    ];

    pub fn name(self) -> &'static str {
        match self {
            LsmKind::ObjUser => "obj_user",
            LsmKind::ObjRole => "obj_role",
            LsmKind::ObjType => "obj_type",
            LsmKind::SubjUser => "subj_user",
            LsmKind::SubjRole => "subj_role",
            LsmKind::SubjType => "subj_type",
        }
    }

    pub fn from_name(s: &str) -> Option<LsmKind> {
        LsmKind::ALL.into_iter().find(|k| k.name() == s)
    }
}

/// A condition: what events a rule matches.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Condition {
    Func(Func),
    Mask(Mask),
    /// `fsmagic=` (hex in the text).
    Fsmagic(u64),
    Fsname(String),
    FsSubtype(String),
    /// `fsuuid=`, kept in the kernel's printed form (lower-case, dashed).
    Fsuuid(String),
    Id {
        kind: IdKind,
        op: IdOp,
        value: u32,
    },
    Lsm {
        kind: LsmKind,
        label: String,
    },
    /// `keyrings=a|b`, for func=KEY_CHECK.
    Keyrings(Vec<String>),
    /// `label=a|b`, for func=CRITICAL_DATA.
    Label(Vec<String>),
}

/// `appraise_type=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AppraiseType {
    Imasig,
    ImasigModsig,
    Sigv3,
}

impl AppraiseType {
    pub fn name(self) -> &'static str {
        match self {
            AppraiseType::Imasig => "imasig",
            AppraiseType::ImasigModsig => "imasig|modsig",
            AppraiseType::Sigv3 => "sigv3",
        }
    }

    pub fn from_name(s: &str) -> Option<AppraiseType> {
        match s {
            "imasig" => Some(AppraiseType::Imasig),
            "imasig|modsig" => Some(AppraiseType::ImasigModsig),
            "sigv3" => Some(AppraiseType::Sigv3),
            _ => None,
        }
    }
}

/// The measurement templates the kernel knows (`template=`).
pub const TEMPLATES: [&str; 8] = [
    "ima",
    "ima-ng",
    "ima-sig",
    "ima-ngv2",
    "ima-sigv2",
    "ima-buf",
    "ima-modsig",
    "evm-sig",
];

/// The kernel's hash names (`hash_algo_name[]` in crypto/hash_info.c) that `appraise_algos=`
/// accepts, with the first profile that knows each. The sha3 entries were added in 6.7
/// (uncertain, read from the hash_info history), so 6.12 is the first profile with them.
pub const KERNEL_HASH_NAMES: [(&str, Profile); 23] = [
    ("md4", Profile::V6_1),
    ("md5", Profile::V6_1),
    ("sha1", Profile::V6_1),
    ("rmd160", Profile::V6_1),
    ("sha256", Profile::V6_1),
    ("sha384", Profile::V6_1),
    ("sha512", Profile::V6_1),
    ("sha224", Profile::V6_1),
    ("rmd128", Profile::V6_1),
    ("rmd256", Profile::V6_1),
    ("rmd320", Profile::V6_1),
    ("wp256", Profile::V6_1),
    ("wp384", Profile::V6_1),
    ("wp512", Profile::V6_1),
    ("tgr128", Profile::V6_1),
    ("tgr160", Profile::V6_1),
    ("tgr192", Profile::V6_1),
    ("sm3", Profile::V6_1),
    ("streebog256", Profile::V6_1),
    ("streebog512", Profile::V6_1),
    ("sha3-256", Profile::V6_12),
    ("sha3-384", Profile::V6_12),
    ("sha3-512", Profile::V6_12),
];

/// An option: what the rule's action does or requires.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RuleOption {
    AppraiseType(AppraiseType),
    /// `appraise_flag=check_blacklist`.
    CheckBlacklist,
    /// `appraise_algos=` (kernel hash names).
    AppraiseAlgos(Vec<String>),
    /// `digest_type=verity`.
    DigestVerity,
    PermitDirectio,
    Pcr(u8),
    Template(String),
}

/// One term after the action, condition or option, in the order written.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Term {
    Cond(Condition),
    Opt(RuleOption),
}

impl Term {
    /// The keyword of this term, as in [`KEYWORDS`].
    pub fn keyword(&self) -> &'static str {
        match self {
            Term::Cond(c) => match c {
                Condition::Func(_) => "func",
                Condition::Mask(_) => "mask",
                Condition::Fsmagic(_) => "fsmagic",
                Condition::Fsname(_) => "fsname",
                Condition::FsSubtype(_) => "fs_subtype",
                Condition::Fsuuid(_) => "fsuuid",
                Condition::Id { kind, .. } => kind.name(),
                Condition::Lsm { kind, .. } => kind.name(),
                Condition::Keyrings(_) => "keyrings",
                Condition::Label(_) => "label",
            },
            Term::Opt(o) => match o {
                RuleOption::AppraiseType(_) => "appraise_type",
                RuleOption::CheckBlacklist => "appraise_flag",
                RuleOption::AppraiseAlgos(_) => "appraise_algos",
                RuleOption::DigestVerity => "digest_type",
                RuleOption::PermitDirectio => "permit_directio",
                RuleOption::Pcr(_) => "pcr",
                RuleOption::Template(_) => "template",
            },
        }
    }
}

/// One policy rule. `terms` keeps the order of the text because some kernels care (6.1
/// wants `digest_type=verity` before `appraise_type=`; `template=` must follow the action).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Rule {
    pub action: Action,
    pub terms: Vec<Term>,
}

impl Rule {
    pub fn conditions(&self) -> impl Iterator<Item = &Condition> {
        self.terms.iter().filter_map(|t| match t {
            Term::Cond(c) => Some(c),
            Term::Opt(_) => None,
        })
    }

    pub fn options(&self) -> impl Iterator<Item = &RuleOption> {
        self.terms.iter().filter_map(|t| match t {
            Term::Opt(o) => Some(o),
            Term::Cond(_) => None,
        })
    }

    pub fn func(&self) -> Option<Func> {
        self.conditions().find_map(|c| match c {
            Condition::Func(f) => Some(*f),
            _ => None,
        })
    }

    pub fn appraise_type(&self) -> Option<AppraiseType> {
        self.options().find_map(|o| match o {
            RuleOption::AppraiseType(t) => Some(*t),
            _ => None,
        })
    }

    /// True when the rule demands a signature (the kernel's IMA_DIGSIG_REQUIRED).
    pub fn requires_signature(&self) -> bool {
        self.appraise_type().is_some()
    }
}

/// Where a keyword may appear.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeywordKind {
    Action,
    Condition,
    Option,
}

/// One row of the keyword table.
#[derive(Clone, Copy, Debug)]
pub struct Keyword {
    pub name: &'static str,
    pub kind: KeywordKind,
    /// The mainline release that added it, as far as we know (see `certain`).
    pub added_in: &'static str,
    /// False when `added_in` is our best reading of the history, not checked line by line.
    pub certain: bool,
    /// The first of our profiles that accepts it.
    pub since: Profile,
}

const fn kw(
    name: &'static str,
    kind: KeywordKind,
    added_in: &'static str,
    certain: bool,
    since: Profile,
) -> Keyword {
    Keyword {
        name,
        kind,
        added_in,
        certain,
        since,
    }
}

use KeywordKind as K;
use Profile as P;

/// Every keyword of the policy grammar. The profile column is what checking enforces (from
/// docs/kernel.md "Policy rules"); `added_in` is informative. `dont_audit`, `fs_subtype` and the trailing
/// `# comment` are documented as "after 6.12": the 7.2 profile is the first with them.
pub const KEYWORDS: &[Keyword] = &[
    kw("measure", K::Action, "2.6.30", true, P::V6_1),
    kw("dont_measure", K::Action, "2.6.30", true, P::V6_1),
    kw("appraise", K::Action, "3.7", true, P::V6_1),
    kw("dont_appraise", K::Action, "3.7", true, P::V6_1),
    kw("audit", K::Action, "3.10", false, P::V6_1),
    kw("hash", K::Action, "4.10", false, P::V6_1),
    kw("dont_hash", K::Action, "4.10", false, P::V6_1),
    kw("dont_audit", K::Action, "after 6.12", false, P::V7_2),
    kw("func", K::Condition, "2.6.30", true, P::V6_1),
    kw("mask", K::Condition, "2.6.30", true, P::V6_1),
    kw("fsmagic", K::Condition, "2.6.30", true, P::V6_1),
    kw("fsname", K::Condition, "5.5", false, P::V6_1),
    kw("fs_subtype", K::Condition, "after 6.12", false, P::V7_2),
    kw("fsuuid", K::Condition, "3.11", false, P::V6_1),
    kw("uid", K::Condition, "2.6.30", true, P::V6_1),
    kw("euid", K::Condition, "4.13", false, P::V6_1),
    kw("gid", K::Condition, "5.16", false, P::V6_1),
    kw("egid", K::Condition, "5.16", false, P::V6_1),
    kw("fowner", K::Condition, "3.7", false, P::V6_1),
    kw("fgroup", K::Condition, "5.16", false, P::V6_1),
    kw("obj_user", K::Condition, "2.6.30", true, P::V6_1),
    kw("obj_role", K::Condition, "2.6.30", true, P::V6_1),
    kw("obj_type", K::Condition, "2.6.30", true, P::V6_1),
    kw("subj_user", K::Condition, "2.6.30", true, P::V6_1),
    kw("subj_role", K::Condition, "2.6.30", true, P::V6_1),
    kw("subj_type", K::Condition, "2.6.30", true, P::V6_1),
    kw("keyrings", K::Condition, "5.6", false, P::V6_1),
    kw("label", K::Condition, "5.12", false, P::V6_1),
    kw("appraise_type", K::Option, "3.8", false, P::V6_1),
    kw("appraise_flag", K::Option, "5.6", false, P::V6_1),
    kw("appraise_algos", K::Option, "5.18", false, P::V6_1),
    kw("digest_type", K::Option, "6.1", false, P::V6_1),
    kw("permit_directio", K::Option, "3.16", false, P::V6_1),
    kw("pcr", K::Option, "4.13", false, P::V6_1),
    kw("template", K::Option, "5.8", false, P::V6_1),
];

/// The first profile accepting a trailing `# comment` after a rule.
pub const TRAILING_COMMENT_SINCE: Profile = Profile::V7_2;

/// The longest rule one write() carries: the kernel truncates a write to PAGE_SIZE - 1
/// bytes (ima_write_policy), and the rule's newline counts.
pub const MAX_RULE_BYTES: usize = 4094;

/// How bad a finding is: errors make the kernel refuse the rule (or the whole load);
/// warnings are rules the kernel takes that do not do what their author likely expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One finding about a policy text, located at the token it is about.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// 1-based line of the policy file.
    pub line: usize,
    /// 1-based column (in characters) of the token.
    pub column: usize,
    /// The token as written.
    pub token: String,
    /// What is wrong and, for errors, why the kernel refuses it.
    pub message: String,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// A short stable name of the check (`unknown-keyword`, `func-term`, `shadowed`, ...).
    pub code: &'static str,
}

impl Diagnostic {
    pub fn error(tok: &parse::Token, message: impl Into<String>, hint: Option<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            line: tok.line,
            column: tok.column,
            token: tok.text.clone(),
            message: message.into(),
            hint,
            code: "parse",
        }
    }

    /// The same finding with the name of the check that made it.
    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = code;
        self
    }

    pub fn warning(tok: &parse::Token, message: impl Into<String>, hint: Option<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(tok, message, hint)
        }
    }
}

/// Looks a keyword up in [`KEYWORDS`].
pub fn keyword(name: &str) -> Option<&'static Keyword> {
    KEYWORDS.iter().find(|k| k.name == name)
}

/// The closest candidate to `word` by edit distance, when it is close enough to be a typo.
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .iter()
        .map(|c| {
            (
                edit_distance(&word.to_ascii_lowercase(), &c.to_ascii_lowercase()),
                *c,
            )
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Edit distance counting a swap of two neighbours as one edit (optimal string alignment).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_maps_to_profile() {
        assert_eq!(
            Profile::for_release("6.1.0-18-cloud-amd64"),
            Ok(Profile::V6_1)
        );
        assert_eq!(Profile::for_release("6.11.2"), Ok(Profile::V6_1));
        assert_eq!(
            Profile::for_release("6.12.48+deb13-amd64"),
            Ok(Profile::V6_12)
        );
        assert_eq!(Profile::for_release("7.1"), Ok(Profile::V6_12));
        assert_eq!(Profile::for_release("7.2.0"), Ok(Profile::V7_2));
        assert_eq!(Profile::for_release("8.0"), Ok(Profile::V7_2));
        assert!(Profile::for_release("5.15.0").is_err());
        assert!(Profile::for_release("six").is_err());
        assert!(Profile::for_release("6").is_err());
    }

    #[test]
    fn every_keyword_in_table_once() {
        for k in KEYWORDS {
            assert_eq!(
                KEYWORDS.iter().filter(|o| o.name == k.name).count(),
                1,
                "{}",
                k.name
            );
        }
        for a in Action::ALL {
            assert!(keyword(a.name()).is_some(), "{}", a.name());
        }
    }

    #[test]
    fn typo_suggestions() {
        let funcs = Func::spellings();
        assert_eq!(
            did_you_mean("KEXEC_KERNAL_CHECK", &funcs),
            Some("KEXEC_KERNEL_CHECK")
        );
        assert_eq!(did_you_mean("NOTHING_LIKE_IT", &funcs), None);
    }

    #[test]
    fn id_cover() {
        assert!(IdOp::Lt.covers(1000, IdOp::Eq, 5));
        assert!(!IdOp::Lt.covers(1000, IdOp::Eq, 1000));
        assert!(IdOp::Gt.covers(10, IdOp::Gt, 10));
        assert!(!IdOp::Eq.covers(0, IdOp::Lt, 1));
    }
}
