//! The call-up cycle and its quota split, on both backends.

use phongthu_domain::nvqs::Sex;
use phongthu_store::testing::TestDb;
use phongthu_store::{NewCitizen, NewFamilyRelation, StoreError};
use time::macros::date;

use phongthu_store::testing::demo_actor as actor;

#[tokio::test]
async fn quotas_follow_the_pools_and_overrides_need_a_reason() {
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await.unwrap();
    let admin = actor(&db.store, "quantri").await;
    let s = db.store.scoped(&admin);
    let [a, b, c] = [
        demo.commune_command_ids[0],
        demo.commune_command_ids[1],
        demo.commune_command_ids[2],
    ];
    // Commune A: 6 men of age, one with a brother in service (deferred), one woman, one boy of 16.
    const GIVEN: [&str; 10] = [
        "An", "Bình", "Cường", "Dũng", "Đức", "Giang", "Hải", "Khánh", "Long", "Minh",
    ];
    for (i, given) in GIVEN.iter().take(6).enumerate() {
        let mut n = NewCitizen::new(a, &format!("Nguyễn Văn {given}"), date!(2004 - 03 - 01), Sex::Male);
        n.education_grade = Some("12/12".into());
        let cz = s.create_citizen(n).await.unwrap();
        if i == 0 {
            s.add_family_relation(NewFamilyRelation {
                citizen_id: cz.id,
                relation: "Anh trai".into(),
                name: "Nguyễn Văn Bộ".into(),
                circumstance: Some(phongthu_domain::nvqs::Circumstance::SiblingInService),
                evidence: Some("Giấy xác nhận của đơn vị".into()),
            })
            .await
            .unwrap();
        }
    }
    s.create_citizen(NewCitizen::new(a, "Lê Thị Hoa", date!(2004 - 03 - 01), Sex::Female))
        .await
        .unwrap();
    s.create_citizen(NewCitizen::new(a, "Trần Văn Nhỏ", date!(2010 - 03 - 01), Sex::Male))
        .await
        .unwrap();
    // Commune B: 10 men of age; commune C: none.
    for given in GIVEN {
        let mut n = NewCitizen::new(b, &format!("Phạm Văn {given}"), date!(2003 - 07 - 01), Sex::Male);
        n.education_grade = Some("9/12".into());
        s.create_citizen(n).await.unwrap();
    }
    let cycle = s.create_cycle(demo.province_command_id, 2026, 6).await.unwrap();
    assert_eq!(cycle.reference_date, "2025-12-31");
    assert!(matches!(
        s.create_cycle(demo.province_command_id, 2026, 6).await,
        Err(StoreError::Conflict(_))
    ));
    let o = s.cycle_overview(cycle.id).await.unwrap();
    let fig = |u: i64| o.communes.iter().find(|f| f.unit_id == u).unwrap().clone();
    assert_eq!(
        (fig(a).citizens, fig(a).eligible, fig(a).deferred, fig(a).other),
        (8, 5, 1, 2)
    );
    assert_eq!((fig(b).eligible, fig(c).eligible), (10, 0));
    assert_eq!(fig(a).grounds.get("41.1.d"), Some(&1), "deferred by ground");
    // 6 over pools 5 / 10 / 0 → 2 / 4 / 0.
    assert_eq!((fig(a).proposed, fig(b).proposed, fig(c).proposed), (2, 4, 0));
    assert!(o.evenness_proposed.is_some() && o.evenness_saved.is_none());

    let before = db.store.verify_audit().await.unwrap().entries;
    // Wrong sum, over a pool, override without a reason: refused, nothing written.
    let e = s
        .save_quotas(cycle.id, &[(a, 1), (b, 4), (c, 0)], Some("x"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("khác chỉ tiêu"), "{e}");
    let e = s
        .save_quotas(cycle.id, &[(a, 6), (b, 0), (c, 0)], Some("x"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("lớn hơn nguồn"), "{e}");
    let e = s
        .save_quotas(cycle.id, &[(a, 3), (b, 3), (c, 0)], None)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("lý do"), "{e}");
    // 2^32 + 2 would pass the 32-bit split check as 2 and be stored whole: refused before any
    // conversion, as is a cycle's quota past its bound.
    let e = s
        .save_quotas(cycle.id, &[(a, 4_294_967_298), (b, 4), (c, 0)], Some("x"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("vượt quá giới hạn 10.000"), "{e}");
    let e = s
        .save_quotas(cycle.id, &[(a, 2), (b, 4), (c, i64::MIN)], Some("x"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("không được âm"), "{e}");
    let e = s
        .create_cycle(demo.province_command_id, 2027, 4_294_967_301)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("vượt quá giới hạn 1.000.000"), "{e}");
    assert_eq!(db.store.verify_audit().await.unwrap().entries, before);
    // The proposal as is, then an override with its reason.
    s.save_quotas(cycle.id, &[(a, 2), (b, 4), (c, 0)], None).await.unwrap();
    s.save_quotas(
        cycle.id,
        &[(a, 3), (b, 3), (c, 0)],
        Some("Xã B có nhiều lao động đi làm xa"),
    )
    .await
    .unwrap();
    assert_eq!(db.store.verify_audit().await.unwrap().entries, before + 2);
    let o = s.cycle_overview(cycle.id).await.unwrap();
    assert_eq!(o.communes.iter().find(|f| f.unit_id == a).unwrap().quota, Some(3));
    assert!(o
        .communes
        .iter()
        .find(|f| f.unit_id == b)
        .unwrap()
        .reason
        .as_deref()
        .unwrap()
        .contains("đi làm xa"));
    assert!(o.evenness_saved.is_some());

    // Scope and roles: a commune commander does not see the province's cycle; a leader reads but
    // cannot save.
    // A commune commander sees the province's cycle and only his own commune in it, and cannot
    // change the split.
    let commander = actor(&db.store, "chihuy").await;
    let cs = db.store.scoped(&commander);
    assert_eq!(cs.cycle(cycle.id).await.unwrap().id, cycle.id);
    assert_eq!(cs.cycles().await.unwrap().len(), 1);
    let seen: Vec<i64> = cs
        .cycle_overview(cycle.id)
        .await
        .unwrap()
        .communes
        .iter()
        .map(|f| f.unit_id)
        .collect();
    assert_eq!(seen, vec![commander.unit_id]);
    assert!(matches!(
        cs.save_quotas(cycle.id, &[(commander.unit_id, 3)], None).await,
        Err(StoreError::Forbidden(_))
    ));
    let leader = actor(&db.store, "lanhdao").await;
    assert_eq!(db.store.scoped(&leader).cycles().await.unwrap().len(), 1);
    assert!(matches!(
        db.store
            .scoped(&leader)
            .save_quotas(cycle.id, &[(a, 2), (b, 4), (c, 0)], None)
            .await,
        Err(StoreError::Forbidden(_))
    ));
}

/// The pools are stored per commune and reassessed only when the commune's records change: a new
/// record and a new family circumstance both show at once.
#[tokio::test]
async fn stored_pools_follow_registry_changes() {
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await.unwrap();
    let admin = actor(&db.store, "quantri").await;
    let s = db.store.scoped(&admin);
    let a = demo.commune_command_ids[0];
    let cycle = s.create_cycle(demo.province_command_id, 2026, 1).await.unwrap();
    let pool = |o: &phongthu_store::CycleOverview| o.communes.iter().find(|f| f.unit_id == a).unwrap().clone();
    let before = pool(&s.cycle_overview(cycle.id).await.unwrap());
    // Read twice without change: the same figures (from the stored row).
    assert_eq!(pool(&s.cycle_overview(cycle.id).await.unwrap()), before);
    let mut n = NewCitizen::new(a, "Quàng Văn Mới", date!(2004 - 02 - 02), Sex::Male);
    n.education_grade = Some("12/12".into());
    let c = s.create_citizen(n).await.unwrap();
    let after = pool(&s.cycle_overview(cycle.id).await.unwrap());
    assert_eq!(
        (after.citizens, after.eligible),
        (before.citizens + 1, before.eligible + 1)
    );
    s.add_family_relation(NewFamilyRelation {
        citizen_id: c.id,
        relation: "Anh trai".into(),
        name: "Quàng Văn Cả".into(),
        circumstance: Some(phongthu_domain::nvqs::Circumstance::SiblingInService),
        evidence: Some("Giấy xác nhận của đơn vị".into()),
    })
    .await
    .unwrap();
    let deferred = pool(&s.cycle_overview(cycle.id).await.unwrap());
    assert_eq!(
        (deferred.eligible, deferred.deferred),
        (before.eligible, before.deferred + 1)
    );
}

/// The stored pool rows of a cycle: unit → (eligible, assessed_at).
async fn pool_rows(db: &TestDb, cycle_id: i64) -> std::collections::BTreeMap<i64, (i64, String)> {
    use sqlx::Row;
    sqlx::any::install_default_drivers();
    let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(&db.url)
        .await
        .unwrap();
    sqlx::query("SELECT unit_id, eligible, assessed_at FROM nvqs_pool WHERE cycle_id = $1")
        .bind(cycle_id)
        .fetch_all(&mut c)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2))))
        .collect()
}

async fn raw(db: &TestDb, sql: &str) {
    sqlx::any::install_default_drivers();
    let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(&db.url)
        .await
        .unwrap();
    sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
}

/// The refresh assesses all the communes in one pass and stores one row per commune; afterwards a
/// change reassesses exactly the communes whose records changed (the other rows are neither
/// recomputed nor rewritten), and the stored figures equal those of the per-commune list (the
/// engine run over full records, as the commune's lists use it).
#[tokio::test]
async fn a_refresh_reassesses_exactly_the_changed_communes() {
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await.unwrap();
    let admin = actor(&db.store, "quantri").await;
    let s = db.store.scoped(&admin);
    let [a, b, c] = [
        demo.commune_command_ids[0],
        demo.commune_command_ids[1],
        demo.commune_command_ids[2],
    ];
    // Commune A: a party member with a degree, a man with a brother in service, a student, a
    // woman, a boy of 15; commune B: three men of age; commune C: none.
    let mut n = NewCitizen::new(a, "Nguyễn Văn Đảng", date!(2003 - 01 - 10), Sex::Male);
    n.education_grade = Some("12/12".into());
    // Free text with quotes, a backslash and JSON-like content (the records travel as JSON).
    n.qualification = Some("Cử nhân \"Kinh tế\" \\ [1, {\"a\": null}]".into());
    n.party_member = true;
    s.create_citizen(n).await.unwrap();
    let mut n = NewCitizen::new(a, "Nguyễn Văn Em", date!(2004 - 05 - 01), Sex::Male);
    n.education_grade = Some("9/12".into());
    let brother = s.create_citizen(n).await.unwrap();
    s.add_family_relation(NewFamilyRelation {
        citizen_id: brother.id,
        relation: "Anh trai".into(),
        name: "Nguyễn Văn Anh".into(),
        circumstance: Some(phongthu_domain::nvqs::Circumstance::SiblingInService),
        evidence: Some("Giấy xác nhận của đơn vị".into()),
    })
    .await
    .unwrap();
    let mut n = NewCitizen::new(a, "Trần Văn Học", date!(2006 - 09 - 09), Sex::Male);
    n.education_grade = Some("12/12".into());
    n.studying_level = Some(phongthu_domain::nvqs::StudyLevel::University);
    s.create_citizen(n).await.unwrap();
    s.create_citizen(NewCitizen::new(a, "Lê Thị Hoa", date!(2004 - 03 - 01), Sex::Female))
        .await
        .unwrap();
    let boy = s
        .create_citizen(NewCitizen::new(a, "Trần Văn Nhỏ", date!(2010 - 03 - 01), Sex::Male))
        .await
        .unwrap();
    for given in ["An", "Bình", "Cường"] {
        let mut n = NewCitizen::new(b, &format!("Phạm Văn {given}"), date!(2003 - 07 - 01), Sex::Male);
        n.education_grade = Some("12/12".into());
        s.create_citizen(n).await.unwrap();
    }
    let cycle = s.create_cycle(demo.province_command_id, 2026, 2).await.unwrap();
    let o = s.cycle_overview(cycle.id).await.unwrap();
    let fig = |o: &phongthu_store::CycleOverview, u: i64| o.communes.iter().find(|f| f.unit_id == u).unwrap().clone();
    let fa = fig(&o, a);
    assert_eq!(
        (fa.citizens, fa.eligible, fa.deferred, fa.exempted, fa.other),
        (5, 1, 2, 0, 2)
    );
    assert_eq!((fa.party_members, fa.graduates), (1, 1));
    assert_eq!(fa.grounds.get("41.1.d"), Some(&1));
    assert_eq!(fa.grounds.values().sum::<i64>(), 2, "{:?}", fa.grounds);
    assert_eq!((fig(&o, b).citizens, fig(&o, b).eligible), (3, 3));
    assert_eq!((fig(&o, c).citizens, fig(&o, c).eligible), (0, 0));
    // The same figures as the commune's list, which assesses the full records one by one.
    for f in &o.communes {
        let (_, _, list) = s.commune_assessments(cycle.id, f.unit_id).await.unwrap();
        let count = |st: phongthu_domain::nvqs::Status| list.iter().filter(|(_, d)| d.status == st).count() as i64;
        assert_eq!(f.citizens, list.len() as i64);
        assert_eq!(f.eligible, count(phongthu_domain::nvqs::Status::Eligible));
        assert_eq!(f.deferred, count(phongthu_domain::nvqs::Status::Deferred));
        assert_eq!(f.exempted, count(phongthu_domain::nvqs::Status::Exempted));
    }
    // One stored row per commune of the cycle, the empty one included.
    let rows = pool_rows(&db, cycle.id).await;
    assert_eq!(rows.keys().copied().collect::<Vec<_>>(), {
        let mut v: Vec<i64> = o.communes.iter().map(|f| f.unit_id).collect();
        v.sort();
        v
    });

    // Mark every stored row, and falsify A's: a row whose commune has not changed is used as stored.
    raw(&db, "UPDATE nvqs_pool SET assessed_at = 'marked'").await;
    raw(&db, &format!("UPDATE nvqs_pool SET eligible = 99 WHERE unit_id = {a}")).await;
    let mut n = NewCitizen::new(b, "Phạm Văn Dũng", date!(2003 - 07 - 01), Sex::Male);
    n.education_grade = Some("12/12".into());
    let dung = s.create_citizen(n).await.unwrap();
    let o = s.cycle_overview(cycle.id).await.unwrap();
    assert_eq!((fig(&o, b).citizens, fig(&o, b).eligible), (4, 4));
    assert_eq!(fig(&o, a).eligible, 99, "A has not changed: its stored row is used");
    let rows = pool_rows(&db, cycle.id).await;
    let rewritten: Vec<i64> = rows
        .iter()
        .filter(|(_, (_, at))| at != "marked")
        .map(|(u, _)| *u)
        .collect();
    assert_eq!(rewritten, vec![b], "only B's row is reassessed");
    assert_eq!(rows[&b].0, 4);

    // An edit that changes neither the number of records nor (within the same second) the latest
    // change time is seen too: every change moves the commune's registry version.
    let mut young = NewCitizen::new(b, &dung.full_name, date!(2012 - 07 - 01), Sex::Male);
    young.education_grade = dung.education_grade.clone();
    s.update_citizen(dung.id, young).await.unwrap();
    let o = s.cycle_overview(cycle.id).await.unwrap();
    assert_eq!((fig(&o, b).citizens, fig(&o, b).eligible), (4, 3));
    // So is a write that bypasses the store's record functions (as a bulk import does).
    raw(
        &db,
        &format!("UPDATE citizen SET birth_date = '2003-07-01' WHERE id = {}", dung.id),
    )
    .await;
    let o = s.cycle_overview(cycle.id).await.unwrap();
    assert_eq!((fig(&o, b).citizens, fig(&o, b).eligible), (4, 4));
    assert_eq!(fig(&o, a).eligible, 99);

    // Moving the boy from A to C changes both (their record counts), not B.
    raw(&db, "UPDATE nvqs_pool SET assessed_at = 'marked'").await;
    let mut moved = NewCitizen::new(c, &boy.full_name, boy.birth_date, boy.sex);
    moved.education_grade = boy.education_grade.clone();
    s.update_citizen(boy.id, moved).await.unwrap();
    let o = s.cycle_overview(cycle.id).await.unwrap();
    assert_eq!((fig(&o, a).citizens, fig(&o, a).eligible, fig(&o, a).other), (4, 1, 1));
    assert_eq!((fig(&o, c).citizens, fig(&o, c).other), (1, 1));
    let rows = pool_rows(&db, cycle.id).await;
    let mut rewritten: Vec<i64> = rows
        .iter()
        .filter(|(_, (_, at))| at != "marked")
        .map(|(u, _)| *u)
        .collect();
    rewritten.sort();
    let mut expected = vec![a, c];
    expected.sort();
    assert_eq!(rewritten, expected);
    assert_eq!(fig(&o, b).eligible, 4);

    // A forced reassessment recomputes and rewrites every row, whatever the stamps say.
    raw(&db, "UPDATE nvqs_pool SET assessed_at = 'marked'").await;
    raw(&db, &format!("UPDATE nvqs_pool SET eligible = 77 WHERE unit_id = {b}")).await;
    assert_eq!(fig(&s.cycle_overview(cycle.id).await.unwrap(), b).eligible, 77);
    let o = s.cycle_overview_reassessed(cycle.id).await.unwrap();
    assert_eq!(
        (fig(&o, a).eligible, fig(&o, b).eligible, fig(&o, c).citizens),
        (1, 4, 1)
    );
    let rows = pool_rows(&db, cycle.id).await;
    assert!(rows.values().all(|(_, at)| at != "marked"), "{rows:?}");
    assert_eq!(rows[&b].0, 4);
}
