//! `evmctl import` against Debian's evmctl 1.4 (/usr/bin/evmctl): the same key in the
//! keyring (kernel description and IMA keyid), the same stdout shape, stderr lines and
//! exit codes (acceptance 2). Our import runs in-process through the library entry the
//! evmctl front end calls; upstream runs as a child of the test thread, so both act in
//! the test's fresh session keyring (see keyring_common/mod.rs).

mod keyring_common;

use std::path::Path;
use std::process::Command;

use imaevm::cli::evmctl::{import, ImportOutcome, ImportRequest, LOG_INFO};
use imaevm::hash::to_hex;
use imaevm::keyring::{self, KeySerial};
use imaevm::keys::Certificate;
use keyring_common::*;

const UPSTREAM: &str = "/usr/bin/evmctl";

struct Run {
    exit: i32,
    stdout: Vec<String>,
    stderr: Vec<String>,
}

fn upstream(args: &[&str]) -> Run {
    let o = Command::new(UPSTREAM)
        .args(args)
        .output()
        .expect("run evmctl");
    Run {
        exit: o.status.code().unwrap(),
        stdout: text(&o.stdout).lines().map(str::to_string).collect(),
        stderr: text(&o.stderr).lines().map(str::to_string).collect(),
    }
}

/// Ours, from the same argv tail upstream gets: `[-v] import [--rsa] ARGS...`;
/// `verbose` is the number of -v.
fn ours(verbose: i32, rsa: bool, args: &[&str]) -> Run {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let ImportOutcome {
        exit,
        stdout,
        stderr,
        ..
    } = import(&ImportRequest::from_args(&args, rsa, LOG_INFO + verbose));
    Run {
        exit,
        stdout,
        stderr,
    }
}

/// Replaces the new key's serial (it differs between two imports) with "N".
fn normalize(lines: &[String], serial: Option<&str>) -> Vec<String> {
    lines
        .iter()
        .map(|l| match serial {
            Some(s) if l == &format!("keyid: {s}") => "keyid: N".to_string(),
            _ => l.clone(),
        })
        .collect()
}

/// The new key's serial from a successful run: exactly one decimal line on stdout.
fn serial_of(r: &Run) -> KeySerial {
    assert_eq!(r.exit, 0, "stderr: {:?}", r.stderr);
    assert_eq!(r.stdout.len(), 1, "{:?}", r.stdout);
    r.stdout[0].parse().expect("a decimal serial")
}

/// (type, description, IMA keyid) of a key, as the kernel has it.
fn kernel_view(ring: KeySerial, serial: KeySerial) -> (String, String, Option<String>) {
    let d = keyring::describe(serial).unwrap();
    let keyid = keyring::list_keys(ring)
        .unwrap()
        .into_iter()
        .find(|k| k.serial == serial)
        .and_then(|k| k.keyid);
    (d.key_type, d.description, keyid)
}

fn have_upstream(test: &str) -> bool {
    if Path::new(UPSTREAM).exists() {
        true
    } else {
        skip(
            test,
            &format!("{UPSTREAM} (Debian ima-evm-utils) is not installed"),
        );
        false
    }
}

#[test]
fn import_puts_the_same_key_as_upstream() {
    const T: &str = "import_puts_the_same_key_as_upstream";
    if !have_upstream(T) {
        return;
    }
    let Some(_) = fresh_session(T) else { return };
    let dir = tempfile::tempdir().unwrap();
    let Some(k) = make_key(dir.path(), "cmp", false, T) else {
        return;
    };
    if !kernel_has_rsa_keys(&k, T) {
        return;
    }
    let ring = new_keyring("cmp");
    let ring_dec = ring.to_string();
    let ring_hex = format!("0x{ring:x}");
    // A fresh certificate, and a fixed one whose keyid starts with a zero nibble, which
    // evmctl names with `%x` (7 digits: d689f3d) in "Importing public key NAME"; one fresh
    // key in 16 has that, so the fixed one makes every run check it.
    let short =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/keys/rsa2048-v2short.crt.der");
    for cert in [k.cert_der.as_path(), short.as_path()] {
        let der = cert.to_str().unwrap();
        let skid = to_hex(&Certificate::load(cert).unwrap().skid_keyid().unwrap());
        // `%x` of the keyid (the SKID tail here: openssl's SKID is the key's SHA-1).
        let name = match skid.trim_start_matches('0') {
            "" => "0",
            n => n,
        };
        if cert == short {
            assert_eq!(name, "d689f3d", "the fixture's keyid");
        }
        for (verbose, ring_arg, list_ring) in [
            (0, "@s", keyring::SESSION_KEYRING),
            (0, ring_dec.as_str(), ring),
            (1, ring_hex.as_str(), ring),
        ] {
            let mut up_args = vec!["import", der, ring_arg];
            if verbose == 1 {
                up_args.insert(0, "-v");
            }
            let up = upstream(&up_args);
            let up_serial = serial_of(&up);
            let up_key = kernel_view(list_ring, up_serial);

            let me = ours(verbose, false, &[der, ring_arg]);
            let my_serial = serial_of(&me);
            let my_key = kernel_view(list_ring, my_serial);

            assert_eq!(
                my_key, up_key,
                "same type, description and keyid ({ring_arg})"
            );
            assert_eq!(my_key.0, "asymmetric");
            assert_eq!(my_key.2.as_deref(), Some(skid.as_str()));
            assert_eq!(
                normalize(&me.stderr, Some(&me.stdout[0])),
                normalize(&up.stderr, Some(&up.stdout[0])),
                "stderr ({ring_arg}, -v={verbose})"
            );
            let importing = format!("Importing public key {name} from file {der} into keyring ");
            for (who, err) in [("ours", &me.stderr), ("upstream", &up.stderr)] {
                assert!(
                    err.iter().any(|l| l.starts_with(&importing)),
                    "{who}: no line {importing:?}: {err:?}"
                );
            }
        }
    }

    // PEM: upstream refuses it (exit 1); ours converts it and the kernel holds the
    // same key as from the DER file.
    let pem = k.cert_pem.to_str().unwrap();
    let up = upstream(&["import", pem, &ring_dec]);
    assert_eq!(up.exit, 1);
    assert!(up.stdout.is_empty());
    let me = ours(0, false, &[pem, &ring_dec]);
    let my_key = kernel_view(ring, serial_of(&me));
    let skid = to_hex(
        &Certificate::load(&k.cert_der)
            .unwrap()
            .skid_keyid()
            .unwrap(),
    );
    assert_eq!(my_key.2.as_deref(), Some(skid.as_str()));
}

#[test]
fn import_failures_match_upstream() {
    const T: &str = "import_failures_match_upstream";
    if !have_upstream(T) {
        return;
    }
    let Some(_) = fresh_session(T) else { return };
    let dir = tempfile::tempdir().unwrap();
    let Some(k) = make_key(dir.path(), "bad", false, T) else {
        return;
    };
    if !kernel_has_rsa_keys(&k, T) {
        return;
    }
    let der = k.cert_der.to_str().unwrap();
    let missing = dir.path().join("missing.der");
    let missing = missing.to_str().unwrap();

    // A missing file: exit 1, nothing on stdout, the same errno line (and with -v the
    // "Failed to open keyfile" line).
    for verbose in [0, 1] {
        let mut args = vec!["import", missing, "@s"];
        if verbose == 1 {
            args.insert(0, "-v");
        }
        let up = upstream(&args);
        let me = ours(verbose, false, &[missing, "@s"]);
        assert_eq!((me.exit, up.exit), (1, 1));
        assert!(me.stdout.is_empty() && up.stdout.is_empty());
        assert_eq!(me.stderr, up.stderr);
    }
    // The same with --rsa.
    let up = upstream(&["import", "--rsa", missing, "@s"]);
    let me = ours(0, true, &[missing, "@s"]);
    assert_eq!((me.exit, up.exit), (1, 1));
    assert_eq!(me.stderr, up.stderr);

    // A keyring serial that does not exist: the kernel says ENOKEY, exit 125.
    let mut absent: KeySerial = 0x7ffffff0;
    while keyring::describe(absent).is_ok() {
        absent -= 1;
    }
    let absent = absent.to_string();
    let up = upstream(&["import", der, &absent]);
    let me = ours(0, false, &[der, &absent]);
    assert_eq!((me.exit, up.exit), (125, 125));
    assert!(me.stdout.is_empty() && up.stdout.is_empty());
    assert_eq!(
        me.stderr[..up.stderr.len()],
        up.stderr[..],
        "upstream's lines first"
    );
    assert_eq!(
        up.stderr.last().unwrap(),
        "errno: Required key not available (126)"
    );
    assert!(
        me.stderr.last().unwrap().contains("does not exist"),
        "{:?}",
        me.stderr
    );

    // A keyring name that does not exist: upstream tries keyring 0 (EINVAL); ours looks
    // the name up; both exit 125 and print nothing on stdout.
    let up = upstream(&["import", der, ".nosuch"]);
    let me = ours(0, false, &[der, ".nosuch"]);
    assert_eq!((me.exit, up.exit), (125, 125));
    assert!(me.stdout.is_empty() && up.stdout.is_empty());
    assert!(
        me.stderr.iter().any(|l| l.contains("no keyring .nosuch")),
        "{:?}",
        me.stderr
    );

    // ECDSA: where the kernel lacks it, both exit 125 after upstream's lines and ours says
    // why in words; where it has it, both import.
    let Some(ec) = make_key(dir.path(), "ec", true, T) else {
        return;
    };
    let ec_der = ec.cert_der.to_str().unwrap();
    let ring = new_keyring("ec").to_string();
    let up = upstream(&["import", ec_der, &ring]);
    let me = ours(0, false, &[ec_der, &ring]);
    assert_eq!(me.exit, up.exit, "{:?} / {:?}", me.stderr, up.stderr);
    if up.exit == 125 {
        assert_eq!(
            up.stderr.last().unwrap(),
            "errno: No such file or directory (2)"
        );
        assert_eq!(me.stderr[..up.stderr.len()], up.stderr[..]);
        assert!(
            me.stderr.last().unwrap().contains("no ECDSA support"),
            "{:?}",
            me.stderr
        );
    } else {
        assert_eq!(me.stdout.len(), 1);
        assert_eq!(me.stderr[..2], up.stderr[..2]);
    }

    // Not a certificate: exit 1, upstream's first line.
    let key = k.key.to_str().unwrap();
    let up = upstream(&["import", key, "@s"]);
    let me = ours(0, false, &[key, "@s"]);
    assert_eq!((me.exit, up.exit), (1, 1));
    assert_eq!(me.stderr[0], up.stderr[0]);
    assert_eq!(
        me.stderr[0],
        format!("Failed to d2i_X509_fp key file: {key}")
    );
}

/// The description `evmctl import --rsa` gives a key: its v1 keyid as `%llX`, upper-case
/// hex of the big-endian u64 without leading zeros. The keyid is bytes 12..20 of SHA-1
/// over the key2bin blob, which upstream's `evmctl convert` writes to `PUBKEY.bin`; it is
/// hashed here and printed by the rule, not by the code under test.
fn expected_v1_description(dir: &Path, pubkey: &Path) -> String {
    use sha1::Digest;
    let copy = dir.join(format!(
        "convert-{}",
        pubkey.file_name().unwrap().to_string_lossy()
    ));
    std::fs::copy(pubkey, &copy).unwrap();
    let up = upstream(&["convert", copy.to_str().unwrap()]);
    assert_eq!(up.exit, 0, "evmctl convert: {:?}", up.stderr);
    let mut blob_path = copy.into_os_string();
    blob_path.push(".bin");
    let blob = std::fs::read(&blob_path).unwrap();
    let sha = sha1::Sha1::digest(&blob);
    let full = to_hex(&sha[12..20]).to_uppercase();
    let trimmed = full.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".to_string()
    } else {
        trimmed.to_string()
    }
}

#[test]
fn rsa_v1_user_key_matches_upstream() {
    const T: &str = "rsa_v1_user_key_matches_upstream";
    if !have_upstream(T) {
        return;
    }
    let Some(_) = fresh_session(T) else { return };
    let dir = tempfile::tempdir().unwrap();
    let Some(k) = make_key(dir.path(), "v1", false, T) else {
        return;
    };
    let pubkey = dir.path().join("v1.pub.pem");
    let ok = Command::new("openssl")
        .args(["pkey", "-in", k.key.to_str().unwrap(), "-pubout", "-out"])
        .arg(&pubkey)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        skip(T, "openssl could not write the public key");
        return;
    }
    // A fresh key (its keyid has 16 digits 15 times in 16), and a fixed one whose keyid
    // starts with a zero nibble, so the short form is always checked
    // (tests/data/README.md: 03FBB952777716C6, printed as 3FBB952777716C6).
    let short =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/keys/rsa2048-v1short.pub.pem");
    let ring = new_keyring("v1");
    let ring_arg = ring.to_string();
    for key in [pubkey.as_path(), short.as_path()] {
        let want = expected_v1_description(dir.path(), key);
        if key == short {
            assert_eq!(want, "3FBB952777716C6", "the fixture's keyid");
        }
        let key = key.to_str().unwrap();
        for verbose in [0, 1] {
            let mut args = vec!["import", "--rsa", key, &ring_arg];
            if verbose == 1 {
                args.insert(0, "-v");
            }
            let up = upstream(&args);
            let up_serial = serial_of(&up);
            let up_key = keyring::describe(up_serial).unwrap();
            let me = ours(verbose, true, &[key, &ring_arg]);
            let my_key = keyring::describe(serial_of(&me)).unwrap();
            // The description is the v1 keyid: SHA-1 of the payload, so the payloads match.
            assert_eq!(my_key.key_type, "user");
            assert_eq!(up_key.description, want, "upstream's description ({key})");
            assert_eq!(my_key.description, want, "our description ({key})");
            assert_eq!(
                normalize(&me.stderr, Some(&me.stdout[0])),
                normalize(&up.stderr, Some(&up.stdout[0]))
            );
        }
    }
    // A certificate is not a PEM public key: both exit 1 with the same first line.
    let der = k.cert_der.to_str().unwrap();
    let up = upstream(&["import", "--rsa", der, &ring_arg]);
    let me = ours(0, true, &[der, &ring_arg]);
    assert_eq!((me.exit, up.exit), (1, 1));
    assert_eq!(me.stderr[0], up.stderr[0]);
}
