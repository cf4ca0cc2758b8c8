//! `imactl key import|list|remove`: certificates into the keyring IMA will use, a listing
//! of it with the keyids IMA matches, and removal by serial or keyid.

use super::exit::{EXIT_FAIL, EXIT_OK, EXIT_USAGE};
use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::hash::to_hex;
use crate::keyring::{self, Keyring, KeyringSpec, Origin};
use crate::keys::Certificate;

#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Add X.509 certificates (PEM or DER) to the IMA keyring. Prints, per certificate,
    /// the new key's serial and the keyid IMA will match (id:xxxxxxxx).
    #[command(after_help = super::keygen::TRUST_NOTES)]
    Import(ImportArgs),
    /// List the keys in the keyring: serial, IMA keyid, algorithm and size, description.
    List(ListArgs),
    /// Remove a key from the keyring, by serial or by IMA keyid (id:xxxxxxxx).
    Remove(RemoveArgs),
    /// Make a local CA for IMA keys.
    ///
    /// A new key and its self-signed certificate (CA:TRUE, keyCertSign, cRLSign), to build
    /// into the kernel (CONFIG_SYSTEM_TRUSTED_KEYS) or enrol as a MOK. The CA key is encrypted with IMACTL_CA_KEY_PASSWORD when set (or --encrypt).
    #[command(after_help = super::keygen::TRUST_NOTES)]
    Ca(super::keygen::CaArgs),
    /// Make an IMA signing key issued by a local CA.
    ///
    /// The certificate is issued by a CA from 'imactl key ca' (CA:FALSE,
    /// digitalSignature, codeSigning). Prints the keyid signatures will carry.
    /// The key is encrypted with EVMCTL_KEY_PASSWORD when set (or --encrypt).
    #[command(after_help = super::keygen::TRUST_NOTES)]
    New(super::keygen::NewArgs),
    /// Show certificates and what the kernel will think of them.
    ///
    /// Subject, issuer, serial, validity, key algorithm and size, SKID, AKID, the IMA
    /// keyid, basicConstraints, keyUsage, extendedKeyUsage, and what the kernel's .ima
    /// keyring will think of each. Exit status 1 when a file is not a certificate or cannot
    /// be read: each CERT is checked in turn, and one that cannot be read is one failure
    /// among the others.
    Show(super::keyshow::ShowArgs),
}

/// `--keyring`, shared by the key commands and verify.
#[derive(Args, Debug, Clone)]
pub struct KeyringOpt {
    /// ima, evm or platform (the keyring the kernel uses: .ima if the kernel made it,
    /// otherwise _ima in the user keyring), a serial (decimal, 0x-hex, @s, @u...), or a
    /// keyring name (_ima, .ima, %keyring:NAME).
    #[arg(long, value_name = "KEYRING", default_value = "ima", value_parser = super::values::keyring(), hide_possible_values = true)]
    pub keyring: KeyringSpec,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Certificate files, PEM or DER; - reads one from standard input.
    #[arg(required = true, value_name = "CERT")]
    pub certs: Vec<PathBuf>,
    #[command(flatten)]
    pub keyring: KeyringOpt,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    pub keyring: KeyringOpt,
    /// Print JSON: {"keyring": {...}, "keys": [{serial, type, description, keyid,
    /// algorithm, bits}]}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct RemoveArgs {
    /// A key serial (decimal or 0x-hex) or an IMA keyid (id:xxxxxxxx; 8 hex digits alone
    /// are a keyid unless they are all decimal digits).
    #[arg(value_name = "SERIAL|KEYID")]
    pub key: String,
    #[command(flatten)]
    pub keyring: KeyringOpt,
}

pub fn run(cmd: KeyCommand) -> i32 {
    match cmd {
        KeyCommand::Import(a) => import(a),
        KeyCommand::List(a) => list(a),
        KeyCommand::Remove(a) => remove(a),
        KeyCommand::Ca(a) => super::keygen::ca(a),
        KeyCommand::New(a) => super::keygen::new(a),
        KeyCommand::Show(a) => super::keyshow::run(a),
    }
}

/// Finds the keyring, or prints why not.
pub(crate) fn locate_or_report(spec: &KeyringSpec, create: bool) -> Option<Keyring> {
    match keyring::locate(spec, create) {
        Ok(k) => Some(k),
        Err(e) => {
            eprintln!("imactl: {e}");
            if matches!(spec, KeyringSpec::Purpose(keyring::Purpose::Ima)) {
                eprintln!(
                    "imactl: this kernel did not make .ima; IMA will look for _ima in the \
                     keyrings of the process that triggers appraisal (create it with \
                     'imactl key import CERT' or 'keyctl newring _ima @u')"
                );
            }
            None
        }
    }
}

fn import(a: ImportArgs) -> i32 {
    // Before the keyring is looked up or made: bad arguments change nothing.
    if let Err(e) = crate::input::stdin_at_most_once(a.certs.iter().map(PathBuf::as_path)) {
        eprintln!("imactl: {e}");
        return EXIT_USAGE;
    }
    let Some(ring) = locate_or_report(&a.keyring.keyring, true) else {
        return EXIT_FAIL;
    };
    match ring.origin {
        Origin::Created => eprintln!("imactl: created keyring {ring} in the user keyring"),
        Origin::Kernel => eprintln!(
            "imactl: keyring {ring} was made by the kernel: it accepts only certificates \
             signed by a builtin or secondary trusted key"
        ),
        Origin::UserKeyring | Origin::Given => eprintln!("imactl: keyring {ring}"),
    }
    if let Some(w) = keyring::proc_keys()
        .ok()
        .and_then(|k| crate::status::relying_on_user_ima(&k, Some(&ring.name)))
    {
        eprintln!("imactl: warning: {w}");
    }
    let mut failed = false;
    let mut unreadable = false;
    let mut stdout = std::io::stdout().lock();
    for path in &a.certs {
        let cert = match Certificate::load_or_stdin(path) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("imactl: {e}");
                if matches!(e.kind, crate::keys::KeyErrorKind::Io(_)) {
                    unreadable = true;
                } else {
                    failed = true;
                }
                continue;
            }
        };
        match keyring::add_certificate(&cert, &ring) {
            Ok(k) => {
                if writeln!(
                    stdout,
                    "{} id:{} {}",
                    k.serial,
                    to_hex(&k.keyid),
                    crate::input::source_name(path)
                )
                .is_err()
                {
                    return EXIT_FAIL;
                }
                if cert.skid_keyid().is_none() {
                    eprintln!(
                        "imactl: {}: the certificate has no Subject Key Identifier: IMA will \
                         match it as id:{}, while evmctl signs with the computed keyid {} \
                         unless given --keyid {}",
                        crate::input::source_name(path),
                        to_hex(&k.keyid),
                        to_hex(&cert.computed_keyid()),
                        to_hex(&k.keyid)
                    );
                }
            }
            Err(e) => {
                eprintln!("imactl: {}: {e}", crate::input::source_name(path));
                failed = true;
            }
        }
    }
    if unreadable {
        EXIT_USAGE
    } else if failed {
        EXIT_FAIL
    } else {
        EXIT_OK
    }
}

fn list(a: ListArgs) -> i32 {
    let Some(ring) = locate_or_report(&a.keyring.keyring, false) else {
        if a.json {
            let why = keyring::locate(&a.keyring.keyring, false)
                .err()
                .map_or_else(|| "no keyring".to_string(), |e| e.to_string());
            super::json::print(&super::json::error("key list", "no-keyring", &why));
        }
        return EXIT_FAIL;
    };
    let keys = match keyring::list_keys(ring.serial) {
        Ok(k) => k,
        Err(e) => {
            let message = format!("cannot read keyring {ring}: {}", crate::error::io_words(&e));
            eprintln!("imactl: {message}");
            if a.json {
                super::json::print(&super::json::error("key list", "unreadable", &message));
            }
            return EXIT_FAIL;
        }
    };
    let mut stdout = std::io::stdout().lock();
    let written = if a.json {
        let doc = serde_json::json!({
            "keyring": { "serial": ring.serial, "name": ring.name },
            "keys": keys,
        });
        writeln!(stdout, "{}", super::json::envelope("key list", doc))
    } else {
        let mut text = format!("# keyring {ring}\n");
        for k in &keys {
            let algo = match (&k.algorithm, k.bits) {
                (Some(a), Some(b)) => format!("{a}-{b}"),
                (Some(a), None) => a.clone(),
                (None, _) => "-".into(),
            };
            let keyid = k
                .keyid
                .as_ref()
                .map_or("-".to_string(), |id| format!("id:{id}"));
            text.push_str(&format!(
                "{:>10} {:<11} {:<17} {:<10} {}\n",
                k.serial,
                keyid,
                algo,
                k.key_type,
                crate::escape::terminal(&k.description)
            ));
        }
        write!(stdout, "{text}")
    };
    if written.is_err() {
        EXIT_FAIL
    } else {
        EXIT_OK
    }
}

fn remove(a: RemoveArgs) -> i32 {
    let Some(r) = keyring::KeyRef::parse(&a.key) else {
        eprintln!(
            "imactl: '{}' is neither a key serial nor a keyid (id:xxxxxxxx)",
            a.key
        );
        return EXIT_USAGE;
    };
    let Some(ring) = locate_or_report(&a.keyring.keyring, false) else {
        return EXIT_FAIL;
    };
    match keyring::remove_key(&r, ring.serial) {
        Ok((serial, desc)) => {
            println!("removed {serial} ({desc}) from {ring}");
            EXIT_OK
        }
        Err(e) => {
            let what = match r {
                keyring::KeyRef::Serial(s) => format!("key {s}"),
                keyring::KeyRef::Keyid(k) => format!("key id:{}", to_hex(&k)),
            };
            let why = match e.raw_os_error() {
                Some(libc::ENOKEY) => format!("no {what} in {ring}"),
                Some(libc::ENOENT) => format!("{what} is not linked directly in {ring}"),
                _ => format!(
                    "cannot remove {what} from {ring}: {}",
                    crate::error::io_words(&e)
                ),
            };
            eprintln!("imactl: {why}");
            EXIT_FAIL
        }
    }
}
