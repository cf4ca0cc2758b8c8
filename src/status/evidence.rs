//! The evidence `imactl status --kexec` judges: the image's PE signature checked against
//! the firmware's certificates in efivarfs (db, and MokListRT when Secure Boot is on), and
//! the IMA values (security.ima, an appended signature) of the image and its initrd
//! checked with the certificates given. Files are read through the bounded reader.

use std::path::Path;

use xattr::FileExt;

use super::facts::{Facts, KeyMember};
use super::gather::{Reader, DB_VAR, MOK_LIST_RT_VAR};
use super::preflight::{Evidence, FileEvidence, ImaCheck, PeCheck};
use crate::format::ImaValue;
use crate::hash::HashAlgo;
use crate::input::{self, InputError, InputKind};
use crate::keys::Certificate;
use crate::pe::{authenticode, PeImage};
use crate::sign::VerifyKey;
use crate::verify::{Keys, ValueKind, Verifier};

/// A file that could not be read: the caller names it and exits with status 2.
#[derive(Debug)]
pub struct Unreadable(pub String);

/// Reads `path` whole (capped) and its security.ima through the same descriptor.
fn read_with_xattr(path: &Path) -> Result<(Vec<u8>, Option<Vec<u8>>), Unreadable> {
    let name = |e: &dyn std::fmt::Display| Unreadable(format!("{}: {e}", path.display()));
    let file = input::open_regular(path).map_err(|e| name(&e))?;
    let len = file.metadata().map_err(|e| name(&e))?.len();
    if len > InputKind::KexecImage.limit() {
        return Err(name(&InputError::TooLarge(InputKind::KexecImage)));
    }
    let value = file.get_xattr("security.ima").ok().flatten();
    let data = input::read_capped(&file, InputKind::KexecImage).map_err(|e| name(&e))?;
    Ok((data, value))
}

/// The certificates of one signature-list variable, with a line saying what was read.
fn efi_list(r: &mut Reader, root: &Path, rel: &str, name: &str) -> (Vec<Certificate>, String) {
    let Some(value) = r.efi_var(root, rel) else {
        return (Vec::new(), format!("{name}: not readable"));
    };
    match crate::uefi::parse_signature_lists(name, &value) {
        Ok(l) => {
            let n = l.certificates.len();
            (
                l.certificates,
                format!("{name}: {n} certificate{}", if n == 1 { "" } else { "s" }),
            )
        }
        Err(e) => (Vec::new(), format!("{name}: {e}")),
    }
}

/// The certificates the kernel checks PE signatures against that efivarfs shows: db
/// (.platform) and, under Secure Boot only, MokListRT (.machine, or .platform for what
/// .machine refuses); with a line per list and whether any list was readable.
type Anchors = (Vec<(Certificate, &'static str)>, Vec<String>, bool);

fn trust_anchors(f: &Facts, root: &Path, r: &mut Reader) -> Anchors {
    let mut lists = Vec::new();
    let (db, line) = efi_list(r, root, DB_VAR, "db");
    let mut known = !line.ends_with("not readable");
    lists.push(line);
    let mut anchors: Vec<(Certificate, &str)> = db.into_iter().map(|c| (c, ".platform")).collect();
    if f.secure_boot_effective() == Some(true) {
        let (mok, line) = efi_list(r, root, MOK_LIST_RT_VAR, "MokListRT");
        known |= !line.ends_with("not readable");
        lists.push(line);
        anchors.extend(mok.into_iter().map(|c| (c, ".machine or .platform")));
    } else {
        lists.push("MokListRT: not used (the kernel loads MOK only under Secure Boot)".into());
    }
    (anchors, lists, known)
}

/// The certificates efivarfs shows that the kernel puts into `.platform`: db, and under
/// Secure Boot the MokListRT certificates `.machine` refuses (all of them without
/// CONFIG_INTEGRITY_MACHINE_KEYRING). Empty without CONFIG_INTEGRITY_PLATFORM_KEYRING or
/// an unreadable configuration.
fn platform_certs(f: &Facts, root: &Path, r: &mut Reader) -> Vec<Certificate> {
    let Some(config) = f.config.as_ref() else {
        return Vec::new();
    };
    if !config.enabled("INTEGRITY_PLATFORM_KEYRING") {
        return Vec::new();
    }
    let (mut certs, _) = efi_list(r, root, DB_VAR, "db");
    if f.secure_boot_effective() == Some(true) {
        let (mok, _) = efi_list(r, root, MOK_LIST_RT_VAR, "MokListRT");
        let machine = config.enabled("INTEGRITY_MACHINE_KEYRING");
        let ca_only = config.enabled("INTEGRITY_CA_MACHINE_KEYRING");
        let max = config.enabled("INTEGRITY_CA_MACHINE_KEYRING_MAX");
        let now = std::time::SystemTime::now();
        certs.extend(mok.into_iter().filter(|c| {
            if !machine {
                return true;
            }
            if !ca_only {
                return false;
            }
            let rep = crate::keys::inspect::analyse(c, now);
            !(if max {
                rep.machine_acceptable_max
            } else {
                rep.machine_acceptable
            })
        }));
    }
    certs
}

/// The PE signature of `data`, checked against db and (under Secure Boot) MokListRT.
fn pe_check(data: &[u8], f: &Facts, root: &Path, r: &mut Reader) -> PeCheck {
    let (anchors, lists, trust_known) = trust_anchors(f, root, r);
    let mut pe = PeCheck {
        present: false,
        signer: None,
        digest_matches: None,
        problem: None,
        trusted_by: None,
        lists,
        trust_known,
        revoked: None,
        revocation_lists: Vec::new(),
        revocation_known: false,
    };
    let sig = parse_signature(data, &mut pe);
    let rev = super::revocation::check(f, root, r, sig.as_ref());
    pe.revoked = rev.revoked;
    pe.revocation_lists = rev.lines;
    pe.revocation_known = rev.known;
    let Some(sig) = sig else {
        return pe;
    };
    pe.signer = Some(sig.signer.subject());
    let matches = PeImage::parse(data)
        .is_ok_and(|img| img.authenticode_digest(sig.image_hash) == sig.image_digest);
    pe.digest_matches = Some(matches);
    if !matches {
        pe.problem = Some(format!(
            "the image's {} Authenticode digest does not match the signed one (changed after signing)",
            sig.image_hash.name()
        ));
    } else if let Err(e) = &sig.signature_valid {
        pe.problem = Some(e.clone());
    }
    let certs: Vec<Certificate> = anchors.iter().map(|(c, _)| c.clone()).collect();
    if let Some(i) = authenticode::trusted_by(&sig, &certs) {
        let (c, ring) = &anchors[i];
        pe.trusted_by = Some(format!("{} '{}' ({ring})", c.path().display(), c.subject()));
    }
    // On the live system the kernel's keyrings are the judge: what it loaded, not what
    // the firmware holds.
    if let Some(found) = keyring_vouches(&sig, f) {
        pe.lists.push(format!(
            "kernel keyrings: {}",
            found.as_deref().unwrap_or("no key vouches for the signer")
        ));
        pe.trusted_by = found;
        pe.trust_known = true;
    }
    pe
}

/// The Authenticode signature of `data`, when there is one that parses; what is wrong
/// with it otherwise goes into `pe`.
fn parse_signature(data: &[u8], pe: &mut PeCheck) -> Option<authenticode::Authenticode> {
    let img = match PeImage::parse(data) {
        Ok(i) => i,
        Err(e) => {
            pe.problem = Some(format!("not a PE image the kernel can check ({e})"));
            return None;
        }
    };
    let pkcs7 = match img.pkcs7() {
        Ok(Some(p)) => p,
        Ok(None) => return None,
        Err(e) => {
            pe.present = true;
            pe.problem = Some(e.to_string());
            return None;
        }
    };
    pe.present = true;
    match authenticode::parse(pkcs7) {
        Ok(s) => Some(s),
        Err(e) => {
            pe.problem = Some(e.to_string());
            None
        }
    }
}

/// The keyrings kexec's PE check trusts, whose members are readable (live system only).
const PE_KEYRINGS: [&str; 4] = [
    ".builtin_trusted_keys",
    ".secondary_trusted_keys",
    ".machine",
    ".platform",
];

/// Whether a key in the kernel's PE keyrings vouches for the signer: a certificate of the
/// chain is itself there (its SKID ends the key's description, "SUBJECT: SKIDHEX"), or its
/// issuer is (its AKID's keyIdentifier does). Outer None: no member list was readable.
fn keyring_vouches(sig: &authenticode::Authenticode, f: &Facts) -> Option<Option<String>> {
    let keys = f.proc_keys.as_deref()?;
    let mut rings = Vec::new();
    for name in PE_KEYRINGS {
        let Some(ring) = keys
            .iter()
            .find(|k| k.key_type == "keyring" && k.text.split(':').next() == Some(name))
        else {
            continue;
        };
        if let Some((_, m)) = f.members.iter().find(|(s, _)| *s == ring.serial) {
            rings.push((name, m));
        }
    }
    if rings.is_empty() {
        return None;
    }
    let ends = |m: &KeyMember, id: &[u8]| {
        m.key_type == "asymmetric"
            && m.description
                .ends_with(&format!(": {}", crate::hash::to_hex(id)))
    };
    for c in authenticode::chain(sig) {
        let ids = [c.skid(), authenticode::akid_key_id(c)];
        for (name, members) in &rings {
            for id in ids.iter().flatten() {
                if let Some(m) = members.iter().find(|m| ends(m, id)) {
                    return Some(Some(format!("{name} key '{}'", m.description)));
                }
            }
        }
    }
    Some(None)
}

/// Where IMA signatures are checked: the certificates given, else (live system) the
/// kernel's own `.ima` keyring through KEYCTL_PKEY_VERIFY, as appraisal does.
pub enum ImaKeys<'a> {
    Certificates {
        certs: &'a [Certificate],
        /// The keys in `.ima`, when they could be read (live system).
        members: Option<&'a [KeyMember]>,
    },
    Keyring(i32),
    None,
}

/// The IMA value of a file, checked.
fn ima_check(data: &[u8], value: Option<&[u8]>, keys: &ImaKeys) -> ImaCheck {
    let Some(value) = value else {
        return ImaCheck::None;
    };
    match ImaValue::parse(value) {
        Ok(ImaValue::DigestNg { hash_id, digest }) => {
            return ImaCheck::Hash(
                HashAlgo::from_kernel_id(hash_id).is_some_and(|a| a.digest(data) == digest),
            )
        }
        Ok(ImaValue::Digest(d)) => {
            return ImaCheck::Hash(d.len() == 20 && HashAlgo::Sha1.digest(data) == d)
        }
        Ok(_) => {}
        Err(e) => return ImaCheck::BadSignature(format!("malformed security.ima: {e}")),
    }
    let (verifier, members) = match keys {
        ImaKeys::None => {
            return ImaCheck::Unchecked(
                "security.ima holds a signature; give the IMA certificates with --cert to \
                 check it"
                    .into(),
            )
        }
        ImaKeys::Keyring(serial) => (
            Verifier::new(Keys::Keyring {
                keyring: *serial,
                blacklist: None,
            }),
            None,
        ),
        ImaKeys::Certificates { certs, members } => {
            let keys: Vec<VerifyKey> = certs
                .iter()
                .filter_map(|c| VerifyKey::from_certificate(c).ok())
                .collect();
            (Verifier::new(Keys::Certificates(keys)), *members)
        }
    };
    let verdict = verifier.verify(ValueKind::Ima, Some(value), &mut |algo| {
        Ok::<_, std::convert::Infallible>(algo.digest(data))
    });
    match verdict {
        Ok(v) if v.is_ok() => {
            let keyid = v
                .keyid()
                .map(|k| crate::hash::to_hex(&k))
                .unwrap_or_default();
            let listed = members.map(|m| m.iter().any(|k| k.keyid.as_deref() == Some(&keyid)));
            let unnamed = members.is_some_and(|m| m.iter().any(|k| k.keyid.is_none()));
            match (listed, keys) {
                (_, ImaKeys::Keyring(_)) => ImaCheck::ValidSignature(format!(
                    "key id:{keyid} in .ima, checked by the kernel"
                )),
                (Some(false), _) if !unnamed => ImaCheck::BadSignature(format!(
                    "it verifies with key id:{keyid}, which is not in .ima"
                )),
                (Some(true), _) => ImaCheck::ValidSignature(format!("key id:{keyid}, in .ima")),
                _ => ImaCheck::ValidSignature(format!(
                    "key id:{keyid} from --cert; whether it is in .ima is not known here"
                )),
            }
        }
        // Not checked (a key the process may not use, as the keys of .ima are to userspace):
        // the kernel may well accept it, so the prediction is unknown, never refuse.
        Ok(crate::verdict::Verdict::NotChecked { detail, .. }) => ImaCheck::Unchecked(format!(
            "{detail}; give the IMA certificates with --cert to check it here"
        )),
        Ok(v) => ImaCheck::BadSignature(v.to_string()),
        Err(e) => ImaCheck::Unchecked(format!("the signature could not be checked: {e:?}")),
    }
}

/// The modsig of a file: None without one.
fn modsig_check(data: &[u8], certs: &[Certificate]) -> Option<Result<String, String>> {
    crate::modsig::split(data).ok()?;
    Some(
        crate::modsig::verify(data, certs)
            .map(|i| format!("signed by {}", i.certificate))
            .map_err(|e| e.to_string()),
    )
}

/// The serial of `.ima`, and its members when they could be read (live system).
fn ima_keyring(f: &Facts) -> Option<(i32, Option<&[KeyMember]>)> {
    let keys = f.proc_keys.as_deref()?;
    let ring = keys
        .iter()
        .find(|k| k.key_type == "keyring" && k.text.split(':').next() == Some(".ima"))?;
    let members = f
        .members
        .iter()
        .find(|(s, _)| *s == ring.serial)
        .map(|(_, m)| m.as_slice());
    Some((ring.serial, members))
}

/// The keys IMA signatures are checked with.
fn ima_keys<'a>(f: &'a Facts, root: &Path, certs: &'a [Certificate]) -> ImaKeys<'a> {
    let ring = ima_keyring(f);
    if !certs.is_empty() {
        return ImaKeys::Certificates {
            certs,
            members: ring.and_then(|(_, m)| m),
        };
    }
    match ring {
        Some((serial, _)) if root == Path::new("/") => ImaKeys::Keyring(serial),
        _ => ImaKeys::None,
    }
}

/// Gathers the evidence about `image` (and `initrd`) on the machine under `root`.
pub fn gather(
    f: &Facts,
    root: &Path,
    image: &Path,
    initrd: Option<&Path>,
    certs: &[Certificate],
    unreadable: &mut Vec<String>,
) -> Result<Evidence, Unreadable> {
    let mut r = Reader::default();
    let (data, value) = read_with_xattr(image)?;
    let keys = ima_keys(f, root, certs);
    let mut ima = ima_check(&data, value.as_deref(), &keys);
    if !matches!(
        ima,
        ImaCheck::ValidSignature(_) | ImaCheck::Hash(_) | ImaCheck::None
    ) {
        // For KEXEC_KERNEL_CHECK (the image, not the initramfs) IMA also tries .platform
        // when .ima has no key that verifies (ima_appraise.c).
        let platform = platform_certs(f, root, &mut r);
        if !platform.is_empty() {
            let on_platform = ima_check(
                &data,
                value.as_deref(),
                &ImaKeys::Certificates {
                    certs: &platform,
                    members: None,
                },
            );
            if let ImaCheck::ValidSignature(how) = on_platform {
                let how = how.replace(
                    "from --cert; whether it is in .ima is not known here",
                    "in .platform",
                );
                ima = ImaCheck::ValidSignature(format!(
                    "{how} (IMA also tries .platform, the firmware's keys, for a kexec image)"
                ));
            }
        }
    }
    let image_ev = FileEvidence {
        path: image.display().to_string(),
        ima,
        modsig: modsig_check(&data, certs),
    };
    let pe = pe_check(&data, f, root, &mut r);
    let compression = super::compressed::detect(&data);
    drop(data);
    let initrd_ev = match initrd {
        Some(p) => {
            let (d, v) = read_with_xattr(p)?;
            Some(FileEvidence {
                path: p.display().to_string(),
                ima: ima_check(&d, v.as_deref(), &keys),
                modsig: None,
            })
        }
        None => None,
    };
    unreadable.extend(r.unreadable);
    Ok(Evidence {
        image: image_ev,
        pe,
        initrd: initrd_ev,
        compression,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(name: &str) -> Certificate {
        let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/keys")
            .join(name);
        Certificate::load(&p).unwrap()
    }

    fn member(description: String) -> KeyMember {
        KeyMember {
            serial: 7,
            key_type: "asymmetric".into(),
            description,
            keyid: None,
        }
    }

    #[test]
    fn the_kernel_keyrings_vouch_by_skid() {
        let signer = cert("rsa2048-skid.crt.pem");
        let skid = crate::hash::to_hex(&signer.skid().unwrap());
        let sig = authenticode::Authenticode {
            image_hash: HashAlgo::Sha256,
            image_digest: vec![],
            signer,
            embedded: vec![],
            signature_valid: Ok(()),
        };
        let keys = crate::keyring::parse_proc_keys(
            "00000011 I------     1 perm 1f0b0000     0     0 keyring   .platform: 1\n",
        );
        let mut f = Facts {
            proc_keys: Some(keys),
            ..Facts::default()
        };
        // No member list: the keyrings cannot say.
        assert_eq!(keyring_vouches(&sig, &f), None);
        f.members = vec![(0x11, vec![member("other: 0011".into())])];
        assert_eq!(keyring_vouches(&sig, &f), Some(None));
        f.members = vec![(0x11, vec![member(format!("db: {skid}"))])];
        let found = keyring_vouches(&sig, &f).unwrap().unwrap();
        assert!(found.starts_with(".platform key 'db: "), "{found}");
    }
}

#[cfg(test)]
mod unchecked_tests {
    use super::*;

    /// A legacy v1 signature header (version 1, RSA, SHA-1) over 256 bytes: certificates
    /// cannot check it.
    fn v1_value() -> Vec<u8> {
        let mut v = vec![3, 1, 0, 0, 0, 0, 0, 0];
        v.extend_from_slice(&[0x12; 8]);
        v.push(1);
        v.extend_from_slice(&2048u16.to_be_bytes());
        v.extend_from_slice(&[0x5a; 256]);
        v
    }

    #[test]
    fn a_signature_these_keys_cannot_check_is_unchecked_not_bad() {
        let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/keys/rsa2048-skid.crt.pem");
        let certs = [Certificate::load(&p).unwrap()];
        let keys = ImaKeys::Certificates {
            certs: &certs,
            members: None,
        };
        match ima_check(b"kernel", Some(&v1_value()), &keys) {
            ImaCheck::Unchecked(why) => {
                assert!(why.ends_with("to check it here"), "{why}")
            }
            other => panic!("{other:?}"),
        }
    }
}
