//! The keyword table (which kernel release knows each keyword), the kernel's template and
//! hash names, the limits of one write, and typo suggestions.

use super::Profile;

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

/// Looks a keyword up in [`KEYWORDS`].
pub fn keyword(name: &str) -> Option<&'static Keyword> {
    KEYWORDS.iter().find(|k| k.name == name)
}

/// The closest candidate to `word` by edit distance, when it is close enough to be a typo.
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let len = word.chars().count();
    let limit = (len / 3).clamp(1, 3);
    let lower = word.to_ascii_lowercase();
    candidates
        .iter()
        // The distance is at least the difference in length: skip the table for those, so a
        // long garbage word costs nothing (a fuzzed policy spent most of its time here).
        .filter(|c| len.abs_diff(c.chars().count()) <= limit)
        .filter_map(|c| distance_within(&lower, &c.to_ascii_lowercase(), limit).map(|d| (d, *c)))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
        .or_else(|| only_extension(word, candidates))
}

/// The one candidate that `word` is the start of (KEXEC_KERNEL: KEXEC_KERNEL_CHECK), when
/// `word` is long enough to mean something and exactly one candidate extends it.
fn only_extension<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    if word.chars().count() < 4 {
        return None;
    }
    let w = word.to_ascii_lowercase();
    let mut it = candidates
        .iter()
        .filter(|c| c.len() > w.len() && c.to_ascii_lowercase().starts_with(&w));
    match (it.next(), it.next()) {
        (Some(c), None) => Some(*c),
        _ => None,
    }
}

/// Edit distance counting a swap of two neighbours as one edit (optimal string alignment),
/// when it is at most `limit`. Keeps three rows and stops as soon as two rows in a row are
/// all above the limit: no later cell can come back under it.
fn distance_within(a: &str, b: &str, limit: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut older = vec![0usize; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0usize; b.len() + 1];
    let mut prev_min = 0;
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(older[j - 2] + 1);
            }
            cur[j] = v;
        }
        let cur_min = cur.iter().copied().min().unwrap_or(0);
        if cur_min > limit && prev_min > limit {
            return None;
        }
        prev_min = cur_min;
        std::mem::swap(&mut older, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    Some(prev[b.len()]).filter(|d| *d <= limit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Action, Func};

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
    fn distance_counts_edits_and_stops_past_the_limit() {
        assert_eq!(distance_within("apraise", "appraise", 3), Some(1));
        assert_eq!(
            distance_within("aprpaise", "appraise", 3),
            Some(1),
            "a swap is one edit"
        );
        assert_eq!(distance_within("fnuc", "func", 1), Some(1));
        assert_eq!(distance_within("kitten", "sitting", 3), Some(3));
        assert_eq!(distance_within("kitten", "sitting", 2), None);
        assert_eq!(distance_within("", "abc", 3), Some(3));
        assert_eq!(distance_within("zzzzzzzz", "appraise", 3), None);
    }
}
