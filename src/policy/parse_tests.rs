//! Unit tests of the policy parser (src/policy/parse.rs).

use super::*;

#[test]
fn tokens_have_columns() {
    let t = tokenize(3, "  measure\tfunc=BPRM_CHECK  mask=MAY_EXEC");
    let cols: Vec<(usize, &str)> = t.iter().map(|t| (t.column, t.text.as_str())).collect();
    assert_eq!(
        cols,
        vec![
            (3, "measure"),
            (11, "func=BPRM_CHECK"),
            (28, "mask=MAY_EXEC")
        ]
    );
    assert!(t.iter().all(|t| t.line == 3));
}

#[test]
fn comments_and_blank_lines_are_skipped() {
    let p = parse_policy("# c\n\n   # indented\nmeasure func=BPRM_CHECK\n\t\n");
    assert_eq!(p.rules.len(), 1);
    assert_eq!(p.rules[0].line, 4);
    assert!(p.diagnostics.is_empty());
}

#[test]
fn aliases_read_as_canonical() {
    let p = parse_policy("measure func=PATH_CHECK\nmeasure func=FILE_MMAP\n");
    assert_eq!(p.rules[0].rule.func(), Some(Func::FileCheck));
    assert_eq!(p.rules[1].rule.func(), Some(Func::MmapCheck));
}

#[test]
fn typo_in_func_is_located_and_suggested() {
    let p = parse_policy("\nappraise func=KEXEC_KERNAL_CHECK appraise_type=imasig\n");
    assert_eq!(p.diagnostics.len(), 1);
    let d = &p.diagnostics[0];
    assert_eq!((d.line, d.column), (2, 10));
    assert_eq!(
        d.message,
        "unknown func KEXEC_KERNAL_CHECK; did you mean `KEXEC_KERNEL_CHECK`?"
    );
}

#[test]
fn every_bad_token_of_a_rule_is_reported() {
    let p = parse_policy("measure fnuc=FILE_CHECK pcr=99 measure\n");
    let cols: Vec<usize> = p.diagnostics.iter().map(|d| d.column).collect();
    assert_eq!(cols, vec![9, 25, 32]);
    assert_eq!(
        p.diagnostics[0].hint.as_deref(),
        Some("did you mean `func`?")
    );
}

#[test]
fn action_may_follow_conditions() {
    let p = parse_policy("func=BPRM_CHECK measure\n");
    assert_eq!(p.rules[0].action_pos, 1);
    assert_eq!(p.rules[0].rule.action, Action::Measure);
}

#[test]
fn trailing_comment_is_kept_apart() {
    let p = parse_policy("measure func=BPRM_CHECK # executables\n");
    let c = p.rules[0].comment.as_ref().unwrap();
    assert_eq!(c.column, 25);
    assert_eq!(p.rules[0].rule.terms.len(), 1);
}
