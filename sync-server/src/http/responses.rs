//! Hearts and comments over HTTP. The family's routes are under the album link's own
//! address (`/s/{token}/photos/{photo_id}/…`, `/s/{token}/comments/{id}`), inside the
//! family pages' per-address budget and behind the link's password, and name the
//! browser by the key in its `X-Picup-Visitor` header. The owner's are under `/v1/…`
//! with their sign-in: what is under a photo, every comment of an album a page at a
//! time, and deleting any comment.

use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use picup_api as api;

use super::AppState;
use super::error::ApiResult;
use super::extract::{Auth, Body, ClientAddr, Query};
use super::handlers::PageQuery;
use super::share::open_for_json;
use super::share_password::LinkKey;
use crate::responses::{self, Visitor};

/// The header a family page sends its own random key in.
pub const VISITOR_HEADER: &str = "x-picup-visitor";

/// The browser that sent the request, if it sent a key that looks like one.
pub struct VisitorKey(pub Option<Visitor>);

impl<S: Send + Sync> FromRequestParts<S> for VisitorKey {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let visitor = parts
            .headers
            .get(VISITOR_HEADER)
            .and_then(|value| value.to_str().ok())
            .and_then(Visitor::from_key);
        Ok(VisitorKey(visitor))
    }
}

#[utoipa::path(get, path = "/s/{token}/photos/{photo_id}/responses", tag = "family",
    responses((status = 200, body = api::PhotoResponses),
              (status = 403, body = api::ErrorBody, description = "the link does not let the family respond"),
              (status = 404, body = api::ErrorBody, description = "no such photo in the link's album")))]
pub async fn family_responses(
    State(state): State<AppState>,
    Path((token, photo_id)): Path<(String, String)>,
    key: LinkKey,
    VisitorKey(visitor): VisitorKey,
) -> ApiResult<Json<api::PhotoResponses>> {
    let link = open_for_json(&state, &token, &key).await?;
    let found = responses::for_family(&state.db, &link, &photo_id, visitor.as_ref()).await?;
    Ok(Json(found))
}

#[utoipa::path(put, path = "/s/{token}/photos/{photo_id}/heart", tag = "family",
    responses((status = 200, body = api::PhotoResponses),
              (status = 403, body = api::ErrorBody), (status = 429, body = api::ErrorBody)))]
pub async fn heart(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    Path((token, photo_id)): Path<(String, String)>,
    key: LinkKey,
    VisitorKey(visitor): VisitorKey,
) -> ApiResult<Json<api::PhotoResponses>> {
    let link = open_for_json(&state, &token, &key).await?;
    let visitor = Visitor::required(visitor)?;
    let limits = &state.response_limits;
    let now = responses::heart(
        &state.db,
        &state.clock,
        limits,
        &link,
        address,
        &photo_id,
        &visitor,
    )
    .await?;
    Ok(Json(now))
}

#[utoipa::path(delete, path = "/s/{token}/photos/{photo_id}/heart", tag = "family",
    responses((status = 200, body = api::PhotoResponses)))]
pub async fn take_heart_back(
    State(state): State<AppState>,
    Path((token, photo_id)): Path<(String, String)>,
    key: LinkKey,
    VisitorKey(visitor): VisitorKey,
) -> ApiResult<Json<api::PhotoResponses>> {
    let link = open_for_json(&state, &token, &key).await?;
    let visitor = Visitor::required(visitor)?;
    let now =
        responses::take_heart_back(&state.db, &state.clock, &link, &photo_id, &visitor).await?;
    Ok(Json(now))
}

#[utoipa::path(post, path = "/s/{token}/photos/{photo_id}/comments", tag = "family",
    request_body = api::NewComment,
    responses((status = 201, body = api::PhotoResponses),
              (status = 403, body = api::ErrorBody), (status = 422, body = api::ErrorBody),
              (status = 429, body = api::ErrorBody, description = "today's comments are spent")))]
pub async fn comment(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    Path((token, photo_id)): Path<(String, String)>,
    key: LinkKey,
    VisitorKey(visitor): VisitorKey,
    Body(request): Body<api::NewComment>,
) -> ApiResult<(StatusCode, Json<api::PhotoResponses>)> {
    let link = open_for_json(&state, &token, &key).await?;
    let visitor = Visitor::required(visitor)?;
    let now = responses::comment(
        &state.db,
        &state.clock,
        &state.response_limits,
        &link,
        address,
        &photo_id,
        &visitor,
        &request,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(now)))
}

#[utoipa::path(delete, path = "/s/{token}/comments/{comment_id}", tag = "family",
    responses((status = 200, body = api::PhotoResponses, description = "what is left under its photo"),
              (status = 403, body = api::ErrorBody, description = "another browser wrote it"),
              (status = 404, body = api::ErrorBody)))]
pub async fn delete_own_comment(
    State(state): State<AppState>,
    Path((token, comment_id)): Path<(String, String)>,
    key: LinkKey,
    VisitorKey(visitor): VisitorKey,
) -> ApiResult<Json<api::PhotoResponses>> {
    let link = open_for_json(&state, &token, &key).await?;
    let visitor = Visitor::required(visitor)?;
    let now = responses::delete_own(&state.db, &state.clock, &link, &comment_id, &visitor).await?;
    Ok(Json(now))
}

#[utoipa::path(get, path = "/v1/albums/{id}/photos/{photo_id}/responses", tag = "albums",
    security(("bearer" = [])),
    responses((status = 200, body = api::PhotoResponses), (status = 404, body = api::ErrorBody)))]
pub async fn owner_responses(
    State(state): State<AppState>,
    Auth(me): Auth,
    Path((album_id, photo_id)): Path<(String, String)>,
) -> ApiResult<Json<api::PhotoResponses>> {
    let found = responses::for_owner(&state.db, &me.user_id, &album_id, &photo_id).await?;
    Ok(Json(found))
}

#[utoipa::path(get, path = "/v1/albums/{id}/comments", tag = "albums", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = api::CommentPage), (status = 404, body = api::ErrorBody)))]
pub async fn owner_album_comments(
    State(state): State<AppState>,
    Auth(me): Auth,
    Path(album_id): Path<String>,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<api::CommentPage>> {
    let (cursor, limit) = (page.cursor.as_deref(), page.limit);
    let found = responses::album_comments(&state.db, &me.user_id, &album_id, cursor, limit).await?;
    Ok(Json(found))
}

#[utoipa::path(delete, path = "/v1/comments/{id}", tag = "albums", security(("bearer" = [])),
    responses((status = 204, description = "gone from the family page"),
              (status = 404, body = api::ErrorBody)))]
pub async fn owner_delete_comment(
    State(state): State<AppState>,
    Auth(me): Auth,
    Path(comment_id): Path<String>,
) -> ApiResult<StatusCode> {
    responses::owner_delete(&state.db, &state.clock, &me.user_id, &comment_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
