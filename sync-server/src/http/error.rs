//! How a [`ServiceError`] is answered: a status, a stable code and the plain message,
//! as `{"error": code, "message": …}`. Failures of the database or the store are logged
//! here with their detail; the answer carries none of it.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use picup_api::{ErrorBody, ErrorCode};

use crate::error::ServiceError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
    retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> ApiError {
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
            ServiceError::NotFound(_) => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            // What is asked for cannot be read as asked (a cursor, a page size, the
            // number of items named), rather than a value that is refused.
            ServiceError::Invalid { code, .. }
                if matches!(
                    code,
                    ErrorCode::InvalidCursor | ErrorCode::InvalidLimit | ErrorCode::InvalidRequest
                ) =>
            {
                (StatusCode::BAD_REQUEST, code.clone())
            }
            ServiceError::Invalid { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, code.clone()),
            ServiceError::Unauthenticated => (StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated),
            ServiceError::WrongCredentials => {
                (StatusCode::UNAUTHORIZED, ErrorCode::WrongCredentials)
            }
            ServiceError::TooManyAttempts { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, ErrorCode::TooManyAttempts)
            }
            ServiceError::Busy { .. } => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Busy),
            ServiceError::QuotaExceeded { .. } => {
                (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::QuotaExceeded)
            }
            ServiceError::UploadIncomplete(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::UploadIncomplete,
            ),
            ServiceError::UploadGone => (StatusCode::GONE, ErrorCode::UploadGone),
            ServiceError::Conflict(_) => (StatusCode::CONFLICT, ErrorCode::Conflict),
            ServiceError::AddingNotAllowed => (StatusCode::FORBIDDEN, ErrorCode::AddingNotAllowed),
            ServiceError::CommentsNotAllowed => {
                (StatusCode::FORBIDDEN, ErrorCode::CommentsNotAllowed)
            }
            ServiceError::NotYours => (StatusCode::FORBIDDEN, ErrorCode::NotYours),
            ServiceError::ResponsesLimit { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, ErrorCode::TooManyRequests)
            }
            ServiceError::PasswordNeeded => (StatusCode::UNAUTHORIZED, ErrorCode::PasswordNeeded),
            ServiceError::LinkLimit { .. } | ServiceError::MailLimit { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, ErrorCode::TooManyRequests)
            }
            ServiceError::MailNotSetUp => (StatusCode::CONFLICT, ErrorCode::MailNotSetUp),
            ServiceError::AlbumFull => (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::QuotaExceeded),
            ServiceError::Database(e) => {
                tracing::error!(error = %e, "database failure");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::DatabaseUnavailable,
                )
            }
            ServiceError::Store(e) => {
                tracing::error!(error = %e, "object store failure");
                (StatusCode::BAD_GATEWAY, ErrorCode::StorageUnavailable)
            }
        };
        let retry_after_secs = match error {
            ServiceError::TooManyAttempts {
                retry_after_secs, ..
            }
            | ServiceError::Busy { retry_after_secs }
            | ServiceError::LinkLimit { retry_after_secs }
            | ServiceError::MailLimit { retry_after_secs }
            | ServiceError::ResponsesLimit {
                retry_after_secs, ..
            } => Some(retry_after_secs),
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
                error: self.code,
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
