//! The call-up cycle and its quota split, on both backends.

use phongthu_domain::nvqs::Sex;
use phongthu_store::testing::TestDb;
use phongthu_store::{Actor, NewCitizen, NewFamilyRelation, Store, StoreError};
use time::macros::date;

async fn actor(store: &Store, username: &str) -> Actor {
    store
        .login(username, phongthu_store::DEMO_PASSWORD)
        .await
        .unwrap()
        .actor
}

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
