//! `parse` must be total: no panic, deterministic, and its JSON must round-trip, on any UTF-8.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phongthu_domain::directive::{parse, ParsedDirective};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = parse(text);
    let _ = parsed.summary_vi();
    let json = serde_json::to_string(&parsed).expect("the contract JSON serialises");
    let back: ParsedDirective = serde_json::from_str(&json).expect("the contract JSON reads back");
    assert_eq!(back, parsed);
    assert_eq!(parse(text), parsed, "parse is deterministic");
});
