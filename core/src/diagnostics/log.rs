//! The app's log file, `pic-up.log` in the folder given to [`start_log`]: one line per
//! event, redacted before it is written, so what a parent sends us holds no secrets.
//!
//! The file is rotated at 1 MiB (the previous one kept as `pic-up.old.log`), so the
//! log never grows without bound. Logging never fails loudly: a line that cannot be
//! written is dropped, because a full disk must not also break the app.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::Utc;

use super::DiagnosticsError;
use super::redact::{Redaction, home_folder, redact_with};

/// The live log file's name.
pub const LOG_FILE_NAME: &str = "pic-up.log";
/// The previous log file's name, kept after a rotation.
pub const OLD_LOG_FILE_NAME: &str = "pic-up.old.log";
/// Size past which the log file is rotated.
const ROTATE_AFTER_BYTES: u64 = 1024 * 1024;
/// Continuation lines of an entry (a backtrace) are indented so the reader can tell
/// where one entry ends and the next begins.
const CONTINUATION_INDENT: &str = "    ";

/// The open log, once [`start_log`] has been called; before that, lines go to stderr.
static LOG: Mutex<Option<LogFile>> = Mutex::new(None);
/// Secrets registered with [`hide_from_log`].
static SECRETS_TO_HIDE: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// How serious a log entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    Info,
    Problem,
}

impl Level {
    fn label(self) -> &'static str {
        match self {
            Level::Info => "INFO",
            Level::Problem => "PROBLEM",
        }
    }
}

/// Starts writing the log to `dir/pic-up.log`, creating `dir` if needed and appending
/// to an earlier log. Calling it again moves the log to the new folder. Returns the path
/// of the log file.
pub fn start_log(dir: &Path) -> Result<PathBuf, DiagnosticsError> {
    let log = LogFile::open(dir, ROTATE_AFTER_BYTES)?;
    let path = log.path();
    *lock(&LOG) = Some(log);
    Ok(path)
}

/// The folder the log is written to, once [`start_log`] has been called.
pub fn log_dir() -> Option<PathBuf> {
    lock(&LOG).as_ref().map(|log| log.dir.clone())
}

/// Writes an `INFO` line: something worth knowing when reading a report.
/// Without a log file (the command line) only problems are printed: news there would
/// be noise on the terminal.
pub fn info(message: &str) {
    if lock(&LOG).is_none() {
        return;
    }
    write_entry(&format_entry(Level::Info, message));
}

/// Writes a `PROBLEM` line: something went wrong.
pub fn problem(message: &str) {
    write_entry(&format_entry(Level::Problem, message));
}

/// Hides `secret` (a session token, a storage key) wherever it appears in later log
/// lines, even where no pattern would recognise it. Secrets shorter than 6 characters
/// are not hidden, as they would hide ordinary words.
pub fn hide_from_log(secret: &str) {
    let mut secrets = lock(&SECRETS_TO_HIDE);
    if !secrets.iter().any(|known| known == secret) {
        secrets.push(secret.to_owned());
    }
}

/// One redacted, timestamped entry, ending in a newline:
/// `2026-11-25T09:30:12.345Z PROBLEM message`.
pub(crate) fn format_entry(level: Level, message: &str) -> String {
    let message = redact_for_log(message);
    let mut entry = format!(
        "{} {} ",
        Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ"),
        level.label()
    );
    for (number, line) in message.lines().enumerate() {
        if number > 0 {
            entry.push('\n');
            entry.push_str(CONTINUATION_INDENT);
        }
        entry.push_str(line);
    }
    entry.push('\n');
    entry
}

/// Writes a formatted entry to the log file, or to stderr before the log is started.
pub(crate) fn write_entry(entry: &str) {
    // A failed write is ignored: the app must go on even if the disk is full.
    let _ = match lock(&LOG).as_mut() {
        Some(log) => log.write(entry),
        None => io::stderr().write_all(entry.as_bytes()),
    };
}

/// Redacts a message with the registered secrets and the home folder.
fn redact_for_log(message: &str) -> String {
    let secrets = lock(&SECRETS_TO_HIDE).clone();
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let home = home_folder();
    redact_with(
        message,
        &Redaction {
            known_secrets: &secrets,
            home: home.as_deref(),
        },
    )
}

/// A panic elsewhere while a lock was held must not silence the log.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The live log file and how big it is, so rotation needs no `stat` per line.
#[derive(Debug)]
struct LogFile {
    dir: PathBuf,
    file: File,
    size: u64,
    rotate_after: u64,
}

impl LogFile {
    fn open(dir: &Path, rotate_after: u64) -> Result<Self, DiagnosticsError> {
        fs::create_dir_all(dir).map_err(|source| DiagnosticsError::LogFolder {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join(LOG_FILE_NAME);
        let size = fs::metadata(&path).map_or(0, |metadata| metadata.len());
        if size > rotate_after {
            // If the old log cannot be moved aside, appending to it is still better
            // than no log.
            let _ = fs::rename(&path, dir.join(OLD_LOG_FILE_NAME));
        }
        let open_error = |source| DiagnosticsError::LogFile {
            path: path.clone(),
            source,
        };
        let file = open_for_append(&path).map_err(open_error)?;
        let size = file.metadata().map_err(open_error)?.len();
        Ok(LogFile {
            dir: dir.to_path_buf(),
            file,
            size,
            rotate_after,
        })
    }

    fn path(&self) -> PathBuf {
        self.dir.join(LOG_FILE_NAME)
    }

    fn write(&mut self, entry: &str) -> io::Result<()> {
        self.file.write_all(entry.as_bytes())?;
        self.file.flush()?;
        self.size += entry.len() as u64;
        if self.size > self.rotate_after {
            self.rotate()?;
        }
        Ok(())
    }

    /// Moves the full log aside, replacing an older one, and begins a fresh file.
    fn rotate(&mut self) -> io::Result<()> {
        let path = self.path();
        fs::rename(&path, self.dir.join(OLD_LOG_FILE_NAME))?;
        self.file = open_for_append(&path)?;
        self.size = 0;
        Ok(())
    }
}

fn open_for_append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &Path) -> String {
        fs::read_to_string(path).unwrap_or_default()
    }

    #[test]
    fn entry_has_utc_time_level_and_redacted_message() {
        let entry = format_entry(Level::Problem, "sign-in failed for password=hunter2hunter2");
        let (time, rest) = entry.split_once(' ').expect("a space after the time");
        assert!(
            chrono::DateTime::parse_from_rfc3339(time).is_ok() && time.ends_with('Z'),
            "{time}"
        );
        assert_eq!(time.len(), "2026-11-25T09:30:12.345Z".len());
        assert_eq!(rest, "PROBLEM sign-in failed for password=[hidden]\n");
    }

    #[test]
    fn multi_line_message_stays_one_indented_entry() {
        let entry = format_entry(Level::Info, "first\nsecond\nthird");
        let lines: Vec<&str> = entry.lines().collect();
        assert!(lines[0].ends_with(" INFO first"));
        assert_eq!(&lines[1..], ["    second", "    third"]);
    }

    #[test]
    fn log_file_appends_to_an_earlier_log() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(LOG_FILE_NAME), "earlier line\n").unwrap();
        let mut log = LogFile::open(dir.path(), ROTATE_AFTER_BYTES).unwrap();
        log.write("later line\n").unwrap();
        assert_eq!(
            read(&dir.path().join(LOG_FILE_NAME)),
            "earlier line\nlater line\n"
        );
    }

    #[test]
    fn log_file_creates_missing_folders() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("state").join("picup");
        let mut log = LogFile::open(&nested, ROTATE_AFTER_BYTES).unwrap();
        log.write("hello\n").unwrap();
        assert_eq!(read(&nested.join(LOG_FILE_NAME)), "hello\n");
    }

    #[test]
    fn log_rotates_while_writing_and_keeps_one_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = LogFile::open(dir.path(), 100).unwrap();
        for number in 0..30 {
            log.write(&format!("line number {number:02}\n")).unwrap();
        }
        let current = read(&dir.path().join(LOG_FILE_NAME));
        let old = read(&dir.path().join(OLD_LOG_FILE_NAME));
        assert!(
            current.len() <= 100 && old.len() <= 100 + 16,
            "{current}\n{old}"
        );
        assert!(current.ends_with("line number 29\n"), "{current}");
        // The old file continues straight into the current one.
        let last_old: u32 = old.lines().last().unwrap()[12..].parse().unwrap();
        let first_current: u32 = current
            .lines()
            .next()
            .map_or(30, |l| l[12..].parse().unwrap());
        assert_eq!(first_current, last_old + 1);
        let files = fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(files, 2, "only the current and one old log are kept");
    }

    #[test]
    fn oversized_log_is_rotated_at_start() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(OLD_LOG_FILE_NAME), "oldest\n").unwrap();
        fs::write(dir.path().join(LOG_FILE_NAME), "x".repeat(200)).unwrap();
        let mut log = LogFile::open(dir.path(), 100).unwrap();
        log.write("fresh\n").unwrap();
        assert_eq!(read(&dir.path().join(LOG_FILE_NAME)), "fresh\n");
        assert_eq!(read(&dir.path().join(OLD_LOG_FILE_NAME)), "x".repeat(200));
    }

    #[test]
    fn log_folder_that_is_a_file_is_a_readable_error() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("logs");
        fs::write(&blocker, "not a folder").unwrap();
        let error = LogFile::open(&blocker, ROTATE_AFTER_BYTES).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("Pic-up could not create the folder for its log"),
            "{error}"
        );
    }
}
