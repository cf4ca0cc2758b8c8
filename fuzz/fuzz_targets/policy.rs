#![no_main]
//! cargo-fuzz target `policy`: see fuzz/entries.rs.

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::policy(data));
