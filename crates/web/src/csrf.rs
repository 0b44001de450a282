//! Cross-site request forgery protection. Every form carries the session's CSRF token in a hidden
//! `_csrf` field; the login form, before any session exists, uses a double-submit cookie. Cookies
//! are also `SameSite=Strict`, so this is the second of two locks.

use crate::error::AppError;
use sha2::{Digest, Sha256};

pub const FORGED: &str =
    "Mã chống giả mạo (CSRF) của biểu mẫu không hợp lệ hoặc đã hết hạn; hãy tải lại trang và thử lại.";

/// Compares the expected and the sent token in constant time (by comparing their digests).
pub fn verify(expected: &str, sent: &str) -> Result<(), AppError> {
    if expected.is_empty() || sent.is_empty() {
        return Err(AppError::forbidden(FORGED));
    }
    let a = Sha256::digest(expected.as_bytes());
    let b = Sha256::digest(sent.as_bytes());
    let diff = a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    if diff == 0 {
        Ok(())
    } else {
        Err(AppError::forbidden(FORGED))
    }
}

/// A fresh random token for the login form.
pub fn new_token() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut buf = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_tokens_pass_and_others_fail() {
        assert!(verify("abc", "abc").is_ok());
        assert!(verify("abc", "abd").is_err());
        assert!(verify("abc", "").is_err());
        assert!(verify("", "").is_err());
        let t = new_token();
        assert_eq!(t.len(), 32);
        assert_ne!(t, new_token());
    }
}
