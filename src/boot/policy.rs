//! The policy half of the boot step: check the policy, recognise one already in force
//! this boot, otherwise load it and leave a record of the load.

use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{BootConfig, BootEnv, STATE_FILE};
use crate::hash::to_hex;
use crate::policy::load::{self, AfterLoad};
use crate::policy::lockout_report::{self, Wording};
use crate::policy::parse::{parse_policy, ParsedPolicy};
use crate::policy::plan::{self, LoadRequest};
use crate::policy::validate::check_text;
use crate::policy::Severity;

/// What became of the policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum PolicyOutcome {
    /// Written to the kernel now.
    Loaded {
        rules: usize,
        by_path: bool,
        /// Whether the kernel takes another load this boot, in a sentence.
        after: String,
    },
    /// Already in force this boot: how that is known.
    AlreadyInForce { evidence: String },
    /// Not in force: why.
    Failed { error: String },
}

impl PolicyOutcome {
    pub fn in_force(&self) -> bool {
        !matches!(self, PolicyOutcome::Failed { .. })
    }
}

/// The policy half's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyReport {
    pub path: PathBuf,
    #[serde(flatten)]
    pub outcome: PolicyOutcome,
    /// The checker's findings ("LINE:COLUMN: error: ..."), and what the load noticed.
    pub notes: Vec<String>,
    /// The lockout check before a load, when it ran (a policy that could appraise an
    /// exec, not in force yet): what it found and what became of the load.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lockout: Option<lockout_report::Summary>,
}

impl PolicyReport {
    pub fn in_force(&self) -> bool {
        self.outcome.in_force()
    }
}

/// The record left after a load: the policy's SHA-256 and its path.
fn record_line(digest: &str, path: &Path) -> String {
    format!("sha256 {digest} {}\n", path.display())
}

/// Whether every rule of `ours` is in `loaded`, in order (the kernel's read-back may hold
/// boot-time rules before them).
pub fn contains_rules(loaded: &ParsedPolicy, ours: &ParsedPolicy) -> bool {
    let mut have = loaded.rules.iter().map(|r| r.rule.canonical());
    ours.rules
        .iter()
        .map(|r| r.rule.canonical())
        .all(|want| have.any(|h| h == want))
}

/// Whether this policy is already in force: the record of an earlier run this boot, or
/// the kernel's read-back. `Err` when a policy was loaded this boot (the kernel takes no
/// other) and it is not known to be this one.
fn already_in_force(
    cfg: &BootConfig,
    env: &mut dyn BootEnv,
    securityfs: &Path,
    digest: &str,
    ours: &ParsedPolicy,
) -> Result<Option<String>, String> {
    let record = cfg.state_dir.join(STATE_FILE);
    // A one-line record: the smallest cap (64 KiB) bounds it.
    if let Ok(bytes) = env.read(&record, crate::input::InputKind::SmallFile) {
        if String::from_utf8_lossy(&bytes).split_whitespace().nth(1) == Some(digest) {
            return Ok(Some(format!(
                "loaded earlier this boot ({} records the same SHA-256)",
                record.display()
            )));
        }
    }
    let state = env.after_load(securityfs);
    match env.read_policy(securityfs) {
        Ok(text) if contains_rules(&parse_policy(&text), ours) => {
            return Ok(Some("the kernel's loaded policy holds every rule of it".into()))
        }
        Ok(_) if state != AfterLoad::Writable => {
            return Err("the kernel already took a different policy this boot and takes no other; reboot to load this one".into())
        }
        _ => {}
    }
    if state == AfterLoad::Writable {
        return Ok(None);
    }
    Err(format!(
        "a policy was already loaded this boot ({}) and the kernel cannot show it, so whether it is this one is not known; reboot to load this one",
        load::policy_path(securityfs).display()
    ))
}

/// Loads the configured policy unless it is in force already.
pub fn load_policy(cfg: &BootConfig, env: &mut dyn BootEnv) -> PolicyReport {
    let mut report = PolicyReport {
        path: cfg.policy.clone(),
        outcome: PolicyOutcome::Failed {
            error: String::new(),
        },
        notes: Vec::new(),
        lockout: None,
    };
    report.outcome = match load_inner(cfg, env, &mut report) {
        Ok(o) => o,
        Err(error) => PolicyOutcome::Failed { error },
    };
    report
}

fn load_inner(
    cfg: &BootConfig,
    env: &mut dyn BootEnv,
    out: &mut PolicyReport,
) -> Result<PolicyOutcome, String> {
    let notes = &mut out.notes;
    let file = &cfg.policy;
    let bytes = env
        .read(file, crate::input::InputKind::Policy)
        .map_err(|e| {
            format!(
                "cannot read the policy {}: {}",
                file.display(),
                crate::error::io_words(&e)
            )
        })?;
    let text =
        String::from_utf8(bytes).map_err(|_| format!("{} is not text (UTF-8)", file.display()))?;
    let (parsed, report) = check_text(&text, cfg.profile);
    for d in &report.diagnostics {
        let sev = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        notes.push(format!(
            "{}:{}:{}: {sev}: {}",
            file.display(),
            d.line,
            d.column,
            d.message
        ));
    }
    let req = LoadRequest {
        file,
        text: &text,
        parsed: &parsed,
        report: &report,
        profile: cfg.profile,
        profile_source: &cfg.profile_source,
        securityfs: cfg.securityfs.as_deref(),
        by_path: cfg.by_path,
        dry_run: false,
    };
    let mut load_notes = Vec::new();
    let planned = plan::plan_load(&req, env, &mut load_notes);
    notes.extend(load_notes.iter().map(ToString::to_string));
    let plan = planned.map_err(|e| e.to_string())?;
    let outcome = decide_and_load(cfg, env, &plan, &text, &parsed, out);
    // Leave the system as found: unmount what the load mounted.
    out.notes.extend(env.undo_mounts(&load_notes));
    outcome
}

fn decide_and_load(
    cfg: &BootConfig,
    env: &mut dyn BootEnv,
    plan: &plan::LoadPlan,
    text: &str,
    parsed: &ParsedPolicy,
    out: &mut PolicyReport,
) -> Result<PolicyOutcome, String> {
    let file = &cfg.policy;
    let ima_dir = plan.securityfs.join("ima");
    if !env.exists(&ima_dir) {
        return Err(format!(
            "there is no {}: IMA is not enabled in this kernel",
            ima_dir.display()
        ));
    }
    let digest = to_hex(&Sha256::digest(text.as_bytes()));
    if let Some(evidence) = already_in_force(cfg, env, &plan.securityfs, &digest, parsed)? {
        return Ok(PolicyOutcome::AlreadyInForce { evidence });
    }
    lockout_gate(cfg, env, &plan.securityfs, parsed, out)?;
    let loaded = plan::run_load(plan, file, cfg.profile, env).map_err(|e| e.to_string())?;
    let record = cfg.state_dir.join(STATE_FILE);
    if let Err(e) = env.write(&record, record_line(&digest, file).as_bytes()) {
        out.notes.push(format!(
            "cannot record the load in {} ({}): a second run this boot cannot tell that this policy is in force",
            record.display(),
            crate::error::io_words(&e)
        ));
    }
    Ok(PolicyOutcome::Loaded {
        rules: plan.rules,
        by_path: plan.by_path,
        after: loaded.after.describe(&plan.policy_file),
    })
}

/// The lockout check of `imactl policy load`, before a load: `Err` (the files the kernel
/// would refuse, and the ways out) when programs this system runs now would be refused,
/// appraisal enforces and `cfg.force` is not set; otherwise the finding becomes notes.
fn lockout_gate(
    cfg: &BootConfig,
    env: &mut dyn BootEnv,
    securityfs: &Path,
    parsed: &ParsedPolicy,
    out: &mut PolicyReport,
) -> Result<(), String> {
    let Some(assessment) = env.lockout(&parsed.rules, &cfg.root, securityfs) else {
        return Ok(());
    };
    let file = cfg.policy.display().to_string();
    let words = Wording {
        file: &file,
        force: cfg.force,
        dry_run: false,
        force_hint: "load it anyway with `imactl boot --force`",
    };
    let described = lockout_report::describe(&assessment, &words);
    out.lockout = Some(lockout_report::summary(&assessment, described.decision));
    out.notes
        .extend(described.notes.iter().map(lockout_report::Message::render));
    match described.refusal {
        Some(m) => Err(m.body()),
        None => Ok(()),
    }
}
