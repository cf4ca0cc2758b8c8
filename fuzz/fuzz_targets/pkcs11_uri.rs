#![no_main]
//! cargo-fuzz target `pkcs11_uri`: see fuzz/entries.rs.

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::pkcs11_uri(data));
