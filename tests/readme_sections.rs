//! Issue 14, item 10: a reader of README.md finds install, first use, boot setup and where
//! to go next, in that order, and no section twice.

#[test]
fn readme_has_install_first_use_boot_setup_and_where_next() {
    let text =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let mut in_code = false;
    let mut headings = Vec::new();
    for line in text.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            headings.push(line.trim_start_matches('#').trim().to_string());
        }
    }
    let pos = |prefix: &str| {
        headings
            .iter()
            .position(|h| h.starts_with(prefix))
            .unwrap_or_else(|| panic!("no section '{prefix}...' in {headings:?}"))
    };
    let order = [
        pos("Install"),
        pos("First use"),
        pos("Boot setup"),
        pos("Where next"),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{headings:?}");
    let mut seen = std::collections::HashSet::new();
    for h in &headings {
        assert!(seen.insert(h.to_lowercase()), "section '{h}' appears twice");
    }
    // The commands the boot setup names exist in the tree.
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
        assert!(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(f)
                .is_file(),
            "{f}"
        );
    }
}
