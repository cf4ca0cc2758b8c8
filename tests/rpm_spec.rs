//! Issue 14, item 9: packaging that fits Fedora and RHEL. Fast checks with rpm's own tools
//! (the full build and install is tests/rpm_packaging.rs):
//! - the spec provides and conflicts with ima-evm-utils, excludes no architecture by
//!   itself and builds for the target architecture's Rust triple;
//! - %imaevm_setxattr, %imaevm_sign and %imaevm_sigfiles without a PATH fail the build;
//! - the macros file and docs/packaging.md say how the %post flow relates to
//!   `rpmsign --signfiles` with rpm-plugin-ima, and that a build root never holds the key.

use std::path::PathBuf;
use std::process::{Command, Output};

#[path = "common/skip.rs"]
mod skip;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn eval(expr: &str) -> Output {
    Command::new("rpm")
        .arg("--load")
        .arg(repo().join("packaging/rpm/macros.imaevm"))
        .args(["--define", "buildroot /br", "--eval", expr])
        .output()
        .unwrap()
}

fn spec(args: &[&str]) -> String {
    let o = Command::new("rpmspec")
        .args(args)
        .arg(repo().join("packaging/rpm/imaevm.spec"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn macros_without_a_path_fail_the_build() {
    if !have("rpm") {
        skip::skip(
            "macros_without_a_path_fail_the_build",
            "no rpm (apt install rpm)",
        );
        return;
    }
    for m in [
        "%imaevm_setxattr",
        "%imaevm_setxattr -i",
        "%imaevm_sign",
        "%imaevm_sigfiles",
    ] {
        let o = eval(m);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{m} expanded without error");
        assert!(err.contains("needs at least one PATH"), "{m}: {err}");
    }
    let o = eval("%imaevm_setxattr -i /usr/sbin/kexec");
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("ima_setxattr --ignore-unsupported --sigfile \"${__imaevm_path}.sig\"")
            && text.contains("in /usr/sbin/kexec;"),
        "{text}"
    );
}

#[test]
fn spec_fits_fedora_and_rhel() {
    if !have("rpmspec") {
        skip::skip("spec_fits_fedora_and_rhel", "no rpmspec (apt install rpm)");
        return;
    }
    let provides = spec(&["-q", "--provides"]);
    assert!(
        provides.lines().any(|l| l.starts_with("ima-evm-utils = ")),
        "{provides}"
    );
    let conflicts = spec(&["-q", "--conflicts"]);
    assert_eq!(conflicts.trim(), "ima-evm-utils");
    let text = std::fs::read_to_string(repo().join("packaging/rpm/imaevm.spec")).unwrap();
    assert!(
        !text.contains("ExclusiveArch:  x86_64"),
        "a hard ExclusiveArch x86_64"
    );
    // The boot integration is installed and packaged.
    let files = &text[text.find("\n%files").expect("a %files section")..];
    for f in [
        "%{_prefix}/lib/dracut/modules.d/98imaevm/",
        "%{_prefix}/lib/systemd/system/imaevm-boot.service",
        "%{_prefix}/lib/kernel/install.d/95-imaevm.install",
        "%{_mandir}/man7/imaevm-rpm-macros.7*",
    ] {
        assert!(files.contains(f), "%files lacks {f}");
    }
    for (arch, triple) in [
        ("aarch64", "aarch64-unknown-linux-gnu"),
        ("x86_64", "x86_64-unknown-linux-gnu"),
        ("ppc64le", "powerpc64le-unknown-linux-gnu"),
    ] {
        let parsed = spec(&["-P", "--target", arch]);
        assert!(
            parsed.contains(&format!("--target {triple} ")),
            "{arch}: no {triple}"
        );
    }
    // Fedora's %rust_arches, when defined, is the ExclusiveArch.
    let parsed = spec(&["-P", "--define", "rust_arches x86_64 aarch64"]);
    assert!(
        parsed.contains("ExclusiveArch:  x86_64 aarch64"),
        "{parsed}"
    );
}

#[test]
fn docs_say_when_to_use_rpmsign_signfiles_and_where_the_key_lives() {
    for f in ["packaging/rpm/macros.imaevm", "docs/packaging.md"] {
        let text = std::fs::read_to_string(repo().join(f)).unwrap();
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for want in ["rpmsign --addsign --signfiles", "rpm-plugin-ima", "never"] {
            assert!(flat.contains(want), "{f} does not mention {want}");
        }
        assert!(
            flat.contains("build root never holds")
                || flat.contains("never belongs in a build root"),
            "{f} does not say that a build root never holds the signing key"
        );
    }
}
