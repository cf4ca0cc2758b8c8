#![no_main]
//! cargo-fuzz target `private_key`: see fuzz/entries.rs.

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::private_key(data));
