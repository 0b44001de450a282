//! The legacy-encoding converter (TCVN3, VNI) on arbitrary bytes and text: no panic; output is
//! NFC; Unicode Vietnamese encoded into a legacy encoding converts back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phongthu_domain::directive::legacy::{self, LegacyEncoding};

fuzz_target!(|data: &[u8]| {
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
});
