//! Who reaches what: coverage and units stay inside their province, an ID number held outside
//! the scope is refused without revealing anything, only the lead (or the assigning unit) closes
//! a task, and the audit log notices rows changed behind its back and a rewritten tail. Both
//! backends (SQLite by default; PostgreSQL when `PHONGTHU_TEST_DATABASE_URL` is set).

use phongthu_domain::nvqs::Sex;
use phongthu_domain::org::OrgKind;
use phongthu_domain::territory::{Level, Territory, REFORM_DATE};
use phongthu_store::testing::TestDb;
use phongthu_store::{
    AuditHead, Backend, CitizenEdit, ImportMode, ImportOptions, NewCitizen, NewDocument, NewOrgUnit, NewReport,
    ReviewedTask, SourceRow, StoreError, TaskStatus, CITIZEN_COLUMNS, NATIONAL_ID_UNUSABLE,
};
use time::macros::date;

use phongthu_store::testing::DemoFixture as Fixture;

async fn fixture() -> Fixture {
    Fixture::new().await
}

/// A commune of today's territory outside the province `province_code`, and one inside it
/// that the demo has no command for.
fn communes_around(province_code: &str, taken: &[String]) -> (String, String) {
    let t = Territory::bundled();
    let on = time::OffsetDateTime::now_utc().date().max(REFORM_DATE);
    let communes = t.list(Level::Commune, on);
    let province_of = |c: &phongthu_domain::territory::AdminUnit| t.province_code_of(c);
    let outside = communes
        .iter()
        .find(|c| province_of(c).as_deref() != Some(province_code))
        .unwrap()
        .code
        .clone();
    let inside = communes
        .iter()
        .find(|c| province_of(c).as_deref() == Some(province_code) && !taken.contains(&c.code))
        .unwrap()
        .code
        .clone();
    (outside, inside)
}

async fn raw(db: &TestDb, sql: &str) {
    sqlx::any::install_default_drivers();
    let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(&db.url)
        .await
        .unwrap();
    sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
}

#[tokio::test]
async fn coverage_and_units_stay_inside_their_province() {
    let f = fixture().await;
    let s = f.db.store.scoped(&f.province);
    let ptkv = f.demo.regional_command_id;
    let province_cmd = s.org_unit(f.demo.province_command_id).await.unwrap();
    let province = province_cmd.admin_code.clone().unwrap();
    let mut taken = vec![];
    for id in &f.demo.commune_command_ids {
        taken.push(s.org_unit(*id).await.unwrap().admin_code.unwrap());
    }
    let (outside, inside) = communes_around(&province, &taken);
    let before = s.coverage(ptkv).await.unwrap();
    let audit_before = f.db.store.verify_audit().await.unwrap().entries;

    // A commune of another province: refused, naming it; nothing written.
    let mut asked = before.clone();
    asked.push(outside.clone());
    let e = s.set_coverage(ptkv, &asked).await.unwrap_err();
    assert!(matches!(e, StoreError::Invalid(_)), "{e}");
    assert!(e.to_string().contains(&outside), "{e}");
    assert!(e.to_string().contains("ngoài tỉnh"), "{e}");
    assert_eq!(s.coverage(ptkv).await.unwrap(), before);
    assert_eq!(f.db.store.verify_audit().await.unwrap().entries, audit_before);
    // A commune of its own province: accepted.
    let mut asked = before.clone();
    asked.push(inside.clone());
    s.set_coverage(ptkv, &asked).await.unwrap();
    assert!(s.coverage(ptkv).await.unwrap().contains(&inside));

    // A commune command for a commune of another province: refused, naming it.
    let e = s
        .create_org_unit(NewOrgUnit {
            parent_id: Some(f.demo.province_command_id),
            kind: OrgKind::CommuneCommand,
            name: "Ban Chỉ huy Quân sự xã ngoài tỉnh".into(),
            code: None,
            admin_code: Some(outside.clone()),
            province_code: Some(province.clone()),
            note: None,
        })
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Invalid(_)), "{e}");
    assert!(e.to_string().contains(&outside), "{e}");
    // The province of a new unit is its parent's, whatever the form sent.
    let agency = s
        .create_org_unit(NewOrgUnit {
            parent_id: Some(f.demo.province_command_id),
            kind: OrgKind::AgencyCommand,
            name: "Ban Chỉ huy Quân sự Công ty Điện lực".into(),
            code: None,
            admin_code: None,
            province_code: Some("01".into()),
            note: None,
        })
        .await
        .unwrap();
    assert_eq!(agency.province_code.as_deref(), Some(province.as_str()));
    let commune = s
        .create_org_unit(NewOrgUnit {
            parent_id: Some(f.demo.province_command_id),
            kind: OrgKind::CommuneCommand,
            name: "Ban Chỉ huy Quân sự xã mới".into(),
            code: None,
            admin_code: Some(inside.clone()),
            province_code: None,
            note: None,
        })
        .await
        .unwrap();
    assert_eq!(commune.province_code.as_deref(), Some(province.as_str()));

    // Moving a commune command under another province's command: refused.
    let system = f.db.store.system_actor().await.unwrap();
    let sys = f.db.store.scoped(&system);
    let other_province = sys
        .org_units()
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.kind == OrgKind::ProvincialCommand && u.admin_code.as_deref() != Some(province.as_str()))
        .unwrap();
    let e = sys
        .move_org_unit(f.demo.commune_command_ids[2], other_province.id)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Invalid(_)), "{e}");
    assert_eq!(
        sys.org_unit(f.demo.commune_command_ids[2]).await.unwrap().parent_id,
        Some(f.demo.province_command_id)
    );
}

/// A well-formed national ID (Hưng Yên birth registration).
fn nid(sex: Sex, year: i32, serial: u32) -> String {
    let g = (year - 1900) / 100 * 2 + if sex == Sex::Female { 1 } else { 0 };
    format!("033{g}{:02}{serial:06}", year % 100)
}

fn person(unit: i64, name: &str) -> NewCitizen {
    NewCitizen::new(unit, name, date!(2007 - 05 - 06), Sex::Male)
}

/// Says only that the number cannot be used: nothing of the other record, its unit or that it
/// is on the register.
fn reveals_nothing(message: &str, other_name: &str) {
    assert_eq!(message, NATIONAL_ID_UNUSABLE);
    for word in ["đơn vị khác", "sổ đăng ký", other_name, "công dân số"] {
        assert!(!message.contains(word), "{message}");
    }
}

#[tokio::test]
async fn an_id_number_held_outside_the_scope_is_refused_without_revealing_anything() {
    let f = fixture().await;
    let (a, b) = (f.demo.commune_command_ids[0], f.demo.commune_command_ids[1]);
    let sa = f.db.store.scoped(&f.commune_a);
    let sb = f.db.store.scoped(&f.commune_b);
    let number = nid(Sex::Male, 2007, 4242);
    let mut held = person(a, "Vũ Văn Giữ");
    held.national_id = Some(number.clone());
    sa.create_citizen(held).await.unwrap();

    // Create.
    let mut again = person(b, "Đinh Văn Mới");
    again.national_id = Some(number.clone());
    let e = sb.create_citizen(again).await.unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e}");
    reveals_nothing(&e.to_string(), "Vũ Văn Giữ");
    // Edit.
    let own = sb.create_citizen(person(b, "Đinh Văn Mới")).await.unwrap();
    let mut record = person(b, "Đinh Văn Mới");
    record.national_id = Some(number.clone());
    let e = sb
        .edit_citizen(
            own.id,
            CitizenEdit {
                record,
                studying_full_time: None,
                studying_first_course: None,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e}");
    reveals_nothing(&e.to_string(), "Vũ Văn Giữ");
    // Import.
    let headers: Vec<String> = CITIZEN_COLUMNS.iter().map(|c| c.header.to_string()).collect();
    let mut cells = vec![String::new(); headers.len()];
    for (k, v) in [
        ("Họ và tên", "Đinh Văn Nhập"),
        ("Ngày sinh", "06/05/2007"),
        ("Giới tính", "Nam"),
        ("Số định danh cá nhân", number.as_str()),
    ] {
        cells[headers.iter().position(|h| h == k).unwrap()] = v.to_string();
    }
    let opts = ImportOptions {
        unit_id: b,
        mode: ImportMode::ValidOnly,
        source_name: "ds.csv".into(),
    };
    let r = sb
        .import_citizens(&headers, vec![Ok(SourceRow { line: 2, cells })], &opts, &mut ())
        .await
        .unwrap();
    assert_eq!(r.accepted, 0);
    assert_eq!(r.rejected.len(), 1);
    reveals_nothing(&r.rejected[0].reason_vi, "Vũ Văn Giữ");
    // The province, which sees both, is told where the number is.
    let sp = f.db.store.scoped(&f.province);
    let mut again = person(b, "Đinh Văn Mới");
    again.national_id = Some(number.clone());
    let e = sp.create_citizen(again).await.unwrap_err();
    assert!(e.to_string().contains("Vũ Văn Giữ"), "{e}");
}

#[tokio::test]
async fn only_the_lead_or_the_assigning_unit_closes_a_task() {
    let f = fixture().await;
    let pc = f.demo.province_command_id;
    let (a, b) = (f.demo.commune_command_ids[0], f.demo.commune_command_ids[1]);
    let s = f.db.store.scoped(&f.province);
    let doc = s
        .register_incoming(
            NewDocument {
                unit_id: pc,
                number_symbol: Some("07-CT/TU".into()),
                issued_on: Some(date!(2025 - 01 - 10)),
                title: "Chỉ thị về công tác tuyển quân năm 2025".into(),
                ..Default::default()
            },
            date!(2025 - 01 - 12),
        )
        .await
        .unwrap();
    let task = |ordinal: &str| ReviewedTask {
        ordinal: ordinal.into(),
        summary: format!("Nhiệm vụ {ordinal}"),
        lead_unit_id: a,
        coordinating_unit_ids: vec![b],
        deadline: Some("2025".into()),
        due_date: None,
        targets: vec![],
        recurring: false,
        indicator: None,
    };
    let tasks = s
        .create_tasks_from_review(doc.id, vec![task("1"), task("2")])
        .await
        .unwrap();
    let report = |percent: i64| NewReport {
        reported_on: date!(2025 - 03 - 01),
        percent,
        body: "Đã xong phần việc của đơn vị.".into(),
        figures: String::new(),
        attachments: vec![],
    };
    // The coordinating unit reports 100%: recorded as its contribution, the task stays open
    // and its progress is the lead's.
    let sb = f.db.store.scoped(&f.commune_b);
    let r = sb.add_report(tasks[0].id, report(100)).await.unwrap();
    assert_eq!(r.unit_id, b);
    let t = s.task(tasks[0].id).await.unwrap();
    assert_eq!(t.status, TaskStatus::Open);
    assert_eq!(t.latest_percent, None);
    assert_eq!(s.reports(tasks[0].id).await.unwrap().len(), 1);
    // The lead closes it.
    let sa = f.db.store.scoped(&f.commune_a);
    sa.add_report(tasks[0].id, report(100)).await.unwrap();
    assert_eq!(s.task(tasks[0].id).await.unwrap().status, TaskStatus::Done);
    // The assigning unit closes the other.
    sb.add_report(tasks[1].id, report(100)).await.unwrap();
    assert_eq!(s.task(tasks[1].id).await.unwrap().status, TaskStatus::Open);
    s.add_report(tasks[1].id, report(100)).await.unwrap();
    assert_eq!(s.task(tasks[1].id).await.unwrap().status, TaskStatus::Done);
}

#[tokio::test]
async fn audit_verify_names_a_row_edited_behind_its_back() {
    let f = fixture().await;
    let a = f.demo.commune_command_ids[0];
    let sa = f.db.store.scoped(&f.commune_a);
    let c = sa.create_citizen(person(a, "Phan Văn Thật")).await.unwrap();
    // Edited through the application: still matches (the edit entry carries the change).
    let mut record = person(a, "Phan Văn Thật");
    record.occupation = Some("Thợ mộc".into());
    sa.edit_citizen(
        c.id,
        CitizenEdit {
            record,
            studying_full_time: None,
            studying_first_course: None,
        },
    )
    .await
    .unwrap();
    let r = f.db.store.verify_audit().await.unwrap();
    assert!(r.is_intact(), "{r:?}");
    // Edited behind its back: named, with the field.
    raw(
        &f.db,
        &format!("UPDATE citizen SET full_name = 'Phan Văn Giả' WHERE id = {}", c.id),
    )
    .await;
    let r = f.db.store.verify_audit().await.unwrap();
    assert!(r.broken.is_none(), "{r:?}");
    assert!(!r.is_intact());
    assert_eq!(r.altered.len(), 1, "{r:?}");
    assert_eq!(r.altered[0].id, c.id);
    assert!(r.altered[0].table.contains("citizen"), "{r:?}");
    assert!(r.altered[0].reason.contains("full_name"), "{r:?}");
    // A row inserted behind its back, and one deleted, are named too.
    raw(
        &f.db,
        &format!(
            "UPDATE citizen SET full_name = 'Phan Văn Thật' WHERE id = {id}; \
             INSERT INTO citizen (unit_id, province_code, full_name, name_folded, sort_key, birth_date, birth_year, sex, \
             party_member, union_member, created_at, updated_at) \
             SELECT unit_id, province_code, 'Người Lạ', 'nguoi la', 'nguoi la', birth_date, birth_year, sex, 0, 0, \
             created_at, updated_at FROM citizen WHERE id = {id}",
            id = c.id
        ),
    )
    .await;
    let r = f.db.store.verify_audit().await.unwrap();
    assert_eq!(r.altered.len(), 1, "{r:?}");
    assert!(r.altered[0].id > c.id, "{r:?}");
    assert!(r.altered[0].reason.contains("không có dòng nhật ký"), "{r:?}");
}

#[tokio::test]
async fn a_rewritten_tail_fails_against_the_head_kept_outside() {
    let f = fixture().await;
    let a = f.demo.commune_command_ids[0];
    let sa = f.db.store.scoped(&f.commune_a);
    sa.create_citizen(person(a, "Cao Văn Một")).await.unwrap();
    let kept = f.db.store.verify_audit().await.unwrap();
    assert!(kept.is_intact(), "{kept:?}");
    let head: AuditHead = kept.head().parse().unwrap();
    let ok = f.db.store.verify_audit_against(Some(&head)).await.unwrap();
    assert!(ok.broken.is_none(), "{ok:?}");
    // More writes: the kept head is still in the chain.
    sa.create_citizen(person(a, "Cao Văn Hai")).await.unwrap();
    let ok = f.db.store.verify_audit_against(Some(&head)).await.unwrap();
    assert!(ok.broken.is_none(), "{ok:?}");

    // Someone with the database drops the triggers, deletes the last two entries (and the
    // records they created), resets the head and writes something else: a chain consistent in
    // itself, which the verification alone accepts.
    let (prev_seq, prev_hash): (i64, String) = {
        sqlx::any::install_default_drivers();
        let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(&f.db.url)
            .await
            .unwrap();
        let row: (i64, String) = sqlx::query_as("SELECT seq, hash FROM audit_log WHERE seq = $1")
            .bind(head.seq - 1)
            .fetch_one(&mut c)
            .await
            .unwrap();
        row
    };
    let (disable, enable) = match f.db.store.backend() {
        Backend::Sqlite => (
            "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;",
            "",
        ),
        Backend::Postgres => (
            "ALTER TABLE audit_log DISABLE TRIGGER USER;",
            "ALTER TABLE audit_log ENABLE TRIGGER USER;",
        ),
    };
    raw(
        &f.db,
        &format!(
            "{disable} DELETE FROM audit_log WHERE seq >= {seq}; \
             DELETE FROM citizen_word WHERE citizen_id IN (SELECT id FROM citizen WHERE full_name LIKE 'Cao Văn%'); \
             DELETE FROM citizen WHERE full_name LIKE 'Cao Văn%'; \
             UPDATE audit_head SET last_seq = {prev_seq}, last_hash = '{prev_hash}' WHERE id = 1; {enable}",
            seq = head.seq
        ),
    )
    .await;
    sa.create_citizen(person(a, "Cao Văn Khác")).await.unwrap();
    let alone = f.db.store.verify_audit().await.unwrap();
    assert!(alone.is_intact(), "the rewrite is consistent in itself: {alone:?}");
    assert_eq!(alone.head_seq, head.seq);
    // Against the head written down before: refused.
    let r = f.db.store.verify_audit_against(Some(&head)).await.unwrap();
    let broken = r.broken.expect("the rewritten tail is detected");
    assert!(broken.contains(&head.seq.to_string()), "{broken}");
    // A head past the end of the chain: refused too.
    let beyond = AuditHead {
        seq: head.seq + 100,
        hash: head.hash.clone(),
    };
    assert!(f
        .db
        .store
        .verify_audit_against(Some(&beyond))
        .await
        .unwrap()
        .broken
        .is_some());
    assert!("12:xyz".parse::<AuditHead>().is_err());
}
