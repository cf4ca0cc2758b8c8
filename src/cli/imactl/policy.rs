//! `imactl policy check|load|show`: turns the arguments into calls of
//! [`crate::policy`] and prints the results. Diagnostics of `check` go to stdout (they are
//! the command's output); `load` and `show` report problems on stderr.

use super::exit::{EXIT_FAIL, EXIT_OK, EXIT_USAGE};
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use crate::error::{errno_name, errno_words};
use crate::escape;
use crate::input::{
    is_stdin, read_input_or_stdin_string, source_name, stdin_at_most_once, InputKind,
};
use crate::policy::load::{self, MountAction};
use crate::policy::plan::{self, LoadNote, LoadRequest, Remedy, System};
use crate::policy::validate::{check_text, Report};

use super::policy_lockout::{lockout_check, Lockout, LockoutArgs};
use crate::policy::{choose_profile, Diagnostic, Profile, ProfileSource, Severity};

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
    /// Policy files; - reads the policy from standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Kernel to check for: 6.1, 6.12, 7.2 or any release from 6.1 on (default: the running
    /// kernel, from uname).
    #[arg(long, value_name = "VER", value_parser = super::values::kernel(), hide_possible_values = true)]
    pub kernel: Option<String>,
    /// Print the findings as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Args, Debug)]
#[command(
    after_help = "Before anything is written, the rules are checked against the programs this \
system runs now: the executable of every process (/proc/PID/exe) and, when an appraise rule \
could match a mapping, the files each maps executable (/proc/PID/maps). A file the new policy \
would have the kernel refuse (no security.ima, a hash where a signature is required, a hash \
that does not match, a signature that does not verify with the IMA keyring) stops the load: \
exit 1, nothing written, the files named with the cause and the rule. Ways out: sign them \
first (evmctl ima_sign -r --key KEY DIR), try the policy with ima_appraise=log on the kernel \
command line, or --force. When appraisal does not enforce on this boot (ima_appraise= without \
Secure Boot), or with --force, the finding is a warning and the policy is loaded; --dry-run \
reports it. Files that cannot be judged here (LSM labels, the ids of the process that will run \
it) are a warning."
)]
pub struct LoadArgs {
    /// The policy file; - reads it from standard input (not with --by-path).
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
    #[arg(long, value_name = "VER", value_parser = super::values::kernel(), hide_possible_values = true)]
    pub kernel: Option<String>,
    /// Load even when programs this system is running now would be refused by the new
    /// policy (the finding is still printed, as a warning).
    #[arg(long)]
    pub force: bool,
    /// Read /proc (the running programs, the kernel command line) and /sys (Secure Boot)
    /// under DIR instead of / (for tests).
    #[arg(long, value_name = "DIR", default_value = "/", hide = true)]
    pub root: PathBuf,
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// Where securityfs is mounted (default /sys/kernel/security, mounted if needed).
    #[arg(long, value_name = "DIR")]
    pub securityfs: Option<PathBuf>,
    /// Print one JSON object: {version, command, policy_file, rules, demands_signed_policies}
    /// or {version, command, error}.
    #[arg(long)]
    pub json: bool,
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
pub(crate) fn resolve_profile(kernel: Option<&str>) -> Result<(Profile, String), String> {
    let (profile, source) = choose_profile(kernel).map_err(|e| e.to_string())?;
    let phrase = match source {
        ProfileSource::Requested(v) => format!("--kernel {v}"),
        ProfileSource::Running(release) => format!("running kernel {release}"),
        ProfileSource::RunningOlder(release) => format!(
            "running kernel {release}, older than {}: using the oldest profile",
            Profile::ALL[0]
        ),
    };
    Ok((profile, phrase))
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
        source_name(file),
        d.line,
        d.column,
        escape::terminal(&d.message)
    )?;
    if let Some(h) = &d.hint {
        writeln!(out, "  hint: {}", escape::terminal(h))?;
    }
    Ok(())
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
            if a.json {
                super::json::print(&super::json::error("policy check", "bad-kernel", &e));
            }
            return EXIT_USAGE;
        }
    };
    if let Err(e) = stdin_at_most_once(a.files.iter().map(PathBuf::as_path)) {
        eprintln!("imactl: {e}");
        if a.json {
            super::json::print(&super::json::error("policy check", "stdin-twice", &e));
        }
        return EXIT_USAGE;
    }
    let mut failed = false;
    let mut unreadable = false;
    let mut results = Vec::new();
    let mut unread = Vec::new();
    for f in &a.files {
        match read_input_or_stdin_string(f, InputKind::Policy) {
            Ok(text) => {
                let (_, report) = check_text(&text, profile);
                failed |= report.fails(a.strict);
                results.push((f.clone(), report));
            }
            Err(e) => {
                let message = format!("cannot read {}: {e}", source_name(f));
                eprintln!("imactl: {message}");
                unread.push(serde_json::json!({
                    "file": source_name(f).to_string(),
                    "valid": false,
                    "error": { "code": "unreadable", "message": message },
                }));
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
                file: source_name(f).to_string(),
                valid: r.is_valid(),
                errors: r.errors(),
                warnings: r.warnings(),
                report: r,
            })
            .collect();
        let mut files: Vec<serde_json::Value> = files
            .iter()
            .map(|f| serde_json::to_value(f).expect("serialisable"))
            .collect();
        files.extend(unread);
        let doc = serde_json::json!({
            "profile": profile.name(),
            "profile_source": source,
            "strict": a.strict,
            "valid": !failed && !unreadable,
            "files": files,
        });
        let _ = writeln!(out, "{}", super::json::envelope("policy check", doc));
    } else {
        // The findings are this command's output (a linter's): on stdout, so that
        // `imactl policy check F | grep error` finds them.
        for (f, r) in &results {
            for d in &r.diagnostics {
                let _ = print_diagnostic(&mut out, f, d);
            }
            let verdict = if r.fails(a.strict) { "FAILED" } else { "ok" };
            let _ = writeln!(
                out,
                "{}: {}, {}, {} for Linux {} ({}): {verdict}",
                source_name(f),
                plural(r.rules, "rule"),
                plural(r.errors(), "error"),
                plural(r.warnings(), "warning"),
                profile,
                source
            );
        }
    }
    if unreadable {
        EXIT_USAGE
    } else if failed {
        EXIT_FAIL
    } else {
        EXIT_OK
    }
}

fn load_cmd(a: LoadArgs) -> i32 {
    let (profile, source) = match resolve_profile(a.kernel.as_deref()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("imactl: {e}");
            return EXIT_USAGE;
        }
    };
    if a.by_path && is_stdin(&a.file) {
        // Refused before standard input is read: the kernel reads a policy given by path.
        eprintln!(
            "imactl: {}",
            plan::LoadError::ByPathFromStdin { demanded: false }
        );
        return EXIT_USAGE;
    }
    let text = match read_input_or_stdin_string(&a.file, InputKind::Policy) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("imactl: cannot read {}: {e}", source_name(&a.file));
            return EXIT_USAGE;
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
    let req = LoadRequest {
        file: &a.file,
        text: &text,
        parsed: &parsed,
        report: &report,
        profile,
        profile_source: &source,
        securityfs: a.securityfs.as_deref(),
        by_path: a.by_path,
        dry_run: a.dry_run,
    };
    let mut notes = Vec::new();
    let planned = plan::plan_load(&req, &mut System, &mut notes);
    for n in &notes {
        eprintln!("imactl: {n}");
    }
    let plan = match planned {
        Ok(p) => p,
        Err(e) => return report_load_error(&e),
    };
    if text.contains("imasig") {
        if let Some(w) = crate::keyring::proc_keys()
            .ok()
            .and_then(|k| crate::status::relying_on_user_ima(&k, None))
        {
            eprintln!("imactl: warning: {w}");
        }
    }
    let args = LockoutArgs {
        file: &a.file,
        root: &a.root,
        dry_run: a.dry_run,
        force: a.force,
    };
    let lockout = lockout_check(&args, &parsed, &plan.securityfs);
    if lockout == Lockout::Refuse {
        // Leave the system as found: unmount what the load mounted; nothing was written.
        for e in plan::undo_mounts(&notes) {
            eprintln!("imactl: warning: {e}");
        }
        return EXIT_FAIL;
    }
    if a.dry_run {
        print_dry_run(&plan, profile, a.securityfs.is_none());
        return EXIT_OK;
    }
    let result = plan::run_load(&plan, &a.file, profile, &mut System);
    // Leave the system as found: unmount what the load mounted.
    for e in plan::undo_mounts(&notes) {
        eprintln!("imactl: warning: {e}");
    }
    let loaded = match result {
        Ok(l) => l,
        Err(e) => return report_load_error(&e),
    };
    let (file, target) = (source_name(&a.file), plan.policy_file.display());
    let rules = plural(plan.rules, "rule");
    if plan.by_path {
        println!("loaded {file} ({rules}) by path into {target}");
    } else {
        println!("loaded {rules} from {file} into {target}");
    }
    eprintln!("imactl: the rules were checked for Linux {profile} ({source})");
    println!("{}", loaded.after.describe(&plan.policy_file));
    if plan.demands_signed_policies {
        println!("this policy appraises POLICY_CHECK: later policies must be signed and loaded with --by-path");
    }
    0
}

/// The output of `policy load --dry-run`: the writes on stdout, what they would do on
/// stderr. `default_root`: no --securityfs (a real load would mount securityfs there).
fn print_dry_run(plan: &plan::LoadPlan, profile: Profile, default_root: bool) {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let tty = io::stdout().is_terminal();
    for w in &plan.writes {
        let _ = if tty {
            out.write_all(escape::terminal_lines(&String::from_utf8_lossy(&w.bytes)).as_bytes())
        } else {
            out.write_all(&w.bytes)
        };
    }
    let _ = out.flush();
    eprintln!(
        "imactl: dry run: {} to {} (checked for Linux {profile}); nothing written",
        plural(plan.writes.len(), "write"),
        plan.policy_file.display()
    );
    // A real load would mount securityfs at the default place; anything else stops it.
    let state = crate::policy::state::policy_file_state(&plan.securityfs);
    let mounts = default_root
        && matches!(
            state,
            crate::policy::state::PolicyFileState::NoSecurityfs { .. }
        );
    if let Some(why) = state.why_not(&plan.securityfs).filter(|_| !mounts) {
        eprintln!("imactl: dry run: a real load would fail on this kernel: {why}");
    }
}

/// Prints a load failure with this front end's advice; returns the exit code.
fn report_load_error(e: &plan::LoadError) -> i32 {
    if e.is_located() {
        eprintln!("{e}");
    } else {
        eprintln!("imactl: {e}");
    }
    if let Some((why, remedy)) = e.explanation() {
        let advice = match remedy {
            Some(Remedy::SignAndLoadByPath) => ": sign the file and load it with --by-path",
            Some(Remedy::CheckForAnotherKernel) => ": try --kernel",
            None => "",
        };
        eprintln!("  hint: {why}{advice}");
    }
    if let Some(after) = e.aftermath() {
        eprintln!("imactl: {after}");
    }
    match e {
        plan::LoadError::Resolve { .. } | plan::LoadError::ByPathFromStdin { demanded: false } => {
            EXIT_USAGE
        }
        _ => EXIT_FAIL,
    }
}

fn describe_mount(m: &MountAction) {
    if let MountAction::Mounted { sysfs_too } = m {
        if *sysfs_too {
            eprintln!("imactl: {}", LoadNote::MountedSysfs);
        }
        eprintln!("imactl: {}", LoadNote::MountedSecurityfs);
    }
}

fn show(a: ShowArgs) -> i32 {
    let root = a
        .securityfs
        .clone()
        .unwrap_or_else(|| PathBuf::from(load::DEFAULT_SECURITYFS));
    let fail = |code: &str, message: String| {
        eprintln!("imactl: {message}");
        if a.json {
            super::json::print(&super::json::error("policy show", code, &message));
        }
        EXIT_FAIL
    };
    if a.securityfs.is_none() {
        match load::ensure_securityfs() {
            Ok(m) => describe_mount(&m),
            Err(e) => return fail("mount", e.to_string()),
        }
    }
    let path = load::policy_path(&root);
    match load::read_policy(&root) {
        Ok(text) => {
            if text.is_empty() {
                eprintln!("imactl: {} is empty: no rules are loaded", path.display());
            }
            let parsed = crate::policy::parse::parse_policy(&text);
            let signed = load::requires_signed_policy(&parsed);
            if a.json {
                let rules: Vec<&str> = text
                    .lines()
                    .map(str::trim_end)
                    .filter(|l| !l.is_empty())
                    .collect();
                let doc = serde_json::json!({
                    "policy_file": path.display().to_string(),
                    "rules": rules,
                    "demands_signed_policies": signed,
                });
                if !super::json::print(&super::json::envelope("policy show", doc)) {
                    return EXIT_FAIL;
                }
            } else if io::stdout().is_terminal() {
                print!("{}", escape::terminal_lines(&text));
            } else {
                print!("{text}");
            }
            eprintln!("imactl: {} in force", plural(parsed.rule_lines, "rule"));
            if signed {
                eprintln!("imactl: this policy appraises POLICY_CHECK: new policies must be signed and loaded with `imactl policy load --by-path`");
            }
            EXIT_OK
        }
        Err(e) if e.raw_os_error().is_none() => {
            eprintln!("imactl: cannot read {}: {}", path.display(), e);
            EXIT_USAGE
        }
        Err(e) => {
            let code = e.raw_os_error().unwrap_or(0);
            let why = load::explain_read_error(code, &root).unwrap_or_default();
            fail(
                "unreadable",
                format!(
                    "cannot read {}: {} ({}){}{}",
                    path.display(),
                    errno_words(code),
                    errno_name(code),
                    if why.is_empty() { "" } else { ": " },
                    why
                ),
            )
        }
    }
}
