//! The call-up cycle's pages over HTTP: a commune's citizens through screening, the examination,
//! vetting, lists, decisions, handover; refusals in Vietnamese that change nothing; scope; the
//! yearly figures and violations.

mod support;

use axum::http::StatusCode;
use phongthu_domain::nvqs::Sex;
use phongthu_store::NewCitizen;
use support::App;
use time::macros::date;

/// Eight men of age with grade 12 in the demo's first commune; the cycle of 2026 with quota 2
/// given to that commune. Returns (cycle id, commune id, citizen ids).
async fn setup(app: &App, s: &support::Session) -> (i64, i64, Vec<i64>) {
    let admin = app.store.system_actor().await.unwrap();
    let scoped = app.store.scoped(&admin);
    let commune = app.demo.commune_command_ids[0];
    let mut ids = Vec::new();
    for given in ["An", "Bình", "Cường", "Dũng", "Đức", "Giang", "Hải", "Khánh"] {
        let mut n = NewCitizen::new(commune, &format!("Lò Văn {given}"), date!(2003 - 04 - 02), Sex::Male);
        n.education_grade = Some("12/12".into());
        ids.push(scoped.create_citizen(n).await.unwrap().id);
    }
    let res = app
        .post(
            "/nvqs",
            Some(s),
            &[
                ("_csrf", &s.csrf),
                ("unit_id", &app.demo.province_command_id.to_string()),
                ("year", "2026"),
                ("quota", "2"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let cycle: i64 = res.location().rsplit('/').next().unwrap().parse().unwrap();
    let overview = scoped.cycle_overview(cycle).await.unwrap();
    let mut fields: Vec<(String, String)> = vec![
        ("_csrf".into(), s.csrf.clone()),
        ("reason".into(), "Giao toàn bộ cho xã thí điểm".into()),
    ];
    for f in &overview.communes {
        fields.push((
            format!("quota_{}", f.unit_id),
            if f.unit_id == commune { "2" } else { "0" }.into(),
        ));
    }
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let res = app.post(&format!("/nvqs/{cycle}/quotas"), Some(s), &refs).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    (cycle, commune, ids)
}

fn ticks(ids: &[i64]) -> Vec<(String, String)> {
    ids.iter().map(|id| (format!("c_{id}"), "on".to_string())).collect()
}

async fn bulk(
    app: &App,
    s: &support::Session,
    cycle: i64,
    commune: i64,
    ids: &[i64],
    extra: &[(&str, &str)],
) -> support::Resp {
    let mut fields: Vec<(String, String)> = ticks(ids);
    fields.push(("_csrf".into(), s.csrf.clone()));
    for (k, v) in extra {
        fields.push((k.to_string(), v.to_string()));
    }
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.post(&format!("/nvqs/{cycle}/xa/{commune}/hang-loat"), Some(s), &refs)
        .await
}

fn exam_fields<'a>(csrf: &'a str, eyes: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("_csrf", csrf),
        ("kind", "examine"),
        ("score_physique", "1"),
        ("score_eyes", eyes),
        ("score_ent", "2"),
        ("score_dental", "1"),
        ("score_internal", "1"),
        ("score_neuro_psychiatric", "1"),
        ("score_surgical", "1"),
        ("score_dermatology", "1"),
        ("height_cm", "168"),
        ("weight_kg", "60,5"),
        ("myopia", ""),
        ("date", "20/11/2025"),
    ]
}

#[tokio::test]
async fn a_commune_works_its_cycle_through_the_pages() {
    let app = App::new().await;
    let s = app.login("quantri").await;
    let (cycle, commune, ids) = setup(&app, &s).await;

    let page = app.get(&format!("/nvqs/{cycle}/xa/{commune}"), Some(&s)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Lò Văn An"));
    assert!(
        page.body.contains("Danh sách gọi khám sức khỏe: 0 / tối đa 8 người"),
        "{}",
        page.body
    );

    // Bulk screening: all or none. A bad date names the format; nothing is written.
    let before = app.audit_count().await;
    let res = bulk(
        &app,
        &s,
        cycle,
        commune,
        &ids,
        &[("kind", "screen_pass"), ("date", "31/02/2025")],
    )
    .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("ngày/tháng/năm"), "{}", res.body);
    assert_eq!(app.audit_count().await, before);
    let res = bulk(
        &app,
        &s,
        cycle,
        commune,
        &ids[..6],
        &[("kind", "screen_pass"), ("date", "01/10/2025")],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert!(res.location().ends_with("saved=6"));
    assert_eq!(app.audit_count().await, before + 6);
    // A second screening of the same people fails for the first of them and writes nothing.
    let res = bulk(
        &app,
        &s,
        cycle,
        commune,
        &ids[..2],
        &[("kind", "screen_pass"), ("date", "01/10/2025")],
    )
    .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("Lò Văn An: Không thể thực hiện bước"), "{}", res.body);
    assert_eq!(app.audit_count().await, before + 6);

    // Approve the examination list, then examine one citizen through his page.
    let res = app
        .post(
            &format!("/nvqs/{cycle}/xa/{commune}/duyet"),
            Some(&s),
            &[
                ("_csrf", &s.csrf),
                ("list", "examination"),
                ("act_number", "3/QĐ-UBND"),
                ("act_date", "15/10/2025"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let res = app
        .post(
            &format!("/nvqs/{cycle}/cong-dan/{}", ids[0]),
            Some(&s),
            &exam_fields(&s.csrf, "9"),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(
        res.body
            .contains("Điểm chỉ tiêu &#34;Mắt&#34; phải là số nguyên từ 1 đến 6"),
        "{}",
        res.body
    );
    for &id in &ids[..3] {
        let res = app
            .post(
                &format!("/nvqs/{cycle}/cong-dan/{id}"),
                Some(&s),
                &exam_fields(&s.csrf, "1"),
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    }
    let page = app.get(&format!("/nvqs/{cycle}/cong-dan/{}", ids[0]), Some(&s)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Sức khỏe loại 2, BMI 21,4"), "{}", page.body);
    assert!(page.body.contains("Thẩm tra chính trị"));

    // Vetting, approval (official 2, reserve 1), official list approval, decisions, handover.
    let res = bulk(
        &app,
        &s,
        cycle,
        commune,
        &ids[..3],
        &[("kind", "vet_pass"), ("date", "20/12/2025")],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    bulk(
        &app,
        &s,
        cycle,
        commune,
        &ids[..2],
        &[("kind", "approve_official"), ("date", "10/01/2026")],
    )
    .await;
    bulk(
        &app,
        &s,
        cycle,
        commune,
        &ids[2..3],
        &[("kind", "approve_reserve"), ("date", "10/01/2026")],
    )
    .await;
    let call = [
        ("kind", "issue_call_up"),
        ("date", "01/02/2026"),
        ("decision_number", "15/QĐ-UBND"),
        ("report_place", "Sân vận động xã"),
        ("report_at", "07 giờ 00 ngày 04/3/2026"),
    ];
    let res = bulk(&app, &s, cycle, commune, &ids[..2], &call).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("chưa được duyệt"), "{}", res.body);
    for list in ["official", "reserve"] {
        let res = app
            .post(
                &format!("/nvqs/{cycle}/xa/{commune}/duyet"),
                Some(&s),
                &[
                    ("_csrf", &s.csrf),
                    ("list", list),
                    ("act_number", "7/QĐ-UBND"),
                    ("act_date", "15/01/2026"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{list}: {}", res.body);
    }
    let res = bulk(&app, &s, cycle, commune, &ids[..2], &call).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let page = app
        .get(&format!("/nvqs/{cycle}/xa/{commune}?stage=call_up_issued"), Some(&s))
        .await;
    assert!(
        page.body.contains("15/QĐ-UBND") && page.body.contains("16/QĐ-UBND"),
        "{}",
        page.body
    );
    // The commune's documents: the two decisions in one PDF (each its own pages), the lists in
    // both formats, posted lists without ID numbers; unknown names and empty sets are refused.
    let d = support::download(&app, &format!("/nvqs/{cycle}/xa/{commune}/quyet-dinh.pdf"), &s).await;
    support::assert_pdf(&d, &format!("quyet-dinh-2026-{commune}.pdf"));
    if let Some(text) = support::pdf_text(&d.bytes) {
        assert!(
            text.contains("Số: 15/QĐ-UBND") && text.contains("Số: 16/QĐ-UBND"),
            "{text}"
        );
        assert!(text.contains("Lò Văn An") && text.contains("QUYẾT ĐỊNH"), "{text}");
        assert!(text.contains("TM. ỦY BAN NHÂN DÂN"), "{text}");
        // The reporting place and time entered with the decision, and Điều 2 refers to them.
        assert!(
            text.contains("Sân vận động xã") && text.contains("07 giờ 00 ngày 04/3/2026"),
            "{text}"
        );
        assert!(!text.contains("thông báo kèm theo"), "{text}");
        // Printed in the order of their numbers.
        assert!(text.find("Số: 15/QĐ-UBND") < text.find("Số: 16/QĐ-UBND"), "{text}");
    }
    let d = support::download(&app, &format!("/nvqs/{cycle}/xa/{commune}/quyet-dinh.docx"), &s).await;
    support::assert_docx(&d, &format!("quyet-dinh-2026-{commune}.docx"));

    let d = support::download(&app, &format!("/nvqs/{cycle}/xa/{commune}/ds-chinh-thuc.docx"), &s).await;
    support::assert_docx(&d, &format!("ds-chinh-thuc-2026-{commune}.docx"));
    // The approved list prints the act that approved it.
    let d = support::download(&app, &format!("/nvqs/{cycle}/xa/{commune}/ds-chinh-thuc.pdf"), &s).await;
    support::assert_pdf(&d, &format!("ds-chinh-thuc-2026-{commune}.pdf"));
    if let Some(text) = support::pdf_text(&d.bytes) {
        assert!(
            text.contains("Danh sách đã được duyệt theo văn bản số 7/QĐ-UBND ngày 15/01/2026"),
            "{text}"
        );
    }
    let d = support::download(&app, &format!("/nvqs/{cycle}/xa/{commune}/ds-du-dieu-kien.pdf"), &s).await;
    support::assert_pdf(&d, &format!("ds-du-dieu-kien-2026-{commune}.pdf"));
    if let Some(text) = support::pdf_text(&d.bytes) {
        assert!(text.contains("Loại 2"), "{text}");
    }
    let d = support::download(&app, &format!("/nvqs/{cycle}/cong-dan/{}/quyet-dinh.pdf", ids[0]), &s).await;
    support::assert_pdf(&d, &format!("quyet-dinh-nhap-ngu-2026-{}.pdf", ids[0]));
    let d = support::download(&app, &format!("/nvqs/{cycle}/cong-dan/{}/quyet-dinh.pdf", ids[5]), &s).await;
    assert_eq!(d.status, StatusCode::NOT_FOUND, "no decision for him yet");
    // Screening calls for those still in the pool (ids[6], ids[7] were never screened).
    let d = support::download(&app, &format!("/nvqs/{cycle}/xa/{commune}/goi-so-tuyen.docx"), &s).await;
    support::assert_docx(&d, &format!("goi-so-tuyen-2026-{commune}.docx"));
    let d = support::download(&app, &format!("/nvqs/{cycle}/xa/{commune}/goi-so-tuyen.pdf"), &s).await;
    support::assert_pdf(&d, &format!("goi-so-tuyen-2026-{commune}.pdf"));
    if let Some(text) = support::pdf_text(&d.bytes) {
        assert!(text.contains("sơ tuyển") && text.contains("Lò Văn Hải"), "{text}");
        // A call once issued prints again as issued: the screened keep theirs.
        assert!(
            text.contains("Lò Văn An,"),
            "the screening call of a citizen who has moved on prints again: {text}"
        );
    }
    let d = support::download(&app, &format!("/nvqs/{cycle}/xa/{commune}/ds-khac.pdf"), &s).await;
    assert_eq!(d.status, StatusCode::NOT_FOUND);
    let d = support::download(&app, &format!("/nvqs/{cycle}/xa/{commune}/quyet-dinh.exe"), &s).await;
    assert_eq!(d.status, StatusCode::NOT_FOUND);

    let res = bulk(
        &app,
        &s,
        cycle,
        commune,
        &ids[..2],
        &[("kind", "hand_over"), ("date", "04/03/2026")],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);

    // The figures: 2 of quota 2 handed over.
    let d = app.get(&format!("/nvqs/{cycle}/tong-hop"), Some(&s)).await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.body);
    assert!(d.body.contains("data-handed=\"2\""), "{}", d.body);
    assert!(d.body.contains("<svg"));
    let x = app.get(&format!("/nvqs/{cycle}/tong-hop.xlsx"), Some(&s)).await;
    assert_eq!(x.status, StatusCode::OK);
    let y = app.get("/nvqs/nam/2026", Some(&s)).await;
    assert_eq!(y.status, StatusCode::OK, "{}", y.body);
    assert!(y.body.contains("data-handed=\"2\""));

    // Settings: the examination window must stay within Art. 40.
    let page = app.get(&format!("/nvqs/{cycle}/cai-dat"), Some(&s)).await;
    assert_eq!(page.status, StatusCode::OK);
    let res = app
        .post(
            &format!("/nvqs/{cycle}/cai-dat"),
            Some(&s),
            &[
                ("_csrf", &s.csrf),
                ("exam_ratio", "4"),
                ("reserve_pct", "5"),
                ("replacement_pct", "2"),
                ("source_review_starts", "01/06/2025"),
                ("source_review_ends", "20/07/2025"),
                ("commune_review_starts", "21/07/2025"),
                ("commune_review_ends", "31/08/2025"),
                ("screening_starts", "06/09/2025"),
                ("screening_ends", "10/10/2025"),
                ("examination_starts", "01/11/2025"),
                ("examination_ends", "15/01/2026"),
                ("lists_starts", "05/01/2026"),
                ("lists_ends", "24/01/2026"),
                ("call_up_decisions_starts", "25/01/2026"),
                ("call_up_decisions_ends", "07/02/2026"),
                ("handover_starts", "04/03/2026"),
                ("handover_ends", "06/03/2026"),
                ("post_check_starts", "04/03/2026"),
                ("post_check_ends", "19/03/2026"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("Điều 40"), "{}", res.body);

    // Violations.
    let res = app
        .post(
            "/nvqs/vi-pham",
            Some(&s),
            &[
                ("_csrf", &s.csrf),
                ("citizen_id", &ids[7].to_string()),
                ("kind", "absent_from_screening"),
                ("act_date", "01/10/2025"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let page = app.get("/nvqs/vi-pham", Some(&s)).await;
    assert!(page.body.contains("Lò Văn Khánh"));
    assert!(page.body.contains("3.000.000"), "{}", page.body);
    let res = app
        .post(
            "/nvqs/vi-pham",
            Some(&s),
            &[
                ("_csrf", &s.csrf),
                ("citizen", "abc"),
                ("kind", "absent_from_screening"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(
        res.body.contains("Không tìm thấy công dân nào khớp với"),
        "{}",
        res.body
    );

    // Scope: the second commune's commander cannot open this commune's page or its citizens.
    let other = app.login("chihuy.xa2").await;
    let refused = [StatusCode::FORBIDDEN, StatusCode::NOT_FOUND];
    assert!(refused.contains(
        &app.get(&format!("/nvqs/{cycle}/xa/{commune}"), Some(&other))
            .await
            .status
    ));
    assert_eq!(
        app.get(&format!("/nvqs/{cycle}/cong-dan/{}", ids[0]), Some(&other))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let res = bulk(&app, &other, cycle, commune, &ids[3..4], &[("kind", "screen_pass")]).await;
    assert!(refused.contains(&res.status), "{}", res.status);
    // Without the CSRF token nothing is accepted.
    let res = app
        .post(
            &format!("/nvqs/{cycle}/xa/{commune}/hang-loat"),
            Some(&s),
            &[("kind", "screen_pass"), ("c_1", "on")],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}
