//! Every failure of a request becomes an [`AppError`]: an HTTP status and one Vietnamese sentence.
//! Pages render it in the site layout; the API answers `{"error": {"status", "message"}}`.

use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use phongthu_store::StoreError;

#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub message: String,
    /// Answer as JSON (API) rather than as a page.
    pub json: bool,
}

impl AppError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> AppError {
        AppError {
            status,
            message: message.into(),
            json: false,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::NOT_FOUND, message)
    }

    pub fn forbidden(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::FORBIDDEN, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::UNAUTHORIZED, message)
    }

    pub fn internal(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    pub fn as_json(mut self) -> AppError {
        self.json = true;
        self
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        let status = match &e {
            StoreError::NotFound(_) => StatusCode::NOT_FOUND,
            StoreError::Forbidden(_) => StatusCode::FORBIDDEN,
            StoreError::Invalid(_) => StatusCode::BAD_REQUEST,
            StoreError::Conflict(_) => StatusCode::CONFLICT,
            StoreError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            StoreError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            StoreError::Config(_) | StoreError::Incompatible(_) | StoreError::Db(_) | StoreError::Sqlite(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        if e.is_busy() {
            tracing::warn!(error = %e, "hết kết nối cơ sở dữ liệu");
            return AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Máy chủ đang bận phục vụ nhiều yêu cầu cùng lúc; thao tác chưa được thực hiện. Hãy thử lại sau ít giây.",
            );
        }
        if status == StatusCode::INTERNAL_SERVER_ERROR || status == StatusCode::SERVICE_UNAVAILABLE {
            tracing::error!(error = %e, "lỗi lưu trữ");
            return AppError::new(status, "Máy chủ gặp lỗi khi truy cập cơ sở dữ liệu; thao tác chưa được thực hiện. Hãy thử lại hoặc báo quản trị hệ thống.");
        }
        AppError::new(status, e.to_string())
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> AppError {
        tracing::error!(error = %e, "lỗi hiển thị trang");
        AppError::internal("Không hiển thị được trang (lỗi mẫu trang).")
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if self.json {
            let body = serde_json::json!({"error": {"status": self.status.as_u16(), "message": self.message}});
            return (self.status, axum::Json(body)).into_response();
        }
        crate::pages::error_page(self.status, &self.message)
    }
}

/// The fallback for unknown paths.
pub async fn not_found(uri: Uri) -> AppError {
    let e = AppError::not_found(format!("Không có trang \"{}\".", uri.path()));
    if uri.path().starts_with("/api/") {
        e.as_json()
    } else {
        e
    }
}
