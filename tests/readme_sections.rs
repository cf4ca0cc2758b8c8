//! Issue 14, item 10 and issue 22: README.md is the front door. A reader finds install,
//! first use, the Secure Boot pointer, the two set-up commands, the guides and the license,
//! in that order, no section twice, in at most 300 lines; boot setup lives in
//! docs/boot-setup.md and names files that exist; the Secure Boot guide has the sections
//! README and later work point at.

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The headings outside fenced code blocks, without their '#'s.
fn headings(text: &str) -> Vec<String> {
    let mut in_code = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            out.push(line.trim_start_matches('#').trim().to_string());
        }
    }
    out
}

#[test]
fn readme_is_short_and_in_order() {
    let text = read("README.md");
    let lines = text.lines().count();
    assert!(lines <= 300, "README.md has {lines} lines, at most 300");
    let headings = headings(&text);
    let pos = |prefix: &str| {
        headings
            .iter()
            .position(|h| h.starts_with(prefix))
            .unwrap_or_else(|| panic!("no section '{prefix}...' in {headings:?}"))
    };
    let order = [
        pos("Install"),
        pos("First use"),
        pos("Secure Boot machines"),
        pos("Set up and run"),
        pos("Guides"),
        pos("License"),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{headings:?}");
    let mut seen = std::collections::HashSet::new();
    for h in &headings {
        assert!(seen.insert(h.to_lowercase()), "section '{h}' appears twice");
    }
    // The two set-up commands, exactly, and the scripts they run exist.
    for cmd in ["bash tests/demo.sh", "bash tests/run.sh"] {
        assert!(
            text.lines().any(|l| l.starts_with(cmd)),
            "README.md lacks the command line '{cmd}'"
        );
        let script = cmd.trim_start_matches("bash ");
        assert!(repo().join(script).is_file(), "{script}");
    }
    // The Secure Boot section points at its guide.
    let sb = &text[text.find("## Secure Boot machines").unwrap()..];
    let sb = &sb[..sb[3..].find("\n## ").unwrap()];
    assert!(sb.contains("(docs/secure-boot.md)"), "{sb}");
}

#[test]
fn boot_setup_guide_names_files_that_exist() {
    let text = read("docs/boot-setup.md");
    assert!(
        headings(&text)
            .first()
            .is_some_and(|h| h.starts_with("Boot setup")),
        "docs/boot-setup.md does not start with its Boot setup title"
    );
    for f in [
        "packaging/dracut/98imaevm/module-setup.sh",
        "packaging/initramfs-tools/hooks/imaevm",
        "packaging/initramfs-tools/scripts/init-bottom/imaevm",
        "packaging/systemd/imaevm-boot.service",
    ] {
        assert!(
            text.contains(f.rsplit_once('/').unwrap().0) || text.contains(f),
            "{f}"
        );
        assert!(Path::new(&repo()).join(f).is_file(), "{f}");
    }
}

#[test]
fn secure_boot_guide_has_its_sections() {
    let h = headings(&read("docs/secure-boot.md"));
    for want in [
        "Secure Boot machines",
        "Getting a CA into .machine (MOK)",
        "kdump under Secure Boot",
        "Which keyring protects against what",
        "Why did the kernel refuse this file?",
    ] {
        assert!(h.iter().any(|x| x == want), "no '{want}' in {h:?}");
    }
}
