// The body of the `directive_parse` fuzz target, shared with the corpus replay that runs in the
// normal test build (crates/domain/tests/fuzz_replay.rs) where no nightly toolchain is at hand.
// `parse` must be total: no panic, deterministic, and its JSON must round-trip, on any UTF-8.
pub fn directive_parse(data: &[u8]) {
    use phongthu_domain::directive::{parse, ParsedDirective};
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = parse(text);
    let _ = parsed.summary_vi();
    let json = serde_json::to_string(&parsed).expect("the contract JSON serialises");
    let back: ParsedDirective = serde_json::from_str(&json).expect("the contract JSON reads back");
    assert_eq!(back, parsed);
    assert_eq!(parse(text), parsed, "parse is deterministic");
}
