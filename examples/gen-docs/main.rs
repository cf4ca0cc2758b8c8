//! Writes the man pages (man/) and shell completions (completions/) generated from the
//! command-line definitions, under OUTDIR (default: the repository root).
//!
//!     cargo run --example gen-docs [-- OUTDIR]
//!
//! Commit the result: tests/docs_drift.rs fails when the committed files are stale.

use std::path::PathBuf;

mod docs;

fn main() {
    let root = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    match docs::write_all(&root) {
        Ok(written) => {
            for p in written {
                println!("{}", p.display());
            }
        }
        Err(e) => {
            eprintln!("gen-docs: cannot write under {}: {e}", root.display());
            std::process::exit(1);
        }
    }
}
