//! Relays what the folder watcher (in the library's session) finds to the page:
//! `library-changed` (refresh what is shown), `folder-state`, and `import-progress` for
//! photos it imports (the same progress a drop shows).

use picup_core::watch::WatchEvent;
use tauri::{AppHandle, Emitter};

use crate::state::AppState;
use crate::views::FolderNews;

pub fn start_watching(app: &AppHandle, state: &AppState) {
    let events = app.clone();
    let started = state.session.start_watching(move |event| {
        let _ = match event {
            WatchEvent::Changed(summary) => {
                events.emit("library-changed", FolderNews::from(&summary))
            }
            WatchEvent::Folder { path, state } => events.emit(
                "folder-state",
                serde_json::json!({ "path": path, "state": state }),
            ),
            WatchEvent::Progress(progress) => events.emit("import-progress", progress),
            WatchEvent::CaughtUp { .. } => Ok(()),
        };
    });
    // The albums still work without watching; the settings page shows no "watching".
    if let Err(error) = started {
        picup_core::diagnostics::problem(&format!(
            "Pic-up could not watch folders: {error} ({error:?})"
        ));
    }
}
