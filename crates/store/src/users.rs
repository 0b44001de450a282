//! Users, password hashing (argon2id), login throttling, sessions and API tokens.

use crate::db::Store;
use crate::error::StoreError;
use crate::scope::{begin_write_as, Actor, Scoped, SCOPE_UNITS};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use phongthu_domain::auth::{check_password_strength, check_username, Permission, Role};
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::Row;

/// Failed logins before an account is locked for [`LOCK_MINUTES`].
pub const MAX_FAILED_LOGINS: i64 = 5;
pub const LOCK_MINUTES: i64 = 15;
/// How long a browser session lasts.
pub const SESSION_HOURS: i64 = 12;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub unit_id: i64,
    pub unit_name: String,
    pub active: bool,
    pub must_change_password: bool,
    pub created_at: String,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub unit_id: i64,
    /// None: generate a one-time password (returned once, must be changed at first login).
    pub password: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub token: String,
    pub csrf_token: String,
    pub actor: Actor,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApiTokenInfo {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub revoked: bool,
}

pub(crate) fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

#[derive(Clone, Copy)]
enum UserKey<'a> {
    Id(i64),
    Username(&'a str),
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A readable one-time password: four groups of four letters and digits.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::thread_rng();
    let mut out = String::new();
    for g in 0..4 {
        if g > 0 {
            out.push('-');
        }
        for _ in 0..4 {
            out.push(ALPHABET[(rng.next_u32() as usize) % ALPHABET.len()] as char);
        }
    }
    out
}

pub fn hash_password(password: &str) -> Result<String, StoreError> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Invalid(format!("Không băm được mật khẩu: {e}.")))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

const USER_COLUMNS: &str = "u.id, u.username, u.display_name, u.role, u.unit_id, o.name AS unit_name, \
     u.active, u.must_change_password, u.created_at";

fn user_row(r: &AnyRow) -> User {
    User {
        id: r.get("id"),
        username: r.get("username"),
        display_name: r.get("display_name"),
        role: Role::parse(&r.get::<String, _>("role")).unwrap_or(Role::Leader),
        unit_id: r.get("unit_id"),
        unit_name: r.get("unit_name"),
        active: r.get::<i64, _>("active") != 0,
        must_change_password: r.get::<i64, _>("must_change_password") != 0,
        created_at: r.get("created_at"),
    }
}

fn actor_of(u: &User) -> Actor {
    Actor {
        user_id: Some(u.id),
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        role: u.role,
        unit_id: u.unit_id,
        unit_name: u.unit_name.clone(),
        must_change_password: u.must_change_password,
    }
}

const WRONG_LOGIN: &str = "Tên đăng nhập hoặc mật khẩu không đúng.";

impl Store {
    async fn user_by(&self, key: UserKey<'_>) -> Result<Option<(User, String, i64, Option<String>)>, StoreError> {
        let column = match key {
            UserKey::Id(_) => "id",
            UserKey::Username(_) => "username",
        };
        let sql = format!(
            "SELECT {USER_COLUMNS}, u.password_hash, u.failed_logins, u.locked_until \
             FROM app_user u JOIN org_unit o ON o.id = u.unit_id WHERE u.{column} = $1"
        );
        // Bind with the column's own type: PostgreSQL does not compare BIGINT with TEXT.
        let q = sqlx::query(&sql);
        let q = match key {
            UserKey::Id(id) => q.bind(id),
            UserKey::Username(name) => q.bind(name.to_string()),
        };
        let row = q.fetch_optional(&self.pool).await?;
        Ok(row.map(|r| {
            (
                user_row(&r),
                r.get("password_hash"),
                r.get("failed_logins"),
                r.get("locked_until"),
            )
        }))
    }

    /// Checks a username and password; counts failures and locks the account for a while after
    /// too many. Returns a new session on success. Login attempts are audited.
    pub async fn login(&self, username: &str, password: &str) -> Result<SessionInfo, StoreError> {
        let username = username.trim().to_lowercase();
        let Some((user, hash, failed, locked_until)) = self.user_by(UserKey::Username(&username)).await? else {
            // Spend the same time as a real check so that usernames cannot be probed by timing.
            let _ = verify_password(
                password,
                "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$ZGVtb2RlbW9kZW1vZGVtb2RlbW9kZW1vZGVtb2RlbW8",
            );
            return Err(StoreError::Unauthenticated(WRONG_LOGIN.into()));
        };
        let now = time::OffsetDateTime::now_utc();
        if let Some(until) = locked_until.as_deref().and_then(crate::parse_time) {
            if until > now {
                let mins = ((until - now).whole_seconds() + 59) / 60;
                return Err(StoreError::Unauthenticated(format!(
                    "Tài khoản tạm khóa do đăng nhập sai nhiều lần; thử lại sau {mins} phút."
                )));
            }
        }
        if !user.active {
            return Err(StoreError::Unauthenticated("Tài khoản đã bị vô hiệu hóa.".into()));
        }
        let actor = actor_of(&user);
        let mut w = begin_write_as(self, &actor).await?;
        if !verify_password(password, &hash) {
            let failed = failed + 1;
            let lock =
                (failed >= MAX_FAILED_LOGINS).then(|| crate::time_text(now + time::Duration::minutes(LOCK_MINUTES)));
            sqlx::query("UPDATE app_user SET failed_logins = $1, locked_until = $2 WHERE id = $3")
                .bind(if lock.is_some() { 0 } else { failed })
                .bind(lock.clone())
                .bind(user.id)
                .execute(&mut *w.tx)
                .await?;
            let detail = serde_json::json!({"failed_logins": failed, "locked": lock.is_some()});
            w.audit(
                "login_failed",
                "app_user",
                &user.id.to_string(),
                Some(user.unit_id),
                None,
                Some(&detail),
            )
            .await?;
            w.commit().await?;
            return Err(StoreError::Unauthenticated(WRONG_LOGIN.into()));
        }
        sqlx::query("UPDATE app_user SET failed_logins = 0, locked_until = NULL WHERE id = $1")
            .bind(user.id)
            .execute(&mut *w.tx)
            .await?;
        let token = random_token(32);
        let csrf = random_token(24);
        sqlx::query(
            "INSERT INTO app_session (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash(&token))
        .bind(user.id)
        .bind(&csrf)
        .bind(crate::time_text(now))
        .bind(crate::time_text(now + time::Duration::hours(SESSION_HOURS)))
        .execute(&mut *w.tx)
        .await?;
        w.audit(
            "login",
            "app_user",
            &user.id.to_string(),
            Some(user.unit_id),
            None,
            None,
        )
        .await?;
        w.commit().await?;
        Ok(SessionInfo {
            token,
            csrf_token: csrf,
            actor,
        })
    }

    /// The actor behind a session cookie, if the session exists, has not expired and the user is
    /// still active; plus the session's CSRF token.
    pub async fn session(&self, token: &str) -> Result<Option<(Actor, String)>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, s.csrf_token, s.expires_at FROM app_session s \
             JOIN app_user u ON u.id = s.user_id JOIN org_unit o ON o.id = u.unit_id WHERE s.token_hash = $1"
        );
        let Some(r) = sqlx::query(&sql)
            .bind(token_hash(token))
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let expires: String = r.get("expires_at");
        let user = user_row(&r);
        let live = crate::parse_time(&expires).is_some_and(|e| e > time::OffsetDateTime::now_utc());
        if !live || !user.active {
            return Ok(None);
        }
        Ok(Some((actor_of(&user), r.get("csrf_token"))))
    }

    pub async fn logout(&self, token: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM app_session WHERE token_hash = $1")
            .bind(token_hash(token))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The actor behind an API token (`Authorization: Bearer ...`).
    pub async fn api_token_actor(&self, token: &str) -> Result<Option<Actor>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM api_token t JOIN app_user u ON u.id = t.user_id \
             JOIN org_unit o ON o.id = u.unit_id WHERE t.token_hash = $1 AND t.revoked = 0"
        );
        let row = sqlx::query(&sql)
            .bind(token_hash(token))
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| user_row(&r)).filter(|u| u.active).map(|u| actor_of(&u)))
    }

    /// Looks a user up by username (for the command line).
    pub async fn user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        Ok(self.user_by(UserKey::Username(username)).await?.map(|t| t.0))
    }

    pub async fn user_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT count(*) FROM app_user")
            .fetch_one(&self.pool)
            .await?
            .get(0))
    }
}

impl Scoped<'_> {
    /// Users of units in scope (admins only), sorted by unit then name.
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        self.require(Permission::ManageUsers)?;
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM app_user u JOIN org_unit o ON o.id = u.unit_id \
             WHERE u.unit_id IN ({SCOPE_UNITS}) ORDER BY o.sort_key, u.username"
        );
        let rows = sqlx::query(&sql)
            .bind(self.actor.unit_id)
            .fetch_all(&self.store.pool)
            .await?;
        Ok(rows.iter().map(user_row).collect())
    }

    pub async fn user(&self, id: i64) -> Result<User, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM app_user u JOIN org_unit o ON o.id = u.unit_id WHERE u.id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(&self.store.pool).await?;
        let user = row
            .map(|r| user_row(&r))
            .ok_or_else(|| StoreError::NotFound("Không tìm thấy người dùng.".into()))?;
        self.ensure_unit_in_scope(user.unit_id).await?;
        Ok(user)
    }

    /// Creates a user in a unit of the actor's scope. Returns the user and, when no password was
    /// given, the one-time password to hand over (shown once, never stored in clear).
    pub async fn create_user(&self, new: NewUser) -> Result<(User, Option<String>), StoreError> {
        self.require(Permission::ManageUsers)?;
        let username = new.username.trim().to_lowercase();
        check_username(&username).map_err(|m| StoreError::Invalid(m.into()))?;
        let display = new.display_name.trim();
        if display.is_empty() {
            return Err(StoreError::Invalid("Họ và tên người dùng không được để trống.".into()));
        }
        self.ensure_unit_in_scope(new.unit_id).await?;
        let (password, one_time) = match new.password {
            Some(p) => {
                check_password_strength(&p).map_err(|m| StoreError::Invalid(m.into()))?;
                (p, None)
            }
            None => {
                let p = generate_password();
                (p.clone(), Some(p))
            }
        };
        let hash = hash_password(&password)?;
        let mut w = self.begin_write(Permission::ManageUsers).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO app_user (username, display_name, password_hash, role, unit_id, must_change_password, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(&username)
        .bind(phongthu_domain::text::normalize(display))
        .bind(hash)
        .bind(new.role.as_str())
        .bind(new.unit_id)
        .bind(one_time.is_some() as i64)
        .bind(crate::now_text())
        .fetch_one(&mut *w.tx)
        .await
        .map_err(|e| StoreError::unique_or(e, format!("Tên đăng nhập \"{username}\" đã có người dùng.")))?
        .get(0);
        let after = serde_json::json!({"username": username, "display_name": display, "role": new.role.as_str(), "unit_id": new.unit_id});
        w.audit(
            "create",
            "app_user",
            &id.to_string(),
            Some(new.unit_id),
            None,
            Some(&after),
        )
        .await?;
        w.commit().await?;
        Ok((self.user(id).await?, one_time))
    }

    /// Enables or disables a user in scope; disabling also ends their sessions.
    pub async fn set_user_active(&self, id: i64, active: bool) -> Result<User, StoreError> {
        let before = self.user(id).await?;
        if Some(id) == self.actor.user_id && !active {
            return Err(StoreError::Invalid(
                "Không thể tự vô hiệu hóa tài khoản của mình.".into(),
            ));
        }
        let mut w = self.begin_write(Permission::ManageUsers).await?;
        sqlx::query("UPDATE app_user SET active = $1 WHERE id = $2")
            .bind(active as i64)
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        if !active {
            sqlx::query("DELETE FROM app_session WHERE user_id = $1")
                .bind(id)
                .execute(&mut *w.tx)
                .await?;
        }
        w.audit(
            if active { "enable" } else { "disable" },
            "app_user",
            &id.to_string(),
            Some(before.unit_id),
            Some(&serde_json::json!({"active": before.active})),
            Some(&serde_json::json!({"active": active})),
        )
        .await?;
        w.commit().await?;
        self.user(id).await
    }

    /// Gives a user in scope a new one-time password (returned once) and ends their sessions.
    pub async fn reset_password(&self, id: i64) -> Result<String, StoreError> {
        let user = self.user(id).await?;
        let password = generate_password();
        let hash = hash_password(&password)?;
        let mut w = self.begin_write(Permission::ManageUsers).await?;
        sqlx::query(
            "UPDATE app_user SET password_hash = $1, must_change_password = 1, failed_logins = 0, locked_until = NULL WHERE id = $2",
        )
        .bind(hash)
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
        sqlx::query("DELETE FROM app_session WHERE user_id = $1")
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        w.audit(
            "reset_password",
            "app_user",
            &id.to_string(),
            Some(user.unit_id),
            None,
            None,
        )
        .await?;
        w.commit().await?;
        Ok(password)
    }

    /// The actor changes their own password (any role).
    pub async fn change_own_password(&self, current: &str, new: &str) -> Result<(), StoreError> {
        let Some(uid) = self.actor.user_id else {
            return Err(StoreError::Invalid(
                "Chỉ người dùng đăng nhập mới đổi được mật khẩu.".into(),
            ));
        };
        let (_, hash, _, _) = self
            .store
            .user_by(UserKey::Id(uid))
            .await
            .ok()
            .flatten()
            .ok_or_else(|| StoreError::NotFound("Không tìm thấy người dùng.".into()))?;
        if !verify_password(current, &hash) {
            return Err(StoreError::Invalid("Mật khẩu hiện tại không đúng.".into()));
        }
        check_password_strength(new).map_err(|m| StoreError::Invalid(m.into()))?;
        if new == current {
            return Err(StoreError::Invalid("Mật khẩu mới phải khác mật khẩu hiện tại.".into()));
        }
        let new_hash = hash_password(new)?;
        let mut w = begin_write_as(self.store, &self.actor).await?;
        sqlx::query("UPDATE app_user SET password_hash = $1, must_change_password = 0 WHERE id = $2")
            .bind(new_hash)
            .bind(uid)
            .execute(&mut *w.tx)
            .await?;
        w.audit(
            "change_password",
            "app_user",
            &uid.to_string(),
            Some(self.actor.unit_id),
            None,
            None,
        )
        .await?;
        w.commit().await
    }

    /// Creates an API token for the actor; the token is returned once.
    pub async fn create_api_token(&self, name: &str) -> Result<String, StoreError> {
        let Some(uid) = self.actor.user_id else {
            return Err(StoreError::Invalid(
                "Mã truy cập API phải gắn với một người dùng.".into(),
            ));
        };
        let name = name.trim();
        if name.is_empty() {
            return Err(StoreError::Invalid("Hãy đặt tên cho mã truy cập API.".into()));
        }
        let token = format!("pt_{}", random_token(32));
        let mut w = begin_write_as(self.store, &self.actor).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO api_token (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(uid)
        .bind(name)
        .bind(token_hash(&token))
        .bind(crate::now_text())
        .fetch_one(&mut *w.tx)
        .await?
        .get(0);
        w.audit(
            "create",
            "api_token",
            &id.to_string(),
            Some(self.actor.unit_id),
            None,
            Some(&serde_json::json!({"name": name})),
        )
        .await?;
        w.commit().await?;
        Ok(token)
    }
}
