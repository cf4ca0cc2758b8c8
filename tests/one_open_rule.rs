//! Issue 24, "one rule": every file either tool opens goes through one function,
//! `imaevm::input::open_file` (src/input/open.rs): opened with O_NONBLOCK, checked with
//! fstat(2), anything but a regular file refused by name (a FIFO only where the user names
//! it on purpose), read through the bounded reader. This test reads every file under src/
//! and fails when a file is opened or read whole any other way outside that module, as
//! tests/no_unsafe_outside_sys.rs does for `unsafe`. Unit tests inside src/ (a
//! `#[cfg(test)] mod ... { }` block, or a file named `tests.rs` / `*_tests.rs`) may set up
//! their fixtures with std::fs freely.

use std::path::{Path, PathBuf};

/// Ways to open a file, or to read or write one whole, that bypass the rule.
const OPENS: &[&str] = &[
    "File::open",
    "File::create",
    "File::options",
    "OpenOptions",
    "fs::read(",
    "fs::read_to_string(",
    "fs::write(",
    "fs::copy(",
    "libc::open",
    "dlopen",
];

/// Files allowed to contain one of [`OPENS`], each with the reason. Paths are relative to
/// src/.
const ALLOWED: &[(&str, &str)] = &[("input/open.rs", "the rule itself")];

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

/// The lines of `text` outside `#[cfg(test)] mod NAME { ... }` blocks, with their numbers.
fn non_test_lines(text: &str) -> Vec<(usize, &str)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let t = lines[i].trim();
        let next = lines.get(i + 1).map(|l| l.trim()).unwrap_or("");
        if t == "#[cfg(test)]" && next.starts_with("mod ") && next.ends_with('{') {
            // Skip to the brace that closes the module (braces in strings or comments of
            // test code would throw this off; the test fails loudly if the file ends first).
            let mut depth = 0i32;
            let mut j = i + 1;
            loop {
                assert!(j < lines.len(), "unbalanced test module at line {}", i + 1);
                depth += lines[j].matches('{').count() as i32;
                depth -= lines[j].matches('}').count() as i32;
                j += 1;
                if depth == 0 {
                    break;
                }
            }
            i = j;
            continue;
        }
        out.push((i + 1, lines[i]));
        i += 1;
    }
    out
}

/// True when `code` contains `pat` not preceded by an identifier character (`File::open`
/// is a bypass, `OpenFile::open` and `PolicyFile::open`, which use the rule, are not).
fn contains_word(code: &str, pat: &str) -> bool {
    code.match_indices(pat).any(|(i, _)| {
        !code[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

fn is_test_file(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n == "tests.rs" || n.ends_with("_tests.rs"))
}

fn hits_in(src: &Path, files: &[PathBuf]) -> Vec<String> {
    let mut hits = Vec::new();
    for f in files {
        let rel = f.strip_prefix(src).unwrap().to_str().unwrap().to_string();
        if is_test_file(f) || ALLOWED.iter().any(|(a, _)| *a == rel) {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in non_test_lines(&text) {
            let code = line.split("//").next().unwrap_or("");
            if let Some(p) = OPENS.iter().find(|p| contains_word(code, p)) {
                hits.push(format!("src/{rel}:{n}: `{p}`: {}", line.trim()));
            }
        }
    }
    hits
}

#[test]
fn every_open_goes_through_open_file() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    assert!(files.len() > 20, "found only {} files", files.len());
    for (a, _) in ALLOWED {
        assert!(
            src.join(a).is_file(),
            "allow-list entry src/{a} does not exist"
        );
    }
    let hits = hits_in(&src, &files);
    assert!(
        hits.is_empty(),
        "files opened outside imaevm::input::open_file (use open_file with the right \
         Access, and read through the bounded reader):\n{}",
        hits.join("\n")
    );
}

/// The scan itself finds a bypass, and leaves test modules alone.
#[test]
fn the_scan_finds_a_bypass() {
    let d = tempfile::tempdir().unwrap();
    let src = d.path();
    let f = src.join("new_feature.rs");
    std::fs::write(
        &f,
        "pub fn f() {\n    let _ = std::fs::read_to_string(\"/x\"); // bypass\n}\n\
         #[cfg(test)]\nmod tests {\n    fn t() {\n        std::fs::write(\"a\", \"b\").unwrap();\n    }\n}\n\
         pub fn g() -> std::io::Result<std::fs::File> {\n    std::fs::OpenOptions::new().open(\"/y\")\n}\n\
         pub fn h() { let _ = OpenFile::open(\"/z\"); let _ = File::open(\"/w\"); }\n",
    )
    .unwrap();
    let hits = hits_in(src, &[f]);
    assert_eq!(hits.len(), 3, "{hits:?}");
    assert!(hits[0].contains(":2:") && hits[0].contains("fs::read_to_string("));
    assert!(hits[1].contains(":11:") && hits[1].contains("OpenOptions"));
    assert!(hits[2].contains(":13:") && hits[2].contains("`File::open`"));
}
