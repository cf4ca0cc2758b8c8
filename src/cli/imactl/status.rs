//! `imactl status`: is kexec protected on this machine, and if not, why not. The facts
//! are read by status::gather, judged by status::assess; this prints.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::status::{self, Verdict};

#[derive(Args, Debug)]
pub struct StatusArgs {
    /// Print JSON: {release, checks: [{name, state, detail}], keyrings: [{name, serial,
    /// keys, members, role}], verdict, reasons, first_step}.
    #[arg(long)]
    pub json: bool,
    /// Read /proc, /sys, /boot and /etc under DIR instead of / (for tests).
    #[arg(long, value_name = "DIR", default_value = "/", hide = true)]
    pub root: PathBuf,
    /// Preflight one kexec image instead: predict whether kexec_file_load would take it
    /// here. Prints exactly one line starting with "prediction: " followed by load,
    /// refuse or unknown, then optionally " (reason)". Exit status 0 for load, 1 for
    /// refuse or unknown, 2 for bad arguments or a file that cannot be read (named).
    #[arg(long, value_name = "IMAGE")]
    pub kexec: Option<PathBuf>,
    /// With --kexec: the initramfs to load with it (appraised at KEXEC_INITRAMFS_CHECK).
    #[arg(long, value_name = "FILE", requires = "kexec")]
    pub initrd: Option<PathBuf>,
    /// With --kexec: a certificate whose key is in .ima, to check IMA signatures with
    /// (repeatable). Without it, on the live system, the kernel checks them with the keys
    /// in .ima (KEYCTL_PKEY_VERIFY).
    #[arg(long, value_name = "CERT", requires = "kexec")]
    pub cert: Vec<PathBuf>,
}

/// `--kexec IMAGE`: the preflight. Exit 0 load, 1 refuse or unknown, 2 unreadable input.
fn run_kexec(a: &StatusArgs, image: &std::path::Path) -> i32 {
    let mut certs = Vec::new();
    for c in &a.cert {
        match crate::keys::Certificate::load(c) {
            Ok(c) => certs.push(c),
            Err(e) => {
                eprintln!("imactl: {e}");
                return super::EXIT_USAGE;
            }
        }
    }
    let facts = status::gather::gather(&a.root);
    let mut unreadable = facts.unreadable.clone();
    let ev = match status::evidence::gather(
        &facts,
        &a.root,
        image,
        a.initrd.as_deref(),
        &certs,
        &mut unreadable,
    ) {
        Ok(ev) => ev,
        Err(e) => {
            eprintln!("imactl: {}", e.0);
            return super::EXIT_USAGE;
        }
    };
    for u in &unreadable {
        eprintln!("imactl: warning: {u}");
    }
    let enforcing = status::preflight::appraise_enforcing(&facts);
    let p = status::preflight::predict(&facts, ev, enforcing);
    let mut out = std::io::stdout().lock();
    let r = if a.json {
        writeln!(
            out,
            "{}",
            super::json::envelope("status", serde_json::to_value(&p).expect("serializable"))
        )
    } else {
        write!(out, "{}", p.to_text())
    };
    if r.is_err() {
        return 1;
    }
    i32::from(p.prediction != "load")
}

/// Exit status: 0 protected, 3 protected against accidents only, 4 not protected, 5
/// unknown. With --kexec: 0 load, 1 refuse or unknown, 2 bad arguments or unreadable input.
pub fn run(a: StatusArgs) -> i32 {
    if !a.root.is_dir() {
        let message = format!("{}: not a directory", a.root.display());
        eprintln!("imactl: {message}");
        if a.json {
            super::json::print(&super::json::error("status", "bad-root", &message));
        }
        return if a.kexec.is_some() {
            super::EXIT_USAGE
        } else {
            1
        };
    }
    if let Some(image) = a.kexec.clone() {
        if a.root == std::path::Path::new("/") {
            let _ = crate::keyring::possess_user_keyring();
        }
        return run_kexec(&a, &image);
    }
    if a.root == std::path::Path::new("/") {
        let _ = crate::keyring::possess_user_keyring();
    }
    let facts = status::gather::gather(&a.root);
    for u in &facts.unreadable {
        eprintln!("imactl: warning: {u}");
    }
    let report = status::assess(&facts);
    let mut out = std::io::stdout().lock();
    let r = if a.json {
        writeln!(
            out,
            "{}",
            super::json::envelope(
                "status",
                serde_json::to_value(&report).expect("serializable")
            )
        )
    } else {
        write!(out, "{}", report.to_text())
    };
    if r.is_err() {
        return 1;
    }
    match report.verdict {
        Verdict::Protected => 0,
        Verdict::AccidentsOnly => 3,
        Verdict::NotProtected => 4,
        Verdict::Unknown => 5,
    }
}
