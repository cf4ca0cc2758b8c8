#![no_main]
//! cargo-fuzz target `proc_keys`: see fuzz/entries.rs.

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::proc_keys(data));
