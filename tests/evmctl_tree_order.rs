//! `-r` walks a tree in upstream evmctl's order (nftw: each directory's entries as the
//! filesystem lists them, a subdirectory's contents where it is met), so the output of a
//! recursive run is byte-identical to upstream's: the same lines in the same order.

mod common;

use common::*;
use std::path::Path;

/// A tree whose listing order differs from name order: names created out of order, nested
/// deeper than walkdir keeps directories open (10), files and directories interleaved.
fn make_tree(root: &Path) {
    let mut dir = root.to_path_buf();
    for depth in 0..13u8 {
        std::fs::create_dir_all(&dir).unwrap();
        for (i, name) in ["q", "c", "x7", "a", "m", "zz", "b1", "k"]
            .iter()
            .enumerate()
        {
            let seed = depth.wrapping_mul(31).wrapping_add(i as u8);
            write_sample(&dir.join(format!("{name}{depth}")), 64 + 97 * i, seed);
        }
        // A sibling directory with files, met in the middle of the listing.
        let side = dir.join(format!("s{depth}"));
        std::fs::create_dir_all(&side).unwrap();
        for j in 0..3u8 {
            write_sample(&side.join(format!("f{j}")), 33, depth ^ j);
        }
        dir = dir.join(format!("d{depth}"));
    }
}

fn assert_same_run(args: &[&str], root: &Path) {
    let a = run(evmctl().args(args).arg(root));
    let b = run(upstream().args(args).arg(root));
    assert_eq!(code(&a), code(&b), "{args:?}: {}", stderr(&a));
    assert_eq!(code(&a), 0, "{args:?}: {}", stderr(&a));
    assert!(
        stdout(&a).lines().count() + stderr(&a).len() > 100,
        "{args:?}: the run printed too little to compare"
    );
    assert_eq!(stdout(&a), stdout(&b), "{args:?}: stdout");
    assert_eq!(stderr(&a), stderr(&b), "{args:?}: stderr");
}

#[test]
fn recursive_hash_prints_upstreams_lines_in_upstreams_order() {
    if skip_without_upstream("recursive_hash_prints_upstreams_lines_in_upstreams_order") {
        return;
    }
    let d = scratch();
    let root = d.path().join("tree");
    make_tree(&root);
    let (_, ns_args) = ns();
    let mut args = vec!["ima_hash", "-r"];
    args.extend_from_slice(ns_args);
    assert_same_run(&args, &root);
}

#[test]
fn recursive_rsa_signing_prints_upstreams_lines_in_upstreams_order() {
    if skip_without_upstream("recursive_rsa_signing_prints_upstreams_lines_in_upstreams_order") {
        return;
    }
    let d = scratch();
    let root = d.path().join("tree");
    make_tree(&root);
    let key = fixture().rsa2048.key.to_str().unwrap().to_string();
    let (_, ns_args) = ns();
    let mut args = vec!["ima_sign", "-r", "--key", &key];
    args.extend_from_slice(ns_args);
    assert_same_run(&args, &root);
}
