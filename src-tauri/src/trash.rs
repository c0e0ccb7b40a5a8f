//! The Trash in the window: "Remove" (an album, or photos from an album) answers with
//! the entries for the toast's Undo; the Trash page's list, Restore and Empty Trash; and
//! the cloud space the Trash holds, for Settings. All the work is in `picup_core`.

use std::sync::Arc;
use std::time::Duration;

use picup_core::session::TrashView;

use crate::error::{CommandResult, off_the_window_thread};
use crate::state::{AppState, AppStateRef};

/// Lets go what has been in the Trash for 30 days: at start, and every few hours while
/// the window stays open (a computer left on for weeks still keeps its promise).
pub fn keep_purging(state: &Arc<AppState>) {
    const EVERY: Duration = Duration::from_secs(6 * 60 * 60);
    let state = Arc::clone(state);
    std::thread::spawn(move || {
        loop {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |since| since.as_millis() as i64);
            if let Err(error) = state.session.purge_expired_trash(now) {
                picup_core::diagnostics::problem(&format!(
                    "Emptying the Trash's old items: {error}"
                ));
            }
            std::thread::sleep(EVERY);
        }
    });
}

/// Moves an album to the Trash; the files on disk are never touched. Returns its entry.
#[tauri::command]
pub fn remove_album(state: AppStateRef<'_>, album_id: i64) -> CommandResult<i64> {
    Ok(state.session.remove_album(album_id)?)
}

/// Moves photos out of one album into the Trash. Returns their entries.
#[tauri::command]
pub fn remove_photos(
    state: AppStateRef<'_>,
    album_id: i64,
    photo_ids: Vec<i64>,
) -> CommandResult<Vec<i64>> {
    Ok(state.session.remove_items(album_id, &photo_ids)?)
}

#[tauri::command]
pub fn trash(state: AppStateRef<'_>) -> CommandResult<TrashView> {
    Ok(state.session.trash()?)
}

/// Puts entries back; returns the albums they went back to.
#[tauri::command]
pub fn restore_from_trash(state: AppStateRef<'_>, entries: Vec<i64>) -> CommandResult<Vec<i64>> {
    Ok(state.session.restore_from_trash(&entries)?)
}

/// Empty Trash (after the page asked): every entry goes for good.
#[tauri::command]
pub fn empty_trash(state: AppStateRef<'_>) -> CommandResult<usize> {
    Ok(state.session.empty_trash(None)?)
}

/// The family cloud's space held by its Trash, in bytes (none when signed out or out of
/// reach: the page then says nothing about it).
#[tauri::command]
pub async fn cloud_trash_space(state: AppStateRef<'_>) -> CommandResult<Option<i64>> {
    let Ok(client) = state.cloud.client() else {
        return Ok(None);
    };
    off_the_window_thread("Pic-up stopped asking the family cloud.", move || {
        Ok(client.me().ok().map(|me| me.trash_bytes))
    })
    .await
}
