//! Issue 12, acceptance: no input of any kind makes either tool use more than 256 MiB or run
//! past 20 s on a file under 1 GiB. For every kind of input evmctl and imactl read, the real
//! binaries run on (a) a sparse file just under 1 GiB, (b) the worst case just under the
//! kind's cap that the parser must process whole, and (c) an endless device where one can
//! be given. Each run's peak RSS and CPU time (user + system) come from /usr/bin/time
//! (Debian package `time`, installed by tests/setup.sh); a run that blocks is killed after
//! 120 s of wall time; the expected outcome (refused naming the cap, or done) is checked
//! too. The table printed on stderr is the evidence for the issue.
//!
//! The binaries are the ones cargo built for this test run (debug under `cargo test`, with
//! SHA-1 and SHA-256 optimized, see Cargo.toml); release builds are faster still.

mod common;

use common::*;
use std::ffi::OsString;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TIME: &str = "/usr/bin/time";
const RSS_MAX_KIB: u64 = 256 * 1024;
/// The bound on a run's CPU time (user + system), so that what is measured is the tool's own
/// work, not what else the machine is doing (CI builds a kernel beside the tests).
const SECS_MAX: f64 = 20.0;
/// A run still going after this long (wall clock) is killed and fails: a tool that blocks
/// (a FIFO nobody writes to) uses no CPU, and this catches it.
const KILL_AFTER: Duration = Duration::from_secs(120);
/// Just under 1 GiB.
const BIG: u64 = (1 << 30) - 4096;
const MIB: usize = 1024 * 1024;

#[derive(Clone, Copy)]
enum Tool {
    Evmctl,
    Imactl,
}

/// What the run must end with: its exit code and a text its stdout or stderr holds.
struct Expect {
    code: i32,
    text: String,
}

fn done(text: &str) -> Expect {
    Expect {
        code: 0,
        text: text.into(),
    }
}

fn fails(code: i32, text: &str) -> Expect {
    Expect {
        code,
        text: text.into(),
    }
}

struct Case {
    kind: &'static str,
    input: String,
    tool: Tool,
    args: Vec<OsString>,
    stdin: Option<PathBuf>,
    expect: Expect,
}

struct Measured {
    kib: u64,
    secs: f64,
    code: i32,
    output: String,
}

fn run(case: &Case, dir: &Path) -> Measured {
    let prog = match case.tool {
        Tool::Evmctl => env!("CARGO_BIN_EXE_evmctl"),
        Tool::Imactl => env!("CARGO_BIN_EXE_imactl"),
    };
    let stats = dir.join("time.out");
    let out = dir.join("stdout");
    let err = dir.join("stderr");
    let stdin = match &case.stdin {
        Some(p) => Stdio::from(File::open(p).unwrap()),
        None => Stdio::null(),
    };
    let mut child = Command::new(TIME)
        .args(["-f", "%M %U %S", "-o"])
        .arg(&stats)
        .arg(prog)
        .args(&case.args)
        .current_dir(dir)
        .env("EVMCTL_KEY_PASSWORD", "unused")
        .stdin(stdin)
        .stdout(File::create(&out).unwrap())
        .stderr(File::create(&err).unwrap())
        .spawn()
        .expect("run /usr/bin/time");
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > KILL_AFTER {
            let _ = child.kill();
            let _ = child.wait();
            return Measured {
                kib: 0,
                secs: start.elapsed().as_secs_f64(),
                code: -1,
                output: format!("killed after {KILL_AFTER:?}"),
            };
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // time(1) writes "Command exited with non-zero status N" before the format line.
    let stats = std::fs::read_to_string(&stats).unwrap_or_default();
    let last = stats.lines().last().unwrap_or("");
    let mut it = last.split_whitespace();
    let kib = it.next().and_then(|v| v.parse().ok()).unwrap_or(u64::MAX);
    let user: f64 = it.next().and_then(|v| v.parse().ok()).unwrap_or(f64::MAX);
    let system: f64 = it.next().and_then(|v| v.parse().ok()).unwrap_or(f64::MAX);
    let secs = user + system;
    let mut output = std::fs::read_to_string(&out).unwrap_or_default();
    output.push_str(&String::from_utf8_lossy(&std::fs::read(&err).unwrap()));
    Measured {
        kib,
        secs,
        code: status.code().unwrap_or(-1),
        output,
    }
}

fn os(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Vec<OsString> {
    args.iter().map(|a| a.as_ref().to_os_string()).collect()
}

fn keys() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/keys")
}

fn sparse(p: &Path, len: u64) -> PathBuf {
    File::create(p).unwrap().set_len(len).unwrap();
    p.to_path_buf()
}

/// `unit` repeated up to just under `cap` bytes, after `head`.
fn fill(p: &Path, head: &[u8], unit: &[u8], cap: usize) -> PathBuf {
    let mut f = std::io::BufWriter::new(File::create(p).unwrap());
    f.write_all(head).unwrap();
    let n = (cap - head.len()) / unit.len();
    for _ in 0..n {
        f.write_all(unit).unwrap();
    }
    f.flush().unwrap();
    p.to_path_buf()
}

fn field(out: &mut Vec<u8>, f: &[u8]) {
    out.extend_from_slice(&(f.len() as u32).to_ne_bytes());
    out.extend_from_slice(f);
}

/// A binary measurement list just under `cap` of the smallest ima-ng records.
fn measurement_list(p: &Path, cap: usize) -> (PathBuf, usize) {
    use imaevm::hash::HashAlgo;
    let mut out = Vec::with_capacity(cap);
    let mut n = 0usize;
    loop {
        let path = format!("/{n:x}");
        let mut dng = b"sha256:\0".to_vec();
        dng.extend(HashAlgo::Sha256.digest(path.as_bytes()));
        let mut data = Vec::new();
        field(&mut data, &dng);
        field(&mut data, format!("{path}\0").as_bytes());
        let mut r = 10u32.to_ne_bytes().to_vec();
        r.extend(HashAlgo::Sha1.digest(&data));
        field(&mut r, b"ima-ng");
        field(&mut r, &data);
        if out.len() + r.len() > cap {
            break;
        }
        out.extend(r);
        n += 1;
    }
    std::fs::write(p, out).unwrap();
    (p.to_path_buf(), n)
}

/// Inputs shared by the cases.
struct Inputs {
    big: PathBuf,
    zero: PathBuf,
    key: PathBuf,
    cert: PathBuf,
    small: PathBuf,
}

fn key_cases(i: &Inputs, d: &Path) -> Vec<Case> {
    let k = keys();
    let mut v = Vec::new();
    // A key with its certificate, then certificate blocks up to the 1 MiB cap: the loader
    // scans every PEM block.
    let head = std::fs::read(k.join("rsa2048.key-crt.pem")).unwrap();
    let cert_pem = std::fs::read(k.join("rsa2048.crt.pem")).unwrap();
    let key_cap = fill(&d.join("key-at-cap.pem"), &head, &cert_pem, MIB);
    let certs_cap = fill(&d.join("certs-at-cap.pem"), &[], &cert_pem, MIB);
    for (input, key, expect) in [
        (
            "1 GiB sparse",
            &i.big,
            fails(125, "larger than the 1 MiB limit"),
        ),
        ("key + 1 MiB of PEM blocks", &key_cap, done("0302")),
        ("/dev/zero", &i.zero, fails(125, "not a regular file")),
    ] {
        v.push(Case {
            kind: "private key (ima_sign --key)",
            input: input.into(),
            tool: Tool::Evmctl,
            args: os(&[&"ima_sign", &"-n", &"--key", key, &i.small]),
            stdin: None,
            expect,
        });
    }
    for (input, cert, expect) in [
        (
            "1 GiB sparse",
            &i.big,
            fails(1, "larger than the 1 MiB limit"),
        ),
        (
            "1 MiB of PEM certificates",
            &certs_cap,
            done("verification is OK"),
        ),
        ("/dev/zero", &i.zero, fails(1, "not a regular file")),
    ] {
        v.push(Case {
            kind: "certificate (ima_verify --key)",
            input: input.into(),
            tool: Tool::Evmctl,
            args: os(&[&"ima_verify", &"--sigfile", &"--key", cert, &i.small]),
            stdin: None,
            expect,
        });
    }
    // A --key list: the unreadable entries are skipped, 16 entries at the cap are read.
    let mut list = OsString::from(i.big.as_os_str());
    list.push(",");
    list.push(i.zero.as_os_str());
    for _ in 0..16 {
        list.push(",");
        list.push(certs_cap.as_os_str());
    }
    v.push(Case {
        kind: "--key list (ima_verify)",
        input: "1 GiB, /dev/zero, 16 x 1 MiB".into(),
        tool: Tool::Evmctl,
        args: os(&[&"ima_verify", &"--sigfile", &"--key", &list, &i.small]),
        stdin: None,
        expect: done("verification is OK"),
    });
    for (input, cert, expect) in [
        (
            "1 GiB sparse",
            &i.big,
            fails(2, "larger than the 1 MiB limit"),
        ),
        ("/dev/zero", &i.zero, fails(2, "not a regular file")),
    ] {
        v.push(Case {
            kind: "certificate (imactl key import)",
            input: input.into(),
            tool: Tool::Imactl,
            args: os(&[&"key", &"import", &"--keyring", &"@s", cert]),
            stdin: None,
            expect,
        });
    }
    for (input, cert, expect) in [
        (
            "1 GiB sparse",
            &i.big,
            fails(125, "larger than the 1 MiB limit"),
        ),
        ("/dev/zero", &i.zero, fails(125, "not a regular file")),
    ] {
        v.push(Case {
            kind: "HMAC key (evmctl hmac --hmackey)",
            input: input.into(),
            tool: Tool::Evmctl,
            args: os(&[&"hmac", &"--hmackey", cert, &i.small]),
            stdin: None,
            expect,
        });
    }
    for (input, f) in [("1 GiB sparse", &i.big), ("/dev/zero", &i.zero)] {
        let text = if f == &i.big {
            "larger than the 1 MiB limit"
        } else {
            "not a regular file"
        };
        v.push(Case {
            kind: "certificate (imactl key show)",
            input: input.into(),
            tool: Tool::Imactl,
            args: os(&[&"key", &"show", f]),
            stdin: None,
            expect: fails(1, text),
        });
        v.push(Case {
            kind: "public key (evmctl import)",
            input: input.into(),
            tool: Tool::Evmctl,
            args: os(&[&"import", f, &"@s"]),
            stdin: None,
            expect: fails(1, text),
        });
        v.push(Case {
            kind: "public key (evmctl convert)",
            input: input.into(),
            tool: Tool::Evmctl,
            args: os(&[&"convert", f]),
            stdin: None,
            expect: fails(1, text),
        });
    }
    v.push(Case {
        kind: "certificate (imactl modsig verify --cert)",
        input: "1 GiB sparse".into(),
        tool: Tool::Imactl,
        args: os(&[&"modsig", &"verify", &"--cert", &i.big, &i.small]),
        stdin: None,
        expect: fails(2, "larger than the 1 MiB limit"),
    });
    v
}

fn sig_cases(i: &Inputs, d: &Path) -> Vec<Case> {
    let mut v = Vec::new();
    for (input, name, make) in [
        ("1 GiB sparse", "big-sig", 0u8),
        ("64 KiB value", "cap-sig", 1),
        ("/dev/zero", "zero-sig", 2),
    ] {
        let file = d.join(name);
        std::fs::write(&file, b"data").unwrap();
        let sig = d.join(format!("{name}.sig"));
        match make {
            0 => {
                sparse(&sig, BIG);
            }
            1 => {
                // A v2 header and a signature that fills the cap.
                let mut b = vec![3, 2, 4, 0x79, 0x09, 0x93, 0x4e, 0xff, 0xf7];
                b.resize(64 * 1024, 0x5a);
                std::fs::write(&sig, b).unwrap();
            }
            _ => std::os::unix::fs::symlink(&i.zero, &sig).unwrap(),
        }
        let expect = match make {
            0 => fails(1, "larger than the 64 KiB limit"),
            1 => fails(1, "cap-sig"),
            _ => fails(1, "not a regular file"),
        };
        v.push(Case {
            kind: ".sig file (ima_verify --sigfile)",
            input: input.into(),
            tool: Tool::Evmctl,
            args: os(&[&"ima_verify", &"--sigfile", &"--key", &i.cert, &file]),
            stdin: None,
            expect,
        });
    }
    // An xattr value is at most 64 KiB (the kernel's XATTR_SIZE_MAX); the largest this
    // filesystem stores.
    let f = d.join("xattr-file");
    std::fs::write(&f, b"data").unwrap();
    let mut value = vec![3u8, 2, 4, 0x79, 0x09, 0x93, 0x4e, 0xff, 0xf7];
    let mut size = 64 * 1024;
    let stored = loop {
        value.resize(size, 0x5a);
        // The header's length matches: the signature is read whole and checked.
        value[7..9].copy_from_slice(&((size - 9).min(0xffff) as u16).to_be_bytes());
        if xattr::set(&f, "user.ima", &value).is_ok() {
            break Some(size);
        }
        size /= 2;
        if size < 512 {
            break None;
        }
    };
    if let Some(n) = stored {
        // The same value as an EVM signature (verify hashes the metadata, -u: no UUID).
        let e = d.join("evm-file");
        std::fs::write(&e, b"data").unwrap();
        xattr::set(&e, "user.evm", &value).unwrap();
        v.push(Case {
            kind: "security.evm value (user.evm)",
            input: format!("{n}-byte value"),
            tool: Tool::Evmctl,
            args: os(&[&"verify", &"-u", &"--xattr-user", &"--key", &i.cert, &e]),
            stdin: None,
            expect: fails(1, "invalid-signature"),
        });
    }
    match stored {
        Some(n) => v.push(Case {
            kind: "security.ima value (user.ima)",
            input: format!("{n}-byte value"),
            tool: Tool::Evmctl,
            args: os(&[&"ima_verify", &"--xattr-user", &"--key", &i.cert, &f]),
            stdin: None,
            expect: fails(1, "xattr-file"),
        }),
        None => skip_part(
            "every_input_kind_stays_within_256_mib_and_20_s",
            "user.ima and user.evm values",
            "the filesystem of the temporary directory stores no user xattrs",
        ),
    }
    v
}

fn policy_cases(i: &Inputs, d: &Path) -> Vec<Case> {
    let cap = 16 * MIB;
    let long_rule = |n: usize| -> Vec<u8> {
        format!(
            "measure func=FILE_CHECK mask=MAY_READ fowner=0 obj_type=t{n:06}{}_t\n",
            "a".repeat(432)
        )
        .into_bytes()
    };
    // Distinct long rules up to the cap (no two alike: each is compared with the others).
    let rules = d.join("policy-long-rules");
    {
        let mut f = std::io::BufWriter::new(File::create(&rules).unwrap());
        let mut written = 0;
        let mut n = 0;
        loop {
            let r = long_rule(n);
            if written + r.len() > cap {
                break;
            }
            f.write_all(&r).unwrap();
            written += r.len();
            n += 1;
        }
    }
    // The rule cap reached with the shortest rules, then more up to the size cap.
    let short = fill(
        &d.join("policy-short-rules"),
        &[],
        b"measure func=FILE_CHECK\n",
        cap,
    );
    let mut line = vec![b'x'; cap - 1];
    line.push(b'\n');
    let one_line = d.join("policy-one-line");
    std::fs::write(&one_line, line).unwrap();
    let empty_lines = fill(&d.join("policy-empty-lines"), &[], b"\n", cap);
    let shapes: Vec<(&str, &PathBuf, i32, &str)> = vec![
        ("1 GiB sparse", &i.big, 2, "larger than the 16 MiB limit"),
        ("16 MiB of long rules", &rules, 0, "rules, 0 errors"),
        ("16 MiB of short rules", &short, 1, "131072"),
        ("one 16 MiB line", &one_line, 1, "lines over 8192 bytes"),
        ("16 MiB of empty lines", &empty_lines, 0, "0 rules"),
        ("/dev/zero", &i.zero, 2, "not a regular file"),
    ];
    let sfs = d.join("dry");
    std::fs::create_dir_all(sfs.join("ima")).unwrap();
    std::fs::write(sfs.join("ima/policy"), b"").unwrap();
    let mut v = Vec::new();
    for (input, p, code, text) in &shapes {
        v.push(Case {
            kind: "policy (imactl policy check)",
            input: (*input).into(),
            tool: Tool::Imactl,
            args: os(&[&"policy", &"check", &"--kernel", &"6.1", *p]),
            stdin: None,
            expect: fails(*code, text),
        });
    }
    for (input, p, code, text) in &shapes {
        if *input == "16 MiB of empty lines" || *input == "one 16 MiB line" {
            continue;
        }
        let text = if *code == 0 { "" } else { *text };
        v.push(Case {
            kind: "policy (imactl policy load --dry-run)",
            input: (*input).into(),
            tool: Tool::Imactl,
            args: os(&[
                &"policy",
                &"load",
                &"--dry-run",
                &"--kernel",
                &"6.1",
                &"--securityfs",
                &sfs,
                *p,
            ]),
            stdin: None,
            expect: fails(*code, text),
        });
    }
    // What the kernel reports in securityfs/ima/policy.
    for (input, src, code, text) in [
        ("1 GiB sparse", &i.big, 2, "larger than the 16 MiB limit"),
        ("16 MiB of long rules", &rules, 0, "obj_type=t000000"),
        ("/dev/zero", &i.zero, 2, "not a regular file"),
    ] {
        let root = d.join(format!("sfs-{}", v.len()));
        std::fs::create_dir_all(root.join("ima")).unwrap();
        std::os::unix::fs::symlink(src, root.join("ima/policy")).unwrap();
        v.push(Case {
            kind: "securityfs policy (imactl policy show)",
            input: input.into(),
            tool: Tool::Imactl,
            args: os(&[&"policy", &"show", &"--securityfs", &root]),
            stdin: None,
            expect: fails(code, text),
        });
    }
    v
}

fn measurement_cases(i: &Inputs, d: &Path) -> Vec<Case> {
    let (list, n) = measurement_list(&d.join("list-at-cap"), 32 * MIB);
    let zeros = "0".repeat(40);
    let pcrs: String = (0..24).map(|p| format!("PCR-{p:02}: {zeros}\n")).collect();
    let pcrs_file = d.join("pcrs");
    std::fs::write(&pcrs_file, pcrs).unwrap();
    let sha1_pcrs = OsString::from(format!("sha1,{}", pcrs_file.display()));
    let records = format!("32 MiB, {n} records");
    let mut v = Vec::new();
    for (input, args, expect) in [
        (
            "1 GiB sparse".to_string(),
            os(&[&"ima_measurement", &i.big]),
            fails(125, "larger than the 32 MiB limit"),
        ),
        (
            records.clone(),
            os(&[&"ima_measurement", &list]),
            // Replayed whole; this machine has no TPM to compare with (exit 0 as upstream).
            done("Failed to read any TPM PCRs"),
        ),
        (
            format!("{records}, -v"),
            os(&[&"-v", &"ima_measurement", &list]),
            done("Failed to read any TPM PCRs"),
        ),
        (
            format!("{records}, --pcrs"),
            os(&[&"ima_measurement", &"--pcrs", &sha1_pcrs, &list]),
            fails(1, "Failed to match"),
        ),
        (
            "/dev/zero".to_string(),
            os(&[&"ima_measurement", &i.zero]),
            fails(125, "not a regular file"),
        ),
    ] {
        v.push(Case {
            kind: "measurement list (ima_measurement)",
            input,
            tool: Tool::Evmctl,
            args,
            stdin: None,
            expect,
        });
    }
    // TPM 1.2 event log: the smallest events (32 bytes, no data) up to the cap.
    let mut ev = 0u32.to_ne_bytes().to_vec();
    ev.extend(8u32.to_ne_bytes());
    ev.extend([0x11; 20]);
    ev.extend(0u32.to_ne_bytes());
    let log = fill(&d.join("event-log"), &[], &ev, 16 * MIB);
    for (input, p, expect) in [
        (
            "1 GiB sparse",
            &i.big,
            fails(125, "larger than the 16 MiB limit"),
        ),
        ("16 MiB of 32-byte events", &log, done("sha1:")),
        ("/dev/zero", &i.zero, fails(125, "not a regular file")),
    ] {
        v.push(Case {
            kind: "event log (ima_boot_aggregate)",
            input: input.into(),
            tool: Tool::Evmctl,
            args: os(&[&"ima_boot_aggregate", p]),
            stdin: None,
            expect,
        });
    }
    // --pcrs files: 64 KiB of lines (a repeated PCR line is refused at the second), one
    // 64 KiB line, and the usual three.
    let lines = fill(
        &d.join("pcrs-lines"),
        &[],
        format!("PCR-00: {zeros}\n").as_bytes(),
        64 * 1024,
    );
    let mut long = vec![b'#'; 64 * 1024 - 1];
    long.push(b'\n');
    let long_line = d.join("pcrs-long-line");
    std::fs::write(&long_line, long).unwrap();
    for (input, p, code, text) in [
        ("1 GiB sparse", &i.big, 125, "larger than the 64 KiB limit"),
        ("64 KiB of PCR lines", &lines, 125, "PCR-00"),
        ("one 64 KiB line", &long_line, 125, "pcrs-long-line"),
        ("/dev/zero", &i.zero, 125, "not a regular file"),
    ] {
        let arg = OsString::from(format!("sha256,{}", p.display()));
        v.push(Case {
            kind: "--pcrs file (ima_boot_aggregate)",
            input: input.into(),
            tool: Tool::Evmctl,
            args: os(&[&"ima_boot_aggregate", &"--pcrs", &arg]),
            stdin: None,
            expect: fails(code, text),
        });
        let arg = OsString::from(format!("sha1,{}", p.display()));
        v.push(Case {
            kind: "--pcrs file (ima_measurement)",
            input: input.into(),
            tool: Tool::Evmctl,
            args: os(&[&"ima_measurement", &"--pcrs", &arg, &d.join("list-small")]),
            stdin: None,
            expect: fails(code, text),
        });
    }
    measurement_list(&d.join("list-small"), 1000);
    v
}

fn file_cases(i: &Inputs, d: &Path) -> Vec<Case> {
    let tree = d.join("tree");
    std::fs::create_dir_all(tree.join("sub")).unwrap();
    sparse(&tree.join("sub/big"), BIG);
    std::fs::write(tree.join("small"), b"small").unwrap();
    let big_signed = d.join("big.signed");
    let big_unsigned = d.join("big.unsigned");
    let lines = d.join("hash-lines");
    {
        let line = format!("{}  /usr/bin/file\n", "ab".repeat(32));
        fill(&lines, &[], line.as_bytes(), 5_000 * line.len());
    }
    let mut v = Vec::new();
    let mut add = |kind: &'static str, input: &str, tool, args, stdin, expect| {
        v.push(Case {
            kind,
            input: input.into(),
            tool,
            args,
            stdin,
            expect,
        })
    };
    let ev = Tool::Evmctl;
    let im = Tool::Imactl;
    add(
        "file to hash (ima_hash)",
        "1 GiB sparse",
        ev,
        os(&[&"ima_hash", &i.big]),
        None,
        done("0404"),
    );
    add(
        "file to hash (ima_hash)",
        "/dev/zero",
        ev,
        os(&[&"ima_hash", &i.zero]),
        None,
        fails(125, "not a regular file"),
    );
    add(
        "file to sign (ima_sign -n)",
        "1 GiB sparse",
        ev,
        os(&[&"ima_sign", &"-n", &"--key", &i.key, &i.big]),
        None,
        done("0302"),
    );
    add(
        "file to sign (ima_sign -n)",
        "/dev/zero",
        ev,
        os(&[&"ima_sign", &"-n", &"--key", &i.key, &i.zero]),
        None,
        fails(125, "not a regular file"),
    );
    add(
        "tree to sign (ima_sign -r)",
        "tree with a 1 GiB file",
        ev,
        os(&[&"ima_sign", &"-r", &"--xattr-user", &"--key", &i.key, &tree]),
        None,
        done(""),
    );
    add(
        "file to verify (ima_verify)",
        "1 GiB, signed",
        ev,
        os(&[
            &"ima_verify",
            &"--xattr-user",
            &"--key",
            &i.cert,
            &tree.join("sub/big"),
        ]),
        None,
        done("verification is OK"),
    );
    add(
        "modsig (imactl modsig verify)",
        "1 GiB, unsigned",
        im,
        os(&[&"modsig", &"verify", &"--cert", &i.cert, &i.big]),
        None,
        fails(1, "no appended signature"),
    );
    add(
        "modsig (imactl modsig sign)",
        "1 GiB",
        im,
        os(&[
            &"modsig",
            &"sign",
            &"--key",
            &i.key,
            &"--cert",
            &i.cert,
            &"--out",
            &big_signed,
            &i.big,
        ]),
        None,
        done("signed (sha256)"),
    );
    add(
        "modsig (imactl modsig verify)",
        "1 GiB, signed",
        im,
        os(&[&"modsig", &"verify", &"--cert", &i.cert, &big_signed]),
        None,
        done(": OK (sha256"),
    );
    add(
        "modsig (imactl modsig remove)",
        "1 GiB, signed",
        im,
        os(&[&"modsig", &"remove", &"--out", &big_unsigned, &big_signed]),
        None,
        done(""),
    );
    add(
        "modsig (imactl modsig verify)",
        "/dev/zero",
        im,
        os(&[&"modsig", &"verify", &"--cert", &i.cert, &i.zero]),
        None,
        fails(1, "not a regular file"),
    );
    add(
        "sign_hash stdin lines",
        "1 GiB of NULs, no newline",
        ev,
        os(&[&"sign_hash", &"--key", &i.key]),
        Some(i.big.clone()),
        fails(125, "a line longer than 64 KiB"),
    );
    add(
        "sign_hash stdin lines",
        "/dev/zero",
        ev,
        os(&[&"sign_hash", &"--key", &i.key]),
        Some(i.zero.clone()),
        fails(125, "a line longer than 64 KiB"),
    );
    add(
        "sign_hash stdin lines",
        "5,000 lines",
        ev,
        os(&[&"sign_hash", &"--key", &i.key]),
        Some(lines),
        done("/usr/bin/file 0302"),
    );
    v
}

#[test]
fn every_input_kind_stays_within_256_mib_and_20_s() {
    const NAME: &str = "every_input_kind_stays_within_256_mib_and_20_s";
    if !Path::new(TIME).exists() {
        skip(
            NAME,
            "/usr/bin/time is missing (apt-get install time; tests/setup.sh)",
        );
        return;
    }
    let d = scratch();
    let dir = d.path();
    let k = keys();
    let inputs = Inputs {
        big: sparse(&dir.join("big"), BIG),
        zero: PathBuf::from("/dev/zero"),
        key: k.join("rsa2048.pk8.pem"),
        cert: k.join("rsa2048.crt.pem"),
        small: dir.join("small"),
    };
    std::fs::write(&inputs.small, b"a small file\n").unwrap();
    // small.sig for the certificate cases.
    let o = run(
        &Case {
            kind: "setup",
            input: String::new(),
            tool: Tool::Evmctl,
            args: os(&[
                &"ima_sign",
                &"--sigfile",
                &"-n",
                &"--key",
                &inputs.key,
                &inputs.small,
            ]),
            stdin: None,
            expect: done(""),
        },
        dir,
    );
    assert_eq!(o.code, 0, "{}", o.output);
    let mut cases = key_cases(&inputs, dir);
    cases.extend(sig_cases(&inputs, dir));
    cases.extend(policy_cases(&inputs, dir));
    cases.extend(measurement_cases(&inputs, dir));
    cases.extend(file_cases(&inputs, dir));
    let started = Instant::now();
    let mut failures = Vec::new();
    eprintln!(
        "{:<42} {:<30} {:>9} {:>7} {:>4}",
        "kind", "input", "peak RSS", "time", "exit"
    );
    for c in &cases {
        let m = run(c, dir);
        eprintln!(
            "{:<42} {:<30} {:>5} MiB {:>6.2}s {:>4}",
            c.kind,
            c.input,
            m.kib / 1024,
            m.secs,
            m.code
        );
        let mut why = Vec::new();
        if m.kib > RSS_MAX_KIB {
            why.push(format!("peak RSS {} KiB over 256 MiB", m.kib));
        }
        if m.secs > SECS_MAX {
            why.push(format!("{:.2} s of CPU time over 20 s", m.secs));
        }
        if m.code != c.expect.code {
            why.push(format!("exit {} instead of {}", m.code, c.expect.code));
        }
        if !m.output.contains(&c.expect.text) {
            why.push(format!("no {:?} in the output", c.expect.text));
        }
        if !why.is_empty() {
            let shown: String = m.output.chars().take(400).collect();
            failures.push(format!(
                "{} / {}: {}\n  output: {shown}",
                c.kind,
                c.input,
                why.join("; ")
            ));
        }
        // The 1 GiB copies modsig makes are not kept.
        if c.kind == "modsig (imactl modsig remove)" {
            let _ = std::fs::remove_file(dir.join("big.signed"));
            let _ = std::fs::remove_file(dir.join("big.unsigned"));
        }
    }
    eprintln!(
        "{} cases in {:.1} s",
        cases.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
