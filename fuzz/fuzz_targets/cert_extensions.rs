#![no_main]
//! cargo-fuzz target `cert_extensions`: see fuzz/entries.rs.

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::cert_extensions(data));
