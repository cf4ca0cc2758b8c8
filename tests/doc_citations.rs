//! Every comment in src/ and tests/ that cites `docs/<file>.md` names a file that exists,
//! and every quoted section after it on the same line is a `## ` heading of that file.

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Runs of consecutive comment lines, joined with spaces (a section name may wrap), each
/// with the number of its first line (from 0).
fn comment_blocks(text: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut open = false;
    for (n, line) in text.lines().enumerate() {
        let t = line.trim_start();
        let Some(body) = t.strip_prefix("//") else {
            open = false;
            continue;
        };
        let body = body.trim_start_matches(['/', '!']).trim();
        match out.last_mut() {
            Some((_, b)) if open => {
                b.push(' ');
                b.push_str(body);
            }
            _ => out.push((n, body.to_string())),
        }
        open = true;
    }
    out
}

/// (file cited, sections quoted after it) for each citation in `line`.
fn citations(line: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("docs/") {
        let after = &rest[i + 5..];
        let Some(end) = after.find(".md") else { break };
        let name = &after[..end];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            rest = after;
            continue;
        }
        let tail = &after[end + 3..];
        // Quoted sections up to the closing parenthesis (or the next citation, or 120
        // characters).
        let upto = [tail.find(')'), tail.find("docs/"), Some(tail.len())]
            .into_iter()
            .flatten()
            .min()
            .unwrap();
        let mut upto = upto.min(120);
        while !tail.is_char_boundary(upto) {
            upto -= 1;
        }
        let sections = tail[..upto]
            .split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect();
        out.push((format!("{name}.md"), sections));
        rest = tail;
    }
    out
}

#[test]
fn doc_citations_resolve() {
    let mut files = Vec::new();
    rust_files(&repo().join("src"), &mut files);
    rust_files(&repo().join("tests"), &mut files);
    let mut problems = Vec::new();
    let mut checked = 0;
    for f in &files {
        if f.ends_with("doc_citations.rs") {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        for (n, block) in comment_blocks(&text) {
            for (doc, sections) in citations(&block) {
                checked += 1;
                let at = format!("{}:{}", f.strip_prefix(repo()).unwrap().display(), n + 1);
                let Ok(body) = std::fs::read_to_string(repo().join("docs").join(&doc)) else {
                    problems.push(format!("{at}: docs/{doc} does not exist"));
                    continue;
                };
                for s in sections {
                    if !body.lines().any(|l| l == format!("## {s}")) {
                        problems.push(format!("{at}: docs/{doc} has no section \"{s}\""));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        checked >= 10,
        "only {checked} citations found: is the scan broken?"
    );
}

#[test]
fn the_citation_scanner_reads_what_it_should() {
    assert_eq!(
        citations(r#"//! x (docs/formats.md, "keyids" and "v2 signatures"): y"#),
        [(
            "formats.md".to_string(),
            vec!["keyids".to_string(), "v2 signatures".to_string()]
        )]
    );
    assert_eq!(
        citations(r#"// docs/kernel.md ("Policy rules") and docs/formats.md"#),
        [
            ("kernel.md".to_string(), vec!["Policy rules".to_string()]),
            ("formats.md".to_string(), vec![]),
        ]
    );
    assert!(citations("// no citation here: docs/ only").is_empty());
    // A section name that wraps onto the next comment line.
    let blocks = comment_blocks(
        "let x = 1;\n//! a (docs/formats.md \"IMA measurement\n//! list\"): b\nfn f() {}\n",
    );
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0].0, 1);
    assert_eq!(
        citations(&blocks[0].1),
        [(
            "formats.md".to_string(),
            vec!["IMA measurement list".to_string()]
        )]
    );
}
