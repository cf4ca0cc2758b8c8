//! A corpus of malformed inputs for both tools (issue 12). Every case runs in a directory
//! of its own and must: exit with a failure code of its class, name the bad file on
//! stderr (a linter's findings: stdout), print nothing else on stdout, leave every name, content and xattr in the directory
//! as it was, and finish within 20 seconds (a hang is killed and fails the case) and 256 MiB
//! of memory (measured by GNU time).

mod common;

use common::*;
use std::collections::BTreeMap;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const BOUND: Duration = Duration::from_secs(20);
/// Every case's peak memory, measured by GNU time (tests/setup.sh installs it).
const RSS_MAX_KIB: u64 = 256 * 1024;
const BAD: &str = "bad-input";

/// What the bad input is.
#[derive(Clone)]
enum Bad {
    Bytes(Vec<u8>),
    Fifo,
    Dir,
    Missing,
    /// A sparse regular file of this size (over every cap, under 1 GiB).
    Sparse(u64),
    /// A symbolic link to a FIFO.
    LinkToFifo,
    /// An absolute path outside the case directory (/dev/zero, /dev/urandom).
    Device(&'static str),
}

/// The exit codes a case may end with.
#[derive(Clone, Copy, Debug)]
enum Class {
    /// evmctl: 1 (failed) or 125 (error), as upstream.
    Evmctl,
    /// imactl: exactly this code (1: the answer is no; 2: cannot run as given).
    Imactl(i32),
}

impl Class {
    fn accepts(self, code: i32) -> bool {
        match self {
            Class::Evmctl => code == 1 || code == 125,
            Class::Imactl(c) => code == c,
        }
    }
}

/// Where the bad input goes.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Reader {
    SignKey,
    VerifyCert,
    VerifyV1Key,
    KeyidFromCert,
    SigFile,
    MeasurementList,
    EventLog,
    PcrsBootAggregate,
    PcrsMeasurement,
    EvmctlImport,
    PolicyCheck,
    PolicyDryRun,
    KeyImport,
    PolicyShow,
    // Issue 24: the inputs of the commands added since.
    KeyShow,
    KeyNewCaCert,
    KeyNewCaKey,
    ModsigCert,
    HmacKey,
    Pkcs11Module,
    BootPolicy,
    // The inputs whose exit statuses were made consistent later.
    StatusCert,
    ResignKey,
    HookConfig,
}

const READERS: [Reader; 24] = [
    Reader::SignKey,
    Reader::VerifyCert,
    Reader::VerifyV1Key,
    Reader::KeyidFromCert,
    Reader::SigFile,
    Reader::MeasurementList,
    Reader::EventLog,
    Reader::PcrsBootAggregate,
    Reader::PcrsMeasurement,
    Reader::EvmctlImport,
    Reader::PolicyCheck,
    Reader::PolicyDryRun,
    Reader::KeyImport,
    Reader::PolicyShow,
    Reader::KeyShow,
    Reader::KeyNewCaCert,
    Reader::KeyNewCaKey,
    Reader::ModsigCert,
    Reader::HmacKey,
    Reader::Pkcs11Module,
    Reader::BootPolicy,
    Reader::StatusCert,
    Reader::ResignKey,
    Reader::HookConfig,
];

struct Case {
    name: String,
    reader: Reader,
    bad: Bad,
    class: Class,
}

fn keys() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/keys")
}

/// Where the bad input lives for `reader` in `dir` (the securityfs policy and the .sig
/// file have fixed names).
fn bad_path(dir: &Path, reader: Reader, bad: &Bad) -> PathBuf {
    if let Bad::Device(p) = bad {
        if !matches!(reader, Reader::SigFile | Reader::PolicyShow) {
            return PathBuf::from(p);
        }
    }
    match reader {
        Reader::SigFile => dir.join("file.sig"),
        Reader::PolicyShow => dir.join("sfs/ima/policy"),
        _ => dir.join(BAD),
    }
}

/// Makes the case directory: a file to sign or verify, a valid one-record list, an empty
/// securityfs policy for dry runs, and the bad input.
fn prepare(dir: &Path, reader: Reader, bad: &Bad) -> PathBuf {
    write_sample(&dir.join("file"), 64, 3);
    std::fs::create_dir_all(dir.join("sfs/ima")).unwrap();
    std::fs::create_dir_all(dir.join("dry/ima")).unwrap();
    std::fs::write(dir.join("dry/ima/policy"), b"").unwrap();
    std::fs::write(dir.join("list"), one_record()).unwrap();
    if matches!(reader, Reader::KeyNewCaCert | Reader::KeyNewCaKey) {
        make_ca(dir);
    }
    if reader == Reader::BootPolicy {
        std::fs::create_dir(dir.join("boot-keys")).unwrap();
        std::fs::create_dir(dir.join("boot-state")).unwrap();
    }
    let p = bad_path(dir, reader, bad);
    match bad {
        Bad::Bytes(b) => std::fs::write(&p, b).unwrap(),
        Bad::Fifo => mkfifo(&p),
        Bad::Dir => std::fs::create_dir(&p).unwrap(),
        Bad::Missing => {}
        Bad::Sparse(n) => std::fs::File::create(&p).unwrap().set_len(*n).unwrap(),
        Bad::LinkToFifo => {
            let f = dir.join("a-fifo");
            mkfifo(&f);
            std::os::unix::fs::symlink(&f, &p).unwrap();
        }
        Bad::Device(d) => {
            // The securityfs policy and the .sig file cannot be elsewhere: link the device.
            if matches!(reader, Reader::SigFile | Reader::PolicyShow) {
                std::os::unix::fs::symlink(d, &p).unwrap();
            }
        }
    }
    p
}

/// A CA (CA:TRUE, keyCertSign) for `imactl key new`: ca.pem and ca.key in `dir`.
fn make_ca(dir: &Path) {
    std::fs::write(
        dir.join("ca.cnf"),
        "[req]\ndistinguished_name=dn\nx509_extensions=ext\nprompt=no\n[dn]\nCN=CA\n\
         [ext]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n\
         subjectKeyIdentifier=hash\n",
    )
    .unwrap();
    let o = Command::new("openssl")
        .current_dir(dir)
        .args([
            "req",
            "-x509",
            "-config",
            "ca.cnf",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "3",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

fn mkfifo(p: &Path) {
    let st = Command::new("mkfifo").arg(p).status().expect("mkfifo");
    assert!(st.success());
}

fn field(out: &mut Vec<u8>, f: &[u8]) {
    out.extend_from_slice(&(f.len() as u32).to_ne_bytes());
    out.extend_from_slice(f);
}

fn ng_data(path: &str) -> Vec<u8> {
    use imaevm::hash::HashAlgo;
    let mut dng = b"sha256:\0".to_vec();
    dng.extend(HashAlgo::Sha256.digest(path.as_bytes()));
    let mut d = Vec::new();
    field(&mut d, &dng);
    field(&mut d, format!("{path}\0").as_bytes());
    d
}

fn record_with(pcr: u32, name: &[u8], data: &[u8]) -> Vec<u8> {
    use imaevm::hash::HashAlgo;
    let mut out = pcr.to_ne_bytes().to_vec();
    out.extend(HashAlgo::Sha1.digest(data));
    field(&mut out, name);
    field(&mut out, data);
    out
}

fn one_record() -> Vec<u8> {
    record_with(10, b"ima-ng", &ng_data("/bin/a"))
}

/// The command for `reader` with the bad input at `bad`.
fn command(dir: &Path, reader: Reader, bad: &Path) -> Command {
    let k = keys();
    let mut c = if imactl_reader(reader) {
        Command::new(env!("CARGO_BIN_EXE_imactl"))
    } else {
        evmctl()
    };
    c.current_dir(dir);
    let file = dir.join("file");
    match reader {
        Reader::SignKey => c
            .args(["ima_sign", "--xattr-user", "--key"])
            .arg(bad)
            .arg(&file)
            .env("EVMCTL_KEY_PASSWORD", "corpus"),
        Reader::VerifyCert => c
            .args(["ima_verify", "--xattr-user", "--key"])
            .arg(bad)
            .arg(&file),
        Reader::VerifyV1Key => c
            .args(["ima_verify", "--rsa", "--xattr-user", "--key"])
            .arg(bad)
            .arg(&file),
        Reader::KeyidFromCert => c
            .args(["ima_sign", "--xattr-user", "--key"])
            .arg(k.join("rsa2048.pk8.pem"))
            .arg("--keyid-from-cert")
            .arg(bad)
            .arg(&file),
        Reader::SigFile => c
            .args(["ima_verify", "--sigfile", "--key"])
            .arg(k.join("rsa2048.crt.der"))
            .arg(&file),
        Reader::MeasurementList => c.arg("ima_measurement").arg(bad),
        Reader::EventLog => c.arg("ima_boot_aggregate").arg(bad),
        Reader::PcrsBootAggregate => c
            .args(["ima_boot_aggregate", "--pcrs"])
            .arg(format!("sha256,{}", bad.display())),
        Reader::PcrsMeasurement => c
            .args(["ima_measurement", "--pcrs"])
            .arg(format!("sha256,{}", bad.display()))
            .arg(dir.join("list")),
        Reader::EvmctlImport => c.arg("import").arg(bad).arg("@s"),
        Reader::PolicyCheck => c.args(["policy", "check", "--kernel", "6.1"]).arg(bad),
        Reader::PolicyDryRun => c
            .args([
                "policy",
                "load",
                "--dry-run",
                "--kernel",
                "6.1",
                "--securityfs",
            ])
            .arg(dir.join("dry"))
            .arg(bad),
        Reader::KeyImport => c.args(["key", "import", "--keyring", "@s"]).arg(bad),
        Reader::PolicyShow => c
            .args(["policy", "show", "--securityfs"])
            .arg(dir.join("sfs")),
        Reader::KeyShow => c.args(["key", "show"]).arg(bad),
        Reader::KeyNewCaCert => c
            .args(["key", "new", "--type", "p256", "--ca-cert"])
            .arg(bad)
            .arg("--ca-key")
            .arg(dir.join("ca.key"))
            .arg("--out")
            .arg(dir.join("out")),
        Reader::KeyNewCaKey => c
            .args(["key", "new", "--type", "p256", "--ca-cert"])
            .arg(dir.join("ca.pem"))
            .arg("--ca-key")
            .arg(bad)
            .arg("--out")
            .arg(dir.join("out"))
            .env("IMACTL_CA_KEY_PASSWORD", "corpus"),
        Reader::ModsigCert => c
            .args(["modsig", "sign", "--key"])
            .arg(k.join("rsa2048.pk8.pem"))
            .arg("--cert")
            .arg(bad)
            .arg(&file),
        Reader::HmacKey => c
            .args([
                "hmac",
                "-n",
                "--uuid=01234567-89ab-cdef-0123-456789abcdef",
                "--hmackey",
            ])
            .arg(bad)
            .arg(&file),
        Reader::Pkcs11Module => c
            .args(["ima_sign", "-n", "--key"])
            .arg(format!(
                "pkcs11:token=t;object=k?module-path={}",
                bad.display()
            ))
            .arg(&file),
        Reader::BootPolicy => c
            .args(["boot", "--kernel", "6.1", "--securityfs"])
            .arg(dir.join("dry"))
            .arg("--policy")
            .arg(bad)
            .arg("--keys-dir")
            .arg(dir.join("boot-keys"))
            .arg("--kernel-cert")
            .arg(dir.join("no-such-cert"))
            .arg("--state-dir")
            .arg(dir.join("boot-state")),
        Reader::StatusCert => c
            .args(["status", "--root"])
            .arg(dir)
            .arg("--kexec")
            .arg(&file)
            .arg("--cert")
            .arg(bad),
        Reader::ResignKey => c
            .args(["restore", "--root"])
            .arg(dir)
            .arg("--resign-with")
            .arg(bad)
            .env("EVMCTL_KEY_PASSWORD", "corpus"),
        Reader::HookConfig => c
            .args(["kernel-hook", "add", "--root"])
            .arg(dir)
            .arg("--config")
            .arg(bad)
            .arg("6.12.0-corpus"),
    };
    c
}

/// Per path: file type, contents (regular files only) and sorted xattrs (not followed).
type Snapshot = BTreeMap<PathBuf, (String, Vec<u8>, Vec<(String, Vec<u8>)>)>;

fn snapshot(dir: &Path) -> Snapshot {
    let mut m = BTreeMap::new();
    for e in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let e = e.unwrap();
        let p = e.path().to_path_buf();
        let ft = e.file_type();
        let kind = if ft.is_file() {
            "file"
        } else if ft.is_dir() {
            "dir"
        } else if ft.is_symlink() {
            "symlink"
        } else if ft.is_fifo() {
            "fifo"
        } else {
            "other"
        };
        // A sparse 1 GiB file is compared by size, not read.
        let data = match std::fs::symlink_metadata(&p) {
            Ok(md) if ft.is_file() && md.len() > (1 << 20) => md.len().to_le_bytes().to_vec(),
            _ if ft.is_file() => std::fs::read(&p).unwrap(),
            _ if ft.is_symlink() => std::fs::read_link(&p)
                .unwrap()
                .into_os_string()
                .into_encoded_bytes(),
            _ => vec![],
        };
        let mut xs: Vec<(String, Vec<u8>)> = if ft.is_file() || ft.is_dir() {
            xattr::list(&p)
                .map(|l| {
                    l.map(|n| {
                        let n = n.to_string_lossy().into_owned();
                        let v = xattr::get(&p, &n).ok().flatten().unwrap_or_default();
                        (n, v)
                    })
                    .collect()
                })
                .unwrap_or_default()
        } else {
            vec![]
        };
        xs.sort();
        m.insert(p, (kind.to_string(), data, xs));
    }
    m
}

/// The name the error must carry: the bad file's name (the securityfs policy's path
/// relative to securityfs; a device's path).
fn expected_name(reader: Reader, bad: &Bad) -> String {
    match (reader, bad) {
        (Reader::SigFile, _) => "file.sig".into(),
        (Reader::PolicyShow, _) => "ima/policy".into(),
        (_, Bad::Device(d)) => d.to_string(),
        _ => BAD.into(),
    }
}

fn run_case(case: &Case) -> Result<(), String> {
    let d = scratch();
    let dir = d.path();
    let bad = prepare(dir, case.reader, &case.bad);
    let before = snapshot(dir);
    let mut cmd = command(dir, case.reader, &bad);
    // under GNU time where installed: every case is bounded in memory too
    let mut timed = with_peak_rss(&cmd);
    let measured = timed.is_some();
    let o = run_bounded(timed.as_mut().unwrap_or(&mut cmd), BOUND);
    let err = stderr(&o);
    let name = expected_name(case.reader, &case.bad);
    let mut why = Vec::new();
    if !case.class.accepts(code(&o)) {
        why.push(format!("exit {} is not {:?}", code(&o), case.class));
    }
    // evmctl import of a missing file prints upstream's exact lines, which name no file
    // (tests/keyring_evmctl.rs compares them byte for byte).
    let upstream_exact = case.reader == Reader::EvmctlImport && matches!(case.bad, Bad::Missing);
    // `policy check` is a linter: its findings are its output, on stdout (the file named
    // there); every other command prints nothing on stdout when it fails.
    // `imactl boot` reports on stdout, failures included.
    let linter = matches!(case.reader, Reader::PolicyCheck | Reader::BootPolicy);
    let named = err.contains(&name) || (linter && stdout(&o).contains(&name));
    if !upstream_exact && !named {
        why.push(format!("stderr does not name {name:?}"));
    }
    if !o.stdout.is_empty() && !linter {
        why.push(format!("stdout: {:?}", stdout(&o)));
    }
    if before != snapshot(dir) {
        why.push("the directory changed".into());
    }
    if measured {
        match peak_rss_kib(&err) {
            Some(kib) if kib <= RSS_MAX_KIB => {}
            Some(kib) => why.push(format!("peak RSS {kib} KiB over 256 MiB")),
            None => why.push("no peak RSS from /usr/bin/time".into()),
        }
    }
    if why.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}: {}\n  stderr: {err}",
            case.name,
            why.join("; ")
        ))
    }
}

fn imactl_reader(r: Reader) -> bool {
    matches!(
        r,
        Reader::PolicyCheck
            | Reader::PolicyDryRun
            | Reader::KeyImport
            | Reader::PolicyShow
            | Reader::KeyShow
            | Reader::KeyNewCaCert
            | Reader::KeyNewCaKey
            | Reader::ModsigCert
            | Reader::BootPolicy
            | Reader::StatusCert
            | Reader::ResignKey
            | Reader::HookConfig
    )
}

/// The same bad file kinds for every reader.
fn file_kind_cases() -> Vec<Case> {
    let garbage: Vec<u8> = (0..3000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let kinds: Vec<(&str, Bad)> = vec![
        ("fifo", Bad::Fifo),
        ("directory", Bad::Dir),
        ("missing", Bad::Missing),
        ("sparse-1GiB", Bad::Sparse((1 << 30) - 1)),
        ("link-to-fifo", Bad::LinkToFifo),
        ("dev-zero", Bad::Device("/dev/zero")),
        ("dev-urandom", Bad::Device("/dev/urandom")),
        ("garbage", Bad::Bytes(garbage)),
        ("nul-bytes", Bad::Bytes(vec![0; 100])),
        ("empty", Bad::Bytes(vec![])),
    ];
    let mut out = Vec::new();
    for reader in READERS {
        for (kind, bad) in &kinds {
            let class = match (reader, kind) {
                // 100 NUL bytes are a valid HMAC key.
                (Reader::HmacKey, &"nul-bytes") => continue,
                _ if !imactl_reader(reader) => Class::Evmctl,
                // These commands exit 1 for an input they cannot read as for a bad one, as
                // their help says: key show checks each CERT operand in turn, and boot's 1
                // is "the policy is not in force".
                (Reader::KeyShow | Reader::BootPolicy, _) => Class::Imactl(1),
                // An empty policy is a valid policy; an empty securityfs policy means no
                // rules are loaded.
                (Reader::PolicyCheck | Reader::PolicyDryRun | Reader::PolicyShow, &"empty") => {
                    continue
                }
                // NUL bytes are UTF-8: the policy is read, and its rule is refused.
                (Reader::PolicyCheck | Reader::PolicyDryRun, &"nul-bytes") => Class::Imactl(1),
                (Reader::PolicyShow, &"nul-bytes") => continue,
                // securityfs without ima/policy: IMA is not enabled (the system says no).
                (Reader::PolicyShow, &"missing") => Class::Imactl(1),
                // Readable but not a certificate (or not a key): the answer is no; an
                // input that cannot be read is 2 (the arm below).
                (
                    Reader::KeyImport
                    | Reader::KeyNewCaCert
                    | Reader::KeyNewCaKey
                    | Reader::ModsigCert
                    | Reader::StatusCert
                    | Reader::ResignKey,
                    &"garbage" | &"nul-bytes" | &"empty",
                ) => Class::Imactl(1),
                // An empty configuration is the defaults (the hook runs); garbage is not
                // UTF-8 (2); NUL bytes are a line that is not `name = value` (1).
                (Reader::HookConfig, &"empty") => continue,
                (Reader::HookConfig, &"nul-bytes") => Class::Imactl(1),
                _ => Class::Imactl(2),
            };
            out.push(Case {
                name: format!("{reader:?}/{kind}"),
                reader,
                bad: bad.clone(),
                class,
            });
        }
    }
    out
}

/// Well-formed files of the wrong kind, and damaged ones, per format.
fn content_cases() -> Vec<Case> {
    let k = keys();
    let read = |n: &str| std::fs::read(k.join(n)).unwrap();
    let cert_pem = read("rsa2048.crt.pem");
    let key_pem = read("rsa2048.pk8.pem");
    let mut out = Vec::new();
    let mut add = |name: &str, reader: Reader, bytes: Vec<u8>, class: Class| {
        out.push(Case {
            name: format!("{reader:?}/{name}"),
            reader,
            bad: Bad::Bytes(bytes),
            class,
        })
    };
    // Keys and certificates.
    let truncated_pem = key_pem[..key_pem.len() / 2].to_vec();
    let mut bad_b64 = key_pem.clone();
    bad_b64[40] = b'!';
    let no_end = String::from_utf8(key_pem.clone())
        .unwrap()
        .replace("-----END PRIVATE KEY-----", "")
        .into_bytes();
    let der_cut = read("rsa2048.pk8.der")[..200].to_vec();
    for (n, b) in [
        ("truncated-pem", truncated_pem.clone()),
        ("bad-base64", bad_b64.clone()),
        ("no-end-line", no_end.clone()),
        ("truncated-der", der_cut.clone()),
        ("certificate-not-key", cert_pem.clone()),
        ("public-key-not-private", read("rsa2048.pub.pem")),
        // Key-derivation cost over the caps: refused before deriving (with the password
        // given, an uncapped loader runs for hours or allocates 4 GiB).
        (
            "pbkdf2-iterations-over-cap",
            common::crafted_keys::pbkdf2_pem(u32::MAX),
        ),
        (
            "scrypt-memory-over-cap",
            common::crafted_keys::scrypt_der(1 << 22, 8, 1),
        ),
    ] {
        add(n, Reader::SignKey, b, Class::Evmctl);
    }
    let cert_cut = cert_pem[..cert_pem.len() / 2].to_vec();
    let der_cert_cut = read("rsa2048.crt.der")[..300].to_vec();
    for (n, b) in [
        ("private-key-not-cert", key_pem.clone()),
        ("truncated-pem", cert_cut.clone()),
        ("truncated-der", der_cert_cut.clone()),
        ("bad-base64", {
            let mut c = cert_pem.clone();
            c[50] = b'*';
            c
        }),
    ] {
        add(n, Reader::VerifyCert, b.clone(), Class::Evmctl);
        add(n, Reader::KeyidFromCert, b.clone(), Class::Evmctl);
        add(n, Reader::EvmctlImport, b.clone(), Class::Evmctl);
        add(n, Reader::KeyImport, b, Class::Imactl(1));
    }
    add(
        "certificate-not-pem-key",
        Reader::VerifyV1Key,
        cert_pem.clone(),
        Class::Evmctl,
    );
    add(
        "private-key",
        Reader::VerifyV1Key,
        key_pem.clone(),
        Class::Evmctl,
    );
    for (n, b) in [
        ("private-key-not-cert", key_pem.clone()),
        ("truncated-pem", cert_pem[..cert_pem.len() / 2].to_vec()),
    ] {
        add(n, Reader::StatusCert, b, Class::Imactl(1));
    }
    for (n, b) in [
        ("certificate-not-key", cert_pem.clone()),
        ("public-key-not-private", read("rsa2048.pub.pem")),
        ("truncated-pem", truncated_pem.clone()),
    ] {
        add(n, Reader::ResignKey, b, Class::Imactl(1));
    }
    // The kernel hook's configuration named with --config: read but not parsed is 1, not
    // UTF-8 is 2.
    for (n, t, class) in [
        ("unknown-setting", &b"sign_everything = yes\n"[..], 1),
        ("no-equals", b"key /var/lib/dkms/mok.key\n", 1),
        ("bad-hash", b"hash = sha3-999\n", 1),
        ("bad-strict", b"strict = maybe\n", 1),
        ("latin1", b"key = /k\xe9y\n", 2),
    ] {
        add(n, Reader::HookConfig, t.to_vec(), Class::Imactl(class));
    }
    // Signature files.
    for (n, b) in [
        ("type3-version3", vec![3, 3, 4, 1, 2, 3, 4, 0, 2, 9, 9]),
        ("portable-evm-type5", vec![5, 2, 4, 1, 2, 3, 4, 0, 2, 9, 9]),
        ("truncated-header", vec![3, 2, 4]),
        ("length-past-end", vec![3, 2, 4, 1, 2, 3, 4, 1, 0, 9, 9]),
        ("unknown-type", vec![9, 1, 2, 3]),
        ("hash-not-signature", {
            let mut v = vec![4, 4];
            v.extend([7u8; 32]);
            v
        }),
        ("single-byte", vec![3]),
        ("zero-length-signature", vec![3, 2, 4, 1, 2, 3, 4, 0, 0]),
    ] {
        add(n, Reader::SigFile, b, Class::Evmctl);
    }
    // Measurement lists: bad records after a valid one.
    let good = one_record();
    let mut extra = ng_data("/bin/b");
    field(&mut extra, b"x");
    let mut past = ng_data("/bin/c");
    past.extend(1000u32.to_ne_bytes());
    let mut long_sig = ng_data("/bin/d");
    let mut sig = vec![3, 2, 4, 1, 2, 3, 4, 1, 0];
    sig.extend([0u8; 8]);
    field(&mut long_sig, &sig);
    let bad_records: Vec<(&str, Vec<u8>)> = vec![
        ("empty-template-name", record_with(10, b"", &ng_data("/x"))),
        ("no-template-data", record_with(10, b"ima-ng", &[])),
        ("field-past-record", record_with(10, b"ima-ng", &past)),
        (
            "signature-past-field",
            record_with(10, b"ima-sig", &long_sig),
        ),
        ("extra-field", record_with(10, b"ima-ng", &extra)),
        ("pcr-99", record_with(99, b"ima-ng", &ng_data("/x"))),
        (
            "name-too-long",
            record_with(10, &[b'a'; 300], &ng_data("/x")),
        ),
        ("mixed-legacy", {
            let mut r = 10u32.to_ne_bytes().to_vec();
            r.extend([1u8; 20]);
            field(&mut r, b"ima");
            r.extend([2u8; 20]);
            field(&mut r, b"/x");
            r
        }),
        ("truncated-header", 10u32.to_ne_bytes().to_vec()),
        ("data-length-past-end", {
            let mut r = 10u32.to_ne_bytes().to_vec();
            r.extend([1u8; 20]);
            field(&mut r, b"ima-ng");
            r.extend(5000u32.to_ne_bytes());
            r
        }),
    ];
    for (n, rec) in bad_records {
        let mut b = good.clone();
        b.extend(rec);
        add(n, Reader::MeasurementList, b, Class::Evmctl);
    }
    // Event logs.
    let mut ev = 0u32.to_ne_bytes().to_vec();
    ev.extend(7u32.to_ne_bytes());
    ev.extend([1u8; 20]);
    let mut past_end = ev.clone();
    past_end.extend(100u32.to_ne_bytes());
    let mut pcr_bad = 30u32.to_ne_bytes().to_vec();
    pcr_bad.extend([0u8; 28]);
    for (n, b) in [
        ("truncated-header", ev.clone()),
        ("data-past-end", past_end),
        ("pcr-30", pcr_bad),
        ("short", vec![1, 2, 3]),
    ] {
        add(n, Reader::EventLog, b, Class::Evmctl);
    }
    // PCR files.
    let z = "00".repeat(32);
    for (n, t) in [
        ("duplicate", format!("PCR-00: {z}\nPCR-00: {z}\n")),
        ("gap", format!("PCR-00: {z}\nPCR-02: {z}\n")),
        ("pcr-24", format!("PCR-24: {z}\n")),
        ("bad-hex", format!("PCR-00: {}\n", "zz".repeat(32))),
        ("sha1-size", format!("PCR-00: {}\n", "00".repeat(20))),
        ("no-lines", "nothing here\n".to_string()),
        ("out-of-order", format!("PCR-01: {z}\nPCR-00: {z}\n")),
        ("no-number", format!("PCR-xx: {z}\n")),
    ] {
        add(
            n,
            Reader::PcrsBootAggregate,
            t.clone().into_bytes(),
            Class::Evmctl,
        );
        add(n, Reader::PcrsMeasurement, t.into_bytes(), Class::Evmctl);
    }
    // Policies.
    for (n, t) in [
        ("bom", &b"\xef\xbb\xbfmeasure func=BPRM_CHECK\n"[..]),
        ("nul-in-func", b"measure func=BPRM_CHECK\0\n"),
        ("unknown-action", b"measur func=BPRM_CHECK\n"),
        ("unknown-func", b"measure func=BPRM_CHEK\n"),
        ("escape-sequence", b"measure func=\x1b[2JBPRM_CHECK\n"),
        ("bad-mask", b"measure mask=MAY_FLY\n"),
        ("bad-uid", b"measure uid=-1\n"),
        ("trailing-comment", b"measure func=BPRM_CHECK # note\n"),
        (
            "duplicate-condition",
            b"measure func=BPRM_CHECK func=FILE_CHECK\n",
        ),
        ("latin1", b"measure obj_type=caf\xe9_t\n"),
    ] {
        // Latin-1 is not UTF-8: the file cannot be read as text.
        let class = if n == "latin1" {
            Class::Imactl(2)
        } else {
            Class::Imactl(1)
        };
        add(n, Reader::PolicyCheck, t.to_vec(), class);
        add(n, Reader::PolicyDryRun, t.to_vec(), class);
    }
    out
}

#[test]
fn malformed_inputs_fail_cleanly() {
    let mut cases = file_kind_cases();
    cases.extend(content_cases());
    assert!(cases.len() >= 150, "only {} cases", cases.len());
    let failures: Vec<String> = cases.iter().filter_map(|c| run_case(c).err()).collect();
    eprintln!(
        "{} malformed-input cases, {} failed",
        cases.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
