//! Records that can be corrected, over HTTP: the edit form with the commune chosen by name, the
//! history on the record page, the violation form finding a citizen by name or ID number, list
//! approvals with their act on the printed list, and examination results for many citizens (a
//! grid and the council's sheet with a file of rejected rows).

mod support;

use axum::http::StatusCode;
use phongthu_domain::nvqs::Sex;
use phongthu_domain::text;
use phongthu_store::NewCitizen;
use support::App;
use time::{Date, Duration, Month};

fn multipart(fields: &[(&str, &str)], file_name: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----phongthu-test-boundary";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The value of the first `<option value="…">` of the datalist `id`.
fn first_option(html: &str, id: &str) -> String {
    let list = html.split(&format!("<datalist id=\"{id}\">")).nth(1).expect("datalist");
    let v = list.split("<option value=\"").nth(1).expect("an option");
    v.split('"').next().unwrap().to_string()
}

fn unescape(s: &str) -> String {
    s.replace("&#34;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

#[tokio::test]
async fn a_record_is_corrected_with_its_history_and_found_by_name() {
    let app = App::new().await;
    let s = app.login("chihuy").await;
    let commune = app.unit_of("chihuy");
    let system = app.store.system_actor().await.unwrap();
    let sys = app.store.scoped(&system);
    let mut n = NewCitizen::new(commune, "Khổng Tất Sửa", time::macros::date!(2005 - 04 - 02), Sex::Male);
    n.education_grade = Some("5/12".into());
    let c = sys.create_citizen(n).await.unwrap();

    let form = app.get(&format!("/citizens/{}/sua", c.id), Some(&s)).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("Khóa đầu ở trình độ đang học"));
    let commune_text = unescape(&first_option(&form.body, "communes"));
    // Typed without diacritics, the commune resolves to its code.
    let typed = text::fold(&commune_text);
    let fields = |commune: &str, grade: &str| -> Vec<(String, String)> {
        vec![
            ("_csrf".into(), s.csrf.clone()),
            ("unit_id".into(), c.unit_id.to_string()),
            ("full_name".into(), "Khổng Tất Sửa".into()),
            ("birth_date".into(), "02/04/2005".into()),
            ("sex".into(), "male".into()),
            ("permanent_commune".into(), commune.into()),
            ("education_grade".into(), grade.into()),
            ("studying_level".into(), "university".into()),
            ("studying_full_time".into(), "yes".into()),
            ("studying_first_course".into(), "no".into()),
            ("occupation".into(), "Sinh viên".into()),
            ("party_member".into(), "on".into()),
        ]
    };
    let before = app.audit_count().await;
    let r = app
        .post_fields(
            &format!("/citizens/{}/sua", c.id),
            Some(&s),
            &fields("khong co xa nao ten vay", "12/12"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("không tìm thấy xã, phường nào"), "{}", r.body);
    assert_eq!(app.audit_count().await, before, "nothing written");
    let r = app
        .post(&format!("/citizens/{}/sua", c.id), Some(&s), &[("full_name", "X")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "no CSRF token");

    let r = app
        .post_fields(&format!("/citizens/{}/sua", c.id), Some(&s), &fields(&typed, "12/12"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(app.audit_count().await, before + 1, "one audited edit");
    let stored = sys.citizen(c.id).await.unwrap();
    assert_eq!(stored.education_grade.as_deref(), Some("12/12"));
    assert_eq!(
        (stored.studying_full_time, stored.studying_first_course),
        (Some(true), Some(false))
    );
    assert!(stored.party_member);
    let code = stored.permanent_commune_code.clone().expect("a commune code");
    assert_eq!(code.len(), 5);

    let page = app.get(&format!("/citizens/{}", c.id), Some(&s)).await;
    assert_eq!(page.status, StatusCode::OK);
    let history = page.body.split("id=\"history\"").nth(1).expect("history table");
    assert!(
        history.contains("<td>Trình độ văn hóa</td><td>5/12</td><td>12/12</td>"),
        "{history}"
    );
    assert!(
        history.contains("<td>Đảng viên</td><td>không</td><td>có</td>"),
        "{history}"
    );
    assert!(history.contains("Xã, phường thường trú"), "{history}");
    assert!(
        page.body.contains("đại học, chính quy, tập trung, không phải khóa đầu"),
        "{}",
        page.body
    );

    // The same form again: nothing changed, nothing written.
    let r = app
        .post_fields(&format!("/citizens/{}/sua", c.id), Some(&s), &fields(&typed, "12/12"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(app.audit_count().await, before + 2, "the record's opening only");

    // The new-record form takes the commune by name too.
    let r = app
        .post_fields(
            "/citizens",
            Some(&s),
            &[
                ("_csrf".into(), s.csrf.clone()),
                ("unit_id".into(), commune.to_string()),
                ("full_name".into(), "Khổng Tất Mới".into()),
                ("birth_date".into(), "01/02/2006".into()),
                ("sex".into(), "male".into()),
                ("permanent_commune".into(), typed.clone()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // The violation form finds the citizen by his name without diacritics (one match), or
    // offers the choice when several match.
    let r = app
        .post(
            "/nvqs/vi-pham",
            Some(&s),
            &[
                ("_csrf", &s.csrf),
                ("citizen", "khong tat sua"),
                ("kind", "absent_from_screening"),
                ("act_date", "01/10/2025"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app
        .post(
            "/nvqs/vi-pham",
            Some(&s),
            &[
                ("_csrf", &s.csrf),
                ("citizen", "khong tat"),
                ("kind", "absent_from_screening"),
                ("act_date", "01/10/2025"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("Có 2 công dân khớp"), "{}", r.body);
    assert!(
        r.body.contains(&format!("name=\"citizen_id\" value=\"{}\"", c.id)),
        "{}",
        r.body
    );
    let r = app
        .post(
            "/nvqs/vi-pham",
            Some(&s),
            &[
                ("_csrf", &s.csrf),
                ("citizen", "khong tat"),
                ("citizen_id", &c.id.to_string()),
                ("kind", "absent_from_examination"),
                ("act_date", "02/11/2025"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(sys.violations(Some(c.id)).await.unwrap().len(), 2);
}

/// The cycle year whose examination window has begun by `today`, and an examination day in it
/// not after today.
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
async fn exam_results_for_a_commune_from_a_grid_and_a_sheet() {
    let app = App::new().await;
    let admin = app.login("quantri").await;
    let s = app.login("chihuy").await;
    let commune = app.unit_of("chihuy");
    let system = app.store.system_actor().await.unwrap();
    let sys = app.store.scoped(&system);
    let today = phongthu_store::today_vn();
    let (year, exam_day) = cycle_with_exam_behind(today);
    let vi = |d: Date| format!("{:02}/{:02}/{}", d.day(), d.month() as u8, d.year());
    let birth_year = year - 21;
    let yy = birth_year % 100;
    let mut ids = Vec::new();
    let mut nids = Vec::new();
    for (i, given) in ["An", "Bình", "Cường", "Dũng"].iter().enumerate() {
        let mut n = NewCitizen::new(
            commune,
            &format!("Mạc Văn {given}"),
            Date::from_calendar_date(birth_year, Month::June, 1).unwrap(),
            Sex::Male,
        );
        n.education_grade = Some("12/12".into());
        let nid = format!("0012{yy:02}00{:04}", 8100 + i);
        n.national_id = Some(nid.clone());
        ids.push(sys.create_citizen(n).await.unwrap().id);
        nids.push(nid);
    }
    let res = app
        .post(
            "/nvqs",
            Some(&admin),
            &[
                ("_csrf", &admin.csrf),
                ("unit_id", &app.demo.province_command_id.to_string()),
                ("year", &year.to_string()),
                ("quota", "3"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let cycle: i64 = res.location().rsplit('/').next().unwrap().parse().unwrap();
    let overview = sys.cycle_overview(cycle).await.unwrap();
    let split: Vec<(i64, i64)> = overview
        .communes
        .iter()
        .map(|f| (f.unit_id, if f.unit_id == commune { 3 } else { 0 }))
        .collect();
    sys.save_quotas(cycle, &split, Some("Thử")).await.unwrap();
    let screen_day = vi(exam_day - Duration::days(1));
    let mut fields: Vec<(String, String)> = vec![
        ("_csrf".into(), s.csrf.clone()),
        ("kind".into(), "screen_pass".into()),
        ("date".into(), screen_day.clone()),
    ];
    fields.extend(ids.iter().map(|id| (format!("c_{id}"), "on".to_string())));
    let r = app
        .post_fields(&format!("/nvqs/{cycle}/xa/{commune}/hang-loat"), Some(&s), &fields)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // The approval carries its act; without a number it is refused.
    let approve = |number: &'static str| {
        let screen_day = screen_day.clone();
        let s = &s;
        let app = &app;
        async move {
            app.post(
                &format!("/nvqs/{cycle}/xa/{commune}/duyet"),
                Some(s),
                &[
                    ("_csrf", &s.csrf),
                    ("list", "examination"),
                    ("act_number", number),
                    ("act_date", &screen_day),
                ],
            )
            .await
        }
    };
    let r = approve("").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("số, ký hiệu"), "{}", r.body);
    let r = approve("4/QĐ-UBND").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(&format!("/nvqs/{cycle}/xa/{commune}"), Some(&s)).await;
    assert!(
        page.body
            .contains(&format!("theo văn bản số 4/QĐ-UBND ngày {screen_day}")),
        "{}",
        page.body
    );

    // A handover dated two months ahead is refused; a decision so dated asks for the
    // confirmation; nothing is written.
    let ahead = vi(today + Duration::days(60));
    let before = app.audit_count().await;
    for (kind, expected) in [
        ("hand_over", "là ngày trong tương lai"),
        ("issue_call_up", "Xác nhận ngày sau hôm nay"),
    ] {
        let fields: Vec<(String, String)> = vec![
            ("_csrf".into(), s.csrf.clone()),
            ("kind".into(), kind.into()),
            ("date".into(), ahead.clone()),
            ("decision_number".into(), "20/QĐ-UBND".into()),
            ("report_place".into(), "Sân vận động".into()),
            ("report_at".into(), "07 giờ 00".into()),
            (format!("c_{}", ids[0]), "on".into()),
        ];
        let r = app
            .post_fields(&format!("/nvqs/{cycle}/xa/{commune}/hang-loat"), Some(&s), &fields)
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{kind}");
        assert!(unescape(&r.body).contains(expected), "{kind}: {}", r.body);
    }
    assert_eq!(app.audit_count().await, before, "nothing written");

    // The grid lists the four; a bad row refuses all and names the row.
    let url = format!("/nvqs/{cycle}/xa/{commune}/kham");
    let page = app.get(&url, Some(&s)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for given in ["An", "Bình", "Cường", "Dũng"] {
        assert!(page.body.contains(&format!("Mạc Văn {given}")));
    }
    let row = |id: i64, eyes: &str| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = [
            "physique",
            "eyes",
            "ent",
            "dental",
            "internal",
            "neuro_psychiatric",
            "surgical",
            "dermatology",
        ]
        .iter()
        .map(|c| {
            (
                format!("s_{id}_{c}"),
                if *c == "eyes" {
                    eyes.to_string()
                } else {
                    "1".to_string()
                },
            )
        })
        .collect();
        v.push((format!("h_{id}"), "170".into()));
        v.push((format!("w_{id}"), "62".into()));
        v
    };
    let mut grid: Vec<(String, String)> = vec![("_csrf".into(), s.csrf.clone()), ("date".into(), vi(exam_day))];
    grid.extend(row(ids[0], "1"));
    grid.extend(row(ids[1], "9"));
    let before = app.audit_count().await;
    let r = app.post_fields(&url, Some(&s), &grid).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let body = unescape(&r.body);
    assert!(body.contains("Dòng 2 (Mạc Văn Bình): Điểm chỉ tiêu \"Mắt\""), "{body}");
    assert!(r.body.contains("value=\"9\""), "the typed values are kept");
    assert_eq!(app.audit_count().await, before, "nothing written");
    let mut grid: Vec<(String, String)> = vec![("_csrf".into(), s.csrf.clone()), ("date".into(), vi(exam_day))];
    grid.extend(row(ids[0], "1"));
    grid.extend(row(ids[1], "5"));
    let r = app.post_fields(&url, Some(&s), &grid).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(r.location(), Some(&s)).await;
    assert!(
        page.body.contains("1 đủ sức khỏe, 1 không đủ sức khỏe"),
        "{}",
        page.body
    );

    // The sheet: two rows, one bad (an unknown ID number); valid rows only.
    let template = support::download(&app, "/nvqs/kham/mau-ket-qua-kham.xlsx", &s).await;
    assert_eq!(template.status, StatusCode::OK);
    assert!(template.bytes.starts_with(b"PK"));
    let csv = format!(
        "Số định danh cá nhân;Họ và tên;Thể lực;Mắt;Tai mũi họng;Răng hàm mặt;Nội khoa;Tâm thần kinh;Ngoại khoa;Da liễu;Chiều cao;Cân nặng\r\n\
         {};Mạc Văn Cường;1;2;1;1;1;1;1;1;168;60\r\n\
         001299009999;Người Lạ;1;1;1;1;1;1;1;1;168;60\r\n",
        nids[2]
    );
    let day = vi(exam_day);
    let (ct, body) = multipart(
        &[
            ("_csrf", s.csrf.as_str()),
            ("mode", "valid_only"),
            ("date", day.as_str()),
        ],
        "ket-qua.csv",
        csv.as_bytes(),
    );
    let r = app.post_multipart(&format!("{url}/nhap"), Some(&s), &ct, body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body
            .contains("Đã ghi kết quả khám của 1 công dân (1 đủ sức khỏe, 0 không đủ sức khỏe)"),
        "{}",
        r.body
    );
    assert!(r.body.contains("Dòng 3"), "{}", r.body);
    let token = r
        .body
        .split("/nvqs/kham/tu-choi/")
        .nth(1)
        .and_then(|t| t.split('"').next())
        .expect("rejects link")
        .to_string();
    let rejects = support::download(&app, &format!("/nvqs/kham/tu-choi/{token}"), &s).await;
    assert_eq!(rejects.status, StatusCode::OK);
    assert!(rejects.bytes.starts_with(b"PK"));
    let other = app.login("chihuy.xa2").await;
    let refused = support::download(&app, &format!("/nvqs/kham/tu-choi/{token}"), &other).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "another user's rejects");

    // The figures: three examined (two fit, one unfit), one still waiting.
    let p = sys.commune_cycle(cycle, commune).await.unwrap();
    let stage = |id: i64| {
        p.candidates
            .iter()
            .find(|c| c.citizen.id == id)
            .unwrap()
            .stage_code
            .clone()
    };
    assert_eq!(
        ids.iter().map(|&id| stage(id)).collect::<Vec<_>>(),
        ["examined", "unfit", "examined", "screened"]
    );
}

#[tokio::test]
async fn territory_is_chosen_by_name_in_the_organisation_forms() {
    let app = App::new().await;
    let admin = app.login("quantri").await;
    let ptkv = app.demo.regional_command_id;
    let system = app.store.system_actor().await.unwrap();
    let before = app.store.scoped(&system).coverage(ptkv).await.unwrap();
    let page = app.get(&format!("/org/{ptkv}"), Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    let textarea = |body: &str| {
        unescape(
            body.split("name=\"communes\"")
                .nth(1)
                .unwrap()
                .split("</textarea>")
                .next()
                .unwrap(),
        )
    };
    // The coverage is listed by names, one per line, not by codes.
    let kept = textarea(&page.body);
    let kept = kept.split_once('>').map(|(_, v)| v.to_string()).unwrap_or_default();
    assert_eq!(
        kept.lines().filter(|l| !l.trim().is_empty()).count(),
        before.len(),
        "{kept}"
    );
    assert!(
        !kept
            .lines()
            .any(|l| l.trim().len() == 5 && l.trim().bytes().all(|b| b.is_ascii_digit())),
        "{kept}"
    );
    // One commune added by its name typed without diacritics.
    let list = page.body.split("<datalist id=\"communes_list\">").nth(1).unwrap();
    let candidate = list
        .split("<option value=\"")
        .skip(1)
        .map(|o| unescape(o.split('"').next().unwrap()))
        .find(|v| !kept.contains(v.as_str()))
        .expect("a commune not yet covered");
    let r = app
        .post(
            &format!("/org/{ptkv}/coverage"),
            Some(&admin),
            &[
                ("_csrf", &admin.csrf),
                ("communes", &kept),
                ("add", &text::fold(&candidate)),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let after = app.store.scoped(&system).coverage(ptkv).await.unwrap();
    assert_eq!(after.len(), before.len() + 1, "{after:?}");
    assert!(before.iter().all(|c| after.contains(c)));
    let page = app.get(&format!("/org/{ptkv}"), Some(&admin)).await;
    assert!(textarea(&page.body).contains(&candidate), "{candidate}");
    // An unknown name: refused, nothing written.
    let count = app.audit_count().await;
    let r = app
        .post(
            &format!("/org/{ptkv}/coverage"),
            Some(&admin),
            &[
                ("_csrf", &admin.csrf),
                ("communes", &kept),
                ("add", "khong co xa nao ten vay"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("không tìm thấy xã, phường nào"), "{}", r.body);
    assert_eq!(app.audit_count().await, count);
    assert_eq!(
        app.store.scoped(&system).coverage(ptkv).await.unwrap().len(),
        before.len() + 1
    );
}
