//! The storage contract suite. It runs on SQLite by default and on PostgreSQL when
//! `PHONGTHU_TEST_DATABASE_URL=postgres://...` is set (`.ci/run` runs it both ways).

use phongthu_domain::auth::Role;
use phongthu_domain::org::OrgKind;
use phongthu_store::testing::TestDb;
use phongthu_store::{AuditFilter, Backend, NewOrgUnit, NewUser, OpenOptions, Store, StoreError};

async fn raw(db: &TestDb, sql: &str) {
    sqlx::any::install_default_drivers();
    let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(&db.url)
        .await
        .unwrap();
    sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
}

async fn demo_actor(store: &Store, username: &str) -> phongthu_store::Actor {
    store
        .login(username, phongthu_store::DEMO_PASSWORD)
        .await
        .unwrap()
        .actor
}

#[tokio::test]
async fn migrations_are_idempotent_and_versioned() {
    let db = TestDb::new().await;
    let again = Store::open(&db.url, OpenOptions::default()).await.unwrap();
    let report = phongthu_store::migrate(&again).await.unwrap();
    assert!(report.applied.is_empty());
    assert_eq!(report.to_version, phongthu_store::LATEST_SCHEMA_VERSION);
}

#[tokio::test]
async fn refuses_a_database_from_a_newer_version() {
    let db = TestDb::new().await;
    raw(&db, "UPDATE schema_meta SET value = '999' WHERE key = 'schema_version'").await;
    let err = Store::open(&db.url, OpenOptions::default()).await.unwrap_err();
    assert!(matches!(err, StoreError::Incompatible(_)), "{err}");
    assert!(err.to_string().contains("mới hơn"), "{err}");
}

#[tokio::test]
async fn territory_is_loaded_with_both_eras() {
    let db = TestDb::new().await;
    assert!(db.store.admin_unit_count("commune").await.unwrap() == 3321 + 10035);
    assert!(db.store.admin_unit_count("district").await.unwrap() >= 696);
    let again = db
        .store
        .load_territory(phongthu_domain::territory::Territory::bundled(), false)
        .await
        .unwrap();
    assert!(!again.reloaded, "same bundle is not reloaded");
}

#[tokio::test]
async fn bootstrap_creates_one_admin_with_a_one_time_password() {
    let db = TestDb::new().await;
    let (user, password) = db.store.bootstrap().await.unwrap().expect("first run");
    assert_eq!(user, "admin");
    assert!(db.store.bootstrap().await.unwrap().is_none(), "only once");
    let s = db.store.login("admin", &password).await.unwrap();
    assert!(s.actor.must_change_password);
    let scoped = db.store.scoped(&s.actor);
    scoped
        .change_own_password(&password, "mat-khau-moi-2026", None)
        .await
        .unwrap();
    assert!(db.store.login("admin", &password).await.is_err());
    let s = db.store.login("admin", "mat-khau-moi-2026").await.unwrap();
    assert!(!s.actor.must_change_password);
    // The seeded organisation: 7 military regions and the Capital Command, 34 provincial
    // commands under them (Hà Nội is the Capital Command itself).
    let units = scoped.org_units().await.unwrap();
    assert_eq!(units.iter().filter(|u| u.kind == OrgKind::MilitaryRegion).count(), 7);
    assert_eq!(units.iter().filter(|u| u.kind == OrgKind::CapitalCommand).count(), 1);
    assert_eq!(
        units.iter().filter(|u| u.kind == OrgKind::ProvincialCommand).count(),
        33
    );
}

#[tokio::test]
async fn wrong_logins_are_refused_and_sessions_expire_on_logout() {
    let db = TestDb::new().await;
    db.store.seed_demo().await.unwrap();
    for _ in 0..5 {
        let e = db.store.login("chihuy", "sai-mat-khau").await.unwrap_err();
        assert!(matches!(e, StoreError::Unauthenticated(_)));
    }
    // No account lock (wrong passwords are throttled by the web, per account and address).
    db.store.login("chihuy", phongthu_store::DEMO_PASSWORD).await.unwrap();
    let s = db.store.login("lanhdao", phongthu_store::DEMO_PASSWORD).await.unwrap();
    let (actor, csrf) = db.store.session(&s.token).await.unwrap().unwrap();
    assert_eq!(actor.username, "lanhdao");
    assert_eq!(csrf, s.csrf_token);
    db.store.logout(&s.token).await.unwrap();
    assert!(db.store.session(&s.token).await.unwrap().is_none());
    assert!(db.store.session("forged").await.unwrap().is_none());
}

#[tokio::test]
async fn scope_limits_reads_and_writes_to_the_subtree() {
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await.unwrap();
    let [a, b, c] = demo.commune_command_ids[..] else {
        panic!("three communes")
    };
    let commander = demo_actor(&db.store, "chihuy").await;
    let scoped = db.store.scoped(&commander);
    assert!(scoped.org_unit(a).await.is_ok());
    assert!(matches!(scoped.org_unit(b).await, Err(StoreError::Forbidden(_))));
    assert_eq!(scoped.org_units().await.unwrap().len(), 1);
    // The regional defense command covers the first two communes only.
    let ptkv = demo_actor(&db.store, "chihuy.ptkv").await;
    let ptkv_units: Vec<i64> = db
        .store
        .scoped(&ptkv)
        .org_units()
        .await
        .unwrap()
        .iter()
        .map(|u| u.id)
        .collect();
    assert!(ptkv_units.contains(&a) && ptkv_units.contains(&b) && !ptkv_units.contains(&c));
    // The province admin sees everything below the province, but not other provinces.
    let admin = demo_actor(&db.store, "quantri").await;
    let admin_scope = db.store.scoped(&admin);
    let units = admin_scope.org_units().await.unwrap();
    assert!(units
        .iter()
        .all(|u| u.id == demo.province_command_id || u.parent_id == Some(demo.province_command_id)));
    assert_eq!(units.len(), 5);
    let root = db.store.root_unit().await.unwrap().unwrap();
    assert!(matches!(
        admin_scope.org_unit(root.id).await,
        Err(StoreError::Forbidden(_))
    ));
    // A leader cannot write; a commander cannot manage users.
    let leader = demo_actor(&db.store, "lanhdao").await;
    let new = NewUser {
        username: "moi".into(),
        display_name: "Người Mới".into(),
        role: Role::Leader,
        unit_id: a,
        password: None,
    };
    assert!(matches!(
        db.store.scoped(&leader).create_user(new.clone()).await,
        Err(StoreError::Forbidden(_))
    ));
    assert!(matches!(
        scoped.create_user(new.clone()).await,
        Err(StoreError::Forbidden(_))
    ));
    // The admin cannot create a user outside the province.
    let outside = NewUser {
        unit_id: root.id,
        ..new.clone()
    };
    assert!(matches!(
        admin_scope.create_user(outside).await,
        Err(StoreError::Forbidden(_))
    ));
    let (u, otp) = admin_scope.create_user(new).await.unwrap();
    assert!(otp.is_some() && u.must_change_password);
}

#[tokio::test]
async fn organisation_rules_and_coverage() {
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await.unwrap();
    let admin = demo_actor(&db.store, "quantri").await;
    let s = db.store.scoped(&admin);
    let bad_kind = NewOrgUnit {
        parent_id: Some(demo.commune_command_ids[0]),
        kind: OrgKind::CommuneCommand,
        name: "Ban CHQS thử".into(),
        code: None,
        admin_code: Some("00000".into()),
        province_code: None,
        note: None,
    };
    assert!(matches!(
        s.create_org_unit(bad_kind.clone()).await,
        Err(StoreError::Invalid(_))
    ));
    let unknown_commune = NewOrgUnit {
        parent_id: Some(demo.province_command_id),
        ..bad_kind
    };
    let e = s.create_org_unit(unknown_commune).await.unwrap_err();
    assert!(e.to_string().contains("00000"), "{e}");
    // Moving the coverage changes what the regional command's users see.
    let communes = s.coverage(demo.regional_command_id).await.unwrap();
    assert_eq!(communes.len(), 2);
    s.set_coverage(demo.regional_command_id, &communes[..1]).await.unwrap();
    let ptkv = demo_actor(&db.store, "chihuy.ptkv").await;
    assert_eq!(db.store.scoped(&ptkv).org_units().await.unwrap().len(), 2);
    assert!(s
        .set_coverage(demo.regional_command_id, &["99999".to_string()])
        .await
        .is_err());
}

#[tokio::test]
async fn a_provincial_command_moves_to_another_region_with_its_subtree() {
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await.unwrap();
    let system = db.store.system_actor().await.unwrap();
    let s = db.store.scoped(&system);
    let units = s.org_units().await.unwrap();
    let province = units.iter().find(|u| u.id == demo.province_command_id).unwrap();
    let old_region = province.parent_id.unwrap();
    let new_region = units
        .iter()
        .find(|u| u.kind == OrgKind::MilitaryRegion && u.id != old_region)
        .unwrap()
        .id;
    // Not into itself or its own subtree, not under a kind that cannot hold it.
    assert!(matches!(
        s.move_org_unit(demo.province_command_id, demo.commune_command_ids[0])
            .await,
        Err(StoreError::Invalid(_))
    ));
    let before = db.store.verify_audit().await.unwrap().entries;
    let moved = s.move_org_unit(demo.province_command_id, new_region).await.unwrap();
    assert_eq!(moved.parent_id, Some(new_region));
    assert_eq!(db.store.verify_audit().await.unwrap().entries, before + 1);
    // The new region's users see the province and its communes; the old region's no longer do.
    let in_scope = |region: i64, unit: i64| {
        let store = db.store.clone();
        let mut actor = system.clone();
        async move {
            actor.unit_id = region;
            store.scoped(&actor).unit_in_scope(unit).await.unwrap()
        }
    };
    assert!(in_scope(new_region, demo.commune_command_ids[2]).await);
    assert!(!in_scope(old_region, demo.commune_command_ids[2]).await);
    assert!(!in_scope(old_region, demo.province_command_id).await);
    // A commune commander cannot move anything.
    let commander = demo_actor(&db.store, "chihuy").await;
    assert!(matches!(
        db.store
            .scoped(&commander)
            .move_org_unit(demo.province_command_id, old_region)
            .await,
        Err(StoreError::Forbidden(_))
    ));
}

#[tokio::test]
async fn every_write_is_audited_and_tampering_is_detected() {
    let db = TestDb::new().await;
    db.store.seed_demo().await.unwrap();
    let report = db.store.verify_audit().await.unwrap();
    assert!(report.broken.is_none(), "{:?}", report.broken);
    assert!(report.entries > 40);
    let inspector = demo_actor(&db.store, "thanhtra").await;
    let entries = db
        .store
        .scoped(&inspector)
        .audit_entries(&AuditFilter {
            entity: Some("app_user".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(entries.iter().any(|e| e.action == "create"));
    let commander = demo_actor(&db.store, "chihuy").await;
    assert!(matches!(
        db.store.scoped(&commander).audit_entries(&AuditFilter::default()).await,
        Err(StoreError::Forbidden(_))
    ));
    // Append-only: an ordinary UPDATE is refused by the database itself.
    sqlx::any::install_default_drivers();
    let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(&db.url)
        .await
        .unwrap();
    assert!(sqlx::raw_sql("UPDATE audit_log SET actor_name = 'x' WHERE seq = 3")
        .execute(&mut c)
        .await
        .is_err());
    // Someone who bypasses the trigger is still caught by the chain.
    let (disable, enable) = match db.store.backend() {
        Backend::Sqlite => (
            "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;",
            "",
        ),
        Backend::Postgres => (
            "ALTER TABLE audit_log DISABLE TRIGGER USER;",
            "ALTER TABLE audit_log ENABLE TRIGGER USER;",
        ),
    };
    raw(
        &db,
        &format!("{disable} UPDATE audit_log SET after_json = '{{}}' WHERE seq = 3; {enable}"),
    )
    .await;
    let r = db.store.verify_audit().await.unwrap();
    assert!(r.broken.as_deref().unwrap_or("").contains('3'), "{:?}", r.broken);
}

#[tokio::test]
async fn deleted_audit_rows_are_detected() {
    let db = TestDb::new().await;
    db.store.seed_demo().await.unwrap();
    let disable = match db.store.backend() {
        Backend::Sqlite => "DROP TRIGGER audit_log_no_delete;",
        Backend::Postgres => "ALTER TABLE audit_log DISABLE TRIGGER USER;",
    };
    let last = db.store.verify_audit().await.unwrap().head_seq;
    raw(&db, &format!("{disable} DELETE FROM audit_log WHERE seq = {last};")).await;
    let r = db.store.verify_audit().await.unwrap();
    assert!(r.broken.is_some());
}

#[tokio::test]
async fn concurrent_writes_keep_the_chain_gapless() {
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await.unwrap();
    let admin = demo_actor(&db.store, "quantri").await;
    let mut tasks = vec![];
    for i in 0..12 {
        let store = db.store.clone();
        let admin = admin.clone();
        let unit = demo.commune_command_ids[i % 3];
        tasks.push(tokio::spawn(async move {
            store
                .scoped(&admin)
                .create_user(NewUser {
                    username: format!("song.song{i}"),
                    display_name: format!("Người dùng {i}"),
                    role: Role::Leader,
                    unit_id: unit,
                    password: Some("mat-khau-2026".into()),
                })
                .await
                .map(|_| ())
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let r = db.store.verify_audit().await.unwrap();
    assert!(r.broken.is_none(), "{:?}", r.broken);
}

#[tokio::test]
async fn api_tokens_act_as_their_owner() {
    let db = TestDb::new().await;
    db.store.seed_demo().await.unwrap();
    let leader = demo_actor(&db.store, "lanhdao").await;
    let token = db
        .store
        .scoped(&leader)
        .create_api_token("báo cáo", phongthu_domain::auth::TokenScope::ReadOnly, 90)
        .await
        .unwrap();
    let (actor, _) = db.store.api_token_actor(&token).await.unwrap().unwrap();
    assert_eq!(actor.username, "lanhdao");
    assert!(db.store.api_token_actor("pt_forged").await.unwrap().is_none());
}

#[tokio::test]
async fn bad_paths_and_files_are_refused_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    let missing_dir = format!("sqlite://{}/khong-co/phongthu.db", dir.path().display());
    assert!(matches!(
        Store::open(&missing_dir, OpenOptions::default()).await,
        Err(StoreError::Config(_))
    ));
    let corrupt = dir.path().join("hong.db");
    std::fs::write(&corrupt, b"this is not a database at all, just text").unwrap();
    let before = std::fs::read(&corrupt).unwrap();
    let e = Store::open(&format!("sqlite://{}", corrupt.display()), OpenOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Incompatible(_)), "{e}");
    assert_eq!(std::fs::read(&corrupt).unwrap(), before, "file untouched");
    let no_create = OpenOptions {
        create_if_missing: false,
        ..OpenOptions::default()
    };
    let absent = dir.path().join("chua-co.db");
    assert!(Store::open(&format!("sqlite://{}", absent.display()), no_create)
        .await
        .is_err());
    assert!(!absent.exists());
    assert!(matches!(
        Store::open("mysql://x/y", OpenOptions::default()).await,
        Err(StoreError::Config(_))
    ));
    let unreachable = Store::open("postgres://nobody@127.0.0.1:1/none", OpenOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(unreachable, StoreError::Unavailable(_)), "{unreachable}");
}

#[tokio::test]
async fn a_unit_knows_the_name_of_its_superior_outside_its_scope() {
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await.unwrap();
    let commander = demo_actor(&db.store, "chihuy").await;
    let s = db.store.scoped(&commander);
    let (unit, superior) = s.own_unit_with_superior().await.unwrap();
    assert_eq!(unit.id, commander.unit_id);
    let admin = db.store.system_actor().await.unwrap();
    let province = db
        .store
        .scoped(&admin)
        .org_unit(demo.province_command_id)
        .await
        .unwrap();
    assert_eq!(superior.as_deref(), Some(province.name.as_str()));
    // The superior itself stays out of reach.
    assert!(matches!(
        s.org_unit(demo.province_command_id).await,
        Err(StoreError::Forbidden(_))
    ));
}
