//! Forces additions on both backends (SQLite by default; PostgreSQL when
//! `PHONGTHU_TEST_DATABASE_URL=postgres://...` is set): the reservist import (registry match by
//! national ID, per-row errors, the mobilisation ledger and the seats, all-or-nothing and
//! valid-only, scope, audit), militia strength against targets (ratio as a setting, commune
//! targets, roll-up, scope, audit) and the forces demo.

use phongthu_domain::militia::{Echelon, MilitiaKind};
use phongthu_domain::nvqs::Sex;
use phongthu_domain::org::OrgKind;
use phongthu_domain::reserve::{MatchKind, ReservistClass};
use phongthu_store::testing::TestDb;
use phongthu_store::{
    ImportMode, NewCitizen, NewMilitiaMember, NewMilitiaUnit, NewPosition, NewReserveUnit, ReservistImportOptions,
    SourceRow, StoreError, TargetSource,
};
use time::macros::date;
use time::Date;

use phongthu_store::testing::demo_actor as actor;

fn citizen(unit: i64, name: &str, birth: Date, nid: &str) -> NewCitizen {
    let mut c = NewCitizen::new(unit, name, birth, Sex::Male);
    c.national_id = Some(nid.to_string());
    c
}

const HEADERS: [&str; 8] = [
    "Số định danh cá nhân",
    "Họ và tên",
    "Hạng",
    "CNQS",
    "Cấp bậc",
    "Ngày đăng ký",
    "Đơn vị dự bị động viên",
    "Chức danh",
];

fn rows(lines: &[[&str; 8]]) -> Vec<SourceRow> {
    lines
        .iter()
        .enumerate()
        .map(|(i, cells)| SourceRow {
            line: i as u64 + 2,
            cells: cells.iter().map(|s| s.to_string()).collect(),
        })
        .collect()
}

fn opts(mode: ImportMode) -> ReservistImportOptions {
    ReservistImportOptions {
        mode,
        source_name: "quan-nhan-du-bi.xlsx".into(),
        on: date!(2026 - 06 - 30),
    }
}

#[tokio::test]
async fn reservist_import_matches_the_registry_and_checks_every_row() {
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await.unwrap();
    let admin = actor(&db.store, "quantri").await;
    let commander = actor(&db.store, "chihuy").await;
    let s = db.store.scoped(&admin);
    let (a, b) = (demo.commune_command_ids[0], demo.commune_command_ids[1]);
    let audit = || async { db.store.verify_audit().await.unwrap().entries };

    s.create_citizen(citizen(a, "Nguyễn Văn An", date!(1998 - 01 - 01), "033098000001"))
        .await
        .unwrap();
    s.create_citizen(citizen(a, "Trần Văn Bình", date!(1997 - 01 - 01), "033097000002"))
        .await
        .unwrap();
    let cuong = s
        .create_citizen(citizen(a, "Lê Văn Cường", date!(1996 - 01 - 01), "033096000003"))
        .await
        .unwrap();
    s.create_citizen(citizen(b, "Đỗ Văn Xa", date!(1999 - 01 - 01), "033099000004"))
        .await
        .unwrap();
    s.create_citizen(citizen(a, "Phạm Văn Dũng", date!(1995 - 01 - 01), "033095000005"))
        .await
        .unwrap();
    s.create_citizen(citizen(a, "Hoàng Văn Em", date!(1994 - 01 - 01), "033094000006"))
        .await
        .unwrap();
    // Cường is in the militia: the ledger holds him.
    let platoon = s
        .create_militia_unit(NewMilitiaUnit {
            unit_id: a,
            kind: MilitiaKind::Mobile,
            echelon: Echelon::Platoon,
            name: "Trung đội cơ động".into(),
        })
        .await
        .unwrap();
    s.add_member(NewMilitiaMember {
        militia_unit_id: platoon.id,
        citizen_id: cuong.id,
        post: None,
        volunteer: false,
        joined_on: date!(2025 - 01 - 01),
    })
    .await
    .unwrap();
    let unit = s
        .create_reserve_unit(NewReserveUnit {
            unit_id: a,
            name: "Đại đội vận tải 1".into(),
            combat: false,
            spare_percent: 10,
        })
        .await
        .unwrap();
    // One staff place, two seats with the spare.
    s.add_position(NewPosition {
        reserve_unit_id: unit.id,
        title: "Lái xe".into(),
        specialty: "2B".into(),
        rank: None,
        count: 1,
    })
    .await
    .unwrap();

    let file = rows(&[
        [
            "033098000001",
            "Nguyễn Văn An",
            "1",
            "1A",
            "Trung sĩ",
            "15/01/2024",
            "",
            "",
        ],
        ["033000999999", "", "1", "1A", "", "15/01/2024", "", ""],
        [
            "033097000002",
            "tran van binh",
            "Hạng hai",
            "2B",
            "",
            "2024-02-01",
            "Đại đội vận tải 1",
            "lái xe",
        ],
        [
            "033096000003",
            "",
            "1",
            "2B",
            "",
            "15/01/2024",
            "Đại đội vận tải 1",
            "Lái xe",
        ],
        ["033098000001", "", "2", "1A", "", "15/01/2024", "", ""],
        ["033095000005", "", "3", "1A", "", "15/01/2024", "", ""],
        ["033094000006", "Hoàng Văn Anh", "1", "1A", "", "15/01/2024", "", ""],
        [
            "033099000004",
            "",
            "1",
            "1A",
            "",
            "15/01/2024",
            "Đại đội vận tải 9",
            "Lái xe",
        ],
    ]);
    let headers: Vec<String> = HEADERS.iter().map(|s| s.to_string()).collect();

    // All or nothing: errors reported, nothing written.
    let before = audit().await;
    let r = s
        .import_reservists(&headers, file.clone(), &opts(ImportMode::AllOrNothing))
        .await
        .unwrap();
    assert!(!r.committed);
    assert_eq!((r.rows_read, r.accepted, r.rejected_rows), (8, 0, 6), "{r:?}");
    assert_eq!(audit().await, before);
    assert!(s.reservists().await.unwrap().is_empty());
    let errors: Vec<String> = r.rejected.iter().map(|e| e.to_string()).collect();
    let has = |row: u64, col: &str, text: &str| {
        assert!(
            r.rejected
                .iter()
                .any(|e| e.row == row && e.column.as_deref() == Some(col) && e.reason_vi.contains(text)),
            "row {row}, {col}, \"{text}\" in {errors:#?}"
        )
    };
    has(
        3,
        "Số định danh cá nhân",
        "Không có công dân mang số định danh 033000999999",
    );
    // The ledger: a militia member cannot be placed in a reserve unit.
    has(5, "Đơn vị dự bị động viên", "Lê Văn Cường");
    has(5, "Đơn vị dự bị động viên", "Trung đội cơ động");
    has(6, "Số định danh cá nhân", "trùng với dòng 2");
    has(7, "Hạng", "Hạng \"3\" không hợp lệ");
    has(8, "Họ và tên", "không khớp với sổ đăng ký");
    has(
        9,
        "Đơn vị dự bị động viên",
        "Không có đơn vị dự bị động viên tên \"Đại đội vận tải 9\"",
    );
    assert!(r.summary_vi().contains("không thay đổi gì"), "{}", r.summary_vi());

    // Valid rows only: An entered, Bình entered and placed (names and titles matched without
    // diacritics or case).
    let r = s
        .import_reservists(&headers, file.clone(), &opts(ImportMode::ValidOnly))
        .await
        .unwrap();
    assert!(r.committed);
    assert_eq!((r.accepted, r.assigned, r.rejected_rows), (2, 1, 6), "{r:?}");
    let list = s.reservists().await.unwrap();
    assert_eq!(list.len(), 2);
    let binh = list.iter().find(|x| x.full_name == "Trần Văn Bình").unwrap();
    assert_eq!(binh.class, ReservistClass::Class2);
    assert_eq!(binh.assigned_position.as_deref(), Some("Lái xe"));
    let assignments = s.reserve_assignments(Some(unit.id)).await.unwrap();
    assert_eq!(assignments.len(), 1);
    assert_eq!(assignments[0].match_kind, MatchKind::Exact);
    assert_eq!(assignments[0].assigned_on, date!(2026 - 06 - 30));
    // One entry per reservist, one per assignment, one for the import.
    assert_eq!(audit().await, before + 4);
    let entries = s.audit_entries(&phongthu_store::AuditFilter::default()).await.unwrap();
    assert!(entries
        .iter()
        .any(|e| e.action == "import" && e.entity == "reservist_import"));

    // Again: one person, one record; the seats: two, one taken, so one more fits and the next not.
    let again = s
        .import_reservists(&headers, file[..1].to_vec(), &opts(ImportMode::AllOrNothing))
        .await
        .unwrap();
    assert!(
        again.rejected[0].reason_vi.contains("đã có hồ sơ quân nhân dự bị"),
        "{again:?}"
    );
    let seats = rows(&[
        [
            "033095000005",
            "",
            "1",
            "2B",
            "",
            "15/01/2024",
            "Đại đội vận tải 1",
            "Lái xe",
        ],
        [
            "033094000006",
            "",
            "1",
            "2B",
            "",
            "15/01/2024",
            "Đại đội vận tải 1",
            "Lái xe",
        ],
    ]);
    let r = s
        .import_reservists(&headers, seats, &opts(ImportMode::ValidOnly))
        .await
        .unwrap();
    assert_eq!((r.accepted, r.assigned, r.rejected_rows), (1, 1, 1), "{r:?}");
    assert!(r.rejected[0].reason_vi.contains("đã đủ 2 chỗ"), "{r:?}");
    assert_eq!(r.rejected[0].row, 3);

    // Scope: the commune commander does not see the other commune's citizen.
    let xa = rows(&[["033099000004", "", "1", "1A", "", "15/01/2024", "", ""]]);
    let r = db
        .store
        .scoped(&commander)
        .import_reservists(&headers, xa.clone(), &opts(ImportMode::ValidOnly))
        .await
        .unwrap();
    assert_eq!((r.accepted, r.rejected_rows), (0, 1));
    assert!(r.rejected[0].reason_vi.contains("thuộc phạm vi của bạn"));
    // Missing columns, and a reader role, are refused before anything.
    let e = s
        .import_reservists(&["Họ và tên".to_string()], xa.clone(), &opts(ImportMode::ValidOnly))
        .await
        .unwrap_err();
    assert!(
        matches!(e, StoreError::Invalid(_)) && e.to_string().contains("thiếu cột bắt buộc"),
        "{e}"
    );
    let leader = actor(&db.store, "lanhdao").await;
    let e = db
        .store
        .scoped(&leader)
        .import_reservists(&headers, xa, &opts(ImportMode::ValidOnly))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Forbidden(_)), "{e}");
    assert!(db.store.verify_audit().await.unwrap().broken.is_none());
}

#[tokio::test]
async fn militia_strength_against_targets_with_roll_up() {
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await.unwrap();
    let admin = actor(&db.store, "quantri").await;
    let commander = actor(&db.store, "chihuy").await;
    let regional = actor(&db.store, "chihuy.ptkv").await;
    let s = db.store.scoped(&admin);
    let (a, b, c) = (
        demo.commune_command_ids[0],
        demo.commune_command_ids[1],
        demo.commune_command_ids[2],
    );
    let audit = || async { db.store.verify_audit().await.unwrap().entries };
    let province = s
        .org_unit(demo.province_command_id)
        .await
        .unwrap()
        .province_code
        .unwrap();

    // Nothing set: no targets anywhere.
    let rows = s.militia_targets().await.unwrap();
    let row = |rows: &[phongthu_store::TargetRow], id: i64| rows.iter().find(|r| r.unit_id == id).cloned().unwrap();
    assert_eq!(row(&rows, a).source, TargetSource::None);
    assert_eq!(row(&rows, demo.province_command_id).communes, 3);
    assert_eq!(row(&rows, demo.province_command_id).communes_without_target, 3);

    // Members of a's platoon.
    let platoon = s
        .create_militia_unit(NewMilitiaUnit {
            unit_id: a,
            kind: MilitiaKind::OnSite,
            echelon: Echelon::Squad,
            name: "Tiểu đội tại chỗ".into(),
        })
        .await
        .unwrap();
    for name in ["Nguyễn Văn Một", "Trần Văn Hai", "Lê Văn Ba"] {
        let cit = s
            .create_citizen(NewCitizen::new(a, name, date!(1995 - 01 - 01), Sex::Male))
            .await
            .unwrap();
        s.add_member(NewMilitiaMember {
            militia_unit_id: platoon.id,
            citizen_id: cit.id,
            post: None,
            volunteer: false,
            joined_on: date!(2025 - 01 - 01),
        })
        .await
        .unwrap();
    }

    // The ratio is a setting of the province: 1.30 %; bad values refused, nothing written.
    let before = audit().await;
    for bad in [0, 1001] {
        let e = s.set_militia_ratio(&province, Some(bad)).await.unwrap_err();
        assert!(matches!(e, StoreError::Invalid(_)), "{e}");
    }
    let e = db
        .store
        .scoped(&commander)
        .set_militia_ratio(&province, Some(130))
        .await
        .unwrap_err();
    assert!(
        matches!(e, StoreError::Forbidden(_)),
        "a commune does not set the province's ratio: {e}"
    );
    assert_eq!(audit().await, before);
    s.set_militia_ratio(&province, Some(130)).await.unwrap();
    assert_eq!(audit().await, before + 1);
    // Populations and one explicit target.
    s.set_militia_target(a, Some(250), None, Some("Báo cáo dân số của xã"))
        .await
        .unwrap();
    s.set_militia_target(b, Some(10_000), Some(90), None).await.unwrap();
    let e = s.set_militia_target(c, Some(-5), None, None).await.unwrap_err();
    assert!(matches!(e, StoreError::Invalid(_)), "{e}");
    let e = s
        .set_militia_target(demo.province_command_id, Some(100), None, None)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Invalid(_)), "only communes: {e}");
    let e = db
        .store
        .scoped(&commander)
        .set_militia_target(b, Some(1), Some(1), None)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound(_) | StoreError::Forbidden(_)), "{e}");
    assert_eq!(audit().await, before + 3);

    let rows = s.militia_targets().await.unwrap();
    // a: 250 × 1.30 % = 3.25 → 3; three members: 100 %.
    let ra = row(&rows, a);
    assert_eq!((ra.target, ra.strength), (Some(3), 3));
    assert_eq!(ra.source, TargetSource::Ratio { basis_points: 130 });
    assert_eq!(ra.percent_vi(), "100,0 %");
    let rb = row(&rows, b);
    assert_eq!(
        (rb.target, rb.source, rb.strength),
        (Some(90), TargetSource::Explicit, 0)
    );
    assert_eq!(rb.missing(), Some(90));
    assert_eq!(row(&rows, c).source, TargetSource::None);
    // The province: the sum of its communes; c has no target.
    let rp = row(&rows, demo.province_command_id);
    assert_eq!(rp.kind, OrgKind::ProvincialCommand);
    assert_eq!((rp.target, rp.strength, rp.communes_without_target), (Some(93), 3, 1));
    assert_eq!(rp.population, Some(10_250));
    assert_eq!(rp.percent_vi(), "3,2 %");

    // The regional command sums the communes it covers (a and b); a commune sees only itself.
    let rows = db.store.scoped(&regional).militia_targets().await.unwrap();
    let rr = row(&rows, demo.regional_command_id);
    assert_eq!((rr.communes, rr.target, rr.strength), (2, Some(93), 3));
    let rows = db.store.scoped(&commander).militia_targets().await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].unit_id, a);

    // Clearing the ratio leaves a without a target.
    s.set_militia_ratio(&province, None).await.unwrap();
    assert_eq!(row(&s.militia_targets().await.unwrap(), a).target, None);
    assert!(db.store.verify_audit().await.unwrap().broken.is_none());
}

#[tokio::test]
async fn forces_demo_is_small_and_idempotent() {
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await.unwrap();
    let r = db.store.seed_demo_forces(&demo).await.unwrap();
    assert!(r.created);
    assert_eq!((r.reservists, r.assignments, r.equipment), (6, 3, 4));
    let again = db.store.seed_demo_forces(&demo).await.unwrap();
    assert!(!again.created);
    assert_eq!(
        (again.reserve_unit_id, again.reservists, again.assignments),
        (r.reserve_unit_id, 6, 3)
    );
    let admin = actor(&db.store, "quantri").await;
    let s = db.store.scoped(&admin);
    assert_eq!(s.reservists().await.unwrap().len(), 6);
    assert_eq!(s.reserve_positions(Some(r.reserve_unit_id)).await.unwrap().len(), 3);
    assert_eq!(s.equipment_list(date!(2026 - 06 - 30)).await.unwrap().len(), 4);
    assert!(s.militia_targets().await.unwrap().iter().any(|t| t.target.is_some()));
    // The first commune, where the other tests work, stays empty.
    let commander = actor(&db.store, "chihuy").await;
    assert!(db.store.scoped(&commander).reservists().await.unwrap().is_empty());
    assert!(db.store.verify_audit().await.unwrap().broken.is_none());
}

#[tokio::test]
async fn equipment_import_checks_kinds_and_plates() {
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await.unwrap();
    let admin = actor(&db.store, "quantri").await;
    let s = db.store.scoped(&admin);
    let a = demo.commune_command_ids[0];
    let audit = || async { db.store.verify_audit().await.unwrap().entries };
    let headers: Vec<String> = ["Loại", "Chủ phương tiện", "Biển kiểm soát", "Trọng tải", "Tình trạng"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let file: Vec<SourceRow> = [
        ["Xe tải từ 2,5 tấn trở lên", "HTX Đông Hưng", "89c-111.22", "5 tấn", ""],
        ["Xe máy", "Nguyễn Văn An", "89B1-000.01", "", "Tốt"],
        ["xe cuu thuong", "Trạm y tế", "89C-111.22", "", "Hỏng"],
        ["Xe cứu thương", "", "89A-333.44", "", "mới"],
    ]
    .iter()
    .enumerate()
    .map(|(i, c)| SourceRow {
        line: i as u64 + 2,
        cells: c.iter().map(|s| s.to_string()).collect(),
    })
    .collect();
    let opts = |mode| phongthu_store::EquipmentImportOptions {
        unit_id: a,
        mode,
        source_name: "ptkt.csv".into(),
    };
    let before = audit().await;
    let r = s
        .import_equipment(&headers, file.clone(), &opts(ImportMode::AllOrNothing))
        .await
        .unwrap();
    assert!(!r.committed);
    assert_eq!((r.rows_read, r.rejected_rows), (4, 3), "{r:?}");
    let text: Vec<String> = r.rejected.iter().map(|e| e.to_string()).collect();
    assert!(
        text.iter()
            .any(|t| t.starts_with("Dòng 3, cột \"Loại\": Loại phương tiện \"Xe máy\"")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|t| t.starts_with("Dòng 4, cột \"Biển kiểm soát\"") && t.contains("trùng với dòng 2")),
        "{text:?}"
    );
    assert!(
        text.iter().any(|t| t.starts_with("Dòng 5, cột \"Chủ phương tiện\"")),
        "{text:?}"
    );
    assert!(
        text.iter().any(|t| t.starts_with("Dòng 5, cột \"Tình trạng\"")),
        "{text:?}"
    );
    assert_eq!(audit().await, before);
    let r = s
        .import_equipment(&headers, file.clone(), &opts(ImportMode::ValidOnly))
        .await
        .unwrap();
    assert_eq!((r.accepted, r.rejected_rows), (1, 3));
    assert_eq!(audit().await, before + 2);
    let list = s.equipment_list(date!(2026 - 06 - 30)).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].plate, "89C-111.22");
    // The plate is now registered in the province.
    let r = s
        .import_equipment(&headers, file[..1].to_vec(), &opts(ImportMode::ValidOnly))
        .await
        .unwrap();
    assert!(r.rejected[0].reason_vi.contains("đã được đăng ký trong tỉnh"), "{r:?}");
    // Only into a commune command in scope.
    let e = s
        .import_equipment(
            &headers,
            file[..1].to_vec(),
            &phongthu_store::EquipmentImportOptions {
                unit_id: demo.province_command_id,
                mode: ImportMode::ValidOnly,
                source_name: "x".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Invalid(_)), "{e}");
    let commander = actor(&db.store, "chihuy").await;
    let e = db
        .store
        .scoped(&commander)
        .import_equipment(
            &headers,
            file[..1].to_vec(),
            &phongthu_store::EquipmentImportOptions {
                unit_id: demo.commune_command_ids[1],
                mode: ImportMode::ValidOnly,
                source_name: "x".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Forbidden(_) | StoreError::NotFound(_)), "{e}");
}

/// An import through the writer connection (reserve equipment, a few thousand rows) on SQLite
/// ends with the write-ahead log copied into the database file and truncated before it answers.
#[tokio::test]
async fn an_equipment_import_leaves_the_write_ahead_log_truncated() {
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await.unwrap();
    let admin = actor(&db.store, "quantri").await;
    let s = db.store.scoped(&admin);
    let headers: Vec<String> = ["Loại", "Chủ phương tiện", "Biển kiểm soát", "Trọng tải", "Tình trạng"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let rows: Vec<SourceRow> = (0..3000u32)
        .map(|i| SourceRow {
            line: u64::from(i) + 2,
            cells: vec![
                "Xe tải từ 2,5 tấn trở lên".into(),
                format!("Hợp tác xã vận tải số {i}"),
                format!("89C-{:03}.{:02}", i / 100, i % 100),
                "5 tấn".into(),
                "Tốt".into(),
            ],
        })
        .collect();
    let r = s
        .import_equipment(
            &headers,
            rows,
            &phongthu_store::EquipmentImportOptions {
                unit_id: demo.commune_command_ids[0],
                mode: ImportMode::AllOrNothing,
                source_name: "ptkt.csv".into(),
            },
        )
        .await
        .unwrap();
    assert!(r.committed && r.accepted == 3000, "{r:?}");
    match db.url.strip_prefix("sqlite://") {
        Some(path) => {
            let path = path.split('?').next().unwrap_or(path);
            let len = std::fs::metadata(format!("{path}-wal")).map(|m| m.len()).unwrap_or(0);
            assert!(len < 64 * 1024, "the -wal file is still {len} bytes after the import");
        }
        None => assert!(!db.store.settle_wal().await, "PostgreSQL: no log to checkpoint"),
    }
}
