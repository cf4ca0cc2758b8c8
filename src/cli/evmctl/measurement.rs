//! `ima_measurement` and `ima_boot_aggregate`: reads the inputs the request names, lets
//! the library check the list ([`crate::measurement::replay`]) and prints the report in
//! upstream's words.

use std::path::Path;

use super::opts::{EXIT_ERROR, EXIT_FAIL, EXIT_OK};
use super::output::{error, print_refusal, Log};
use super::request::{BootAggregateRequest, MeasurementRequest, PcrSource};
use super::verifying::load_verifier;
use crate::escape::terminal;
use crate::hash::to_hex;
use crate::input::{read_input, InputKind};
use crate::measurement::replay::{self, Note, PcrMatch, ReplayOptions};
use crate::measurement::{self, tpm, Bank};

/// PCR values per replayed bank: from the --pcrs files, else from the TPM in sysfs.
fn read_banks(pcrs: &[PcrSource]) -> Result<[Option<Bank>; 2], String> {
    let files: Vec<_> = pcrs.iter().map(|p| (p.bank, p.path.clone())).collect();
    tpm::read_banks(&files, Path::new("/sys")).map_err(|e| format!("--pcrs {e}"))
}

fn print_note(log: Log, note: &Note) {
    match note {
        Note::TemplateDigestMismatch { record } => log.debug(format_args!(
            "Failed to verify template data digest(line {record}).\n"
        )),
        Note::File {
            pcr,
            template_digest,
            template,
            algo,
            digest,
            path,
            ..
        } => log.debug(format_args!(
            "{pcr} {} {} {}:{} {}\n",
            to_hex(template_digest),
            terminal(template),
            terminal(algo),
            to_hex(digest),
            terminal(path)
        )),
        Note::SignatureOk { path, .. } => {
            log.debug(format_args!("{}: verification is OK\n", terminal(path)))
        }
        Note::SignatureBad { record, path, why } => error(format_args!(
            "{} (record {record}): verification failed: {}",
            terminal(path),
            terminal(why)
        )),
        Note::BankMatched { record, bank } => log.debug(format_args!(
            "{} PCRs: succeed at entry {record}\n",
            bank.name()
        )),
    }
}

pub fn ima_measurement(req: MeasurementRequest) -> i32 {
    let path = &req.list;
    let bytes = match read_input(path, InputKind::MeasurementList) {
        Ok(b) => b,
        Err(e) => {
            error(format_args!(
                "{}: cannot read the measurement list: {e}",
                path.display()
            ));
            return EXIT_ERROR;
        }
    };
    let records = match measurement::parse(&bytes) {
        // A kernel's list always starts with the boot_aggregate record.
        Ok(r) if r.is_empty() => {
            error(format_args!(
                "{}: the measurement list is empty: there is nothing to verify",
                path.display()
            ));
            return EXIT_ERROR;
        }
        Ok(r) => r,
        Err(e) => {
            error(format_args!("{}: {e}", path.display()));
            return EXIT_ERROR;
        }
    };
    // The records hold copies of what they need: free the file's bytes.
    drop(bytes);
    let verifier = match &req.verify_sig {
        Some(keys) => match load_verifier(req.log, keys) {
            Ok(v) => Some(v),
            Err(r) => return print_refusal(r),
        },
        None => None,
    };
    let banks = match read_banks(&req.pcrs) {
        Ok(t) => t,
        Err(e) => {
            error(e);
            return EXIT_ERROR;
        }
    };
    let opts = ReplayOptions {
        violations: req.violations,
        only_bank: req.only_bank,
        // The per-file lines are printed at debug level only.
        file_notes: req.log.shows_debug(),
    };
    let report = replay::check_list(&records, &banks, opts, verifier.as_ref());
    for note in &report.notes {
        print_note(req.log, note);
    }
    let log = req.log;
    match report.pcrs {
        PcrMatch::NoPcrs => log.info(format_args!("Failed to read any TPM PCRs\n")),
        PcrMatch::PerBank => log.info(format_args!("Matched per TPM bank calculated digest(s).\n")),
        PcrMatch::Sha1Padded => log.info(format_args!("Matched SHA1 padded TPM digest(s).\n")),
        PcrMatch::Mismatch => log.info(format_args!(
            "Failed to match per TPM bank or SHA1 padded TPM digest(s).\n"
        )),
        PcrMatch::NoValuesForBank(b) => {
            log.info(format_args!(
                "Failed to match per TPM bank or SHA1 padded TPM digest(s).\n"
            ));
            error(format_args!("no PCR values were read for the {b} bank"));
        }
    }
    if report.template_digest_failures > 0 {
        log.info(format_args!("Failed to verify template data digest.\n"));
    }
    if report.signature_failures > 0 {
        error(format_args!(
            "{} signature(s) in the list failed verification",
            report.signature_failures
        ));
    }
    if report.ok() {
        EXIT_OK
    } else {
        EXIT_FAIL
    }
}

/// `ima_boot_aggregate [--pcrs ALGO,FILE] [TPM 1.2 event log]`: prints `bank:hex` lines.
pub fn ima_boot_aggregate(req: BootAggregateRequest) -> i32 {
    let banks: Vec<Bank> = if let Some(path) = &req.event_log {
        let replayed = read_input(path, InputKind::EventLog)
            .map_err(|e| format!("cannot read: {e}"))
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
        match read_banks(&req.pcrs) {
            Ok(t) => t.into_iter().flatten().collect(),
            Err(e) => {
                error(e);
                return EXIT_ERROR;
            }
        }
    };
    if banks.is_empty() {
        if req.hwtpm {
            error(format_args!(
                "--hwtpm: no PCRs in /sys/class/tpm/tpm0 (TPM 1.2 device/pcrs, or TPM 2.0 \
                 pcr-sha1/ and pcr-sha256/, which need kernel 5.12)"
            ));
        }
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
