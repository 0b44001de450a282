//! Records that can be corrected, dates checked against today and the cycle, and examination
//! results for many citizens at once — on both backends.

use phongthu_domain::nvqs::exam::ExamRecord;
use phongthu_domain::nvqs::plan::CappedList;
use phongthu_domain::nvqs::stage::{CallUpList, Stage};
use phongthu_domain::nvqs::{Sex, StudyLevel};
use phongthu_store::testing::TestDb;
use phongthu_store::{
    CitizenEdit, ExamImportOptions, GridExam, ImportMode, ListAct, NewCitizen, SourceRow, StageRequest, StepDate,
    StoreError, EXAM_COLUMNS,
};
use time::{Date, Duration, Month};

use phongthu_store::testing::demo_actor as actor;

fn edit_of(c: &phongthu_store::Citizen) -> CitizenEdit {
    let mut n = NewCitizen::new(c.unit_id, &c.full_name, c.birth_date, c.sex);
    n.national_id = c.national_id.clone();
    n.education_grade = c.education_grade.clone();
    n.studying_level = c.studying_level;
    n.permanent_commune_code = c.permanent_commune_code.clone();
    n.occupation = c.occupation.clone();
    n.workplace = c.workplace.clone();
    n.party_member = c.party_member;
    CitizenEdit {
        record: n,
        studying_full_time: c.studying_full_time,
        studying_first_course: c.studying_first_course,
    }
}

/// The cycle year whose examination window (1 Nov – 31 Dec of the year before) has begun by
/// `today`, and a day of that window not after today: the tests run on any date.
fn cycle_with_exam_behind(today: Date) -> (i32, Date) {
    let nov1 = Date::from_calendar_date(today.year(), Month::November, 1).unwrap();
    if today >= nov1 {
        (today.year() + 1, today.min(nov1 + Duration::days(19)))
    } else {
        (
            today.year(),
            Date::from_calendar_date(today.year() - 1, Month::November, 20).unwrap(),
        )
    }
}

#[tokio::test]
async fn an_edit_is_audited_field_by_field_and_the_pool_follows_it() {
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await.unwrap();
    let admin = actor(&db.store, "quantri").await;
    let s = db.store.scoped(&admin);
    let commune = demo.commune_command_ids[0];
    let today = phongthu_store::today_vn();
    let year = today.year() + 1;
    let born = Date::from_calendar_date(year - 20, Month::May, 1).unwrap();
    let mut n = NewCitizen::new(commune, "Lê Văn Sửa", born, Sex::Male);
    n.education_grade = Some("5/12".into());
    let c = s.create_citizen(n).await.unwrap();
    let cycle = s.create_cycle(demo.province_command_id, year, 2).await.unwrap();
    let eligible = |o: &phongthu_store::CycleOverview| {
        o.communes
            .iter()
            .find(|f| f.unit_id == commune)
            .map(|f| f.eligible)
            .unwrap()
    };
    let before = eligible(&s.cycle_overview(cycle.id).await.unwrap());

    // Grade 5 is below the standard: correcting it to 12/12 brings him into the pool.
    let mut e = edit_of(&c);
    e.record.education_grade = Some("12/12".into());
    e.record.occupation = Some("Thợ điện".into());
    let version = db.registry_version(commune).await;
    let (after, changed) = s.edit_citizen(c.id, e).await.unwrap();
    assert_eq!(changed, 2);
    assert!(
        db.registry_version(commune).await > version,
        "the edit moves the commune's registry version"
    );
    assert_eq!(after.education_grade.as_deref(), Some("12/12"));
    assert_eq!(eligible(&s.cycle_overview(cycle.id).await.unwrap()), before + 1);

    // A full-time university student in his first course is deferred (Art. 41.1.g) and leaves
    // the pool; recorded as not full time, he is back in it.
    let mut e = edit_of(&after);
    e.record.studying_level = Some(StudyLevel::University);
    e.studying_full_time = Some(true);
    e.studying_first_course = Some(true);
    let (student, _) = s.edit_citizen(c.id, e).await.unwrap();
    assert_eq!(
        (student.studying_full_time, student.studying_first_course),
        (Some(true), Some(true))
    );
    assert_eq!(eligible(&s.cycle_overview(cycle.id).await.unwrap()), before);
    let mut e = edit_of(&student);
    e.studying_full_time = Some(false);
    s.edit_citizen(c.id, e).await.unwrap();
    assert_eq!(eligible(&s.cycle_overview(cycle.id).await.unwrap()), before + 1);

    // Nothing changed: nothing written.
    let audit_before = db.store.scoped(&admin).citizen_history(c.id).await.unwrap().len();
    let same = s.citizen(c.id).await.unwrap();
    let version = db.registry_version(commune).await;
    let (_, changed) = s.edit_citizen(c.id, edit_of(&same)).await.unwrap();
    assert_eq!(changed, 0);
    assert_eq!(db.registry_version(commune).await, version);

    // The history: newest first, who, and each field from what to what, in words.
    let h = s.citizen_history(c.id).await.unwrap();
    assert_eq!(h.len(), audit_before);
    assert_eq!(h.len(), 4, "{h:?}");
    assert_eq!(h[3].action_label, "Tạo hồ sơ");
    let first_edit = &h[2];
    assert_eq!(first_edit.actor, "Nguyễn Văn Quản");
    let grade = first_edit
        .changes
        .iter()
        .find(|f| f.field == "education_grade")
        .unwrap();
    assert_eq!(
        (grade.label.as_str(), grade.before.as_str(), grade.after.as_str()),
        ("Trình độ văn hóa", "5/12", "12/12")
    );
    let study = &h[1].changes;
    assert!(study
        .iter()
        .any(|f| f.label == "Đang học (trình độ)" && f.before == "(trống)" && f.after == "đại học"));
    assert!(h[0]
        .changes
        .iter()
        .any(|f| f.label == "Học chính quy, tập trung" && f.before == "có" && f.after == "không"));

    // A bad edit writes nothing; another commune's commander cannot edit.
    let mut bad = edit_of(&same);
    bad.record.full_name = "Lê Văn 5".into();
    assert!(matches!(s.edit_citizen(c.id, bad).await, Err(StoreError::Invalid(_))));
    assert_eq!(s.citizen_history(c.id).await.unwrap().len(), 4);
    let commander = actor(&db.store, "chihuy").await;
    let other = db.store.scoped(&commander);
    let own = other.citizen(c.id).await.is_ok();
    if !own {
        assert!(matches!(
            other.edit_citizen(c.id, edit_of(&same)).await,
            Err(StoreError::NotFound(_))
        ));
    }
}

#[tokio::test]
async fn dates_are_checked_against_today_and_the_cycle() {
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await.unwrap();
    let admin = actor(&db.store, "quantri").await;
    let s = db.store.scoped(&admin);
    let commune = demo.commune_command_ids[0];
    let today = phongthu_store::today_vn();
    let ahead = today + Duration::days(60);
    let year = ahead.year();
    let born = Date::from_calendar_date(year - 20, Month::May, 1).unwrap();
    let mut n = NewCitizen::new(commune, "Phan Văn Ngày", born, Sex::Male);
    n.education_grade = Some("12/12".into());
    let c = s.create_citizen(n).await.unwrap();
    let cycle = s.create_cycle(demo.province_command_id, year, 1).await.unwrap();
    let overview = s.cycle_overview(cycle.id).await.unwrap();
    let split: Vec<(i64, i64)> = overview
        .communes
        .iter()
        .map(|f| (f.unit_id, if f.unit_id == commune { 1 } else { 0 }))
        .collect();
    s.save_quotas(cycle.id, &split, Some("Thử")).await.unwrap();

    // A handover two months ahead: refused, whatever the confirmation.
    let e = s
        .record_stage(
            cycle.id,
            c.id,
            StageRequest::HandOver,
            StepDate {
                on: ahead,
                future_confirmed: true,
            },
            None,
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("là ngày trong tương lai"), "{e}");
    // A decision two months ahead needs the confirmation; with it, the date is no longer the
    // reason (the citizen is not on a list yet).
    let call_up = StageRequest::IssueCallUp {
        decision_number: "9/QĐ-UBND".into(),
        report_place: "Sân vận động".into(),
        report_at: "07 giờ 00".into(),
        replaces: None,
        override_reason: None,
    };
    let e = s
        .record_stage(cycle.id, c.id, call_up.clone(), ahead, None)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("60 ngày sau hôm nay"), "{e}");
    assert!(e.to_string().contains("Xác nhận ngày sau hôm nay"), "{e}");
    let e = s
        .record_stage(
            cycle.id,
            c.id,
            call_up,
            StepDate {
                on: ahead,
                future_confirmed: true,
            },
            None,
        )
        .await
        .unwrap_err();
    assert!(!e.to_string().contains("hôm nay"), "{e}");
    // Outside the cycle: refused.
    let long_ago = Date::from_calendar_date(year - 3, Month::March, 1).unwrap();
    let e = s
        .record_stage(cycle.id, c.id, StageRequest::Screen { passed: true }, long_ago, None)
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains(&format!("nằm ngoài đợt tuyển quân năm {year}")),
        "{e}"
    );
    assert_eq!(
        s.stage_history(cycle.id, c.id).await.unwrap().len(),
        0,
        "nothing written"
    );

    // A list approval carries its act: number and date, stored and read back; ahead of today
    // only with the confirmation.
    s.record_stage(cycle.id, c.id, StageRequest::Screen { passed: true }, today, None)
        .await
        .unwrap();
    let act = |date: Date, future_confirmed: bool| ListAct {
        number: "05/QĐ-UBND".into(),
        date,
        future_confirmed,
    };
    let e = s
        .approve_list_act(
            cycle.id,
            commune,
            CappedList::Examination,
            None,
            Some(&act(ahead, false)),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("Ngày duyệt danh sách"), "{e}");
    let a = s
        .approve_list_act(
            cycle.id,
            commune,
            CappedList::Examination,
            None,
            Some(&act(today, false)),
        )
        .await
        .unwrap();
    assert_eq!(a.act_number.as_deref(), Some("05/QĐ-UBND"));
    let p = s.commune_cycle(cycle.id, commune).await.unwrap();
    let stored = p
        .lists
        .iter()
        .find(|l| l.list == CappedList::Examination)
        .and_then(|l| l.approval.clone())
        .unwrap();
    assert_eq!(stored.act_number.as_deref(), Some("05/QĐ-UBND"));
    assert_eq!(stored.act_date, Some(today.to_string()));
    let e = s
        .approve_list_act(
            cycle.id,
            commune,
            CappedList::Examination,
            None,
            Some(&ListAct {
                number: "  ".into(),
                date: today,
                future_confirmed: false,
            }),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("số, ký hiệu"), "{e}");
    let _ = CallUpList::Official;
}

fn exam_headers() -> Vec<String> {
    EXAM_COLUMNS.iter().map(|c| c.header.to_string()).collect()
}

fn exam_row(line: u64, national_id: &str, scores: [&str; 8], height: &str) -> SourceRow {
    let mut cells = vec![national_id.to_string(), String::new(), String::new(), String::new()];
    cells.extend(scores.iter().map(|s| s.to_string()));
    cells.extend([
        height.to_string(),
        "60".into(),
        String::new(),
        "Không".into(),
        "Không".into(),
    ]);
    SourceRow { line, cells }
}

#[tokio::test]
async fn exam_results_for_many_from_a_sheet_or_a_grid() {
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await.unwrap();
    let admin = actor(&db.store, "quantri").await;
    let s = db.store.scoped(&admin);
    let commune = demo.commune_command_ids[0];
    let today = phongthu_store::today_vn();
    let (year, exam_day) = cycle_with_exam_behind(today);
    let birth_year = year - 21;
    let born = Date::from_calendar_date(birth_year, Month::May, 1).unwrap();
    let yy = birth_year % 100;
    let mut ids = Vec::new();
    let mut nids = Vec::new();
    for (i, given) in ["An", "Bình", "Cường", "Dũng"].iter().enumerate() {
        let mut n = NewCitizen::new(commune, &format!("Trịnh Văn {given}"), born, Sex::Male);
        n.education_grade = Some("12/12".into());
        let nid = format!("0012{yy:02}00{:04}", 7100 + i);
        n.national_id = Some(nid.clone());
        ids.push(s.create_citizen(n).await.unwrap().id);
        nids.push(nid);
    }
    let cycle = s.create_cycle(demo.province_command_id, year, 3).await.unwrap();
    let overview = s.cycle_overview(cycle.id).await.unwrap();
    let split: Vec<(i64, i64)> = overview
        .communes
        .iter()
        .map(|f| (f.unit_id, if f.unit_id == commune { 3 } else { 0 }))
        .collect();
    s.save_quotas(cycle.id, &split, Some("Thử")).await.unwrap();
    s.record_stages(
        cycle.id,
        &ids,
        StageRequest::Screen { passed: true },
        exam_day - Duration::days(1),
        None,
    )
    .await
    .unwrap();
    s.approve_list(cycle.id, commune, CappedList::Examination, None)
        .await
        .unwrap();

    let waiting = s.exam_waiting(cycle.id, commune).await.unwrap();
    assert_eq!(waiting.citizens.iter().map(|c| c.id).collect::<Vec<_>>(), ids);
    assert_eq!(waiting.year, year);
    let ones = ["1"; 8];
    let rows = vec![
        exam_row(2, &nids[0], ones, "170"),
        // Internal medicine 4: class 4, unfit.
        exam_row(3, &nids[1], ["1", "1", "1", "1", "4", "1", "1", "1"], "168"),
        // A score of 7 is refused on its column.
        exam_row(4, &nids[2], ["1", "7", "1", "1", "1", "1", "1", "1"], "168"),
    ];
    let opts = |mode| ExamImportOptions {
        cycle_id: cycle.id,
        unit_id: commune,
        mode,
        source_name: "ket-qua-kham.xlsx".into(),
        exam_date: Some(exam_day),
    };
    // All or nothing: one bad row, nothing written.
    let r = s
        .import_exam_results(&exam_headers(), &rows, &opts(ImportMode::AllOrNothing))
        .await
        .unwrap();
    assert!(!r.committed);
    assert_eq!((r.rows_read, r.accepted, r.rejected_rows), (3, 0, 1));
    assert_eq!(r.rejected[0].row, 4);
    assert_eq!(r.rejected[0].column.as_deref(), Some("Mắt"));
    let stage_of =
        |p: &phongthu_store::CommuneCycle, id: i64| p.candidates.iter().find(|c| c.citizen.id == id).unwrap().stage;
    let p = s.commune_cycle(cycle.id, commune).await.unwrap();
    assert_eq!(stage_of(&p, ids[0]), Stage::Screened);
    // Valid rows only: two results, one fit and one unfit (class 4).
    let r = s
        .import_exam_results(&exam_headers(), &rows, &opts(ImportMode::ValidOnly))
        .await
        .unwrap();
    assert!(r.committed);
    assert_eq!((r.accepted, r.fit, r.unfit, r.rejected_rows), (2, 1, 1, 1));
    let p = s.commune_cycle(cycle.id, commune).await.unwrap();
    assert_eq!(stage_of(&p, ids[0]), Stage::Examined);
    assert_eq!(stage_of(&p, ids[1]), Stage::Unfit);
    let unfit = p.candidates.iter().find(|c| c.citizen.id == ids[1]).unwrap();
    assert_eq!(unfit.health_class, Some(4));
    assert_eq!(stage_of(&p, ids[2]), Stage::Screened);
    // Again: the same citizen cannot be examined twice from a sheet.
    let again = s
        .import_exam_results(&exam_headers(), &rows[..1], &opts(ImportMode::AllOrNothing))
        .await
        .unwrap();
    assert!(!again.committed);
    assert!(
        again.rejected[0].reason_vi.contains("Trịnh Văn An"),
        "{:?}",
        again.rejected
    );

    // The grid: one transaction; a row refused names its row and citizen, nothing written.
    let fit = ExamRecord::new([1, 1, 2, 1, 1, 1, 1, 1], 170.0, 62.0, None, false, false).unwrap();
    let grid = vec![
        GridExam {
            row: 1,
            citizen_id: ids[2],
            exam: fit.clone(),
        },
        GridExam {
            row: 2,
            citizen_id: ids[0],
            exam: fit.clone(),
        },
    ];
    let e = s.record_exams(cycle.id, commune, grid, exam_day).await.unwrap_err();
    assert!(e.to_string().starts_with("Dòng 2 (Trịnh Văn An)"), "{e}");
    let p = s.commune_cycle(cycle.id, commune).await.unwrap();
    assert_eq!(stage_of(&p, ids[2]), Stage::Screened, "nothing written");
    let grid = vec![
        GridExam {
            row: 1,
            citizen_id: ids[2],
            exam: fit.clone(),
        },
        GridExam {
            row: 2,
            citizen_id: ids[3],
            exam: fit,
        },
    ];
    assert_eq!(s.record_exams(cycle.id, commune, grid, exam_day).await.unwrap(), (2, 0));
    let p = s.commune_cycle(cycle.id, commune).await.unwrap();
    assert_eq!(stage_of(&p, ids[3]), Stage::Examined);
    assert!(s.exam_waiting(cycle.id, commune).await.unwrap().citizens.is_empty());
    // Another commune's commander does not see this commune's list.
    let other = actor(&db.store, "chihuy.xa2").await;
    assert!(db.store.scoped(&other).exam_waiting(cycle.id, commune).await.is_err());
}
