//! "Is kexec protected on this machine, and if not, why not": a verdict from the facts the
//! kernel exposes. [`Facts`] is a snapshot (gathered by [`gather`] from /proc, /sys, /boot
//! under a root directory); [`assess`] is pure: facts in, [`Report`] out. Facts are from
//! kernel.md and trust-chain.md.
//!
//! One file per concern: `facts.rs` (the snapshot), `report.rs` (what is said), and the
//! assessments in the order the report shows them: `ima.rs` (IMA and its appraise mode),
//! `boot.rs` (lockdown and secure boot), `policy.rs` (the policy in force, read with
//! [`crate::policy::parse`], and whether it can change), `keyrings.rs`, `kexec_sig.rs`
//! (PE signatures) and `verdict.rs`, which weighs them.

pub mod compressed;
pub mod evidence;
pub mod gather;
pub mod preflight;
mod preflight_text;

mod boot;
mod facts;
mod ima;
mod kexec_sig;
mod keyrings;
mod policy;
mod report;
mod revocation;
mod secure_boot;
mod verdict;

pub use facts::{Facts, KernelConfig, KeyMember, PolicyFile};
pub use keyrings::relying_on_user_ima;
pub use report::{Check, KeyringReport, Report, State, Verdict};

/// Assesses the facts.
pub fn assess(f: &Facts) -> Report {
    let mut checks = report::Checks::default();
    let ima = ima::assess_ima(f, &mut checks);
    let locked = boot::assess_lockdown_and_secure_boot(f, &mut checks);
    let policy = policy::assess_policy(f, &mut checks);
    let keyrings = keyrings::assess_keyrings(f, &mut checks);
    let pe_required = kexec_sig::assess_kexec_sig(f, &mut checks, locked);
    secure_boot::assess_secure_boot(f, &mut checks);
    let (verdict, reasons, first_step) = verdict::judge(f, &ima, &policy, &keyrings, pe_required);
    Report {
        release: f.release.clone(),
        checks: checks.0,
        keyrings: keyrings.reports,
        verdict,
        reasons,
        first_step,
    }
}
