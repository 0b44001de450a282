//! Logins, passwords and API tokens in the store: no account lock, one answer for every refused
//! login, the password checked outside any write, tokens with an expiry and a scope, revoked one
//! by one or all at once, and on a change or reset of the password.

use phongthu_domain::auth::{Role, TokenScope};
use phongthu_store::testing::TestDb;
use phongthu_store::{AuditFilter, NewUser, Store, StoreError, DEMO_PASSWORD};
use std::sync::{mpsc, Mutex};
use std::time::Duration;

async fn actor(store: &Store, username: &str) -> phongthu_store::Actor {
    store.login(username, DEMO_PASSWORD).await.unwrap().actor
}

async fn text(db: &TestDb, sql: &str) -> Option<String> {
    sqlx::any::install_default_drivers();
    let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(&db.url)
        .await
        .unwrap();
    use sqlx::Row;
    sqlx::query(sql).fetch_one(&mut c).await.unwrap().get(0)
}

/// Actions of the audit log on an entity, oldest first.
async fn audited(store: &Store, entity: &str) -> Vec<(String, String, Option<String>)> {
    let sys = store.system_actor().await.unwrap();
    let mut v: Vec<_> = store
        .scoped(&sys)
        .audit_entries(&AuditFilter {
            entity: Some(entity.into()),
            limit: 1000,
            ..AuditFilter::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.entity_id, e.after))
        .collect();
    v.reverse();
    v
}

#[tokio::test]
async fn wrong_passwords_lock_nobody_and_every_refusal_reads_the_same() {
    let db = TestDb::new().await;
    db.store.seed_demo().await.unwrap();
    let refusal = |r: Result<phongthu_store::SessionInfo, StoreError>| match r {
        Err(StoreError::Unauthenticated(m)) => m,
        Err(e) => panic!("not a refused login: {e}"),
        Ok(_) => panic!("logged in"),
    };
    // Twelve wrong passwords (the old rule locked the account after five).
    let wrong = refusal(db.store.login("chihuy", "sai-mat-khau").await);
    for _ in 0..11 {
        assert_eq!(refusal(db.store.login("chihuy", "sai-mat-khau").await), wrong);
    }
    let s = db
        .store
        .login("chihuy", DEMO_PASSWORD)
        .await
        .expect("the real user still logs in");
    assert_eq!(s.actor.username, "chihuy");
    // An unknown name and a disabled account (with its right password) answer the same.
    assert_eq!(refusal(db.store.login("khong-co-ai", "sai-mat-khau").await), wrong);
    let admin = actor(&db.store, "quantri").await;
    let lanhdao = db.store.user_by_username("lanhdao").await.unwrap().unwrap();
    db.store
        .scoped(&admin)
        .set_user_active(lanhdao.id, false)
        .await
        .unwrap();
    assert_eq!(refusal(db.store.login("lanhdao", DEMO_PASSWORD).await), wrong);
    assert!(!wrong.contains("khóa") && !wrong.contains("vô hiệu"), "{wrong}");
    // The failures are audited, with what happened.
    let log = audited(&db.store, "app_user").await;
    let failed: Vec<_> = log.iter().filter(|(a, _, _)| a == "login_failed").collect();
    assert_eq!(failed.len(), 13, "{log:?}");
    assert!(failed.last().unwrap().2.as_deref().unwrap().contains("disabled"));
}

/// The login's password check runs with no transaction open: while it is under way (held by the
/// test's hook), another write goes through. Before, Argon2 ran inside the login's write
/// transaction, so this write waited for the whole check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_checks_the_password_outside_any_write() {
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await.unwrap();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let go_rx = Mutex::new(go_rx);
    let started_tx = Mutex::new(started_tx);
    db.store.set_password_check_hook(move || {
        let _ = started_tx.lock().unwrap().send(());
        let _ = go_rx.lock().unwrap().recv_timeout(Duration::from_secs(60));
    });
    let store = db.store.clone();
    let login = tokio::spawn(async move { store.login("chihuy", DEMO_PASSWORD).await });
    tokio::task::spawn_blocking(move || started_rx.recv_timeout(Duration::from_secs(60)))
        .await
        .unwrap()
        .expect("the login checks the password");
    // The check is under way and held: a write of someone else must not wait for it.
    let sys = db.store.system_actor().await.unwrap();
    let write = tokio::time::timeout(
        Duration::from_secs(20),
        db.store.scoped(&sys).create_user(NewUser {
            username: "viet.trong.luc.dang.nhap".into(),
            display_name: "Người Ghi Song Song".into(),
            role: Role::Leader,
            unit_id: demo.province_command_id,
            password: Some("mat-khau-2026".into()),
        }),
    )
    .await;
    go_tx.send(()).unwrap();
    let write = write.expect("a write completes while a login checks its password");
    write.expect("the write succeeds");
    let session = login.await.unwrap().expect("the login then succeeds");
    assert_eq!(session.actor.username, "chihuy");
    assert!(db.store.session(&session.token).await.unwrap().is_some());
}

#[tokio::test]
async fn tokens_expire_have_a_scope_and_are_revoked() {
    let db = TestDb::new().await;
    db.store.seed_demo().await.unwrap();
    let chihuy = actor(&db.store, "chihuy").await;
    let me = db.store.scoped(&chihuy);
    let read = me.create_api_token("báo cáo", TokenScope::ReadOnly, 30).await.unwrap();
    let write = me
        .create_api_token("đồng bộ", TokenScope::ReadWrite, 365)
        .await
        .unwrap();
    let (a, scope) = db.store.api_token_actor(&read).await.unwrap().unwrap();
    assert_eq!((a.username.as_str(), scope), ("chihuy", TokenScope::ReadOnly));
    assert_eq!(
        db.store.api_token_actor(&write).await.unwrap().unwrap().1,
        TokenScope::ReadWrite
    );
    // Lifetimes: 1 to 365 days, 30 days ahead for the first.
    for days in [0, 366, -1] {
        let e = me.create_api_token("x", TokenScope::ReadOnly, days).await.unwrap_err();
        assert!(e.to_string().contains("365 ngày"), "{e}");
    }
    assert!(me.create_api_token("  ", TokenScope::ReadOnly, 30).await.is_err());
    let uid = chihuy.user_id.unwrap();
    let tokens = me.api_tokens(uid).await.unwrap();
    assert_eq!(tokens.len(), 2);
    let first = tokens.iter().find(|t| t.name == "báo cáo").unwrap().clone();
    let expires =
        time::OffsetDateTime::parse(&first.expires_at, &time::format_description::well_known::Rfc3339).unwrap();
    let days = (expires - time::OffsetDateTime::now_utc()).whole_hours() as f64 / 24.0;
    assert!((29.9..=30.0).contains(&days), "{days}");
    assert!(
        first.live() && first.last_used_at.is_some(),
        "its use was noted: {first:?}"
    );
    // An expired token is refused.
    db.execute(&format!(
        "UPDATE api_token SET expires_at = '2026-01-01T00:00:00Z' WHERE id = {}",
        first.id
    ))
    .await;
    assert!(db.store.api_token_actor(&read).await.unwrap().is_none());
    assert!(!me.api_token(first.id).await.unwrap().live());
    // Others' tokens: a non-administrator does not see them; the province admin revokes them.
    let lanhdao = actor(&db.store, "lanhdao").await;
    let theirs = db.store.scoped(&lanhdao);
    assert!(matches!(theirs.api_tokens(uid).await, Err(StoreError::NotFound(_))));
    let second = tokens.iter().find(|t| t.name == "đồng bộ").unwrap().id;
    assert!(matches!(
        theirs.revoke_api_token(second).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(db.store.api_token_actor(&write).await.unwrap().is_some());
    let admin = actor(&db.store, "quantri").await;
    assert!(db.store.scoped(&admin).revoke_api_token(second).await.unwrap());
    assert!(db.store.api_token_actor(&write).await.unwrap().is_none());
    assert!(!db.store.scoped(&admin).revoke_api_token(second).await.unwrap(), "once");
    // All at once, by the owner.
    let t3 = me.create_api_token("a", TokenScope::ReadOnly, 90).await.unwrap();
    let t4 = me.create_api_token("b", TokenScope::ReadWrite, 90).await.unwrap();
    assert_eq!(me.revoke_all_api_tokens(uid).await.unwrap(), 3, "the expired one too");
    assert!(db.store.api_token_actor(&t3).await.unwrap().is_none());
    assert!(db.store.api_token_actor(&t4).await.unwrap().is_none());
    // Every creation and revocation is in the audit log.
    let log = audited(&db.store, "api_token").await;
    let creates = log.iter().filter(|(a, _, _)| a == "create").count();
    let revokes = log.iter().filter(|(a, _, _)| a == "revoke").count();
    assert_eq!((creates, revokes), (4, 4), "{log:?}");
    assert!(log[0].2.as_deref().unwrap().contains("read_only"), "{log:?}");
    assert!(db.store.verify_audit().await.unwrap().broken.is_none());
}

#[tokio::test]
async fn a_new_password_ends_other_sessions_and_revokes_tokens() {
    let db = TestDb::new().await;
    db.store.seed_demo().await.unwrap();
    let here = db.store.login("chihuy", DEMO_PASSWORD).await.unwrap();
    let elsewhere = db.store.login("chihuy", DEMO_PASSWORD).await.unwrap();
    let other_user = db.store.login("lanhdao", DEMO_PASSWORD).await.unwrap();
    let me = db.store.scoped(&here.actor);
    let token = me.create_api_token("tự động", TokenScope::ReadWrite, 90).await.unwrap();
    let other_token = db
        .store
        .scoped(&other_user.actor)
        .create_api_token("của người khác", TokenScope::ReadOnly, 90)
        .await
        .unwrap();
    // A wrong current password is its own error (the web throttles it); nothing changes.
    let e = me
        .change_own_password("sai-mat-khau", "mat-khau-moi-2026", Some(&here.token))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Unauthenticated(_)), "{e}");
    assert!(db.store.api_token_actor(&token).await.unwrap().is_some());
    // A weak new password is refused.
    let e = me
        .change_own_password(DEMO_PASSWORD, "password12", Some(&here.token))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("phổ biến"), "{e}");
    me.change_own_password(DEMO_PASSWORD, "mat-khau-moi-2026", Some(&here.token))
        .await
        .unwrap();
    assert!(
        db.store.session(&here.token).await.unwrap().is_some(),
        "this browser stays"
    );
    assert!(db.store.session(&elsewhere.token).await.unwrap().is_none());
    assert!(db.store.api_token_actor(&token).await.unwrap().is_none());
    assert!(
        db.store.session(&other_user.token).await.unwrap().is_some(),
        "others untouched"
    );
    assert!(db.store.api_token_actor(&other_token).await.unwrap().is_some());
    // A reset by an administrator ends every session and revokes every token.
    let token = me.create_api_token("mới", TokenScope::ReadOnly, 30).await.unwrap();
    let later = db.store.login("chihuy", "mat-khau-moi-2026").await.unwrap();
    let admin = actor(&db.store, "quantri").await;
    db.store
        .scoped(&admin)
        .reset_password(here.actor.user_id.unwrap())
        .await
        .unwrap();
    assert!(db.store.session(&here.token).await.unwrap().is_none());
    assert!(db.store.session(&later.token).await.unwrap().is_none());
    assert!(db.store.api_token_actor(&token).await.unwrap().is_none());
    let log = audited(&db.store, "api_token").await;
    let reasons: Vec<&str> = log
        .iter()
        .filter(|(a, _, _)| a == "revoke")
        .map(|(_, _, after)| after.as_deref().unwrap())
        .collect();
    assert_eq!(reasons.len(), 2, "{log:?}");
    assert!(reasons[0].contains("change_password") && reasons[1].contains("reset_password"));
}

#[tokio::test]
async fn weak_passwords_are_refused_for_new_users() {
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await.unwrap();
    let admin = actor(&db.store, "quantri").await;
    for (password, why) in [
        ("aaaaaaaaa1", "khác nhau"),
        ("password12", "phổ biến"),
        ("          ", "dấu cách"),
        ("  mat-khau-2026", "dấu cách"),
        ("nguoi.moi.2026", "tên đăng nhập"),
    ] {
        let e = db
            .store
            .scoped(&admin)
            .create_user(NewUser {
                username: "nguoi.moi.2026".into(),
                display_name: "Người Mới".into(),
                role: Role::Leader,
                unit_id: demo.province_command_id,
                password: Some(password.into()),
            })
            .await
            .unwrap_err();
        assert!(e.to_string().contains(why), "{password:?}: {e}");
    }
}

#[tokio::test]
async fn the_migration_gives_old_tokens_ninety_days_and_unlocks_accounts() {
    let db = TestDb::at_version(20).await;
    let (admin, _) = db.store.bootstrap().await.unwrap().unwrap();
    db.execute(&format!(
        "INSERT INTO api_token (user_id, name, token_hash, created_at) \
         SELECT id, 'cũ', 'abc', '2025-01-01T00:00:00Z' FROM app_user WHERE username = '{admin}'"
    ))
    .await;
    db.execute("UPDATE app_user SET failed_logins = 4, locked_until = '2999-01-01T00:00:00Z'")
        .await;
    phongthu_store::migrate(&db.store).await.unwrap();
    let expires = text(&db, "SELECT expires_at FROM api_token").await.unwrap();
    let expires = time::OffsetDateTime::parse(&expires, &time::format_description::well_known::Rfc3339).unwrap();
    let days = (expires - time::OffsetDateTime::now_utc()).whole_minutes() as f64 / 1440.0;
    assert!((89.9..=90.01).contains(&days), "{days}");
    assert_eq!(
        text(&db, "SELECT scope FROM api_token").await.as_deref(),
        Some("read_write")
    );
    assert_eq!(text(&db, "SELECT locked_until FROM app_user").await, None);
}
