//! HTTP tests of the document register and directive follow-up, on a scratch database
//! with the demo data (SQLite, or PostgreSQL when PHONGTHU_TEST_DATABASE_URL is set): upload seed
//! 002 → prefilled form → register → review the proposed tasks → confirm → a commune reports
//! progress → the province sees the roll-up; another commune cannot see the tasks; forged CSRF
//! and bad input write nothing; leaders read only.

mod support;
use axum::http::StatusCode;
use support::*;

const SEED_002: &[u8] = include_bytes!("fixtures/seed_002_chi_thi.txt");

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';').filter(|e| *e < 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16).ok().and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let start = tag.find(&marker)? + marker.len();
    Some(unescape(tag[start..].split('"').next()?))
}

/// The fields a browser would submit from the form posting to `action`: inputs (checkboxes only
/// when checked), textareas, and the selected options of selects.
fn form_fields(html: &str, action: &str) -> Vec<(String, String)> {
    let start = html
        .find(&format!("action=\"{action}\""))
        .unwrap_or_else(|| panic!("no form for {action}"));
    let form = &html[start..start + html[start..].find("</form>").unwrap()];
    let mut out = Vec::new();
    let mut rest = form;
    while let Some(i) = rest.find('<') {
        rest = &rest[i..];
        let tag_end = rest.find('>').unwrap();
        let tag = &rest[..tag_end];
        if tag.starts_with("<input") {
            let name = attr(tag, "name");
            let typ = attr(tag, "type").unwrap_or_default();
            if let Some(name) = name {
                if typ == "checkbox" {
                    if tag.contains(" checked") {
                        out.push((name, attr(tag, "value").unwrap_or_else(|| "on".into())));
                    }
                } else if typ != "file" {
                    out.push((name, attr(tag, "value").unwrap_or_default()));
                }
            }
        } else if tag.starts_with("<textarea") {
            let name = attr(tag, "name").unwrap();
            let body = &rest[tag_end + 1..];
            let content = &body[..body.find("</textarea>").unwrap()];
            out.push((name, unescape(content)));
        } else if tag.starts_with("<select") {
            let name = attr(tag, "name").unwrap();
            let body = &rest[tag_end + 1..];
            let options = &body[..body.find("</select>").unwrap()];
            for opt in options.split("<option").skip(1) {
                let head = &opt[..opt.find('>').unwrap()];
                if head.contains(" selected") {
                    out.push((name.clone(), attr(&format!(" {head}"), "value").unwrap_or_default()));
                }
            }
        }
        rest = &rest[tag_end..];
    }
    out
}

fn set(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    fields.retain(|(k, _)| k != name);
    fields.push((name.to_string(), value.to_string()));
}

fn get_field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

async fn upload(app: &App, s: &Session, csrf: &str, file_name: &str, file: &[u8]) -> Resp {
    let (ct, body) = multipart(&[("_csrf", csrf)], file_name, file);
    app.post_multipart("/documents/upload", Some(s), &ct, body).await
}

fn multipart(fields: &[(&str, &str)], file_name: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----phongthu-test-boundary";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/plain\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn id_from(location: &str, prefix: &str) -> i64 {
    location
        .strip_prefix(prefix)
        .unwrap()
        .split(['?', '/'])
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// How many `<fieldset>` rows the review form has.
fn review_rows(fields: &[(String, String)]) -> usize {
    get_field(fields, "count").unwrap().parse().unwrap()
}

#[tokio::test]
async fn upload_review_confirm_report_and_roll_up() {
    let app = App::new().await;
    let province = app.login("quantri").await;
    let commune_a = app.login("chihuy").await;
    let commune_b = app.login("chihuy.xa2").await;
    let leader = app.login("lanhdao").await;
    let unit_a = app.demo.commune_command_ids[0];
    let ptkv = app.demo.regional_command_id;

    // The navigation links the register.
    let home = app.get("/", Some(&province)).await;
    assert!(home.body.contains("href=\"/documents\""), "nav link");

    // Upload seed 002: the reader fills the form; nothing is stored yet.
    let before = app.audit_count().await;
    let page = app.get("/documents/new", Some(&province)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let forged = upload(&app, &province, "gia-mao", "chi-thi.txt", SEED_002).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let r = upload(&app, &province, &province.csrf, "chi-thi-002.txt", SEED_002).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Đã đọc"), "{}", r.body);
    assert_eq!(app.audit_count().await, before, "reading stores nothing");
    let mut fields = form_fields(&r.body, "/documents");
    assert_eq!(get_field(&fields, "kind"), Some("chi_thi"));
    assert_eq!(get_field(&fields, "authority"), Some("T/M"));
    assert_eq!(get_field(&fields, "signer_name"), Some("Bùi Văn Phúc"));
    assert_eq!(get_field(&fields, "issued_on"), Some("20/12/2024"));
    assert!(get_field(&fields, "recipients")
        .unwrap()
        .contains("Đảng ủy Quân sự tỉnh"));
    assert!(
        get_field(&fields, "title").unwrap().contains("nhiệm vụ quân sự"),
        "{fields:?}"
    );
    assert!(get_field(&fields, "body_text").unwrap().contains("Bùi Văn Phúc"));
    assert_eq!(get_field(&fields, "attachment_name"), Some("chi-thi-002.txt"));

    // Bad input: a malformed received date; the form comes back, nothing is written.
    let mut bad = fields.clone();
    set(&mut bad, "received_on", "32/13/2024");
    let r = app.post_fields("/documents", Some(&province), &bad).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("Ngày đến"), "{}", r.body);
    let mut bad = fields.clone();
    set(&mut bad, "number_symbol", "không phải số");
    let r = app.post_fields("/documents", Some(&province), &bad).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let mut forged = fields.clone();
    set(&mut forged, "_csrf", "gia-mao");
    assert_eq!(
        app.post_fields("/documents", Some(&province), &forged).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.audit_count().await, before, "nothing written");

    // Register.
    set(&mut fields, "received_on", "23/12/2024");
    set(&mut fields, "number_symbol", "05-CT/HU");
    let r = app.post_fields("/documents", Some(&province), &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let doc_id = id_from(r.location(), "/documents/");
    let detail = app.get(&format!("/documents/{doc_id}"), Some(&province)).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(
        detail.body.contains("05-CT/HU") && detail.body.contains("Đến 1/2024"),
        "{}",
        detail.body
    );
    assert!(detail.body.contains(&format!("/documents/{doc_id}/review")));
    // The attachment comes back byte for byte.
    let link = format!("/documents/{doc_id}/attachments/");
    let at = detail.body.find(&link).expect("attachment link");
    let att_id: i64 = detail.body[at + link.len()..]
        .split('"')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let file = app.get(&format!("{link}{att_id}"), Some(&province)).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.bytes, SEED_002);
    // Search without diacritics, by number.
    let r = app.get("/documents?q=05-ct%2Fhu", Some(&province)).await;
    assert!(r.body.contains(&format!("/documents/{doc_id}\"")), "{}", r.body);
    let r = app
        .get("/documents?q=nhiem+vu+quan+su&kind=chi_thi&year=2024", Some(&province))
        .await;
    assert!(r.body.contains(&format!("/documents/{doc_id}\"")));
    let r = app.get("/documents?q=khong+co+gi+nhu+vay", Some(&province)).await;
    assert!(r.body.contains("Không có văn bản nào"));
    let r = app.get("/documents?year=abc", Some(&province)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Other communes do not see the province's register.
    assert_eq!(
        app.get(&format!("/documents/{doc_id}"), Some(&commune_b)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("{link}{att_id}"), Some(&commune_b)).await.status,
        StatusCode::NOT_FOUND
    );

    // Review: the reader's seven numbered tasks and two closing assignments, units suggested.
    let review = app.get(&format!("/documents/{doc_id}/review"), Some(&province)).await;
    assert_eq!(review.status, StatusCode::OK, "{}", review.body);
    let action = format!("/documents/{doc_id}/review");
    let mut rf = form_fields(&review.body, &action);
    let rows = review_rows(&rf);
    assert_eq!(rows, 9 + 2, "nine proposals and two blank rows");
    assert_eq!(rf.iter().filter(|(k, _)| k.starts_with("keep_")).count(), 9);
    // Whole task texts, never cut at some length with "…".
    let first = get_field(&rf, "summary_0").unwrap();
    assert!(first.starts_with("Tiếp tục tổ chức thực hiện"), "{first}");
    assert!(
        first.ends_with("tiến hành khởi công 01- 02 trụ sở Ban Chỉ huy Quân sự cấp xã"),
        "{first}"
    );
    assert!(first.chars().count() > 1000 && !first.contains('…') && !first.contains(" ..."));
    assert!(get_field(&rf, "summary_8")
        .unwrap()
        .starts_with("Đảng ủy Quân sự huyện chủ trì, phối hợp với Văn phòng Huyện ủy"));
    // "... Ban Chỉ huy Quân sự huyện / Đảng ủy Quân sự huyện" → the regional defense command.
    assert!(
        rf.iter().any(|(k, v)| k.starts_with("lead_") && *v == ptkv.to_string()),
        "a district-level lead suggested as the regional command: {rf:?}"
    );
    // Edit: tasks 1 and 2 to commune A with deadlines, drop task 4, every other kept task to PTKV;
    // add one task in a blank row.
    for i in 0..9 {
        set(&mut rf, &format!("lead_{i}"), &ptkv.to_string());
    }
    set(&mut rf, "lead_0", &unit_a.to_string());
    set(&mut rf, "due_0", "31/12/2025");
    set(&mut rf, "lead_1", &unit_a.to_string());
    set(
        &mut rf,
        "summary_1",
        "Tuyển chọn và gọi công dân nhập ngũ năm 2025 đủ số lượng",
    );
    set(&mut rf, "deadline_1", "quý I/2099");
    set(&mut rf, "due_1", "");
    rf.retain(|(k, _)| k != "keep_3");
    set(&mut rf, "keep_9", "1");
    set(&mut rf, "ordinal_9", "10");
    set(&mut rf, "summary_9", "Báo cáo kết quả thực hiện Chỉ thị");
    set(&mut rf, "lead_9", &ptkv.to_string());

    // Bad input: a kept row without a lead unit; forged CSRF. Nothing is written.
    let before = app.audit_count().await;
    let mut no_lead = rf.clone();
    set(&mut no_lead, "lead_2", "");
    let r = app.post_fields(&action, Some(&province), &no_lead).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("đơn vị chủ trì"), "{}", r.body);
    assert!(
        r.body
            .contains("Tuyển chọn và gọi công dân nhập ngũ năm 2025 đủ số lượng"),
        "edits kept"
    );
    let mut bad_due = rf.clone();
    set(&mut bad_due, "due_0", "hôm qua");
    assert_eq!(
        app.post_fields(&action, Some(&province), &bad_due).await.status,
        StatusCode::BAD_REQUEST
    );
    let mut forged = rf.clone();
    set(&mut forged, "_csrf", "gia-mao");
    assert_eq!(
        app.post_fields(&action, Some(&province), &forged).await.status,
        StatusCode::FORBIDDEN
    );
    // A commune cannot review the province's document; a leader cannot review at all.
    let mut other = rf.clone();
    set(&mut other, "_csrf", &commune_a.csrf);
    assert_eq!(
        app.post_fields(&action, Some(&commune_a), &other).await.status,
        StatusCode::NOT_FOUND
    );
    let mut as_leader = rf.clone();
    set(&mut as_leader, "_csrf", &leader.csrf);
    assert_eq!(
        app.post_fields(&action, Some(&leader), &as_leader).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.audit_count().await, before, "nothing written");

    // Confirm: the tasks exist.
    let r = app.post_fields(&action, Some(&province), &rf).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let detail = app.get(&format!("/documents/{doc_id}"), Some(&province)).await;
    assert!(detail.body.contains("9 nhiệm vụ"), "{}", detail.body);
    assert!(
        !detail.body.contains(&format!("/documents/{doc_id}/review")),
        "reviewed once"
    );
    assert_eq!(
        app.get(&format!("/documents/{doc_id}/review"), Some(&province))
            .await
            .status,
        StatusCode::CONFLICT
    );

    // Commune A sees its two tasks, the overdue one first; commune B sees none of them.
    let tasks_a = app.get("/tasks", Some(&commune_a)).await;
    assert_eq!(tasks_a.status, StatusCode::OK);
    let first = tasks_a.body.find("Tiếp tục tổ chức thực hiện").expect("task 1 listed");
    let second = tasks_a.body.find("Tuyển chọn và gọi công dân").expect("task 2 listed");
    assert!(first < second, "overdue first");
    assert!(tasks_a.body.contains("Quá hạn"));
    assert!(
        !tasks_a.body.contains("Báo cáo kết quả thực hiện Chỉ thị"),
        "PTKV's task not in A's list"
    );
    let tasks_b = app.get("/tasks", Some(&commune_b)).await;
    assert!(!tasks_b.body.contains("Tuyển chọn và gọi công dân"), "{}", tasks_b.body);
    let marker = "href=\"/tasks/";
    let at = tasks_a.body[..second].rfind(marker).unwrap() + marker.len();
    let task_id: i64 = tasks_a.body[at..].split('"').next().unwrap().parse().unwrap();
    assert_eq!(
        app.get(&format!("/tasks/{task_id}"), Some(&commune_b)).await.status,
        StatusCode::NOT_FOUND
    );

    // Commune A reports progress.
    let page = app.get(&format!("/tasks/{task_id}"), Some(&commune_a)).await;
    assert_eq!(page.status, StatusCode::OK);
    let report_action = format!("/tasks/{task_id}/reports");
    let mut report = form_fields(&page.body, &report_action);
    set(&mut report, "percent", "150");
    set(&mut report, "body", "Đã giao 27/45 công dân.");
    let before = app.audit_count().await;
    let r = app.post_fields(&report_action, Some(&commune_a), &report).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("0 đến 100"), "{}", r.body);
    let mut forged = report.clone();
    set(&mut forged, "_csrf", "gia-mao");
    set(&mut forged, "percent", "60");
    assert_eq!(
        app.post_fields(&report_action, Some(&commune_a), &forged).await.status,
        StatusCode::FORBIDDEN
    );
    let mut by_b = forged.clone();
    set(&mut by_b, "_csrf", &commune_b.csrf);
    assert_eq!(
        app.post_fields(&report_action, Some(&commune_b), &by_b).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.audit_count().await, before, "nothing written");
    set(&mut report, "percent", "60");
    set(&mut report, "figures", "27/45");
    let r = app.post_fields(&report_action, Some(&commune_a), &report).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(&format!("/tasks/{task_id}"), Some(&commune_a)).await;
    assert!(
        page.body.contains("Đã giao 27/45 công dân.") && page.body.contains("60%"),
        "{}",
        page.body
    );

    // The province's roll-up.
    let detail = app.get(&format!("/documents/{doc_id}"), Some(&province)).await;
    assert!(detail.body.contains("60%"), "{}", detail.body);
    assert!(detail.body.contains("chưa báo cáo"));
    assert!(detail.body.contains("quá hạn"));
    let unit_a_name = app
        .demo
        .logins
        .iter()
        .find(|l| l.username == "chihuy")
        .unwrap()
        .unit_name
        .clone();
    assert!(detail.body.contains(&unit_a_name));
    // The execution report as DOCX in the Decree 30/2020 layout, read back.
    let report_docx = app
        .get(&format!("/documents/{doc_id}/bao-cao.docx"), Some(&province))
        .await;
    assert_eq!(report_docx.status, StatusCode::OK);
    let tmp = tempfile::Builder::new().suffix(".docx").tempfile().unwrap();
    std::fs::write(tmp.path(), &report_docx.bytes).unwrap();
    let text = phongthu_documents::read_document(tmp.path(), &mut |_| {}).unwrap().text;
    for needle in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "BÁO CÁO",
        "KẾT QUẢ THỰC HIỆN TỪNG NHIỆM VỤ",
        "60%",
        "chưa báo cáo",
    ] {
        assert!(text.contains(needle), "{needle} missing from the report:\n{text}");
    }
    // The leader reads the roll-up and the task, without forms.
    let as_leader = app.get(&format!("/documents/{doc_id}"), Some(&leader)).await;
    assert_eq!(as_leader.status, StatusCode::OK);
    assert!(as_leader.body.contains("60%"));
    let task_page = app.get(&format!("/tasks/{task_id}"), Some(&leader)).await;
    assert_eq!(task_page.status, StatusCode::OK);
    assert!(!task_page.body.contains(&report_action), "no report form for a leader");
    let mut leader_report = report.clone();
    set(&mut leader_report, "_csrf", &leader.csrf);
    assert_eq!(
        app.post_fields(&report_action, Some(&leader), &leader_report)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/documents/new", Some(&leader)).await.status,
        StatusCode::FORBIDDEN
    );
    assert!(app.store.verify_audit().await.unwrap().broken.is_none());
}

async fn multipart_post(app: &App, path: &str, s: &Session, fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> Resp {
    let boundary = "----phongthu-test-boundary";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    for (name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    app.post_multipart(
        path,
        Some(s),
        &format!("multipart/form-data; boundary={boundary}"),
        body,
    )
    .await
}

fn with(fields: &[(String, String)], extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut f = fields.to_vec();
    for (k, v) in extra {
        set(&mut f, k, v);
    }
    f
}

#[tokio::test]
async fn split_merge_edit_cancel_attach_and_copy_the_recurring_tasks() {
    let app = App::new().await;
    let province = app.login("quantri").await;
    let commune_a = app.login("chihuy").await;
    let commune_b = app.login("chihuy.xa2").await;
    let unit_a = app.demo.commune_command_ids[0];
    let ptkv = app.demo.regional_command_id;
    let actor = app
        .store
        .login("quantri", phongthu_store::DEMO_PASSWORD)
        .await
        .unwrap()
        .actor;
    let doc = app
        .store
        .scoped(&actor)
        .register_incoming(
            phongthu_store::NewDocument {
                unit_id: app.demo.province_command_id,
                number_symbol: Some("05-CT/HU".into()),
                title: "Chỉ thị về nhiệm vụ quân sự, quốc phòng năm 2025".into(),
                body_text: Some(String::from_utf8_lossy(SEED_002).into_owned()),
                ..Default::default()
            },
            time::macros::date!(2024 - 12 - 23),
        )
        .await
        .unwrap();
    let action = format!("/documents/{}/review", doc.id);
    let review = app.get(&action, Some(&province)).await;
    let rf = form_fields(&review.body, &action);
    let n = review_rows(&rf);

    // Split row 0 where the person typed "||"; only the form changes.
    let before = app.audit_count().await;
    let r = app
        .post_fields(
            &action,
            Some(&province),
            &with(
                &rf,
                &[
                    ("summary_0", "Rà soát nguồn công dân || tổ chức khám tuyển"),
                    ("action", "split_0"),
                ],
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rf = form_fields(&r.body, &action);
    assert_eq!(review_rows(&rf), n + 1);
    assert_eq!(get_field(&rf, "summary_0"), Some("Rà soát nguồn công dân"));
    assert_eq!(get_field(&rf, "summary_1"), Some("tổ chức khám tuyển"));
    assert_eq!(get_field(&rf, "ordinal_1"), Some("1b"));
    // Without a mark the form comes back with the reason.
    let r = app
        .post_fields(&action, Some(&province), &with(&rf, &[("action", "split_2")]))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("||"), "{}", r.body);
    // Merge rows 2 and 3.
    let s2 = get_field(&rf, "summary_2").unwrap().to_string();
    let s3 = get_field(&rf, "summary_3").unwrap().to_string();
    let r = app
        .post_fields(
            &action,
            Some(&province),
            &with(&rf, &[("merge_2", "1"), ("merge_3", "1"), ("action", "merge")]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut rf = form_fields(&r.body, &action);
    assert_eq!(review_rows(&rf), n);
    assert_eq!(get_field(&rf, "summary_2").unwrap(), format!("{s2} {s3}"));
    assert_eq!(app.audit_count().await, before, "split and merge store nothing");

    // Confirm: row 0 led by commune A, recurring, with an indicator; the rest by the PTKV.
    for i in 0..n {
        set(&mut rf, &format!("lead_{i}"), &ptkv.to_string());
        set(&mut rf, &format!("due_{i}"), "31/12/2025");
    }
    set(&mut rf, "lead_0", &unit_a.to_string());
    set(&mut rf, "recurring_0", "1");
    set(&mut rf, "indicator_0", "first_registration");
    set(&mut rf, "indyear_0", "2025");
    let r = app.post_fields(&action, Some(&province), &rf).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let detail = app.get(&format!("/documents/{}", doc.id), Some(&province)).await;
    assert!(detail.body.contains("Chỉ số đo được"), "{}", detail.body);
    assert!(
        detail.body.contains("chưa có công dân phải đăng ký nào để đo"),
        "{}",
        detail.body
    );
    let tasks = app.store.scoped(&actor).document_tasks(doc.id).await.unwrap();
    let (t0, t1) = (tasks[0].id, tasks[1].id);
    assert!(tasks[0].recurring && tasks[0].indicator.is_some());

    // Only the issuer edits: commune A may not open the form.
    let edit = format!("/tasks/{t0}/edit");
    assert_eq!(app.get(&edit, Some(&commune_a)).await.status, StatusCode::FORBIDDEN);
    let page = app.get(&edit, Some(&province)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let ef = form_fields(&page.body, &edit);
    assert_eq!(get_field(&ef, "lead"), Some(unit_a.to_string().as_str()));
    let r = app
        .post_fields(&edit, Some(&province), &with(&ef, &[("due", "31/02/2025")]))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = app
        .post_fields(
            &edit,
            Some(&province),
            &with(&ef, &[("summary", "Rà soát, đăng ký nguồn công dân nhập ngũ")]),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(&format!("/tasks/{t0}"), Some(&commune_a)).await;
    assert!(page.body.contains("Rà soát, đăng ký nguồn công dân nhập ngũ"));
    assert!(!page.body.contains(&edit), "the lead sees no edit link");

    // Commune A reports with a file; commune B cannot download it.
    let before = app.audit_count().await;
    let r = multipart_post(
        &app,
        &format!("/tasks/{t0}/reports"),
        &commune_a,
        &[
            ("_csrf", &commune_a.csrf),
            ("reported_on", "01/06/2025"),
            ("percent", "40"),
            ("body", "Đã rà soát xong"),
        ],
        &[("bien-ban.txt", "Biên bản rà soát".as_bytes())],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(app.audit_count().await, before + 1);
    let page = app.get(&format!("/tasks/{t0}"), Some(&province)).await;
    let link = format!("/tasks/{t0}/files/");
    let at = page.body.find(&link).expect("file link");
    let file_id: i64 = page.body[at + link.len()..].split('"').next().unwrap().parse().unwrap();
    let file = app.get(&format!("{link}{file_id}"), Some(&province)).await;
    assert_eq!(file.bytes, "Biên bản rà soát".as_bytes());
    assert_eq!(
        app.get(&format!("{link}{file_id}"), Some(&commune_b)).await.status,
        StatusCode::NOT_FOUND
    );
    let forged = multipart_post(
        &app,
        &format!("/tasks/{t0}/reports"),
        &commune_a,
        &[("_csrf", "gia-mao"), ("percent", "50"), ("body", "x")],
        &[("x.txt", b"x")],
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    // Cancel needs a reason.
    let cancel = format!("/tasks/{t1}/cancel");
    let csrf = vec![("_csrf".to_string(), province.csrf.clone())];
    let r = app
        .post_fields(&cancel, Some(&province), &with(&csrf, &[("reason", " ")]))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.post_fields(
            &format!("/tasks/{t0}/cancel"),
            Some(&commune_a),
            &[
                ("_csrf".to_string(), commune_a.csrf.clone()),
                ("reason".to_string(), "x".to_string())
            ]
        )
        .await
        .status,
        StatusCode::FORBIDDEN,
        "the lead unit does not cancel"
    );
    let r = app
        .post_fields(
            &cancel,
            Some(&province),
            &with(&csrf, &[("reason", "Trùng với kế hoạch khác")]),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(&format!("/tasks/{t1}"), Some(&province)).await;
    assert!(page.body.contains("Đã hủy") && page.body.contains("Trùng với kế hoạch khác"));
    assert!(!page.body.contains(&format!("/tasks/{t1}/reports")), "no report form");

    // Copy the recurring tasks of 2025 into 2026, once.
    let page = app.get("/tasks/recurring", Some(&province)).await;
    assert_eq!(page.status, StatusCode::OK);
    let form = vec![
        ("_csrf".to_string(), province.csrf.clone()),
        ("year".to_string(), "2025".to_string()),
    ];
    let r = app.post_fields("/tasks/recurring", Some(&province), &form).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Đã sao chép 1 nhiệm vụ"), "{}", r.body);
    assert!(r.body.contains("31/12/2026"));
    let r = app.post_fields("/tasks/recurring", Some(&province), &form).await;
    assert!(r.body.contains("Đã sao chép 0 nhiệm vụ") && r.body.contains("1 nhiệm vụ đã được sao chép"));
    let r = app
        .post_fields(
            "/tasks/recurring",
            Some(&province),
            &with(&form, &[("year", "năm ngoái")]),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = app
        .post_fields(
            "/tasks/recurring",
            Some(&province),
            &with(&form, &[("_csrf", "gia-mao")]),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(app.store.verify_audit().await.unwrap().broken.is_none());
}
