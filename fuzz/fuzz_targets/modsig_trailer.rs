#![no_main]
//! cargo-fuzz target `modsig_trailer`: see fuzz/entries.rs.

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::modsig_trailer(data));
