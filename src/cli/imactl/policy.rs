//! `imactl policy check|load|show`: turns the arguments into calls of
//! [`crate::policy`] and prints the results. Diagnostics of `check` go to stdout (they are
//! the command's output); `load` and `show` report problems on stderr.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use crate::error::{errno_name, errno_words};
use crate::policy::load::{self, AfterLoad, MountAction, PolicyFile, WriteError};
use crate::policy::parse::ParsedPolicy;
use crate::policy::validate::{check_text, Report};
use crate::policy::{Diagnostic, Profile, Severity};

/// Check, load and show IMA policies.
#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// Check policy files against a kernel's rules; report every error and warning.
    Check(CheckArgs),
    /// Check a policy file, then write it to the kernel, one rule per write().
    Load(LoadArgs),
    /// Print the policy the kernel has loaded, when the kernel allows reading it.
    Show(ShowArgs),
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Policy files.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Kernel to check for: 6.1, 6.12, 7.2 or any release from 6.1 on (default: the running
    /// kernel, from uname).
    #[arg(long, value_name = "VER")]
    pub kernel: Option<String>,
    /// Print the findings as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Args, Debug)]
pub struct LoadArgs {
    /// The policy file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Where securityfs is mounted (default /sys/kernel/security, mounted if needed).
    #[arg(long, value_name = "DIR")]
    pub securityfs: Option<PathBuf>,
    /// Print exactly the writes that would be made, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Write the file's absolute path so that the kernel reads and appraises the file itself
    /// (needed when an `appraise func=POLICY_CHECK` rule is in force; the file must be signed).
    #[arg(long)]
    pub by_path: bool,
    /// Kernel to check for before loading (default: the running kernel).
    #[arg(long, value_name = "VER")]
    pub kernel: Option<String>,
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// Where securityfs is mounted (default /sys/kernel/security, mounted if needed).
    #[arg(long, value_name = "DIR")]
    pub securityfs: Option<PathBuf>,
}

/// Runs a policy subcommand; returns the exit code.
pub fn run(cmd: PolicyCommand) -> i32 {
    match cmd {
        PolicyCommand::Check(a) => check(a),
        PolicyCommand::Load(a) => load_cmd(a),
        PolicyCommand::Show(a) => show(a),
    }
}

/// The profile to use and a phrase saying where it came from.
fn resolve_profile(kernel: Option<&str>) -> Result<(Profile, String), String> {
    match kernel {
        Some(v) => Profile::for_release(v)
            .map(|p| (p, format!("--kernel {v}")))
            .map_err(|e| e.to_string()),
        None => match Profile::running() {
            Ok((p, release)) => Ok((p, format!("running kernel {release}"))),
            Err(_) => {
                let release = crate::policy::kernel_release().unwrap_or_default();
                Ok((
                    Profile::V6_1,
                    format!("running kernel {release}, older than 6.1: using the oldest profile"),
                ))
            }
        },
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn print_diagnostic(out: &mut dyn Write, file: &Path, d: &Diagnostic) -> io::Result<()> {
    let sev = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    writeln!(
        out,
        "{}:{}:{}: {sev}: {}",
        file.display(),
        d.line,
        d.column,
        d.message
    )?;
    if let Some(h) = &d.hint {
        writeln!(out, "  hint: {h}")?;
    }
    Ok(())
}

fn fails(report: &Report, strict: bool) -> bool {
    !report.is_valid() || (strict && report.warnings() > 0)
}

#[derive(serde::Serialize)]
struct JsonFile<'a> {
    file: String,
    valid: bool,
    errors: usize,
    warnings: usize,
    #[serde(flatten)]
    report: &'a Report,
}

fn check(a: CheckArgs) -> i32 {
    let (profile, source) = match resolve_profile(a.kernel.as_deref()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("imactl: {e}");
            return 2;
        }
    };
    let mut failed = false;
    let mut unreadable = false;
    let mut results = Vec::new();
    for f in &a.files {
        match std::fs::read_to_string(f) {
            Ok(text) => {
                let (_, report) = check_text(&text, profile);
                failed |= fails(&report, a.strict);
                results.push((f.clone(), report));
            }
            Err(e) => {
                eprintln!(
                    "imactl: cannot read {}: {}",
                    f.display(),
                    crate::error::io_words(&e)
                );
                unreadable = true;
            }
        }
    }
    let stdout = io::stdout();
    let mut out = stdout.lock();
    if a.json {
        let files: Vec<JsonFile> = results
            .iter()
            .map(|(f, r)| JsonFile {
                file: f.display().to_string(),
                valid: r.is_valid(),
                errors: r.errors(),
                warnings: r.warnings(),
                report: r,
            })
            .collect();
        let doc = serde_json::json!({
            "profile": profile.name(),
            "profile_source": source,
            "strict": a.strict,
            "valid": !failed && !unreadable,
            "files": files,
        });
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&doc).expect("serialisable")
        );
    } else {
        for (f, r) in &results {
            for d in &r.diagnostics {
                let _ = print_diagnostic(&mut out, f, d);
            }
            let verdict = if fails(r, a.strict) { "FAILED" } else { "ok" };
            let _ = writeln!(
                out,
                "{}: {} rules, {}, {} for Linux {} ({}): {verdict}",
                f.display(),
                r.rules,
                plural(r.errors(), "error"),
                plural(r.warnings(), "warning"),
                profile,
                source
            );
        }
    }
    if unreadable {
        2
    } else {
        i32::from(failed)
    }
}

fn load_cmd(a: LoadArgs) -> i32 {
    let (profile, source) = match resolve_profile(a.kernel.as_deref()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("imactl: {e}");
            return 2;
        }
    };
    let text = match std::fs::read_to_string(&a.file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!(
                "imactl: cannot read {}: {}",
                a.file.display(),
                crate::error::io_words(&e)
            );
            return 2;
        }
    };
    let (parsed, report) = check_text(&text, profile);
    {
        let stderr = io::stderr();
        let mut err = stderr.lock();
        for d in &report.diagnostics {
            let _ = print_diagnostic(&mut err, &a.file, d);
        }
    }
    if !report.is_valid() {
        eprintln!(
            "imactl: {} has {} for Linux {profile} ({source}); nothing was written to the kernel",
            a.file.display(),
            plural(report.errors(), "error")
        );
        return 1;
    }
    if parsed.rules.is_empty() {
        eprintln!(
            "imactl: {} has no rules; the kernel fails a load that writes nothing",
            a.file.display()
        );
        return 1;
    }
    load_checked(&a, &text, &parsed, profile, &source)
}

fn describe_mount(m: &MountAction) {
    if let MountAction::Mounted { sysfs_too } = m {
        if *sysfs_too {
            eprintln!("imactl: mounted sysfs on /sys");
        }
        eprintln!("imactl: mounted securityfs on {}", load::DEFAULT_SECURITYFS);
    }
}

/// The loaded policy, when it can be read, parsed (for the POLICY_CHECK question).
fn loaded_policy(root: &Path) -> Option<ParsedPolicy> {
    load::read_policy(root)
        .ok()
        .map(|t| crate::policy::parse::parse_policy(&t))
}

/// Whether `path` carries a signature in security.ima (type byte 3, EVM_IMA_XATTR_DIGSIG,
/// or 6, IMA_VERITY_DIGSIG), which a POLICY_CHECK appraisal needs.
fn has_ima_signature(path: &Path) -> bool {
    crate::fsops::get_xattr_nofollow(path, "security.ima")
        .is_ok_and(|v| matches!(v.first(), Some(3 | 6)))
}

fn load_checked(
    a: &LoadArgs,
    text: &str,
    parsed: &ParsedPolicy,
    profile: Profile,
    source: &str,
) -> i32 {
    let root = a
        .securityfs
        .clone()
        .unwrap_or_else(|| PathBuf::from(load::DEFAULT_SECURITYFS));
    if a.securityfs.is_none() && !a.dry_run {
        match load::ensure_securityfs() {
            Ok(m) => describe_mount(&m),
            Err((what, e)) => {
                eprintln!(
                    "imactl: cannot {what}: {} ({})",
                    errno_words(e.raw_os_error().unwrap_or(0)),
                    errno_name(e.raw_os_error().unwrap_or(0))
                );
                return 1;
            }
        }
    }
    if text.contains("imasig") {
        if let Some(w) = crate::keyring::proc_keys()
            .ok()
            .and_then(|k| crate::status::relying_on_user_ima(&k, None))
        {
            eprintln!("imactl: warning: {w}");
        }
    }
    let policy_file = load::policy_path(&root);
    let mut by_path = a.by_path;
    if !by_path {
        if let Some(current) = loaded_policy(&root) {
            if load::requires_signed_policy(&current) {
                eprintln!(
                    "imactl: the loaded policy appraises POLICY_CHECK, so the kernel takes only signed policies read by path: writing the path of {} instead of its rules (the file must carry a valid security.ima signature)",
                    a.file.display()
                );
                by_path = true;
            }
        }
    }
    if by_path {
        if let Some(why) = load::by_path_problem(text) {
            eprintln!(
                "imactl: cannot load {} by path: {why}; nothing was written",
                a.file.display()
            );
            return 1;
        }
    }
    let plan = if by_path {
        let abs = match std::fs::canonicalize(&a.file) {
            Ok(p) => p,
            Err(e) => {
                eprintln!(
                    "imactl: cannot resolve {}: {}",
                    a.file.display(),
                    crate::error::io_words(&e)
                );
                return 2;
            }
        };
        if !has_ima_signature(&abs) {
            eprintln!(
                "imactl: note: {} has no IMA signature in security.ima; a kernel that appraises POLICY_CHECK refuses it (EACCES)",
                abs.display()
            );
        }
        load::plan_by_path(&abs)
    } else {
        load::plan_rules(parsed)
    };
    if a.dry_run {
        let stdout = io::stdout();
        let mut out = stdout.lock();
        for w in &plan {
            let _ = out.write_all(&w.bytes);
        }
        let _ = out.flush();
        eprintln!(
            "imactl: dry run: {} to {} (checked for Linux {profile}); nothing written",
            plural(plan.len(), "write"),
            policy_file.display()
        );
        return 0;
    }
    let mut sink = match PolicyFile::open(&policy_file) {
        Ok(f) => f,
        Err(e) => {
            let code = e.raw_os_error().unwrap_or(0);
            let why = match code {
                libc::ENOENT => format!(
                    "IMA is not enabled, securityfs is not at {}, or the kernel already took its one policy for this boot (kernels without CONFIG_IMA_WRITE_POLICY remove the file after the first load)",
                    root.display()
                ),
                libc::EBUSY => "another process has the policy file open for writing".into(),
                libc::EACCES | libc::EPERM => {
                    "writing the IMA policy needs root (CAP_SYS_ADMIN), or the kernel made the file read-only after its one load".into()
                }
                _ => String::new(),
            };
            eprintln!(
                "imactl: cannot open {}: {} ({}){}{}",
                policy_file.display(),
                errno_words(code),
                errno_name(code),
                if why.is_empty() { "" } else { ": " },
                why
            );
            return 1;
        }
    };
    let result = load::write_plan(&mut sink, &plan);
    let closed = sink.close();
    let file = a.file.display();
    match result {
        Ok(_) => {}
        Err(WriteError::Refused {
            index,
            line,
            text,
            error,
        }) => {
            let code = error.raw_os_error().unwrap_or(0);
            let words = format!("{} ({})", errno_name(code), errno_words(code));
            match line {
                Some(l) => eprintln!(
                    "{file}:{l}: error: the kernel refused rule {} `{text}`: {words}",
                    index + 1
                ),
                None => eprintln!(
                    "{file}: error: the kernel refused the policy file given by path: {words}"
                ),
            }
            let hint = match code {
                libc::EACCES if line.is_none() => "the file needs a security.ima signature from a key in the IMA keyring (evmctl ima_sign), and every rule in it must be valid".to_string(),
                libc::EACCES => "the kernel takes only signed policies (an appraise func=POLICY_CHECK rule is in force): sign the file and load it with --by-path".to_string(),
                libc::EINVAL => format!("the rule passed the Linux {profile} checks; the kernel may lack an option it needs (CONFIG_IMA_APPRAISE_MODSIG for imasig|modsig and check_blacklist, CONFIG_IMA_MEASURE_ASYMMETRIC_KEYS for KEY_CHECK and keyrings=, an LSM for obj_/subj_ labels, the hash algorithm of appraise_algos) or be another version: try --kernel"),
                _ => String::new(),
            };
            if !hint.is_empty() {
                eprintln!("  hint: {hint}");
            }
            eprintln!(
                "imactl: stopped after {}; the kernel discards this batch when the file is closed, so nothing of {file} is loaded and the policy file stays for another try",
                plural(index, "accepted write")
            );
            return 1;
        }
        Err(WriteError::Short {
            line,
            text,
            wrote,
            expected,
            ..
        }) => {
            let at = line.map_or(String::new(), |l| format!(":{l}"));
            eprintln!(
                "{file}{at}: error: the kernel took {wrote} of the {expected} bytes of `{text}`, so it did not read the rule as written; stopped, nothing of {file} is loaded"
            );
            return 1;
        }
    }
    if let Err(e) = closed {
        let code = e.raw_os_error().unwrap_or(0);
        eprintln!(
            "imactl: closing {} failed: {} ({}); the kernel did not take the policy",
            policy_file.display(),
            errno_name(code),
            errno_words(code)
        );
        return 1;
    }
    if by_path {
        println!(
            "loaded {} ({}) by path into {}",
            file,
            plural(parsed.rules.len(), "rule"),
            policy_file.display()
        );
    } else {
        println!(
            "loaded {} from {} into {}",
            plural(parsed.rules.len(), "rule"),
            file,
            policy_file.display()
        );
    }
    eprintln!("imactl: the rules were checked for Linux {profile} ({source})");
    match load::after_load(&root) {
        AfterLoad::Writable => println!(
            "{} is still writable: this kernel accepts further rules (CONFIG_IMA_WRITE_POLICY)",
            policy_file.display()
        ),
        AfterLoad::ReadOnly => println!(
            "{} is now read-only: this kernel takes one policy per boot; the next change needs a reboot",
            policy_file.display()
        ),
        AfterLoad::Removed => println!(
            "{} is gone: this kernel takes one policy per boot (no CONFIG_IMA_WRITE_POLICY); the next change needs a reboot",
            policy_file.display()
        ),
    }
    if load::requires_signed_policy(parsed) {
        println!("this policy appraises POLICY_CHECK: later policies must be signed and loaded with --by-path");
    }
    0
}

fn show(a: ShowArgs) -> i32 {
    let root = a
        .securityfs
        .clone()
        .unwrap_or_else(|| PathBuf::from(load::DEFAULT_SECURITYFS));
    if a.securityfs.is_none() {
        match load::ensure_securityfs() {
            Ok(m) => describe_mount(&m),
            Err((what, e)) => {
                let code = e.raw_os_error().unwrap_or(0);
                eprintln!(
                    "imactl: cannot {what}: {} ({})",
                    errno_words(code),
                    errno_name(code)
                );
                return 1;
            }
        }
    }
    let path = load::policy_path(&root);
    match load::read_policy(&root) {
        Ok(text) => {
            if text.is_empty() {
                eprintln!("imactl: {} is empty: no rules are loaded", path.display());
            }
            print!("{text}");
            let parsed = crate::policy::parse::parse_policy(&text);
            eprintln!("imactl: {} in force", plural(parsed.rule_lines, "rule"));
            if load::requires_signed_policy(&parsed) {
                eprintln!("imactl: this policy appraises POLICY_CHECK: new policies must be signed and loaded with `imactl policy load --by-path`");
            }
            0
        }
        Err(e) => {
            let code = e.raw_os_error().unwrap_or(0);
            let why = match code {
                libc::EACCES => "the kernel was built without CONFIG_IMA_READ_POLICY (as Debian's 6.1 and 6.12 are), so the loaded policy cannot be read back; the policy in force is the boot-time one (ima_policy= on the kernel command line) plus whatever your boot scripts loaded".to_string(),
                libc::EPERM => "reading the IMA policy needs root (CAP_SYS_ADMIN)".to_string(),
                libc::ENOENT => format!("there is no {}: IMA is not enabled, or securityfs is not mounted at {}, or the kernel removed the file after its one load and cannot show the policy", path.display(), root.display()),
                _ => String::new(),
            };
            eprintln!(
                "imactl: cannot read {}: {} ({}){}{}",
                path.display(),
                errno_words(code),
                errno_name(code),
                if why.is_empty() { "" } else { ": " },
                why
            );
            1
        }
    }
}
