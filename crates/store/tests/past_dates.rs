//! One rule for the date of an event already past (`domain::dates::check_past_event`), applied
//! by every form and importer of the registers outside the call-up: a reservist's registration,
//! a militia member's joining, a defence-education cadre's birth and certificate. Both backends
//! (PostgreSQL when `PHONGTHU_TEST_DATABASE_URL` is set).

use phongthu_domain::militia::{Echelon, MilitiaKind};
use phongthu_domain::nvqs::Sex;
use phongthu_domain::reserve::ReservistClass;
use phongthu_store::testing::TestDb;
use phongthu_store::{
    Attendance, CourseResult, ImportMode, MilitiaImportOptions, NewCadre, NewCitizen, NewCourse, NewMilitiaMember,
    NewMilitiaUnit, NewReservist, ReservistImportOptions, SourceRow, StoreError,
};
use time::macros::date;
use time::{Date, Duration};

use phongthu_store::testing::demo_actor as actor;

/// Vietnam's today, as the store takes it.
fn today() -> Date {
    (time::OffsetDateTime::now_utc() + Duration::hours(7)).date()
}

fn strings(h: &[&str]) -> Vec<String> {
    h.iter().map(|s| s.to_string()).collect()
}

fn future_err(e: StoreError) -> String {
    let m = e.to_string();
    assert!(matches!(e, StoreError::Invalid(_)), "{m}");
    assert!(m.contains("là ngày trong tương lai"), "{m}");
    m
}

#[tokio::test]
async fn registers_refuse_dates_of_past_events_that_lie_ahead() {
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await.unwrap();
    let admin = actor(&db.store, "quantri").await;
    let s = db.store.scoped(&admin);
    let a = demo.commune_command_ids[0];
    let ahead = date!(2031 - 06 - 15);
    let mut c = NewCitizen::new(a, "Nguyễn Văn An", date!(2000 - 04 - 02), Sex::Male);
    c.national_id = Some("033200000101".into());
    let an = s.create_citizen(c).await.unwrap();
    let audit_before = db.store.verify_audit().await.unwrap().entries;

    // Reservist: the form and the import.
    let m = future_err(
        s.add_reservist(NewReservist {
            citizen_id: an.id,
            class: ReservistClass::Class1,
            specialty: "2B".into(),
            rank: None,
            registered_on: ahead,
        })
        .await
        .unwrap_err(),
    );
    assert!(m.starts_with("Ngày đăng ký 15/06/2031"), "{m}");
    let r = s
        .import_reservists(
            &strings(&[
                "Số định danh cá nhân",
                "Họ và tên",
                "Hạng",
                "Chuyên nghiệp quân sự",
                "Ngày đăng ký",
            ]),
            vec![SourceRow {
                line: 2,
                cells: strings(&["033200000101", "Nguyễn Văn An", "1", "2B", "15/06/2031"]),
            }],
            &ReservistImportOptions {
                mode: ImportMode::AllOrNothing,
                source_name: "du-bi.xlsx".into(),
                on: today(),
            },
        )
        .await
        .unwrap();
    assert!(!r.committed);
    assert_eq!(r.rejected.len(), 1, "{:?}", r.rejected);
    assert_eq!(r.rejected[0].column.as_deref(), Some("Ngày đăng ký"));
    assert!(
        r.rejected[0].reason_vi.contains("là ngày trong tương lai"),
        "{:?}",
        r.rejected
    );

    // Militia: the form and the import.
    let platoon = s
        .create_militia_unit(NewMilitiaUnit {
            unit_id: a,
            kind: MilitiaKind::Mobile,
            echelon: Echelon::Platoon,
            name: "Trung đội cơ động số 1".into(),
        })
        .await
        .unwrap();
    let audit_platoon = db.store.verify_audit().await.unwrap().entries;
    let m = future_err(
        s.add_member(NewMilitiaMember {
            militia_unit_id: platoon.id,
            citizen_id: an.id,
            post: None,
            volunteer: false,
            joined_on: ahead,
        })
        .await
        .unwrap_err(),
    );
    assert!(m.starts_with("Ngày vào đơn vị 15/06/2031"), "{m}");
    let r = s
        .import_militia_members(
            &strings(&["Số định danh cá nhân", "Họ và tên", "Ngày vào đơn vị"]),
            vec![SourceRow {
                line: 2,
                cells: strings(&["033200000101", "Nguyễn Văn An", "15/06/2031"]),
            }],
            &MilitiaImportOptions {
                militia_unit_id: platoon.id,
                mode: ImportMode::AllOrNothing,
                source_name: "dqtv.xlsx".into(),
                on: today(),
            },
        )
        .await
        .unwrap();
    assert!(!r.committed);
    assert_eq!(r.rejected[0].column.as_deref(), Some("Ngày vào đơn vị"));
    assert!(
        r.rejected[0].reason_vi.contains("là ngày trong tương lai"),
        "{:?}",
        r.rejected
    );

    // Defence education: a cadre's birth, a certificate's date.
    let m = future_err(
        s.create_cadre(NewCadre {
            unit_id: a,
            citizen_id: None,
            full_name: "Trần Văn Bình".into(),
            birth_date: Some(ahead),
            national_id: None,
            position: "Phó Chủ tịch".into(),
            agency: "UBND xã".into(),
            category: 4,
            note: None,
        })
        .await
        .unwrap_err(),
    );
    assert!(m.contains("Ngày sinh 15/06/2031"), "{m}");
    let cadre = s
        .create_cadre(NewCadre {
            unit_id: a,
            citizen_id: None,
            full_name: "Trần Văn Bình".into(),
            birth_date: Some(date!(1980 - 01 - 01)),
            national_id: None,
            position: "Phó Chủ tịch".into(),
            agency: "UBND xã".into(),
            category: 4,
            note: None,
        })
        .await
        .unwrap();
    let course = s
        .create_course(NewCourse {
            unit_id: a,
            name: "Bồi dưỡng kiến thức QP-AN đối tượng 4".into(),
            category: 4,
            provider: "Trường Quân sự tỉnh".into(),
            place: None,
            start: date!(2025 - 03 - 01),
            end: date!(2025 - 03 - 10),
        })
        .await
        .unwrap();
    let audit_course = db.store.verify_audit().await.unwrap().entries;
    let m = future_err(
        s.record_attendance(
            course.id,
            Attendance {
                cadre_id: cadre.id,
                attended: true,
                result: Some(CourseResult::Good),
                certificate_number: Some("123/GCN".into()),
                certificate_date: Some(ahead),
            },
        )
        .await
        .unwrap_err(),
    );
    assert!(m.contains("Ngày cấp giấy chứng nhận 15/06/2031"), "{m}");
    // Today itself is a past event's date.
    s.record_attendance(
        course.id,
        Attendance {
            cadre_id: cadre.id,
            attended: true,
            result: Some(CourseResult::Good),
            certificate_number: Some("123/GCN".into()),
            certificate_date: Some(today()),
        },
    )
    .await
    .unwrap();
    // Nothing refused was written: only the unit, the cadre, the course and the last attendance.
    let audit = db.store.verify_audit().await.unwrap();
    assert!(audit.broken.is_none(), "{audit:?}");
    assert_eq!(audit_platoon, audit_before + 1);
    assert_eq!(audit.entries, audit_course + 1);
}
