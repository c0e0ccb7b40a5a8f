//! The family's hearts and comments under a photo in the viewer (of an album here, or
//! of one only in the cloud), and "Remove" on a comment. All the work is in `picup_core::cloud::responses`.

use std::sync::Arc;

use picup_core::cloud::responses::{self, ItemResponses};

use crate::error::{CommandResult, off_the_window_thread};
use crate::state::AppStateRef;

/// The hearts and comments under an item of an album here; none when not connected to
/// a family cloud or when the item is not in it.
#[tauri::command]
pub async fn photo_responses(
    state: AppStateRef<'_>,
    album_id: i64,
    photo_id: i64,
) -> CommandResult<ItemResponses> {
    let Ok(client) = state.cloud.client() else {
        return Ok(ItemResponses::default());
    };
    let state = Arc::clone(&state);
    off_the_window_thread(
        "The family's comments could not be read. Please try again.",
        move || {
            Ok(responses::responses_of_item(
                state.library(),
                &client,
                album_id,
                photo_id,
            )?)
        },
    )
    .await
}

/// The hearts and comments under a photo of an album that is only in the family cloud
/// (the cloud's ids, as its album page lists them); none when not connected.
#[tauri::command]
pub async fn cloud_photo_responses(
    state: AppStateRef<'_>,
    remote_album: String,
    remote_photo: String,
) -> CommandResult<ItemResponses> {
    let Ok(client) = state.cloud.client() else {
        return Ok(ItemResponses::default());
    };
    off_the_window_thread(
        "The family's comments could not be read. Please try again.",
        move || {
            Ok(responses::responses_of_cloud_item(
                &client,
                &remote_album,
                &remote_photo,
            )?)
        },
    )
    .await
}

/// Removes a comment: the family no longer sees it.
#[tauri::command]
pub async fn remove_comment(state: AppStateRef<'_>, comment_id: String) -> CommandResult<()> {
    let client = state.cloud.client()?;
    off_the_window_thread(
        "Removing the comment stopped unexpectedly. Please try again.",
        move || Ok(client.delete_comment(&comment_id)?),
    )
    .await
}
