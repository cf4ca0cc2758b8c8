//! `imactl boot`: the boot step ([`crate::boot`]): certificates into the IMA keyring, then
//! the policy. This file parses and prints; the decisions are the library's.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::boot::{self, BootConfig, BootVerdict, KeyOutcome, PolicyOutcome};

#[derive(Args, Debug)]
pub struct BootArgs {
    /// Directory of certificates (PEM or DER) for the IMA keyring: every regular file in
    /// it whose name does not start with '.'.
    #[arg(long, value_name = "DIR", default_value = boot::DEFAULT_KEYS_DIR)]
    pub keys_dir: PathBuf,
    /// A further certificate, imported when it exists.
    #[arg(long, value_name = "FILE", default_value = boot::DEFAULT_KERNEL_CERT)]
    pub kernel_cert: PathBuf,
    /// The IMA policy file to load (not `-`: the boot step reads it at every boot).
    #[arg(long, value_name = "FILE", default_value = boot::DEFAULT_POLICY)]
    pub policy: PathBuf,
    /// Write the policy's path instead of its rules: the kernel reads and appraises the
    /// file (needed when the policy must be signed; chosen automatically when the loaded
    /// policy appraises POLICY_CHECK).
    #[arg(long)]
    pub by_path: bool,
    /// Kernel to check the policy for (default: the running kernel).
    #[arg(long, value_name = "VER", value_parser = super::values::kernel(), hide_possible_values = true)]
    pub kernel: Option<String>,
    /// Where securityfs is mounted (default /sys/kernel/security, mounted if needed).
    #[arg(long, value_name = "DIR")]
    pub securityfs: Option<PathBuf>,
    /// Where the record of a load is kept for the rest of the boot.
    #[arg(long, value_name = "DIR", default_value = boot::DEFAULT_STATE_DIR)]
    pub state_dir: PathBuf,
    /// Load the policy even when programs this system runs now would be refused under it
    /// (the lockout check of `imactl policy load`; the finding is still reported, as a
    /// warning). Without it such a policy is not loaded while IMA appraisal enforces.
    #[arg(long)]
    pub force: bool,
    /// Read /proc (the running programs, the kernel command line) and /sys (Secure Boot)
    /// under DIR instead of / for the lockout check (for tests).
    #[arg(long, value_name = "DIR", default_value = "/", hide = true)]
    pub root: PathBuf,
    /// Print one JSON object: {version, command, keyring, keys, policy, verdict}; the
    /// policy object has a "lockout" object when the lockout check ran.
    #[arg(long)]
    pub json: bool,
}

/// Exit status: 0 the policy is in force and every certificate is in the keyring, 3 the
/// policy is in force but a certificate is not, 1 the policy is not in force (a policy
/// file that cannot be read included, and a policy refused by the lockout check), 2 bad
/// arguments.
pub fn run(a: BootArgs) -> i32 {
    if a.policy.as_os_str() == "-" {
        // The boot step keeps a record of what it loaded from where; a pipe has no path.
        eprintln!("imactl: boot: --policy - is not accepted: give the policy's file (it runs at every boot)");
        return super::exit::EXIT_USAGE;
    }
    let (profile, source) = match super::policy::resolve_profile(a.kernel.as_deref()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("imactl: {e}");
            return 2;
        }
    };
    let cfg = BootConfig {
        keys_dir: a.keys_dir,
        kernel_cert: a.kernel_cert,
        policy: a.policy,
        securityfs: a.securityfs,
        by_path: a.by_path,
        profile,
        profile_source: source,
        state_dir: a.state_dir,
        force: a.force,
        root: a.root,
    };
    let report = boot::run(&cfg, &mut boot::System);
    let verdict = report.verdict();
    let mut out = std::io::stdout().lock();
    let written = if a.json {
        let doc = serde_json::json!({
            "version": super::json::VERSION,
            "command": "boot",
            "keyring": report.keys.keyring,
            "keyring_error": report.keys.keyring_error,
            "dir_error": report.keys.dir_error,
            "keys": report.keys.keys,
            "policy": report.policy,
            "verdict": verdict,
        });
        writeln!(out, "{doc}")
    } else {
        write!(out, "{}", text(&report, verdict))
    };
    if written.is_err() {
        return 1;
    }
    match verdict {
        BootVerdict::InForce => 0,
        BootVerdict::InForceKeysMissing => 3,
        BootVerdict::NotInForce => 1,
    }
}

/// The report as lines: "key: ...", "policy: ...", then the verdict.
fn text(r: &boot::BootReport, verdict: BootVerdict) -> String {
    let mut s = String::new();
    if let Some(e) = &r.keys.dir_error {
        s.push_str(&format!("key: error: {e}\n"));
    }
    if let Some(e) = &r.keys.keyring_error {
        s.push_str(&format!("key: error: no IMA keyring: {e}\n"));
    }
    if r.keys.keys.is_empty() && r.keys.dir_error.is_none() {
        s.push_str("key: no certificates configured\n");
    }
    for k in &r.keys.keys {
        let line = match k {
            KeyOutcome::Added { serial, keyid, .. } => format!(
                "added as {serial} id:{keyid} to {}",
                r.keys.keyring.as_deref().unwrap_or("?")
            ),
            KeyOutcome::AlreadyPresent { keyid, .. } => format!(
                "already present as id:{keyid} in {}",
                r.keys.keyring.as_deref().unwrap_or("?")
            ),
            KeyOutcome::Failed { error, .. } => format!("error: {error}"),
        };
        s.push_str(&format!("key: {}: {line}\n", k.path().display()));
    }
    for n in &r.policy.notes {
        s.push_str(&format!("policy: {n}\n"));
    }
    let p = r.policy.path.display();
    s.push_str(&match &r.policy.outcome {
        PolicyOutcome::Loaded {
            rules,
            by_path,
            after,
        } => format!(
            "policy: {p}: loaded {rules} rule{}{}; {after}\n",
            if *rules == 1 { "" } else { "s" },
            if *by_path { " by path" } else { "" }
        ),
        PolicyOutcome::AlreadyInForce { evidence } => {
            format!("policy: {p}: already in force: {evidence}\n")
        }
        PolicyOutcome::Failed { error } => format!("policy: {p}: error: {error}\n"),
    });
    s.push_str(&format!("imactl boot: {verdict}\n"));
    s
}
