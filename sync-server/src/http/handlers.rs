//! The route handlers: each takes its extractors, calls one rule in the domain modules
//! and shapes the answer. The `#[utoipa::path]` lines feed `/v1/openapi.json`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use picup_api as api;
use picup_api::ErrorCode;
use serde::Deserialize;
use utoipa::IntoParams;

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{Auth, Body, ClientAddr, Query};
use crate::accounts;
use crate::error::ServiceError;
use crate::library::{self, rfc3339};
use crate::subscriptions::family;
use crate::trash;
use crate::uploads::{self, Reservation};

/// Keyset paging: pass the previous page's `next_cursor`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct PageQuery {
    pub cursor: Option<String>,
    /// 1 to 500; 100 when left out.
    pub limit: Option<i64>,
}

#[utoipa::path(post, path = "/v1/sessions", tag = "accounts", request_body = api::SignIn,
    responses((status = 201, body = api::SessionToken),
              (status = 401, body = api::ErrorBody, description = "wrong email or password"),
              (status = 429, body = api::ErrorBody, description = "too many failed attempts")))]
pub async fn sign_in(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    Body(request): Body<api::SignIn>,
) -> ApiResult<(StatusCode, Json<api::SessionToken>)> {
    let (token, expires_at) = accounts::sign_in(
        &state.db,
        &state.clock,
        &state.limiter,
        address,
        &request,
        state.session_ttl,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(api::SessionToken {
            token,
            expires_at: rfc3339(expires_at),
        }),
    ))
}

#[utoipa::path(delete, path = "/v1/sessions/current", tag = "accounts", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = api::ErrorBody)))]
pub async fn sign_out(State(state): State<AppState>, Auth(me): Auth) -> ApiResult<StatusCode> {
    accounts::sign_out(&state.db, &me).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/me", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = api::Account), (status = 401, body = api::ErrorBody)))]
pub async fn me(State(state): State<AppState>, Auth(me): Auth) -> ApiResult<Json<api::Account>> {
    let mail_available = state.subscriptions.is_some();
    Ok(Json(
        accounts::account(&state.db, &me, mail_available).await?,
    ))
}

#[utoipa::path(put, path = "/v1/me", tag = "accounts", security(("bearer" = [])),
    request_body = api::AccountChanges,
    responses((status = 200, body = api::Account, description = "the account, changed"),
              (status = 401, body = api::ErrorBody),
              (status = 422, body = api::ErrorBody, description = "`invalid_name`: too long, or control characters")))]
pub async fn change_me(
    State(state): State<AppState>,
    Auth(me): Auth,
    Body(request): Body<api::AccountChanges>,
) -> ApiResult<Json<api::Account>> {
    crate::display_name::set(&state.db, &me.user_id, request.display_name.as_deref()).await?;
    let mail_available = state.subscriptions.is_some();
    Ok(Json(
        accounts::account(&state.db, &me, mail_available).await?,
    ))
}

#[utoipa::path(put, path = "/v1/me/family-digest", tag = "accounts", security(("bearer" = [])),
    request_body = api::FamilyDigestSwitch,
    responses((status = 200, body = api::Account, description = "the account, switched"),
              (status = 409, body = api::ErrorBody, description = "`mail_not_set_up`: this server sends no e-mail")))]
pub async fn set_family_digest(
    State(state): State<AppState>,
    Auth(me): Auth,
    Body(request): Body<api::FamilyDigestSwitch>,
) -> ApiResult<Json<api::Account>> {
    let mail_available = state.subscriptions.is_some();
    family::switch(&state.db, &me.user_id, request.on, mail_available).await?;
    Ok(Json(
        accounts::account(&state.db, &me, mail_available).await?,
    ))
}

#[utoipa::path(post, path = "/v1/albums", tag = "albums", security(("bearer" = [])),
    request_body = api::NewAlbum,
    responses((status = 201, body = api::Album), (status = 422, body = api::ErrorBody)))]
pub async fn create_album(
    State(state): State<AppState>,
    Auth(me): Auth,
    Body(request): Body<api::NewAlbum>,
) -> ApiResult<(StatusCode, Json<api::Album>)> {
    let album = library::create_album(
        &state.db,
        &state.clock,
        &me.user_id,
        &request.title,
        request.folder_name.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(album)))
}

#[utoipa::path(get, path = "/v1/albums", tag = "albums", security(("bearer" = [])),
    params(PageQuery), responses((status = 200, body = api::AlbumPage)))]
pub async fn list_albums(
    State(state): State<AppState>,
    Auth(me): Auth,
    ClientAddr(viewer): ClientAddr,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<api::AlbumPage>> {
    let (mut page, prefixes) =
        library::albums(&state.db, &me.user_id, page.cursor.as_deref(), page.limit).await?;
    let signer = state.cdn.as_ref().map(|cdn| &cdn.signer);
    library::sign_covers(
        &mut page.items,
        &prefixes,
        signer,
        viewer,
        state.clock.now_secs(),
    );
    Ok(Json(page))
}

/// `since`: the `cursor` of the last page (none: from the first change).
#[derive(Debug, Deserialize, IntoParams)]
pub struct ChangesQuery {
    pub since: Option<String>,
    /// 1 to 500; 100 when left out.
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/v1/changes", tag = "albums", security(("bearer" = [])),
    params(ChangesQuery),
    responses((status = 200, body = api::ChangePage), (status = 400, body = api::ErrorBody)))]
pub async fn changes(
    State(state): State<AppState>,
    Auth(me): Auth,
    Query(query): Query<ChangesQuery>,
) -> ApiResult<Json<api::ChangePage>> {
    let page =
        library::changes(&state.db, &me.user_id, query.since.as_deref(), query.limit).await?;
    Ok(Json(page))
}

#[utoipa::path(get, path = "/v1/albums/{id}", tag = "albums", security(("bearer" = [])),
    responses((status = 200, body = api::Album), (status = 404, body = api::ErrorBody)))]
pub async fn get_album(
    State(state): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<api::Album>> {
    Ok(Json(library::album(&state.db, &me.user_id, &id).await?))
}

#[utoipa::path(patch, path = "/v1/albums/{id}", tag = "albums", security(("bearer" = [])),
    request_body = api::AlbumChanges,
    responses((status = 200, body = api::Album), (status = 404, body = api::ErrorBody)))]
pub async fn change_album(
    State(state): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<String>,
    Body(changes): Body<api::AlbumChanges>,
) -> ApiResult<Json<api::Album>> {
    Ok(Json(
        library::change_album(&state.db, &state.clock, &me.user_id, &id, &changes).await?,
    ))
}

#[utoipa::path(delete, path = "/v1/albums/{id}", tag = "albums", security(("bearer" = [])),
    responses((status = 202, description = "moved to the Trash with its photos; restorable until purged"),
              (status = 404, body = api::ErrorBody)))]
pub async fn delete_album(
    State(state): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    trash::remove_album(&state.db, &state.clock, &me.user_id, &id).await?;
    Ok(StatusCode::ACCEPTED)
}

#[utoipa::path(get, path = "/v1/albums/{id}/photos", tag = "albums", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = api::PhotoPage), (status = 404, body = api::ErrorBody)))]
pub async fn album_photos(
    State(state): State<AppState>,
    Auth(me): Auth,
    ClientAddr(viewer): ClientAddr,
    Path(id): Path<String>,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<api::PhotoPage>> {
    let (rows, next_cursor, counts) = library::album_photos(
        &state.db,
        &me.user_id,
        &id,
        page.cursor.as_deref(),
        page.limit,
    )
    .await?;
    let signer = state.cdn.as_ref().map(|cdn| &cdn.signer);
    let now = state.clock.now_secs();
    let mut items =
        library::photos_for_viewer(&rows, signer, viewer, library::Audience::Owner, now);
    crate::responses::apply_counts(&counts, &mut items);
    Ok(Json(api::PhotoPage { items, next_cursor }))
}

#[utoipa::path(delete, path = "/v1/photos/{id}", tag = "albums", security(("bearer" = [])),
    responses((status = 202, description = "moved to the Trash from every album that showed it"),
              (status = 404, body = api::ErrorBody)))]
pub async fn delete_photo(
    State(state): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    trash::remove_photo(&state.db, &state.clock, &me.user_id, &id).await?;
    Ok(StatusCode::ACCEPTED)
}

#[utoipa::path(post, path = "/v1/uploads", tag = "uploads", security(("bearer" = [])),
    request_body = api::NewUpload,
    responses((status = 201, body = api::UploadTicket, description = "space reserved; PUT each target"),
              (status = 200, body = api::AlreadyStored, description = "already stored; added to the album"),
              (status = 404, body = api::ErrorBody, description = "no such album"),
              (status = 413, body = api::ErrorBody, description = "not enough space left"),
              (status = 422, body = api::ErrorBody)))]
pub async fn reserve_upload(
    State(state): State<AppState>,
    Auth(me): Auth,
    Body(request): Body<api::NewUpload>,
) -> ApiResult<Response> {
    match uploads::reserve(
        &state.db,
        &state.store,
        &state.upload_rules,
        &state.clock,
        &me.user_id,
        &request,
    )
    .await
    {
        Ok(Reservation::Ticket(ticket)) => Ok((StatusCode::CREATED, Json(ticket)).into_response()),
        Ok(Reservation::AlreadyStored(stored)) => {
            Ok((StatusCode::OK, Json(stored)).into_response())
        }
        Err(e @ ServiceError::QuotaExceeded { .. }) => {
            state.metrics.quota_rejections.inc();
            Err(e.into())
        }
        Err(e) => Err(e.into()),
    }
}

#[utoipa::path(post, path = "/v1/uploads/{id}/complete", tag = "uploads", security(("bearer" = [])),
    responses((status = 201, body = api::UploadCompleted),
              (status = 404, body = api::ErrorBody), (status = 410, body = api::ErrorBody),
              (status = 422, body = api::ErrorBody, description = "an object is missing or has the wrong size")))]
pub async fn complete_upload(
    State(state): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<String>,
    body: Option<Body<api::CompleteUpload>>,
) -> ApiResult<(StatusCode, Json<api::UploadCompleted>)> {
    let parts = body.map(|Body(b)| b.parts).unwrap_or_default();
    let photo_id = uploads::complete(
        &state.db,
        &state.store,
        &state.upload_rules,
        &state.clock,
        &me.user_id,
        &id,
        &parts,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(api::UploadCompleted { photo_id })))
}

#[utoipa::path(post, path = "/v1/uploads/{id}/targets", tag = "uploads", security(("bearer" = [])),
    responses((status = 200, body = api::UploadTicket), (status = 404, body = api::ErrorBody),
        (status = 410, body = api::ErrorBody)))]
/// Fresh upload URLs for a client resuming an unfinished upload; holds its space longer.
pub async fn upload_targets(
    State(state): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<api::UploadTicket>> {
    let ticket = uploads::targets(
        &state.db,
        &state.store,
        &state.upload_rules,
        &state.clock,
        &me.user_id,
        &id,
    )
    .await?;
    Ok(Json(ticket))
}

#[utoipa::path(delete, path = "/v1/uploads/{id}", tag = "uploads", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = api::ErrorBody), (status = 409, body = api::ErrorBody)))]
pub async fn abort_upload(
    State(state): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    uploads::abort(
        &state.db,
        &state.upload_rules,
        &state.clock,
        &me.user_id,
        &id,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200)))]
pub async fn healthz() -> &'static str {
    "ok\n"
}

#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200), (status = 503, body = api::ErrorBody)))]
pub async fn readyz(State(state): State<AppState>) -> ApiResult<&'static str> {
    state.db.ping().await.map_err(ServiceError::from)?;
    state.store.ping().await.map_err(ServiceError::from)?;
    Ok("ready\n")
}

#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200), (status = 404, description = "not for this asker")))]
pub async fn metrics(
    State(state): State<AppState>,
    ClientAddr(asker): ClientAddr,
    headers: axum::http::HeaderMap,
) -> Response {
    let allowed = match &state.metrics_token {
        Some(token) => super::extract::bearer_token(&headers)
            .is_some_and(|given| crate::ids::same_secret(given, token)),
        None => asker.is_loopback(),
    };
    if !allowed {
        // Like any unknown address: nothing says what is here.
        return not_found().await.into_response();
    }
    if let Ok((waiting, dead)) = state.db.job_counts().await {
        state.metrics.job_queue_depth.set(waiting);
        state.metrics.dead_jobs.set(dead);
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

pub async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        "There is nothing at this address.",
    )
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        "This address does not accept that method.",
    )
}
