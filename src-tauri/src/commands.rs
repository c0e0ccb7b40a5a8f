//! The Tauri commands of the library pages (albums, adding photos, watched folders).
//! Each takes plain arguments, calls `picup-core` and returns plain data or a
//! [`CommandError`](crate::error::CommandError) whose message a parent can read.

use std::path::PathBuf;
use std::sync::Arc;

use picup_core::cloud::arrivals;
use picup_core::session::WatchedFolder;
use picup_core::{ImportOptions, IndexError};
use tauri::{AppHandle, Emitter};
use tauri_plugin_dialog::DialogExt;

use crate::error::{CommandResult, off_the_window_thread};
use crate::state::AppStateRef;
use crate::views::{AlbumCard, AlbumPage, FileProblem, ImportReport};

#[tauri::command]
pub fn list_albums(state: AppStateRef<'_>) -> CommandResult<Vec<AlbumCard>> {
    let albums = state.library().index()?.albums()?;
    Ok(albums.into_iter().map(AlbumCard::from).collect())
}

#[tauri::command]
pub async fn album_photos(state: AppStateRef<'_>, album_id: i64) -> CommandResult<AlbumPage> {
    let state = Arc::clone(&state);
    off_the_window_thread(
        "The album could not be opened. Please try again.",
        move || {
            let index = state.library().index()?;
            let album = index
                .album(album_id)?
                .ok_or(IndexError::NoSuchAlbum(album_id))?;
            // What the family added and is on its way shows from the cloud meanwhile.
            let client = state.cloud.client().ok();
            let arriving = arrivals::arriving_in_album(
                state.library(),
                client.as_ref(),
                &state.cloud.images,
                album_id,
            )?;
            Ok(AlbumPage::new(
                album,
                index.photos(Some(album_id))?,
                arriving,
            ))
        },
    )
    .await
}

/// Imports dropped or picked paths, streaming `import-progress` events to the page.
/// Drops and the "Add photos" button both end here.
#[tauri::command]
pub async fn import_paths(
    app: AppHandle,
    state: AppStateRef<'_>,
    paths: Vec<PathBuf>,
) -> CommandResult<ImportReport> {
    let state = Arc::clone(&state);
    off_the_window_thread(
        "Adding photos stopped unexpectedly. The photos added so far are kept.",
        move || {
            let videos = || {
                state
                    .library()
                    .index()
                    .and_then(|index| index.video_count())
            };
            let before = videos()?;
            let summary = state
                .session
                .import(&paths, &ImportOptions::default(), |progress| {
                    let _ = app.emit("import-progress", progress);
                })?;
            Ok(ImportReport::new(summary, before, videos()?))
        },
    )
    .await
}

#[tauri::command]
pub fn cancel_import(state: AppStateRef<'_>) {
    state.session.cancel_import();
}

#[tauri::command]
pub fn skipped_files(state: AppStateRef<'_>) -> CommandResult<Vec<FileProblem>> {
    let skipped = state.library().index()?.skipped()?;
    Ok(skipped.into_iter().map(FileProblem::from).collect())
}

#[tauri::command]
pub fn rename_album(state: AppStateRef<'_>, album_id: i64, title: String) -> CommandResult<()> {
    Ok(state.session.rename_album(album_id, &title)?)
}

/// Opens the system's folder picker ("Add photos").
#[tauri::command]
pub async fn pick_folders(app: AppHandle) -> Vec<PathBuf> {
    let picked = tauri::async_runtime::spawn_blocking(move || {
        app.dialog()
            .file()
            .set_title("Choose folders of photos to add")
            .blocking_pick_folders()
    })
    .await
    .ok()
    .flatten()
    .unwrap_or_default();
    picked
        .into_iter()
        .filter_map(|path| path.into_path().ok())
        .collect()
}

/// The folders Pic-up watches, for the settings page.
#[tauri::command]
pub fn list_folders(state: AppStateRef<'_>) -> CommandResult<Vec<WatchedFolder>> {
    Ok(state.session.folders()?)
}

/// Stops watching a folder; its photos stay in the library.
#[tauri::command]
pub fn stop_watching_folder(state: AppStateRef<'_>, path: String) -> CommandResult<()> {
    state.session.stop_watching_folder(&path)?;
    Ok(())
}

/// The page shows an album (`Some`) or another screen (`None`); remembered for the next
/// start.
#[tauri::command]
pub fn remember_album(state: AppStateRef<'_>, album_id: Option<i64>) {
    state.window_memory.remember_album(album_id);
}

/// The album to open at start: the one last on screen, if it is still in the library.
#[tauri::command]
pub fn last_album(state: AppStateRef<'_>) -> CommandResult<Option<i64>> {
    let Some(album_id) = state.window_memory.remembered().album else {
        return Ok(None);
    };
    Ok(state.library().index()?.album(album_id)?.map(|a| a.id))
}

/// Where the page finds videos: `{base}/{photo id}` (see `video_server`).
#[tauri::command]
pub fn video_base_url(state: AppStateRef<'_>) -> String {
    state.video_base_url.clone()
}
