//! Checking a measurement list against PCR values: every record's template digest, the
//! signatures the list carries (optional), and the replay of the sha1 and sha256 banks,
//! both per bank and as the zero-padded SHA-1 that kernels before 5.8 extended. The
//! result is data: the front end prints it.
//!
//! Only banks that have PCR values are compared; a list never matches by default. The
//! replay stops at the first record after which every compared bank matches (a list read
//! after the PCRs may be longer than what they cover).

use super::{extend, matches, Bank, Record, Violations};
use crate::hash::HashAlgo;
use crate::verify::{ValueKind, Verifier};

/// The banks replayed, in order.
pub const BANKS: [HashAlgo; 2] = [HashAlgo::Sha1, HashAlgo::Sha256];

/// How to replay.
#[derive(Clone, Copy, Debug)]
pub struct ReplayOptions {
    pub violations: Violations,
    /// Only this bank is compared (`None`: every bank with PCR values).
    pub only_bank: Option<HashAlgo>,
    /// Whether a [`Note::File`] is kept for every record (for a verbose listing); without
    /// it, a long list costs no memory beyond its records.
    pub file_notes: bool,
}

/// Which replay matched the PCRs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PcrMatch {
    /// Each compared bank matched its own replay.
    PerBank,
    /// Each compared bank matched the zero-padded SHA-1 replay.
    Sha1Padded,
    /// Neither replay matched.
    Mismatch,
    /// No PCR values were read for any bank.
    NoPcrs,
    /// PCR values were read, but none for the bank asked for.
    NoValuesForBank(HashAlgo),
}

/// Something worth telling about one record (1-based), in list order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// The record's template digest is not the hash of its data.
    TemplateDigestMismatch { record: usize },
    /// A record with a file: its fields, for verbose output.
    File {
        record: usize,
        pcr: u32,
        template_digest: [u8; 20],
        template: String,
        algo: String,
        digest: Vec<u8>,
        path: String,
    },
    /// The signature the record carries verified.
    SignatureOk { record: usize, path: String },
    /// The signature the record carries did not verify.
    SignatureBad {
        record: usize,
        path: String,
        why: String,
    },
    /// A bank's replay matched its PCRs after this record.
    BankMatched { record: usize, bank: HashAlgo },
}

/// The outcome of checking a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListReport {
    pub pcrs: PcrMatch,
    pub notes: Vec<Note>,
    pub template_digest_failures: usize,
    pub signature_failures: usize,
}

impl ListReport {
    /// The list is good: the PCRs matched (or none could be read) and every template
    /// digest and signature verified.
    pub fn ok(&self) -> bool {
        matches!(
            self.pcrs,
            PcrMatch::PerBank | PcrMatch::Sha1Padded | PcrMatch::NoPcrs
        ) && self.template_digest_failures == 0
            && self.signature_failures == 0
    }
}

/// Checks `records` against `tpm` (PCR values per bank of [`BANKS`], `None` when a bank
/// was not read); with a verifier, also the signatures the records carry.
pub fn check_list(
    records: &[Record],
    tpm: &[Option<Bank>; 2],
    opts: ReplayOptions,
    verifier: Option<&Verifier>,
) -> ListReport {
    let compared: [bool; 2] =
        std::array::from_fn(|i| tpm[i].is_some() && opts.only_bank.is_none_or(|b| b == BANKS[i]));
    let have_pcrs = tpm.iter().any(Option::is_some);
    let mut pending = compared;
    let mut pending_padded = compared;
    let mut banks = BANKS.map(Bank::zeroed);
    let mut padded = BANKS.map(Bank::zeroed);
    let mut report = ListReport {
        pcrs: PcrMatch::Mismatch,
        notes: Vec::new(),
        template_digest_failures: 0,
        signature_failures: 0,
    };
    let mut matched = None;
    for (n, rec) in records.iter().enumerate() {
        let record = n + 1;
        for i in 0..BANKS.len() {
            extend(rec, &mut banks[i], &mut padded[i], opts.violations);
        }
        if !rec.template_digest_ok() {
            report.template_digest_failures += 1;
            report.notes.push(Note::TemplateDigestMismatch { record });
        }
        check_record(rec, record, verifier, opts.file_notes, &mut report);
        if !have_pcrs || !compared.iter().any(|&c| c) {
            continue;
        }
        for i in 0..BANKS.len() {
            let tpm_bank = tpm[i].as_ref().filter(|_| pending[i]);
            if tpm_bank.is_some_and(|t| matches(&banks[i], t)) {
                pending[i] = false;
                report.notes.push(Note::BankMatched {
                    record,
                    bank: BANKS[i],
                });
            }
        }
        if !pending.iter().any(|&p| p) {
            matched = Some(PcrMatch::PerBank);
            break;
        }
        for i in 0..BANKS.len() {
            let tpm_bank = tpm[i].as_ref().filter(|_| pending_padded[i]);
            if tpm_bank.is_some_and(|t| matches(&padded[i], t)) {
                pending_padded[i] = false;
            }
        }
        if !pending_padded.iter().any(|&p| p) {
            matched = Some(PcrMatch::Sha1Padded);
            break;
        }
    }
    report.pcrs = if !have_pcrs {
        PcrMatch::NoPcrs
    } else if let Some(bank) = opts.only_bank.filter(|_| !compared.iter().any(|&c| c)) {
        PcrMatch::NoValuesForBank(bank)
    } else {
        matched.unwrap_or(PcrMatch::Mismatch)
    };
    report
}

/// Notes the record's file and checks the signature it carries.
fn check_record(
    rec: &Record,
    record: usize,
    verifier: Option<&Verifier>,
    file_notes: bool,
    report: &mut ListReport,
) {
    let Some(info) = rec.file_info() else {
        return;
    };
    if file_notes {
        report.notes.push(Note::File {
            record,
            pcr: rec.pcr,
            template_digest: rec.template_digest,
            template: rec.template_name.clone(),
            algo: info.algo.to_string(),
            digest: info.digest.to_vec(),
            path: info.path.to_string(),
        });
    }
    let (Some(verifier), Some(sig)) = (verifier, info.signature) else {
        return;
    };
    // The list holds the digest the kernel measured; the signature must be over it, with
    // the same algorithm.
    // A verity digest is checked as sigv3: the signature covers the ima_file_id.
    let kind = if info.verity {
        ValueKind::Verity
    } else {
        ValueKind::Ima
    };
    let verdict = verifier.verify(
        kind,
        Some(sig),
        &mut |algo: HashAlgo| -> Result<Vec<u8>, String> {
            if algo.name() != info.hash_name {
                Err(format!(
                    "the signature uses {algo} but the list holds a {} digest",
                    info.algo
                ))
            } else if info.verity {
                Ok(algo.digest(&crate::verity::file_id_bytes(algo, info.digest)))
            } else {
                Ok(info.digest.to_vec())
            }
        },
    );
    let path = info.path.to_string();
    match verdict {
        Ok(v) if v.is_ok() => {
            if file_notes {
                report.notes.push(Note::SignatureOk { record, path })
            }
        }
        Ok(v) => {
            report.signature_failures += 1;
            report.notes.push(Note::SignatureBad {
                record,
                path,
                why: v.to_string(),
            });
        }
        Err(e) => {
            report.signature_failures += 1;
            report.notes.push(Note::SignatureBad {
                record,
                path,
                why: e.to_string(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::ng;
    use super::*;

    fn replayed(records: &[Record], algo: HashAlgo) -> Bank {
        let mut bank = Bank::zeroed(algo);
        let mut padded = Bank::zeroed(algo);
        for r in records {
            extend(r, &mut bank, &mut padded, Violations::AsRecorded);
        }
        bank
    }

    const ALL: ReplayOptions = ReplayOptions {
        violations: Violations::AsRecorded,
        only_bank: None,
        file_notes: true,
    };

    #[test]
    fn a_bank_without_values_never_counts_as_matched() {
        // One record; only the sha1 bank has PCR values, and they are wrong.
        let list = [ng(10, "/bin/true", b"x")];
        let mut wrong = replayed(&list, HashAlgo::Sha1);
        wrong.pcrs[10][0] ^= 1;
        let r = check_list(&list, &[Some(wrong), None], ALL, None);
        assert_eq!(r.pcrs, PcrMatch::Mismatch);
        assert!(!r.ok());
        // The right values match, and say so.
        let right = replayed(&list, HashAlgo::Sha1);
        let r = check_list(&list, &[Some(right), None], ALL, None);
        assert_eq!(r.pcrs, PcrMatch::PerBank);
        assert!(r.ok());
    }

    #[test]
    fn the_bank_asked_for_must_have_values() {
        let list = [ng(10, "/bin/true", b"x")];
        let right = replayed(&list, HashAlgo::Sha1);
        let only256 = ReplayOptions {
            only_bank: Some(HashAlgo::Sha256),
            ..ALL
        };
        let r = check_list(&list, &[Some(right), None], only256, None);
        assert_eq!(r.pcrs, PcrMatch::NoValuesForBank(HashAlgo::Sha256));
        assert!(!r.ok());
    }

    #[test]
    fn both_banks_must_match_and_no_pcrs_is_reported() {
        let list = [ng(10, "/a", b"a"), ng(10, "/b", b"b")];
        let sha1 = replayed(&list, HashAlgo::Sha1);
        let mut sha256 = replayed(&list, HashAlgo::Sha256);
        let r = check_list(
            &list,
            &[Some(sha1.clone()), Some(sha256.clone())],
            ALL,
            None,
        );
        assert_eq!(r.pcrs, PcrMatch::PerBank);
        sha256.pcrs[10][5] ^= 0x80;
        let r = check_list(&list, &[Some(sha1), Some(sha256)], ALL, None);
        assert_ne!(r.pcrs, PcrMatch::PerBank);
        let r = check_list(&list, &[None, None], ALL, None);
        assert_eq!(r.pcrs, PcrMatch::NoPcrs);
        assert!(
            r.ok(),
            "no PCRs to compare is not a failure by itself (upstream)"
        );
    }

    #[test]
    fn a_bad_template_digest_fails_the_list() {
        let mut list = vec![ng(10, "/a", b"a")];
        list[0].template_digest[0] ^= 1;
        let r = check_list(&list, &[None, None], ALL, None);
        assert_eq!(r.template_digest_failures, 1);
        assert!(!r.ok());
    }

    /// An ima-sigv2 record: d-ngv2 `TYPE:sha256:` and `digest`, the path, the signature.
    fn sigv2(dtype: &str, digest: &[u8], path: &str, sig: &[u8]) -> Record {
        let mut dng = format!("{dtype}:sha256:\0").into_bytes();
        dng.extend_from_slice(digest);
        let mut data = Vec::new();
        for f in [dng, format!("{path}\0").into_bytes(), sig.to_vec()] {
            data.extend_from_slice(&(f.len() as u32).to_ne_bytes());
            data.extend_from_slice(&f);
        }
        Record {
            pcr: 10,
            template_digest: HashAlgo::Sha1.digest(&data).try_into().unwrap(),
            template_name: "ima-sigv2".into(),
            data,
        }
    }

    #[test]
    fn verity_records_are_checked_as_sigv3_and_ima_ones_as_v2() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/keys");
        let key = crate::keys::PrivateKey::load(&dir.join("rsa2048.pk8.pem"), None)
            .unwrap()
            .key;
        let signer = crate::sign::SoftwareSigner::new(key, None, None);
        let verifier = Verifier::from_certificate_list(&[dir.join("rsa2048.crt.pem")])
            .unwrap()
            .verifier;
        let digest = HashAlgo::Sha256.digest(b"fs-verity descriptor");
        let v3 = crate::verity::sign_sigv3(&signer, HashAlgo::Sha256, &digest).unwrap();
        let v3 = crate::verity::verity_value(&v3);
        let v2 =
            crate::sign::sign_body(&signer, crate::sign::Scheme::V2, HashAlgo::Sha256, &digest)
                .unwrap()
                .ima_value();
        let failures = |list: &[Record]| {
            check_list(list, &[None, None], ALL, Some(&verifier)).signature_failures
        };
        assert_eq!(failures(&[sigv2("verity", &digest, "/usr/bin/v", &v3)]), 0);
        assert_eq!(failures(&[sigv2("ima", &digest, "/usr/bin/i", &v2)]), 0);
        // The other way round, or another digest, does not verify.
        assert_eq!(failures(&[sigv2("verity", &digest, "/usr/bin/v", &v2)]), 1);
        assert_eq!(failures(&[sigv2("ima", &digest, "/usr/bin/i", &v3)]), 1);
        let mut other = digest.clone();
        other[0] ^= 1;
        assert_eq!(failures(&[sigv2("verity", &other, "/usr/bin/v", &v3)]), 1);
    }
}
