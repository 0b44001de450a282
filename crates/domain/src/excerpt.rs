//! Bad values quoted back to the user, bounded: an error message or page names a wrong value so
//! that the user can find it, but a value of megabytes (a whole file pasted into one cell) must
//! not be echoed whole. A long value is cut and the message says so and how long it was.

use std::borrow::Cow;

/// The most characters of a value quoted in a message.
pub const QUOTED_CHARS: usize = 200;

/// `s` whole when it has at most `max` characters; otherwise its first `max` characters followed
/// by a note saying that it was cut and how long it is.
pub fn excerpt(s: &str, max: usize) -> Cow<'_, str> {
    if s.len() <= max {
        return Cow::Borrowed(s);
    }
    let chars = s.chars().count();
    if chars <= max {
        return Cow::Borrowed(s);
    }
    let mut out: String = s.chars().take(max).collect();
    out.push_str(&format!("… [đã cắt bớt, dài {} ký tự]", thousands(chars)));
    Cow::Owned(out)
}

/// A message that may quote `value`: every quotation of a long value is replaced by its excerpt,
/// and a message still longer than `max_message` characters is cut the same way.
pub fn bounded_message(message: &str, value: Option<&str>, max_message: usize) -> String {
    let mut out = match value {
        Some(v) if v.chars().count() > QUOTED_CHARS && message.contains(v) => {
            message.replace(v, &excerpt(v, QUOTED_CHARS))
        }
        _ => message.to_string(),
    };
    if out.chars().count() > max_message {
        out = excerpt(&out, max_message).into_owned();
    }
    out
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_are_kept_long_ones_cut_with_a_note() {
        assert_eq!(excerpt("Nguyễn Văn Đức", 200), "Nguyễn Văn Đức");
        let long = "đ".repeat(5_000_000);
        let e = excerpt(&long, 200);
        assert!(e.starts_with(&"đ".repeat(200)), "kept the start");
        assert!(
            e.ends_with("… [đã cắt bớt, dài 5.000.000 ký tự]"),
            "{}",
            &e[e.len() - 60..]
        );
        assert!(e.chars().count() < 260);
    }

    #[test]
    fn a_message_quoting_a_huge_value_stays_small() {
        let v = "x".repeat(1_000_000);
        let m = format!("Ngày \"{v}\" không đúng dạng: ghi NN/TT/NNNN.");
        let b = bounded_message(&m, Some(&v), 1_000);
        assert!(b.starts_with("Ngày \"xxx"), "{b}");
        assert!(b.ends_with("không đúng dạng: ghi NN/TT/NNNN."), "{b}");
        assert!(b.contains("dài 1.000.000 ký tự"), "{b}");
        assert!(b.len() < 400);
        // A long message without the value is cut too.
        let b = bounded_message(&"y".repeat(5_000), None, 1_000);
        assert!(b.chars().count() < 1_050);
        assert_eq!(bounded_message("ngắn", Some("v"), 1_000), "ngắn");
    }
}
