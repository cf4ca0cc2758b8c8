#![no_main]
//! cargo-fuzz target `certificate`: see fuzz/entries.rs.

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::certificate(data));
