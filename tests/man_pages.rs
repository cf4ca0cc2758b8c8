//! Issue 14, item 3: a real page for every imactl command and for the RPM macros: a
//! DESCRIPTION that says more than NAME, EXIT STATUS, EXAMPLES, JSON OUTPUT where the
//! command has --json, and SEE ALSO naming keyctl(1), kexec(8), dracut and the kernel's
//! IMA policy documentation. (Generation, drift and `man --warnings`: tests/docs_drift.rs.)

use std::path::PathBuf;

fn man_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("man")
}

/// The body of section `title` (up to the next .SH).
fn section<'a>(page: &'a str, title: &str) -> Option<&'a str> {
    let heads = [format!("\n.SH {title}\n"), format!("\n.SH \"{title}\"\n")];
    let start = heads
        .iter()
        .find_map(|h| page.find(h.as_str()).map(|i| i + h.len()))?;
    let end = page[start..]
        .find("\n.SH ")
        .map_or(page.len(), |i| start + i);
    Some(&page[start..end])
}

fn pages() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::fs::read_dir(man_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            n.starts_with("imactl") || n.ends_with(".7")
        })
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn every_imactl_page_and_the_macros_page_is_a_real_page() {
    let pages = pages();
    assert!(
        pages.iter().any(|(n, _)| n == "imaevm-rpm-macros.7"),
        "no macros page"
    );
    assert!(
        pages.iter().any(|(n, _)| n == "imactl-boot.8"),
        "no imactl-boot page"
    );
    for (name, page) in &pages {
        let summary = section(page, "NAME")
            .unwrap_or_else(|| panic!("{name}: no NAME"))
            .split(" \\- ")
            .nth(1)
            .unwrap_or("")
            .trim()
            .to_string();
        let desc = section(page, "DESCRIPTION").unwrap_or_else(|| panic!("{name}: no DESCRIPTION"));
        assert!(
            desc.trim() != summary && desc.len() > summary.len() + 80,
            "{name}: DESCRIPTION repeats NAME: {desc}"
        );
        assert!(
            section(page, "EXIT STATUS").is_some(),
            "{name}: no EXIT STATUS"
        );
        assert!(section(page, "EXAMPLES").is_some(), "{name}: no EXAMPLES");
        let see = section(page, "SEE ALSO").unwrap_or_else(|| panic!("{name}: no SEE ALSO"));
        for want in [
            "\\fBkeyctl\\fR(1)",
            "\\fBkexec\\fR(8)",
            "\\fBdracut\\fR",
            "ima_policy",
        ] {
            assert!(see.contains(want), "{name}: SEE ALSO lacks {want}: {see}");
        }
    }
}

#[test]
fn commands_with_json_document_their_schema() {
    for (name, page) in pages() {
        if page.contains("\\fB\\-\\-json\\fR") {
            let json = section(&page, "JSON OUTPUT")
                .unwrap_or_else(|| panic!("{name} has --json but no JSON OUTPUT section"));
            assert!(json.contains('{'), "{name}: {json}");
        }
    }
}
