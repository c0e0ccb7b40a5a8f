//! The family adding photos over HTTP, under the album link's own address
//! (`/s/{token}/uploads…`, inside the family pages' per-address budget): reserve an item,
//! fresh addresses for one being resumed, and completion. A link that is closed answers
//! like the family page's JSON (410 or 404); one that does not allow adding, 403.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use picup_api as api;

use super::AppState;
use super::error::ApiResult;
use super::extract::Body;
use super::share::open_for_json;
use super::share_password::LinkKey;
use crate::contributions;

#[utoipa::path(post, path = "/s/{token}/uploads", tag = "family",
    request_body = api::NewContribution,
    responses((status = 201, body = api::UploadTicket, description = "send the bytes here"),
              (status = 403, body = api::ErrorBody, description = "the link does not let the family add"),
              (status = 413, body = api::ErrorBody, description = "the owner's space is full"),
              (status = 429, body = api::ErrorBody, description = "the link's limit for today is reached")))]
pub async fn reserve(
    State(state): State<AppState>,
    Path(token): Path<String>,
    key: LinkKey,
    Body(request): Body<api::NewContribution>,
) -> ApiResult<(StatusCode, Json<api::UploadTicket>)> {
    let link = open_for_json(&state, &token, &key).await?;
    let ticket = contributions::reserve(
        &state.db,
        &state.store,
        &state.upload_rules,
        &state.contribution_limits,
        &state.clock,
        &link,
        &request,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(ticket)))
}

#[utoipa::path(post, path = "/s/{token}/uploads/{id}/targets", tag = "family",
    responses((status = 200, body = api::UploadTicket), (status = 404, body = api::ErrorBody),
              (status = 410, body = api::ErrorBody)))]
pub async fn targets(
    State(state): State<AppState>,
    Path((token, id)): Path<(String, String)>,
    key: LinkKey,
) -> ApiResult<Json<api::UploadTicket>> {
    let link = open_for_json(&state, &token, &key).await?;
    let ticket = contributions::targets(
        &state.db,
        &state.store,
        &state.upload_rules,
        &state.clock,
        &link,
        &id,
    )
    .await?;
    Ok(Json(ticket))
}

#[utoipa::path(post, path = "/s/{token}/uploads/{id}/complete", tag = "family",
    request_body = api::CompleteUpload,
    responses((status = 201, body = api::UploadCompleted),
              (status = 422, body = api::ErrorBody, description = "not a photo or video, or not all of it arrived")))]
pub async fn complete(
    State(state): State<AppState>,
    Path((token, id)): Path<(String, String)>,
    key: LinkKey,
    body: Option<Body<api::CompleteUpload>>,
) -> ApiResult<(StatusCode, Json<api::UploadCompleted>)> {
    let link = open_for_json(&state, &token, &key).await?;
    let parts = body.map(|Body(b)| b.parts).unwrap_or_default();
    let photo_id = contributions::complete(
        &state.db,
        &state.store,
        &state.upload_rules,
        &state.clock,
        &link,
        &id,
        &parts,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(api::UploadCompleted { photo_id })))
}
