//! Whether a kernel accepts a policy, and whether it does what its author expects. Errors
//! follow the kernel: the keywords each profile knows, the parse-time checks of
//! `ima_parse_rule` (once-only fields, `template=` after `measure`, 6.1's option order) and
//! the cross-field checks of `ima_validate_rule`; every one of them makes the kernel refuse
//! the rule with EINVAL. Warnings cover rules the kernel takes but that cannot work as
//! written (shadowed rules, an unsigned kexec appraisal, a POLICY_CHECK appraisal).

use std::collections::HashMap;

use super::parse::{parse_policy, ParsedPolicy, ParsedRule, Token};
use super::{
    keyword, Action, AppraiseType, Condition, Diagnostic, Func, IdKind, Profile, Rule, RuleOption,
    Severity, Term, KERNEL_HASH_NAMES, MAX_RULE_BYTES, TRAILING_COMMENT_SINCE,
};

/// The names of the checks that make the kernel refuse a rule (the `code` of an error).
pub const ERROR_CHECKS: &[&str] = &[
    "not-in-kernel",
    "trailing-comment",
    "duplicate",
    "template-action",
    "template-order",
    "pcr-action",
    "appraise-option-action",
    "sigv3-verity",
    "verity-sigtype",
    "verity-order",
    "modsig-func",
    "verity-func",
    "func-action",
    "func-term",
    "setxattr-algos",
    "blacklist-signature",
    "verity-signature",
    "too-long",
];

/// The names of the warnings.
pub const WARNING_CHECKS: &[&str] = &[
    "shadowed",
    "disabled-by-dont",
    "kexec-unsigned",
    "policy-check",
    "blacklist-ignored",
    "repeated",
    "modsig-config",
];

/// The findings about one policy for one profile.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Report {
    #[serde(serialize_with = "ser_profile")]
    pub profile: Profile,
    /// Rules in the file (lines that are neither blank nor comments).
    pub rules: usize,
    /// Errors and warnings, by line and column.
    pub diagnostics: Vec<Diagnostic>,
}

fn ser_profile<S: serde::Serializer>(p: &Profile, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(p.name())
}

impl Report {
    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }

    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }

    /// True when the kernel of the profile would accept every rule.
    pub fn is_valid(&self) -> bool {
        self.errors() == 0
    }

    fn count(&self, s: Severity) -> usize {
        self.diagnostics.iter().filter(|d| d.severity == s).count()
    }
}

/// Parses and checks a policy text for `profile`.
pub fn check_text(text: &str, profile: Profile) -> (ParsedPolicy, Report) {
    let parsed = parse_policy(text);
    let report = check_policy(&parsed, profile);
    (parsed, report)
}

/// Checks a parsed policy for `profile`: parse errors, each rule's kernel acceptance, and
/// the warnings, sorted by position.
pub fn check_policy(parsed: &ParsedPolicy, profile: Profile) -> Report {
    let mut diagnostics = parsed.diagnostics.clone();
    let mut accepted = Vec::new();
    for r in &parsed.rules {
        let errors = rule_errors(r, profile);
        if errors.is_empty() {
            diagnostics.extend(rule_warnings(r, profile));
            accepted.push(r);
        }
        diagnostics.extend(errors);
    }
    for p in &parsed.partial {
        // The rule is already refused; report its other errors, except those that would
        // be guesses about a func the parser could not read.
        let func_dependent = [
            "modsig-func",
            "verity-func",
            "func-action",
            "func-term",
            "setxattr-algos",
            "blacklist-signature",
        ];
        diagnostics.extend(
            rule_errors(&p.rule, profile)
                .into_iter()
                .filter(|d| !(p.func_unreadable && func_dependent.contains(&d.code))),
        );
    }
    diagnostics.extend(shadow_warnings(&accepted));
    diagnostics.sort_by_key(|d| (d.line, d.column, d.severity == Severity::Warning));
    Report {
        profile,
        rules: parsed.rule_lines,
        diagnostics,
    }
}

fn err(tok: &Token, code: &'static str, msg: String, hint: Option<String>) -> Diagnostic {
    Diagnostic::error(tok, msg, hint).with_code(code)
}

fn warn(tok: &Token, code: &'static str, msg: String, hint: Option<String>) -> Diagnostic {
    Diagnostic::warning(tok, msg, hint).with_code(code)
}

/// The slot a term occupies in the kernel's rule when the kernel takes it only once.
fn once_slot(t: &Term) -> Option<&'static str> {
    match t {
        Term::Cond(Condition::Id { kind, .. }) => Some(kind.slot()),
        // ima_parse_rule does not refuse a second fsname (the last one counts).
        Term::Cond(Condition::Fsname(_) | Condition::FsSubtype(_)) => None,
        Term::Cond(_) => Some(t.keyword()),
        Term::Opt(RuleOption::AppraiseAlgos(_)) => Some("appraise_algos"),
        Term::Opt(RuleOption::Template(_)) => Some("template"),
        Term::Opt(_) => None,
    }
}

/// Why `term` may not appear in a rule for `func`, following the flag lists of
/// `ima_validate_rule` (`None` = allowed). `profile` matters for check_blacklist, which
/// only 6.1 turns into a flag.
fn func_forbids(func: Option<Func>, term: &Term, profile: Profile) -> Option<String> {
    use Condition as C;
    use RuleOption as O;
    let name = func.map_or("(no func)", |f| f.name());
    let blacklist_flag = profile == Profile::V6_1;
    if !blacklist_flag && matches!(term, Term::Opt(O::CheckBlacklist)) {
        return None; // accepted and ignored after 6.1
    }
    match func {
        None
        | Some(
            Func::FileCheck
            | Func::MmapCheck
            | Func::MmapCheckReqprot
            | Func::BprmCheck
            | Func::CredsCheck
            | Func::FirmwareCheck
            | Func::PolicyCheck,
        ) => match term {
            Term::Cond(C::Keyrings(_)) => Some("keyrings= only goes with func=KEY_CHECK".into()),
            Term::Cond(C::Label(_)) => Some("label= only goes with func=CRITICAL_DATA".into()),
            Term::Opt(O::CheckBlacklist) if blacklist_flag => Some(format!(
                "on Linux 6.1 appraise_flag=check_blacklist is only allowed with MODULE_CHECK, KEXEC_KERNEL_CHECK or KEXEC_INITRAMFS_CHECK, not {name}"
            )),
            _ => None,
        },
        Some(Func::ModuleCheck | Func::KexecKernelCheck | Func::KexecInitramfsCheck) => {
            match term {
                Term::Cond(C::Keyrings(_)) => {
                    Some("keyrings= only goes with func=KEY_CHECK".into())
                }
                Term::Cond(C::Label(_)) => {
                    Some("label= only goes with func=CRITICAL_DATA".into())
                }
                _ => None,
            }
        }
        Some(Func::KexecCmdline) => match term {
            Term::Cond(
                C::Func(_)
                | C::Fsmagic(_)
                | C::Fsname(_)
                | C::FsSubtype(_)
                | C::Fsuuid(_)
                | C::Id { .. }
                | C::Lsm { .. },
            ) => None,
            Term::Opt(O::Pcr(_) | O::Template(_)) => None,
            _ => Some(format!(
                "func=KEXEC_CMDLINE measures a buffer (the command line): only fsmagic, fsname, fsuuid, uid, euid, gid, egid, fowner, fgroup, LSM labels, pcr and template apply, not {}",
                term.keyword()
            )),
        },
        Some(f @ (Func::KeyCheck | Func::CriticalData)) => {
            let own = if f == Func::KeyCheck { "keyrings" } else { "label" };
            match term {
                Term::Cond(C::Func(_)) => None,
                Term::Cond(C::Id {
                    kind: IdKind::Uid | IdKind::Gid,
                    ..
                }) => None,
                Term::Cond(C::Keyrings(_)) if f == Func::KeyCheck => None,
                Term::Cond(C::Label(_)) if f == Func::CriticalData => None,
                Term::Opt(O::Pcr(_) | O::Template(_)) => None,
                _ => Some(format!(
                    "func={} measures kernel data, not files: only uid, gid, {own}, pcr and template apply, not {}",
                    f.name(),
                    term.keyword()
                )),
            }
        }
        // The kernel's flag list would let LSM labels through (they are not flags), but
        // docs/kernel.md ("Policy rules") allows nothing else: refuse them rather than risk the load.
        Some(Func::SetxattrCheck) => match term {
            Term::Cond(C::Func(_)) => None,
            Term::Opt(O::AppraiseAlgos(_)) => None,
            _ => Some(format!(
                "func=SETXATTR_CHECK takes only appraise_algos= (the kernel refuses fuller rules for performance), not {}",
                term.keyword()
            )),
        },
    }
}

/// Every reason the kernel of `profile` would refuse this rule.
pub fn rule_errors(pr: &ParsedRule, profile: Profile) -> Vec<Diagnostic> {
    let r = &pr.rule;
    let act = r.action;
    let mut out = Vec::new();
    let terms: Vec<(&Term, &Token)> = r.terms.iter().zip(&pr.term_tokens).collect();
    let refuse = "the kernel refuses the rule (EINVAL)";

    // Keywords and values this kernel does not know.
    let unknown_here = |what: String, since: Profile| {
        format!("{what} is not known to Linux {profile} (first in the {since} profile): {refuse}")
    };
    let kw = keyword(act.name()).expect("every action is in the keyword table");
    if kw.since > profile {
        out.push(err(
            &pr.action_token,
            "not-in-kernel",
            unknown_here(format!("action `{}`", act.name()), kw.since),
            Some(format!("check this policy with --kernel {}", kw.since)),
        ));
    }
    for (t, tok) in &terms {
        let kw = keyword(t.keyword()).expect("every term keyword is in the table");
        if kw.since > profile {
            out.push(err(
                tok,
                "not-in-kernel",
                unknown_here(format!("`{}`", kw.name), kw.since),
                None,
            ));
        }
        match t {
            Term::Cond(Condition::Func(f)) if f.since() > profile => out.push(err(
                tok,
                "not-in-kernel",
                unknown_here(format!("func {}", f.name()), f.since()),
                (*f == Func::MmapCheckReqprot)
                    .then(|| "use func=MMAP_CHECK on older kernels".to_string()),
            )),
            Term::Opt(RuleOption::AppraiseAlgos(algos)) => {
                for a in algos {
                    let since = KERNEL_HASH_NAMES
                        .iter()
                        .find(|(n, _)| n == a)
                        .map_or(Profile::V6_1, |(_, p)| *p);
                    if since > profile {
                        out.push(err(
                            tok,
                            "not-in-kernel",
                            unknown_here(format!("hash algorithm {a}"), since),
                            None,
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(c) = &pr.comment {
        if profile < TRAILING_COMMENT_SINCE {
            out.push(err(
                c,
                "trailing-comment",
                format!("a comment after a rule is not accepted by Linux {profile}: the kernel reads `{}` as an unknown token; {refuse}", c.text),
                Some("put the comment on its own line above the rule".into()),
            ));
        }
    }

    // Fields the kernel takes once (uid/euid and gid/egid share a slot).
    let mut seen: HashMap<&'static str, &Token> = HashMap::new();
    for (t, tok) in &terms {
        if let Some(slot) = once_slot(t) {
            if let Some(first) = seen.get(slot) {
                let shared = if slot != t.keyword() {
                    format!(" ({slot} and e{slot} share one slot)")
                } else {
                    String::new()
                };
                out.push(err(
                    tok,
                    "duplicate",
                    format!(
                        "`{}` repeats {slot}{shared}, already set by `{}` at column {}: the kernel takes it once per rule and {refuse}",
                        tok.text, first.text, first.column
                    ),
                    Some("write one rule per value".into()),
                ));
            } else {
                seen.insert(slot, tok);
            }
        }
    }

    // Options tied to an action.
    for (i, (t, tok)) in terms.iter().enumerate() {
        match t {
            Term::Opt(RuleOption::Template(_)) => {
                if act != Action::Measure {
                    out.push(err(
                        tok,
                        "template-action",
                        format!("{} is not allowed with {}: templates describe measurements, so only measure takes them; {refuse}", tok.text, act.name()),
                        None,
                    ));
                } else if i < pr.action_pos {
                    out.push(err(
                        tok,
                        "template-order",
                        format!("{} comes before the action: the kernel checks template= against the action it has already read, finds none, and {refuse}", tok.text),
                        Some("write the action first".into()),
                    ));
                }
            }
            Term::Opt(RuleOption::Pcr(_)) if act != Action::Measure => out.push(err(
                tok,
                "pcr-action",
                format!("{} is not allowed with {}: only measure extends a PCR; {refuse}", tok.text, act.name()),
                None,
            )),
            Term::Opt(RuleOption::CheckBlacklist)
                if act != Action::Appraise && profile > Profile::V6_1 => {}
            Term::Opt(
                RuleOption::AppraiseType(_)
                | RuleOption::CheckBlacklist
                | RuleOption::AppraiseAlgos(_),
            ) if act != Action::Appraise => out.push(err(
                tok,
                "appraise-option-action",
                format!("{} is not allowed with {}: only appraise rules can require signatures or restrict hash algorithms; {refuse}", tok.text, act.name()),
                (act == Action::Measure).then(|| "to require a signature, add a separate appraise rule for the same func".to_string()),
            )),
            _ => {}
        }
    }

    // fs-verity and signature types, as ima_parse_rule reads them: digest_type=verity is
    // refused once a signature is required, imasig and imasig|modsig are refused once
    // verity is required, and sigv3 (before 7.2) only follows digest_type=verity.
    // docs/kernel.md ("Policy rules") states the order rule for 6.1; the 6.3+ source keeps the same code,
    // so it is enforced for every profile (the canonical order always satisfies it).
    let has_verity = terms
        .iter()
        .any(|(t, _)| matches!(t, Term::Opt(RuleOption::DigestVerity)));
    for (i, (t, tok)) in terms.iter().enumerate() {
        match t {
            Term::Opt(RuleOption::AppraiseType(
                ty @ (AppraiseType::Imasig | AppraiseType::ImasigModsig),
            )) if has_verity => {
                out.push(err(
                    tok,
                    "verity-sigtype",
                    format!(
                        "appraise_type={} cannot go with digest_type=verity: fs-verity digests are signed as sigv3; {refuse}",
                        ty.name()
                    ),
                    Some("use appraise_type=sigv3".into()),
                ));
            }
            Term::Opt(RuleOption::AppraiseType(AppraiseType::Sigv3)) if !has_verity => {
                let modsig_func = r.func().is_some_and(Func::allows_modsig);
                if profile < Profile::V7_2 || modsig_func {
                    let why = if profile < Profile::V7_2 {
                        format!("on Linux {profile} appraise_type=sigv3 is only for fs-verity digests and needs digest_type=verity")
                    } else {
                        "sigv3 signatures without fs-verity are not known to be accepted for MODULE_CHECK, KEXEC_KERNEL_CHECK and KEXEC_INITRAMFS_CHECK".to_string()
                    };
                    out.push(err(
                        tok,
                        "sigv3-verity",
                        format!("{why}: {refuse}"),
                        Some(
                            "add digest_type=verity before it, or use appraise_type=imasig".into(),
                        ),
                    ));
                }
            }
            Term::Opt(RuleOption::DigestVerity) => {
                let sigv3_before = terms[..i].iter().any(|(t, _)| {
                    matches!(t, Term::Opt(RuleOption::AppraiseType(AppraiseType::Sigv3)))
                });
                if sigv3_before {
                    out.push(err(
                        tok,
                        "verity-order",
                        format!("digest_type=verity after appraise_type=sigv3: the kernel refuses a digest type once a signature is required; {refuse}"),
                        Some("move digest_type=verity before appraise_type=sigv3".into()),
                    ));
                }
            }
            _ => {}
        }
    }

    // ima_validate_rule: func against action and against every other term.
    let func = r.func();
    let func_tok = terms
        .iter()
        .find(|(t, _)| matches!(t, Term::Cond(Condition::Func(_))))
        .map(|(_, tok)| *tok);
    let where_func = func_tok.unwrap_or(&pr.action_token);
    if let Some(f) = func {
        if f.measure_only() && !matches!(act, Action::Measure | Action::DontMeasure) {
            out.push(err(
                where_func,
                "func-action",
                format!(
                    "func={} only allows measure and dont_measure, not {}: {refuse}",
                    f.name(),
                    act.name()
                ),
                None,
            ));
        }
        if f == Func::SetxattrCheck {
            if act != Action::Appraise {
                out.push(err(
                    where_func,
                    "func-action",
                    format!(
                        "func=SETXATTR_CHECK only allows appraise, not {}: {refuse}",
                        act.name()
                    ),
                    None,
                ));
            }
            if !r
                .options()
                .any(|o| matches!(o, RuleOption::AppraiseAlgos(_)))
            {
                out.push(err(
                    where_func,
                    "setxattr-algos",
                    format!("func=SETXATTR_CHECK needs appraise_algos= (the hashes that may be written to security.ima): {refuse}"),
                    Some("e.g. appraise func=SETXATTR_CHECK appraise_algos=sha256,sha384,sha512".into()),
                ));
            }
        }
    }
    for (t, tok) in &terms {
        match t {
            Term::Opt(RuleOption::AppraiseType(AppraiseType::ImasigModsig))
                if !func.is_some_and(Func::allows_modsig) =>
            {
                out.push(err(
                    tok,
                    "modsig-func",
                    format!("appraise_type=imasig|modsig is not allowed with {}: appended signatures exist only for MODULE_CHECK, KEXEC_KERNEL_CHECK and KEXEC_INITRAMFS_CHECK; {refuse}", func.map_or("a rule without func".to_string(), |f| format!("func={}", f.name()))),
                    Some("use appraise_type=imasig".into()),
                ));
                continue;
            }
            Term::Opt(RuleOption::DigestVerity) if func.is_some_and(Func::allows_modsig) => {
                out.push(err(
                    tok,
                    "verity-func",
                    format!("digest_type=verity is not allowed with func={}: kernel images, initramfs and modules are not read through fs-verity; {refuse}", func.map_or("", |f| f.name())),
                    None,
                ));
                continue;
            }
            _ => {}
        }
        if act == Action::Appraise
            || !matches!(
                t,
                Term::Opt(
                    RuleOption::AppraiseType(_)
                        | RuleOption::AppraiseAlgos(_)
                        | RuleOption::CheckBlacklist
                )
            )
        {
            if let Some(why) = func_forbids(func, t, profile) {
                out.push(err(
                    tok,
                    "func-term",
                    format!("`{}` is not allowed here: {why}; {refuse}", tok.text),
                    None,
                ));
            }
        }
    }

    // Flag combinations.
    let modsig = r.appraise_type() == Some(AppraiseType::ImasigModsig);
    if profile == Profile::V6_1 && act == Action::Appraise && !modsig {
        if let Some((_, tok)) = terms
            .iter()
            .find(|(t, _)| matches!(t, Term::Opt(RuleOption::CheckBlacklist)))
        {
            out.push(err(
                tok,
                "blacklist-signature",
                format!("on Linux 6.1 appraise_flag=check_blacklist needs appraise_type=imasig|modsig in the same rule (and CONFIG_IMA_APPRAISE_MODSIG): {refuse}"),
                Some("add appraise_type=imasig|modsig, or drop the flag".into()),
            ));
        }
    }
    if act == Action::Appraise && !r.requires_signature() {
        if let Some((_, tok)) = terms
            .iter()
            .find(|(t, _)| matches!(t, Term::Opt(RuleOption::DigestVerity)))
        {
            out.push(err(
                tok,
                "verity-signature",
                format!("appraise with digest_type=verity must require a signature (fs-verity digests are only trusted when signed): {refuse}"),
                Some("add appraise_type=sigv3".into()),
            ));
        }
    }

    let len = r.canonical().len();
    if len > MAX_RULE_BYTES {
        out.push(err(
            &pr.action_token,
            "too-long",
            format!("the rule is {len} bytes; the kernel reads at most {MAX_RULE_BYTES} per write and would cut it"),
            Some("split it into several rules".into()),
        ));
    }
    out
}

/// Warnings about one rule that the kernel of `profile` accepts.
pub fn rule_warnings(pr: &ParsedRule, profile: Profile) -> Vec<Diagnostic> {
    let r = &pr.rule;
    let mut out = Vec::new();
    let terms: Vec<(&Term, &Token)> = r.terms.iter().zip(&pr.term_tokens).collect();
    let func_tok = terms
        .iter()
        .find(|(t, _)| matches!(t, Term::Cond(Condition::Func(_))))
        .map_or(&pr.action_token, |(_, tok)| *tok);
    if r.action == Action::Appraise
        && r.func() == Some(Func::KexecKernelCheck)
        && !r.requires_signature()
    {
        out.push(warn(
            func_tok,
            "kexec-unsigned",
            "appraise for KEXEC_KERNEL_CHECK without a signature requirement: a plain hash in security.ima satisfies it, and anyone who can set that xattr can make any kernel bootable by kexec".into(),
            Some("add appraise_type=imasig".into()),
        ));
    }
    if r.action == Action::Appraise && r.func() == Some(Func::PolicyCheck) {
        out.push(warn(
            func_tok,
            "policy-check",
            "appraise func=POLICY_CHECK: once loaded, every later policy must carry a valid security.ima signature and be loaded by path; policy text written to the kernel is refused (EACCES)".into(),
            Some("sign later policies (evmctl ima_sign) and load them with `imactl policy load --by-path`".into()),
        ));
    }
    let mut repeated: HashMap<&'static str, usize> = HashMap::new();
    for (t, tok) in &terms {
        if matches!(
            t,
            Term::Opt(RuleOption::AppraiseType(AppraiseType::ImasigModsig))
        ) {
            out.push(warn(
                tok,
                "modsig-config",
                "appraise_type=imasig|modsig needs a kernel built with CONFIG_IMA_APPRAISE_MODSIG; \
                 kernels without it (Debian's 6.1 and 6.12 among them) refuse the rule with EINVAL, \
                 and with it the whole policy"
                    .into(),
                Some("use appraise_type=imasig unless every target kernel has CONFIG_IMA_APPRAISE_MODSIG=y".into()),
            ));
        }
        if profile >= Profile::V6_12 && matches!(t, Term::Opt(RuleOption::CheckBlacklist)) {
            out.push(warn(
                tok,
                "blacklist-ignored",
                format!("appraise_flag=check_blacklist is accepted and ignored by Linux {profile}: signed files are always checked against the blacklist"),
                Some("drop it unless the policy must also load on 6.1".into()),
            ));
        }
        if once_slot(t).is_none() {
            let n = repeated.entry(t.keyword()).or_default();
            *n += 1;
            if *n == 2 {
                out.push(warn(
                    tok,
                    "repeated",
                    format!(
                        "`{}` repeats {}: the kernel keeps only one value of it per rule",
                        tok.text,
                        t.keyword()
                    ),
                    Some("write it once".into()),
                ));
            }
        }
    }
    out
}

/// Whether every event `later` matches is also matched by `earlier` (conservatively: true
/// only when that follows from the conditions alone).
pub fn covers(earlier: &Rule, later: &Rule) -> bool {
    // KEY_CHECK and CRITICAL_DATA events only meet rules naming that func; keep the other
    // buffer hooks out too rather than guess.
    let later_func = later.func();
    if earlier.func().is_none()
        && matches!(
            later_func,
            Some(Func::KeyCheck | Func::CriticalData | Func::KexecCmdline | Func::SetxattrCheck)
        )
    {
        return false;
    }
    earlier.conditions().all(|a| {
        later.conditions().any(|b| match (a, b) {
            (Condition::Func(fa), Condition::Func(fb)) => {
                fa == fb || (*fa == Func::MmapCheck && *fb == Func::MmapCheckReqprot)
            }
            (
                Condition::Id {
                    kind: ka,
                    op: oa,
                    value: va,
                },
                Condition::Id {
                    kind: kb,
                    op: ob,
                    value: vb,
                },
            ) => ka == kb && oa.covers(*va, *ob, *vb),
            // mask=^X matches every request that includes X; mask=X only exactly X.
            (Condition::Mask(ma), Condition::Mask(mb)) => {
                ma.bit == mb.bit && (ma.inmask || !mb.inmask)
            }
            (Condition::Keyrings(la), Condition::Keyrings(lb))
            | (Condition::Label(la), Condition::Label(lb)) => lb.iter().all(|x| la.contains(x)),
            _ => a == b,
        })
    })
}

/// Rules that can never take effect because an earlier rule of the same family (measure /
/// dont_measure, appraise / dont_appraise, ...) matches all their events first.
pub fn shadow_warnings(rules: &[&ParsedRule]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (j, later) in rules.iter().enumerate() {
        let la = later.rule.action;
        let Some(earlier) = rules[..j]
            .iter()
            .find(|e| e.rule.action.family() == la.family() && covers(&e.rule, &later.rule))
        else {
            continue;
        };
        let ea = earlier.rule.action;
        let (code, msg, hint) = if ea == la {
            (
                "shadowed",
                format!("this rule can never match: the {} rule at line {} matches every event it matches, and the first matching rule wins", ea.name(), earlier.line),
                format!("remove it, or move it above line {} if its options were meant to apply", earlier.line),
            )
        } else if ea.is_negative() {
            (
                "disabled-by-dont",
                format!("this {} rule never applies: the {} rule at line {} matches all of its events first", la.name(), ea.name(), earlier.line),
                format!("narrow the {} rule or move this rule above it", ea.name()),
            )
        } else {
            (
                "shadowed",
                format!("this {} rule never applies: the {} rule at line {} matches all of its events first", la.name(), ea.name(), earlier.line),
                format!("move it above line {}", earlier.line),
            )
        };
        out.push(warn(&later.action_token, code, msg, Some(hint)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str, p: Profile) -> Vec<&'static str> {
        check_text(text, p)
            .1
            .diagnostics
            .iter()
            .map(|d| d.code)
            .collect()
    }

    #[test]
    fn shadowed_by_broader_rule() {
        let t = "measure func=BPRM_CHECK\nmeasure func=BPRM_CHECK uid=0\n";
        let (_, r) = check_text(t, Profile::V6_1);
        assert_eq!(r.diagnostics.len(), 1);
        assert_eq!(
            (r.diagnostics[0].line, r.diagnostics[0].code),
            (2, "shadowed")
        );
        // The other way round both rules can match something.
        assert!(codes(
            "measure func=BPRM_CHECK uid=0\nmeasure func=BPRM_CHECK\n",
            Profile::V6_1
        )
        .is_empty());
    }

    #[test]
    fn dont_rule_disables_later_rule() {
        let t = "dont_appraise fsmagic=0x9fa0\nappraise fsmagic=0x9fa0 func=BPRM_CHECK\n";
        assert_eq!(codes(t, Profile::V6_12), vec!["disabled-by-dont"]);
    }

    #[test]
    fn other_families_do_not_shadow() {
        assert!(codes(
            "measure func=BPRM_CHECK\nappraise func=BPRM_CHECK\n",
            Profile::V6_1
        )
        .is_empty());
        assert!(codes("measure\nmeasure func=KEY_CHECK\n", Profile::V6_1).is_empty());
    }

    #[test]
    fn errors_of_a_rule_with_a_parse_error_are_reported_too() {
        let t = "measure func=KEXEC_KERNAL_CHECK appraise_type=imasig pcr=99\n";
        assert_eq!(
            codes(t, Profile::V6_1),
            vec!["unknown-func", "appraise-option-action", "parse"]
        );
        // A guess about the unreadable func is not reported.
        let t = "appraise func=MODUL_CHECK appraise_type=imasig|modsig\n";
        assert_eq!(codes(t, Profile::V6_1), vec!["unknown-func"]);
    }

    #[test]
    fn id_ranges_cover() {
        let t = "measure uid<1000\nmeasure uid=5\n";
        assert_eq!(codes(t, Profile::V6_1), vec!["shadowed"]);
    }
}
