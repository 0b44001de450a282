//! `parse` must be total: no panic, deterministic, and its JSON must round-trip, on any UTF-8.
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../bodies/directive_parse.rs");

fuzz_target!(|data: &[u8]| directive_parse(data));
