#![no_main]
//! cargo-fuzz target `sig_file`: see fuzz/entries.rs.

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::sig_file(data));
