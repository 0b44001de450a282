//! The last net under every request: a handler that panics (a bug, a value no check foresaw)
//! answers 500 with the Vietnamese error page (JSON under `/api/`), and the panic is logged with
//! the request's method and path, instead of the connection being dropped without a word. The
//! server goes on answering: the panic unwinds only the one request's task, and no lock is held
//! across it (the store's transactions roll back when dropped).

use crate::error::AppError;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

/// The message of a request that panicked.
pub const PANIC_MESSAGE: &str = "Máy chủ gặp lỗi không lường trước khi xử lý yêu cầu này; thao tác chưa được \
     thực hiện. Lỗi đã được ghi lại: hãy thử lại, và báo quản trị hệ thống nếu lỗi lặp lại.";

/// A future whose panics while polled are caught and returned as `Err(payload)`.
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        // Unwind safety: after a panic the inner future is never polled again (it is dropped with
        // this one), so no broken state of it can be observed.
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(payload) => Poll::Ready(Err(payload)),
        }
    }
}

fn payload_text(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "(không rõ nội dung)"
    }
}

/// The answer to a request that panicked: the error page, or the API's JSON error.
pub fn panicked(path: &str) -> Response {
    let e = AppError::new(StatusCode::INTERNAL_SERVER_ERROR, PANIC_MESSAGE);
    if path.starts_with("/api/") {
        e.as_json().into_response()
    } else {
        e.into_response()
    }
}

/// Runs the request, turning a panic into [`panicked`]'s answer and an error in the log.
pub async fn catch(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    match CatchUnwind(Box::pin(next.run(req))).await {
        Ok(res) => res,
        Err(payload) => {
            tracing::error!(%method, path, panic = payload_text(payload.as_ref()), "yêu cầu bị lỗi hoảng (panic)");
            panicked(&path)
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

    async fn boom() -> &'static str {
        panic!("hỏng")
    }

    async fn boom_formatted() -> &'static str {
        panic!("{}", String::from("hỏng"))
    }

    fn app() -> Router {
        Router::new()
            .route("/boom", get(boom))
            .route("/api/v1/boom", get(boom_formatted))
            .route("/ok", get(|| async { "xong" }))
            .layer(axum::middleware::from_fn(catch))
    }

    async fn call(app: Router, path: &str) -> (StatusCode, String, String) {
        let res = app
            .oneshot(axum::http::Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let ct = res
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
        (status, ct, body)
    }

    #[tokio::test]
    async fn a_panic_is_a_vietnamese_500_and_the_next_request_is_served() {
        let app = app();
        let (status, ct, body) = call(app.clone(), "/boom").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(ct.starts_with("text/html"), "{ct}");
        assert!(body.contains("lỗi không lường trước"), "{body}");
        let (status, ct, body) = call(app.clone(), "/api/v1/boom").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(ct.starts_with("application/json"), "{ct}");
        assert!(
            body.contains("\"status\":500") && body.contains("lỗi không lường trước"),
            "{body}"
        );
        assert_eq!(call(app, "/ok").await.0, StatusCode::OK);
    }
}
