//! The API answers only what its OpenAPI document says it may: every status code observed for an
//! operation (no token, bad parameters, another unit's object, a role not allowed, unknown codes)
//! is among the operation's documented responses, and date parameters are typed as dates, which
//! the API then accepts.

mod support;

use support::{hidden_csrf, App};

async fn token_of(app: &App, username: &str) -> String {
    let s = app.login(username).await;
    let page = app.get("/account/password", Some(&s)).await;
    let csrf = hidden_csrf(&page.body);
    let r = app
        .post("/account/tokens", Some(&s), &[("_csrf", &csrf), ("name", "kiểm thử")])
        .await;
    let marker = "Mã truy cập mới: <code class=\"secret\">";
    let start = r.body.find(marker).expect("token shown") + marker.len();
    r.body[start..].split('<').next().unwrap().to_string()
}

#[tokio::test]
async fn every_status_the_api_answers_is_documented() {
    let app = App::new().await;
    let doc: serde_json::Value = serde_json::from_str(&app.get("/api/v1/openapi.json", None).await.body).unwrap();
    let admin = token_of(&app, "quantri").await;
    let commune = token_of(&app, "chihuy").await;
    let own = app.unit_of("chihuy");
    let other = app.other_province_unit().await;

    // (operation, request, token)
    let a = Some(admin.as_str());
    let c = Some(commune.as_str());
    let cases: Vec<(&str, String, Option<&str>)> = vec![
        ("/me", "/me".into(), a),
        ("/territory/units", "/territory/units?level=commune&q=dong".into(), a),
        ("/territory/units", "/territory/units?on=2025-07-01".into(), a),
        ("/territory/units", "/territory/units?on=hom-qua".into(), a),
        ("/territory/units", "/territory/units?level=xyz".into(), a),
        ("/territory/units", "/territory/units?limit=nhieu".into(), a),
        ("/territory/units/{code}", "/territory/units/01".into(), a),
        ("/territory/units/{code}", "/territory/units/01?on=2020-01-01".into(), a),
        ("/territory/units/{code}", "/territory/units/01?on=31-31-2020".into(), a),
        ("/territory/units/{code}", "/territory/units/99999".into(), a),
        ("/territory/units/{code}/rollup", "/territory/units/01/rollup".into(), a),
        (
            "/territory/units/{code}/rollup",
            "/territory/units/01/rollup?on=2019-01-01".into(),
            a,
        ),
        (
            "/territory/units/{code}/rollup",
            "/territory/units/01/rollup?on=x".into(),
            a,
        ),
        (
            "/territory/units/{code}/rollup",
            "/territory/units/99999/rollup".into(),
            a,
        ),
        ("/org/units", "/org/units".into(), c),
        ("/org/units/{id}", format!("/org/units/{own}"), c),
        ("/org/units/{id}", format!("/org/units/{other}"), c),
        ("/org/units/{id}", "/org/units/999999".into(), a),
        ("/org/units/{id}", "/org/units/abc".into(), a),
        ("/users", "/users".into(), a),
        ("/users", "/users".into(), c),
        ("/audit", "/audit?limit=5".into(), a),
        ("/audit", "/audit?from=2025-01-01&to=2025-12-31".into(), a),
        ("/audit", "/audit?from=hom-qua".into(), a),
        ("/audit", "/audit?limit=abc".into(), a),
        ("/audit", "/audit".into(), c),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for (op, path, token) in &cases {
        let r = match token {
            Some(t) => app.get_bearer(&format!("/api/v1{path}"), t).await,
            None => app.get(&format!("/api/v1{path}"), None).await,
        };
        seen.insert((op.to_string(), r.status.as_u16()));
        // Every error is the documented JSON body.
        if !r.status.is_success() {
            let v: serde_json::Value = serde_json::from_str(&r.body).unwrap_or_else(|_| panic!("{path}: {}", r.body));
            assert_eq!(v["error"]["status"], r.status.as_u16(), "{path}");
        }
    }
    // Without a token, every operation.
    for op in doc["paths"].as_object().unwrap().keys() {
        let path = op.replace("{code}", "01").replace("{id}", &own.to_string());
        let r = app.get(&format!("/api/v1{path}"), None).await;
        seen.insert((op.clone(), r.status.as_u16()));
    }
    let mut missing = vec![];
    for (op, status) in &seen {
        let responses = &doc["paths"][op]["get"]["responses"];
        assert!(responses.is_object(), "{op} not documented");
        if responses.get(status.to_string()).is_none() {
            missing.push(format!("{op} answers {status}"));
        }
    }
    assert!(missing.is_empty(), "undocumented answers: {missing:?}");
    // The valid dates were accepted.
    for (op, status) in [("/territory/units", 400), ("/audit", 400)] {
        assert!(
            seen.contains(&(op.to_string(), status)),
            "bad values are still refused ({op})"
        );
    }
    for path in [
        "/territory/units?on=2025-07-01",
        "/territory/units/01?on=2020-01-01",
        "/territory/units/01/rollup?on=2019-01-01",
        "/audit?from=2025-01-01&to=2025-12-31",
    ] {
        let r = app.get_bearer(&format!("/api/v1{path}"), &admin).await;
        assert_eq!(r.status.as_u16(), 200, "{path}: {}", r.body);
    }
}

#[tokio::test]
async fn date_parameters_are_typed_as_dates() {
    let app = App::new().await;
    let doc: serde_json::Value = serde_json::from_str(&app.get("/api/v1/openapi.json", None).await.body).unwrap();
    let mut dates = 0;
    for (op, item) in doc["paths"].as_object().unwrap() {
        for p in item["get"]["parameters"].as_array().into_iter().flatten() {
            let name = p["name"].as_str().unwrap();
            if ["on", "from", "to"].contains(&name) {
                assert_eq!(p["schema"]["format"], "date", "{op} {name}: {p}");
                dates += 1;
            }
        }
    }
    assert_eq!(dates, 5, "on ×3, from, to");
}
