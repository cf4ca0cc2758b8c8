//! The revocation lists kexec's PE check consults (docs/secure-boot.md, "Revocation: dbx,
//! MokListXRT and the .blacklist keyring"): the kernel's `.blacklist` keyring, which it fills at boot from the firmware's `dbx` and,
//! under Secure Boot only, shim's `MokListXRT` (security/integrity/platform_certs/
//! load_uefi.c, keyring_handler.c), plus the hashes built into the kernel.
//!
//! What refuses a PE signature there (6.12): a certificate of the signer's embedded chain
//! whose TBSCertificate digest is blacklisted as "tbs:HEX" (x509_get_sig_params marks it,
//! pkcs7_verify_sig_chain turns it into -EKEYREJECTED), and, with
//! CONFIG_SYSTEM_REVOCATION_LIST, a revoked certificate (an EFI_CERT_X509 entry) that is
//! in the chain or issued it (is_key_on_revocation_list). "bin:" image hashes
//! (EFI_CERT_SHA256) are not looked at on the kexec PE path.
//!
//! On the live system the keyring itself is read when /proc/keys shows it: it is what the
//! kernel holds (what it loaded at boot, and CONFIG_SYSTEM_BLACKLIST_HASH_LIST), not what
//! the firmware holds now.

use std::path::Path;

use super::facts::{Facts, KeyMember};
use super::gather::{Reader, DBX_VAR, MOK_LIST_XRT_VAR};
use crate::hash::{to_hex, HashAlgo};
use crate::keys::Certificate;
use crate::pe::authenticode::{self, Authenticode};
use crate::uefi::SignatureList;

/// What the revocation lists say about a PE signature.
pub struct Revocation {
    /// Why the kernel refuses the signature, naming the list and the entry.
    pub revoked: Option<String>,
    /// One line per list: what was read.
    pub lines: Vec<String>,
    /// Whether every list the kernel would hold was read.
    pub known: bool,
}

/// One revocation variable, read.
enum ListRead {
    /// The kernel does not load it (why).
    NotUsed(String),
    /// efivarfs is readable and the variable does not exist: the firmware has none.
    Absent,
    /// It exists (or may exist) and could not be read or parsed (why).
    Unreadable(String),
    Parsed(SignatureList),
}

fn read_list(f: &Facts, root: &Path, r: &mut Reader, rel: &str, name: &str) -> ListRead {
    let path = root.join(rel);
    if let Err(e) = std::fs::symlink_metadata(&path) {
        if e.kind() != std::io::ErrorKind::NotFound {
            return ListRead::Unreadable(e.to_string());
        }
        // A missing file means a missing variable only where efivarfs answered at all.
        return if f.secure_boot.is_some() || f.setup_mode.is_some() {
            ListRead::Absent
        } else {
            ListRead::Unreadable(
                "efivarfs shows no SecureBoot variable either, so its absence proves nothing"
                    .into(),
            )
        };
    }
    match r.efi_var(root, rel) {
        None => ListRead::Unreadable(
            r.unreadable
                .last()
                .filter(|u| u.starts_with(&*path.to_string_lossy()))
                .cloned()
                .unwrap_or_else(|| format!("{}: cannot be read", path.display())),
        ),
        Some(v) => match crate::uefi::parse_signature_lists(name, &v) {
            Ok(l) => ListRead::Parsed(l),
            Err(e) => ListRead::Unreadable(e),
        },
    }
}

fn plural(n: usize, word: &str) -> String {
    let many = if word.ends_with("sh") {
        format!("{word}es")
    } else {
        format!("{word}s")
    };
    format!("{n} {}", if n == 1 { word } else { &many })
}

fn entries(n: usize) -> String {
    format!("{n} {}", if n == 1 { "entry" } else { "entries" })
}

/// The line that says what was read from one list.
fn line(name: &str, read: &ListRead, x509_loaded: bool) -> String {
    match read {
        ListRead::NotUsed(why) => format!("{name}: not used ({why})"),
        ListRead::Absent => format!("{name}: absent (the firmware has none)"),
        ListRead::Unreadable(why) => format!("{name}: not readable ({why})"),
        ListRead::Parsed(l) => {
            let x509 = if x509_loaded {
                plural(l.certificates.len(), "revoked certificate")
            } else {
                format!(
                    "{} the kernel ignores (CONFIG_SYSTEM_REVOCATION_LIST is not set)",
                    plural(l.certificates.len(), "certificate")
                )
            };
            format!(
                "{name}: {} ({} of certificates, {}, {} not checked on the kexec PE path)",
                entries(l.entries()),
                plural(l.x509_sha256.len(), "TBS hash"),
                x509,
                plural(l.sha256.len(), "image hash"),
            )
        }
    }
}

/// The digest the kernel computes of a certificate's TBSCertificate (with the hash of the
/// certificate's own signature algorithm, x509_get_sig_params), with that hash's name.
fn tbs_digest(c: &Certificate) -> Option<(HashAlgo, Vec<u8>)> {
    use der::Encode;
    let inner = c.inner();
    let algo = crate::keys::kernel_fit::signature_hash(&inner.signature_algorithm().oid)?;
    let tbs = inner.tbs_certificate().to_der().ok()?;
    Some((algo, algo.digest(&tbs)))
}

/// A `.blacklist` member that is a revoked certificate vouching against `c`: `c` itself
/// (its SKID ends the description, "SUBJECT: SKIDHEX") or its issuer (its AKID's).
fn revoked_member<'a>(members: &'a [KeyMember], c: &Certificate) -> Option<&'a KeyMember> {
    let ids = [c.skid(), authenticode::akid_key_id(c)];
    members.iter().find(|m| {
        m.key_type.starts_with("asymmetri")
            && ids
                .iter()
                .flatten()
                .any(|id| m.description.ends_with(&format!(": {}", to_hex(id))))
    })
}

/// The `.blacklist` keyring as /proc/keys shows it: its hashes ("tbs:HEX", "bin:HEX"), and
/// its members when keyctl could list them (live system).
type Ring<'a> = (Vec<&'a str>, Option<&'a [KeyMember]>);

/// Everything the kernel's revocation holds that could be read.
struct Held<'a> {
    lists: Vec<(&'static str, ListRead)>,
    ring: Option<Ring<'a>>,
    /// CONFIG_SYSTEM_BLACKLIST_KEYRING and CONFIG_SYSTEM_REVOCATION_LIST.
    blacklist: bool,
    revocation_list: bool,
}

impl Held<'_> {
    fn parsed(&self) -> impl Iterator<Item = (&'static str, &SignatureList)> {
        self.lists.iter().filter_map(|(n, l)| match l {
            ListRead::Parsed(p) => Some((*n, p)),
            _ => None,
        })
    }
}

/// The lists under `root` the kernel would load (load_uefi.c).
fn read_lists(f: &Facts, root: &Path, r: &mut Reader) -> Vec<(&'static str, ListRead)> {
    let not_used = |why: &str| {
        vec![
            ("dbx", ListRead::NotUsed(why.into())),
            ("MokListXRT", ListRead::NotUsed(why.into())),
        ]
    };
    if !f.efi {
        return not_used("not booted through EFI");
    }
    if f.config
        .as_ref()
        .is_some_and(|c| !c.enabled("LOAD_UEFI_KEYS"))
    {
        return not_used("CONFIG_LOAD_UEFI_KEYS is not set");
    }
    let dbx = read_list(f, root, r, DBX_VAR, "dbx");
    let mokx = if f.secure_boot_effective() == Some(false) {
        ListRead::NotUsed("the kernel loads it only under Secure Boot".into())
    } else {
        read_list(f, root, r, MOK_LIST_XRT_VAR, "MokListXRT")
    };
    vec![("dbx", dbx), ("MokListXRT", mokx)]
}

/// The `.blacklist` keyring, when /proc/keys shows it (root's view of root's keyring).
fn read_ring(f: &Facts) -> Option<Ring<'_>> {
    let keys = f.proc_keys.as_deref()?;
    let ring = keys
        .iter()
        .find(|k| k.key_type == "keyring" && k.text.split(':').next() == Some(".blacklist"))?;
    let hashes = keys
        .iter()
        .filter(|k| k.key_type == "blacklist")
        .map(|k| k.text.trim())
        .collect();
    let members = f
        .members
        .iter()
        .find(|(s, _)| *s == ring.serial)
        .map(|(_, m)| m.as_slice());
    Some((hashes, members))
}

fn ring_line(ring: Option<&Ring>, blacklist: bool) -> String {
    let Some((hashes, members)) = ring else {
        return if blacklist {
            ".blacklist keyring: not readable".into()
        } else {
            ".blacklist keyring: none (CONFIG_SYSTEM_BLACKLIST_KEYRING is not set)".into()
        };
    };
    let tbs = hashes.iter().filter(|h| h.starts_with("tbs:")).count();
    let bin = hashes.iter().filter(|h| h.starts_with("bin:")).count();
    let certs = members.map_or("its certificates not listed".to_string(), |m| {
        let n = m
            .iter()
            .filter(|k| k.key_type.starts_with("asymmetri"))
            .count();
        plural(n, "revoked certificate")
    });
    format!(
        ".blacklist keyring: {}, {}, {certs}",
        plural(tbs, "TBS hash"),
        plural(bin, "image hash")
    )
}

fn role(i: usize) -> &'static str {
    if i == 0 {
        "signer"
    } else {
        "issuing"
    }
}

/// A certificate of the embedded chain whose TBS digest is blacklisted ("tbs:HEX");
/// spec-sized EFI_CERT_X509_SHA256 entries that name one without matching go to `lines`.
fn tbs_revocation(held: &Held, chain: &[&Certificate], lines: &mut Vec<String>) -> Option<String> {
    let mut revoked = None;
    for (i, c) in chain.iter().enumerate() {
        let Some((algo, digest)) = tbs_digest(c) else {
            continue;
        };
        let hex = to_hex(&digest);
        let want = format!("tbs:{hex}");
        let listed = held
            .parsed()
            .find(|(_, l)| l.x509_sha256.contains(&digest))
            .map(|(n, _)| n);
        let hit = match &held.ring {
            Some((hashes, _)) => hashes.contains(&want.as_str()),
            None => held.blacklist && listed.is_some(),
        };
        if hit && revoked.is_none() {
            let by = listed.unwrap_or("the kernel's .blacklist keyring");
            revoked = Some(format!(
                "{by} revokes the {} certificate {} (tbs {}:{hex})",
                role(i),
                c.subject(),
                algo.name()
            ));
        }
        // A spec-sized EFI_CERT_X509_SHA256 entry (hash, then the time of revocation) is
        // blacklisted whole: it names the certificate but never matches its digest.
        for (n, l) in held.parsed() {
            let names = |e: &Vec<u8>| e.len() > digest.len() && e.starts_with(&digest);
            if !hit && l.x509_sha256.iter().any(names) {
                lines.push(format!(
                    "{n}: an EFI_CERT_X509_SHA256 entry names the {} certificate {} (tbs \
                     {}:{hex}), but the kernel blacklists the whole entry with its time of \
                     revocation, which never equals a certificate's TBS digest: this kernel \
                     does not revoke it",
                    role(i),
                    c.subject(),
                    algo.name()
                ));
            }
        }
    }
    revoked
}

/// A revoked certificate (CONFIG_SYSTEM_REVOCATION_LIST) in the chain or above it.
fn cert_revocation(held: &Held, sig: &Authenticode, chain: &[&Certificate]) -> Option<String> {
    if !held.revocation_list {
        return None;
    }
    if let Some(members) = held.ring.as_ref().and_then(|(_, m)| *m) {
        return chain.iter().enumerate().find_map(|(i, c)| {
            revoked_member(members, c).map(|m| {
                format!(
                    "the kernel's .blacklist keyring holds the revoked certificate '{}' \
                     against the {} certificate {}",
                    m.description,
                    role(i),
                    c.subject()
                )
            })
        });
    }
    held.parsed().find_map(|(n, l)| {
        let c = &l.certificates[authenticode::trusted_by(sig, &l.certificates)?];
        Some(format!(
            "{n} revokes the certificate {} ({}, EFI_CERT_X509), which is in the signer's \
             chain or issued it",
            c.subject(),
            c.path().display()
        ))
    })
}

/// Checks `sig` (None: no usable signature; only the lines are made) against the
/// revocation lists the kernel holds.
pub fn check(f: &Facts, root: &Path, r: &mut Reader, sig: Option<&Authenticode>) -> Revocation {
    let config = f.config.as_ref();
    // Without the configuration, assume the option is on: the PE gate cannot pass then.
    let on = |o: &str| config.is_none_or(|c| c.enabled(o));
    let empty = |o: &str| config.is_some_and(|c| c.get(o).is_none_or(|v| v == "\"\""));
    let held = Held {
        lists: read_lists(f, root, r),
        ring: read_ring(f),
        blacklist: on("SYSTEM_BLACKLIST_KEYRING"),
        revocation_list: on("SYSTEM_REVOCATION_LIST"),
    };
    let mut lines: Vec<String> = held
        .lists
        .iter()
        .map(|(name, read)| line(name, read, held.revocation_list))
        .collect();
    lines.push(ring_line(held.ring.as_ref(), held.blacklist));
    let lists_read = held
        .lists
        .iter()
        .all(|(_, l)| !matches!(l, ListRead::Unreadable(_)));
    let tbs_known = !held.blacklist
        || held.ring.is_some()
        || (lists_read && empty("SYSTEM_BLACKLIST_HASH_LIST"));
    let x509_known = !held.revocation_list
        || held.ring.as_ref().is_some_and(|(_, m)| m.is_some())
        || (lists_read && empty("SYSTEM_REVOCATION_KEYS"));
    let revoked = sig.and_then(|sig| {
        let chain = authenticode::chain(sig);
        tbs_revocation(&held, &chain, &mut lines).or_else(|| cert_revocation(&held, sig, &chain))
    });
    Revocation {
        revoked,
        lines,
        known: tbs_known && x509_known,
    }
}
