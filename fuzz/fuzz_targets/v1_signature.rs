#![no_main]
//! cargo-fuzz target `v1_signature`: see fuzz/entries.rs.

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::v1_signature(data));
