//! `imactl status --kexec IMAGE --root DIR`: the preflight's prediction on fake roots
//! holding real PE-signed images (sbsign), real EFI signature lists (efitools'
//! cert-to-efi-sig-list) and real IMA signatures (our evmctl), for the cases the Secure
//! Boot lab has the kernel judge. The contract: stdout has exactly one line starting with
//! "prediction: " (load, refuse or unknown, then optionally " (reason)"); exit status 0 for
//! load, 1 for refuse or unknown, 2 for a file that cannot be read.

#[path = "common/skip.rs"]
mod skip;

use std::path::{Path, PathBuf};
use std::process::Command;

const IMACTL: &str = env!("CARGO_BIN_EXE_imactl");
const EVMCTL: &str = env!("CARGO_BIN_EXE_evmctl");
const GLOBAL: &str = "8be4df61-93ca-11d2-aa0d-00e098032b8c";

/// A minimal PE32+ image with one section holding `body` (what sbsign signs).
fn tiny_pe(body: &[u8]) -> Vec<u8> {
    let mut d = vec![0u8; 0x200];
    let put16 = |d: &mut Vec<u8>, o: usize, v: u16| d[o..o + 2].copy_from_slice(&v.to_le_bytes());
    let put32 = |d: &mut Vec<u8>, o: usize, v: u32| d[o..o + 4].copy_from_slice(&v.to_le_bytes());
    d[..2].copy_from_slice(b"MZ");
    put32(&mut d, 0x3c, 0x40);
    d[0x40..0x44].copy_from_slice(b"PE\0\0");
    let coff = 0x44;
    put16(&mut d, coff, 0x8664);
    put16(&mut d, coff + 2, 1);
    put16(&mut d, coff + 16, 240);
    put16(&mut d, coff + 18, 0x22);
    let opt = coff + 20;
    put16(&mut d, opt, 0x20b);
    put32(&mut d, opt + 32, 0x1000);
    put32(&mut d, opt + 36, 0x200);
    put32(&mut d, opt + 56, 0x2000);
    put32(&mut d, opt + 60, 0x200);
    put16(&mut d, opt + 68, 10);
    put32(&mut d, opt + 108, 16);
    let sec = opt + 240;
    d[sec..sec + 5].copy_from_slice(b".text");
    let padded = body.len().div_ceil(0x200) * 0x200;
    put32(&mut d, sec + 8, body.len() as u32);
    put32(&mut d, sec + 12, 0x1000);
    put32(&mut d, sec + 16, padded as u32);
    put32(&mut d, sec + 20, 0x200);
    put32(&mut d, sec + 36, 0x6000_0020);
    d.extend_from_slice(body);
    d.resize(0x200 + padded, 0);
    d
}

fn run(cmd: &mut Command) {
    let o = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        o.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Keys, certificates and images made once per test in `dir`.
struct Lab {
    dir: tempfile::TempDir,
}

impl Lab {
    fn new(test: &str) -> Option<Lab> {
        for t in ["sbsign", "cert-to-efi-sig-list", "openssl"] {
            if !have(t) {
                skip::skip(test, &format!("{t} is not installed (tests/setup.sh)"));
                return None;
            }
        }
        let lab = Lab {
            dir: tempfile::tempdir().unwrap(),
        };
        // db: a self-signed certificate, as a machine owner enrols.
        lab.self_signed("db", "");
        // The MOK CA (CA:TRUE, keyCertSign and no digitalSignature), a leaf it issues for PE
        // signing, and an IMA key it issues.
        lab.self_signed("mokca", "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign");
        lab.issued("peleaf", "mokca", "digitalSignature");
        lab.issued("ima", "mokca", "digitalSignature");
        // A key nobody enrolled.
        lab.self_signed("rogue", "");
        std::fs::write(
            lab.p("kernel.efi"),
            tiny_pe(b"a kernel image, for the preflight"),
        )
        .unwrap();
        Some(lab)
    }

    fn p(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn self_signed(&self, name: &str, ext: &str) {
        let cmd = format!(
            "openssl req -x509 -newkey rsa:2048 -nodes -keyout {name}.key -out {name}.pem \
             -subj /CN={name} -days 30 {ext}"
        );
        run(Command::new("sh")
            .args(["-c", &cmd])
            .current_dir(self.dir.path()));
    }

    fn issued(&self, name: &str, ca: &str, usage: &str) {
        self.issued_with(name, ca, usage, "")
    }

    /// `issued` with more extension lines (`extra`).
    fn issued_with(&self, name: &str, ca: &str, usage: &str, extra: &str) {
        let ext = format!("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,{usage}\nsubjectKeyIdentifier=hash\n{extra}");
        std::fs::write(self.p(&format!("{name}.ext")), ext).unwrap();
        let cmd = format!(
            "openssl req -new -newkey rsa:2048 -nodes -keyout {name}.key -out {name}.csr -subj /CN={name} && \
             openssl x509 -req -in {name}.csr -CA {ca}.pem -CAkey {ca}.key -CAcreateserial \
             -out {name}.pem -days 30 -extfile {name}.ext"
        );
        run(Command::new("sh")
            .args(["-c", &cmd])
            .current_dir(self.dir.path()));
    }

    /// `kernel.efi` PE-signed with `key` into `out`.
    fn pe_signed(&self, key: &str, out: &str) -> PathBuf {
        run(Command::new("sbsign")
            .args([
                "--key",
                &format!("{key}.key"),
                "--cert",
                &format!("{key}.pem"),
            ])
            .args(["--output", out, "kernel.efi"])
            .current_dir(self.dir.path()));
        self.p(out)
    }

    /// A copy of `from` named `to`.
    fn copy(&self, from: &Path, to: &str) -> PathBuf {
        std::fs::copy(from, self.p(to)).unwrap();
        self.p(to)
    }

    /// Signs `file` into its security.ima with `key`; false when xattrs are not supported.
    fn ima_sign(&self, file: &Path, key: &str) -> bool {
        let o = Command::new(EVMCTL)
            .args(["ima_sign", "--hashalgo", "sha256", "--key"])
            .arg(self.p(&format!("{key}.key")))
            .arg(file)
            .output()
            .unwrap();
        o.status.success()
    }

    /// The efivarfs value of a signature list holding `pem`.
    fn esl(&self, pem: &str) -> Vec<u8> {
        let out = self.p(&format!("{pem}.esl"));
        run(Command::new("cert-to-efi-sig-list")
            .arg(self.p(&format!("{pem}.pem")))
            .arg(&out));
        let mut v = vec![0x27, 0, 0, 0];
        v.extend(std::fs::read(out).unwrap());
        v
    }
}

/// A machine under a fake root.
#[derive(Default)]
struct Machine<'a> {
    config: &'a [&'a str],
    secure_boot: Option<bool>,
    lockdown: Option<&'a str>,
    policy: Option<&'a str>,
    db: Option<Vec<u8>>,
    mok: Option<Vec<u8>>,
    /// The firmware's dbx and shim's MokListXRT (efivarfs values).
    dbx: Option<Vec<u8>>,
    mokx: Option<Vec<u8>>,
    /// /proc/keys.
    proc_keys: Option<String>,
}

const DEBIAN_LIKE: [&str; 7] = [
    "CONFIG_IMA=y",
    "CONFIG_IMA_APPRAISE=y",
    "CONFIG_KEXEC_SIG=y",
    "CONFIG_KEXEC_BZIMAGE_VERIFY_SIG=y",
    "CONFIG_IMA_ARCH_POLICY=y",
    "CONFIG_INTEGRITY_TRUSTED_KEYRING=y",
    "CONFIG_IMA_READ_POLICY=y",
];

/// Like the lab's kernel without the arch policy (KEXEC_SIG, lockdown and IMA only).
const NO_ARCH: [&str; 6] = [
    "CONFIG_IMA=y",
    "CONFIG_IMA_APPRAISE=y",
    "CONFIG_KEXEC_SIG=y",
    "CONFIG_KEXEC_BZIMAGE_VERIFY_SIG=y",
    "CONFIG_INTEGRITY_TRUSTED_KEYRING=y",
    "CONFIG_IMA_READ_POLICY=y",
];

impl Machine<'_> {
    fn build(&self, dir: &Path) -> PathBuf {
        let root = dir.join(format!("root{}", rand_suffix()));
        let mk = |rel: &str, data: &[u8]| {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, data).unwrap();
        };
        mk("proc/sys/kernel/osrelease", b"6.12.0-lab\n");
        mk("proc/cmdline", b"console=ttyS0\n");
        mk("boot/config-6.12.0-lab", self.config.join("\n").as_bytes());
        std::fs::create_dir_all(root.join("sys/kernel/security/ima")).unwrap();
        if let Some(l) = self.lockdown {
            mk("sys/kernel/security/lockdown", l.as_bytes());
        }
        mk(
            "sys/kernel/security/ima/policy",
            self.policy.unwrap_or("").as_bytes(),
        );
        if let Some(sb) = self.secure_boot {
            let vars = "sys/firmware/efi/efivars";
            mk(
                &format!("{vars}/SecureBoot-{GLOBAL}"),
                &[6, 0, 0, 0, u8::from(sb)],
            );
            mk(&format!("{vars}/SetupMode-{GLOBAL}"), &[6, 0, 0, 0, 0]);
            if let Some(db) = &self.db {
                mk(
                    &format!("{vars}/db-d719b2cb-3d3a-4596-a3bc-dad00e67656f"),
                    db,
                );
            }
            if let Some(m) = &self.mok {
                mk(
                    &format!("{vars}/MokListRT-605dab50-e046-4300-abb6-3dd810dd8b23"),
                    m,
                );
            }
            if let Some(x) = &self.dbx {
                mk(
                    &format!("{vars}/dbx-d719b2cb-3d3a-4596-a3bc-dad00e67656f"),
                    x,
                );
            }
            if let Some(x) = &self.mokx {
                mk(
                    &format!("{vars}/MokListXRT-605dab50-e046-4300-abb6-3dd810dd8b23"),
                    x,
                );
            }
        }
        if let Some(k) = &self.proc_keys {
            mk("proc/keys", k.as_bytes());
        }
        root
    }
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// Runs the preflight; (exit status, prediction word, stdout). Checks the contract.
fn preflight(root: &Path, image: &Path, certs: &[PathBuf]) -> (i32, String, String) {
    let mut c = Command::new(IMACTL);
    c.arg("status")
        .arg("--root")
        .arg(root)
        .arg("--kexec")
        .arg(image);
    for cert in certs {
        c.arg("--cert").arg(cert);
    }
    let o = c.output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let lines: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("prediction: "))
        .collect();
    assert_eq!(lines.len(), 1, "not exactly one prediction line:\n{out}");
    let word = lines[0]["prediction: ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    assert!(
        ["load", "refuse", "unknown"].contains(&word.as_str()),
        "{out}"
    );
    let code = o.status.code().unwrap();
    assert_eq!(code, i32::from(word != "load"), "{out}");
    (code, word, out)
}

fn sb_machine(lab: &Lab) -> Machine<'static> {
    Machine {
        config: &DEBIAN_LIKE,
        secure_boot: Some(true),
        lockdown: Some("none [integrity] confidentiality\n"),
        policy: Some("measure func=KEXEC_KERNEL_CHECK\n"),
        db: Some(lab.esl("db")),
        mok: Some(lab.esl("mokca")),
        ..Machine::default()
    }
}

#[test]
fn under_secure_boot_a_pe_signature_from_db_or_mok_is_needed() {
    let Some(lab) = Lab::new("under_secure_boot_a_pe_signature_from_db_or_mok_is_needed") else {
        return;
    };
    let root = sb_machine(&lab).build(lab.dir.path());
    let by_db = lab.pe_signed("db", "by-db.efi");
    let (_, w, out) = preflight(&root, &by_db, &[]);
    assert_eq!(w, "load", "{out}");
    assert!(out.contains("db[0] 'CN=db'"), "{out}");
    let by_mok_leaf = lab.pe_signed("peleaf", "by-mok.efi");
    let (_, w, out) = preflight(&root, &by_mok_leaf, &[]);
    assert_eq!(w, "load", "{out}");
    assert!(out.contains("MokListRT[0] 'CN=mokca'"), "{out}");
    let by_rogue = lab.pe_signed("rogue", "by-rogue.efi");
    let (_, w, out) = preflight(&root, &by_rogue, &[]);
    assert_eq!(w, "refuse", "{out}");
    assert!(
        out.contains(
            "no certificate in db or MokListRT (or key in the kernel's PE keyrings) vouches"
        ),
        "{out}"
    );
    let (_, w, out) = preflight(&root, &lab.p("kernel.efi"), &[]);
    assert_eq!(w, "refuse", "{out}");
    assert!(out.contains("pe-signature:   absent"), "{out}");
    // Changed after signing: the Authenticode digest no longer matches.
    let tampered = lab.copy(&by_db, "tampered.efi");
    let mut bytes = std::fs::read(&tampered).unwrap();
    bytes[0x200] ^= 1;
    std::fs::write(&tampered, bytes).unwrap();
    let (_, w, out) = preflight(&root, &tampered, &[]);
    assert_eq!(w, "refuse", "{out}");
    assert!(out.contains("MISMATCH"), "{out}");
}

#[test]
fn mok_counts_only_under_secure_boot() {
    let Some(lab) = Lab::new("mok_counts_only_under_secure_boot") else {
        return;
    };
    // Secure Boot off, but KEXEC_SIG_FORCE: MOK is not loaded, so the MOK leaf is unknown.
    let mut m = sb_machine(&lab);
    m.secure_boot = Some(false);
    let force = [
        "CONFIG_KEXEC_SIG=y",
        "CONFIG_KEXEC_SIG_FORCE=y",
        "CONFIG_KEXEC_BZIMAGE_VERIFY_SIG=y",
    ];
    m.config = &force;
    let root = m.build(lab.dir.path());
    let by_mok_leaf = lab.pe_signed("peleaf", "by-mok.efi");
    let (_, w, out) = preflight(&root, &by_mok_leaf, &[]);
    assert_eq!(w, "refuse", "{out}");
    assert!(out.contains("KEXEC_SIG_FORCE"), "{out}");
    let by_db = lab.pe_signed("db", "by-db.efi");
    assert_eq!(preflight(&root, &by_db, &[]).1, "load");
}

#[test]
fn an_ima_signature_alone_is_refused_when_pe_is_enforced() {
    let t = "an_ima_signature_alone_is_refused_when_pe_is_enforced";
    let Some(lab) = Lab::new(t) else {
        return;
    };
    let image = lab.copy(&lab.p("kernel.efi"), "ima-only.efi");
    if !lab.ima_sign(&image, "ima") {
        skip::skip(t, "security.ima cannot be set here");
        return;
    }
    let mut m = sb_machine(&lab);
    m.policy = Some("appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig\n");
    let root = m.build(lab.dir.path());
    let certs = [lab.p("ima.pem")];
    let (_, w, out) = preflight(&root, &image, &certs);
    assert_eq!(w, "refuse", "{out}");
    assert!(out.contains("a signature that verifies"), "{out}");
    assert!(out.contains("PE signatures are enforced"), "{out}");
    // PE and IMA signed: loads; PE only under the imasig rule: refused by IMA.
    let both = lab.pe_signed("db", "both.efi");
    assert!(lab.ima_sign(&both, "ima"));
    assert_eq!(preflight(&root, &both, &certs).1, "load");
    let pe_only = lab.pe_signed("db", "pe-only.efi");
    let (_, w, out) = preflight(&root, &pe_only, &certs);
    assert_eq!(w, "refuse", "{out}");
    assert!(out.contains("no security.ima"), "{out}");
    // IMA-signed by a key that is not the one given (root's own key): refused.
    let own = lab.pe_signed("db", "own.efi");
    assert!(lab.ima_sign(&own, "rogue"));
    assert_eq!(preflight(&root, &own, &certs).1, "refuse");
}

/// For a kexec image (KEXEC_KERNEL_CHECK, not the initramfs) IMA also looks for the
/// signature's key in .platform, the firmware's db: an IMA signature by the db key loads
/// (the lab's sb-l-ima-by-db-key), but only with CONFIG_INTEGRITY_PLATFORM_KEYRING.
#[test]
fn an_ima_signature_by_the_db_key_counts_through_platform() {
    let t = "an_ima_signature_by_the_db_key_counts_through_platform";
    let Some(lab) = Lab::new(t) else {
        return;
    };
    let image = lab.pe_signed("db", "db-ima.efi");
    if !lab.ima_sign(&image, "db") {
        skip::skip(t, "security.ima cannot be set here");
        return;
    }
    let certs = [lab.p("ima.pem")];
    let mut config: Vec<&str> = DEBIAN_LIKE.to_vec();
    config.push("CONFIG_INTEGRITY_PLATFORM_KEYRING=y");
    let mut m = sb_machine(&lab);
    m.config = &config;
    m.policy = Some("appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig\n");
    let root = m.build(lab.dir.path());
    let (_, w, out) = preflight(&root, &image, &certs);
    assert_eq!(w, "load", "{out}");
    assert!(out.contains(".platform"), "{out}");
    // without the platform keyring the kernel has nowhere else to look
    let mut m = sb_machine(&lab);
    m.policy = Some("appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig\n");
    let root = m.build(lab.dir.path());
    assert_eq!(preflight(&root, &image, &certs).1, "refuse");
}

#[test]
fn under_lockdown_without_secure_boot_ima_can_stand_in_for_pe() {
    let t = "under_lockdown_without_secure_boot_ima_can_stand_in_for_pe";
    let Some(lab) = Lab::new(t) else {
        return;
    };
    let image = lab.copy(&lab.p("kernel.efi"), "ima-only.efi");
    if !lab.ima_sign(&image, "ima") {
        skip::skip(t, "security.ima cannot be set here");
        return;
    }
    let certs = [lab.p("ima.pem")];
    let locked = |policy: &'static str| Machine {
        config: &NO_ARCH,
        lockdown: Some("none [integrity] confidentiality\n"),
        policy: Some(policy),
        ..Machine::default()
    };
    let root =
        locked("appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig\n").build(lab.dir.path());
    let (_, w, out) = preflight(&root, &image, &certs);
    assert_eq!(w, "load", "{out}");
    assert!(out.contains("satisfied by IMA"), "{out}");
    // The first matching appraise rule does not demand a signature: lockdown's EPERM.
    let root = locked(
        "appraise func=KEXEC_KERNEL_CHECK\nappraise func=KEXEC_KERNEL_CHECK appraise_type=imasig\n",
    )
    .build(lab.dir.path());
    let (_, w, out) = preflight(&root, &image, &certs);
    assert_eq!(w, "refuse", "{out}");
    assert!(out.contains("EPERM"), "{out}");
    // No rule at all: lockdown refuses the unsigned image.
    let root = locked("").build(lab.dir.path());
    assert_eq!(preflight(&root, &image, &certs).1, "refuse");
}

#[test]
fn without_lockdown_or_policy_everything_loads() {
    let Some(lab) = Lab::new("without_lockdown_or_policy_everything_loads") else {
        return;
    };
    let root = Machine {
        config: &NO_ARCH,
        lockdown: Some("[none] integrity confidentiality\n"),
        ..Machine::default()
    }
    .build(lab.dir.path());
    let (code, w, out) = preflight(&root, &lab.p("kernel.efi"), &[]);
    assert_eq!((code, w.as_str()), (0, "load"), "{out}");
    let by_rogue = lab.pe_signed("rogue", "by-rogue.efi");
    assert_eq!(preflight(&root, &by_rogue, &[]).1, "load");
}

#[test]
fn an_unreadable_image_or_certificate_is_exit_status_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("image-fifo");
    run(Command::new("mkfifo").arg(&fifo));
    let cert = dir.path().join("cert-dir");
    std::fs::create_dir(&cert).unwrap();
    for (image, certs) in [
        (fifo.clone(), vec![]),
        (dir.path().join("missing.efi"), vec![]),
        (PathBuf::from("/dev/zero"), vec![]),
        (fifo.clone(), vec![cert.clone()]),
    ] {
        let mut c = Command::new("timeout");
        c.args(["20", IMACTL, "status", "--root"])
            .arg(dir.path())
            .arg("--kexec")
            .arg(&image);
        for x in &certs {
            c.arg("--cert").arg(x);
        }
        let o = c.output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{image:?}: {err}");
        let named = certs.first().unwrap_or(&image);
        assert!(err.contains(&*named.to_string_lossy()), "{err}");
        assert!(!String::from_utf8_lossy(&o.stdout).contains("prediction: "));
    }
}

/// `imactl status --kernels` (issue 20 item 4): every installed kernel and whether kexec
/// and kdump could load it today, with the same gates as the preflight.
#[test]
fn every_installed_kernel_and_whether_it_loads() {
    let t = "every_installed_kernel_and_whether_it_loads";
    let Some(lab) = Lab::new(t) else {
        return;
    };
    let good = lab.pe_signed("db", "good.efi");
    if !lab.ima_sign(&good, "ima") {
        skip::skip(t, "security.ima cannot be set here");
        return;
    }
    let unsigned = lab.copy(&lab.p("kernel.efi"), "unsigned.efi");
    let mut m = sb_machine(&lab);
    m.policy = Some("appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig\n");
    let root = m.build(lab.dir.path());
    let boot = root.join("boot");
    std::fs::create_dir_all(&boot).unwrap();
    // copies keep security.ima (cp -a)
    let cp = |from: &Path, to: &Path| {
        assert!(Command::new("cp")
            .arg("-a")
            .arg(from)
            .arg(to)
            .status()
            .unwrap()
            .success());
    };
    cp(&good, &boot.join("vmlinuz-6.12.1-good"));
    cp(&unsigned, &boot.join("vmlinuz-6.12.2-unsigned"));
    std::fs::create_dir_all(root.join("lib/modules/6.12.3-noimage")).unwrap();
    let run = |root: &Path| {
        let o = Command::new(IMACTL)
            .args(["status", "--kernels", "--root"])
            .arg(root)
            .arg("--cert")
            .arg(lab.p("ima.pem"))
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    let (code, out) = run(&root);
    let line = |v: &str| {
        out.lines()
            .find(|l| l.starts_with(&format!("kernel {v} ")))
            .unwrap_or_else(|| panic!("no line for {v}:\n{out}"))
            .to_string()
    };
    assert!(line("6.12.1-good").contains(": load ("), "{out}");
    assert!(line("6.12.2-unsigned").contains(": refuse ("), "{out}");
    assert!(line("6.12.3-noimage").contains("no image found"), "{out}");
    assert_eq!(code, Some(1), "{out}");
    // only the good kernel left: exit 0
    std::fs::remove_file(boot.join("vmlinuz-6.12.2-unsigned")).unwrap();
    std::fs::remove_dir(root.join("lib/modules/6.12.3-noimage")).unwrap();
    let (code, out) = run(&root);
    assert_eq!(code, Some(0), "{out}");
}

/// A gzip-compressed image (an arm64 Image.gz) with a valid signature of its own: the
/// kernel never appraises it, since kexec-tools hands kexec_file_load a decompressed copy
/// without security.ima (the arm64 lab's arm64-image-gz-signed: EACCES), or, on x86_64,
/// cannot load it at all. The preflight refuses it (exit 1) and says why; the same file
/// uncompressed, with the same signature setup, still loads. --kernels and --json agree.
#[test]
fn a_signed_gzip_image_is_refused_and_the_uncompressed_one_loads() {
    let t = "a_signed_gzip_image_is_refused_and_the_uncompressed_one_loads";
    let Some(lab) = Lab::new(t) else {
        return;
    };
    let plain = lab.copy(&lab.p("kernel.efi"), "Image");
    let gz = Command::new("gzip")
        .args(["-n", "-9", "-c"])
        .arg(&plain)
        .output()
        .unwrap();
    assert!(gz.status.success());
    std::fs::write(lab.p("Image.gz"), &gz.stdout).unwrap();
    let compressed = lab.p("Image.gz");
    if !lab.ima_sign(&plain, "ima") || !lab.ima_sign(&compressed, "ima") {
        skip::skip(t, "security.ima cannot be set here");
        return;
    }
    let root = Machine {
        config: &NO_ARCH,
        lockdown: Some("[none] integrity confidentiality\n"),
        policy: Some("appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig\n"),
        ..Machine::default()
    }
    .build(lab.dir.path());
    let certs = [lab.p("ima.pem")];
    // The uncompressed Image: its own signature is what the kernel appraises.
    let (code, w, out) = preflight(&root, &plain, &certs);
    assert_eq!((code, w.as_str()), (0, "load"), "{out}");
    assert!(!out.contains("compression:"), "{out}");
    // Image.gz: its own signature verifies, and yet it is refused.
    let (code, w, out) = preflight(&root, &compressed, &certs);
    assert!(out.contains("a signature that verifies"), "{out}");
    assert_eq!((code, w.as_str()), (1, "refuse"), "{out}");
    let line = out.lines().find(|l| l.starts_with("prediction: ")).unwrap();
    let name = compressed.display().to_string();
    assert!(
        line.contains(&format!("{name} is gzip-compressed")),
        "{line}"
    );
    if cfg!(target_arch = "aarch64") {
        assert!(
            line.contains("decompresses it into a temporary file")
                && line.contains("IMA appraises the temporary file, which has no security.ima")
                && line.contains("Sign the uncompressed Image and load that"),
            "{line}"
        );
    } else {
        assert!(line.contains("no signature on it counts"), "{line}");
        assert!(line.contains("Sign the uncompressed image"), "{line}");
    }
    if cfg!(target_arch = "x86_64") {
        assert!(line.contains("takes only a bzImage"), "{line}");
    }
    // --json: the same answer, and the compression in the evidence.
    let o = Command::new(IMACTL)
        .args(["status", "--json", "--root"])
        .arg(&root)
        .arg("--kexec")
        .arg(&compressed)
        .arg("--cert")
        .arg(&certs[0])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
    assert_eq!(v["prediction"], "refuse", "{v}");
    assert_eq!(v["evidence"]["compression"]["format"], "gzip", "{v}");
    assert!(
        v["reason"].as_str().unwrap().contains("gzip-compressed"),
        "{v}"
    );
    // --kernels: an installed kernel whose vmlinuz is the signed Image.gz is refused too.
    let boot = root.join("boot");
    std::fs::create_dir_all(&boot).unwrap();
    for (from, ver) in [(&compressed, "6.12.5-gz"), (&plain, "6.12.6-image")] {
        assert!(Command::new("cp")
            .arg("-a")
            .arg(from)
            .arg(boot.join(format!("vmlinuz-{ver}")))
            .status()
            .unwrap()
            .success());
    }
    let o = Command::new(IMACTL)
        .args(["status", "--kernels", "--root"])
        .arg(&root)
        .arg("--cert")
        .arg(&certs[0])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let line = |v: &str| {
        out.lines()
            .find(|l| l.starts_with(&format!("kernel {v} ")))
            .unwrap_or_else(|| panic!("no line for {v}:\n{out}"))
            .to_string()
    };
    assert!(line("6.12.5-gz").contains(": refuse ("), "{out}");
    assert!(line("6.12.5-gz").contains("gzip-compressed"), "{out}");
    assert!(line("6.12.6-image").contains(": load ("), "{out}");
    assert_eq!(o.status.code(), Some(1), "{out}");
}

/// A --cert that is read and is not a certificate is the documented 1 ("a file that is not
/// a certificate"), named, with no prediction; one that cannot be read stays 2. The same
/// for --kernels.
#[test]
fn a_cert_that_is_not_a_certificate_is_exit_status_1_an_unreadable_one_2() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("image.efi");
    std::fs::write(&image, b"MZ not much of an image").unwrap();
    let keys = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/keys");
    let not_cert = keys.join("rsa2048.pk8.pem");
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, b"not a certificate\n").unwrap();
    let a_dir = dir.path().join("cert-dir");
    std::fs::create_dir(&a_dir).unwrap();
    let missing = dir.path().join("missing.pem");
    for (cert, want) in [(&not_cert, 1), (&garbage, 1), (&a_dir, 2), (&missing, 2)] {
        for mode in [
            vec!["--kexec".into(), image.clone().into_os_string()],
            vec!["--kernels".into()],
        ] {
            let o = Command::new(IMACTL)
                .args(["status", "--root"])
                .arg(dir.path())
                .args(&mode)
                .arg("--cert")
                .arg(cert)
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(
                o.status.code(),
                Some(want),
                "{mode:?} --cert {cert:?}: {err}"
            );
            assert_eq!(
                err.matches(&*cert.to_string_lossy()).count(),
                1,
                "named once: {err}"
            );
            assert!(
                o.stdout.is_empty(),
                "{}",
                String::from_utf8_lossy(&o.stdout)
            );
        }
    }
}

// Revocation: dbx, MokListXRT and the kernel's .blacklist keyring (docs/secure-boot.md,
// "Revocation: dbx, MokListXRT and the .blacklist keyring").

const CERT_SHA256: &str = "c1c41626-504c-4092-aca9-41f936934328";
const CERT_X509_SHA256: &str = "3bd2a492-96c0-4079-b420-fcf98ef103ed";
const CERT_X509: &str = "a5c059a1-94e4-4aa7-87b5-ab155c2bf072";

/// A GUID as EFI stores it (the first three fields little-endian).
fn guid_bytes(text: &str) -> Vec<u8> {
    let hex: Vec<u8> = text
        .replace('-', "")
        .as_bytes()
        .chunks(2)
        .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap())
        .collect();
    let mut out = Vec::new();
    for (from, to) in [(0, 4), (4, 6), (6, 8)] {
        out.extend(hex[from..to].iter().rev());
    }
    out.extend(&hex[8..]);
    out
}

/// An efivarfs value (attributes, then one EFI_SIGNATURE_LIST per (type, entries)); each
/// list's entry size is that of its first entry.
fn sig_lists(lists: &[(&str, Vec<Vec<u8>>)]) -> Vec<u8> {
    let mut v = vec![0x27, 0, 0, 0];
    for (guid, entries) in lists {
        let size = 16 + entries[0].len();
        v.extend(guid_bytes(guid));
        v.extend(((28 + size * entries.len()) as u32).to_le_bytes());
        v.extend(0u32.to_le_bytes());
        v.extend((size as u32).to_le_bytes());
        for e in entries {
            v.extend([0x5a; 16]);
            v.extend(e);
        }
    }
    v
}

/// The DER of a DER element's header and length: (header length, content length).
fn der_len(d: &[u8]) -> (usize, usize) {
    match d[1] {
        n if n < 0x80 => (2, n as usize),
        0x81 => (3, d[2] as usize),
        0x82 => (4, u16::from_be_bytes([d[2], d[3]]) as usize),
        n => panic!("length form {n:#x}"),
    }
}

impl Lab {
    /// The DER of `name.pem`.
    fn der(&self, name: &str) -> Vec<u8> {
        let o = Command::new("openssl")
            .args(["x509", "-outform", "DER", "-in"])
            .arg(self.p(&format!("{name}.pem")))
            .output()
            .unwrap();
        assert!(o.status.success());
        o.stdout
    }

    /// The SHA-256 of `name.pem`'s TBSCertificate (its signature hash is SHA-256).
    fn tbs_sha256(&self, name: &str) -> Vec<u8> {
        let der = self.der(name);
        let (outer, _) = der_len(&der);
        let (h, n) = der_len(&der[outer..]);
        imaevm::hash::HashAlgo::Sha256.digest(&der[outer..outer + h + n])
    }
}

/// The Debian-like configuration with the options that load dbx and MokListXRT.
fn with_uefi_keys(extra: &[&'static str]) -> &'static [&'static str] {
    let mut c: Vec<&str> = DEBIAN_LIKE.to_vec();
    c.extend([
        "CONFIG_SYSTEM_BLACKLIST_KEYRING=y",
        "CONFIG_INTEGRITY_PLATFORM_KEYRING=y",
        "CONFIG_LOAD_UEFI_KEYS=y",
    ]);
    c.extend(extra);
    c.leak()
}

#[test]
fn dbx_revokes_the_signer_by_the_hash_of_its_tbs_certificate() {
    let t = "dbx_revokes_the_signer_by_the_hash_of_its_tbs_certificate";
    let Some(lab) = Lab::new(t) else {
        return;
    };
    let by_db = lab.pe_signed("db", "by-db.efi");
    let tbs = lab.tbs_sha256("db");
    let hex = imaevm::hash::to_hex(&tbs);
    let mut m = sb_machine(&lab);
    m.config = with_uefi_keys(&[]);
    // An entry of exactly the digest: the kernel blacklists "tbs:HEX" and refuses.
    m.dbx = Some(sig_lists(&[(CERT_X509_SHA256, vec![tbs.clone()])]));
    let root = m.build(lab.dir.path());
    let (_, w, out) = preflight(&root, &by_db, &[]);
    assert_eq!(w, "refuse", "{out}");
    assert!(
        out.contains(&format!(
            "dbx revokes the signer certificate CN=db (tbs sha256:{hex})"
        )),
        "{out}"
    );
    assert!(out.contains("revocation:     dbx: 1 entry"), "{out}");
    assert!(out.contains("MokListXRT: absent"), "{out}");
    // The UEFI specification's entry (hash, then a 16-byte time of revocation): the kernel
    // blacklists all 48 bytes, which never equal a 32-byte digest. It loads.
    let mut spec = tbs.clone();
    spec.extend([0u8; 16]);
    m.dbx = Some(sig_lists(&[(CERT_X509_SHA256, vec![spec])]));
    let root = m.build(lab.dir.path());
    let (_, w, out) = preflight(&root, &by_db, &[]);
    assert_eq!(w, "load", "{out}");
    assert!(out.contains("this kernel does not revoke it"), "{out}");
    // The image's own SHA-256 in dbx ("bin:"): not looked at by the kexec PE check.
    let image_hash = imaevm::hash::HashAlgo::Sha256.digest(&std::fs::read(&by_db).unwrap());
    m.dbx = Some(sig_lists(&[(CERT_SHA256, vec![image_hash])]));
    let root = m.build(lab.dir.path());
    let (_, w, out) = preflight(&root, &by_db, &[]);
    assert_eq!(w, "load", "{out}");
    assert!(
        out.contains("1 image hash not checked on the kexec PE path"),
        "{out}"
    );
    // Without CONFIG_LOAD_UEFI_KEYS the kernel never reads dbx.
    m.config = &DEBIAN_LIKE;
    m.dbx = Some(sig_lists(&[(CERT_X509_SHA256, vec![tbs])]));
    let root = m.build(lab.dir.path());
    let (_, w, out) = preflight(&root, &by_db, &[]);
    assert_eq!(w, "load", "{out}");
    assert!(
        out.contains("dbx: not used (CONFIG_LOAD_UEFI_KEYS"),
        "{out}"
    );
}

#[test]
fn mok_list_x_revokes_only_under_secure_boot() {
    let t = "mok_list_x_revokes_only_under_secure_boot";
    let Some(lab) = Lab::new(t) else {
        return;
    };
    let by_db = lab.pe_signed("db", "by-db.efi");
    let mut m = sb_machine(&lab);
    m.config = with_uefi_keys(&[]);
    m.mokx = Some(sig_lists(&[(CERT_X509_SHA256, vec![lab.tbs_sha256("db")])]));
    let root = m.build(lab.dir.path());
    let (_, w, out) = preflight(&root, &by_db, &[]);
    assert_eq!(w, "refuse", "{out}");
    assert!(
        out.contains("MokListXRT revokes the signer certificate CN=db"),
        "{out}"
    );
    // Secure Boot off, PE signatures forced: the kernel does not read MokListXRT.
    m.secure_boot = Some(false);
    m.config = with_uefi_keys(&["CONFIG_KEXEC_SIG_FORCE=y"]);
    let root = m.build(lab.dir.path());
    let (_, w, out) = preflight(&root, &by_db, &[]);
    assert_eq!(w, "load", "{out}");
    assert!(
        out.contains("MokListXRT: not used (the kernel loads it only under Secure Boot)"),
        "{out}"
    );
}

#[test]
fn a_revoked_certificate_counts_only_with_system_revocation_list() {
    let t = "a_revoked_certificate_counts_only_with_system_revocation_list";
    let Some(lab) = Lab::new(t) else {
        return;
    };
    // The MOK CA revoked as a certificate: it issued the leaf that signed the image.
    let by_leaf = lab.pe_signed("peleaf", "by-leaf.efi");
    let mut m = sb_machine(&lab);
    m.config = with_uefi_keys(&["CONFIG_SYSTEM_REVOCATION_LIST=y"]);
    m.dbx = Some(sig_lists(&[(CERT_X509, vec![lab.der("mokca")])]));
    let root = m.build(lab.dir.path());
    let (_, w, out) = preflight(&root, &by_leaf, &[]);
    assert_eq!(w, "refuse", "{out}");
    assert!(
        out.contains("dbx revokes the certificate CN=mokca (dbx[0], EFI_CERT_X509)"),
        "{out}"
    );
    // Debian's configuration: add_key_to_revocation_list() is a stub, the entry is ignored.
    m.config = with_uefi_keys(&[]);
    let root = m.build(lab.dir.path());
    let (_, w, out) = preflight(&root, &by_leaf, &[]);
    assert_eq!(w, "load", "{out}");
    assert!(
        out.contains("1 certificate the kernel ignores (CONFIG_SYSTEM_REVOCATION_LIST is not set)"),
        "{out}"
    );
}

#[test]
fn an_unreadable_dbx_is_never_a_silent_load() {
    let t = "an_unreadable_dbx_is_never_a_silent_load";
    let Some(lab) = Lab::new(t) else {
        return;
    };
    let by_db = lab.pe_signed("db", "by-db.efi");
    let mut m = sb_machine(&lab);
    m.config = with_uefi_keys(&[]);
    let root = m.build(lab.dir.path());
    // dbx is there but not a regular file: what it holds is not known.
    std::fs::create_dir_all(
        root.join("sys/firmware/efi/efivars/dbx-d719b2cb-3d3a-4596-a3bc-dad00e67656f"),
    )
    .unwrap();
    let (_, w, out) = preflight(&root, &by_db, &[]);
    assert_eq!(w, "unknown", "{out}");
    assert!(out.contains("dbx: not readable"), "{out}");
    assert!(
        out.contains("whether the kernel's revocation lists revoke it is not known"),
        "{out}"
    );
    // The keyring the kernel filled from it is readable: that is what counts.
    let ring = "0d33d3bf I------     1 perm 0f0b0000     0     0 keyring   .blacklist: 0\n";
    std::fs::write(root.join("proc/keys"), ring).unwrap();
    let (_, w, out) = preflight(&root, &by_db, &[]);
    assert_eq!(w, "load", "{out}");
    assert!(out.contains(".blacklist keyring: 0 TBS hashes"), "{out}");
}

#[test]
fn the_blacklist_keyring_is_what_the_kernel_holds() {
    let t = "the_blacklist_keyring_is_what_the_kernel_holds";
    let Some(lab) = Lab::new(t) else {
        return;
    };
    let by_db = lab.pe_signed("db", "by-db.efi");
    let tbs = lab.tbs_sha256("db");
    let hex = imaevm::hash::to_hex(&tbs);
    let ring = "0d33d3bf I------     1 perm 0f0b0000     0     0 keyring   .blacklist: 1\n";
    // A hash built into the kernel (CONFIG_SYSTEM_BLACKLIST_HASH_LIST): in no list.
    let mut m = sb_machine(&lab);
    m.config = with_uefi_keys(&[]);
    m.proc_keys = Some(format!(
        "{ring}1a2b3c4d I------     1 perm 1f030000     0     0 blacklist tbs:{hex}\n"
    ));
    let root = m.build(lab.dir.path());
    let (_, w, out) = preflight(&root, &by_db, &[]);
    assert_eq!(w, "refuse", "{out}");
    assert!(
        out.contains(&format!(
            "the kernel's .blacklist keyring revokes the signer certificate CN=db (tbs sha256:{hex})"
        )),
        "{out}"
    );
    // dbx names it but the kernel does not hold it (dbx changed after boot): it loads.
    m.proc_keys = Some(ring.to_string());
    m.dbx = Some(sig_lists(&[(CERT_X509_SHA256, vec![tbs])]));
    let root = m.build(lab.dir.path());
    let (_, w, out) = preflight(&root, &by_db, &[]);
    assert_eq!(w, "load", "{out}");
}
