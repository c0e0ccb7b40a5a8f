//! The stable machine codes of error answers (`ErrorBody::error`).
//!
//! Both sides match on [`ErrorCode`], never on strings. A code this build does not know
//! (from a newer server) still parses, as [`ErrorCode::Other`], so an older app shows
//! the answer's message instead of failing to read it.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $word:literal,)+) => {
        /// Why a request failed, as a word a program can match on.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)+
            /// A code this build does not know yet, kept as sent.
            Other(String),
        }

        impl ErrorCode {
            /// Every code this build knows, for tests and documentation.
            pub const KNOWN: &'static [ErrorCode] = &[$(ErrorCode::$variant,)+];

            /// The word on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(ErrorCode::$variant => $word,)+
                    ErrorCode::Other(word) => word,
                }
            }

            /// Reads a word from the wire; never fails.
            pub fn parse(word: &str) -> ErrorCode {
                match word {
                    $($word => ErrorCode::$variant,)+
                    other => ErrorCode::Other(other.to_owned()),
                }
            }
        }
    };
}

error_codes! {
    // The request itself.
    /// The body is not the JSON the endpoint takes (a field missing or of the wrong type).
    InvalidRequest = "invalid_request",
    /// The body is not JSON at all.
    MalformedJson = "malformed_json",
    /// A JSON body came without `Content-Type: application/json`.
    UnsupportedMediaType = "unsupported_media_type",
    /// The body is larger than the endpoint accepts.
    RequestTooLarge = "request_too_large",
    /// The query string cannot be read.
    InvalidQuery = "invalid_query",
    InvalidCursor = "invalid_cursor",
    InvalidLimit = "invalid_limit",
    InvalidTitle = "invalid_title",
    InvalidFileName = "invalid_file_name",
    InvalidUpload = "invalid_upload",
    InvalidExpiry = "invalid_expiry",
    InvalidEmail = "invalid_email",
    InvalidDeviceName = "invalid_device_name",
    /// A name (a family member's when adding photos, or an account's display name) is
    /// empty or too long, or hides text.
    InvalidName = "invalid_name",
    /// A comment's text is empty, too long or holds control characters.
    InvalidComment = "invalid_comment",
    InvalidQuota = "invalid_quota",
    WeakPassword = "weak_password",
    /// An uploaded object's bytes are not a photo or video the server keeps.
    UnsupportedMedia = "unsupported_media",
    NotFound = "not_found",
    MethodNotAllowed = "method_not_allowed",
    /// The thing exists but is in a state that does not allow this.
    Conflict = "conflict",
    // Who is asking.
    Unauthenticated = "unauthenticated",
    WrongCredentials = "wrong_credentials",
    TooManyAttempts = "too_many_attempts",
    TooManyRequests = "too_many_requests",
    /// A share link that has expired or was stopped.
    LinkClosed = "link_closed",
    /// The album link does not let the family add photos.
    AddingNotAllowed = "adding_not_allowed",
    /// The album link asks for a password, and this browser has not given it (or the
    /// owner changed it since).
    PasswordNeeded = "password_needed",
    /// The album link does not let the family give hearts or write comments.
    CommentsNotAllowed = "comments_not_allowed",
    /// The comment was written from another browser: only its writer (or the album's
    /// owner) may delete it.
    NotYours = "not_yours",
    // Space and uploads.
    QuotaExceeded = "quota_exceeded",
    UploadIncomplete = "upload_incomplete",
    UploadGone = "upload_gone",
    // E-mail.
    /// The server sends no e-mail (no `smtp_url`), so an e-mail digest cannot be switched on.
    MailNotSetUp = "mail_not_set_up",
    // The server.
    Busy = "busy",
    DatabaseUnavailable = "database_unavailable",
    StorageUnavailable = "storage_unavailable",
    Internal = "internal",
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let word = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Ok(ErrorCode::parse(&word))
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for ErrorCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(ErrorCode::KNOWN.iter().map(|code| code.as_str())))
            .description(Some(
                "Stable code; a client treats one it does not know like any other failure.",
            ))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for ErrorCode {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_code_round_trips_and_words_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::KNOWN {
            assert!(seen.insert(code.as_str()), "{code} twice");
            let json = serde_json::to_string(code).unwrap();
            assert_eq!(&serde_json::from_str::<ErrorCode>(&json).unwrap(), code);
        }
    }

    #[test]
    fn a_code_from_a_newer_server_still_parses() {
        let code: ErrorCode = serde_json::from_str("\"album_frozen\"").unwrap();
        assert_eq!(code, ErrorCode::Other("album_frozen".into()));
        assert_eq!(serde_json::to_string(&code).unwrap(), "\"album_frozen\"");
    }
}
