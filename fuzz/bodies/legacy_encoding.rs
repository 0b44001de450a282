// The body of the `legacy_encoding` fuzz target, shared with the corpus replay that runs in the
// normal test build (crates/domain/tests/fuzz_replay.rs). The legacy-encoding converter (TCVN3,
// VNI) on arbitrary bytes and text: no panic; `encode` then `convert` gives back the text.
pub fn legacy_encoding(data: &[u8]) {
    use phongthu_domain::directive::legacy::{self, LegacyEncoding};
    // A legacy file as bytes, read as Windows-1252.
    let latin = legacy::decode_windows_1252(data);
    if let Some(u) = legacy::to_unicode(&latin) {
        assert!(legacy::detect(&latin).is_some());
        assert!(!u.is_empty() || latin.is_empty());
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = legacy::detect(text);
    let _ = legacy::to_unicode(text);
    for e in LegacyEncoding::ALL {
        let converted = legacy::convert(text, e);
        let _ = legacy::convert_font_text(text, ".VnTimeH");
        // encode → convert is the identity on what can be encoded.
        if let Some(m) = legacy::encode(&converted, e) {
            assert_eq!(legacy::convert(&m, e), converted, "{e:?}");
        }
    }
}
