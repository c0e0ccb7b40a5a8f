//! The crash story end to end, in its own process because the panic hook and the log
//! are process-wide: a panic is recorded in the log and in a crash file with its secret
//! hidden, and the report a parent saves afterwards contains it.

use std::fs;
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread;

use picup_core::diagnostics::{self, Redaction, Report};

/// The log folder is global, so the tests take turns.
static ONE_LOG_AT_A_TIME: Mutex<()> = Mutex::new(());

fn take_turn() -> MutexGuard<'static, ()> {
    ONE_LOG_AT_A_TIME
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// Panics with `message` in a new thread and returns the line of the panic.
fn panic_in_a_thread(message: String) -> u32 {
    let panic_line = line!() + 1;
    let result = thread::spawn(move || panic!("{message}")).join();
    assert!(result.is_err(), "the thread should have panicked");
    panic_line
}

fn crash_files(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.starts_with("crash-") && name.ends_with(".txt"))
        .collect()
}

#[test]
fn a_crash_is_recorded_without_its_secret_and_reaches_the_report() {
    let _turn = take_turn();
    let dir = tempfile::tempdir().unwrap();
    let log_path = diagnostics::start_log(dir.path()).unwrap();
    assert_eq!(log_path, dir.path().join("pic-up.log"));
    assert_eq!(diagnostics::log_dir().as_deref(), Some(dir.path()));
    diagnostics::record_crashes();
    diagnostics::info("opening album Summer 2026");

    let panic_line = panic_in_a_thread("sign-in broke with password=hunter2hunter2".to_owned());
    let place = format!("{}:{panic_line}", file!());

    let files = crash_files(dir.path());
    assert_eq!(files.len(), 1, "{files:?}");
    let crash = fs::read_to_string(dir.path().join(&files[0])).unwrap();
    assert!(
        crash.contains(&format!(
            "PROBLEM Pic-up stopped unexpectedly: sign-in broke with password=[hidden] at {place}"
        )),
        "{crash}"
    );
    assert!(!crash.contains("hunter2hunter2"), "{crash}");
    let backtrace: Vec<&str> = crash.lines().skip(1).collect();
    assert!(
        !backtrace.is_empty() && backtrace.len() <= 61,
        "{} backtrace lines",
        backtrace.len()
    );
    assert!(
        backtrace.iter().all(|line| line.starts_with("    ")),
        "{crash}"
    );
    assert!(
        crash.contains("panic_in_a_thread"),
        "the backtrace should reach the code that panicked:\n{crash}"
    );

    let log = fs::read_to_string(&log_path).unwrap();
    assert!(log.contains(" INFO opening album Summer 2026\n"), "{log}");
    assert!(
        log.contains("PROBLEM Pic-up stopped unexpectedly: sign-in broke with password=[hidden]"),
        "{log}"
    );
    assert!(!log.contains("hunter2hunter2"), "{log}");

    let records = diagnostics::crash_records(dir.path());
    assert_eq!(records.len(), 1);
    assert_eq!(records[0], (files[0].clone(), crash.clone()));

    let mut report = Report::new("1.4.2");
    report.add_recent_log(dir.path(), 200);
    let text = report.finish(&Redaction::default());
    assert!(
        text.contains(&format!("== Crash record {} ==", files[0])),
        "{text}"
    );
    assert!(
        text.contains(&format!("sign-in broke with password=[hidden] at {place}")),
        "{text}"
    );
    assert!(text.contains("INFO opening album Summer 2026"), "{text}");
    assert!(!text.contains("hunter2hunter2"), "{text}");
}

#[test]
fn only_the_five_newest_crash_files_are_kept() {
    let _turn = take_turn();
    let dir = tempfile::tempdir().unwrap();
    diagnostics::start_log(dir.path()).unwrap();
    diagnostics::record_crashes();

    for number in 1..=7 {
        panic_in_a_thread(format!("crash number {number}"));
    }

    assert_eq!(crash_files(dir.path()).len(), 5);
    let records = diagnostics::crash_records(dir.path());
    let numbers: Vec<&str> = records
        .iter()
        .map(|(_, text)| {
            let start = text.find("crash number ").unwrap() + "crash number ".len();
            &text[start..start + 1]
        })
        .collect();
    assert_eq!(numbers, ["7", "6", "5", "4", "3"], "newest first");
}

#[test]
fn log_lines_are_redacted_and_registered_secrets_hidden() {
    let _turn = take_turn();
    let dir = tempfile::tempdir().unwrap();
    let log_path = diagnostics::start_log(dir.path().join("logs").as_path()).unwrap();
    diagnostics::hide_from_log("pk_live_4f9a8c2e7d");
    diagnostics::info("signed in as anna@example.com");
    diagnostics::problem("upload refused for key pk_live_4f9a8c2e7d");

    let log = fs::read_to_string(log_path).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 2, "{log}");
    assert!(
        lines[0].ends_with("Z INFO signed in as a***@example.com"),
        "{log}"
    );
    assert!(
        lines[1].ends_with("Z PROBLEM upload refused for key [hidden]"),
        "{log}"
    );
}
