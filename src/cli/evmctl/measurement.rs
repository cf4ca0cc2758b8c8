//! `evmctl ima_measurement`: checks a measurement list against the TPM's PCRs (or
//! `--pcrs` files) with upstream's algorithm and messages: per-bank replay, then the
//! zero-padded SHA-1 replay of older kernels, stopping at the first entry where every
//! bank read matches (a list read after the PCRs may be longer).

use std::ffi::OsString;
use std::path::Path;

use super::{error, Settings, EXIT_ERROR, EXIT_FAIL, EXIT_OK};
use crate::hash::{to_hex, HashAlgo};
use crate::measurement::{self, Bank, Violations};
use crate::sign;

const BANKS: [HashAlgo; 2] = [HashAlgo::Sha1, HashAlgo::Sha256];

/// TPM PCR values per bank (None: that bank could not be read).
fn read_tpm_banks(s: &Settings) -> Result<[Option<Bank>; 2], String> {
    let mut out: [Option<Bank>; 2] = [None, None];
    if !s.pcrs.is_empty() {
        for spec in &s.pcrs {
            let (alg, path) = match spec.split_once(',') {
                Some((a, p)) => (a, p),
                None => ("sha1", spec.as_str()),
            };
            let i = BANKS
                .iter()
                .position(|b| b.name() == alg)
                .ok_or_else(|| format!("--pcrs {spec}: unknown bank '{alg}' (sha1 or sha256)"))?;
            let md = std::fs::metadata(path)
                .map_err(|e| format!("--pcrs {path}: {}", crate::error::io_words(&e)))?;
            if !md.is_file() {
                return Err(format!("--pcrs {path}: not a regular file"));
            }
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("--pcrs {path}: {}", crate::error::io_words(&e)))?;
            out[i] = Some(
                measurement::parse_pcr_file(&text, BANKS[i])
                    .map_err(|e| format!("--pcrs {path}: {e}"))?,
            );
        }
        return Ok(out);
    }
    // TPM 1.2: one sha1 file.
    for p in [
        "/sys/class/tpm/tpm0/device/pcrs",
        "/sys/class/misc/tpm0/device/pcrs",
    ] {
        if let Ok(text) = std::fs::read_to_string(p) {
            if let Ok(b) = measurement::parse_pcr_file(&text, HashAlgo::Sha1) {
                out[0] = Some(b);
                return Ok(out);
            }
        }
    }
    // TPM 2.0 (kernel >= 5.12): one file per PCR and bank.
    for (i, algo) in BANKS.iter().enumerate() {
        let mut bank = Bank::zeroed(*algo);
        let mut ok = true;
        for n in 0..measurement::NUM_PCRS {
            let p = format!("/sys/class/tpm/tpm0/pcr-{}/{n}", algo.name());
            match std::fs::read_to_string(&p)
                .ok()
                .and_then(|t| crate::hash::from_hex(t.trim()))
            {
                Some(v) if v.len() == algo.digest_len() => bank.pcrs[n] = v,
                _ => {
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            out[i] = Some(bank);
        }
    }
    Ok(out)
}

pub fn ima_measurement(s: &Settings, operands: &[OsString]) -> i32 {
    let Some(file) = operands.first() else {
        eprintln!("Parameters missing");
        println!(
            "usage: ima_measurement {}",
            super::opts::command("ima_measurement")
                .map(|c| c.synopsis)
                .unwrap_or_default()
        );
        return EXIT_ERROR;
    };
    let path = Path::new(file);
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            error(format_args!(
                "{}: cannot read the measurement list: {}",
                path.display(),
                crate::error::io_words(&e)
            ));
            return EXIT_ERROR;
        }
    };
    let records = match measurement::parse(&bytes) {
        Ok(r) => r,
        Err(e) => {
            error(format_args!("{}: {e}", path.display()));
            return EXIT_ERROR;
        }
    };
    let keys = if s.verify_sig {
        match super::commands::load_verify_keys(s) {
            Ok(k) => Some(k),
            Err(rc) => return rc,
        }
    } else {
        None
    };
    let tpm = match read_tpm_banks(s) {
        Ok(t) => t,
        Err(e) => {
            error(format_args!("{e}"));
            return EXIT_ERROR;
        }
    };
    let have_tpm = tpm.iter().any(Option::is_some);
    let mut mask = [true, true];
    if let Some(vb) = &s.verify_bank {
        match BANKS.iter().position(|b| b.name() == vb) {
            Some(i) => mask = [i == 0, i == 1],
            None => {
                error(format_args!(
                    "--verify-bank {vb}: unknown bank (sha1 or sha256)"
                ));
                return EXIT_ERROR;
            }
        }
    }
    let mut padded_mask = mask;
    let violations = if s.ignore_violations {
        Violations::AsExtended
    } else {
        Violations::AsRecorded
    };
    let mut banks = BANKS.map(Bank::zeroed);
    let mut padded = BANKS.map(Bank::zeroed);
    let (mut err, mut err_padded) = (-1, -1);
    let mut invalid_digest = false;
    let mut bad_sigs = 0usize;
    for (n, rec) in records.iter().enumerate() {
        for i in 0..BANKS.len() {
            measurement::extend(rec, &mut banks[i], &mut padded[i], violations);
        }
        err = if rec.template_digest_ok() { 0 } else { 1 };
        if err != 0 {
            invalid_digest = true;
            s.debug(format_args!(
                "Failed to verify template data digest(line {}).\n",
                n + 1
            ));
        }
        let info = rec.file_info();
        if let Some(i) = &info {
            s.debug(format_args!(
                "{} {} {} {}:{} {}\n",
                rec.pcr,
                to_hex(&rec.template_digest),
                rec.template_name,
                i.algo,
                to_hex(i.digest),
                i.path
            ));
        }
        if let (Some(keys), Some(i)) = (&keys, &info) {
            if let Some(sig) = i.signature {
                let verdict = sign::parse_signature(sig).and_then(|sv| match sv.hash_algo() {
                    Some(a) if a.name() == i.algo => sign::verify_v2(keys, &sv, i.digest),
                    Some(a) => Err(sign::VerifyError::Malformed(format!(
                        "the signature uses {a} but the list holds a {} digest",
                        i.algo
                    ))),
                    None => Err(sign::VerifyError::UnsupportedHash(sv.hash_id)),
                });
                match verdict {
                    Ok(()) => s.debug(format_args!("{}: verification is OK\n", i.path)),
                    Err(e) => {
                        bad_sigs += 1;
                        error(format_args!(
                            "{} (record {}): verification failed: {e}",
                            i.path,
                            n + 1
                        ));
                    }
                }
            }
        }
        if !have_tpm {
            continue;
        }
        for i in 0..BANKS.len() {
            if !mask[i] {
                continue;
            }
            let ok = tpm[i]
                .as_ref()
                .is_none_or(|t| measurement::matches(&banks[i], t));
            err = if ok { 0 } else { 1 };
            if ok {
                mask[i] = false;
                if tpm[i].is_some() {
                    s.debug(format_args!(
                        "{} PCRs: succeed at entry {}\n",
                        BANKS[i].name(),
                        n + 1
                    ));
                }
            }
        }
        if !mask.iter().any(|&m| m) {
            break;
        }
        for i in 0..BANKS.len() {
            if !padded_mask[i] {
                continue;
            }
            let ok = tpm[i]
                .as_ref()
                .is_none_or(|t| measurement::matches(&padded[i], t));
            err_padded = if ok { 0 } else { 1 };
            if ok {
                padded_mask[i] = false;
            }
        }
        if !padded_mask.iter().any(|&m| m) {
            break;
        }
    }
    if !have_tpm {
        s.info(format_args!("Failed to read any TPM PCRs\n"));
    } else if err == 0 {
        s.info(format_args!("Matched per TPM bank calculated digest(s).\n"));
    } else if err_padded == 0 {
        s.info(format_args!("Matched SHA1 padded TPM digest(s).\n"));
        err = 0;
    } else {
        s.info(format_args!(
            "Failed to match per TPM bank or SHA1 padded TPM digest(s).\n"
        ));
    }
    if invalid_digest {
        s.info(format_args!("Failed to verify template data digest.\n"));
        err = 1;
    }
    if bad_sigs > 0 {
        error(format_args!(
            "{bad_sigs} signature(s) in the list failed verification"
        ));
        err = 1;
    }
    match err {
        0 => EXIT_OK,
        1 => EXIT_FAIL,
        _ => EXIT_ERROR,
    }
}

/// `ima_boot_aggregate [--pcrs ALGO,FILE] [TPM 1.2 event log]`: prints `bank:hex` lines.
pub fn ima_boot_aggregate(s: &Settings, operands: &[OsString]) -> i32 {
    let banks: Vec<Bank> = if let Some(log) = operands.first() {
        let path = Path::new(log);
        let replayed = std::fs::read(path)
            .map_err(|e| format!("cannot read: {}", crate::error::io_words(&e)))
            .and_then(|b| measurement::replay_tpm12_event_log(&b).map_err(|e| e.to_string()));
        match replayed {
            Ok(b) => vec![b],
            Err(e) => {
                eprintln!("Failed reading the TPM 1.2 event log {}.", path.display());
                error(format_args!("{}: {e}", path.display()));
                return EXIT_ERROR;
            }
        }
    } else {
        match read_tpm_banks(s) {
            Ok(t) => t.into_iter().flatten().collect(),
            Err(e) => {
                error(format_args!("{e}"));
                return EXIT_ERROR;
            }
        }
    };
    if banks.is_empty() {
        eprintln!("Failed to read any TPM PCRs");
        return EXIT_ERROR;
    }
    for b in &banks {
        println!(
            "{}:{}",
            b.algo.name(),
            to_hex(&measurement::boot_aggregate(b))
        );
    }
    EXIT_OK
}
