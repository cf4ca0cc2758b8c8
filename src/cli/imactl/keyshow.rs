//! `imactl key show CERT...`: what a certificate says and what the kernel will think of
//! it as an IMA key. The analysis is keys::inspect.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::keys::inspect;
use crate::keys::Certificate;

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// Certificate files, PEM or DER; - reads one from standard input.
    #[arg(required = true, value_name = "CERT")]
    pub certs: Vec<PathBuf>,
    /// Print one JSON object: {version, command, certificates: [{path, subject, issuer, serial, not_before, not_after,
    /// algorithm, bits, skid, akid, ima_keyid, basic_constraints, key_usage,
    /// extended_key_usage, is_ca, self_signed, expired, ima_acceptable, machine_acceptable,
    /// machine_acceptable_max, findings}],
    /// errors: [{path, error: {code, message}}]}; the code is unreadable for a file that
    /// cannot be read, not-a-certificate for one read that is not a certificate.
    #[arg(long)]
    pub json: bool,
}

/// Exit status: 0 when every certificate was read, 1 when one could not be (not a
/// certificate, or a file that cannot be read: each CERT is one verdict, as documented).
pub fn run(a: ShowArgs) -> i32 {
    if let Err(e) = crate::input::stdin_at_most_once(a.certs.iter().map(PathBuf::as_path)) {
        eprintln!("imactl: {e}");
        if a.json {
            super::json::print(&super::json::error("key show", "stdin-twice", &e));
        }
        return super::EXIT_USAGE;
    }
    let now = std::time::SystemTime::now();
    let mut reports = Vec::new();
    let mut errors = Vec::new();
    for p in &a.certs {
        match Certificate::load_or_stdin(p) {
            Ok(c) => reports.push(inspect::analyse(&c, now)),
            Err(e) => {
                eprintln!("imactl: {e}");
                // The same code as a file other commands cannot read (policy check,
                // restore); a file read but not a certificate is not-a-certificate.
                let code = if e.is_unreadable() {
                    "unreadable"
                } else {
                    "not-a-certificate"
                };
                errors.push(serde_json::json!({
                    "path": crate::input::source_name(p).to_string(),
                    "error": { "code": code, "message": e.to_string() },
                }));
            }
        }
    }
    let failed = !errors.is_empty();
    let mut out = std::io::stdout().lock();
    let r = if a.json {
        let doc = serde_json::json!({ "certificates": reports, "errors": errors });
        writeln!(out, "{}", super::json::envelope("key show", doc))
    } else {
        let mut text = String::new();
        for (i, r) in reports.iter().enumerate() {
            if i > 0 {
                text.push('\n');
            }
            text.push_str(&r.to_text());
        }
        write!(out, "{text}")
    };
    if r.is_err() {
        return 1;
    }
    i32::from(failed)
}
