//! Replays every committed fuzz corpus file (fuzz/corpus/<target>/) through the same entry
//! point the cargo-fuzz target uses (fuzz/entries.rs), on the stable toolchain: a parser
//! change that panics on a once-found input fails here, without nightly or cargo-fuzz.

#[path = "../fuzz/entries.rs"]
mod entries;

use std::path::Path;

#[test]
fn every_corpus_file_replays_without_a_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut total = 0;
    for (name, entry) in entries::TARGETS {
        let dir = root.join(name);
        let files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e} (every target has a corpus)", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        assert!(!files.is_empty(), "{}: empty corpus", dir.display());
        for f in &files {
            let data = std::fs::read(f).unwrap();
            let r = std::panic::catch_unwind(|| entry(&data));
            assert!(r.is_ok(), "{name}: {} panicked", f.display());
        }
        total += files.len();
    }
    eprintln!(
        "replayed {total} corpus files of {} targets",
        entries::TARGETS.len()
    );
}

/// Every fuzz target in fuzz/Cargo.toml has an entry here, and the other way round.
#[test]
fn every_target_is_declared() {
    let manifest =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/Cargo.toml")).unwrap();
    let declared: Vec<&str> = manifest
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .filter_map(|l| l.strip_suffix('"'))
        .filter(|n| *n != "imaevm-fuzz")
        .collect();
    let mut ours: Vec<&str> = entries::TARGETS.iter().map(|(n, _)| *n).collect();
    let mut declared = declared;
    ours.sort();
    declared.sort();
    assert_eq!(declared, ours);
}
