//! The preflight's report as text ([`Preflight::to_text`]): the evidence, the gates in
//! the kernel's order, and the one `prediction:` line.

use super::preflight::Gate;
use super::preflight::{ImaCheck, Preflight};

impl Preflight {
    /// The report as text; its last line is `prediction: load|refuse|unknown (reason)`.
    pub fn to_text(&self) -> String {
        // Names, subjects and rules come from files: no control character (a line feed
        // above all) reaches the output unescaped, so the prediction line stays the only
        // one of its kind.
        let e = |t: &str| crate::escape::terminal(t).into_owned();
        let ev = &self.evidence;
        let pe = &ev.pe;
        let mut s = format!("kexec preflight for {}\n\n", e(&ev.image.path));
        let present = match (pe.present, &pe.signer) {
            (false, _) => "absent".to_string(),
            (true, Some(signer)) => format!("present, signer {}", e(signer)),
            (true, None) => "present, signer not found".to_string(),
        };
        s.push_str(&format!("pe-signature:   {present}\n"));
        if let Some(m) = pe.digest_matches {
            s.push_str(if m {
                "pe-digest:      the Authenticode digest matches the signed one\n"
            } else {
                "pe-digest:      MISMATCH: the image changed after signing\n"
            });
        }
        if let Some(p) = &pe.problem {
            s.push_str(&format!("pe-problem:     {}\n", e(p)));
        }
        if pe.present {
            let by = pe
                .trusted_by
                .as_deref()
                .unwrap_or("no trusted certificate or key holds the signer or its issuer");
            s.push_str(&format!("pe-signer-in:   {}\n", e(by)));
        }
        s.push_str(&format!("trust lists:    {}\n", e(&pe.lists.join("; "))));
        s.push_str(&format!(
            "revocation:     {}\n",
            e(&pe.revocation_lists.join("; "))
        ));
        if let Some(r) = &pe.revoked {
            s.push_str(&format!("pe-revoked:     {}\n", e(r)));
        }
        if let Some(c) = &ev.compression {
            s.push_str(&format!(
                "compression:    {} (kexec_file_load is handed a decompressed copy, or nothing)\n",
                e(&c.words())
            ));
        }
        for f in std::iter::once(&ev.image).chain(ev.initrd.iter()) {
            let modsig = match &f.modsig {
                None => "none".to_string(),
                Some(Ok(w)) => format!("verifies, {w}"),
                Some(Err(x)) => format!("does not verify: {x}"),
            };
            s.push_str(&format!("ima ({}):\n", e(&f.path)));
            s.push_str(&format!("  security.ima: {}\n", e(&ima_words(&f.ima))));
            s.push_str(&format!("  modsig:       {}\n", e(&modsig)));
        }
        s.push_str("\ngates (in the kernel's order):\n");
        for (name, g) in &self.gates {
            let (tag, r) = match g {
                Gate::Pass(r) => ("pass", r),
                Gate::Refuse(r) => ("REFUSE", r),
                Gate::Unknown(r) => ("??", r),
            };
            s.push_str(&format!("  [{tag:>6}] {name:<10} {}\n", e(r)));
        }
        s.push_str(&format!(
            "\nprediction: {} ({})\n",
            self.prediction,
            e(&self.reason)
        ));
        s
    }
}

fn ima_words(c: &ImaCheck) -> String {
    match c {
        ImaCheck::None => "none".into(),
        ImaCheck::Hash(true) => "a hash of this file".into(),
        ImaCheck::Hash(false) => "a hash that does not match this file".into(),
        ImaCheck::ValidSignature(w) => format!("a signature that verifies ({w})"),
        ImaCheck::BadSignature(w) => format!("a signature that does not verify: {w}"),
        ImaCheck::Unchecked(w) => format!("not checked: {w}"),
    }
}
