//! "Tell me when new photos are added" over HTTP, under the album link's address:
//! subscribing (behind the link's password, like the family's other JSON routes), the
//! confirmation link of the e-mail, and unsubscribing — a page with one button, and the
//! one-click POST of RFC 8058 that mail programs send, which needs no password and no
//! cookie (the key in the address is enough). On a server without `smtp_url`,
//! subscribing is 404: the page does not offer it.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use picup_api as api;
use picup_api::ErrorCode;
use serde::Deserialize;

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{Body, Query};
use super::share::{open_for_json, open_link};
use super::share_password::LinkKey;
use crate::subscriptions;

/// The key an e-mail's link carries.
#[derive(Deserialize)]
pub struct KeyQuery {
    #[serde(default)]
    t: String,
}

#[utoipa::path(post, path = "/s/{token}/subscriptions", tag = "family",
    request_body = api::NewSubscription,
    responses((status = 202, body = api::SubscriptionAsked, description = "a confirmation e-mail is on its way (the same answer for an address already subscribed)"),
              (status = 422, body = api::ErrorBody, description = "not an e-mail address, in words"),
              (status = 401, body = api::ErrorBody, description = "the link's password is needed"),
              (status = 404, body = api::ErrorBody, description = "no such link, or this server sends no e-mail"),
              (status = 429, body = api::ErrorBody, description = "too many e-mails asked for today")))]
pub async fn subscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
    key: LinkKey,
    Body(request): Body<api::NewSubscription>,
) -> ApiResult<(StatusCode, Json<api::SubscriptionAsked>)> {
    let link = open_for_json(&state, &token, &key).await?;
    let Some(budget) = &state.subscriptions else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "This server does not send e-mail.",
        ));
    };
    let link_url = crate::sharing::link_url(&state.public_url, &token);
    subscriptions::subscribe(
        &state.db,
        &state.clock,
        budget,
        &link,
        &link_url,
        &request.email,
    )
    .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(api::SubscriptionAsked {
            message: "Thank you. We sent you an e-mail: open it and press the button to \
                      say yes. Then we will tell you when new photos are added."
                .into(),
        }),
    ))
}

/// The confirmation link of the e-mail: a kind page either way.
pub async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(query): Query<KeyQuery>,
) -> Response {
    let link = match open_link(&state, &token).await {
        Ok(link) => link,
        Err(closed) => return closed,
    };
    match subscriptions::confirm(&state.db, &state.clock, &link, &query.t).await {
        Ok(Some(_)) => words_page(
            StatusCode::OK,
            "Thank you, that is all",
            "We will send you an e-mail when new photos are added to this album, at most \
             once a day. Every e-mail has a link to stop them.",
            None,
        ),
        Ok(None) => words_page(
            StatusCode::NOT_FOUND,
            "This link does not work any more",
            "Perhaps you stopped the e-mails. You can ask for them again on the album's page.",
            None,
        ),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// What the e-mail's "Stop these e-mails" opens: one button that stops them (a GET
/// changes nothing, so a mail scanner following links unsubscribes nobody).
pub async fn unsubscribe_page(Query(query): Query<KeyQuery>) -> Response {
    let action = format!(
        "unsubscribe?t={}",
        percent_encoding::utf8_percent_encode(&query.t, percent_encoding::NON_ALPHANUMERIC)
    );
    words_page(
        StatusCode::OK,
        "Stop the e-mails about this album?",
        "You will get no more e-mails about new photos in this album.",
        Some((&action, "Stop the e-mails")),
    )
}

/// One-click unsubscribe (RFC 8058: `List-Unsubscribe=One-Click` is posted; whatever the
/// body, the key is what counts). No password, no cookie, and the link need not be open.
pub async fn unsubscribe(State(state): State<AppState>, Query(query): Query<KeyQuery>) -> Response {
    match subscriptions::unsubscribe(&state.db, &query.t).await {
        Ok(_) => words_page(
            StatusCode::OK,
            "Done: no more e-mails",
            "You will get no more e-mails about new photos in this album.",
            None,
        ),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// A script-free page of a heading, words and perhaps one button posting to `action`.
fn words_page(
    status: StatusCode,
    heading: &str,
    words: &str,
    button: Option<(&str, &str)>,
) -> Response {
    let form = button.map_or_else(String::new, |(action, label)| {
        format!(
            "<form method=\"post\" action=\"{action}\">\
             <input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\
             <button class=\"button\" type=\"submit\">{label}</button></form>"
        )
    });
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\">\
         <title>{heading}</title><link rel=\"stylesheet\" href=\"/s/assets/share.css\"></head>\
         <body><main class=\"kind\"><h1>{heading}</h1><p>{words}</p>{form}</main></body></html>"
    );
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'self'; \
             frame-ancestors 'none'",
        ),
    );
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    response
}
