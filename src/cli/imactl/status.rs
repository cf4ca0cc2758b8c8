//! `imactl status`: is kexec protected on this machine, and if not, why not. The facts
//! are read by status::gather, judged by status::assess; this prints.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::status::{self, Verdict};

use super::exit::Failure;

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
    /// refuse or unknown (or a --cert that is not a certificate), 2 for bad arguments or a
    /// file that cannot be read (named).
    #[arg(long, value_name = "IMAGE")]
    pub kexec: Option<PathBuf>,
    /// With --kexec: the initramfs to load with it (appraised at KEXEC_INITRAMFS_CHECK).
    #[arg(long, value_name = "FILE", requires = "kexec")]
    pub initrd: Option<PathBuf>,
    /// With --kexec: a certificate whose key is in .ima, to check IMA signatures with
    /// (repeatable). Without it, on the live system, the kernel is asked to check them
    /// with the keys in the IMA keyring (KEYCTL_PKEY_VERIFY); the kernel-made .ima grants
    /// userspace only "view" of its keys, so there a signature is not checked and the
    /// prediction is unknown: give the certificates.
    #[arg(long, value_name = "CERT")]
    pub cert: Vec<PathBuf>,
    /// List every installed kernel (the versions in /boot and /lib/modules; the image
    /// kdump would load for each, found as `imactl kernel-hook` finds it) and predict, with
    /// the running kernel's gates, whether kexec and kdump could load each today: one line
    /// "kernel VERSION IMAGE: load|refuse|unknown (reason)" per kernel. Exit status 0 when
    /// every one loads, 1 otherwise (or when none is found, or a --cert is not a
    /// certificate), 2 for bad arguments or a --cert that cannot be read.
    #[arg(long, conflicts_with_all = ["kexec", "initrd"])]
    pub kernels: bool,
}

/// The kernel versions installed under `root`: `vmlinuz-VERSION` in the boot directories
/// and the directories of /lib/modules, sorted, once each.
fn installed_versions(root: &std::path::Path) -> Vec<String> {
    let mut v = std::collections::BTreeSet::new();
    for dir in ["boot", "boot/efi", "efi"] {
        if let Ok(rd) = std::fs::read_dir(root.join(dir)) {
            for e in rd.flatten() {
                if let Some(ver) = e
                    .file_name()
                    .to_str()
                    .and_then(|n| n.strip_prefix("vmlinuz-"))
                {
                    if !ver.is_empty() {
                        v.insert(ver.to_string());
                    }
                }
            }
        }
    }
    if let Ok(rd) = std::fs::read_dir(root.join("lib/modules")) {
        for e in rd.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                if let Some(n) = e.file_name().to_str() {
                    v.insert(n.to_string());
                }
            }
        }
    }
    v.into_iter().collect()
}

/// One installed kernel and its prediction.
#[derive(serde::Serialize)]
struct KernelPrediction {
    version: String,
    image: Option<String>,
    found_as: Option<String>,
    prediction: &'static str,
    reason: String,
}

/// The certificates of --cert; one that cannot be loaded is named, and the exit status is
/// 2 when the file cannot be read, 1 when it is read and is not a certificate.
fn load_certs(a: &StatusArgs) -> Result<Vec<crate::keys::Certificate>, i32> {
    a.cert
        .iter()
        .map(|c| crate::keys::Certificate::load(c).map_err(|e| Failure::key(&e).report()))
        .collect()
}

/// `--kernels`: every installed kernel and whether kexec and kdump could load it today.
fn run_kernels(a: &StatusArgs) -> i32 {
    let certs = match load_certs(a) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let facts = status::gather::gather(&a.root);
    for u in &facts.unreadable {
        eprintln!("imactl: warning: {u}");
    }
    let enforcing = status::preflight::appraise_enforcing(&facts);
    let mut list = Vec::new();
    for version in installed_versions(&a.root) {
        let Some(target) = crate::kernel_hook::image::find_target(&a.root, &version, None) else {
            list.push(KernelPrediction {
                version,
                image: None,
                found_as: None,
                prediction: "refuse",
                reason: "no image found (no vmlinuz-VERSION, BLS entry or UKI): kdump has \
                         nothing to load"
                    .into(),
            });
            continue;
        };
        let mut unreadable = Vec::new();
        let (prediction, reason) = match status::evidence::gather(
            &facts,
            &a.root,
            &target.path,
            None,
            &certs,
            &mut unreadable,
        ) {
            Ok(ev) => {
                let p = status::preflight::predict(&facts, ev, enforcing);
                (p.prediction, p.reason)
            }
            Err(e) => ("unknown", e.0),
        };
        list.push(KernelPrediction {
            version,
            image: Some(target.path.display().to_string()),
            found_as: Some(target.kind),
            prediction,
            reason,
        });
    }
    let mut out = std::io::stdout().lock();
    let r = if a.json {
        writeln!(
            out,
            "{}",
            super::json::envelope(
                "status",
                serde_json::json!({ "kernels": serde_json::to_value(&list).expect("serializable") })
            )
        )
    } else if list.is_empty() {
        writeln!(
            out,
            "no installed kernel found under {} (boot/vmlinuz-*, lib/modules/*)",
            crate::escape::terminal(&a.root.display().to_string())
        )
    } else {
        list.iter().try_for_each(|k| {
            writeln!(
                out,
                "kernel {} {}: {} ({})",
                crate::escape::terminal(&k.version),
                crate::escape::terminal(k.image.as_deref().unwrap_or("-")),
                k.prediction,
                crate::escape::terminal(&k.reason)
            )
        })
    };
    if r.is_err() {
        return 1;
    }
    i32::from(list.is_empty() || list.iter().any(|k| k.prediction != "load"))
}

/// `--kexec IMAGE`: the preflight. Exit 0 load, 1 refuse or unknown (or a --cert that is
/// not a certificate), 2 unreadable input.
fn run_kexec(a: &StatusArgs, image: &std::path::Path) -> i32 {
    let certs = match load_certs(a) {
        Ok(c) => c,
        Err(code) => return code,
    };
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
    if !a.cert.is_empty() && a.kexec.is_none() && !a.kernels {
        eprintln!("imactl: --cert needs --kexec or --kernels");
        return super::EXIT_USAGE;
    }
    if a.kernels {
        if a.root == std::path::Path::new("/") {
            let _ = crate::keyring::possess_user_keyring();
        }
        return run_kernels(&a);
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
