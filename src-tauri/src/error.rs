//! The one place where what went wrong becomes words for the page. Each of `picup-core`'s
//! error types has its own conversion into a [`CommandError`]: a sentence a parent can
//! read, and for the few errors the page answers with a question, their [`ErrorKind`].
//! Technical detail (SQLite's, the system's) goes to the log, which redacts it, and
//! never to the page.

use picup_core::cloud::responses::ResponsesError;
use picup_core::cloud::restore::RestoreError;
use picup_core::cloud::{CloudError, KeyringError};
use picup_core::diagnostics::{self, DiagnosticsError};
use picup_core::import::ImportError;
use picup_core::{IndexError, LibraryError, SessionError};
use serde::Serialize;

/// An error for the page: one plain sentence, never a debug string, and for the few
/// errors the page answers with a question rather than only shows, what kind it is.
#[derive(Debug, Serialize)]
pub struct CommandError {
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<ErrorKind>,
}

/// The errors the page does something about besides showing the sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Signing in was not tried because the address is not private: the page asks
    /// whether to sign in anyway.
    NotPrivate,
}

pub type CommandResult<T> = Result<T, CommandError>;

/// Shown when the library's database fails: what it says is for us, not the parent.
const LIBRARY_TROUBLE: &str = "Pic-up could not read or change its list of your photos just \
     now. Please try again in a moment.";

impl CommandError {
    /// A sentence written for the page.
    pub fn new(message: impl Into<String>) -> Self {
        CommandError {
            message: message.into(),
            kind: None,
        }
    }

    /// `message` for the page; `detail`, which may be technical, for the log only.
    pub fn logged(message: &str, detail: impl std::fmt::Display) -> Self {
        diagnostics::problem(&format!("{message} ({detail})"));
        CommandError::new(message)
    }
}

/// Runs `work` off the window's thread (it reads files or waits on the network). If it
/// ends without an answer (a panic, which the crash hook has logged), the page gets
/// `if_it_stops`.
pub async fn off_the_window_thread<T: Send + 'static>(
    if_it_stops: &str,
    work: impl FnOnce() -> CommandResult<T> + Send + 'static,
) -> CommandResult<T> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|_| CommandError::new(if_it_stops))?
}

impl From<IndexError> for CommandError {
    fn from(error: IndexError) -> Self {
        match error {
            IndexError::Sqlite(_) => CommandError::logged(LIBRARY_TROUBLE, error),
            IndexError::TooNew { .. } => CommandError::logged(
                "Your photos were last opened by a newer Pic-up. Please update Pic-up to open them.",
                error,
            ),
            IndexError::NoSuchAlbum(_) => CommandError::new("This album is no longer in Pic-up."),
            // Written for parents already.
            IndexError::EmptyTitle
            | IndexError::NotInAlbum { .. }
            | IndexError::NoSuchTrashEntry(_) => CommandError::new(error.to_string()),
            IndexError::BadTrashEntry(_) => CommandError::logged(LIBRARY_TROUBLE, error),
        }
    }
}

impl From<LibraryError> for CommandError {
    fn from(error: LibraryError) -> Self {
        match error {
            LibraryError::Index(error) => error.into(),
            LibraryError::NoHomeDirectory | LibraryError::CreateFolder { .. } => {
                CommandError::logged(
                    "Pic-up could not make its own folder on this computer.",
                    error,
                )
            }
        }
    }
}

impl From<ImportError> for CommandError {
    fn from(error: ImportError) -> Self {
        match error {
            ImportError::Index(error) => error.into(),
        }
    }
}

impl From<SessionError> for CommandError {
    fn from(error: SessionError) -> Self {
        match error {
            SessionError::Import(error) => error.into(),
            SessionError::Index(error) => error.into(),
            SessionError::Restore(error) => error.into(),
            // Written for parents already; the page recognises `AlreadyImporting`'s.
            SessionError::NothingToImport
            | SessionError::NoSuchPath(_)
            | SessionError::AlreadyImporting
            | SessionError::BusyImporting
            | SessionError::NoSuchItem(_) => CommandError::new(error.to_string()),
        }
    }
}

impl From<RestoreError> for CommandError {
    fn from(error: RestoreError) -> Self {
        match error {
            RestoreError::Cloud(error) => error.into(),
            RestoreError::Index(error) => error.into(),
            // The disk's words and the album's id are for the log.
            RestoreError::Disk(_) | RestoreError::NoSuchAlbum(_) => {
                CommandError::logged(&error.plain_message(), &error)
            }
        }
    }
}

impl From<ResponsesError> for CommandError {
    fn from(error: ResponsesError) -> Self {
        match error {
            ResponsesError::Cloud(error) => error.into(),
            ResponsesError::Index(error) => error.into(),
        }
    }
}

impl From<CloudError> for CommandError {
    fn from(error: CloudError) -> Self {
        // The page gets the plain sentence; what it leaves out (a status, the storage's
        // code, the network library's words) goes to the log.
        if error.has_detail() {
            diagnostics::problem(&format!("The family cloud: {error}"));
        }
        let kind = matches!(error, CloudError::NotPrivate).then_some(ErrorKind::NotPrivate);
        CommandError {
            message: error.plain_message(),
            kind,
        }
    }
}

impl From<KeyringError> for CommandError {
    fn from(error: KeyringError) -> Self {
        match &error {
            KeyringError::Unavailable(detail) => {
                diagnostics::problem(&format!("The keyring could not be used: {detail}"));
                CommandError::new(error.to_string())
            }
        }
    }
}

impl From<DiagnosticsError> for CommandError {
    fn from(error: DiagnosticsError) -> Self {
        match &error {
            DiagnosticsError::SaveReport { folder, .. } => CommandError::logged(
                &format!("The report could not be saved in {}.", folder.display()),
                error,
            ),
            DiagnosticsError::LogFolder { .. } | DiagnosticsError::LogFile { .. } => {
                CommandError::logged("Pic-up could not write its log.", error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_failure_reaches_the_page_as_plain_words_and_the_log_keeps_the_detail() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("logs");
        diagnostics::start_log(&logs).unwrap();
        let library = picup_core::Library::open(dir.path().join("library")).unwrap();
        // A real failure: the index file replaced by bytes that are not a database.
        let index = library.index_path();
        std::fs::remove_file(&index).unwrap();
        let _ = std::fs::remove_file(index.with_extension("sqlite3-wal"));
        let _ = std::fs::remove_file(index.with_extension("sqlite3-shm"));
        std::fs::write(&index, vec![b'x'; 8192]).unwrap();
        let failure = library
            .index()
            .and_then(|index| index.albums())
            .expect_err("a file that is not a database cannot be read");
        let technical = failure.to_string();
        assert!(technical.contains("not a database"), "{technical}");

        let page = serde_json::to_value(CommandError::from(failure)).unwrap();
        assert_eq!(
            page,
            serde_json::json!({ "message": LIBRARY_TROUBLE }),
            "the page gets one plain sentence and no kind"
        );
        let log = std::fs::read_to_string(logs.join("pic-up.log")).unwrap();
        assert!(log.contains("not a database"), "{log}");

        // The same with the family cloud: a refusal in codes (one log, so one test).
        let refused =
            CloudError::Trouble("storage refused the file: 400 Bad Request BadDigest".into());
        let page = serde_json::to_value(CommandError::from(refused)).unwrap();
        let message = page["message"].as_str().unwrap();
        assert_eq!(message, picup_core::cloud::error::TROUBLE);
        assert!(
            !message.contains("400") && !message.contains("Bad"),
            "{message}"
        );
        let log = std::fs::read_to_string(logs.join("pic-up.log")).unwrap();
        assert!(log.contains("400 Bad Request BadDigest"), "{log}");
    }

    #[test]
    fn only_an_address_that_is_not_private_is_of_a_kind_the_page_asks_about() {
        let page = serde_json::to_value(CommandError::from(CloudError::NotPrivate)).unwrap();
        assert_eq!(page["kind"], "not_private");
        assert_eq!(page["message"], CloudError::NotPrivate.plain_message());
        let page = serde_json::to_value(CommandError::from(CloudError::QuotaFull)).unwrap();
        assert_eq!(
            page,
            serde_json::json!({ "message": CloudError::QuotaFull.plain_message() })
        );
    }
}
