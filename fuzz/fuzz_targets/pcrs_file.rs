#![no_main]
//! cargo-fuzz target `pcrs_file`: see fuzz/entries.rs.

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::pcrs_file(data));
