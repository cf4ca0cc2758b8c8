//! Every `unsafe` block of the crate lives in src/sys/ (one safe wrapper per system call,
//! each with a SAFETY note). This test reads every file under src/ and fails when the word
//! appears anywhere else, comments included, so that nobody has to judge whether a hit is
//! "only a comment". It also checks that each unsafe block in src/sys/ carries its note.

use std::path::{Path, PathBuf};

const WORD: &str = "unsafe";

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn sources() -> (PathBuf, Vec<PathBuf>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    (src, files)
}

#[test]
fn unsafe_appears_only_in_src_sys() {
    let (src, files) = sources();
    let sys = src.join("sys");
    assert!(
        files.len() > 20,
        "found only {} files under {}",
        files.len(),
        src.display()
    );
    assert!(
        files.iter().any(|f| f.starts_with(&sys)),
        "no files under {}",
        sys.display()
    );
    let mut hits = Vec::new();
    for f in files.iter().filter(|f| !f.starts_with(&sys)) {
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.contains(WORD) {
                hits.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        hits.is_empty(),
        "`{WORD}` outside src/sys/ (move the system call into a wrapper there):\n{}",
        hits.join("\n")
    );
}

#[test]
fn every_unsafe_block_in_src_sys_has_a_safety_note() {
    let (src, files) = sources();
    let sys = src.join("sys");
    let mut blocks = 0;
    let mut missing = Vec::new();
    for f in files.iter().filter(|f| f.starts_with(&sys)) {
        let text = std::fs::read_to_string(f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (n, line) in lines.iter().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if !code.contains(&format!("{WORD} {{")) {
                continue;
            }
            blocks += 1;
            // The note is the comment right above the statement holding the block.
            let noted = lines[..n]
                .iter()
                .rev()
                .take_while(|l| l.trim_start().starts_with("//"))
                .any(|l| l.contains("SAFETY:"));
            if !noted {
                missing.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        blocks >= 10,
        "found only {blocks} blocks under {}",
        sys.display()
    );
    assert!(
        missing.is_empty(),
        "blocks without a `// SAFETY:` note right above:\n{}",
        missing.join("\n")
    );
}
