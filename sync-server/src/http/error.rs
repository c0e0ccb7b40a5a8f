//! How a [`ServiceError`] is answered: a status, a stable code and the plain message,
//! as `{"error": code, "message": …}`. Failures of the database or the store are logged
//! here with their detail; the answer carries none of it.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use picup_api::ErrorBody;

use crate::error::ServiceError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after_secs: None,
        }
    }

    /// Tells the client when to come back (`Retry-After`, in seconds).
    pub fn retry_after(mut self, secs: u64) -> ApiError {
        self.retry_after_secs = Some(secs);
        self
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> ApiError {
        let message = error.to_string();
        let (status, code) = match &error {
            ServiceError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ServiceError::Invalid { code, .. }
                if matches!(*code, "invalid_cursor" | "invalid_limit") =>
            {
                (StatusCode::BAD_REQUEST, *code)
            }
            ServiceError::Invalid { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, *code),
            ServiceError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            ServiceError::WrongCredentials => (StatusCode::UNAUTHORIZED, "wrong_credentials"),
            ServiceError::TooManyAttempts { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts")
            }
            ServiceError::Busy { .. } => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            ServiceError::QuotaExceeded { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "quota_exceeded"),
            ServiceError::UploadIncomplete(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "upload_incomplete")
            }
            ServiceError::UploadGone => (StatusCode::GONE, "upload_gone"),
            ServiceError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ServiceError::Database(e) => {
                tracing::error!(error = %e, "database failure");
                (StatusCode::SERVICE_UNAVAILABLE, "database_unavailable")
            }
            ServiceError::Store(e) => {
                tracing::error!(error = %e, "object store failure");
                (StatusCode::BAD_GATEWAY, "storage_unavailable")
            }
        };
        let retry_after_secs = match error {
            ServiceError::TooManyAttempts {
                retry_after_secs, ..
            }
            | ServiceError::Busy { retry_after_secs } => Some(retry_after_secs),
            _ => None,
        };
        ApiError {
            status,
            code,
            message,
            retry_after_secs,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(ErrorBody {
                error: self.code.to_owned(),
                message: self.message,
            }),
        )
            .into_response();
        if let Some(secs) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
