//! A commune's citizens through the whole call-up cycle, on both backends: screening, the
//! examination, vetting, lists with their caps, call-up decisions, handover, the post check,
//! returns and replacements, deferral and exemption decisions, reverts.

use phongthu_domain::nvqs::exam::ExamRecord;
use phongthu_domain::nvqs::plan::{CappedList, Step};
use phongthu_domain::nvqs::stage::{CallUpList, Stage, TransitionKind};
use phongthu_domain::nvqs::Sex;
use phongthu_store::testing::TestDb;
use phongthu_store::{CycleCaps, NewCitizen, Scoped, StageRequest, StoreError};
use time::macros::date;
use time::Date;

use phongthu_store::testing::demo_actor as actor;

fn fit_exam() -> ExamRecord {
    ExamRecord::new([1, 1, 2, 1, 1, 1, 1, 1], 170.0, 62.0, None, false, false).unwrap()
}

const EXAM_DAY: Date = date!(2025 - 11 - 20);

async fn take(s: &Scoped<'_>, cycle: i64, citizen: i64, r: StageRequest, on: Date) -> Stage {
    s.record_stage(cycle, citizen, r, on, None).await.unwrap()
}

fn call_up(number: &str, replaces: Option<i64>, reason: Option<&str>) -> StageRequest {
    StageRequest::IssueCallUp {
        decision_number: number.into(),
        report_place: "Sân vận động xã".into(),
        report_at: "07 giờ 00 ngày 04/3/2026".into(),
        replaces,
        override_reason: reason.map(str::to_string),
    }
}

#[tokio::test]
async fn a_commune_through_the_whole_cycle() {
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await.unwrap();
    let admin = actor(&db.store, "quantri").await;
    let s = db.store.scoped(&admin);
    let commune = demo.commune_command_ids[0];
    let other = demo.commune_command_ids[1];
    // Ten men of age with grade 12 in the commune (the demo may hold others).
    let mut ids = Vec::new();
    const GIVEN: [&str; 10] = [
        "An", "Bình", "Cường", "Dũng", "Đức", "Giang", "Hải", "Khánh", "Long", "Minh",
    ];
    for given in GIVEN {
        let mut n = NewCitizen::new(commune, &format!("Hoàng Văn {given}"), date!(2003 - 05 - 01), Sex::Male);
        n.education_grade = Some("12/12".into());
        ids.push(s.create_citizen(n).await.unwrap().id);
    }
    // A student (deferred by the engine) and a man in the other commune.
    let mut st = NewCitizen::new(commune, "Đỗ Văn Học", date!(2005 - 01 - 01), Sex::Male);
    st.education_grade = Some("12/12".into());
    st.studying_level = Some(phongthu_domain::nvqs::StudyLevel::University);
    let student = s.create_citizen(st).await.unwrap().id;
    let mut o = NewCitizen::new(other, "Vũ Văn Khác", date!(2003 - 05 - 01), Sex::Male);
    o.education_grade = Some("12/12".into());
    let outsider = s.create_citizen(o).await.unwrap().id;

    let cycle = s.create_cycle(demo.province_command_id, 2026, 2).await.unwrap();
    let overview = s.cycle_overview(cycle.id).await.unwrap();
    let split: Vec<(i64, i64)> = overview
        .communes
        .iter()
        .map(|f| (f.unit_id, if f.unit_id == commune { 2 } else { 0 }))
        .collect();
    s.save_quotas(cycle.id, &split, Some("Thử nghiệm: toàn bộ chỉ tiêu cho một xã"))
        .await
        .unwrap();

    // The student is not in the pool: screening him is refused with the engine's reason.
    let e = s
        .record_stage(cycle.id, student, StageRequest::Screen { passed: true }, EXAM_DAY, None)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("không thuộc nguồn"), "{e}");
    // Skipping a stage is refused by the state machine; nothing is written.
    let audit_before = db.store.verify_audit().await.unwrap().entries;
    let e = s
        .record_stage(cycle.id, ids[0], StageRequest::Examine(fit_exam()), EXAM_DAY, None)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("Trong nguồn"), "{e}");
    assert_eq!(db.store.verify_audit().await.unwrap().entries, audit_before);

    // Screening: 9 pass, 1 fails. The examination list cap is 4 × 2 = 8.
    for &id in &ids[..9] {
        assert_eq!(
            take(
                &s,
                cycle.id,
                id,
                StageRequest::Screen { passed: true },
                date!(2025 - 10 - 01)
            )
            .await,
            Stage::Screened
        );
    }
    take(
        &s,
        cycle.id,
        ids[9],
        StageRequest::Screen { passed: false },
        date!(2025 - 10 - 01),
    )
    .await;
    let page = s.commune_cycle(cycle.id, commune).await.unwrap();
    let exam_list = page.lists.iter().find(|l| l.list == CappedList::Examination).unwrap();
    assert_eq!((exam_list.count, exam_list.cap, exam_list.over), (9, 8, true));
    // The examination needs the list approved; over the cap, approval needs a reason.
    let e = s
        .record_stage(cycle.id, ids[0], StageRequest::Examine(fit_exam()), EXAM_DAY, None)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("chưa được duyệt"), "{e}");
    let e = s
        .approve_list(cycle.id, commune, CappedList::Examination, None)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("lý do"), "{e}");
    // One is reverted (screened by mistake): the list is back within the cap.
    let e = s
        .record_stage(cycle.id, ids[8], StageRequest::Revert, EXAM_DAY, None)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("lý do"), "{e}");
    assert_eq!(
        s.record_stage(cycle.id, ids[8], StageRequest::Revert, EXAM_DAY, Some("Nhập nhầm"))
            .await
            .unwrap(),
        Stage::Pool
    );
    let approval = s
        .approve_list(cycle.id, commune, CappedList::Examination, None)
        .await
        .unwrap();
    assert_eq!((approval.count, approval.cap), (8, 8));

    // The examination: outside the window is refused; a class-4 result is unfit.
    let e = s
        .record_stage(
            cycle.id,
            ids[0],
            StageRequest::Examine(fit_exam()),
            date!(2026 - 01 - 10),
            None,
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("ngoài thời gian khám"), "{e}");
    let unfit = ExamRecord::new([1, 1, 1, 1, 4, 1, 1, 1], 168.0, 60.0, None, false, false).unwrap();
    assert_eq!(
        take(&s, cycle.id, ids[7], StageRequest::Examine(unfit), EXAM_DAY).await,
        Stage::Unfit
    );
    // Myopia over the limit is unfit even in class 2 (the engine's standard).
    let myopic = ExamRecord::new([1, 2, 1, 1, 1, 1, 1, 1], 168.0, 60.0, Some(4.0), false, false).unwrap();
    assert_eq!(
        take(&s, cycle.id, ids[6], StageRequest::Examine(myopic), EXAM_DAY).await,
        Stage::Unfit
    );
    for &id in &ids[..6] {
        assert_eq!(
            take(&s, cycle.id, id, StageRequest::Examine(fit_exam()), EXAM_DAY).await,
            Stage::Examined
        );
        take(
            &s,
            cycle.id,
            id,
            StageRequest::Vet { passed: true },
            date!(2025 - 12 - 20),
        )
        .await;
    }
    let history = s.stage_history(cycle.id, ids[0]).await.unwrap();
    assert_eq!(history.len(), 3);
    assert_eq!(history[1].detail["health_class"], 2);

    // Lists: three official (quota 2: over), one reserve (cap ⌈5% × 2⌉ = 1).
    for &id in &ids[..3] {
        take(
            &s,
            cycle.id,
            id,
            StageRequest::Approve(CallUpList::Official),
            date!(2026 - 01 - 10),
        )
        .await;
    }
    take(
        &s,
        cycle.id,
        ids[3],
        StageRequest::Approve(CallUpList::Reserve),
        date!(2026 - 01 - 10),
    )
    .await;
    let e = s
        .approve_list(cycle.id, commune, CappedList::Official, None)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("vượt giới hạn"), "{e}");
    // A second approval is not a step; the third official is reverted to "vetted" instead.
    assert!(s
        .record_stage(
            cycle.id,
            ids[2],
            StageRequest::Approve(CallUpList::Reserve),
            date!(2026 - 01 - 10),
            None
        )
        .await
        .is_err());
    s.record_stage(
        cycle.id,
        ids[2],
        StageRequest::Revert,
        date!(2026 - 01 - 10),
        Some("Vượt chỉ tiêu"),
    )
    .await
    .unwrap();
    let p = s.commune_cycle(cycle.id, commune).await.unwrap();
    let stage_of = |id: i64| p.candidates.iter().find(|c| c.citizen.id == id).unwrap().stage;
    assert_eq!(stage_of(ids[2]), Stage::Vetted);
    s.approve_list(cycle.id, commune, CappedList::Official, None)
        .await
        .unwrap();
    s.approve_list(cycle.id, commune, CappedList::Reserve, None)
        .await
        .unwrap();

    // Call-up decisions, handover, post check.
    for (i, &id) in ids[..2].iter().enumerate() {
        take(
            &s,
            cycle.id,
            id,
            call_up(&format!("{}/QĐ-UBND", i + 1), None, None),
            date!(2026 - 02 - 01),
        )
        .await;
        take(&s, cycle.id, id, StageRequest::HandOver, date!(2026 - 03 - 04)).await;
    }
    take(&s, cycle.id, ids[0], StageRequest::Confirm, date!(2026 - 03 - 10)).await;
    let e = s
        .record_stage(cycle.id, ids[1], StageRequest::Return, date!(2026 - 03 - 10), None)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("lý do trả về"), "{e}");
    s.record_stage(
        cycle.id,
        ids[1],
        StageRequest::Return,
        date!(2026 - 03 - 10),
        Some("Phúc tra: viêm gan B"),
    )
    .await
    .unwrap();
    assert_eq!(
        s.returned_unreplaced(cycle.id).await.unwrap(),
        vec![(ids[1], "Hoàng Văn Bình".to_string())]
    );
    // A reserve citizen replaces him: needs whom he replaces; the cap is ⌊2% × 2⌋ = 0, so it
    // needs a reason; after 15 days it is refused whatever the reason.
    let e = s
        .record_stage(
            cycle.id,
            ids[3],
            call_up("3/QĐ-UBND", None, None),
            date!(2026 - 03 - 12),
            None,
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("bù đổi"), "{e}");
    let e = s
        .record_stage(
            cycle.id,
            ids[3],
            call_up("3/QĐ-UBND", Some(ids[1]), None),
            date!(2026 - 03 - 12),
            None,
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("lý do"), "{e}");
    let e = s
        .record_stage(
            cycle.id,
            ids[3],
            call_up("3/QĐ-UBND", Some(ids[1]), Some("Đơn vị nhận quân đề nghị")),
            date!(2026 - 03 - 25),
            None,
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("15 ngày"), "{e}");
    take(
        &s,
        cycle.id,
        ids[3],
        call_up("3/QĐ-UBND", Some(ids[1]), Some("Đơn vị nhận quân đề nghị")),
        date!(2026 - 03 - 12),
    )
    .await;
    take(&s, cycle.id, ids[3], StageRequest::HandOver, date!(2026 - 03 - 13)).await;
    let e = s
        .record_stage(
            cycle.id,
            ids[3],
            call_up("4/QĐ-UBND", Some(ids[1]), Some("x")),
            date!(2026 - 03 - 12),
            None,
        )
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("Không thể"),
        "a second call-up is not a step: {e}"
    );

    // Deferral and exemption decisions need a ground of the right clause, a number and evidence.
    let e = s
        .record_stage(
            cycle.id,
            student,
            StageRequest::Defer {
                ground: "41.2.a".into(),
                decision_number: "9/QĐ-UBND".into(),
                evidence: "Giấy xác nhận".into(),
            },
            date!(2025 - 12 - 01),
            None,
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("khoản 1"), "{e}");
    assert_eq!(
        take(
            &s,
            cycle.id,
            student,
            StageRequest::Defer {
                ground: "41.1.g".into(),
                decision_number: "9/QĐ-UBND".into(),
                evidence: "Giấy xác nhận của Trường Đại học Bách khoa".into(),
            },
            date!(2025 - 12 - 01),
        )
        .await,
        Stage::Deferred
    );

    let p = s.commune_cycle(cycle.id, commune).await.unwrap();
    let row = |id: i64| p.candidates.iter().find(|c| c.citizen.id == id).unwrap().clone();
    assert_eq!(row(ids[0]).stage, Stage::Confirmed);
    assert_eq!(row(ids[1]).stage, Stage::Returned);
    assert_eq!(row(ids[3]).stage, Stage::HandedOver);
    assert_eq!(row(ids[3]).replaces_citizen_id, Some(ids[1]));
    assert_eq!(row(ids[0]).health_class, Some(2));
    assert_eq!(row(ids[0]).decision_number.as_deref(), Some("1/QĐ-UBND"));
    assert_eq!(row(student).ground.as_deref(), Some("41.1.g"));
    assert!(row(ids[1]).next.contains(&TransitionKind::Revert));
    // One citizen's row without the whole commune: the same as in the commune's list.
    assert_eq!(s.candidate(cycle.id, ids[3]).await.unwrap(), row(ids[3]));
    assert_eq!(s.candidate(cycle.id, student).await.unwrap(), row(student));
    // The returned citizen has been replaced: no one is left to replace.
    assert!(s.returned_unreplaced(cycle.id).await.unwrap().is_empty());
    assert!(row(ids[4]).next.contains(&TransitionKind::Approve));

    // The yearly figures: the commune and the province's total.
    let d = s.cycle_dashboard(cycle.id).await.unwrap();
    let f = d.communes.iter().find(|f| f.unit_id == commune).unwrap();
    assert_eq!(f.quota, 2);
    assert_eq!(f.examined, 8);
    assert_eq!(
        f.classes,
        [0, 7, 0, 1, 0, 0],
        "six fit and one myopic in class 2, one in class 4"
    );
    assert_eq!((f.official_called, f.reserve_called), (2, 1));
    // Handed over = handed over and not returned: the confirmed one and the replacement; the
    // returned one is not counted, the replacement once.
    assert_eq!((f.handed_over, f.confirmed, f.returned, f.replaced), (2, 1, 1, 1));
    assert_eq!(f.deferral_decisions, 1);
    assert_eq!(f.quota_pct(), Some(100.0));
    assert_eq!(d.total.quota, 2);
    assert_eq!(d.total.handed_over, 2);
    let year = s.year_rollup(2026).await.unwrap();
    assert_eq!(year.provinces.len(), 1);
    assert_eq!(year.total.handed_over, 2);

    // A directive's task tied to "quota handed over" measures it from the stages: 2 of 2.
    let doc = s
        .register_incoming(
            phongthu_store::NewDocument {
                unit_id: demo.province_command_id,
                number_symbol: Some("01-CT/TU".into()),
                title: "Chỉ thị tuyển quân năm 2026".into(),
                ..Default::default()
            },
            date!(2026 - 01 - 05),
        )
        .await
        .unwrap();
    let task = phongthu_store::ReviewedTask {
        ordinal: "1".into(),
        summary: "Giao quân đủ 100% chỉ tiêu".into(),
        lead_unit_id: demo.province_command_id,
        coordinating_unit_ids: vec![],
        deadline: Some("2026".into()),
        due_date: None,
        targets: vec![],
        recurring: false,
        indicator: Some(phongthu_store::TaskIndicator {
            kind: phongthu_domain::directive::indicator::IndicatorKind::QuotaHandedOver,
            year: 2026,
            target_percent: 100,
        }),
    };
    let tasks = s.create_tasks_from_review(doc.id, vec![task]).await.unwrap();
    let m = s.measured_indicator(tasks[0].id).await.unwrap().unwrap();
    assert_eq!((m.measurement.done, m.measurement.due), (2, 2));
    assert_eq!(m.percent, Some(100));

    // Violations: the fine range is the regime's on the date of the act.
    let v = s
        .record_violation(
            ids[9],
            Some(cycle.id),
            phongthu_domain::nvqs::sanctions::Violation::AbsentFromExamination,
            date!(2025 - 11 - 20),
            Some("Không có mặt buổi khám ngày 20/11"),
        )
        .await
        .unwrap();
    assert_eq!((v.fine_min, v.fine_max), (Some(15_000_000), Some(20_000_000)));
    assert!(v.regime.contains("218/2025"));
    let old = s
        .record_violation(
            ids[9],
            None,
            phongthu_domain::nvqs::sanctions::Violation::AbsentFromExamination,
            date!(2024 - 11 - 20),
            None,
        )
        .await
        .unwrap();
    assert_eq!((old.fine_min, old.fine_max), (Some(10_000_000), Some(12_000_000)));
    let e = s
        .record_violation(
            ids[9],
            None,
            phongthu_domain::nvqs::sanctions::Violation::AbsentFromScreening,
            date!(2099 - 01 - 01),
            None,
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("sau ngày hôm nay"), "{e}");
    assert_eq!(s.violations(Some(ids[9])).await.unwrap().len(), 2);

    // A handover date stored at the calendar's end (before dates were bounded): a return is
    // refused with the window's end as the last day, where adding 10 days used to panic.
    raw(
        &db,
        &format!(
            "UPDATE nvqs_stage_event SET event_date = '9999-12-25' WHERE citizen_id = {} AND kind = 'hand_over'; \
             UPDATE nvqs_candidate SET handed_over_on = '9999-12-25' WHERE citizen_id = {}",
            ids[3], ids[3]
        ),
    )
    .await;
    let e = s
        .record_stage(
            cycle.id,
            ids[3],
            StageRequest::Return,
            date!(2026 - 03 - 20),
            Some("Phúc tra"),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("31/12/9999"), "{e}");

    // Scope: a commune commander works his own commune only; the other commune's citizen is
    // out of his reach, and he cannot change the cycle's settings.
    let commander = actor(&db.store, "chihuy").await;
    let cs = db.store.scoped(&commander);
    assert_eq!(commander.unit_id, commune);
    assert!(cs.commune_cycle(cycle.id, commune).await.is_ok());
    assert!(cs
        .record_stage(
            cycle.id,
            outsider,
            StageRequest::Screen { passed: true },
            EXAM_DAY,
            None
        )
        .await
        .is_err());
    assert!(matches!(
        cs.save_cycle_settings(
            cycle.id,
            CycleCaps {
                exam_ratio: 5.0,
                reserve_pct: 5.0,
                replacement_pct: 2.0
            },
            &[]
        )
        .await,
        Err(StoreError::Forbidden(_))
    ));
    // Every accepted step left an audit entry and the chain still verifies.
    assert!(db.store.verify_audit().await.unwrap().entries > audit_before + 30);
}

#[tokio::test]
async fn settings_are_checked_and_audited() {
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await.unwrap();
    let admin = actor(&db.store, "quantri").await;
    let s = db.store.scoped(&admin);
    let cycle = s.create_cycle(demo.province_command_id, 2026, 10).await.unwrap();
    let settings = s.cycle_settings(cycle.id).await.unwrap();
    assert_eq!(settings.caps.exam_ratio, 4.0);
    assert_eq!(settings.timetable.len(), Step::ALL.len());
    let mut t = settings.timetable.clone();
    // The examination window may shrink but not leave 1 Nov–31 Dec.
    t[3].2 = date!(2026 - 01 - 15);
    let e = s.save_cycle_settings(cycle.id, settings.caps, &t).await.unwrap_err();
    assert!(e.to_string().contains("Điều 40"), "{e}");
    t[3].2 = date!(2025 - 12 - 10);
    let caps = CycleCaps {
        exam_ratio: 3.0,
        reserve_pct: 10.0,
        replacement_pct: 2.5,
    };
    let e = s.save_cycle_settings(cycle.id, caps, &t).await.unwrap_err();
    assert!(e.to_string().contains("2%"), "{e}");
    let caps = CycleCaps {
        replacement_pct: 1.5,
        ..caps
    };
    s.save_cycle_settings(cycle.id, caps, &t).await.unwrap();
    let again = s.cycle_settings(cycle.id).await.unwrap();
    assert_eq!(again.caps, caps);
    assert_eq!(again.timetable[3].2, date!(2025 - 12 - 10));
    let audit = s
        .audit_entries(&phongthu_store::AuditFilter {
            entity: Some("nvqs_cycle".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(audit.iter().any(|a| a.action == "update_settings"));
}

async fn raw(db: &TestDb, sql: &str) {
    sqlx::any::install_default_drivers();
    let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(&db.url)
        .await
        .unwrap();
    sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
}
