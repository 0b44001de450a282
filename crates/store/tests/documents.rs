//! The document register, tasks and follow-up on both backends (SQLite by default; PostgreSQL
//! when `PHONGTHU_TEST_DATABASE_URL=postgres://...` is set).

use phongthu_domain::directive::indicator::{Attainment, IndicatorKind, Measurement};
use phongthu_domain::directive::{DocumentKind, NumberFamily, Topic};
use phongthu_store::testing::TestDb;
use phongthu_store::{
    AuditFilter, Authority, DocumentSearch, DocumentStatus, MatchRank, NewAttachment, NewDocument, NewReport,
    OutgoingNumbering, ReviewedTask, Secrecy, StoreError, TaskEdit, TaskIndicator, TaskStatus, Urgency,
};
use time::macros::date;
use time::Date;

use phongthu_store::testing::demo_actor as actor;

use phongthu_store::testing::DemoFixture as Fixture;

async fn fixture() -> Fixture {
    Fixture::new().await
}

fn incoming(unit: i64, number: &str, title: &str, issued: Date) -> NewDocument {
    NewDocument {
        unit_id: unit,
        number_symbol: Some(number.into()),
        issuer: Some("Ban Thường vụ Huyện ủy Kim Động".into()),
        place: Some("Kim Động".into()),
        issued_on: Some(issued),
        title: title.into(),
        signer_name: Some("Bùi Văn Phúc".into()),
        signer_title: Some("Bí thư".into()),
        authority: Authority::OnBehalf,
        recipients: vec!["Đảng ủy Quân sự tỉnh (để p/h)".into(), "Lưu VPHU".into()],
        topics: vec![Topic::TuyenQuan],
        ..Default::default()
    }
}

fn state(type_code: Option<&str>) -> OutgoingNumbering {
    OutgoingNumbering {
        family: NumberFamily::State,
        type_code: type_code.map(str::to_string),
        issuer_code: "BCH".into(),
        term: None,
    }
}

#[tokio::test]
async fn incoming_documents_are_numbered_per_unit_and_year_and_audited() {
    let f = fixture().await;
    let pc = f.demo.province_command_id;
    let s = f.db.store.scoped(&f.province);
    let mut n = incoming(
        pc,
        "Số: 05 - CT/HU",
        "Chỉ thị về nhiệm vụ quân sự, quốc phòng địa phương năm 2025",
        date!(2024 - 12 - 20),
    );
    n.secrecy = Secrecy::Mat;
    n.urgency = Urgency::Khan;
    n.body_text = Some("1. Ban Chỉ huy Quân sự huyện chủ trì ...".into());
    n.attachments = vec![
        NewAttachment {
            file_name: "chi-thi.txt".into(),
            content: b"noi dung".to_vec(),
        },
        NewAttachment {
            file_name: "ban-sao.txt".into(),
            content: b"noi dung".to_vec(),
        },
        NewAttachment {
            file_name: "phu-luc.txt".into(),
            content: vec![0, 1, 2, 255],
        },
    ];
    let d1 = s.register_incoming(n, date!(2024 - 12 - 23)).await.unwrap();
    assert_eq!(d1.incoming_number, Some(1));
    assert_eq!(d1.number_symbol.as_deref(), Some("05-CT/HU"));
    assert_eq!(d1.family, Some(NumberFamily::Party));
    assert_eq!(d1.number, Some(5));
    assert_eq!(d1.kind, DocumentKind::ChiThi, "kind from the symbol");
    assert_eq!(d1.year, Some(2024));
    assert_eq!(d1.authority, Authority::OnBehalf);
    assert_eq!(d1.status, DocumentStatus::Registered);
    assert!(!d1.province_code.is_empty());
    let d2 = s
        .register_incoming(
            incoming(pc, "677/TB-VP", "Thông báo kết luận", date!(2024 - 12 - 01)),
            date!(2024 - 12 - 30),
        )
        .await
        .unwrap();
    assert_eq!(d2.incoming_number, Some(2));
    // A new calendar year starts again at 1.
    let d3 = s
        .register_incoming(
            incoming(pc, "12/KH-UBND", "Kế hoạch tuyển quân", date!(2024 - 12 - 28)),
            date!(2025 - 01 - 02),
        )
        .await
        .unwrap();
    assert_eq!((d3.incoming_number, d3.period.as_str()), (Some(1), "2025"));
    // Another unit has its own series.
    let sa = f.db.store.scoped(&f.commune_a);
    let a = f.demo.commune_command_ids[0];
    let d4 = sa
        .register_incoming(
            incoming(a, "677/TB-VP", "Thông báo kết luận", date!(2024 - 12 - 01)),
            date!(2024 - 12 - 30),
        )
        .await
        .unwrap();
    assert_eq!(d4.incoming_number, Some(1));
    // Attachments: the same content once per document; content comes back byte for byte.
    let atts = s.attachments(d1.id).await.unwrap();
    assert_eq!(atts.len(), 2, "{atts:?}");
    let (meta, bytes) = s.attachment_content(d1.id, atts[1].id).await.unwrap();
    assert_eq!(bytes, vec![0, 1, 2, 255]);
    assert_eq!(meta.size, 4);
    assert_eq!(meta.sha256.len(), 64);
    // Full record, with its text.
    let back = s.document(d1.id).await.unwrap();
    assert_eq!(back.secrecy, Secrecy::Mat);
    assert_eq!(back.urgency, Urgency::Khan);
    assert_eq!(back.recipients.len(), 2);
    assert_eq!(back.topics, vec![Topic::TuyenQuan]);
    assert!(back.body_text.as_deref().unwrap().contains("chủ trì"));
    // Scope: the communes do not see the province's register, nor each other's.
    let sb = f.db.store.scoped(&f.commune_b);
    assert!(matches!(sb.document(d1.id).await, Err(StoreError::NotFound(_))));
    assert!(matches!(sb.document(d4.id).await, Err(StoreError::NotFound(_))));
    assert!(matches!(
        sb.attachment_content(d1.id, atts[0].id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(sb
        .search_documents(&DocumentSearch::default())
        .await
        .unwrap()
        .hits
        .is_empty());
    assert!(matches!(
        sb.register_incoming(
            incoming(a, "1/TB-VP", "x", date!(2024 - 12 - 01)),
            date!(2024 - 12 - 02)
        )
        .await,
        Err(StoreError::Forbidden(_))
    ));
    // Audited, and the chain holds.
    let inspector = actor(&f.db.store, "thanhtra").await;
    let entries =
        f.db.store
            .scoped(&inspector)
            .audit_entries(&AuditFilter {
                entity: Some("document".into()),
                ..Default::default()
            })
            .await
            .unwrap();
    assert!(entries
        .iter()
        .any(|e| e.entity_id == d1.id.to_string() && e.action == "register"));
    assert!(f.db.store.verify_audit().await.unwrap().broken.is_none());
}

#[tokio::test]
async fn bad_input_is_refused_in_vietnamese_and_nothing_is_written() {
    let f = fixture().await;
    let pc = f.demo.province_command_id;
    let s = f.db.store.scoped(&f.province);
    let leader = actor(&f.db.store, "lanhdao").await;
    let before = f.db.store.verify_audit().await.unwrap().entries;
    let cases: Vec<(NewDocument, Date, &str)> = vec![
        (
            incoming(pc, "05-CT/HU", "  ", date!(2024 - 12 - 20)),
            date!(2024 - 12 - 21),
            "Trích yếu",
        ),
        (
            incoming(pc, "không có số", "Chỉ thị", date!(2024 - 12 - 20)),
            date!(2024 - 12 - 21),
            "không phải số",
        ),
        (
            incoming(pc, "05-CT/HU", "Chỉ thị", date!(2024 - 12 - 20)),
            date!(2024 - 12 - 19),
            "sau ngày đến",
        ),
        (
            incoming(pc, "05-CT/HU", "Chỉ thị", date!(2024 - 12 - 20)),
            date!(2099 - 01 - 01),
            "tương lai",
        ),
    ];
    for (n, received, needle) in cases {
        let e = s.register_incoming(n, received).await.unwrap_err();
        assert!(matches!(e, StoreError::Invalid(_)), "{e}");
        assert!(e.to_string().contains(needle), "{e} / {needle}");
    }
    let mut party = state(Some("NQ"));
    party.family = NumberFamily::Party;
    let e = s
        .register_outgoing(incoming(pc, "", "Nghị quyết", date!(2025 - 01 - 02)), party)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("nhiệm kỳ"), "{e}");
    // Leaders and inspectors read only.
    let e =
        f.db.store
            .scoped(&leader)
            .register_incoming(
                incoming(pc, "05-CT/HU", "Chỉ thị", date!(2024 - 12 - 20)),
                date!(2024 - 12 - 21),
            )
            .await
            .unwrap_err();
    assert!(matches!(e, StoreError::Forbidden(_)), "{e}");
    assert_eq!(
        f.db.store.verify_audit().await.unwrap().entries,
        before,
        "nothing written"
    );
    assert!(s
        .search_documents(&DocumentSearch::default())
        .await
        .unwrap()
        .hits
        .is_empty());
}

#[tokio::test]
async fn outgoing_numbers_follow_state_and_party_rules() {
    let f = fixture().await;
    let pc = f.demo.province_command_id;
    let s = f.db.store.scoped(&f.province);
    let out = |title: &str, on: Date| NewDocument {
        unit_id: pc,
        issued_on: Some(on),
        title: title.into(),
        ..Default::default()
    };
    let a = s
        .register_outgoing(
            out("Kế hoạch tuyển quân 2026", date!(2025 - 10 - 01)),
            state(Some("KH")),
        )
        .await
        .unwrap();
    assert_eq!(a.number_symbol.as_deref(), Some("01/KH-BCH"));
    assert_eq!(a.kind, DocumentKind::KeHoach);
    let b = s
        .register_outgoing(out("Thông báo", date!(2025 - 10 - 02)), state(Some("TB")))
        .await
        .unwrap();
    assert_eq!(
        b.number_symbol.as_deref(),
        Some("02/TB-BCH"),
        "one series for administrative types"
    );
    let e = s
        .register_outgoing(out("Về việc rà soát", date!(2025 - 10 - 03)), state(None))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("BCH-TM"), "{e}");
    let mut cong_van = state(None);
    cong_van.issuer_code = "BCH-TM".into();
    let c = s
        .register_outgoing(out("Về việc rà soát", date!(2025 - 10 - 03)), cong_van)
        .await
        .unwrap();
    assert_eq!(
        c.number_symbol.as_deref(),
        Some("03/BCH-TM"),
        "no gap after the refused one"
    );
    assert_eq!(c.kind, DocumentKind::CongVan);
    // Secret documents: their own series.
    let mut secret = out("Kế hoạch mật", date!(2025 - 10 - 04));
    secret.secrecy = Secrecy::Mat;
    let d = s.register_outgoing(secret, state(Some("KH"))).await.unwrap();
    assert_eq!(d.number_symbol.as_deref(), Some("01/KH-BCH"));
    assert_eq!(d.series, "state_secret");
    // A new year restarts at 01.
    let e = s
        .register_outgoing(out("Kế hoạch năm mới", date!(2026 - 01 - 02)), state(Some("KH")))
        .await
        .unwrap();
    assert_eq!(e.number_symbol.as_deref(), Some("01/KH-BCH"));
    // Party: per type over the term, across calendar years; secret in the same series.
    let party = |t: &str, term: &str| OutgoingNumbering {
        family: NumberFamily::Party,
        type_code: Some(t.into()),
        issuer_code: "ĐU".into(),
        term: Some(term.into()),
    };
    let p1 = s
        .register_outgoing(
            out("Nghị quyết lãnh đạo", date!(2025 - 11 - 01)),
            party("NQ", "2025-2030"),
        )
        .await
        .unwrap();
    let mut p2doc = out("Nghị quyết năm sau", date!(2026 - 01 - 05));
    p2doc.secrecy = Secrecy::Mat;
    let p2 = s.register_outgoing(p2doc, party("NQ", "2025-2030")).await.unwrap();
    let p3 = s
        .register_outgoing(out("Chỉ thị", date!(2026 - 01 - 06)), party("CT", "2025-2030"))
        .await
        .unwrap();
    let p4 = s
        .register_outgoing(
            out("Nghị quyết nhiệm kỳ mới", date!(2026 - 01 - 07)),
            party("NQ", "2030-2035"),
        )
        .await
        .unwrap();
    assert_eq!(p1.number_symbol.as_deref(), Some("01-NQ/ĐU"));
    assert_eq!(p2.number_symbol.as_deref(), Some("02-NQ/ĐU"));
    assert_eq!(p3.number_symbol.as_deref(), Some("01-CT/ĐU"));
    assert_eq!(p4.number_symbol.as_deref(), Some("01-NQ/ĐU"));
    assert_eq!(p1.family, Some(NumberFamily::Party));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn numbers_have_no_gaps_or_duplicates_under_concurrent_requests() {
    let f = fixture().await;
    let pc = f.demo.province_command_id;
    const N: i64 = 24;
    let mut handles = Vec::new();
    for i in 0..N {
        let store = f.db.store.clone();
        let actor = f.province.clone();
        handles.push(tokio::spawn(async move {
            let s = store.scoped(&actor);
            let doc = NewDocument {
                unit_id: pc,
                issued_on: Some(date!(2025 - 05 - 01)),
                title: format!("Văn bản đi số {i}"),
                ..Default::default()
            };
            let out = s.register_outgoing(doc, state(Some("KH"))).await.unwrap();
            let inc = s
                .register_incoming(
                    incoming(pc, &format!("{}/TB-VP", i + 1), "Thông báo", date!(2025 - 05 - 01)),
                    date!(2025 - 05 - 02),
                )
                .await
                .unwrap();
            (
                out.number.unwrap(),
                inc.incoming_number.unwrap(),
                out.number_symbol.unwrap(),
            )
        }));
    }
    let mut outs = Vec::new();
    let mut ins = Vec::new();
    for h in handles {
        let (o, i, sym) = h.await.unwrap();
        assert_eq!(sym, format!("{o:02}/KH-BCH"));
        outs.push(o);
        ins.push(i);
    }
    outs.sort();
    ins.sort();
    assert_eq!(outs, (1..=N).collect::<Vec<_>>());
    assert_eq!(ins, (1..=N).collect::<Vec<_>>());
    assert!(f.db.store.verify_audit().await.unwrap().broken.is_none());
}

#[tokio::test]
async fn search_is_diacritic_insensitive_ranked_and_filtered() {
    let f = fixture().await;
    let pc = f.demo.province_command_id;
    let s = f.db.store.scoped(&f.province);
    let reg = |n: NewDocument, on: Date| s.register_incoming(n, on);
    let mut body = incoming(pc, "100/CV-BCH", "Về việc rà soát lực lượng", date!(2025 - 02 - 01));
    body.body_text = Some("Đề nghị các đơn vị báo cáo công tác tuyển quân trước ngày 30/6.".into());
    body.kind = Some(DocumentKind::CongVan);
    let d_body = reg(body, date!(2025 - 02 - 02)).await.unwrap();
    let mut contains = incoming(
        pc,
        "15/KH-UBND",
        "Kế hoạch tổ chức công tác tuyển quân năm 2025",
        date!(2025 - 01 - 10),
    );
    contains.topics = vec![Topic::TuyenQuan];
    let d_contains = reg(contains, date!(2025 - 01 - 11)).await.unwrap();
    let mut prefix = incoming(pc, "20/TB-VP", "Tuyển quân năm 2025: kết quả", date!(2024 - 03 - 01));
    prefix.topics = vec![Topic::TuyenQuan, Topic::DanQuanTuVe];
    let d_prefix = reg(prefix, date!(2024 - 03 - 02)).await.unwrap();
    let d_num = reg(
        incoming(pc, "677/TB-VP", "Thông báo kết luận hội nghị", date!(2022 - 03 - 07)),
        date!(2022 - 03 - 09),
    )
    .await
    .unwrap();

    let q = |query: &str| DocumentSearch {
        query: Some(query.into()),
        ..Default::default()
    };
    let r = s.search_documents(&q("tuyen quan")).await.unwrap();
    let ids: Vec<i64> = r.hits.iter().map(|h| h.document.id).collect();
    assert_eq!(
        ids,
        vec![d_prefix.id, d_contains.id, d_body.id],
        "prefix > contains > body"
    );
    assert_eq!(r.hits[0].rank, MatchRank::TitlePrefix);
    assert_eq!(r.hits[2].rank, MatchRank::Body);
    assert_eq!(r.total, 3);
    // Number match first, in any spelling.
    let r = s.search_documents(&q("677/tb-vp")).await.unwrap();
    assert_eq!(r.hits[0].document.id, d_num.id);
    assert_eq!(r.hits[0].rank, MatchRank::Number);
    let r = s.search_documents(&q("677")).await.unwrap();
    assert_eq!(r.hits.len(), 1);
    // Diacritics, case, decomposed Unicode.
    let r = s.search_documents(&q("TUYE\u{0302}\u{0309}N QUÂN")).await.unwrap();
    assert_eq!(r.total, 3);
    // Filters.
    let r = s
        .search_documents(&DocumentSearch {
            query: Some("tuyển quân".into()),
            year: Some(2025),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(r.total, 2);
    let r = s
        .search_documents(&DocumentSearch {
            topic: Some(Topic::DanQuanTuVe),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        r.hits.iter().map(|h| h.document.id).collect::<Vec<_>>(),
        vec![d_prefix.id]
    );
    let r = s
        .search_documents(&DocumentSearch {
            kind: Some(DocumentKind::CongVan),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(r.total, 1);
    let r = s
        .search_documents(&DocumentSearch {
            issuer: Some("huyen uy kim dong".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(r.total, 4);
    let r = s
        .search_documents(&DocumentSearch {
            status: Some(DocumentStatus::Assigned),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(r.total, 0);
    // Wildcards in the query are text, not patterns.
    assert_eq!(s.search_documents(&q("%")).await.unwrap().total, 4);
    assert_eq!(s.search_documents(&q("_x_")).await.unwrap().total, 0);
}

fn reviewed(ordinal: &str, summary: &str, lead: i64, deadline: Option<&str>) -> ReviewedTask {
    ReviewedTask {
        ordinal: ordinal.into(),
        summary: summary.into(),
        lead_unit_id: lead,
        coordinating_unit_ids: vec![],
        deadline: deadline.map(str::to_string),
        due_date: None,
        targets: vec![],
        recurring: false,
        indicator: None,
    }
}

#[tokio::test]
async fn tasks_reports_and_rollup_follow_the_hierarchy() {
    let f = fixture().await;
    let pc = f.demo.province_command_id;
    let (a, b) = (f.demo.commune_command_ids[0], f.demo.commune_command_ids[1]);
    let s = f.db.store.scoped(&f.province);
    let doc = s
        .register_incoming(
            incoming(
                pc,
                "05-CT/HU",
                "Chỉ thị nhiệm vụ quân sự năm 2025",
                date!(2024 - 12 - 20),
            ),
            date!(2024 - 12 - 23),
        )
        .await
        .unwrap();
    let today = date!(2025 - 07 - 01);
    // All or nothing: one bad task refuses the whole review.
    let before = f.db.store.verify_audit().await.unwrap().entries;
    let other_province = {
        let sys = f.db.store.system_actor().await.unwrap();
        f.db.store
            .scoped(&sys)
            .org_units()
            .await
            .unwrap()
            .into_iter()
            .find(|u| u.kind == phongthu_domain::org::OrgKind::ProvincialCommand && u.id != pc)
            .unwrap()
            .id
    };
    for bad in [
        vec![
            reviewed("1", "Tuyển quân", a, Some("2025")),
            reviewed("2", "  ", b, None),
        ],
        vec![
            reviewed("1", "Tuyển quân", a, Some("2025")),
            reviewed("2", "Diễn tập", other_province, None),
        ],
        vec![reviewed("1", "Tuyển quân", a, Some("sớm nhất có thể"))],
        vec![reviewed("1", &"Tuyển quân. ".repeat(2_000), a, None)],
        vec![],
    ] {
        let e = s.create_tasks_from_review(doc.id, bad).await.unwrap_err();
        assert!(matches!(e, StoreError::Invalid(_)), "{e}");
    }
    assert_eq!(f.db.store.verify_audit().await.unwrap().entries, before);

    let mut t1 = reviewed("1", "Hoàn thành 100% chỉ tiêu giao quân", a, Some("2025-03"));
    t1.coordinating_unit_ids = vec![b, a];
    t1.targets = vec!["100% chỉ tiêu".into()];
    let t2 = reviewed(
        "2",
        "Thu hồi 1,5ha đất xây dựng căn cứ hậu phương",
        b,
        Some("quý III/2025"),
    );
    let t3 = reviewed("3", "Huấn luyện dân quân", a, Some("2025"));
    let tasks = s.create_tasks_from_review(doc.id, vec![t1, t2, t3]).await.unwrap();
    assert_eq!(tasks.len(), 3);
    assert_eq!(tasks[0].due_date, Some(date!(2025 - 03 - 31)));
    assert_eq!(
        tasks[0].coordinating.iter().map(|c| c.0).collect::<Vec<_>>(),
        vec![b],
        "lead not repeated"
    );
    assert_eq!(tasks[0].targets, vec!["100% chỉ tiêu".to_string()]);
    assert_eq!(tasks[1].due_date, Some(date!(2025 - 09 - 30)));
    assert_eq!(s.document(doc.id).await.unwrap().status, DocumentStatus::Assigned);
    // Confirmed once only.
    let e = s
        .create_tasks_from_review(doc.id, vec![reviewed("9", "Lại", a, None)])
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e}");
    // Tasks are searchable with their document.
    let r = s
        .search_documents(&DocumentSearch {
            query: Some("can cu hau phuong".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(r.total, 1);

    // Commune A sees the tasks it leads, overdue first; not commune B's.
    let sa = f.db.store.scoped(&f.commune_a);
    let mine = sa.tasks_for_unit(today).await.unwrap();
    assert_eq!(
        mine.iter().map(|t| t.ordinal.as_str()).collect::<Vec<_>>(),
        vec!["1", "3"]
    );
    assert!(mine[0].is_overdue(today));
    assert_eq!(sa.overdue(today).await.unwrap().len(), 1);
    assert!(sa.due_soon(today, 30).await.unwrap().is_empty());
    let sb = f.db.store.scoped(&f.commune_b);
    assert_eq!(sb.tasks_for_unit(today).await.unwrap().len(), 1);
    assert_eq!(sb.due_soon(date!(2025 - 09 - 15), 30).await.unwrap().len(), 1);
    // B coordinates task 1: it may see it and report on it; it may not see task 3.
    assert!(sb.task(tasks[0].id).await.is_ok());
    assert!(matches!(sb.task(tasks[2].id).await, Err(StoreError::NotFound(_))));
    assert!(matches!(sb.rollup(doc.id, today).await, Err(StoreError::NotFound(_))));
    assert!(matches!(
        sb.add_report(
            tasks[2].id,
            NewReport {
                reported_on: today,
                percent: 10,
                body: "x".into(),
                figures: String::new(),
                attachments: vec![],
            }
        )
        .await,
        Err(StoreError::NotFound(_))
    ));

    // Reports.
    let bad = sa
        .add_report(
            tasks[0].id,
            NewReport {
                reported_on: today,
                percent: 120,
                body: "Tiến độ".into(),
                figures: String::new(),
                attachments: vec![],
            },
        )
        .await
        .unwrap_err();
    assert!(bad.to_string().contains("0 đến 100"), "{bad}");
    let bad = sa
        .add_report(
            tasks[0].id,
            NewReport {
                reported_on: today,
                percent: 50,
                body: " ".into(),
                figures: String::new(),
                attachments: vec![],
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(bad, StoreError::Invalid(_)));
    sa.add_report(
        tasks[0].id,
        NewReport {
            reported_on: date!(2025 - 02 - 01),
            percent: 40,
            body: "Đã giao 18/45 công dân.".into(),
            figures: "18/45".into(),
            attachments: vec![],
        },
    )
    .await
    .unwrap();
    sa.add_report(
        tasks[2].id,
        NewReport {
            reported_on: date!(2025 - 06 - 01),
            percent: 60,
            body: "Đã huấn luyện 2 đợt.".into(),
            figures: String::new(),
            attachments: vec![],
        },
    )
    .await
    .unwrap();
    let done = sa
        .add_report(
            tasks[0].id,
            NewReport {
                reported_on: date!(2025 - 02 - 20),
                percent: 100,
                body: "Đã giao đủ 45/45.".into(),
                figures: "45/45".into(),
                attachments: vec![],
            },
        )
        .await
        .unwrap();
    assert_eq!(done.unit_id, a);
    assert_eq!(sa.task(tasks[0].id).await.unwrap().status, TaskStatus::Done);
    let e = sa
        .add_report(
            tasks[0].id,
            NewReport {
                reported_on: today,
                percent: 100,
                body: "Lại".into(),
                figures: String::new(),
                attachments: vec![],
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e}");
    let reports = sa.reports(tasks[0].id).await.unwrap();
    assert_eq!(
        reports.iter().map(|r| r.percent).collect::<Vec<_>>(),
        vec![100, 40],
        "newest first"
    );
    assert_eq!(reports[0].reporter_name, f.commune_a.display_name);
    // Leaders read but do not report.
    let leader = actor(&f.db.store, "lanhdao").await;
    let e =
        f.db.store
            .scoped(&leader)
            .add_report(
                tasks[2].id,
                NewReport {
                    reported_on: today,
                    percent: 70,
                    body: "x".into(),
                    figures: String::new(),
                    attachments: vec![],
                },
            )
            .await
            .unwrap_err();
    assert!(matches!(e, StoreError::Forbidden(_)), "{e}");

    // The issuer's roll-up.
    let r = s.rollup(doc.id, today).await.unwrap();
    assert_eq!((r.total, r.done, r.open, r.overdue), (3, 1, 2, 0));
    assert_eq!(r.rows[0].task.status, TaskStatus::Done);
    assert_eq!(r.rows[0].reports, 2);
    assert_eq!(r.rows[0].last_reported_on, Some(date!(2025 - 02 - 20)));
    assert_eq!(r.rows[1].task.latest_percent, None);
    assert_eq!(r.rows[2].task.latest_percent, Some(60));
    assert_eq!(r.average_percent, (100 + 60) / 3);
    let late = s.rollup(doc.id, date!(2026 - 01 - 01)).await.unwrap();
    assert_eq!(late.overdue, 2);
    // When the last task is done, so is the document.
    let sb_done = NewReport {
        reported_on: today,
        percent: 100,
        body: "Đã thu hồi 1,5ha.".into(),
        figures: "1,5ha".into(),
        attachments: vec![],
    };
    sb.add_report(tasks[1].id, sb_done).await.unwrap();
    assert_eq!(s.document(doc.id).await.unwrap().status, DocumentStatus::Assigned);
    sa.add_report(
        tasks[2].id,
        NewReport {
            reported_on: today,
            percent: 100,
            body: "Xong.".into(),
            figures: String::new(),
            attachments: vec![],
        },
    )
    .await
    .unwrap();
    assert_eq!(s.document(doc.id).await.unwrap().status, DocumentStatus::Done);
    assert!(f.db.store.verify_audit().await.unwrap().broken.is_none());

    // A whole duty of a plan, over 4,000 characters as the reader finds it, is kept whole.
    let long_duty = "Các cơ quan, đơn vị tổ chức quán triệt, triển khai thực hiện nghiêm túc nhiệm vụ quân sự, quốc phòng địa phương; ".repeat(45);
    assert!(long_duty.chars().count() > 4_000 && long_duty.chars().count() < 20_000);
    let long_doc = s
        .register_incoming(
            incoming(pc, "06-KH/HU", "Kế hoạch dài", date!(2024 - 12 - 20)),
            date!(2024 - 12 - 23),
        )
        .await
        .unwrap();
    let kept = s
        .create_tasks_from_review(long_doc.id, vec![reviewed("1", &long_duty, a, None)])
        .await
        .unwrap();
    assert_eq!(kept[0].summary, long_duty.trim());
}

#[tokio::test]
async fn lead_units_are_suggested_within_the_scope() {
    let f = fixture().await;
    let s = f.db.store.scoped(&f.province);
    let units = s.org_units().await.unwrap();
    let a = units.iter().find(|u| u.id == f.demo.commune_command_ids[0]).unwrap();
    // The commune's own name finds it, without diacritics too.
    let name = a.name.replace("Ban Chỉ huy Quân sự ", "Ủy ban nhân dân ");
    let top = s.unit_suggestions(&name).await.unwrap();
    assert_eq!(top[0].0, a.id, "{name}: {top:?}");
    assert_eq!(
        phongthu_store::suggest_unit(&phongthu_domain::text::fold(&name), &units),
        Some(a.id)
    );
    // District-level military names go to the regional defense command (district commands are gone).
    assert_eq!(
        phongthu_store::suggest_unit("Ban Chỉ huy Quân sự huyện", &units),
        Some(f.demo.regional_command_id)
    );
    assert_eq!(
        phongthu_store::suggest_unit("Bộ Chỉ huy Quân sự tỉnh", &units),
        Some(f.demo.province_command_id)
    );
    // A commune command sees only itself: nothing else can be suggested.
    let sa = f.db.store.scoped(&f.commune_a);
    let other = units.iter().find(|u| u.id == f.demo.commune_command_ids[1]).unwrap();
    assert!(sa
        .unit_suggestions(&other.name)
        .await
        .unwrap()
        .iter()
        .all(|(id, _)| *id != other.id));
}

fn edit_of(t: &phongthu_store::Task) -> TaskEdit {
    TaskEdit {
        summary: t.summary.clone(),
        lead_unit_id: t.unit_id,
        coordinating_unit_ids: t.coordinating.iter().map(|c| c.0).collect(),
        deadline: t.deadline.clone(),
        due_date: t.due_date,
        targets: t.targets.clone(),
        recurring: t.recurring,
        indicator: t.indicator,
    }
}

#[tokio::test]
async fn the_issuer_edits_cancels_and_copies_recurring_tasks() {
    let f = fixture().await;
    let pc = f.demo.province_command_id;
    let (a, b) = (f.demo.commune_command_ids[0], f.demo.commune_command_ids[1]);
    let s = f.db.store.scoped(&f.province);
    let doc = s
        .register_incoming(
            incoming(
                pc,
                "07-KH/HU",
                "Kế hoạch công tác quốc phòng năm 2025",
                date!(2025 - 01 - 05),
            ),
            date!(2025 - 01 - 06),
        )
        .await
        .unwrap();
    let mut t1 = reviewed("1", "Tổ chức giao nhận quân", a, Some("2025-03"));
    t1.recurring = true;
    let t2 = reviewed("2", "Sửa chữa nhà kho", b, Some("quý III/2025"));
    let t3 = reviewed("3", "Đăng ký nghĩa vụ quân sự lần đầu", a, Some("30/4/2025"));
    let tasks = s.create_tasks_from_review(doc.id, vec![t1, t2, t3]).await.unwrap();
    assert!(tasks[0].recurring && !tasks[1].recurring);

    // Only the issuing unit changes a task: the lead commune may not.
    let sa = f.db.store.scoped(&f.commune_a);
    let e = sa.update_task(tasks[0].id, edit_of(&tasks[0])).await.unwrap_err();
    assert!(matches!(e, StoreError::Forbidden(_)), "{e}");
    let e = sa.cancel_task(tasks[0].id, "Không cần").await.unwrap_err();
    assert!(matches!(e, StoreError::Forbidden(_)), "{e}");

    // The province edits task 1: text, lead, coordinating, deadline, targets; audited.
    let before = f.db.store.verify_audit().await.unwrap().entries;
    let mut e1 = edit_of(&tasks[0]);
    e1.summary = "Tổ chức  giao nhận quân đợt 1".into();
    e1.lead_unit_id = b;
    e1.coordinating_unit_ids = vec![a, b];
    e1.deadline = Some("2025-06".into());
    e1.due_date = None;
    e1.targets = vec!["100% chỉ tiêu".into(), " ".into()];
    let u1 = s.update_task(tasks[0].id, e1.clone()).await.unwrap();
    assert_eq!(u1.summary, "Tổ chức giao nhận quân đợt 1");
    assert_eq!(u1.unit_id, b);
    assert_eq!(u1.coordinating.iter().map(|c| c.0).collect::<Vec<_>>(), vec![a]);
    assert_eq!(u1.due_date, Some(date!(2025 - 06 - 30)));
    assert_eq!(u1.targets, vec!["100% chỉ tiêu".to_string()]);
    assert_eq!(f.db.store.verify_audit().await.unwrap().entries, before + 1);
    // Bad edits change nothing.
    for bad in [
        TaskEdit {
            summary: " ".into(),
            ..e1.clone()
        },
        TaskEdit {
            deadline: Some("sớm".into()),
            ..e1.clone()
        },
        TaskEdit {
            indicator: Some(TaskIndicator {
                kind: IndicatorKind::QuotaSplit,
                year: 2025,
                target_percent: 140,
            }),
            ..e1.clone()
        },
    ] {
        let e = s.update_task(tasks[0].id, bad).await.unwrap_err();
        assert!(matches!(e, StoreError::Invalid(_)), "{e}");
    }
    assert_eq!(s.task(tasks[0].id).await.unwrap(), u1);
    // The new wording is searchable.
    let r = s
        .search_documents(&DocumentSearch {
            query: Some("dot 1".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(r.total, 1);

    // Cancelling needs a reason; a cancelled task leaves the lists and takes no report.
    let e = s.cancel_task(tasks[1].id, "  ").await.unwrap_err();
    assert!(matches!(e, StoreError::Invalid(_)), "{e}");
    let c2 = s
        .cancel_task(tasks[1].id, "Đã bố trí kinh phí ở kế hoạch khác")
        .await
        .unwrap();
    assert_eq!(c2.status, TaskStatus::Cancelled);
    assert_eq!(c2.cancel_reason.as_deref(), Some("Đã bố trí kinh phí ở kế hoạch khác"));
    let late = date!(2026 - 01 - 15);
    let sb = f.db.store.scoped(&f.commune_b);
    assert_eq!(
        sb.overdue(late).await.unwrap().iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![tasks[0].id],
        "the cancelled task is not overdue"
    );
    assert!(sb.due_soon(date!(2025 - 09 - 15), 30).await.unwrap().is_empty());
    let e = sb
        .add_report(
            tasks[1].id,
            NewReport {
                reported_on: date!(2025 - 09 - 01),
                percent: 10,
                body: "x".into(),
                figures: String::new(),
                attachments: vec![],
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e}");
    let e = s.update_task(tasks[1].id, edit_of(&c2)).await.unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e}");
    let r = s.rollup(doc.id, late).await.unwrap();
    assert_eq!((r.total, r.open, r.cancelled, r.overdue), (3, 2, 1, 2));
    assert_eq!(r.rows[1].task.status, TaskStatus::Cancelled);

    // Copying the recurring tasks of 2025 into 2026: once only, deadlines a year later.
    let e = sa.copy_recurring_tasks(2025).await.unwrap();
    assert!(e.created.is_empty(), "a commune issued none of these tasks");
    let copy = s.copy_recurring_tasks(2025).await.unwrap();
    assert_eq!(copy.created.len(), 1);
    let c = &copy.created[0];
    assert_eq!(c.copied_from, Some(tasks[0].id));
    assert_eq!(c.deadline.as_deref(), Some("2026-06"));
    assert_eq!(c.due_date, Some(date!(2026 - 06 - 30)));
    assert_eq!((c.unit_id, c.status, c.recurring), (b, TaskStatus::Open, true));
    assert_eq!(c.coordinating.iter().map(|x| x.0).collect::<Vec<_>>(), vec![a]);
    let again = s.copy_recurring_tasks(2025).await.unwrap();
    assert!(again.created.is_empty());
    assert_eq!(again.already_copied, 1);
    assert_eq!(s.rollup(doc.id, late).await.unwrap().total, 4);
    assert!(f.db.store.verify_audit().await.unwrap().broken.is_none());
}

#[tokio::test]
async fn indicators_are_measured_over_the_lead_units_subtree() {
    use phongthu_domain::nvqs::Sex;
    use phongthu_store::{NewCitizen, RegistrationKind};
    let f = fixture().await;
    let pc = f.demo.province_command_id;
    let a = f.demo.commune_command_ids[0];
    let s = f.db.store.scoped(&f.province);
    let sa = f.db.store.scoped(&f.commune_a);
    let code_a = s.org_unit(a).await.unwrap().admin_code.unwrap();
    let person = |name: &str, birth: Date, sex: Sex| {
        let mut n = NewCitizen::new(a, name, birth, sex);
        n.permanent_commune_code = Some(code_a.clone());
        n
    };
    let mut ids = vec![];
    for (name, birth, sex) in [
        ("Nguyễn Văn An", date!(2008 - 02 - 01), Sex::Male),
        ("Trần Văn Bình", date!(2008 - 07 - 11), Sex::Male),
        ("Lê Văn Cường", date!(2008 - 12 - 30), Sex::Male),
        ("Phạm Thị Dung", date!(2008 - 05 - 05), Sex::Female),
        ("Hoàng Văn Em", date!(2007 - 05 - 05), Sex::Male),
    ] {
        ids.push(sa.create_citizen(person(name, birth, sex)).await.unwrap().id);
    }
    sa.record_registration(ids[0], RegistrationKind::First, date!(2025 - 04 - 10), None)
        .await
        .unwrap();
    let doc = s
        .register_incoming(
            incoming(
                pc,
                "09-CT/HU",
                "Chỉ thị đăng ký nghĩa vụ quân sự năm 2025",
                date!(2025 - 01 - 05),
            ),
            date!(2025 - 01 - 06),
        )
        .await
        .unwrap();
    let mut t1 = reviewed("1", "Đăng ký NVQS lần đầu cho nam 17 tuổi", a, Some("30/4/2025"));
    t1.indicator = Some(TaskIndicator {
        kind: IndicatorKind::FirstRegistration,
        year: 2025,
        target_percent: 100,
    });
    let mut t2 = reviewed("2", "Giao chỉ tiêu gọi nhập ngũ", pc, Some("2025"));
    t2.indicator = Some(TaskIndicator {
        kind: IndicatorKind::QuotaSplit,
        year: 2025,
        target_percent: 100,
    });
    let mut t3 = reviewed("3", "Huấn luyện dân quân", a, Some("2025"));
    t3.indicator = Some(TaskIndicator {
        kind: IndicatorKind::MilitiaTraining,
        year: 2025,
        target_percent: 90,
    });
    let tasks = s.create_tasks_from_review(doc.id, vec![t1, t2, t3]).await.unwrap();
    let m1 = sa.measured_indicator(tasks[0].id).await.unwrap().unwrap();
    assert_eq!(m1.measurement, Measurement { done: 1, due: 3 });
    assert_eq!(m1.percent, Some(33));
    assert_eq!(m1.attainment, Attainment::Behind { missing: 2 });
    sa.record_registration(ids[1], RegistrationKind::First, date!(2025 - 04 - 12), None)
        .await
        .unwrap();
    assert_eq!(
        sa.measured_indicator(tasks[0].id).await.unwrap().unwrap().measurement,
        Measurement { done: 2, due: 3 }
    );
    let m2 = s.measured_indicator(tasks[1].id).await.unwrap().unwrap();
    assert_eq!(m2.measurement.done, 0, "no quota split saved yet");
    assert!(m2.measurement.due >= f.demo.commune_command_ids.len() as u64);
    let m3 = s.measured_indicator(tasks[2].id).await.unwrap().unwrap();
    assert_eq!(m3.attainment, Attainment::NoBase, "no militia member yet");
    // Two members of a mobile platoon in their second year (12 legal days): one trained them.
    use phongthu_domain::militia::{Echelon, MilitiaKind};
    use phongthu_store::{NewMilitiaMember, NewMilitiaUnit};
    let platoon = sa
        .create_militia_unit(NewMilitiaUnit {
            unit_id: a,
            kind: MilitiaKind::Mobile,
            echelon: Echelon::Platoon,
            name: "Trung đội dân quân cơ động số 1".into(),
        })
        .await
        .unwrap();
    let mut members = vec![];
    for (name, birth) in [
        ("Đỗ Văn Giang", date!(2000 - 03 - 01)),
        ("Vũ Văn Hải", date!(1999 - 08 - 15)),
    ] {
        let c = sa.create_citizen(person(name, birth, Sex::Male)).await.unwrap();
        let m = sa
            .add_member(NewMilitiaMember {
                militia_unit_id: platoon.id,
                citizen_id: c.id,
                post: None,
                volunteer: false,
                joined_on: date!(2024 - 03 - 01),
            })
            .await
            .unwrap();
        members.push(m.id);
    }
    sa.record_training(members[0], 2025, 12).await.unwrap();
    sa.record_training(members[1], 2025, 5).await.unwrap();
    let m3 = s.measured_indicator(tasks[2].id).await.unwrap().unwrap();
    assert_eq!(m3.measurement, Measurement { done: 1, due: 2 });
    assert_eq!(m3.attainment, Attainment::Behind { missing: 1 }, "90% of 2 is 2");
    // Measured over the lead unit's subtree: commune B's task sees none of commune A's members.
    let b = f.demo.commune_command_ids[1];
    let sb = f.db.store.scoped(&f.commune_b);
    assert!(matches!(
        sb.measured_indicator(tasks[2].id).await,
        Err(StoreError::NotFound(_))
    ));
    let _ = b;
    // The roll-up shows the measured value beside the self-reported one.
    let r = s.rollup(doc.id, date!(2025 - 05 - 01)).await.unwrap();
    assert_eq!(r.rows[0].measured.as_ref().unwrap().percent, Some(66));
    assert!(r.rows[0].task.latest_percent.is_none());
}

#[tokio::test]
async fn report_attachments_are_stored_by_hash_limited_and_scoped() {
    let f = fixture().await;
    let pc = f.demo.province_command_id;
    let a = f.demo.commune_command_ids[0];
    let s = f.db.store.scoped(&f.province);
    let doc = s
        .register_incoming(
            incoming(pc, "11-KH/HU", "Kế hoạch diễn tập năm 2025", date!(2025 - 01 - 05)),
            date!(2025 - 01 - 06),
        )
        .await
        .unwrap();
    let tasks = s
        .create_tasks_from_review(
            doc.id,
            vec![reviewed("1", "Diễn tập khu vực phòng thủ", a, Some("2025"))],
        )
        .await
        .unwrap();
    let sa = f.db.store.scoped(&f.commune_a);
    let report = |atts: Vec<NewAttachment>| NewReport {
        reported_on: date!(2025 - 06 - 01),
        percent: 50,
        body: "Đã diễn tập xong giai đoạn 1.".into(),
        figures: String::new(),
        attachments: atts,
    };
    let att = |name: &str, content: &[u8]| NewAttachment {
        file_name: name.into(),
        content: content.to_vec(),
    };
    let too_big = vec![0u8; phongthu_store::REPORT_ATTACHMENT_MAX_BYTES + 1];
    for bad in [
        vec![att("bien-ban.pdf", b"")],
        vec![att("../x.pdf", b"x")],
        vec![att("lon.bin", &too_big)],
    ] {
        let e = sa.add_report(tasks[0].id, report(bad)).await.unwrap_err();
        assert!(matches!(e, StoreError::Invalid(_)), "{e}");
    }
    assert!(sa.reports(tasks[0].id).await.unwrap().is_empty());
    let r = sa
        .add_report(
            tasks[0].id,
            report(vec![
                att("bien-ban.pdf", b"%PDF-1.4 bien ban"),
                att("ban-sao.pdf", b"%PDF-1.4 bien ban"),
                att("danh-sach.txt", "Danh sách lực lượng".as_bytes()),
            ]),
        )
        .await
        .unwrap();
    assert_eq!(r.attachments.len(), 2, "the same content once");
    let listed = sa.reports(tasks[0].id).await.unwrap();
    assert_eq!(listed[0].attachments, r.attachments);
    let (meta, bytes) = s
        .report_attachment_content(tasks[0].id, r.attachments[1].id)
        .await
        .unwrap();
    assert_eq!(meta.file_name, "danh-sach.txt");
    assert_eq!(bytes, "Danh sách lực lượng".as_bytes());
    assert_eq!(meta.sha256.len(), 64);
    // Commune B neither leads nor coordinates: it cannot download.
    let sb = f.db.store.scoped(&f.commune_b);
    let e = sb
        .report_attachment_content(tasks[0].id, r.attachments[0].id)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound(_)), "{e}");
}

#[tokio::test]
async fn full_text_search_matches_word_beginnings_on_both_backends() {
    let f = fixture().await;
    let pc = f.demo.province_command_id;
    let s = f.db.store.scoped(&f.province);
    let mut n1 = incoming(
        pc,
        "21-KH/BCH",
        "Kế hoạch huấn luyện dân quân tự vệ năm 2025",
        date!(2025 - 01 - 05),
    );
    n1.body_text = Some("Thao trường 1,5ha; đảm bảo 100% chiến sĩ được huấn luyện.".into());
    let d1 = s.register_incoming(n1, date!(2025 - 01 - 06)).await.unwrap();
    let n2 = incoming(
        pc,
        "22-TB/BCH",
        "Thông báo kết luận về công tác tuyển quân",
        date!(2025 - 01 - 07),
    );
    let d2 = s.register_incoming(n2, date!(2025 - 01 - 08)).await.unwrap();
    let ids = |r: phongthu_store::DocumentResults| {
        let mut v: Vec<i64> = r.hits.iter().map(|h| h.document.id).collect();
        v.sort();
        v
    };
    let q = |query: &str| DocumentSearch {
        query: Some(query.into()),
        ..Default::default()
    };
    assert_eq!(ids(s.search_documents(&q("huan luyen")).await.unwrap()), vec![d1.id]);
    assert_eq!(
        ids(s.search_documents(&q("Huấn luy")).await.unwrap()),
        vec![d1.id],
        "word beginnings"
    );
    assert_eq!(
        ids(s.search_documents(&q("5ha")).await.unwrap()),
        vec![d1.id],
        "1,5ha: two words"
    );
    assert_eq!(
        ids(s.search_documents(&q("uyen quan")).await.unwrap()),
        Vec::<i64>::new(),
        "not mid-word"
    );
    assert_eq!(
        ids(s.search_documents(&q("ket luan tuyen")).await.unwrap()),
        vec![d2.id]
    );
    assert_eq!(ids(s.search_documents(&q("bch")).await.unwrap()), vec![d1.id, d2.id]);
    assert_eq!(ids(s.search_documents(&q("thao-truong")).await.unwrap()), vec![d1.id]);
    // Quotes and operators in the query are words, not syntax.
    assert_eq!(
        ids(s.search_documents(&q("\"huan\" OR * NOT")).await.unwrap()),
        Vec::<i64>::new()
    );
    // Tasks are found with their document, and follow an edit.
    let t = s
        .create_tasks_from_review(d2.id, vec![reviewed("1", "Khám sức khỏe nghĩa vụ", pc, Some("2025"))])
        .await
        .unwrap();
    assert_eq!(ids(s.search_documents(&q("kham suc khoe")).await.unwrap()), vec![d2.id]);
    let mut e = edit_of(&t[0]);
    e.summary = "Sơ tuyển và khám sức khỏe".into();
    s.update_task(t[0].id, e).await.unwrap();
    assert_eq!(ids(s.search_documents(&q("so tuyen")).await.unwrap()), vec![d2.id]);
}

#[tokio::test]
async fn the_search_index_follows_task_edits_and_cancellations_on_both_backends() {
    let f = fixture().await;
    let pc = f.demo.province_command_id;
    let s = f.db.store.scoped(&f.province);
    let d = s
        .register_incoming(
            incoming(pc, "31-KH/BCH", "Kế hoạch công tác năm 2025", date!(2025 - 01 - 05)),
            date!(2025 - 01 - 06),
        )
        .await
        .unwrap();
    let t = s
        .create_tasks_from_review(
            d.id,
            vec![
                reviewed("1", "Khám sức khỏe nghĩa vụ quân sự", pc, Some("2025")),
                reviewed("2", "Tập huấn phòng cháy chữa cháy", pc, Some("2025")),
            ],
        )
        .await
        .unwrap();
    let found = |r: phongthu_store::DocumentResults| r.hits.iter().map(|h| h.document.id).collect::<Vec<_>>();
    let q = |query: &str| DocumentSearch {
        query: Some(query.into()),
        ..Default::default()
    };
    assert_eq!(
        found(s.search_documents(&q("kham suc khoe")).await.unwrap()),
        vec![d.id]
    );
    assert_eq!(found(s.search_documents(&q("phong chay")).await.unwrap()), vec![d.id]);
    // An edit: the new wording is found, the old no longer.
    let mut e = edit_of(&t[0]);
    e.summary = "Sơ tuyển công dân nhập ngũ".into();
    s.update_task(t[0].id, e).await.unwrap();
    let r = s.search_documents(&q("kham suc khoe")).await.unwrap();
    assert_eq!((r.total, found(r)), (0, vec![]), "old wording after an edit");
    assert_eq!(
        found(s.search_documents(&q("so tuyen cong dan")).await.unwrap()),
        vec![d.id]
    );
    assert_eq!(s.count_documents(&q("kham suc khoe")).await.unwrap(), 0);
    // A cancellation: the cancelled task's wording is no longer found; the document's own is.
    s.cancel_task(t[1].id, "Đã giao ở kế hoạch khác").await.unwrap();
    assert_eq!(
        found(s.search_documents(&q("phong chay")).await.unwrap()),
        Vec::<i64>::new()
    );
    assert_eq!(found(s.search_documents(&q("so tuyen")).await.unwrap()), vec![d.id]);
    assert_eq!(
        found(s.search_documents(&q("ke hoach cong tac")).await.unwrap()),
        vec![d.id]
    );
    assert_eq!(found(s.search_documents(&q("31-kh")).await.unwrap()), vec![d.id]);
}

/// Above the count's cap the page is cut from the title and number matches and the newest other
/// hits instead of the full ranking: every page, with and without filters, must be the same as
/// the full ranking's, on both backends.
#[tokio::test]
async fn a_capped_search_shows_the_same_pages_as_the_full_ranking_on_both_backends() {
    let f = fixture().await;
    let pc = f.demo.province_command_id;
    let s = f.db.store.scoped(&f.province);
    let titles = [
        (
            "10/KH-BCH",
            "Kế hoạch tuyển quân năm 2025",
            Some(date!(2025 - 01 - 10)),
            Topic::TuyenQuan,
        ),
        (
            "11/KH-BCH",
            "Tuyển quân năm 2026",
            Some(date!(2025 - 12 - 01)),
            Topic::TuyenQuan,
        ),
        (
            "12/TB-BCH",
            "Thông báo về dân quân",
            Some(date!(2025 - 01 - 10)),
            Topic::DanQuanTuVe,
        ),
        ("13/TB-BCH", "Thông báo kết quả giao quân", None, Topic::TuyenQuan),
        (
            "14/CV-BCH",
            "Công văn về huấn luyện",
            Some(date!(2024 - 06 - 01)),
            Topic::DanQuanTuVe,
        ),
        (
            "15/KH-BCH",
            "Kế hoạch tuyển quân bổ sung",
            Some(date!(2025 - 01 - 10)),
            Topic::TuyenQuan,
        ),
        (
            "16/BC-BCH",
            "Báo cáo sơ kết",
            Some(date!(2025 - 03 - 03)),
            Topic::TuyenQuan,
        ),
        (
            "17/BC-BCH",
            "Báo cáo tổng kết",
            Some(date!(2025 - 03 - 03)),
            Topic::DanQuanTuVe,
        ),
        ("18/KH-BCH", "Tuyển quân đợt hai", None, Topic::TuyenQuan),
        (
            "19/TB-BCH",
            "Thông báo lịch khám",
            Some(date!(2026 - 02 - 02)),
            Topic::TuyenQuan,
        ),
        (
            "20/TB-BCH",
            "Thông báo tuyển quân",
            Some(date!(2023 - 05 - 05)),
            Topic::TuyenQuan,
        ),
        ("21/TB-BCH", "Thông báo khác", Some(date!(2025 - 01 - 10)), Topic::Khac),
    ];
    let mut ids = Vec::new();
    for (i, (number, title, issued, topic)) in titles.iter().enumerate() {
        let mut n = incoming(pc, number, title, issued.unwrap_or(date!(2025 - 01 - 01)));
        n.issued_on = *issued;
        n.topics = vec![*topic];
        // Every document mentions the call-up in its text, so a search for it finds them all.
        n.body_text = Some(format!("Nội dung số {i}: công tác tuyển quân và giao nhận quân."));
        if i == 2 {
            n.body_text = Some("Nội dung số 2: công tác tuyển quân và giao nhận quân, bảo đảm an toàn.".into());
        }
        ids.push(s.register_incoming(n, date!(2026 - 03 - 01)).await.unwrap().id);
    }
    let page = |r: &phongthu_store::DocumentResults| r.hits.iter().map(|h| (h.document.id, h.rank)).collect::<Vec<_>>();
    let searches = [
        DocumentSearch {
            query: Some("tuyen quan".into()),
            ..Default::default()
        },
        DocumentSearch {
            query: Some("thông báo".into()),
            ..Default::default()
        },
        DocumentSearch {
            query: Some("1".into()),
            ..Default::default()
        },
        DocumentSearch {
            query: Some("quan".into()),
            topic: Some(Topic::TuyenQuan),
            ..Default::default()
        },
        DocumentSearch {
            query: Some("tuyển quân".into()),
            year: Some(2025),
            ..Default::default()
        },
        DocumentSearch::default(),
    ];
    for search in searches {
        let full = s
            .search_documents(&DocumentSearch {
                limit: 100,
                ..search.clone()
            })
            .await
            .unwrap();
        assert!(!full.capped);
        assert_eq!(full.total, s.count_documents(&search).await.unwrap());
        assert!(full.total >= 4, "{search:?}: {}", full.total);
        for limit in [1, 2, 3, 5, 50] {
            for offset in 0..=full.total {
                let capped = s
                    .search_documents(&DocumentSearch {
                        limit,
                        offset,
                        count_cap: 2,
                        ..search.clone()
                    })
                    .await
                    .unwrap();
                assert!(capped.capped);
                assert_eq!(capped.total, 2);
                let expected: Vec<_> = page(&full)
                    .into_iter()
                    .skip(offset as usize)
                    .take(limit as usize)
                    .collect();
                assert_eq!(page(&capped), expected, "{search:?} offset {offset} limit {limit}");
            }
        }
    }
    // The full ranking itself: title prefix, then title contains (newest first: date, then
    // registration), then the text; a number match first.
    let r = s
        .search_documents(&DocumentSearch {
            query: Some("tuyen quan".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let at = |i: usize| ids[i];
    assert_eq!(
        page(&r)[..6],
        [
            (at(1), MatchRank::TitlePrefix),
            (at(8), MatchRank::TitlePrefix),
            (at(5), MatchRank::TitleContains),
            (at(0), MatchRank::TitleContains),
            (at(10), MatchRank::TitleContains),
            (at(9), MatchRank::Body),
        ]
    );
    assert_eq!(r.total, 12);
    let r = s
        .search_documents(&DocumentSearch {
            query: Some("15/kh".into()),
            count_cap: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page(&r)[0], (at(5), MatchRank::Number));
    // "giao" begins a word of the text of all and of one title.
    let r = s
        .search_documents(&DocumentSearch {
            query: Some("giao".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page(&r)[0], (at(3), MatchRank::TitleContains));
    assert!(page(&r)[1..].iter().all(|(_, rank)| *rank == MatchRank::Body));
    // Inside a word of the title is not a title match: "an" is inside "dân" and "quân" of the
    // title of the one document whose text has the word "an" (an toàn).
    let r = s
        .search_documents(&DocumentSearch {
            query: Some("an".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page(&r), vec![(at(2), MatchRank::Body)]);
}

/// Only the last word of a query may be the beginning of a word (the word being typed); the
/// others are whole words. A number's first part is then a whole number: "77/kh" is 77/KH, not
/// 770/KH; "77" alone still begins both.
#[tokio::test]
async fn only_the_last_word_of_a_query_may_be_a_beginning_on_both_backends() {
    let f = fixture().await;
    let pc = f.demo.province_command_id;
    let s = f.db.store.scoped(&f.province);
    let mut n1 = incoming(pc, "77/KH-BCH", "Kế hoạch huấn luyện dân quân", date!(2025 - 01 - 05));
    n1.body_text = Some("Đảng ủy quân sự chỉ đạo; mã lưu trữ 12345678.".into());
    let d77 = s.register_incoming(n1, date!(2025 - 01 - 06)).await.unwrap();
    let d770 = s
        .register_incoming(
            incoming(pc, "770/KH-BCH", "Kế hoạch tuyển quân", date!(2025 - 01 - 07)),
            date!(2025 - 01 - 08),
        )
        .await
        .unwrap();
    let q = |query: &str| DocumentSearch {
        query: Some(query.into()),
        ..Default::default()
    };
    let found = |r: phongthu_store::DocumentResults| r.hits.iter().map(|h| (h.document.id, h.rank)).collect::<Vec<_>>();
    // The last word: a beginning.
    assert_eq!(
        found(s.search_documents(&q("huan luy")).await.unwrap()),
        vec![(d77.id, MatchRank::TitleContains)]
    );
    // The others: whole words ("hua" only begins a word of the first document).
    assert_eq!(found(s.search_documents(&q("hua luyen")).await.unwrap()), vec![]);
    assert_eq!(
        found(s.search_documents(&q("dan quan")).await.unwrap()),
        vec![(d77.id, MatchRank::TitleContains)]
    );
    assert_eq!(
        found(s.search_documents(&q("dang uy")).await.unwrap()),
        vec![(d77.id, MatchRank::Body)]
    );
    // A last word longer than the beginnings PostgreSQL indexes (6 letters) is still a beginning,
    // and only a beginning of a word of the document: "1234567" begins 12345678, "1234568" (the
    // same first six) begins nothing.
    assert_eq!(
        found(s.search_documents(&q("luu tru 1234567")).await.unwrap()),
        vec![(d77.id, MatchRank::Body)]
    );
    assert_eq!(found(s.search_documents(&q("1234568")).await.unwrap()), vec![]);
    assert_eq!(
        found(s.search_documents(&q("123456")).await.unwrap()),
        vec![(d77.id, MatchRank::Body)]
    );
    // Numbers: the number's whole first part, then the symbol's beginning.
    assert_eq!(
        found(s.search_documents(&q("77/kh")).await.unwrap()),
        vec![(d77.id, MatchRank::Number)]
    );
    assert_eq!(
        found(s.search_documents(&q("770/k")).await.unwrap()),
        vec![(d770.id, MatchRank::Number)]
    );
    assert_eq!(
        found(s.search_documents(&q("77")).await.unwrap()),
        vec![(d770.id, MatchRank::Number), (d77.id, MatchRank::Number)]
    );
    assert_eq!(s.count_documents(&q("77/kh")).await.unwrap(), 1);
    assert_eq!(s.count_documents(&q("77")).await.unwrap(), 2);
}

/// The search-text migration (the latest, `NNNN_search_text`: 12 when written) rewrites the search
/// text of every document once, from its fields and its tasks that are not cancelled: documents
/// whose tasks were edited or cancelled before the index followed task changes kept the old
/// wording until their next task change.
#[tokio::test]
async fn the_search_text_migration_rebuilds_every_documents_text_once_on_both_backends() {
    // Migration 14 is the one under test: the database stops just before it and moves to it.
    let latest = 14;
    let db = TestDb::at_version(latest - 1).await;
    let demo = db.store.seed_demo().await.unwrap();
    let province = actor(&db.store, "quantri").await;
    let pc = demo.province_command_id;
    let s = db.store.scoped(&province);
    let d1 = s
        .register_incoming(
            incoming(pc, "41-KH/BCH", "Kế hoạch công tác năm 2025", date!(2025 - 01 - 05)),
            date!(2025 - 01 - 06),
        )
        .await
        .unwrap();
    let t = s
        .create_tasks_from_review(
            d1.id,
            vec![
                reviewed("1", "Sơ tuyển công dân nhập ngũ", pc, Some("2025")),
                reviewed("2", "Tập huấn phòng cháy chữa cháy", pc, Some("2025")),
            ],
        )
        .await
        .unwrap();
    s.cancel_task(t[1].id, "Đã giao ở kế hoạch khác").await.unwrap();
    let d2 = s
        .register_incoming(
            incoming(pc, "42-TB/BCH", "Thông báo kết luận hội nghị", date!(2025 - 02 - 05)),
            date!(2025 - 02 - 06),
        )
        .await
        .unwrap();
    // The state a register written before the fix is in: the first document's text still holds
    // its first wording of task 1 and the cancelled task 2, not the edited wording.
    sqlx::any::install_default_drivers();
    let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(&db.url)
        .await
        .unwrap();
    let text = |id: i64| format!("SELECT search_folded FROM document WHERE id = {id}");
    let fresh1: String = sqlx::query_scalar(&text(d1.id)).fetch_one(&mut c).await.unwrap();
    let fresh2: String = sqlx::query_scalar(&text(d2.id)).fetch_one(&mut c).await.unwrap();
    assert!(fresh1.ends_with("so tuyen cong dan nhap ngu"), "{fresh1}");
    let stale = "41-kh/bch ke hoach cong tac nam 2025 ban thuong vu huyen uy kim dong bui van phuc \
                 kham suc khoe nghia vu tap huan phong chay chua chay";
    for (id, t) in [(d1.id, stale), (d2.id, "x")] {
        sqlx::query("UPDATE document SET search_folded = $1 WHERE id = $2")
            .bind(t)
            .bind(id)
            .execute(&mut c)
            .await
            .unwrap();
    }
    let report = phongthu_store::migrate_to(&db.store, latest).await.unwrap();
    assert_eq!(
        (report.from_version, report.to_version, report.applied),
        (latest - 1, latest, vec![format!("{latest:04}_search_text")])
    );
    let now1: String = sqlx::query_scalar(&text(d1.id)).fetch_one(&mut c).await.unwrap();
    let now2: String = sqlx::query_scalar(&text(d2.id)).fetch_one(&mut c).await.unwrap();
    assert_eq!((now1, now2), (fresh1, fresh2.clone()));
    // The full-text indexes followed: the old wording is no longer found, the current one is.
    let found = |q: &str| {
        let search = DocumentSearch {
            query: Some(q.into()),
            ..Default::default()
        };
        let s = db.store.scoped(&province);
        async move {
            s.search_documents(&search)
                .await
                .unwrap()
                .hits
                .iter()
                .map(|h| h.document.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(found("kham suc khoe").await, Vec::<i64>::new());
    assert_eq!(found("phong chay").await, Vec::<i64>::new());
    assert_eq!(found("so tuyen cong dan").await, vec![d1.id]);
    assert_eq!(found("ket luan hoi nghi").await, vec![d2.id]);
    // Recorded: a second run applies nothing and does not rewrite the text again.
    sqlx::query("UPDATE document SET search_folded = 'x' WHERE id = $1")
        .bind(d2.id)
        .execute(&mut c)
        .await
        .unwrap();
    let again = phongthu_store::migrate_to(&db.store, latest).await.unwrap();
    assert!(again.applied.is_empty());
    let still: String = sqlx::query_scalar(&text(d2.id)).fetch_one(&mut c).await.unwrap();
    assert_eq!(still, "x");
}
