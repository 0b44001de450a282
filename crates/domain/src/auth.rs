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

/// Minimum password rules for locally managed accounts.
pub fn check_password_strength(password: &str) -> Result<(), &'static str> {
    if password.chars().count() < 10 {
        return Err("Mật khẩu phải có ít nhất 10 ký tự.");
    }
    let has_letter = password.chars().any(|c| c.is_alphabetic());
    let has_other = password.chars().any(|c| !c.is_alphabetic());
    if !(has_letter && has_other) {
        return Err("Mật khẩu phải có cả chữ và chữ số hoặc ký hiệu.");
    }
    Ok(())
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
        assert!(check_password_strength("short1").is_err());
        assert!(check_password_strength("onlyletterslong").is_err());
        assert!(check_password_strength("mat-khau-2026").is_ok());
        assert!(check_username("ab").is_err());
        assert!(check_username("Admin").is_err());
        assert!(check_username("chi.huy_xa-1").is_ok());
    }
}
