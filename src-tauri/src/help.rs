//! "Help → Save a report": a text file a parent can email us after a problem. It says
//! what Pic-up is and how it is doing (library counts, folders, the family cloud), the
//! recent log and any crash records, with passwords, sign-in tokens, sharing links and
//! email addresses taken out (`picup_core::diagnostics` does the redacting).

use std::path::PathBuf;

use picup_core::diagnostics::{self, Redaction, Report};
use serde::Serialize;

use crate::error::{CommandError, CommandResult};
use crate::state::AppStateRef;

/// Log lines a report carries: enough for the last few sessions, small enough to email.
const LOG_LINES: usize = 400;

#[derive(Serialize)]
pub struct SavedReport {
    /// The whole path, and its parts for the sentence "Saved in Downloads as …".
    path: PathBuf,
    folder_name: String,
    file_name: String,
}

#[tauri::command]
pub fn save_report(state: AppStateRef<'_>) -> CommandResult<SavedReport> {
    let mut report = Report::new(env!("CARGO_PKG_VERSION"));
    let index = state.library().index()?;

    let albums = index.albums()?;
    let photos: i64 = albums.iter().map(|a| a.count).sum();
    let videos: i64 = albums.iter().map(|a| a.video_count).sum();
    let in_cloud: i64 = albums.iter().map(|a| a.in_cloud).sum();
    report.section(
        "Library",
        [
            format!("Folder: {}", state.library().root().display()),
            format!("Albums: {}", albums.len()),
            format!(
                "Photos and videos: {photos} ({videos} videos), {in_cloud} in the family cloud"
            ),
            format!("Watched folders: {}", index.folders()?.len()),
            format!("Adding photos now: {}", state.session.is_importing()),
        ],
    );

    let mut cloud = Vec::new();
    match index.sync_account()? {
        None => cloud.push("Not connected".to_owned()),
        Some(account) => {
            cloud.push(format!("Server: {}", account.server_url));
            cloud.push(format!("Account: {}", account.email));
        }
    }
    if let Some(status) = state.session.sync_status() {
        cloud.push(format!("State: {} ({})", status.state, status.message));
        cloud.push(format!(
            "Items: {} done, {} waiting, {} failed, of {}",
            status.counts.done, status.counts.waiting, status.counts.failed, status.counts.total
        ));
        if let (Some(used), Some(quota)) = (status.used_bytes, status.quota_bytes) {
            cloud.push(format!("Space: {used} of {quota} bytes used"));
        }
    }
    report.section("Family cloud", cloud);

    if let Some(dir) = diagnostics::log_dir() {
        report.add_recent_log(&dir, LOG_LINES);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let text = report.finish(&Redaction {
        known_secrets: &[],
        home: home.as_deref(),
    });
    let folder = diagnostics::reports_folder();
    let path = diagnostics::save_report(&text, &folder)?;
    diagnostics::info(&format!("Saved a report as {}", path.display()));
    Ok(SavedReport {
        file_name: name_of(&path),
        folder_name: name_of(&folder),
        path,
    })
}

/// Opens the folder reports are saved in, in the file manager. It takes no path from
/// the page: only that folder can be opened this way.
#[tauri::command]
pub fn show_reports_folder() -> CommandResult<()> {
    std::process::Command::new("xdg-open")
        .arg(diagnostics::reports_folder())
        .spawn()
        .map(drop)
        .map_err(|_| {
            CommandError::new(
                "Pic-up could not open the folder. The report is saved there all the same.",
            )
        })
}

fn name_of(path: &std::path::Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}
