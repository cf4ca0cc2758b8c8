//! The kernel's reasons to refuse a rule: what `ima_parse_rule` and `ima_validate_rule`
//! check, one function per group of checks, in the order the diagnostics are reported.

use std::collections::HashMap;

use super::super::parse::{ParsedRule, Token};
use super::super::{
    keyword, Action, AppraiseType, Condition, Diagnostic, Func, IdKind, Profile, RuleOption, Term,
    KERNEL_HASH_NAMES, MAX_RULE_BYTES, TRAILING_COMMENT_SINCE,
};
use super::err;

/// What every refusal ends with.
const REFUSE: &str = "the kernel refuses the rule (EINVAL)";

/// One rule being checked: its terms paired with the tokens they were read from.
struct RuleInCheck<'a> {
    pr: &'a ParsedRule,
    terms: Vec<(&'a Term, &'a Token)>,
    profile: Profile,
}

/// Every reason the kernel of `profile` would refuse this rule.
pub fn rule_errors(pr: &ParsedRule, profile: Profile) -> Vec<Diagnostic> {
    let c = RuleInCheck {
        pr,
        terms: pr.rule.terms.iter().zip(&pr.term_tokens).collect(),
        profile,
    };
    let mut out = Vec::new();
    not_in_kernel(&c, &mut out);
    duplicates(&c, &mut out);
    action_options(&c, &mut out);
    verity_and_signature_types(&c, &mut out);
    func_checks(&c, &mut out);
    flag_combinations(&c, &mut out);
    too_long(&c, &mut out);
    out
}

/// Keywords, funcs and hash names this kernel does not know, and a trailing comment it
/// cannot read.
fn not_in_kernel(c: &RuleInCheck, out: &mut Vec<Diagnostic>) {
    let pr = c.pr;
    let act = c.pr.rule.action;
    let terms = c.terms.as_slice();
    let profile = c.profile;
    let refuse = REFUSE;
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
    for (t, tok) in terms {
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
}

/// Fields the kernel takes once (uid/euid and gid/egid share a slot).
fn duplicates(c: &RuleInCheck, out: &mut Vec<Diagnostic>) {
    let terms = c.terms.as_slice();
    let refuse = REFUSE;
    let mut seen: HashMap<&'static str, &Token> = HashMap::new();
    for (t, tok) in terms {
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
}

/// Options tied to an action: template= and pcr= with measure, appraise options with
/// appraise.
fn action_options(c: &RuleInCheck, out: &mut Vec<Diagnostic>) {
    let pr = c.pr;
    let act = c.pr.rule.action;
    let terms = c.terms.as_slice();
    let profile = c.profile;
    let refuse = REFUSE;
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
}

/// fs-verity and signature types, as ima_parse_rule reads them.
fn verity_and_signature_types(c: &RuleInCheck, out: &mut Vec<Diagnostic>) {
    let r = &c.pr.rule;
    let terms = c.terms.as_slice();
    let profile = c.profile;
    let refuse = REFUSE;
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
}

/// ima_validate_rule: func against action and against every other term.
fn func_checks(c: &RuleInCheck, out: &mut Vec<Diagnostic>) {
    let pr = c.pr;
    let r = &c.pr.rule;
    let act = c.pr.rule.action;
    let terms = c.terms.as_slice();
    let profile = c.profile;
    let refuse = REFUSE;
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
    for (t, tok) in terms {
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
}

/// Flag combinations: check_blacklist on 6.1, digest_type=verity without a signature.
fn flag_combinations(c: &RuleInCheck, out: &mut Vec<Diagnostic>) {
    let r = &c.pr.rule;
    let act = c.pr.rule.action;
    let terms = c.terms.as_slice();
    let profile = c.profile;
    let refuse = REFUSE;
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
}

/// A rule longer than one write() carries.
fn too_long(c: &RuleInCheck, out: &mut Vec<Diagnostic>) {
    let pr = c.pr;
    let r = &c.pr.rule;
    let len = r.canonical().len();
    if len > MAX_RULE_BYTES {
        out.push(err(
            &pr.action_token,
            "too-long",
            format!("the rule is {len} bytes; the kernel reads at most {MAX_RULE_BYTES} per write and would cut it"),
            Some("split it into several rules".into()),
        ));
    }
}

/// The slot a term occupies in the kernel's rule when the kernel takes it only once.
pub(super) fn once_slot(t: &Term) -> Option<&'static str> {
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
