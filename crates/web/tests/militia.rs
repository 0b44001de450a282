//! HTTP tests of the militia pages (issue 5), on a scratch database with the demo data (SQLite, or
//! PostgreSQL when PHONGTHU_TEST_DATABASE_URL is set): create a platoon, add a member found in the
//! registry, record training, see the shortfall; another commune's commander cannot see the unit;
//! forged CSRF and bad input write nothing; leaders and inspectors read only.

use axum::http::StatusCode;

mod support;
use support::*;

/// The value of the first `name="<field>" value="..."` on a page.
fn field_value(html: &str, field: &str) -> Option<String> {
    let marker = format!("name=\"{field}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    html[start..].split('"').next().map(str::to_string)
}

#[tokio::test]
async fn platoon_members_training_and_shortfall() {
    let app = App::new().await;
    let admin = app.login("quantri").await;
    let (a, b) = (
        app.demo.commune_command_ids[0].to_string(),
        app.demo.commune_command_ids[1].to_string(),
    );
    for (unit, name) in [(&a, "Nguyễn Văn An"), (&b, "Đỗ Văn Xa")] {
        let r = app
            .post(
                "/citizens",
                Some(&admin),
                &[
                    ("_csrf", &admin.csrf),
                    ("unit_id", unit),
                    ("full_name", name),
                    ("birth_date", "02/04/2000"),
                    ("sex", "male"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let page = app.get("/militia", Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("href=\"/militia\" aria-current=\"page\""),
        "nav entry"
    );
    assert!(page.body.contains("Thành lập đơn vị"));

    // Bad input and a forged token write nothing.
    let before = app.audit_count().await;
    let post_unit = |csrf: String, kind: &'static str, echelon: &'static str, name: &'static str| {
        let a = a.clone();
        let app = &app;
        let admin = admin.clone();
        async move {
            app.post(
                "/militia",
                Some(&admin),
                &[
                    ("_csrf", &csrf),
                    ("unit_id", &a),
                    ("kind", kind),
                    ("echelon", echelon),
                    ("name", name),
                ],
            )
            .await
        }
    };
    let r = post_unit(admin.csrf.clone(), "mobile", "platoon", "   ").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("Hãy nhập tên đơn vị"), "{}", r.body);
    let r = post_unit(admin.csrf.clone(), "rong", "platoon", "Trung đội 1").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("không hợp lệ"), "{}", r.body);
    let r = post_unit(admin.csrf.clone(), "mobile", "naval_squadron", "Hải đội 1").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = post_unit("gia-mao".into(), "mobile", "platoon", "Trung đội 1").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(app.audit_count().await, before);

    // Create the platoon.
    let r = post_unit(
        admin.csrf.clone(),
        "mobile",
        "platoon",
        "Trung đội dân quân cơ động số 1",
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let unit_url = r.location().to_string();
    assert!(unit_url.starts_with("/militia/"), "{unit_url}");
    let r = post_unit(
        admin.csrf.clone(),
        "on_site",
        "squad",
        "Trung đội dân quân cơ động số 1",
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "duplicate name: {}", r.body);

    // Find the citizen in the registry: only the platoon's commune is searched.
    let r = app.get(&format!("{unit_url}?year=2026&q=Xa"), Some(&admin)).await;
    assert!(r.body.contains("Không tìm thấy công dân phù hợp"), "{}", r.body);
    let r = app.get(&format!("{unit_url}?year=2026&q=an"), Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Nguyễn Văn An, sinh 02/04/2000"), "{}", r.body);
    let citizen_id = field_value(&r.body, "citizen_id").expect("a candidate");
    let members_url = format!("{unit_url}/members");
    let before = app.audit_count().await;
    let add = |csrf: String, joined: &'static str| {
        let (app, admin, url, cid) = (&app, admin.clone(), members_url.clone(), citizen_id.clone());
        async move {
            app.post(
                &url,
                Some(&admin),
                &[
                    ("_csrf", &csrf),
                    ("citizen_id", &cid),
                    ("joined_on", joined),
                    ("post", ""),
                ],
            )
            .await
        }
    };
    let r = add(admin.csrf.clone(), "hôm qua").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("không hợp lệ"), "{}", r.body);
    let r = add(admin.csrf.clone(), "01/01/2016").await; // 15 years old then
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("chưa đủ 18"), "{}", r.body);
    let r = add("gia-mao".into(), "10/01/2026").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(app.audit_count().await, before);
    let r = add(admin.csrf.clone(), "10/01/2026").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = add(admin.csrf.clone(), "10/01/2026").await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "one active record per person: {}",
        r.body
    );
    assert_eq!(app.audit_count().await, before + 1);

    // First year of a mobile platoon: 15 days required; none recorded yet.
    let year_url = format!("{unit_url}?year=2026");
    let page = app.get(&year_url, Some(&admin)).await;
    assert!(page.body.contains("Nguyễn Văn An"), "{}", page.body);
    assert!(page.body.contains("Còn thiếu 15 ngày huấn luyện"), "{}", page.body);
    let member_id = field_value(&page.body, "member_id").expect("a training form");
    let training_url = format!("{unit_url}/training");
    let train = |csrf: String, days: &'static str| {
        let (app, admin, url, mid) = (&app, admin.clone(), training_url.clone(), member_id.clone());
        async move {
            app.post(
                &url,
                Some(&admin),
                &[("_csrf", &csrf), ("member_id", &mid), ("year", "2026"), ("days", days)],
            )
            .await
        }
    };
    let before = app.audit_count().await;
    assert_eq!(train(admin.csrf.clone(), "mười").await.status, StatusCode::BAD_REQUEST);
    let r = train(admin.csrf.clone(), "400").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("không hợp lệ"), "{}", r.body);
    assert_eq!(train("gia-mao".into(), "10").await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.audit_count().await, before);
    let r = train(admin.csrf.clone(), "10").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(r.location(), Some(&admin)).await;
    assert!(page.body.contains("Đã ghi số ngày huấn luyện"), "{}", page.body);
    assert!(
        page.body.contains("Còn thiếu 5 ngày huấn luyện (đã học 10/15 ngày)"),
        "{}",
        page.body
    );

    // Another commune's commander sees neither the unit nor its members, and cannot write there.
    let other = app.login("chihuy.xa2").await;
    assert_eq!(app.get(&unit_url, Some(&other)).await.status, StatusCode::NOT_FOUND);
    let list = app.get("/militia", Some(&other)).await;
    assert!(!list.body.contains("Trung đội dân quân cơ động số 1"), "{}", list.body);
    let before = app.audit_count().await;
    assert_eq!(
        train(other.csrf.clone(), "15").await.status,
        StatusCode::FORBIDDEN,
        "CSRF of another session"
    );
    let r = app
        .post(
            &training_url,
            Some(&other),
            &[
                ("_csrf", &other.csrf),
                ("member_id", &member_id),
                ("year", "2026"),
                ("days", "15"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(app.audit_count().await, before);
    // The commune's own commander sees it.
    let own = app.login("chihuy").await;
    let page = app.get(&year_url, Some(&own)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Còn thiếu 5 ngày"));

    // Leaders and inspectors read only: no forms, writes refused.
    for who in ["lanhdao", "thanhtra"] {
        let s = app.login(who).await;
        let before = app.audit_count().await;
        let page = app.get(&year_url, Some(&s)).await;
        assert_eq!(page.status, StatusCode::OK, "{who}");
        assert!(page.body.contains("Còn thiếu 5 ngày"), "{who}");
        assert!(!page.body.contains("name=\"member_id\""), "{who}: no training form");
        assert!(!page.body.contains("Thêm thành viên"), "{who}: no add form");
        assert!(!app.get("/militia", Some(&s)).await.body.contains("Thành lập đơn vị"));
        let r = app
            .post(
                &training_url,
                Some(&s),
                &[
                    ("_csrf", &s.csrf),
                    ("member_id", &member_id),
                    ("year", "2026"),
                    ("days", "15"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
        let r = app
            .post(
                "/militia",
                Some(&s),
                &[
                    ("_csrf", &s.csrf),
                    ("unit_id", &a),
                    ("kind", "on_site"),
                    ("echelon", "squad"),
                    ("name", "Tiểu đội 2"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
        assert_eq!(app.audit_count().await, before, "{who}");
    }

    // Training complete: the shortfall list empties.
    let r = train(admin.csrf.clone(), "15").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = app.get(&year_url, Some(&admin)).await;
    assert!(
        page.body.contains("Không có thành viên nào thiếu ngày huấn luyện"),
        "{}",
        page.body
    );
}
