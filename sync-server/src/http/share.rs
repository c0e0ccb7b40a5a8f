//! Album share links over HTTP: the owner's `/v1/…/shares` routes, and the family's
//! `/s/{token}` — the page, its photos as JSON with URLs signed for the viewer, and
//! "Download all" as a streamed ZIP. A link that has expired, was turned off or never
//! existed gets a kind page in plain words; none of these answers mention anything
//! beyond the one album (no other album ids, no owner email).

use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use picup_api as api;
use picup_api::ErrorCode;

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{Auth, Body as JsonBody, ClientAddr, Query};
use super::handlers::PageQuery;
use super::share_password::{self, LinkKey};
use crate::db::SharedAlbum;
use crate::error::ServiceError;
use crate::link_password;
use crate::sharing::{self, LinkState};
use crate::subscriptions::letters::escape;

const PAGE_HTML: &str = include_str!("../../share-page/share.html");
const PAGE_JS: &str = include_str!("../../share-page/share.js");
const PAGE_CSS: &str = include_str!("../../share-page/share.css");
const ADD_JS: &str = include_str!("../../share-page/add.js");
const SHA256_JS: &str = include_str!("../../share-page/sha256.js");
const NOTIFY_JS: &str = include_str!("../../share-page/notify.js");
const RESPONSES_JS: &str = include_str!("../../share-page/responses.js");

#[utoipa::path(post, path = "/v1/albums/{id}/shares", tag = "sharing", security(("bearer" = [])),
    request_body = api::NewShare,
    responses((status = 201, body = api::ShareLink), (status = 404, body = api::ErrorBody)))]
pub async fn create_share(
    State(state): State<AppState>,
    Auth(me): Auth,
    Path(album_id): Path<String>,
    JsonBody(request): JsonBody<api::NewShare>,
) -> ApiResult<(StatusCode, Json<api::ShareLink>)> {
    let link = sharing::create(
        &state.db,
        &state.clock,
        &me.user_id,
        &album_id,
        &request,
        &state.public_url,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(link)))
}

#[utoipa::path(get, path = "/v1/albums/{id}/shares", tag = "sharing", security(("bearer" = [])),
    responses((status = 200, body = api::ShareLinks), (status = 404, body = api::ErrorBody)))]
pub async fn list_shares(
    State(state): State<AppState>,
    Auth(me): Auth,
    Path(album_id): Path<String>,
) -> ApiResult<Json<api::ShareLinks>> {
    Ok(Json(
        sharing::list(&state.db, &me.user_id, &album_id).await?,
    ))
}

#[utoipa::path(delete, path = "/v1/shares/{id}", tag = "sharing", security(("bearer" = [])),
    responses((status = 204, description = "the link stops working at once"),
              (status = 404, body = api::ErrorBody)))]
pub async fn revoke_share(
    State(state): State<AppState>,
    Auth(me): Auth,
    Path(share_id): Path<String>,
) -> ApiResult<StatusCode> {
    sharing::revoke(&state.db, &state.clock, &me.user_id, &share_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(patch, path = "/v1/shares/{id}", tag = "sharing", security(("bearer" = [])),
    request_body = api::ShareChanges,
    responses((status = 200, body = api::ShareLink, description = "the link as it is now (same address)"),
              (status = 400, body = api::ErrorBody), (status = 404, body = api::ErrorBody)))]
pub async fn change_share(
    State(state): State<AppState>,
    Auth(me): Auth,
    Path(share_id): Path<String>,
    JsonBody(changes): JsonBody<api::ShareChanges>,
) -> ApiResult<Json<api::ShareLink>> {
    Ok(Json(
        sharing::change(&state.db, &me.user_id, &share_id, &changes).await?,
    ))
}

/// A page in plain words for a link that does not open an album. `heading` and `words`
/// are HTML the caller made (anything from a person in them escaped).
fn kind_page(status: StatusCode, heading: &str, words: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{heading}</title><link rel=\"stylesheet\" href=\"/s/assets/share.css\"></head>\
         <body><main class=\"kind\"><h1>{heading}</h1><p>{words}</p></main></body></html>"
    );
    script_free_page(status, html, "'none'")
}

/// A page of the server's own HTML with no script: it may load only its own stylesheet
/// and post forms only to `form_action` (`'none'`, or `'self'` for the password's form);
/// never kept by caches, never framed, and it tells no one where it was.
pub(super) fn script_free_page(status: StatusCode, html: String, form_action: &str) -> Response {
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let policy = format!(
        "default-src 'none'; style-src 'self'; base-uri 'none'; form-action {form_action}; \
         frame-ancestors 'none'"
    );
    if let Ok(policy) = HeaderValue::from_str(&policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    response
}

/// Whether this browser may see the album of a link with a password; otherwise the page
/// that asks for it (or, should the database fail, its error).
async fn let_in(state: &AppState, album: &SharedAlbum, key: &LinkKey) -> Result<(), Response> {
    match link_password::admits(&state.db, &state.clock, album, key.0.as_deref()).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(share_password::ask()),
        Err(e) => Err(ApiError::from(e).into_response()),
    }
}

/// "ask Anna" when the owner gave a display name, "ask the person who sent it" otherwise
/// (never their e-mail address), as HTML.
fn ask_whom(owner_name: Option<&str>) -> String {
    match owner_name {
        Some(name) => format!("ask {}", escape(name)),
        None => "ask the person who sent it".to_owned(),
    }
}

fn closed_link(state: LinkState) -> Response {
    match state {
        LinkState::Expired(owner_name) | LinkState::Revoked(owner_name) => kind_page(
            StatusCode::GONE,
            "This link has stopped working",
            &format!(
                "You did nothing wrong — {} for a new one.",
                ask_whom(owner_name.as_deref())
            ),
        ),
        _ => kind_page(
            StatusCode::NOT_FOUND,
            "We could not find this album",
            "Check that the whole link was copied, or ask the person who sent it for a new one.",
        ),
    }
}

pub(super) async fn open_link(state: &AppState, token: &str) -> Result<SharedAlbum, Response> {
    match sharing::open(&state.db, &state.clock, token).await {
        Ok(LinkState::Open(album)) => Ok(album),
        Ok(closed) => Err(closed_link(closed)),
        Err(e) => Err(ApiError::from(e).into_response()),
    }
}

/// The open link behind `token` for the family's JSON routes (the photos, adding):
/// a closed link is 410 and an unknown one 404, in words; one with a password this
/// browser has not given (its cookie's `key`) is 401.
pub(super) async fn open_for_json(
    state: &AppState,
    token: &str,
    key: &LinkKey,
) -> ApiResult<SharedAlbum> {
    match sharing::open(&state.db, &state.clock, token).await? {
        LinkState::Open(album) => {
            if !link_password::admits(&state.db, &state.clock, &album, key.0.as_deref()).await? {
                return Err(ServiceError::PasswordNeeded.into());
            }
            Ok(album)
        }
        // Plain text (the page puts it in as text), so the name is not escaped here.
        LinkState::Expired(owner_name) | LinkState::Revoked(owner_name) => Err(ApiError::new(
            StatusCode::GONE,
            ErrorCode::LinkClosed,
            format!(
                "This link has stopped working. You did nothing wrong — ask {} for a new one.",
                owner_name.as_deref().unwrap_or("the person who sent it")
            ),
        )),
        LinkState::Unknown => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "There is no such album link.",
        )),
    }
}

/// The family page: the same document for every album, its script asks for the photos;
/// only its head differs, with the album's name and what a chat app shows for the link
/// (`og:` tags: the name, "Photos from Anna · May 2024" and the cover's thumbnail).
pub async fn page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    key: LinkKey,
) -> Response {
    let album = match open_link(&state, &token).await {
        Ok(album) => album,
        Err(closed) => return closed,
    };
    if let Err(asking) = let_in(&state, &album, &key).await {
        return asking;
    }
    let signer = state.cdn.as_ref().map(|cdn| &cdn.share_signer);
    let preview = match sharing::preview(&state.db, &state.clock, &album, signer).await {
        Ok(preview) => preview,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let mut response = Html(page_html(&preview)).into_response();
    let media = state
        .cdn
        .as_ref()
        .map(|cdn| cdn.signer.origin())
        .unwrap_or_default();
    let uploads = upload_origin(&state).await;
    // The page fetches a photo's bytes itself to hand them to the phone's "Save" (the
    // Web Share API), hence the media origin under connect-src too (once).
    let mut connect = vec!["'self'", uploads.as_str()];
    if !connect.contains(&media.as_str()) {
        connect.push(&media);
    }
    connect.retain(|origin| !origin.is_empty());
    let connect = connect.join(" ");
    let policy = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src {connect}; \
         img-src 'self' {media}; media-src 'self' {media}; base-uri 'none'; \
         form-action 'none'; frame-ancestors 'none'"
    );
    let headers = response.headers_mut();
    if let Ok(policy) = HeaderValue::from_str(&policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    response
}

/// The family page's document with `preview` in its head, every value escaped.
fn page_html(preview: &sharing::LinkPreview) -> String {
    let title = escape(&preview.title);
    let description = escape(&preview.description);
    let mut head = format!(
        "<title>{title}</title>\n  \
         <meta property=\"og:type\" content=\"website\">\n  \
         <meta property=\"og:title\" content=\"{title}\">\n  \
         <meta property=\"og:description\" content=\"{description}\">\n  \
         <meta name=\"description\" content=\"{description}\">"
    );
    if let Some(image) = &preview.image {
        head.push_str(&format!(
            "\n  <meta property=\"og:image\" content=\"{}\">\n  \
             <meta name=\"twitter:card\" content=\"summary_large_image\">",
            escape(image)
        ));
    }
    PAGE_HTML.replacen("<title>Family album</title>", &head, 1)
}

/// Where the store's presigned addresses point (scheme, host and port): photos the
/// family adds go straight there, the API's own address when the embedded store takes
/// uploads on its port. Presigning is local work, no request is made.
async fn upload_origin(state: &AppState) -> String {
    let probe = state
        .store
        .presign_put("origin", 1, "image/jpeg", None, Duration::from_secs(60))
        .await;
    probe.map_or_else(
        |_| String::new(),
        |p| p.url.split('/').take(3).collect::<Vec<_>>().join("/"),
    )
}

pub async fn asset(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "share.js" => (PAGE_JS, "text/javascript; charset=utf-8"),
        "share.css" => (PAGE_CSS, "text/css; charset=utf-8"),
        "add.js" => (ADD_JS, "text/javascript; charset=utf-8"),
        "sha256.js" => (SHA256_JS, "text/javascript; charset=utf-8"),
        "notify.js" => (NOTIFY_JS, "text/javascript; charset=utf-8"),
        "responses.js" => (RESPONSES_JS, "text/javascript; charset=utf-8"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}

/// One page of the shared album, with URLs signed for whoever asks.
pub async fn photos(
    State(state): State<AppState>,
    ClientAddr(viewer): ClientAddr,
    Path(token): Path<String>,
    key: LinkKey,
    Query(page): Query<PageQuery>,
) -> ApiResult<Response> {
    let album = open_for_json(&state, &token, &key).await?;
    let signer = state.cdn.as_ref().map(|cdn| &cdn.share_signer);
    let (cursor, limit) = (page.cursor.as_deref(), page.limit);
    let mut page = sharing::photos_page(
        &state.db,
        &state.clock,
        album,
        signer,
        viewer,
        cursor,
        limit,
    )
    .await?;
    page.notify_by_email = state.subscriptions.is_some();
    Ok(not_stored(Json(page).into_response()))
}

/// "Download all": every original of the album in one ZIP, streamed as it is read.
pub async fn download_all(
    State(state): State<AppState>,
    Path(token): Path<String>,
    key: LinkKey,
) -> Response {
    let album = match open_link(&state, &token).await {
        Ok(album) => album,
        Err(closed) => return closed,
    };
    if let Err(asking) = let_in(&state, &album, &key).await {
        return asking;
    }
    let Some(zip) = sharing::download_all(&state.db, &state.store, &album) else {
        return kind_page(
            StatusCode::FORBIDDEN,
            "Downloads are turned off for this album",
            "You can still look at every photo. Ask the person who shared it if you would like copies.",
        );
    };
    let mut response = not_stored(Response::new(Body::from_stream(zip.body)));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    let disposition = format!("attachment; filename=\"{}\"", zip.file_name);
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// Marks an answer as one no cache may keep (it is for whoever holds the link, now).
fn not_stored(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
