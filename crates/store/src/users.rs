//! Users, password hashing (argon2id), logins, sessions and API tokens.
//!
//! Failed logins are not counted here: the web layer throttles them per (account, address) with
//! growing delays, in memory (`phongthu_web::throttle`), so that nobody can lock a real user
//! out by typing wrong passwords for his name. A password is checked off the async workers (on
//! the blocking pool) and outside any transaction; only the short writes that follow (the
//! session, the audit entry) take the write lock.

use crate::db::Store;
use crate::error::StoreError;
use crate::scope::{begin_write_as, Actor, Scoped, SCOPE_UNITS};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use phongthu_domain::auth::{check_new_password, check_token_days, check_username, Permission, Role, TokenScope};
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::Row;
use std::sync::{Arc, Mutex};

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

/// An API token as its owner and the administrators see it (never the token itself).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ApiTokenInfo {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    pub name: String,
    pub scope: TokenScope,
    pub created_at: String,
    /// After this instant the token is refused.
    pub expires_at: String,
    /// Roughly when the token was last used (updated at most every [`LAST_USED_PRECISION_MINUTES`]).
    pub last_used_at: Option<String>,
    pub revoked: bool,
    pub revoked_at: Option<String>,
}

impl ApiTokenInfo {
    /// Neither revoked nor expired.
    pub fn live(&self) -> bool {
        !self.revoked && token_unexpired(Some(&self.expires_at))
    }
}

/// How stale a token's `last_used_at` may get before a use writes it again: a use is one read,
/// not one read and one write.
pub const LAST_USED_PRECISION_MINUTES: i64 = 10;

/// A token whose expiry is missing or unreadable counts as expired.
fn token_unexpired(expires_at: Option<&str>) -> bool {
    expires_at
        .and_then(crate::parse_time)
        .is_some_and(|e| e > time::OffsetDateTime::now_utc())
}

/// Hooks a test may set on a store: code run at a chosen point of the store's work.
#[derive(Default)]
pub(crate) struct Hooks {
    password_check: Mutex<Option<Arc<dyn Fn() + Send + Sync>>>,
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hooks")
    }
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

/// A real Argon2 hash of a password nobody has: an unknown username is checked against it so
/// that it costs the same time as a known one (usernames cannot be probed by timing).
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password(&random_token(24)).unwrap_or_default())
}

/// Hashes a new password on the blocking pool: Argon2 takes tens of milliseconds of CPU, which
/// must not stall an async worker (every request on it would wait).
async fn hash_password_blocking(password: &str) -> Result<String, StoreError> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| StoreError::Unavailable(format!("Không băm được mật khẩu: {e}.")))?
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

    /// Sets code to run whenever a password is checked against a stored hash (login, change of
    /// password), on the thread that checks it, before the check. For tests: the login's check
    /// must run with no transaction open (see `login_checks_the_password_outside_any_write`).
    #[doc(hidden)]
    pub fn set_password_check_hook(&self, hook: impl Fn() + Send + Sync + 'static) {
        *self.hooks.password_check.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(hook));
    }

    /// Checks a password against a stored hash on the blocking pool, holding no connection.
    async fn check_password(&self, password: &str, hash: String) -> Result<bool, StoreError> {
        let hook = self
            .hooks
            .password_check
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let password = password.to_string();
        tokio::task::spawn_blocking(move || {
            if let Some(hook) = hook {
                hook();
            }
            verify_password(&password, &hash)
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("Không kiểm tra được mật khẩu: {e}.")))
    }

    /// Checks a username and password and returns a new session. The password is checked on the
    /// blocking pool with no transaction open; the session and the audit entry are then written
    /// in one short transaction. An unknown name, a wrong password and a disabled account all
    /// answer the same sentence, after the same work, so that nobody learns which accounts
    /// exist. Failures are audited (for known accounts); they are not counted against the
    /// account (throttling is the web layer's, per account and address).
    pub async fn login(&self, username: &str, password: &str) -> Result<SessionInfo, StoreError> {
        let username = username.trim().to_lowercase();
        let found = self.user_by(UserKey::Username(&username)).await?;
        let hash = match &found {
            Some((_, hash, _, _)) => hash.clone(),
            None => decoy_hash().to_string(),
        };
        let ok = self.check_password(password, hash).await?;
        let Some((user, _, _, _)) = found else {
            return Err(StoreError::Unauthenticated(WRONG_LOGIN.into()));
        };
        let actor = actor_of(&user);
        if !ok || !user.active {
            let mut w = begin_write_as(self, &actor).await?;
            let reason = if ok { "disabled" } else { "wrong_password" };
            w.audit(
                "login_failed",
                "app_user",
                &user.id.to_string(),
                Some(user.unit_id),
                None,
                Some(&serde_json::json!({ "reason": reason })),
            )
            .await?;
            w.commit().await?;
            return Err(StoreError::Unauthenticated(WRONG_LOGIN.into()));
        }
        let now = time::OffsetDateTime::now_utc();
        let token = random_token(32);
        let csrf = random_token(24);
        let mut w = begin_write_as(self, &actor).await?;
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

    /// The actor behind an API token (`Authorization: Bearer ...`) and what the token may do;
    /// `None` when the token is unknown, revoked, expired or its owner disabled. A use is
    /// recorded in `last_used_at` when the recorded one is older than
    /// [`LAST_USED_PRECISION_MINUTES`].
    pub async fn api_token_actor(&self, token: &str) -> Result<Option<(Actor, TokenScope)>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, t.id AS token_id, t.scope, t.expires_at, t.last_used_at FROM api_token t              JOIN app_user u ON u.id = t.user_id JOIN org_unit o ON o.id = u.unit_id              WHERE t.token_hash = $1 AND t.revoked = 0"
        );
        let Some(row) = sqlx::query(&sql)
            .bind(token_hash(token))
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let user = user_row(&row);
        let expires: Option<String> = row.get("expires_at");
        if !user.active || !token_unexpired(expires.as_deref()) {
            return Ok(None);
        }
        // An unreadable scope gives the least power.
        let scope = TokenScope::parse(&row.get::<String, _>("scope")).unwrap_or(TokenScope::ReadOnly);
        let now = time::OffsetDateTime::now_utc();
        let last: Option<String> = row.get("last_used_at");
        let stale = last
            .as_deref()
            .and_then(crate::parse_time)
            .is_none_or(|t| now - t > time::Duration::minutes(LAST_USED_PRECISION_MINUTES));
        if stale {
            // Best effort: a busy database must not refuse a read for the sake of this note.
            if let Err(e) = sqlx::query("UPDATE api_token SET last_used_at = $1 WHERE id = $2")
                .bind(crate::time_text(now))
                .bind(row.get::<i64, _>("token_id"))
                .execute(&self.pool)
                .await
            {
                tracing::warn!("Không ghi được lần dùng gần nhất của mã truy cập API: {e}");
            }
        }
        Ok(Some((actor_of(&user), scope)))
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
                check_new_password(&p, &username).map_err(|m| StoreError::Invalid(m.into()))?;
                (p, None)
            }
            None => {
                let p = generate_password();
                (p.clone(), Some(p))
            }
        };
        let hash = hash_password_blocking(&password).await?;
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

    /// Gives a user in scope a new one-time password (returned once), ends all their sessions and
    /// revokes all their API tokens: whoever held the old password may have made them.
    pub async fn reset_password(&self, id: i64) -> Result<String, StoreError> {
        let user = self.user(id).await?;
        let password = generate_password();
        let hash = hash_password_blocking(&password).await?;
        let mut w = self.begin_write(Permission::ManageUsers).await?;
        sqlx::query(
            "UPDATE app_user SET password_hash = $1, must_change_password = 1, failed_logins = 0, locked_until = NULL WHERE id = $2",
        )
        .bind(hash)
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
        let sessions = sqlx::query("DELETE FROM app_session WHERE user_id = $1")
            .bind(id)
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        let tokens = revoke_tokens_in(&mut w, id, user.unit_id, None, "reset_password").await?;
        w.audit(
            "reset_password",
            "app_user",
            &id.to_string(),
            Some(user.unit_id),
            None,
            Some(&serde_json::json!({"sessions_ended": sessions, "tokens_revoked": tokens})),
        )
        .await?;
        w.commit().await?;
        Ok(password)
    }

    /// The actor changes their own password (any role). The current password is checked first
    /// (a wrong one is `Unauthenticated`, for the caller to throttle); the new one must meet
    /// [`check_new_password`]. All the actor's API tokens are revoked and all their sessions
    /// ended except `keep_session` (the session cookie of the browser that made the change).
    pub async fn change_own_password(
        &self,
        current: &str,
        new: &str,
        keep_session: Option<&str>,
    ) -> Result<(), StoreError> {
        let Some(uid) = self.actor.user_id else {
            return Err(StoreError::Invalid(
                "Chỉ người dùng đăng nhập mới đổi được mật khẩu.".into(),
            ));
        };
        let (_, hash, _, _) = self
            .store
            .user_by(UserKey::Id(uid))
            .await?
            .ok_or_else(|| StoreError::NotFound("Không tìm thấy người dùng.".into()))?;
        if !self.store.check_password(current, hash).await? {
            return Err(StoreError::Unauthenticated("Mật khẩu hiện tại không đúng.".into()));
        }
        check_new_password(new, &self.actor.username).map_err(|m| StoreError::Invalid(m.into()))?;
        if new == current {
            return Err(StoreError::Invalid("Mật khẩu mới phải khác mật khẩu hiện tại.".into()));
        }
        let new_hash = hash_password_blocking(new).await?;
        let mut w = begin_write_as(self.store, &self.actor).await?;
        sqlx::query("UPDATE app_user SET password_hash = $1, must_change_password = 0 WHERE id = $2")
            .bind(new_hash)
            .bind(uid)
            .execute(&mut *w.tx)
            .await?;
        let sessions = sqlx::query("DELETE FROM app_session WHERE user_id = $1 AND token_hash <> $2")
            .bind(uid)
            .bind(keep_session.map(token_hash).unwrap_or_default())
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        let tokens = revoke_tokens_in(&mut w, uid, self.actor.unit_id, None, "change_password").await?;
        w.audit(
            "change_password",
            "app_user",
            &uid.to_string(),
            Some(self.actor.unit_id),
            None,
            Some(&serde_json::json!({"sessions_ended": sessions, "tokens_revoked": tokens})),
        )
        .await?;
        w.commit().await
    }

    /// Creates an API token for the actor, with a scope and a lifetime of `days` (1 to 365); the
    /// token is returned once (only its hash is kept).
    pub async fn create_api_token(&self, name: &str, scope: TokenScope, days: i64) -> Result<String, StoreError> {
        let Some(uid) = self.actor.user_id else {
            return Err(StoreError::Invalid(
                "Mã truy cập API phải gắn với một người dùng.".into(),
            ));
        };
        let name = name.trim();
        if name.is_empty() {
            return Err(StoreError::Invalid("Hãy đặt tên cho mã truy cập API.".into()));
        }
        if name.chars().count() > 100 {
            return Err(StoreError::Invalid("Tên mã truy cập API dài quá 100 ký tự.".into()));
        }
        let days = check_token_days(days).map_err(|m| StoreError::Invalid(m.into()))?;
        let now = time::OffsetDateTime::now_utc();
        let expires = crate::time_text(now + time::Duration::days(days));
        let token = format!("pt_{}", random_token(32));
        let mut w = begin_write_as(self.store, &self.actor).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO api_token (user_id, name, token_hash, created_at, expires_at, scope)              VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(uid)
        .bind(name)
        .bind(token_hash(&token))
        .bind(crate::time_text(now))
        .bind(&expires)
        .bind(scope.as_str())
        .fetch_one(&mut *w.tx)
        .await?
        .get(0);
        w.audit(
            "create",
            "api_token",
            &id.to_string(),
            Some(self.actor.unit_id),
            None,
            Some(&serde_json::json!({"name": name, "scope": scope.as_str(), "expires_at": expires})),
        )
        .await?;
        w.commit().await?;
        Ok(token)
    }

    /// May the actor see and revoke the tokens of `user_id`: their own, or (administrators) those
    /// of a user in scope. Another user's tokens are "not found" to a non-administrator.
    async fn token_owner(&self, user_id: i64) -> Result<User, StoreError> {
        if Some(user_id) != self.actor.user_id {
            self.require(Permission::ManageUsers)
                .map_err(|_| StoreError::NotFound("Không tìm thấy mã truy cập API.".into()))?;
        }
        let sql = format!("SELECT {USER_COLUMNS} FROM app_user u JOIN org_unit o ON o.id = u.unit_id WHERE u.id = $1");
        let user = sqlx::query(&sql)
            .bind(user_id)
            .fetch_optional(&self.store.pool)
            .await?
            .map(|r| user_row(&r))
            .ok_or_else(|| StoreError::NotFound("Không tìm thấy người dùng.".into()))?;
        if Some(user_id) != self.actor.user_id {
            self.ensure_unit_in_scope(user.unit_id).await?;
        }
        Ok(user)
    }

    /// The API tokens of a user (the actor's own, or any user in an administrator's scope),
    /// newest first, revoked and expired ones included.
    pub async fn api_tokens(&self, user_id: i64) -> Result<Vec<ApiTokenInfo>, StoreError> {
        self.token_owner(user_id).await?;
        let rows = sqlx::query(&format!("{TOKEN_SELECT} WHERE t.user_id = $1 ORDER BY t.id DESC"))
            .bind(user_id)
            .fetch_all(&self.store.pool)
            .await?;
        Ok(rows.iter().map(token_row).collect())
    }

    /// One API token, if the actor may see it.
    pub async fn api_token(&self, id: i64) -> Result<ApiTokenInfo, StoreError> {
        let t = sqlx::query(&format!("{TOKEN_SELECT} WHERE t.id = $1"))
            .bind(id)
            .fetch_optional(&self.store.pool)
            .await?
            .map(|r| token_row(&r))
            .ok_or_else(|| StoreError::NotFound("Không tìm thấy mã truy cập API.".into()))?;
        self.token_owner(t.user_id).await?;
        Ok(t)
    }

    /// Revokes one API token (the actor's own, or a user's in an administrator's scope); audited.
    /// Returns false when it was revoked already (nothing written).
    pub async fn revoke_api_token(&self, id: i64) -> Result<bool, StoreError> {
        let t = self.api_token(id).await?;
        if t.revoked {
            return Ok(false);
        }
        let owner = self.token_owner(t.user_id).await?;
        let mut w = begin_write_as(self.store, &self.actor).await?;
        let n = revoke_tokens_in(&mut w, owner.id, owner.unit_id, Some(id), "revoked").await?;
        w.commit().await?;
        Ok(n > 0)
    }

    /// Revokes every live API token of a user (the actor's own, or a user's in an
    /// administrator's scope); each revocation is audited. Returns how many were revoked.
    pub async fn revoke_all_api_tokens(&self, user_id: i64) -> Result<u64, StoreError> {
        let owner = self.token_owner(user_id).await?;
        let mut w = begin_write_as(self.store, &self.actor).await?;
        let n = revoke_tokens_in(&mut w, owner.id, owner.unit_id, None, "revoked").await?;
        w.commit().await?;
        Ok(n)
    }
}

const TOKEN_SELECT: &str = "SELECT t.id, t.user_id, u.username, t.name, t.scope, t.created_at, t.expires_at, \
     t.last_used_at, t.revoked, t.revoked_at FROM api_token t JOIN app_user u ON u.id = t.user_id";

fn token_row(r: &AnyRow) -> ApiTokenInfo {
    ApiTokenInfo {
        id: r.get("id"),
        user_id: r.get("user_id"),
        username: r.get("username"),
        name: r.get("name"),
        scope: TokenScope::parse(&r.get::<String, _>("scope")).unwrap_or(TokenScope::ReadOnly),
        created_at: r.get("created_at"),
        expires_at: r.get::<Option<String>, _>("expires_at").unwrap_or_default(),
        last_used_at: r.get("last_used_at"),
        revoked: r.get::<i64, _>("revoked") != 0,
        revoked_at: r.get("revoked_at"),
    }
}

/// Revokes the live tokens of `user_id` (only token `only`, when given) in the transaction `w`,
/// with one audit entry per token saying why. Returns how many were revoked.
async fn revoke_tokens_in(
    w: &mut crate::scope::WriteTx<'_>,
    user_id: i64,
    unit_id: i64,
    only: Option<i64>,
    reason: &str,
) -> Result<u64, StoreError> {
    let ids: Vec<i64> =
        sqlx::query("SELECT id FROM api_token WHERE user_id = $1 AND revoked = 0 AND ($2 = 0 OR id = $2) ORDER BY id")
            .bind(user_id)
            .bind(only.unwrap_or(0))
            .fetch_all(&mut *w.tx)
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
    let now = crate::now_text();
    for id in &ids {
        sqlx::query("UPDATE api_token SET revoked = 1, revoked_at = $1 WHERE id = $2")
            .bind(&now)
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        w.audit(
            "revoke",
            "api_token",
            &id.to_string(),
            Some(unit_id),
            Some(&serde_json::json!({"revoked": false})),
            Some(&serde_json::json!({"revoked": true, "reason": reason})),
        )
        .await?;
    }
    Ok(ids.len() as u64)
}
