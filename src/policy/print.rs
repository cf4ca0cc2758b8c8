//! The canonical text of a rule: the action first, then conditions and options in one fixed
//! order, canonical func names (FILE_CHECK, not PATH_CHECK), no comment. This is what the
//! loader writes, and it is accepted by every profile that accepts the rule as written
//! (in particular `digest_type=verity` comes before `appraise_type=`, as 6.1 requires).

use std::fmt;

use super::{Condition, Rule, RuleOption, Term};

/// Sort rank of a term in the canonical order.
fn rank(t: &Term) -> u8 {
    match t {
        Term::Cond(c) => match c {
            Condition::Func(_) => 0,
            Condition::Mask(_) => 1,
            Condition::Fsmagic(_) => 2,
            Condition::Fsname(_) => 3,
            Condition::FsSubtype(_) => 4,
            Condition::Fsuuid(_) => 5,
            Condition::Id { kind, .. } => 6 + *kind as u8,
            Condition::Lsm { kind, .. } => 12 + *kind as u8,
            Condition::Keyrings(_) => 18,
            Condition::Label(_) => 19,
        },
        Term::Opt(o) => match o {
            RuleOption::Pcr(_) => 20,
            RuleOption::Template(_) => 21,
            RuleOption::DigestVerity => 22,
            RuleOption::AppraiseType(_) => 23,
            RuleOption::CheckBlacklist => 24,
            RuleOption::AppraiseAlgos(_) => 25,
            RuleOption::PermitDirectio => 26,
        },
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Term::Cond(c) => match c {
                Condition::Func(func) => write!(f, "func={}", func.name()),
                Condition::Mask(m) => {
                    write!(
                        f,
                        "mask={}{}",
                        if m.inmask { "^" } else { "" },
                        m.bit.name()
                    )
                }
                Condition::Fsmagic(v) => write!(f, "fsmagic=0x{v:x}"),
                Condition::Fsname(s) => write!(f, "fsname={s}"),
                Condition::FsSubtype(s) => write!(f, "fs_subtype={s}"),
                Condition::Fsuuid(u) => write!(f, "fsuuid={u}"),
                Condition::Id { kind, op, value } => {
                    write!(f, "{}{}{}", kind.name(), op.symbol(), value)
                }
                Condition::Lsm { kind, label } => write!(f, "{}={}", kind.name(), label),
                Condition::Keyrings(k) => write!(f, "keyrings={}", k.join("|")),
                Condition::Label(l) => write!(f, "label={}", l.join("|")),
            },
            Term::Opt(o) => match o {
                RuleOption::AppraiseType(t) => write!(f, "appraise_type={}", t.name()),
                RuleOption::CheckBlacklist => f.write_str("appraise_flag=check_blacklist"),
                RuleOption::AppraiseAlgos(a) => write!(f, "appraise_algos={}", a.join(",")),
                RuleOption::DigestVerity => f.write_str("digest_type=verity"),
                RuleOption::PermitDirectio => f.write_str("permit_directio"),
                RuleOption::Pcr(n) => write!(f, "pcr={n}"),
                RuleOption::Template(t) => write!(f, "template={t}"),
            },
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.action.name())?;
        let mut terms: Vec<&Term> = self.terms.iter().collect();
        terms.sort_by_key(|t| rank(t));
        for t in terms {
            write!(f, " {t}")?;
        }
        Ok(())
    }
}

impl Rule {
    /// The canonical text (see the module documentation).
    pub fn canonical(&self) -> String {
        self.to_string()
    }

    /// The rule with its terms in canonical order (what [`Rule::canonical`] prints).
    pub fn canonical_order(&self) -> Rule {
        let mut terms = self.terms.clone();
        terms.sort_by_key(rank);
        Rule {
            action: self.action,
            terms,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::policy::parse::parse_policy;

    fn canon(s: &str) -> String {
        let p = parse_policy(s);
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        p.rules[0].rule.canonical()
    }

    #[test]
    fn canonical_order_and_names() {
        assert_eq!(
            canon("appraise_type=sigv3 func=BPRM_CHECK digest_type=verity appraise"),
            "appraise func=BPRM_CHECK digest_type=verity appraise_type=sigv3"
        );
        assert_eq!(
            canon("measure   func=PATH_CHECK mask=^MAY_READ fsmagic=0X9FA0 uid<1000 # c"),
            "measure func=FILE_CHECK mask=^MAY_READ fsmagic=0x9fa0 uid<1000"
        );
    }

    #[test]
    fn canonical_text_reparses_to_the_same_rule() {
        let src = "measure func=KEY_CHECK keyrings=.ima|_ima pcr=11 template=ima-buf uid=0\n\
                   appraise func=MODULE_CHECK appraise_type=imasig|modsig appraise_algos=sha256,sha512\n\
                   dont_measure fsuuid=6A4B31C2-0000-4000-8000-00000000ABCD obj_type=tmp_t\n";
        for r in parse_policy(src).rules {
            let again = parse_policy(&r.rule.canonical());
            assert_eq!(again.rules[0].rule, r.rule.canonical_order());
        }
    }
}
