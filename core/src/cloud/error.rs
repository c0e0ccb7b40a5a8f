//! What can go wrong with the family cloud, sorted by what to do about it, and the two
//! ways of saying it: [`CloudError::plain_message`] for the parent (a plain sentence with
//! what to do next) and `Display` for the log and the saved report (the status, the
//! storage's code, the system's words).

use picup_api as api;
use picup_api::ErrorCode;
use reqwest::StatusCode;

/// What went wrong, sorted by what to do about it.
///
/// Two audiences: [`CloudError::plain_message`] is the sentence a parent reads, with
/// what to do next; `Display` is for the log and the saved report, and may carry the
/// technical detail (a status, the storage's code, the system's or a library's words).
/// Only [`CloudError::Refused`] and [`CloudError::NotFound`] carry words for people,
/// ours or the server's (written for them); [`CloudError::Unreachable`] and
/// [`CloudError::Trouble`] carry detail for the log only.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum CloudError {
    /// The server (or the store) could not be reached, or answered 5xx: try again later.
    /// The detail is for the log.
    #[error("the family cloud could not be reached ({0})")]
    Unreachable(String),
    /// The sign-in is no longer valid: the parent must sign in again.
    #[error("the sign-in has ended (401)")]
    SignedOut,
    /// Wrong email or password.
    #[error("wrong email or password (401 wrong_credentials)")]
    WrongPassword,
    /// The family's space is full.
    #[error("the family cloud is full (413 quota_exceeded)")]
    QuotaFull,
    /// The thing asked about is not on the server (404): the reason in words for people.
    #[error("{0}")]
    NotFound(String),
    /// The upload is no longer open (410): start it again.
    #[error("the upload was closed by the server (410)")]
    UploadGone,
    /// The storage refused an upload address: they last minutes, not hours. The upload
    /// is still open; ask the server for fresh addresses and send what is missing.
    #[error("the storage refused an upload address that ran out (403 AccessDenied)")]
    UploadAddressesExpired,
    /// The request was refused for good, for a reason a parent can act on: the reason
    /// in words for people (the server's own message, or ours).
    #[error("{0}")]
    Refused(String),
    /// Something went wrong that a parent can do nothing about but try again (an answer
    /// that makes no sense, a refusal the storage explains only in codes, this
    /// computer's networking). The detail is for the log.
    #[error("the family cloud's answer could not be used ({0})")]
    Trouble(String),
    /// Not tried: the address is `http://` to another computer, so the password and
    /// photos would travel unprotected, and the parent has not said to go ahead.
    #[error("not tried: the address is http:// to another computer")]
    NotPrivate,
}

/// What the parent reads when the family cloud cannot be reached.
pub const UNREACHABLE: &str = "The family cloud is not answering just now. Check that this \
     computer is connected to the internet, then try again in a minute.";
/// What the parent reads when something went wrong that only trying again can help.
pub const TROUBLE: &str = "Something went wrong with the family cloud. Please try again in a \
     minute; if this keeps happening, use \u{201c}Save a report\u{201d} in Settings.";

impl CloudError {
    /// Worth trying again after a pause.
    pub fn is_transient(&self) -> bool {
        matches!(self, CloudError::Unreachable(_))
    }

    /// The sentence a parent reads: plain words and what to do next, never a status
    /// code, the storage's code or a library's words (those are in `Display`, for the
    /// log).
    pub fn plain_message(&self) -> String {
        match self {
            CloudError::Unreachable(_) => UNREACHABLE.to_owned(),
            CloudError::Trouble(_) => TROUBLE.to_owned(),
            CloudError::SignedOut => {
                "Your sign-in to the family cloud has ended. Please sign in again in Settings."
                    .to_owned()
            }
            CloudError::WrongPassword => "That email and password do not match an account in \
                 this family cloud. Please check them and try again."
                .to_owned(),
            CloudError::QuotaFull => "The family cloud is full. Your photos stay safe on this \
                 computer; ask whoever set up your family cloud for more space."
                .to_owned(),
            CloudError::UploadGone => {
                "Pic-up had to start copying this again. It will do so by itself.".to_owned()
            }
            CloudError::UploadAddressesExpired => {
                "Pic-up is asking the family cloud where to send this again. It will go on \
                 by itself."
                    .to_owned()
            }
            CloudError::NotFound(words) | CloudError::Refused(words) => words.clone(),
            CloudError::NotPrivate => "This address does not start with https://, so your \
                 password and photos would travel unprotected. Ask whoever set up your family \
                 cloud for its https:// address."
                .to_owned(),
        }
    }

    /// True when `Display` carries detail [`CloudError::plain_message`] leaves out (a
    /// status, a code, a library's words): worth logging.
    pub fn has_detail(&self) -> bool {
        matches!(self, CloudError::Unreachable(_) | CloudError::Trouble(_))
    }
}

pub type CloudResult<T> = Result<T, CloudError>;

/// Codes whose message is about how the request was written, not about anything a
/// parent did or can change: for those the parent reads [`TROUBLE`].
fn is_about_the_request(code: &ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::InvalidRequest
            | ErrorCode::MalformedJson
            | ErrorCode::UnsupportedMediaType
            | ErrorCode::RequestTooLarge
            | ErrorCode::InvalidQuery
            | ErrorCode::InvalidCursor
            | ErrorCode::InvalidLimit
            | ErrorCode::MethodNotAllowed
            | ErrorCode::Other(_)
    )
}

/// What a non-success answer means: the status and the server's JSON body, if any.
pub(super) fn sort_failure(status: StatusCode, body: Option<api::ErrorBody>) -> CloudError {
    let detail = match &body {
        Some(body) => format!("{status}, {}: {}", body.error.as_str(), body.message),
        None => format!("{status}, no explanation"),
    };
    let code = body.as_ref().map(|b| b.error.clone());
    let for_people = body
        .filter(|b| !is_about_the_request(&b.error) && !b.message.trim().is_empty())
        .map(|b| b.message);
    match status {
        StatusCode::UNAUTHORIZED if code == Some(ErrorCode::WrongCredentials) => {
            CloudError::WrongPassword
        }
        StatusCode::UNAUTHORIZED => CloudError::SignedOut,
        StatusCode::PAYLOAD_TOO_LARGE if code == Some(ErrorCode::QuotaExceeded) => {
            CloudError::QuotaFull
        }
        StatusCode::NOT_FOUND => CloudError::NotFound(
            for_people.unwrap_or_else(|| "This is no longer in the family cloud.".to_owned()),
        ),
        StatusCode::GONE => CloudError::UploadGone,
        StatusCode::TOO_MANY_REQUESTS | StatusCode::REQUEST_TIMEOUT => {
            CloudError::Unreachable(detail)
        }
        s if s.is_server_error() => CloudError::Unreachable(detail),
        _ => match for_people {
            Some(message) => CloudError::Refused(message),
            None => CloudError::Trouble(detail),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(code: ErrorCode, message: &str) -> Option<api::ErrorBody> {
        Some(api::ErrorBody {
            error: code,
            message: message.to_owned(),
        })
    }

    /// A parent's sentence: starts with a capital, ends with a full stop, and carries no
    /// status, code, "HTTP" or words of a library.
    fn assert_plain(error: &CloudError) {
        let words = error.plain_message();
        let first = words.chars().next().expect("a sentence");
        assert!(first.is_uppercase() || first == '\u{201c}', "{words}");
        assert!(words.ends_with('.'), "{words}");
        for technical in [
            "HTTP",
            "http ",
            "Bad Request",
            "Forbidden",
            "Internal",
            "error",
            "Error",
            "(",
            "_",
            "AccessDenied",
            "reqwest",
            "tcp",
            "os error",
            "refused the file",
            "confirm a part",
        ] {
            assert!(!words.contains(technical), "{technical:?} in {words:?}");
        }
        assert!(
            !words
                .split(|c: char| !c.is_ascii_digit())
                .any(|n| n.len() == 3),
            "a status code in {words:?}"
        );
    }

    #[test]
    fn every_answer_the_cloud_can_give_reads_as_a_plain_sentence() {
        let mut answers = Vec::new();
        for status in [
            400, 401, 403, 404, 405, 408, 409, 410, 413, 415, 422, 429, 500, 502, 503,
        ] {
            let status = StatusCode::from_u16(status).unwrap();
            answers.push(sort_failure(status, None));
            for code in ErrorCode::KNOWN {
                answers.push(sort_failure(status, body(code.clone(), "")));
            }
            answers.push(sort_failure(
                status,
                body(
                    ErrorCode::InvalidRequest,
                    "missing field `size` at line 1 column 2",
                ),
            ));
            answers.push(sort_failure(
                status,
                body(ErrorCode::Other("brand_new".into()), "a new server's words"),
            ));
        }
        for error in &answers {
            assert_plain(error);
        }
    }

    #[test]
    fn every_kind_of_error_has_a_plain_sentence_and_the_log_keeps_the_detail() {
        let every = [
            CloudError::Unreachable("storage answered 503 Service Unavailable SlowDown".into()),
            CloudError::SignedOut,
            CloudError::WrongPassword,
            CloudError::QuotaFull,
            CloudError::NotFound("This is no longer in the family cloud.".into()),
            CloudError::UploadGone,
            CloudError::UploadAddressesExpired,
            CloudError::Refused("Please type your email and password.".into()),
            CloudError::Trouble("storage refused the file: 400 Bad Request BadDigest".into()),
            CloudError::NotPrivate,
        ];
        for error in &every {
            assert_plain(error);
        }
        // The log gets what the parent does not.
        assert!(every[0].to_string().contains("503"));
        assert!(every[8].to_string().contains("400 Bad Request BadDigest"));
        assert_eq!(every[8].plain_message(), TROUBLE);
        assert!(every[8].has_detail() && !every[7].has_detail());
    }

    #[test]
    fn what_the_server_says_for_people_is_kept_and_what_it_says_about_the_request_is_not() {
        let title = sort_failure(
            StatusCode::BAD_REQUEST,
            body(
                ErrorCode::InvalidTitle,
                "An album's name can be at most 200 characters.",
            ),
        );
        assert_eq!(
            title.plain_message(),
            "An album's name can be at most 200 characters."
        );
        let bare = sort_failure(StatusCode::BAD_REQUEST, None);
        assert_eq!(bare.plain_message(), TROUBLE);
        assert!(bare.to_string().contains("400 Bad Request"), "{bare}");
        let json = sort_failure(
            StatusCode::UNPROCESSABLE_ENTITY,
            body(ErrorCode::InvalidRequest, "missing field `size`"),
        );
        assert_eq!(json.plain_message(), TROUBLE);
        assert!(json.to_string().contains("missing field `size`"), "{json}");
        assert_eq!(
            sort_failure(StatusCode::SERVICE_UNAVAILABLE, None).plain_message(),
            UNREACHABLE
        );
        assert_eq!(
            sort_failure(
                StatusCode::PAYLOAD_TOO_LARGE,
                body(ErrorCode::QuotaExceeded, "The family's space is full.")
            ),
            CloudError::QuotaFull
        );
    }

    #[test]
    fn a_connection_nobody_answers_is_told_without_the_library_s_words() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let client =
            super::super::CloudClient::new(&format!("http://127.0.0.1:{port}"), None).unwrap();
        let error = client.me().expect_err("nothing listens there");
        assert!(matches!(error, CloudError::Unreachable(_)), "{error:?}");
        assert_plain(&error);
        let detail = error.to_string();
        assert!(
            detail.contains("no connection") && detail.contains("refused"),
            "the log has the detail: {detail}"
        );
        assert!(
            !detail.contains("127.0.0.1"),
            "no address in the log: {detail}"
        );
    }
}
