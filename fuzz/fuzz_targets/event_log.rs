#![no_main]
//! cargo-fuzz target `event_log`: see fuzz/entries.rs.

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::event_log(data));
