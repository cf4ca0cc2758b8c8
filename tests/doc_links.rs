//! Issue 22: README.md is the front door and the guides are in docs/.
//! - Every relative link in README.md and docs/*.md names a file that exists, and its
//!   `#anchor`, if any, a heading of that file (GitHub's anchor rules).
//! - Every docs/*.md is linked from README's "Guides" table, so a reader finds each guide
//!   in one step.
//! - Every evmctl and imactl command in a fenced block of README's "First use" section, and
//!   every long option it uses, is in that command's `--help`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// README.md and every docs/*.md, sorted.
fn markdown_files() -> Vec<PathBuf> {
    let mut out = vec![repo().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(repo().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    out.extend(docs);
    out
}

/// (line number from 1, line) of the lines outside fenced code blocks.
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut in_code = false;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        } else if !in_code {
            out.push((n + 1, line));
        }
    }
    out
}

/// GitHub's anchor for a heading: lower case, inline-code backticks and every character
/// that is not a letter, digit, space, '-' or '_' dropped, spaces turned into '-'.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a markdown file's headings, with GitHub's "-1", "-2" for repeats.
fn anchors(text: &str) -> HashSet<String> {
    let mut out = HashSet::new();
    for (_, line) in prose_lines(text) {
        let Some(h) = line.strip_prefix('#') else {
            continue;
        };
        let base = slug(h.trim_start_matches('#'));
        let mut a = base.clone();
        let mut n = 0;
        while !out.insert(a.clone()) {
            n += 1;
            a = format!("{base}-{n}");
        }
    }
    out
}

/// The targets of the inline links `[text](target)` in a line, outside inline code.
fn link_targets(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_code = false;
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'`' => in_code = !in_code,
            b']' if !in_code && b.get(i + 1) == Some(&b'(') => {
                if let Some(end) = line[i + 2..].find(')') {
                    out.push(line[i + 2..i + 2 + end].to_string());
                    i += 2 + end;
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// What is wrong with a link from `from` to `target`, if anything.
fn check_link(from: &Path, target: &str) -> Option<String> {
    if target.contains("://") || target.starts_with("mailto:") {
        return None;
    }
    let (path, anchor) = match target.split_once('#') {
        Some((p, a)) => (p, Some(a)),
        None => (target, None),
    };
    let file = if path.is_empty() {
        from.to_path_buf()
    } else {
        from.parent().unwrap().join(path)
    };
    if !file.exists() {
        return Some(format!("{target}: {} does not exist", file.display()));
    }
    let anchor = anchor?;
    if file.extension().is_none_or(|x| x != "md") {
        return Some(format!(
            "{target}: an anchor into a file that is not markdown"
        ));
    }
    let text = std::fs::read_to_string(&file).unwrap();
    if !anchors(&text).contains(anchor) {
        return Some(format!(
            "{target}: {} has no heading #{anchor}",
            file.display()
        ));
    }
    None
}

#[test]
fn every_relative_link_resolves() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for f in markdown_files() {
        let text = std::fs::read_to_string(&f).unwrap();
        for (n, line) in prose_lines(&text) {
            for t in link_targets(line) {
                checked += 1;
                if let Some(p) = check_link(&f, &t) {
                    let rel = f.strip_prefix(repo()).unwrap().display().to_string();
                    problems.push(format!("{rel}:{n}: {p}"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        checked >= 20,
        "only {checked} links found: is the scan broken?"
    );
}

/// The text of README's section whose heading starts with `prefix`, up to the next `## `.
fn readme_section(prefix: &str) -> String {
    let text = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let start = text
        .find(&format!("\n## {prefix}"))
        .unwrap_or_else(|| panic!("README.md has no section '{prefix}'"));
    let rest = &text[start + 1..];
    rest[..rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3)].to_string()
}

#[test]
fn every_guide_is_in_the_guides_table() {
    let section = readme_section("Guides");
    let rows: Vec<&str> = section.lines().filter(|l| l.starts_with("| [")).collect();
    for f in markdown_files().iter().skip(1) {
        let name = f.file_name().unwrap().to_str().unwrap();
        let link = format!("(docs/{name})");
        assert!(
            rows.iter().any(|r| r.contains(&link)),
            "docs/{name} is not linked from README's Guides table"
        );
    }
}

/// The words of a command up to its first option or operand: ["imactl", "key", "ca"].
fn command_words(line: &str) -> Vec<&str> {
    line.split_whitespace()
        .take_while(|w| w.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .collect()
}

fn help(bin: &str, words: &[&str]) -> String {
    let o = Command::new(bin)
        .args(words)
        .arg("--help")
        .output()
        .unwrap_or_else(|e| panic!("{bin}: {e}"));
    assert!(
        o.status.success(),
        "{} --help failed: {}",
        words.join(" "),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

#[test]
fn first_use_commands_exist() {
    let section = readme_section("First use");
    let mut in_code = false;
    let mut checked = 0;
    for line in section.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if !in_code {
            continue;
        }
        // The commands up to the shell comment; install and kexec are the system's own.
        let cmd = line.split(" #").next().unwrap();
        let words = command_words(cmd);
        let (text, what) = match words.first() {
            Some(&"imactl") => (
                help(env!("CARGO_BIN_EXE_imactl"), &words[1..]),
                words.join(" "),
            ),
            Some(&"evmctl") => {
                let text = help(env!("CARGO_BIN_EXE_evmctl"), &[]);
                let sub = words.get(1).expect("an evmctl command");
                assert!(
                    text.split_whitespace().any(|w| w == *sub),
                    "evmctl --help does not list {sub}:\n{text}"
                );
                (text, format!("evmctl {sub}"))
            }
            _ => continue,
        };
        for opt in cmd.split_whitespace().filter(|w| w.starts_with("--")) {
            let opt = opt.split('=').next().unwrap();
            assert!(
                text.contains(opt),
                "README First use: {what} --help does not list {opt}:\n{text}"
            );
        }
        checked += 1;
    }
    assert!(
        checked >= 5,
        "only {checked} commands found in README's First use block"
    );
}

#[test]
fn the_link_scanner_reads_what_it_should() {
    assert_eq!(
        slug(" %post or rpmsign --signfiles?"),
        "post-or-rpmsign---signfiles"
    );
    assert_eq!(
        slug(" Getting a CA into .machine (MOK)"),
        "getting-a-ca-into-machine-mok"
    );
    assert_eq!(
        slug(" Where it deliberately differs from upstream 1.4"),
        "where-it-deliberately-differs-from-upstream-14"
    );
    assert_eq!(
        link_targets("a [x](b.md#c) `[y](not)` [z](https://e/f)"),
        ["b.md#c", "https://e/f"]
    );
    let a = anchors("# T\n## A b\n```\n# not a heading\n```\n## A b\n");
    assert!(a.contains("a-b") && a.contains("a-b-1") && !a.contains("not-a-heading"));
    // A missing file and a missing anchor are both reported.
    let readme = repo().join("README.md");
    assert!(check_link(&readme, "docs/no-such-guide.md").is_some());
    assert!(check_link(&readme, "docs/secure-boot.md#no-such-heading").is_some());
    assert!(check_link(&readme, "docs/secure-boot.md#secure-boot-machines").is_none());
}
