//! The IMA measurement list (`binary_runtime_measurements`, docs/formats.md "IMA measurement
//! list"): records parsed from bytes, template data digests checked, and the PCR values
//! replayed per TPM bank, the way the kernel extended them. No I/O and no printing.

use std::fmt;

use crate::hash::HashAlgo;

pub mod replay;
pub mod template;
pub mod tpm;

/// PCRs a list can name.
pub const NUM_PCRS: usize = 24;
/// Longest template name.
pub const TEMPLATE_NAME_MAX: usize = 255;
/// The legacy `ima` template's fixed data size: SHA-1 digest + 256-byte name.
pub const IMA_TEMPLATE_LEN: usize = 20 + TEMPLATE_NAME_MAX + 1;

/// One measurement record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub pcr: u32,
    /// SHA-1 of the template data; all zeros for a violation.
    pub template_digest: [u8; 20],
    pub template_name: String,
    /// The template data as hashed (for `ima`: digest + zero-padded name).
    pub data: Vec<u8>,
}

impl Record {
    pub fn is_violation(&self) -> bool {
        self.template_digest == [0; 20]
    }

    /// Whether the SHA-1 of the data matches the recorded template digest (violations
    /// always do: their digest is zero by definition).
    pub fn template_digest_ok(&self) -> bool {
        self.is_violation() || HashAlgo::Sha1.digest(&self.data) == self.template_digest
    }

    /// The fields of an ima-ng style template (`u32 len || bytes` each).
    pub fn fields(&self) -> Option<Vec<&[u8]>> {
        if self.template_name == "ima" {
            return None;
        }
        template::split_fields(&self.data).ok()
    }

    /// For ima-ng/ima-sig/ima-buf: (algorithm name, digest, path, signature).
    pub fn file_info(&self) -> Option<FileInfo<'_>> {
        let f = self.fields()?;
        let dng = *f.first()?;
        let nul = dng.iter().position(|&b| b == 0)?;
        let algo = std::str::from_utf8(&dng[..nul]).ok()?.trim_end_matches(':');
        // d-ngv2 (ima-ngv2, ima-sigv2) names the digest type first: "ima:" or "verity:".
        let (verity, hash_name) = match algo.split_once(':') {
            Some(("verity", h)) => (true, h),
            Some(("ima", h)) => (false, h),
            _ => (false, algo),
        };
        let path = f.get(1).map(|p| {
            let end = p.iter().position(|&b| b == 0).unwrap_or(p.len());
            String::from_utf8_lossy(&p[..end]).into_owned()
        })?;
        let sig = if self.template_name == "ima-sig" || self.template_name == "ima-sigv2" {
            f.get(2).copied().filter(|s| !s.is_empty())
        } else {
            None
        };
        Some(FileInfo {
            algo,
            hash_name,
            verity,
            digest: &dng[nul + 1..],
            path,
            signature: sig,
        })
    }
}

/// File fields of an ima-ng-like record.
pub struct FileInfo<'a> {
    /// The digest field's name as recorded ("sha256", or "verity:sha256" in d-ngv2).
    pub algo: &'a str,
    /// The hash algorithm's name alone.
    pub hash_name: &'a str,
    /// A `verity:` digest (fs-verity), signed with sigv3.
    pub verity: bool,
    pub digest: &'a [u8],
    pub path: String,
    pub signature: Option<&'a [u8]>,
}

/// Why a list could not be parsed; `record` counts from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListError {
    pub record: usize,
    pub offset: usize,
    pub why: String,
}

impl fmt::Display for ListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "record {} (byte {}): {}",
            self.record, self.offset, self.why
        )
    }
}

/// Parses a binary measurement list (native byte order).
pub fn parse(bytes: &[u8]) -> Result<Vec<Record>, ListError> {
    let mut out = Vec::new();
    let mut pos = 0;
    let mut legacy: Option<bool> = None;
    while pos < bytes.len() {
        let n = out.len() + 1;
        let err = |offset: usize, why: String| ListError {
            record: n,
            offset,
            why,
        };
        let take = |pos: &mut usize, len: usize, what: &str| -> Result<&[u8], ListError> {
            let s = bytes
                .get(*pos..*pos + len)
                .ok_or_else(|| err(*pos, format!("truncated {what}")))?;
            *pos += len;
            Ok(s)
        };
        let start = pos;
        let pcr = u32::from_ne_bytes(take(&mut pos, 4, "header")?.try_into().unwrap());
        if pcr as usize >= NUM_PCRS {
            return Err(err(start, format!("invalid PCR {pcr}")));
        }
        let digest: [u8; 20] = take(&mut pos, 20, "header")?.try_into().unwrap();
        let name_len =
            u32::from_ne_bytes(take(&mut pos, 4, "header")?.try_into().unwrap()) as usize;
        if name_len > TEMPLATE_NAME_MAX {
            return Err(err(
                start,
                format!("template name too long ({name_len} bytes)"),
            ));
        }
        // Found by fuzzing: a lossy decoding changed the name (the kernel's are ASCII).
        let name = String::from_utf8(take(&mut pos, name_len, "template name")?.to_vec())
            .map_err(|_| err(start, "the template name is not UTF-8 text".into()))?;
        let is_ima = name == "ima";
        match legacy {
            None => legacy = Some(is_ima),
            Some(l) if l != is_ima => {
                return Err(err(
                    start,
                    "a list mixing the \"ima\" template with other templates".into(),
                ))
            }
            _ => {}
        }
        let data = if is_ima {
            let mut d = take(&mut pos, 20, "file digest")?.to_vec();
            let flen =
                u32::from_ne_bytes(take(&mut pos, 4, "file name length")?.try_into().unwrap())
                    as usize;
            if flen > TEMPLATE_NAME_MAX {
                return Err(err(start, format!("file name too long ({flen} bytes)")));
            }
            let fname = take(&mut pos, flen, "file name")?;
            // Found by fuzzing: the kernel writes a C string; a NUL inside would be lost.
            if fname.contains(&0) {
                return Err(err(start, "the file name holds a NUL byte".into()));
            }
            d.extend_from_slice(fname);
            d.resize(IMA_TEMPLATE_LEN, 0);
            d
        } else {
            let len = u32::from_ne_bytes(
                take(&mut pos, 4, "template data length")?
                    .try_into()
                    .unwrap(),
            ) as usize;
            take(&mut pos, len, "template data")?.to_vec()
        };
        template::check(&name, &data).map_err(|why| err(start, why))?;
        out.push(Record {
            pcr,
            template_digest: digest,
            template_name: name,
            data,
        });
    }
    Ok(out)
}

/// Encodes records back into the binary list format (for tests and tools).
pub fn encode(records: &[Record]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        out.extend_from_slice(&r.pcr.to_ne_bytes());
        out.extend_from_slice(&r.template_digest);
        out.extend_from_slice(&(r.template_name.len() as u32).to_ne_bytes());
        out.extend_from_slice(r.template_name.as_bytes());
        if r.template_name == "ima" {
            out.extend_from_slice(&r.data[..20]);
            let name = &r.data[20..];
            let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
            out.extend_from_slice(&(end as u32).to_ne_bytes());
            out.extend_from_slice(&name[..end]);
        } else {
            out.extend_from_slice(&(r.data.len() as u32).to_ne_bytes());
            out.extend_from_slice(&r.data);
        }
    }
    out
}

/// PCR values of one bank.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bank {
    pub algo: HashAlgo,
    pub pcrs: Vec<Vec<u8>>,
}

impl Bank {
    pub fn zeroed(algo: HashAlgo) -> Bank {
        Bank {
            algo,
            pcrs: vec![vec![0; algo.digest_len()]; NUM_PCRS],
        }
    }

    fn extend(&mut self, pcr: usize, digest: &[u8]) {
        let mut h = self.algo.hasher();
        h.update(&self.pcrs[pcr]);
        h.update(digest);
        self.pcrs[pcr] = h.finalize();
    }
}

/// How violations are replayed: the list holds zeros, the kernel extended 0xff.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Violations {
    /// Replay the zeros as they are (a list with violations then does not match).
    AsRecorded,
    /// Replay them as the kernel did (`--ignore-violations`).
    AsExtended,
}

/// Replays `record` into `bank` (per-bank template digest) and `padded` (the SHA-1
/// template digest zero-padded to the bank's size, as kernels before 5.8 extended).
pub fn extend(record: &Record, bank: &mut Bank, padded: &mut Bank, v: Violations) {
    let size = bank.algo.digest_len();
    let (d, p) = if record.is_violation() {
        match v {
            Violations::AsRecorded => (vec![0; size], vec![0; size]),
            Violations::AsExtended => {
                let mut p = vec![0; size];
                p[..20.min(size)].fill(0xff);
                (vec![0xff; size], p)
            }
        }
    } else {
        let mut p = vec![0; size];
        let n = 20.min(size);
        p[..n].copy_from_slice(&record.template_digest[..n]);
        (bank.algo.digest(&record.data), p)
    };
    let pcr = record.pcr as usize;
    bank.extend(pcr, &d);
    padded.extend(pcr, &p);
}

/// Whether every PCR that the replay touched (non-zero) equals the TPM's value.
pub fn matches(replayed: &Bank, tpm: &Bank) -> bool {
    replayed
        .pcrs
        .iter()
        .zip(&tpm.pcrs)
        .all(|(r, t)| r.iter().all(|&b| b == 0) || r == t)
}

/// Parses a PCR file, as sysfs and `--pcrs` give them: `PCR-NN: hex` lines from PCR-00
/// on, in order, each PCR once and none skipped (PCRs after the last line are absent and
/// read as zero, which never matches an extended PCR). Other lines are ignored. A
/// duplicate, a gap, a PCR past 23 or a value of the wrong size is an error naming the line.
pub fn parse_pcr_file(text: &str, algo: HashAlgo) -> Result<Bank, String> {
    let mut bank = Bank::zeroed(algo);
    let mut next = 0usize;
    for (i, line) in text.lines().enumerate() {
        let Some(rest) = line.strip_prefix("PCR-") else {
            continue;
        };
        let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        let at = format!("line {}", i + 1);
        let n: usize = digits
            .parse()
            .map_err(|_| format!("{at}: expected PCR-NN with NN a number"))?;
        if n >= NUM_PCRS {
            return Err(format!(
                "{at}: PCR-{digits}: there are only {NUM_PCRS} PCRs"
            ));
        }
        if n < next {
            return Err(format!("{at}: PCR-{n:02} given twice"));
        }
        if n > next {
            return Err(format!(
                "{at}: PCR-{n:02} without PCR-{next:02}: the lines run from PCR-00 in order"
            ));
        }
        let hex: String = rest[digits.len()..]
            .trim_start_matches(':')
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let v = crate::hash::from_hex(&hex)
            .filter(|v| v.len() == algo.digest_len())
            .ok_or_else(|| {
                format!(
                    "{at}: PCR-{n:02}: expected a {algo} value ({} hex digits)",
                    algo.digest_len() * 2
                )
            })?;
        bank.pcrs[n] = v;
        next += 1;
    }
    if next == 0 {
        return Err("no 'PCR-00: <hex>' lines".into());
    }
    Ok(bank)
}

/// The `boot_aggregate` of a bank: H(PCR0..7) for sha1, H(PCR0..9) for other banks.
pub fn boot_aggregate(bank: &Bank) -> Vec<u8> {
    let n = if bank.algo == HashAlgo::Sha1 { 8 } else { 10 };
    let mut h = bank.algo.hasher();
    for p in &bank.pcrs[..n] {
        h.update(p);
    }
    h.finalize()
}

/// Replays a TPM 1.2 (SHA-1) BIOS event log (`binary_bios_measurements`): records of
/// u32 pcr, u32 type, 20-byte digest, u32 length, event data; native byte order.
pub fn replay_tpm12_event_log(bytes: &[u8]) -> Result<Bank, ListError> {
    if bytes.is_empty() {
        // All-zero PCRs would give an all-zero aggregate that no TPM ever reports.
        return Err(ListError {
            record: 1,
            offset: 0,
            why: "the event log is empty: there is nothing to replay".into(),
        });
    }
    let mut bank = Bank::zeroed(HashAlgo::Sha1);
    let mut pos = 0;
    let mut n = 0;
    while pos + 32 <= bytes.len() {
        n += 1;
        let u32_at = |at: usize| u32::from_ne_bytes(bytes[at..at + 4].try_into().unwrap());
        let pcr = u32_at(pos) as usize;
        if pcr >= NUM_PCRS {
            return Err(ListError {
                record: n,
                offset: pos,
                why: format!("invalid PCR {pcr}"),
            });
        }
        let digest = &bytes[pos + 8..pos + 28];
        let len = u32_at(pos + 28) as usize;
        if pos + 32 + len > bytes.len() {
            return Err(ListError {
                record: n,
                offset: pos,
                why: "truncated event data".into(),
            });
        }
        bank.extend(pcr, digest);
        pos += 32 + len;
    }
    if pos != bytes.len() {
        return Err(ListError {
            record: n + 1,
            offset: pos,
            why: "truncated event header".into(),
        });
    }
    Ok(bank)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn ng(pcr: u32, path: &str, content: &[u8]) -> Record {
        let digest = HashAlgo::Sha256.digest(content);
        let mut dng = b"sha256:\0".to_vec();
        dng.extend_from_slice(&digest);
        let mut data = Vec::new();
        for f in [dng, format!("{path}\0").into_bytes()] {
            data.extend_from_slice(&(f.len() as u32).to_ne_bytes());
            data.extend_from_slice(&f);
        }
        let td: [u8; 20] = HashAlgo::Sha1.digest(&data).try_into().unwrap();
        Record {
            pcr,
            template_digest: td,
            template_name: "ima-ng".into(),
            data,
        }
    }

    #[test]
    fn round_trip_and_replay() {
        let recs = vec![ng(10, "/bin/a", b"a"), ng(10, "/bin/b", b"b")];
        let bytes = encode(&recs);
        assert_eq!(parse(&bytes).unwrap(), recs);
        assert!(recs.iter().all(Record::template_digest_ok));
        let info = recs[0].file_info().unwrap();
        assert_eq!((info.algo, info.path.as_str()), ("sha256", "/bin/a"));
        let mut bank = Bank::zeroed(HashAlgo::Sha256);
        let mut padded = Bank::zeroed(HashAlgo::Sha256);
        for r in &recs {
            extend(r, &mut bank, &mut padded, Violations::AsRecorded);
        }
        let mut expect = vec![0u8; 32];
        for r in &recs {
            let mut x = expect.clone();
            x.extend(HashAlgo::Sha256.digest(&r.data));
            expect = HashAlgo::Sha256.digest(&x);
        }
        assert_eq!(bank.pcrs[10], expect);
        // The TPM as read back: PCR 10 holds the value computed above by hand; PCR 3 holds
        // something the list did not extend (a PCR the replay leaves at zero is not compared).
        let mut tpm = Bank::zeroed(HashAlgo::Sha256);
        tpm.pcrs[10] = expect.clone();
        tpm.pcrs[3] = vec![0x5a; 32];
        assert!(matches(&bank, &tpm));
        // One bit off in the one replayed PCR: no match.
        let mut off = tpm.clone();
        off.pcrs[10][31] ^= 1;
        assert!(!matches(&bank, &off));
        // A TPM that was never extended does not match a list that extended PCR 10.
        assert!(!matches(&bank, &Bank::zeroed(HashAlgo::Sha256)));
        // A replayed PCR the TPM does not hold (the list extended PCR 11 too): no match.
        let mut more = bank.clone();
        more.pcrs[11] = vec![0x11; 32];
        assert!(!matches(&more, &tpm));
        // The padded SHA-1 replay differs from the per-bank replay.
        assert!(!matches(&padded, &tpm));
        // Truncation is reported with the record number.
        let e = parse(&bytes[..bytes.len() - 3]).unwrap_err();
        assert_eq!(e.record, 2);
    }

    #[test]
    fn pcr_files() {
        let text = format!("PCR-00: {}\nPCR-01: {}\n", "00".repeat(20), "ab".repeat(20));
        let b = parse_pcr_file(&text, HashAlgo::Sha1).unwrap();
        assert_eq!(b.pcrs[1], vec![0xab; 20]);
        assert!(parse_pcr_file("PCR-00: 00\n", HashAlgo::Sha1).is_err());
        let z = "00".repeat(20);
        let dup = format!("PCR-00: {z}\nPCR-01: {z}\nPCR-01: {z}\n");
        assert_eq!(
            parse_pcr_file(&dup, HashAlgo::Sha1).unwrap_err(),
            "line 3: PCR-01 given twice"
        );
        let gap = format!("PCR-00: {z}\nPCR-02: {z}\n");
        assert!(parse_pcr_file(&gap, HashAlgo::Sha1)
            .unwrap_err()
            .contains("PCR-02 without PCR-01"));
        let past = format!("PCR-24: {z}\n");
        assert!(parse_pcr_file(&past, HashAlgo::Sha1)
            .unwrap_err()
            .contains("only 24 PCRs"));
    }
}
