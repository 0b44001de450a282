//! The figures, lists and documents' facts a commune reports in a call-up cycle, on both
//! backends: a missing education level keeps a citizen in the pool as "needs checking"; health
//! class 4–6 (including by the BMI band) leads to a deferral under Art. 41.1.a recorded after the
//! "unfit" result; a commune command answers for its own quota; call-up decisions are numbered in
//! the list's order and keep the reporting place and time; the re-check after handover is 10
//! days.

use phongthu_domain::nvqs::exam::ExamRecord;
use phongthu_domain::nvqs::plan::CappedList;
use phongthu_domain::nvqs::stage::{CallUpList, Stage};
use phongthu_domain::nvqs::Sex;
use phongthu_store::testing::TestDb;
use phongthu_store::{NewCitizen, RegistrationKind, Scoped, StageRequest};
use time::macros::date;
use time::Date;

use phongthu_store::testing::demo_actor as actor;

const EXAM_DAY: Date = date!(2025 - 11 - 20);

async fn take(s: &Scoped<'_>, cycle: i64, citizen: i64, r: StageRequest, on: Date) -> Stage {
    s.record_stage(cycle, citizen, r, on, None).await.unwrap()
}

fn fit() -> ExamRecord {
    ExamRecord::new([1, 1, 2, 1, 1, 1, 1, 1], 170.0, 62.0, None, false, false).unwrap()
}

#[tokio::test]
async fn a_wards_figures_lists_and_decisions() {
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await.unwrap();
    let admin = actor(&db.store, "quantri").await;
    let s = db.store.scoped(&admin);
    let commune = demo.commune_command_ids[0];
    let other = demo.commune_command_ids[1];
    // Five men of age with grade 12, and one whose record has no education level.
    let mut ids = Vec::new();
    for given in ["An", "Bình", "Cường", "Dũng", "Giang"] {
        let mut n = NewCitizen::new(commune, &format!("Hoàng Văn {given}"), date!(2003 - 05 - 01), Sex::Male);
        n.education_grade = Some("12/12".into());
        ids.push(s.create_citizen(n).await.unwrap().id);
    }
    let blank = s
        .create_citizen(NewCitizen::new(
            commune,
            "Lê Văn Trống",
            date!(2003 - 05 - 01),
            Sex::Male,
        ))
        .await
        .unwrap()
        .id;
    let mut o = NewCitizen::new(other, "Vũ Văn Khác", date!(2003 - 05 - 01), Sex::Male);
    o.education_grade = Some("12/12".into());
    s.create_citizen(o).await.unwrap();

    // The province's quota is 3: 2 for the commune, 1 for the other.
    let cycle = s.create_cycle(demo.province_command_id, 2026, 3).await.unwrap();
    let overview = s.cycle_overview(cycle.id).await.unwrap();
    let mine = overview.communes.iter().find(|f| f.unit_id == commune).unwrap();
    // A blank education level is not grade 0: he stays in the pool, counted apart.
    assert_eq!((mine.eligible, mine.incomplete), (6, 1));
    let p = s.commune_cycle(cycle.id, commune).await.unwrap();
    let row = p.candidates.iter().find(|c| c.citizen.id == blank).unwrap();
    assert!(row.needs_checking);
    assert!(
        !p.candidates
            .iter()
            .find(|c| c.citizen.id == ids[0])
            .unwrap()
            .needs_checking
    );

    // Before the split, a commune command has no quota yet; the province has its own.
    let commander = actor(&db.store, "chihuy").await;
    let cs = db.store.scoped(&commander);
    assert_eq!(cs.quota_in_scope(&cycle).await.unwrap(), None);
    assert_eq!(s.quota_in_scope(&cycle).await.unwrap(), Some(3));
    let split: Vec<(i64, i64)> = overview
        .communes
        .iter()
        .map(|f| {
            let q = if f.unit_id == commune {
                2
            } else {
                i64::from(f.unit_id == other)
            };
            (f.unit_id, q)
        })
        .collect();
    s.save_quotas(cycle.id, &split, Some("Thử nghiệm")).await.unwrap();
    assert_eq!(cs.quota_in_scope(&cycle).await.unwrap(), Some(2));

    // Screening, examination: a BMI of 32.9 puts the physique in class 4 whatever the
    // examiner's score: unfit, and a deferral under 41.1.a may follow (only that ground).
    for &id in &ids {
        take(
            &s,
            cycle.id,
            id,
            StageRequest::Screen { passed: true },
            date!(2025 - 10 - 01),
        )
        .await;
    }
    s.approve_list(cycle.id, commune, CappedList::Examination, None)
        .await
        .unwrap();
    let heavy = ExamRecord::new([1; 8], 170.0, 95.0, None, false, false).unwrap();
    assert_eq!(
        take(&s, cycle.id, ids[4], StageRequest::Examine(heavy), EXAM_DAY).await,
        Stage::Unfit
    );
    let defer = |ground: &str| StageRequest::Defer {
        ground: ground.into(),
        decision_number: "5/QĐ-UBND".into(),
        evidence: "Phiếu sức khỏe của Hội đồng khám".into(),
    };
    let e = s
        .record_stage(cycle.id, ids[4], defer("41.1.d"), date!(2025 - 12 - 01), None)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("điểm a khoản 1 Điều 41"), "{e}");
    assert_eq!(
        take(&s, cycle.id, ids[4], defer("41.1.a"), date!(2025 - 12 - 01)).await,
        Stage::Deferred
    );
    let c = s.candidate(cycle.id, ids[4]).await.unwrap();
    assert_eq!((c.health_class, c.ground.as_deref()), (Some(4), Some("41.1.a")));
    let d = s.cycle_dashboard(cycle.id).await.unwrap();
    let f = d.communes.iter().find(|f| f.unit_id == commune).unwrap();
    assert_eq!((f.classes[3], f.deferral_decisions), (1, 1));

    for &id in &ids[..4] {
        take(&s, cycle.id, id, StageRequest::Examine(fit()), EXAM_DAY).await;
        take(
            &s,
            cycle.id,
            id,
            StageRequest::Vet { passed: true },
            date!(2025 - 12 - 20),
        )
        .await;
    }
    for &id in &ids[..2] {
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
        ids[2],
        StageRequest::Approve(CallUpList::Reserve),
        date!(2026 - 01 - 10),
    )
    .await;
    s.approve_list(cycle.id, commune, CappedList::Official, None)
        .await
        .unwrap();
    s.approve_list(cycle.id, commune, CappedList::Reserve, None)
        .await
        .unwrap();

    // A citizen heading for a call-up decision with no first registration is named.
    assert_eq!(
        s.without_first_registration(&ids[..2]).await.unwrap(),
        ids[..2].to_vec()
    );
    s.record_registration(ids[0], RegistrationKind::First, date!(2021 - 04 - 10), None)
        .await
        .unwrap();
    assert_eq!(s.without_first_registration(&ids[..2]).await.unwrap(), vec![ids[1]]);

    // Decisions of a batch are numbered in the list's order (Vietnamese name order), whatever
    // order the ids come in; each keeps the place and time entered.
    let n = s
        .record_stages(
            cycle.id,
            &[ids[1], ids[0]],
            StageRequest::IssueCallUp {
                decision_number: "16/QĐ-UBND".into(),
                report_place: "Sân vận động phường".into(),
                report_at: "07 giờ 00 ngày 04/3/2026".into(),
                replaces: None,
                override_reason: None,
            },
            date!(2026 - 02 - 01),
            None,
        )
        .await
        .unwrap();
    assert_eq!(n, 2);
    let first = s.candidate(cycle.id, ids[0]).await.unwrap().decision_number;
    let second = s.candidate(cycle.id, ids[1]).await.unwrap().decision_number;
    assert_eq!(first.as_deref(), Some("16/QĐ-UBND"), "Hoàng Văn An first");
    assert_eq!(second.as_deref(), Some("17/QĐ-UBND"));
    let steps = s.steps_in_force(cycle.id, commune, "issue_call_up").await.unwrap();
    assert_eq!(
        steps[&ids[1]].text("report_place").as_deref(),
        Some("Sân vận động phường")
    );
    assert_eq!(
        steps[&ids[1]].text("report_at").as_deref(),
        Some("07 giờ 00 ngày 04/3/2026")
    );
    // The screening call was issued to every one of them, whatever came next.
    assert_eq!(s.steps_in_force(cycle.id, commune, "screen").await.unwrap().len(), 5);

    // Handover; the re-check may return a recruit within 10 days of it (TT 68/2025), not later.
    for &id in &ids[..2] {
        take(&s, cycle.id, id, StageRequest::HandOver, date!(2026 - 03 - 04)).await;
    }
    let e = s
        .record_stage(
            cycle.id,
            ids[1],
            StageRequest::Return,
            date!(2026 - 03 - 15),
            Some("Phúc tra"),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("10 ngày"), "{e}");
    s.record_stage(
        cycle.id,
        ids[1],
        StageRequest::Return,
        date!(2026 - 03 - 14),
        Some("Phúc tra"),
    )
    .await
    .unwrap();
    take(
        &s,
        cycle.id,
        ids[2],
        StageRequest::IssueCallUp {
            decision_number: "18/QĐ-UBND".into(),
            report_place: "Sân vận động phường".into(),
            report_at: "07 giờ 00 ngày 16/3/2026".into(),
            replaces: Some(ids[1]),
            override_reason: Some("Đơn vị nhận quân đề nghị".into()),
        },
        date!(2026 - 03 - 15),
    )
    .await;
    take(&s, cycle.id, ids[2], StageRequest::HandOver, date!(2026 - 03 - 16)).await;

    // The ward's figures: 2 handed over of its quota of 2 (the returned one not counted, his
    // replacement once), under the ward's own name; the province sees its quota of 3.
    let d = cs.cycle_dashboard(cycle.id).await.unwrap();
    assert_eq!(d.communes.len(), 1);
    assert_eq!((d.total.handed_over, d.total.returned, d.total.replaced), (2, 1, 1));
    assert_eq!(d.total.quota, 2);
    assert_eq!(d.total.quota_pct(), Some(100.0));
    assert_eq!(d.total.unit_id, commune);
    let y = cs.year_rollup(2026).await.unwrap();
    assert_eq!(y.provinces[0].1.unit_id, commune);
    assert_eq!(y.total.quota, 2);
    let d = s.cycle_dashboard(cycle.id).await.unwrap();
    assert_eq!((d.total.quota, d.total.handed_over), (3, 2));
}
