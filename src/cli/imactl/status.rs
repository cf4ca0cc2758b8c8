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
}

/// Exit status: 0 protected, 3 protected against accidents only, 4 not protected, 5
/// unknown.
pub fn run(a: StatusArgs) -> i32 {
    if !a.root.is_dir() {
        let message = format!("{}: not a directory", a.root.display());
        eprintln!("imactl: {message}");
        if a.json {
            super::json::print(&super::json::error("status", "bad-root", &message));
        }
        return 1;
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
