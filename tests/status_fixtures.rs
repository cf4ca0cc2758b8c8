//! `imactl status --root DIR` on fixture trees standing in for /proc, /sys, /boot and /etc
//! of the machines that matter: Debian's 6.1 and 6.12 kernels (with `_ima`), a kernel with
//! a restricted `.ima` holding a CA-signed key, secure boot with lockdown, kernels without
//! IMA or with appraisal only logging, unreadable or missing facts.
//! The exit status is the verdict: 0 protected, 3 accidents only, 4 not protected, 5
//! unknown.

#[path = "common/skip.rs"]
mod skip;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

const KEXEC_RULE: &str = "appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig|modsig";

/// A machine, as its files show it.
#[derive(Clone)]
struct Machine {
    release: &'static str,
    lsm: Option<&'static str>,
    ima_dir: bool,
    cmdline: &'static str,
    lockdown: Option<&'static str>,
    /// None: not EFI; Some(v): the SecureBoot variable's value byte.
    secure_boot: Option<u8>,
    /// None: policy file removed; Some((mode, text)).
    policy: Option<(u32, &'static str)>,
    boot_policy: Option<&'static str>,
    /// Plain /boot/config-RELEASE lines; None: no config.
    config: Option<Vec<&'static str>>,
    /// /proc/config.gz instead of /boot.
    config_gz: bool,
    /// (name, keys) keyrings in /proc/keys.
    keyrings: Vec<(&'static str, u32)>,
    proc_keys: bool,
}

const DEBIAN_CONFIG: [&str; 6] = [
    "CONFIG_IMA=y",
    "CONFIG_IMA_APPRAISE=y",
    "CONFIG_KEXEC_FILE=y",
    "CONFIG_KEXEC_SIG=y",
    "# CONFIG_IMA_WRITE_POLICY is not set",
    "# CONFIG_INTEGRITY_TRUSTED_KEYRING is not set",
];

const LAB_CONFIG: [&str; 8] = [
    "CONFIG_IMA=y",
    "CONFIG_IMA_APPRAISE=y",
    "CONFIG_KEXEC_FILE=y",
    "CONFIG_IMA_WRITE_POLICY=y",
    "CONFIG_IMA_READ_POLICY=y",
    "CONFIG_INTEGRITY_TRUSTED_KEYRING=y",
    "CONFIG_IMA_KEYRINGS_PERMIT_SIGNED_BY_BUILTIN_OR_SECONDARY=y",
    "CONFIG_SYSTEM_TRUSTED_KEYS=\"ca.pem\"",
];

/// Debian 6.1 cloud kernel after boot with /etc/ima/ima-policy loaded by systemd (file
/// removed), _ima holding one key.
fn debian_61_loaded() -> Machine {
    Machine {
        release: "6.1.0-13-cloud-amd64",
        lsm: Some("lockdown,capability,landlock,yama,apparmor,tomoyo"),
        ima_dir: true,
        cmdline: "BOOT_IMAGE=/vmlinuz-6.1.0-13-cloud-amd64 root=/dev/vda1 ro console=ttyS0",
        lockdown: Some("[none] integrity confidentiality"),
        secure_boot: None,
        policy: None,
        boot_policy: Some(
            "# imaevm kexec policy\nappraise func=KEXEC_KERNEL_CHECK appraise_type=imasig\n",
        ),
        config: Some(DEBIAN_CONFIG.to_vec()),
        config_gz: false,
        keyrings: vec![
            (".builtin_trusted_keys", 1),
            (".secondary_trusted_keys", 1),
            (".platform", 0),
            ("_ima", 1),
        ],
        proc_keys: true,
    }
}

/// The lab kernel: .ima made and restricted by the kernel, one CA-signed key in it, the
/// CA built in, the kexec rule readable.
fn lab_protected() -> Machine {
    Machine {
        release: "6.12.117-lab",
        lsm: Some("capability,integrity,ima,evm"),
        ima_dir: true,
        cmdline: "console=ttyS0 panic=-1",
        lockdown: None,
        secure_boot: None,
        policy: Some((0o600, "measure func=KEXEC_KERNEL_CHECK\nappraise func=KEXEC_KERNEL_CHECK appraise_type=imasig|modsig\n")),
        boot_policy: None,
        config: Some(LAB_CONFIG.to_vec()),
        config_gz: false,
        keyrings: vec![
            (".builtin_trusted_keys", 1),
            (".secondary_trusted_keys", 1),
            (".ima", 1),
            (".evm", 0),
        ],
        proc_keys: true,
    }
}

fn build(m: &Machine, root: &Path) {
    let w = |rel: &str, data: &[u8]| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, data).unwrap();
        p
    };
    w(
        "proc/sys/kernel/osrelease",
        format!("{}\n", m.release).as_bytes(),
    );
    w("proc/cmdline", format!("{}\n", m.cmdline).as_bytes());
    std::fs::create_dir_all(root.join("sys/kernel/security")).unwrap();
    if let Some(l) = m.lsm {
        w("sys/kernel/security/lsm", l.as_bytes());
    }
    if let Some(l) = m.lockdown {
        w("sys/kernel/security/lockdown", format!("{l}\n").as_bytes());
    }
    if m.ima_dir {
        std::fs::create_dir_all(root.join("sys/kernel/security/ima")).unwrap();
        if let Some((mode, text)) = m.policy {
            let p = w("sys/kernel/security/ima/policy", text.as_bytes());
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
        }
    }
    if let Some(v) = m.secure_boot {
        w(
            "sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c",
            &[6, 0, 0, 0, v],
        );
    }
    if let Some(p) = m.boot_policy {
        w("etc/ima/ima-policy", p.as_bytes());
    }
    if let Some(c) = &m.config {
        let text = c.join("\n") + "\n";
        if m.config_gz {
            let p = w("proc/config", text.as_bytes());
            let st = Command::new("gzip").arg(&p).status().unwrap();
            assert!(st.success());
        } else {
            w(&format!("boot/config-{}", m.release), text.as_bytes());
        }
    }
    if m.proc_keys {
        let mut t = String::new();
        let mut serial = 0x1000_0000u32;
        for (name, n) in &m.keyrings {
            serial += 0x111;
            t.push_str(&format!(
                "{serial:08x} I------     1 perm 1f0b0000     0     0 keyring   {name}: {n}\n"
            ));
        }
        t.push_str(
            "2c1d3e4f I------     1 perm 1f030000     0     0 asymmetri Fixture CA: 7548f85b3b0ddf036b16b470b1ea4e911e51f40b: X509.rsa 1e51f40b []\n",
        );
        w("proc/keys", t.as_bytes());
    }
}

struct Run {
    code: i32,
    text: String,
    json: serde_json::Value,
}

fn status(name: &str, m: &Machine) -> Run {
    let tmp = tempfile::tempdir().unwrap();
    build(m, tmp.path());
    let run = |json: bool| -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_imactl"));
        c.arg("status").arg("--root").arg(tmp.path());
        if json {
            c.arg("--json");
        }
        c.output().unwrap()
    };
    let t = run(false);
    let j = run(true);
    let text = String::from_utf8_lossy(&t.stdout).into_owned();
    println!("=== {name}\n{text}");
    assert!(
        t.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&t.stderr)
    );
    assert_eq!(t.status.code(), j.status.code());
    Run {
        code: t.status.code().unwrap(),
        text,
        json: serde_json::from_slice(&j.stdout).unwrap(),
    }
}

fn check<'a>(r: &'a Run, name: &str) -> &'a serde_json::Value {
    r.json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name}: {}", r.text))
}

#[test]
fn debian_61_with_ima_underscore_is_not_protected_against_root() {
    let r = status("debian 6.1, _ima, policy loaded", &debian_61_loaded());
    assert_eq!(r.code, 3);
    assert_eq!(r.json["verdict"], "accidents-only");
    assert!(r.text.contains("not against root"), "{}", r.text);
    assert!(r.text.contains("any root process can add its own key"));
    let k = check(&r, "ima-keyring");
    assert_eq!(k["state"], "bad");
    // The loaded policy cannot be read, but the boot policy file is named.
    let p = check(&r, "policy");
    assert_eq!(p["state"], "unknown");
    assert!(p["detail"]
        .as_str()
        .unwrap()
        .contains("/etc/ima/ima-policy"));
    assert_eq!(check(&r, "policy-fixed")["state"], "ok");
    assert!(r.json["first_step"]
        .as_str()
        .unwrap()
        .contains("CONFIG_INTEGRITY_TRUSTED_KEYRING=y"));
    assert!(check(&r, "kexec-sig")["detail"]
        .as_str()
        .unwrap()
        .contains("not forced"));
}

#[test]
fn debian_612_before_any_policy_is_not_protected() {
    let mut m = debian_61_loaded();
    m.release = "6.12.57+deb12-cloud-amd64";
    m.lsm = Some("lockdown,capability,landlock,yama,apparmor,tomoyo,bpf,ima,evm");
    m.policy = Some((0o200, "")); // write-only, still there: nothing loaded
    m.boot_policy = None;
    let r = status("debian 6.12, fresh boot", &m);
    assert_eq!(r.code, 4);
    assert_eq!(r.json["verdict"], "not-protected");
    assert_eq!(check(&r, "ima")["detail"], "IMA is in the LSM list");
    assert_eq!(check(&r, "policy")["state"], "bad");
    assert_eq!(check(&r, "policy-fixed")["state"], "warn");
    assert!(r.json["first_step"]
        .as_str()
        .unwrap()
        .contains("imactl policy load"));
}

#[test]
fn restricted_ima_with_a_ca_signed_key_is_protected() {
    let r = status("lab kernel, .ima restricted, 1 key", &lab_protected());
    assert_eq!(r.code, 0);
    assert_eq!(r.json["verdict"], "protected");
    let k = check(&r, "ima-keyring");
    assert_eq!(k["state"], "ok");
    assert!(k["detail"]
        .as_str()
        .unwrap()
        .contains(".builtin_trusted_keys or .secondary_trusted_keys"));
    assert!(check(&r, "policy")["detail"]
        .as_str()
        .unwrap()
        .contains(KEXEC_RULE));
    assert!(r.text.contains(".ima "), "{}", r.text);
    assert!(r.json["first_step"]
        .as_str()
        .unwrap()
        .starts_with("nothing"));
    let rings: Vec<_> = r.json["keyrings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        rings,
        [".builtin_trusted_keys", ".secondary_trusted_keys", ".ima"]
    );
}

#[test]
fn restricted_but_empty_ima_says_to_import() {
    let mut m = lab_protected();
    m.keyrings = vec![(".builtin_trusted_keys", 1), (".ima", 0)];
    let r = status("lab kernel, .ima empty", &m);
    assert_eq!(r.code, 0);
    assert_eq!(check(&r, "ima-keyring")["state"], "warn");
    assert!(r.json["first_step"]
        .as_str()
        .unwrap()
        .contains("imactl key import"));
}

#[test]
fn appraisal_in_log_mode_is_not_protected() {
    let mut m = lab_protected();
    m.cmdline = "console=ttyS0 ima_appraise=log";
    let r = status("ima_appraise=log", &m);
    assert_eq!(r.code, 4);
    assert_eq!(check(&r, "appraise-mode")["state"], "bad");
    assert!(r.json["first_step"]
        .as_str()
        .unwrap()
        .contains("ima_appraise="));
}

#[test]
fn appraise_parameter_is_ignored_under_secure_boot() {
    let mut m = lab_protected();
    m.cmdline = "ima_appraise=fix";
    m.secure_boot = Some(1);
    let r = status("ima_appraise=fix under secure boot", &m);
    assert_eq!(check(&r, "appraise-mode")["state"], "ok");
    assert_eq!(check(&r, "secure-boot")["detail"], "enabled (SecureBoot=1)");
    assert_eq!(r.code, 0);
}

#[test]
fn a_kernel_without_ima() {
    let m = Machine {
        lsm: Some("lockdown,capability,yama,apparmor"),
        ima_dir: false,
        policy: None,
        keyrings: vec![(".builtin_trusted_keys", 1)],
        config: Some(vec!["# CONFIG_IMA is not set", "CONFIG_KEXEC_FILE=y"]),
        ..debian_61_loaded()
    };
    let r = status("no IMA", &m);
    assert_eq!(r.code, 4);
    assert_eq!(check(&r, "ima")["state"], "bad");
    assert!(r.json["first_step"]
        .as_str()
        .unwrap()
        .contains("CONFIG_IMA_APPRAISE"));
}

#[test]
fn a_policy_without_the_kexec_rule_or_exempting_kexec() {
    let mut m = lab_protected();
    m.policy = Some((
        0o600,
        "measure func=BPRM_CHECK\nappraise func=MODULE_CHECK appraise_type=imasig\n",
    ));
    let r = status("policy without kexec rule", &m);
    assert_eq!(r.code, 4);
    assert!(check(&r, "policy")["detail"]
        .as_str()
        .unwrap()
        .contains("no rule"));

    m.policy = Some((0o600, "dont_appraise func=KEXEC_KERNEL_CHECK\nappraise func=KEXEC_KERNEL_CHECK appraise_type=imasig\n"));
    let r = status("dont_appraise first", &m);
    assert_eq!(r.code, 4);
    assert!(check(&r, "policy")["detail"]
        .as_str()
        .unwrap()
        .contains("exempts"));

    m.policy = Some((0o600, "appraise func=KEXEC_KERNEL_CHECK\n"));
    let r = status("hash-only kexec rule", &m);
    assert_eq!(r.code, 4);
    assert!(r.json["reasons"][0].as_str().unwrap().contains("hash only"));
}

#[test]
fn secure_boot_lockdown_and_pe_signatures() {
    let mut m = debian_61_loaded();
    m.secure_boot = Some(1);
    m.lockdown = Some("none [integrity] confidentiality");
    m.policy = Some((0o200, ""));
    let r = status("Debian under secure boot (lockdown=integrity)", &m);
    assert_eq!(r.code, 0);
    assert_eq!(check(&r, "lockdown")["state"], "ok");
    assert_eq!(check(&r, "kexec-sig")["state"], "ok");
    assert!(r.json["reasons"][0]
        .as_str()
        .unwrap()
        .contains("your distribution's"));

    // Secure boot off: the same kernel is back to "not protected".
    m.secure_boot = Some(0);
    m.lockdown = Some("[none] integrity confidentiality");
    let r = status("same, secure boot off", &m);
    assert_eq!(r.code, 4);
    assert_eq!(
        check(&r, "secure-boot")["detail"],
        "disabled (SecureBoot=0)"
    );
}

#[test]
fn securityfs_not_mounted_is_unknown() {
    let m = Machine {
        lsm: None,
        ima_dir: false,
        lockdown: None,
        policy: None,
        config: None,
        ..debian_61_loaded()
    };
    let r = status("no securityfs, no config", &m);
    assert_eq!(r.code, 5);
    assert_eq!(check(&r, "ima")["state"], "unknown");
    assert!(r.json["first_step"]
        .as_str()
        .unwrap()
        .contains("mount -t securityfs"));
}

#[test]
fn ima_keyring_present_but_policy_unreadable_is_unknown() {
    let mut m = lab_protected();
    m.policy = None; // loaded and removed, no READ_POLICY
    m.config = Some(vec!["CONFIG_IMA=y", "CONFIG_INTEGRITY_TRUSTED_KEYRING=y"]);
    let r = status(".ima, policy unreadable", &m);
    assert_eq!(r.code, 5);
    assert!(r.json["first_step"]
        .as_str()
        .unwrap()
        .contains("appraise func=KEXEC_KERNEL_CHECK"));

    // The built-in secure_boot policy settles it.
    m.cmdline = "ima_policy=secure_boot";
    let r = status(".ima, ima_policy=secure_boot", &m);
    assert_eq!(r.code, 0);
}

#[test]
fn no_ima_keyring_at_all() {
    let mut m = debian_61_loaded();
    m.keyrings = vec![(".builtin_trusted_keys", 1)];
    m.policy = Some((
        0o600,
        "appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig\n",
    ));
    let r = status("no _ima, no .ima", &m);
    assert_eq!(r.code, 4);
    assert!(check(&r, "ima-keyring")["detail"]
        .as_str()
        .unwrap()
        .contains("no IMA keyring"));
}

#[test]
fn config_from_proc_config_gz() {
    let have_gzip = Command::new("gzip")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_gzip {
        skip::skip("config_from_proc_config_gz", "gzip is not installed");
        return;
    }
    let mut m = lab_protected();
    m.config_gz = true;
    let r = status("config from /proc/config.gz", &m);
    assert_eq!(check(&r, "config")["detail"], "read from /proc/config.gz");
    assert_eq!(r.code, 0);
}

#[test]
fn a_root_that_is_not_a_directory() {
    let o = Command::new(env!("CARGO_BIN_EXE_imactl"))
        .args(["status", "--root", "/nonexistent/imaevm"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent/imaevm: not a directory"));
}
