//! Over HTTP: coverage stays inside the province, ID numbers are masked in lists and pickers and
//! whole on the record, the record's opening and every export leave an audit entry, and an ID
//! number held outside the scope is refused without a word about it.

mod support;

use axum::http::StatusCode;
use phongthu_domain::nvqs::Sex;
use phongthu_domain::territory::{Level, REFORM_DATE};
use phongthu_store::{AuditEntry, AuditFilter, NewCitizen};
use support::{download, enc, App};

/// The audit entries of an action, newest first, as the system sees them.
async fn entries(app: &App, action: &str) -> Vec<AuditEntry> {
    let system = app.store.system_actor().await.unwrap();
    app.store
        .scoped(&system)
        .audit_entries(&AuditFilter {
            action: Some(action.into()),
            ..Default::default()
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn coverage_of_another_provinces_commune_is_refused_over_http() {
    let app = App::new().await;
    let s = app.login("quantri").await;
    let ptkv = app.demo.regional_command_id;
    let system = app.store.system_actor().await.unwrap();
    let sys = app.store.scoped(&system);
    let province = sys
        .org_unit(app.demo.province_command_id)
        .await
        .unwrap()
        .admin_code
        .unwrap();
    let t = phongthu_domain::territory::Territory::bundled();
    let on = time::OffsetDateTime::now_utc().date().max(REFORM_DATE);
    let outside = t
        .list(Level::Commune, on)
        .into_iter()
        .find(|c| t.province_code_of(c).as_deref() != Some(province.as_str()))
        .unwrap()
        .code
        .clone();
    let before = sys.coverage(ptkv).await.unwrap();
    let audit = app.audit_count().await;
    let r = app
        .post(
            &format!("/org/{ptkv}/coverage"),
            Some(&s),
            &[("_csrf", &s.csrf), ("communes", &before.join(", ")), ("add", &outside)],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains(&outside), "{}", r.body);
    assert!(r.body.contains("ngoài tỉnh"), "{}", r.body);
    assert_eq!(sys.coverage(ptkv).await.unwrap(), before);
    assert_eq!(app.audit_count().await, audit);
}

#[tokio::test]
async fn ids_are_masked_in_lists_whole_on_the_record_and_reads_are_audited() {
    let app = App::new().await;
    let s = app.login("chihuy").await;
    let commune = app.unit_of("chihuy");
    let system = app.store.system_actor().await.unwrap();
    let number = "033207004321";
    let code = app.store.scoped(&system).org_unit(commune).await.unwrap().admin_code;
    let mut n = NewCitizen::new(commune, "Hà Văn Kín", time::macros::date!(2007 - 05 - 06), Sex::Male);
    n.national_id = Some(number.into());
    n.permanent_commune_code = code.clone();
    let c = app.store.scoped(&system).create_citizen(n).await.unwrap();
    let masked = "••••••••4321";

    // The list and a search: the last four digits only.
    for path in ["/citizens".to_string(), format!("/citizens?q={}", enc("ha van kin"))] {
        let list = app.get(&path, Some(&s)).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        assert!(list.body.contains("Hà Văn Kín"), "{path}: {}", list.body);
        assert!(list.body.contains(masked), "{path}: {}", list.body);
        assert!(!list.body.contains(number), "{path}: {}", list.body);
    }
    // Lists are not audited (see docs/SECURITY.md); the record's opening is.
    assert!(entries(&app, "view").await.is_empty());
    let record = app.get(&format!("/citizens/{}", c.id), Some(&s)).await;
    assert_eq!(record.status, StatusCode::OK, "{}", record.body);
    assert!(record.body.contains(number), "{}", record.body);
    let views = entries(&app, "view").await;
    assert_eq!(views.len(), 1, "{views:?}");
    assert_eq!(
        (
            views[0].entity.as_str(),
            views[0].entity_id.clone(),
            views[0].actor_name.as_str()
        ),
        ("citizen", c.id.to_string(), "chihuy")
    );
    assert_eq!(views[0].unit_id, Some(commune));
    // The correction form needs the whole number, and is an opening too.
    let form = app.get(&format!("/citizens/{}/sua", c.id), Some(&s)).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains(number));
    assert_eq!(entries(&app, "view").await.len(), 2);
    // A possible duplicate: the duplicates page shows both numbers masked.
    let mut twin = NewCitizen::new(commune, "Hà Văn Kín", time::macros::date!(2007 - 05 - 06), Sex::Male);
    twin.national_id = Some("033207005678".into());
    twin.permanent_commune_code = code;
    app.store.scoped(&system).create_citizen(twin).await.unwrap();
    let dup = app.get("/citizens/duplicates", Some(&s)).await;
    assert_eq!(dup.status, StatusCode::OK, "{}", dup.body);
    assert!(
        dup.body.contains(masked) && dup.body.contains("••••••••5678"),
        "{}",
        dup.body
    );
    assert!(
        !dup.body.contains(number) && !dup.body.contains("033207005678"),
        "{}",
        dup.body
    );

    // An export: whole numbers in the file (the official forms need them), and an entry naming
    // who, what and with which filter.
    assert!(entries(&app, "export").await.is_empty());
    let d = download(&app, "/citizens/export.xlsx?q=ha", &s).await;
    assert_eq!(d.status, StatusCode::OK);
    let exports = entries(&app, "export").await;
    assert_eq!(exports.len(), 1, "{exports:?}");
    let e = &exports[0];
    assert_eq!(
        (e.entity.as_str(), e.entity_id.as_str(), e.actor_name.as_str()),
        ("file", "/citizens/export.xlsx", "chihuy")
    );
    assert!(e.after.as_deref().unwrap_or("").contains("q=ha"), "{e:?}");
    // A blank import template holds no one's data: not recorded.
    let d = download(&app, "/citizens/template.xlsx", &s).await;
    assert_eq!(d.status, StatusCode::OK);
    assert_eq!(entries(&app, "export").await.len(), 1);
    // The chain still verifies, and the rows still match their entries.
    assert!(app.store.verify_audit().await.unwrap().is_intact());
}

#[tokio::test]
async fn an_id_number_of_another_unit_is_refused_without_a_word_about_it() {
    let app = App::new().await;
    let system = app.store.system_actor().await.unwrap();
    let number = "033207001111";
    let mut held = NewCitizen::new(
        app.unit_of("chihuy"),
        "Mạc Văn Giấu",
        time::macros::date!(2007 - 05 - 06),
        Sex::Male,
    );
    held.national_id = Some(number.into());
    app.store.scoped(&system).create_citizen(held).await.unwrap();
    let s = app.login("chihuy.xa2").await;
    let unit = app.unit_of("chihuy.xa2").to_string();
    let r = app
        .post(
            "/citizens",
            Some(&s),
            &[
                ("_csrf", &s.csrf),
                ("unit_id", &unit),
                ("full_name", "Mạc Văn Mới"),
                ("birth_date", "06/05/2007"),
                ("sex", "male"),
                ("national_id", number),
            ],
        )
        .await;
    assert!(r.body.contains("không dùng được"), "{}", r.body);
    for word in ["đơn vị khác", "Mạc Văn Giấu", "đã có trong sổ"] {
        assert!(!r.body.contains(word), "{word}: {}", r.body);
    }
}
