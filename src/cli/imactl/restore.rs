//! `imactl restore`: security.ima re-applied from the rpm database, a package file or .sig
//! files, never onto a file whose content is not the recorded one (src/restore/).

use std::path::PathBuf;

use clap::Args;

use crate::restore::{self, Action, Options, Record, RpmSource};

use super::exit::Failure;

/// Exit status 3: nothing refused and no error, but some files were skipped.
pub const EXIT_SKIPPED: i32 = 3;

#[derive(Args, Debug)]
#[command(
    after_help = "Before anything is written, the file's content must be the recorded one: \
its digest equals the package's FILEDIGESTS (with FILEDIGESTALGO), and the value verifies over \
it (a signature with a certificate in /etc/keys/ima or, when the root is /, a key in the IMA \
keyring; a hash by comparison). A changed file is refused and never written. After writing, \
the value is read back and checked, and removed when it does not verify. Directories and \
symbolic links are passed over; %config files are skipped unless --config; a filesystem \
without extended attributes is named.\n\n\
Exit status: 0 every file restored or carrying its value already, 3 some skipped (no value \
recorded, %config, not there, no xattrs), 1 a file refused or an error (also a \
--resign-with key that is read but cannot be used), 2 bad arguments, a --package file or \
a --resign-with key file that cannot be read."
)]
pub struct RestoreArgs {
    /// Installed package names (default: every installed package); with --sigfiles, the files.
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Read the values from this package file instead of the rpm database.
    #[arg(long, value_name = "FILE", conflicts_with = "sigfiles")]
    pub package: Option<PathBuf>,
    /// The NAMEs are files; each one's value is in FILE.sig (what evmctl --sigfile writes).
    #[arg(long)]
    pub sigfiles: bool,
    /// Work on the system below DIR (rpm --root DIR; paths are taken below it).
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    /// Say what would be done; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Include %config files.
    #[arg(long)]
    pub config: bool,
    /// Sign with KEY (a file or a pkcs11: URI; password or PIN from EVMCTL_KEY_PASSWORD or
    /// a prompt) the files whose recorded value cannot be applied (none recorded, or not
    /// verifiable with the trusted keys) when their content is the package's (FILEDIGESTS).
    /// The key's certificate must be in /etc/keys/ima: the new value is checked with it.
    #[arg(long, value_name = "KEY", conflicts_with = "sigfiles")]
    pub resign_with: Option<std::ffi::OsString>,
    /// The digest algorithm for --resign-with.
    #[arg(
        long,
        value_name = "ALGO",
        default_value = "sha256",
        requires = "resign_with"
    )]
    pub hash: String,
    /// Print JSON: {"files": [{"path", "action", "reason", "origin"}], "summary": {...}}.
    #[arg(long)]
    pub json: bool,
}

fn records(a: &RestoreArgs) -> Result<Vec<Result<Record, String>>, String> {
    if a.sigfiles {
        let files: Vec<PathBuf> = a.names.iter().map(PathBuf::from).collect();
        return Ok(restore::records::from_sigfiles(&a.root, &files));
    }
    let source = match &a.package {
        Some(f) if !a.names.is_empty() => {
            return Err(format!(
                "--package {} reads one package file: no NAME goes with it",
                f.display()
            ))
        }
        Some(f) => RpmSource::File(f),
        None => RpmSource::Database(&a.names),
    };
    Ok(restore::records::from_rpm(&a.root, source)?
        .into_iter()
        .map(Ok)
        .collect())
}

/// The --resign-with key, opened (a password or PIN from EVMCTL_KEY_PASSWORD or a prompt).
/// On failure, its exit status and message, and the --json error code: bad-hash (a usage
/// error, 2), unreadable (a key file that cannot be read, 2) or bad-key (a key read but
/// not usable, or a token's refusal, 1).
fn open_resign(a: &RestoreArgs) -> Result<Option<restore::Resign>, (Failure, &'static str)> {
    let Some(k) = &a.resign_with else {
        return Ok(None);
    };
    let hash = crate::hash::HashAlgo::from_name(&a.hash)
        .map_err(|e| (Failure::usage(format!("--hash: {e}")), "bad-hash"))?;
    let key = crate::keyref::KeyRef::parse(k);
    let signer = super::modsig::open_signer(&key, crate::cli::evmctl::opts::ENV_KEY_PASSWORD)
        .map_err(|f| {
            let code = if f.status == super::EXIT_USAGE {
                "unreadable"
            } else {
                "bad-key"
            };
            (f, code)
        })?;
    Ok(Some(restore::Resign {
        signer,
        hash,
        key: key.display(),
    }))
}

/// The inputs checked before rpm is asked: the operands, the package file and the
/// --resign-with key. Err: the exit status, the message printed (and the JSON error).
fn check_inputs(a: &RestoreArgs) -> Result<Option<restore::Resign>, i32> {
    if a.sigfiles && a.names.is_empty() {
        eprintln!("imactl: restore --sigfiles needs the FILEs whose FILE.sig to apply");
        return Err(super::EXIT_USAGE);
    }
    // The package file is read by rpm; one that cannot be read at all is named here, as
    // an input the command cannot run with (exit 2), before rpm is asked. A file that is
    // read but is not a package is rpm's refusal (1).
    if let Some(f) = &a.package {
        if let Err(e) = crate::input::open_regular(f) {
            let message = format!("{}: cannot read: {e}", f.display());
            if a.json {
                super::json::print(&super::json::error("restore", "unreadable", &message));
            }
            eprintln!("imactl: {message}");
            return Err(super::EXIT_USAGE);
        }
    }
    // The --resign-with key (and --hash) are checked before rpm is asked too.
    open_resign(a).map_err(|(f, code)| {
        if a.json {
            super::json::print(&super::json::error("restore", code, &f.message));
        }
        f.report()
    })
}

pub fn run(a: RestoreArgs) -> i32 {
    let resign = match check_inputs(&a) {
        Ok(r) => r,
        Err(status) => return status,
    };
    let recs = match records(&a) {
        Ok(r) => r,
        Err(e) => {
            if a.json {
                super::json::print(&super::json::error("restore", "source", &e));
            }
            eprintln!("imactl: {e}");
            return super::EXIT_FAIL;
        }
    };
    let keys = crate::kernel_hook::keys::trust_keys(&a.root);
    let opts = Options {
        root: a.root.clone(),
        dry_run: a.dry_run,
        config: a.config,
        resign,
    };
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    let mut rows = Vec::new();
    for rec in recs {
        let (path, origin, action) = match rec {
            Ok(r) => (
                r.path.clone(),
                r.origin.clone(),
                restore::restore_one(&r, &opts, &keys),
            ),
            Err(e) => (PathBuf::new(), String::new(), Action::Error(e)),
        };
        *counts.entry(action.code()).or_default() += 1;
        let reason = match &action {
            Action::Skipped(r) | Action::NotAFile(r) | Action::Refused(r) | Action::Error(r) => {
                Some(r.clone())
            }
            _ => None,
        };
        if a.json {
            rows.push(serde_json::json!({
                "path": path.display().to_string(),
                "action": action.code(),
                "reason": reason,
                "origin": origin,
            }));
        } else if !matches!(action, Action::Present | Action::NotAFile(_)) {
            let verb = match (&action, a.dry_run) {
                (Action::Restored, true) => "would restore".to_string(),
                (Action::Resigned, true) => "would re-sign".to_string(),
                (Action::Resigned, false) => format!(
                    "re-signed with {}",
                    a.resign_with
                        .as_deref()
                        .unwrap_or_default()
                        .to_string_lossy()
                ),
                (a, _) => a.code().to_string(),
            };
            let tail = reason.map(|r| format!(": {r}")).unwrap_or_default();
            let line = format!("{}: {verb}{tail}", path.display());
            println!("{}", crate::escape::terminal(&line));
        }
    }
    let n = |k: &str| counts.get(k).copied().unwrap_or(0);
    let failed = n("refused") + n("error") > 0;
    if a.json {
        let doc = serde_json::json!({
            "dry_run": a.dry_run,
            "files": rows,
            "summary": {
                "restored": n("restored"), "resigned": n("resigned"), "present": n("present"), "skipped": n("skipped"),
                "refused": n("refused"), "errors": n("error"),
            },
        });
        if !super::json::print(&super::json::envelope("restore", doc)) {
            return super::EXIT_FAIL;
        }
    } else {
        println!(
            "{} {}, {} {}, {} carrying it already, {} skipped, {} refused, {} errors",
            n("restored"),
            if a.dry_run { "to restore" } else { "restored" },
            n("resigned"),
            if a.dry_run { "to re-sign" } else { "re-signed" },
            n("present"),
            n("skipped"),
            n("refused"),
            n("error")
        );
    }
    if failed {
        super::EXIT_FAIL
    } else if n("skipped") > 0 {
        EXIT_SKIPPED
    } else {
        super::EXIT_OK
    }
}
