//! The typed model of one policy rule: its action, conditions (what events it matches)
//! and options (what it does or requires), in the order written.

use super::Profile;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_cover() {
        assert!(IdOp::Lt.covers(1000, IdOp::Eq, 5));
        assert!(!IdOp::Lt.covers(1000, IdOp::Eq, 1000));
        assert!(IdOp::Gt.covers(10, IdOp::Gt, 10));
        assert!(!IdOp::Eq.covers(0, IdOp::Lt, 1));
    }
}
