//! Crash records: when Pic-up panics, what happened and where is written to the log
//! and to a separate `crash-<time>.txt` file beside it, so a crash is never lost to log
//! rotation and can be put in a report.

use std::backtrace::Backtrace;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::panic::PanicHookInfo;
use std::path::Path;
use std::sync::Once;

use chrono::Utc;

use super::log::{self, Level};

/// How many crash files are kept; older ones are deleted.
const KEEP_CRASH_FILES: usize = 5;
/// Backtrace lines kept: enough to reach Pic-up's own code, short enough to read.
const MAX_BACKTRACE_LINES: usize = 60;
const CRASH_FILE_PREFIX: &str = "crash-";
const CRASH_FILE_SUFFIX: &str = ".txt";

static INSTALL_HOOK: Once = Once::new();

/// Records every later panic in the log and in a crash file in the log folder, then
/// calls the panic hook that was there before (which prints to stderr). Calling it
/// again does nothing, so a panic is never recorded twice.
pub fn record_crashes() {
    INSTALL_HOOK.call_once(|| {
        let previous_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            record_crash(info);
            previous_hook(info);
        }));
    });
}

/// The crash files in `dir` as `(file name, contents)`, newest first.
pub fn crash_records(dir: &Path) -> Vec<(String, String)> {
    crash_file_names(dir)
        .into_iter()
        .filter_map(|name| {
            let contents = fs::read(dir.join(&name)).ok()?;
            Some((name, String::from_utf8_lossy(&contents).into_owned()))
        })
        .collect()
}

fn record_crash(info: &PanicHookInfo) {
    let message = info.payload_as_str().unwrap_or("(no message)");
    let place = info.location().map_or_else(
        || "an unknown place".to_owned(),
        |location| format!("{}:{}", location.file(), location.line()),
    );
    let backtrace = Backtrace::force_capture().to_string();
    let text = crash_text(message, &place, &backtrace);

    let entry = log::format_entry(Level::Problem, &text);
    log::write_entry(&entry);
    if let Some(dir) = log::log_dir() {
        // Ignored: the hook must not fail while the app is already failing, and the
        // log line has been written.
        let _ = write_crash_file(&dir, &entry);
        delete_old_crash_files(&dir);
    }
}

fn crash_text(message: &str, place: &str, backtrace: &str) -> String {
    let mut text = format!("Pic-up stopped unexpectedly: {message} at {place}");
    let frames = skip_panic_machinery(backtrace);
    for line in frames.iter().take(MAX_BACKTRACE_LINES) {
        text.push('\n');
        text.push_str(line.trim_end());
    }
    if frames.len() > MAX_BACKTRACE_LINES {
        let left_out = frames.len() - MAX_BACKTRACE_LINES;
        text.push_str(&format!("\n({left_out} more backtrace lines left out)"));
    }
    text
}

/// The backtrace lines after the frames of the hook and the standard library's panic
/// handling, so the kept lines are spent on the code that panicked. A backtrace
/// without symbols is kept whole.
fn skip_panic_machinery(backtrace: &str) -> Vec<&str> {
    let lines: Vec<&str> = backtrace.lines().filter(|l| !l.trim().is_empty()).collect();
    let is_frame_start = |line: &str| {
        line.trim_start()
            .split_once(": ")
            .is_some_and(|(number, _)| number.bytes().all(|b| b.is_ascii_digit()))
    };
    let is_panic_machinery = |line: &str| {
        // Specific names: `std::panicking::try` also appears at the bottom of every
        // thread's stack, below the code that panicked.
        [
            "crash::record_crash",
            "rust_panic_with_hook",
            "begin_panic",
            "rust_begin_unwind",
            "core::panicking::",
        ]
        .iter()
        .any(|marker| line.contains(marker))
    };
    let last_machinery = lines
        .iter()
        .rposition(|line| is_frame_start(line) && is_panic_machinery(line));
    let Some(last_machinery) = last_machinery else {
        return lines;
    };
    let first_after = lines[last_machinery + 1..]
        .iter()
        .position(|line| is_frame_start(line))
        .map_or(lines.len(), |offset| last_machinery + 1 + offset);
    lines[first_after..].to_vec()
}

fn write_crash_file(dir: &Path, entry: &str) -> io::Result<()> {
    // Two crashes in the same microsecond would share a name; the clock moves on.
    for _ in 0..3 {
        let name = format!(
            "{CRASH_FILE_PREFIX}{}{CRASH_FILE_SUFFIX}",
            Utc::now().format("%Y-%m-%dT%H-%M-%S%.6fZ")
        );
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(dir.join(name))
        {
            Ok(mut file) => return file.write_all(entry.as_bytes()),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(error),
        }
    }
    Err(io::ErrorKind::AlreadyExists.into())
}

fn delete_old_crash_files(dir: &Path) {
    for name in crash_file_names(dir).into_iter().skip(KEEP_CRASH_FILES) {
        let _ = fs::remove_file(dir.join(name));
    }
}

/// Crash file names, newest first: the UTC time in the name sorts like the time.
fn crash_file_names(dir: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with(CRASH_FILE_PREFIX) && name.ends_with(CRASH_FILE_SUFFIX))
        .collect();
    names.sort_unstable_by(|a, b| b.cmp(a));
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    const BACKTRACE: &str = "   0: std::backtrace::Backtrace::force_capture
             at /rustc/abc/library/std/src/backtrace.rs:312:13
   1: picup_core::diagnostics::crash::record_crash
             at ./src/diagnostics/crash.rs:50:21
   2: std::panicking::rust_panic_with_hook
             at /rustc/abc/library/std/src/panicking.rs:842:13
   3: core::panicking::panic_fmt
             at /rustc/abc/library/core/src/panicking.rs:75:14
   4: picup_core::import::import_one
             at ./src/import.rs:120:9
   5: picup_core::import::run
             at ./src/import.rs:80:5
   6: std::panicking::try
             at /rustc/abc/library/std/src/panicking.rs:500:19
";

    #[test]
    fn crash_text_starts_with_the_message_and_place_then_the_panicking_code() {
        let text = crash_text("index out of bounds", "src/import.rs:120", BACKTRACE);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "Pic-up stopped unexpectedly: index out of bounds at src/import.rs:120"
        );
        assert_eq!(lines[1].trim(), "4: picup_core::import::import_one");
        assert_eq!(lines.len(), 7);
    }

    #[test]
    fn backtrace_without_symbols_is_kept_whole() {
        let backtrace = "   0: <unknown>\n   1: <unknown>\n";
        let text = crash_text("boom", "src/lib.rs:1", backtrace);
        assert_eq!(text.lines().count(), 3);
    }

    #[test]
    fn long_backtrace_is_cut_to_sixty_lines_with_a_note() {
        let backtrace: String = (0..100).map(|n| format!("  {n}: frame_{n}\n")).collect();
        let text = crash_text("boom", "src/lib.rs:1", &backtrace);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1 + MAX_BACKTRACE_LINES + 1);
        assert_eq!(lines[MAX_BACKTRACE_LINES].trim(), "59: frame_59");
        assert_eq!(
            lines[MAX_BACKTRACE_LINES + 1],
            "(40 more backtrace lines left out)"
        );
    }

    #[test]
    fn crash_records_are_listed_newest_first_and_other_files_ignored() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("crash-2026-11-24T08-00-00.000000Z.txt"),
            "older",
        )
        .unwrap();
        fs::write(
            dir.path().join("crash-2026-11-25T09-30-12.345678Z.txt"),
            "newer",
        )
        .unwrap();
        fs::write(dir.path().join("pic-up.log"), "log").unwrap();
        let records = crash_records(dir.path());
        let contents: Vec<&str> = records.iter().map(|(_, text)| text.as_str()).collect();
        assert_eq!(contents, ["newer", "older"]);
        assert_eq!(records[0].0, "crash-2026-11-25T09-30-12.345678Z.txt");
    }

    #[test]
    fn only_the_newest_crash_files_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        for _ in 0..8 {
            write_crash_file(dir.path(), "PROBLEM boom\n").unwrap();
            delete_old_crash_files(dir.path());
        }
        assert_eq!(crash_records(dir.path()).len(), KEEP_CRASH_FILES);
    }
}
