//! The militia member import and export on both backends (SQLite by default; PostgreSQL when
//! `PHONGTHU_TEST_DATABASE_URL=postgres://...` is set): a good file, each kind of bad row with its
//! row, column and reason, all-or-nothing writes nothing, valid-only writes only the valid rows,
//! scope and roles, and the export read back by the import into a fresh unit.

use phongthu_domain::militia::{CommanderPost, Echelon, MilitiaKind};
use phongthu_domain::nvqs::Sex;
use phongthu_domain::reserve::ReservistClass;
use phongthu_store::testing::TestDb;
use phongthu_store::{
    militia_export_headers, militia_export_row, ImportMode, MilitiaImportOptions, MilitiaImportReport, NewCitizen,
    NewMilitiaUnit, NewPosition, NewReserveUnit, NewReservist, SourceRow, StoreError,
};
use time::macros::date;
use time::Date;

use phongthu_store::testing::demo_actor as actor;

fn citizen(unit: i64, name: &str, birth: Date, sex: Sex, nid: &str) -> NewCitizen {
    let mut c = NewCitizen::new(unit, name, birth, sex);
    c.national_id = Some(nid.to_string());
    c
}

const HEADERS: [&str; 5] = [
    "Số định danh cá nhân",
    "Họ và tên",
    "Ngày vào đơn vị",
    "Chức vụ",
    "Tình nguyện",
];

fn headers(h: &[&str]) -> Vec<String> {
    h.iter().map(|s| s.to_string()).collect()
}

/// Data rows numbered from spreadsheet row 2 (the header is row 1).
fn rows(cells: &[&[&str]]) -> Vec<SourceRow> {
    cells
        .iter()
        .enumerate()
        .map(|(i, r)| SourceRow {
            line: i as u64 + 2,
            cells: r.iter().map(|s| s.to_string()).collect(),
        })
        .collect()
}

fn opts(unit: i64, mode: ImportMode) -> MilitiaImportOptions {
    MilitiaImportOptions {
        militia_unit_id: unit,
        mode,
        source_name: "dan-quan.xlsx".into(),
        on: date!(2026 - 03 - 01),
    }
}

/// The error of a row: (column, reason).
fn error_of(r: &MilitiaImportReport, row: u64) -> (String, String) {
    let e: Vec<_> = r.rejected.iter().filter(|e| e.row == row).collect();
    assert_eq!(e.len(), 1, "one error on row {row}: {:?}", r.rejected);
    (e[0].column.clone().unwrap_or_default(), e[0].reason_vi.clone())
}

#[tokio::test]
async fn militia_members_from_a_file_checked_like_the_form() {
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await.unwrap();
    let admin = actor(&db.store, "quantri").await;
    let s = db.store.scoped(&admin);
    let (a, b) = (demo.commune_command_ids[0], demo.commune_command_ids[1]);
    let audit = || async { db.store.verify_audit().await.unwrap().entries };

    let platoon = s
        .create_militia_unit(NewMilitiaUnit {
            unit_id: a,
            kind: MilitiaKind::Mobile,
            echelon: Echelon::Platoon,
            name: "Trung đội dân quân cơ động số 1".into(),
        })
        .await
        .unwrap();
    let mk = |name: &str, birth, sex, nid: &str| citizen(a, name, birth, sex, nid);
    for c in [
        mk("Nguyễn Văn An", date!(2000 - 04 - 02), Sex::Male, "033200000101"),
        mk("Trần Văn Bình", date!(1998 - 09 - 10), Sex::Male, "033098000102"),
        mk("Lê Thị Hoa", date!(1984 - 06 - 01), Sex::Female, "033184000103"),
        mk("Phạm Văn Nhỏ", date!(2010 - 01 - 01), Sex::Male, "033210000105"),
        mk("Vũ Văn Cường", date!(1990 - 05 - 05), Sex::Male, "033090000106"),
        mk("Đặng Văn Tám", date!(1992 - 08 - 08), Sex::Male, "033092000108"),
        mk("Hồ Văn Chín", date!(1993 - 09 - 09), Sex::Male, "033093000109"),
        citizen(b, "Đỗ Văn Xa", date!(2001 - 01 - 01), Sex::Male, "033201000107"),
    ] {
        s.create_citizen(c).await.unwrap();
    }
    // Lân is placed in a mobilisation unit: the ledger holds him.
    let lan = s
        .create_citizen(mk("Phạm Văn Lân", date!(1995 - 02 - 03), Sex::Male, "033095000104"))
        .await
        .unwrap();
    let reserve_unit = s
        .create_reserve_unit(NewReserveUnit {
            unit_id: a,
            name: "Đại đội vận tải 1".into(),
            combat: false,
            spare_percent: 10,
        })
        .await
        .unwrap();
    let driver = s
        .add_position(NewPosition {
            reserve_unit_id: reserve_unit.id,
            title: "Lái xe".into(),
            specialty: "2B".into(),
            rank: None,
            count: 1,
        })
        .await
        .unwrap();
    let reservist = s
        .add_reservist(NewReservist {
            citizen_id: lan.id,
            class: ReservistClass::Class1,
            specialty: "2B".into(),
            rank: None,
            registered_on: date!(2020 - 01 - 01),
        })
        .await
        .unwrap();
    assert_eq!(
        s.accept_assignments(&[(reservist.id, driver.id)], date!(2025 - 01 - 01))
            .await
            .unwrap(),
        1
    );

    // A file with one good row and every kind of bad row.
    let file = rows(&[
        &["033098000102", "Trần Văn Bình", "10/01/2026", "Chiến sĩ", ""],
        &["03320000010", "", "10/01/2026", "", ""], // bad ID (11 digits)
        &["033200000101", "Nguyễn Văn An", "30/02/2026", "", ""], // impossible date
        &["033098000102", "", "10/01/2026", "", ""], // duplicate of row 2
        &["033095000104", "", "10/01/2026", "", ""], // ledger: reserve unit
        &["033201000107", "", "10/01/2026", "", ""], // lives in another commune
        &["033299999999", "", "10/01/2026", "", ""], // not on the registry
        &["033210000105", "", "10/01/2026", "", ""], // 16 years old
        &["033090000106", "", "01/01/2020", "", ""], // term ended 31/12/2023
        &["033184000103", "", "10/01/2026", "", "Không"], // a woman of 41 under obligation
        &["033093000109", "Hồ Văn Mười", "10/01/2026", "", ""], // name does not match
        &["033092000108", "", "10/01/2026", "Đại đội trưởng", ""], // post above the echelon
    ]);
    let before = audit().await;
    let r = s
        .import_militia_members(
            &headers(&HEADERS),
            file.clone(),
            &opts(platoon.id, ImportMode::AllOrNothing),
        )
        .await
        .unwrap();
    assert!(!r.committed);
    assert_eq!(
        (r.rows_read, r.accepted, r.rejected_rows),
        (12, 0, 11),
        "{:?}",
        r.rejected
    );
    assert!(
        r.summary_vi().contains("toàn bộ tệp đã được hủy bỏ"),
        "{}",
        r.summary_vi()
    );
    assert_eq!(audit().await, before, "all or nothing: nothing written");
    assert!(s.members(platoon.id).await.unwrap().is_empty());

    let (col, why) = error_of(&r, 3);
    assert_eq!(col, "Số định danh cá nhân");
    assert!(why.contains("đúng 12 chữ số") && why.contains("Văn bản"), "{why}");
    let (col, why) = error_of(&r, 4);
    assert_eq!(col, "Ngày vào đơn vị");
    assert!(why.contains("không tồn tại"), "{why}");
    let (col, why) = error_of(&r, 5);
    assert_eq!(col, "Số định danh cá nhân");
    assert!(why.contains("trùng với dòng 2"), "{why}");
    let (col, why) = error_of(&r, 6);
    assert_eq!(col, "Ngày vào đơn vị");
    assert!(
        why.contains("Phạm Văn Lân") && why.contains("Đại đội vận tải 1"),
        "{why}"
    );
    let (col, why) = error_of(&r, 7);
    assert_eq!(col, "Số định danh cá nhân");
    assert!(why.contains("Đỗ Văn Xa") && why.contains("nơi cư trú"), "{why}");
    let (col, why) = error_of(&r, 8);
    assert_eq!(col, "Số định danh cá nhân");
    assert!(
        why.contains("Không có công dân mang số định danh 033299999999"),
        "{why}"
    );
    let (col, why) = error_of(&r, 9);
    assert_eq!(col, "Ngày vào đơn vị");
    assert!(why.contains("chưa đủ 18"), "{why}");
    let (col, why) = error_of(&r, 10);
    assert_eq!(col, "Ngày vào đơn vị");
    assert!(why.contains("đã hết ngày 31/12/2023"), "{why}");
    let (col, why) = error_of(&r, 11);
    assert_eq!(col, "Ngày vào đơn vị");
    assert!(why.contains("hết 40 tuổi") && why.contains("tình nguyện"), "{why}");
    let (col, why) = error_of(&r, 12);
    assert_eq!(col, "Họ và tên");
    assert!(why.contains("không khớp"), "{why}");
    let (col, why) = error_of(&r, 13);
    assert_eq!(col, "Chức vụ");
    assert!(why.contains("không phù hợp với trung đội"), "{why}");

    // Valid rows only: Bình alone is saved, with his audit entry and the import's.
    let r = s
        .import_militia_members(&headers(&HEADERS), file, &opts(platoon.id, ImportMode::ValidOnly))
        .await
        .unwrap();
    assert!(r.committed);
    assert_eq!((r.accepted, r.rejected_rows), (1, 11));
    assert_eq!(
        r.summary_vi(),
        "Đã nhập 1 thành viên vào Trung đội dân quân cơ động số 1 từ 12 dòng dữ liệu; 11 dòng bị từ chối."
    );
    assert_eq!(audit().await, before + 2);
    let names: Vec<String> = s
        .members(platoon.id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.full_name)
        .collect();
    assert_eq!(names, ["Trần Văn Bình"]);

    // A good file: An leads the platoon, Hoa volunteers (45 for women); other headers accepted.
    let before = audit().await;
    let r = s
        .import_militia_members(
            &headers(&["SỐ CCCD", "Ngày vào", "Chức vụ chỉ huy", "tinh nguyen", "Ghi chú"]),
            rows(&[
                &["033200000101", "10/01/2026", "Trung đội trưởng", ""],
                &["033184000103", "2026-01-10", "", "Có"],
            ]),
            &opts(platoon.id, ImportMode::AllOrNothing),
        )
        .await
        .unwrap();
    assert!(r.committed, "{:?}", r.rejected);
    assert_eq!((r.accepted, r.rejected_rows), (2, 0));
    assert_eq!(r.ignored_columns, ["Ghi chú"]);
    assert!(r.summary_vi().contains("Bỏ qua các cột không nhận ra: Ghi chú."));
    assert_eq!(audit().await, before + 3);
    let members = s.members(platoon.id).await.unwrap();
    let an = members.iter().find(|m| m.full_name == "Nguyễn Văn An").unwrap();
    assert_eq!(an.post, Some(CommanderPost::PlatoonLeader));
    assert_eq!((an.joined_on, an.term_years), (date!(2026 - 01 - 10), 4));
    assert_eq!(an.national_id.as_deref(), Some("033200000101"));
    let hoa = members.iter().find(|m| m.full_name == "Lê Thị Hoa").unwrap();
    assert!(hoa.volunteer);
    let entries = db.store.verify_audit().await.unwrap();
    assert!(entries.broken.is_none());

    // Scope and roles: another commune's commander does not see the unit; the own commune's
    // commander does not reach another commune's citizens; leaders and inspectors cannot write.
    let one = rows(&[&["033098000102", "", "10/01/2026", "", ""]]);
    let other = actor(&db.store, "chihuy.xa2").await;
    let e = db
        .store
        .scoped(&other)
        .import_militia_members(
            &headers(&HEADERS),
            one.clone(),
            &opts(platoon.id, ImportMode::ValidOnly),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound(_)), "{e}");
    let own = actor(&db.store, "chihuy").await;
    let r = db
        .store
        .scoped(&own)
        .import_militia_members(
            &headers(&HEADERS),
            rows(&[&["033201000107", "", "10/01/2026", "", ""]]),
            &opts(platoon.id, ImportMode::ValidOnly),
        )
        .await
        .unwrap();
    assert!(
        error_of(&r, 2).1.contains("trong sổ đăng ký thuộc phạm vi của bạn"),
        "{r:?}"
    );
    for who in ["lanhdao", "thanhtra"] {
        let reader = actor(&db.store, who).await;
        let e = db
            .store
            .scoped(&reader)
            .import_militia_members(
                &headers(&HEADERS),
                one.clone(),
                &opts(platoon.id, ImportMode::ValidOnly),
            )
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::Forbidden(_)), "{who}: {e}");
    }
    // A file without the required columns is refused as a whole.
    let e = s
        .import_militia_members(&headers(&["Họ và tên"]), one, &opts(platoon.id, ImportMode::ValidOnly))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("thiếu cột bắt buộc"), "{e}");
}

#[tokio::test]
async fn export_is_read_back_by_the_import_into_a_fresh_unit() {
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await.unwrap();
    let admin = actor(&db.store, "quantri").await;
    let s = db.store.scoped(&admin);
    let a = demo.commune_command_ids[0];
    let unit = |kind, name: &str| NewMilitiaUnit {
        unit_id: a,
        kind,
        echelon: Echelon::Platoon,
        name: name.into(),
    };
    let old = s
        .create_militia_unit(unit(MilitiaKind::Mobile, "Trung đội cơ động cũ"))
        .await
        .unwrap();
    let fresh = s
        .create_militia_unit(unit(MilitiaKind::OnSite, "Trung đội tại chỗ mới"))
        .await
        .unwrap();
    for c in [
        citizen(a, "Nguyễn Văn An", date!(2000 - 04 - 02), Sex::Male, "033200000101"),
        citizen(a, "Lê Thị Hoa", date!(1984 - 06 - 01), Sex::Female, "033184000103"),
        citizen(a, "Trần Văn Bình", date!(1998 - 09 - 10), Sex::Male, "033098000102"),
    ] {
        s.create_citizen(c).await.unwrap();
    }
    let r = s
        .import_militia_members(
            &headers(&HEADERS),
            rows(&[
                &["033200000101", "", "10/01/2026", "Trung đội trưởng", ""],
                &["033184000103", "", "10/01/2026", "", "Có"],
                &["033098000102", "", "10/01/2026", "", ""],
            ]),
            &opts(old.id, ImportMode::AllOrNothing),
        )
        .await
        .unwrap();
    assert!(r.committed, "{:?}", r.rejected);
    // Bình leaves: the export lists serving members only.
    let binh = s
        .members(old.id)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.full_name == "Trần Văn Bình")
        .unwrap();
    s.member_leaves(binh.id, date!(2026 - 02 - 01)).await.unwrap();

    let exported = s.active_militia_members(Some(old.id)).await.unwrap();
    assert_eq!(exported.len(), 2);
    let head: Vec<String> = militia_export_headers().iter().map(|(h, _)| h.to_string()).collect();
    let mut cells: Vec<Vec<String>> = exported.iter().map(militia_export_row).collect();
    assert_eq!(
        cells[0][..6],
        [
            "033200000101",
            "Nguyễn Văn An",
            "02/04/2000",
            "10/01/2026",
            "Trung đội trưởng",
            "Không"
        ]
    );
    assert_eq!(
        cells[1][4..],
        ["Chiến sĩ", "Có", "Nữ", "Trung đội cơ động cũ", "09/01/2030"]
    );
    let as_rows = |cells: &[Vec<String>]| -> Vec<SourceRow> {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| SourceRow {
                line: i as u64 + 2,
                cells: c.clone(),
            })
            .collect()
    };
    // As it is, into the fresh unit: every column understood, and both people still serve in the
    // old unit, which the ledger reports for each row.
    let r = s
        .import_militia_members(&head, as_rows(&cells), &opts(fresh.id, ImportMode::ValidOnly))
        .await
        .unwrap();
    assert!(r.ignored_columns.is_empty(), "{:?}", r.ignored_columns);
    assert_eq!((r.rows_read, r.accepted, r.rejected_rows), (2, 0, 2));
    for row in [2, 3] {
        let (col, why) = error_of(&r, row);
        assert_eq!(col, "Ngày vào đơn vị");
        assert!(why.contains("Trung đội cơ động cũ"), "{why}");
    }
    // Once they leave the old unit, the same file with the new joining day moves them across
    // with their post and volunteer status.
    for m in &exported {
        s.member_leaves(m.id, date!(2026 - 02 - 28)).await.unwrap();
    }
    for c in &mut cells {
        c[3] = "01/03/2026".into();
    }
    let r = s
        .import_militia_members(&head, as_rows(&cells), &opts(fresh.id, ImportMode::AllOrNothing))
        .await
        .unwrap();
    assert!(r.committed, "{:?}", r.rejected);
    assert_eq!(r.accepted, 2);
    let moved = s.active_militia_members(Some(fresh.id)).await.unwrap();
    let got: Vec<(String, Option<CommanderPost>, bool, Date)> = moved
        .iter()
        .map(|m| (m.full_name.clone(), m.post, m.volunteer, m.joined_on))
        .collect();
    assert_eq!(
        got,
        [
            (
                "Nguyễn Văn An".to_string(),
                Some(CommanderPost::PlatoonLeader),
                false,
                date!(2026 - 03 - 01)
            ),
            ("Lê Thị Hoa".to_string(), None, true, date!(2026 - 03 - 01)),
        ]
    );
    assert!(s.active_militia_members(Some(old.id)).await.unwrap().is_empty());
    // The scope-wide export: the whole province for the administrator, nothing of this commune
    // for another commune's commander.
    assert_eq!(s.active_militia_members(None).await.unwrap().len(), 2);
    let other = actor(&db.store, "chihuy.xa2").await;
    assert!(db
        .store
        .scoped(&other)
        .active_militia_members(None)
        .await
        .unwrap()
        .is_empty());
    assert!(matches!(
        db.store.scoped(&other).active_militia_members(Some(fresh.id)).await,
        Err(StoreError::NotFound(_))
    ));
}
