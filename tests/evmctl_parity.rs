//! What upstream added after 1.4: immutable EVM signatures (-i), the hmac debug command
//! and --hmackey, --hwtpm, sign_hash --veritysig (sigv3), and every option of upstream
//! 1.6.2's option table either implemented or refused by name.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{
    code, evmctl, fixture, have_upstream, hex, run, scratch, skip, skip_part, stderr, stdout,
    upstream, write_sample,
};

const UUID: &str = "01234567-89ab-cdef-0123-456789abcdef";

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn with_stdin(mut c: Command, input: &str) -> Output {
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn immutable_evm_signatures_match_upstream() {
    let d = scratch();
    let f = fixture();
    let file = d.path().join("f");
    write_sample(&file, 3000, 7);
    let key = f.rsa2048.key.to_str().unwrap();
    let file = file.to_str().unwrap();
    let uuid = format!("--uuid={UUID}");
    let base = ["sign", "-n", &uuid, "--key", key];
    let cases: &[&[&str]] = &[
        &["-i"],
        &["-i", "--uid", "1000", "--gid", "100", "--mode", "33261"],
        &["-i", "--m32", "--generation", "7", "-a", "sha512"],
        &["-i", "--portable"],
        &["--portable", "-i", "--ima", "0404aabbccdd"],
    ];
    for extra in cases {
        let mut args: Vec<&str> = base.to_vec();
        args.extend_from_slice(extra);
        args.push(file);
        let ours = run(evmctl().args(&args));
        assert_eq!(code(&ours), 0, "{args:?}: {}", stderr(&ours));
        let value = unhex(stdout(&ours).trim());
        // Header: type 0x03 (0x05 when --portable came first), version 3 for immutable.
        if extra[0] == "-i" {
            assert_eq!(&value[..2], &[0x03, 0x03], "{args:?}");
        } else {
            assert_eq!(&value[..2], &[0x05, 0x02], "{args:?}");
        }
        if extra.len() == 2 {
            let which = if extra[0] == "-i" {
                "portable"
            } else {
                "immutable"
            };
            assert!(
                stderr(&ours).contains(&format!("exclusive, ignoring {which} option")),
                "{args:?}: {}",
                stderr(&ours)
            );
        }
        if !have_upstream() {
            skip_part(
                "immutable_evm_signatures_match_upstream",
                "upstream",
                "upstream evmctl is not installed",
            );
            continue;
        }
        let up = run(upstream().args(&args));
        assert_eq!(code(&up), 0, "upstream {args:?}: {}", stderr(&up));
        assert_eq!(stdout(&ours), stdout(&up), "{args:?}");
    }
}

/// The generation of `file` as `lsattr -v` prints it.
fn generation(file: &Path) -> Option<u32> {
    let o = run(Command::new("lsattr").arg("-v").arg(file));
    stdout(&o).split_whitespace().next()?.parse().ok()
}

#[test]
fn hmac_is_openssls_hmac_over_the_evm_inputs() {
    let test = "hmac_is_openssls_hmac_over_the_evm_inputs";
    let d = scratch();
    let file = d.path().join("f");
    write_sample(&file, 100, 1);
    let Some(generation) = generation(&file) else {
        skip(
            test,
            "lsattr -v cannot read the generation here (not ext4?)",
        );
        return;
    };
    let key: Vec<u8> = (0..32u8).map(|i| i.wrapping_mul(37)).collect();
    let key_file = d.path().join("evm-key");
    std::fs::write(&key_file, &key).unwrap();
    // --inode: upstream's hmac ignores the overrides; so do we.
    let uuid = format!("--uuid={UUID}");
    let o = run(evmctl()
        .args(["hmac", "--xattr-user", "--hmackey"])
        .arg(&key_file)
        .args([&uuid, "--inode", "5"])
        .arg(&file));
    if code(&o) != 0 && stderr(&o).contains("Operation not supported") {
        skip(test, "no user xattrs on this filesystem");
        return;
    }
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let printed = stderr(&o);
    let mac = printed
        .lines()
        .find_map(|l| l.strip_prefix("hmac: "))
        .expect("hmac: line");

    // The message, built here: no xattrs, then { ino u64, generation, uid, gid, mode u16,
    // padding } in native order, then the UUID.
    use std::os::unix::fs::MetadataExt;
    let md = std::fs::metadata(&file).unwrap();
    let mut msg = Vec::new();
    msg.extend_from_slice(&md.ino().to_ne_bytes());
    msg.extend_from_slice(&generation.to_ne_bytes());
    msg.extend_from_slice(&md.uid().to_ne_bytes());
    msg.extend_from_slice(&md.gid().to_ne_bytes());
    msg.extend_from_slice(&(md.mode() as u16).to_ne_bytes());
    msg.extend_from_slice(&[0; 2]);
    msg.extend(unhex(&UUID.replace('-', "")));
    std::fs::write(d.path().join("msg"), &msg).unwrap();
    let mut padded = key.clone();
    padded.resize(128, 0);
    let mac_opt = format!("hexkey:{}", hex(&padded));
    let ossl = run(Command::new("openssl").current_dir(d.path()).args([
        "mac", "-digest", "SHA1", "-macopt", &mac_opt, "-in", "msg", "HMAC",
    ]));
    assert!(ossl.status.success(), "{}", stderr(&ossl));
    assert_eq!(mac, stdout(&ossl).trim().to_lowercase());
    // Written as user.evm type 0x02 with --xattr-user.
    let x = common::get_xattr(&file, "user.evm").expect("user.evm set");
    assert_eq!(x[0], 2);
    assert_eq!(hex(&x[1..]), mac);
    println!("hmac: ours {mac} == openssl");

    // A key over 128 bytes is refused by name; the default key is /etc/keys/evm-key-plain.
    std::fs::write(&key_file, [1u8; 129]).unwrap();
    let o = run(evmctl()
        .args(["hmac", "-n", "--hmackey"])
        .arg(&key_file)
        .arg(&file));
    assert_eq!(code(&o), 125);
    assert!(stderr(&o).contains("at most 128"), "{}", stderr(&o));
    if !Path::new("/etc/keys/evm-key-plain").exists() {
        let o = run(evmctl().args(["hmac", "-n"]).arg(&file));
        assert_eq!(code(&o), 125);
        assert!(
            stderr(&o).contains("/etc/keys/evm-key-plain"),
            "{}",
            stderr(&o)
        );
    }
}

/// Issue 24, defect 5: a 0-byte HMAC key is refused, not used as an all-zero key. Debian's
/// upstream 1.4 (/usr/bin/evmctl, which reads only /etc/keys/evm-key-plain: run in a
/// private mount namespace with an overlay on /etc holding an empty key) says "Failed to
/// read a key" and exits 125; ours names the file and exits 125 too, and writes nothing.
#[test]
fn hmac_refuses_an_empty_key_as_upstream_does() {
    let test = "hmac_refuses_an_empty_key_as_upstream_does";
    let d = scratch();
    let file = d.path().join("f");
    write_sample(&file, 100, 2);
    let key = d.path().join("empty-key");
    std::fs::write(&key, b"").unwrap();
    let o = run(evmctl()
        .args([
            "hmac",
            "--xattr-user",
            &format!("--uuid={UUID}"),
            "--hmackey",
        ])
        .arg(&key)
        .arg(&file));
    assert_eq!(code(&o), 125, "{}", stderr(&o));
    assert!(stderr(&o).contains("empty"), "{}", stderr(&o));
    assert!(stderr(&o).contains(key.to_str().unwrap()), "{}", stderr(&o));
    assert!(
        !stderr(&o).contains("hmac: "),
        "no HMAC is made: {}",
        stderr(&o)
    );
    assert!(common::get_xattr(&file, "user.evm").is_none());

    let up = Path::new("/usr/bin/evmctl");
    if !up.exists() {
        skip_part(
            test,
            "upstream",
            "/usr/bin/evmctl (Debian's 1.4) is not installed",
        );
        return;
    }
    let (upper, work) = (d.path().join("upper"), d.path().join("work"));
    std::fs::create_dir(&upper).unwrap();
    std::fs::create_dir(&work).unwrap();
    let script = format!(
        "mount -t overlay overlay -o lowerdir=/etc,upperdir={},workdir={} /etc || exit 200; \
         mkdir -p /etc/keys && : > /etc/keys/evm-key-plain && exec {} hmac -n {}",
        upper.display(),
        work.display(),
        up.display(),
        file.display()
    );
    let b = run(Command::new("unshare").args(["-m", "sh", "-c", &script]));
    if code(&b) == 200 || stderr(&b).contains("unshare failed") {
        skip_part(
            test,
            "upstream",
            &format!("cannot give upstream a private /etc/keys: {}", stderr(&b)),
        );
        return;
    }
    assert!(
        stderr(&b).contains("Failed to read a key"),
        "upstream 1.4: {}",
        stderr(&b)
    );
    assert_eq!(
        code(&b),
        code(&o),
        "upstream 1.4's exit code: {}",
        stderr(&b)
    );
}

#[test]
fn veritysig_is_sigv3_over_the_file_id() {
    let d = scratch();
    let f = fixture();
    let digest: Vec<u8> = (0..32u8).collect();
    let line = format!("sha256:{} /usr/bin/true\n", hex(&digest));
    for (name, pair) in [("rsa", &f.rsa2048), ("p256", &f.p256)] {
        let mut c = evmctl();
        c.args(["sign_hash", "--veritysig", "--key"]).arg(&pair.key);
        let o = with_stdin(c, &line);
        assert_eq!(code(&o), 0, "{name}: {}", stderr(&o));
        let out = stdout(&o);
        let (echo, value) = out.trim_end().rsplit_once(' ').unwrap();
        assert_eq!(format!("{echo}\n"), line);
        let v = unhex(value);
        assert_eq!(
            &v[..3],
            &[0x06, 0x03, 0x04],
            "{name}: type, version 3, sha256"
        );
        let sig = &v[9..];
        assert_eq!(u16::from_be_bytes([v[7], v[8]]) as usize, sig.len());
        // What is signed: sha256 of { 0x06, 4, digest }, built here independently.
        let mut file_id = vec![0x06, 0x04];
        file_id.extend_from_slice(&digest);
        let hashed = {
            use sha2::Digest;
            sha2::Sha256::digest(&file_id).to_vec()
        };
        std::fs::write(d.path().join("h"), &hashed).unwrap();
        std::fs::write(d.path().join("sig"), sig).unwrap();
        let mut args = vec![
            "pkeyutl",
            "-verify",
            "-certin",
            "-inkey",
            pair.cert_pem.to_str().unwrap(),
            "-in",
            "h",
            "-sigfile",
            "sig",
        ];
        if name == "rsa" {
            args.extend(["-pkeyopt", "digest:sha256"]);
        }
        let v = run(Command::new("openssl").current_dir(d.path()).args(&args));
        assert!(
            v.status.success(),
            "{name}: openssl {}{}",
            stdout(&v),
            stderr(&v)
        );
        println!("{name}: {}", stdout(&v).trim());
    }
    // Lines that are not fsverity digest output are refused with the line number.
    for bad in [
        format!("{}  /usr/bin/true\n", hex(&digest)),
        "sha256:abcd /x\n".to_string(),
        "sha999:00 /x\n".to_string(),
    ] {
        let mut c = evmctl();
        c.args(["sign_hash", "--veritysig", "--key"])
            .arg(&f.rsa2048.key);
        let o = with_stdin(c, &bad);
        assert_eq!(code(&o), 125, "{bad}");
        assert!(stderr(&o).contains("line 1"), "{bad}: {}", stderr(&o));
    }
}

#[test]
fn hwtpm_reads_the_tpm_or_says_why_not() {
    let d = scratch();
    let pcrs = d.path().join("pcrs");
    let text: String = (0..24)
        .map(|n| format!("PCR-{n:02}: {}\n", "11".repeat(32)))
        .collect();
    std::fs::write(&pcrs, text).unwrap();
    let spec = format!("sha256,{}", pcrs.display());
    let a = run(evmctl().args(["ima_boot_aggregate", "--pcrs", &spec]));
    let b = run(evmctl().args(["ima_boot_aggregate", "--hwtpm", "--pcrs", &spec]));
    assert_eq!(code(&a), 0, "{}", stderr(&a));
    assert_eq!(stdout(&a), stdout(&b));
    let o = run(evmctl().args(["ima_boot_aggregate", "--hwtpm"]));
    if Path::new("/sys/class/tpm/tpm0").exists() {
        skip_part(
            "hwtpm_reads_the_tpm_or_says_why_not",
            "no-tpm",
            "this machine has a TPM",
        );
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    } else {
        assert_eq!(code(&o), 125);
        assert!(stderr(&o).contains("--hwtpm: no PCRs"), "{}", stderr(&o));
    }
}

/// Upstream 1.6.2's option table (src/evmctl.c, `opts[]` and the getopt string), each with
/// a value where it takes one.
const UPSTREAM_162_OPTIONS: &[&str] = &[
    "--help",
    "--imasig",
    "--imahash",
    "--hashalgo=sha256",
    "--pass=x",
    "--sigfile",
    "--uuid",
    "--rsa",
    "--key=k",
    "--type=f",
    "--recursive",
    "--m32",
    "--m64",
    "--portable",
    "--smack",
    "--version",
    "--inode=1",
    "--uid=1",
    "--gid=1",
    "--mode=1",
    "--generation=1",
    "--ima=00",
    "--selinux=x",
    "--caps",
    "--verify-sig",
    "--engine=pkcs11",
    "--xattr-user",
    "--ignore-violations",
    "--pcrs=f",
    "--verify-bank",
    "--keyid=1",
    "--keyid-from-cert=/dev/null",
    "--veritysig",
    "--hwtpm",
    "--hmackey=k",
    "--provider=pkcs11",
    "-h",
    "-v",
    "-n",
    "-s",
    "-d",
    "-a",
    "-o",
    "-p",
    "-f",
    "-u",
    "-k",
    "-t",
    "-r",
    "-i",
];

#[test]
fn every_upstream_162_option_is_known() {
    for opt in UPSTREAM_162_OPTIONS {
        let mut args = vec![*opt];
        // Short options with a required value take the next word.
        if ["-a", "-k", "-t"].contains(opt) {
            args.push(if *opt == "-t" { "f" } else { "sha256" });
        }
        args.push("help");
        let o = run(evmctl().args(&args));
        let e = stderr(&o);
        assert!(
            !e.contains("unrecognized") && !e.contains("invalid option"),
            "{opt}: {e}"
        );
        assert_eq!(code(&o), 0, "{opt}: {e}");
    }
    // The engines and providers this tool does not load are refused by name.
    for opt in ["--engine=gost", "--provider=tpm2"] {
        let o = run(evmctl().args([opt, "help"]));
        assert_eq!(code(&o), 125, "{opt}");
        let name = opt.split('=').next().unwrap();
        assert!(stderr(&o).contains(name), "{opt}: {}", stderr(&o));
    }
}

/// Upstream evmctl 1.5 built from Debian's source package (tests/tools/build-upstream-1.5.sh,
/// cached outside the repository), or why not.
fn upstream_15() -> Result<std::path::PathBuf, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/build-upstream-1.5.sh");
    let o = run(Command::new("bash").arg(script));
    if !o.status.success() {
        return Err(format!(
            "cannot build upstream evmctl 1.5: {}",
            stderr(&o).lines().last().unwrap_or("")
        ));
    }
    Ok(stdout(&o).trim().into())
}

#[test]
fn byte_identical_to_upstream_15() {
    let test = "byte_identical_to_upstream_15";
    let up = match upstream_15() {
        Ok(p) => p,
        Err(e) => return skip(test, &e),
    };
    let f = fixture();
    let d = scratch();

    // sign_hash --veritysig (RSA: deterministic), several algorithms and lines.
    let mut lines = String::new();
    for (algo, len) in [("sha256", 32), ("sha512", 64), ("sha384", 48)] {
        let digest: Vec<u8> = (0..len as u8).map(|i| i.wrapping_mul(29)).collect();
        lines.push_str(&format!("{algo}:{} /usr/lib/x{len}\n", hex(&digest)));
    }
    for key in [&f.rsa2048.key, &f.rsa1024.key] {
        let mut ours = evmctl();
        ours.args(["sign_hash", "--veritysig", "--key"]).arg(key);
        let mut theirs = Command::new(&up);
        theirs.args(["sign_hash", "--veritysig", "--key"]).arg(key);
        let (a, b) = (with_stdin(ours, &lines), with_stdin(theirs, &lines));
        assert_eq!(code(&b), 0, "upstream 1.5: {}", stderr(&b));
        assert_eq!(stdout(&a), stdout(&b), "{}", key.display());
        assert_eq!(stdout(&a).lines().count(), 3);
    }

    // -i, as 1.4 does.
    let file = d.path().join("f");
    write_sample(&file, 2000, 4);
    let uuid = format!("--uuid={UUID}");
    let args = [
        "sign",
        "-i",
        "-n",
        &uuid,
        "--key",
        f.rsa2048.key.to_str().unwrap(),
    ];
    let a = run(evmctl().args(args).arg(&file));
    let b = run(Command::new(&up).args(args).arg(&file));
    assert_eq!(code(&b), 0, "{}", stderr(&b));
    assert_eq!(stdout(&a), stdout(&b));

    // hmac: 1.5 reads only /etc/keys/evm-key-plain, so it runs in a private mount
    // namespace with an overlay on /etc that holds the key; ours takes --hmackey. 1.5
    // leaves the UUID out of the HMAC (1.6 added it; the openssl test covers that form),
    // so the two are compared with -u.
    let key = d.path().join("evm-key");
    std::fs::write(&key, (0..40u8).collect::<Vec<_>>()).unwrap();
    // 1.5 fails on a file without any xattr (llistxattr returns 0): give it one.
    let xa = run(Command::new("setfattr")
        .args(["-n", "user.x", "-v", "1"])
        .arg(&file));
    let (upper, work) = (d.path().join("upper"), d.path().join("work"));
    std::fs::create_dir(&upper).unwrap();
    std::fs::create_dir(&work).unwrap();
    let script = format!(
        "mount -t overlay overlay -o lowerdir=/etc,upperdir={},workdir={} /etc && \
         mkdir -p /etc/keys && cp {} /etc/keys/evm-key-plain && {} hmac -n -u {}",
        upper.display(),
        work.display(),
        key.display(),
        up.display(),
        file.display()
    );
    let b = run(Command::new("unshare").args(["-m", "sh", "-c", &script]));
    let theirs = stderr(&b)
        .lines()
        .find_map(|l| l.strip_prefix("hmac: ").map(str::to_string));
    match (xa.status.success(), theirs) {
        (true, Some(theirs)) => {
            let a = run(evmctl()
                .args(["hmac", "-n", "-u", "--hmackey"])
                .arg(&key)
                .arg(&file));
            let ours = stderr(&a)
                .lines()
                .find_map(|l| l.strip_prefix("hmac: ").map(str::to_string));
            assert_eq!(ours, Some(theirs), "{}", stderr(&a));
        }
        _ => skip_part(
            test,
            "hmac",
            &format!(
                "cannot run upstream 1.5's hmac with a private /etc/keys: {}",
                stderr(&b)
            ),
        ),
    }
}
