#![no_main]
//! cargo-fuzz target `status_facts`: see fuzz/entries.rs.

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::status_facts(data));
