//! Bad values through the router never panic: page numbers of any size or sign on every paged
//! list, dates past the accepted range; and a request that does panic answers the Vietnamese 500
//! page while the server goes on serving.

mod support;

use axum::http::StatusCode;
use axum::routing::get;
use support::*;

/// Every paged list (page numbers, the audit's keyset `before`, the API's `limit`): huge,
/// negative, zero and non-numeric values answer 200 or a Vietnamese 400, never a 500 or a panic
/// (a panic here would fail the test: the harness calls the router directly).
#[tokio::test]
async fn page_parameters_of_any_size_never_overflow() {
    let app = App::new().await;
    let admin = app.login("quantri").await;
    let inspector = app.login("thanhtra").await;
    let values = [
        "9223372036854775807",
        "9223372036854775808",
        "99999999999999999999999999",
        "-9223372036854775808",
        "-1",
        "0",
        "1",
        "2",
        "abc",
        "1e9",
        "%00",
    ];
    let lists: [(&str, &str, &Session); 7] = [
        ("/citizens", "page", &admin),
        ("/citizens?q=nguyen", "page", &admin),
        ("/documents", "page", &admin),
        ("/documents?q=tuyen+quan", "page", &admin),
        ("/audit", "before", &inspector),
        ("/api/v1/audit", "before", &inspector),
        ("/api/v1/audit", "limit", &inspector),
    ];
    for (path, param, who) in lists {
        for v in values {
            let sep = if path.contains('?') { '&' } else { '?' };
            let url = format!("{path}{sep}{param}={v}");
            let r = app.get(&url, Some(who)).await;
            assert!(
                r.status == StatusCode::OK || r.status == StatusCode::BAD_REQUEST,
                "{url}: {} {}",
                r.status,
                r.body
            );
            if r.status == StatusCode::BAD_REQUEST {
                assert!(
                    r.body.contains("không hợp lệ"),
                    "{url}: a 400 says what is wrong in Vietnamese: {}",
                    r.body
                );
            }
        }
    }
    // The territory API's limit, through its bound.
    for v in ["18446744073709551615", "99999999999999999999999", "-1", "0", "x"] {
        let url = format!("/api/v1/territory/units?limit={v}");
        let r = app.get(&url, Some(&admin)).await;
        assert!(
            r.status == StatusCode::OK || r.status == StatusCode::BAD_REQUEST,
            "{url}: {} {}",
            r.status,
            r.body
        );
    }
    // A huge page is the last page there can be: an empty list, with a link back.
    let r = app.get("/citizens?page=9223372036854775807", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("page=999999"), "{}", r.body);
    // Zero or negative is the first page; text is a clear 400.
    let first = app.get("/citizens", Some(&admin)).await;
    let zero = app.get("/citizens?page=0", Some(&admin)).await;
    let negative = app.get("/documents?page=-5", Some(&admin)).await;
    assert_eq!((zero.status, negative.status), (StatusCode::OK, StatusCode::OK));
    assert_eq!(
        first.body.matches("/citizens/").count(),
        zero.body.matches("/citizens/").count()
    );
    let r = app.get("/documents?page=abc", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("Số trang"), "{}", r.body);
}

/// A date past 31/12/2100 (the calendar would accept 31/12/9999, and the periods computed from it
/// would leave it) is refused with the accepted range in the message.
#[tokio::test]
async fn dates_outside_the_accepted_range_are_refused() {
    let app = App::new().await;
    let admin = app.login("quantri").await;
    for d in ["9999-12-31", "31/12/9999", "01/01/1899"] {
        let r = app.get(&format!("/api/v1/territory/units?on={d}"), Some(&admin)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{d}: {}", r.body);
        assert!(
            r.body.contains("01/01/1900") && r.body.contains("31/12/2100"),
            "{d}: {}",
            r.body
        );
    }
    let r = app.get("/api/v1/territory/units?on=31/12/2100", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

/// A handler that panics, under exactly the production layers (`harden`) in front of the whole
/// application, on a real socket: the panicking request gets the Vietnamese 500 page with the
/// security headers, and the same server (and connection) answers the next requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_answers_the_error_page_and_the_server_goes_on() {
    let app = App::new().await;
    let router = phongthu_web::harden(
        axum::Router::new()
            .route("/thu-loi", get(out_of_bounds))
            .route("/api/v1/thu-loi", get(api_panic))
            .fallback_service(app.router.clone()),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    for round in 0..2 {
        let (status, head, body) = http_get(&mut conn, "/thu-loi").await;
        assert_eq!(status, 500, "round {round}: {head}\n{body}");
        assert!(head.to_ascii_lowercase().contains("content-type: text/html"), "{head}");
        assert!(head.to_ascii_lowercase().contains("content-security-policy"), "{head}");
        assert!(body.contains(phongthu_web::PANIC_MESSAGE), "{body}");
        let (status, head, body) = http_get(&mut conn, "/api/v1/thu-loi").await;
        assert_eq!(status, 500, "{head}\n{body}");
        assert!(head.to_ascii_lowercase().contains("application/json"), "{head}");
        assert!(body.contains("\"status\":500"), "{body}");
        // The same connection, then the real application behind it.
        let (status, _, body) = http_get(&mut conn, "/login").await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("Đăng nhập"), "{body}");
    }
    server.abort();
}

async fn api_panic() -> &'static str {
    panic!("{}", "lỗi thử")
}

/// An index out of bounds, as a bug would have it.
async fn out_of_bounds() -> String {
    let v: Vec<u8> = std::hint::black_box(Vec::new());
    v[0].to_string()
}

/// One GET on a kept-alive HTTP/1.1 connection: (status, head, body). The body is read by its
/// Content-Length or, chunked, to its last chunk.
async fn http_get(conn: &mut tokio::net::TcpStream, path: &str) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    conn.write_all(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = conn.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed before the answer's head");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    let lower = head.to_ascii_lowercase();
    let length = lower
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse::<usize>().unwrap());
    let mut body = buf[head_end..].to_vec();
    match length {
        Some(len) => {
            while body.len() < len {
                let n = conn.read(&mut chunk).await.unwrap();
                assert!(n > 0, "connection closed mid-body");
                body.extend_from_slice(&chunk[..n]);
            }
        }
        None => {
            // Chunked: read to the terminating chunk, then decode.
            while !body.ends_with(b"0\r\n\r\n") {
                let n = conn.read(&mut chunk).await.unwrap();
                assert!(n > 0, "connection closed mid-body");
                body.extend_from_slice(&chunk[..n]);
            }
            let mut out = Vec::new();
            let mut rest = &body[..];
            loop {
                let line_end = rest.windows(2).position(|w| w == b"\r\n").unwrap();
                let size = usize::from_str_radix(std::str::from_utf8(&rest[..line_end]).unwrap().trim(), 16).unwrap();
                rest = &rest[line_end + 2..];
                if size == 0 {
                    break;
                }
                out.extend_from_slice(&rest[..size]);
                rest = &rest[size + 2..];
            }
            body = out;
        }
    }
    (status, head, String::from_utf8_lossy(&body).into_owned())
}
