//! Reading PCR values: from files in the `PCR-NN: hex` format, or from the TPM through
//! sysfs (TPM 1.2: one sha1 file; TPM 2.0, kernel >= 5.12: one file per bank and PCR).
//! The sysfs root is a parameter so that tests can give a fixture directory.

use std::fmt;
use std::path::{Path, PathBuf};

use super::replay::BANKS;
use super::{parse_pcr_file, Bank, NUM_PCRS};
use crate::error::io_words;
use crate::hash::HashAlgo;

/// A PCR file that could not be used.
#[derive(Debug)]
pub enum PcrFileError {
    Io(PathBuf, std::io::Error),
    NotRegular(PathBuf, &'static str),
    Malformed(PathBuf, String),
}

impl fmt::Display for PcrFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PcrFileError::Io(p, e) => write!(f, "{}: {}", p.display(), io_words(e)),
            PcrFileError::NotRegular(p, what) => {
                write!(f, "{}: not a regular file ({what})", p.display())
            }
            PcrFileError::Malformed(p, why) => write!(f, "{}: {why}", p.display()),
        }
    }
}

impl std::error::Error for PcrFileError {}

/// Reads a file of `PCR-NN: hex` lines holding `algo` values.
pub fn read_pcr_file(path: &Path, algo: HashAlgo) -> Result<Bank, PcrFileError> {
    let text = crate::input::read_input_string(path, crate::input::InputKind::Pcrs).map_err(
        |e| match e {
            crate::input::InputError::NotRegular(what) => {
                PcrFileError::NotRegular(path.to_path_buf(), what)
            }
            e => PcrFileError::Io(path.to_path_buf(), e.into()),
        },
    )?;
    parse_pcr_file(&text, algo).map_err(|e| PcrFileError::Malformed(path.to_path_buf(), e))
}

/// PCR values per replayed bank: from `files` (bank, path) when there are any, else from
/// the TPM under `sysfs`.
pub fn read_banks(
    files: &[(HashAlgo, PathBuf)],
    sysfs: &Path,
) -> Result<[Option<Bank>; 2], PcrFileError> {
    if files.is_empty() {
        return Ok(read_sysfs_banks(sysfs));
    }
    let mut out: [Option<Bank>; 2] = [None, None];
    for (bank, path) in files {
        if let Some(i) = bank_index(*bank) {
            out[i] = Some(read_pcr_file(path, *bank)?);
        }
    }
    Ok(out)
}

/// The index of `algo` among the replayed banks, if it is one.
pub fn bank_index(algo: HashAlgo) -> Option<usize> {
    BANKS.iter().position(|b| *b == algo)
}

/// PCR values per replayed bank, read from the TPM under `sysfs` (normally `/sys`); a
/// bank that cannot be read is `None`.
pub fn read_sysfs_banks(sysfs: &Path) -> [Option<Bank>; 2] {
    let mut out: [Option<Bank>; 2] = [None, None];
    // TPM 1.2: one sha1 file.
    for p in ["class/tpm/tpm0/device/pcrs", "class/misc/tpm0/device/pcrs"] {
        let text = crate::input::read_input_string(&sysfs.join(p), crate::input::InputKind::Pcrs);
        if let Ok(text) = text {
            if let Ok(b) = parse_pcr_file(&text, HashAlgo::Sha1) {
                out[0] = Some(b);
                return out;
            }
        }
    }
    // TPM 2.0: one file per PCR and bank.
    for (i, algo) in BANKS.iter().enumerate() {
        let mut bank = Bank::zeroed(*algo);
        let complete = (0..NUM_PCRS).all(|n| {
            let p = sysfs.join(format!("class/tpm/tpm0/pcr-{}/{n}", algo.name()));
            match crate::input::read_input_string(&p, crate::input::InputKind::Pcrs)
                .ok()
                .and_then(|t| crate::hash::from_hex(t.trim()))
            {
                Some(v) if v.len() == algo.digest_len() => {
                    bank.pcrs[n] = v;
                    true
                }
                _ => false,
            }
        });
        if complete {
            out[i] = Some(bank);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tpm2_sysfs_banks_are_read_per_pcr() {
        let dir = tempfile::tempdir().unwrap();
        let bank = dir.path().join("class/tpm/tpm0/pcr-sha256");
        std::fs::create_dir_all(&bank).unwrap();
        for n in 0..NUM_PCRS {
            std::fs::write(bank.join(n.to_string()), format!("{:064X}\n", n)).unwrap();
        }
        let banks = read_sysfs_banks(dir.path());
        assert!(banks[0].is_none(), "no sha1 bank in the fixture");
        let b = banks[1].as_ref().expect("sha256 bank");
        assert_eq!(b.pcrs[5][31], 5);
        // One PCR missing: the bank is not read at all.
        std::fs::remove_file(bank.join("23")).unwrap();
        assert!(read_sysfs_banks(dir.path())[1].is_none());
    }

    #[test]
    fn tpm12_file_is_the_sha1_bank() {
        let dir = tempfile::tempdir().unwrap();
        let dev = dir.path().join("class/tpm/tpm0/device");
        std::fs::create_dir_all(&dev).unwrap();
        let text: String = (0..NUM_PCRS)
            .map(|n| format!("PCR-{n:02}: {}\n", "AB ".repeat(20)))
            .collect();
        std::fs::write(dev.join("pcrs"), text).unwrap();
        let banks = read_sysfs_banks(dir.path());
        assert_eq!(banks[0].as_ref().unwrap().pcrs[23], vec![0xab; 20]);
        assert!(banks[1].is_none());
    }

    #[test]
    fn pcr_file_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_pcr_file(dir.path(), HashAlgo::Sha1).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
        let f = dir.path().join("pcrs");
        std::fs::write(&f, "nothing here\n").unwrap();
        let e = read_pcr_file(&f, HashAlgo::Sha1).unwrap_err();
        assert!(e.to_string().starts_with(&f.display().to_string()), "{e}");
    }
}
