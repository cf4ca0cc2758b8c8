#![no_main]
//! cargo-fuzz target `template_data`: see fuzz/entries.rs.

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::template_data(data));
