//! An index of earlier rules for the shadowing analysis, so that each rule is compared only
//! with the earlier rules that could cover it, instead of with every earlier rule.
//!
//! An earlier rule covers a later one only if each of its conditions is matched by one of
//! the later rule's. Most conditions match only an equal condition (fsmagic=, obj_type=,
//! uid=N ...): an earlier rule with such an "exact" condition is filed under it, and a later
//! rule looks up its own conditions. An earlier rule with no exact condition is filed under
//! its func (func=MMAP_CHECK also covers MMAP_CHECK_REQPROT), and one without either is
//! compared with every later rule of its family. A budget bounds the comparisons for
//! adversarial policies (thousands of mutually overlapping ranges).

use std::collections::HashMap;

use super::super::parse::ParsedRule;
use super::super::{Action, Condition, Func, IdOp, Rule};

/// The most comparisons the analysis makes; past it, later rules are not analysed. A real
/// policy of a thousand rules needs at most 500,000; 4,000,000 keeps a 16 MiB adversarial
/// policy of mutually overlapping rules to a few seconds of CPU even in a debug build
/// (20,000,000 took 24-27 s there: tests/resource_bounds.rs bounds it to 20 s).
pub const COMPARISON_BUDGET: usize = 4_000_000;

/// Whether `c` is matched only by an equal condition of the later rule.
fn is_exact(c: &Condition) -> bool {
    match c {
        Condition::Func(_) | Condition::Mask(_) | Condition::Keyrings(_) | Condition::Label(_) => {
            false
        }
        Condition::Id { op, .. } => *op == IdOp::Eq,
        _ => true,
    }
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

#[derive(Default)]
pub struct ShadowIndex<'a> {
    exact: HashMap<(Action, &'a Condition), Vec<usize>>,
    by_func: HashMap<(Action, Func), Vec<usize>>,
    general: HashMap<Action, Vec<usize>>,
    comparisons: usize,
}

impl<'a> ShadowIndex<'a> {
    /// Files rule number `i` (an index into the caller's rule slice).
    pub fn add(&mut self, i: usize, r: &'a ParsedRule) {
        let fam = r.rule.action.family();
        if let Some(c) = r.rule.conditions().find(|c| is_exact(c)) {
            self.exact.entry((fam, c)).or_default().push(i);
        } else if let Some(f) = r.rule.func() {
            self.by_func.entry((fam, f)).or_default().push(i);
        } else {
            self.general.entry(fam).or_default().push(i);
        }
    }

    /// The first earlier rule of `rules` that covers `later`; `Err(())` once the budget is
    /// spent.
    pub fn first_cover(
        &mut self,
        rules: &[&'a ParsedRule],
        later: &ParsedRule,
    ) -> Result<Option<usize>, ()> {
        let fam = later.rule.action.family();
        let mut lists: Vec<&Vec<usize>> = Vec::new();
        for c in later.rule.conditions() {
            if is_exact(c) {
                lists.extend(self.exact.get(&(fam, c)));
            }
            if let Condition::Func(f) = c {
                lists.extend(self.by_func.get(&(fam, *f)));
                if *f == Func::MmapCheckReqprot {
                    lists.extend(self.by_func.get(&(fam, Func::MmapCheck)));
                }
            }
        }
        lists.extend(self.general.get(&fam));
        let mut best: Option<usize> = None;
        for list in lists {
            for &i in list {
                if best.is_some_and(|b| i >= b) {
                    break;
                }
                if self.comparisons >= COMPARISON_BUDGET {
                    return Err(());
                }
                self.comparisons += 1;
                if covers(&rules[i].rule, &later.rule) {
                    best = Some(i);
                    break;
                }
            }
        }
        Ok(best)
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::parse::parse_policy;
    use super::*;

    /// The first covering earlier rule found by comparing with every earlier rule.
    fn naive(rules: &[&ParsedRule], j: usize) -> Option<usize> {
        (0..j).find(|&i| {
            rules[i].rule.action.family() == rules[j].rule.action.family()
                && covers(&rules[i].rule, &rules[j].rule)
        })
    }

    #[test]
    fn the_index_finds_the_same_rule_as_a_full_scan() {
        let pieces = [
            "measure",
            "measure func=FILE_CHECK",
            "measure func=MMAP_CHECK",
            "measure func=MMAP_CHECK_REQPROT",
            "measure func=FILE_CHECK uid=0",
            "measure func=FILE_CHECK uid<1000",
            "measure func=FILE_CHECK uid<10",
            "dont_measure fsmagic=0x9fa0",
            "measure fsmagic=0x9fa0 func=BPRM_CHECK",
            "measure func=FILE_CHECK mask=^MAY_READ",
            "measure func=FILE_CHECK mask=MAY_READ",
            "appraise func=BPRM_CHECK appraise_type=imasig",
            "dont_appraise obj_type=foo_t",
            "appraise obj_type=foo_t func=BPRM_CHECK",
            "measure func=KEY_CHECK keyrings=a|b",
            "measure func=KEY_CHECK keyrings=a",
            "measure fowner=5 uid>3",
            "measure uid=7 fowner=5",
        ];
        // Every order of a few pieces, by a simple deterministic shuffle.
        let mut seed = 7u32;
        for _ in 0..300 {
            let mut text = String::new();
            for _ in 0..8 {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                text.push_str(pieces[(seed >> 16) as usize % pieces.len()]);
                text.push('\n');
            }
            let parsed = parse_policy(&text);
            let rules: Vec<&ParsedRule> = parsed.rules.iter().collect();
            let mut index = ShadowIndex::default();
            for (j, r) in rules.iter().enumerate() {
                assert_eq!(
                    index.first_cover(&rules, r).unwrap(),
                    naive(&rules, j),
                    "{text}"
                );
                index.add(j, r);
            }
        }
    }
}
