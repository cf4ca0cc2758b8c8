//! The fuzz entry points, shared by the cargo-fuzz targets (fuzz/fuzz_targets/) and the
//! stable replay test (tests/fuzz_corpus.rs), which runs every committed corpus file
//! through the same function. Each entry calls the library's own parser on the bytes; a
//! panic is a bug. Round-trip entries also check encode(parse(x)) == x.

#![allow(dead_code)]

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::Path;

use imaevm::format::ImaValue;
use imaevm::hash::HashAlgo;
use imaevm::keys::{Certificate, PrivateKey, PublicKey};
use imaevm::verify::{Keys, ValueKind, Verifier};

/// A fuzz entry point.
pub type Entry = fn(&[u8]);

/// Every target: (name, entry).
pub const TARGETS: &[(&str, Entry)] = &[
    ("ima_value", ima_value),
    ("evm_value", evm_value),
    ("v1_signature", v1_signature),
    ("sig_file", sig_file),
    ("private_key", private_key),
    ("certificate", certificate),
    ("public_key", public_key),
    ("policy", policy),
    ("measurement_list", measurement_list),
    ("event_log", event_log),
    ("proc_keys", proc_keys),
    ("pcrs_file", pcrs_file),
    ("evmctl_argv", evmctl_argv),
    ("template_data", template_data),
    ("pkcs11_uri", pkcs11_uri),
    ("cert_extensions", cert_extensions),
    ("modsig_trailer", modsig_trailer),
    ("status_facts", status_facts),
];

const CERT_DER: &[u8] = include_bytes!("../tests/data/keys/rsa2048.crt.der");
const P256_CERT_PEM: &[u8] = include_bytes!("../tests/data/keys/p256.crt.pem");

/// Built once per process: parsing the certificates for every input would dominate.
fn cert_verifier() -> &'static Verifier {
    static V: std::sync::OnceLock<Verifier> = std::sync::OnceLock::new();
    V.get_or_init(make_cert_verifier)
}

fn v1_verifier() -> &'static Verifier {
    static V: std::sync::OnceLock<Verifier> = std::sync::OnceLock::new();
    V.get_or_init(make_v1_verifier)
}

fn make_cert_verifier() -> Verifier {
    let rsa = Certificate::from_bytes(Path::new("rsa"), CERT_DER).unwrap();
    let ec = Certificate::from_bytes(Path::new("p256"), P256_CERT_PEM).unwrap();
    let keys = vec![
        imaevm::sign::VerifyKey::from_certificate(&rsa).unwrap(),
        imaevm::sign::VerifyKey::from_certificate(&ec).unwrap(),
    ];
    Verifier::new(Keys::Certificates(keys))
}

fn make_v1_verifier() -> Verifier {
    let rsa = Certificate::from_bytes(Path::new("rsa"), CERT_DER).unwrap();
    Verifier::new(Keys::LegacyV1(rsa.public_key().unwrap()))
}

fn digest_of(algo: HashAlgo) -> Result<Vec<u8>, std::convert::Infallible> {
    Ok(algo.digest(b"fuzz"))
}

/// A `security.ima` value: decoded, re-encoded byte for byte, and verified.
pub fn ima_value(data: &[u8]) {
    if let Ok(v) = ImaValue::parse(data) {
        assert_eq!(v.encode(), data, "ImaValue round trip");
    }
    let _ = cert_verifier().verify(ValueKind::Ima, Some(data), &mut digest_of);
}

/// A `security.evm` value, as the verifier decodes it.
pub fn evm_value(data: &[u8]) {
    let _ = cert_verifier().verify(ValueKind::Evm, Some(data), &mut digest_of);
}

/// A legacy v1 signature value (type 0x03, version 1), checked with an RSA key.
pub fn v1_signature(data: &[u8]) {
    let mut value = vec![3u8, 1];
    value.extend_from_slice(data);
    let _ = v1_verifier().verify(ValueKind::Ima, Some(&value), &mut digest_of);
    let _ = imaevm::sign::v1_hash_algo(&value[1..]);
}

/// A detached `.sig` file: what `--sigfile` verification and `policy load` make of it.
pub fn sig_file(data: &[u8]) {
    let _ = imaevm::policy::plan::is_signature(data);
    let _ = cert_verifier().verify(ValueKind::Ima, Some(data), &mut digest_of);
}

/// A private key file, PEM or DER (no password: encrypted keys stop before decryption).
pub fn private_key(data: &[u8]) {
    if let Ok(k) = PrivateKey::from_bytes(Path::new("k"), data, None) {
        let _ = k.key.public_key().computed_keyid();
    }
}

/// A certificate file, PEM or DER: keyids, public key and the kernel's checks.
pub fn certificate(data: &[u8]) {
    if let Ok(c) = Certificate::from_bytes(Path::new("c"), data) {
        let _ = c.computed_keyid();
        let _ = c.skid_keyid();
        let _ = c.public_key();
        let _ = imaevm::keys::kernel_fit::kernel_refusal(&c);
    }
}

/// A DER SubjectPublicKeyInfo, and the v1 key blob made from it.
pub fn public_key(data: &[u8]) {
    if let Ok(k) = PublicKey::from_spki_der(data) {
        let _ = k.computed_keyid();
    }
    let _ = imaevm::keys::v1::key2bin(data);
}

/// Policy text: parsed, checked for each kernel, and every accepted rule's canonical text
/// parses back to the same rule.
pub fn policy(data: &[u8]) {
    use imaevm::policy::parse::parse_policy;
    use imaevm::policy::validate::check_policy;
    use imaevm::policy::Profile;
    let text = String::from_utf8_lossy(data);
    let parsed = parse_policy(&text);
    for p in [Profile::V6_1, Profile::V6_12, Profile::V7_2] {
        let _ = check_policy(&parsed, p);
    }
    for r in &parsed.rules {
        let canon = r.rule.canonical();
        let again = parse_policy(&canon);
        assert_eq!(again.rules.len(), 1, "{canon:?}");
        assert_eq!(again.rules[0].rule, r.rule.canonical_order(), "{canon:?}");
    }
}

/// A binary measurement list: parsed, re-encoded byte for byte (templates other than
/// the legacy `ima`, whose name field is stored padded), replayed.
pub fn measurement_list(data: &[u8]) {
    use imaevm::measurement::replay::{check_list, ReplayOptions};
    use imaevm::measurement::{encode, parse, Violations};
    let Ok(records) = parse(data) else {
        return;
    };
    if records.iter().all(|r| r.template_name != "ima") {
        assert_eq!(encode(&records), data, "measurement list round trip");
    } else {
        assert_eq!(parse(&encode(&records)).unwrap(), records);
    }
    for r in &records {
        let _ = r.file_info();
    }
    let opts = ReplayOptions {
        violations: Violations::AsExtended,
        only_bank: None,
        file_notes: true,
    };
    let _ = check_list(&records, &[None, None], opts, Some(cert_verifier()));
}

/// Template data of one record, under each known template name.
pub fn template_data(data: &[u8]) {
    for name in [
        "ima-ng",
        "ima-sig",
        "ima-buf",
        "ima-modsig",
        "evm-sig",
        "custom",
    ] {
        let _ = imaevm::measurement::template::check(name, data);
    }
}

/// A TPM 1.2 event log.
pub fn event_log(data: &[u8]) {
    if let Ok(b) = imaevm::measurement::replay_tpm12_event_log(data) {
        let _ = imaevm::measurement::boot_aggregate(&b);
    }
}

/// /proc/keys text.
pub fn proc_keys(data: &[u8]) {
    let _ = imaevm::keyring::parse_proc_keys(&String::from_utf8_lossy(data));
}

/// A `--pcrs` file, for both banks.
pub fn pcrs_file(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for algo in [HashAlgo::Sha1, HashAlgo::Sha256] {
        if let Ok(b) = imaevm::measurement::parse_pcr_file(&text, algo) {
            let _ = imaevm::measurement::boot_aggregate(&b);
        }
    }
}

/// evmctl's argv (NUL-separated): the getopt-compatible parser and the resolution into a
/// typed request; nothing is run.
pub fn evmctl_argv(data: &[u8]) {
    let args: Vec<OsString> = data
        .split(|&b| b == 0)
        .map(|a| OsString::from_vec(a.to_vec()))
        .collect();
    if let Ok(p) = imaevm::cli::evmctl::parse::parse(&args) {
        let _ = imaevm::cli::evmctl::args::resolve(p.options, p.operands);
    }
}

/// A `pkcs11:` URI (issue 24): parsed, and shown without its PIN. A URI that parses has no
/// PIN left in what is shown.
pub fn pkcs11_uri(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = imaevm::pkcs11::is_pkcs11_uri(text);
    if let Ok(u) = imaevm::pkcs11::Pkcs11Uri::parse(text) {
        let _ = format!("{u:?}");
    }
    let shown = imaevm::pkcs11::Pkcs11Uri::display_without_pin(text);
    let _ = shown.len();
}

/// A certificate's extensions as `imactl key show` reads them (issue 24): the whole
/// analysis and its text, for a certificate that parses.
pub fn cert_extensions(data: &[u8]) {
    if let Ok(c) = Certificate::from_bytes(Path::new("c"), data) {
        let r = imaevm::keys::inspect::analyse(&c, std::time::SystemTime::UNIX_EPOCH);
        let _ = r.to_text();
    }
}

/// A file with an appended signature (issue 24): the module_signature trailer found and
/// checked as the kernel does, then the SignedData checked against a certificate.
pub fn modsig_trailer(data: &[u8]) {
    if let Ok(a) = imaevm::modsig::split(data) {
        assert_eq!(
            a.content.len() + a.pkcs7.len() + 40,
            data.len(),
            "split lengths"
        );
        assert_eq!(imaevm::modsig::remove(data).ok(), Some(a.content));
    }
    let rsa = cert_for_modsig();
    let _ = imaevm::modsig::verify(data, std::slice::from_ref(rsa));
}

fn cert_for_modsig() -> &'static Certificate {
    static C: std::sync::OnceLock<Certificate> = std::sync::OnceLock::new();
    C.get_or_init(|| Certificate::from_bytes(Path::new("rsa"), CERT_DER).unwrap())
}

/// What `imactl status` reads (issue 24): the input split at its first six NUL bytes into
/// the policy, the /proc/keys text, the kernel configuration, the command line, the
/// lockdown file and the Secure Boot state ("1 0": SecureBoot, SetupMode); the whole
/// assessment and its report, the PE gate's and the appraisal's readings; the rest (NUL
/// bytes included) as an EFI signature list (db, MokListRT) and as a PE image (its
/// Authenticode signature and digest) for `status --kexec`.
pub fn status_facts(data: &[u8]) {
    use imaevm::status::{Facts, KernelConfig, PolicyFile};
    let mut parts = data.splitn(7, |&b| b == 0);
    let mut next = || {
        parts
            .next()
            .map(|p| String::from_utf8_lossy(p).into_owned())
    };
    let policy = next();
    let keys = next();
    let config = next();
    let cmdline = next();
    let lockdown = next();
    let sb = next();
    let efi: &[u8] = parts.next().unwrap_or(&[]);
    let f = Facts {
        release: Some("6.12.0".into()),
        lsm: Some("lockdown,capability,ima".into()),
        ima_dir: true,
        cmdline,
        lockdown,
        efi: sb.is_some(),
        secure_boot: sb.as_deref().map(|s| s.starts_with('1')),
        setup_mode: sb.as_deref().map(|s| s.ends_with('1')),
        policy: policy.map_or(PolicyFile::WriteOnly, PolicyFile::Readable),
        config: config.map(|c| KernelConfig::parse("fuzz", &c)),
        proc_keys: keys.map(|k| imaevm::keyring::parse_proc_keys(&k)),
        ..Facts::default()
    };
    let report = imaevm::status::assess(&f);
    let _ = report.to_text();
    let _ = imaevm::status::preflight::pe_enforced(&f);
    let _ = imaevm::status::preflight::appraise_enforcing(&f);
    let _ = imaevm::uefi::parse_signature_lists("db", efi);
    if let Ok(pe) = imaevm::pe::PeImage::parse(efi) {
        let _ = pe.authenticode_digest(HashAlgo::Sha256);
        if let Ok(Some(p7)) = pe.pkcs7() {
            let _ = imaevm::pe::authenticode::parse(p7);
        }
    }
}
