//! `imactl verify --packages [PKG...]`: an rpm -V for IMA (src/restore/check.rs).

use std::path::{Path, PathBuf};

use crate::restore::check::{self, State};
use crate::restore::records::{self, RpmSource};

/// Checks the files of the packages `files` names (all when empty) below `root`.
pub fn run(root: Option<&Path>, files: &[PathBuf], json: bool) -> i32 {
    let root = root.map_or_else(|| PathBuf::from("/"), Path::to_path_buf);
    let names: Vec<String> = files
        .iter()
        .map(|f| f.to_string_lossy().into_owned())
        .collect();
    let recs = match records::from_rpm(&root, RpmSource::Database(&names)) {
        Ok(r) => r,
        Err(e) => {
            if json {
                super::json::print(&super::json::error("verify", "source", &e));
            }
            eprintln!("imactl: {e}");
            return super::EXIT_FAIL;
        }
    };
    let keys = crate::kernel_hook::keys::trust_keys(&root);
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    let mut rows = Vec::new();
    for rec in &recs {
        let state = check::check_one(&root, rec, &keys);
        *counts.entry(state.code()).or_default() += 1;
        let reason = match &state {
            State::BadSignature(r) | State::UnknownKey(r) | State::NotChecked(r) => Some(r.clone()),
            _ => None,
        };
        if json {
            rows.push(serde_json::json!({
                "file": rec.path.display().to_string(),
                "package": rec.origin,
                "state": state.code(),
                "reason": reason,
            }));
        } else if state.is_problem() {
            let line = format!(
                "{}: {}{} ({})",
                rec.path.display(),
                state.code(),
                reason.map(|r| format!(": {r}")).unwrap_or_default(),
                rec.origin
            );
            println!("{}", crate::escape::terminal(&line));
        }
    }
    let n = |k: &str| counts.get(k).copied().unwrap_or(0);
    let problems = ["other-value", "missing", "bad-signature", "unknown-key"]
        .iter()
        .map(|k| n(k))
        .sum::<usize>();
    if json {
        let doc = serde_json::json!({
            "root": root.display().to_string(),
            "keys": keys.described,
            "files": rows,
            "summary": {
                "ok": n("ok"), "other_value": n("other-value"), "missing": n("missing"),
                "bad_signature": n("bad-signature"), "unknown_key": n("unknown-key"),
                "not_checked": n("not-checked"),
            },
        });
        if !super::json::print(&super::json::envelope("verify", doc)) {
            return super::EXIT_FAIL;
        }
    } else {
        println!(
            "{} ok, {} missing, {} other value, {} bad signature, {} unknown key, {} not checked ({})",
            n("ok"),
            n("missing"),
            n("other-value"),
            n("bad-signature"),
            n("unknown-key"),
            n("not-checked"),
            keys.described
        );
    }
    if problems > 0 {
        super::EXIT_FAIL
    } else {
        super::EXIT_OK
    }
}
