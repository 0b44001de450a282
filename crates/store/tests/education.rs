//! Defence and security education on both backends (SQLite by default; PostgreSQL when
//! `PHONGTHU_TEST_DATABASE_URL=postgres://...` is set): settings per unit, cadres (one person, one
//! record), courses, attendance and certificates, the list of cadres lacking a valid certificate
//! with its roll-up, the import, scope and audit.

use phongthu_domain::militia::education::CertificateGap;
use phongthu_domain::nvqs::Sex;
use phongthu_store::testing::TestDb;
use phongthu_store::{
    Actor, Attendance, CourseResult, EduImportOptions, ImportMode, NewCadre, NewCitizen, NewCourse, SourceRow, Store,
    StoreError,
};
use time::macros::date;

use phongthu_store::testing::demo_actor as actor;

fn cadre(unit_id: i64, name: &str, category: u8) -> NewCadre {
    NewCadre {
        unit_id,
        full_name: name.into(),
        position: "Phó Chủ tịch Ủy ban nhân dân xã".into(),
        agency: "Ủy ban nhân dân xã".into(),
        category,
        ..Default::default()
    }
}

fn course(unit_id: i64, name: &str, category: u8) -> NewCourse {
    NewCourse {
        unit_id,
        name: name.into(),
        category,
        provider: "Trường Quân sự tỉnh".into(),
        place: Some("Trung tâm huấn luyện".into()),
        start: date!(2026 - 08 - 05),
        end: date!(2026 - 08 - 30),
    }
}

fn certified(cadre_id: i64, number: &str, on: time::Date) -> Attendance {
    Attendance {
        cadre_id,
        attended: true,
        result: Some(CourseResult::Good),
        certificate_number: Some(number.into()),
        certificate_date: Some(on),
    }
}

fn rows(lines: &[&[&str]]) -> (Vec<String>, Vec<SourceRow>) {
    let headers = lines[0].iter().map(|s| s.to_string()).collect();
    let data = lines[1..]
        .iter()
        .enumerate()
        .map(|(i, r)| SourceRow {
            line: i as u64 + 2,
            cells: r.iter().map(|s| s.to_string()).collect(),
        })
        .collect();
    (headers, data)
}

#[tokio::test]
async fn cadres_courses_certificates_and_the_list() {
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await.unwrap();
    let admin = actor(&db.store, "quantri").await;
    let s = db.store.scoped(&admin);
    let (a, b) = (demo.commune_command_ids[0], demo.commune_command_ids[1]);
    let audit = || async { db.store.verify_audit().await.unwrap().entries };

    // Settings: the defaults until a unit saves its own.
    let defaults = s.edu_settings(a).await.unwrap();
    assert_eq!(defaults.source_unit_id, None);
    assert_eq!(defaults.categories.len(), 4);

    // Cadres: checked fields, refused input writes nothing.
    let before = audit().await;
    for (n, needle) in [
        (cadre(a, "  ", 4), "Họ và tên"),
        (cadre(a, "Nguyễn Văn Bình", 5), "đối tượng 1 đến 4"),
        (
            NewCadre {
                national_id: Some("12345".into()),
                ..cadre(a, "Nguyễn Văn Bình", 4)
            },
            "12 chữ số",
        ),
        (
            NewCadre {
                position: " ".into(),
                ..cadre(a, "Nguyễn Văn Bình", 4)
            },
            "Chức vụ",
        ),
    ] {
        let e = s.create_cadre(n).await.unwrap_err();
        assert!(matches!(e, StoreError::Invalid(_)), "{e}");
        assert!(e.to_string().contains(needle), "{e}");
    }
    let e = s
        .create_cadre(cadre(demo.province_command_id + 100_000, "X", 4))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound(_) | StoreError::Forbidden(_)), "{e}");
    assert_eq!(audit().await, before, "nothing written on refused cadres");

    // One person, one record: linked to the registry by national ID number.
    let citizen = s
        .create_citizen(NewCitizen {
            national_id: Some("033078001234".into()),
            ..NewCitizen::new(a, "Nguyễn Văn Bình", date!(1978 - 04 - 15), Sex::Male)
        })
        .await
        .unwrap();
    let binh = s
        .create_cadre(NewCadre {
            national_id: Some("033078001234".into()),
            ..cadre(a, "Nguyen Van Binh (gõ sai)", 4)
        })
        .await
        .unwrap();
    assert_eq!(binh.citizen_id, Some(citizen.id));
    assert_eq!(binh.full_name, "Nguyễn Văn Bình", "the registry's name");
    assert_eq!(binh.birth_date, Some(date!(1978 - 04 - 15)));
    assert!(!binh.province_code.is_empty());
    let before = audit().await;
    let e = s
        .create_cadre(NewCadre {
            citizen_id: Some(citizen.id),
            ..cadre(b, "", 3)
        })
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e}");
    assert!(e.to_string().contains("mỗi người chỉ có một hồ sơ"), "{e}");
    let e = s
        .create_cadre(NewCadre {
            birth_date: Some(date!(1978 - 04 - 15)),
            ..cadre(b, "Nguyễn Văn Bình", 4)
        })
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "same name and birth date: {e}");
    assert_eq!(audit().await, before);

    let an = s.create_cadre(cadre(a, "Lê Thị An", 3)).await.unwrap();
    let cuong = s
        .create_cadre(NewCadre {
            national_id: Some("033180004321".into()),
            birth_date: Some(date!(1980 - 01 - 02)),
            ..cadre(b, "Trần Thị Cường", 3)
        })
        .await
        .unwrap();
    assert_eq!(cuong.citizen_id, None);
    let dung = s.create_cadre(cadre(b, "Phạm Văn Dũng", 4)).await.unwrap();
    assert_eq!(
        s.cadres()
            .await
            .unwrap()
            .iter()
            .map(|c| c.full_name.as_str())
            .collect::<Vec<_>>(),
        ["Lê Thị An", "Nguyễn Văn Bình", "Trần Thị Cường", "Phạm Văn Dũng"],
        "Vietnamese order of given names"
    );

    // Courses: the domain's checks; unique names per organising unit.
    let pc = demo.province_command_id;
    let before = audit().await;
    let e = s
        .create_course(NewCourse {
            end: date!(2026 - 08 - 01),
            ..course(pc, "Khóa 1", 4)
        })
        .await
        .unwrap_err();
    assert!(e.to_string().contains("ngày kết thúc trước ngày bắt đầu"), "{e}");
    let e = s.create_course(course(pc, "Khóa 1", 0)).await.unwrap_err();
    assert!(matches!(e, StoreError::Invalid(_)), "{e}");
    assert_eq!(audit().await, before);
    let k4 = s
        .create_course(course(pc, "Bồi dưỡng đối tượng 4 năm 2026", 4))
        .await
        .unwrap();
    let e = s
        .create_course(course(pc, "Bồi dưỡng đối tượng 4 năm 2026", 4))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e}");

    // Attendance: certificate rules.
    let before = audit().await;
    for (att, needle) in [
        (
            Attendance {
                certificate_date: None,
                ..certified(binh.id, "01/GCN", date!(2026 - 08 - 30))
            },
            "phải có ngày cấp",
        ),
        (
            Attendance {
                result: Some(CourseResult::Fail),
                ..certified(binh.id, "01/GCN", date!(2026 - 08 - 30))
            },
            "Không đạt",
        ),
        (
            certified(binh.id, "01/GCN", date!(2026 - 07 - 01)),
            "trước ngày khai giảng",
        ),
        (
            Attendance {
                attended: false,
                ..certified(binh.id, "01/GCN", date!(2026 - 08 - 30))
            },
            "không tham gia",
        ),
    ] {
        let e = s.record_attendance(k4.id, att).await.unwrap_err();
        assert!(e.to_string().contains(needle), "{e}");
    }
    assert_eq!(audit().await, before);
    s.record_attendance(k4.id, certified(binh.id, "01/GCN", date!(2026 - 08 - 30)))
        .await
        .unwrap();
    s.record_attendance(k4.id, certified(cuong.id, "02/GCN", date!(2026 - 08 - 30)))
        .await
        .unwrap();
    let e = s
        .record_attendance(k4.id, certified(dung.id, "02/GCN", date!(2026 - 08 - 30)))
        .await
        .unwrap_err();
    assert!(
        matches!(e, StoreError::Conflict(_)),
        "certificate numbers are unique per course: {e}"
    );
    let e2 = s
        .record_attendance(
            k4.id,
            Attendance {
                cadre_id: dung.id,
                attended: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(e2.attended && e2.certificate_date.is_none());
    assert_eq!(audit().await, before + 3);
    let list = s.enrolments(k4.id).await.unwrap();
    assert_eq!(list.len(), 3);
    let k = s.course(k4.id).await.unwrap();
    assert_eq!((k.enrolled, k.attended, k.certified), (3, 3, 2));
    assert_eq!(s.cadre_certificates(binh.id).await.unwrap().len(), 1);

    // The list: An has nothing, Cường has only a category-4 certificate, Dũng attended without
    // a certificate; Bình is covered.
    let on = date!(2026 - 09 - 30);
    let o = s.edu_overview(on).await.unwrap();
    assert_eq!(o.active_cadres, 4);
    let names: Vec<&str> = o.lacking.iter().map(|l| l.cadre.full_name.as_str()).collect();
    assert_eq!(names, ["Lê Thị An", "Trần Thị Cường", "Phạm Văn Dũng"]);
    assert_eq!(o.lacking[0].gap, CertificateGap::Missing);
    assert!(
        o.lacking[0].reason_vi.contains("chưa có giấy chứng nhận"),
        "{}",
        o.lacking[0].reason_vi
    );
    assert_eq!(
        o.lacking[1].gap,
        CertificateGap::OtherCategoryOnly { categories: vec![4] }
    );
    assert!(o.lacking[1].reason_vi.contains("chỉ có giấy chứng nhận đối tượng 4"));
    // Roll-up: the province over both communes, each commune on its own.
    let row = |id: i64| o.rollup.iter().find(|r| r.unit_id == id).cloned().unwrap();
    assert_eq!((row(pc).cadres, row(pc).lacking), (4, 3));
    assert_eq!(row(pc).lacking_by_category, [0, 0, 2, 1]);
    assert_eq!((row(a).cadres, row(a).lacking), (2, 1));
    assert_eq!((row(b).cadres, row(b).lacking), (2, 2));
    assert_eq!(row(a).covered_percent_vi(), "50,0%");
    assert_eq!(o.rollup[0].unit_id, pc, "tree order: the user's unit first");

    // Settings: the categories only; certificates do not expire (Luật GDQPAN 2013 Art. 18.4;
    // no validity in ND 13/2014 or TT 24/2014).
    let mut cats = defaults.categories.clone();
    cats[1].label_vi = "  ".into();
    let e = s.save_edu_settings(pc, &cats).await.unwrap_err();
    assert!(e.to_string().contains("Tên gọi của Đối tượng 2"), "{e}");
    let leader = actor(&db.store, "lanhdao").await;
    let e = db
        .store
        .scoped(&leader)
        .save_edu_settings(pc, &defaults.categories)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Forbidden(_)), "{e}");
    let before = audit().await;
    let saved = s.save_edu_settings(pc, &defaults.categories).await.unwrap();
    assert_eq!(saved.source_unit_id, Some(pc));
    assert_eq!(audit().await, before + 1);
    assert_eq!(s.edu_settings(a).await.unwrap().source_unit_id, Some(pc), "inherited");
    let later = date!(2066 - 09 - 01);
    let o = s.edu_overview(later).await.unwrap();
    assert!(
        !o.lacking.iter().any(|l| l.cadre.id == binh.id),
        "a certificate still counts forty years on"
    );
    assert!(o.lacking.iter().all(|l| !l.reason_vi.contains("hết hiệu lực")));
    let chihuy = actor(&db.store, "chihuy").await;
    let commune = db.store.scoped(&chihuy);
    commune.save_edu_settings(a, &defaults.categories).await.unwrap();
    assert_eq!(
        s.edu_settings(a).await.unwrap().source_unit_id,
        Some(a),
        "the commune's own"
    );

    // Scope: the commune commander sees only the commune's cadres, not the province's course.
    assert_eq!(commune.cadres().await.unwrap().len(), 2);
    assert!(matches!(
        commune.cadre(dung.id).await.unwrap_err(),
        StoreError::NotFound(_)
    ));
    assert!(matches!(
        commune.course(k4.id).await.unwrap_err(),
        StoreError::NotFound(_)
    ));
    let before = audit().await;
    assert!(commune
        .record_attendance(k4.id, certified(an.id, "09/GCN", date!(2026 - 08 - 30)))
        .await
        .is_err());
    assert!(commune.cadre_leaves(dung.id, on).await.is_err());
    assert!(commune.save_edu_settings(b, &defaults.categories).await.is_err());
    assert!(commune.create_cadre(cadre(b, "Hoàng Văn Em", 4)).await.is_err());
    assert_eq!(audit().await, before);
    let o = commune.edu_overview(on).await.unwrap();
    assert_eq!(o.active_cadres, 2);
    assert_eq!(o.rollup.len(), 1);

    // A cadre who left is not listed.
    s.cadre_leaves(an.id, date!(2026 - 09 - 01)).await.unwrap();
    assert!(s.cadre_leaves(an.id, date!(2026 - 09 - 01)).await.is_err());
    let o = s.edu_overview(on).await.unwrap();
    assert!(!o.lacking.iter().any(|l| l.cadre.id == an.id));
    assert_eq!(o.active_cadres, 3);
}

#[tokio::test]
async fn import_is_all_or_nothing_with_row_errors() {
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await.unwrap();
    let admin = actor(&db.store, "quantri").await;
    let s = db.store.scoped(&admin);
    let a = demo.commune_command_ids[0];
    let audit = || async { db.store.verify_audit().await.unwrap().entries };
    let opts = |course_id, mode| EduImportOptions {
        unit_id: a,
        course_id,
        mode,
        source_name: "can-bo.xlsx".into(),
    };
    let header: &[&str] = &[
        "Họ và tên",
        "Ngày sinh",
        "Số CCCD",
        "Chức vụ",
        "Cơ quan",
        "Đối tượng",
        "Cột lạ",
    ];

    // Missing required columns: refused as a whole.
    let (h, r) = rows(&[&["Họ và tên", "Chức vụ"], &["A", "B"]]);
    let e = s
        .import_education(&h, r, &opts(None, ImportMode::AllOrNothing))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("thiếu cột bắt buộc"), "{e}");

    // One bad row: nothing is written, every error has its row and column.
    let (h, r) = rows(&[
        header,
        &[
            "Nguyễn Văn Bình",
            "15/04/1978",
            "033078001234",
            "Chủ tịch UBND xã",
            "UBND xã",
            "4",
            "",
        ],
        &[
            "Lê Thị An",
            "31/02/1980",
            "",
            "Bí thư Đảng ủy xã",
            "Đảng ủy xã",
            "Đối tượng 3",
            "x",
        ],
        &["Trần Văn Cường", "", "", "", "UBND xã", "7", ""],
        &[
            "Nguyễn Văn Bình",
            "15/04/1978",
            "033078001234",
            "Chủ tịch UBND xã",
            "UBND xã",
            "4",
            "",
        ],
    ]);
    let before = audit().await;
    let report = s
        .import_education(&h, r, &opts(None, ImportMode::AllOrNothing))
        .await
        .unwrap();
    assert!(!report.committed);
    assert_eq!(report.rows_read, 4);
    assert_eq!(report.rejected_rows, 3);
    assert_eq!(report.cadres_created, 0);
    assert_eq!(report.ignored_columns, ["Cột lạ"]);
    let find = |row: u64, col: &str| {
        report
            .rejected
            .iter()
            .find(|e| e.row == row && e.column.as_deref() == Some(col))
            .map(|e| e.reason_vi.clone())
    };
    assert!(find(3, "Ngày sinh").is_some(), "{:?}", report.rejected);
    assert!(find(4, "Đối tượng").unwrap().contains("1 đến 4"));
    assert!(find(4, "Chức vụ").is_some(), "{:?}", report.rejected);
    assert!(report
        .rejected
        .iter()
        .any(|e| e.row == 5 && e.reason_vi.contains("Trùng người với dòng 2")));
    assert!(report.summary_vi().contains("không thay đổi gì"));
    assert_eq!(audit().await, before, "nothing written");
    assert!(s.cadres().await.unwrap().is_empty());

    // Valid-only: the good rows go in.
    let (h, r) = rows(&[
        header,
        &[
            "Nguyễn Văn Bình",
            "15/04/1978",
            "033078001234",
            "Chủ tịch UBND xã",
            "UBND xã",
            "4",
            "",
        ],
        &[
            "Lê Thị An",
            "01/02/1980",
            "",
            "Bí thư Đảng ủy xã",
            "Đảng ủy xã",
            "Đối tượng 3",
            "",
        ],
        &["Trần Văn Cường", "", "", "", "UBND xã", "7", ""],
    ]);
    let report = s
        .import_education(&h, r, &opts(None, ImportMode::ValidOnly))
        .await
        .unwrap();
    assert!(report.committed);
    assert_eq!((report.cadres_created, report.rejected_rows), (2, 1));
    assert_eq!(audit().await, before + 2);
    assert_eq!(s.cadres().await.unwrap().len(), 2);

    // Importing the same people again: one person, one record.
    let (h, r) = rows(&[
        header,
        &[
            "Nguyễn Văn Bình",
            "15/04/1978",
            "033078001234",
            "Chủ tịch UBND xã",
            "UBND xã",
            "4",
            "",
        ],
    ]);
    let report = s
        .import_education(&h, r, &opts(None, ImportMode::AllOrNothing))
        .await
        .unwrap();
    assert!(!report.committed);
    assert!(
        report.rejected[0].reason_vi.contains("đã có trong danh sách cán bộ"),
        "{:?}",
        report.rejected
    );

    // Course results: existing cadres are recognised (by ID, or name and birth date), a new
    // one is added; a bad result cancels everything.
    let k = s
        .create_course(NewCourse {
            unit_id: demo.province_command_id,
            name: "Khóa đối tượng 4".into(),
            category: 4,
            provider: "Trường Quân sự tỉnh".into(),
            place: None,
            start: date!(2026 - 08 - 05),
            end: date!(2026 - 08 - 30),
        })
        .await
        .unwrap();
    let results: &[&str] = &[
        "Họ và tên",
        "Ngày sinh",
        "Số định danh cá nhân",
        "Chức vụ",
        "Cơ quan, đơn vị công tác",
        "Đối tượng",
        "Tham gia",
        "Kết quả",
        "Số giấy chứng nhận",
        "Ngày cấp",
    ];
    let good: Vec<&[&str]> = vec![
        results,
        &[
            "Nguyễn Văn Bình",
            "",
            "033078001234",
            "",
            "",
            "",
            "Có",
            "Giỏi",
            "11/GCN",
            "30/08/2026",
        ],
        &[
            "Lê Thị An",
            "01/02/1980",
            "",
            "",
            "",
            "",
            "Có",
            "Khá",
            "12/GCN",
            "2026-08-30",
        ],
        &[
            "Phạm Văn Dũng",
            "",
            "",
            "Phó Chủ tịch UBND xã",
            "UBND xã",
            "4",
            "Không",
            "",
            "",
            "",
        ],
    ];
    let mut bad = good.clone();
    bad.push(&[
        "Hoàng Văn Em",
        "",
        "",
        "Xã đội trưởng",
        "Ban CHQS xã",
        "4",
        "Có",
        "Xuất sắc lắm",
        "",
        "",
    ]);
    let before = audit().await;
    let (h, r) = rows(&bad);
    let report = s
        .import_education(&h, r, &opts(Some(k.id), ImportMode::AllOrNothing))
        .await
        .unwrap();
    assert!(!report.committed, "{:?}", report.rejected);
    assert_eq!(report.rejected.len(), 1, "{:?}", report.rejected);
    assert_eq!(report.rejected[0].row, 5);
    assert_eq!(report.rejected[0].column.as_deref(), Some("Kết quả"));
    assert_eq!(audit().await, before);
    assert!(s.enrolments(k.id).await.unwrap().is_empty());
    assert_eq!(s.cadres().await.unwrap().len(), 2);
    let (h, r) = rows(&good);
    let report = s
        .import_education(&h, r, &opts(Some(k.id), ImportMode::AllOrNothing))
        .await
        .unwrap();
    assert!(report.committed, "{:?}", report.rejected);
    assert_eq!((report.cadres_created, report.results_recorded), (1, 3));
    let list = s.enrolments(k.id).await.unwrap();
    assert_eq!(list.len(), 3);
    let binh = list.iter().find(|e| e.cadre.full_name == "Nguyễn Văn Bình").unwrap();
    assert_eq!(binh.result, Some(CourseResult::Excellent));
    assert_eq!(binh.certificate_number.as_deref(), Some("11/GCN"));
    assert!(
        !list
            .iter()
            .find(|e| e.cadre.full_name == "Phạm Văn Dũng")
            .unwrap()
            .attended
    );
    assert_eq!(audit().await, before + 4);
    // An's category-3 post is not covered by a category-4 certificate; Dũng did not attend.
    let o = s.edu_overview(date!(2026 - 09 - 30)).await.unwrap();
    let names: Vec<&str> = o.lacking.iter().map(|l| l.cadre.full_name.as_str()).collect();
    assert_eq!(names, ["Lê Thị An", "Phạm Văn Dũng"]);
}

/// The names on the no-certificate list on `on`, sorted.
async fn lacking(store: &Store, who: &Actor, on: time::Date) -> Vec<String> {
    let mut names: Vec<String> = store
        .scoped(who)
        .edu_overview(on)
        .await
        .unwrap()
        .lacking
        .into_iter()
        .map(|l| l.cadre.full_name)
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn cadre_edits_and_enrolment_deletes_are_scoped_and_audited() {
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await.unwrap();
    let admin = actor(&db.store, "quantri").await;
    let s = db.store.scoped(&admin);
    let (a, b) = (demo.commune_command_ids[0], demo.commune_command_ids[1]);
    let audit = || async { db.store.verify_audit().await.unwrap().entries };
    let on = date!(2026 - 09 - 01);
    // Logins are audited: log everyone in before counting.
    let cmd = actor(&db.store, "chihuy").await;
    let other = actor(&db.store, "chihuy.xa2").await;
    let readers = [actor(&db.store, "lanhdao").await, actor(&db.store, "thanhtra").await];
    let lan = s.create_cadre(cadre(a, "Nguyễn Thị Lan", 4)).await.unwrap();
    let minh = s.create_cadre(cadre(a, "Trần Văn Minh", 4)).await.unwrap();
    let c4 = s
        .create_course(course(a, "Bồi dưỡng đối tượng 4 năm 2026", 4))
        .await
        .unwrap();
    let c3 = s
        .create_course(course(a, "Bồi dưỡng đối tượng 3 năm 2026", 3))
        .await
        .unwrap();

    // Edit: a new post with another category and a new managing unit; audited with before/after.
    let before = audit().await;
    let edited = s
        .update_cadre(
            minh.id,
            phongthu_store::CadreUpdate {
                unit_id: b,
                position: "Chủ tịch Ủy ban nhân dân xã".into(),
                agency: "Ủy ban nhân dân xã Hai".into(),
                category: 3,
                note: Some("Bầu giữ chức vụ tháng 7/2026".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (edited.unit_id, edited.position.as_str(), edited.category),
        (b, "Chủ tịch Ủy ban nhân dân xã", 3)
    );
    assert_eq!(edited.note.as_deref(), Some("Bầu giữ chức vụ tháng 7/2026"));
    assert_eq!(edited.full_name, "Trần Văn Minh", "the person's name is not edited");
    assert_eq!(audit().await, before + 1);
    let last = db
        .store
        .scoped(&admin)
        .audit_entries(&phongthu_store::AuditFilter {
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        (last[0].action.as_str(), last[0].entity.as_str()),
        ("update", "edu_cadre")
    );
    assert!(
        last[0].before.as_deref().unwrap_or("").contains("\"category\":4")
            && last[0].after.as_deref().unwrap_or("").contains("\"category\":3"),
        "{last:?}"
    );
    // Nothing changed: nothing written.
    let same = s
        .update_cadre(
            minh.id,
            phongthu_store::CadreUpdate {
                unit_id: b,
                position: " Chủ tịch Ủy ban nhân dân xã ".into(),
                agency: "Ủy ban nhân dân xã Hai".into(),
                category: 3,
                note: Some("Bầu giữ chức vụ tháng 7/2026".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(same, edited);
    assert_eq!(audit().await, before + 1);
    // Bad input: a Vietnamese reason per field, nothing written.
    let e = s
        .update_cadre(
            minh.id,
            phongthu_store::CadreUpdate {
                unit_id: b,
                position: "  ".into(),
                agency: "Ủy ban".into(),
                category: 7,
                note: None,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Invalid(_)), "{e}");
    assert!(
        e.to_string().contains("Chức vụ không được để trống") && e.to_string().contains("Đối tượng 7 không hợp lệ"),
        "{e}"
    );
    assert_eq!(audit().await, before + 1);

    // The commune commander: his cadre may not be moved out of his commune, another commune's
    // cadre is not found; leaders and inspectors cannot edit.
    let sc = db.store.scoped(&cmd);
    let move_out = phongthu_store::CadreUpdate {
        unit_id: b,
        position: "Phó Chủ tịch".into(),
        agency: "Ủy ban nhân dân xã".into(),
        category: 4,
        note: None,
    };
    let e = sc.update_cadre(lan.id, move_out.clone()).await.unwrap_err();
    assert!(matches!(e, StoreError::Forbidden(_)), "{e}");
    let e = sc
        .update_cadre(
            minh.id,
            phongthu_store::CadreUpdate {
                unit_id: a,
                ..move_out.clone()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound(_)), "{e}");
    for r in &readers {
        let e = db
            .store
            .scoped(r)
            .update_cadre(
                lan.id,
                phongthu_store::CadreUpdate {
                    unit_id: a,
                    ..move_out.clone()
                },
            )
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::Forbidden(_)), "{}: {e}", r.username);
    }
    assert_eq!(audit().await, before + 1);

    // The category decides the list: Minh (now category 3) with a category 4 certificate still
    // lacks; enrolled on the category 3 course with a certificate, he leaves the list.
    s.record_attendance(c4.id, certified(lan.id, "01/GCN", date!(2026 - 08 - 30)))
        .await
        .unwrap();
    s.record_attendance(c4.id, certified(minh.id, "02/GCN", date!(2026 - 08 - 30)))
        .await
        .unwrap();
    assert_eq!(lacking(&db.store, &admin, on).await, ["Trần Văn Minh"]);
    s.record_attendance(c3.id, certified(minh.id, "01/GCN-3", date!(2026 - 08 - 30)))
        .await
        .unwrap();
    assert!(lacking(&db.store, &admin, on).await.is_empty());

    // Delete an enrolment: refused with a certificate, done without one (audited).
    let before = audit().await;
    let e = s.delete_enrolment(c4.id, lan.id).await.unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e}");
    assert!(
        e.to_string()
            .contains("đã được cấp giấy chứng nhận số 01/GCN ngày 30/08/2026"),
        "{e}"
    );
    assert_eq!(audit().await, before);
    let hoa = s.create_cadre(cadre(a, "Lê Thị Hoa", 4)).await.unwrap();
    s.record_attendance(
        c4.id,
        Attendance {
            cadre_id: hoa.id,
            attended: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(s.enrolments(c4.id).await.unwrap().len(), 3);
    let before = audit().await;
    // Readers and another commune's commander cannot delete.
    for r in &readers {
        let e = db.store.scoped(r).delete_enrolment(c4.id, hoa.id).await.unwrap_err();
        assert!(matches!(e, StoreError::Forbidden(_)), "{}: {e}", r.username);
    }
    let e = db
        .store
        .scoped(&other)
        .delete_enrolment(c4.id, hoa.id)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound(_)), "{e}");
    assert_eq!(audit().await, before);
    sc.delete_enrolment(c4.id, hoa.id).await.unwrap();
    assert_eq!(audit().await, before + 1);
    let names: Vec<String> = s
        .enrolments(c4.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.cadre.full_name)
        .collect();
    assert_eq!(names, ["Nguyễn Thị Lan", "Trần Văn Minh"]);
    assert_eq!(s.course(c4.id).await.unwrap().enrolled, 2);
    // Hoa, off the course and without a certificate, is on the list; deleting again is not found.
    assert_eq!(lacking(&db.store, &admin, on).await, ["Lê Thị Hoa"]);
    let e = s.delete_enrolment(c4.id, hoa.id).await.unwrap_err();
    assert!(matches!(e, StoreError::NotFound(_)), "{e}");
    assert!(db.store.verify_audit().await.unwrap().broken.is_none());
}
