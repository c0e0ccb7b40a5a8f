//! "Help → Save a report": one plain text file a parent can send us after a problem,
//! with what Pic-up and the computer are, sections the shell adds, the end of the log
//! and the crash records, all redacted once more as a whole before it is saved.

use std::ffi::OsString;
use std::fmt::{self, Write as _};
use std::fs::{self, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use chrono::Utc;

use super::DiagnosticsError;
use super::crash::crash_records;
use super::log::{LOG_FILE_NAME, OLD_LOG_FILE_NAME};
use super::redact::{Redaction, redact_with};

/// A report being put together; [`Report::finish`] gives its redacted text.
#[derive(Clone)]
pub struct Report {
    text: String,
}

// The text is not redacted until `finish`, so debug output shows only its size.
impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Report")
            .field("lines", &self.text.lines().count())
            .finish_non_exhaustive()
    }
}

impl Report {
    /// Starts a report with a header: the product, `app_version`, when it was made, the
    /// operating system, processor type and desktop.
    pub fn new(app_version: &str) -> Self {
        let mut header = vec![
            "Product: Pic-up".to_owned(),
            format!("Version: {app_version}"),
            format!("Made: {}", Utc::now().format("%Y-%m-%d %H:%M UTC")),
        ];
        let os_release = fs::read_to_string("/etc/os-release").unwrap_or_default();
        if let Some(system) = pretty_name(&os_release) {
            header.push(format!("System: {system}"));
        }
        header.push(format!("Processor: {}", std::env::consts::ARCH));
        let desktop = non_empty_env("XDG_CURRENT_DESKTOP");
        let session_type = non_empty_env("XDG_SESSION_TYPE");
        if let Some(desktop) = describe_desktop(desktop.as_deref(), session_type.as_deref()) {
            header.push(format!("Desktop: {desktop}"));
        }
        let mut report = Report {
            text: "Pic-up report\n".to_owned(),
        };
        report.section("About this computer", header);
        report
    }

    /// Adds a titled section.
    pub fn section(&mut self, title: &str, lines: impl IntoIterator<Item = String>) -> &mut Self {
        let _ = write!(self.text, "\n== {title} ==\n");
        for line in lines {
            self.text.push_str(&line);
            self.text.push('\n');
        }
        self
    }

    /// Adds the last `max_lines` lines of the log in `dir` (continuing from the rotated
    /// old log into the current one) and every crash record there, newest first.
    pub fn add_recent_log(&mut self, dir: &Path, max_lines: usize) -> &mut Self {
        let old_log = read_lossy(&dir.join(OLD_LOG_FILE_NAME));
        let log = read_lossy(&dir.join(LOG_FILE_NAME));
        let all_lines: Vec<&str> = old_log.lines().chain(log.lines()).collect();
        let recent = &all_lines[all_lines.len().saturating_sub(max_lines)..];
        let lines = if recent.is_empty() {
            vec!["(the log is empty)".to_owned()]
        } else {
            recent.iter().map(|line| (*line).to_owned()).collect()
        };
        self.section("Recent log", lines);

        let crashes = crash_records(dir);
        if crashes.is_empty() {
            self.section("Crashes", ["(no crash records)".to_owned()]);
        }
        for (name, contents) in crashes {
            self.section(
                &format!("Crash record {name}"),
                contents.lines().map(str::to_owned),
            );
        }
        self
    }

    /// The whole report, redacted once more as a whole in case a section brought a
    /// secret in.
    pub fn finish(&self, redaction: &Redaction) -> String {
        redact_with(&self.text, redaction)
    }
}

/// Saves `text` as `Pic-up report 2026-11-25 09.30.txt` (UTC) in `folder`, adding
/// ` (2)`, ` (3)`… if a report of that name exists; never overwrites a file.
pub fn save_report(text: &str, folder: &Path) -> Result<PathBuf, DiagnosticsError> {
    let stem = format!("Pic-up report {}", Utc::now().format("%Y-%m-%d %H.%M"));
    save_without_overwriting(text, folder, &stem)
}

fn save_without_overwriting(
    text: &str,
    folder: &Path,
    stem: &str,
) -> Result<PathBuf, DiagnosticsError> {
    let save_error = |source| DiagnosticsError::SaveReport {
        folder: folder.to_path_buf(),
        source,
    };
    fs::create_dir_all(folder).map_err(save_error)?;
    for number in 1..1000 {
        let name = match number {
            1 => format!("{stem}.txt"),
            _ => format!("{stem} ({number}).txt"),
        };
        let path = folder.join(name);
        // `create_new` so a report saved at the same moment is not overwritten either.
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut file) => {
                file.write_all(text.as_bytes()).map_err(save_error)?;
                return Ok(path);
            }
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(save_error(error)),
        }
    }
    Err(save_error(io::ErrorKind::AlreadyExists.into()))
}

/// Where to offer to save a report: the Downloads folder, as the desktop names it.
pub fn reports_folder() -> PathBuf {
    let home = non_empty_env_os("HOME").map(PathBuf::from);
    let config_home = non_empty_env_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|home| home.join(".config")));
    choose_reports_folder(
        non_empty_env_os("XDG_DOWNLOAD_DIR").map(PathBuf::from),
        config_home.as_deref(),
        home.as_deref(),
    )
}

/// `$XDG_DOWNLOAD_DIR`, else the Downloads folder named in `user-dirs.dirs` if it
/// exists, else `~/Downloads` if it exists, else the home folder.
fn choose_reports_folder(
    download_dir: Option<PathBuf>,
    config_home: Option<&Path>,
    home: Option<&Path>,
) -> PathBuf {
    if let Some(download_dir) = download_dir {
        return download_dir;
    }
    let from_user_dirs = config_home
        .and_then(|config| fs::read_to_string(config.join("user-dirs.dirs")).ok())
        .and_then(|user_dirs| download_dir_from_user_dirs(&user_dirs, home));
    if let Some(folder) = from_user_dirs.filter(|folder| folder.is_dir()) {
        return folder;
    }
    let Some(home) = home else {
        return PathBuf::from(".");
    };
    let downloads = home.join("Downloads");
    if downloads.is_dir() {
        downloads
    } else {
        home.to_path_buf()
    }
}

/// Reads `XDG_DOWNLOAD_DIR="$HOME/Downloads"` from a `user-dirs.dirs` file.
fn download_dir_from_user_dirs(user_dirs: &str, home: Option<&Path>) -> Option<PathBuf> {
    let value = user_dirs
        .lines()
        .filter_map(|line| line.trim().strip_prefix("XDG_DOWNLOAD_DIR="))
        .next_back()?
        .trim()
        .trim_matches('"');
    match value.strip_prefix("$HOME") {
        Some(rest) => Some(home?.join(rest.trim_start_matches('/'))),
        None if value.starts_with('/') => Some(PathBuf::from(value)),
        None => None,
    }
}

/// The `PRETTY_NAME` of an `/etc/os-release` file, like `Ubuntu 24.04.1 LTS`.
fn pretty_name(os_release: &str) -> Option<String> {
    let value = os_release
        .lines()
        .find_map(|line| line.trim().strip_prefix("PRETTY_NAME="))?
        .trim()
        .trim_matches(['"', '\'']);
    (!value.is_empty()).then(|| value.to_owned())
}

fn describe_desktop(desktop: Option<&str>, session_type: Option<&str>) -> Option<String> {
    match (desktop, session_type) {
        (Some(desktop), Some(session_type)) => Some(format!("{desktop} ({session_type})")),
        (Some(only), None) | (None, Some(only)) => Some(only.to_owned()),
        (None, None) => None,
    }
}

fn non_empty_env_os(name: &str) -> Option<OsString> {
    std::env::var_os(name).filter(|value| !value.is_empty())
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

fn read_lossy(path: &Path) -> String {
    fs::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NO_SECRETS: Redaction = Redaction {
        known_secrets: &[],
        home: None,
    };

    fn write_log(dir: &Path, name: &str, lines: std::ops::Range<u32>) {
        let text: String = lines
            .map(|n| format!("2026-11-25T09:30:12.345Z INFO line {n}\n"))
            .collect();
        fs::write(dir.join(name), text).unwrap();
    }

    #[test]
    fn report_has_a_header_and_the_sections_in_order() {
        let mut report = Report::new("1.4.2");
        report
            .section("Library", ["3 albums, 340 photos".to_owned()])
            .section("Cloud", ["Signed in; last sync 09:12".to_owned()]);
        let text = report.finish(&NO_SECRETS);
        assert!(text.starts_with("Pic-up report\n"), "{text}");
        for expected in [
            "Product: Pic-up",
            "Version: 1.4.2",
            &format!("Processor: {}", std::env::consts::ARCH),
        ] {
            assert!(text.contains(expected), "{expected} missing from\n{text}");
        }
        let library = text.find("== Library ==\n3 albums, 340 photos\n").unwrap();
        let cloud = text
            .find("== Cloud ==\nSigned in; last sync 09:12\n")
            .unwrap();
        assert!(library < cloud);
    }

    #[test]
    fn recent_log_continues_from_the_old_log_into_the_current_one() {
        let dir = tempfile::tempdir().unwrap();
        write_log(dir.path(), OLD_LOG_FILE_NAME, 0..10);
        write_log(dir.path(), LOG_FILE_NAME, 10..14);
        let mut report = Report::new("1.4.2");
        report.add_recent_log(dir.path(), 6);
        let text = report.finish(&NO_SECRETS);
        let numbers: Vec<&str> = text
            .lines()
            .filter_map(|line| line.strip_prefix("2026-11-25T09:30:12.345Z INFO line "))
            .collect();
        assert_eq!(numbers, ["8", "9", "10", "11", "12", "13"]);
        assert!(text.contains("(no crash records)"), "{text}");
    }

    #[test]
    fn recent_log_of_an_empty_folder_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let mut report = Report::new("1.4.2");
        report.add_recent_log(dir.path(), 100);
        assert!(
            report
                .finish(&NO_SECRETS)
                .contains("== Recent log ==\n(the log is empty)\n")
        );
    }

    #[test]
    fn crash_records_are_included_in_the_report() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("crash-2026-11-25T09-30-12.345678Z.txt"),
            "2026-11-25T09:30:12.345Z PROBLEM Pic-up stopped unexpectedly: boom at src/x.rs:3\n",
        )
        .unwrap();
        let mut report = Report::new("1.4.2");
        report.add_recent_log(dir.path(), 100);
        let text = report.finish(&NO_SECRETS);
        assert!(
            text.contains("== Crash record crash-2026-11-25T09-30-12.345678Z.txt ==\n"),
            "{text}"
        );
        assert!(text.contains("Pic-up stopped unexpectedly: boom at src/x.rs:3"));
    }

    #[test]
    fn secret_planted_in_the_log_is_hidden_in_the_final_text() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join(LOG_FILE_NAME),
            "2026-11-25T09:30:12.345Z PROBLEM sign-in rejected token=pk_live_4f9a8c2e7d\n\
             2026-11-25T09:30:13.000Z INFO retried with pk_live_4f9a8c2e7d for /home/anna/Pictures\n",
        )
        .unwrap();
        let mut report = Report::new("1.4.2");
        report.add_recent_log(dir.path(), 100);
        let text = report.finish(&Redaction {
            known_secrets: &["pk_live_4f9a8c2e7d"],
            home: Some(Path::new("/home/anna")),
        });
        assert!(!text.contains("pk_live_4f9a8c2e7d"), "{text}");
        assert!(!format!("{report:?}").contains("pk_live"));
        assert!(text.contains("sign-in rejected token=[hidden]"), "{text}");
        assert!(
            text.contains("retried with [hidden] for ~/Pictures"),
            "{text}"
        );
    }

    #[test]
    fn saved_report_is_named_by_the_time_it_was_made() {
        let dir = tempfile::tempdir().unwrap();
        let saved = save_report("the report", dir.path()).unwrap();
        assert_eq!(fs::read_to_string(&saved).unwrap(), "the report");
        let name = saved.file_name().unwrap().to_string_lossy().into_owned();
        // `Pic-up report 2026-11-25 09.30.txt`, unless the minute turned over.
        let time = name
            .strip_prefix("Pic-up report ")
            .and_then(|rest| rest.strip_suffix(".txt"))
            .unwrap_or_default();
        assert!(
            chrono::NaiveDateTime::parse_from_str(time, "%Y-%m-%d %H.%M").is_ok(),
            "{name}"
        );
    }

    #[test]
    fn save_report_never_overwrites_an_earlier_report() {
        let dir = tempfile::tempdir().unwrap();
        let stem = "Pic-up report 2026-11-25 09.30";
        let saved: Vec<PathBuf> = ["first", "second", "third"]
            .into_iter()
            .map(|text| save_without_overwriting(text, dir.path(), stem).unwrap())
            .collect();
        let names: Vec<String> = saved
            .iter()
            .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "Pic-up report 2026-11-25 09.30.txt",
                "Pic-up report 2026-11-25 09.30 (2).txt",
                "Pic-up report 2026-11-25 09.30 (3).txt",
            ]
        );
        let contents: Vec<String> = saved
            .iter()
            .map(|path| fs::read_to_string(path).unwrap())
            .collect();
        assert_eq!(contents, ["first", "second", "third"]);
    }

    #[test]
    fn save_report_into_an_unwritable_place_is_a_readable_error() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("Downloads");
        fs::write(&blocker, "a file, not a folder").unwrap();
        let error = save_report("report", &blocker).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("The report could not be saved in"),
            "{error}"
        );
    }

    #[test]
    fn os_release_pretty_name_is_read_without_quotes() {
        let os_release = "NAME=\"Ubuntu\"\nPRETTY_NAME=\"Ubuntu 24.04.1 LTS\"\nID=ubuntu\n";
        assert_eq!(
            pretty_name(os_release).as_deref(),
            Some("Ubuntu 24.04.1 LTS")
        );
        assert_eq!(pretty_name("ID=arch\n"), None);
    }

    #[test]
    fn desktop_is_described_from_what_is_set() {
        assert_eq!(
            describe_desktop(Some("GNOME"), Some("wayland")).as_deref(),
            Some("GNOME (wayland)")
        );
        assert_eq!(describe_desktop(None, Some("x11")).as_deref(), Some("x11"));
        assert_eq!(describe_desktop(None, None), None);
    }

    #[test]
    fn reports_folder_prefers_the_explicit_download_dir() {
        let home = tempfile::tempdir().unwrap();
        let chosen = choose_reports_folder(Some("/srv/downloads".into()), None, Some(home.path()));
        assert_eq!(chosen, Path::new("/srv/downloads"));
    }

    #[test]
    fn reports_folder_follows_a_translated_downloads_folder_in_user_dirs() {
        let home = tempfile::tempdir().unwrap();
        let config = home.path().join(".config");
        fs::create_dir_all(&config).unwrap();
        fs::create_dir_all(home.path().join("Téléchargements")).unwrap();
        fs::create_dir_all(home.path().join("Downloads")).unwrap();
        fs::write(
            config.join("user-dirs.dirs"),
            "# written by xdg-user-dirs-update\nXDG_DESKTOP_DIR=\"$HOME/Bureau\"\nXDG_DOWNLOAD_DIR=\"$HOME/Téléchargements\"\n",
        )
        .unwrap();
        let chosen = choose_reports_folder(None, Some(&config), Some(home.path()));
        assert_eq!(chosen, home.path().join("Téléchargements"));
    }

    #[test]
    fn reports_folder_falls_back_to_downloads_then_home() {
        let home = tempfile::tempdir().unwrap();
        let config = home.path().join(".config");
        fs::create_dir_all(&config).unwrap();
        // Named in user-dirs.dirs but deleted since.
        fs::write(
            config.join("user-dirs.dirs"),
            "XDG_DOWNLOAD_DIR=\"$HOME/Gone\"\n",
        )
        .unwrap();
        assert_eq!(
            choose_reports_folder(None, Some(&config), Some(home.path())),
            home.path()
        );
        fs::create_dir_all(home.path().join("Downloads")).unwrap();
        assert_eq!(
            choose_reports_folder(None, Some(&config), Some(home.path())),
            home.path().join("Downloads")
        );
    }
}
