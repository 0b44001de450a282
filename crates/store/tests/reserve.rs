//! Reserve forces on both backends (SQLite by default; PostgreSQL when
//! `PHONGTHU_TEST_DATABASE_URL=postgres://...` is set): reservists from the registry, mobilisation
//! units and positions, the solver's proposal with explanations, accepting, editing and removing
//! assignments, the đúng CNQS rates and roll-up, the mobilisation ledger against the militia,
//! equipment, needs, matching and readiness checks, scope and audit.

use phongthu_domain::militia::{Echelon, MilitiaKind};
use phongthu_domain::nvqs::Sex;
use phongthu_domain::reserve::{EquipmentKind, EquipmentMatch, MatchKind, ReservistClass};
use phongthu_store::testing::TestDb;
use phongthu_store::{
    EquipmentCondition, NewCitizen, NewEquipment, NewMilitiaMember, NewMilitiaUnit, NewPosition, NewReserveUnit,
    NewReservist, StoreError,
};
use time::macros::date;
use time::Date;

use phongthu_store::testing::demo_actor as actor;

fn reservist(citizen_id: i64, spec: &str) -> NewReservist {
    NewReservist {
        citizen_id,
        class: ReservistClass::Class1,
        specialty: spec.into(),
        rank: Some("Trung sĩ".into()),
        registered_on: date!(2025 - 01 - 01),
    }
}

fn row_pos(p: &phongthu_store::Proposal, reservist_id: i64) -> Option<i64> {
    p.rows
        .iter()
        .find(|r| r.reservist_id == reservist_id)
        .and_then(|r| r.position_id)
}

#[tokio::test]
async fn reservists_units_assignment_and_ledger() {
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await.unwrap();
    let admin = actor(&db.store, "quantri").await;
    let s = db.store.scoped(&admin);
    let (a, b) = (demo.commune_command_ids[0], demo.commune_command_ids[1]);
    let audit = || async { db.store.verify_audit().await.unwrap().entries };
    let on = date!(2026 - 06 - 30);

    let mk = |unit, name: &str, birth: Date, sex| NewCitizen::new(unit, name, birth, sex);
    let an = s
        .create_citizen(mk(a, "Nguyễn Văn An", date!(1998 - 01 - 01), Sex::Male))
        .await
        .unwrap();
    let binh = s
        .create_citizen(mk(a, "Trần Văn Bình", date!(1997 - 01 - 01), Sex::Male))
        .await
        .unwrap();
    let cuong = s
        .create_citizen(mk(a, "Lê Văn Cường", date!(1996 - 01 - 01), Sex::Male))
        .await
        .unwrap();
    // 41 on the reference date: over the combat limit (35), within the support limit for men (45).
    let dung = s
        .create_citizen(mk(a, "Phạm Văn Dũng", date!(1985 - 01 - 01), Sex::Male))
        .await
        .unwrap();
    let xa = s
        .create_citizen(mk(b, "Đỗ Văn Xa", date!(1999 - 01 - 01), Sex::Male))
        .await
        .unwrap();
    let em = s
        .create_citizen(mk(a, "Hoàng Văn Em", date!(2000 - 01 - 01), Sex::Male))
        .await
        .unwrap();

    // Reservists: one record per person, CNQS checked.
    let r_an = s.add_reservist(reservist(an.id, "1A")).await.unwrap();
    assert_eq!(r_an.unit_id, a);
    assert_eq!(r_an.class, ReservistClass::Class1);
    let before = audit().await;
    let e = s.add_reservist(reservist(an.id, "1B")).await.unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e}");
    assert!(e.to_string().contains("mỗi người một hồ sơ"), "{e}");
    let e = s.add_reservist(reservist(binh.id, "1 A")).await.unwrap_err();
    assert!(matches!(e, StoreError::Invalid(_)), "{e}");
    assert_eq!(audit().await, before, "nothing written on refusals");
    let r_binh = s.add_reservist(reservist(binh.id, "1B")).await.unwrap();
    let r_cuong = s.add_reservist(reservist(cuong.id, "1A")).await.unwrap();
    let r_dung = s.add_reservist(reservist(dung.id, "2A")).await.unwrap();
    let r_xa = s.add_reservist(reservist(xa.id, "1A")).await.unwrap();
    let r_em = s.add_reservist(reservist(em.id, "1A")).await.unwrap();
    assert_eq!(s.reservists().await.unwrap().len(), 6);

    // Units: spare 10–15%, under a command in scope; a commune's unit recruits in that commune.
    let bad = s
        .create_reserve_unit(NewReserveUnit {
            unit_id: a,
            name: "Đại đội 1".into(),
            combat: true,
            spare_percent: 20,
        })
        .await
        .unwrap_err();
    assert!(bad.to_string().contains("10% đến 15%"), "{bad}");
    let company = s
        .create_reserve_unit(NewReserveUnit {
            unit_id: a,
            name: "Đại đội bộ binh 1".into(),
            combat: true,
            spare_percent: 10,
        })
        .await
        .unwrap();
    let p_rifle = s
        .add_position(NewPosition {
            reserve_unit_id: company.id,
            title: "Xạ thủ súng máy".into(),
            specialty: "1A".into(),
            rank: Some("Hạ sĩ".into()),
            count: 1,
        })
        .await
        .unwrap();
    // 1 seat + 10% spare rounded up = 2 seats.
    assert_eq!(p_rifle.seats, 2);
    let p_signal = s
        .add_position(NewPosition {
            reserve_unit_id: company.id,
            title: "Chiến sĩ thông tin".into(),
            specialty: "1C".into(),
            rank: None,
            count: 1,
        })
        .await
        .unwrap();
    let support = s
        .create_reserve_unit(NewReserveUnit {
            unit_id: a,
            name: "Trung đội vận tải".into(),
            combat: false,
            spare_percent: 15,
        })
        .await
        .unwrap();
    let p_driver = s
        .add_position(NewPosition {
            reserve_unit_id: support.id,
            title: "Lái xe".into(),
            specialty: "2A".into(),
            rank: None,
            count: 1,
        })
        .await
        .unwrap();
    assert_eq!(s.reserve_unit(company.id).await.unwrap().seats, 4);
    s.add_near_pair("1B", "1C").await.unwrap();
    assert!(matches!(
        s.add_near_pair("1C", "1B").await.unwrap_err(),
        StoreError::Conflict(_)
    ));

    // Em is a standing member of the militia: the ledger holds him.
    let militia = s
        .create_militia_unit(NewMilitiaUnit {
            unit_id: a,
            kind: MilitiaKind::Mobile,
            echelon: Echelon::Platoon,
            name: "Trung đội cơ động".into(),
        })
        .await
        .unwrap();
    s.add_member(NewMilitiaMember {
        militia_unit_id: militia.id,
        citizen_id: em.id,
        post: None,
        volunteer: false,
        joined_on: date!(2026 - 01 - 01),
    })
    .await
    .unwrap();

    // The proposal: 2 exact seats for 1A in the combat unit (An, Cường), Bình near on 1C, Dũng
    // (41, 2A) only in the support unit, Xa lives outside the area, Em held by the militia.
    let prop = s.propose_assignment(on).await.unwrap();
    assert_eq!((prop.exact, prop.near), (3, 1), "{prop:#?}");
    assert_eq!(row_pos(&prop, r_cuong.id), Some(p_rifle.id));
    let row = |id: i64| prop.rows.iter().find(|r| r.reservist_id == id).unwrap();
    assert_eq!(row(r_an.id).position_id, Some(p_rifle.id));
    assert!(
        row(r_an.id).explanation.contains("Đúng CNQS 1A"),
        "{}",
        row(r_an.id).explanation
    );
    assert!(
        row(r_an.id).explanation.contains("28 tuổi"),
        "{}",
        row(r_an.id).explanation
    );
    assert_eq!(row(r_binh.id).position_id, Some(p_signal.id));
    assert_eq!(row(r_binh.id).match_kind, Some(MatchKind::Near));
    assert!(row(r_binh.id).explanation.contains("Gần đúng CNQS (1B thay cho 1C)"));
    assert_eq!(row(r_dung.id).position_id, Some(p_driver.id));
    assert!(
        row(r_dung.id).explanation.contains("hết 45 tuổi"),
        "{}",
        row(r_dung.id).explanation
    );
    assert_eq!(row(r_xa.id).position_id, None);
    assert!(
        row(r_xa.id).explanation.contains("không có đơn vị"),
        "{}",
        row(r_xa.id).explanation
    );
    assert!(prop.rows.iter().all(|r| r.reservist_id != r_em.id));
    assert_eq!(prop.held_elsewhere.len(), 1);
    assert!(
        prop.held_elsewhere[0].1.contains("Hoàng Văn Em"),
        "{:?}",
        prop.held_elsewhere
    );
    assert!(prop.held_elsewhere[0].1.contains("dân quân tự vệ"));

    // Accepting a held person is refused before anything is saved, with the ledger's sentence.
    let before = audit().await;
    let e = s
        .accept_assignments(&[(r_an.id, p_rifle.id), (r_em.id, p_rifle.id)], on)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e}");
    assert!(e.to_string().contains("Hoàng Văn Em"), "{e}");
    assert!(matches!(
        s.check_assignment(r_em.id, p_rifle.id, on).await.unwrap_err(),
        StoreError::Conflict(_)
    ));
    // Outside the area, over the age.
    let e = s.accept_assignments(&[(r_xa.id, p_rifle.id)], on).await.unwrap_err();
    assert!(e.to_string().contains("ngoài địa bàn"), "{e}");
    let e = s.accept_assignments(&[(r_dung.id, p_rifle.id)], on).await.unwrap_err();
    assert!(e.to_string().contains("quá hạn tuổi hết 35 tuổi"), "{e}");
    assert_eq!(audit().await, before);

    // Accept the proposal (all of it).
    let picks: Vec<(i64, i64)> = prop
        .placed()
        .map(|r| (r.reservist_id, r.position_id.unwrap()))
        .collect();
    assert_eq!(s.accept_assignments(&picks, on).await.unwrap(), 4);
    assert_eq!(audit().await, before + 4);
    assert_eq!(
        s.reservist(r_an.id).await.unwrap().assigned_unit.as_deref(),
        Some("Đại đội bộ binh 1")
    );
    // Seats are full now: nothing left to propose; a second accept is refused.
    let again = s.propose_assignment(on).await.unwrap();
    assert_eq!(again.placed().count(), 0);
    let e = s.accept_assignments(&[(r_an.id, p_rifle.id)], on).await.unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e}");

    // Rates: company 2 exact + 1 near = 66,7%; support 100%; roll-up over commune a.
    let (units, rollup) = s.specialty_rates().await.unwrap();
    let c = units.iter().find(|u| u.id == company.id).unwrap();
    assert_eq!(c.percent_vi(), "66,7%");
    let up = rollup.iter().find(|r| r.id == a).unwrap();
    assert_eq!((up.rate.exact, up.rate.near), (3, 1));
    let top = rollup.iter().find(|r| r.id == demo.province_command_id).unwrap();
    assert_eq!(top.rate.assigned(), 4);

    // Edit: move Bình to the rifle position? It is full (2 seats); remove An first, then move.
    let assignments = s.reserve_assignments(Some(company.id)).await.unwrap();
    assert_eq!(assignments.len(), 3);
    let a_an = assignments.iter().find(|x| x.reservist_id == r_an.id).unwrap();
    let a_binh = assignments.iter().find(|x| x.reservist_id == r_binh.id).unwrap();
    let e = s.reassign(a_binh.id, p_rifle.id).await.unwrap_err();
    assert!(e.to_string().contains("đã đủ"), "{e}");
    s.remove_assignment(a_an.id, on).await.unwrap();
    let moved = s.reassign(a_binh.id, p_rifle.id).await.unwrap();
    assert_eq!(moved.position_id, p_rifle.id);
    assert_eq!(
        moved.match_kind,
        MatchKind::Other,
        "1B on a 1A seat is outside the specialty"
    );
    assert_eq!(moved.assigned_by, "quantri");
    assert!(s.reservist(r_an.id).await.unwrap().assigned_position.is_none());
    // An's assignment had not run a day (removed on its first day): it is gone, and he can be
    // assigned again from `on`.
    s.check_assignment(r_an.id, p_signal.id, on).await.unwrap();

    // Scope: the other commune's commander sees none of it and cannot write it.
    let cmd_b = actor(&db.store, "chihuy.xa2").await;
    let sb = db.store.scoped(&cmd_b);
    assert!(sb.reserve_units().await.unwrap().is_empty());
    assert_eq!(sb.reservists().await.unwrap().len(), 1, "only Xa, filed under b");
    assert!(matches!(
        sb.reserve_unit(company.id).await.unwrap_err(),
        StoreError::NotFound(_)
    ));
    assert!(matches!(
        sb.accept_assignments(&[(r_xa.id, p_rifle.id)], on).await.unwrap_err(),
        StoreError::NotFound(_)
    ));
    // A leader reads only.
    let leader = actor(&db.store, "lanhdao").await;
    assert!(matches!(
        db.store
            .scoped(&leader)
            .add_reservist(reservist(xa.id, "1A"))
            .await
            .unwrap_err(),
        StoreError::Forbidden(_)
    ));

    // The dashboard roll-up: militia and reservists per command subtree.
    let dash = s.forces_rollup().await.unwrap();
    let top = dash.iter().find(|r| r.unit_id == demo.province_command_id).unwrap();
    assert_eq!(top.militia_members, 1);
    assert_eq!(top.reservists_class_1, 6);
    assert_eq!(top.reservists_assigned, 3, "An was removed");
    assert_eq!(top.seats, 4 + 2);
    let cb = dash.iter().find(|r| r.unit_id == b).unwrap();
    assert_eq!((cb.reservists_class_1, cb.militia_members), (1, 0));
}

#[tokio::test]
async fn equipment_needs_matching_and_checks() {
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await.unwrap();
    let admin = actor(&db.store, "quantri").await;
    let s = db.store.scoped(&admin);
    let (a, b) = (demo.commune_command_ids[0], demo.commune_command_ids[1]);
    let today = time::OffsetDateTime::now_utc().date();

    let eq = |unit_id, kind, plate: &str, condition| NewEquipment {
        unit_id,
        kind,
        owner: "Công ty vận tải Hưng Yên".into(),
        plate: plate.into(),
        capacity: Some("5 tấn".into()),
        condition,
    };
    let truck = s
        .add_equipment(eq(a, EquipmentKind::Truck, "89c-123.45", EquipmentCondition::Good))
        .await
        .unwrap();
    assert_eq!(truck.plate, "89C-123.45");
    let e = s
        .add_equipment(eq(a, EquipmentKind::Truck, "89C-123.45", EquipmentCondition::Good))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e}");
    let e = s
        .add_equipment(eq(
            demo.province_command_id,
            EquipmentKind::Truck,
            "X",
            EquipmentCondition::Good,
        ))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("cấp xã"), "{e}");
    let coach = s
        .add_equipment(eq(a, EquipmentKind::Coach, "89B-000.01", EquipmentCondition::Good))
        .await
        .unwrap();
    let broken = s
        .add_equipment(eq(
            a,
            EquipmentKind::Truck,
            "89C-999.99",
            EquipmentCondition::OutOfService,
        ))
        .await
        .unwrap();
    let far = s
        .add_equipment(eq(b, EquipmentKind::Truck, "89C-555.55", EquipmentCondition::Good))
        .await
        .unwrap();

    let unit = s
        .create_reserve_unit(NewReserveUnit {
            unit_id: a,
            name: "Đại đội vận tải".into(),
            combat: false,
            spare_percent: 10,
        })
        .await
        .unwrap();
    s.set_equipment_need(unit.id, EquipmentKind::Truck, 2).await.unwrap();
    let needs = s.equipment_needs(Some(unit.id)).await.unwrap();
    assert_eq!(needs.len(), 1);

    // The proposal: the truck (exact), the coach (similar: same category), not the broken one,
    // not the one registered outside the area.
    let prop = s.propose_equipment(today).await.unwrap();
    let row = |id: i64| prop.iter().find(|r| r.equipment_id == id).unwrap();
    assert_eq!(row(truck.id).match_kind, Some(EquipmentMatch::Exact));
    assert_eq!(row(coach.id).match_kind, Some(EquipmentMatch::Similar));
    assert!(
        row(coach.id).explanation.contains("loại tương tự"),
        "{}",
        row(coach.id).explanation
    );
    assert_eq!(row(broken.id).need_id, None);
    assert!(row(broken.id).explanation.contains("tình trạng"));
    assert!(
        row(far.id).explanation.contains("địa bàn"),
        "{}",
        row(far.id).explanation
    );

    let need = needs[0].id;
    assert_eq!(s.accept_equipment(&[(truck.id, need)], today).await.unwrap(), 1);
    // The ledger: the truck is held; the same truck twice is refused with a Vietnamese sentence.
    let e = s.accept_equipment(&[(truck.id, need)], today).await.unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e}");
    assert!(e.to_string().contains("89C-123.45"), "{e}");
    let e = s.accept_equipment(&[(far.id, need)], today).await.unwrap_err();
    assert!(e.to_string().contains("ngoài địa bàn"), "{e}");
    let e = s
        .set_equipment_need(unit.id, EquipmentKind::Truck, 0)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e}");
    assert_eq!(s.equipment_assignments().await.unwrap().len(), 1);
    assert_eq!(
        s.equipment(truck.id).await.unwrap().assigned_unit.as_deref(),
        Some("Đại đội vận tải")
    );

    // Readiness checks: never checked and overdue equipment are listed.
    assert_eq!(s.equipment_checks_due(today).await.unwrap().len(), 4);
    s.record_equipment_check(truck.id, today, true, Some("Đủ giấy tờ, lái xe có bằng C"))
        .await
        .unwrap();
    let old = today - time::Duration::days(400);
    s.record_equipment_check(coach.id, old, true, None).await.unwrap();
    let due = s.equipment_checks_due(today).await.unwrap();
    assert_eq!(due.len(), 3);
    assert!(due
        .iter()
        .any(|e| e.id == coach.id && e.check_status.label_vi().contains("Quá hạn")));
    let e = s
        .record_equipment_check(truck.id, today + time::Duration::days(3), true, None)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Invalid(_)), "{e}");
    assert_eq!(s.equipment_checks(truck.id).await.unwrap().len(), 1);

    // Scope.
    let cmd_b = actor(&db.store, "chihuy.xa2").await;
    let sb = db.store.scoped(&cmd_b);
    assert_eq!(sb.equipment_list(today).await.unwrap().len(), 1);
    assert!(matches!(
        sb.record_equipment_check(truck.id, today, false, None)
            .await
            .unwrap_err(),
        StoreError::NotFound(_)
    ));
}

/// The ledger holds a citizen approved for a call-up: he cannot be assigned to a reserve unit.
#[tokio::test]
async fn a_citizen_approved_for_call_up_is_held_by_the_ledger() {
    use phongthu_domain::nvqs::exam::ExamRecord;
    use phongthu_domain::nvqs::plan::CappedList;
    use phongthu_domain::nvqs::stage::CallUpList;
    use phongthu_store::StageRequest;
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await.unwrap();
    let admin = actor(&db.store, "quantri").await;
    let s = db.store.scoped(&admin);
    let a = demo.commune_command_ids[0];
    let mut n = NewCitizen::new(a, "Nông Văn Tuyển", date!(2003 - 03 - 03), Sex::Male);
    n.education_grade = Some("12/12".into());
    let c = s.create_citizen(n).await.unwrap();
    let cycle = s.create_cycle(demo.province_command_id, 2026, 1).await.unwrap();
    let split: Vec<(i64, i64)> = s
        .cycle_overview(cycle.id)
        .await
        .unwrap()
        .communes
        .iter()
        .map(|f| (f.unit_id, i64::from(f.unit_id == a)))
        .collect();
    s.save_quotas(cycle.id, &split, Some("Một xã")).await.unwrap();
    let step = |r: StageRequest, on: Date| {
        let s = &s;
        async move { s.record_stage(cycle.id, c.id, r, on, None).await.unwrap() }
    };
    step(StageRequest::Screen { passed: true }, date!(2025 - 10 - 01)).await;
    s.approve_list(cycle.id, a, CappedList::Examination, None)
        .await
        .unwrap();
    let exam = ExamRecord::new([1; 8], 170.0, 62.0, None, false, false).unwrap();
    step(StageRequest::Examine(exam), date!(2025 - 11 - 20)).await;
    step(StageRequest::Vet { passed: true }, date!(2025 - 12 - 20)).await;
    step(StageRequest::Approve(CallUpList::Official), date!(2026 - 01 - 10)).await;

    let r = s.add_reservist(reservist(c.id, "1A")).await.unwrap();
    let unit = s
        .create_reserve_unit(NewReserveUnit {
            unit_id: a,
            name: "Đại đội bộ binh 2".into(),
            combat: true,
            spare_percent: 10,
        })
        .await
        .unwrap();
    let p = s
        .add_position(NewPosition {
            reserve_unit_id: unit.id,
            title: "Xạ thủ".into(),
            specialty: "1A".into(),
            rank: None,
            count: 1,
        })
        .await
        .unwrap();
    let e = s.check_assignment(r.id, p.id, date!(2026 - 02 - 01)).await.unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e}");
    assert!(e.to_string().contains("tuyển quân"), "{e}");
    let prop = s.propose_assignment(date!(2026 - 02 - 01)).await.unwrap();
    assert!(prop.rows.iter().all(|row| row.reservist_id != r.id));
    // Nor can he join the militia while the call-up holds him.
    let militia = s
        .create_militia_unit(NewMilitiaUnit {
            unit_id: a,
            kind: MilitiaKind::Mobile,
            echelon: Echelon::Platoon,
            name: "Trung đội cơ động 2".into(),
        })
        .await
        .unwrap();
    let e = s
        .add_member(NewMilitiaMember {
            militia_unit_id: militia.id,
            citizen_id: c.id,
            post: None,
            volunteer: false,
            joined_on: date!(2026 - 02 - 01),
        })
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e}");
    assert!(e.to_string().contains("tuyển quân"), "{e}");
    // Handed over on a day stored near the calendar's end (before dates were bounded): the
    // two-year hold runs to the calendar's last day, where adding 730 days used to panic on every
    // later check of this citizen.
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&db.url)
        .await
        .unwrap();
    sqlx::raw_sql(&format!(
        "UPDATE nvqs_candidate SET stage = 'handed_over', handed_over_on = '9999-12-25' WHERE citizen_id = {}",
        c.id
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    let e = s.check_assignment(r.id, p.id, date!(2026 - 02 - 01)).await.unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e}");
    assert!(e.to_string().contains("tuyển quân"), "{e}");
}
