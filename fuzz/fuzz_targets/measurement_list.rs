#![no_main]
//! cargo-fuzz target `measurement_list`: see fuzz/entries.rs.

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::measurement_list(data));
