//! Roles, permissions and the scope rule.
//!
//! A user belongs to one organisational unit and sees and changes only that unit's subtree (its
//! descendants in the organisation tree, plus the communes a regional defense command covers).
//! The store enforces the rule on every query; this module says what each role may do.

use serde::{Deserialize, Serialize};

/// What a user is allowed to do, independent of where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Quản trị hệ thống: manages users and the organisation, reads and writes everything in scope.
    Admin,
    /// Chỉ huy / cơ quan tham mưu: reads and writes records in scope.
    Commander,
    /// Lãnh đạo: reads only.
    Leader,
    /// Thanh tra, kiểm tra: reads, and reads the audit log.
    Inspector,
}

/// One kind of action a role may be granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    Read,
    Write,
    ManageUsers,
    ManageOrganisation,
    ReadAudit,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Commander, Role::Leader, Role::Inspector];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Commander => "commander",
            Role::Leader => "leader",
            Role::Inspector => "inspector",
        }
    }

    pub fn parse(s: &str) -> Result<Role, String> {
        match s.trim() {
            "admin" => Ok(Role::Admin),
            "commander" => Ok(Role::Commander),
            "leader" => Ok(Role::Leader),
            "inspector" => Ok(Role::Inspector),
            other => Err(format!(
                "Vai trò \"{other}\" không hợp lệ: chọn admin, commander, leader hoặc inspector."
            )),
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Role::Admin => "Quản trị hệ thống",
            Role::Commander => "Chỉ huy, tham mưu (đọc và ghi)",
            Role::Leader => "Lãnh đạo (chỉ đọc)",
            Role::Inspector => "Thanh tra, kiểm tra (đọc và xem nhật ký)",
        }
    }

    pub fn allows(self, p: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::Commander => matches!(p, Read | Write),
            Role::Leader => matches!(p, Read),
            Role::Inspector => matches!(p, Read | ReadAudit),
        }
    }
}

impl Permission {
    /// The Vietnamese sentence shown when a role lacks this permission.
    pub fn denied_vi(self) -> &'static str {
        match self {
            Permission::Read => "Bạn không có quyền xem dữ liệu này.",
            Permission::Write => "Vai trò của bạn chỉ được xem, không được thay đổi dữ liệu.",
            Permission::ManageUsers => "Chỉ quản trị hệ thống được quản lý người dùng.",
            Permission::ManageOrganisation => "Chỉ quản trị hệ thống được thay đổi tổ chức.",
            Permission::ReadAudit => "Chỉ thanh tra, kiểm tra và quản trị được xem nhật ký thay đổi.",
        }
    }
}

/// Shortest password accepted, in characters.
pub const PASSWORD_MIN_CHARS: usize = 10;
/// Longest password accepted, in characters (Argon2 would hash more, but nobody types more and a
/// megabyte "password" only costs the server time).
pub const PASSWORD_MAX_CHARS: usize = 128;
/// Fewest different characters a password must have ("aaaaaaaaa1" has two).
pub const PASSWORD_MIN_DISTINCT: usize = 4;

/// Common passwords refused whatever the other rules say: the international favourites with the
/// usual endings (`password12`, `1234567890`, `aaaaaaaaa1`) and Vietnamese ones (`matkhau123`,
/// `anhyeuem123`, `chihuy2026`). One a line, lower case; compared case-insensitively after
/// trimming. Entries shorter than [`PASSWORD_MIN_CHARS`] are left out (the length rule refuses
/// them already).
const COMMON_PASSWORDS: &str = include_str!("auth_common_passwords.txt");

/// Whether `password` (trimmed, any case) is one of the bundled common passwords.
pub fn is_common_password(password: &str) -> bool {
    let p = password.trim().to_lowercase();
    COMMON_PASSWORDS.lines().any(|l| l == p)
}

/// The rules a new password of a locally managed account must meet (its owner's `username` is
/// given so that the two cannot be the same): 10 to 128 characters, no space at either end, at
/// least four different characters, letters together with digits or symbols, not a common
/// password, not the username.
pub fn check_new_password(password: &str, username: &str) -> Result<(), &'static str> {
    if password.trim().is_empty() {
        return Err("Mật khẩu không được để trống hoặc chỉ có dấu cách.");
    }
    if password.trim() != password {
        return Err("Mật khẩu không được bắt đầu hoặc kết thúc bằng dấu cách.");
    }
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Err("Mật khẩu phải có ít nhất 10 ký tự.");
    }
    if chars > PASSWORD_MAX_CHARS {
        return Err("Mật khẩu dài quá 128 ký tự.");
    }
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < PASSWORD_MIN_DISTINCT {
        return Err("Mật khẩu lặp lại quá ít ký tự khác nhau: cần ít nhất 4 ký tự khác nhau.");
    }
    let has_letter = password.chars().any(|c| c.is_alphabetic());
    let has_other = password.chars().any(|c| !c.is_alphabetic() && !c.is_whitespace());
    if !(has_letter && has_other) {
        return Err("Mật khẩu phải có cả chữ và chữ số hoặc ký hiệu.");
    }
    if is_common_password(password) {
        return Err("Mật khẩu này quá phổ biến, dễ bị đoán: hãy chọn mật khẩu khác.");
    }
    let user = username.trim().to_lowercase();
    if !user.is_empty() && password.trim().to_lowercase() == user {
        return Err("Mật khẩu không được trùng tên đăng nhập.");
    }
    Ok(())
}

/// What an API token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenScope {
    /// Only reads (`GET`); any other request is refused.
    ReadOnly,
    /// Reads and writes, as far as the owner's role allows.
    ReadWrite,
}

/// Lifetime of a new API token when none is chosen, in days.
pub const TOKEN_DAYS_DEFAULT: i64 = 90;
/// Longest lifetime of an API token, in days.
pub const TOKEN_DAYS_MAX: i64 = 365;

impl TokenScope {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::ReadOnly => "read_only",
            TokenScope::ReadWrite => "read_write",
        }
    }

    pub fn parse(s: &str) -> Result<TokenScope, &'static str> {
        match s.trim() {
            "read_only" => Ok(TokenScope::ReadOnly),
            "read_write" => Ok(TokenScope::ReadWrite),
            _ => Err("Phạm vi của mã truy cập phải là \"chỉ đọc\" (read_only) hoặc \"đọc và ghi\" (read_write)."),
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            TokenScope::ReadOnly => "Chỉ đọc",
            TokenScope::ReadWrite => "Đọc và ghi",
        }
    }
}

/// Checks a token lifetime in days: 1 to [`TOKEN_DAYS_MAX`].
pub fn check_token_days(days: i64) -> Result<i64, &'static str> {
    if (1..=TOKEN_DAYS_MAX).contains(&days) {
        Ok(days)
    } else {
        Err("Thời hạn của mã truy cập phải từ 1 đến 365 ngày.")
    }
}

/// Usernames: 3–40 characters of a–z, 0–9, '.', '_' or '-'.
pub fn check_username(username: &str) -> Result<(), &'static str> {
    let ok_len = (3..=40).contains(&username.len());
    let ok_chars = username
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if ok_len && ok_chars {
        Ok(())
    } else {
        Err("Tên đăng nhập gồm 3–40 ký tự: chữ thường không dấu, chữ số, dấu chấm, gạch dưới hoặc gạch ngang.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_matrix() {
        assert!(Role::Admin.allows(Permission::ManageUsers));
        assert!(Role::Commander.allows(Permission::Write));
        assert!(!Role::Commander.allows(Permission::ManageUsers));
        assert!(!Role::Commander.allows(Permission::ReadAudit));
        assert!(Role::Leader.allows(Permission::Read));
        assert!(!Role::Leader.allows(Permission::Write));
        assert!(Role::Inspector.allows(Permission::ReadAudit));
        assert!(!Role::Inspector.allows(Permission::Write));
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
        }
        assert!(Role::parse("root").is_err());
    }

    #[test]
    fn password_and_username_rules() {
        assert!(check_new_password("short1", "chihuy").is_err());
        assert!(check_new_password("onlyletterslong", "chihuy").is_err());
        assert!(check_new_password("mat-khau-2026", "chihuy").is_ok());
        assert!(check_username("ab").is_err());
        assert!(check_username("Admin").is_err());
        assert!(check_username("chi.huy_xa-1").is_ok());
    }

    #[test]
    fn weak_passwords_are_refused() {
        let refused = |p: &str| check_new_password(p, "chihuy.xa").unwrap_err();
        // The ones that passed before: two different characters, a common one, spaces.
        assert!(refused("aaaaaaaaa1").contains("4 ký tự khác nhau"));
        assert!(refused("password12").contains("phổ biến"));
        assert!(refused("PassWord12").contains("phổ biến"), "any case");
        assert!(refused("1234567890").contains("chữ"));
        assert!(refused("matkhau123").contains("phổ biến"));
        assert!(refused("Matkhau@2026").contains("phổ biến"));
        assert!(refused("anhyeuem123").contains("phổ biến"));
        assert!(refused("          ").contains("dấu cách"));
        assert!(refused("").contains("để trống"));
        assert!(refused(" mat-khau-2026").contains("dấu cách"));
        assert!(refused("mat-khau-2026 ").contains("dấu cách"));
        assert!(refused("mat-khau-2026\t").contains("dấu cách"));
        assert!(refused("ababababab1").contains("4 ký tự khác nhau"));
        assert!(refused("0000000000").contains("4 ký tự khác nhau"));
        assert!(refused("short-1").contains("ít nhất 10"));
        assert!(refused(&"ab1-".repeat(33)).contains("128"));
        assert!(
            check_new_password(&"ab1-".repeat(32), "x").is_ok(),
            "128 characters pass"
        );
        // Not the username, whatever the case.
        assert!(check_new_password("chihuy.xa.2026", "chihuy.xa.2026")
            .unwrap_err()
            .contains("tên đăng nhập"));
        assert!(check_new_password("ChiHuy.Xa.2026", "chihuy.xa.2026").is_err());
        // Good ones pass, spaces inside included; Vietnamese letters count as letters.
        assert!(check_new_password("mat-khau-2026", "chihuy.xa").is_ok());
        assert!(check_new_password("bốn con mèo 42", "chihuy.xa").is_ok());
        assert!(check_new_password("phongthu-demo-2026", "chihuy.xa").is_ok());
    }

    #[test]
    fn the_common_list_is_sound() {
        let lines: Vec<&str> = COMMON_PASSWORDS.lines().collect();
        assert!(lines.len() >= 300, "{}", lines.len());
        for l in &lines {
            assert_eq!(*l, l.trim().to_lowercase(), "stored trimmed, lower case: {l:?}");
            assert!(
                l.chars().count() >= PASSWORD_MIN_CHARS,
                "{l:?} is refused by length already"
            );
        }
        for p in [
            "password12",
            "aaaaaaaaa1",
            "1234567890",
            "matkhau123",
            "quantri2026",
            "chihuy1234",
        ] {
            assert!(is_common_password(p), "{p}");
        }
        assert!(is_common_password("  MATKHAU123  "), "trimmed, any case");
        assert!(!is_common_password("mat-khau-2026"));
    }

    #[test]
    fn token_scopes_and_lifetimes() {
        for s in [TokenScope::ReadOnly, TokenScope::ReadWrite] {
            assert_eq!(TokenScope::parse(s.as_str()), Ok(s));
        }
        assert!(TokenScope::parse("admin").is_err());
        assert_eq!(check_token_days(TOKEN_DAYS_DEFAULT), Ok(90));
        assert_eq!(check_token_days(365), Ok(365));
        assert!(check_token_days(366).is_err());
        assert!(check_token_days(0).is_err());
        assert!(check_token_days(-5).is_err());
    }
}
