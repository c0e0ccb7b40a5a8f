//! The Trash over HTTP: removing one photo from one album, the Trash as the owner sees
//! it, putting items back, and emptying it (all of it, or the items named). Removing a
//! whole album or a photo from every album are `DELETE /v1/albums/{id}` and
//! `DELETE /v1/photos/{id}` in `handlers`, which move them here too.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use picup_api as api;

use super::AppState;
use super::error::ApiResult;
use super::extract::{Auth, Body, ClientAddr};
use crate::trash;

#[utoipa::path(delete, path = "/v1/albums/{id}/photos/{photo_id}", tag = "trash",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "the album"),
           ("photo_id" = String, Path, description = "the photo, which other albums keep showing")),
    responses((status = 204, description = "moved to the Trash; restorable until purged"),
              (status = 404, body = api::ErrorBody, description = "the album shows no such photo")))]
pub async fn remove_from_album(
    State(state): State<AppState>,
    Auth(me): Auth,
    Path((album_id, photo_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    trash::remove_from_album(&state.db, &state.clock, &me.user_id, &album_id, &photo_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/trash", tag = "trash", security(("bearer" = [])),
    responses((status = 200, body = api::Trash)))]
pub async fn trash(
    State(state): State<AppState>,
    Auth(me): Auth,
    ClientAddr(viewer): ClientAddr,
) -> ApiResult<Json<api::Trash>> {
    let signer = state.cdn.as_ref().map(|cdn| &cdn.signer);
    let now = state.clock.now_secs();
    let retention = state.trash_retention;
    Ok(Json(
        trash::list(&state.db, &me.user_id, retention, signer, viewer, now).await?,
    ))
}

#[utoipa::path(post, path = "/v1/trash/restore", tag = "trash", security(("bearer" = [])),
    request_body = api::TrashItems,
    responses((status = 200, body = api::TrashDone, description = "every item is back where it was"),
              (status = 400, body = api::ErrorBody, description = "no items, or too many"),
              (status = 404, body = api::ErrorBody, description = "an item is not in the Trash; nothing changed"),
              (status = 409, body = api::ErrorBody, description = "a photo's album is in the Trash too; nothing changed")))]
pub async fn restore(
    State(state): State<AppState>,
    Auth(me): Auth,
    Body(items): Body<api::TrashItems>,
) -> ApiResult<Json<api::TrashDone>> {
    Ok(Json(
        trash::restore(&state.db, &state.clock, &me.user_id, &items).await?,
    ))
}

#[utoipa::path(delete, path = "/v1/trash", tag = "trash", security(("bearer" = [])),
    request_body(content = api::TrashItems,
        description = "the items to purge; without a body, everything in the Trash"),
    responses((status = 200, body = api::TrashDone,
                description = "gone for good; their space comes back once the worker has erased them"),
              (status = 400, body = api::ErrorBody, description = "no items, or too many"),
              (status = 404, body = api::ErrorBody, description = "an item is not in the Trash; nothing changed")))]
pub async fn empty(
    State(state): State<AppState>,
    Auth(me): Auth,
    items: Option<Body<api::TrashItems>>,
) -> ApiResult<Json<api::TrashDone>> {
    let items = items.map(|Body(items)| items);
    Ok(Json(
        trash::empty(&state.db, &state.clock, &me.user_id, items.as_ref()).await?,
    ))
}
