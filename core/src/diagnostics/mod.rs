//! What Pic-up writes down so a parent can send us a report after a problem: the log
//! file, crash records and the "Help → Save a report" text, all with secrets removed.
//!
//! - `log`: the process-wide log file `pic-up.log`, rotated at 1 MiB.
//! - `redact`: finds and hides passwords, tokens, signed URLs, share links, email
//!   addresses and the home folder in free text.
//! - `crash`: a panic hook that records each crash in the log and in its own file.
//! - `report`: puts the header, the shell's sections, the log tail and the crash
//!   records into one redacted text and saves it without overwriting.
//!
//! Everything written passes through the redactor; the report is redacted again as a
//! whole, so a secret that reached a file some other way is still not sent.

mod crash;
mod log;
mod redact;
mod report;

use std::path::PathBuf;

pub use crash::{crash_records, record_crashes};
pub use log::{hide_from_log, info, log_dir, problem, start_log};
pub use redact::{Redaction, redact, redact_with};
pub use report::{Report, reports_folder, save_report};

/// Why the log could not be started or a report not saved, in words a parent can read.
#[derive(Debug, thiserror::Error)]
pub enum DiagnosticsError {
    #[error("Pic-up could not create the folder for its log ({path}): {source}")]
    LogFolder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("Pic-up could not open its log file {path}: {source}")]
    LogFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("The report could not be saved in {folder}: {source}")]
    SaveReport {
        folder: PathBuf,
        source: std::io::Error,
    },
}
