//! The family cloud's albums in the window: the shelf's "In the family cloud" cards,
//! a cloud album's photos, and "Keep a copy on this computer", whose progress arrives
//! as `cloud-follow` events from the loop that keeps this computer in step
//! (`picup_core::cloud::follow`). All the work is in `picup_core`.

use std::sync::Arc;

use picup_core::cloud::browse::{self, CloudOnlyAlbum};
use picup_core::cloud::follow::{self, FollowControl, FollowEvent};
use picup_core::cloud::{CloudClient, restore};
use serde::Serialize;
use tauri::{AppHandle, Emitter};

use crate::error::{CommandError, CommandResult, off_the_window_thread};
use crate::state::{AppState, AppStateRef};

/// Starts (or starts again) the loop that applies the cloud's changes and fetches for
/// kept albums while the window is open.
pub fn start_following(app: &AppHandle, state: &Arc<AppState>, client: CloudClient) {
    let control = Arc::new(FollowControl::default());
    state.cloud.set_following(Arc::clone(&control));
    let (app, state) = (app.clone(), Arc::clone(state));
    std::thread::spawn(move || {
        let root = kept_albums_root(&state);
        follow::run(
            &state.session,
            &client,
            root,
            follow::EVERY,
            &control,
            &mut |event| {
                if matches!(event, FollowEvent::LibraryChanged) {
                    let _ = app.emit("library-changed", ());
                }
                let _ = app.emit("cloud-follow", &event);
            },
        );
    });
}

/// The window came back to the front: look at the cloud now (what the family added
/// shows at once) rather than at the loop's next turn.
#[tauri::command]
pub fn cloud_look_now(state: AppStateRef<'_>) {
    state.cloud.wake_following();
}

/// `~/Pictures/Pic-up`, or the library's own folder where there is no home.
fn kept_albums_root(state: &AppState) -> std::path::PathBuf {
    restore::default_folder().unwrap_or_else(|| state.library().root().join("Kept albums"))
}

/// A cloud-only album's card: the cover comes through the `picup:` protocol.
#[derive(Serialize)]
pub struct CloudAlbumCard {
    #[serde(flatten)]
    album: CloudOnlyAlbum,
}

/// The albums in the family cloud that are not on this computer (none when signed out).
#[tauri::command]
pub async fn cloud_only_albums(state: AppStateRef<'_>) -> CommandResult<Vec<CloudAlbumCard>> {
    let Ok(client) = state.cloud.client() else {
        return Ok(Vec::new());
    };
    let state = Arc::clone(&state);
    off_the_window_thread(
        "The family cloud's albums could not be shown. Please try again.",
        move || {
            let index = state.library().index()?;
            let albums = browse::cloud_only_albums(&index, &client, &state.cloud.images)?;
            Ok(albums
                .into_iter()
                .map(|album| CloudAlbumCard { album })
                .collect())
        },
    )
    .await
}

/// A photo of a cloud album, as its page shows it.
#[derive(Serialize)]
pub struct CloudPhotoTile {
    id: String,
    taken_at: String,
    is_video: bool,
    width: Option<i64>,
    height: Option<i64>,
}

/// The photos of a cloud album.
#[tauri::command]
pub async fn cloud_album_photos(
    state: AppStateRef<'_>,
    remote_id: String,
) -> CommandResult<Vec<CloudPhotoTile>> {
    let client = state.cloud.client()?;
    let state = Arc::clone(&state);
    off_the_window_thread(
        "The album's photos could not be shown. Please try again.",
        move || {
            let photos = browse::cloud_album_photos(&client, &remote_id, &state.cloud.images)?;
            Ok(photos
                .into_iter()
                .map(|photo| CloudPhotoTile {
                    is_video: photo.content_type.starts_with("video/"),
                    id: photo.id,
                    taken_at: photo.taken_at,
                    width: photo.width,
                    height: photo.height,
                })
                .collect())
        },
    )
    .await
}

/// "Keep a copy on this computer": the album gets its folder at once and the
/// originals follow (progress as `cloud-follow` events). Returns the local album.
#[tauri::command]
pub async fn keep_cloud_album(state: AppStateRef<'_>, remote_id: String) -> CommandResult<i64> {
    let client = state.cloud.client()?;
    let state = Arc::clone(&state);
    let kept = off_the_window_thread(
        "Keeping the album stopped unexpectedly. Please try again.",
        move || {
            let root = kept_albums_root(&state);
            let kept = state.session.keep_cloud_albums(
                &client,
                std::slice::from_ref(&remote_id),
                &root,
            )?;
            state.cloud.wake_following();
            kept.first()
                .map(|album| album.album_id)
                .ok_or_else(|| CommandError::new("That album is no longer in the family cloud."))
        },
    )
    .await?;
    Ok(kept)
}

/// "Keep everything on this computer": every cloud album is kept here (the ones already
/// here fetch what they lack). Returns how many originals are on their way.
#[tauri::command]
pub async fn keep_all_cloud_albums(state: AppStateRef<'_>) -> CommandResult<usize> {
    let client = state.cloud.client()?;
    let state = Arc::clone(&state);
    off_the_window_thread(
        "Keeping the albums stopped unexpectedly. Please try again.",
        move || {
            let root = kept_albums_root(&state);
            let kept = state.session.keep_cloud_albums(&client, &[], &root)?;
            state.cloud.wake_following();
            Ok(kept.iter().map(|album| album.planned).sum())
        },
    )
    .await
}
