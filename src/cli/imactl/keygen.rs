//! `imactl key ca` and `imactl key new`: a local CA and IMA signing keys issued by it.
//! Parsing and printing only; generation and certificates are in keys::gen and
//! keys::x509gen.

use std::path::{Path, PathBuf};

use clap::Args;
use zeroize::Zeroizing;

use crate::hash::to_hex;
use crate::keys::gen::{self, KeyType, NewFile};
use crate::keys::x509gen::{self, CertSpec};
use crate::keys::{Certificate, KeyErrorKind, PrivateKey};

use super::exit::Failure;

/// The environment variable holding the CA key's password (read by `key new`, used to
/// encrypt the key by `key ca`).
pub const CA_PASSWORD_ENV: &str = "IMACTL_CA_KEY_PASSWORD";
/// The environment variable holding the IMA key's password: the one evmctl reads when
/// signing with the key.
pub const KEY_PASSWORD_ENV: &str = crate::cli::KEY_PASSWORD_ENV;

/// What each IMA keyring protects against: the NOTES of the key pages.
pub const TRUST_NOTES: &str = "What the IMA keyring protects against. With _ima (Debian's \
kernels: a keyring userspace makes), any root process can add its own key and sign its own \
files and kernels: signature rules then guard against accidents, not against root. With \
.ima (CONFIG_INTEGRITY_TRUSTED_KEYRING=y: made and restricted by the kernel), only keys \
signed by a CA in .builtin_trusted_keys (built in with CONFIG_SYSTEM_TRUSTED_KEYS) or \
.secondary_trusted_keys get in: with the CA key kept off the machine, that guards against \
root. 'imactl key ca' makes such a CA, 'imactl key new' a signing key it issued, 'imactl \
key show' tells what the kernel will think of a certificate, and 'imactl status' which \
case this machine is in.";

fn key_type_arg(s: &str) -> Result<KeyType, String> {
    KeyType::parse(s).ok_or_else(|| {
        format!(
            "unknown key type '{s}' (one of: {})",
            KeyType::ALL.map(|k| k.name()).join(", ")
        )
    })
}

fn days_arg(s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(d) if (1..=36_500).contains(&d) => Ok(d),
        _ => Err(format!("'{s}' is not a number of days from 1 to 36500")),
    }
}

/// Options shared by `key ca` and `key new`.
#[derive(Args, Debug)]
pub struct NewKeyOpts {
    /// Key type: rsa2048, rsa3072, rsa4096, p256 or p384 (ECDSA keys need a kernel with
    /// CONFIG_CRYPTO_ECDSA; Debian's 6.1 has none).
    #[arg(long = "type", value_name = "TYPE", default_value = "rsa3072", value_parser = key_type_arg)]
    pub key_type: KeyType,
    /// The certificate's subject, an RFC 4514 name (default: CN=IMA local CA for a CA,
    /// CN=IMA signing key for a signing key).
    #[arg(long, value_name = "NAME")]
    pub subject: Option<String>,
    /// Days of validity (default: 3650 for a CA, 1095 for a signing key). The kernel
    /// itself ignores certificate dates.
    #[arg(long, value_name = "DAYS", value_parser = days_arg)]
    pub days: Option<u32>,
    /// The directory to write to (made, mode 0700, when missing). Existing files are
    /// never overwritten.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    /// Base name of the files: NAME.key (private key, PKCS#8 PEM, mode 0600), NAME.pem
    /// and NAME.der (the certificate). Default: ca for a CA, ima for a signing key.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Encrypt the private key with a password asked twice on the terminal (unless the
    /// password's environment variable is set: then the key is encrypted with it anyway).
    #[arg(long)]
    pub encrypt: bool,
}

/// `imactl key ca`.
#[derive(Args, Debug)]
pub struct CaArgs {
    #[command(flatten)]
    pub opts: NewKeyOpts,
}

/// `imactl key new`.
#[derive(Args, Debug)]
pub struct NewArgs {
    /// The CA certificate (PEM or DER) made by `imactl key ca`.
    #[arg(long, value_name = "CERT")]
    pub ca_cert: PathBuf,
    /// The CA private key: a file (encrypted: its password is read from
    /// IMACTL_CA_KEY_PASSWORD or asked on the terminal), or a pkcs11: URI (the PIN the
    /// same way; the module from the URI, EVMCTL_PKCS11_MODULE or p11-kit's proxy).
    #[arg(long, value_name = "KEY")]
    pub ca_key: std::ffi::OsString,
    #[command(flatten)]
    pub opts: NewKeyOpts,
}

/// Prompts twice for a new password on the terminal.
fn ask_new_password(what: &str) -> Result<Zeroizing<String>, String> {
    let first = Zeroizing::new(
        rpassword::prompt_password(format!("Password for the new {what}: "))
            .map_err(|e| format!("cannot read a password from the terminal ({e})"))?,
    );
    if first.is_empty() {
        return Err("an empty password".into());
    }
    let again = Zeroizing::new(
        rpassword::prompt_password("Again: ")
            .map_err(|e| format!("cannot read a password from the terminal ({e})"))?,
    );
    if *first != *again {
        return Err("the two passwords differ".into());
    }
    Ok(first)
}

/// The password for a new key: the environment variable's value, a prompt with
/// --encrypt, or none.
fn new_key_password(
    env: &str,
    encrypt: bool,
    what: &str,
) -> Result<Option<Zeroizing<String>>, String> {
    if let Some(v) = std::env::var_os(env) {
        let v = Zeroizing::new(
            v.into_string()
                .map_err(|_| format!("{env} is not valid UTF-8"))?,
        );
        if v.is_empty() {
            return Err(format!("{env} is set but empty"));
        }
        return Ok(Some(v));
    }
    if encrypt {
        return ask_new_password(what).map(Some);
    }
    Ok(None)
}

fn files_for(opts: &NewKeyOpts, default_name: &str) -> Result<(PathBuf, PathBuf, PathBuf), String> {
    let name = opts.name.as_deref().unwrap_or(default_name);
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return Err(format!(
            "--name '{name}': give a plain file name without '/'"
        ));
    }
    let p = |ext: &str| opts.out.join(format!("{name}.{ext}"));
    Ok((p("key"), p("pem"), p("der")))
}

fn ensure_dir(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::DirBuilderExt;
    // The directory the user names may be a link to one; the files in it are never
    // followed (see keys::gen::write_new_files).
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(format!("{}: not a directory", dir.display())),
        Err(_) => std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| {
                format!(
                    "{}: cannot create the directory: {}",
                    dir.display(),
                    crate::error::io_words(&e)
                )
            }),
    }
}

/// Generates the key, certifies it with `certify`, writes the three files.
struct Made {
    key_path: PathBuf,
    pem_path: PathBuf,
    der_path: PathBuf,
    cert: Certificate,
    encrypted: bool,
}

fn make(
    opts: &NewKeyOpts,
    default_name: &str,
    password_env: &str,
    what: &str,
    certify: impl FnOnce(&PrivateKey) -> Result<Vec<u8>, String>,
) -> Result<Made, String> {
    let (key_path, pem_path, der_path) = files_for(opts, default_name)?;
    for p in [&key_path, &pem_path, &der_path] {
        if std::fs::symlink_metadata(p).is_ok() {
            return Err(format!(
                "{}: already exists (nothing is overwritten; remove it or give --name)",
                p.display()
            ));
        }
    }
    let password = new_key_password(password_env, opts.encrypt, what)?;
    let key = gen::generate(opts.key_type)?;
    let der = certify(&key)?;
    let cert = Certificate::from_der(&der_path, der.clone()).map_err(|e| e.to_string())?;
    let key_pem = gen::pkcs8_pem(&key, password.as_deref().map(|s| s.as_str()))?;
    ensure_dir(&opts.out)?;
    let files = [
        NewFile {
            path: key_path.clone(),
            data: Zeroizing::new(key_pem.as_bytes().to_vec()),
            mode: 0o600,
        },
        NewFile {
            path: pem_path.clone(),
            data: Zeroizing::new(gen::pem_text("CERTIFICATE", &der).into_bytes()),
            mode: 0o644,
        },
        NewFile {
            path: der_path.clone(),
            data: Zeroizing::new(der),
            mode: 0o644,
        },
    ];
    gen::write_new_files(&files).map_err(|e| e.to_string())?;
    Ok(Made {
        key_path,
        pem_path,
        der_path,
        cert,
        encrypted: password.is_some(),
    })
}

fn describe_common(m: &Made, out: &mut String) {
    let c = &m.cert;
    let v = c.inner().tbs_certificate().validity();
    let algo = c
        .public_key()
        .map(|k| k.algorithm().to_string())
        .unwrap_or_else(|_| "?".into());
    out.push_str(&format!(
        "private key:  {} (PKCS#8 PEM, {}, mode 0600)\n\
         certificate:  {} (PEM), {} (DER)\n\
         subject:      {}\n\
         issuer:       {}\n\
         key:          {algo}\n\
         valid:        {} to {}\n\
         SKID:         {}\n",
        m.key_path.display(),
        if m.encrypted {
            "encrypted"
        } else {
            "NOT encrypted"
        },
        m.pem_path.display(),
        m.der_path.display(),
        c.subject(),
        c.inner().tbs_certificate().issuer(),
        v.not_before,
        v.not_after,
        c.skid().map(|s| to_hex(&s)).unwrap_or_else(|| "-".into()),
    ));
}

pub fn ca(a: CaArgs) -> i32 {
    let opts = &a.opts;
    let subject = opts
        .subject
        .clone()
        .unwrap_or_else(|| "CN=IMA local CA".into());
    let days = opts.days.unwrap_or(3650);
    let made = match make(opts, "ca", CA_PASSWORD_ENV, "CA key", |key| {
        x509gen::make_ca(key, &CertSpec::starting_now(&subject, days))
    }) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("imactl: {e}");
            return 1;
        }
    };
    let mut out = String::from("# a local CA for IMA keys\n");
    describe_common(&made, &mut out);
    let pem = made.pem_path.display();
    let der = made.der_path.display();
    out.push_str(&format!(
        "\nHow to use it. The kernel trusts keys this CA signs only when the CA itself is in\n\
         .builtin_trusted_keys (or .secondary_trusted_keys), and IMA uses the kernel-made,\n\
         restricted .ima keyring (CONFIG_INTEGRITY_TRUSTED_KEYRING=y):\n\
         - build it into your kernel: CONFIG_SYSTEM_TRUSTED_KEYS=\"{pem}\" (PEM; the\n\
         \x20 kernel adds it to .builtin_trusted_keys at boot);\n\
         - or, with shim, enrol it as a Machine Owner Key: mokutil --import {der}, then\n\
         \x20 reboot and confirm. MOK keys reach .machine, which counts as secondary trusted\n\
         \x20 only with CONFIG_INTEGRITY_MACHINE_KEYRING, and .ima accepts what they sign only\n\
         \x20 with CONFIG_IMA_KEYRINGS_PERMIT_SIGNED_BY_BUILTIN_OR_SECONDARY;\n\
         - then make the IMA signing key: imactl key new --ca-cert {pem} --ca-key {}\n\
         Keep {} offline: whoever holds it can make keys the kernel trusts.\n",
        made.key_path.display(),
        made.key_path.display(),
    ));
    if !made.encrypted {
        out.push_str(&format!(
            "Note: the CA key is not encrypted (give --encrypt, or set {CA_PASSWORD_ENV}).\n"
        ));
    }
    print!("{out}");
    0
}

/// The CA key: a file loaded here, or a key in a token.
enum CaKey {
    File(PrivateKey),
    Token(crate::keyref::AnySigner),
}

/// Loads the CA key, asking for its password when it is encrypted. A file that cannot be
/// read is a [`Failure::usage`].
fn load_ca_key(path: &Path) -> Result<PrivateKey, Failure> {
    let env =
        std::env::var_os(CA_PASSWORD_ENV).map(|v| Zeroizing::new(v.to_string_lossy().into_owned()));
    match PrivateKey::load(path, env.as_deref().map(|s| s.as_str())) {
        Ok(k) => Ok(k.key),
        Err(e) if matches!(e.kind, KeyErrorKind::PasswordRequired) => {
            let pw = Zeroizing::new(
                rpassword::prompt_password(format!("Password for {}: ", path.display())).map_err(
                    |_| {
                        Failure::no(format!(
                            "{}: the CA key is encrypted: set {CA_PASSWORD_ENV} or run on a \
                             terminal",
                            path.display()
                        ))
                    },
                )?,
            );
            PrivateKey::load(path, Some(&pw))
                .map(|k| k.key)
                .map_err(|e| Failure::key(&e))
        }
        Err(e) => Err(Failure::key(&e)),
    }
}

/// An issuer must be a CA in both senses RFC 5280 (4.2.1.3, 4.2.1.9) asks for:
/// basicConstraints CA:TRUE and keyUsage keyCertSign. Either alone is refused, naming what
/// is missing.
fn check_issuer(cert: &Certificate, path: &Path) -> Result<(), String> {
    let r = crate::keys::inspect::analyse(cert, std::time::SystemTime::now());
    let ca_flag = r.basic_constraints.as_ref().is_some_and(|b| b.ca);
    let key_cert_sign = r
        .key_usage
        .as_ref()
        .is_some_and(|u| u.iter().any(|n| n == "keyCertSign"));
    let mut missing = Vec::new();
    if !ca_flag {
        missing.push(match &r.basic_constraints {
            None => "it has no basicConstraints extension (CA:TRUE is needed)",
            Some(_) => "its basicConstraints say CA:FALSE (CA:TRUE is needed)",
        });
    }
    if !key_cert_sign {
        missing.push(match &r.key_usage {
            None => "it has no keyUsage extension (keyCertSign is needed)",
            Some(_) => "its keyUsage lacks keyCertSign",
        });
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}: not a CA certificate: {}; an issuer needs both basicConstraints CA:TRUE and \
             keyUsage keyCertSign (RFC 5280)",
            path.display(),
            missing.join(", and ")
        ))
    }
}

/// The CA key must be the private half of the CA certificate's public key; checked before
/// anything is generated, prompted for or written.
fn check_key_matches(
    ca_pub: &crate::keys::PublicKey,
    cert: &Certificate,
    key_what: &str,
    cert_path: &Path,
) -> Result<(), String> {
    let spki = gen::spki_der(ca_pub)?;
    if spki == cert.spki_der() {
        Ok(())
    } else {
        Err(format!(
            "{key_what}: this CA key does not match the CA certificate {} (its public key is \
             another); give the key the certificate was made for",
            cert_path.display()
        ))
    }
}

pub fn new(a: NewArgs) -> i32 {
    let opts = &a.opts;
    // A --ca-cert or --ca-key that cannot be read is exit status 2; one that is read and
    // is not a CA certificate, or not its key, is 1.
    let ca_cert = match Certificate::load(&a.ca_cert) {
        Ok(c) => c,
        Err(e) => return Failure::key(&e).report(),
    };
    if let Err(e) = check_issuer(&ca_cert, &a.ca_cert) {
        eprintln!("imactl: {e}");
        return 1;
    }
    let ca_ref = crate::keyref::KeyRef::parse(&a.ca_key);
    let ca_key = match &ca_ref {
        crate::keyref::KeyRef::File(path) => load_ca_key(path).map(CaKey::File),
        token => super::modsig::open_signer(token, CA_PASSWORD_ENV).map(CaKey::Token),
    };
    let ca_key = match ca_key {
        Ok(k) => k,
        Err(f) => return f.report(),
    };
    let ca_pub = match &ca_key {
        CaKey::File(k) => k.public_key(),
        CaKey::Token(t) => t.public_key(),
    };
    // A token URI may carry a PIN: it is named, never printed.
    let key_what = match &ca_ref {
        crate::keyref::KeyRef::File(path) => path.display().to_string(),
        _ => "the CA key in the token".to_string(),
    };
    if let Err(e) = check_key_matches(&ca_pub, &ca_cert, &key_what, &a.ca_cert) {
        eprintln!("imactl: {e}");
        return 1;
    }
    let subject = opts
        .subject
        .clone()
        .unwrap_or_else(|| "CN=IMA signing key".into());
    let days = opts.days.unwrap_or(1095);
    let made = match make(opts, "ima", KEY_PASSWORD_ENV, "IMA key", |key| {
        let spec = CertSpec::starting_now(&subject, days);
        match &ca_key {
            CaKey::File(k) => x509gen::issue_signing_cert(k, &ca_cert, &key.public_key(), &spec),
            CaKey::Token(t) => {
                use crate::sign::Signer;
                let sign = |algo: crate::hash::HashAlgo, d: &[u8]| t.sign_digest(algo, d);
                let ca_pub = t.public_key();
                x509gen::issue_signing_cert_with(&ca_pub, &sign, &ca_cert, &key.public_key(), &spec)
            }
        }
    }) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("imactl: {e}");
            return 1;
        }
    };
    let keyid = to_hex(&made.cert.keyid());
    let mut out = String::from("# an IMA signing key\n");
    describe_common(&made, &mut out);
    let hash = opts.key_type.hash().name();
    out.push_str(&format!(
        "keyid:        {keyid} (signatures made with this key carry it; the kernel finds the\n\
         \x20             key as id:{keyid})\n\
         \nHow to use it:\n\
         - sign: evmctl ima_sign --hashalgo {hash} --key {} FILE{}\n\
         - on the target, install {} in /etc/keys/ima/ (DER; dracut's integrity module\n\
         \x20 loads it into the IMA keyring at boot) or load it now: imactl key import {}\n\
         - .ima accepts it only when the kernel trusts the CA {} (imactl key show {}).\n",
        made.key_path.display(),
        if made.encrypted {
            format!(" (the password from {KEY_PASSWORD_ENV} or the prompt)")
        } else {
            String::new()
        },
        made.der_path.display(),
        made.der_path.display(),
        ca_cert.subject(),
        made.pem_path.display(),
    ));
    if !made.encrypted {
        out.push_str(&format!(
            "Note: the key is not encrypted (give --encrypt, or set {KEY_PASSWORD_ENV}).\n"
        ));
    }
    print!("{out}");
    0
}
