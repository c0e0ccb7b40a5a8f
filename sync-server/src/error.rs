//! What can go wrong in the server's rules, in words a person can read. The HTTP layer
//! maps each case to a status and a stable code (`http::error`); nothing here knows HTTP.

use picup_api::ErrorCode;

use crate::db::DbError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// An unknown id, or one that belongs to someone else: the answer is the same.
    #[error("{0}")]
    NotFound(&'static str),
    /// The request is well-formed JSON but asks for something that cannot be.
    #[error("{message}")]
    Invalid { code: ErrorCode, message: String },
    #[error("You are not signed in, or your sign-in has ended. Please sign in again.")]
    Unauthenticated,
    #[error("That email and password do not match an account.")]
    WrongCredentials,
    #[error("Too many sign-in attempts. Please wait {minutes} minutes and try again.")]
    TooManyAttempts { minutes: u64, retry_after_secs: u64 },
    /// Too much costly work (password checks) is under way; come back shortly.
    #[error("The server is busy right now. Please try again in a moment.")]
    Busy { retry_after_secs: u64 },
    #[error(
        "There is not enough storage space left: this needs {needed} bytes and {available} \
         bytes are free."
    )]
    QuotaExceeded { needed: i64, available: i64 },
    /// The client said it finished uploading, but the objects do not match.
    #[error("{0}")]
    UploadIncomplete(String),
    #[error("This upload was cancelled or ran out of time. Start it again.")]
    UploadGone,
    #[error("{0}")]
    Conflict(String),
    /// Someone with an album link tried to add photos, and the link does not allow it.
    #[error("This album link does not let you add photos.")]
    AddingNotAllowed,
    /// An album link has had its fill of additions for today.
    #[error("Many photos have been added to this album today. Please add more tomorrow.")]
    LinkLimit { retry_after_secs: u64 },
    /// Someone with an album link tried to give a heart or write a comment, and the
    /// link does not let the family respond.
    #[error("This album link does not let you give hearts or write comments.")]
    CommentsNotAllowed,
    /// A browser tried to delete a comment another browser wrote.
    #[error("Only the person who wrote this comment can delete it.")]
    NotYours,
    /// A link's or a network's hearts or comments for today are spent.
    #[error("{message}")]
    ResponsesLimit {
        message: &'static str,
        retry_after_secs: u64,
    },
    /// Too many confirmation e-mails were asked for one address, or through one link.
    #[error("Many e-mails have been asked for today. Please try again tomorrow.")]
    MailLimit { retry_after_secs: u64 },
    /// An e-mail digest was switched on, and this server sends no e-mail.
    #[error(
        "This cloud does not send e-mail yet. Whoever runs it can set it up (smtp_url in \
         its settings)."
    )]
    MailNotSetUp,
    /// The album link asks for a password this browser has not given.
    #[error("This album asks for a password. Open the link again and type it.")]
    PasswordNeeded,
    /// What the family adds would not fit in the owner's space.
    #[error("This album is full right now. Ask the person who shared it to make space.")]
    AlbumFull,
    #[error("The server's database is not available right now.")]
    Database(#[from] DbError),
    #[error("The server's storage is not available right now.")]
    Store(#[from] StoreError),
}

impl ServiceError {
    pub fn invalid(code: ErrorCode, message: impl Into<String>) -> ServiceError {
        ServiceError::Invalid {
            code,
            message: message.into(),
        }
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;
