//! The legacy-encoding converter (TCVN3, VNI) on arbitrary bytes and text: no panic; output is
//! NFC; Unicode Vietnamese encoded into a legacy encoding converts back.
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../bodies/legacy_encoding.rs");

fuzz_target!(|data: &[u8]| legacy_encoding(data));
