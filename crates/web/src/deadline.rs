//! The request deadline: a request still unanswered after [`REQUEST_DEADLINE`] is abandoned (its
//! queries are dropped with it, which returns their connections to the pool) and the user gets a
//! Vietnamese sentence with 503 and `Retry-After`, instead of a request that holds a connection
//! for minutes or a bare "pool timed out".

use crate::error::AppError;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Duration;

/// How long a request may run. Pages answer in well under a second; long work (imports, large
/// document batches) runs as background jobs whose pages answer at once.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(30);

/// The answer to a request past its deadline.
pub fn overdue(path: &str, deadline: Duration) -> Response {
    let e = AppError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        format!(
            "Máy chủ đang quá tải: yêu cầu không xong trong {} giây nên đã được dừng, không có gì bị thay đổi \
             nếu đó là một thao tác ghi chưa hoàn tất. Hãy thử lại sau ít phút.",
            deadline.as_secs().max(1)
        ),
    );
    let mut res = if path.starts_with("/api/") {
        e.as_json().into_response()
    } else {
        e.into_response()
    };
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
    res
}

/// Runs the request under `deadline`.
pub async fn enforce(deadline: Duration, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    match tokio::time::timeout(deadline, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            tracing::warn!(path, "yêu cầu quá thời hạn");
            overdue(&path, deadline)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use axum::Router;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    fn app(deadline: Duration) -> Router {
        Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "xong"
                }),
            )
            .route(
                "/api/v1/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "xong"
                }),
            )
            .route("/fast", get(|| async { "xong" }))
            .layer(axum::middleware::from_fn(move |req, next| enforce(deadline, req, next)))
    }

    async fn call(app: Router, path: &str) -> (StatusCode, Option<String>, String) {
        let res = app
            .oneshot(axum::http::Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let retry = res
            .headers()
            .get(header::RETRY_AFTER)
            .map(|v| v.to_str().unwrap().to_string());
        let body = res.into_body().collect().await.unwrap().to_bytes();
        (status, retry, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn a_request_past_its_deadline_gets_a_vietnamese_503() {
        let d = Duration::from_millis(50);
        let (status, retry, body) = call(app(d), "/slow").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(retry.as_deref(), Some("30"));
        assert!(body.contains("Máy chủ đang quá tải"), "{body}");
        assert!(!body.contains("pool timed out"));
        let (status, _, body) = call(app(d), "/api/v1/slow").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["error"]["status"], 503);
        assert!(v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("không xong trong 1 giây"));
        let (status, _, body) = call(app(d), "/fast").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, "xong");
    }
}
